
/*
 * ngx_ticket_module: revocation lists in shared memory, synced from Redis.
 */

#ifndef _NGX_HTTP_TICKET_REVOCATION_H_INCLUDED_
#define _NGX_HTTP_TICKET_REVOCATION_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <ticket.h>


typedef struct {
    ngx_uint_t                  entries[5];   /* jti sub sid tenant kid */
    ngx_msec_int_t              age;          /* since Redis last answered;
                                                 -1: never */
    ngx_uint_t                  redis_up;
    ngx_uint_t                  loaded;
    ngx_uint_t                  full;
} ngx_http_ticket_revocation_stats_t;


extern ngx_module_t  ngx_http_ticket_revocation_module;


/* NGX_DECLINED without ticket_redis */
ngx_int_t ngx_http_ticket_revocation_stats(ngx_http_request_t *r,
    ngx_http_ticket_revocation_stats_t *st);


/* TICKET_OK, TICKET_REVOKED or TICKET_REVOCATION_UNAVAILABLE */
ticket_reason_t ngx_http_ticket_revocation_check(ngx_http_request_t *r,
    const ticket_t *t);

/* ticket_shm_size, for the cache zone sized from it */
size_t ngx_http_ticket_revocation_shm_size(ngx_conf_t *cf);

/* merge tells the largest leeway and lifetime: rows older are pruned */
void ngx_http_ticket_revocation_note_times(ngx_conf_t *cf, time_t leeway,
    time_t max_lifetime);


#endif /* _NGX_HTTP_TICKET_REVOCATION_H_INCLUDED_ */
