
/*
 * ngx_ticket_module: the key service client.  One HTTPS GET at a time per
 * source, as nginx's upstream does it: ngx_event_connect_peer(), then
 * TLS (ngx_http_ticket_tls.c) and ngx_ssl_handshake(), every step under a
 * timer.  The certificate must chain to the trusted certificates (or the
 * system store) and name the host; the request is HTTP/1.0 with
 * "Connection: close", so the response ends when the server closes, and
 * it is read into a buffer that never grows past max_size: a bigger one
 * is refused, not truncated.  With a resolver (ngx_resolve_name(), the
 * "resolver" directive's servers) the host is resolved before each GET,
 * so a key service that moves is followed within the answer's validity.
 */


#include "ngx_http_ticket_fetch.h"
#include "ngx_http_ticket_tls.h"


static void ngx_http_ticket_fetch_resolved(ngx_resolver_ctx_t *ctx);
static ngx_int_t ngx_http_ticket_fetch_set_addr(ngx_http_ticket_fetch_t *f,
    struct sockaddr *sockaddr, socklen_t socklen);
static void ngx_http_ticket_fetch_connect(ngx_http_ticket_fetch_t *f);
static void ngx_http_ticket_fetch_connected(ngx_event_t *ev);
static void ngx_http_ticket_fetch_handshaked(ngx_connection_t *c);
static void ngx_http_ticket_fetch_write(ngx_event_t *ev);
static void ngx_http_ticket_fetch_read(ngx_event_t *ev);
static void ngx_http_ticket_fetch_finish(ngx_http_ticket_fetch_t *f,
    ngx_uint_t result);
static void ngx_http_ticket_fetch_close(ngx_http_ticket_fetch_t *f);


ngx_int_t
ngx_http_ticket_fetch_start(ngx_http_ticket_fetch_t *f, ngx_str_t *path,
    ngx_log_t *log)
{
    u_char              *p;
    in_addr_t            inaddr;
    ngx_resolver_ctx_t  *ctx, temp;
    struct sockaddr_in   sin;

    if (f->running) {
        return NGX_ERROR;
    }

    f->pool = ngx_create_pool(1024, log);
    if (f->pool == NULL) {
        return NGX_ERROR;
    }

    f->log = log;
    f->path = *path;
    f->len = 0;
    f->sent = 0;
    f->size = ngx_min(16384, f->max_size + 1);

    f->buf = ngx_alloc(f->size, log);
    if (f->buf == NULL) {
        ngx_destroy_pool(f->pool);
        f->pool = NULL;
        return NGX_ERROR;
    }

    f->request_len = sizeof("GET  HTTP/1.0" CRLF "Host: " CRLF
                            "Accept: application/json" CRLF
                            "Connection: close" CRLF
                            "User-Agent: ngx_ticket_module" CRLF CRLF) - 1
                     + path->len + f->host.len;

    f->request = ngx_pnalloc(f->pool, f->request_len);
    if (f->request == NULL) {
        ngx_http_ticket_fetch_close(f);
        return NGX_ERROR;
    }

    p = ngx_sprintf(f->request, "GET %V HTTP/1.0" CRLF "Host: %V" CRLF
                    "Accept: application/json" CRLF
                    "Connection: close" CRLF
                    "User-Agent: ngx_ticket_module" CRLF CRLF,
                    path, &f->host);
    f->request_len = p - f->request;

    f->running = 1;

    if (f->resolver == NULL) {
        ngx_http_ticket_fetch_connect(f);
        return NGX_OK;
    }

    /*
     * An address (a discovery document's jwks_uri may name one) needs no
     * resolver: ngx_resolve_start() would answer it in a context on this
     * stack, which ngx_resolve_name_done() must not free.
     */

    inaddr = ngx_inet_addr(f->host.data, f->host.len);

    if (inaddr != INADDR_NONE) {
        ngx_memzero(&sin, sizeof(struct sockaddr_in));
        sin.sin_family = AF_INET;
        sin.sin_addr.s_addr = inaddr;

        if (ngx_http_ticket_fetch_set_addr(f, (struct sockaddr *) &sin,
                                           sizeof(struct sockaddr_in))
            != NGX_OK)
        {
            ngx_http_ticket_fetch_close(f);
            return NGX_ERROR;
        }

        ngx_http_ticket_fetch_connect(f);
        return NGX_OK;
    }

    temp.name = f->host;

    ctx = ngx_resolve_start(f->resolver, &temp);
    if (ctx == NULL) {
        ngx_http_ticket_fetch_close(f);
        return NGX_ERROR;
    }

    if (ctx == NGX_NO_RESOLVER) {
        ngx_log_error(NGX_LOG_ERR, log, 0,
                      "key service %V: no resolver defined to resolve it",
                      &f->host);
        ngx_http_ticket_fetch_finish(f, NGX_HTTP_TICKET_FETCH_CONNECT);
        return NGX_OK;
    }

    ctx->name = f->host;
    ctx->handler = ngx_http_ticket_fetch_resolved;
    ctx->data = f;
    ctx->timeout = f->resolver_timeout;

    f->resolving = ctx;

    /* the handler may run now, from the resolver's cache */

    if (ngx_resolve_name(ctx) != NGX_OK) {
        f->resolving = NULL;
        ngx_http_ticket_fetch_finish(f, NGX_HTTP_TICKET_FETCH_CONNECT);
    }

    return NGX_OK;
}


static void
ngx_http_ticket_fetch_resolved(ngx_resolver_ctx_t *ctx)
{
    ngx_http_ticket_fetch_t *f = ctx->data;

    ngx_int_t    rc;
    ngx_uint_t   i;

    f->resolving = NULL;

    if (ctx->state || ctx->naddrs == 0) {
        ngx_log_error(NGX_LOG_ERR, f->log, 0,
                      "key service %V could not be resolved (%i: %s)",
                      &f->host, ctx->state, ngx_resolver_strerror(ctx->state));
        ngx_resolve_name_done(ctx);
        ngx_http_ticket_fetch_finish(f, NGX_HTTP_TICKET_FETCH_CONNECT);
        return;
    }

    /* an IPv4 address first, as at configuration time */

    i = 0;

    while (i < ctx->naddrs - 1
           && ctx->addrs[i].sockaddr->sa_family != AF_INET)
    {
        i++;
    }

    if (ctx->addrs[i].sockaddr->sa_family != AF_INET) {
        i = 0;
    }

    rc = ngx_http_ticket_fetch_set_addr(f, ctx->addrs[i].sockaddr,
                                        ctx->addrs[i].socklen);

    ngx_resolve_name_done(ctx);

    if (rc != NGX_OK) {
        ngx_http_ticket_fetch_finish(f, NGX_HTTP_TICKET_FETCH_CONNECT);
        return;
    }

    ngx_http_ticket_fetch_connect(f);
}


/* this GET's address: a copy in its pool, with f->port */

static ngx_int_t
ngx_http_ticket_fetch_set_addr(ngx_http_ticket_fetch_t *f,
    struct sockaddr *sockaddr, socklen_t socklen)
{
    u_char           *p;
    struct sockaddr  *sa;

    sa = ngx_palloc(f->pool, socklen);
    p = ngx_pnalloc(f->pool, NGX_SOCKADDR_STRLEN);

    if (sa == NULL || p == NULL) {
        return NGX_ERROR;
    }

    ngx_memcpy(sa, sockaddr, socklen);
    ngx_inet_set_port(sa, f->port);

    f->addr.sockaddr = sa;
    f->addr.socklen = socklen;
    f->addr.name.data = p;
    f->addr.name.len = ngx_sock_ntop(sa, socklen, p, NGX_SOCKADDR_STRLEN, 1);

    return NGX_OK;
}


static void
ngx_http_ticket_fetch_connect(ngx_http_ticket_fetch_t *f)
{
    ngx_int_t          rc;
    ngx_connection_t  *c;

    ngx_memzero(&f->peer, sizeof(ngx_peer_connection_t));
    f->peer.sockaddr = f->addr.sockaddr;
    f->peer.socklen = f->addr.socklen;
    f->peer.name = &f->addr.name;
    f->peer.get = ngx_event_get_peer;
    f->peer.log = f->log;
    f->peer.log_error = NGX_ERROR_ERR;

    rc = ngx_event_connect_peer(&f->peer);

    if (rc == NGX_ERROR || rc == NGX_BUSY || rc == NGX_DECLINED) {
        /* ngx_event_connect_peer() logged why */
        ngx_http_ticket_fetch_finish(f, NGX_HTTP_TICKET_FETCH_CONNECT);
        return;
    }

    c = f->peer.connection;
    c->data = f;
    c->pool = f->pool;
    c->read->handler = ngx_http_ticket_fetch_connected;
    c->write->handler = ngx_http_ticket_fetch_connected;

    /* a worker that is told to quit does not wait for the key service */
    c->read->cancelable = 1;
    c->write->cancelable = 1;

    ngx_add_timer(c->write, f->timeout);

    if (rc == NGX_OK) {
        ngx_http_ticket_fetch_connected(c->write);
    }
}


static void
ngx_http_ticket_fetch_connected(ngx_event_t *ev)
{
    int                       err;
    socklen_t                 len;
    ngx_int_t                 rc;
    ngx_connection_t         *c;
    ngx_http_ticket_fetch_t  *f;

    c = ev->data;
    f = c->data;

    if (ev->timedout) {
        ngx_log_error(NGX_LOG_ERR, f->log, NGX_ETIMEDOUT,
                      "key service %V: connect timed out", &f->host);
        ngx_http_ticket_fetch_finish(f, NGX_HTTP_TICKET_FETCH_TIMEOUT);
        return;
    }

    err = 0;
    len = sizeof(int);

    if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, (void *) &err, &len) == -1) {
        err = ngx_socket_errno;
    }

    if (err) {
        ngx_log_error(NGX_LOG_ERR, f->log, err,
                      "key service %V: connect() to %V failed", &f->host,
                      &f->addr.name);
        ngx_http_ticket_fetch_finish(f, NGX_HTTP_TICKET_FETCH_CONNECT);
        return;
    }

    if (c->write->timer_set) {
        ngx_del_timer(c->write);
    }

    if (ngx_http_ticket_tls_connection(f->ssl, c, &f->host) != NGX_OK) {
        ngx_http_ticket_fetch_finish(f, NGX_HTTP_TICKET_FETCH_TLS);
        return;
    }

    c->log->action = "TLS handshake with the key service";

    rc = ngx_ssl_handshake(c);

    if (rc == NGX_AGAIN) {
        ngx_add_timer(c->read, f->timeout);
        c->ssl->handler = ngx_http_ticket_fetch_handshaked;
        return;
    }

    ngx_http_ticket_fetch_handshaked(c);
}


static void
ngx_http_ticket_fetch_handshaked(ngx_connection_t *c)
{
    long                      v;
    const char               *why;
    ngx_http_ticket_fetch_t  *f;

    f = c->data;

    c->log->action = NULL;

    if (c->read->timer_set) {
        ngx_del_timer(c->read);
    }

    if (!c->ssl->handshaked) {
        if (c->read->timedout || c->write->timedout) {
            ngx_log_error(NGX_LOG_ERR, f->log, NGX_ETIMEDOUT,
                          "key service %V: TLS handshake timed out",
                          &f->host);
            ngx_http_ticket_fetch_finish(f, NGX_HTTP_TICKET_FETCH_TIMEOUT);
            return;
        }

        /*
         * SSL_VERIFY_PEER failed it on the certificate (another CA,
         * another name, expired): the line says which, as nginx's own
         * "SSL_do_handshake() failed" cannot
         */

        v = SSL_get_verify_result(c->ssl->connection);

        if (v != X509_V_OK) {
            ngx_log_error(NGX_LOG_ERR, f->log, 0,
                          "key service %V: TLS handshake failed: "
                          "certificate not verified: %s", &f->host,
                          X509_verify_cert_error_string(v));

        } else {
            ngx_log_error(NGX_LOG_ERR, f->log, 0,
                          "key service %V: TLS handshake failed", &f->host);
        }

        ngx_http_ticket_fetch_finish(f, NGX_HTTP_TICKET_FETCH_TLS);
        return;
    }

    why = ngx_http_ticket_tls_unverified(c);

    if (why != NULL) {
        ngx_log_error(NGX_LOG_ERR, f->log, 0,
                      "key service %V: certificate not verified: %s",
                      &f->host, why);
        ngx_http_ticket_fetch_finish(f, NGX_HTTP_TICKET_FETCH_TLS);
        return;
    }

    c->read->handler = ngx_http_ticket_fetch_read;
    c->write->handler = ngx_http_ticket_fetch_write;

    ngx_http_ticket_fetch_write(c->write);
}


static void
ngx_http_ticket_fetch_write(ngx_event_t *ev)
{
    ssize_t                   n;
    ngx_connection_t         *c;
    ngx_http_ticket_fetch_t  *f;

    c = ev->data;
    f = c->data;

    if (ev->timedout) {
        ngx_log_error(NGX_LOG_ERR, f->log, NGX_ETIMEDOUT,
                      "key service %V: sending the request timed out",
                      &f->host);
        ngx_http_ticket_fetch_finish(f, NGX_HTTP_TICKET_FETCH_TIMEOUT);
        return;
    }

    while (f->sent < f->request_len) {
        n = c->send(c, f->request + f->sent, f->request_len - f->sent);

        if (n == NGX_AGAIN) {
            if (ngx_handle_write_event(ev, 0) != NGX_OK) {
                ngx_http_ticket_fetch_finish(f,
                                             NGX_HTTP_TICKET_FETCH_CONNECT);
                return;
            }

            ngx_add_timer(ev, f->timeout);
            return;
        }

        if (n <= 0) {
            ngx_http_ticket_fetch_finish(f, NGX_HTTP_TICKET_FETCH_CONNECT);
            return;
        }

        f->sent += n;
    }

    if (ev->timer_set) {
        ngx_del_timer(ev);
    }

    ngx_add_timer(c->read, f->timeout);

    if (c->read->ready) {
        ngx_http_ticket_fetch_read(c->read);
    }
}


static void
ngx_http_ticket_fetch_read(ngx_event_t *ev)
{
    u_char                   *buf;
    size_t                    size;
    ssize_t                   n;
    ngx_connection_t         *c;
    ngx_http_ticket_fetch_t  *f;

    c = ev->data;
    f = c->data;

    if (ev->timedout) {
        ngx_log_error(NGX_LOG_ERR, f->log, NGX_ETIMEDOUT,
                      "key service %V: reading the response timed out",
                      &f->host);
        ngx_http_ticket_fetch_finish(f, NGX_HTTP_TICKET_FETCH_TIMEOUT);
        return;
    }

    for ( ;; ) {

        if (f->len == f->size) {

            /* one byte more than allowed tells a too large response */

            if (f->size > f->max_size) {
                ngx_log_error(NGX_LOG_ERR, f->log, 0,
                              "key service %V: response larger than %uz "
                              "bytes", &f->host, f->max_size);
                ngx_http_ticket_fetch_finish(f,
                                             NGX_HTTP_TICKET_FETCH_TOO_LARGE);
                return;
            }

            size = ngx_min(f->size * 2, f->max_size + 1);

            buf = ngx_alloc(size, f->log);
            if (buf == NULL) {
                ngx_http_ticket_fetch_finish(f,
                                             NGX_HTTP_TICKET_FETCH_CONNECT);
                return;
            }

            ngx_memcpy(buf, f->buf, f->len);
            ngx_free(f->buf);
            f->buf = buf;
            f->size = size;
        }

        n = c->recv(c, f->buf + f->len, f->size - f->len);

        if (n == NGX_AGAIN) {
            if (ngx_handle_read_event(ev, 0) != NGX_OK) {
                ngx_http_ticket_fetch_finish(f,
                                             NGX_HTTP_TICKET_FETCH_CONNECT);
                return;
            }

            ngx_add_timer(ev, f->timeout);
            return;
        }

        if (n == NGX_ERROR) {
            ngx_http_ticket_fetch_finish(f, NGX_HTTP_TICKET_FETCH_CONNECT);
            return;
        }

        if (n == 0) {
            ngx_http_ticket_fetch_finish(f, NGX_HTTP_TICKET_FETCH_OK);
            return;
        }

        f->len += n;
    }
}


/* the handler sees f->buf and f->len; both are freed when it returns */

static void
ngx_http_ticket_fetch_finish(ngx_http_ticket_fetch_t *f, ngx_uint_t result)
{
    ngx_connection_t  *c;

    c = f->peer.connection;

    if (c != NULL) {
        if (c->ssl) {
            c->ssl->no_wait_shutdown = 1;
            (void) ngx_ssl_shutdown(c);
        }

        ngx_close_connection(c);
        f->peer.connection = NULL;
    }

    f->handler(f, result);

    ngx_http_ticket_fetch_close(f);
}


void
ngx_http_ticket_fetch_abort(ngx_http_ticket_fetch_t *f)
{
    ngx_connection_t  *c;

    if (!f->running) {
        return;
    }

    if (f->resolving != NULL) {
        ngx_resolve_name_done(f->resolving);
        f->resolving = NULL;
    }

    c = f->peer.connection;

    if (c != NULL) {
        if (c->ssl) {
            c->ssl->no_wait_shutdown = 1;
            c->ssl->no_send_shutdown = 1;
            (void) ngx_ssl_shutdown(c);
        }

        ngx_close_connection(c);
        f->peer.connection = NULL;
    }

    ngx_http_ticket_fetch_close(f);
}


static void
ngx_http_ticket_fetch_close(ngx_http_ticket_fetch_t *f)
{
    if (f->buf != NULL) {
        ngx_free(f->buf);
        f->buf = NULL;
    }

    if (f->pool != NULL) {
        ngx_destroy_pool(f->pool);
        f->pool = NULL;
    }

    f->len = 0;
    f->running = 0;
}

