
/*
 * Strict JSON for ticket headers and claims, claim lookup by dotted path,
 * the text of a claim value for variables and headers, and the one JSON
 * string escaper and UTF-8 check every record and listing uses.
 */


#include <errno.h>
#include <locale.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/random.h>

#include "ticket_alloc.h"
#include "ticket_hash.h"
#include "ticket_json.h"
#include "ticket_compat.h"



/* the strict parser's state: the input left, the nesting so far, and the
 * nodes written (they move when they grow: kept by index until done) */

typedef struct {
    const unsigned char    *p;
    const unsigned char    *end;
    unsigned                depth;
    ticket_jv_t            *v;
    uint32_t                n;
    uint32_t                cap;
    const ticket_alloc_t   *a;
} ticket_jp_t;

static uint32_t ticket_json_seed(void);
static int ticket_jp_value(ticket_jp_t *jp);
static int ticket_jp_object(ticket_jp_t *jp);
static int ticket_jp_array(ticket_jp_t *jp);
static int ticket_jp_number(ticket_jp_t *jp);
static int ticket_jp_literal(ticket_jp_t *jp, const char *word, size_t n,
    ticket_jv_type_t type);
static ticket_jv_t *ticket_jp_node(ticket_jp_t *jp, ticket_jv_type_t type);
static int ticket_jp_unique(ticket_jp_t *jp, uint32_t obj);
static int ticket_jp_string(ticket_jp_t *jp, const char **s, size_t *len);
static int ticket_jp_unescape(const unsigned char *p,
    const unsigned char *end, char *out, size_t *len);
static int ticket_jp_hex4(const unsigned char *p, unsigned *value);
static size_t ticket_json_put(char *buf, size_t size, size_t off,
    const char *src, size_t n);
static size_t ticket_jv_json_string(char *buf, size_t size, size_t off,
    const char *s, size_t len);
static size_t ticket_jv_json_real(char *num, size_t size, double d);


static const char  ticket_json_hex[] = "0123456789abcdef";


#define ticket_jp_skip_ws(jp)                                                \
    while ((jp)->p < (jp)->end                                               \
           && (*(jp)->p == ' ' || *(jp)->p == '\t' || *(jp)->p == '\n'       \
               || *(jp)->p == '\r'))                                         \
    {                                                                        \
        (jp)->p++;                                                           \
    }


/*
 * ASCII bytes a JSON string holds as they are: 1 for the parser and the
 * escaper alike (printable, but '"' and '\\'), 2 for DEL, which the parser
 * and ticket_jv_json() take as it is and the escaper writes as \u007f; 0
 * for the rest (bytes 80..ff are UTF-8, checked apart).
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
 * RFC 8259 JSON, one pass over the bytes, into flat nodes (ticket_jv_t)
 * in the caller's memory: on the request path that is the request pool,
 * so a ticket's claims cost no malloc and nothing to free.  As strict as
 * json_loadb() with JSON_REJECT_DUPLICATES (tests/fuzz/fuzz_json.c holds
 * it to exactly that, value for value, through ticket_jv_to_json()): an
 * object at the top; no duplicate member names; no NUL, escaped or not;
 * valid UTF-8 (ticket_utf8_len()); surrogate escapes only in pairs;
 * integers that fit json_int_t; reals that do not overflow; nesting at
 * most TICKET_MAX_DEPTH, so the recursion is bounded before it starts.
 * Strings without escapes point into buf, which must outlive the nodes.
 */

const ticket_jv_t *
ticket_jv_parse(const char *buf, size_t len, const ticket_alloc_t *a)
{
    ticket_jp_t  jp;

    /* counts and spans are 32-bit; the first nodes' size fits size_t */

    if (buf == NULL || len > UINT32_MAX / 2
        || len / 8 + 8 > SIZE_MAX / sizeof(ticket_jv_t))
    {
        return NULL;
    }

    jp.p = (const unsigned char *) buf;
    jp.end = jp.p + len;
    jp.depth = 0;
    jp.n = 0;
    jp.a = a;

    /* a claim is some ten bytes: most documents never grow the nodes */

    jp.cap = (uint32_t) (len / 8 + 8);
    jp.v = a->alloc(a->data, jp.cap * sizeof(ticket_jv_t));
    if (jp.v == NULL) {
        return NULL;
    }

    ticket_jp_skip_ws(&jp);

    if (jp.p == jp.end || *jp.p != '{' || ticket_jp_object(&jp) != 0) {
        return NULL;
    }

    ticket_jp_skip_ws(&jp);

    if (jp.p != jp.end) {
        return NULL;
    }

    return jp.v;
}


json_t *
ticket_json_parse_object(const char *buf, size_t len)
{
    void               *heap;
    json_t             *json;
    ticket_alloc_t      a;
    const ticket_jv_t  *v;

    heap = NULL;
    a.alloc = ticket_heap_alloc;
    a.free = NULL;
    a.data = &heap;

    v = ticket_jv_parse(buf, len, &a);
    json = (v != NULL) ? ticket_jv_to_json(v) : NULL;

    ticket_heap_free(&heap);

    return json;
}


/* a new node at the end, its type set: NULL when out of memory */

static ticket_jv_t *
ticket_jp_node(ticket_jp_t *jp, ticket_jv_type_t type)
{
    ticket_jv_t  *v;

    if (jp->n == jp->cap) {

        /* the input bounds the count: a node takes at least one byte */

        if (jp->cap > UINT32_MAX / 2 / sizeof(ticket_jv_t)) {
            return NULL;
        }

        v = jp->a->alloc(jp->a->data, 2 * jp->cap * sizeof(ticket_jv_t));
        if (v == NULL) {
            return NULL;
        }

        memcpy(v, jp->v, jp->n * sizeof(ticket_jv_t));

        if (jp->a->free != NULL) {
            jp->a->free(jp->a->data, jp->v);
        }

        jp->v = v;
        jp->cap *= 2;
    }

    v = &jp->v[jp->n++];
    v->vtype = (unsigned char) type;
    v->n = 0;
    v->span = 1;

    return v;
}


static int
ticket_jp_value(ticket_jp_t *jp)
{
    size_t        len;
    const char   *s;
    ticket_jv_t  *v;

    if (jp->p == jp->end) {
        return -1;
    }

    switch (*jp->p) {

    case '{':
        return ticket_jp_object(jp);

    case '[':
        return ticket_jp_array(jp);

    case '"':
        if (ticket_jp_string(jp, &s, &len) != 0) {
            return -1;
        }

        v = ticket_jp_node(jp, TICKET_JV_STRING);
        if (v == NULL) {
            return -1;
        }

        v->u.s = s;
        v->n = (uint32_t) len;
        return 0;

    case 't':
        return ticket_jp_literal(jp, "true", 4, TICKET_JV_TRUE);

    case 'f':
        return ticket_jp_literal(jp, "false", 5, TICKET_JV_FALSE);

    case 'n':
        return ticket_jp_literal(jp, "null", 4, TICKET_JV_NULL);

    default:
        return ticket_jp_number(jp);
    }
}


/* at '{' */

static int
ticket_jp_object(ticket_jp_t *jp)
{
    size_t        len;
    uint32_t      obj, members;
    const char   *key;
    ticket_jv_t  *v;

    if (++jp->depth > TICKET_MAX_DEPTH) {
        return -1;
    }

    jp->p++;

    obj = jp->n;
    if (ticket_jp_node(jp, TICKET_JV_OBJECT) == NULL) {
        return -1;
    }

    members = 0;

    ticket_jp_skip_ws(jp);

    if (jp->p < jp->end && *jp->p == '}') {
        jp->p++;
        jp->depth--;
        return 0;
    }

    for ( ;; ) {
        if (jp->p == jp->end || *jp->p != '"'
            || ticket_jp_string(jp, &key, &len) != 0)
        {
            return -1;
        }

        v = ticket_jp_node(jp, TICKET_JV_STRING);
        if (v == NULL) {
            return -1;
        }

        v->u.s = key;
        v->n = (uint32_t) len;

        ticket_jp_skip_ws(jp);

        if (jp->p == jp->end || *jp->p != ':') {
            return -1;
        }

        jp->p++;
        ticket_jp_skip_ws(jp);

        if (ticket_jp_value(jp) != 0) {
            return -1;
        }

        members++;

        ticket_jp_skip_ws(jp);

        if (jp->p == jp->end) {
            return -1;
        }

        if (*jp->p == '}') {
            break;
        }

        if (*jp->p != ',') {
            return -1;
        }

        jp->p++;
        ticket_jp_skip_ws(jp);
    }

    jp->p++;
    jp->depth--;

    jp->v[obj].n = members;
    jp->v[obj].span = jp->n - obj;

    return ticket_jp_unique(jp, obj);
}


/*
 * No two members of the object at index obj share a name (compared
 * unescaped, as jansson compares them).  A few are compared pairwise;
 * more go through a hash table with a per-process random seed, so that
 * no chosen set of names makes the check quadratic.
 */

static int
ticket_jp_unique(ticket_jp_t *jp, uint32_t obj)
{
    size_t              size, h, i, j, m;
    uint64_t            x;
    uint32_t           *table, idx[8];
    const ticket_jv_t  *k, *o, *v;

    static uint32_t     seed;

    m = jp->v[obj].n;

    if (m < 2) {
        return 0;
    }

    v = jp->v;

    if (m <= sizeof(idx) / sizeof(idx[0])) {
        k = &v[obj + 1];

        for (i = 0; i < m; i++) {
            idx[i] = (uint32_t) (k - v);

            for (j = 0; j < i; j++) {
                o = &v[idx[j]];

                if (o->n == k->n && memcmp(o->u.s, k->u.s, k->n) == 0) {
                    return -1;
                }
            }

            k = k + 1 + k[1].span;
        }

        return 0;
    }

    if (seed == 0) {
        seed = ticket_json_seed();
    }

    for (size = 16; size < 2 * m; size *= 2) { /* void */ }

    table = jp->a->alloc(jp->a->data, size * sizeof(uint32_t));
    if (table == NULL) {
        return -1;
    }

    memset(table, 0, size * sizeof(uint32_t));

    k = &v[obj + 1];

    for (i = 0; i < m; i++) {
        x = ticket_fnv(TICKET_FNV_OFFSET ^ seed, k->u.s, k->n);
        h = (size_t) (x ^ (x >> 32)) & (size - 1);

        /* table holds index + 1: 0 is empty */

        while (table[h] != 0) {
            o = &v[table[h] - 1];

            if (o->n == k->n && memcmp(o->u.s, k->u.s, k->n) == 0) {
                return -1;
            }

            h = (h + 1) & (size - 1);
        }

        table[h] = (uint32_t) (k - v) + 1;

        k = k + 1 + k[1].span;
    }

    if (jp->a->free != NULL) {
        jp->a->free(jp->a->data, table);
    }

    return 0;
}


/* at '[' */

static int
ticket_jp_array(ticket_jp_t *jp)
{
    uint32_t  arr, elements;

    if (++jp->depth > TICKET_MAX_DEPTH) {
        return -1;
    }

    jp->p++;

    arr = jp->n;
    if (ticket_jp_node(jp, TICKET_JV_ARRAY) == NULL) {
        return -1;
    }

    elements = 0;

    ticket_jp_skip_ws(jp);

    if (jp->p < jp->end && *jp->p == ']') {
        jp->p++;
        jp->depth--;
        return 0;
    }

    for ( ;; ) {
        if (ticket_jp_value(jp) != 0) {
            return -1;
        }

        elements++;

        ticket_jp_skip_ws(jp);

        if (jp->p == jp->end) {
            return -1;
        }

        if (*jp->p == ']') {
            break;
        }

        if (*jp->p != ',') {
            return -1;
        }

        jp->p++;
        ticket_jp_skip_ws(jp);
    }

    jp->p++;
    jp->depth--;

    jp->v[arr].n = elements;
    jp->v[arr].span = jp->n - arr;

    return 0;
}


/*
 * -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?, as jansson reads it:
 * without a fraction or an exponent an integer, refused when it does not
 * fit json_int_t; else a real, refused only when it overflows.
 */

static int
ticket_jp_number(ticket_jp_t *jp)
{
    int                   real, rc;
    char                  buf[64], *text, *end;
    size_t                n;
    double                d;
    json_int_t            i;
    ticket_jv_t          *v;
    const unsigned char  *p, *start;

    start = jp->p;
    p = start;
    real = 0;

    if (p < jp->end && *p == '-') {
        p++;
    }

    if (p == jp->end || *p < '0' || *p > '9') {
        return -1;
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
            return -1;
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
            return -1;
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
        text = jp->a->alloc(jp->a->data, n + 1);
        if (text == NULL) {
            return -1;
        }
    }

    memcpy(text, start, n);
    text[n] = '\0';

    rc = -1;
    errno = 0;

    if (!real) {
        i = (json_int_t) strtoll(text, &end, 10);

        if (errno != ERANGE && end == text + n) {
            v = ticket_jp_node(jp, TICKET_JV_INTEGER);
            if (v != NULL) {
                v->u.i = (int64_t) i;
                rc = 0;
            }
        }

    } else {
        d = strtod(text, &end);

        if (!((d == HUGE_VAL || d == -HUGE_VAL) && errno == ERANGE)
            && end == text + n)
        {
            v = ticket_jp_node(jp, TICKET_JV_REAL);
            if (v != NULL) {
                v->u.d = d;
                rc = 0;
            }
        }
    }

    if (rc == 0) {
        jp->p = p;
    }

    return rc;
}


static int
ticket_jp_literal(ticket_jp_t *jp, const char *word, size_t n,
    ticket_jv_type_t type)
{
    if ((size_t) (jp->end - jp->p) < n || memcmp(jp->p, word, n) != 0) {
        return -1;
    }

    jp->p += n;

    return ticket_jp_node(jp, type) ? 0 : -1;
}


/*
 * A string at '"': checked whole first (no control byte, valid UTF-8,
 * every escape well formed), then handed out as it stands when it has
 * no escape, the usual case, else unescaped into the document's memory.
 * An escaped string is never longer unescaped than written.
 */

static int
ticket_jp_string(ticket_jp_t *jp, const char **s, size_t *len)
{
    int                   escaped;
    char                 *buf;
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

    buf = jp->a->alloc(jp->a->data, n);
    if (buf == NULL) {
        return -1;
    }

    if (ticket_jp_unescape(start, p, buf, len) != 0) {
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


/* the seed of ticket_jp_unique()'s hash: random, never 0 */

static uint32_t
ticket_json_seed(void)
{
    uint32_t  seed;

    if (getrandom(&seed, sizeof(seed), GRND_NONBLOCK) != (ssize_t) sizeof(seed))
    {
        /* no entropy yet: still differs between processes and starts */
        seed = (uint32_t) time(NULL) ^ ((uint32_t) getpid() << 16);
    }

    return seed | 1;
}


const ticket_jv_t *
ticket_jv_getn(const ticket_jv_t *obj, const char *name, size_t len)
{
    uint32_t            i;
    const ticket_jv_t  *k;

    if (obj == NULL || obj->vtype != TICKET_JV_OBJECT) {
        return NULL;
    }

    k = obj + 1;

    for (i = 0; i < obj->n; i++) {
        if (k->n == len && memcmp(k->u.s, name, len) == 0) {
            return k + 1;
        }

        k = k + 1 + k[1].span;
    }

    return NULL;
}


json_t *
ticket_jv_to_json(const ticket_jv_t *v)
{
    uint32_t            i;
    json_t             *json, *elt;
    const ticket_jv_t  *k, *e;

    if (v == NULL) {
        return NULL;
    }

    switch (v->vtype) {

    case TICKET_JV_OBJECT:
        json = json_object();
        k = v + 1;

        for (i = 0; json != NULL && i < v->n; i++) {
            elt = ticket_jv_to_json(k + 1);

            if (elt == NULL
                || json_object_setn_new_nocheck(json, k->u.s, k->n, elt) != 0)
            {
                json_decref(json);
                return NULL;
            }

            k = k + 1 + k[1].span;
        }

        return json;

    case TICKET_JV_ARRAY:
        json = json_array();

        ticket_jv_foreach(v, i, e) {
            if (json == NULL) {
                break;
            }

            elt = ticket_jv_to_json(e);

            if (elt == NULL || json_array_append_new(json, elt) != 0) {
                json_decref(json);
                return NULL;
            }
        }

        return json;

    case TICKET_JV_STRING:
        return json_stringn_nocheck(v->u.s, v->n);

    case TICKET_JV_INTEGER:
        return json_integer((json_int_t) v->u.i);

    case TICKET_JV_REAL:
        return json_real(v->u.d);

    case TICKET_JV_TRUE:
        return json_true();

    case TICKET_JV_FALSE:
        return json_false();

    default:
        return json_null();
    }
}


const ticket_jv_t *
ticket_json_path(const ticket_jv_t *obj, const char *path, size_t len)
{
    size_t              n;
    const ticket_jv_t  *value;
    const char         *p, *end, *dot;

    if (obj == NULL || path == NULL || len == 0) {
        return NULL;
    }

    /*
     * A member named exactly so comes first: namespaced claims hold dots
     * (Auth0's "https://example.com/roles"); only then a dotted path.
     */

    value = ticket_jv_getn(obj, path, len);
    if (value != NULL) {
        return value;
    }

    p = path;
    end = path + len;

    for ( ;; ) {
        dot = memchr(p, '.', (size_t) (end - p));
        n = (size_t) ((dot ? dot : end) - p);

        if (n == 0) {
            return NULL;
        }

        obj = ticket_jv_getn(obj, p, n);
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
ticket_json_text(const ticket_jv_t *value, char *buf, size_t size)
{
    size_t              off;
    uint32_t            i;
    const ticket_jv_t  *elt;

    if (value == NULL) {
        return 0;
    }

    switch (value->vtype) {

    case TICKET_JV_STRING:
        return ticket_json_put(buf, size, 0, value->u.s, value->n);

    case TICKET_JV_NULL:
        return 0;

    case TICKET_JV_ARRAY:
        ticket_jv_foreach(value, i, elt) {
            if (elt->vtype != TICKET_JV_STRING) {
                return ticket_jv_json(value, buf, size);
            }
        }

        off = 0;

        ticket_jv_foreach(value, i, elt) {
            if (i > 0) {
                off = ticket_json_put(buf, size, off, ",", 1);
            }

            off = ticket_text_element(buf, size, off, elt->u.s, elt->n);
        }

        return off;

    default:
        /* numbers, booleans, objects: JSON */
        return ticket_jv_json(value, buf, size);
    }
}


/*
 * The value's nodes in document order, without recursion: nest[] holds
 * the containers entered and not yet closed (where each one's nodes end,
 * and whether it is an object), at most TICKET_MAX_DEPTH of them, as the
 * parser nests.  After each value: the containers that end there are
 * closed, then "," unless one was just opened, then the member's name.
 */

size_t
ticket_jv_json(const ticket_jv_t *v, char *buf, size_t size)
{
    int                 first;
    char                num[32];
    size_t              off, n;
    unsigned            depth;
    const ticket_jv_t  *p;

    struct {
        const ticket_jv_t  *end;
        int                 object;
    }                   nest[TICKET_MAX_DEPTH];

    if (v == NULL) {
        return 0;
    }

    p = v;
    off = 0;
    depth = 0;

    for ( ;; ) {
        first = 0;

        switch (p->vtype) {

        case TICKET_JV_OBJECT:
        case TICKET_JV_ARRAY:
            if (depth == TICKET_MAX_DEPTH) {
                return 0;
            }

            nest[depth].end = p + p->span;
            nest[depth].object = (p->vtype == TICKET_JV_OBJECT);
            depth++;
            first = 1;

            off = ticket_json_put(buf, size, off,
                                  p->vtype == TICKET_JV_OBJECT ? "{" : "[",
                                  1);
            break;

        case TICKET_JV_STRING:
            off = ticket_jv_json_string(buf, size, off, p->u.s, p->n);
            if (off == 0) {
                return 0;
            }

            break;

        case TICKET_JV_INTEGER:
            n = (size_t) snprintf(num, sizeof(num),
                                  "%" JSON_INTEGER_FORMAT,
                                  (json_int_t) p->u.i);
            if (n >= sizeof(num)) {
                return 0;
            }

            off = ticket_json_put(buf, size, off, num, n);
            break;

        case TICKET_JV_REAL:
            n = ticket_jv_json_real(num, sizeof(num), p->u.d);
            if (n == 0) {
                return 0;
            }

            off = ticket_json_put(buf, size, off, num, n);
            break;

        case TICKET_JV_TRUE:
            off = ticket_json_put(buf, size, off, "true", 4);
            break;

        case TICKET_JV_FALSE:
            off = ticket_json_put(buf, size, off, "false", 5);
            break;

        case TICKET_JV_NULL:
            off = ticket_json_put(buf, size, off, "null", 4);
            break;

        default:
            return 0;
        }

        p++;

        while (depth > 0 && p == nest[depth - 1].end) {
            depth--;
            first = 0;
            off = ticket_json_put(buf, size, off,
                                  nest[depth].object ? "}" : "]", 1);
        }

        if (depth == 0) {
            return off;
        }

        if (!first) {
            off = ticket_json_put(buf, size, off, ",", 1);
        }

        if (nest[depth - 1].object) {
            off = ticket_jv_json_string(buf, size, off, p->u.s, p->n);
            if (off == 0) {
                return 0;
            }

            off = ticket_json_put(buf, size, off, ":", 1);
            p++;
        }
    }
}


/*
 * A string as jansson's dump_string() writes it without JSON_ENSURE_ASCII
 * or JSON_ESCAPE_SLASH (not as ticket_json_escape_out() does): '"', '\\',
 * \b \f \n \r \t, the other bytes below 0x20 as \u00XX in capitals; DEL,
 * '/' and UTF-8 as they are.  Returns the offset after the closing quote,
 * or 0 if s is not valid UTF-8 (jansson's dump fails then).
 */

static size_t
ticket_jv_json_string(char *buf, size_t size, size_t off, const char *s,
    size_t len)
{
    char                  esc[6];
    size_t                i, run, n;
    unsigned char         c;
    const unsigned char  *p;

    static const char     hex[] = "0123456789ABCDEF";
    static const char     letter[0x20] = {
        ['\b'] = 'b', ['\t'] = 't', ['\n'] = 'n', ['\f'] = 'f', ['\r'] = 'r'
    };

    p = (const unsigned char *) s;
    run = 0;
    i = 0;

    off = ticket_json_put(buf, size, off, "\"", 1);

    while (i < len) {
        c = p[i];

        if (c >= 0x80) {
            n = ticket_utf8_len(p + i, len - i);
            if (n == 0) {
                return 0;
            }

            i += n;
            continue;
        }

        if (ticket_json_class[c] != 0) {
            i++;
            continue;
        }

        off = ticket_json_put(buf, size, off, s + run, i - run);

        /* '"' and '\\' after a '\\', a control byte as its letter or
         * as \u00XX */

        esc[0] = '\\';
        esc[1] = (c < 0x20) ? letter[c] : (char) c;
        n = 2;

        if (esc[1] == '\0') {
            memcpy(esc + 1, "u00", 3);
            esc[4] = hex[c >> 4];
            esc[5] = hex[c & 0x0f];
            n = 6;
        }

        off = ticket_json_put(buf, size, off, esc, n);
        run = ++i;
    }

    off = ticket_json_put(buf, size, off, s + run, len - run);

    return ticket_json_put(buf, size, off, "\"", 1);
}


/*
 * A real as jansson 2.14's jsonp_dtostr() writes it with TICKET_JSON_REALS
 * (TICKET_JSON_REAL_DIGITS significant digits): "%.*g", the locale's
 * decimal point as '.', ".0" added when there is neither '.' nor 'e',
 * then the exponent without '+' and without leading zeros (e+300 as
 * e300, e-08 as e-8; -0 as "-0.0").  The length, or 0 if it does not
 * fit.
 */

static size_t
ticket_jv_json_real(char *num, size_t size, double d)
{
    int    n;
    char  *e, *digits, *end, point;

    n = snprintf(num, size, "%.*g", TICKET_JSON_REAL_DIGITS, d);
    if (n < 0 || (size_t) n + 2 >= size) {
        return 0;
    }

    point = localeconv()->decimal_point[0];

    if (point != '.' && point != '\0') {
        e = strchr(num, point);
        if (e != NULL) {
            *e = '.';
        }
    }

    e = strchr(num, 'e');

    if (e == NULL) {
        if (strchr(num, '.') == NULL) {
            memcpy(num + n, ".0", 3);
            n += 2;
        }

        return (size_t) n;
    }

    digits = e + 1;

    if (*digits == '-') {
        digits++;
    }

    for (end = digits; *end == '+' || *end == '0'; end++) { /* void */ }

    memmove(digits, end, (size_t) (num + n - end) + 1);

    return (size_t) n - (size_t) (end - digits);
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

    ticket_json_out_init(&out, NULL, NULL);
    ticket_json_escape_out(&out, s, len);

    return ticket_json_out_length(&out);
}


char *
ticket_json_escape(char *dst, const char *s, size_t len)
{
    ticket_json_out_t  out;

    ticket_json_out_init(&out, dst, NULL);
    ticket_json_escape_out(&out, s, len);

    return out.pos;
}


void
ticket_json_out_count(ticket_json_out_t *out, size_t n)
{
    if (out->pos != NULL) {
        /* a bounded write ran out: what it wrote counts, then the rest */
        out->len = (size_t) (out->pos - out->start);
        out->pos = NULL;
    }

    /* saturates: a count that wrapped would let the writer overrun */
    out->len = (n > SIZE_MAX - out->len) ? SIZE_MAX : out->len + n;
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
ticket_json_escape_from(ticket_json_out_t *out, const char *s, size_t len,
    size_t i)
{
    char                  esc[6];
    size_t                run, n, stop;
    uint64_t              x;
    unsigned char         c;
    const unsigned char  *p;

    p = (const unsigned char *) s;
    run = 0;

    if (i > len) {
        i = 0;                          /* never copy a byte unlooked at */
    }

    /* bytes that stay as they are are copied in runs, [run, i) */

    while (i < len) {

        /*
         * Eight bytes at a time while none needs a look, the usual case
         * (names, addresses, paths); else the next eight byte by byte (a
         * character may end past them).
         */

        if (len - i >= 8) {
            memcpy(&x, p + i, 8);

            if (ticket_json_plain8(x)) {
                i += 8;
                continue;
            }

            stop = i + 8;

        } else {
            stop = len;
        }

        while (i < stop) {
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
    }

    ticket_json_out(out, s + run, len - run);
}



