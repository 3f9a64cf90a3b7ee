
/*
 * ngx_ticket_module: an HTTPS GET on nginx's event loop and SSL layer,
 * for the key service (ngx_http_ticket_keys_url.c).  The address is
 * resolved at configuration time, or before each GET by nginx's resolver
 * (the "resolver" directive); nothing here blocks a worker.
 */

#ifndef _NGX_HTTP_TICKET_FETCH_H_INCLUDED_
#define _NGX_HTTP_TICKET_FETCH_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_event.h>
#include <ngx_event_connect.h>


#define NGX_HTTP_TICKET_FETCH_OK         0
#define NGX_HTTP_TICKET_FETCH_CONNECT    1   /* refused, reset, no route */
#define NGX_HTTP_TICKET_FETCH_TLS        2   /* handshake, certificate */
#define NGX_HTTP_TICKET_FETCH_TIMEOUT    3
#define NGX_HTTP_TICKET_FETCH_TOO_LARGE  4
#define NGX_HTTP_TICKET_FETCH_NRESULTS   5


typedef struct ngx_http_ticket_fetch_s  ngx_http_ticket_fetch_t;

typedef void (*ngx_http_ticket_fetch_done_pt)(ngx_http_ticket_fetch_t *f,
    ngx_uint_t result);


struct ngx_http_ticket_fetch_s {
    /* set once, at configuration time */
    ngx_addr_t                     addr;      /* unless resolver is set */
    ngx_resolver_t                *resolver;  /* NULL: addr as resolved */
    ngx_msec_t                     resolver_timeout;
    in_port_t                      port;
    ngx_str_t                      host;      /* NUL-terminated: SNI, Host,
                                                 the certificate's name */
    ngx_ssl_t                     *ssl;
    ngx_msec_t                     timeout;   /* each step */
    size_t                         max_size;  /* the whole response */
    ngx_http_ticket_fetch_done_pt  handler;
    void                          *data;

    /* one GET */
    ngx_str_t                      path;
    ngx_log_t                     *log;
    ngx_peer_connection_t          peer;
    ngx_resolver_ctx_t            *resolving;
    ngx_pool_t                    *pool;
    u_char                        *request;
    size_t                         request_len;
    size_t                         sent;
    u_char                        *buf;       /* the response, ngx_alloc */
    size_t                         len;
    size_t                         size;
    ngx_uint_t                     running;   /* unsigned:1 */
};


/* NGX_OK: the handler is called later, exactly once; else NGX_ERROR */
ngx_int_t ngx_http_ticket_fetch_start(ngx_http_ticket_fetch_t *f,
    ngx_str_t *path, ngx_log_t *log);
/* closes a running GET without calling the handler (a worker exiting) */
void ngx_http_ticket_fetch_abort(ngx_http_ticket_fetch_t *f);


#endif /* _NGX_HTTP_TICKET_FETCH_H_INCLUDED_ */
