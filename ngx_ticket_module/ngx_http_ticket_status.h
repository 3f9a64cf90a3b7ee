
/*
 * ngx_ticket_module: ticket_status and the shared counters behind it.
 */

#ifndef _NGX_HTTP_TICKET_STATUS_H_INCLUDED_
#define _NGX_HTTP_TICKET_STATUS_H_INCLUDED_


#include "ngx_http_ticket_types.h"


char *ngx_http_ticket_status(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);


/*
 * The counters exist where ticket_status is configured, and only there:
 * NULL elsewhere, and every writer checks.
 */

static ngx_inline ngx_http_ticket_metrics_t *
ngx_http_ticket_metrics(ngx_http_ticket_main_conf_t *tmcf)
{
    return (tmcf->metrics_zone != NULL) ? tmcf->metrics_zone->data : NULL;
}


#endif /* _NGX_HTTP_TICKET_STATUS_H_INCLUDED_ */
