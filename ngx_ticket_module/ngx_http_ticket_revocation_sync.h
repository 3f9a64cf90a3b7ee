
/*
 * ngx_ticket_module: the Redis follower that keeps the revocation zone in
 * sync, in one elected worker.
 */

#ifndef _NGX_HTTP_TICKET_REVOCATION_SYNC_H_INCLUDED_
#define _NGX_HTTP_TICKET_REVOCATION_SYNC_H_INCLUDED_


#include "ngx_http_ticket_types.h"


ngx_int_t ngx_http_ticket_rev_init_process(ngx_cycle_t *cycle);
void ngx_http_ticket_rev_exit_process(ngx_cycle_t *cycle);


#endif /* _NGX_HTTP_TICKET_REVOCATION_SYNC_H_INCLUDED_ */
