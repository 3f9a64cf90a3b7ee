
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
#include "ngx_http_ticket_revocation_zone.h"
#include "ngx_http_ticket_status.h"


static ngx_int_t ngx_http_ticket_is_preflight(ngx_http_request_t *r);
static ngx_table_elt_t *ngx_http_ticket_header(ngx_http_request_t *r,
    ngx_str_t *lowcase);
static ticket_reason_t ngx_http_ticket_verify(ngx_http_request_t *r,
    ngx_http_ticket_main_conf_t *tmcf, ngx_http_ticket_loc_conf_t *tlcf,
    ngx_http_ticket_ctx_t *ctx, ngx_http_ticket_metrics_t *m);
static ngx_int_t ngx_http_ticket_find_token(ngx_http_request_t *r,
    ngx_http_ticket_loc_conf_t *tlcf, ngx_str_t *token);
static ngx_int_t ngx_http_ticket_header_token(ngx_http_request_t *r,
    ngx_http_ticket_source_t *src, ngx_str_t *token);
static ngx_int_t ngx_http_ticket_deny(ngx_http_request_t *r,
    ngx_http_ticket_loc_conf_t *tlcf, ngx_http_ticket_ctx_t *ctx);


ngx_int_t
ngx_http_ticket_handler(ngx_http_request_t *r)
{
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
        && ngx_http_ticket_keys_url_wait(r, tlcf->keysrc) == NGX_AGAIN)
    {
        /* the very first use of a key service: its first document */
        return NGX_AGAIN;
    }

    if (tlcf->preflight == NGX_HTTP_TICKET_PREFLIGHT_PASS
        && ngx_http_ticket_is_preflight(r))
    {
        /* not checked: nothing for the variables to verify later either */

        ctx = ngx_http_ticket_ctx(r, ngx_http_ticket_get_ctx(r), tlcf);
        if (ctx == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        ctx->decision = NGX_HTTP_TICKET_NONE;

        return NGX_DECLINED;
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
        return ngx_http_ticket_deny(r, tlcf, ctx);
    }
}


static ngx_int_t
ngx_http_ticket_is_preflight(ngx_http_request_t *r)
{
    static ngx_str_t  origin = ngx_string("origin");
    static ngx_str_t  acrm = ngx_string("access-control-request-method");

    return r->method == NGX_HTTP_OPTIONS
           && ngx_http_ticket_header(r, &origin) != NULL
           && ngx_http_ticket_header(r, &acrm) != NULL;
}


/* the first request header of that lowercase name */

static ngx_table_elt_t *
ngx_http_ticket_header(ngx_http_request_t *r, ngx_str_t *lowcase)
{
    ngx_uint_t        i;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h;

    part = &r->headers_in.headers.part;
    h = part->elts;

    for (i = 0; /* void */; i++) {

        if (i >= part->nelts) {
            if (part->next == NULL) {
                return NULL;
            }

            part = part->next;
            h = part->elts;
            i = 0;
        }

        if (h[i].key.len == lowcase->len
            && ngx_strncmp(h[i].lowcase_key, lowcase->data, lowcase->len)
               == 0)
        {
            return &h[i];
        }
    }
}


ngx_http_ticket_ctx_t *
ngx_http_ticket_evaluate(ngx_http_request_t *r,
    ngx_http_ticket_loc_conf_t *tlcf)
{
    ngx_int_t                     rc;
    ngx_http_ticket_ctx_t        *ctx;
    ngx_http_ticket_metrics_t    *m;
    ngx_http_ticket_main_conf_t  *tmcf;

    r = r->main;

    ctx = ngx_http_ticket_get_ctx(r);

    if (ctx != NULL && ctx->conf == tlcf) {
        return ctx;
    }

    ctx = ngx_http_ticket_ctx(r, ctx, tlcf);
    if (ctx == NULL) {
        return NULL;
    }

    tmcf = ngx_http_get_module_main_conf(r, ngx_http_ticket_module);
    m = ngx_http_ticket_metrics(tmcf);

    rc = ngx_http_ticket_find_token(r, tlcf, &ctx->token);

    if (rc == NGX_DECLINED) {
        ctx->reason = TICKET_MISSING;

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
        ngx_http_ticket_keys_url_sync(tlcf->keysrc, r->connection->log);
    }

    if (ngx_http_ticket_cache_get(r, tmcf, tlcf, &ctx->token, t, &reason)
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


static ngx_int_t
ngx_http_ticket_find_token(ngx_http_request_t *r,
    ngx_http_ticket_loc_conf_t *tlcf, ngx_str_t *token)
{
    ngx_uint_t                 i;
    ngx_http_ticket_source_t  *src;

    src = tlcf->sources->elts;

    for (i = 0; i < tlcf->sources->nelts; i++) {

        switch (src[i].type) {

        case NGX_HTTP_TICKET_SRC_HEADER:
            if (ngx_http_ticket_header_token(r, &src[i], token) == NGX_OK) {
                return NGX_OK;
            }

            break;

        case NGX_HTTP_TICKET_SRC_COOKIE:
            if (ngx_http_ticket_cookie(r, &src[i].name, token) == NGX_OK
                && token->len)
            {
                return NGX_OK;
            }

            break;

        default: /* NGX_HTTP_TICKET_SRC_ARG */
            if (ngx_http_arg(r, src[i].name.data, src[i].name.len, token)
                == NGX_OK
                && token->len)
            {
                return NGX_OK;
            }

            break;
        }
    }

    ngx_str_null(token);

    return NGX_DECLINED;
}


static ngx_int_t
ngx_http_ticket_header_token(ngx_http_request_t *r,
    ngx_http_ticket_source_t *src, ngx_str_t *token)
{
    u_char           *p, *last;
    ngx_table_elt_t  *found;

    found = src->bearer ? r->headers_in.authorization
                        : ngx_http_ticket_header(r, &src->lowcase);

    if (found == NULL) {
        return NGX_DECLINED;
    }

    p = found->value.data;
    last = p + found->value.len;

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
