
/*
 * ngx_ticket_module: the ticket check in the access phase.  Where the
 * ticket is found (token sources), how it is decided (signature through
 * the verified-ticket cache, revocation, policy) and how a refusal is
 * answered (WWW-Authenticate, Retry-After).  The decision itself is kept
 * by ngx_http_ticket_decision.c.
 */


#include "ngx_http_ticket_types.h"
#include "ngx_http_ticket_access.h"
#include "ngx_http_ticket_cache.h"
#include "ngx_http_ticket_keys_url.h"
#include "ngx_http_ticket_compat.h"
#include "ngx_http_ticket_decision.h"
#include "ngx_http_ticket_forward.h"
#include "ngx_http_ticket_preflight.h"
#include "ngx_http_ticket_revocation_zone.h"
#include "ngx_http_ticket_status.h"
#include "ngx_http_ticket_text.h"


static ticket_reason_t ngx_http_ticket_verify(ngx_http_request_t *r,
    ngx_http_ticket_main_conf_t *tmcf, ngx_http_ticket_loc_conf_t *tlcf,
    ngx_http_ticket_ctx_t *ctx, ngx_http_ticket_metrics_t *m);
static ngx_int_t ngx_http_ticket_keys_wait(ngx_http_request_t *r,
    ngx_http_ticket_loc_conf_t *tlcf);
static ngx_int_t ngx_http_ticket_find_token(ngx_http_request_t *r,
    ngx_http_ticket_loc_conf_t *tlcf, ngx_str_t *token, ngx_uint_t *type);
static ngx_uint_t ngx_http_ticket_source(ngx_http_request_t *r,
    ngx_http_ticket_source_t *src, ngx_str_t *token, ngx_uint_t *hidden);
static ngx_uint_t ngx_http_ticket_header_copies(ngx_http_request_t *r,
    ngx_http_ticket_source_t *src, ngx_table_elt_t **first);
static ngx_int_t ngx_http_ticket_header_token(ngx_table_elt_t *h,
    ngx_http_ticket_source_t *src, ngx_str_t *token);
static ngx_uint_t ngx_http_ticket_cookie_copies(ngx_http_request_t *r,
    ngx_str_t *name, ngx_str_t *first, ngx_uint_t *hidden);
static ngx_uint_t ngx_http_ticket_arg_copies(ngx_http_request_t *r,
    ngx_str_t *name, ngx_uint_t *hidden);
static ngx_int_t ngx_http_ticket_deny(ngx_http_request_t *r,
    ngx_http_ticket_loc_conf_t *tlcf, ngx_http_ticket_ctx_t *ctx);


ngx_int_t
ngx_http_ticket_handler(ngx_http_request_t *r)
{
    ngx_int_t                     rc;
    ngx_http_ticket_ctx_t        *ctx;
    ngx_http_ticket_loc_conf_t   *tlcf;
    ngx_http_ticket_main_conf_t  *tmcf;

    if (r != r->main) {
        /* nginx skips the access phase for subrequests; so do we */
        return NGX_DECLINED;
    }

    tlcf = ngx_http_get_module_loc_conf(r, ngx_http_ticket_module);
    tmcf = ngx_http_get_module_main_conf(r, ngx_http_ticket_module);

    /* a client-sent copy of a forwarded claim never reaches the backend */

    if (tmcf->forwarded.nelts
        && ngx_http_ticket_strip_headers(r, tmcf) != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (tlcf->kinds == NGX_HTTP_TICKET_OFF) {
        return NGX_DECLINED;
    }

    if (tlcf->keysrc != NULL
        && ngx_http_ticket_keys_wait(r, tlcf) == NGX_AGAIN)
    {
        /* the very first use of a key service: its first document */
        return NGX_AGAIN;
    }

    if (tlcf->preflight == NGX_HTTP_TICKET_PREFLIGHT_PASS) {
        rc = ngx_http_ticket_preflight(r, tlcf);

        if (rc == NGX_ERROR) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        if (rc == NGX_OK) {
            /* not checked: nothing for the variables to verify later
             * either; recorded as a preflight, never as allowed */

            ctx = ngx_http_ticket_ctx(r, ngx_http_ticket_get_ctx(r), tlcf);
            if (ctx == NULL) {
                return NGX_HTTP_INTERNAL_SERVER_ERROR;
            }

            ctx->decision = NGX_HTTP_TICKET_NONE;
            ctx->reason = TICKET_MISSING;
            ctx->preflight = 1;

            return NGX_DECLINED;
        }
    }

    ctx = ngx_http_ticket_evaluate(r, tlcf);
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    switch (ctx->decision) {

    case NGX_HTTP_TICKET_ALLOW:
        if (ngx_http_ticket_forward_claims(r, tlcf, ctx) != NGX_OK) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        return NGX_OK;

    case NGX_HTTP_TICKET_AUDITED:
        if (ngx_http_ticket_forward_claims(r, tlcf, ctx) != NGX_OK) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        /* audit mode grants nothing: other access checks still decide */
        return NGX_DECLINED;

    default:
        ctx->refused = 1;
        ctx->refused_loc = r->loc_conf;
        return ngx_http_ticket_deny(r, tlcf, ctx);
    }
}


/*
 * NGX_AGAIN: the request waits for the key service's first document.
 * Not where a key file of the scope names the ticket's key: that ticket
 * is verified now, the service's keys joining when they come.
 */

static ngx_int_t
ngx_http_ticket_keys_wait(ngx_http_request_t *r,
    ngx_http_ticket_loc_conf_t *tlcf)
{
    ngx_str_t   token;
    ngx_uint_t  type;

    if (tlcf->keys_both != NULL) {
        if (ngx_http_ticket_keys_url_pending(r, tlcf->keysrc) == NGX_OK
            || ngx_http_ticket_find_token(r, tlcf, &token, &type) != NGX_OK
            || ngx_http_ticket_keys_url_pending_for(r, tlcf, &token)
               == NGX_OK)
        {
            return NGX_OK;
        }
    }

    return ngx_http_ticket_keys_url_wait(r, tlcf->keysrc);
}


ngx_http_ticket_ctx_t *
ngx_http_ticket_evaluate(ngx_http_request_t *r,
    ngx_http_ticket_loc_conf_t *tlcf)
{
    ngx_int_t                     rc;
    ngx_uint_t                    type;
    ngx_http_ticket_ctx_t        *ctx;
    ngx_http_core_loc_conf_t     *clcf;
    ngx_http_ticket_metrics_t    *m;
    ngx_http_ticket_main_conf_t  *tmcf;

    r = r->main;

    ctx = ngx_http_ticket_get_ctx(r);

    if (ctx != NULL && ctx->conf == tlcf) {
        return ctx;
    }

    /*
     * An error page in a named location keeps the refused request's URI:
     * the location inherits the server's requirements, not those of the
     * location that refused, and would let a ticket without the role
     * through to a backend asking for the very URI refused.  There the
     * refusal stands ("ticket off" serves such a page).  An error page at
     * a URI of its own is decided by its own scope.
     */

    clcf = ngx_http_get_module_loc_conf(r, ngx_http_core_module);

    if (ctx != NULL && ctx->refused && clcf->named) {
        return ctx;
    }

    ctx = ngx_http_ticket_ctx(r, ctx, tlcf);
    if (ctx == NULL) {
        return NULL;
    }

    tmcf = ngx_http_get_module_main_conf(r, ngx_http_ticket_module);
    m = ngx_http_ticket_metrics(tmcf);

    type = NGX_HTTP_TICKET_SRC_HEADER;

    rc = ngx_http_ticket_find_token(r, tlcf, &ctx->token, &type);

    ctx->cookie = (rc == NGX_OK && type == NGX_HTTP_TICKET_SRC_COOKIE);

    if (rc == NGX_DECLINED) {
        ctx->reason = TICKET_MISSING;

    } else if (rc == NGX_BUSY) {
        ctx->reason = TICKET_MALFORMED;

    } else {
        ctx->reason = ngx_http_ticket_verify(r, tmcf, tlcf, ctx, m);

        ctx->parsed = (ctx->ticket.sub.data != NULL);

        if (ctx->reason == TICKET_OK) {
            ctx->reason = ngx_http_ticket_revocation_check(r, &ctx->ticket);
        }

        if (ctx->reason == TICKET_OK && tlcf->policy.nclaim_reqs
            && ticket_claims_load(&ctx->ticket) != 0)
        {
            ctx->reason = TICKET_CLAIM_MISMATCH;
        }

        if (ctx->reason == TICKET_OK) {
            ctx->reason = ticket_authorize(&ctx->ticket, &tlcf->policy);
        }
    }

    if (ctx->reason == TICKET_OK) {
        ctx->decision = NGX_HTTP_TICKET_ALLOW;

    } else if (tlcf->mode == NGX_HTTP_TICKET_AUDIT) {
        ctx->decision = NGX_HTTP_TICKET_AUDITED;

    } else {
        ctx->decision = NGX_HTTP_TICKET_DENY;
    }

    if (m != NULL && (ngx_uint_t) ctx->reason < TICKET_REASON_MAX) {
        (void) ngx_atomic_fetch_add(&m->requests[ctx->decision][ctx->reason],
                                    1);
    }

    if (ctx->reason != TICKET_OK) {
        ngx_http_ticket_log_decision(r, ctx);
    }

    return ctx;
}


/*
 * The signature and the claims, from the verified-ticket cache when this
 * very ticket was verified under one of this scope's keys before: then
 * only what can change with time, scope or binding is checked again.
 */

static ticket_reason_t
ngx_http_ticket_verify(ngx_http_request_t *r,
    ngx_http_ticket_main_conf_t *tmcf, ngx_http_ticket_loc_conf_t *tlcf,
    ngx_http_ticket_ctx_t *ctx, ngx_http_ticket_metrics_t *m)
{
    int64_t           now;
    ticket_t         *t;
    ticket_reason_t   reason;

    t = &ctx->ticket;
    now = (int64_t) ngx_time();

    if (tlcf->keysrc != NULL) {
        /* a document the key service published since: parsed once */
        ngx_http_ticket_keys_url_sync_scope(tlcf, r->connection->log);
    }

    if (ngx_http_ticket_cache_get(r, tmcf, tlcf, &ctx->token, t, &reason,
                                  ctx->token_fp)
        == NGX_OK)
    {
        if (m != NULL) {
            (void) ngx_atomic_fetch_add(&m->cache_hits, 1);
        }

        if (reason != TICKET_OK) {
            return reason;
        }

        reason = ticket_check_time(t, &tlcf->policy, now);

        if (reason == TICKET_OK) {
            reason = ticket_check_binding(t, &tlcf->policy);
        }

        return reason;
    }

    if (m != NULL) {
        (void) ngx_atomic_fetch_add(&m->cache_misses, 1);
    }

    reason = ticket_validate(t, (const char *) ctx->token.data,
                             ctx->token.len, tlcf->keyset, &tlcf->policy,
                             now);

    if (reason == TICKET_UNKNOWN_KEY && tlcf->keysrc != NULL) {
        /* perhaps published moments ago: fetched now, not in an hour */
        ngx_http_ticket_keys_url_unknown(tlcf->keysrc);
    }

    /* verified (whatever came after), or a signature that failed */

    if (t->verified
        || (reason == TICKET_BAD_SIGNATURE && t->key != NULL))
    {
        ngx_http_ticket_cache_put(r, tmcf, tlcf, &ctx->token, t);
    }

    return reason;
}


/*
 * The ticket: NGX_OK, NGX_DECLINED when no source holds one, NGX_BUSY
 * (malformed) when the request is ambiguous about it:
 *
 *   - a configured source present more than once: nginx finds the first
 *     copy and forwards them all, and a backend that reads the ticket
 *     itself (Python's cookie and query parsers take the last copy)
 *     would act on one that was never verified;
 *   - tickets in two sources (a header and a cookie): "first found wins"
 *     would let a second copy hide behind the first, or be the one a
 *     backend reading the other source acts on;
 *   - a copy only a backend's parser finds (a cookie name after a tab, an
 *     argument named "%20t"), holding a value: nginx cannot read it, so
 *     it was never verified.
 *
 * So every source is looked at, not only the one that wins.  What is no
 * ticket (another Authorization scheme, an empty cookie) does not count.
 * type: the source's type, NGX_HTTP_TICKET_SRC_*, with NGX_OK.
 */

static ngx_int_t
ngx_http_ticket_find_token(ngx_http_request_t *r,
    ngx_http_ticket_loc_conf_t *tlcf, ngx_str_t *token, ngx_uint_t *type)
{
    ngx_str_t                  found;
    ngx_uint_t                 i, n, have, hidden;
    ngx_http_ticket_source_t  *src;

    src = tlcf->sources->elts;
    have = 0;

    ngx_str_null(token);

    for (i = 0; i < tlcf->sources->nelts; i++) {

        hidden = 0;

        n = ngx_http_ticket_source(r, &src[i], &found, &hidden);

        if (n > 1) {
            ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                          "ticket: source \"%V\" present %ui times",
                          &src[i].name, n);
            goto ambiguous;
        }

        if (hidden) {
            ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                          "ticket: source \"%V\" present in a form nginx "
                          "does not read", &src[i].name);
            goto ambiguous;
        }

        if (found.data == NULL) {
            continue;
        }

        if (have) {
            ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                          "ticket: more than one source holds a ticket");
            goto ambiguous;
        }

        *token = found;
        *type = src[i].type;
        have = 1;
    }

    return have ? NGX_OK : NGX_DECLINED;

ambiguous:

    ngx_str_null(token);

    return NGX_BUSY;
}


/*
 * How many copies of the source the request holds, and in value the
 * ticket of the first as nginx finds it (data NULL: none to take);
 * hidden is set when a copy with a value is one nginx does not find.
 */

static ngx_uint_t
ngx_http_ticket_source(ngx_http_request_t *r, ngx_http_ticket_source_t *src,
    ngx_str_t *value, ngx_uint_t *hidden)
{
    ngx_uint_t        n;
    ngx_table_elt_t  *h;

    ngx_str_null(value);

    switch (src->type) {

    case NGX_HTTP_TICKET_SRC_HEADER:
        n = ngx_http_ticket_header_copies(r, src, &h);

        if (h != NULL
            && ngx_http_ticket_header_token(h, src, value) != NGX_OK)
        {
            ngx_str_null(value);
        }

        return n;

    case NGX_HTTP_TICKET_SRC_COOKIE:
        n = ngx_http_ticket_cookie_copies(r, &src->name, value, hidden);
        break;

    default: /* NGX_HTTP_TICKET_SRC_ARG */
        n = ngx_http_ticket_arg_copies(r, &src->name, hidden);

        if (n && ngx_http_arg(r, src->name.data, src->name.len, value)
                 != NGX_OK)
        {
            ngx_str_null(value);
        }

        break;
    }

    /* an empty cookie or argument is no ticket */

    if (value->len == 0) {
        ngx_str_null(value);
    }

    return n;
}


/*
 * Request headers of the source's name, case-insensitively, "_" counted
 * as "-" (CGI and FastCGI backends see X_Ticket and X-Ticket as one
 * HTTP_X_TICKET); first is the first of exactly that name.
 */

static ngx_uint_t
ngx_http_ticket_header_copies(ngx_http_request_t *r,
    ngx_http_ticket_source_t *src, ngx_table_elt_t **first)
{
    u_char            a, b;
    ngx_uint_t        i, k, n;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h;

    *first = NULL;
    n = 0;

    part = &r->headers_in.headers.part;
    h = part->elts;

    for (i = 0; /* void */; i++) {

        if (i >= part->nelts) {
            if (part->next == NULL) {
                break;
            }

            part = part->next;
            h = part->elts;
            i = 0;
        }

        if (h[i].key.len != src->lowcase.len) {
            continue;
        }

        for (k = 0; k < src->lowcase.len; k++) {
            a = h[i].lowcase_key[k];
            b = src->lowcase.data[k];

            if ((a == '_' ? '-' : a) != (b == '_' ? '-' : b)) {
                break;
            }
        }

        if (k < src->lowcase.len) {
            continue;
        }

        n++;

        if (*first == NULL
            && ngx_strncmp(h[i].lowcase_key, src->lowcase.data,
                           src->lowcase.len)
               == 0)
        {
            *first = &h[i];
        }
    }

    return n;
}


static ngx_int_t
ngx_http_ticket_header_token(ngx_table_elt_t *h,
    ngx_http_ticket_source_t *src, ngx_str_t *token)
{
    u_char  *p, *last;

    p = h->value.data;
    last = p + h->value.len;

    if (src->bearer) {
        /* RFC 6750: the scheme is case-insensitive; other schemes are
         * someone else's credentials, not a ticket */

        if (last - p < 6 || ngx_strncasecmp(p, (u_char *) "Bearer", 6) != 0
            || (last - p > 6 && p[6] != ' '))
        {
            return NGX_DECLINED;
        }

        p += 6;
    }

    while (p < last && *p == ' ') {
        p++;
    }

    while (last > p && last[-1] == ' ') {
        last--;
    }

    if (p == last && !src->bearer) {
        return NGX_DECLINED;
    }

    /* "Bearer" with nothing after it is a malformed ticket, not none */

    token->data = p;
    token->len = last - p;

    return NGX_OK;
}


/*
 * Cookies named name.  A copy as nginx's own lookup finds it: split at
 * ";" (and "," before nginx 1.29.6), spaces skipped, the name compared
 * case-insensitively; first is the value of the first such copy, up to
 * the next ";", as nginx reads it.  A backend splits and trims more:
 * Python's str.strip() and SimpleCookie drop tabs, \x1c-\x1f, NEL and
 * NBSP around a name, some parsers split at "," too, PHP reads "." and
 * " " in a name as "_".  Such a copy counts as well, and with a value
 * sets hidden: nginx would not find it.
 */

static ngx_uint_t
ngx_http_ticket_cookie_copies(ngx_http_request_t *r, ngx_str_t *name,
    ngx_str_t *first, ngx_uint_t *hidden)
{
    u_char           *start, *end, *sep, *eq, *p, *last, *v;
    ngx_uint_t        i, n, exact, nginx_start, next_start;
    ngx_table_elt_t  *h;

    n = 0;
    i = 0;

    for (h = ngx_http_ticket_cookie_line(r, NULL, &i);
         h != NULL;
         h = ngx_http_ticket_cookie_line(r, h, &i))
    {
        start = h->value.data;
        end = start + h->value.len;
        nginx_start = 1;

        while (start < end) {

            for (sep = start; sep < end && *sep != ';' && *sep != ',';
                 sep++)
            {
                /* void */
            }

            next_start = (sep < end
                          && (*sep == ';'
                              || (*sep == ','
                                  && NGX_HTTP_TICKET_COOKIE_COMMA)));

            eq = ngx_strlchr(start, sep, '=');

            if (eq != NULL && ngx_http_ticket_name_is(start, eq, name, 0)) {

                /* as nginx compares: spaces only, before and after */

                for (p = start; p < eq && *p == ' '; p++) {
                    /* void */
                }

                for (last = eq; last > p && last[-1] == ' '; last--) {
                    /* void */
                }

                exact = nginx_start
                        && (size_t) (last - p) == name->len
                        && ngx_strncasecmp(p, name->data, name->len) == 0;

                if (exact && first->data == NULL) {
                    for (v = eq + 1; v < end && *v == ' '; v++) {
                        /* void */
                    }

                    for (last = v; last < end && *last != ';'; last++) {
                        /* void */
                    }

                    first->data = v;
                    first->len = last - v;
                }

                if (!exact) {
                    for (v = eq + 1; v < sep && ngx_http_ticket_space(*v);
                         v++)
                    {
                        /* void */
                    }

                    if (v < sep) {
                        *hidden = 1;
                    }
                }

                n++;
            }

            nginx_start = next_start;
            start = sep + 1;
        }
    }

    return n;
}


/*
 * Arguments named name.  nginx's ngx_http_arg() finds "name=" right
 * after the start or a "&", case-insensitively.  A backend's parser
 * finds more: names percent-decoded ("%74=" is "t=" to Python's
 * parse_qs), "+" as a space, spaces stripped (PHP drops leading ones),
 * a name cut at a NUL (C strings) or a "[" (PHP's t[0]), a ";" as a
 * separator (Rack, older Python), a name without "=".  Every such copy
 * counts; one with a value that ngx_http_arg() would not find sets
 * hidden.
 */

static ngx_uint_t
ngx_http_ticket_arg_copies(ngx_http_request_t *r, ngx_str_t *name,
    ngx_uint_t *hidden)
{
    u_char      *p, *last, *sep, *eq;
    ngx_uint_t   n, nginx_start, next_start;

    n = 0;
    nginx_start = 1;

    p = r->args.data;
    last = p + r->args.len;

    while (p < last) {

        for (sep = p; sep < last && *sep != '&' && *sep != ';'; sep++) {
            /* void */
        }

        next_start = (sep < last && *sep == '&');

        eq = ngx_strlchr(p, sep, '=');
        if (eq == NULL) {
            eq = sep;
        }

        if (ngx_http_ticket_name_is(p, eq, name, 1)) {
            n++;

            if (eq < sep && eq + 1 < sep
                && !(nginx_start
                     && (size_t) (eq - p) == name->len
                     && ngx_strncasecmp(p, name->data, name->len) == 0))
            {
                *hidden = 1;
            }
        }

        nginx_start = next_start;
        p = sep + 1;
    }

    return n;
}


static ngx_int_t
ngx_http_ticket_deny(ngx_http_request_t *r, ngx_http_ticket_loc_conf_t *tlcf,
    ngx_http_ticket_ctx_t *ctx)
{
    ngx_int_t         status;
    ngx_str_t        *value;
    ngx_table_elt_t  *h;

    static ngx_str_t  www_authenticate = ngx_string("WWW-Authenticate");
    static ngx_str_t  retry_after = ngx_string("Retry-After");
    static ngx_str_t  retry_after_value = ngx_string("1");

    status = ticket_reason_status(ctx->reason);

    switch (status) {

    case NGX_HTTP_FORBIDDEN:
        value = &tlcf->www_scope;
        break;

    case NGX_HTTP_UNAUTHORIZED:
        value = (ctx->reason == TICKET_MISSING) ? &tlcf->www_missing
                                                : &tlcf->www_invalid;
        break;

    default:
        /* 503: revocation state unusable; no challenge to answer */
        status = NGX_HTTP_SERVICE_UNAVAILABLE;
        value = &retry_after_value;
        break;
    }

    if (r->headers_out.www_authenticate != NULL
        && status != NGX_HTTP_SERVICE_UNAVAILABLE)
    {
        /* refused again on the way to an error page: one challenge */
        r->headers_out.www_authenticate->value = *value;
        return status;
    }

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    h->hash = 1;
    ngx_http_ticket_header_unlinked(h);
    h->value = *value;

    if (status == NGX_HTTP_SERVICE_UNAVAILABLE) {
        h->key = retry_after;

    } else {
        h->key = www_authenticate;
        r->headers_out.www_authenticate = h;
    }

    return status;
}
