
/*
 * Shared by the fuzz targets (as OpenSSL's fuzz/fuzzer.h): invariant
 * checks that abort, so that libFuzzer and the replay main both see a
 * broken promise as a crash.  Each target is one file and defines
 * LLVMFuzzerTestOneInput(); replay.c or libFuzzer provides main().
 */

#ifndef FUZZ_H_INCLUDED_
#define FUZZ_H_INCLUDED_


#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ticket.h>
#include <ticket_compat.h>


int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);


#define FUZZ_CHECK(cond)                                                     \
    do {                                                                     \
        if (!(cond)) {                                                       \
            fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__,       \
                    __LINE__, #cond);                                        \
            abort();                                                         \
        }                                                                    \
    } while (0)


/*
 * Well-formed UTF-8 (RFC 3629), derived another way than the checker it
 * holds to account (core's byte-range table): each sequence decoded by
 * its length from the lead byte, then refused if it is overlong, a
 * surrogate or above U+10FFFF.  A mistake shared by the two is unlikely.
 */

static inline int
fuzz_utf8_valid(const unsigned char *p, size_t n)
{
    size_t          i, len, k;
    unsigned long   cp;

    static const unsigned long  least[5] = { 0, 0, 0x80, 0x800, 0x10000 };

    for (i = 0; i < n; i += len) {
        if ((p[i] & 0x80) == 0) {
            len = 1;
            continue;
        }

        if ((p[i] & 0xe0) == 0xc0) {
            len = 2;
            cp = p[i] & 0x1f;
        } else if ((p[i] & 0xf0) == 0xe0) {
            len = 3;
            cp = p[i] & 0x0f;
        } else if ((p[i] & 0xf8) == 0xf0) {
            len = 4;
            cp = p[i] & 0x07;
        } else {
            return 0;       /* a continuation byte, or 0xf8 and above */
        }

        if (n - i < len) {
            return 0;
        }

        for (k = 1; k < len; k++) {
            if ((p[i + k] & 0xc0) != 0x80) {
                return 0;
            }

            cp = (cp << 6) | (p[i + k] & 0x3f);
        }

        if (cp < least[len] || cp > 0x10ffff
            || (cp >= 0xd800 && cp <= 0xdfff))
        {
            return 0;
        }
    }

    return 1;
}


/* an error message fit for one log line: NUL-terminated, non-empty,
 * printable ASCII only */

static inline int
fuzz_one_line(const char *s, size_t size)
{
    size_t  i;

    if (memchr(s, '\0', size) == NULL || s[0] == '\0') {
        return 0;
    }

    for (i = 0; s[i] != '\0'; i++) {
        if ((unsigned char) s[i] < 0x20 || (unsigned char) s[i] > 0x7e) {
            return 0;
        }
    }

    return 1;
}


/*
 * Flat JSON nodes (ticket_jv_t).  The type is read through ticket_jv_is()
 * only: fuzz_jv_kind() is the node's type, 0 if it is none of them.
 */

static inline int
fuzz_jv_kind(const ticket_jv_t *v)
{
    int  k;

    for (k = TICKET_JV_OBJECT; k <= TICKET_JV_NULL; k++) {
        if (ticket_jv_is(v, k)) {
            return k;
        }
    }

    return 0;
}


/* an object's members: k the name's node, v the value's first node */

#define fuzz_jv_members(obj, i, k, v)                                        \
    for ((i) = 0, (k) = (obj) + 1, (v) = (k) + 1; (i) < (obj)->n;            \
         (i)++, (k) = (v) + (v)->span, (v) = (k) + 1)


/* a string node's bytes are exactly s (len bytes) */

static inline int
fuzz_jv_str_is(const ticket_jv_t *v, const char *s, size_t len)
{
    return ticket_jv_is_string(v) && v->n == len
           && (len == 0 || memcmp(v->u.s, s, len) == 0);
}


/*
 * Two documents parsed from the same bytes are the same nodes, one for
 * one: types, counts, spans, string bytes, numbers.
 */

static inline int
fuzz_jv_same(const ticket_jv_t *a, const ticket_jv_t *b)
{
    uint32_t  i;

    if (a == NULL || b == NULL) {
        return a == b;
    }

    if (a->span != b->span) {
        return 0;
    }

    for (i = 0; i < a->span; i++) {
        if (fuzz_jv_kind(&a[i]) != fuzz_jv_kind(&b[i])
            || a[i].n != b[i].n || a[i].span != b[i].span)
        {
            return 0;
        }

        if (ticket_jv_is_string(&a[i])
            && a[i].n != 0 && memcmp(a[i].u.s, b[i].u.s, a[i].n) != 0)
        {
            return 0;
        }

        if (ticket_jv_is(&a[i], TICKET_JV_INTEGER)
            && a[i].u.i != b[i].u.i)
        {
            return 0;
        }

        if (ticket_jv_is(&a[i], TICKET_JV_REAL)
            && memcmp(&a[i].u.d, &b[i].u.d, sizeof(double)) != 0)
        {
            return 0;
        }
    }

    return 1;
}


/* the same as jansson sees them: both converted, json_equal() */

static inline int
fuzz_jv_equal(const ticket_jv_t *a, const ticket_jv_t *b)
{
    int      eq;
    json_t  *ja, *jb;

    if (a == NULL || b == NULL) {
        return a == b;
    }

    ja = ticket_jv_to_json(a);
    jb = ticket_jv_to_json(b);
    FUZZ_CHECK(ja != NULL && jb != NULL);

    eq = json_equal(ja, jb);

    json_decref(ja);
    json_decref(jb);

    return eq;
}


/*
 * ticket_jv_json() against what it replaced in the claim text: jansson's
 * json_dumps() of the same value with JSON_ENCODE_ANY|JSON_COMPACT|
 * TICKET_JSON_REALS, byte for byte, sized then written into exactly that
 * many bytes; and ticket_json_text() the same text wherever it writes
 * JSON (not a string, null or a list of strings).  jansson 2.15 and
 * later write 1e16 <= |x| < 1e17 otherwise ("1e16", core/ticket_compat.h):
 * there the text must read back as an equal value instead.
 */

static inline int fuzz_all_strings(const ticket_jv_t *v);

static inline void
fuzz_check_jv_json(const ticket_jv_t *v)
{
    char          *dump, *buf;
    size_t         len;
    json_t        *json, *back;
    json_error_t   error;

    static int     shortest = -1;

    if (shortest == -1) {
        shortest = jansson_version_cmp(2, 15, 0) >= 0;
    }

    json = ticket_jv_to_json(v);
    FUZZ_CHECK(json != NULL);

    /* parsed strings are valid UTF-8: jansson's dump cannot fail */

    dump = json_dumps(json, JSON_ENCODE_ANY|JSON_COMPACT|TICKET_JSON_REALS);
    FUZZ_CHECK(dump != NULL);

    len = ticket_jv_json(v, NULL, 0);
    FUZZ_CHECK(len > 0);

    buf = malloc(2 * len);
    FUZZ_CHECK(buf != NULL);
    FUZZ_CHECK(ticket_jv_json(v, buf, len) == len);

    if (!shortest) {
        if (len != strlen(dump) || memcmp(buf, dump, len) != 0) {
            fprintf(stderr, "fuzz: ticket_jv_json() wrote %.*s\n"
                    "fuzz: jansson wrote              %s\n",
                    (int) len, buf, dump);
        }

        FUZZ_CHECK(len == strlen(dump) && memcmp(buf, dump, len) == 0);

    } else {
        back = json_loadb(buf, len, JSON_DECODE_ANY, &error);
        FUZZ_CHECK(back != NULL && json_equal(back, json));
        json_decref(back);
    }

    if (!ticket_jv_is_string(v) && !ticket_jv_is(v, TICKET_JV_NULL)
        && !fuzz_all_strings(v))
    {
        FUZZ_CHECK(ticket_json_text(v, NULL, 0) == len);
        FUZZ_CHECK(ticket_json_text(v, buf + len, len) == len);
        FUZZ_CHECK(memcmp(buf + len, buf, len) == 0);
    }

    free(buf);
    free(dump);
    json_decref(json);
}


static inline int
fuzz_all_strings(const ticket_jv_t *v)
{
    uint32_t            i;
    const ticket_jv_t  *elt;

    if (!ticket_jv_is_array(v)) {
        return 0;
    }

    ticket_jv_foreach(v, i, elt) {
        if (!ticket_jv_is_string(elt)) {
            return 0;
        }
    }

    return 1;
}


/* a string member as ticket_parse() hands it out: the JSON's own bytes
 * (never NUL-terminated now: no NUL inside, checked by length) */

static inline void
fuzz_check_str(const ticket_jv_t *obj, const char *name,
    const ticket_str_t *s, int nonempty)
{
    const ticket_jv_t  *v;

    v = ticket_jv_get(obj, name);

    if (v == NULL) {
        FUZZ_CHECK(s->data == NULL && s->len == 0);
        return;
    }

    FUZZ_CHECK(ticket_jv_is_string(v));
    FUZZ_CHECK(s->data == v->u.s);
    FUZZ_CHECK(s->len == v->n);
    FUZZ_CHECK(s->data != NULL);
    FUZZ_CHECK(memchr(s->data, '\0', s->len) == NULL);     /* no NUL */
    FUZZ_CHECK(!nonempty || s->len > 0);
}


static inline void
fuzz_expect_time(const ticket_jv_t *obj, const char *name, int64_t v)
{
    const ticket_jv_t  *j;

    j = ticket_jv_get(obj, name);

    FUZZ_CHECK(ticket_jv_is(j, TICKET_JV_INTEGER)
               || ticket_jv_is(j, TICKET_JV_REAL));
    FUZZ_CHECK(v >= 0 && v <= TICKET_MAX_TIME);

    if (ticket_jv_is(j, TICKET_JV_INTEGER)) {
        FUZZ_CHECK(v == j->u.i);

    } else {
        FUZZ_CHECK((double) v <= j->u.d && j->u.d < (double) v + 1.0);
    }
}


static inline int
fuzz_same_str(const ticket_str_t *a, const ticket_str_t *b)
{
    if (a->data == NULL || b->data == NULL) {
        return a->data == NULL && b->data == NULL && a->len == 0
               && b->len == 0;
    }

    return a->len == b->len
           && (a->len == 0 || memcmp(a->data, b->data, a->len) == 0);
}


/* roles_list and aud_list: the words of a roles string, the strings of
 * an array, in order */

static inline void
fuzz_check_lists(const ticket_t *t)
{
    size_t              n;
    uint32_t            i;
    const char         *p, *end, *w;
    ticket_str_t        s;
    const ticket_jv_t  *elt;

    if (ticket_jv_is_array(t->roles)) {
        FUZZ_CHECK(t->roles_list.n == t->roles->n);

        ticket_jv_foreach(t->roles, i, elt) {
            FUZZ_CHECK(ticket_jv_is_string(elt));
            FUZZ_CHECK(t->roles_list.values[i].data == elt->u.s);
            FUZZ_CHECK(t->roles_list.values[i].len == elt->n);
        }

    } else if (ticket_jv_is_string(t->roles)) {
        p = t->roles->u.s;
        end = p + t->roles->n;
        n = 0;

        while (p < end) {
            while (p < end && *p == ' ') { p++; }
            w = p;
            while (p < end && *p != ' ') { p++; }

            if (p > w) {
                FUZZ_CHECK(n < t->roles_list.n);
                s.data = w;
                s.len = (size_t) (p - w);
                FUZZ_CHECK(fuzz_same_str(&t->roles_list.values[n], &s));
                n++;
            }
        }

        FUZZ_CHECK(n == t->roles_list.n);

    } else {
        FUZZ_CHECK(t->roles_list.n == 0);
    }

    for (i = 0; i < t->roles_list.n; i++) {
        FUZZ_CHECK(t->roles_list.values[i].data != NULL);
    }

    if (ticket_jv_is_array(t->aud)) {
        FUZZ_CHECK(t->aud_list.n == t->aud->n);

        ticket_jv_foreach(t->aud, i, elt) {
            FUZZ_CHECK(ticket_jv_is_string(elt));
            FUZZ_CHECK(t->aud_list.values[i].data == elt->u.s);
            FUZZ_CHECK(t->aud_list.values[i].len == elt->n);
        }

    } else if (ticket_jv_is_string(t->aud)) {
        FUZZ_CHECK(t->aud_list.n == 1
                   && t->aud_list.values[0].data == t->aud->u.s
                   && t->aud_list.values[0].len == t->aud->n);

    } else {
        FUZZ_CHECK(t->aud_list.n == 0);
    }
}


/*
 * A verified ticket through the verified-ticket cache: its snapshot
 * restores to the same typed claims and the same decisions; the same
 * snapshot with any byte changed (noise) is refused or restores without
 * reading past it.
 */

static inline void
fuzz_check_snapshot(const ticket_t *t, const char *token, size_t tlen,
    const ticket_policy_t *p, const uint8_t *noise, size_t nlen)
{
    size_t          i, len;
    ticket_t        r;
    unsigned char  *buf;

    len = ticket_snapshot_len(t);
    FUZZ_CHECK(len > 0 && len % 8 == 0);

    buf = malloc(len);           /* malloc() aligns for any type */
    FUZZ_CHECK(buf != NULL);

    ticket_snapshot_write(buf, t);

    /* restore and parse keep r's allocator: r starts zeroed */

    ticket_init(&r);

    FUZZ_CHECK(ticket_snapshot_restore(&r, buf, len, token, tlen) == 0);
    FUZZ_CHECK(r.restored && r.claims == NULL && r.header == NULL
               && r.payload == NULL);

    FUZZ_CHECK(fuzz_same_str(&r.sub, &t->sub));
    FUZZ_CHECK(fuzz_same_str(&r.kind_name, &t->kind_name));
    FUZZ_CHECK(fuzz_same_str(&r.jti, &t->jti));
    FUZZ_CHECK(fuzz_same_str(&r.iss, &t->iss));
    FUZZ_CHECK(fuzz_same_str(&r.tenant, &t->tenant));
    FUZZ_CHECK(fuzz_same_str(&r.sid, &t->sid));
    FUZZ_CHECK(fuzz_same_str(&r.kid, &t->kid));
    FUZZ_CHECK(fuzz_same_str(&r.alg_name, &t->alg_name));
    FUZZ_CHECK(fuzz_same_str(&r.typ, &t->typ));
    FUZZ_CHECK(r.alg == t->alg && r.kind == t->kind);
    FUZZ_CHECK(r.iat == t->iat && r.exp == t->exp);
    FUZZ_CHECK(r.has_nbf == t->has_nbf && (!r.has_nbf || r.nbf == t->nbf));

    FUZZ_CHECK(r.roles_list.n == t->roles_list.n);
    for (i = 0; i < r.roles_list.n; i++) {
        FUZZ_CHECK(fuzz_same_str(&r.roles_list.values[i],
                                 &t->roles_list.values[i]));
    }

    FUZZ_CHECK(r.aud_list.n == t->aud_list.n);
    for (i = 0; i < r.aud_list.n; i++) {
        FUZZ_CHECK(fuzz_same_str(&r.aud_list.values[i],
                                 &t->aud_list.values[i]));
    }

    /* the same decisions, claims parsed on demand as the gateway does */

    FUZZ_CHECK(ticket_excess_privilege(&r, p)
               == ticket_excess_privilege(t, p));

    if (p->nclaim_reqs) {
        FUZZ_CHECK(ticket_claims_load(&r) == 0);
    }

    FUZZ_CHECK(r.claims == NULL
               || (fuzz_jv_same(r.claims, t->claims)
                   && fuzz_jv_equal(r.claims, t->claims)));
    FUZZ_CHECK(ticket_authorize(&r, p) == ticket_authorize(t, p));

    ticket_free(&r);

    /* the claims decoded from the token are the ones it was parsed with */

    FUZZ_CHECK(ticket_snapshot_restore(&r, buf, len, token, tlen) == 0);
    FUZZ_CHECK(ticket_claims_load(&r) == 0);
    FUZZ_CHECK(r.payload_len == t->payload_len
               && memcmp(r.payload, t->payload, r.payload_len) == 0
               && fuzz_jv_same(r.claims, t->claims)
               && fuzz_jv_equal(r.claims, t->claims));
    ticket_free(&r);

    /* damaged: one byte changed, then cut short */

    if (nlen > 0) {
        buf[noise[0] % len] ^= (unsigned char) (nlen > 1 ? noise[1] | 1 : 1);

        if (ticket_snapshot_restore(&r, buf, len, token, tlen) == 0) {
            (void) ticket_excess_privilege(&r, p);
            (void) ticket_claims_load(&r);
            (void) ticket_authorize(&r, p);
        }

        ticket_free(&r);
    }

    FUZZ_CHECK(ticket_snapshot_restore(&r, buf, len - 8, token, tlen) == -1);
    ticket_free(&r);

    free(buf);
}


/*
 * What ticket_parse() promises of a ticket it returned TICKET_OK for:
 * every claim the later checks read is there and of its type.
 */

static inline void
fuzz_check_parsed(const ticket_t *t, const char *token, size_t len,
    const ticket_str_t *roles_path)
{
    size_t              path_len;
    const char         *path;
    const ticket_jv_t  *v;

    FUZZ_CHECK(ticket_jv_is(t->header, TICKET_JV_OBJECT));
    FUZZ_CHECK(ticket_jv_is(t->claims, TICKET_JV_OBJECT));
    FUZZ_CHECK(t->sig != NULL);

    FUZZ_CHECK(t->signing_input == token);
    FUZZ_CHECK(t->signing_input_len < len);
    FUZZ_CHECK(token[t->signing_input_len] == '.');

    /* header */

    FUZZ_CHECK(ticket_jv_get(t->header, "crit") == NULL);
    FUZZ_CHECK(ticket_jv_get(t->header, "jku") == NULL);
    FUZZ_CHECK(ticket_jv_get(t->header, "jwk") == NULL);
    FUZZ_CHECK(ticket_jv_get(t->header, "x5u") == NULL);
    FUZZ_CHECK(ticket_jv_get(t->header, "x5c") == NULL);

    fuzz_check_str(t->header, "alg", &t->alg_name, 0);
    FUZZ_CHECK(t->alg_name.data != NULL);
    FUZZ_CHECK(t->alg == ticket_alg_from_name(t->alg_name.data,
                                              t->alg_name.len));
    fuzz_check_str(t->header, "kid", &t->kid, 0);
    fuzz_check_str(t->header, "typ", &t->typ, 0);

    /* claims */

    fuzz_check_str(t->claims, "sub", &t->sub, 1);
    fuzz_check_str(t->claims, "jti", &t->jti, 1);
    fuzz_check_str(t->claims, "iss", &t->iss, 0);
    fuzz_check_str(t->claims, "tenant", &t->tenant, 1);
    fuzz_check_str(t->claims, "sid", &t->sid, 1);

    FUZZ_CHECK(t->sub.data != NULL && t->jti.data != NULL);

    FUZZ_CHECK((t->kind == TICKET_KIND_USER
                && t->kind_name.len == 4
                && memcmp(t->kind_name.data, "user", 4) == 0)
               || (t->kind == TICKET_KIND_SERVICE
                   && t->kind_name.len == 7
                   && memcmp(t->kind_name.data, "service", 7) == 0));

    FUZZ_CHECK(t->tenant.data == NULL
               || memchr(t->tenant.data, '/', t->tenant.len) == NULL);

    fuzz_expect_time(t->claims, "iat", t->iat);
    fuzz_expect_time(t->claims, "exp", t->exp);

    if (t->has_nbf) {
        fuzz_expect_time(t->claims, "nbf", t->nbf);

    } else {
        FUZZ_CHECK(ticket_jv_get(t->claims, "nbf") == NULL);
    }

    v = ticket_jv_get(t->claims, "aud");
    FUZZ_CHECK(t->aud == v);
    FUZZ_CHECK(v == NULL || ticket_jv_is_string(v) || fuzz_all_strings(v));

    if (roles_path != NULL && roles_path->len != 0) {
        path = roles_path->data;
        path_len = roles_path->len;

    } else {
        path = "roles";
        path_len = 5;
    }

    v = ticket_json_path(t->claims, path, path_len);
    FUZZ_CHECK(t->roles == v);
    FUZZ_CHECK(v == NULL || ticket_jv_is_string(v) || fuzz_all_strings(v));

    fuzz_check_lists(t);

    FUZZ_CHECK(t->payload != NULL && !t->restored);
}


#endif /* FUZZ_H_INCLUDED_ */
