
/*
 * ngx_ticket_module: the revocation zone.  Every worker's request path
 * looks rows up here and nothing else: it never waits on Redis.  Rows are
 * added by the syncing worker (ngx_http_ticket_revocation_sync.c); a
 * full zone is never made room in by eviction: it fails closed.
 */


#include "ngx_http_ticket_types.h"
#include "ngx_http_ticket_revocation_zone.h"

#include <ticket_revocation.h>


/* when fail-open last warned, in this worker */
static ngx_msec_t  ngx_http_ticket_rev_stale_logged;


/* the request path: zone lookups and nothing else */

ticket_reason_t
ngx_http_ticket_revocation_check(ngx_http_request_t *r, const ticket_t *t)
{
    int64_t                           iat;
    uint64_t                          h[TICKET_REV_LISTS];
    ngx_uint_t                        stale, revoked, pruned;
    ngx_msec_int_t                    age;
    ngx_http_ticket_rev_sh_t         *sh;
    ngx_http_ticket_rev_node_t       *node;
    ngx_http_ticket_rev_zone_t       *zone;
    ngx_http_ticket_rev_loc_conf_t   *rlcf;
    ngx_http_ticket_loc_conf_t       *tlcf;
    ngx_http_ticket_rev_main_conf_t  *rmcf;

    rmcf = ngx_http_get_module_main_conf(r, ngx_http_ticket_revocation_module);
    rlcf = ngx_http_get_module_loc_conf(r, ngx_http_ticket_revocation_module);

    if (rmcf->shm_zone == NULL || !rlcf->enabled) {
        return TICKET_OK;
    }

    /*
     * A ticket whose iat is up to ticket_leeway ahead of this clock is
     * accepted, so one issued within the leeway after a cut-off may have
     * been issued before it by a clock running ahead: it counts as
     * revoked.
     */

    tlcf = ngx_http_get_module_loc_conf(r, ngx_http_ticket_module);
    iat = t->iat - (int64_t) tlcf->leeway;

    zone = rmcf->shm_zone->data;
    sh = zone->sh;

    /* hashes outside the lock */

    h[TICKET_REV_JTI] = ticket_rev_hash(TICKET_REV_JTI, t->jti.data,
                                        t->jti.len);
    h[TICKET_REV_SUB] = ticket_rev_hash_sub(&t->tenant, &t->sub);
    h[TICKET_REV_SID] = t->sid.data ? ticket_rev_hash(TICKET_REV_SID,
                                                      t->sid.data,
                                                      t->sid.len)
                                    : 0;
    h[TICKET_REV_TENANT] = t->tenant.data
                           ? ticket_rev_hash(TICKET_REV_TENANT,
                                             t->tenant.data, t->tenant.len)
                           : 0;
    h[TICKET_REV_KID] = ticket_rev_hash(TICKET_REV_KID, t->key->kid,
                                        t->key->kid_len);

    revoked = 0;

    ngx_shmtx_lock(&zone->shpool->mutex);

    if (ngx_http_ticket_rev_lookup(&sh->tree[TICKET_REV_JTI],
                                   h[TICKET_REV_JTI])
        != NULL
        || ngx_http_ticket_rev_lookup(&sh->tree[TICKET_REV_KID],
                                      h[TICKET_REV_KID])
           != NULL)
    {
        revoked = 1;
    }

    node = ngx_http_ticket_rev_lookup(&sh->tree[TICKET_REV_SUB],
                                      h[TICKET_REV_SUB]);
    if (node != NULL && iat <= node->value) {
        revoked = 1;
    }

    if (h[TICKET_REV_SID]) {
        node = ngx_http_ticket_rev_lookup(&sh->tree[TICKET_REV_SID],
                                          h[TICKET_REV_SID]);
        if (node != NULL && iat <= node->value) {
            revoked = 1;
        }
    }

    if (h[TICKET_REV_TENANT]) {
        node = ngx_http_ticket_rev_lookup(&sh->tree[TICKET_REV_TENANT],
                                          h[TICKET_REV_TENANT]);
        if (node != NULL && iat <= node->value) {
            revoked = 1;
        }
    }

    /* a row that may have matched was pruned under a shorter lifetime */
    pruned = (sh->pruned != 0 && iat <= sh->pruned);

    ngx_shmtx_unlock(&zone->shpool->mutex);

    if (revoked) {
        return TICKET_REVOKED;
    }

    if (sh->full) {
        /* a revocation may be missing from the zone: never guess */
        return TICKET_REVOCATION_UNAVAILABLE;
    }

    age = (ngx_msec_int_t) (ngx_current_msec - sh->contact);
    stale = !sh->loaded || age > (ngx_msec_int_t) rmcf->max_stale
            || pruned;

    if (!stale) {
        return TICKET_OK;
    }

    if (rmcf->fail == NGX_HTTP_TICKET_FAIL_CLOSED) {
        return TICKET_REVOCATION_UNAVAILABLE;
    }

    if ((ngx_msec_int_t) (ngx_current_msec
                          - ngx_http_ticket_rev_stale_logged)
        >= 1000)
    {
        ngx_http_ticket_rev_stale_logged = ngx_current_msec;
        ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                      "ticket: revocation state %s, ticket allowed "
                      "(ticket_revocation_fail open)",
                      sh->loaded ? "stale" : "not loaded yet");
    }

    return TICKET_OK;
}


ngx_int_t
ngx_http_ticket_revocation_stats(ngx_http_request_t *r,
    ngx_http_ticket_revocation_stats_t *st)
{
    ngx_uint_t                        i;
    ngx_http_ticket_rev_sh_t         *sh;
    ngx_http_ticket_rev_zone_t       *zone;
    ngx_http_ticket_rev_main_conf_t  *rmcf;

    rmcf = ngx_http_get_module_main_conf(r, ngx_http_ticket_revocation_module);

    if (rmcf->shm_zone == NULL) {
        return NGX_DECLINED;
    }

    zone = rmcf->shm_zone->data;
    sh = zone->sh;

    for (i = 0; i < TICKET_REV_LISTS; i++) {
        st->entries[i] = sh->count[i];
    }

    st->loaded = sh->loaded;
    st->full = sh->full;
    st->redis_up = sh->redis_up;
    st->age = sh->loaded ? (ngx_msec_int_t) (ngx_current_msec - sh->contact)
                         : -1;

    return NGX_OK;
}


ngx_http_ticket_rev_node_t *
ngx_http_ticket_rev_lookup(ngx_rbtree_t *tree, uint64_t hash)
{
    ngx_rbtree_key_t    key;
    ngx_rbtree_node_t  *node, *sentinel;

    key = (ngx_rbtree_key_t) hash;
    node = tree->root;
    sentinel = tree->sentinel;

    while (node != sentinel) {

        if (key < node->key) {
            node = node->left;
            continue;
        }

        if (key > node->key) {
            node = node->right;
            continue;
        }

        return (ngx_http_ticket_rev_node_t *) node;
    }

    return NULL;
}


ngx_int_t
ngx_http_ticket_rev_insert_locked(ngx_http_ticket_rev_zone_t *zone,
    ticket_rev_list_t list, uint64_t hash, int64_t value)
{
    ngx_http_ticket_rev_sh_t    *sh;
    ngx_http_ticket_rev_node_t  *node;

    sh = zone->sh;

    node = ngx_http_ticket_rev_lookup(&sh->tree[list], hash);

    if (node != NULL) {
        /* a later cut-off or exp covers more */
        if (value > node->value) {
            node->value = value;
        }

        return NGX_OK;
    }

    node = ngx_slab_alloc_locked(zone->shpool,
                                 sizeof(ngx_http_ticket_rev_node_t));
    if (node == NULL) {
        /* never evict to make room: a full zone fails closed */
        sh->full = 1;
        return NGX_DECLINED;
    }

    node->node.key = (ngx_rbtree_key_t) hash;
    node->value = value;

    ngx_rbtree_insert(&sh->tree[list], &node->node);
    sh->count[list]++;

    return NGX_OK;
}


/* zone */

ngx_int_t
ngx_http_ticket_rev_init_zone(ngx_shm_zone_t *shm_zone, void *data)
{
    ngx_http_ticket_rev_zone_t  *ozone = data;

    ngx_uint_t                   i;
    ngx_http_ticket_rev_sh_t    *sh;
    ngx_http_ticket_rev_zone_t  *zone;

    zone = shm_zone->data;

    if (ozone != NULL) {
        /* reload: the lists carry over, no window opens */
        zone->sh = ozone->sh;
        zone->shpool = ozone->shpool;
        return NGX_OK;
    }

    zone->shpool = (ngx_slab_pool_t *) shm_zone->shm.addr;

    if (shm_zone->shm.exists) {
        zone->sh = zone->shpool->data;
        return NGX_OK;
    }

    sh = ngx_slab_calloc(zone->shpool, sizeof(ngx_http_ticket_rev_sh_t));
    if (sh == NULL) {
        return NGX_ERROR;
    }

    zone->sh = sh;
    zone->shpool->data = sh;

    for (i = 0; i < TICKET_REV_LISTS; i++) {
        ngx_rbtree_init(&sh->tree[i], &sh->sentinel[i],
                        ngx_rbtree_insert_value);
    }

    zone->shpool->log_ctx = (u_char *) " in ticket revocation zone";
    zone->shpool->log_nomem = 0;

    return NGX_OK;
}
