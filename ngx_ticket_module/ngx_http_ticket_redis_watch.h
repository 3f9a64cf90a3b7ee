
/*
 * ngx_ticket_module: each worker's ear on the Sentinels (sentinel=): a
 * connection SUBSCRIBEd to +switch-master that moves the worker's Redis
 * connections to the new primary as soon as a failover ends.
 */

#ifndef _NGX_HTTP_TICKET_REDIS_WATCH_H_INCLUDED_
#define _NGX_HTTP_TICKET_REDIS_WATCH_H_INCLUDED_


#include "ngx_http_ticket_redis.h"


/*
 * rd is moved on +switch-master; the watching connection is open while
 * a connection watched is.  Only with sentinel=, at most two per worker
 * (the revocation sync's and the writer's), for the worker's life.
 */
ngx_int_t ngx_http_ticket_redis_watch(ngx_http_ticket_redis_t *rd);

/* the worker is exiting: the watching connection closed */
void ngx_http_ticket_redis_watch_exit(void);


#endif /* _NGX_HTTP_TICKET_REDIS_WATCH_H_INCLUDED_ */
