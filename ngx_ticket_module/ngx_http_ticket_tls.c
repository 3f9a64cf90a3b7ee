
/*
 * ngx_ticket_module: the TLS client side of the key service client
 * (ngx_http_ticket_fetch.c) and the Redis connection
 * (ngx_http_ticket_redis.c).  One way to trust a server: its certificate
 * chains to the configured CA (or the system store) and names the host
 * (or its address) the connection was meant for; the handshake itself
 * fails otherwise, never a plain-text or unverified fallback.
 */


#include "ngx_http_ticket_tls.h"


static ngx_uint_t ngx_http_ticket_tls_is_ip(ngx_str_t *name, u_char *buf,
    size_t size);


ngx_ssl_t *
ngx_http_ticket_tls_create(ngx_conf_t *cf, ngx_str_t *trusted,
    ngx_str_t *cert, ngx_str_t *key)
{
    ngx_ssl_t           *ssl;
    ngx_pool_cleanup_t  *cln;

    ssl = ngx_pcalloc(cf->pool, sizeof(ngx_ssl_t));
    if (ssl == NULL) {
        return NULL;
    }

    ssl->log = cf->log;

    if (ngx_ssl_create(ssl, NGX_SSL_TLSv1_2|NGX_SSL_TLSv1_3, NULL)
        != NGX_OK)
    {
        return NULL;
    }

    cln = ngx_pool_cleanup_add(cf->pool, 0);
    if (cln == NULL) {
        ngx_ssl_cleanup_ctx(ssl);
        return NULL;
    }

    cln->handler = ngx_ssl_cleanup_ctx;
    cln->data = ssl;

    if (trusted->len) {
        if (ngx_ssl_trusted_certificate(cf, ssl, trusted, 8) != NGX_OK) {
            return NULL;
        }

    } else if (SSL_CTX_set_default_verify_paths(ssl->ctx) != 1) {
        ngx_ssl_error(NGX_LOG_EMERG, cf->log, 0,
                      "SSL_CTX_set_default_verify_paths() failed");
        return NULL;
    }

    /*
     * a write that must wait is retried from a buffer that may have moved
     * (grown) meanwhile, its bytes the same
     */

    SSL_CTX_set_mode(ssl->ctx, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);

    /* loaded and checked against each other (key values mismatch) here */

    if (cert != NULL && cert->len
        && ngx_ssl_certificate(cf, ssl, cert, key, NULL) != NGX_OK)
    {
        return NULL;
    }

    /*
     * the handshake itself fails on a certificate that does not verify
     * (ngx_ssl_trusted_certificate() set a callback that only logs)
     */

    SSL_CTX_set_verify(ssl->ctx, SSL_VERIFY_PEER, NULL);

    return ssl;
}


ngx_int_t
ngx_http_ticket_tls_connection(ngx_ssl_t *ssl, ngx_connection_t *c,
    ngx_str_t *name)
{
    u_char  ip[NGX_SOCKADDR_STRLEN + 1];

    if (ngx_ssl_create_connection(ssl, c, NGX_SSL_BUFFER|NGX_SSL_CLIENT)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    /* an address is checked as one; SNI never carries an address */

    if (ngx_http_ticket_tls_is_ip(name, ip, sizeof(ip))) {
        if (X509_VERIFY_PARAM_set1_ip_asc(
                SSL_get0_param(c->ssl->connection), (char *) ip)
            != 1)
        {
            return NGX_ERROR;
        }

        return NGX_OK;
    }

    if (SSL_set_tlsext_host_name(c->ssl->connection, (char *) name->data)
        != 1
        || SSL_set1_host(c->ssl->connection, (char *) name->data) != 1)
    {
        return NGX_ERROR;
    }

    return NGX_OK;
}


const char *
ngx_http_ticket_tls_unverified(ngx_connection_t *c)
{
    long  v;

    /* SSL_VERIFY_PEER failed the handshake already; checked once more */

    v = SSL_get_verify_result(c->ssl->connection);

    if (v != X509_V_OK) {
        return X509_verify_cert_error_string(v);
    }

    if (SSL_get0_peer_certificate(c->ssl->connection) == NULL) {
        return "no certificate";
    }

    return NULL;
}


/* "127.0.0.1", "::1" or "[::1]": the address, NUL-terminated, in buf */

static ngx_uint_t
ngx_http_ticket_tls_is_ip(ngx_str_t *name, u_char *buf, size_t size)
{
    u_char     *p;
    size_t      len;
#if (NGX_HAVE_INET6)
    u_char      addr6[16];
#endif

    p = name->data;
    len = name->len;

    if (len > 2 && p[0] == '[' && p[len - 1] == ']') {
        p++;
        len -= 2;
    }

    if (len == 0 || len >= size) {
        return 0;
    }

    if (ngx_inet_addr(p, len) == INADDR_NONE
#if (NGX_HAVE_INET6)
        && ngx_inet6_addr(p, len, addr6) != NGX_OK
#endif
       )
    {
        return 0;
    }

    ngx_memcpy(buf, p, len);
    buf[len] = '\0';

    return 1;
}
