
/*
 * ngx_ticket_module: forwarded claims.
 */

#ifndef _NGX_HTTP_TICKET_FORWARD_H_INCLUDED_
#define _NGX_HTTP_TICKET_FORWARD_H_INCLUDED_


#include "ngx_http_ticket_types.h"


typedef ngx_uint_t (*ngx_http_ticket_header_match_pt)(void *data,
    ngx_table_elt_t *h);


/* the caller skips it where no scope forwards a claim (a call's cost on
 * every request of every location otherwise) */
ngx_int_t ngx_http_ticket_strip_headers(ngx_http_request_t *r,
    ngx_http_ticket_main_conf_t *tmcf);
ngx_int_t ngx_http_ticket_remove_headers(ngx_http_request_t *r,
    ngx_http_ticket_header_match_pt match, void *data);
ngx_int_t ngx_http_ticket_forward_claims(ngx_http_request_t *r,
    ngx_http_ticket_loc_conf_t *tlcf, ngx_http_ticket_ctx_t *ctx);


#endif /* _NGX_HTTP_TICKET_FORWARD_H_INCLUDED_ */
