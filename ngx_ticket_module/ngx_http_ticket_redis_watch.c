
/*
 * ngx_ticket_module: +switch-master, heard in each worker.
 *
 * Sentinel publishes +switch-master on every Sentinel when a failover
 * ends ("NAME OLD-IP OLD-PORT NEW-IP NEW-PORT").  A worker whose Redis
 * connections are open keeps one more, to a Sentinel, SUBSCRIBEd to that
 * channel; a message for our master moves every connection watched to
 * the primary it names.  Without it a gateway only asks again when its
 * connection fails, READONLY comes back or ROLE disagrees: a primary that
 * the Sentinels could not demote (cut off from them, not from us) would
 * still be read while revocations go to the new one.
 *
 * The watching connection is checked each second: opened while a watched
 * connection is open (the next Sentinel in turn after a failure), closed
 * when none is, and PINGed when idle, so that a Sentinel gone silent is
 * noticed by the command timeout.
 */


#include "ngx_http_ticket_types.h"
#include "ngx_http_ticket_redis.h"
#include "ngx_http_ticket_redis_watch.h"


#define NGX_HTTP_TICKET_WATCH_TICK    1000    /* ms */
#define NGX_HTTP_TICKET_WATCH_PING    5       /* idle ticks between PINGs */
#define NGX_HTTP_TICKET_WATCH_MAX     2       /* the sync's, the writer's */
#define NGX_HTTP_TICKET_WATCH_RETRY   8000    /* ms: the longest wait after
                                                 a failure */
#define NGX_HTTP_TICKET_WATCH_REFUSED 60000   /* ms: after AUTH or
                                                 SUBSCRIBE refused */


typedef struct {
    ngx_http_ticket_redis_t         redis;
    ngx_event_t                     tick;
    ngx_http_ticket_redis_t        *watched[NGX_HTTP_TICKET_WATCH_MAX];
    ngx_uint_t                      n;
    ngx_uint_t                      idle;
    ngx_msec_t                      backoff;
    ngx_msec_t                      next_try;
} ngx_http_ticket_redis_watch_t;


static void ngx_http_ticket_redis_watch_tick(ngx_event_t *ev);
static void ngx_http_ticket_redis_watch_ready(ngx_http_ticket_redis_t *rd);
static void ngx_http_ticket_redis_watch_down(ngx_http_ticket_redis_t *rd);
static void ngx_http_ticket_redis_watch_failed(
    ngx_http_ticket_redis_watch_t *w, ngx_uint_t refused);
static void ngx_http_ticket_redis_watch_message(ngx_http_ticket_redis_t *rd,
    redisReply *reply, void *data);
static void ngx_http_ticket_redis_watch_pong(ngx_http_ticket_redis_t *rd,
    redisReply *reply, void *data);


static ngx_http_ticket_redis_watch_t  ngx_http_ticket_redis_watcher;


ngx_int_t
ngx_http_ticket_redis_watch(ngx_http_ticket_redis_t *rd)
{
    ngx_uint_t                      i;
    ngx_http_ticket_redis_watch_t  *w;

    w = &ngx_http_ticket_redis_watcher;

    if (rd->conf->sentinel.len == 0) {
        return NGX_OK;
    }

    for (i = 0; i < w->n; i++) {
        if (w->watched[i] == rd) {
            return NGX_OK;
        }
    }

    if (w->n == NGX_HTTP_TICKET_WATCH_MAX
        || (w->n && w->watched[0]->conf != rd->conf))
    {
        ngx_log_error(NGX_LOG_ALERT, rd->log, 0,
                      "ticket redis: cannot watch another connection");
        return NGX_ERROR;
    }

    w->watched[w->n++] = rd;

    if (w->n > 1) {
        return NGX_OK;
    }

    w->redis.conf = rd->conf;
    w->redis.log = rd->log;
    w->redis.watching = 1;
    w->redis.ready = ngx_http_ticket_redis_watch_ready;
    w->redis.down = ngx_http_ticket_redis_watch_down;
    w->backoff = NGX_HTTP_TICKET_WATCH_TICK;
    w->redis.push = ngx_http_ticket_redis_watch_message;
    w->redis.data = w;

    w->tick.handler = ngx_http_ticket_redis_watch_tick;
    w->tick.data = w;
    w->tick.log = rd->log;
    w->tick.cancelable = 1;

    ngx_add_timer(&w->tick, NGX_HTTP_TICKET_WATCH_TICK);

    return NGX_OK;
}


void
ngx_http_ticket_redis_watch_exit(void)
{
    ngx_http_ticket_redis_watch_t  *w;

    w = &ngx_http_ticket_redis_watcher;

    if (w->tick.timer_set) {
        ngx_del_timer(&w->tick);
    }

    ngx_http_ticket_redis_close(&w->redis, NULL);
}


static void
ngx_http_ticket_redis_watch_tick(ngx_event_t *ev)
{
    ngx_http_ticket_redis_watch_t  *w = ev->data;

    size_t       argvlen[1];
    ngx_uint_t   i, open;
    const char  *argv[1];

    if (ngx_exiting || ngx_quit || ngx_terminate) {
        ngx_http_ticket_redis_close(&w->redis, NULL);
        return;
    }

    open = 0;

    for (i = 0; i < w->n; i++) {
        if (w->watched[i]->conn != NULL) {
            open = 1;
        }
    }

    if (!open) {
        /* nothing to watch for: closed, and no failure */
        w->redis.down = NULL;
        ngx_http_ticket_redis_close(&w->redis, NULL);
        w->redis.down = ngx_http_ticket_redis_watch_down;
        w->backoff = NGX_HTTP_TICKET_WATCH_TICK;
        w->next_try = ngx_current_msec;

    } else if (w->redis.conn == NULL) {
        if ((ngx_msec_int_t) (ngx_current_msec - w->next_try) >= 0) {
            /* a connect that fails at once passes the turn to the next */
            w->idle = 0;

            if (ngx_http_ticket_redis_connect(&w->redis) != NGX_OK) {
                ngx_http_ticket_redis_watch_failed(w, 0);
            }
        }

    } else if (w->redis.is_ready && w->redis.pending == 0
               && ++w->idle >= NGX_HTTP_TICKET_WATCH_PING)
    {
        w->idle = 0;
        argv[0] = "PING";
        argvlen[0] = 4;

        if (ngx_http_ticket_redis_command(&w->redis,
                                          ngx_http_ticket_redis_watch_pong,
                                          NULL, 0, 1, argv, argvlen)
            != NGX_OK)
        {
            ngx_http_ticket_redis_close(&w->redis, "cannot send PING");
        }
    }

    ngx_add_timer(&w->tick, NGX_HTTP_TICKET_WATCH_TICK);
}


/*
 * A Sentinel down, silent or refusing: the next one after a wait that
 * doubles (each worker would otherwise log, and send the password, every
 * second)
 */

static void
ngx_http_ticket_redis_watch_down(ngx_http_ticket_redis_t *rd)
{
    ngx_http_ticket_redis_watch_failed(rd->data, rd->refused);
}


static void
ngx_http_ticket_redis_watch_failed(ngx_http_ticket_redis_watch_t *w,
    ngx_uint_t refused)
{
    ngx_msec_t  max;

    max = refused ? NGX_HTTP_TICKET_WATCH_REFUSED
                  : NGX_HTTP_TICKET_WATCH_RETRY;

    w->next_try = ngx_current_msec + w->backoff;
    w->backoff = ngx_min(w->backoff * 2, max);
}


static void
ngx_http_ticket_redis_watch_ready(ngx_http_ticket_redis_t *rd)
{
    ngx_http_ticket_redis_watch_t  *w = rd->data;

    w->backoff = NGX_HTTP_TICKET_WATCH_TICK;

    ngx_log_error(NGX_LOG_INFO, rd->log, 0,
                  "ticket redis sentinel: following +switch-master of \"%V\"",
                  &rd->conf->sentinel);
}


static void
ngx_http_ticket_redis_watch_message(ngx_http_ticket_redis_t *rd,
    redisReply *reply, void *data)
{
    ngx_http_ticket_redis_watch_t  *w = data;

    ngx_uint_t              i;
    ticket_sentinel_addr_t  sa;

    switch (ticket_sentinel_switch(reply, (char *) rd->conf->sentinel.data,
                                   rd->conf->sentinel.len, &sa))
    {
    case TICKET_SENTINEL_OK:
        break;

    case TICKET_SENTINEL_UNKNOWN:
        /* another master's failover */
        return;

    default:
        ngx_http_ticket_redis_close(rd, "unexpected +switch-master message");
        return;
    }

    for (i = 0; i < w->n; i++) {
        ngx_http_ticket_redis_switch(w->watched[i], &sa);
    }
}


/* in subscribed mode PING's reply is ["pong", ""]: that it came is enough */

static void
ngx_http_ticket_redis_watch_pong(ngx_http_ticket_redis_t *rd,
    redisReply *reply, void *data)
{
    if (reply->type == REDIS_REPLY_ERROR) {
        ngx_http_ticket_redis_close(rd, "PING refused");
    }
}
