
/*
 * ngx_ticket_module: the text of a claim (control bytes as \xHH).
 */

#ifndef _NGX_HTTP_TICKET_TEXT_H_INCLUDED_
#define _NGX_HTTP_TICKET_TEXT_H_INCLUDED_


#include "ngx_http_ticket_types.h"


ngx_int_t ngx_http_ticket_value(ngx_pool_t *pool, json_t *value,
    ngx_str_t *text);
ngx_int_t ngx_http_ticket_safe_str(ngx_pool_t *pool, const char *data,
    size_t len, ngx_str_t *text);


#endif /* _NGX_HTTP_TICKET_TEXT_H_INCLUDED_ */
