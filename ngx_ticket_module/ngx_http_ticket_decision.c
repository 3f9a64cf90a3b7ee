
/*
 * ngx_ticket_module: the decision record of a request.
 *
 * The decision is made once per request and scope and kept in a pool
 * cleanup, so that $ticket_* variables and the log phase still find it
 * after an internal redirect or error_page has wiped the module contexts
 * (as realip finds its own).  A refusal is logged here, once.
 */


#include "ngx_http_ticket_types.h"
#include "ngx_http_ticket_decision.h"
#include "ngx_http_ticket_text.h"

#include <ticket_audit.h>


static void ngx_http_ticket_ctx_keep(ngx_http_request_t *r,
    ngx_http_ticket_ctx_t *ctx);
static void ngx_http_ticket_cleanup(void *data);
static void *ngx_http_ticket_pool_alloc(void *data, size_t size);
static void ngx_http_ticket_pool_free(void *data, void *p);


ngx_http_ticket_ctx_t *
ngx_http_ticket_get_ctx(ngx_http_request_t *r)
{
    ngx_pool_cleanup_t     *cln;
    ngx_http_ticket_ctx_t  *ctx;

    r = r->main;

    ctx = ngx_http_get_module_ctx(r, ngx_http_ticket_module);

    if (ctx != NULL || !(r->internal || r->filter_finalize)) {
        return ctx;
    }

    /*
     * an internal redirect or error_page wiped r->ctx;
     * the decision still sits in the request pool's cleanup
     */

    for (cln = r->pool->cleanup; cln; cln = cln->next) {
        if (cln->handler == ngx_http_ticket_cleanup) {
            ctx = cln->data;
            ngx_http_set_ctx(r, ctx, ngx_http_ticket_module);
            return ctx;
        }
    }

    return NULL;
}


/*
 * The request's decision record, fresh for the scope tlcf: created on
 * first use, emptied when an internal redirect leads into another scope.
 * ctx is the record so far, as ngx_http_ticket_get_ctx() found it: the
 * caller has looked already.
 */

ngx_http_ticket_ctx_t *
ngx_http_ticket_ctx(ngx_http_request_t *r, ngx_http_ticket_ctx_t *ctx,
    ngx_http_ticket_loc_conf_t *tlcf)
{
    ngx_pool_cleanup_t  *cln;

    r = r->main;

    if (ctx == NULL) {
        cln = ngx_pool_cleanup_add(r->pool, sizeof(ngx_http_ticket_ctx_t));
        if (cln == NULL) {
            return NULL;
        }

        ctx = cln->data;
        ngx_memzero(ctx, sizeof(ngx_http_ticket_ctx_t));
        ngx_http_ticket_ticket_init(r, &ctx->ticket);

        cln->handler = ngx_http_ticket_cleanup;

        ngx_http_set_ctx(r, ctx, ngx_http_ticket_module);

    } else {
        /* an internal redirect into another scope: decide again there */
        ngx_http_ticket_ctx_keep(r, ctx);
        ctx->parsed = 0;
        ngx_str_null(&ctx->token);
        ctx->token_fp[0] = '\0';
    }

    ctx->conf = tlcf;
    ctx->reason = TICKET_OK;
    ctx->decision = NGX_HTTP_TICKET_NONE;
    ctx->preflight = 0;
    ctx->refused = 0;
    ctx->admitted = 0;
    ctx->cookie = 0;
    ctx->refused_loc = NULL;

    return ctx;
}


/*
 * A refusal must not vanish from the audit trail because error_page or a
 * rewrite led into a scope that allows: the most severe decision of the
 * scopes left behind is kept (its ticket with it) for the log phase.
 */

static void
ngx_http_ticket_ctx_keep(ngx_http_request_t *r, ngx_http_ticket_ctx_t *ctx)
{
    ngx_http_ticket_ctx_t  *e, *prev;

    if (ctx->decision == NGX_HTTP_TICKET_NONE) {
        ticket_free(&ctx->ticket);
        return;
    }

    e = ngx_palloc(r->pool, sizeof(ngx_http_ticket_ctx_t));
    if (e == NULL) {
        ticket_free(&ctx->ticket);
        return;
    }

    /* the ticket moves with the copy: its memory is the pool's, and only
     * an "fp:" id points into the ticket itself */

    *e = *ctx;
    e->earlier = NULL;

    if (ctx->ticket.jti.data == ctx->ticket.jti_fp) {
        /* the one string a ticket holds in itself: the "fp:" id */
        e->ticket.jti.data = e->ticket.jti_fp;
    }

    ngx_http_ticket_ticket_init(r, &ctx->ticket);

    prev = ctx->earlier;

    if (prev == NULL
        || ticket_audit_event(e->reason, 0)
           > ticket_audit_event(prev->reason, 0))
    {
        if (prev != NULL) {
            ticket_free(&prev->ticket);
        }

        ctx->earlier = e;

    } else {
        ticket_free(&e->ticket);
    }
}


/*
 * Past the access phase, in the location the ticket was refused in: under
 * "satisfy any" another access module (allow, auth_basic) admitted the
 * request.  Its record says the refusal was not enforced.  An error page
 * after a refusal runs in another location, or is refused again.
 */

ngx_int_t
ngx_http_ticket_admitted_handler(ngx_http_request_t *r)
{
    ngx_http_ticket_ctx_t  *ctx;

    if (r != r->main) {
        return NGX_DECLINED;
    }

    ctx = ngx_http_ticket_get_ctx(r);

    if (ctx != NULL && ctx->refused && ctx->refused_loc == r->loc_conf
        && ctx->decision == NGX_HTTP_TICKET_DENY)
    {
        ctx->admitted = 1;
    }

    return NGX_DECLINED;
}


/* claims a backend may act on: verified, and refused at most for scope */

ngx_uint_t
ngx_http_ticket_trusted(ngx_http_ticket_ctx_t *ctx)
{
    return ctx->ticket.verified
           && (ctx->reason == TICKET_OK
               || ticket_reason_status(ctx->reason) == NGX_HTTP_FORBIDDEN);
}


void
ngx_http_ticket_log_decision(ngx_http_request_t *r,
    ngx_http_ticket_ctx_t *ctx)
{
    ngx_str_t   sub, jti;
    ticket_t   *t;

    if (ctx->reason == TICKET_OK
        || r->connection->log->log_level < NGX_LOG_INFO)
    {
        return;
    }

    t = &ctx->ticket;

    ngx_str_null(&sub);
    ngx_str_null(&jti);

    if (ctx->parsed) {
        if (ngx_http_ticket_safe_str(r->pool, t->sub.data, t->sub.len, &sub)
            != NGX_OK
            || ngx_http_ticket_safe_str(r->pool, t->jti.data, t->jti.len,
                                        &jti)
               != NGX_OK)
        {
            return;
        }
    }

    /*
     * A malformed ticket says which member failed and why: names only,
     * written by the core, never a value from the ticket.
     */

    ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                  "ticket %s: %s%s%s, sub \"%V\", jti \"%V\", verified %d",
                  ctx->decision == NGX_HTTP_TICKET_AUDITED ? "audited"
                                                           : "denied",
                  ticket_reason_name(ctx->reason),
                  t->why[0] != '\0' ? ": " : "", t->why, &sub, &jti,
                  (int) t->verified);
}


/*
 * What a ticket parses lives in the request pool: no malloc on the
 * request path, nothing to free one by one.  r is the main request
 * (a subrequest shares its pool).
 */

void
ngx_http_ticket_ticket_init(ngx_http_request_t *r, ticket_t *t)
{
    ticket_init(t);

    t->alloc.alloc = ngx_http_ticket_pool_alloc;
    t->alloc.free = ngx_http_ticket_pool_free;
    t->alloc.data = r->pool;
}


static void *
ngx_http_ticket_pool_alloc(void *data, size_t size)
{
    return ngx_palloc(data, size);
}


/* a large block back to the system now; a small one stays till the end */

static void
ngx_http_ticket_pool_free(void *data, void *p)
{
    (void) ngx_pfree(data, p);
}


static void
ngx_http_ticket_cleanup(void *data)
{
    ngx_http_ticket_ctx_t  *ctx = data;

    ticket_free(&ctx->ticket);

    if (ctx->earlier != NULL) {
        ticket_free(&ctx->earlier->ticket);
    }
}
