
/*
 * ngx_ticket_module: CORS preflights under "ticket_preflight pass".
 */

#ifndef _NGX_HTTP_TICKET_PREFLIGHT_H_INCLUDED_
#define _NGX_HTTP_TICKET_PREFLIGHT_H_INCLUDED_


#include "ngx_http_ticket_types.h"


/* NGX_OK: a preflight, its credentials removed, to pass unchecked;
 * NGX_DECLINED: not a preflight; NGX_ERROR */
ngx_int_t ngx_http_ticket_preflight(ngx_http_request_t *r,
    ngx_http_ticket_loc_conf_t *tlcf);


#endif /* _NGX_HTTP_TICKET_PREFLIGHT_H_INCLUDED_ */
