
/*
 * ngx_ticket_module: the verified-ticket cache, in shared memory.
 *
 * An entry is keyed by the whole ticket (hashed for the tree, compared in
 * full: no collision can borrow another ticket's verification), holds the
 * ticket's typed claims as a snapshot (a hit parses nothing), and names
 * the key that verified it by fingerprint, so that a hit counts only in a
 * scope holding that same key.  Time, tenant binding, issuer, revocation
 * and policy are checked on every request; only parsing and the signature
 * are skipped.  An entry never outlives its ticket's exp.  A signature
 * that failed is remembered for a few seconds, so that replaying one bad
 * ticket costs no public-key work either.  Least recently used entries
 * make room; the cache is sized from ticket_shm_size (a quarter of it, on
 * top of the revocation zone, so that it can never crowd a revocation
 * out).
 *
 * Anyone can make a failed entry, only a signed ticket a verified one: so
 * failures live in a queue of their own, within a quarter of the zone
 * counted in the slab's bytes, and make room only among themselves.  A
 * flood of forged tickets, however large, never pushes a verified entry
 * out, and the newest failures are always remembered.
 */


#include "ngx_http_ticket_types.h"
#include "ngx_http_ticket_cache.h"
#include "ngx_http_ticket_revocation.h"


#define NGX_HTTP_TICKET_CACHE_FAILED_TTL  10     /* s */
#define NGX_HTTP_TICKET_CACHE_MIN         (1024 * 1024)


typedef struct {
    ngx_rbtree_node_t               node;       /* key: hash of the token */
    ngx_queue_t                     queue;      /* most recent first */
    int64_t                         until;      /* unix time */
    u_char                          key_fp[32];
    u_char                          token_fp[TICKET_AUDIT_FP_LEN];
                                                /* the audit fingerprint,
                                                   once a record hashed it;
                                                   0 first: not yet */
    uint32_t                        token_len;
    uint32_t                        snap_len;   /* 0: the signature failed */
    uint32_t                        path_len;
    u_char                          data[1];    /* token, the roles path
                                                   it was read with, then
                                                   the snapshot */
} ngx_http_ticket_cache_node_t;


typedef struct {
    ngx_rbtree_t                    rbtree;
    ngx_rbtree_node_t               sentinel;
    ngx_queue_t                     lru;        /* verified entries */
    ngx_queue_t                     failed;     /* failed signatures */
    size_t                          failed_size;  /* their slab bytes */
    size_t                          failed_max;
    ngx_uint_t                      nverified;  /* entries in lru */
    ngx_uint_t                      nfailed;    /* entries in failed */
} ngx_http_ticket_cache_sh_t;


typedef struct {
    ngx_http_ticket_cache_sh_t     *sh;
    ngx_slab_pool_t                *shpool;
} ngx_http_ticket_cache_t;


static ngx_int_t ngx_http_ticket_cache_init_zone(ngx_shm_zone_t *shm_zone,
    void *data);
static ngx_rbtree_key_t ngx_http_ticket_cache_hash(ngx_str_t *token);
static ngx_http_ticket_cache_node_t *ngx_http_ticket_cache_lookup(
    ngx_http_ticket_cache_t *cache, ngx_rbtree_key_t hash, ngx_str_t *token,
    const ticket_str_t *path);
static void ngx_http_ticket_cache_delete(ngx_http_ticket_cache_t *cache,
    ngx_http_ticket_cache_node_t *cn);
static ngx_uint_t ngx_http_ticket_cache_expire(ngx_http_ticket_cache_t *cache,
    ngx_queue_t *queue, ngx_uint_t n, ngx_uint_t dead);
static size_t ngx_http_ticket_cache_size(ngx_http_ticket_cache_node_t *cn);
static size_t ngx_http_ticket_cache_slab_size(size_t size);
static u_char *ngx_http_ticket_cache_snapshot(
    ngx_http_ticket_cache_node_t *cn);
static const ticket_key_t *ngx_http_ticket_cache_key(ticket_keyset_t *ks,
    const ticket_t *t, const u_char *fp);


static ngx_str_t  ngx_http_ticket_cache_name = ngx_string("ticket_cache");


/*
 * NGX_OK: a hit; either t is restored (verified, its key set, *reason
 * TICKET_OK) or the same ticket failed its signature under this scope's
 * key moments ago (*reason TICKET_BAD_SIGNATURE; t parsed, unverified,
 * its key set).  NGX_DECLINED: a miss.
 */

ngx_int_t
ngx_http_ticket_cache_get(ngx_http_request_t *r,
    ngx_http_ticket_main_conf_t *tmcf, ngx_http_ticket_loc_conf_t *tlcf,
    ngx_str_t *token, ticket_t *t, ticket_reason_t *reason, u_char *token_fp)
{
    u_char                        *snap, fp[32];
    size_t                         len;
    time_t                         now;
    ticket_str_t                   parsed_as;
    ngx_rbtree_key_t               hash;
    const ticket_key_t            *key;
    ngx_http_ticket_cache_t       *cache;
    ngx_http_ticket_cache_node_t  *cn;

    if (tmcf->cache_zone == NULL || token->len > TICKET_MAX_SIZE
        || tlcf->keyset == NULL)
    {
        return NGX_DECLINED;
    }

    cache = tmcf->cache_zone->data;
    hash = ngx_http_ticket_cache_hash(token);
    now = ngx_time();
    snap = NULL;
    len = 0;

    ngx_shmtx_lock(&cache->shpool->mutex);

    /*
     * Roles, kind and jti were read as the scope's ticket_roles_claim,
     * ticket_kind_claim and ticket_jti_claim say: an entry made under
     * other settings is another ticket as far as they go.
     */

    parsed_as.data = (const char *) tlcf->parse_key.data;
    parsed_as.len = tlcf->parse_key.len;

    cn = ngx_http_ticket_cache_lookup(cache, hash, token, &parsed_as);

    if (cn == NULL) {
        ngx_shmtx_unlock(&cache->shpool->mutex);
        return NGX_DECLINED;
    }

    if (cn->until <= (int64_t) now) {
        ngx_http_ticket_cache_delete(cache, cn);
        ngx_shmtx_unlock(&cache->shpool->mutex);
        return NGX_DECLINED;
    }

    ngx_queue_remove(&cn->queue);
    ngx_queue_insert_head(cn->snap_len ? &cache->sh->lru : &cache->sh->failed,
                          &cn->queue);

    ngx_memcpy(fp, cn->key_fp, sizeof(fp));

    if (cn->token_fp[0] != '\0') {
        ngx_memcpy(token_fp, cn->token_fp, TICKET_AUDIT_FP_LEN);
        token_fp[TICKET_AUDIT_FP_LEN] = '\0';
    }

    if (cn->snap_len) {
        len = cn->snap_len;

        /* aligned: the snapshot's lists are laid out in it */
        snap = ngx_palloc(r->pool, len);

        if (snap != NULL) {
            ngx_memcpy(snap, ngx_http_ticket_cache_snapshot(cn), len);
        }
    }

    ngx_shmtx_unlock(&cache->shpool->mutex);

    if (len == 0) {
        /* a failed signature: the same key of this scope would fail again */

        key = ngx_http_ticket_cache_key(tlcf->keyset, NULL, fp);
        if (key == NULL) {
            return NGX_DECLINED;
        }

        /*
         * What the ticket claims (unverified), for its audit record and
         * log line as the first refusal had them: the same bytes parse
         * as they did then (the entry is for these parse settings), and
         * a parse costs a small part of the signature it saves.
         */

        if (ticket_parse_policy(t, (const char *) token->data, token->len,
                                &tlcf->policy)
            != TICKET_OK)
        {
            ticket_free(t);
            return NGX_DECLINED;
        }

        t->key = key;
        *reason = TICKET_BAD_SIGNATURE;
        return NGX_OK;
    }

    if (snap == NULL
        || ticket_snapshot_restore(t, snap, len, (const char *) token->data,
                                   token->len)
           != 0)
    {
        ticket_reset(t);
        return NGX_DECLINED;
    }

    key = ngx_http_ticket_cache_key(tlcf->keyset, t, fp);
    if (key == NULL) {
        /* verified under a key this scope does not hold */
        ticket_free(t);
        return NGX_DECLINED;
    }

    t->key = key;
    t->verified = 1;
    *reason = TICKET_OK;

    return NGX_OK;
}


void
ngx_http_ticket_cache_put(ngx_http_request_t *r,
    ngx_http_ticket_main_conf_t *tmcf, ngx_http_ticket_loc_conf_t *tlcf,
    ngx_str_t *token, ticket_t *t)
{
    size_t                         size, snap_len;
    int64_t                        until;
    ngx_uint_t                     i;
    ticket_str_t                   parsed_as, *path;
    ngx_rbtree_key_t               hash;
    ngx_http_ticket_cache_t       *cache;
    ngx_http_ticket_cache_node_t  *cn, *old;

    if (tmcf->cache_zone == NULL || t->key == NULL
        || token->len > TICKET_MAX_SIZE || t->restored)
    {
        return;
    }

    if (t->verified) {
        until = t->exp;
        snap_len = ticket_snapshot_len(t);

    } else {
        /* the signature was checked and failed (the key was selected) */
        until = (int64_t) ngx_time() + NGX_HTTP_TICKET_CACHE_FAILED_TTL;
        snap_len = 0;
    }

    if (until <= (int64_t) ngx_time()) {
        return;
    }

    cache = tmcf->cache_zone->data;

    hash = ngx_http_ticket_cache_hash(token);

    parsed_as.data = (const char *) tlcf->parse_key.data;
    parsed_as.len = tlcf->parse_key.len;
    path = &parsed_as;

    size = offsetof(ngx_http_ticket_cache_node_t, data) + token->len
           + path->len;
    size = ngx_align(size, 16) + snap_len;

    ngx_shmtx_lock(&cache->shpool->mutex);

    old = ngx_http_ticket_cache_lookup(cache, hash, NULL, NULL);

    if (old != NULL) {
        if (snap_len == 0 && old->snap_len) {
            /* a failure never takes a verified entry's place */
            ngx_shmtx_unlock(&cache->shpool->mutex);
            return;
        }

        ngx_http_ticket_cache_delete(cache, old);
    }

    /* the oldest entries go first when they are dead or room is short */

    (void) ngx_http_ticket_cache_expire(cache, &cache->sh->failed, 2, 1);
    (void) ngx_http_ticket_cache_expire(cache, &cache->sh->lru, 2, 1);

    if (snap_len == 0) {
        /* failures make room among themselves, within their budget */

        while (cache->sh->failed_size
               + ngx_http_ticket_cache_slab_size(size)
               > cache->sh->failed_max)
        {
            if (!ngx_http_ticket_cache_expire(cache, &cache->sh->failed, 1,
                                              0))
            {
                ngx_shmtx_unlock(&cache->shpool->mutex);
                return;
            }
        }
    }

    cn = ngx_slab_alloc_locked(cache->shpool, size);

    for (i = 0; cn == NULL && i < 16; i++) {

        /* failures go first; a failure never makes a verified entry go */

        if (!ngx_http_ticket_cache_expire(cache, &cache->sh->failed, 1, 0)
            && (snap_len == 0
                || !ngx_http_ticket_cache_expire(cache, &cache->sh->lru, 1,
                                                 0)))
        {
            break;
        }

        cn = ngx_slab_alloc_locked(cache->shpool, size);
    }

    if (cn == NULL) {
        ngx_shmtx_unlock(&cache->shpool->mutex);
        return;
    }

    cn->node.key = hash;
    cn->until = until;
    cn->token_len = (uint32_t) token->len;
    cn->snap_len = (uint32_t) snap_len;
    cn->path_len = (uint32_t) path->len;
    ngx_memcpy(cn->key_fp, t->key->fp, sizeof(cn->key_fp));
    cn->token_fp[0] = '\0';
    ngx_memcpy(cn->data, token->data, token->len);
    ngx_memcpy(cn->data + token->len, path->data, path->len);

    if (snap_len) {
        ticket_snapshot_write(ngx_http_ticket_cache_snapshot(cn), t);
    }

    ngx_rbtree_insert(&cache->sh->rbtree, &cn->node);

    if (snap_len) {
        ngx_queue_insert_head(&cache->sh->lru, &cn->queue);
        cache->sh->nverified++;

    } else {
        ngx_queue_insert_head(&cache->sh->failed, &cn->queue);
        cache->sh->failed_size += ngx_http_ticket_cache_slab_size(size);
        cache->sh->nfailed++;
    }

    ngx_shmtx_unlock(&cache->shpool->mutex);
}


/*
 * The audit fingerprint a record hashed, kept with the ticket's entry
 * (if it still has one) so that the ticket's later records do not hash
 * it again.  The entry is the one holding exactly these bytes: the
 * fingerprint is of the ticket it is stored with.
 */

void
ngx_http_ticket_cache_set_fp(ngx_http_ticket_main_conf_t *tmcf,
    ngx_str_t *token, const u_char *token_fp)
{
    ngx_rbtree_key_t               hash;
    ngx_http_ticket_cache_t       *cache;
    ngx_http_ticket_cache_node_t  *cn;

    if (tmcf->cache_zone == NULL || token->len > TICKET_MAX_SIZE
        || token_fp[0] == '\0')
    {
        return;
    }

    cache = tmcf->cache_zone->data;
    hash = ngx_http_ticket_cache_hash(token);

    ngx_shmtx_lock(&cache->shpool->mutex);

    cn = ngx_http_ticket_cache_lookup(cache, hash, NULL, NULL);

    if (cn != NULL
        && cn->token_len == token->len
        && ngx_memcmp(cn->data, token->data, token->len) == 0)
    {
        ngx_memcpy(cn->token_fp, token_fp, TICKET_AUDIT_FP_LEN);
    }

    ngx_shmtx_unlock(&cache->shpool->mutex);
}


void
ngx_http_ticket_cache_held(ngx_http_ticket_main_conf_t *tmcf,
    ngx_uint_t *verified, ngx_uint_t *failed)
{
    ngx_http_ticket_cache_t  *cache;

    *verified = 0;
    *failed = 0;

    if (tmcf->cache_zone == NULL) {
        return;
    }

    cache = tmcf->cache_zone->data;

    if (cache->sh == NULL) {
        return;
    }

    ngx_shmtx_lock(&cache->shpool->mutex);

    *verified = cache->sh->nverified;
    *failed = cache->sh->nfailed;

    ngx_shmtx_unlock(&cache->shpool->mutex);
}


static ngx_rbtree_key_t
ngx_http_ticket_cache_hash(ngx_str_t *token)
{
    u_char    *p, *last;
    uint64_t   h, w;

    /*
     * The tree's order only (an entry compares the whole ticket), so
     * eight bytes a step: a long RS ticket would cost thousands of
     * instructions hashed byte by byte.
     */

    h = 0x9e3779b97f4a7c15ULL ^ token->len;
    p = token->data;
    last = p + token->len;

    while (last - p >= 8) {
        ngx_memcpy(&w, p, 8);
        h = (h ^ w) * 0xff51afd7ed558ccdULL;
        h ^= h >> 32;
        p += 8;
    }

    w = 0;
    ngx_memcpy(&w, p, last - p);

    h = (h ^ w) * 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 29;

    return (ngx_rbtree_key_t) h;
}


/* token NULL: any entry with that hash (one entry a hash is kept) */

static ngx_http_ticket_cache_node_t *
ngx_http_ticket_cache_lookup(ngx_http_ticket_cache_t *cache,
    ngx_rbtree_key_t hash, ngx_str_t *token, const ticket_str_t *path)
{
    ngx_rbtree_node_t             *node, *sentinel;
    ngx_http_ticket_cache_node_t  *cn;

    node = cache->sh->rbtree.root;
    sentinel = cache->sh->rbtree.sentinel;

    while (node != sentinel) {

        if (hash < node->key) {
            node = node->left;
            continue;
        }

        if (hash > node->key) {
            node = node->right;
            continue;
        }

        cn = (ngx_http_ticket_cache_node_t *) node;

        if (token == NULL
            || (cn->token_len == token->len
                && ngx_memcmp(cn->data, token->data, token->len) == 0
                && cn->path_len == path->len
                && ngx_memcmp(cn->data + token->len, path->data, path->len)
                   == 0))
        {
            return cn;
        }

        return NULL;
    }

    return NULL;
}


static void
ngx_http_ticket_cache_delete(ngx_http_ticket_cache_t *cache,
    ngx_http_ticket_cache_node_t *cn)
{
    size_t  size;

    if (cn->snap_len == 0) {
        size = ngx_http_ticket_cache_slab_size(ngx_http_ticket_cache_size(cn));
        cache->sh->failed_size -= ngx_min(size, cache->sh->failed_size);
        cache->sh->nfailed--;

    } else {
        cache->sh->nverified--;
    }

    ngx_queue_remove(&cn->queue);
    ngx_rbtree_delete(&cache->sh->rbtree, &cn->node);
    ngx_slab_free_locked(cache->shpool, cn);
}


/*
 * Up to n of the oldest entries of a queue go: only those past their
 * time if dead is set (the queue's order is use, not time, so this stops
 * at the first live one).  Returns how many went.
 */

static ngx_uint_t
ngx_http_ticket_cache_expire(ngx_http_ticket_cache_t *cache,
    ngx_queue_t *queue, ngx_uint_t n, ngx_uint_t dead)
{
    ngx_uint_t                     i;
    ngx_queue_t                   *q;
    ngx_http_ticket_cache_node_t  *cn;

    for (i = 0; i < n && !ngx_queue_empty(queue); i++) {
        q = ngx_queue_last(queue);
        cn = ngx_queue_data(q, ngx_http_ticket_cache_node_t, queue);

        if (dead && cn->until > (int64_t) ngx_time()) {
            break;
        }

        ngx_http_ticket_cache_delete(cache, cn);
    }

    return i;
}


/* the bytes asked of the slab for an entry */

static size_t
ngx_http_ticket_cache_size(ngx_http_ticket_cache_node_t *cn)
{
    return ngx_align(offsetof(ngx_http_ticket_cache_node_t, data)
                     + cn->token_len + cn->path_len, 16)
           + cn->snap_len;
}


/* what the slab takes for size bytes: whole pages above half a page,
 * else a power of two (ngx_slab_alloc_locked()'s classes) */

static size_t
ngx_http_ticket_cache_slab_size(size_t size)
{
    size_t  n;

    if (size > ngx_pagesize / 2) {
        return ngx_align(size, ngx_pagesize);
    }

    for (n = 8; n < size; n <<= 1) {
        /* void */
    }

    return n;
}


static u_char *
ngx_http_ticket_cache_snapshot(ngx_http_ticket_cache_node_t *cn)
{
    return (u_char *) cn
           + ngx_align(offsetof(ngx_http_ticket_cache_node_t, data)
                       + cn->token_len + cn->path_len, 16);
}


/* the key of this scope with that fingerprint; for t, the one it names
 * (ticket_keyset_named(), as ticket_select_key() chooses) */

static const ticket_key_t *
ngx_http_ticket_cache_key(ticket_keyset_t *ks, const ticket_t *t,
    const u_char *fp)
{
    const ticket_key_t  *key;

    if (t == NULL) {
        return ticket_keyset_find_fp(ks, fp);
    }

    key = ticket_keyset_named(ks, t->kid.data, t->kid.len, t->alg);

    if (key == NULL || ngx_memcmp(key->fp, fp, 32) != 0
        || key->alg != t->alg)
    {
        return NULL;
    }

    return key;
}


ngx_int_t
ngx_http_ticket_cache_init(ngx_conf_t *cf, ngx_http_ticket_main_conf_t *tmcf)
{
    size_t                    size;
    ngx_shm_zone_t           *shm_zone;
    ngx_http_ticket_cache_t  *cache;

    size = ngx_http_ticket_revocation_shm_size(cf) / 4;

    if (size < NGX_HTTP_TICKET_CACHE_MIN) {
        size = NGX_HTTP_TICKET_CACHE_MIN;
    }

    cache = ngx_pcalloc(cf->pool, sizeof(ngx_http_ticket_cache_t));
    if (cache == NULL) {
        return NGX_ERROR;
    }

    shm_zone = ngx_shared_memory_add(cf, &ngx_http_ticket_cache_name, size,
                                     &ngx_http_ticket_module);
    if (shm_zone == NULL) {
        return NGX_ERROR;
    }

    shm_zone->init = ngx_http_ticket_cache_init_zone;
    shm_zone->data = cache;

    tmcf->cache_zone = shm_zone;

    return NGX_OK;
}


static ngx_int_t
ngx_http_ticket_cache_init_zone(ngx_shm_zone_t *shm_zone, void *data)
{
    ngx_http_ticket_cache_t  *ocache = data;

    ngx_http_ticket_cache_t  *cache;

    cache = shm_zone->data;

    if (ocache != NULL) {
        /* reload: entries carry over; a rotated key no longer matches */
        cache->sh = ocache->sh;
        cache->shpool = ocache->shpool;
        return NGX_OK;
    }

    cache->shpool = (ngx_slab_pool_t *) shm_zone->shm.addr;

    if (shm_zone->shm.exists) {
        cache->sh = cache->shpool->data;
        return NGX_OK;
    }

    cache->sh = ngx_slab_alloc(cache->shpool,
                               sizeof(ngx_http_ticket_cache_sh_t));
    if (cache->sh == NULL) {
        return NGX_ERROR;
    }

    cache->shpool->data = cache->sh;

    ngx_rbtree_init(&cache->sh->rbtree, &cache->sh->sentinel,
                    ngx_rbtree_insert_value);
    ngx_queue_init(&cache->sh->lru);
    ngx_queue_init(&cache->sh->failed);
    cache->sh->failed_size = 0;
    cache->sh->failed_max = shm_zone->shm.size / 4;
    cache->sh->nverified = 0;
    cache->sh->nfailed = 0;

    cache->shpool->log_ctx = (u_char *) " in ticket cache zone";
    cache->shpool->log_nomem = 0;

    return NGX_OK;
}
