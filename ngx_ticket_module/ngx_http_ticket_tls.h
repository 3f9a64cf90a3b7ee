
/*
 * ngx_ticket_module: the TLS client side the module's outgoing
 * connections share (the key service, Redis), on nginx's SSL layer.
 */

#ifndef _NGX_HTTP_TICKET_TLS_H_INCLUDED_
#define _NGX_HTTP_TICKET_TLS_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_event.h>


/*
 * A client context, made at configuration time: the server verified
 * against trusted (PEM) or, when empty, the system store; a client
 * certificate when cert is not empty (key then too).
 */
ngx_ssl_t *ngx_http_ticket_tls_create(ngx_conf_t *cf, ngx_str_t *trusted,
    ngx_str_t *cert, ngx_str_t *key);

/*
 * TLS on a connected c, for the server called name (NUL-terminated): SNI
 * and the certificate's host name, or its IP address for an address.
 */
ngx_int_t ngx_http_ticket_tls_connection(ngx_ssl_t *ssl, ngx_connection_t *c,
    ngx_str_t *name);

/* after the handshake: NULL, or why the certificate is not trusted */
const char *ngx_http_ticket_tls_unverified(ngx_connection_t *c);


#endif /* _NGX_HTTP_TICKET_TLS_H_INCLUDED_ */
