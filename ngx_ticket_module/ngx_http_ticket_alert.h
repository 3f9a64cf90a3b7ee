
/*
 * ngx_ticket_module: detection across the workers of a gateway
 * (ticket_alert): over-privilege bursts of a subject, and one ticket
 * presented from several client addresses.
 */

#ifndef _NGX_HTTP_TICKET_ALERT_H_INCLUDED_
#define _NGX_HTTP_TICKET_ALERT_H_INCLUDED_


#include "ngx_http_ticket_types.h"


char *ngx_http_ticket_alert(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);

/*
 * Counts one event of a rule for key (the subject's "TENANT/SUB", or the
 * ticket's jti with the client address addr): the count that crosses the
 * rule's threshold, once a window, else 0.
 */
ngx_uint_t ngx_http_ticket_alert_count(ngx_http_request_t *r,
    ngx_http_ticket_loc_conf_t *tlcf, ngx_uint_t rule, ngx_str_t *key,
    ngx_str_t *addr);

/*
 * The revoke action: the subject ("TENANT/SUB", cut-off value) or the
 * jti (value its exp) written to Redis as ticketctl revoke writes it,
 * actor "gateway:NAME", through the worker's revocation writer; the
 * request goes on at once, a write Redis does not take is logged.
 */
void ngx_http_ticket_alert_revoke(ngx_http_request_t *r, ngx_uint_t rule,
    ngx_str_t *member, int64_t value);


#endif /* _NGX_HTTP_TICKET_ALERT_H_INCLUDED_ */
