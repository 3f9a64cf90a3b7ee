
/*
 * ngx_ticket_module: ngx_http_ticket_keys_url_module, keys from a key
 * service (ticket_keys_url, ticket_oidc_issuer), shared by all workers
 * through a zone and refreshed in the background.
 */

#ifndef _NGX_HTTP_TICKET_KEYS_URL_H_INCLUDED_
#define _NGX_HTTP_TICKET_KEYS_URL_H_INCLUDED_


#include "ngx_http_ticket_types.h"


extern ngx_module_t  ngx_http_ticket_keys_url_module;


/* the request path: a newer document of the zone parsed, a stale set
 * emptied; then the scope's keyset is current */
void ngx_http_ticket_keys_url_sync(void *keysrc, ngx_log_t *log);
/* the same for a scope: with key files too, its set of both rebuilt */
void ngx_http_ticket_keys_url_sync_scope(ngx_http_ticket_loc_conf_t *tlcf,
    ngx_log_t *log);
/* NGX_AGAIN: the first use, before any document: the request waits */
ngx_int_t ngx_http_ticket_keys_url_wait(ngx_http_request_t *r,
    void *keysrc);
/* the same test, the waiting left to the caller (a content handler):
 * poll again after NGX_HTTP_TICKET_KEYS_POLL ms */
ngx_int_t ngx_http_ticket_keys_url_pending(ngx_http_request_t *r,
    void *keysrc);
#define NGX_HTTP_TICKET_KEYS_POLL       50        /* ms */
/* the same for a scope: not for a ticket (token) one of its key files
 * names */
ngx_int_t ngx_http_ticket_keys_url_pending_for(ngx_http_request_t *r,
    ngx_http_ticket_loc_conf_t *tlcf, ngx_str_t *token);
/* a ticket named a kid the set lacks: fetch at once (rate-limited) */
void ngx_http_ticket_keys_url_unknown(void *keysrc);
/* configuration: the key files' set of a scope with a key service */
ticket_keyset_t *ngx_http_ticket_keys_url_files(ngx_conf_t *cf,
    ngx_http_ticket_loc_conf_t *tlcf);
/* ticket_status: room for, and the lines of, every source */
size_t ngx_http_ticket_keys_url_status_size(ngx_http_request_t *r);
u_char *ngx_http_ticket_keys_url_status(ngx_http_request_t *r, u_char *p);


#endif /* _NGX_HTTP_TICKET_KEYS_URL_H_INCLUDED_ */
