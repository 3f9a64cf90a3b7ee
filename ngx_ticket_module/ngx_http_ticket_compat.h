
/*
 * ngx_ticket_module: the one place where nginx versions differ.
 *
 * nginx 1.23.0 linked headers of one name through ngx_table_elt_t's
 * "next" (so a header pushed onto a list must have it cleared) and made
 * ngx_http_parse_multi_header_lines() walk that chain of the request's
 * cookies instead of an array (the module walks them itself, to find
 * every copy of a cookie).  Debian 12 ships 1.22.1, Debian 13 1.26,
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


#endif /* _NGX_HTTP_TICKET_COMPAT_H_INCLUDED_ */
