
/*
 * ngx_ticket_module: the audit trail, written at the log phase, so that a
 * record's status is the status actually sent.  One record a request at
 * most: the most severe event that applies.
 *
 * Files are written as nginx's access log writes them: into a buffer,
 * flushed when full, by a timer within a second, before USR1 reopens the
 * file and at exit.  syslog: targets send one record a message through
 * nginx's own syslog code.  A failing disk costs records (counted in
 * ticket_audit_dropped_total, logged once a minute), never a request.
 */


#include "ngx_http_ticket_types.h"
#include "ngx_http_ticket_audit.h"
#include "ngx_http_ticket_decision.h"
#include "ngx_http_ticket_status.h"
#include "ngx_http_ticket_alert.h"
#include "ngx_http_ticket_text.h"
#include "ngx_http_ticket_cache.h"

#include <ticket_audit.h>
#include <ticket_policy.h>

#include <grp.h>


#define NGX_HTTP_TICKET_AUDIT_BUF     (64 * 1024)
#define NGX_HTTP_TICKET_AUDIT_FLUSH   1000

/* what ngx_syslog_add_header() may write: nginx keeps its own size private */
#define NGX_HTTP_TICKET_SYSLOG_HEADER                                         \
    (sizeof("<255>Jan 01 00:00:00 ") - 1 + NGX_MAXHOSTNAMELEN + 1 + 32 + 2)


typedef struct {
    u_char                     *start;
    u_char                     *pos;
    u_char                     *last;
    ngx_event_t                *event;
    ngx_uint_t                  records;     /* in the buffer */
    time_t                      error_logged;
    ngx_http_ticket_main_conf_t *tmcf;       /* its counters */
} ngx_http_ticket_audit_buf_t;


static ngx_int_t ngx_http_ticket_audit_handler(ngx_http_request_t *r);
static void ngx_http_ticket_audit_alerts(ngx_http_request_t *r,
    ngx_http_ticket_ctx_t *ctx, ticket_audit_event_t event);
static void ngx_http_ticket_audit_emit(ngx_http_request_t *r,
    ngx_http_ticket_audit_log_t *log, ticket_audit_record_t *rec);
static ticket_audit_event_t ngx_http_ticket_audit_event_of(
    ngx_http_ticket_ctx_t *ctx);
static void ngx_http_ticket_audit_fill(ngx_http_request_t *r,
    ngx_http_ticket_ctx_t *ctx, ticket_audit_record_t *rec);
static void ngx_http_ticket_audit_file(ngx_open_file_t *file, u_char *rec,
    size_t len, ngx_log_t *log);
static void ngx_http_ticket_audit_syslog(ngx_syslog_peer_t *peer,
    ngx_pool_t *pool, const ticket_audit_record_t *rec, size_t len,
    ngx_http_ticket_metrics_t *m, ngx_log_t *log);
static void ngx_http_ticket_audit_flush(ngx_open_file_t *file,
    ngx_log_t *log);
static void ngx_http_ticket_audit_write(ngx_open_file_t *file, u_char *data,
    size_t len, ngx_uint_t records, ngx_log_t *log);
static void ngx_http_ticket_audit_flush_handler(ngx_event_t *ev);
static void ngx_http_ticket_audit_buffered_add(ngx_int_t n);
static void ngx_http_ticket_audit_commit(ngx_open_file_t *file,
    u_char *last);
static void ngx_http_ticket_audit_reap(ngx_cycle_t *cycle,
    ngx_http_ticket_main_conf_t *tmcf);
static ngx_int_t ngx_http_ticket_audit_init_zone(ngx_shm_zone_t *shm_zone,
    void *data);
static ngx_int_t ngx_http_ticket_audit_required_add(ngx_conf_t *cf,
    ngx_array_t *a, const char *prefix, ngx_str_t *name, ngx_str_t *values,
    ngx_uint_t n, ticket_str_t *tvalues);


static ngx_int_t  ngx_http_ticket_request_id_index = NGX_ERROR;

/*
 * A writer is one process: gateway-pid-start.  Its seq lives in the
 * process, as its buffer does, and is taken when a record is made, so
 * that every record the process loses (a failed write, a full buffer
 * when it is killed) is a gap.  A reload starts new processes: new
 * writers, each gapless from 1.
 */
/*
 * What a worker holds unwritten, published in a shared zone: a worker
 * killed (SIGKILL, a crash) takes its buffer with it, and the worker that
 * starts next counts those records as dropped and says so.  One slot a
 * live worker: its pid and how many records it has buffered.
 */

#define NGX_HTTP_TICKET_AUDIT_SLOTS  256

typedef struct {
    ngx_atomic_t                pid;         /* 0: free */
    ngx_atomic_t                buffered;
} ngx_http_ticket_audit_slot_t;

static ngx_str_t  ngx_http_ticket_audit_zone_name = ngx_string("ticket_audit");
static ngx_http_ticket_audit_slot_t  *ngx_http_ticket_audit_slot;
static ngx_uint_t                     ngx_http_ticket_audit_buffered;

static ngx_str_t  ngx_http_ticket_audit_gateway_name;
static ngx_str_t  ngx_http_ticket_audit_writer;
static uint64_t   ngx_http_ticket_audit_seq;


static ngx_int_t
ngx_http_ticket_audit_handler(ngx_http_request_t *r)
{
    ticket_audit_event_t          event, e;
    ticket_audit_record_t         rec;
    ngx_http_ticket_ctx_t        *ctx, *main;
    ngx_http_ticket_loc_conf_t   *tlcf;

    if (r != r->main) {
        /* log_subrequest on: the main request's record is its own */
        return NGX_OK;
    }

    main = ngx_http_ticket_get_ctx(r);

    if (main == NULL) {
        return NGX_OK;
    }

    /* the most severe of this scope's decision and earlier scopes' */

    ctx = main;
    event = ngx_http_ticket_audit_event_of(main);

    if (main->earlier != NULL) {
        e = ngx_http_ticket_audit_event_of(main->earlier);

        if (e > event) {
            ctx = main->earlier;
            event = e;
        }
    }

    if (event == TICKET_AUDIT_NONE) {
        return NGX_OK;
    }

    /* the scope that decided says where its records go */

    tlcf = ctx->conf;

    if (tlcf->audit_log != NULL
        && (tlcf->audit_events & TICKET_AUDIT_EVENT_MASK(event)))
    {
        ngx_memzero(&rec, sizeof(ticket_audit_record_t));
        ngx_http_ticket_audit_fill(r, ctx, &rec);

        rec.event = event;
        rec.reason = (event == TICKET_AUDIT_EXCESS_PRIVILEGE)
                     ? TICKET_EXCESS_PRIVILEGE : ctx->reason;

        ngx_http_ticket_audit_emit(r, tlcf->audit_log, &rec);
    }

    if (tlcf->alerts_set) {
        ngx_http_ticket_audit_alerts(r, ctx, event);
    }

    return NGX_OK;
}


/*
 * ticket_alert: an insufficient_role refusal counts for its subject (a
 * wrong kind, audience or claim is a client at the wrong place, not one
 * reaching for privilege), a trusted ticket's request for its jti and
 * client address; the request that crosses a threshold writes an "alert"
 * record after its own.
 */

static void
ngx_http_ticket_audit_alerts(ngx_http_request_t *r,
    ngx_http_ticket_ctx_t *ctx, ticket_audit_event_t event)
{
    u_char                       *p;
    ngx_str_t                     key, addr, text;
    ngx_uint_t                    rule, count, revoke;
    ticket_t                     *t;
    ticket_audit_record_t         rec;
    ngx_http_ticket_metrics_t    *m;
    ngx_http_ticket_loc_conf_t   *tlcf;
    ngx_http_ticket_main_conf_t  *tmcf;

    static const char  *reasons[] = { "over_privilege_burst", "shared_ticket" };

    tlcf = ctx->conf;
    t = &ctx->ticket;

    if (!t->verified || !ctx->parsed) {
        return;                  /* only what a trusted ticket says */
    }

    for (rule = 0; rule < NGX_HTTP_TICKET_ALERT_RULES; rule++) {

        if (rule == NGX_HTTP_TICKET_ALERT_OVER) {
            if (event != TICKET_AUDIT_OVER_PRIVILEGE
                || ctx->reason != TICKET_INSUFFICIENT_ROLE
                || t->sub.data == NULL)
            {
                continue;
            }

            /* "TENANT/SUB", as the revocation row names a subject */

            key.len = t->tenant.len + 1 + t->sub.len;
            key.data = ngx_pnalloc(r->pool, key.len);
            if (key.data == NULL) {
                return;
            }

            p = key.data;

            if (t->tenant.len) {
                p = ngx_cpymem(p, t->tenant.data, t->tenant.len);
            }

            *p++ = '/';
            ngx_memcpy(p, t->sub.data, t->sub.len);

            count = ngx_http_ticket_alert_count(r, tlcf, rule, &key, NULL);

        } else {
            if (t->jti.data == NULL) {
                continue;
            }

            key.data = (u_char *) t->jti.data;
            key.len = t->jti.len;
            addr = r->connection->addr_text;

            count = ngx_http_ticket_alert_count(r, tlcf, rule, &key, &addr);
        }

        if (count == 0) {
            continue;
        }

        tmcf = ngx_http_get_module_main_conf(r, ngx_http_ticket_module);
        m = ngx_http_ticket_metrics(tmcf);

        if (m != NULL) {
            (void) ngx_atomic_fetch_add(&m->alerts[rule], 1);
        }

        ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                      "ticket alert: %s, %ui in %T s",
                      reasons[rule], count, tlcf->alerts[rule].window);

        /*
         * A ticket that came in a cookie is never revoked: any web page
         * can make a victim's browser send its cookie to a forbidden
         * path, and so get the victim revoked.  The alert is recorded.
         */

        revoke = tlcf->alerts[rule].revoke;

        if (revoke && ctx->cookie) {
            revoke = 0;

            /* the member as the logs show it: control bytes as \xHH */

            if (ngx_http_ticket_safe_str(r->pool, (const char *) key.data,
                                         key.len, &text)
                != NGX_OK)
            {
                ngx_str_set(&text, "?");
            }

            ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                          "ticket alert: %s: not revoking %s \"%V\": "
                          "the ticket came in a cookie",
                          rule == NGX_HTTP_TICKET_ALERT_OVER
                          ? "over_privilege" : "shared_ticket",
                          rule == NGX_HTTP_TICKET_ALERT_OVER
                          ? "subject" : "jti", &text);
        }

        /*
         * revoke: queued to this worker's Redis writer, never waited for;
         * ticket_mode audit is a dry run: the record says what would be
         * done (enforced false), nothing is written
         */

        if (revoke && tlcf->mode == NGX_HTTP_TICKET_ENFORCE) {
            if (rule == NGX_HTTP_TICKET_ALERT_OVER) {
                ngx_http_ticket_alert_revoke(r, rule, &key, ngx_time());

            } else {
                ngx_http_ticket_alert_revoke(r, rule, &key, t->exp);
            }
        }

        if (tlcf->audit_log == NULL) {
            continue;
        }

        ngx_memzero(&rec, sizeof(ticket_audit_record_t));
        ngx_http_ticket_audit_fill(r, ctx, &rec);

        rec.event = TICKET_AUDIT_ALERT;
        rec.reason = ctx->reason;
        rec.alert_reason = reasons[rule];
        rec.alert_count = count;
        rec.alert_window = (unsigned) tlcf->alerts[rule].window;
        rec.alert_revoke = revoke;

        ngx_http_ticket_audit_emit(r, tlcf->audit_log, &rec);
    }
}


static void
ngx_http_ticket_audit_emit(ngx_http_request_t *r,
    ngx_http_ticket_audit_log_t *log, ticket_audit_record_t *rec)
{
    size_t                        len;
    u_char                       *buf, *p;
    ngx_http_ticket_audit_buf_t  *b;
    ngx_http_ticket_metrics_t    *m;
    ngx_http_ticket_main_conf_t  *tmcf;

    /*
     * A file's record is written once, straight into its buffer, when it
     * fits what is free there (nearly always); else the pass gave the
     * length, and the record is written apart and buffered as before.
     */

    if (!log->syslog) {
        b = log->file->data;

        p = (u_char *) ticket_audit_record_write_within((char *) b->pos,
                                                        (char *) b->last,
                                                        rec, &len);
        if (p != NULL) {
            ngx_http_ticket_audit_commit(log->file, p);
            return;
        }

    } else {
        len = ticket_audit_record_len(rec);
    }

    tmcf = ngx_http_get_module_main_conf(r, ngx_http_ticket_module);
    m = ngx_http_ticket_metrics(tmcf);

    if (len > 16 * 1024 * 1024) {
        /* cannot happen within nginx's header limits; never wrap a size */
        if (m != NULL) {
            (void) ngx_atomic_fetch_add(&m->audit_dropped, 1);
        }

        return;
    }

    if (log->syslog) {
        ngx_http_ticket_audit_syslog(log->syslog, r->pool, rec, len, m,
                                     r->connection->log);
        return;
    }

    buf = ngx_pnalloc(r->pool, len);
    if (buf == NULL) {
        if (m != NULL) {
            (void) ngx_atomic_fetch_add(&m->audit_dropped, 1);
        }

        return;
    }

    p = (u_char *) ticket_audit_record_write((char *) buf, rec);

    ngx_http_ticket_audit_file(log->file, buf, p - buf, r->connection->log);
}


void
ngx_http_ticket_audit_write_record(ngx_http_request_t *r,
    ngx_http_ticket_loc_conf_t *tlcf, ticket_audit_record_t *rec)
{
    u_char                       *q;
    ngx_time_t                   *tp;
    ngx_http_variable_value_t    *vv;
    ngx_http_ticket_audit_log_t  *log;

    log = tlcf->audit_log;

    if (log == NULL) {
        return;
    }

    /*
     * The scope's format, as ngx_http_ticket_audit_fill() sets it for a
     * request's record: the caller zeroed rec, and 0 is the native
     * record, whose string event, host and client would conflict with
     * an ECS index's objects in the same file.
     */

    rec->format = (ticket_audit_format_t) tlcf->audit_format;

    tp = ngx_timeofday();
    rec->time_ms = (int64_t) tp->sec * 1000 + tp->msec;

    rec->client.data = (const char *) r->connection->addr_text.data;
    rec->client.len = r->connection->addr_text.len;
    rec->method.data = (const char *) r->method_name.data;
    rec->method.len = r->method_name.len;
    rec->host.data = (const char *) r->headers_in.server.data;
    rec->host.len = r->headers_in.server.len;
    rec->uri.data = (const char *) r->unparsed_uri.data;
    rec->uri.len = r->unparsed_uri.len;

    q = ngx_strlchr(r->unparsed_uri.data,
                    r->unparsed_uri.data + r->unparsed_uri.len, '?');
    if (q != NULL) {
        rec->uri.len = q - r->unparsed_uri.data;
    }

    rec->request_id.data = "";
    rec->request_id.len = 0;

    if (ngx_http_ticket_request_id_index != NGX_ERROR) {
        vv = ngx_http_get_indexed_variable(r,
                                           ngx_http_ticket_request_id_index);
        if (vv != NULL && !vv->not_found) {
            rec->request_id.data = (const char *) vv->data;
            rec->request_id.len = vv->len;
        }
    }

    rec->gateway.data = (const char *) ngx_http_ticket_audit_gateway_name.data;
    rec->gateway.len = ngx_http_ticket_audit_gateway_name.len;
    rec->writer.data = (const char *) ngx_http_ticket_audit_writer.data;
    rec->writer.len = ngx_http_ticket_audit_writer.len;
    rec->seq = ++ngx_http_ticket_audit_seq;

    ngx_http_ticket_audit_emit(r, log, rec);
}


static ticket_audit_event_t
ngx_http_ticket_audit_event_of(ngx_http_ticket_ctx_t *ctx)
{
    ngx_uint_t                   excess;
    ngx_http_ticket_loc_conf_t  *tlcf;

    if (ctx->preflight) {
        return TICKET_AUDIT_PREFLIGHT;
    }

    if (ctx->decision == NGX_HTTP_TICKET_NONE) {
        return TICKET_AUDIT_NONE;
    }

    tlcf = ctx->conf;

    excess = (ctx->reason == TICKET_OK && ctx->ticket.verified
              && tlcf->policy.privileged_roles.n
              && ticket_excess_privilege(&ctx->ticket, &tlcf->policy));

    return ticket_audit_event(ctx->reason, (int) excess);
}


static void
ngx_http_ticket_audit_fill(ngx_http_request_t *r, ngx_http_ticket_ctx_t *ctx,
    ticket_audit_record_t *rec)
{
    int                          i;
    u_char                      *q;
    ticket_t                    *t;
    ngx_time_t                  *tp;
    ngx_http_variable_value_t   *vv;
    ngx_http_core_loc_conf_t    *clcf;
    ngx_http_ticket_loc_conf_t  *tlcf;

    tlcf = ctx->conf;
    t = &ctx->ticket;
    tp = ngx_timeofday();

    rec->time_ms = (int64_t) tp->sec * 1000 + tp->msec;
    rec->status = r->headers_out.status ? r->headers_out.status
                                        : (unsigned) r->err_status;
    rec->enforced = (tlcf->mode == NGX_HTTP_TICKET_ENFORCE && !ctx->admitted);
    rec->verified = t->verified;

    rec->client.data = (const char *) r->connection->addr_text.data;
    rec->client.len = r->connection->addr_text.len;
    rec->method.data = (const char *) r->method_name.data;
    rec->method.len = r->method_name.len;
    rec->host.data = (const char *) r->headers_in.server.data;
    rec->host.len = r->headers_in.server.len;

    /* the URI the client asked for, even after error_page; no arguments */

    rec->uri.data = (const char *) r->unparsed_uri.data;
    rec->uri.len = r->unparsed_uri.len;

    q = ngx_strlchr(r->unparsed_uri.data,
                    r->unparsed_uri.data + r->unparsed_uri.len, '?');
    if (q != NULL) {
        rec->uri.len = q - r->unparsed_uri.data;
    }

    if (ngx_http_ticket_request_id_index != NGX_ERROR) {
        vv = ngx_http_get_indexed_variable(r,
                                           ngx_http_ticket_request_id_index);
        if (vv != NULL && !vv->not_found) {
            rec->request_id.data = (const char *) vv->data;
            rec->request_id.len = vv->len;
        }
    }

    if (rec->request_id.data == NULL) {
        rec->request_id.data = "";
    }

    if (t->header != NULL || t->restored) {
        rec->kid = t->kid;
    }

    if (ctx->parsed) {
        /* unverified: what the ticket claimed, which the SOC wants */
        rec->sub = t->sub;
        rec->kind = t->kind_name;
        rec->tenant = t->tenant;
        rec->jti = t->jti;
        rec->iss = t->iss;
        rec->sid = t->sid;
        rec->roles_list = &t->roles_list;
    }

    rec->format = (ticket_audit_format_t) tlcf->audit_format;
    rec->required = tlcf->required;
    rec->nrequired = tlcf->nrequired;

    if (ctx->parsed) {
        rec->exp = t->exp;
        rec->has_exp = 1;
    }

    switch (ctx->reason) {

    case TICKET_WRONG_KIND:
    case TICKET_WRONG_AUDIENCE:
    case TICKET_INSUFFICIENT_ROLE:
    case TICKET_CLAIM_MISMATCH:
        i = ticket_unmet(t, &tlcf->policy);

        if (i >= 0 && (size_t) i < tlcf->nrequired) {
            rec->unmet = tlcf->required[i];
        }

        break;

    default:
        break;
    }

    /*
     * Under "satisfy any", another access module (allow, auth_basic)
     * admitted a request the ticket refused: the refusal was not
     * enforced, and the record says so rather than "denied, 200".
     */

    clcf = ngx_http_get_module_loc_conf(r, ngx_http_core_module);

    if (ctx->decision == NGX_HTTP_TICKET_DENY
        && clcf->satisfy == NGX_HTTP_SATISFY_ANY
        && r->access_code == 0
        && rec->status < NGX_HTTP_BAD_REQUEST)
    {
        rec->enforced = 0;
    }

    rec->gateway.data = (const char *) ngx_http_ticket_audit_gateway_name.data;
    rec->gateway.len = ngx_http_ticket_audit_gateway_name.len;
    rec->writer.data = (const char *) ngx_http_ticket_audit_writer.data;
    rec->writer.len = ngx_http_ticket_audit_writer.len;
    rec->seq = ++ngx_http_ticket_audit_seq;

    if (ctx->token.len) {
        rec->token = ctx->token.data;
        rec->token_len = ctx->token.len;

        /*
         * The fingerprint is hashed once a request (an alert's record
         * and the request's share it), and once a ticket while its cache
         * entry lives: a repeated ticket's records take it from there.
         * Only a ticket whose key was found can have an entry: junk
         * (malformed, unknown key) costs no lock of the cache.
         */

        if (ctx->token_fp[0] == '\0') {
            ticket_audit_token_fp(ctx->token.data, ctx->token.len,
                                  (char *) ctx->token_fp);

            if (ctx->ticket.key != NULL) {
                ngx_http_ticket_cache_set_fp(
                    ngx_http_get_module_main_conf(r, ngx_http_ticket_module),
                    &ctx->token, ctx->token_fp);
            }
        }

        if (ctx->token_fp[0] != '\0') {
            rec->token_fp = (const char *) ctx->token_fp;
        }
    }
}


static void
ngx_http_ticket_audit_file(ngx_open_file_t *file, u_char *rec, size_t len,
    ngx_log_t *log)
{
    ngx_http_ticket_audit_buf_t  *b;

    b = file->data;

    if (len > (size_t) (b->last - b->pos)) {
        ngx_http_ticket_audit_flush(file, log);
    }

    if (len > (size_t) (b->last - b->start)) {
        /* larger than the whole buffer: written on its own, at once */
        ngx_http_ticket_audit_write(file, rec, len, 1, log);
        return;
    }

    ngx_http_ticket_audit_commit(file, ngx_cpymem(b->pos, rec, len));
}


/* a record now in the file's buffer, up to last */

static void
ngx_http_ticket_audit_commit(ngx_open_file_t *file, u_char *last)
{
    ngx_http_ticket_audit_buf_t  *b;

    b = file->data;

    b->pos = last;
    b->records++;
    ngx_http_ticket_audit_buffered_add(1);

    if (!b->event->timer_set) {
        ngx_add_timer(b->event, NGX_HTTP_TICKET_AUDIT_FLUSH);
    }
}


static void
ngx_http_ticket_audit_syslog(ngx_syslog_peer_t *peer, ngx_pool_t *pool,
    const ticket_audit_record_t *rec, size_t len, ngx_http_ticket_metrics_t *m,
    ngx_log_t *log)
{
    u_char   *buf, *p;
    ssize_t   n;

    buf = ngx_pnalloc(pool, NGX_HTTP_TICKET_SYSLOG_HEADER + len);
    if (buf == NULL) {
        if (m != NULL) {
            (void) ngx_atomic_fetch_add(&m->audit_dropped, 1);
        }

        return;
    }

    p = ngx_syslog_add_header(peer, buf);
    p = (u_char *) ticket_audit_record_write((char *) p, rec);

    /* one record a message, without the line's newline */

    n = ngx_syslog_send(peer, buf, p - 1 - buf);

    if (n < 0) {
        if (m != NULL) {
            (void) ngx_atomic_fetch_add(&m->audit_dropped, 1);
        }

        return;
    }

    if (m != NULL) {
        (void) ngx_atomic_fetch_add(&m->audit_records, 1);
    }
}


static void
ngx_http_ticket_audit_flush(ngx_open_file_t *file, ngx_log_t *log)
{
    ngx_http_ticket_audit_buf_t  *b;

    b = file->data;

    if (b->event->timer_set) {
        ngx_del_timer(b->event);
    }

    if (b->pos > b->start) {
        ngx_http_ticket_audit_write(file, b->start, b->pos - b->start,
                                    b->records, log);
    }

    ngx_http_ticket_audit_buffered_add(-(ngx_int_t) b->records);

    b->pos = b->start;
    b->records = 0;
}


static void
ngx_http_ticket_audit_buffered_add(ngx_int_t n)
{
    ngx_http_ticket_audit_buffered += n;

    if (ngx_http_ticket_audit_slot != NULL) {
        ngx_http_ticket_audit_slot->buffered = ngx_http_ticket_audit_buffered;
    }
}


/*
 * At a worker's start: the records of workers that died with records
 * buffered (a normal exit writes them and frees its slot) are counted as
 * dropped, and this worker takes a slot.
 */

static void
ngx_http_ticket_audit_reap(ngx_cycle_t *cycle,
    ngx_http_ticket_main_conf_t *tmcf)
{
    ngx_uint_t                     i;
    ngx_atomic_uint_t              pid, n;
    ngx_http_ticket_metrics_t     *m;
    ngx_http_ticket_audit_slot_t  *slots;

    slots = tmcf->audit_zone->data;
    m = ngx_http_ticket_metrics(tmcf);

    for (i = 0; i < NGX_HTTP_TICKET_AUDIT_SLOTS; i++) {
        pid = slots[i].pid;

        if (pid == 0 || (ngx_pid_t) pid == ngx_pid
            || kill((ngx_pid_t) pid, 0) == 0 || ngx_errno != NGX_ESRCH)
        {
            continue;
        }

        n = slots[i].buffered;

        /* one reaper a slot, however many workers start at once */

        if (!ngx_atomic_cmp_set(&slots[i].pid, pid, 0)) {
            continue;
        }

        if (n == 0) {
            continue;
        }

        if (m != NULL) {
            (void) ngx_atomic_fetch_add(&m->audit_dropped, n);
        }

        ngx_log_error(NGX_LOG_CRIT, cycle->log, 0,
                      "ticket audit: worker process %P exited with %uA "
                      "records not written, dropped", (ngx_pid_t) pid, n);
    }

    for (i = 0; i < NGX_HTTP_TICKET_AUDIT_SLOTS; i++) {
        if (slots[i].pid == 0
            && ngx_atomic_cmp_set(&slots[i].pid, 0, (ngx_atomic_uint_t) ngx_pid))
        {
            slots[i].buffered = 0;
            ngx_http_ticket_audit_slot = &slots[i];
            return;
        }
    }

    /* more workers than slots: their buffers go uncounted, as before */
}


static ngx_int_t
ngx_http_ticket_audit_init_zone(ngx_shm_zone_t *shm_zone, void *data)
{
    ngx_slab_pool_t  *shpool;

    if (data != NULL) {
        /* reload: the slots of the old workers go on */
        shm_zone->data = data;
        return NGX_OK;
    }

    shpool = (ngx_slab_pool_t *) shm_zone->shm.addr;

    if (shm_zone->shm.exists) {
        shm_zone->data = shpool->data;
        return NGX_OK;
    }

    shm_zone->data = ngx_slab_calloc(shpool,
                         NGX_HTTP_TICKET_AUDIT_SLOTS
                         * sizeof(ngx_http_ticket_audit_slot_t));
    if (shm_zone->data == NULL) {
        return NGX_ERROR;
    }

    shpool->data = shm_zone->data;

    return NGX_OK;
}


static void
ngx_http_ticket_audit_write(ngx_open_file_t *file, u_char *data, size_t len,
    ngx_uint_t records, ngx_log_t *log)
{
    off_t                         tail;
    size_t                        whole;
    ssize_t                       n;
    ngx_err_t                     err;
    ngx_uint_t                    written;
    ngx_file_info_t               fi;
    ngx_http_ticket_metrics_t    *m;
    ngx_http_ticket_audit_buf_t  *b;

    b = file->data;
    m = ngx_http_ticket_metrics(b->tmcf);

    n = ngx_write_fd(file->fd, data, len);

    if (n == (ssize_t) len) {

        /*
         * Written to a file that is no longer there (deleted, not yet
         * reopened by USR1): nobody will read these records, count them
         * as lost.  A file created world-readable by a reopen loses its
         * "other" bits: records name people and their addresses.
         */

        if (ngx_fd_info(file->fd, &fi) != NGX_FILE_ERROR) {
            if (fi.st_nlink == 0) {
                if (m != NULL) {
                    (void) ngx_atomic_fetch_add(&m->audit_dropped, records);
                }

                if (ngx_time() - b->error_logged >= 60) {
                    b->error_logged = ngx_time();
                    ngx_log_error(NGX_LOG_CRIT, log, 0,
                                  "ticket audit: \"%s\" was deleted, "
                                  "%ui records lost until it is reopened",
                                  file->name.data, records);
                }

                return;
            }

            if (fi.st_mode & S_IRWXO) {
                (void) fchmod(file->fd, fi.st_mode & 0770);
            }
        }

        if (m != NULL) {
            (void) ngx_atomic_fetch_add(&m->audit_records, records);
        }

        return;
    }

    err = (n == -1) ? ngx_errno : 0;
    written = 0;

    if (n > 0) {

        /*
         * A short write (a full disk): the whole records it holds stay,
         * the cut one is truncated away, so that the next record starts
         * a line of its own and no intact record is lost with it.
         */

        for (whole = n; whole > 0 && data[whole - 1] != '\n'; whole--) {
            /* void */
        }

        for (tail = 0; (size_t) tail < whole; tail++) {
            if (data[tail] == '\n') {
                written++;
            }
        }

        tail = n - whole;

        if (tail > 0
            && (ngx_fd_info(file->fd, &fi) == NGX_FILE_ERROR
                || fi.st_size < tail
                || ftruncate(file->fd, fi.st_size - tail) == -1))
        {
            ngx_log_error(NGX_LOG_CRIT, log, ngx_errno,
                          "ticket audit: a cut record could not be removed "
                          "from \"%s\"", file->name.data);
        }
    }

    if (m != NULL) {
        (void) ngx_atomic_fetch_add(&m->audit_records, written);
        (void) ngx_atomic_fetch_add(&m->audit_dropped, records - written);
    }

    /* once a minute: a full disk must not flood the error log too */

    if (ngx_time() - b->error_logged < 60) {
        return;
    }

    b->error_logged = ngx_time();

    if (n == -1) {
        ngx_log_error(NGX_LOG_CRIT, log, err,
                      "ticket audit: write to \"%s\" failed, %ui records "
                      "dropped", file->name.data, records);

    } else {
        ngx_log_error(NGX_LOG_CRIT, log, 0,
                      "ticket audit: write to \"%s\" was incomplete: "
                      "%z of %uz bytes, %ui records dropped",
                      file->name.data, n, len, records - written);
    }
}


static void
ngx_http_ticket_audit_flush_handler(ngx_event_t *ev)
{
    ngx_http_ticket_audit_flush(ev->data, ev->log);
}


/*
 * In a worker: its writer name, and the audit files as Debian keeps its
 * logs, readable by the workers' user and group adm only.  The master
 * opened them as root; a worker owns nothing it could change but the
 * mode, so the master's init_module does the owner (below).
 */

ngx_int_t
ngx_http_ticket_audit_init_process(ngx_cycle_t *cycle)
{
    u_char                       *p;
    size_t                        len;
    ngx_http_ticket_main_conf_t  *tmcf;

    tmcf = ngx_http_cycle_get_module_main_conf(cycle, ngx_http_ticket_module);

    if (tmcf == NULL) {
        return NGX_OK;
    }

    ngx_http_ticket_audit_gateway_name = tmcf->audit_gateway;

    len = ngx_http_ticket_audit_gateway_name.len
          + 1 + NGX_INT64_LEN + 1 + NGX_TIME_T_LEN;

    p = ngx_pnalloc(cycle->pool, len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    ngx_http_ticket_audit_writer.data = p;
    ngx_http_ticket_audit_writer.len =
        ngx_sprintf(p, "%V-%P-%T", &ngx_http_ticket_audit_gateway_name,
                    ngx_pid, ngx_time())
        - p;

    ngx_http_ticket_audit_seq = 0;

    if (tmcf->audit_zone != NULL && ngx_process == NGX_PROCESS_WORKER) {
        ngx_http_ticket_audit_reap(cycle, tmcf);
    }

    return NGX_OK;
}


ngx_int_t
ngx_http_ticket_audit_init_module(ngx_cycle_t *cycle)
{
    gid_t             gid;
    ngx_uint_t        i;
    struct group     *gr;
    ngx_list_part_t  *part;
    ngx_open_file_t  *file;
    ngx_core_conf_t  *ccf;

    if (geteuid() != 0) {
        return NGX_OK;
    }

    ccf = (ngx_core_conf_t *) ngx_get_conf(cycle->conf_ctx, ngx_core_module);

    gr = getgrnam("adm");
    gid = (gr != NULL) ? gr->gr_gid : (gid_t) -1;

    part = &cycle->open_files.part;
    file = part->elts;

    for (i = 0; /* void */; i++) {

        if (i >= part->nelts) {
            if (part->next == NULL) {
                break;
            }

            part = part->next;
            file = part->elts;
            i = 0;
        }

        if (file[i].flush != ngx_http_ticket_audit_flush
            || file[i].fd == NGX_INVALID_FILE)
        {
            continue;
        }

        if (fchown(file[i].fd, (ccf->user == (ngx_uid_t) NGX_CONF_UNSET_UINT)
                               ? (uid_t) -1 : ccf->user, gid)
            == -1)
        {
            ngx_log_error(NGX_LOG_WARN, cycle->log, ngx_errno,
                          "fchown(\"%s\") failed", file[i].name.data);
        }

        if (fchmod(file[i].fd, 0640) == -1) {
            ngx_log_error(NGX_LOG_WARN, cycle->log, ngx_errno,
                          "fchmod(\"%s\") failed", file[i].name.data);
        }
    }

    return NGX_OK;
}


/* at a worker's exit: nothing buffered is lost */

void
ngx_http_ticket_audit_exit(ngx_cycle_t *cycle)
{
    ngx_uint_t        i;
    ngx_list_part_t  *part;
    ngx_open_file_t  *file;

    part = &cycle->open_files.part;
    file = part->elts;

    for (i = 0; /* void */; i++) {

        if (i >= part->nelts) {
            if (part->next == NULL) {
                break;
            }

            part = part->next;
            file = part->elts;
            i = 0;
        }

        if (file[i].flush == ngx_http_ticket_audit_flush) {
            ngx_http_ticket_audit_flush(&file[i], cycle->log);
        }
    }

    if (ngx_http_ticket_audit_slot != NULL) {
        ngx_http_ticket_audit_slot->buffered = 0;
        ngx_http_ticket_audit_slot->pid = 0;
        ngx_http_ticket_audit_slot = NULL;
    }

    /* the fingerprint's OpenSSL contexts: the module's library is closed
     * at exit, and static pointers with it */

    ticket_audit_token_fp_done();
}


/* configuration */

char *
ngx_http_ticket_audit_log(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_ticket_loc_conf_t *tlcf = conf;

    ngx_str_t                    *value;
    ngx_event_t                  *ev;
    ngx_open_file_t              *file;
    ngx_http_ticket_audit_buf_t  *b;
    ngx_http_ticket_audit_log_t  *log;
    ngx_http_ticket_main_conf_t  *tmcf;

    if (tlcf->audit_log != NGX_CONF_UNSET_PTR) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (ngx_strcmp(value[1].data, "off") == 0) {
        tlcf->audit_log = NULL;
        return NGX_CONF_OK;
    }

    log = ngx_pcalloc(cf->pool, sizeof(ngx_http_ticket_audit_log_t));
    if (log == NULL) {
        return NGX_CONF_ERROR;
    }

    if (ngx_strncmp(value[1].data, "syslog:", 7) == 0) {
        log->syslog = ngx_pcalloc(cf->pool, sizeof(ngx_syslog_peer_t));
        if (log->syslog == NULL) {
            return NGX_CONF_ERROR;
        }

        if (ngx_syslog_process_conf(cf, log->syslog) != NGX_CONF_OK) {
            return NGX_CONF_ERROR;
        }

        tlcf->audit_log = log;

        return NGX_CONF_OK;
    }

    file = ngx_conf_open_file(cf->cycle, &value[1]);
    if (file == NULL) {
        return NGX_CONF_ERROR;
    }

    tmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_ticket_module);

    if (tmcf->audit_zone == NULL) {
        tmcf->audit_zone = ngx_shared_memory_add(cf,
                                          &ngx_http_ticket_audit_zone_name,
                                          8 * ngx_pagesize,
                                          &ngx_http_ticket_module);
        if (tmcf->audit_zone == NULL) {
            return NGX_CONF_ERROR;
        }

        tmcf->audit_zone->init = ngx_http_ticket_audit_init_zone;
    }

    if (file->data == NULL) {
        if (file->flush != NULL
            && file->flush != ngx_http_ticket_audit_flush)
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "\"%V\" is also another log's file",
                               &value[1]);
            return NGX_CONF_ERROR;
        }

        b = ngx_pcalloc(cf->pool, sizeof(ngx_http_ticket_audit_buf_t));
        if (b == NULL) {
            return NGX_CONF_ERROR;
        }

        b->start = ngx_pnalloc(cf->pool, NGX_HTTP_TICKET_AUDIT_BUF);
        if (b->start == NULL) {
            return NGX_CONF_ERROR;
        }

        b->pos = b->start;
        b->last = b->start + NGX_HTTP_TICKET_AUDIT_BUF;
        b->tmcf = ngx_http_conf_get_module_main_conf(cf,
                                                     ngx_http_ticket_module);

        ev = ngx_pcalloc(cf->pool, sizeof(ngx_event_t));
        if (ev == NULL) {
            return NGX_CONF_ERROR;
        }

        ev->data = file;
        ev->handler = ngx_http_ticket_audit_flush_handler;
        ev->log = &cf->cycle->new_log;
        ev->cancelable = 1;

        b->event = ev;

        file->data = b;
        file->flush = ngx_http_ticket_audit_flush;

    } else if (file->flush != ngx_http_ticket_audit_flush) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\" is also another log's file", &value[1]);
        return NGX_CONF_ERROR;
    }

    log->file = file;
    tlcf->audit_log = log;

    return NGX_CONF_OK;
}


char *
ngx_http_ticket_audit_gateway(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_ticket_main_conf_t *tmcf = conf;

    ngx_str_t   *value;
    ngx_uint_t   i;

    if (tmcf->audit_gateway.data != NULL) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (value[1].len == 0 || value[1].len > 255) {
        return "takes a name of 1 to 255 bytes";
    }

    for (i = 0; i < value[1].len; i++) {
        if (value[1].data[i] <= ' ' || value[1].data[i] == 0x7f) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid gateway name \"%V\"", &value[1]);
            return NGX_CONF_ERROR;
        }
    }

    tmcf->audit_gateway = value[1];

    return NGX_CONF_OK;
}


char *
ngx_http_ticket_audit_events(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_ticket_loc_conf_t *tlcf = conf;

    int          e;
    ngx_str_t   *value;
    ngx_uint_t   i, mask;

    if (tlcf->audit_events != NGX_CONF_UNSET_UINT) {
        return "is duplicate";
    }

    value = cf->args->elts;
    mask = 0;

    for (i = 1; i < cf->args->nelts; i++) {
        e = ticket_audit_event_from_name((char *) value[i].data,
                                         value[i].len);
        if (e <= TICKET_AUDIT_NONE) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid event \"%V\", it must be "
                               "\"denied\", \"over_privilege\", "
                               "\"excess_privilege\", \"allowed\" or "
                               "\"preflight\"",
                               &value[i]);
            return NGX_CONF_ERROR;
        }

        mask |= TICKET_AUDIT_EVENT_MASK(e);
    }

    tlcf->audit_events = mask;

    return NGX_CONF_OK;
}


/*
 * What a location requires, once, as the records name it:
 * "kind:user", "aud:A|B", "role:A|B" a line, "claim:NAME=V1|V2" a line.
 */

ngx_int_t
ngx_http_ticket_audit_required(ngx_conf_t *cf,
    ngx_http_ticket_loc_conf_t *conf)
{
    ngx_str_t            kind, name;
    ngx_uint_t           i;
    ngx_array_t          a, *lines;
    ticket_claim_req_t  *creq;

    if (ngx_array_init(&a, cf->pool, 4, sizeof(ticket_str_t)) != NGX_OK) {
        return NGX_ERROR;
    }

    ngx_str_null(&name);

    switch (conf->kinds) {

    case TICKET_KIND_USER:
        ngx_str_set(&kind, "user");
        break;

    case TICKET_KIND_SERVICE:
        ngx_str_set(&kind, "service");
        break;

    default:
        ngx_str_set(&kind, "user|service");
    }

    if (ngx_http_ticket_audit_required_add(cf, &a, "kind:", &name, &kind, 1,
                                           NULL)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (conf->audiences != NULL
        && ngx_http_ticket_audit_required_add(cf, &a, "aud:", &name,
                                              conf->audiences->elts,
                                              conf->audiences->nelts, NULL)
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (conf->role_reqs != NULL) {
        lines = conf->role_reqs->elts;

        for (i = 0; i < conf->role_reqs->nelts; i++) {
            if (ngx_http_ticket_audit_required_add(cf, &a, "role:", &name,
                                                   lines[i].elts,
                                                   lines[i].nelts, NULL)
                != NGX_OK)
            {
                return NGX_ERROR;
            }
        }
    }

    if (conf->claim_reqs != NULL) {
        creq = conf->claim_reqs->elts;

        for (i = 0; i < conf->claim_reqs->nelts; i++) {
            name.data = (u_char *) creq[i].name.data;
            name.len = creq[i].name.len;

            if (ngx_http_ticket_audit_required_add(cf, &a, "claim:", &name,
                                                   NULL, creq[i].values.n,
                                                   creq[i].values.values)
                != NGX_OK)
            {
                return NGX_ERROR;
            }
        }
    }

    conf->required = a.elts;
    conf->nrequired = a.nelts;

    return NGX_OK;
}


static ngx_int_t
ngx_http_ticket_audit_required_add(ngx_conf_t *cf, ngx_array_t *a,
    const char *prefix, ngx_str_t *name, ngx_str_t *values, ngx_uint_t n,
    ticket_str_t *tvalues)
{
    u_char        *p;
    size_t         len;
    ngx_uint_t     i;
    ticket_str_t  *s;

    len = ngx_strlen(prefix) + name->len + 1;

    for (i = 0; i < n; i++) {
        len += (values ? values[i].len : tvalues[i].len) + 1;
    }

    p = ngx_pnalloc(cf->pool, len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    s = ngx_array_push(a);
    if (s == NULL) {
        return NGX_ERROR;
    }

    s->data = (const char *) p;

    p = ngx_cpymem(p, prefix, ngx_strlen(prefix));

    if (name->len) {
        p = ngx_cpymem(p, name->data, name->len);
        *p++ = '=';
    }

    for (i = 0; i < n; i++) {
        if (i) {
            *p++ = '|';
        }

        if (values) {
            p = ngx_cpymem(p, values[i].data, values[i].len);

        } else {
            p = ngx_cpymem(p, tvalues[i].data, tvalues[i].len);
        }
    }

    s->len = p - (u_char *) s->data;

    return NGX_OK;
}


ngx_int_t
ngx_http_ticket_audit_init(ngx_conf_t *cf)
{
    ngx_str_t                     name = ngx_string("request_id");
    ngx_http_handler_pt          *h;
    ngx_http_core_main_conf_t    *cmcf;
    ngx_http_ticket_main_conf_t  *tmcf;

    /* the gateway's name, decided here: records and the alert's revoke
     * actor ("gateway:NAME") read it from the main conf */

    tmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_ticket_module);

    if (tmcf->audit_gateway.len == 0) {
        tmcf->audit_gateway = cf->cycle->hostname;
    }

    ngx_http_ticket_request_id_index = ngx_http_get_variable_index(cf, &name);

    cmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_core_module);

    h = ngx_array_push(&cmcf->phases[NGX_HTTP_LOG_PHASE].handlers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    *h = ngx_http_ticket_audit_handler;

    return NGX_OK;
}
