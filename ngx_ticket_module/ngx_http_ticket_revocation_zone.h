
/*
 * ngx_ticket_module: the revocation zone, as limit_req's: red-black trees
 * of row hashes in shared memory, reused on reload, short locked sections.
 */

#ifndef _NGX_HTTP_TICKET_REVOCATION_ZONE_H_INCLUDED_
#define _NGX_HTTP_TICKET_REVOCATION_ZONE_H_INCLUDED_


#include "ngx_http_ticket_types.h"

#include <ticket_revocation.h>


typedef struct {
    ngx_rbtree_node_t               node;     /* key: row hash */
    int64_t                         value;    /* exp, or cut-off */
} ngx_http_ticket_rev_node_t;


typedef struct {
    ngx_rbtree_t                    tree[TICKET_REV_LISTS];
    ngx_rbtree_node_t               sentinel[TICKET_REV_LISTS];
    ngx_atomic_t                    count[TICKET_REV_LISTS];
    ngx_atomic_t                    owner;      /* pid of the syncing worker */
    ngx_atomic_t                    heartbeat;  /* its ngx_current_msec */
    ngx_atomic_t                    contact;    /* last answer from Redis */
    ngx_atomic_t                    loaded;
    ngx_atomic_t                    full;
    ngx_atomic_t                    redis_up;

    /*
     * Rows pruned since the last full load could match a ticket whose
     * iat less leeway is at or before this (0: none).  Under the
     * lifetimes they were pruned with, no such ticket is valid; after a
     * reload that raised ticket_max_lifetime one may be, and its row is
     * back only with the next full load.
     */
    int64_t                         pruned;
} ngx_http_ticket_rev_sh_t;


typedef struct {
    ngx_http_ticket_rev_sh_t       *sh;
    ngx_slab_pool_t                *shpool;
} ngx_http_ticket_rev_zone_t;


typedef struct {
    ngx_uint_t                  entries[5];   /* jti sub sid tenant kid */
    ngx_msec_int_t              age;          /* since Redis last answered;
                                                 -1: never */
    ngx_uint_t                  redis_up;
    ngx_uint_t                  loaded;
    ngx_uint_t                  full;
} ngx_http_ticket_revocation_stats_t;


/* the request path: TICKET_OK, TICKET_REVOKED or
 * TICKET_REVOCATION_UNAVAILABLE */
ticket_reason_t ngx_http_ticket_revocation_check(ngx_http_request_t *r,
    const ticket_t *t);

/* NGX_DECLINED without ticket_redis */
ngx_int_t ngx_http_ticket_revocation_stats(ngx_http_request_t *r,
    ngx_http_ticket_revocation_stats_t *st);

ngx_int_t ngx_http_ticket_rev_init_zone(ngx_shm_zone_t *shm_zone, void *data);
ngx_http_ticket_rev_node_t *ngx_http_ticket_rev_lookup(ngx_rbtree_t *tree,
    uint64_t hash);
ngx_int_t ngx_http_ticket_rev_insert_locked(ngx_http_ticket_rev_zone_t *zone,
    ticket_rev_list_t list, uint64_t hash, int64_t value);


#endif /* _NGX_HTTP_TICKET_REVOCATION_ZONE_H_INCLUDED_ */
