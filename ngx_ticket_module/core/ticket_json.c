
/*
 * Strict JSON for ticket headers and claims, claim lookup by dotted path,
 * the text of a claim value for variables and headers, and the one JSON
 * string escaper and UTF-8 check every record and listing uses.
 */


#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ticket_json.h"
#include "ticket_compat.h"


static int ticket_json_depth_ok(const char *buf, size_t len);
static size_t ticket_json_put(char *buf, size_t size, size_t off,
    const char *src, size_t n);


static const char  ticket_json_hex[] = "0123456789abcdef";


json_t *
ticket_json_parse_object(const char *buf, size_t len)
{
    json_t        *json;
    json_error_t   error;

    if (buf == NULL) {
        return NULL;
    }

    /*
     * jansson recurses once per nesting level and allows 2048 of them:
     * bound the depth before it sees the input.
     */

    if (!ticket_json_depth_ok(buf, len)) {
        return NULL;
    }

    /* never JSON_ALLOW_NUL: every string handed out is NUL-free */

    json = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &error);
    if (json == NULL) {
        return NULL;
    }

    if (!json_is_object(json)) {
        json_decref(json);
        return NULL;
    }

    return json;
}


/*
 * Nesting of objects and arrays outside strings.  Brackets need not
 * balance here: whatever is not JSON, jansson refuses afterwards.
 */

static int
ticket_json_depth_ok(const char *buf, size_t len)
{
    int     in_string;
    size_t  i, depth;

    depth = 0;
    in_string = 0;

    for (i = 0; i < len; i++) {

        if (in_string) {
            if (buf[i] == '\\') {
                i++;

            } else if (buf[i] == '"') {
                in_string = 0;
            }

            continue;
        }

        switch (buf[i]) {

        case '"':
            in_string = 1;
            break;

        case '{':
        case '[':
            if (++depth > TICKET_MAX_DEPTH) {
                return 0;
            }
            break;

        case '}':
        case ']':
            if (depth > 0) {
                depth--;
            }
            break;

        default:
            break;
        }
    }

    return 1;
}


json_t *
ticket_json_path(json_t *obj, const char *path, size_t len)
{
    size_t       n;
    json_t      *value;
    const char  *p, *end, *dot;

    if (obj == NULL || path == NULL || len == 0) {
        return NULL;
    }

    /*
     * A member named exactly so comes first: namespaced claims hold dots
     * (Auth0's "https://example.com/roles"); only then a dotted path.
     */

    if (json_is_object(obj)) {
        value = json_object_getn(obj, path, len);
        if (value != NULL) {
            return value;
        }
    }

    p = path;
    end = path + len;

    for ( ;; ) {
        dot = memchr(p, '.', (size_t) (end - p));
        n = (size_t) ((dot ? dot : end) - p);

        if (n == 0 || !json_is_object(obj)) {
            return NULL;
        }

        obj = json_object_getn(obj, p, n);
        if (obj == NULL) {
            return NULL;
        }

        if (dot == NULL) {
            return obj;
        }

        p = dot + 1;
    }
}


size_t
ticket_json_text(json_t *value, char *buf, size_t size)
{
    int          n;
    char        *dump;
    char         num[32];
    size_t       i, off, len;
    json_t      *elt;
    const char  *s;

    if (value == NULL) {
        return 0;
    }

    switch (json_typeof(value)) {

    case JSON_STRING:
        return ticket_json_put(buf, size, 0, json_string_value(value),
                               json_string_length(value));

    case JSON_INTEGER:
        n = snprintf(num, sizeof(num), "%lld",
                     (long long) json_integer_value(value));
        if (n < 0 || (size_t) n >= sizeof(num)) {
            return 0;
        }

        return ticket_json_put(buf, size, 0, num, (size_t) n);

    case JSON_TRUE:
        return ticket_json_put(buf, size, 0, "true", 4);

    case JSON_FALSE:
        return ticket_json_put(buf, size, 0, "false", 5);

    case JSON_NULL:
        return 0;

    case JSON_ARRAY:
        json_array_foreach(value, i, elt) {
            if (!json_is_string(elt)) {
                goto dump;
            }
        }

        off = 0;

        json_array_foreach(value, i, elt) {
            if (i > 0) {
                off = ticket_json_put(buf, size, off, ",", 1);
            }

            s = json_string_value(elt);
            len = json_string_length(elt);

            off = ticket_text_element(buf, size, off, s, len);
        }

        return off;

    default:
        break;
    }

dump:

    /*
     * Reals as jansson writes them: 17 significant digits, so that the
     * text reads back as the same double ("0.10000000000000001").
     */

    dump = json_dumps(value, JSON_ENCODE_ANY|JSON_COMPACT|TICKET_JSON_REALS);
    if (dump == NULL) {
        return 0;
    }

    len = ticket_json_put(buf, size, 0, dump, strlen(dump));

    free(dump);

    return len;
}


/* copies what fits of src at buf + off; returns off + n in any case */

static size_t
ticket_json_put(char *buf, size_t size, size_t off, const char *src, size_t n)
{
    size_t  room;

    if (off < size) {
        room = size - off;
        memcpy(buf + off, src, n < room ? n : room);
    }

    return off + n;
}


size_t
ticket_text_element(char *buf, size_t size, size_t off, const char *s,
    size_t len)
{
    size_t  i, start;

    start = 0;

    for (i = 0; i < len; i++) {
        if (s[i] != ',' && s[i] != '\\') {
            continue;
        }

        off = ticket_json_put(buf, size, off, s + start, i - start);
        off = ticket_json_put(buf, size, off, "\\", 1);
        start = i;
    }

    return ticket_json_put(buf, size, off, s + start, len - start);
}


size_t
ticket_json_escape_len(const char *s, size_t len)
{
    ticket_json_out_t  out;

    out.pos = NULL;
    out.len = 0;

    ticket_json_escape_out(&out, s, len);

    return out.len;
}


char *
ticket_json_escape(char *dst, const char *s, size_t len)
{
    ticket_json_out_t  out;

    out.pos = dst;
    out.len = 0;

    ticket_json_escape_out(&out, s, len);

    return out.pos;
}


/*
 * The length of the well-formed UTF-8 sequence of 2 to 4 bytes at p,
 * at most n bytes long, or 0 if there is none (RFC 3629, section 4):
 *
 *   C2..DF  80..BF
 *   E0      A0..BF  80..BF
 *   E1..EC  80..BF  80..BF
 *   ED      80..9F  80..BF          (no surrogates)
 *   EE..EF  80..BF  80..BF
 *   F0      90..BF  80..BF  80..BF
 *   F1..F3  80..BF  80..BF  80..BF
 *   F4      80..8F  80..BF  80..BF  (nothing above U+10FFFF)
 *
 * The second byte's range excludes the overlong forms and the code
 * points out of range; C0, C1 and F5..FF never start a sequence.
 */

size_t
ticket_utf8_len(const unsigned char *p, size_t n)
{
    size_t          len, i;
    unsigned char   c, lo, hi;

    if (n == 0) {
        return 0;
    }

    c = p[0];

    if (c < 0x80) {
        return 1;
    }

    if (c >= 0xc2 && c <= 0xdf) {
        len = 2;
        lo = 0x80;
        hi = 0xbf;

    } else if (c == 0xe0) {
        len = 3;
        lo = 0xa0;
        hi = 0xbf;

    } else if (c == 0xed) {
        len = 3;
        lo = 0x80;
        hi = 0x9f;

    } else if (c >= 0xe1 && c <= 0xef) {
        len = 3;
        lo = 0x80;
        hi = 0xbf;

    } else if (c == 0xf0) {
        len = 4;
        lo = 0x90;
        hi = 0xbf;

    } else if (c >= 0xf1 && c <= 0xf3) {
        len = 4;
        lo = 0x80;
        hi = 0xbf;

    } else if (c == 0xf4) {
        len = 4;
        lo = 0x80;
        hi = 0x8f;

    } else {
        return 0;
    }

    if (n < len) {
        return 0;
    }

    if (p[1] < lo || p[1] > hi) {
        return 0;
    }

    for (i = 2; i < len; i++) {
        if (p[i] < 0x80 || p[i] > 0xbf) {
            return 0;
        }
    }

    return len;
}



/*
 * One code path run twice, as ngx_escape_json() does: first with no
 * destination, counting, then writing.  Every decision that changes a
 * length is taken from the input alone, so the count is exactly what
 * the writer writes.
 */

void
ticket_json_escape_out(ticket_json_out_t *out, const char *s, size_t len)
{
    char                  esc[6];
    size_t                i, run, n;
    unsigned char         c;
    const unsigned char  *p;

    if (s == NULL) {
        return;
    }

    p = (const unsigned char *) s;
    i = 0;
    run = 0;

    /* bytes that stay as they are are copied in runs, [run, i) */

    while (i < len) {
        c = p[i];

        if (c >= 0x80) {
            n = ticket_utf8_len(p + i, len - i);
            if (n != 0) {
                i += n;
                continue;
            }

            ticket_json_out(out, s + run, i - run);
            ticket_json_out(out, "\\ufffd", 6);
            run = ++i;
            continue;
        }

        if (c >= 0x20 && c != 0x7f && c != '"' && c != '\\') {
            i++;
            continue;
        }

        ticket_json_out(out, s + run, i - run);

        esc[0] = '\\';
        n = 2;

        switch (c) {

        case '"':
        case '\\':
            esc[1] = (char) c;
            break;

        case '\n':
            esc[1] = 'n';
            break;

        case '\r':
            esc[1] = 'r';
            break;

        case '\t':
            esc[1] = 't';
            break;

        case '\b':
            esc[1] = 'b';
            break;

        case '\f':
            esc[1] = 'f';
            break;

        default:
            esc[1] = 'u';
            esc[2] = '0';
            esc[3] = '0';
            esc[4] = ticket_json_hex[c >> 4];
            esc[5] = ticket_json_hex[c & 0x0f];
            n = 6;
        }

        ticket_json_out(out, esc, n);
        run = ++i;
    }

    ticket_json_out(out, s + run, len - run);
}



void
ticket_json_out(ticket_json_out_t *out, const char *s, size_t n)
{
    if (n == 0) {
        return;
    }

    if (out->pos != NULL) {
        memcpy(out->pos, s, n);
        out->pos += n;
    }

    /* saturates: a count that wrapped would let the writer overrun */
    out->len = (n > SIZE_MAX - out->len) ? SIZE_MAX : out->len + n;
}
