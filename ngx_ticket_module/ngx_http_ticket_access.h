
/*
 * ngx_ticket_module: the ticket check in the access phase.
 */

#ifndef _NGX_HTTP_TICKET_ACCESS_H_INCLUDED_
#define _NGX_HTTP_TICKET_ACCESS_H_INCLUDED_


#include "ngx_http_ticket_types.h"


ngx_int_t ngx_http_ticket_handler(ngx_http_request_t *r);

/* the decision of this request in the scope tlcf, made on first use;
 * NULL: no memory */
ngx_http_ticket_ctx_t *ngx_http_ticket_evaluate(ngx_http_request_t *r,
    ngx_http_ticket_loc_conf_t *tlcf);


#endif /* _NGX_HTTP_TICKET_ACCESS_H_INCLUDED_ */
