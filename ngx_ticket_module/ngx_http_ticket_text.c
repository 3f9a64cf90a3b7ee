
/*
 * ngx_ticket_module: the text of a claim, for $ticket_* variables,
 * forwarded headers and the error log.
 */


#include "ngx_http_ticket_types.h"
#include "ngx_http_ticket_text.h"


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
