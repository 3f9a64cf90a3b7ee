
/*
 * ngx_ticket_module: request text: the text of a claim (control bytes
 * as \xHH), and a cookie's or an argument's name as a backend reads it.
 */

#ifndef _NGX_HTTP_TICKET_TEXT_H_INCLUDED_
#define _NGX_HTTP_TICKET_TEXT_H_INCLUDED_


#include "ngx_http_ticket_types.h"


ngx_int_t ngx_http_ticket_value(ngx_pool_t *pool, const ticket_jv_t *value,
    ngx_str_t *text);
ngx_int_t ngx_http_ticket_safe_str(ngx_pool_t *pool, const char *data,
    size_t len, ngx_str_t *text);

/* the name between p and last is name to some backend (decode: an
 * argument's, percent-decoded); for ticket sources and preflights */
ngx_uint_t ngx_http_ticket_name_is(u_char *p, u_char *last, ngx_str_t *name,
    ngx_uint_t decode);
/* white space to some backend around such a name */
ngx_uint_t ngx_http_ticket_space(u_char c);


#endif /* _NGX_HTTP_TICKET_TEXT_H_INCLUDED_ */
