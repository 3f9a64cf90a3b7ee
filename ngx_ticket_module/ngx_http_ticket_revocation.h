
/*
 * ngx_ticket_module: what ngx_http_ticket_module asks of the revocation
 * module at configuration time.  The request path's check is in
 * ngx_http_ticket_revocation_zone.h.
 */

#ifndef _NGX_HTTP_TICKET_REVOCATION_H_INCLUDED_
#define _NGX_HTTP_TICKET_REVOCATION_H_INCLUDED_


#include "ngx_http_ticket_types.h"


/* ticket_shm_size, for the cache zone sized from it */
size_t ngx_http_ticket_revocation_shm_size(ngx_conf_t *cf);

/* merge tells the largest leeway and lifetime: rows older are pruned */
void ngx_http_ticket_revocation_note_times(ngx_conf_t *cf, time_t leeway,
    time_t max_lifetime);


#endif /* _NGX_HTTP_TICKET_REVOCATION_H_INCLUDED_ */
