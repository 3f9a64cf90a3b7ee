
/*
 * ngx_ticket_module: the revocation lists' Redis follower.
 *
 * One worker, elected through the zone, keeps the lists in sync with
 * Redis: a full load (SCAN cursors, so a list of any size streams in
 * pieces) at start and after any gap in the stream, then a blocking XREAD
 * of ticket:events.  Every worker's request path only looks rows up in
 * the zone; it never waits on Redis.  Loads add and never remove: only
 * pruning removes a row, once nothing it could match can still be valid,
 * so a Redis restarted empty cannot make the gateway forget.
 */


#include "ngx_http_ticket_types.h"
#include "ngx_http_ticket_redis.h"
#include "ngx_http_ticket_redis_watch.h"
#include "ngx_http_ticket_revocation_sync.h"
#include "ngx_http_ticket_revocation_zone.h"

#include <ticket_revocation.h>
#include <ticket_rev_redis.h>


#define NGX_HTTP_TICKET_SYNC_IDLE      0
#define NGX_HTTP_TICKET_SYNC_LOADING   1
#define NGX_HTTP_TICKET_SYNC_FOLLOWING 2

#define NGX_HTTP_TICKET_TICK           100    /* ms */
#define NGX_HTTP_TICKET_OWNER_DEAD     500    /* ms without heartbeat */
#define NGX_HTTP_TICKET_XREAD_BLOCK    1000   /* ms */
#define NGX_HTTP_TICKET_SCAN_COUNT     "1000"
#define NGX_HTTP_TICKET_PRUNE_BATCH    1000
#define NGX_HTTP_TICKET_PRUNE_EVERY    10000  /* ms */
#define NGX_HTTP_TICKET_FULL_LOG_EVERY 60000  /* ms */

/*
 * Reconnecting: a refused connect is cheap, so try often enough that the
 * 503 ends within a second of Redis returning; a server that answers but
 * refuses a command (an ACL, WRONGTYPE) would be asked for a whole load
 * each time: back off further.
 */
#define NGX_HTTP_TICKET_RETRY_FIRST    100    /* ms */
#define NGX_HTTP_TICKET_RETRY_MAX      250    /* ms */
#define NGX_HTTP_TICKET_REFUSED_FIRST  1000   /* ms */
#define NGX_HTTP_TICKET_REFUSED_MAX    8000   /* ms */


/* the worker's own sync state */

typedef struct {
    ngx_http_ticket_redis_t         redis;
    ngx_http_ticket_rev_main_conf_t *rmcf;
    ngx_http_ticket_rev_zone_t     *zone;
    ngx_event_t                     tick;
    ngx_event_t                     retry;
    ngx_msec_t                      backoff;
    ngx_msec_t                      refused_backoff;
    ngx_msec_t                      round_at;   /* the last XREAD answered */
    ngx_msec_t                      full_logged;
    ngx_uint_t                      full_refused;
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
    u_char                          load_id[TICKET_REV_ID_LEN];
    u_char                          last_id[TICKET_REV_ID_LEN];
    u_char                          from_id[TICKET_REV_ID_LEN];
    size_t                          from_id_len;
    int64_t                         added;    /* entries-added at load_id;
                                                 -1: not reported */
    int64_t                         read;     /* entries read since */
    ngx_str_t                       keys[TICKET_REV_LISTS];
    ngx_str_t                       events;
    unsigned                        owner:1;
    unsigned                        gap:1;
    unsigned                        load_full:1;
    unsigned                        confirm:1;  /* next XREAD: no BLOCK */
    unsigned                        refused:1;  /* closed on an error reply */
    unsigned                        full_logged_once:1;
} ngx_http_ticket_rev_sync_t;


static void ngx_http_ticket_rev_tick(ngx_event_t *ev);
static void ngx_http_ticket_rev_retry(ngx_event_t *ev);
static void ngx_http_ticket_rev_release(ngx_http_ticket_rev_sync_t *s);
static void ngx_http_ticket_rev_ready(ngx_http_ticket_redis_t *rd);
static void ngx_http_ticket_rev_down(ngx_http_ticket_redis_t *rd);
static void ngx_http_ticket_rev_load(ngx_http_ticket_rev_sync_t *s);
static void ngx_http_ticket_rev_send(ngx_http_ticket_rev_sync_t *s,
    const char *a0, const char *a1, const char *a2,
    ngx_http_ticket_redis_reply_pt handler);
static void ngx_http_ticket_rev_replication_reply(
    ngx_http_ticket_redis_t *rd, redisReply *reply, void *data);
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
    const redisReply *entry);
static ngx_int_t ngx_http_ticket_rev_reply_ok(ngx_http_ticket_rev_sync_t *s,
    redisReply *reply, const char *what);
static void ngx_http_ticket_rev_prune(ngx_http_ticket_rev_sync_t *s);
static void ngx_http_ticket_rev_contact(ngx_http_ticket_rev_sync_t *s,
    ngx_msec_t lag);
static ngx_uint_t ngx_http_ticket_rev_is_gap(ngx_http_ticket_rev_sync_t *s,
    ticket_rev_stream_info_t *info);
static int64_t ngx_http_ticket_rev_hold(ngx_http_ticket_rev_sync_t *s,
    ticket_rev_list_t list, int64_t value);
static void ngx_http_ticket_rev_full(ngx_http_ticket_rev_sync_t *s,
    ngx_uint_t refused);


static ngx_http_ticket_rev_sync_t  ngx_http_ticket_rev_sync;


/* one elected worker */

ngx_int_t
ngx_http_ticket_rev_init_process(ngx_cycle_t *cycle)
{
    ngx_uint_t                        i;
    const char                       *prefix;
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

    prefix = (const char *) rmcf->redis.prefix.data;

    for (i = 0; i < TICKET_REV_LISTS; i++) {
        s->keys[i].len = ticket_rev_key(NULL, 0, prefix,
                                        rmcf->redis.prefix.len, i);
        s->keys[i].data = ngx_pnalloc(cycle->pool, s->keys[i].len + 1);
        if (s->keys[i].data == NULL) {
            return NGX_ERROR;
        }

        (void) ticket_rev_key((char *) s->keys[i].data, s->keys[i].len + 1,
                              prefix, rmcf->redis.prefix.len, i);
    }

    s->events.len = ticket_rev_events_key(NULL, 0, prefix,
                                          rmcf->redis.prefix.len);
    s->events.data = ngx_pnalloc(cycle->pool, s->events.len + 1);
    if (s->events.data == NULL) {
        return NGX_ERROR;
    }

    (void) ticket_rev_events_key((char *) s->events.data, s->events.len + 1,
                                 prefix, rmcf->redis.prefix.len);

    s->redis.conf = &rmcf->redis;
    s->redis.log = cycle->log;
    s->redis.ready = ngx_http_ticket_rev_ready;
    s->redis.down = ngx_http_ticket_rev_down;
    s->redis.data = s;
    s->redis.reads = 1;     /* sentinel=: a replica will do */

    if (ngx_http_ticket_redis_watch(&s->redis) != NGX_OK) {
        return NGX_ERROR;
    }

    s->backoff = NGX_HTTP_TICKET_RETRY_FIRST;
    s->refused_backoff = NGX_HTTP_TICKET_REFUSED_FIRST;

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


void
ngx_http_ticket_rev_exit_process(ngx_cycle_t *cycle)
{
    ngx_http_ticket_rev_sync_t  *s;

    s = &ngx_http_ticket_rev_sync;

    if (s->zone == NULL) {
        return;
    }

    ngx_http_ticket_rev_release(s);
    ngx_http_ticket_redis_watch_exit();
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
        if (s->state == NGX_HTTP_TICKET_SYNC_IDLE && s->redis.conn == NULL
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

    if (!s->owner || ngx_exiting || s->redis.conn != NULL) {
        return;
    }

    if (ngx_http_ticket_redis_connect(&s->redis) != NGX_OK) {
        ngx_log_error(NGX_LOG_INFO, ev->log, 0,
                      "ticket revocation: next connect in %M ms", s->backoff);
        ngx_add_timer(&s->retry, s->backoff);
        s->backoff = ngx_min(s->backoff * 2, NGX_HTTP_TICKET_RETRY_MAX);
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
     * missing here; the state is fresh again once the load is in and a
     * round of following has found no gap.
     */

    ngx_log_error(NGX_LOG_NOTICE, rd->log, 0,
                  "ticket: connected to redis, loading revocation lists");

    ngx_http_ticket_rev_load(s);
}


static void
ngx_http_ticket_rev_down(ngx_http_ticket_redis_t *rd)
{
    ngx_http_ticket_rev_sync_t  *s = rd->data;

    ngx_msec_t  delay;

    s->state = NGX_HTTP_TICKET_SYNC_IDLE;
    s->zone->sh->redis_up = 0;

    /* an error reply, or AUTH or SELECT refused (a wrong password) */

    if (s->refused || rd->refused) {
        s->refused = 0;
        delay = s->refused_backoff;
        s->refused_backoff = ngx_min(s->refused_backoff * 2,
                                     NGX_HTTP_TICKET_REFUSED_MAX);

    } else {
        delay = s->backoff;
        s->backoff = ngx_min(s->backoff * 2, NGX_HTTP_TICKET_RETRY_MAX);
    }

    if (s->owner && !ngx_exiting && !s->retry.timer_set) {
        ngx_log_error(NGX_LOG_INFO, rd->log, 0,
                      "ticket revocation: next connect in %M ms", delay);
        ngx_add_timer(&s->retry, delay);
    }
}


/*
 * The state is current as of the last XREAD answered in a round that
 * found no gap, less what a replica lags behind its primary.
 */

static void
ngx_http_ticket_rev_contact(ngx_http_ticket_rev_sync_t *s, ngx_msec_t lag)
{
    ngx_msec_t                 at;
    ngx_http_ticket_rev_sh_t  *sh;

    sh = s->zone->sh;
    at = s->round_at - lag;

    if ((ngx_msec_int_t) (at - (ngx_msec_t) sh->contact) > 0) {
        sh->contact = at;
    }

    /* a round that worked proves the connection useful */

    s->backoff = NGX_HTTP_TICKET_RETRY_FIRST;
    s->refused_backoff = NGX_HTTP_TICKET_REFUSED_FIRST;
}


/*
 * A full load: is the server current (a replica may not be), where does
 * the stream stand, then every list by SCAN.
 */

static void
ngx_http_ticket_rev_load(ngx_http_ticket_rev_sync_t *s)
{
    s->state = NGX_HTTP_TICKET_SYNC_LOADING;
    s->gap = 0;
    s->load_full = 0;
    s->load_started = ngx_current_msec;

    ngx_http_ticket_rev_send(s, "INFO", "replication", NULL,
                             ngx_http_ticket_rev_replication_reply);
}


static void
ngx_http_ticket_rev_send(ngx_http_ticket_rev_sync_t *s, const char *a0,
    const char *a1, const char *a2, ngx_http_ticket_redis_reply_pt handler)
{
    int          n;
    size_t       argvlen[3];
    const char  *argv[3];

    n = 0;
    argv[n] = a0;
    argvlen[n++] = ngx_strlen(a0);
    argv[n] = a1;
    argvlen[n++] = ngx_strlen(a1);

    if (a2 != NULL) {
        argv[n] = a2;
        argvlen[n++] = ngx_strlen(a2);
    }

    if (ngx_http_ticket_redis_command(&s->redis, handler, s, 0, n, argv,
                                      argvlen)
        != NGX_OK)
    {
        ngx_http_ticket_redis_close(&s->redis, "cannot send a command");
    }
}


/*
 * INFO replication, at each load and each round of following: a replica
 * is current only while its link to the primary is up and the primary
 * was heard from within ticket_revocation_max_stale.  One that is not
 * is no contact at all: the next address is tried, starting again from
 * the first.
 */

static void
ngx_http_ticket_rev_replication_reply(ngx_http_ticket_redis_t *rd,
    redisReply *reply, void *data)
{
    ngx_http_ticket_rev_sync_t  *s = data;

    u_char                    buf[160];
    ngx_msec_t                lag;
    ticket_rev_replication_t  repl;

    if (ngx_http_ticket_rev_reply_ok(s, reply, "INFO") != NGX_OK) {
        return;
    }

    if (ticket_rev_reply_replication(reply, &repl) != TICKET_REV_REPLY_OK) {
        ngx_http_ticket_redis_close(rd, "unexpected INFO reply");
        return;
    }

    lag = 0;

    if (repl.replica) {
        if (!repl.link_up || repl.last_io < 0
            || repl.last_io > (int64_t) (s->rmcf->max_stale / 1000))
        {
            ngx_snprintf(buf, sizeof(buf), "a replica not replicating "
                         "(master_link_status:%s, "
                         "master_last_io_seconds_ago:%L): not trusted%Z",
                         repl.link_up ? "up" : "down", repl.last_io);
            ngx_http_ticket_redis_close(rd, (char *) buf);
            return;
        }

        lag = (ngx_msec_t) repl.last_io * 1000;
    }

    if (s->state == NGX_HTTP_TICKET_SYNC_LOADING) {
        ngx_http_ticket_rev_send(s, "XINFO", "STREAM",
                                 (const char *) s->events.data,
                                 ngx_http_ticket_rev_load_id);
        return;
    }

    /* a round without a gap on a current server: contact */

    ngx_http_ticket_rev_contact(s, lag);

    if (s->gap) {
        /* an invalid entry, or a full zone: load the lists again */
        ngx_http_ticket_rev_load(s);
        return;
    }

    ngx_http_ticket_rev_follow(s);
}


/*
 * Where the stream stands when the load begins: the last id it generated
 * (not the last entry left: a trimmed stream keeps its place) and how
 * many entries were ever added.  Following resumes there once the lists
 * are in, and each round checks that no entry past it was deleted unread.
 */

static void
ngx_http_ticket_rev_load_id(ngx_http_ticket_redis_t *rd, redisReply *reply,
    void *data)
{
    ngx_http_ticket_rev_sync_t  *s = data;

    ngx_int_t                 rc;
    ticket_rev_stream_info_t  info;

    if (reply != NULL && ticket_rev_reply_no_stream(reply)) {
        /* no stream yet: everything it will hold is new */
        ngx_memcpy(s->load_id, "0-0", 3);
        s->load_id_len = 3;
        s->added = 0;
        goto scan;
    }

    if (ngx_http_ticket_rev_reply_ok(s, reply, "XINFO STREAM") != NGX_OK) {
        return;
    }

    rc = ticket_rev_reply_stream_info(reply, &info);

    if (rc != TICKET_REV_REPLY_OK) {
        ngx_http_ticket_redis_close(rd, rc == TICKET_REV_REPLY_BAD
                                        ? "unexpected XINFO STREAM reply"
                                        : "invalid stream id");
        return;
    }

    ngx_memcpy(s->load_id, info.last_id.data, info.last_id.len);
    s->load_id_len = info.last_id.len;
    s->added = info.added;

scan:

    s->read = 0;
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

    argv[0] = ticket_rev_list_info(s->list)->scan;
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
    ngx_int_t                    rc;
    ngx_uint_t                   bad;
    ticket_str_t                 cursor, member;
    const redisReply            *items;
    ngx_http_ticket_rev_zone_t  *zone;

    if (ngx_http_ticket_rev_reply_ok(s, reply, "SCAN") != NGX_OK) {
        return;
    }

    rc = ticket_rev_reply_scan(reply, s->list, sizeof(s->cursor), &cursor,
                               &items);

    if (rc != TICKET_REV_REPLY_OK) {
        ngx_http_ticket_redis_close(rd, rc == TICKET_REV_REPLY_BAD_ITEMS
                                        ? "unexpected SCAN items"
                                        : "unexpected SCAN reply");
        return;
    }

    step = ticket_rev_scan_step(s->list);
    zone = s->zone;
    bad = 0;

    ngx_shmtx_lock(&zone->shpool->mutex);

    for (i = 0; i < items->elements; i += step) {

        /* an unreadable value revokes all it could: fail closed */

        rc = ticket_rev_reply_scan_row(items, s->list, i, &member, &value);

        if (rc != TICKET_REV_ROW_OK) {
            bad++;

            if (rc == TICKET_REV_ROW_SKIP) {
                continue;
            }
        }

        hash = ticket_rev_hash(s->list, member.data, member.len);
        value = ngx_http_ticket_rev_hold(s, s->list, value);

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
        ngx_http_ticket_rev_full(s, (items->elements - i) / step);
    }

    if (cursor.len != 1 || cursor.data[0] != '0') {
        ngx_memcpy(s->cursor, cursor.data, cursor.len);
        s->cursor_len = cursor.len;
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

    /* every row Redis holds is in again, kept under today's lifetimes */
    if (!s->load_full) {
        ngx_shmtx_lock(&zone->shpool->mutex);
        zone->sh->pruned = 0;
        ngx_shmtx_unlock(&zone->shpool->mutex);
    }

    /*
     * Not contact yet: an XREAD that does not block, then the gap check,
     * prove that the stream can be followed from where the load began.
     */
    s->confirm = 1;

    ngx_memcpy(s->last_id, s->load_id, s->load_id_len);
    s->last_id_len = s->load_id_len;
    ngx_memcpy(s->from_id, s->load_id, s->load_id_len);
    s->from_id_len = s->load_id_len;

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
 * Following, a round at a time: a blocking XREAD from the last id
 * applied (one that never returns trips the command deadline), the
 * entries applied, then XINFO STREAM: was an entry past the position
 * deleted before it was read (a gap: load the lists again), then INFO
 * replication.  Only a whole round is contact.
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
    ngx_http_ticket_rev_send(s, "XINFO", "STREAM",
                             (const char *) s->events.data,
                             ngx_http_ticket_rev_gap_reply);
}


static void
ngx_http_ticket_rev_gap_reply(ngx_http_ticket_redis_t *rd, redisReply *reply,
    void *data)
{
    ngx_http_ticket_rev_sync_t  *s = data;

    ngx_int_t                 rc;
    ngx_uint_t                gap;
    ticket_rev_stream_info_t  info;

    if (reply != NULL && ticket_rev_reply_no_stream(reply)) {
        /* gone: a gap unless there never was anything (added is -1 on
         * Redis 6: then the position says) */
        gap = (s->added > 0 || s->read != 0
               || !(s->last_id_len == 3
                    && ngx_strncmp(s->last_id, "0-0", 3) == 0));

    } else {
        if (ngx_http_ticket_rev_reply_ok(s, reply, "XINFO STREAM")
            != NGX_OK)
        {
            return;
        }

        rc = ticket_rev_reply_stream_info(reply, &info);

        if (rc != TICKET_REV_REPLY_OK) {
            ngx_http_ticket_redis_close(rd, rc == TICKET_REV_REPLY_BAD
                                            ? "unexpected XINFO STREAM reply"
                                            : "invalid stream id");
            return;
        }

        gap = ngx_http_ticket_rev_is_gap(s, &info);
    }

    if (gap) {
        ngx_log_error(NGX_LOG_WARN, rd->log, 0,
                      "ticket: gap in \"%V\": loading the lists again",
                      &s->events);
        ngx_http_ticket_rev_load(s);
        return;
    }

    ngx_http_ticket_rev_send(s, "INFO", "replication", NULL,
                             ngx_http_ticket_rev_replication_reply);
}


/*
 * Entries deleted before they were read (a trim, XDEL, the stream deleted
 * and made again) leave a mark in what Redis 7 reports: entries-added
 * counts every entry ever added, so the entries added since the load
 * less those read are the entries never read.  None of them may lie at
 * or before the position (XREAD returns all there are): when the oldest
 * entry left is past the position (or none is), the unread are exactly
 * the stream's length, and when the position is the stream's last id
 * there are none.  A deficit persists until a round can tell.  XDEL past
 * the position also shows as max-deleted-entry-id (Redis 7.0 leaves it
 * at 0-0 on a trim, hence the count).
 */

static ngx_uint_t
ngx_http_ticket_rev_is_gap(ngx_http_ticket_rev_sync_t *s,
    ticket_rev_stream_info_t *info)
{
    int      last;
    int64_t  unread;

    last = ticket_rev_id_cmp(info->last_id.data, info->last_id.len,
                             (char *) s->last_id, s->last_id_len);

    if (last < 0) {
        /* the stream is behind what was read: made again */
        return 1;
    }

    if (info->added >= 0 && s->added >= 0) {

        if (info->max_deleted.data != NULL
            && ticket_rev_id_cmp(info->max_deleted.data,
                                 info->max_deleted.len,
                                 (char *) s->last_id, s->last_id_len)
               > 0)
        {
            return 1;
        }

        unread = info->added - (s->added + s->read);

        if (unread < 0) {
            return 1;
        }

        if (last == 0) {
            return unread != 0;
        }

        if (info->first_id.data == NULL
            || ticket_rev_id_cmp(info->first_id.data, info->first_id.len,
                                 (char *) s->last_id, s->last_id_len)
               > 0)
        {
            return unread != info->length;
        }

        /* entries on both sides of the position: a later round tells */

        return 0;
    }

    /*
     * A server without those fields (Redis 6): the oldest entry left past
     * where the batch started, or none left past the position.
     */

    if (info->first_id.data == NULL) {
        return last > 0;
    }

    return !(s->from_id_len == 3 && ngx_strncmp(s->from_id, "0-0", 3) == 0)
           && ticket_rev_id_cmp(info->first_id.data, info->first_id.len,
                                (char *) s->from_id, s->from_id_len)
              > 0;
}


static void
ngx_http_ticket_rev_read_reply(ngx_http_ticket_redis_t *rd,
    redisReply *reply, void *data)
{
    ngx_http_ticket_rev_sync_t  *s = data;

    size_t             i;
    ngx_int_t          rc;
    const redisReply  *entries;

    if (ngx_http_ticket_rev_reply_ok(s, reply, "XREAD") != NGX_OK) {
        return;
    }

    s->round_at = ngx_current_msec;

    rc = ticket_rev_reply_read(reply, &entries);

    if (rc == TICKET_REV_REPLY_NIL) {
        ngx_http_ticket_rev_check_gap(s);
        return;
    }

    if (rc != TICKET_REV_REPLY_OK) {
        ngx_http_ticket_redis_close(rd, "unexpected XREAD reply");
        return;
    }

    ngx_memcpy(s->from_id, s->last_id, s->last_id_len);
    s->from_id_len = s->last_id_len;

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
ngx_http_ticket_rev_apply(ngx_http_ticket_rev_sync_t *s,
    const redisReply *entry)
{
    int                          rc, truncated;
    int64_t                      value;
    uint64_t                     hash;
    ngx_int_t                    n;
    ticket_str_t                 id;
    ticket_rev_entry_t           e;
    ngx_http_ticket_rev_zone_t  *zone;

    if (ticket_rev_reply_entry(entry, &id, &e, &rc, &truncated)
        != TICKET_REV_REPLY_OK)
    {
        return NGX_ERROR;
    }

    if (truncated) {
        /* more than any writer of the SPEC's layout sends: the lists in
         * Redis are the truth, read them again */
        s->gap = 1;
    }

    if (rc == TICKET_REV_ENTRY_OK) {
        zone = s->zone;
        hash = ticket_rev_hash(e.list, e.member.data, e.member.len);
        value = ngx_http_ticket_rev_hold(s, e.list, e.value);

        ngx_shmtx_lock(&zone->shpool->mutex);
        n = ngx_http_ticket_rev_insert_locked(zone, e.list, hash, value);
        ngx_shmtx_unlock(&zone->shpool->mutex);

        if (n != NGX_OK) {
            ngx_http_ticket_rev_full(s, 1);
        }

    } else if (rc == TICKET_REV_ENTRY_INVALID) {
        /* it may have been a revocation: never skip it, reload the lists */
        ngx_log_error(NGX_LOG_ERR, s->redis.log, 0,
                      "ticket: invalid entry %*s in \"%V\": loading the "
                      "lists again", id.len, id.data, &s->events);
        s->gap = 1;
    }

    ngx_memcpy(s->last_id, id.data, id.len);
    s->last_id_len = id.len;
    s->read++;

    return NGX_OK;
}


static ngx_int_t
ngx_http_ticket_rev_reply_ok(ngx_http_ticket_rev_sync_t *s,
    redisReply *reply, const char *what)
{
    u_char        buf[256];
    ticket_str_t  text;

    if (reply == NULL) {
        /* the connection went away; the down handler takes it from here */
        return NGX_ERROR;
    }

    if (ticket_rev_reply_error(reply, 200, &text)) {
        /* WRONGTYPE, NOPERM, OOM...: the lists cannot be trusted, nor
         * followed: no contact, and a longer wait before the next try */
        ngx_snprintf(buf, sizeof(buf), "%s failed: %*s%Z", what,
                     text.len, text.data);
        s->refused = 1;
        ngx_http_ticket_redis_close(&s->redis, (char *) buf);
        return NGX_ERROR;
    }

    return NGX_OK;
}


/*
 * What a row keeps: a cut-off its value; a jti its exp, or, if later, the
 * time it was applied plus the largest lifetime and leeway: the writer's
 * exp may be wrong (SPEC: a jti row holds until the ticket it names can
 * no longer be valid, whatever exp the writer gave).  Such a ticket was
 * issued by then (iat at most leeway ahead) and lives at most the
 * lifetime past its iat; pruning adds the exp leeway.
 */

static int64_t
ngx_http_ticket_rev_hold(ngx_http_ticket_rev_sync_t *s,
    ticket_rev_list_t list, int64_t value)
{
    int64_t  hold;

    if (list != TICKET_REV_JTI) {
        return value;
    }

    hold = (int64_t) ngx_time() + s->rmcf->max_lifetime + s->rmcf->max_leeway;

    return ngx_max(value, hold);
}


/* a full zone: one crit line a minute, with what was refused meanwhile */

static void
ngx_http_ticket_rev_full(ngx_http_ticket_rev_sync_t *s, ngx_uint_t refused)
{
    s->full_refused += refused;

    if (s->full_logged_once
        && (ngx_msec_int_t) (ngx_current_msec - s->full_logged)
           < NGX_HTTP_TICKET_FULL_LOG_EVERY)
    {
        return;
    }

    ngx_log_error(NGX_LOG_CRIT, s->redis.log, 0,
                  "ticket: revocation zone is full (ticket_shm_size): "
                  "%ui revocations refused%s, failing closed",
                  s->full_refused,
                  s->full_logged_once ? " in the last minute" : "");

    s->full_logged = ngx_current_msec;
    s->full_logged_once = 1;
    s->full_refused = 0;
}


/* pruning: a bounded batch a tick, the lock held for one batch */

static void
ngx_http_ticket_rev_prune(ngx_http_ticket_rev_sync_t *s)
{
    time_t                       now, keep;
    int64_t                      bound;
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

    /*
     * A cut-off c matches an iat up to c + leeway, and such a ticket is
     * accepted until iat + lifetime + leeway: c + lifetime + 2 leeway.
     */

    keep = s->rmcf->max_leeway;

    if (s->prune_list != TICKET_REV_JTI) {
        keep += s->rmcf->max_lifetime + s->rmcf->max_leeway;
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

            /* the latest iat (less leeway) this row could still match */
            bound = (s->prune_list == TICKET_REV_JTI)
                    ? rn->value - s->rmcf->max_lifetime - s->rmcf->max_leeway
                    : rn->value;

            if (bound > sh->pruned) {
                sh->pruned = bound;
            }

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
