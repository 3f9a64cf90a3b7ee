
/*
 * ngx_ticket_module: key directives.
 */

#ifndef _NGX_HTTP_TICKET_KEYS_H_INCLUDED_
#define _NGX_HTTP_TICKET_KEYS_H_INCLUDED_


#include "ngx_http_ticket_types.h"


char *ngx_http_ticket_keys(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
char *ngx_http_ticket_key(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);


#endif /* _NGX_HTTP_TICKET_KEYS_H_INCLUDED_ */
