
/*
 * ngx_ticket_module: $ticket_* variables.
 */

#ifndef _NGX_HTTP_TICKET_VARIABLES_H_INCLUDED_
#define _NGX_HTTP_TICKET_VARIABLES_H_INCLUDED_


#include "ngx_http_ticket_types.h"


ngx_int_t ngx_http_ticket_add_variables(ngx_conf_t *cf);


#endif /* _NGX_HTTP_TICKET_VARIABLES_H_INCLUDED_ */
