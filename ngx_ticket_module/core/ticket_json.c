
/*
 * Strict JSON for ticket headers and claims, claim lookup by dotted path,
 * the text of a claim value for variables and headers, and the one JSON
 * string escaper and UTF-8 check every record and listing uses.
 */


#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ticket_json.h"
#include "ticket_compat.h"



/* the strict parser's state: the input left and the nesting so far */

typedef struct {
    const unsigned char    *p;
    const unsigned char    *end;
    unsigned                depth;
} ticket_jp_t;

static json_t *ticket_jp_value(ticket_jp_t *jp);
static json_t *ticket_jp_object(ticket_jp_t *jp);
static json_t *ticket_jp_array(ticket_jp_t *jp);
static json_t *ticket_jp_number(ticket_jp_t *jp);
static json_t *ticket_jp_literal(ticket_jp_t *jp, const char *word,
    size_t n, json_t *value);
static int ticket_jp_string(ticket_jp_t *jp, const char **s, size_t *len,
    char *buf, size_t size, char **heap);
static int ticket_jp_unescape(const unsigned char *p,
    const unsigned char *end, char *out, size_t *len);
static int ticket_jp_hex4(const unsigned char *p, unsigned *value);
static size_t ticket_json_put(char *buf, size_t size, size_t off,
    const char *src, size_t n);


static const char  ticket_json_hex[] = "0123456789abcdef";


/*
 * ASCII bytes a JSON string holds as they are: 1 for the parser and the
 * escaper alike (printable, but '"' and '\\'), 2 for DEL, which the parser
 * takes as it is and the escaper writes as \u007f; 0 for the rest (bytes
 * 80..ff are UTF-8, checked apart).
 */

static const unsigned char  ticket_json_class[256] = {
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,    /* 00 */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,    /* 10 */
    1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,    /* 20: '"' */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,    /* 30 */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,    /* 40 */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1,    /* 50: '\\' */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,    /* 60 */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2     /* 70: DEL */
    /* 80..ff: 0, checked as UTF-8 */
};


/*
 * RFC 8259 JSON, one pass over the bytes, building jansson values
 * directly: as strict as json_loadb() with JSON_REJECT_DUPLICATES (and
 * tests/fuzz/fuzz_json.c holds it to exactly that, value for value), at
 * a fraction of its cost (jansson reads a byte at a time through a
 * stream and copies every token into a buffer first).  An object at the
 * top; no duplicate member names; no NUL, escaped or not; valid UTF-8
 * (ticket_utf8_len()); surrogate escapes only in pairs; integers that
 * fit json_int_t; reals that do not overflow; nesting at most
 * TICKET_MAX_DEPTH, so the recursion is bounded before it starts.
 */

json_t *
ticket_json_parse_object(const char *buf, size_t len)
{
    json_t       *json;
    ticket_jp_t   jp;

    if (buf == NULL) {
        return NULL;
    }

    jp.p = (const unsigned char *) buf;
    jp.end = jp.p + len;
    jp.depth = 0;

    while (jp.p < jp.end && (*jp.p == ' ' || *jp.p == '\t' || *jp.p == '\n'
                             || *jp.p == '\r'))
    {
        jp.p++;
    }

    if (jp.p == jp.end || *jp.p != '{') {
        return NULL;
    }

    json = ticket_jp_object(&jp);
    if (json == NULL) {
        return NULL;
    }

    while (jp.p < jp.end && (*jp.p == ' ' || *jp.p == '\t' || *jp.p == '\n'
                             || *jp.p == '\r'))
    {
        jp.p++;
    }

    if (jp.p != jp.end) {
        json_decref(json);
        return NULL;
    }

    return json;
}


#define ticket_jp_skip_ws(jp)                                                \
    while ((jp)->p < (jp)->end                                               \
           && (*(jp)->p == ' ' || *(jp)->p == '\t' || *(jp)->p == '\n'       \
               || *(jp)->p == '\r'))                                         \
    {                                                                        \
        (jp)->p++;                                                           \
    }


static json_t *
ticket_jp_value(ticket_jp_t *jp)
{
    char        buf[256], *heap;
    size_t      len;
    json_t     *value;
    const char  *s;

    if (jp->p == jp->end) {
        return NULL;
    }

    switch (*jp->p) {

    case '{':
        return ticket_jp_object(jp);

    case '[':
        return ticket_jp_array(jp);

    case '"':
        heap = NULL;

        if (ticket_jp_string(jp, &s, &len, buf, sizeof(buf), &heap) != 0) {
            return NULL;
        }

        value = json_stringn_nocheck(s, len);
        free(heap);
        return value;

    case 't':
        return ticket_jp_literal(jp, "true", 4, json_true());

    case 'f':
        return ticket_jp_literal(jp, "false", 5, json_false());

    case 'n':
        return ticket_jp_literal(jp, "null", 4, json_null());

    default:
        return ticket_jp_number(jp);
    }
}


/* at '{' */

static json_t *
ticket_jp_object(ticket_jp_t *jp)
{
    char         buf[256], *heap;
    size_t       len, n;
    json_t      *obj, *value;
    const char  *key;

    if (++jp->depth > TICKET_MAX_DEPTH) {
        return NULL;
    }

    jp->p++;

    obj = json_object();
    if (obj == NULL) {
        return NULL;
    }

    ticket_jp_skip_ws(jp);

    if (jp->p < jp->end && *jp->p == '}') {
        jp->p++;
        jp->depth--;
        return obj;
    }

    for ( ;; ) {
        if (jp->p == jp->end || *jp->p != '"') {
            goto failed;
        }

        heap = NULL;

        if (ticket_jp_string(jp, &key, &len, buf, sizeof(buf), &heap) != 0) {
            goto failed;
        }

        ticket_jp_skip_ws(jp);

        if (jp->p == jp->end || *jp->p != ':') {
            free(heap);
            goto failed;
        }

        jp->p++;
        ticket_jp_skip_ws(jp);

        value = ticket_jp_value(jp);

        /*
         * A duplicate name replaces the member and leaves the size as it
         * was: refused so, with one hash lookup instead of two.
         */

        n = json_object_size(obj);

        if (value == NULL
            || json_object_setn_new_nocheck(obj, key, len, value) != 0
            || json_object_size(obj) != n + 1)
        {
            free(heap);
            goto failed;
        }

        free(heap);

        ticket_jp_skip_ws(jp);

        if (jp->p == jp->end) {
            goto failed;
        }

        if (*jp->p == '}') {
            jp->p++;
            jp->depth--;
            return obj;
        }

        if (*jp->p != ',') {
            goto failed;
        }

        jp->p++;
        ticket_jp_skip_ws(jp);
    }

failed:

    json_decref(obj);
    return NULL;
}


/* at '[' */

static json_t *
ticket_jp_array(ticket_jp_t *jp)
{
    json_t  *arr, *value;

    if (++jp->depth > TICKET_MAX_DEPTH) {
        return NULL;
    }

    jp->p++;

    arr = json_array();
    if (arr == NULL) {
        return NULL;
    }

    ticket_jp_skip_ws(jp);

    if (jp->p < jp->end && *jp->p == ']') {
        jp->p++;
        jp->depth--;
        return arr;
    }

    for ( ;; ) {
        value = ticket_jp_value(jp);

        if (value == NULL || json_array_append_new(arr, value) != 0) {
            goto failed;
        }

        ticket_jp_skip_ws(jp);

        if (jp->p == jp->end) {
            goto failed;
        }

        if (*jp->p == ']') {
            jp->p++;
            jp->depth--;
            return arr;
        }

        if (*jp->p != ',') {
            goto failed;
        }

        jp->p++;
        ticket_jp_skip_ws(jp);
    }

failed:

    json_decref(arr);
    return NULL;
}


/*
 * -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?, as jansson reads it:
 * without a fraction or an exponent an integer, refused when it does not
 * fit json_int_t; else a real, refused only when it overflows.
 */

static json_t *
ticket_jp_number(ticket_jp_t *jp)
{
    int                   real;
    char                  buf[64], *text, *end;
    size_t                n;
    json_t               *value;
    double                d;
    json_int_t            i;
    const unsigned char  *p, *start;

    start = jp->p;
    p = start;
    real = 0;

    if (p < jp->end && *p == '-') {
        p++;
    }

    if (p == jp->end || *p < '0' || *p > '9') {
        return NULL;
    }

    if (*p == '0') {
        p++;

    } else {
        while (p < jp->end && *p >= '0' && *p <= '9') {
            p++;
        }
    }

    if (p < jp->end && *p == '.') {
        p++;

        if (p == jp->end || *p < '0' || *p > '9') {
            return NULL;
        }

        while (p < jp->end && *p >= '0' && *p <= '9') {
            p++;
        }

        real = 1;
    }

    if (p < jp->end && (*p == 'e' || *p == 'E')) {
        p++;

        if (p < jp->end && (*p == '+' || *p == '-')) {
            p++;
        }

        if (p == jp->end || *p < '0' || *p > '9') {
            return NULL;
        }

        while (p < jp->end && *p >= '0' && *p <= '9') {
            p++;
        }

        real = 1;
    }

    n = (size_t) (p - start);

    /*
     * strtoll() and strtod() want a terminated string.  strtod() reads
     * the locale's decimal point: nginx and ticketctl never leave the "C"
     * locale, and in another one a fraction fails to parse (refused),
     * never parses as something else.
     */

    if (n < sizeof(buf)) {
        text = buf;

    } else {
        text = malloc(n + 1);
        if (text == NULL) {
            return NULL;
        }
    }

    memcpy(text, start, n);
    text[n] = '\0';

    value = NULL;
    errno = 0;

    if (!real) {
        i = (json_int_t) strtoll(text, &end, 10);

        if (errno != ERANGE && end == text + n) {
            value = json_integer(i);
        }

    } else {
        d = strtod(text, &end);

        if (!((d == HUGE_VAL || d == -HUGE_VAL) && errno == ERANGE)
            && end == text + n)
        {
            value = json_real(d);
        }
    }

    if (text != buf) {
        free(text);
    }

    if (value != NULL) {
        jp->p = p;
    }

    return value;
}


static json_t *
ticket_jp_literal(ticket_jp_t *jp, const char *word, size_t n, json_t *value)
{
    if ((size_t) (jp->end - jp->p) < n || memcmp(jp->p, word, n) != 0) {
        return NULL;
    }

    jp->p += n;

    return value;
}


/*
 * A string at '"': checked whole first (no control byte, valid UTF-8,
 * every escape well formed), then handed out as it stands when it has
 * no escape, the usual case, else unescaped into BUF, or into *HEAP when
 * BUF is too small (the caller frees it).  An escaped string is never
 * longer unescaped than written.
 */

static int
ticket_jp_string(ticket_jp_t *jp, const char **s, size_t *len, char *buf,
    size_t size, char **heap)
{
    int                   escaped;
    size_t                n;
    const unsigned char  *p, *start;

    start = jp->p + 1;
    p = start;
    escaped = 0;

    for ( ;; ) {
        while (p < jp->end && ticket_json_class[*p]) {
            p++;
        }

        if (p == jp->end) {
            return -1;
        }

        if (*p == '"') {
            break;
        }

        if (*p == '\\') {
            escaped = 1;
            p++;

            if (p == jp->end) {
                return -1;
            }

            /* the escape's letter only: \u's digits are checked below */

            if (*p != '"' && *p != '\\' && *p != '/' && *p != 'b'
                && *p != 'f' && *p != 'n' && *p != 'r' && *p != 't'
                && *p != 'u')
            {
                return -1;
            }

            p++;
            continue;
        }

        if (*p < 0x20) {
            return -1;
        }

        if (*p < 0x80) {
            p++;
            continue;
        }

        n = ticket_utf8_len(p, (size_t) (jp->end - p));
        if (n == 0) {
            return -1;
        }

        p += n;
    }

    n = (size_t) (p - start);
    jp->p = p + 1;

    /* a NUL byte is a control byte: none got this far */

    if (!escaped) {
        *s = (const char *) start;
        *len = n;
        return 0;
    }

    if (n > size) {
        *heap = malloc(n);
        if (*heap == NULL) {
            return -1;
        }

        buf = *heap;
    }

    if (ticket_jp_unescape(start, p, buf, len) != 0) {
        free(*heap);
        *heap = NULL;
        return -1;
    }

    *s = buf;
    return 0;
}


/* the bytes between the quotes, known to hold well-formed escape letters */

static int
ticket_jp_unescape(const unsigned char *p, const unsigned char *end,
    char *out, size_t *len)
{
    char      *o;
    unsigned   c, lo;

    o = out;

    while (p < end) {
        if (*p != '\\') {
            *o++ = (char) *p++;
            continue;
        }

        p++;

        switch (*p++) {
        case '"':  *o++ = '"';  continue;
        case '\\': *o++ = '\\'; continue;
        case '/':  *o++ = '/';  continue;
        case 'b':  *o++ = '\b'; continue;
        case 'f':  *o++ = '\f'; continue;
        case 'n':  *o++ = '\n'; continue;
        case 'r':  *o++ = '\r'; continue;
        case 't':  *o++ = '\t'; continue;
        default:   break;       /* 'u' */
        }

        if ((size_t) (end - p) < 4 || ticket_jp_hex4(p, &c) != 0) {
            return -1;
        }

        p += 4;

        if (c >= 0xdc00 && c <= 0xdfff) {
            return -1;                      /* a low surrogate alone */
        }

        if (c >= 0xd800 && c <= 0xdbff) {

            if ((size_t) (end - p) < 6 || p[0] != '\\' || p[1] != 'u'
                || ticket_jp_hex4(p + 2, &lo) != 0
                || lo < 0xdc00 || lo > 0xdfff)
            {
                return -1;                  /* a high surrogate alone */
            }

            p += 6;
            c = 0x10000 + ((c - 0xd800) << 10) + (lo - 0xdc00);
        }

        if (c == 0) {
            return -1;                      /* NUL */
        }

        if (c < 0x80) {
            *o++ = (char) c;

        } else if (c < 0x800) {
            *o++ = (char) (0xc0 | (c >> 6));
            *o++ = (char) (0x80 | (c & 0x3f));

        } else if (c < 0x10000) {
            *o++ = (char) (0xe0 | (c >> 12));
            *o++ = (char) (0x80 | ((c >> 6) & 0x3f));
            *o++ = (char) (0x80 | (c & 0x3f));

        } else {
            *o++ = (char) (0xf0 | (c >> 18));
            *o++ = (char) (0x80 | ((c >> 12) & 0x3f));
            *o++ = (char) (0x80 | ((c >> 6) & 0x3f));
            *o++ = (char) (0x80 | (c & 0x3f));
        }
    }

    *len = (size_t) (o - out);
    return 0;
}


static int
ticket_jp_hex4(const unsigned char *p, unsigned *value)
{
    unsigned  i, v, c;

    v = 0;

    for (i = 0; i < 4; i++) {
        c = p[i];

        if (c >= '0' && c <= '9') {
            c -= '0';

        } else if (c >= 'a' && c <= 'f') {
            c -= 'a' - 10;

        } else if (c >= 'A' && c <= 'F') {
            c -= 'A' - 10;

        } else {
            return -1;
        }

        v = (v << 4) | c;
    }

    *value = v;
    return 0;
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
    out.end = NULL;
    out.len = 0;

    ticket_json_escape_out(&out, s, len);

    return out.len;
}


char *
ticket_json_escape(char *dst, const char *s, size_t len)
{
    ticket_json_out_t  out;

    out.pos = dst;
    out.end = NULL;
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

        if (ticket_json_class[c] == 1) {
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



