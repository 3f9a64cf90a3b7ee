
/*
 * ngx_ticket_module: revocations written from a worker.
 *
 * Each worker that writes keeps its own connection (the sync's follows
 * the stream with a blocking XREAD, so it cannot carry writes), opened
 * on the first write and kept.  Writes run one at a time, since WATCH
 * belongs to the connection:
 *
 *   WATCH the lists' keys and the seen key; EXISTS seen; HGET the stored
 *   cut-off of every hash row; then MULTI, each change (a cut-off never
 *   moved back, as ticketctl revoke does) and its XADD, SET seen EX ttl,
 *   EXEC.  A nil EXEC (another writer changed a key) runs it again.
 *
 * The caller hears once, through a posted event: acknowledged, already
 * seen, or failed (Redis down, timed out or refusing: a 503 to a
 * transmitter, which retries).
 */


#include "ngx_http_ticket_types.h"
#include "ngx_http_ticket_redis.h"
#include "ngx_http_ticket_redis_watch.h"
#include "ngx_http_ticket_revocation_write.h"


#define NGX_HTTP_TICKET_REV_WRITE_TRIES   5
#define NGX_HTTP_TICKET_REV_WRITE_PREP    (2 + NGX_HTTP_TICKET_REV_WRITE_MAX)


struct ngx_http_ticket_rev_write_s {
    ngx_queue_t                     queue;
    ngx_http_ticket_rev_write_pt    handler;    /* NULL: cancelled */
    void                           *data;
    ngx_event_t                     done;
    ngx_int_t                       rc;

    size_t                          n;
    ticket_rev_entry_t              entries[NGX_HTTP_TICKET_REV_WRITE_MAX];
    int64_t                         stored[NGX_HTTP_TICKET_REV_WRITE_MAX];
    ngx_str_t                       seen;       /* the whole key */
    time_t                          ttl;

    ngx_int_t                       what[NGX_HTTP_TICKET_REV_WRITE_PREP];
    ngx_uint_t                      expect;     /* replies to prepare */
    ngx_uint_t                      replies;
    ngx_uint_t                      tries;
    unsigned                        exists:1;
    unsigned                        failed:1;
};


typedef struct {
    ngx_http_ticket_redis_t         redis;
    ngx_queue_t                     queue;
    ngx_http_ticket_rev_write_t    *current;
    ngx_str_t                       keys[TICKET_REV_LISTS];
    ngx_str_t                       events;
    ngx_str_t                       prefix;
    unsigned                        inited:1;
} ngx_http_ticket_rev_writer_t;


#define NGX_HTTP_TICKET_REV_WATCH   -1
#define NGX_HTTP_TICKET_REV_EXISTS  -2


static ngx_int_t ngx_http_ticket_rev_writer_init(ngx_log_t *log);
static void ngx_http_ticket_rev_write_next(void);
static void ngx_http_ticket_rev_write_start(ngx_http_ticket_rev_write_t *w);
static void ngx_http_ticket_rev_write_prepared(ngx_http_ticket_redis_t *rd,
    redisReply *reply, void *data);
static void ngx_http_ticket_rev_write_exec(ngx_http_ticket_rev_write_t *w);
static void ngx_http_ticket_rev_write_queued(ngx_http_ticket_redis_t *rd,
    redisReply *reply, void *data);
static void ngx_http_ticket_rev_write_exec_reply(ngx_http_ticket_redis_t *rd,
    redisReply *reply, void *data);
static void ngx_http_ticket_rev_write_finish(ngx_http_ticket_rev_write_t *w,
    ngx_int_t rc);
static void ngx_http_ticket_rev_write_done(ngx_event_t *ev);
static void ngx_http_ticket_rev_writer_ready(ngx_http_ticket_redis_t *rd);
static void ngx_http_ticket_rev_writer_down(ngx_http_ticket_redis_t *rd);
static ngx_int_t ngx_http_ticket_rev_write_send(ngx_http_ticket_rev_write_t *w,
    ngx_http_ticket_redis_reply_pt handler, int argc, const char **argv,
    const size_t *lens);


static ngx_http_ticket_rev_writer_t  ngx_http_ticket_rev_writer;


ngx_http_ticket_rev_write_t *
ngx_http_ticket_rev_write(ngx_log_t *log, const ticket_rev_entry_t *entries,
    size_t n, const ngx_str_t *seen, time_t ttl,
    ngx_http_ticket_rev_write_pt handler, void *data)
{
    u_char                        *p;
    size_t                         i, size;
    ticket_rev_entry_t            *e;
    ngx_http_ticket_rev_write_t   *w;
    ngx_http_ticket_rev_writer_t  *wr;

    wr = &ngx_http_ticket_rev_writer;

    if (n > NGX_HTTP_TICKET_REV_WRITE_MAX
        || ngx_http_ticket_rev_writer_init(log) != NGX_OK)
    {
        return NULL;
    }

    /* the entries' strings and the seen key are copied after the struct */

    size = sizeof(ngx_http_ticket_rev_write_t);

    for (i = 0; i < n; i++) {
        if (entries[i].list >= TICKET_REV_LISTS) {
            return NULL;
        }

        size += entries[i].member.len + entries[i].reason.len
                + entries[i].actor.len;
    }

    if (seen != NULL && seen->len) {
        size += wr->prefix.len + sizeof("seen:") - 1 + seen->len + 1;
    }

    w = ngx_alloc(size, log);
    if (w == NULL) {
        return NULL;
    }

    ngx_memzero(w, sizeof(ngx_http_ticket_rev_write_t));

    p = (u_char *) (w + 1);

    for (i = 0; i < n; i++) {
        e = &w->entries[i];
        *e = entries[i];

        e->member.data = (const char *) p;
        p = ngx_cpymem(p, entries[i].member.data, entries[i].member.len);

        if (entries[i].reason.data != NULL) {
            e->reason.data = (const char *) p;
            p = ngx_cpymem(p, entries[i].reason.data, entries[i].reason.len);
        }

        if (entries[i].actor.data != NULL) {
            e->actor.data = (const char *) p;
            p = ngx_cpymem(p, entries[i].actor.data, entries[i].actor.len);
        }
    }

    if (seen != NULL && seen->len) {
        w->seen.data = p;
        p = ngx_cpymem(p, wr->prefix.data, wr->prefix.len);
        p = ngx_cpymem(p, "seen:", sizeof("seen:") - 1);
        p = ngx_cpymem(p, seen->data, seen->len);
        w->seen.len = p - w->seen.data;
        *p = '\0';
    }

    w->n = n;
    w->ttl = ttl > 0 ? ttl : 86400;
    w->handler = handler;
    w->data = data;

    w->done.handler = ngx_http_ticket_rev_write_done;
    w->done.data = w;
    w->done.log = wr->redis.log;

    ngx_queue_insert_tail(&wr->queue, &w->queue);

    if (wr->current == NULL) {
        ngx_http_ticket_rev_write_next();
    }

    return w;
}


void
ngx_http_ticket_rev_write_cancel(ngx_http_ticket_rev_write_t *w)
{
    w->handler = NULL;
}


void
ngx_http_ticket_rev_write_exit(ngx_cycle_t *cycle)
{
    ngx_http_ticket_rev_writer_t  *wr;

    wr = &ngx_http_ticket_rev_writer;

    if (!wr->inited) {
        return;
    }

    wr->redis.down = NULL;
    ngx_http_ticket_redis_close(&wr->redis, NULL);
}


static ngx_int_t
ngx_http_ticket_rev_writer_init(ngx_log_t *log)
{
    ngx_uint_t                        i;
    const char                       *prefix;
    ngx_http_ticket_rev_writer_t     *wr;
    ngx_http_ticket_rev_main_conf_t  *rmcf;

    wr = &ngx_http_ticket_rev_writer;

    if (wr->inited) {
        return NGX_OK;
    }

    rmcf = ngx_http_cycle_get_module_main_conf(ngx_cycle,
                                          ngx_http_ticket_revocation_module);

    if (rmcf == NULL || rmcf->redis.addrs == NULL) {
        return NGX_ERROR;
    }

    prefix = (const char *) rmcf->redis.prefix.data;

    for (i = 0; i < TICKET_REV_LISTS; i++) {
        wr->keys[i].len = ticket_rev_key(NULL, 0, prefix,
                                         rmcf->redis.prefix.len, i);
        wr->keys[i].data = ngx_pnalloc(ngx_cycle->pool, wr->keys[i].len + 1);
        if (wr->keys[i].data == NULL) {
            return NGX_ERROR;
        }

        (void) ticket_rev_key((char *) wr->keys[i].data, wr->keys[i].len + 1,
                              prefix, rmcf->redis.prefix.len, i);
    }

    wr->events.len = ticket_rev_events_key(NULL, 0, prefix,
                                           rmcf->redis.prefix.len);
    wr->events.data = ngx_pnalloc(ngx_cycle->pool, wr->events.len + 1);
    if (wr->events.data == NULL) {
        return NGX_ERROR;
    }

    (void) ticket_rev_events_key((char *) wr->events.data,
                                 wr->events.len + 1, prefix,
                                 rmcf->redis.prefix.len);

    wr->prefix = rmcf->redis.prefix;

    ngx_queue_init(&wr->queue);

    wr->redis.conf = &rmcf->redis;
    wr->redis.log = ngx_cycle->log;
    wr->redis.ready = ngx_http_ticket_rev_writer_ready;
    wr->redis.down = ngx_http_ticket_rev_writer_down;
    wr->redis.data = wr;

    if (ngx_http_ticket_redis_watch(&wr->redis) != NGX_OK) {
        return NGX_ERROR;
    }

    wr->inited = 1;

    return NGX_OK;
}


static void
ngx_http_ticket_rev_write_next(void)
{
    ngx_queue_t                   *q;
    ngx_http_ticket_rev_write_t   *w;
    ngx_http_ticket_rev_writer_t  *wr;

    wr = &ngx_http_ticket_rev_writer;

    if (wr->current != NULL || ngx_queue_empty(&wr->queue)) {
        return;
    }

    q = ngx_queue_head(&wr->queue);
    w = ngx_queue_data(q, ngx_http_ticket_rev_write_t, queue);

    if (wr->redis.conn == NULL) {
        if (ngx_http_ticket_redis_connect(&wr->redis) != NGX_OK) {
            ngx_http_ticket_rev_writer_down(&wr->redis);
        }

        /* ready() starts it */
        return;
    }

    if (!wr->redis.is_ready) {
        return;
    }

    ngx_http_ticket_rev_write_start(w);
}


static void
ngx_http_ticket_rev_writer_ready(ngx_http_ticket_redis_t *rd)
{
    ngx_http_ticket_rev_write_next();
}


/* Redis lost: every queued write fails, the next write connects again */

static void
ngx_http_ticket_rev_writer_down(ngx_http_ticket_redis_t *rd)
{
    ngx_queue_t                   *q;
    ngx_http_ticket_rev_write_t   *w;
    ngx_http_ticket_rev_writer_t  *wr;

    wr = &ngx_http_ticket_rev_writer;

    wr->current = NULL;

    while (!ngx_queue_empty(&wr->queue)) {
        q = ngx_queue_head(&wr->queue);
        w = ngx_queue_data(q, ngx_http_ticket_rev_write_t, queue);

        ngx_queue_remove(q);

        w->rc = NGX_ERROR;
        ngx_post_event(&w->done, &ngx_posted_events);
    }
}


static void
ngx_http_ticket_rev_write_start(ngx_http_ticket_rev_write_t *w)
{
    int                            argc;
    size_t                         i, lens[3 + NGX_HTTP_TICKET_REV_WRITE_MAX];
    const char                    *argv[3 + NGX_HTTP_TICKET_REV_WRITE_MAX];
    ngx_str_t                     *key;
    ngx_uint_t                     seen_lists;
    ngx_http_ticket_rev_writer_t  *wr;

    wr = &ngx_http_ticket_rev_writer;
    wr->current = w;

    w->expect = 0;
    w->replies = 0;
    w->exists = 0;
    w->failed = 0;

    /* WATCH every key the transaction writes, each once */

    argc = 0;
    argv[argc] = "WATCH";
    lens[argc++] = sizeof("WATCH") - 1;

    seen_lists = 0;

    for (i = 0; i < w->n; i++) {
        if (seen_lists & (1u << w->entries[i].list)) {
            continue;
        }

        seen_lists |= 1u << w->entries[i].list;
        key = &wr->keys[w->entries[i].list];

        argv[argc] = (const char *) key->data;
        lens[argc++] = key->len;
    }

    argv[argc] = (const char *) wr->events.data;
    lens[argc++] = wr->events.len;

    if (w->seen.len) {
        argv[argc] = (const char *) w->seen.data;
        lens[argc++] = w->seen.len;
    }

    w->what[w->expect++] = NGX_HTTP_TICKET_REV_WATCH;

    if (ngx_http_ticket_rev_write_send(w, ngx_http_ticket_rev_write_prepared,
                                       argc, argv, lens)
        != NGX_OK)
    {
        return;
    }

    if (w->seen.len) {
        argv[0] = "EXISTS";
        lens[0] = sizeof("EXISTS") - 1;
        argv[1] = (const char *) w->seen.data;
        lens[1] = w->seen.len;

        w->what[w->expect++] = NGX_HTTP_TICKET_REV_EXISTS;

        if (ngx_http_ticket_rev_write_send(w,
                                           ngx_http_ticket_rev_write_prepared,
                                           2, argv, lens)
            != NGX_OK)
        {
            return;
        }
    }

    /* the stored cut-offs: a cut-off never moves back */

    for (i = 0; i < w->n; i++) {
        w->stored[i] = -1;

        if (ticket_rev_list_info(w->entries[i].list)->type[0] != 'h') {
            continue;
        }

        key = &wr->keys[w->entries[i].list];

        argv[0] = "HGET";
        lens[0] = sizeof("HGET") - 1;
        argv[1] = (const char *) key->data;
        lens[1] = key->len;
        argv[2] = w->entries[i].member.data;
        lens[2] = w->entries[i].member.len;

        w->what[w->expect++] = (ngx_int_t) i;

        if (ngx_http_ticket_rev_write_send(w,
                                           ngx_http_ticket_rev_write_prepared,
                                           3, argv, lens)
            != NGX_OK)
        {
            return;
        }
    }
}


static void
ngx_http_ticket_rev_write_prepared(ngx_http_ticket_redis_t *rd,
    redisReply *reply, void *data)
{
    ngx_http_ticket_rev_write_t *w = data;

    int64_t    v;
    ngx_int_t  what;

    if (reply == NULL || w->replies >= w->expect) {
        return;
    }

    what = w->what[w->replies++];

    if (reply->type == REDIS_REPLY_ERROR) {
        ngx_log_error(NGX_LOG_ERR, rd->log, 0,
                      "ticket revocation write: %*s",
                      ngx_min(reply->len, 200), reply->str);
        w->failed = 1;

    } else if (what == NGX_HTTP_TICKET_REV_EXISTS) {
        w->exists = (reply->type == REDIS_REPLY_INTEGER
                     && reply->integer > 0);

    } else if (what >= 0 && reply->type == REDIS_REPLY_STRING) {
        if (ticket_rev_parse_time(reply->str, reply->len, &v) == 0) {
            w->stored[what] = v;

        } else {
            /* unreadable: revoked for good already, as the sync reads it */
            w->stored[what] = TICKET_MAX_TIME;
        }
    }

    if (w->replies == w->expect) {
        ngx_http_ticket_rev_write_exec(w);
    }
}


static void
ngx_http_ticket_rev_write_exec(ngx_http_ticket_rev_write_t *w)
{
    int                            argc;
    char                           val[TICKET_REV_VALUE_LEN];
    char                           ttl[NGX_TIME_T_LEN + 1];
    size_t                         i, nf;
    size_t                         lens[TICKET_REV_XADD_ARGS];
    const char                    *argv[TICKET_REV_XADD_ARGS];
    ticket_str_t                   key, events;
    ticket_str_t                   fields[TICKET_REV_MAX_FIELDS];
    ticket_rev_entry_t             e;
    ngx_http_ticket_rev_writer_t  *wr;

    wr = &ngx_http_ticket_rev_writer;

    if (w->failed || w->exists) {
        argv[0] = "UNWATCH";
        lens[0] = sizeof("UNWATCH") - 1;

        if (ngx_http_ticket_rev_write_send(w, ngx_http_ticket_rev_write_queued,
                                           1, argv, lens)
            == NGX_OK)
        {
            ngx_http_ticket_rev_write_finish(w, w->failed ? NGX_ERROR
                                                          : NGX_DECLINED);
        }

        return;
    }

    argv[0] = "MULTI";
    lens[0] = sizeof("MULTI") - 1;

    if (ngx_http_ticket_rev_write_send(w, ngx_http_ticket_rev_write_queued,
                                       1, argv, lens)
        != NGX_OK)
    {
        return;
    }

    for (i = 0; i < w->n; i++) {
        e = w->entries[i];

        if (w->stored[i] > e.value) {
            e.value = w->stored[i];
        }

        nf = ticket_rev_encode_entry(&e, fields, val);
        if (nf == 0) {
            ngx_http_ticket_redis_close(&wr->redis,
                                        "cannot encode a revocation entry");
            return;
        }

        /* the commands as ticketctl revoke sends them: core's */

        key.data = (const char *) wr->keys[e.list].data;
        key.len = wr->keys[e.list].len;

        argc = (int) ticket_rev_add_command(&e, &key, val, argv, lens);

        if (argc == 0) {
            /* not a list: the encoder refused it above already */
            ngx_http_ticket_redis_close(&wr->redis,
                                        "cannot encode a revocation entry");
            return;
        }

        if (ngx_http_ticket_rev_write_send(w,
                                           ngx_http_ticket_rev_write_queued,
                                           argc, argv, lens)
            != NGX_OK)
        {
            return;
        }

        events.data = (const char *) wr->events.data;
        events.len = wr->events.len;

        argc = (int) ticket_rev_xadd_command(&events, fields, nf, argv,
                                             lens);

        if (argc == 0) {
            ngx_http_ticket_redis_close(&wr->redis,
                                        "cannot encode a revocation entry");
            return;
        }

        if (ngx_http_ticket_rev_write_send(w,
                                           ngx_http_ticket_rev_write_queued,
                                           argc, argv, lens)
            != NGX_OK)
        {
            return;
        }
    }

    if (w->seen.len) {
        argv[0] = "SET";
        lens[0] = 3;
        argv[1] = (const char *) w->seen.data;
        lens[1] = w->seen.len;
        argv[2] = "1";
        lens[2] = 1;
        argv[3] = "EX";
        lens[3] = 2;
        argv[4] = ttl;
        lens[4] = ngx_sprintf((u_char *) ttl, "%T", w->ttl) - (u_char *) ttl;

        if (ngx_http_ticket_rev_write_send(w,
                                           ngx_http_ticket_rev_write_queued,
                                           5, argv, lens)
            != NGX_OK)
        {
            return;
        }
    }

    argv[0] = "EXEC";
    lens[0] = 4;

    (void) ngx_http_ticket_rev_write_send(w,
                                          ngx_http_ticket_rev_write_exec_reply,
                                          1, argv, lens);
}


/* MULTI's OK and the QUEUEDs: a refusal shows again in EXEC's reply */

static void
ngx_http_ticket_rev_write_queued(ngx_http_ticket_redis_t *rd,
    redisReply *reply, void *data)
{
}


static void
ngx_http_ticket_rev_write_exec_reply(ngx_http_ticket_redis_t *rd,
    redisReply *reply, void *data)
{
    ngx_http_ticket_rev_write_t *w = data;

    size_t  i;

    if (reply == NULL) {
        return;
    }

    if (reply->type == REDIS_REPLY_NIL) {

        /* a watched key changed under the transaction: again */

        if (++w->tries < NGX_HTTP_TICKET_REV_WRITE_TRIES) {
            ngx_http_ticket_rev_write_start(w);
            return;
        }

        ngx_log_error(NGX_LOG_ERR, rd->log, 0,
                      "ticket revocation write: the keys kept changing, "
                      "nothing written");
        ngx_http_ticket_rev_write_finish(w, NGX_ERROR);
        return;
    }

    if (reply->type != REDIS_REPLY_ARRAY) {
        ngx_log_error(NGX_LOG_ERR, rd->log, 0,
                      "ticket revocation write: EXEC: %*s",
                      reply->type == REDIS_REPLY_ERROR
                      ? ngx_min(reply->len, 200) : 16,
                      reply->type == REDIS_REPLY_ERROR
                      ? reply->str : "unexpected reply");
        ngx_http_ticket_rev_write_finish(w, NGX_ERROR);
        return;
    }

    for (i = 0; i < reply->elements; i++) {
        if (reply->element[i] == NULL
            || reply->element[i]->type == REDIS_REPLY_ERROR)
        {
            ngx_log_error(NGX_LOG_ERR, rd->log, 0,
                          "ticket revocation write: a command of the "
                          "transaction failed");
            ngx_http_ticket_rev_write_finish(w, NGX_ERROR);
            return;
        }
    }

    ngx_http_ticket_rev_write_finish(w, NGX_OK);
}


static void
ngx_http_ticket_rev_write_finish(ngx_http_ticket_rev_write_t *w,
    ngx_int_t rc)
{
    ngx_http_ticket_rev_writer_t  *wr;

    wr = &ngx_http_ticket_rev_writer;

    ngx_queue_remove(&w->queue);

    if (wr->current == w) {
        wr->current = NULL;
    }

    w->rc = rc;
    ngx_post_event(&w->done, &ngx_posted_events);

    ngx_http_ticket_rev_write_next();
}


static void
ngx_http_ticket_rev_write_done(ngx_event_t *ev)
{
    ngx_http_ticket_rev_write_t *w = ev->data;

    if (w->handler != NULL) {
        w->handler(w->data, w->rc);
    }

    ngx_free(w);
}


/* a command that cannot be sent drops the connection: every write fails */

static ngx_int_t
ngx_http_ticket_rev_write_send(ngx_http_ticket_rev_write_t *w,
    ngx_http_ticket_redis_reply_pt handler, int argc, const char **argv,
    const size_t *lens)
{
    ngx_http_ticket_rev_writer_t  *wr;

    wr = &ngx_http_ticket_rev_writer;

    if (ngx_http_ticket_redis_command(&wr->redis, handler, w, 0, argc, argv,
                                      lens)
        != NGX_OK)
    {
        ngx_http_ticket_redis_close(&wr->redis,
                                    "cannot send a revocation write");
        return NGX_ERROR;
    }

    return NGX_OK;
}
