
/*
 * JSON as tickets use it: a strict parser, dotted claim paths, and the
 * text of a claim value for variables and headers.
 */

#ifndef TICKET_JSON_H_INCLUDED_
#define TICKET_JSON_H_INCLUDED_


#include <stdint.h>
#include <string.h>

#include "ticket_types.h"


/*
 * Strict JSON: an object at the top, no duplicate member names, no NUL
 * escapes, valid UTF-8, nesting at most TICKET_MAX_DEPTH.  Parsed flat
 * (ticket_jv_t) into a's memory, strings pointing into buf where they
 * hold no escape: buf and a's memory must outlive the nodes.  The root
 * object, or NULL.
 */
const ticket_jv_t *ticket_jv_parse(const char *buf, size_t len,
    const ticket_alloc_t *a);

/* the same rules, as jansson values: for code off the request path */
json_t *ticket_json_parse_object(const char *buf, size_t len);

/* v as a jansson value (a new reference), or NULL */
json_t *ticket_jv_to_json(const ticket_jv_t *v);

/* the member of obj named name (len bytes); NULL if none or no object */
const ticket_jv_t *ticket_jv_getn(const ticket_jv_t *obj, const char *name,
    size_t len);

/* by a C string: inline, so that a literal name's length is a constant */
static inline const ticket_jv_t *
ticket_jv_get(const ticket_jv_t *obj, const char *name)
{
    return ticket_jv_getn(obj, name, strlen(name));
}


#define ticket_jv_is(v, t)        ((v) != NULL && (v)->vtype == (t))
#define ticket_jv_is_string(v)    ticket_jv_is(v, TICKET_JV_STRING)
#define ticket_jv_is_array(v)     ticket_jv_is(v, TICKET_JV_ARRAY)

/* an array's elements: i counts, elt moves from one to the next */
#define ticket_jv_foreach(arr, i, elt)                                       \
    for ((i) = 0, (elt) = (arr) + 1; (i) < (arr)->n;                         \
         (i)++, (elt) += (elt)->span)

/*
 * A claim from an object by PATH: the member named exactly PATH when
 * there is one (Auth0's "https://example.com/roles"), else PATH as dotted
 * names ("realm_access.roles"); NULL if absent.
 */
const ticket_jv_t *ticket_json_path(const ticket_jv_t *obj, const char *path,
    size_t len);

/*
 * Text of a claim value for variables and headers: a string as it is,
 * a number and a boolean as JSON writes them, an array of strings
 * joined with "," (each element as ticket_text_element() writes it),
 * anything else compact JSON.  Returns the length needed; writes at most
 * size bytes to buf (buf may be NULL if size 0).
 */
size_t ticket_json_text(const ticket_jv_t *value, char *buf, size_t size);

/*
 * Any value as compact JSON, byte for byte as jansson 2.14's json_dumps()
 * with JSON_ENCODE_ANY|JSON_COMPACT|TICKET_JSON_REALS wrote it, without
 * jansson or malloc: members in document order, strings escaped as
 * jansson does (not as ticket_json_escape() does), reals with 17
 * significant digits.  Returns the length needed and writes as
 * ticket_json_text() does; 0 (nothing) for a string that is not valid
 * UTF-8, where jansson's dump failed too, or nesting deeper than the
 * parser allows.
 */
size_t ticket_jv_json(const ticket_jv_t *v, char *buf, size_t size);

/*
 * One element of a comma-joined list (array claims, $ticket_roles): ","
 * and "\" inside it as "\," and "\\", so that the list splits back
 * into exactly its elements ("reader,admin" stays one role).  Writes at
 * off as ticket_json_text() does; returns the offset after it.
 */
size_t ticket_text_element(char *buf, size_t size, size_t off,
    const char *s, size_t len);

/*
 * The one JSON string escaper: the body of a JSON string (no quotes) for
 * s: '"', '\\', control bytes (\n \r \t \b \f or \u00XX) and DEL as
 * \u007f, and a byte that is not part of valid UTF-8 as \ufffd.  Bytes
 * needed, and the writer, which returns the end of what it wrote.  s may
 * be NULL: nothing.
 */
size_t ticket_json_escape_len(const char *s, size_t len);
char *ticket_json_escape(char *dst, const char *s, size_t len);

/*
 * Writers run twice, as ngx_escape_json() is: first with pos NULL,
 * counting, then writing at pos, which moves on.  The count saturates at
 * SIZE_MAX.  ticket_json_out() adds bytes, ticket_json_escape_out() a
 * string's JSON body; the audit record is written with them.  Set one
 * up with ticket_json_out_init(); ticket_json_out_length() is the count,
 * or what was written.
 */

typedef struct {
    char                   *pos;          /* NULL: count only */
    char                   *end;          /* NULL: no bound; else a write
                                             that would pass it makes pos
                                             NULL: counting goes on */
    char                   *start;        /* where writing began */
    size_t                  len;          /* the count once pos is NULL;
                                             SIZE_MAX: too large */
} ticket_json_out_t;


static inline void
ticket_json_out_init(ticket_json_out_t *out, char *dst, char *end)
{
    out->pos = dst;
    out->end = end;
    out->start = dst;
    out->len = 0;
}


/* a count, or a write that ran out of room: counting from here on */
void ticket_json_out_count(ticket_json_out_t *out, size_t n);


/*
 * Inline: a record is some hundred pieces, most a few constant bytes.
 * While writing, only the bound is looked at (the length is pos - start).
 */

static inline void
ticket_json_out(ticket_json_out_t *out, const char *s, size_t n)
{
    if (n == 0) {
        return;
    }

    if (out->pos != NULL
        && (out->end == NULL || n <= (size_t) (out->end - out->pos)))
    {
        memcpy(out->pos, s, n);
        out->pos += n;
        return;
    }

    ticket_json_out_count(out, n);
}


/*
 * n <= 16 bytes of s, which has 16 to read: one fixed copy of 16 where a
 * bounded write has room for them (the bytes past n are written over by
 * the next piece or left past the end of the text).
 */

static inline void
ticket_json_out16(ticket_json_out_t *out, const char *s, size_t n)
{
    if (n <= 16 && out->pos != NULL && out->end != NULL
        && (size_t) (out->end - out->pos) >= 16)
    {
        memcpy(out->pos, s, 16);
        out->pos += n;
        return;
    }

    ticket_json_out(out, s, n);
}


static inline size_t
ticket_json_out_length(const ticket_json_out_t *out)
{
    return (out->pos != NULL) ? (size_t) (out->pos - out->start) : out->len;
}


/*
 * Whether all eight bytes of x (in any order) stay as they are in a JSON
 * string: none below 0x20, none above 0x7e (DEL and UTF-8 are looked at
 * one by one), no '"' and no '\\'.  Each test is exact for "some byte"
 * (the carries of one lane can only mark a lane above one that is
 * marked already), which is all that is asked.
 */

#define TICKET_JSON_ONES   0x0101010101010101ULL
#define TICKET_JSON_HIGHS  0x8080808080808080ULL

static inline int
ticket_json_plain8(uint64_t x)
{
    uint64_t  lo, hi, q, b;

    lo = (x - TICKET_JSON_ONES * 0x20) & ~x & TICKET_JSON_HIGHS;
    hi = (x + TICKET_JSON_ONES) | x;
    q = x ^ (TICKET_JSON_ONES * '"');
    q = (q - TICKET_JSON_ONES) & ~q;
    b = x ^ (TICKET_JSON_ONES * '\\');
    b = (b - TICKET_JSON_ONES) & ~b;

    return ((lo | hi | q | b) & TICKET_JSON_HIGHS) == 0;
}


/* the escaper's own loop, from i on; the bytes before i need no escape
 * (i beyond len: from 0) */
void ticket_json_escape_from(ticket_json_out_t *out, const char *s,
    size_t len, size_t i);


/*
 * A string's JSON body, escaped, bytes that are not UTF-8 replaced by
 * U+FFFD.  Inline: most strings (names, addresses, paths, ids) need no
 * escape and are tested eight bytes at a time, the last eight overlapping
 * the word before (four and four if shorter, then byte by byte), then
 * copied in one piece.
 * At the first that needs a look, ticket_json_escape_from() goes on.
 */

static inline void
ticket_json_escape_out(ticket_json_out_t *out, const char *s, size_t len)
{
    size_t          i;
    uint32_t        lo, hi;
    uint64_t        x;
    unsigned char   c;

    if (s == NULL) {
        return;
    }

    i = 0;

    if (len >= 8) {
        for ( /* void */ ; len - i >= 8; i += 8) {
            memcpy(&x, s + i, 8);

            if (!ticket_json_plain8(x)) {
                goto look;
            }
        }

        if (i < len) {
            memcpy(&x, s + len - 8, 8);

            if (!ticket_json_plain8(x)) {
                goto look;
            }
        }

    } else if (len >= 4) {
        /* the first four bytes and the last four, which may overlap */
        memcpy(&lo, s, 4);
        memcpy(&hi, s + len - 4, 4);

        if (!ticket_json_plain8((uint64_t) hi << 32 | lo)) {
            goto look;
        }

    } else {
        for ( /* void */ ; i < len; i++) {
            c = (unsigned char) s[i];

            if (c < 0x20 || c > 0x7e || c == '"' || c == '\\') {
                goto look;
            }
        }
    }

    ticket_json_out(out, s, len);
    return;

look:

    ticket_json_escape_from(out, s, len, i);
}

/*
 * The one UTF-8 check: the length of the well-formed character at p
 * (1 for ASCII, 2 to 4), at most n bytes; 0 if there is none (RFC 3629:
 * no overlongs, no surrogates, nothing past U+10FFFF).
 */
size_t ticket_utf8_len(const unsigned char *p, size_t n);


#endif /* TICKET_JSON_H_INCLUDED_ */
