
/*
 * ngx_ticket_module: CORS preflights.  "ticket_preflight pass" lets
 * through, without a ticket, only what a browser sends as a preflight
 * (Fetch standard, "CORS-preflight request"): OPTIONS, one Origin, one
 * Access-Control-Request-Method holding a method token, no body.  A
 * browser never sends credentials with one, so none are let through with
 * it: Authorization, Cookie and the scope's ticket sources are removed
 * before the request goes on.
 */


#include "ngx_http_ticket_types.h"
#include "ngx_http_ticket_compat.h"
#include "ngx_http_ticket_forward.h"
#include "ngx_http_ticket_preflight.h"
#include "ngx_http_ticket_text.h"


static ngx_uint_t ngx_http_ticket_is_preflight(ngx_http_request_t *r);
static ngx_uint_t ngx_http_ticket_is_token(ngx_str_t *s);
static ngx_uint_t ngx_http_ticket_credential(void *data, ngx_table_elt_t *h);
static ngx_int_t ngx_http_ticket_strip_args(ngx_http_request_t *r,
    ngx_http_ticket_loc_conf_t *tlcf);


ngx_int_t
ngx_http_ticket_preflight(ngx_http_request_t *r,
    ngx_http_ticket_loc_conf_t *tlcf)
{
    if (!ngx_http_ticket_is_preflight(r)) {
        return NGX_DECLINED;
    }

    if (ngx_http_ticket_remove_headers(r, ngx_http_ticket_credential, tlcf)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    r->headers_in.authorization = NULL;
    ngx_http_ticket_cookies_clear(r);

    return ngx_http_ticket_strip_args(r, tlcf);
}


static ngx_uint_t
ngx_http_ticket_is_preflight(ngx_http_request_t *r)
{
    ngx_uint_t        i, norigin, nmethod;
    ngx_str_t        *method;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h;

    if (r->method != NGX_HTTP_OPTIONS || ngx_http_ticket_has_body(r)) {
        return 0;
    }

    norigin = 0;
    nmethod = 0;
    method = NULL;

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

        if (h[i].key.len == sizeof("origin") - 1
            && ngx_strncmp(h[i].lowcase_key, "origin", h[i].key.len) == 0)
        {
            norigin++;

        } else if (h[i].key.len == sizeof("access-control-request-method") - 1
                   && ngx_strncmp(h[i].lowcase_key,
                                  "access-control-request-method",
                                  h[i].key.len)
                      == 0)
        {
            nmethod++;
            method = &h[i].value;
        }
    }

    return norigin == 1 && nmethod == 1 && ngx_http_ticket_is_token(method);
}


/* RFC 9110 token: 1*tchar */

static ngx_uint_t
ngx_http_ticket_is_token(ngx_str_t *s)
{
    u_char      c;
    ngx_uint_t  i;

    if (s->len == 0) {
        return 0;
    }

    for (i = 0; i < s->len; i++) {
        c = s->data[i];

        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
            || (c >= '0' && c <= '9'))
        {
            continue;
        }

        if (ngx_strchr("!#$%&'*+-.^_`|~", c) == NULL || c == '\0') {
            return 0;
        }
    }

    return 1;
}


/* Authorization, Cookie and the scope's header sources ("_" as "-") */

static ngx_uint_t
ngx_http_ticket_credential(void *data, ngx_table_elt_t *h)
{
    ngx_http_ticket_loc_conf_t  *tlcf = data;

    u_char                     a, b;
    ngx_uint_t                 i, k;
    ngx_http_ticket_source_t  *src;

    if ((h->key.len == sizeof("authorization") - 1
         && ngx_strncmp(h->lowcase_key, "authorization", h->key.len) == 0)
        || (h->key.len == sizeof("cookie") - 1
            && ngx_strncmp(h->lowcase_key, "cookie", h->key.len) == 0))
    {
        return 1;
    }

    src = tlcf->sources->elts;

    for (i = 0; i < tlcf->sources->nelts; i++) {

        if (src[i].type != NGX_HTTP_TICKET_SRC_HEADER
            || h->key.len != src[i].lowcase.len)
        {
            continue;
        }

        for (k = 0; k < h->key.len; k++) {
            a = h->lowcase_key[k];
            b = src[i].lowcase.data[k];

            if ((a == '_' ? '-' : a) != (b == '_' ? '-' : b)) {
                break;
            }
        }

        if (k == h->key.len) {
            return 1;
        }
    }

    return 0;
}


/*
 * The query string without the scope's argument sources, in any form a
 * backend may read (ngx_http_ticket_name_is()), split at "&" and at
 * ";" (Rack, older Python); a kept argument keeps the separator before it.
 */

static ngx_int_t
ngx_http_ticket_strip_args(ngx_http_request_t *r,
    ngx_http_ticket_loc_conf_t *tlcf)
{
    u_char                    *p, *last, *amp, *eq, *args, *q;
    ngx_uint_t                 i, drop;
    ngx_http_ticket_source_t  *src;

    if (r->args.len == 0) {
        return NGX_OK;
    }

    args = ngx_pnalloc(r->pool, r->args.len);
    if (args == NULL) {
        return NGX_ERROR;
    }

    q = args;
    src = tlcf->sources->elts;

    p = r->args.data;
    last = p + r->args.len;

    while (p < last) {
        for (amp = p; amp < last && *amp != '&' && *amp != ';'; amp++) {
            /* void */
        }

        eq = ngx_strlchr(p, amp, '=');
        if (eq == NULL) {
            eq = amp;
        }

        drop = 0;

        for (i = 0; i < tlcf->sources->nelts; i++) {
            if (src[i].type == NGX_HTTP_TICKET_SRC_ARG
                && ngx_http_ticket_name_is(p, eq, &src[i].name, 1))
            {
                drop = 1;
                break;
            }
        }

        if (!drop && amp > p) {
            if (q > args) {
                *q++ = (p > r->args.data) ? p[-1] : '&';
            }

            q = ngx_cpymem(q, p, amp - p);
        }

        p = amp + 1;
    }

    if ((size_t) (q - args) == r->args.len) {
        return NGX_OK;
    }

    /* as rewrite does: the request line is no longer what is proxied */

    r->args.data = args;
    r->args.len = q - args;
    r->valid_unparsed_uri = 0;

    return NGX_OK;
}
