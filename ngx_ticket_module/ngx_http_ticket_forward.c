
/*
 * ngx_ticket_module: forwarded claims.  The client's copies of every
 * header a scope forwards a claim in are stripped; an allowed (or
 * audited) request gets the ticket's claims in their place.
 */


#include "ngx_http_ticket_types.h"
#include "ngx_http_ticket_compat.h"
#include "ngx_http_ticket_decision.h"
#include "ngx_http_ticket_forward.h"
#include "ngx_http_ticket_text.h"


static ngx_int_t ngx_http_ticket_strip_walk(ngx_http_request_t *r,
    ngx_http_ticket_header_match_pt match, void *data, ngx_list_t *out);
static ngx_uint_t ngx_http_ticket_forwarded(void *data, ngx_table_elt_t *h);


/*
 * Forwarded claims: the client's headers of every name any scope forwards
 * a claim in are removed on every pass of the access phase, in every
 * location, before any decision, so that neither an absent claim, nor a
 * denied, audited or unprotected request, nor a scope with a list of its
 * own lets a forged value through.  "_" counts as "-": CGI and FastCGI
 * backends see X_User and X-User as one HTTP_X_USER.
 */

ngx_int_t
ngx_http_ticket_strip_headers(ngx_http_request_t *r,
    ngx_http_ticket_main_conf_t *tmcf)
{
    return ngx_http_ticket_remove_headers(r, ngx_http_ticket_forwarded,
                                          tmcf);
}


/* the request without the headers match() names (also a preflight's
 * credentials) */

ngx_int_t
ngx_http_ticket_remove_headers(ngx_http_request_t *r,
    ngx_http_ticket_header_match_pt match, void *data)
{
    ngx_list_t  headers;

    if (ngx_http_ticket_strip_walk(r, match, data, NULL) == NGX_DECLINED) {
        return NGX_OK;
    }

    /* nginx has no list removal: rebuild the list without them */

    if (ngx_list_init(&headers, r->pool, 20, sizeof(ngx_table_elt_t))
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (ngx_http_ticket_strip_walk(r, match, data, &headers) != NGX_OK) {
        return NGX_ERROR;
    }

    r->headers_in.headers = headers;

    /* the copied list's last part must not point into this stack frame */

    if (headers.last == &headers.part) {
        r->headers_in.headers.last = &r->headers_in.headers.part;
    }

    return NGX_OK;
}


/*
 * One walk over the request's headers.  out NULL: NGX_OK at the first
 * one match() names, NGX_DECLINED if there is none (the common case costs no
 * allocation).  Otherwise every header but the named ones is copied
 * into out.
 */

static ngx_int_t
ngx_http_ticket_strip_walk(ngx_http_request_t *r,
    ngx_http_ticket_header_match_pt match, void *data, ngx_list_t *out)
{
    ngx_uint_t        i;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h, *nh;

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

        if (match(data, &h[i])) {
            if (out == NULL) {
                return NGX_OK;
            }

            ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                          "ticket: client header \"%V\" removed", &h[i].key);
            continue;
        }

        if (out == NULL) {
            continue;
        }

        nh = ngx_list_push(out);
        if (nh == NULL) {
            return NGX_ERROR;
        }

        *nh = h[i];
    }

    return (out == NULL) ? NGX_DECLINED : NGX_OK;
}


static ngx_uint_t
ngx_http_ticket_forwarded(void *data, ngx_table_elt_t *h)
{
    ngx_http_ticket_main_conf_t  *tmcf = data;

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


ngx_int_t
ngx_http_ticket_forward_claims(ngx_http_request_t *r,
    ngx_http_ticket_loc_conf_t *tlcf, ngx_http_ticket_ctx_t *ctx)
{
    ticket_t                  *t;
    ngx_str_t                  text;
    ngx_uint_t                 i;
    ngx_table_elt_t           *h;
    const ticket_str_t        *std;
    const ticket_jv_t         *value;
    ngx_http_ticket_header_t  *sh;

    t = &ctx->ticket;

    if (tlcf->set_headers == NULL) {
        return NGX_OK;
    }

    /*
     * Audit mode lets refusals through, and a ticket refused only for
     * kind, audience, role or claim still has its claims forwarded: the
     * backend is told which it is, "allow" or "audit".
     */

    h = ngx_list_push(&r->headers_in.headers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    ngx_http_ticket_header_unlinked(h);
    ngx_str_set(&h->key, "Ticket-Decision");
    h->lowcase_key = (u_char *) "ticket-decision";
    h->hash = ngx_hash_key(h->lowcase_key, h->key.len);

    if (ctx->decision == NGX_HTTP_TICKET_ALLOW) {
        ngx_str_set(&h->value, "allow");

    } else {
        ngx_str_set(&h->value, "audit");
    }

    if (!ngx_http_ticket_trusted(ctx)) {
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
            if (value == NULL || value->vtype == TICKET_JV_NULL) {
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
