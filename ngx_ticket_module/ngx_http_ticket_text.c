
/*
 * ngx_ticket_module: the text of a claim, for $ticket_* variables,
 * forwarded headers and the error log; and the name of a cookie or an
 * argument as a backend reads it, so that the access check counts every
 * copy of a ticket source and a preflight strips every one.
 */


#include "ngx_http_ticket_types.h"
#include "ngx_http_ticket_text.h"


/*
 * Text of a claim for a variable or a forwarded header: control bytes
 * are written as \xHH, so that a signed claim cannot split a header.
 */

ngx_int_t
ngx_http_ticket_value(ngx_pool_t *pool, const ticket_jv_t *value,
    ngx_str_t *text)
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


/*
 * A cookie's or an argument's name, between p and last, is name to some
 * backend: percent-decoded and "+" as a space (decode: arguments), cut
 * at a NUL or a "[", white space around it dropped (ngx_http_ticket_
 * space()), then compared case-insensitively, a "." or " " in it as "_".
 */

ngx_uint_t
ngx_http_ticket_name_is(u_char *p, u_char *last, ngx_str_t *name,
    ngx_uint_t decode)
{
    u_char      c, a, b;
    ngx_int_t   hi, lo;
    ngx_uint_t  k, lead;

    /* one pass, no copy: any amount of white space is skipped */

    k = 0;
    lead = 1;

    while (p < last) {
        c = *p++;

        if (decode && c == '+') {
            c = ' ';

        } else if (decode && c == '%' && last - p >= 2) {
            hi = ngx_hextoi(p, 1);
            lo = ngx_hextoi(p + 1, 1);

            if (hi != NGX_ERROR && lo != NGX_ERROR) {
                c = (u_char) (hi * 16 + lo);
                p += 2;
            }
        }

        if (c == '\0' || c == '[') {
            break;
        }

        if (lead && ngx_http_ticket_space(c)) {
            continue;
        }

        lead = 0;

        if (k == name->len) {
            /* after the name: white space only */

            if (!ngx_http_ticket_space(c)) {
                return 0;
            }

            continue;
        }

        a = ngx_tolower(c);
        b = ngx_tolower(name->data[k]);

        if (b == '_' && (a == '.' || a == ' ')) {
            a = '_';
        }

        if (a != b) {
            return 0;
        }

        k++;
    }

    return k == name->len;
}


/*
 * White space to some backend around a name: ASCII's, and what Python's
 * str.strip() and its regular expressions' \s also take on a Latin-1
 * header (\x1c-\x1f, NEL, NBSP).
 */

ngx_uint_t
ngx_http_ticket_space(u_char c)
{
    return c == ' ' || (c >= '\t' && c <= '\r') || (c >= 0x1c && c <= 0x1f)
           || c == 0x85 || c == 0xa0;
}
