
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


static inline int
fuzz_all_strings(json_t *v)
{
    size_t   i;
    json_t  *elt;

    if (!json_is_array(v)) {
        return 0;
    }

    json_array_foreach(v, i, elt) {
        if (!json_is_string(elt)) {
            return 0;
        }
    }

    return 1;
}


/* a string member as ticket_parse() hands it out: the JSON's own bytes */

static inline void
fuzz_check_str(json_t *obj, const char *name, const ticket_str_t *s,
    int nonempty)
{
    json_t  *v;

    v = json_object_get(obj, name);

    if (v == NULL) {
        FUZZ_CHECK(s->data == NULL && s->len == 0);
        return;
    }

    FUZZ_CHECK(json_is_string(v));
    FUZZ_CHECK(s->data == json_string_value(v));
    FUZZ_CHECK(s->len == json_string_length(v));
    FUZZ_CHECK(strlen(s->data) == s->len);          /* no NUL inside */
    FUZZ_CHECK(!nonempty || s->len > 0);
}


static inline void
fuzz_expect_time(json_t *obj, const char *name, int64_t v)
{
    json_t  *j;

    j = json_object_get(obj, name);

    FUZZ_CHECK(json_is_integer(j) || json_is_real(j));
    FUZZ_CHECK(v >= 0 && v <= TICKET_MAX_TIME);

    if (json_is_integer(j)) {
        FUZZ_CHECK(v == (int64_t) json_integer_value(j));

    } else {
        FUZZ_CHECK((double) v <= json_real_value(j)
                   && json_real_value(j) < (double) v + 1.0);
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
    size_t        i, n;
    json_t       *elt;
    const char   *p, *end, *w;
    ticket_str_t  s;

    if (json_is_array(t->roles)) {
        FUZZ_CHECK(t->roles_list.n == json_array_size(t->roles));

        json_array_foreach(t->roles, i, elt) {
            FUZZ_CHECK(t->roles_list.values[i].data
                       == json_string_value(elt));
            FUZZ_CHECK(t->roles_list.values[i].len
                       == json_string_length(elt));
        }

    } else if (json_is_string(t->roles)) {
        p = json_string_value(t->roles);
        end = p + json_string_length(t->roles);
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

    if (json_is_array(t->aud)) {
        FUZZ_CHECK(t->aud_list.n == json_array_size(t->aud));

        json_array_foreach(t->aud, i, elt) {
            FUZZ_CHECK(t->aud_list.values[i].data == json_string_value(elt));
        }

    } else if (json_is_string(t->aud)) {
        FUZZ_CHECK(t->aud_list.n == 1
                   && t->aud_list.values[0].data == json_string_value(t->aud)
                   && t->aud_list.values[0].len
                      == json_string_length(t->aud));

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

    FUZZ_CHECK(r.claims == NULL || json_equal(r.claims, t->claims));
    FUZZ_CHECK(ticket_authorize(&r, p) == ticket_authorize(t, p));

    ticket_free(&r);

    /* the claims decoded from the token are the ones it was parsed with */

    FUZZ_CHECK(ticket_snapshot_restore(&r, buf, len, token, tlen) == 0);
    FUZZ_CHECK(ticket_claims_load(&r) == 0);
    FUZZ_CHECK(r.payload_len == t->payload_len
               && memcmp(r.payload, t->payload, r.payload_len) == 0
               && json_equal(r.claims, t->claims));
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
    json_t      *v;
    const char  *path;
    size_t       path_len;

    FUZZ_CHECK(json_is_object(t->header));
    FUZZ_CHECK(json_is_object(t->claims));
    FUZZ_CHECK(t->sig != NULL);

    FUZZ_CHECK(t->signing_input == token);
    FUZZ_CHECK(t->signing_input_len < len);
    FUZZ_CHECK(token[t->signing_input_len] == '.');

    /* header */

    FUZZ_CHECK(json_object_get(t->header, "crit") == NULL);
    FUZZ_CHECK(json_object_get(t->header, "jku") == NULL);
    FUZZ_CHECK(json_object_get(t->header, "jwk") == NULL);
    FUZZ_CHECK(json_object_get(t->header, "x5u") == NULL);
    FUZZ_CHECK(json_object_get(t->header, "x5c") == NULL);

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
                && strcmp(t->kind_name.data, "user") == 0)
               || (t->kind == TICKET_KIND_SERVICE
                   && strcmp(t->kind_name.data, "service") == 0));

    FUZZ_CHECK(t->tenant.data == NULL
               || memchr(t->tenant.data, '/', t->tenant.len) == NULL);

    fuzz_expect_time(t->claims, "iat", t->iat);
    fuzz_expect_time(t->claims, "exp", t->exp);

    if (t->has_nbf) {
        fuzz_expect_time(t->claims, "nbf", t->nbf);

    } else {
        FUZZ_CHECK(json_object_get(t->claims, "nbf") == NULL);
    }

    v = json_object_get(t->claims, "aud");
    FUZZ_CHECK(t->aud == v);
    FUZZ_CHECK(v == NULL || json_is_string(v) || fuzz_all_strings(v));

    if (roles_path != NULL && roles_path->len != 0) {
        path = roles_path->data;
        path_len = roles_path->len;

    } else {
        path = "roles";
        path_len = 5;
    }

    v = ticket_json_path(t->claims, path, path_len);
    FUZZ_CHECK(t->roles == v);
    FUZZ_CHECK(v == NULL || json_is_string(v) || fuzz_all_strings(v));

    fuzz_check_lists(t);

    FUZZ_CHECK(t->payload != NULL && !t->restored);
}


#endif /* FUZZ_H_INCLUDED_ */
