
/*
 * ngx_ticket_module: revocations written to Redis from a worker, without
 * blocking it: "write these entries, call back when Redis acknowledged".
 * The SSF receiver and the back-channel logout endpoint use it; so can
 * anything else in the gateway that revokes (an alert's revoke action).
 */

#ifndef _NGX_HTTP_TICKET_REVOCATION_WRITE_H_INCLUDED_
#define _NGX_HTTP_TICKET_REVOCATION_WRITE_H_INCLUDED_


#include "ngx_http_ticket_types.h"

#include <ticket_revocation.h>


#define NGX_HTTP_TICKET_REV_WRITE_MAX   8      /* entries of one write */


/*
 * rc: NGX_OK (Redis acknowledged the EXEC), NGX_DECLINED (the seen id
 * was already there: written before, nothing done), NGX_ERROR (Redis
 * could not take it: down, timed out, refused)
 */
typedef void (*ngx_http_ticket_rev_write_pt)(void *data, ngx_int_t rc);

typedef struct ngx_http_ticket_rev_write_s  ngx_http_ticket_rev_write_t;


/*
 * Queue a write of n entries (copied) through this worker's writer
 * connection, in the SPEC's layout: each change and its PREFIXevents
 * entry in one MULTI/EXEC, a cut-off never moved back.  seen (NULL, or
 * len 0: none) is a key suffix remembered for ttl seconds in the same
 * transaction, PREFIXseen:SEEN: a write whose seen key exists is not
 * done again (NGX_DECLINED).  handler is called exactly once, never
 * from within this call.  Returns the write (for cancel), or NULL when
 * there is no ticket_redis or no memory.
 */
ngx_http_ticket_rev_write_t *ngx_http_ticket_rev_write(ngx_log_t *log,
    const ticket_rev_entry_t *entries, size_t n, const ngx_str_t *seen,
    time_t ttl, ngx_http_ticket_rev_write_pt handler, void *data);

/* the caller went away: the write goes on, no one is called */
void ngx_http_ticket_rev_write_cancel(ngx_http_ticket_rev_write_t *w);

/* the worker exits: close the connection, fail what is queued */
void ngx_http_ticket_rev_write_exit(ngx_cycle_t *cycle);


#endif /* _NGX_HTTP_TICKET_REVOCATION_WRITE_H_INCLUDED_ */
