
/*
 * ngx_ticket_module: the one place where nginx versions differ.
 *
 * nginx 1.23.0 linked headers of one name through ngx_table_elt_t's
 * "next" (so a header pushed onto a list must have it cleared) and made
 * ngx_http_parse_multi_header_lines() walk that chain of the request's
 * cookies instead of an array.  nginx 1.29.6 made that function split at
 * commas only and parses cookies, split at semicolons only, with
 * ngx_http_parse_cookie_lines() (its "$cookie_" fix).  The module walks
 * the Cookie lines itself, to find every copy of a cookie, splitting as
 * the running nginx does.  Debian 12 ships 1.22.1, Debian 13 1.26,
 * unstable 1.30: every difference the module meets is answered here, as
 * nginx's own modules do, by nginx_version.
 */


#ifndef _NGX_HTTP_TICKET_COMPAT_H_INCLUDED_
#define _NGX_HTTP_TICKET_COMPAT_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>


#if (nginx_version >= 1023000)

#define ngx_http_ticket_header_unlinked(h)  (h)->next = NULL

#else

#define ngx_http_ticket_header_unlinked(h)

#endif


/* a "," between cookies, as ";" (nginx before 1.29.6) */

#if (nginx_version >= 1029006)
#define NGX_HTTP_TICKET_COOKIE_COMMA  0
#else
#define NGX_HTTP_TICKET_COOKIE_COMMA  1
#endif


/*
 * The request's Cookie header lines one by one: prev NULL and *i 0 for
 * the first; NULL after the last.
 */

static ngx_inline ngx_table_elt_t *
ngx_http_ticket_cookie_line(ngx_http_request_t *r, ngx_table_elt_t *prev,
    ngx_uint_t *i)
{
#if (nginx_version >= 1023000)

    return (prev == NULL) ? r->headers_in.cookie : prev->next;

#else

    ngx_table_elt_t  **h;

    if (*i >= r->headers_in.cookies.nelts) {
        return NULL;
    }

    h = r->headers_in.cookies.elts;

    return h[(*i)++];

#endif
}


/* the request's cookies forgotten (their header lines already removed) */

static ngx_inline void
ngx_http_ticket_cookies_clear(ngx_http_request_t *r)
{
#if (nginx_version >= 1023000)
    r->headers_in.cookie = NULL;
#else
    r->headers_in.cookies.nelts = 0;
#endif
}


/*
 * Whether the request can carry a body: a length above zero or chunked
 * framing; on HTTP/2 a stream its client has not closed; on HTTP/3
 * (nginx 1.25) any length not known to be zero.
 */

static ngx_inline ngx_uint_t
ngx_http_ticket_has_body(ngx_http_request_t *r)
{
    if (r->headers_in.content_length_n > 0 || r->headers_in.chunked
        || r->headers_in.transfer_encoding != NULL)
    {
        return 1;
    }

#if (NGX_HTTP_V2)
    if (r->stream != NULL && !r->stream->in_closed) {
        return 1;
    }
#endif

#if (NGX_HTTP_V3)
    if (r->http_version == NGX_HTTP_VERSION_30
        && r->headers_in.content_length_n != 0)
    {
        return 1;
    }
#endif

    return 0;
}


#endif /* _NGX_HTTP_TICKET_COMPAT_H_INCLUDED_ */
