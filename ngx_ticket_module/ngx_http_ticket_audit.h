
/*
 * ngx_ticket_module: the audit trail.
 */

#ifndef _NGX_HTTP_TICKET_AUDIT_H_INCLUDED_
#define _NGX_HTTP_TICKET_AUDIT_H_INCLUDED_


#include "ngx_http_ticket_types.h"

#include <ticket_audit.h>


char *ngx_http_ticket_audit_log(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_ticket_audit_events(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_ticket_audit_gateway(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
ngx_int_t ngx_http_ticket_audit_init(ngx_conf_t *cf);
ngx_int_t ngx_http_ticket_audit_init_process(ngx_cycle_t *cycle);
ngx_int_t ngx_http_ticket_audit_init_module(ngx_cycle_t *cycle);
ngx_int_t ngx_http_ticket_audit_required(ngx_conf_t *cf,
    ngx_http_ticket_loc_conf_t *conf);
void ngx_http_ticket_audit_exit(ngx_cycle_t *cycle);

/*
 * A record that is not a request's decision (an identity provider's
 * signal): the caller fills event, reason, status and what it knows;
 * time, the request's members, gateway, writer, seq and the scope's
 * ticket_audit_format are filled here.
 * Written where the location's ticket_audit_log says, whatever
 * ticket_audit_events names.
 */
void ngx_http_ticket_audit_write_record(ngx_http_request_t *r,
    ngx_http_ticket_loc_conf_t *tlcf, ticket_audit_record_t *rec);


#endif /* _NGX_HTTP_TICKET_AUDIT_H_INCLUDED_ */
