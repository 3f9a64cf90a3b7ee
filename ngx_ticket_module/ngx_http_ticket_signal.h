
/*
 * ngx_ticket_module: ticket_ssf_receiver (RFC 8935 push delivery of
 * Security Event Tokens) and ticket_backchannel_logout (OpenID Connect
 * Back-Channel Logout 1.0) as content handlers.
 */

#ifndef _NGX_HTTP_TICKET_SIGNAL_H_INCLUDED_
#define _NGX_HTTP_TICKET_SIGNAL_H_INCLUDED_


#include "ngx_http_ticket_types.h"

#include <ticket_signal.h>


char *ngx_http_ticket_signal_receiver(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);


#endif /* _NGX_HTTP_TICKET_SIGNAL_H_INCLUDED_ */
