
/*
 * ngx_ticket_module: the verified-ticket cache.
 */

#ifndef _NGX_HTTP_TICKET_CACHE_H_INCLUDED_
#define _NGX_HTTP_TICKET_CACHE_H_INCLUDED_


#include "ngx_http_ticket_types.h"


ngx_int_t ngx_http_ticket_cache_init(ngx_conf_t *cf,
    ngx_http_ticket_main_conf_t *tmcf);
ngx_int_t ngx_http_ticket_cache_get(ngx_http_request_t *r,
    ngx_http_ticket_main_conf_t *tmcf, ngx_http_ticket_loc_conf_t *tlcf,
    ngx_str_t *token, ticket_t *t, ticket_reason_t *reason,
    u_char *token_fp);
void ngx_http_ticket_cache_put(ngx_http_request_t *r,
    ngx_http_ticket_main_conf_t *tmcf, ngx_http_ticket_loc_conf_t *tlcf,
    ngx_str_t *token, ticket_t *t);

void ngx_http_ticket_cache_set_fp(ngx_http_ticket_main_conf_t *tmcf,
    ngx_str_t *token, const u_char *token_fp);

/* entries held now: verified tickets, and failed signatures remembered
 * (both 0 without a cache zone) */
void ngx_http_ticket_cache_held(ngx_http_ticket_main_conf_t *tmcf,
    ngx_uint_t *verified, ngx_uint_t *failed);


#endif /* _NGX_HTTP_TICKET_CACHE_H_INCLUDED_ */
