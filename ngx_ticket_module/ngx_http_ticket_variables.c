
/*
 * ngx_ticket_module: $ticket_* variables.
 *
 * A variable read before the access phase (if, map, set in rewrite)
 * verifies the ticket on first use.  Identity variables are empty unless
 * the signature verified: an unverified ticket's claims are the client's
 * words, and a variable may end up in proxy_set_header.
 */


#include "ngx_http_ticket_types.h"
#include "ngx_http_ticket_access.h"
#include "ngx_http_ticket_decision.h"
#include "ngx_http_ticket_text.h"
#include "ngx_http_ticket_variables.h"


#define NGX_HTTP_TICKET_VAR_SUB       0
#define NGX_HTTP_TICKET_VAR_KIND      1
#define NGX_HTTP_TICKET_VAR_TENANT    2
#define NGX_HTTP_TICKET_VAR_JTI       3
#define NGX_HTTP_TICKET_VAR_ISS       4
#define NGX_HTTP_TICKET_VAR_SID       5
#define NGX_HTTP_TICKET_VAR_EXP       6
#define NGX_HTTP_TICKET_VAR_ROLES     7
#define NGX_HTTP_TICKET_VAR_KID       8
#define NGX_HTTP_TICKET_VAR_ALG       9


static ngx_http_ticket_ctx_t *ngx_http_ticket_var_ctx(ngx_http_request_t *r);
static ngx_int_t ngx_http_ticket_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
static ngx_int_t ngx_http_ticket_variable_decision(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
static ngx_int_t ngx_http_ticket_variable_reason(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
static ngx_int_t ngx_http_ticket_variable_verified(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
static ngx_int_t ngx_http_ticket_variable_claim(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
static ngx_int_t ngx_http_ticket_set_value(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, ngx_str_t *text);
static ngx_int_t ngx_http_ticket_roles_text(ngx_http_request_t *r,
    ticket_t *t, ngx_str_t *text);


static ngx_http_variable_t  ngx_http_ticket_vars[] = {

    { ngx_string("ticket_sub"), NULL, ngx_http_ticket_variable,
      NGX_HTTP_TICKET_VAR_SUB, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("ticket_kind"), NULL, ngx_http_ticket_variable,
      NGX_HTTP_TICKET_VAR_KIND, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("ticket_tenant"), NULL, ngx_http_ticket_variable,
      NGX_HTTP_TICKET_VAR_TENANT, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("ticket_jti"), NULL, ngx_http_ticket_variable,
      NGX_HTTP_TICKET_VAR_JTI, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("ticket_iss"), NULL, ngx_http_ticket_variable,
      NGX_HTTP_TICKET_VAR_ISS, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("ticket_sid"), NULL, ngx_http_ticket_variable,
      NGX_HTTP_TICKET_VAR_SID, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("ticket_exp"), NULL, ngx_http_ticket_variable,
      NGX_HTTP_TICKET_VAR_EXP, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("ticket_roles"), NULL, ngx_http_ticket_variable,
      NGX_HTTP_TICKET_VAR_ROLES, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("ticket_kid"), NULL, ngx_http_ticket_variable,
      NGX_HTTP_TICKET_VAR_KID, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("ticket_alg"), NULL, ngx_http_ticket_variable,
      NGX_HTTP_TICKET_VAR_ALG, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("ticket_decision"), NULL,
      ngx_http_ticket_variable_decision, 0, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("ticket_reason"), NULL, ngx_http_ticket_variable_reason,
      0, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("ticket_verified"), NULL,
      ngx_http_ticket_variable_verified, 0, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("ticket_claim_"), NULL, ngx_http_ticket_variable_claim,
      0, NGX_HTTP_VAR_NOCACHEABLE|NGX_HTTP_VAR_PREFIX, 0 },

      ngx_http_null_variable
};


ngx_int_t
ngx_http_ticket_add_variables(ngx_conf_t *cf)
{
    ngx_http_variable_t  *var, *v;

    for (v = ngx_http_ticket_vars; v->name.len; v++) {
        var = ngx_http_add_variable(cf, &v->name, v->flags);
        if (var == NULL) {
            return NGX_ERROR;
        }

        var->get_handler = v->get_handler;
        var->data = v->data;
    }

    return NGX_OK;
}


/*
 * The decision of this request, made now if no phase has made it yet
 * (a variable read in the rewrite phase); NULL where nothing is checked.
 */

static ngx_http_ticket_ctx_t *
ngx_http_ticket_var_ctx(ngx_http_request_t *r)
{
    ngx_http_ticket_ctx_t       *ctx;
    ngx_http_ticket_loc_conf_t  *tlcf;

    ctx = ngx_http_ticket_get_ctx(r);

    /*
     * Only while the request is still being decided (if, set, map in the
     * rewrite phase) does a variable decide, and then for the scope it is
     * read in: a decision made for another scope (a server-level read, an
     * internal redirect) is not this one's.  Once a response exists
     * (return, a preflight, the log phase), or where nothing is
     * protected, the variables tell what was decided, if anything.
     */

    if (r != r->main || r->headers_out.status != 0 || r->header_sent) {
        return ctx;
    }

    tlcf = ngx_http_get_module_loc_conf(r, ngx_http_ticket_module);

    if (tlcf->kinds == NGX_HTTP_TICKET_OFF) {
        return ctx;
    }

    return ngx_http_ticket_evaluate(r, tlcf);
}


static ngx_int_t
ngx_http_ticket_variable(ngx_http_request_t *r, ngx_http_variable_value_t *v,
    uintptr_t data)
{
    u_char                 *p;
    ticket_t               *t;
    ngx_str_t               text;
    const ticket_str_t     *s;
    ngx_http_ticket_ctx_t  *ctx;

    ctx = ngx_http_ticket_var_ctx(r);

    if (ctx == NULL) {
        v->not_found = 1;
        return NGX_OK;
    }

    t = &ctx->ticket;
    s = NULL;

    switch (data) {

    case NGX_HTTP_TICKET_VAR_KID:
        /* header fields: known even when the key is not */
        s = (t->header != NULL || t->restored) ? &t->kid : NULL;
        break;

    case NGX_HTTP_TICKET_VAR_ALG:
        s = (t->header != NULL || t->restored) ? &t->alg_name : NULL;
        break;

    default:
        if (!ngx_http_ticket_trusted(ctx)) {
            break;
        }

        switch (data) {

        case NGX_HTTP_TICKET_VAR_SUB:
            s = &t->sub;
            break;

        case NGX_HTTP_TICKET_VAR_KIND:
            s = &t->kind_name;
            break;

        case NGX_HTTP_TICKET_VAR_TENANT:
            s = &t->tenant;
            break;

        case NGX_HTTP_TICKET_VAR_JTI:
            s = &t->jti;
            break;

        case NGX_HTTP_TICKET_VAR_ISS:
            s = &t->iss;
            break;

        case NGX_HTTP_TICKET_VAR_SID:
            s = &t->sid;
            break;

        case NGX_HTTP_TICKET_VAR_EXP:
            p = ngx_pnalloc(r->pool, NGX_INT64_LEN);
            if (p == NULL) {
                return NGX_ERROR;
            }

            text.data = p;
            text.len = ngx_sprintf(p, "%L", t->exp) - p;

            return ngx_http_ticket_set_value(r, v, &text);

        default: /* NGX_HTTP_TICKET_VAR_ROLES */
            if (ngx_http_ticket_roles_text(r, t, &text) != NGX_OK) {
                return NGX_ERROR;
            }

            return ngx_http_ticket_set_value(r, v, &text);
        }
    }

    if (s == NULL || s->data == NULL) {
        v->not_found = 1;
        return NGX_OK;
    }

    if (ngx_http_ticket_safe_str(r->pool, s->data, s->len, &text) != NGX_OK) {
        return NGX_ERROR;
    }

    return ngx_http_ticket_set_value(r, v, &text);
}


static ngx_int_t
ngx_http_ticket_variable_decision(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    ngx_str_t               text;
    ngx_http_ticket_ctx_t  *ctx;

    ctx = ngx_http_ticket_var_ctx(r);

    if (ctx == NULL) {
        ngx_str_null(&text);
        return ngx_http_ticket_set_value(r, v, &text);
    }

    switch (ctx->decision) {

    case NGX_HTTP_TICKET_ALLOW:
        ngx_str_set(&text, "allow");
        break;

    case NGX_HTTP_TICKET_DENY:
        ngx_str_set(&text, "deny");
        break;

    case NGX_HTTP_TICKET_AUDITED:
        ngx_str_set(&text, "audit");
        break;

    default:
        ngx_str_null(&text);
    }

    return ngx_http_ticket_set_value(r, v, &text);
}


static ngx_int_t
ngx_http_ticket_variable_reason(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    ngx_str_t               text;
    ngx_http_ticket_ctx_t  *ctx;

    ctx = ngx_http_ticket_var_ctx(r);

    if (ctx == NULL || ctx->decision == NGX_HTTP_TICKET_NONE) {
        ngx_str_null(&text);

    } else {
        text.data = (u_char *) ticket_reason_name(ctx->reason);
        text.len = ngx_strlen(text.data);
    }

    return ngx_http_ticket_set_value(r, v, &text);
}


static ngx_int_t
ngx_http_ticket_variable_verified(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    ngx_str_t               text;
    ngx_http_ticket_ctx_t  *ctx;

    ctx = ngx_http_ticket_var_ctx(r);

    if (ctx != NULL && ctx->ticket.verified) {
        ngx_str_set(&text, "1");

    } else {
        ngx_str_set(&text, "0");
    }

    return ngx_http_ticket_set_value(r, v, &text);
}


static ngx_int_t
ngx_http_ticket_variable_claim(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    ngx_str_t  *name = (ngx_str_t *) data;

    ngx_str_t               text;
    const ticket_jv_t      *value;
    ngx_http_ticket_ctx_t  *ctx;

    ctx = ngx_http_ticket_var_ctx(r);

    if (ctx == NULL || !ngx_http_ticket_trusted(ctx)
        || name->len <= sizeof("ticket_claim_") - 1
        || ticket_claims_load(&ctx->ticket) != 0)
    {
        v->not_found = 1;
        return NGX_OK;
    }

    value = ticket_jv_getn(ctx->ticket.claims,
                             (const char *) name->data
                                 + sizeof("ticket_claim_") - 1,
                             name->len - (sizeof("ticket_claim_") - 1));

    if (value == NULL || value->vtype == TICKET_JV_NULL) {
        v->not_found = 1;
        return NGX_OK;
    }

    if (ngx_http_ticket_value(r->pool, value, &text) != NGX_OK) {
        return NGX_ERROR;
    }

    return ngx_http_ticket_set_value(r, v, &text);
}


static ngx_int_t
ngx_http_ticket_set_value(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, ngx_str_t *text)
{
    v->len = text->len;
    v->data = text->data;
    v->valid = 1;
    v->no_cacheable = 1;
    v->not_found = 0;

    return NGX_OK;
}


static ngx_int_t
ngx_http_ticket_roles_text(ngx_http_request_t *r, ticket_t *t,
    ngx_str_t *text)
{
    char                *p;
    size_t               len, off;
    ngx_uint_t           i;
    const ticket_str_t  *role;

    role = t->roles_list.values;

    if (t->roles_list.n == 0) {
        ngx_str_null(text);
        return NGX_OK;
    }

    /* joined as array claims are: "," and "\\" inside a role escaped */

    len = t->roles_list.n - 1;

    for (i = 0; i < t->roles_list.n; i++) {
        len = ticket_text_element(NULL, 0, len, role[i].data, role[i].len);
    }

    p = ngx_pnalloc(r->pool, len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    off = 0;

    for (i = 0; i < t->roles_list.n; i++) {
        if (i) {
            p[off++] = ',';
        }

        off = ticket_text_element(p, len, off, role[i].data, role[i].len);
    }

    text->data = (u_char *) p;
    text->len = len;

    /* control bytes as \xHH, as every other variable */
    return ngx_http_ticket_safe_str(r->pool, (char *) text->data, text->len,
                                    text);
}
