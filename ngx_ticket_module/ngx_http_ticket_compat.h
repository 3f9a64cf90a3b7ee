
/*
 * ngx_ticket_module: the one place where nginx versions differ.
 *
 * nginx 1.23.0 linked headers of one name through ngx_table_elt_t's
 * "next" (so a header pushed onto a list must have it cleared) and made
 * ngx_http_parse_multi_header_lines() walk that chain of the request's
 * cookies instead of an array.  nginx 1.29.6 made that function split at
 * commas only and parses cookies, split at semicolons, with
 * ngx_http_parse_cookie_lines() (its "$cookie_" fix): with the old call a
 * ticket cookie after another cookie went unseen.  Debian 12 ships
 * 1.22.1, Debian 13 1.26, unstable 1.30: every difference the module meets
 * is answered here, as nginx's own modules do, by nginx_version.
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


/* the first cookie NAME of the request: NGX_OK and its value, or
 * NGX_DECLINED */

static ngx_inline ngx_int_t
ngx_http_ticket_cookie(ngx_http_request_t *r, ngx_str_t *name,
    ngx_str_t *value)
{
#if (nginx_version >= 1029006)

    if (ngx_http_parse_cookie_lines(r, r->headers_in.cookie, name, value)
        == NULL)
    {
        return NGX_DECLINED;
    }

#elif (nginx_version >= 1023000)

    if (ngx_http_parse_multi_header_lines(r, r->headers_in.cookie, name,
                                          value)
        == NULL)
    {
        return NGX_DECLINED;
    }

#else

    if (ngx_http_parse_multi_header_lines(&r->headers_in.cookies, name,
                                          value)
        == NGX_DECLINED)
    {
        return NGX_DECLINED;
    }

#endif

    return NGX_OK;
}


#endif /* _NGX_HTTP_TICKET_COMPAT_H_INCLUDED_ */
