
/*
 * ngx_ticket_module: signals from identity providers as content handlers.
 *
 * ticket_ssf_receiver: RFC 8935 push delivery, POST with Content-Type
 * application/secevent+jwt, the body one SET; 202 once Redis acknowledged
 * the revocations, 400 with RFC 8935's error JSON for a bad SET, 503 when
 * Redis cannot take it (the transmitter retries).
 *
 * ticket_backchannel_logout: OpenID Connect Back-Channel Logout 1.0, a
 * form POST whose logout_token is the token; 200, 400 with the OAuth
 * error JSON ({"error":...,"error_description":...}) the specification
 * names, or 503.
 *
 * The body is read unbuffered (as proxy_request_buffering off reads it:
 * nginx never writes it to a temporary file) and copied as it comes into
 * one buffer of NGX_HTTP_TICKET_SIGNAL_MAX_BODY at most; a body that
 * would pass it, announced by Content-Length or sent chunked, is 413
 * before any more of it is read.  A token is applied once: its seen id
 * (iss and jti) is written in the same transaction as the revocations
 * and a token seen before is answered as accepted.  Under ticket_mode
 * audit a verified token is recorded and answered, nothing revoked.
 * Every event is an audit record (event "signal"); the token is never
 * echoed.
 */


#include "ngx_http_ticket_types.h"
#include "ngx_http_ticket_audit.h"
#include "ngx_http_ticket_revocation_write.h"
#include "ngx_http_ticket_keys_url.h"
#include "ngx_http_ticket_signal.h"


#define NGX_HTTP_TICKET_SIGNAL_MAX_BODY  65536
#define NGX_HTTP_TICKET_SIGNAL_SEEN_TTL  (7 * 86400)
#define NGX_HTTP_TICKET_SIGNAL_MEMBER    1024     /* a row's member */


typedef struct {
    ngx_http_request_t             *request;
    ngx_http_ticket_loc_conf_t     *conf;
    ticket_signal_t                 signal;
    ngx_str_t                       token;
    u_char                         *body;      /* as read, MAX_BODY */
    size_t                          body_len;
    ngx_http_ticket_rev_write_t    *write;
    unsigned                        parsed:1;
} ngx_http_ticket_signal_ctx_t;


static ngx_int_t ngx_http_ticket_signal_handler(ngx_http_request_t *r);
static void ngx_http_ticket_signal_body(ngx_http_request_t *r);
static void ngx_http_ticket_signal_read(ngx_http_request_t *r);
static ngx_int_t ngx_http_ticket_signal_collect(ngx_http_request_t *r,
    ngx_http_ticket_signal_ctx_t *ctx);
static void ngx_http_ticket_signal_verify(ngx_http_request_t *r,
    ngx_http_ticket_signal_ctx_t *ctx);
static void ngx_http_ticket_signal_keys_waited(ngx_http_request_t *r);
static ngx_int_t ngx_http_ticket_signal_token(ngx_http_request_t *r,
    ngx_http_ticket_signal_ctx_t *ctx, const char **why);
static ngx_int_t ngx_http_ticket_signal_form(ngx_http_request_t *r,
    ngx_str_t *body, ngx_str_t *token);
static void ngx_http_ticket_signal_apply(ngx_http_ticket_signal_ctx_t *ctx);
static void ngx_http_ticket_signal_written(void *data, ngx_int_t rc);
static void ngx_http_ticket_signal_record(ngx_http_ticket_signal_ctx_t *ctx,
    ngx_uint_t status, const char *outcome);
static void ngx_http_ticket_signal_error(ngx_http_ticket_signal_ctx_t *ctx,
    ngx_uint_t status, ticket_signal_err_t err, const char *why);
static void ngx_http_ticket_signal_done(ngx_http_ticket_signal_ctx_t *ctx,
    ngx_uint_t status, const char *outcome);
static ngx_int_t ngx_http_ticket_signal_send(ngx_http_request_t *r,
    ngx_uint_t status, u_char *body, size_t len);
static void ngx_http_ticket_signal_cleanup(void *data);
static ngx_http_ticket_signal_ctx_t *ngx_http_ticket_signal_ctx(
    ngx_http_request_t *r);


static ngx_str_t  ngx_http_ticket_signal_set_type =
    ngx_string("application/secevent+jwt");
static ngx_str_t  ngx_http_ticket_signal_form_type =
    ngx_string("application/x-www-form-urlencoded");


static ngx_int_t
ngx_http_ticket_signal_handler(ngx_http_request_t *r)
{
    u_char                        *semi;
    size_t                         len;
    ngx_int_t                      rc;
    ngx_str_t                     *want, *ct;
    ngx_pool_cleanup_t            *cln;
    ngx_http_ticket_loc_conf_t    *tlcf;
    ngx_http_ticket_signal_ctx_t  *ctx;

    if (!(r->method & NGX_HTTP_POST)) {
        return NGX_HTTP_NOT_ALLOWED;
    }

    tlcf = ngx_http_get_module_loc_conf(r, ngx_http_ticket_module);

    if (tlcf->signal == NULL) {
        return NGX_DECLINED;
    }

    if (r->headers_in.content_length_n > NGX_HTTP_TICKET_SIGNAL_MAX_BODY) {
        return NGX_HTTP_REQUEST_ENTITY_TOO_LARGE;
    }

    ctx = ngx_pcalloc(r->pool, sizeof(ngx_http_ticket_signal_ctx_t));
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ctx->request = r;
    ctx->conf = tlcf;

    cln = ngx_pool_cleanup_add(r->pool, 0);
    if (cln == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    cln->handler = ngx_http_ticket_signal_cleanup;
    cln->data = ctx;

    /* the media type, parameters (";charset=...") aside */

    want = (tlcf->signal->kind == TICKET_SIGNAL_SET)
           ? &ngx_http_ticket_signal_set_type
           : &ngx_http_ticket_signal_form_type;

    len = 0;

    if (r->headers_in.content_type != NULL) {
        ct = &r->headers_in.content_type->value;
        semi = ngx_strlchr(ct->data, ct->data + ct->len, ';');
        len = semi ? (size_t) (semi - ct->data) : ct->len;

        while (len && (ct->data[len - 1] == ' ' || ct->data[len - 1] == '\t'))
        {
            len--;
        }

        if (len != want->len
            || ngx_strncasecmp(ct->data, want->data, len) != 0)
        {
            len = 0;
        }
    }

    if (len == 0) {
        rc = ngx_http_discard_request_body(r);
        if (rc != NGX_OK) {
            return rc;
        }

        /*
         * The answer is finalized here, and NGX_DONE returned: the
         * count taken for it is the one NGX_DONE gives back.
         */

        r->main->count++;

        ngx_http_ticket_signal_error(ctx, NGX_HTTP_BAD_REQUEST,
                                     TICKET_SIGNAL_INVALID_REQUEST,
                                     tlcf->signal->kind == TICKET_SIGNAL_SET
                                     ? "Content-Type is not "
                                       "application/secevent+jwt"
                                     : "Content-Type is not "
                                       "application/x-www-form-urlencoded");
        return NGX_DONE;
    }

    r->request_body_no_buffering = 1;

    rc = ngx_http_read_client_request_body(r, ngx_http_ticket_signal_body);

    if (rc >= NGX_HTTP_SPECIAL_RESPONSE) {
        return rc;
    }

    return NGX_DONE;
}


/*
 * The first part of the body (all of it, when it came with the header or
 * at once); with more to come (r->reading_body) the rest is read as it
 * arrives.
 */

static void
ngx_http_ticket_signal_body(ngx_http_request_t *r)
{
    ngx_http_ticket_signal_ctx_t  *ctx;

    ctx = ngx_http_ticket_signal_ctx(r);
    if (ctx == NULL) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    switch (ngx_http_ticket_signal_collect(r, ctx)) {

    case NGX_OK:
        break;

    case NGX_DECLINED:
        ngx_http_ticket_signal_done(ctx, NGX_HTTP_REQUEST_ENTITY_TOO_LARGE,
                                    "refused");
        return;

    default:
        ngx_http_ticket_signal_done(ctx, NGX_HTTP_INTERNAL_SERVER_ERROR,
                                    "failed");
        return;
    }

    if (r->reading_body) {
        r->read_event_handler = ngx_http_ticket_signal_read;
        ngx_http_ticket_signal_read(r);
        return;
    }

    ngx_http_ticket_signal_verify(r, ctx);
}


static void
ngx_http_ticket_signal_read(ngx_http_request_t *r)
{
    size_t                         before;
    ngx_int_t                      rc, crc;
    ngx_http_ticket_signal_ctx_t  *ctx;

    ctx = ngx_http_ticket_signal_ctx(r);
    if (ctx == NULL) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    /* the buffers taken free nginx's to read on: read until it waits */

    for ( ;; ) {
        rc = ngx_http_read_unbuffered_request_body(r);

        if (rc >= NGX_HTTP_SPECIAL_RESPONSE) {
            ngx_http_ticket_signal_done(ctx, rc, "refused");
            return;
        }

        before = ctx->body_len;
        crc = ngx_http_ticket_signal_collect(r, ctx);

        if (crc == NGX_DECLINED) {
            ngx_http_ticket_signal_done(ctx,
                                        NGX_HTTP_REQUEST_ENTITY_TOO_LARGE,
                                        "refused");
            return;
        }

        if (crc != NGX_OK || rc == NGX_ERROR) {
            ngx_http_ticket_signal_done(ctx, NGX_HTTP_INTERNAL_SERVER_ERROR,
                                        "failed");
            return;
        }

        if (!r->reading_body) {
            break;
        }

        if (rc == NGX_AGAIN && ctx->body_len == before) {
            return;
        }
    }

    r->read_event_handler = ngx_http_block_reading;

    ngx_http_ticket_signal_verify(r, ctx);
}


/*
 * The body's buffers nginx read so far are copied and handed back:
 * NGX_OK, NGX_DECLINED past NGX_HTTP_TICKET_SIGNAL_MAX_BODY, NGX_ERROR.
 */

static ngx_int_t
ngx_http_ticket_signal_collect(ngx_http_request_t *r,
    ngx_http_ticket_signal_ctx_t *ctx)
{
    size_t        n;
    ngx_buf_t    *b;
    ngx_chain_t  *cl;

    if (r->request_body == NULL) {
        return NGX_OK;
    }

    for (cl = r->request_body->bufs; cl; cl = cl->next) {
        b = cl->buf;

        if (b->in_file || b->file != NULL) {
            /* not with request_body_no_buffering; never read from disk */
            return NGX_ERROR;
        }

        n = b->last - b->pos;

        if (n == 0) {
            continue;
        }

        if (n > NGX_HTTP_TICKET_SIGNAL_MAX_BODY - ctx->body_len) {
            ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                          "ticket signal body larger than %uz bytes",
                          (size_t) NGX_HTTP_TICKET_SIGNAL_MAX_BODY);
            return NGX_DECLINED;
        }

        /*
         * chunked: content_length_n is what the chunks brought so far
         * (nginx's chunked filter counts it there), not the whole
         */

        if (ctx->body == NULL) {
            ctx->body = ngx_pnalloc(r->pool,
                                    r->headers_in.chunked
                                    ? NGX_HTTP_TICKET_SIGNAL_MAX_BODY
                                    : (size_t) r->headers_in.content_length_n);
            if (ctx->body == NULL) {
                return NGX_ERROR;
            }
        }

        /* a Content-Length body is never longer than announced */

        if (!r->headers_in.chunked
            && (off_t) (ctx->body_len + n) > r->headers_in.content_length_n)
        {
            return NGX_ERROR;
        }

        ngx_memcpy(ctx->body + ctx->body_len, b->pos, n);
        ctx->body_len += n;
        b->pos = b->last;
    }

    r->request_body->bufs = NULL;

    return NGX_OK;
}


static void
ngx_http_ticket_signal_verify(ngx_http_request_t *r,
    ngx_http_ticket_signal_ctx_t *ctx)
{
    const char                    *why;
    ngx_http_ticket_loc_conf_t    *tlcf;
    ticket_str_t                   tenant;
    ticket_signal_err_t            err;

    tlcf = ctx->conf;

    if (tlcf->keysrc != NULL) {

        /*
         * Keys from a key service, as the access phase has them: the
         * first push before the first document waits for it, and a
         * document published since is parsed
         */

        if (ngx_http_ticket_keys_url_pending(r, tlcf->keysrc) == NGX_AGAIN) {
            ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                          "ticket: the push waits for the key service's "
                          "first document");

            r->write_event_handler = ngx_http_ticket_signal_keys_waited;
            r->connection->write->delayed = 1;
            ngx_add_timer(r->connection->write, NGX_HTTP_TICKET_KEYS_POLL);
            return;
        }

        ngx_http_ticket_keys_url_sync_scope(tlcf, r->connection->log);
    }

    why = NULL;

    switch (ngx_http_ticket_signal_token(r, ctx, &why)) {

    case NGX_OK:
        break;

    case NGX_DECLINED:
        ngx_http_ticket_signal_done(ctx, NGX_HTTP_REQUEST_ENTITY_TOO_LARGE,
                                    "refused");
        return;

    case NGX_ABORT:
        ngx_http_ticket_signal_error(ctx, NGX_HTTP_BAD_REQUEST,
                                     TICKET_SIGNAL_INVALID_REQUEST, why);
        return;

    default:
        ngx_http_ticket_signal_done(ctx, NGX_HTTP_INTERNAL_SERVER_ERROR,
                                    "failed");
        return;
    }

    tenant.data = (const char *) tlcf->signal->tenant.data;
    tenant.len = tlcf->signal->tenant.len;

    err = ticket_signal_parse(&ctx->signal, tlcf->signal->kind,
                              (const char *) ctx->token.data, ctx->token.len,
                              tlcf->keyset, &tlcf->policy,
                              tenant.len ? &tenant : NULL, ngx_time());
    ctx->parsed = 1;

    if (ctx->signal.reason == TICKET_UNKNOWN_KEY && tlcf->keysrc != NULL) {
        /* a key the provider rotated in: fetched now; it sends again */
        ngx_http_ticket_keys_url_unknown(tlcf->keysrc);
    }

    if (err != TICKET_SIGNAL_OK) {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "ticket signal refused: %s: %s",
                      ticket_signal_err_name(err), ctx->signal.why);

        ngx_http_ticket_signal_error(ctx, NGX_HTTP_BAD_REQUEST, err,
                                     ctx->signal.why);
        return;
    }

    ngx_http_ticket_signal_apply(ctx);
}


static void
ngx_http_ticket_signal_keys_waited(ngx_http_request_t *r)
{
    ngx_event_t                   *wev;
    ngx_http_ticket_signal_ctx_t  *ctx;

    wev = r->connection->write;

    /* ngx_http_request_handler() clears delayed when the timer fired */

    if (wev->delayed) {
        if (ngx_handle_write_event(wev, 0) != NGX_OK) {
            ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        }

        return;
    }

    r->write_event_handler = ngx_http_request_empty_handler;

    ctx = ngx_http_ticket_signal_ctx(r);
    if (ctx == NULL) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    ngx_http_ticket_signal_verify(r, ctx);
}


/*
 * The token out of the body: NGX_OK, NGX_DECLINED (too large),
 * NGX_ABORT (malformed: why says how), NGX_ERROR.
 */

static ngx_int_t
ngx_http_ticket_signal_token(ngx_http_request_t *r,
    ngx_http_ticket_signal_ctx_t *ctx, const char **why)
{
    ngx_str_t  body;

    if (ctx->body_len == 0) {
        *why = "empty body";
        return NGX_ABORT;
    }

    if (ctx->body_len > NGX_HTTP_TICKET_SIGNAL_MAX_BODY) {
        return NGX_DECLINED;
    }

    body.data = ctx->body;
    body.len = ctx->body_len;

    if (ctx->conf->signal->kind == TICKET_SIGNAL_LOGOUT) {
        if (ngx_http_ticket_signal_form(r, &body, &ctx->token) != NGX_OK) {
            *why = "no single logout_token";
            return NGX_ABORT;
        }

    } else {
        ctx->token = body;
    }

    /* surrounding white space (a trailing newline) is not the token's */

    while (ctx->token.len
           && (ctx->token.data[0] == ' ' || ctx->token.data[0] == '\t'
               || ctx->token.data[0] == '\r' || ctx->token.data[0] == '\n'))
    {
        ctx->token.data++;
        ctx->token.len--;
    }

    while (ctx->token.len
           && (ctx->token.data[ctx->token.len - 1] == ' '
               || ctx->token.data[ctx->token.len - 1] == '\t'
               || ctx->token.data[ctx->token.len - 1] == '\r'
               || ctx->token.data[ctx->token.len - 1] == '\n'))
    {
        ctx->token.len--;
    }

    if (ctx->token.len == 0) {
        *why = "no token";
        return NGX_ABORT;
    }

    return NGX_OK;
}


/* logout_token of a form body, exactly once, percent-decoded */

static ngx_int_t
ngx_http_ticket_signal_form(ngx_http_request_t *r, ngx_str_t *body,
    ngx_str_t *token)
{
    u_char      *p, *end, *amp, *eq, *dst, *src;
    ngx_uint_t   found;

    static ngx_str_t  name = ngx_string("logout_token");

    found = 0;
    p = body->data;
    end = body->data + body->len;

    while (p < end) {
        amp = ngx_strlchr(p, end, '&');
        if (amp == NULL) {
            amp = end;
        }

        eq = ngx_strlchr(p, amp, '=');

        if (eq != NULL && (size_t) (eq - p) == name.len
            && ngx_strncmp(p, name.data, name.len) == 0)
        {
            if (found++) {
                return NGX_ERROR;
            }

            src = eq + 1;

            token->data = ngx_pnalloc(r->pool, amp - src + 1);
            if (token->data == NULL) {
                return NGX_ERROR;
            }

            dst = token->data;
            ngx_unescape_uri(&dst, &src, amp - (eq + 1), 0);

            if (src != amp) {
                return NGX_ERROR;
            }

            token->len = dst - token->data;
        }

        p = amp + 1;
    }

    return found == 1 ? NGX_OK : NGX_ERROR;
}


static void
ngx_http_ticket_signal_apply(ngx_http_ticket_signal_ctx_t *ctx)
{
    char                        *buf, *actor;
    size_t                       i, n, actor_size;
    ngx_str_t                    seen;
    ticket_str_t                 tenant;
    ticket_signal_t             *s;
    ngx_http_request_t          *r;
    ticket_rev_entry_t           entries[TICKET_SIGNAL_MAX_EVENTS];
    ngx_http_ticket_loc_conf_t  *tlcf;

    r = ctx->request;
    tlcf = ctx->conf;
    s = &ctx->signal;

    if (tlcf->mode == NGX_HTTP_TICKET_AUDIT) {
        ngx_http_ticket_signal_done(ctx, 0, "audited");
        return;
    }

    tenant.data = (const char *) tlcf->signal->tenant.data;
    tenant.len = tlcf->signal->tenant.len;

    actor_size = s->ticket.iss.len + 5;

    actor = ngx_pnalloc(r->pool, actor_size);
    if (actor == NULL) {
        ngx_http_ticket_signal_done(ctx, NGX_HTTP_INTERNAL_SERVER_ERROR,
                                    "failed");
        return;
    }

    n = 0;

    for (i = 0; i < s->nevents; i++) {
        if (s->events[i].list == TICKET_REV_LISTS) {
            continue;
        }

        buf = ngx_pnalloc(r->pool, NGX_HTTP_TICKET_SIGNAL_MEMBER);
        if (buf == NULL) {
            ngx_http_ticket_signal_done(ctx, NGX_HTTP_INTERNAL_SERVER_ERROR,
                                    "failed");
            return;
        }

        if (ticket_signal_entry(s, &s->events[i], tlcf->signal->kind,
                                tenant.len ? &tenant : NULL, buf,
                                NGX_HTTP_TICKET_SIGNAL_MEMBER, actor,
                                actor_size, &entries[n])
            != 0)
        {
            ngx_http_ticket_signal_error(ctx, NGX_HTTP_BAD_REQUEST,
                                         TICKET_SIGNAL_INVALID_REQUEST,
                                         "subject too long");
            return;
        }

        n++;
    }

    if (n == 0) {
        /* recorded only */
        ngx_http_ticket_signal_done(ctx, 0, "recorded");
        return;
    }

    seen.data = ngx_pnalloc(r->pool, TICKET_SIGNAL_SEEN_LEN + 1);
    if (seen.data == NULL
        || ticket_signal_seen_id(s, (char *) seen.data) != 0)
    {
        ngx_http_ticket_signal_done(ctx, NGX_HTTP_INTERNAL_SERVER_ERROR,
                                    "failed");
        return;
    }

    seen.len = TICKET_SIGNAL_SEEN_LEN;

    ctx->write = ngx_http_ticket_rev_write(r->connection->log, entries, n,
                                           &seen,
                                           NGX_HTTP_TICKET_SIGNAL_SEEN_TTL,
                                           ngx_http_ticket_signal_written,
                                           ctx);

    if (ctx->write == NULL) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "ticket signal: no \"ticket_redis\" to write to");
        ngx_http_ticket_signal_done(ctx, NGX_HTTP_SERVICE_UNAVAILABLE,
                                    "failed");
    }
}


static void
ngx_http_ticket_signal_written(void *data, ngx_int_t rc)
{
    ngx_http_ticket_signal_ctx_t *ctx = data;

    ctx->write = NULL;

    if (rc == NGX_ERROR) {
        ngx_http_ticket_signal_done(ctx, NGX_HTTP_SERVICE_UNAVAILABLE,
                                    "failed");
        return;
    }

    ngx_http_ticket_signal_done(ctx, 0, rc == NGX_DECLINED ? "duplicate"
                                                           : "applied");
}


/* status 0: the success status of the kind; the outcome is recorded */

static void
ngx_http_ticket_signal_done(ngx_http_ticket_signal_ctx_t *ctx,
    ngx_uint_t status, const char *outcome)
{
    ngx_http_request_t  *r;

    r = ctx->request;

    if (status == 0) {
        status = (ctx->conf->signal->kind == TICKET_SIGNAL_SET)
                 ? NGX_HTTP_ACCEPTED : NGX_HTTP_OK;
    }

    ngx_http_ticket_signal_record(ctx, status, outcome);

    if (status == NGX_HTTP_SERVICE_UNAVAILABLE) {
        r->headers_out.status = status;

        if (ngx_http_ticket_signal_send(r, status, NULL, 0) == NGX_OK) {
            ngx_http_finalize_request(r, NGX_OK);
            return;
        }

        ngx_http_finalize_request(r, NGX_ERROR);
        return;
    }

    if (status >= NGX_HTTP_SPECIAL_RESPONSE) {
        ngx_http_finalize_request(r, status);
        return;
    }

    ngx_http_finalize_request(r, ngx_http_ticket_signal_send(r, status,
                                                             NULL, 0));
}


static void
ngx_http_ticket_signal_error(ngx_http_ticket_signal_ctx_t *ctx,
    ngx_uint_t status, ticket_signal_err_t err, const char *why)
{
    u_char              *body, *p;
    size_t               len, wlen;
    const char          *name, *e, *d;
    ngx_http_request_t  *r;

    r = ctx->request;

    ngx_http_ticket_signal_record(ctx, status, "refused");

    name = ticket_signal_err_name(err);

    if (ctx->conf->signal->kind == TICKET_SIGNAL_SET) {
        e = "{\"err\":\"";
        d = "\",\"description\":\"";

    } else {
        e = "{\"error\":\"";
        d = "\",\"error_description\":\"";
    }

    if (why == NULL) {
        why = "";
    }

    wlen = ticket_json_escape_len(why, ngx_strlen(why));
    len = ngx_strlen(e) + ngx_strlen(name) + ngx_strlen(d) + wlen
          + sizeof("\"}\n") - 1;

    body = ngx_pnalloc(r->pool, len);
    if (body == NULL) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    p = ngx_cpymem(body, e, ngx_strlen(e));
    p = ngx_cpymem(p, name, ngx_strlen(name));
    p = ngx_cpymem(p, d, ngx_strlen(d));
    p = (u_char *) ticket_json_escape((char *) p, why, ngx_strlen(why));
    p = ngx_cpymem(p, "\"}\n", sizeof("\"}\n") - 1);

    ngx_http_finalize_request(r, ngx_http_ticket_signal_send(r, status, body,
                                                             p - body));
}


static ngx_int_t
ngx_http_ticket_signal_send(ngx_http_request_t *r, ngx_uint_t status,
    u_char *body, size_t len)
{
    ngx_int_t         rc;
    ngx_buf_t        *b;
    ngx_chain_t       out;
    ngx_table_elt_t  *h;

    r->headers_out.status = status;
    r->headers_out.content_length_n = len;

    if (len) {
        ngx_str_set(&r->headers_out.content_type, "application/json");
        r->headers_out.content_type_len = r->headers_out.content_type.len;
    }

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    h->hash = 1;
    ngx_str_set(&h->key, "Cache-Control");
    ngx_str_set(&h->value, "no-store");

    if (status == NGX_HTTP_SERVICE_UNAVAILABLE) {
        h = ngx_list_push(&r->headers_out.headers);
        if (h == NULL) {
            return NGX_ERROR;
        }

        h->hash = 1;
        ngx_str_set(&h->key, "Retry-After");
        ngx_str_set(&h->value, "1");
    }

    if (len == 0) {
        r->header_only = 1;
    }

    rc = ngx_http_send_header(r);

    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        return rc;
    }

    b = ngx_create_temp_buf(r->pool, len);
    if (b == NULL) {
        return NGX_ERROR;
    }

    b->last = ngx_cpymem(b->last, body, len);
    b->last_buf = (r == r->main) ? 1 : 0;
    b->last_in_chain = 1;

    out.buf = b;
    out.next = NULL;

    return ngx_http_output_filter(r, &out);
}


/* one record an event; one for a token that has none to show */

static void
ngx_http_ticket_signal_record(ngx_http_ticket_signal_ctx_t *ctx,
    ngx_uint_t status, const char *outcome)
{
    size_t                  i, n;
    ticket_t               *t;
    ngx_http_request_t     *r;
    ticket_audit_record_t   rec;
    ticket_signal_event_t  *ev;

    r = ctx->request;

    if (ctx->conf->audit_log == NULL) {
        return;
    }

    if (status == 0) {
        status = (ctx->conf->signal->kind == TICKET_SIGNAL_SET)
                 ? NGX_HTTP_ACCEPTED : NGX_HTTP_OK;
    }

    t = &ctx->signal.ticket;
    n = ctx->parsed ? ctx->signal.nevents : 0;

    for (i = 0; i == 0 || i < n; i++) {
        ngx_memzero(&rec, sizeof(ticket_audit_record_t));

        rec.event = TICKET_AUDIT_SIGNAL;
        rec.reason = ctx->parsed ? ctx->signal.reason : TICKET_MALFORMED;

        if (rec.reason == TICKET_OK && ngx_strcmp(outcome, "refused") == 0) {
            rec.reason = TICKET_MALFORMED;
        }

        rec.status = status;
        rec.enforced = (ctx->conf->mode == NGX_HTTP_TICKET_ENFORCE);
        rec.outcome.data = outcome;
        rec.outcome.len = ngx_strlen(outcome);

        if (ctx->conf->signal->tenant.len) {
            rec.tenant.data = (const char *) ctx->conf->signal->tenant.data;
            rec.tenant.len = ctx->conf->signal->tenant.len;
        }

        if (ctx->parsed) {
            rec.verified = t->verified;
            rec.iss = t->iss;
            rec.jti = t->jti;
            rec.sub = t->sub;
            rec.sid = t->sid;

            if (t->header != NULL) {
                rec.kid = t->kid;
            }

            if (t->has_exp) {
                rec.exp = t->exp;
                rec.has_exp = 1;
            }
        }

        if (i < n) {
            ev = &ctx->signal.events[i];
            rec.signal = ev->uri;

            if (ev->sub.data != NULL) {
                rec.sub = ev->sub;
            }

            if (ev->sid.data != NULL) {
                rec.sid = ev->sid;
            }
        }

        if (ctx->token.len) {
            rec.token = ctx->token.data;
            rec.token_len = ctx->token.len;
        }

        ngx_http_ticket_audit_write_record(r, ctx->conf, &rec);
    }
}


static void
ngx_http_ticket_signal_cleanup(void *data)
{
    ngx_http_ticket_signal_ctx_t *ctx = data;

    if (ctx->write != NULL) {
        ngx_http_ticket_rev_write_cancel(ctx->write);
        ctx->write = NULL;
    }

    if (ctx->parsed) {
        ticket_signal_free(&ctx->signal);
        ctx->parsed = 0;
    }
}


/*
 * The request's state sits in its pool cleanup, not in the module's ctx
 * slot: that one holds ngx_http_ticket_ctx_t for the log phase.
 */

static ngx_http_ticket_signal_ctx_t *
ngx_http_ticket_signal_ctx(ngx_http_request_t *r)
{
    ngx_pool_cleanup_t  *cln;

    for (cln = r->pool->cleanup; cln; cln = cln->next) {
        if (cln->handler == ngx_http_ticket_signal_cleanup) {
            return cln->data;
        }
    }

    return NULL;
}


char *
ngx_http_ticket_signal_receiver(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_ticket_loc_conf_t *tlcf = conf;

    ngx_str_t                      *value;
    ngx_http_core_loc_conf_t       *clcf;
    ngx_http_ticket_signal_conf_t  *sc;

    if (tlcf->signal != NULL) {
        return "is duplicate";
    }

    sc = ngx_pcalloc(cf->pool, sizeof(ngx_http_ticket_signal_conf_t));
    if (sc == NULL) {
        return NGX_CONF_ERROR;
    }

    sc->kind = cmd->offset == TICKET_SIGNAL_SET ? TICKET_SIGNAL_SET
                                                : TICKET_SIGNAL_LOGOUT;
    sc->file = cf->conf_file->file.name;
    sc->line = cf->conf_file->line;

    value = cf->args->elts;

    if (cf->args->nelts == 2) {
        if (value[1].len <= sizeof("tenant=") - 1
            || ngx_strncmp(value[1].data, "tenant=", sizeof("tenant=") - 1)
               != 0)
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid parameter \"%V\"", &value[1]);
            return NGX_CONF_ERROR;
        }

        sc->tenant.data = value[1].data + sizeof("tenant=") - 1;
        sc->tenant.len = value[1].len - (sizeof("tenant=") - 1);

        /* a sub row is "TENANT/SUB": a "/" would let one match another */

        if (ngx_strlchr(sc->tenant.data, sc->tenant.data + sc->tenant.len,
                        '/')
            != NULL)
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid parameter \"%V\": a tenant holds "
                               "no \"/\"", &value[1]);
            return NGX_CONF_ERROR;
        }
    }

    tlcf->signal = sc;

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);
    clcf->handler = ngx_http_ticket_signal_handler;

    return NGX_CONF_OK;
}
