
/*
 * ngx_ticket_module: ticket check in the access phase.
 *
 * The decision is made once per request and scope and kept in a pool
 * cleanup, so that $ticket_* variables and the log phase still find it
 * after an internal redirect or error_page has wiped the module contexts.
 */


#include "ngx_http_ticket_module.h"
#include "ngx_http_ticket_compat.h"
#include "ngx_http_ticket_revocation.h"

#include <ticket_audit.h>


static ngx_int_t ngx_http_ticket_handler(ngx_http_request_t *r);
static ngx_int_t ngx_http_ticket_is_preflight(ngx_http_request_t *r);
static ngx_table_elt_t *ngx_http_ticket_header(ngx_http_request_t *r,
    ngx_str_t *lowcase);
static ngx_http_ticket_ctx_t *ngx_http_ticket_ctx(ngx_http_request_t *r,
    ngx_http_ticket_loc_conf_t *tlcf);
static void ngx_http_ticket_ctx_keep(ngx_http_request_t *r,
    ngx_http_ticket_ctx_t *ctx);
static ticket_reason_t ngx_http_ticket_verify(ngx_http_request_t *r,
    ngx_http_ticket_loc_conf_t *tlcf, ngx_http_ticket_ctx_t *ctx);
static ngx_int_t ngx_http_ticket_find_token(ngx_http_request_t *r,
    ngx_http_ticket_loc_conf_t *tlcf, ngx_str_t *token);
static ngx_int_t ngx_http_ticket_header_token(ngx_http_request_t *r,
    ngx_http_ticket_source_t *src, ngx_str_t *token);
static ngx_int_t ngx_http_ticket_deny(ngx_http_request_t *r,
    ngx_http_ticket_loc_conf_t *tlcf, ngx_http_ticket_ctx_t *ctx);
static ngx_int_t ngx_http_ticket_strip_headers(ngx_http_request_t *r);
static ngx_uint_t ngx_http_ticket_forwarded(ngx_http_ticket_main_conf_t *tmcf,
    ngx_table_elt_t *h);
static ngx_int_t ngx_http_ticket_forward_claims(ngx_http_request_t *r,
    ngx_http_ticket_loc_conf_t *tlcf, ngx_http_ticket_ctx_t *ctx);
static ngx_int_t ngx_http_ticket_standard_claim(ngx_str_t *name);
static void ngx_http_ticket_log_decision(ngx_http_request_t *r,
    ngx_http_ticket_ctx_t *ctx);
static void ngx_http_ticket_cleanup(void *data);

static char *ngx_http_ticket(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
static char *ngx_http_ticket_token(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_ticket_str_list(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_ticket_require_role(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_ticket_require_claim(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
static char *ngx_http_ticket_set_header(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_ticket_check_path(ngx_conf_t *cf, void *post,
    void *data);
static char *ngx_http_ticket_check_realm(ngx_conf_t *cf, void *post,
    void *data);
static char *ngx_http_ticket_check_lifetime(ngx_conf_t *cf, void *post,
    void *data);
static char *ngx_http_ticket_check_leeway(ngx_conf_t *cf, void *post,
    void *data);
static ngx_int_t ngx_http_ticket_header_name(ngx_conf_t *cf, ngx_str_t *name,
    ngx_str_t *lowcase, ngx_uint_t *hash);

static void *ngx_http_ticket_create_main_conf(ngx_conf_t *cf);
static void *ngx_http_ticket_create_loc_conf(ngx_conf_t *cf);
static char *ngx_http_ticket_merge_loc_conf(ngx_conf_t *cf, void *parent,
    void *child);
static ngx_int_t ngx_http_ticket_build_policy(ngx_conf_t *cf,
    ngx_http_ticket_loc_conf_t *conf);
static ngx_int_t ngx_http_ticket_strlist(ngx_conf_t *cf, ngx_array_t *a,
    ticket_strlist_t *list);
static ngx_int_t ngx_http_ticket_www_auth(ngx_conf_t *cf, ngx_str_t *realm,
    const char *error, ngx_str_t *out);
static ngx_int_t ngx_http_ticket_init(ngx_conf_t *cf);
static ngx_int_t ngx_http_ticket_init_process(ngx_cycle_t *cycle);
static void ngx_http_ticket_exit_process(ngx_cycle_t *cycle);


static ngx_conf_enum_t  ngx_http_ticket_kinds[] = {
    { ngx_string("off"), NGX_HTTP_TICKET_OFF },
    { ngx_string("user"), TICKET_KIND_USER },
    { ngx_string("service"), TICKET_KIND_SERVICE },
    { ngx_string("any"), TICKET_KIND_ANY },
    { ngx_null_string, 0 }
};


static ngx_conf_enum_t  ngx_http_ticket_modes[] = {
    { ngx_string("enforce"), NGX_HTTP_TICKET_ENFORCE },
    { ngx_string("audit"), NGX_HTTP_TICKET_AUDIT },
    { ngx_null_string, 0 }
};


static ngx_conf_enum_t  ngx_http_ticket_preflights[] = {
    { ngx_string("check"), NGX_HTTP_TICKET_PREFLIGHT_CHECK },
    { ngx_string("pass"), NGX_HTTP_TICKET_PREFLIGHT_PASS },
    { ngx_null_string, 0 }
};


static ngx_conf_post_t  ngx_http_ticket_path_post =
    { ngx_http_ticket_check_path };

static ngx_conf_post_t  ngx_http_ticket_realm_post =
    { ngx_http_ticket_check_realm };

static ngx_conf_post_t  ngx_http_ticket_lifetime_post =
    { ngx_http_ticket_check_lifetime };

static ngx_conf_post_t  ngx_http_ticket_leeway_post =
    { ngx_http_ticket_check_leeway };


#define NGX_HTTP_TICKET_CONF                                                  \
    (NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF)


static ngx_command_t  ngx_http_ticket_commands[] = {

    { ngx_string("ticket"),
      NGX_HTTP_TICKET_CONF|NGX_CONF_TAKE1,
      ngx_http_ticket,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("ticket_keys"),
      NGX_HTTP_TICKET_CONF|NGX_CONF_TAKE1,
      ngx_http_ticket_keys,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("ticket_key"),
      NGX_HTTP_TICKET_CONF|NGX_CONF_TAKE3|NGX_CONF_TAKE4,
      ngx_http_ticket_key,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("ticket_token"),
      NGX_HTTP_TICKET_CONF|NGX_CONF_1MORE,
      ngx_http_ticket_token,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("ticket_issuer"),
      NGX_HTTP_TICKET_CONF|NGX_CONF_1MORE,
      ngx_http_ticket_str_list,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_ticket_loc_conf_t, issuers),
      NULL },

    { ngx_string("ticket_audience"),
      NGX_HTTP_TICKET_CONF|NGX_CONF_1MORE,
      ngx_http_ticket_str_list,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_ticket_loc_conf_t, audiences),
      NULL },

    { ngx_string("ticket_leeway"),
      NGX_HTTP_TICKET_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_sec_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_ticket_loc_conf_t, leeway),
      &ngx_http_ticket_leeway_post },

    { ngx_string("ticket_max_lifetime"),
      NGX_HTTP_TICKET_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_sec_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_ticket_loc_conf_t, max_lifetime),
      &ngx_http_ticket_lifetime_post },

    { ngx_string("ticket_require_role"),
      NGX_HTTP_TICKET_CONF|NGX_CONF_1MORE,
      ngx_http_ticket_require_role,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("ticket_require_claim"),
      NGX_HTTP_TICKET_CONF|NGX_CONF_2MORE,
      ngx_http_ticket_require_claim,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("ticket_roles_claim"),
      NGX_HTTP_TICKET_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_ticket_loc_conf_t, roles_claim),
      &ngx_http_ticket_path_post },

    { ngx_string("ticket_privileged_roles"),
      NGX_HTTP_TICKET_CONF|NGX_CONF_1MORE,
      ngx_http_ticket_str_list,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_ticket_loc_conf_t, privileged),
      NULL },

    { ngx_string("ticket_mode"),
      NGX_HTTP_TICKET_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_enum_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_ticket_loc_conf_t, mode),
      &ngx_http_ticket_modes },

    { ngx_string("ticket_set_header"),
      NGX_HTTP_TICKET_CONF|NGX_CONF_TAKE2,
      ngx_http_ticket_set_header,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("ticket_preflight"),
      NGX_HTTP_TICKET_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_enum_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_ticket_loc_conf_t, preflight),
      &ngx_http_ticket_preflights },

    { ngx_string("ticket_audit_log"),
      NGX_HTTP_TICKET_CONF|NGX_CONF_TAKE1,
      ngx_http_ticket_audit_log,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("ticket_audit_events"),
      NGX_HTTP_TICKET_CONF|NGX_CONF_1MORE,
      ngx_http_ticket_audit_events,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("ticket_status"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_ticket_status,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("ticket_realm"),
      NGX_HTTP_TICKET_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_ticket_loc_conf_t, realm),
      &ngx_http_ticket_realm_post },

      ngx_null_command
};


static ngx_http_module_t  ngx_http_ticket_module_ctx = {
    ngx_http_ticket_add_variables,         /* preconfiguration */
    ngx_http_ticket_init,                  /* postconfiguration */

    ngx_http_ticket_create_main_conf,      /* create main configuration */
    NULL,                                  /* init main configuration */

    NULL,                                  /* create server configuration */
    NULL,                                  /* merge server configuration */

    ngx_http_ticket_create_loc_conf,       /* create location configuration */
    ngx_http_ticket_merge_loc_conf         /* merge location configuration */
};


ngx_module_t  ngx_http_ticket_module = {
    NGX_MODULE_V1,
    &ngx_http_ticket_module_ctx,           /* module context */
    ngx_http_ticket_commands,              /* module directives */
    NGX_HTTP_MODULE,                       /* module type */
    NULL,                                  /* init master */
    NULL,                                  /* init module */
    ngx_http_ticket_init_process,          /* init process */
    NULL,                                  /* init thread */
    NULL,                                  /* exit thread */
    ngx_http_ticket_exit_process,          /* exit process */
    NULL,                                  /* exit master */
    NGX_MODULE_V1_PADDING
};


static ngx_str_t  ngx_http_ticket_authorization = ngx_string("Authorization");


static ngx_int_t
ngx_http_ticket_handler(ngx_http_request_t *r)
{
    ngx_http_ticket_ctx_t       *ctx;
    ngx_http_ticket_loc_conf_t  *tlcf;

    if (r != r->main) {
        /* nginx skips the access phase for subrequests; so do we */
        return NGX_DECLINED;
    }

    tlcf = ngx_http_get_module_loc_conf(r, ngx_http_ticket_module);

    /* a client-sent copy of a forwarded claim never reaches the backend */

    if (ngx_http_ticket_strip_headers(r) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (tlcf->kinds == NGX_HTTP_TICKET_OFF) {
        return NGX_DECLINED;
    }

    if (tlcf->preflight == NGX_HTTP_TICKET_PREFLIGHT_PASS
        && ngx_http_ticket_is_preflight(r))
    {
        /* not checked: nothing for the variables to verify later either */

        ctx = ngx_http_ticket_ctx(r, tlcf);
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
 */

static ngx_http_ticket_ctx_t *
ngx_http_ticket_ctx(ngx_http_request_t *r, ngx_http_ticket_loc_conf_t *tlcf)
{
    ngx_pool_cleanup_t     *cln;
    ngx_http_ticket_ctx_t  *ctx;

    r = r->main;

    ctx = ngx_http_ticket_get_ctx(r);

    if (ctx == NULL) {
        cln = ngx_pool_cleanup_add(r->pool, sizeof(ngx_http_ticket_ctx_t));
        if (cln == NULL) {
            return NULL;
        }

        ctx = cln->data;
        ngx_memzero(ctx, sizeof(ngx_http_ticket_ctx_t));
        ticket_init(&ctx->ticket);

        cln->handler = ngx_http_ticket_cleanup;

        ngx_http_set_ctx(r, ctx, ngx_http_ticket_module);

    } else {
        /* an internal redirect into another scope: decide again there */
        ngx_http_ticket_ctx_keep(r, ctx);
        ctx->parsed = 0;
        ngx_str_null(&ctx->token);
    }

    ctx->conf = tlcf;
    ctx->reason = TICKET_OK;
    ctx->decision = NGX_HTTP_TICKET_NONE;

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

    /* the ticket moves with the copy: nothing in it points into ctx */

    *e = *ctx;
    e->earlier = NULL;
    ticket_init(&ctx->ticket);

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


/* claims a backend may act on: verified, and refused at most for scope */

ngx_uint_t
ngx_http_ticket_trusted(ngx_http_ticket_ctx_t *ctx)
{
    return ctx->ticket.verified
           && (ctx->reason == TICKET_OK
               || ticket_reason_status(ctx->reason) == NGX_HTTP_FORBIDDEN);
}


ngx_http_ticket_ctx_t *
ngx_http_ticket_evaluate(ngx_http_request_t *r,
    ngx_http_ticket_loc_conf_t *tlcf)
{
    ngx_int_t               rc;
    ngx_http_ticket_ctx_t  *ctx;

    r = r->main;

    ctx = ngx_http_ticket_get_ctx(r);

    if (ctx != NULL && ctx->conf == tlcf) {
        return ctx;
    }

    ctx = ngx_http_ticket_ctx(r, tlcf);
    if (ctx == NULL) {
        return NULL;
    }

    rc = ngx_http_ticket_find_token(r, tlcf, &ctx->token);

    if (rc == NGX_DECLINED) {
        ctx->reason = TICKET_MISSING;

    } else {
        ctx->reason = ngx_http_ticket_verify(r, tlcf, ctx);

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

    if (ngx_http_ticket_metrics != NULL
        && (ngx_uint_t) ctx->reason < TICKET_REASON_MAX)
    {
        (void) ngx_atomic_fetch_add(
                    &ngx_http_ticket_metrics->requests[ctx->decision]
                                                      [ctx->reason], 1);
    }

    ngx_http_ticket_log_decision(r, ctx);

    return ctx;
}


/*
 * The signature and the claims, from the verified-ticket cache when this
 * very ticket was verified under one of this scope's keys before: then
 * only what can change with time, scope or binding is checked again.
 */

static ticket_reason_t
ngx_http_ticket_verify(ngx_http_request_t *r,
    ngx_http_ticket_loc_conf_t *tlcf, ngx_http_ticket_ctx_t *ctx)
{
    int64_t           now;
    ticket_t         *t;
    ticket_reason_t   reason;

    t = &ctx->ticket;
    now = (int64_t) ngx_time();

    if (ngx_http_ticket_cache_get(r, tlcf, &ctx->token, t, &reason)
        == NGX_OK)
    {
        if (ngx_http_ticket_metrics) {
            (void) ngx_atomic_fetch_add(&ngx_http_ticket_metrics->cache_hits,
                                        1);
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

    if (ngx_http_ticket_metrics) {
        (void) ngx_atomic_fetch_add(&ngx_http_ticket_metrics->cache_misses, 1);
    }

    reason = ticket_validate(t, (const char *) ctx->token.data,
                             ctx->token.len, tlcf->keyset, &tlcf->policy,
                             now);

    /* verified (whatever came after), or a signature that failed */

    if (t->verified
        || (reason == TICKET_BAD_SIGNATURE && t->key != NULL))
    {
        ngx_http_ticket_cache_put(r, tlcf, &ctx->token, t);
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

        h = ngx_list_push(&r->headers_out.headers);
        if (h == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        h->hash = 1;
        ngx_http_ticket_header_unlinked(h);
        ngx_str_set(&h->key, "Retry-After");
        ngx_str_set(&h->value, "1");

        return NGX_HTTP_SERVICE_UNAVAILABLE;
    }

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    h->hash = 1;
    ngx_http_ticket_header_unlinked(h);
    ngx_str_set(&h->key, "WWW-Authenticate");
    h->value = *value;

    r->headers_out.www_authenticate = h;

    return status;
}


/*
 * Forwarded claims: the client's headers of every name any scope forwards
 * a claim in are removed on every pass of the access phase, in every
 * location, before any decision, so that neither an absent claim, nor a
 * denied, audited or unprotected request, nor a scope with a list of its
 * own lets a forged value through.  "_" counts as "-": CGI and FastCGI
 * backends see X_User and X-User as one HTTP_X_USER.
 */

static ngx_int_t
ngx_http_ticket_strip_headers(ngx_http_request_t *r)
{
    ngx_uint_t                    i, hit;
    ngx_list_t                    headers;
    ngx_list_part_t              *part;
    ngx_table_elt_t              *h, *nh;
    ngx_http_ticket_main_conf_t  *tmcf;

    tmcf = ngx_http_get_module_main_conf(r, ngx_http_ticket_module);

    if (tmcf->forwarded.nelts == 0) {
        return NGX_OK;
    }

    hit = 0;

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

        if (ngx_http_ticket_forwarded(tmcf, &h[i])) {
            hit = 1;
            break;
        }
    }

    if (!hit) {
        return NGX_OK;
    }

    /* nginx has no list removal: rebuild the list without them */

    if (ngx_list_init(&headers, r->pool, 20, sizeof(ngx_table_elt_t))
        != NGX_OK)
    {
        return NGX_ERROR;
    }

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

        if (ngx_http_ticket_forwarded(tmcf, &h[i])) {
            ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                          "ticket: client header \"%V\" removed", &h[i].key);
            continue;
        }

        nh = ngx_list_push(&headers);
        if (nh == NULL) {
            return NGX_ERROR;
        }

        *nh = h[i];
    }

    r->headers_in.headers = headers;

    /* the copied list's last part must not point into this stack frame */

    if (headers.last == &headers.part) {
        r->headers_in.headers.last = &r->headers_in.headers.part;
    }

    return NGX_OK;
}


static ngx_uint_t
ngx_http_ticket_forwarded(ngx_http_ticket_main_conf_t *tmcf,
    ngx_table_elt_t *h)
{
    u_char      c;
    ngx_str_t  *name;
    ngx_uint_t  i, k;

    name = tmcf->forwarded.elts;

    for (i = 0; i < tmcf->forwarded.nelts; i++) {

        if (h->key.len != name[i].len) {
            continue;
        }

        for (k = 0; k < name[i].len; k++) {
            c = h->lowcase_key[k];

            if ((c == '_' ? '-' : c) != name[i].data[k]) {
                break;
            }
        }

        if (k == name[i].len) {
            return 1;
        }
    }

    return 0;
}


static ngx_int_t
ngx_http_ticket_forward_claims(ngx_http_request_t *r,
    ngx_http_ticket_loc_conf_t *tlcf, ngx_http_ticket_ctx_t *ctx)
{
    json_t                    *value;
    ticket_t                  *t;
    ngx_str_t                  text;
    ngx_uint_t                 i;
    ngx_table_elt_t           *h;
    const ticket_str_t        *std;
    ngx_http_ticket_header_t  *sh;

    t = &ctx->ticket;

    if (tlcf->set_headers == NULL || !ngx_http_ticket_trusted(ctx)) {
        /* unverified, expired, revoked, another tenant's: not to be
         * acted on, even in audit mode */
        return NGX_OK;
    }

    sh = tlcf->set_headers->elts;

    for (i = 0; i < tlcf->set_headers->nelts; i++) {

        /* the standard string claims come typed: no JSON on a cache hit */

        if (sh[i].standard >= 0) {
            std = (const ticket_str_t *) ((u_char *) t + sh[i].standard);

            if (std->data == NULL) {
                continue;
            }

            if (ngx_http_ticket_safe_str(r->pool, std->data, std->len, &text)
                != NGX_OK)
            {
                return NGX_ERROR;
            }

        } else {
            if (ticket_claims_load(t) != 0) {
                return NGX_ERROR;
            }

            value = ticket_json_path(t->claims,
                                     (const char *) sh[i].claim.data,
                                     sh[i].claim.len);
            if (value == NULL || json_is_null(value)) {
                continue;
            }

            if (ngx_http_ticket_value(r->pool, value, &text) != NGX_OK) {
                return NGX_ERROR;
            }
        }

        h = ngx_list_push(&r->headers_in.headers);
        if (h == NULL) {
            return NGX_ERROR;
        }

        h->hash = sh[i].hash;
        ngx_http_ticket_header_unlinked(h);
        h->key = sh[i].name;
        h->lowcase_key = sh[i].lowcase.data;
        h->value = text;
    }

    return NGX_OK;
}


/* sub, kind, jti, iss, tenant, sid: read typed, without JSON */

static ngx_int_t
ngx_http_ticket_standard_claim(ngx_str_t *name)
{
    static struct {
        const char  *name;
        size_t       offset;
    } claims[] = {
        { "sub", offsetof(ticket_t, sub) },
        { "kind", offsetof(ticket_t, kind_name) },
        { "jti", offsetof(ticket_t, jti) },
        { "iss", offsetof(ticket_t, iss) },
        { "tenant", offsetof(ticket_t, tenant) },
        { "sid", offsetof(ticket_t, sid) },
        { NULL, 0 }
    };

    ngx_uint_t  i;

    for (i = 0; claims[i].name; i++) {
        if (name->len == ngx_strlen(claims[i].name)
            && ngx_strncmp(name->data, claims[i].name, name->len) == 0)
        {
            return (ngx_int_t) claims[i].offset;
        }
    }

    return -1;
}


static void
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

    ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                  "ticket %s: %s, sub \"%V\", jti \"%V\", verified %d",
                  ctx->decision == NGX_HTTP_TICKET_AUDITED ? "audited"
                                                           : "denied",
                  ticket_reason_name(ctx->reason), &sub, &jti,
                  (int) t->verified);
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


/*
 * Text of a claim for a variable or a forwarded header: control bytes
 * are written as \xHH, so that a signed claim cannot split a header.
 */

ngx_int_t
ngx_http_ticket_value(ngx_pool_t *pool, json_t *value, ngx_str_t *text)
{
    char    *buf;
    size_t   len;

    len = ticket_json_text(value, NULL, 0);

    buf = ngx_pnalloc(pool, len + 1);
    if (buf == NULL) {
        return NGX_ERROR;
    }

    (void) ticket_json_text(value, buf, len + 1);

    return ngx_http_ticket_safe_str(pool, buf, len, text);
}


ngx_int_t
ngx_http_ticket_safe_str(ngx_pool_t *pool, const char *data, size_t len,
    ngx_str_t *text)
{
    u_char      *p, c;
    size_t       i, n;
    static char  hex[] = "0123456789abcdef";

    n = 0;

    for (i = 0; i < len; i++) {
        c = (u_char) data[i];
        if (c < 0x20 || c == 0x7f) {
            n++;
        }
    }

    if (n == 0) {
        text->data = (u_char *) data;
        text->len = len;
        return NGX_OK;
    }

    p = ngx_pnalloc(pool, len + n * 3);
    if (p == NULL) {
        return NGX_ERROR;
    }

    text->data = p;

    for (i = 0; i < len; i++) {
        c = (u_char) data[i];

        if (c < 0x20 || c == 0x7f) {
            *p++ = '\\';
            *p++ = 'x';
            *p++ = hex[c >> 4];
            *p++ = hex[c & 0xf];

        } else {
            *p++ = c;
        }
    }

    text->len = p - text->data;

    return NGX_OK;
}


/* configuration */


static char *
ngx_http_ticket(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_ticket_loc_conf_t *tlcf = conf;

    ngx_str_t        *value;
    ngx_conf_enum_t  *e;

    if (tlcf->kinds != NGX_CONF_UNSET_UINT) {
        return "is duplicate";
    }

    value = cf->args->elts;

    for (e = ngx_http_ticket_kinds; e->name.len; e++) {
        if (e->name.len == value[1].len
            && ngx_strcmp(e->name.data, value[1].data) == 0)
        {
            tlcf->kinds = e->value;

            /* merge reports "no key" against this line, not http's end */
            tlcf->kinds_file = cf->conf_file->file.name;
            tlcf->kinds_line = cf->conf_file->line;

            return NGX_CONF_OK;
        }
    }

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "invalid value \"%V\", it must be \"off\", \"user\", "
                       "\"service\" or \"any\"", &value[1]);

    return NGX_CONF_ERROR;
}


static char *
ngx_http_ticket_token(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_ticket_loc_conf_t *tlcf = conf;

    ngx_str_t                 *value, v;
    ngx_uint_t                 i;
    ngx_http_ticket_source_t  *src;

    if (tlcf->sources != NGX_CONF_UNSET_PTR) {
        return "is duplicate";
    }

    tlcf->sources = ngx_array_create(cf->pool, cf->args->nelts - 1,
                                     sizeof(ngx_http_ticket_source_t));
    if (tlcf->sources == NULL) {
        return NGX_CONF_ERROR;
    }

    value = cf->args->elts;

    for (i = 1; i < cf->args->nelts; i++) {

        src = ngx_array_push(tlcf->sources);
        if (src == NULL) {
            return NGX_CONF_ERROR;
        }

        ngx_memzero(src, sizeof(ngx_http_ticket_source_t));

        v = value[i];

        if (v.len > 7 && ngx_strncmp(v.data, "header:", 7) == 0) {
            src->type = NGX_HTTP_TICKET_SRC_HEADER;
            src->name.data = v.data + 7;
            src->name.len = v.len - 7;

            if (ngx_http_ticket_header_name(cf, &src->name, &src->lowcase,
                                            &src->hash)
                != NGX_OK)
            {
                return NGX_CONF_ERROR;
            }

            src->bearer = (src->name.len == 13
                           && ngx_strcmp(src->lowcase.data, "authorization")
                              == 0);

        } else if (v.len > 7 && ngx_strncmp(v.data, "cookie:", 7) == 0) {
            src->type = NGX_HTTP_TICKET_SRC_COOKIE;
            src->name.data = v.data + 7;
            src->name.len = v.len - 7;

        } else if (v.len > 4 && ngx_strncmp(v.data, "arg:", 4) == 0) {
            src->type = NGX_HTTP_TICKET_SRC_ARG;
            src->name.data = v.data + 4;
            src->name.len = v.len - 4;

        } else {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid parameter \"%V\", it must be "
                               "\"header:NAME\", \"cookie:NAME\" or "
                               "\"arg:NAME\"", &v);
            return NGX_CONF_ERROR;
        }
    }

    return NGX_CONF_OK;
}


static char *
ngx_http_ticket_str_list(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    char  *p = conf;

    ngx_str_t     *value, *s;
    ngx_uint_t     i;
    ngx_array_t  **a;

    a = (ngx_array_t **) (p + cmd->offset);

    if (*a != NGX_CONF_UNSET_PTR) {
        return "is duplicate";
    }

    *a = ngx_array_create(cf->pool, cf->args->nelts - 1, sizeof(ngx_str_t));
    if (*a == NULL) {
        return NGX_CONF_ERROR;
    }

    value = cf->args->elts;

    for (i = 1; i < cf->args->nelts; i++) {

        if (value[i].len == 0) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "empty value in \"%V\"", &cmd->name);
            return NGX_CONF_ERROR;
        }

        s = ngx_array_push(*a);
        if (s == NULL) {
            return NGX_CONF_ERROR;
        }

        *s = value[i];
    }

    return NGX_CONF_OK;
}


static char *
ngx_http_ticket_require_role(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_ticket_loc_conf_t *tlcf = conf;

    ngx_str_t    *value, *s;
    ngx_uint_t    i;
    ngx_array_t  *line;

    if (tlcf->role_reqs == NGX_CONF_UNSET_PTR) {
        tlcf->role_reqs = ngx_array_create(cf->pool, 2, sizeof(ngx_array_t));
        if (tlcf->role_reqs == NULL) {
            return NGX_CONF_ERROR;
        }
    }

    line = ngx_array_push(tlcf->role_reqs);
    if (line == NULL) {
        return NGX_CONF_ERROR;
    }

    if (ngx_array_init(line, cf->pool, cf->args->nelts - 1, sizeof(ngx_str_t))
        != NGX_OK)
    {
        return NGX_CONF_ERROR;
    }

    value = cf->args->elts;

    for (i = 1; i < cf->args->nelts; i++) {

        if (value[i].len == 0) {
            return "has an empty role";
        }

        s = ngx_array_push(line);
        if (s == NULL) {
            return NGX_CONF_ERROR;
        }

        *s = value[i];
    }

    return NGX_CONF_OK;
}


static char *
ngx_http_ticket_require_claim(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_ticket_loc_conf_t *tlcf = conf;

    char                *rv;
    ngx_str_t           *value;
    ngx_uint_t           i;
    ticket_claim_req_t  *req;

    value = cf->args->elts;

    rv = ngx_http_ticket_check_path(cf, NULL, &value[1]);
    if (rv != NGX_CONF_OK) {
        return rv;
    }

    if (tlcf->claim_reqs == NGX_CONF_UNSET_PTR) {
        tlcf->claim_reqs = ngx_array_create(cf->pool, 2,
                                            sizeof(ticket_claim_req_t));
        if (tlcf->claim_reqs == NULL) {
            return NGX_CONF_ERROR;
        }
    }

    req = ngx_array_push(tlcf->claim_reqs);
    if (req == NULL) {
        return NGX_CONF_ERROR;
    }

    req->name.data = (const char *) value[1].data;
    req->name.len = value[1].len;
    req->values.n = cf->args->nelts - 2;
    req->values.values = ngx_palloc(cf->pool,
                                    req->values.n * sizeof(ticket_str_t));
    if (req->values.values == NULL) {
        return NGX_CONF_ERROR;
    }

    for (i = 2; i < cf->args->nelts; i++) {
        req->values.values[i - 2].data = (const char *) value[i].data;
        req->values.values[i - 2].len = value[i].len;
    }

    return NGX_CONF_OK;
}


static char *
ngx_http_ticket_set_header(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_ticket_loc_conf_t *tlcf = conf;

    char                         *rv;
    ngx_str_t                    *value, *fwd;
    ngx_uint_t                    i;
    ngx_http_ticket_header_t     *sh;
    ngx_http_ticket_main_conf_t  *tmcf;

    static char  *reserved[] = {
        "host", "content-length", "content-type", "transfer-encoding",
        "connection", "upgrade", "te", "expect", "keep-alive",
        "authorization", "cookie", NULL
    };

    value = cf->args->elts;

    if (tlcf->set_headers == NGX_CONF_UNSET_PTR) {
        tlcf->set_headers = ngx_array_create(cf->pool, 2,
                                             sizeof(ngx_http_ticket_header_t));
        if (tlcf->set_headers == NULL) {
            return NGX_CONF_ERROR;
        }
    }

    sh = ngx_array_push(tlcf->set_headers);
    if (sh == NULL) {
        return NGX_CONF_ERROR;
    }

    sh->name = value[1];

    if (ngx_http_ticket_header_name(cf, &sh->name, &sh->lowcase, &sh->hash)
        != NGX_OK)
    {
        return NGX_CONF_ERROR;
    }

    for (i = 0; reserved[i]; i++) {
        if (ngx_strcmp(sh->lowcase.data, reserved[i]) == 0) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "header \"%V\" cannot carry a claim",
                               &value[1]);
            return NGX_CONF_ERROR;
        }
    }

    rv = ngx_http_ticket_check_path(cf, NULL, &value[2]);
    if (rv != NGX_CONF_OK) {
        return rv;
    }

    /* stripped from every request, whichever scope forwards it */

    tmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_ticket_module);

    fwd = tmcf->forwarded.elts;

    for (i = 0; i < tmcf->forwarded.nelts; i++) {
        if (fwd[i].len == sh->lowcase.len
            && ngx_strncmp(fwd[i].data, sh->lowcase.data, fwd[i].len) == 0)
        {
            break;
        }
    }

    if (i == tmcf->forwarded.nelts) {
        fwd = ngx_array_push(&tmcf->forwarded);
        if (fwd == NULL) {
            return NGX_CONF_ERROR;
        }

        fwd->len = sh->lowcase.len;
        fwd->data = ngx_pnalloc(cf->pool, fwd->len);
        if (fwd->data == NULL) {
            return NGX_CONF_ERROR;
        }

        for (i = 0; i < fwd->len; i++) {
            fwd->data[i] = (sh->lowcase.data[i] == '_')
                           ? '-' : sh->lowcase.data[i];
        }
    }

    sh->claim = value[2];
    sh->standard = ngx_http_ticket_standard_claim(&sh->claim);

    return NGX_CONF_OK;
}


static ngx_int_t
ngx_http_ticket_header_name(ngx_conf_t *cf, ngx_str_t *name,
    ngx_str_t *lowcase, ngx_uint_t *hash)
{
    u_char      c;
    ngx_uint_t  i;

    if (name->len == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "empty header name");
        return NGX_ERROR;
    }

    lowcase->data = ngx_pnalloc(cf->pool, name->len + 1);
    if (lowcase->data == NULL) {
        return NGX_ERROR;
    }

    lowcase->len = name->len;

    for (i = 0; i < name->len; i++) {
        c = name->data[i];

        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
              || (c >= '0' && c <= '9') || c == '-' || c == '_'))
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid header name \"%V\"", name);
            return NGX_ERROR;
        }

        lowcase->data[i] = ngx_tolower(c);
    }

    lowcase->data[name->len] = '\0';

    *hash = ngx_hash_key(lowcase->data, lowcase->len);

    return NGX_OK;
}


static char *
ngx_http_ticket_check_path(ngx_conf_t *cf, void *post, void *data)
{
    ngx_str_t  *path = data;

    u_char      c;
    ngx_uint_t  i;

    if (path->len == 0 || path->data[0] == '.'
        || path->data[path->len - 1] == '.')
    {
        goto invalid;
    }

    for (i = 0; i < path->len; i++) {
        c = path->data[i];

        if (c <= 0x20 || c == 0x7f || (c == '.' && path->data[i + 1] == '.'))
        {
            goto invalid;
        }
    }

    return NGX_CONF_OK;

invalid:

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "invalid claim path \"%V\"",
                       path);

    return NGX_CONF_ERROR;
}


static char *
ngx_http_ticket_check_realm(ngx_conf_t *cf, void *post, void *data)
{
    ngx_str_t  *realm = data;

    u_char      c;
    ngx_uint_t  i;

    for (i = 0; i < realm->len; i++) {
        c = realm->data[i];

        if (c < 0x20 || c == 0x7f || c == '"' || c == '\\') {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid realm \"%V\": no quotes, "
                               "backslashes or control characters", realm);
            return NGX_CONF_ERROR;
        }
    }

    return NGX_CONF_OK;
}


static char *
ngx_http_ticket_check_lifetime(ngx_conf_t *cf, void *post, void *data)
{
    time_t  *sec = data;

    if (*sec <= 0) {
        return "must be more than 0";
    }

    /* a ticket is short-lived by design; bounded, the pruning sums of
     * cut-off, lifetime and leeway cannot overflow */

    if (*sec > 366 * 86400) {
        return "must be at most 366d";
    }

    return NGX_CONF_OK;
}


static char *
ngx_http_ticket_check_leeway(ngx_conf_t *cf, void *post, void *data)
{
    time_t  *sec = data;

    if (*sec > 86400) {
        return "must be at most 1d";
    }

    return NGX_CONF_OK;
}


static void *
ngx_http_ticket_create_main_conf(ngx_conf_t *cf)
{
    ngx_http_ticket_main_conf_t  *tmcf;

    tmcf = ngx_pcalloc(cf->pool, sizeof(ngx_http_ticket_main_conf_t));
    if (tmcf == NULL) {
        return NULL;
    }

    if (ngx_array_init(&tmcf->forwarded, cf->pool, 4, sizeof(ngx_str_t))
        != NGX_OK)
    {
        return NULL;
    }

    return tmcf;
}


static void *
ngx_http_ticket_create_loc_conf(ngx_conf_t *cf)
{
    ngx_http_ticket_loc_conf_t  *conf;

    conf = ngx_pcalloc(cf->pool, sizeof(ngx_http_ticket_loc_conf_t));
    if (conf == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     conf->keyset = NULL;
     *     conf->roles_claim = { 0, NULL };
     *     conf->realm = { 0, NULL };
     *     conf->policy = { 0 };
     */

    conf->kinds = NGX_CONF_UNSET_UINT;
    conf->sources = NGX_CONF_UNSET_PTR;
    conf->issuers = NGX_CONF_UNSET_PTR;
    conf->audiences = NGX_CONF_UNSET_PTR;
    conf->role_reqs = NGX_CONF_UNSET_PTR;
    conf->claim_reqs = NGX_CONF_UNSET_PTR;
    conf->privileged = NGX_CONF_UNSET_PTR;
    conf->set_headers = NGX_CONF_UNSET_PTR;
    conf->leeway = NGX_CONF_UNSET;
    conf->max_lifetime = NGX_CONF_UNSET;
    conf->mode = NGX_CONF_UNSET_UINT;
    conf->preflight = NGX_CONF_UNSET_UINT;
    conf->audit_log = NGX_CONF_UNSET_PTR;
    conf->audit_events = NGX_CONF_UNSET_UINT;

    return conf;
}


static char *
ngx_http_ticket_merge_loc_conf(ngx_conf_t *cf, void *parent, void *child)
{
    ngx_http_ticket_loc_conf_t *prev = parent;
    ngx_http_ticket_loc_conf_t *conf = child;

    ngx_http_ticket_source_t  *src;

    if (conf->kinds == NGX_CONF_UNSET_UINT) {
        conf->kinds = prev->kinds;
        conf->kinds_file = prev->kinds_file;
        conf->kinds_line = prev->kinds_line;
    }

    ngx_conf_merge_uint_value(conf->kinds, prev->kinds, NGX_HTTP_TICKET_OFF);

    if (conf->keyset == NULL) {
        conf->keyset = prev->keyset;
    }

    if (conf->sources == NGX_CONF_UNSET_PTR) {
        conf->sources = prev->sources;
    }

    if (conf->sources == NGX_CONF_UNSET_PTR) {
        conf->sources = ngx_array_create(cf->pool, 1,
                                         sizeof(ngx_http_ticket_source_t));
        if (conf->sources == NULL) {
            return NGX_CONF_ERROR;
        }

        src = ngx_array_push(conf->sources);
        if (src == NULL) {
            return NGX_CONF_ERROR;
        }

        ngx_memzero(src, sizeof(ngx_http_ticket_source_t));
        src->type = NGX_HTTP_TICKET_SRC_HEADER;
        src->name = ngx_http_ticket_authorization;
        ngx_str_set(&src->lowcase, "authorization");
        src->hash = ngx_hash_key(src->lowcase.data, src->lowcase.len);
        src->bearer = 1;
    }

    ngx_conf_merge_ptr_value(conf->issuers, prev->issuers, NULL);
    ngx_conf_merge_ptr_value(conf->audiences, prev->audiences, NULL);
    ngx_conf_merge_ptr_value(conf->role_reqs, prev->role_reqs, NULL);
    ngx_conf_merge_ptr_value(conf->claim_reqs, prev->claim_reqs, NULL);
    ngx_conf_merge_ptr_value(conf->privileged, prev->privileged, NULL);
    ngx_conf_merge_ptr_value(conf->set_headers, prev->set_headers, NULL);

    ngx_conf_merge_sec_value(conf->leeway, prev->leeway, 30);
    ngx_conf_merge_sec_value(conf->max_lifetime, prev->max_lifetime, 3600);

    ngx_http_ticket_revocation_note_times(cf, conf->leeway,
                                          conf->max_lifetime);
    ngx_conf_merge_str_value(conf->roles_claim, prev->roles_claim, "roles");
    ngx_conf_merge_uint_value(conf->mode, prev->mode,
                              NGX_HTTP_TICKET_ENFORCE);
    ngx_conf_merge_uint_value(conf->preflight, prev->preflight,
                              NGX_HTTP_TICKET_PREFLIGHT_CHECK);
    ngx_conf_merge_str_value(conf->realm, prev->realm, "ticket");
    ngx_conf_merge_ptr_value(conf->audit_log, prev->audit_log, NULL);
    ngx_conf_merge_uint_value(conf->audit_events, prev->audit_events,
                              TICKET_AUDIT_DEFAULT_EVENTS);

    if (conf->kinds != NGX_HTTP_TICKET_OFF
        && (conf->keyset == NULL || conf->keyset->nkeys == 0))
    {
        ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                      "\"ticket\" has no key: add \"ticket_keys\" or "
                      "\"ticket_key\" in %V:%ui",
                      &conf->kinds_file, conf->kinds_line);
        return NGX_CONF_ERROR;
    }

    if (ngx_http_ticket_www_auth(cf, &conf->realm, NULL, &conf->www_missing)
        != NGX_OK
        || ngx_http_ticket_www_auth(cf, &conf->realm, "invalid_token",
                                    &conf->www_invalid)
           != NGX_OK
        || ngx_http_ticket_www_auth(cf, &conf->realm, "insufficient_scope",
                                    &conf->www_scope)
           != NGX_OK)
    {
        return NGX_CONF_ERROR;
    }

    if (ngx_http_ticket_build_policy(cf, conf) != NGX_OK
        || ngx_http_ticket_audit_required(cf, conf) != NGX_OK)
    {
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


static ngx_int_t
ngx_http_ticket_build_policy(ngx_conf_t *cf, ngx_http_ticket_loc_conf_t *conf)
{
    ngx_uint_t        i;
    ngx_array_t      *lines;
    ticket_policy_t  *p;

    p = &conf->policy;

    ngx_memzero(p, sizeof(ticket_policy_t));

    p->kinds = conf->kinds;
    p->leeway = conf->leeway;
    p->max_lifetime = conf->max_lifetime;
    p->roles_path.data = (const char *) conf->roles_claim.data;
    p->roles_path.len = conf->roles_claim.len;

    if (ngx_http_ticket_strlist(cf, conf->issuers, &p->issuers) != NGX_OK
        || ngx_http_ticket_strlist(cf, conf->audiences, &p->audiences)
           != NGX_OK
        || ngx_http_ticket_strlist(cf, conf->privileged,
                                   &p->privileged_roles)
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (conf->role_reqs != NULL) {
        lines = conf->role_reqs->elts;
        p->nrole_reqs = conf->role_reqs->nelts;
        p->role_reqs = ngx_pcalloc(cf->pool,
                                   p->nrole_reqs * sizeof(ticket_strlist_t));
        if (p->role_reqs == NULL) {
            return NGX_ERROR;
        }

        for (i = 0; i < p->nrole_reqs; i++) {
            if (ngx_http_ticket_strlist(cf, &lines[i], &p->role_reqs[i])
                != NGX_OK)
            {
                return NGX_ERROR;
            }
        }
    }

    if (conf->claim_reqs != NULL) {
        p->claim_reqs = conf->claim_reqs->elts;
        p->nclaim_reqs = conf->claim_reqs->nelts;
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_ticket_strlist(ngx_conf_t *cf, ngx_array_t *a, ticket_strlist_t *list)
{
    ngx_str_t   *s;
    ngx_uint_t   i;

    list->values = NULL;
    list->n = 0;

    if (a == NULL || a->nelts == 0) {
        return NGX_OK;
    }

    list->values = ngx_palloc(cf->pool, a->nelts * sizeof(ticket_str_t));
    if (list->values == NULL) {
        return NGX_ERROR;
    }

    s = a->elts;

    for (i = 0; i < a->nelts; i++) {
        list->values[i].data = (const char *) s[i].data;
        list->values[i].len = s[i].len;
    }

    list->n = a->nelts;

    return NGX_OK;
}


static ngx_int_t
ngx_http_ticket_www_auth(ngx_conf_t *cf, ngx_str_t *realm, const char *error,
    ngx_str_t *out)
{
    size_t   len;
    u_char  *p;

    len = sizeof("Bearer realm=\"\"") - 1 + realm->len;

    if (error != NULL) {
        len += sizeof(", error=\"\"") - 1 + ngx_strlen(error);
    }

    p = ngx_pnalloc(cf->pool, len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    out->data = p;

    p = ngx_sprintf(p, "Bearer realm=\"%V\"", realm);

    if (error != NULL) {
        p = ngx_sprintf(p, ", error=\"%s\"", error);
    }

    out->len = p - out->data;

    return NGX_OK;
}


static ngx_int_t
ngx_http_ticket_init(ngx_conf_t *cf)
{
    ngx_http_handler_pt        *h;
    ngx_http_core_main_conf_t  *cmcf;

    cmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_core_module);

    h = ngx_array_push(&cmcf->phases[NGX_HTTP_ACCESS_PHASE].handlers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    *h = ngx_http_ticket_handler;

    if (ngx_http_ticket_audit_init(cf) != NGX_OK
        || ngx_http_ticket_metrics_init(cf) != NGX_OK
        || ngx_http_ticket_cache_init(cf) != NGX_OK)
    {
        return NGX_ERROR;
    }

    return NGX_OK;
}


/*
 * A worker uses the zones of the cycle it runs, never ones a failed
 * reload configured in the master: looked up by name when it starts.
 */

ngx_shm_zone_t *
ngx_http_ticket_shm_zone(ngx_cycle_t *cycle, ngx_str_t *name)
{
    ngx_uint_t        i;
    ngx_shm_zone_t   *shm_zone;
    ngx_list_part_t  *part;

    part = &cycle->shared_memory.part;
    shm_zone = part->elts;

    for (i = 0; /* void */; i++) {

        if (i >= part->nelts) {
            if (part->next == NULL) {
                return NULL;
            }

            part = part->next;
            shm_zone = part->elts;
            i = 0;
        }

        if (shm_zone[i].tag == &ngx_http_ticket_module
            && shm_zone[i].shm.name.len == name->len
            && ngx_strncmp(shm_zone[i].shm.name.data, name->data, name->len)
               == 0)
        {
            return &shm_zone[i];
        }
    }
}


static ngx_int_t
ngx_http_ticket_init_process(ngx_cycle_t *cycle)
{
    ngx_http_ticket_metrics_process(cycle);
    ngx_http_ticket_cache_process(cycle);

    return NGX_OK;
}


static void
ngx_http_ticket_exit_process(ngx_cycle_t *cycle)
{
    ngx_http_ticket_audit_exit(cycle);
}
