
/*
 * ngx_ticket_module: revocation lists in shared memory.
 *
 * One worker, elected through the zone, keeps the lists in sync with
 * Redis: a full load (SCAN cursors, so a list of any size streams in
 * pieces) at start and after any gap in the stream, then a blocking XREAD
 * of ticket:events.  Every worker's request path only looks rows up in
 * the zone; it never waits on Redis.  Loads add and never remove: only
 * pruning removes a row, once nothing it could match can still be valid,
 * so a Redis restarted empty cannot make the gateway forget.
 */


#include "ngx_http_ticket_module.h"
#include "ngx_http_ticket_revocation.h"
#include "ngx_http_ticket_redis.h"

#include <ticket_revocation.h>


#define NGX_HTTP_TICKET_FAIL_CLOSED    0
#define NGX_HTTP_TICKET_FAIL_OPEN      1

#define NGX_HTTP_TICKET_SYNC_IDLE      0
#define NGX_HTTP_TICKET_SYNC_LOADING   1
#define NGX_HTTP_TICKET_SYNC_FOLLOWING 2

#define NGX_HTTP_TICKET_TICK           100    /* ms */
#define NGX_HTTP_TICKET_OWNER_DEAD     500    /* ms without heartbeat */
#define NGX_HTTP_TICKET_XREAD_BLOCK    1000   /* ms */
#define NGX_HTTP_TICKET_SCAN_COUNT     "1000"
#define NGX_HTTP_TICKET_PRUNE_BATCH    1000
#define NGX_HTTP_TICKET_PRUNE_EVERY    10000  /* ms */
#define NGX_HTTP_TICKET_MAX_FIELDS     32
#define NGX_HTTP_TICKET_ID_LEN         48


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
} ngx_http_ticket_rev_sh_t;


typedef struct {
    ngx_http_ticket_rev_sh_t       *sh;
    ngx_slab_pool_t                *shpool;
} ngx_http_ticket_rev_zone_t;


typedef struct {
    ngx_http_ticket_redis_conf_t    redis;    /* addrs NULL: no ticket_redis */
    ngx_uint_t                      fail;
    ngx_msec_t                      max_stale;
    size_t                          shm_size;
    ngx_shm_zone_t                 *shm_zone;
    time_t                          max_leeway;
    time_t                          max_lifetime;
} ngx_http_ticket_rev_main_conf_t;


typedef struct {
    ngx_flag_t                      enabled;
} ngx_http_ticket_rev_loc_conf_t;


/* the worker's own sync state */

typedef struct {
    ngx_http_ticket_redis_t         redis;
    ngx_http_ticket_rev_main_conf_t *rmcf;
    ngx_http_ticket_rev_zone_t     *zone;
    ngx_event_t                     tick;
    ngx_event_t                     retry;
    ngx_msec_t                      backoff;
    ngx_uint_t                      state;
    ngx_uint_t                      list;
    ngx_uint_t                      prune_list;
    ngx_rbtree_key_t                prune_key;
    ngx_msec_t                      prune_next;
    ngx_msec_t                      reload_next;
    ngx_msec_t                      stale_logged;
    ngx_msec_t                      load_started;
    size_t                          cursor_len;
    size_t                          load_id_len;
    size_t                          last_id_len;
    u_char                          cursor[32];
    u_char                          load_id[NGX_HTTP_TICKET_ID_LEN];
    u_char                          last_id[NGX_HTTP_TICKET_ID_LEN];
    u_char                          from_id[NGX_HTTP_TICKET_ID_LEN];
    size_t                          from_id_len;
    ngx_str_t                       keys[TICKET_REV_LISTS];
    ngx_str_t                       events;
    unsigned                        owner:1;
    unsigned                        gap:1;
    unsigned                        load_full:1;
    unsigned                        confirm:1;  /* next XREAD: no BLOCK */
} ngx_http_ticket_rev_sync_t;


static ngx_int_t ngx_http_ticket_rev_init_zone(ngx_shm_zone_t *shm_zone,
    void *data);
static ngx_int_t ngx_http_ticket_rev_init_process(ngx_cycle_t *cycle);
static void ngx_http_ticket_rev_exit_process(ngx_cycle_t *cycle);
static void ngx_http_ticket_rev_tick(ngx_event_t *ev);
static void ngx_http_ticket_rev_retry(ngx_event_t *ev);
static void ngx_http_ticket_rev_release(ngx_http_ticket_rev_sync_t *s);
static void ngx_http_ticket_rev_ready(ngx_http_ticket_redis_t *rd);
static void ngx_http_ticket_rev_down(ngx_http_ticket_redis_t *rd);
static void ngx_http_ticket_rev_load(ngx_http_ticket_rev_sync_t *s);
static void ngx_http_ticket_rev_range(ngx_http_ticket_rev_sync_t *s,
    const char *cmd, const char *from, const char *to,
    ngx_http_ticket_redis_reply_pt handler);
static void ngx_http_ticket_rev_load_id(ngx_http_ticket_redis_t *rd,
    redisReply *reply, void *data);
static void ngx_http_ticket_rev_scan(ngx_http_ticket_rev_sync_t *s);
static void ngx_http_ticket_rev_scan_reply(ngx_http_ticket_redis_t *rd,
    redisReply *reply, void *data);
static void ngx_http_ticket_rev_follow(ngx_http_ticket_rev_sync_t *s);
static void ngx_http_ticket_rev_check_gap(ngx_http_ticket_rev_sync_t *s);
static void ngx_http_ticket_rev_gap_reply(ngx_http_ticket_redis_t *rd,
    redisReply *reply, void *data);
static void ngx_http_ticket_rev_read_reply(ngx_http_ticket_redis_t *rd,
    redisReply *reply, void *data);
static ngx_int_t ngx_http_ticket_rev_apply(ngx_http_ticket_rev_sync_t *s,
    redisReply *entry);
static ngx_int_t ngx_http_ticket_rev_reply_ok(ngx_http_ticket_rev_sync_t *s,
    redisReply *reply, const char *what);
static ngx_int_t ngx_http_ticket_rev_insert_locked(
    ngx_http_ticket_rev_zone_t *zone, ticket_rev_list_t list, uint64_t hash,
    int64_t value);
static ngx_http_ticket_rev_node_t *ngx_http_ticket_rev_lookup(
    ngx_rbtree_t *tree, uint64_t hash);
static void ngx_http_ticket_rev_prune(ngx_http_ticket_rev_sync_t *s);
static int ngx_http_ticket_rev_id_cmp(const u_char *a, size_t alen,
    const u_char *b, size_t blen);
static ngx_int_t ngx_http_ticket_rev_id_valid(const char *id, size_t len);
static void ngx_http_ticket_rev_contact(ngx_http_ticket_rev_sync_t *s);

static char *ngx_http_ticket_redis_directive(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
static ngx_int_t ngx_http_ticket_redis_addr(ngx_conf_t *cf, ngx_str_t *value,
    ngx_http_ticket_redis_addr_t *addr);
static ngx_int_t ngx_http_ticket_read_password(ngx_conf_t *cf,
    ngx_str_t *file, ngx_str_t *password);
static void *ngx_http_ticket_rev_create_main_conf(ngx_conf_t *cf);
static char *ngx_http_ticket_rev_init_main_conf(ngx_conf_t *cf, void *conf);
static void *ngx_http_ticket_rev_create_loc_conf(ngx_conf_t *cf);
static char *ngx_http_ticket_rev_merge_loc_conf(ngx_conf_t *cf, void *parent,
    void *child);


static ngx_conf_enum_t  ngx_http_ticket_rev_fail[] = {
    { ngx_string("closed"), NGX_HTTP_TICKET_FAIL_CLOSED },
    { ngx_string("open"), NGX_HTTP_TICKET_FAIL_OPEN },
    { ngx_null_string, 0 }
};


static ngx_command_t  ngx_http_ticket_revocation_commands[] = {

    { ngx_string("ticket_redis"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_1MORE,
      ngx_http_ticket_redis_directive,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("ticket_revocation"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_ticket_rev_loc_conf_t, enabled),
      NULL },

    { ngx_string("ticket_revocation_fail"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_enum_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_ticket_rev_main_conf_t, fail),
      &ngx_http_ticket_rev_fail },

    { ngx_string("ticket_revocation_max_stale"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_ticket_rev_main_conf_t, max_stale),
      NULL },

    { ngx_string("ticket_shm_size"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_size_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_ticket_rev_main_conf_t, shm_size),
      NULL },

      ngx_null_command
};


static ngx_http_module_t  ngx_http_ticket_revocation_module_ctx = {
    NULL,                                  /* preconfiguration */
    NULL,                                  /* postconfiguration */

    ngx_http_ticket_rev_create_main_conf,  /* create main configuration */
    ngx_http_ticket_rev_init_main_conf,    /* init main configuration */

    NULL,                                  /* create server configuration */
    NULL,                                  /* merge server configuration */

    ngx_http_ticket_rev_create_loc_conf,   /* create location configuration */
    ngx_http_ticket_rev_merge_loc_conf     /* merge location configuration */
};


ngx_module_t  ngx_http_ticket_revocation_module = {
    NGX_MODULE_V1,
    &ngx_http_ticket_revocation_module_ctx, /* module context */
    ngx_http_ticket_revocation_commands,   /* module directives */
    NGX_HTTP_MODULE,                       /* module type */
    NULL,                                  /* init master */
    NULL,                                  /* init module */
    ngx_http_ticket_rev_init_process,      /* init process */
    NULL,                                  /* init thread */
    NULL,                                  /* exit thread */
    ngx_http_ticket_rev_exit_process,      /* exit process */
    NULL,                                  /* exit master */
    NGX_MODULE_V1_PADDING
};


static ngx_http_ticket_rev_sync_t  ngx_http_ticket_rev_sync;

static ngx_str_t  ngx_http_ticket_rev_zone_name =
    ngx_string("ticket_revocation");


/* the request path: zone lookups and nothing else */

ticket_reason_t
ngx_http_ticket_revocation_check(ngx_http_request_t *r, const ticket_t *t)
{
    uint64_t                          h[TICKET_REV_LISTS];
    ngx_uint_t                        stale, revoked;
    ngx_msec_int_t                    age;
    ngx_http_ticket_rev_sh_t         *sh;
    ngx_http_ticket_rev_node_t       *node;
    ngx_http_ticket_rev_zone_t       *zone;
    ngx_http_ticket_rev_loc_conf_t   *rlcf;
    ngx_http_ticket_rev_main_conf_t  *rmcf;

    rmcf = ngx_http_get_module_main_conf(r, ngx_http_ticket_revocation_module);
    rlcf = ngx_http_get_module_loc_conf(r, ngx_http_ticket_revocation_module);

    if (rmcf->shm_zone == NULL || !rlcf->enabled) {
        return TICKET_OK;
    }

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
    if (node != NULL && t->iat <= node->value) {
        revoked = 1;
    }

    if (h[TICKET_REV_SID]) {
        node = ngx_http_ticket_rev_lookup(&sh->tree[TICKET_REV_SID],
                                          h[TICKET_REV_SID]);
        if (node != NULL && t->iat <= node->value) {
            revoked = 1;
        }
    }

    if (h[TICKET_REV_TENANT]) {
        node = ngx_http_ticket_rev_lookup(&sh->tree[TICKET_REV_TENANT],
                                          h[TICKET_REV_TENANT]);
        if (node != NULL && t->iat <= node->value) {
            revoked = 1;
        }
    }

    ngx_shmtx_unlock(&zone->shpool->mutex);

    if (revoked) {
        return TICKET_REVOKED;
    }

    if (sh->full) {
        /* a revocation may be missing from the zone: never guess */
        return TICKET_REVOCATION_UNAVAILABLE;
    }

    age = (ngx_msec_int_t) (ngx_current_msec - sh->contact);
    stale = !sh->loaded || age > (ngx_msec_int_t) rmcf->max_stale;

    if (!stale) {
        return TICKET_OK;
    }

    if (rmcf->fail == NGX_HTTP_TICKET_FAIL_CLOSED) {
        return TICKET_REVOCATION_UNAVAILABLE;
    }

    if ((ngx_msec_int_t) (ngx_current_msec
                          - ngx_http_ticket_rev_sync.stale_logged)
        >= 1000)
    {
        ngx_http_ticket_rev_sync.stale_logged = ngx_current_msec;
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


size_t
ngx_http_ticket_revocation_shm_size(ngx_conf_t *cf)
{
    ngx_http_ticket_rev_main_conf_t  *rmcf;

    rmcf = ngx_http_conf_get_module_main_conf(cf,
                                          ngx_http_ticket_revocation_module);

    return rmcf->shm_size;
}


void
ngx_http_ticket_revocation_note_times(ngx_conf_t *cf, time_t leeway,
    time_t max_lifetime)
{
    ngx_http_ticket_rev_main_conf_t  *rmcf;

    rmcf = ngx_http_conf_get_module_main_conf(cf,
                                          ngx_http_ticket_revocation_module);

    rmcf->max_leeway = ngx_max(rmcf->max_leeway, leeway);
    rmcf->max_lifetime = ngx_max(rmcf->max_lifetime, max_lifetime);
}


static ngx_http_ticket_rev_node_t *
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


static ngx_int_t
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

static ngx_int_t
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


/* sync: one elected worker */

static ngx_int_t
ngx_http_ticket_rev_init_process(ngx_cycle_t *cycle)
{
    ngx_uint_t                        i;
    ngx_http_ticket_rev_sync_t       *s;
    ngx_http_ticket_rev_main_conf_t  *rmcf;

    if (ngx_process != NGX_PROCESS_WORKER
        && ngx_process != NGX_PROCESS_SINGLE)
    {
        return NGX_OK;
    }

    rmcf = ngx_http_cycle_get_module_main_conf(cycle,
                                          ngx_http_ticket_revocation_module);

    if (rmcf == NULL || rmcf->shm_zone == NULL) {
        return NGX_OK;
    }

    s = &ngx_http_ticket_rev_sync;
    ngx_memzero(s, sizeof(ngx_http_ticket_rev_sync_t));

    s->rmcf = rmcf;
    s->zone = rmcf->shm_zone->data;

    for (i = 0; i < TICKET_REV_LISTS; i++) {
        s->keys[i].len = rmcf->redis.prefix.len + sizeof("revoked:") - 1
                         + ngx_strlen(ticket_rev_list_name(i));
        s->keys[i].data = ngx_pnalloc(cycle->pool, s->keys[i].len);
        if (s->keys[i].data == NULL) {
            return NGX_ERROR;
        }

        ngx_sprintf(s->keys[i].data, "%Vrevoked:%s", &rmcf->redis.prefix,
                    ticket_rev_list_name(i));
    }

    s->events.len = rmcf->redis.prefix.len + sizeof("events") - 1;
    s->events.data = ngx_pnalloc(cycle->pool, s->events.len);
    if (s->events.data == NULL) {
        return NGX_ERROR;
    }

    ngx_sprintf(s->events.data, "%Vevents", &rmcf->redis.prefix);

    s->redis.conf = &rmcf->redis;
    s->redis.log = cycle->log;
    s->redis.ready = ngx_http_ticket_rev_ready;
    s->redis.down = ngx_http_ticket_rev_down;
    s->redis.data = s;
    s->backoff = 100;

    s->tick.handler = ngx_http_ticket_rev_tick;
    s->tick.data = s;
    s->tick.log = cycle->log;
    s->tick.cancelable = 1;

    s->retry.handler = ngx_http_ticket_rev_retry;
    s->retry.data = s;
    s->retry.log = cycle->log;
    s->retry.cancelable = 1;

    ngx_add_timer(&s->tick, 1);

    return NGX_OK;
}


static void
ngx_http_ticket_rev_exit_process(ngx_cycle_t *cycle)
{
    ngx_http_ticket_rev_sync_t  *s;

    s = &ngx_http_ticket_rev_sync;

    if (s->zone == NULL) {
        return;
    }

    ngx_http_ticket_rev_release(s);
}


static void
ngx_http_ticket_rev_tick(ngx_event_t *ev)
{
    ngx_http_ticket_rev_sync_t  *s = ev->data;

    ngx_msec_t                 now;
    ngx_atomic_uint_t          owner;
    ngx_http_ticket_rev_sh_t  *sh;

    if (ngx_exiting || ngx_quit || ngx_terminate) {
        ngx_http_ticket_rev_release(s);
        return;
    }

    sh = s->zone->sh;
    now = ngx_current_msec;
    owner = sh->owner;

    if (owner == (ngx_atomic_uint_t) ngx_pid) {
        sh->heartbeat = now;

        if (!s->owner) {
            s->owner = 1;
        }

    } else if (owner == 0
               || (ngx_msec_int_t) (now - sh->heartbeat)
                  > NGX_HTTP_TICKET_OWNER_DEAD)
    {
        if (ngx_atomic_cmp_set(&sh->owner, owner, ngx_pid)) {
            sh->heartbeat = now;
            s->owner = 1;

            ngx_log_error(NGX_LOG_NOTICE, ev->log, 0,
                          "ticket: this worker now syncs revocations");
        }

    } else if (s->owner) {
        /* another worker took over: leave Redis to it */
        s->owner = 0;
        s->redis.down = NULL;
        ngx_http_ticket_redis_close(&s->redis, NULL);
        s->redis.down = ngx_http_ticket_rev_down;
        s->state = NGX_HTTP_TICKET_SYNC_IDLE;
    }

    if (s->owner) {
        if (s->state == NGX_HTTP_TICKET_SYNC_IDLE && s->redis.ac == NULL
            && !s->retry.timer_set)
        {
            ngx_http_ticket_rev_retry(&s->retry);
        }

        if (sh->full && s->state == NGX_HTTP_TICKET_SYNC_FOLLOWING
            && (ngx_msec_int_t) (now - s->reload_next) >= 0)
        {
            /* after pruning made room, a full load may fit again */
            s->reload_next = now + NGX_HTTP_TICKET_PRUNE_EVERY;
            s->gap = 1;
        }

        ngx_http_ticket_rev_prune(s);
    }

    ngx_add_timer(&s->tick, NGX_HTTP_TICKET_TICK);
}


static void
ngx_http_ticket_rev_retry(ngx_event_t *ev)
{
    ngx_http_ticket_rev_sync_t  *s = ev->data;

    if (!s->owner || ngx_exiting || s->redis.ac != NULL) {
        return;
    }

    if (ngx_http_ticket_redis_connect(&s->redis) != NGX_OK) {
        ngx_add_timer(&s->retry, s->backoff);
        s->backoff = ngx_min(s->backoff * 2, 2000);
    }
}


static void
ngx_http_ticket_rev_release(ngx_http_ticket_rev_sync_t *s)
{
    ngx_http_ticket_rev_sh_t  *sh;

    if (s->tick.timer_set) {
        ngx_del_timer(&s->tick);
    }

    if (s->retry.timer_set) {
        ngx_del_timer(&s->retry);
    }

    s->redis.down = NULL;
    ngx_http_ticket_redis_close(&s->redis, NULL);
    s->state = NGX_HTTP_TICKET_SYNC_IDLE;

    if (s->owner) {
        sh = s->zone->sh;
        s->owner = 0;

        /* let another worker take over at once */
        (void) ngx_atomic_cmp_set(&sh->owner, ngx_pid, 0);
    }
}


static void
ngx_http_ticket_rev_ready(ngx_http_ticket_redis_t *rd)
{
    ngx_http_ticket_rev_sync_t  *s = rd->data;

    s->zone->sh->redis_up = 1;

    /*
     * Not yet contact: what was revoked while Redis was away is still
     * missing here; the state is fresh again once the load is in.
     */

    ngx_log_error(NGX_LOG_NOTICE, rd->log, 0,
                  "ticket: connected to redis, loading revocation lists");

    ngx_http_ticket_rev_load(s);
}


static void
ngx_http_ticket_rev_down(ngx_http_ticket_redis_t *rd)
{
    ngx_http_ticket_rev_sync_t  *s = rd->data;

    s->state = NGX_HTTP_TICKET_SYNC_IDLE;
    s->zone->sh->redis_up = 0;

    if (s->owner && !ngx_exiting && !s->retry.timer_set) {
        ngx_add_timer(&s->retry, s->backoff);
        s->backoff = ngx_min(s->backoff * 2, 2000);
    }
}


static void
ngx_http_ticket_rev_contact(ngx_http_ticket_rev_sync_t *s)
{
    s->zone->sh->contact = ngx_current_msec;
}


/* full load: the stream position first, then every list by SCAN */

static void
ngx_http_ticket_rev_load(ngx_http_ticket_rev_sync_t *s)
{
    s->state = NGX_HTTP_TICKET_SYNC_LOADING;
    s->gap = 0;
    s->load_full = 0;
    s->load_started = ngx_current_msec;

    /* the newest entry: where following resumes once the lists are in */

    ngx_http_ticket_rev_range(s, "XREVRANGE", "+", "-",
                              ngx_http_ticket_rev_load_id);
}


/* one stream entry, the newest or the oldest */

static void
ngx_http_ticket_rev_range(ngx_http_ticket_rev_sync_t *s, const char *cmd,
    const char *from, const char *to, ngx_http_ticket_redis_reply_pt handler)
{
    size_t       argvlen[6];
    const char  *argv[6];

    argv[0] = cmd;
    argv[1] = (const char *) s->events.data;
    argv[2] = from;
    argv[3] = to;
    argv[4] = "COUNT";
    argv[5] = "1";

    argvlen[0] = ngx_strlen(cmd);
    argvlen[1] = s->events.len;
    argvlen[2] = 1;
    argvlen[3] = 1;
    argvlen[4] = 5;
    argvlen[5] = 1;

    if (ngx_http_ticket_redis_command(&s->redis, handler, s, 0, 6, argv,
                                      argvlen)
        != NGX_OK)
    {
        ngx_http_ticket_redis_close(&s->redis, "cannot send a stream range");
    }
}


static void
ngx_http_ticket_rev_load_id(ngx_http_ticket_redis_t *rd, redisReply *reply,
    void *data)
{
    ngx_http_ticket_rev_sync_t  *s = data;

    redisReply  *entry, *id;

    if (ngx_http_ticket_rev_reply_ok(s, reply, "XREVRANGE") != NGX_OK) {
        return;
    }

    if (reply->type != REDIS_REPLY_ARRAY) {
        ngx_http_ticket_redis_close(rd, "unexpected XREVRANGE reply");
        return;
    }

    s->load_id_len = 3;
    ngx_memcpy(s->load_id, "0-0", 3);

    if (reply->elements > 0) {
        entry = reply->element[0];

        if (entry->type != REDIS_REPLY_ARRAY || entry->elements < 1) {
            ngx_http_ticket_redis_close(rd, "unexpected XREVRANGE entry");
            return;
        }

        id = entry->element[0];

        if (id->type != REDIS_REPLY_STRING
            || ngx_http_ticket_rev_id_valid(id->str, id->len) != NGX_OK)
        {
            ngx_http_ticket_redis_close(rd, "invalid stream id");
            return;
        }

        ngx_memcpy(s->load_id, id->str, id->len);
        s->load_id_len = id->len;
    }

    s->list = TICKET_REV_JTI;
    s->cursor[0] = '0';
    s->cursor_len = 1;

    ngx_http_ticket_rev_scan(s);
}


static void
ngx_http_ticket_rev_scan(ngx_http_ticket_rev_sync_t *s)
{
    size_t       argvlen[5];
    const char  *argv[5];

    switch (s->list) {

    case TICKET_REV_JTI:
        argv[0] = "ZSCAN";
        break;

    case TICKET_REV_KID:
        argv[0] = "SSCAN";
        break;

    default:
        argv[0] = "HSCAN";
    }

    argv[1] = (const char *) s->keys[s->list].data;
    argv[2] = (const char *) s->cursor;
    argv[3] = "COUNT";
    argv[4] = NGX_HTTP_TICKET_SCAN_COUNT;

    argvlen[0] = 5;
    argvlen[1] = s->keys[s->list].len;
    argvlen[2] = s->cursor_len;
    argvlen[3] = 5;
    argvlen[4] = sizeof(NGX_HTTP_TICKET_SCAN_COUNT) - 1;

    if (ngx_http_ticket_redis_command(&s->redis,
                                      ngx_http_ticket_rev_scan_reply, s, 0,
                                      5, argv, argvlen)
        != NGX_OK)
    {
        ngx_http_ticket_redis_close(&s->redis, "cannot send SCAN");
    }
}


static void
ngx_http_ticket_rev_scan_reply(ngx_http_ticket_redis_t *rd,
    redisReply *reply, void *data)
{
    ngx_http_ticket_rev_sync_t  *s = data;

    size_t                       i, step, pages;
    int64_t                      value;
    uint64_t                     hash;
    ngx_uint_t                   bad;
    redisReply                  *cursor, *items, *member, *v;
    ngx_http_ticket_rev_zone_t  *zone;

    if (ngx_http_ticket_rev_reply_ok(s, reply, "SCAN") != NGX_OK) {
        return;
    }

    if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 2
        || reply->element[0]->type != REDIS_REPLY_STRING
        || reply->element[0]->len == 0
        || reply->element[0]->len >= sizeof(s->cursor)
        || reply->element[1]->type != REDIS_REPLY_ARRAY)
    {
        ngx_http_ticket_redis_close(rd, "unexpected SCAN reply");
        return;
    }

    cursor = reply->element[0];
    items = reply->element[1];
    step = (s->list == TICKET_REV_KID) ? 1 : 2;

    if (items->elements % step != 0) {
        ngx_http_ticket_redis_close(rd, "unexpected SCAN items");
        return;
    }

    zone = s->zone;
    bad = 0;

    ngx_shmtx_lock(&zone->shpool->mutex);

    for (i = 0; i < items->elements; i += step) {
        member = items->element[i];

        if (member->type != REDIS_REPLY_STRING || member->len == 0) {
            bad++;
            continue;
        }

        value = 0;

        if (step == 2) {
            v = items->element[i + 1];

            /* an unreadable value revokes all it could: fail closed */

            if (v->type != REDIS_REPLY_STRING
                || ticket_rev_parse_time(v->str, v->len, &value) != 0)
            {
                value = TICKET_MAX_TIME;
                bad++;
            }
        }

        hash = ticket_rev_hash(s->list, member->str, member->len);

        if (ngx_http_ticket_rev_insert_locked(zone, s->list, hash, value)
            != NGX_OK)
        {
            s->load_full = 1;
            break;
        }
    }

    ngx_shmtx_unlock(&zone->shpool->mutex);

    if (bad) {
        ngx_log_error(NGX_LOG_WARN, rd->log, 0,
                      "ticket: %ui unreadable rows in \"%V\"", bad,
                      &s->keys[s->list]);
    }

    if (s->load_full) {
        ngx_log_error(NGX_LOG_CRIT, rd->log, 0,
                      "ticket: revocation zone is full (ticket_shm_size): "
                      "failing closed");
    }

    if (cursor->len != 1 || cursor->str[0] != '0') {
        ngx_memcpy(s->cursor, cursor->str, cursor->len);
        s->cursor_len = cursor->len;
        ngx_http_ticket_rev_scan(s);
        return;
    }

    if (s->list + 1 < TICKET_REV_LISTS) {
        s->list++;
        s->cursor[0] = '0';
        s->cursor_len = 1;
        ngx_http_ticket_rev_scan(s);
        return;
    }

    /* every list is in: follow the stream from before the load began */

    zone->sh->full = s->load_full;
    zone->sh->loaded = 1;

    /* current as of the stream position taken when the load began; an
     * XREAD that does not block then confirms it is current now */
    zone->sh->contact = s->load_started;
    s->confirm = 1;

    /* only a whole load proves the connection useful: errors that recur
     * after connecting (WRONGTYPE) keep backing off */
    s->backoff = 100;

    ngx_memcpy(s->last_id, s->load_id, s->load_id_len);
    s->last_id_len = s->load_id_len;

    pages = (zone->shpool->end - zone->shpool->start) / ngx_pagesize;

    ngx_log_error(NGX_LOG_NOTICE, rd->log, 0,
                  "ticket: revocation lists loaded: jti %uA, sub %uA, "
                  "sid %uA, tenant %uA, kid %uA; zone %uz of %uz bytes "
                  "in use",
                  zone->sh->count[TICKET_REV_JTI],
                  zone->sh->count[TICKET_REV_SUB],
                  zone->sh->count[TICKET_REV_SID],
                  zone->sh->count[TICKET_REV_TENANT],
                  zone->sh->count[TICKET_REV_KID],
                  (pages - zone->shpool->pfree) * ngx_pagesize,
                  pages * ngx_pagesize);

    s->state = NGX_HTTP_TICKET_SYNC_FOLLOWING;

    ngx_http_ticket_rev_follow(s);
}


/*
 * Following: a blocking XREAD from the last id applied.  An XREAD that
 * times out empty still counts as contact; one that never returns trips
 * the command deadline.  After a batch, the stream's first id tells
 * whether entries after the batch's start were trimmed before they could
 * be read (or the stream is gone): then the lists are loaded again.
 */

static void
ngx_http_ticket_rev_follow(ngx_http_ticket_rev_sync_t *s)
{
    int          n;
    char         block[NGX_INT_T_LEN];
    size_t       argvlen[8];
    ngx_uint_t   quick;
    const char  *argv[8];

    /* right after a load: answer at once, so that freshness is proven
     * without waiting for a block to run out */

    quick = s->confirm;
    s->confirm = 0;

    n = 0;

    argv[n] = "XREAD";
    argvlen[n++] = 5;
    argv[n] = "COUNT";
    argvlen[n++] = 5;
    argv[n] = NGX_HTTP_TICKET_SCAN_COUNT;
    argvlen[n++] = sizeof(NGX_HTTP_TICKET_SCAN_COUNT) - 1;

    if (!quick) {
        argv[n] = "BLOCK";
        argvlen[n++] = 5;
        argv[n] = block;
        argvlen[n++] = ngx_sprintf((u_char *) block, "%d",
                                   NGX_HTTP_TICKET_XREAD_BLOCK)
                       - (u_char *) block;
    }

    argv[n] = "STREAMS";
    argvlen[n++] = 7;
    argv[n] = (const char *) s->events.data;
    argvlen[n++] = s->events.len;
    argv[n] = (const char *) s->last_id;
    argvlen[n++] = s->last_id_len;

    if (ngx_http_ticket_redis_command(&s->redis,
                                      ngx_http_ticket_rev_read_reply, s,
                                      quick ? 0 : NGX_HTTP_TICKET_XREAD_BLOCK,
                                      n, argv, argvlen)
        != NGX_OK)
    {
        ngx_http_ticket_redis_close(&s->redis, "cannot send XREAD");
    }
}


static void
ngx_http_ticket_rev_check_gap(ngx_http_ticket_rev_sync_t *s)
{
    ngx_http_ticket_rev_range(s, "XRANGE", "-", "+",
                              ngx_http_ticket_rev_gap_reply);
}


static void
ngx_http_ticket_rev_gap_reply(ngx_http_ticket_redis_t *rd, redisReply *reply,
    void *data)
{
    ngx_http_ticket_rev_sync_t  *s = data;

    redisReply  *id;

    if (ngx_http_ticket_rev_reply_ok(s, reply, "XRANGE") != NGX_OK) {
        return;
    }

    if (reply->type != REDIS_REPLY_ARRAY) {
        ngx_http_ticket_redis_close(rd, "unexpected XRANGE reply");
        return;
    }

    ngx_http_ticket_rev_contact(s);

    if (reply->elements == 0) {
        /* the batch was just read, yet the stream is empty: trimmed */
        s->gap = 1;

    } else {
        if (reply->element[0]->type != REDIS_REPLY_ARRAY
            || reply->element[0]->elements < 1)
        {
            ngx_http_ticket_redis_close(rd, "unexpected XRANGE entry");
            return;
        }

        id = reply->element[0]->element[0];

        if (id->type != REDIS_REPLY_STRING
            || ngx_http_ticket_rev_id_valid(id->str, id->len) != NGX_OK)
        {
            ngx_http_ticket_redis_close(rd, "invalid stream id");
            return;
        }

        /*
         * The oldest entry left is newer than where the batch started:
         * what lay between may be gone unread.  (A stream that was empty
         * at load, read from 0-0, cannot say; its first batch is whole
         * unless more than a batch arrived and was trimmed meanwhile.)
         */

        if (!(s->from_id_len == 3 && ngx_strncmp(s->from_id, "0-0", 3) == 0)
            && ngx_http_ticket_rev_id_cmp((u_char *) id->str, id->len,
                                          s->from_id, s->from_id_len)
               > 0)
        {
            s->gap = 1;
        }
    }

    if (s->gap) {
        ngx_log_error(NGX_LOG_WARN, rd->log, 0,
                      "ticket: gap in \"%V\": loading the lists again",
                      &s->events);
        ngx_http_ticket_rev_load(s);
        return;
    }

    ngx_http_ticket_rev_follow(s);
}


static void
ngx_http_ticket_rev_read_reply(ngx_http_ticket_redis_t *rd,
    redisReply *reply, void *data)
{
    ngx_http_ticket_rev_sync_t  *s = data;

    size_t       i;
    redisReply  *stream, *entries;

    if (ngx_http_ticket_rev_reply_ok(s, reply, "XREAD") != NGX_OK) {
        return;
    }

    /* an answer, even an empty one after the block: Redis is alive */

    ngx_http_ticket_rev_contact(s);

    if (reply->type == REDIS_REPLY_NIL) {

        if (s->gap) {
            /* the zone filled up: try a whole load again */
            ngx_http_ticket_rev_load(s);
            return;
        }

        ngx_http_ticket_rev_follow(s);
        return;
    }

    if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 1) {
        ngx_http_ticket_redis_close(rd, "unexpected XREAD reply");
        return;
    }

    stream = reply->element[0];

    if (stream->type != REDIS_REPLY_ARRAY || stream->elements != 2
        || stream->element[1]->type != REDIS_REPLY_ARRAY)
    {
        ngx_http_ticket_redis_close(rd, "unexpected XREAD reply");
        return;
    }

    ngx_memcpy(s->from_id, s->last_id, s->last_id_len);
    s->from_id_len = s->last_id_len;

    entries = stream->element[1];

    for (i = 0; i < entries->elements; i++) {
        if (ngx_http_ticket_rev_apply(s, entries->element[i]) != NGX_OK) {
            ngx_http_ticket_redis_close(rd, "unexpected stream entry");
            return;
        }
    }

    /* applied first, then asked whether anything before them was lost */

    ngx_http_ticket_rev_check_gap(s);
}


static ngx_int_t
ngx_http_ticket_rev_apply(ngx_http_ticket_rev_sync_t *s, redisReply *entry)
{
    int                          rc;
    size_t                       i, n;
    uint64_t                     hash;
    redisReply                  *id, *fields;
    ticket_str_t                 f[NGX_HTTP_TICKET_MAX_FIELDS];
    ticket_rev_entry_t           e;
    ngx_http_ticket_rev_zone_t  *zone;

    if (entry->type != REDIS_REPLY_ARRAY || entry->elements != 2) {
        return NGX_ERROR;
    }

    id = entry->element[0];
    fields = entry->element[1];

    if (id->type != REDIS_REPLY_STRING
        || ngx_http_ticket_rev_id_valid(id->str, id->len) != NGX_OK
        || fields->type != REDIS_REPLY_ARRAY)
    {
        return NGX_ERROR;
    }

    if (fields->elements > NGX_HTTP_TICKET_MAX_FIELDS) {
        /* more than any writer of the SPEC's layout sends: the lists in
         * Redis are the truth, read them again */
        s->gap = 1;
    }

    n = ngx_min(fields->elements, NGX_HTTP_TICKET_MAX_FIELDS);

    for (i = 0; i < n; i++) {
        if (fields->element[i]->type != REDIS_REPLY_STRING) {
            return NGX_ERROR;
        }

        f[i].data = fields->element[i]->str;
        f[i].len = fields->element[i]->len;
    }

    rc = ticket_rev_parse_entry(f, n & ~(size_t) 1, &e);

    if (rc == TICKET_REV_ENTRY_OK) {
        zone = s->zone;
        hash = ticket_rev_hash(e.list, e.member.data, e.member.len);

        ngx_shmtx_lock(&zone->shpool->mutex);
        rc = ngx_http_ticket_rev_insert_locked(zone, e.list, hash, e.value);
        ngx_shmtx_unlock(&zone->shpool->mutex);

        if (rc != NGX_OK) {
            ngx_log_error(NGX_LOG_CRIT, s->redis.log, 0,
                          "ticket: revocation zone is full "
                          "(ticket_shm_size): failing closed");
        }

    } else if (rc == TICKET_REV_ENTRY_INVALID) {
        /* it may have been a revocation: never skip it, reload the lists */
        ngx_log_error(NGX_LOG_ERR, s->redis.log, 0,
                      "ticket: invalid entry %*s in \"%V\": loading the "
                      "lists again", id->len, id->str, &s->events);
        s->gap = 1;
    }

    ngx_memcpy(s->last_id, id->str, id->len);
    s->last_id_len = id->len;

    ngx_http_ticket_rev_contact(s);

    return NGX_OK;
}


static ngx_int_t
ngx_http_ticket_rev_reply_ok(ngx_http_ticket_rev_sync_t *s,
    redisReply *reply, const char *what)
{
    u_char  buf[256];

    if (reply == NULL) {
        /* the connection went away; the down handler takes it from here */
        return NGX_ERROR;
    }

    if (reply->type == REDIS_REPLY_ERROR) {
        /* WRONGTYPE, NOAUTH, OOM...: the lists cannot be trusted */
        ngx_snprintf(buf, sizeof(buf), "%s failed: %*s%Z", what,
                     ngx_min(reply->len, 200), reply->str);
        ngx_http_ticket_redis_close(&s->redis, (char *) buf);
        return NGX_ERROR;
    }

    return NGX_OK;
}


/* pruning: a bounded batch a tick, the lock held for one batch */

static void
ngx_http_ticket_rev_prune(ngx_http_ticket_rev_sync_t *s)
{
    time_t                       now, keep;
    ngx_uint_t                   n, done;
    ngx_rbtree_t                *tree;
    ngx_rbtree_node_t           *node, *next, *sentinel;
    ngx_http_ticket_rev_sh_t    *sh;
    ngx_http_ticket_rev_zone_t  *zone;
    ngx_http_ticket_rev_node_t  *rn;

    if ((ngx_msec_int_t) (ngx_current_msec - s->prune_next) < 0) {
        return;
    }

    if (s->prune_list == TICKET_REV_KID) {
        /* a compromised key stays revoked */
        s->prune_list = 0;
        s->prune_key = 0;
        s->prune_next = ngx_current_msec + NGX_HTTP_TICKET_PRUNE_EVERY;
        return;
    }

    zone = s->zone;
    sh = zone->sh;
    tree = &sh->tree[s->prune_list];
    sentinel = tree->sentinel;
    now = ngx_time();

    keep = s->rmcf->max_leeway;

    if (s->prune_list != TICKET_REV_JTI) {
        keep += s->rmcf->max_lifetime;
    }

    done = 0;

    ngx_shmtx_lock(&zone->shpool->mutex);

    /* the first node at or after the cursor */

    next = NULL;
    node = tree->root;

    while (node != sentinel) {
        if (node->key >= s->prune_key) {
            next = node;
            node = node->left;

        } else {
            node = node->right;
        }
    }

    for (n = 0; n < NGX_HTTP_TICKET_PRUNE_BATCH && next != NULL; n++) {
        node = next;
        next = ngx_rbtree_next(tree, node);

        rn = (ngx_http_ticket_rev_node_t *) node;

        if (rn->value + keep < (int64_t) now) {
            ngx_rbtree_delete(tree, node);
            ngx_slab_free_locked(zone->shpool, node);
            sh->count[s->prune_list]--;
        }
    }

    if (next == NULL) {
        done = 1;

    } else {
        s->prune_key = next->key;
    }

    ngx_shmtx_unlock(&zone->shpool->mutex);

    if (done) {
        s->prune_list++;
        s->prune_key = 0;
    }
}


/* stream ids: "MS-SEQ", compared as two numbers */

static ngx_int_t
ngx_http_ticket_rev_id_valid(const char *id, size_t len)
{
    size_t      i;
    ngx_uint_t  dash;

    if (len < 3 || len >= NGX_HTTP_TICKET_ID_LEN) {
        return NGX_ERROR;
    }

    dash = 0;

    for (i = 0; i < len; i++) {
        if (id[i] == '-') {
            if (dash || i == 0 || i == len - 1) {
                return NGX_ERROR;
            }

            dash = 1;

        } else if (id[i] < '0' || id[i] > '9') {
            return NGX_ERROR;
        }
    }

    return dash ? NGX_OK : NGX_ERROR;
}


static int
ngx_http_ticket_rev_id_cmp(const u_char *a, size_t alen, const u_char *b,
    size_t blen)
{
    size_t  ai, bi, ae, be;

    /* both valid: compare the ms parts, then the sequence parts */

    ae = 0;
    while (ae < alen && a[ae] != '-') { ae++; }

    be = 0;
    while (be < blen && b[be] != '-') { be++; }

    if (ae != be) {
        return ae > be ? 1 : -1;
    }

    for (ai = 0; ai < ae; ai++) {
        if (a[ai] != b[ai]) {
            return a[ai] > b[ai] ? 1 : -1;
        }
    }

    ai = alen - ae;
    bi = blen - be;

    if (ai != bi) {
        return ai > bi ? 1 : -1;
    }

    return ngx_memcmp(a + ae, b + be, ai);
}


/* configuration */

static char *
ngx_http_ticket_redis_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_ticket_rev_main_conf_t *rmcf = conf;

    ngx_int_t                      n;
    ngx_str_t                     *value, s;
    ngx_uint_t                     i;
    ngx_http_ticket_redis_addr_t  *addr;

    if (rmcf->redis.addrs != NULL) {
        return "is duplicate";
    }

    rmcf->redis.addrs = ngx_array_create(cf->pool, 2,
                                         sizeof(ngx_http_ticket_redis_addr_t));
    if (rmcf->redis.addrs == NULL) {
        return NGX_CONF_ERROR;
    }

    value = cf->args->elts;

    for (i = 1; i < cf->args->nelts; i++) {

        if (ngx_strncmp(value[i].data, "password_file=", 14) == 0) {
            s.data = value[i].data + 14;
            s.len = value[i].len - 14;

            if (ngx_http_ticket_read_password(cf, &s, &rmcf->redis.password)
                != NGX_OK)
            {
                return NGX_CONF_ERROR;
            }

            continue;
        }

        if (ngx_strncmp(value[i].data, "db=", 3) == 0) {
            n = ngx_atoi(value[i].data + 3, value[i].len - 3);
            if (n == NGX_ERROR || n > 65535) {
                goto invalid;
            }

            rmcf->redis.db = n;
            continue;
        }

        if (ngx_strncmp(value[i].data, "prefix=", 7) == 0) {
            rmcf->redis.prefix.data = value[i].data + 7;
            rmcf->redis.prefix.len = value[i].len - 7;
            continue;
        }

        if (ngx_strncmp(value[i].data, "timeout=", 8) == 0) {
            s.data = value[i].data + 8;
            s.len = value[i].len - 8;

            rmcf->redis.timeout = ngx_parse_time(&s, 0);
            if (rmcf->redis.timeout == (ngx_msec_t) NGX_ERROR
                || rmcf->redis.timeout == 0)
            {
                goto invalid;
            }

            continue;
        }

        addr = ngx_array_push(rmcf->redis.addrs);
        if (addr == NULL) {
            return NGX_CONF_ERROR;
        }

        if (ngx_http_ticket_redis_addr(cf, &value[i], addr) != NGX_OK) {
            return NGX_CONF_ERROR;
        }
    }

    if (rmcf->redis.addrs->nelts == 0) {
        return "needs an address";
    }

    return NGX_CONF_OK;

invalid:

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "invalid parameter \"%V\"",
                       &value[i]);

    return NGX_CONF_ERROR;
}


/* resolved here, once: hiredis's own lookup would block a worker */

static ngx_int_t
ngx_http_ticket_redis_addr(ngx_conf_t *cf, ngx_str_t *value,
    ngx_http_ticket_redis_addr_t *addr)
{
    u_char     *p;
    size_t      len;
    ngx_url_t   u;

    ngx_memzero(addr, sizeof(ngx_http_ticket_redis_addr_t));
    addr->name = *value;

    if (value->len > 5 && ngx_strncmp(value->data, "unix:", 5) == 0) {
        addr->path.len = value->len - 5;
        addr->path.data = ngx_pnalloc(cf->pool, addr->path.len + 1);
        if (addr->path.data == NULL) {
            return NGX_ERROR;
        }

        ngx_memcpy(addr->path.data, value->data + 5, addr->path.len);
        addr->path.data[addr->path.len] = '\0';

        return NGX_OK;
    }

    ngx_memzero(&u, sizeof(ngx_url_t));
    u.url = *value;
    u.no_resolve = 0;

    if (ngx_parse_url(cf->pool, &u) != NGX_OK || u.no_port
        || u.naddrs == 0)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid redis address \"%V\"%s%s", value,
                           u.err ? ": " : "", u.err ? u.err : "");
        return NGX_ERROR;
    }

    p = ngx_pnalloc(cf->pool, NGX_SOCKADDR_STRLEN + 1);
    if (p == NULL) {
        return NGX_ERROR;
    }

    /* the first address the name resolves to, as text without the port */

    len = ngx_sock_ntop(u.addrs[0].sockaddr, u.addrs[0].socklen, p,
                        NGX_SOCKADDR_STRLEN, 0);
    p[len] = '\0';

    addr->host.data = p;
    addr->host.len = len;
    addr->port = u.port;

    return NGX_OK;
}


/* as ngx_ssl_read_password_file(): once, at load, trailing newline off */

static ngx_int_t
ngx_http_ticket_read_password(ngx_conf_t *cf, ngx_str_t *file,
    ngx_str_t *password)
{
    u_char      *p, *last, buf[1024];
    ssize_t      n;
    ngx_fd_t     fd;
    ngx_file_t   f;

    if (ngx_conf_full_name(cf->cycle, file, 1) != NGX_OK) {
        return NGX_ERROR;
    }

    fd = ngx_open_file(file->data, NGX_FILE_RDONLY, NGX_FILE_OPEN, 0);
    if (fd == NGX_INVALID_FILE) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           ngx_open_file_n " \"%s\" failed", file->data);
        return NGX_ERROR;
    }

    ngx_memzero(&f, sizeof(ngx_file_t));
    f.fd = fd;
    f.name = *file;
    f.log = cf->log;

    n = ngx_read_file(&f, buf, sizeof(buf), 0);

    if (ngx_close_file(fd) == NGX_FILE_ERROR) {
        ngx_conf_log_error(NGX_LOG_ALERT, cf, ngx_errno,
                           ngx_close_file_n " \"%s\" failed", file->data);
    }

    if (n == NGX_ERROR) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           ngx_read_file_n " \"%s\" failed", file->data);
        return NGX_ERROR;
    }

    if ((size_t) n == sizeof(buf)) {
        ngx_explicit_memzero(buf, sizeof(buf));
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "password file \"%s\" is too long", file->data);
        return NGX_ERROR;
    }

    last = buf + n;

    while (last > buf && (last[-1] == '\n' || last[-1] == '\r')) {
        last--;
    }

    if (last == buf) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "password file \"%s\" is empty", file->data);
        return NGX_ERROR;
    }

    p = ngx_pnalloc(cf->pool, last - buf);
    if (p == NULL) {
        ngx_explicit_memzero(buf, sizeof(buf));
        return NGX_ERROR;
    }

    password->len = last - buf;
    password->data = ngx_cpymem(p, buf, password->len) - password->len;

    ngx_explicit_memzero(buf, sizeof(buf));

    return NGX_OK;
}


static void *
ngx_http_ticket_rev_create_main_conf(ngx_conf_t *cf)
{
    ngx_http_ticket_rev_main_conf_t  *rmcf;

    rmcf = ngx_pcalloc(cf->pool, sizeof(ngx_http_ticket_rev_main_conf_t));
    if (rmcf == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     rmcf->redis.addrs = NULL;
     *     rmcf->redis.password = { 0, NULL };
     *     rmcf->redis.db = 0;
     *     rmcf->shm_zone = NULL;
     *     rmcf->max_leeway = 0;
     *     rmcf->max_lifetime = 0;
     */

    rmcf->redis.timeout = NGX_CONF_UNSET_MSEC;
    rmcf->fail = NGX_CONF_UNSET_UINT;
    rmcf->max_stale = NGX_CONF_UNSET_MSEC;
    rmcf->shm_size = NGX_CONF_UNSET_SIZE;

    return rmcf;
}


static char *
ngx_http_ticket_rev_init_main_conf(ngx_conf_t *cf, void *conf)
{
    ngx_http_ticket_rev_main_conf_t *rmcf = conf;

    ngx_http_ticket_rev_zone_t  *zone;

    ngx_conf_init_msec_value(rmcf->redis.timeout, 1000);
    ngx_conf_init_uint_value(rmcf->fail, NGX_HTTP_TICKET_FAIL_CLOSED);
    ngx_conf_init_msec_value(rmcf->max_stale, 10000);
    ngx_conf_init_size_value(rmcf->shm_size, 32 * 1024 * 1024);

    if (rmcf->redis.prefix.data == NULL) {
        ngx_str_set(&rmcf->redis.prefix, "ticket:");
    }

    if (rmcf->redis.addrs == NULL) {
        return NGX_CONF_OK;
    }

    if (rmcf->shm_size < 8 * ngx_pagesize) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"ticket_shm_size\" is too small");
        return NGX_CONF_ERROR;
    }

    zone = ngx_pcalloc(cf->pool, sizeof(ngx_http_ticket_rev_zone_t));
    if (zone == NULL) {
        return NGX_CONF_ERROR;
    }

    rmcf->shm_zone = ngx_shared_memory_add(cf, &ngx_http_ticket_rev_zone_name,
                                           rmcf->shm_size,
                                           &ngx_http_ticket_revocation_module);
    if (rmcf->shm_zone == NULL) {
        return NGX_CONF_ERROR;
    }

    rmcf->shm_zone->init = ngx_http_ticket_rev_init_zone;
    rmcf->shm_zone->data = zone;

    return NGX_CONF_OK;
}


static void *
ngx_http_ticket_rev_create_loc_conf(ngx_conf_t *cf)
{
    ngx_http_ticket_rev_loc_conf_t  *conf;

    conf = ngx_pcalloc(cf->pool, sizeof(ngx_http_ticket_rev_loc_conf_t));
    if (conf == NULL) {
        return NULL;
    }

    conf->enabled = NGX_CONF_UNSET;

    return conf;
}


static char *
ngx_http_ticket_rev_merge_loc_conf(ngx_conf_t *cf, void *parent, void *child)
{
    ngx_http_ticket_rev_loc_conf_t *prev = parent;
    ngx_http_ticket_rev_loc_conf_t *conf = child;

    ngx_http_ticket_rev_main_conf_t  *rmcf;

    rmcf = ngx_http_conf_get_module_main_conf(cf,
                                          ngx_http_ticket_revocation_module);

    if (conf->enabled == 1 && prev->enabled == NGX_CONF_UNSET
        && rmcf->redis.addrs == NULL)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"ticket_revocation on\" needs \"ticket_redis\"");
        return NGX_CONF_ERROR;
    }

    ngx_conf_merge_value(conf->enabled, prev->enabled,
                         rmcf->redis.addrs != NULL);

    return NGX_CONF_OK;
}
