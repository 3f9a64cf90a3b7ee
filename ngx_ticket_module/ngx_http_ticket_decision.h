
/*
 * ngx_ticket_module: the decision record of a request.
 */

#ifndef _NGX_HTTP_TICKET_DECISION_H_INCLUDED_
#define _NGX_HTTP_TICKET_DECISION_H_INCLUDED_


#include "ngx_http_ticket_types.h"


/* the decision so far, also after an internal redirect or error_page */
ngx_http_ticket_ctx_t *ngx_http_ticket_get_ctx(ngx_http_request_t *r);

/* the record, fresh for the scope tlcf; ctx: what get_ctx() returned */
ngx_http_ticket_ctx_t *ngx_http_ticket_ctx(ngx_http_request_t *r,
    ngx_http_ticket_ctx_t *ctx, ngx_http_ticket_loc_conf_t *tlcf);

/* precontent phase: notes a refusal that satisfy any let pass */
ngx_int_t ngx_http_ticket_admitted_handler(ngx_http_request_t *r);

/* a ticket whose parse lives in r's pool (no malloc on the request path) */
void ngx_http_ticket_ticket_init(ngx_http_request_t *r, ticket_t *t);

ngx_uint_t ngx_http_ticket_trusted(ngx_http_ticket_ctx_t *ctx);
void ngx_http_ticket_log_decision(ngx_http_request_t *r,
    ngx_http_ticket_ctx_t *ctx);


#endif /* _NGX_HTTP_TICKET_DECISION_H_INCLUDED_ */
