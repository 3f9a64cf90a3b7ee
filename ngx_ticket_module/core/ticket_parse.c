
/*
 * A ticket's structure, header and claims, before any key is looked at.
 *
 * Nothing here trusts the ticket: every rule is checked on bytes an
 * attacker chose, and every claim the later checks read is typed here,
 * so that they never meet a claim of an unexpected type.
 */


#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "ticket_alloc.h"
#include "ticket_b64.h"
#include "ticket_json.h"
#include "ticket_parse.h"


static int ticket_decode_claims(ticket_t *t, const char *p, size_t plen);
static ticket_reason_t ticket_parse_header(ticket_t *t);
static ticket_reason_t ticket_parse_claims(ticket_t *t, const char *token,
    size_t len, const ticket_policy_t *p);
static ticket_reason_t ticket_parse_kind(ticket_t *t,
    const ticket_policy_t *p);
static ticket_reason_t ticket_parse_jti(ticket_t *t, const char *token,
    size_t len, const ticket_policy_t *p);
static int ticket_get_string(ticket_t *t, const ticket_jv_t *obj, const char *what,
    const char *name, int required, int nonempty, ticket_str_t *str);
static int ticket_get_time(ticket_t *t, const ticket_jv_t *obj, const char *name,
    int required, int64_t *v, int *present);
static ticket_reason_t ticket_malformed(ticket_t *t, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
static void ticket_why_name(char *dst, size_t size, const char *name,
    size_t len);
static int ticket_is_string_array(const ticket_jv_t *value);
static ticket_reason_t ticket_parse_lists(ticket_t *t);


/* headers that would let the ticket choose its own key */

static const char  *ticket_untrusted_key_headers[] = {
    "jku", "jwk", "x5u", "x5c"
};


void
ticket_init(ticket_t *t)
{
    memset(t, 0, sizeof(ticket_t));
}


void
ticket_free(ticket_t *t)
{
    void  *p[5];
    int    i;

    /*
     * A pool frees its memory with the request; its large blocks (a big
     * document's nodes and text) go back now, as a scope change frees
     * the ticket it parses again.
     */

    if (t->alloc.free != NULL) {
        p[0] = (void *) t->claims;
        p[1] = (void *) t->header;
        p[2] = t->payload;
        p[3] = t->restored ? NULL : t->sig;
        p[4] = t->restored ? NULL : (void *) t->roles_list.values;

        for (i = 0; i < 5; i++) {
            if (p[i] != NULL) {
                t->alloc.free(t->alloc.data, p[i]);
            }
        }
    }

    ticket_heap_free(&t->heap);
    ticket_reset(t);
}


void
ticket_reset(ticket_t *t)
{
    void            *heap;
    ticket_alloc_t   alloc;

    heap = t->heap;
    alloc = t->alloc;

    memset(t, 0, sizeof(ticket_t));

    t->heap = heap;
    t->alloc = alloc;
}


int
ticket_claims_load(ticket_t *t)
{
    const char      *p, *dot;
    ticket_alloc_t   a;

    if (t->claims != NULL) {
        return 0;
    }

    if (t->payload == NULL && t->restored && t->token.data != NULL) {

        /*
         * A restored ticket: its claims segment, decoded as when it was
         * parsed (the same bytes, so the same three segments).
         */

        p = memchr(t->token.data, '.', t->token.len);
        if (p == NULL) {
            return -1;
        }

        p++;
        dot = memchr(p, '.', t->token.len - (size_t) (p - t->token.data));
        if (dot == NULL) {
            return -1;
        }

        if (ticket_decode_claims(t, p, (size_t) (dot - p)) != 0) {
            return -1;
        }
    }

    if (t->payload == NULL) {
        return -1;
    }

    ticket_allocator(t, &a);

    t->claims = ticket_jv_parse(t->payload, t->payload_len, &a);

    return t->claims ? 0 : -1;
}


/*
 * The claims segment p (plen bytes, at most TICKET_MAX_SIZE) decoded into
 * t->payload, from t's memory: 0; -1 out of memory; -2 not base64url.
 */

static int
ticket_decode_claims(ticket_t *t, const char *p, size_t plen)
{
    long  n;

    t->payload = ticket_alloc(t, plen * 3 / 4 + 3);
    if (t->payload == NULL) {
        return -1;
    }

    n = ticket_b64url_decode((unsigned char *) t->payload, p, plen);
    if (n < 0) {
        t->payload = NULL;
        return -2;
    }

    t->payload_len = (size_t) n;

    return 0;
}


/*
 * t is reset here (ticket_reset()): it must have been through
 * ticket_init(), and a ticket parsed before is best freed first.  On any
 * error t holds whatever was decoded so far, for ticket_free().
 */

ticket_reason_t
ticket_parse(ticket_t *t, const char *token, size_t len,
    const ticket_str_t *roles_path)
{
    ticket_policy_t  p;

    memset(&p, 0, sizeof(ticket_policy_t));

    if (roles_path != NULL) {
        p.roles_path = *roles_path;
    }

    return ticket_parse_policy(t, token, len, &p);
}


ticket_reason_t
ticket_parse_policy(ticket_t *t, const char *token, size_t len,
    const ticket_policy_t *pol)
{
    long              n;
    size_t            hlen, plen, slen;
    const char       *dot1, *dot2, *p, *s;
    unsigned char    *buf;
    ticket_alloc_t    a;
    ticket_reason_t   rc;

    ticket_reset(t);
    ticket_allocator(t, &a);

    if (token == NULL || len == 0) {
        return ticket_malformed(t, "empty");
    }

    if (len > TICKET_MAX_SIZE) {
        return ticket_malformed(t, "longer than %d bytes", TICKET_MAX_SIZE);
    }

    /* exactly three segments */

    dot1 = memchr(token, '.', len);
    if (dot1 == NULL) {
        return ticket_malformed(t, "not three segments");
    }

    p = dot1 + 1;

    dot2 = memchr(p, '.', len - (size_t) (p - token));
    if (dot2 == NULL) {
        return ticket_malformed(t, "not three segments");
    }

    s = dot2 + 1;
    slen = len - (size_t) (s - token);

    if (memchr(s, '.', slen) != NULL) {
        return ticket_malformed(t, "more than three segments");
    }

    hlen = (size_t) (dot1 - token);
    plen = (size_t) (dot2 - p);

    if (hlen == 0 || plen == 0) {
        return ticket_malformed(t, "%s segment empty",
                                hlen == 0 ? "header" : "claims");
    }

    t->signing_input = token;
    t->signing_input_len = (size_t) (dot2 - token);

    /*
     * The three segments are decoded before any JSON is read: a ticket
     * that is not base64url is malformed, whichever segment is at fault.
     * len is at most TICKET_MAX_SIZE, so none of these sizes overflows.
     */

    t->sig = ticket_alloc(t, slen * 3 / 4 + 3);
    if (t->sig == NULL) {
        return ticket_malformed(t, "out of memory");
    }

    n = ticket_b64url_decode(t->sig, s, slen);
    if (n < 0) {
        return ticket_malformed(t, "signature segment not base64url");
    }

    t->sig_len = (size_t) n;

    /* the header's and the claims' text stay while t lives: the parsed
     * strings point into them */

    buf = ticket_alloc(t, hlen * 3 / 4 + 3);
    if (buf == NULL) {
        return ticket_malformed(t, "out of memory");
    }

    n = ticket_b64url_decode(buf, token, hlen);
    if (n < 0) {
        return ticket_malformed(t, "header segment not base64url");
    }

    hlen = (size_t) n;

    switch (ticket_decode_claims(t, p, plen)) {
    case 0:
        break;
    case -1:
        return ticket_malformed(t, "out of memory");
    default:
        return ticket_malformed(t, "claims segment not base64url");
    }

    t->header = ticket_jv_parse((char *) buf, hlen, &a);

    if (t->header == NULL) {
        return ticket_malformed(t, "header not a strict JSON object "
                                "(syntax, duplicate member, NUL, UTF-8 or "
                                "depth)");
    }

    rc = ticket_parse_header(t);
    if (rc != TICKET_OK) {
        return rc;
    }

    t->claims = ticket_jv_parse(t->payload, t->payload_len, &a);
    if (t->claims == NULL) {
        return ticket_malformed(t, "claims not a strict JSON object "
                                "(syntax, duplicate member, NUL, UTF-8 or "
                                "depth)");
    }

    rc = ticket_parse_claims(t, token, len, pol);
    if (rc != TICKET_OK) {
        return rc;
    }

    return ticket_parse_lists(t);
}


/*
 * aud and roles as plain lists of strings (pointing into the claims), so
 * that the policy, the audit record and the variables read a parsed and a
 * restored ticket alike; a roles string is split on its spaces here.
 */

static ticket_reason_t
ticket_parse_lists(ticket_t *t)
{
    size_t              n, nroles, naud;
    uint32_t            i;
    const char         *p, *end, *word;
    ticket_str_t       *v;
    const ticket_jv_t  *elt;

    nroles = 0;

    if (ticket_jv_is_array(t->roles)) {
        nroles = t->roles->n;

    } else if (ticket_jv_is_string(t->roles)) {
        /* at most one word a character pair */
        nroles = t->roles->n / 2 + 1;
    }

    naud = 0;

    if (ticket_jv_is_array(t->aud)) {
        naud = t->aud->n;

    } else if (t->aud != NULL) {
        naud = 1;
    }

    v = ticket_alloc(t, (nroles + naud + 1) * sizeof(ticket_str_t));
    if (v == NULL) {
        return ticket_malformed(t, "out of memory");
    }

    t->roles_list.values = v;
    n = 0;

    if (ticket_jv_is_array(t->roles)) {
        ticket_jv_foreach(t->roles, i, elt) {
            v[n].data = elt->u.s;
            v[n].len = elt->n;
            n++;
        }

    } else if (ticket_jv_is_string(t->roles)) {
        p = t->roles->u.s;
        end = p + t->roles->n;

        while (p < end) {
            while (p < end && *p == ' ') {
                p++;
            }

            word = p;

            while (p < end && *p != ' ') {
                p++;
            }

            if (p > word) {
                v[n].data = word;
                v[n].len = (size_t) (p - word);
                n++;
            }
        }
    }

    t->roles_list.n = n;
    t->aud_list.values = v + n;
    t->aud_list.n = 0;

    if (ticket_jv_is_array(t->aud)) {
        ticket_jv_foreach(t->aud, i, elt) {
            v[n].data = elt->u.s;
            v[n].len = elt->n;
            n++;
            t->aud_list.n++;
        }

    } else if (t->aud != NULL) {
        v[n].data = t->aud->u.s;
        v[n].len = t->aud->n;
        t->aud_list.n = 1;
    }

    return TICKET_OK;
}


static ticket_reason_t
ticket_parse_header(ticket_t *t)
{
    size_t              i;
    const ticket_jv_t  *alg;

    /* no extension is understood, so none may be critical */

    if (ticket_jv_get(t->header, "crit") != NULL) {
        return ticket_malformed(t, "header \"crit\" present: no extension "
                                "is understood");
    }

    for (i = 0; i < sizeof(ticket_untrusted_key_headers)
                    / sizeof(ticket_untrusted_key_headers[0]); i++)
    {
        if (ticket_jv_get(t->header, ticket_untrusted_key_headers[i])
            != NULL)
        {
            snprintf(t->why, sizeof(t->why), "header \"%s\" present",
                     ticket_untrusted_key_headers[i]);
            return TICKET_UNTRUSTED_KEY_HEADER;
        }
    }

    /*
     * An alg no key has, "none" included, is left to the key check, which
     * calls it alg_mismatch; a missing or non-string alg is malformed.
     */

    alg = ticket_jv_get(t->header, "alg");
    if (alg == NULL) {
        return ticket_malformed(t, "header \"alg\" missing");
    }

    if (!ticket_jv_is_string(alg)) {
        return ticket_malformed(t, "header \"alg\" not a string");
    }

    t->alg_name.data = alg->u.s;
    t->alg_name.len = alg->n;
    t->alg = ticket_alg_from_name(t->alg_name.data, t->alg_name.len);

    if (ticket_get_string(t, t->header, "header", "kid", 0, 0, &t->kid)
        != 0
        || ticket_get_string(t, t->header, "header", "typ", 0, 0, &t->typ)
           != 0)
    {
        return TICKET_MALFORMED;
    }

    return TICKET_OK;
}


static ticket_reason_t
ticket_parse_claims(ticket_t *t, const char *token, size_t len,
    const ticket_policy_t *p)
{
    int                 has_nbf, has_exp, signal;
    char                name[48];
    size_t              path_len;
    const char         *path;
    ticket_reason_t     rc;
    const ticket_jv_t  *claims, *value;

    claims = t->claims;

    /* a security event token (p->signal) may name no sub and no exp */

    signal = p->signal ? 1 : 0;

    if (ticket_get_string(t, claims, "claim", "sub", !signal, 1, &t->sub)
        != 0
        || ticket_get_string(t, claims, "claim", "iss", 0, 0, &t->iss) != 0
        || ticket_get_string(t, claims, "claim", "tenant", 0, 1, &t->tenant)
           != 0
        || ticket_get_string(t, claims, "claim", "sid", 0, 1, &t->sid) != 0
        || ticket_get_time(t, claims, "iat", 1, &t->iat, NULL) != 0
        || ticket_get_time(t, claims, "exp", !signal, &t->exp, &has_exp)
           != 0
        || ticket_get_time(t, claims, "nbf", 0, &t->nbf, &has_nbf) != 0)
    {
        return TICKET_MALFORMED;
    }

    t->has_nbf = has_nbf ? 1 : 0;
    t->has_exp = has_exp ? 1 : 0;

    /* a security event token has no kind: it is never a ticket */

    if (!signal) {
        rc = ticket_parse_kind(t, p);
        if (rc != TICKET_OK) {
            return rc;
        }
    }

    rc = ticket_parse_jti(t, token, len, p);
    if (rc != TICKET_OK) {
        return rc;
    }

    /*
     * The subject revocation list keys its rows "TENANT/SUB": a tenant
     * holding "/" could make one subject's row match another's.
     */

    if (t->tenant.data != NULL
        && memchr(t->tenant.data, '/', t->tenant.len) != NULL)
    {
        return ticket_malformed(t, "claim \"tenant\" holds \"/\"");
    }

    value = ticket_jv_get(claims, "aud");
    if (value != NULL && !ticket_jv_is_string(value)
        && !ticket_is_string_array(value))
    {
        return ticket_malformed(t, "claim \"aud\" not a string or an array "
                                "of strings");
    }

    t->aud = value;

    if (p->roles_path.len != 0) {
        path = p->roles_path.data;
        path_len = p->roles_path.len;

    } else {
        path = "roles";
        path_len = sizeof("roles") - 1;
    }

    value = ticket_json_path(claims, path, path_len);
    if (value != NULL && !ticket_jv_is_string(value)
        && !ticket_is_string_array(value))
    {
        ticket_why_name(name, sizeof(name), path, path_len);

        return ticket_malformed(t, "claim %s not a string or an array of "
                                "strings", name);
    }

    t->roles = value;

    return TICKET_OK;
}


/*
 * The kind: the claim at kind_path (default "kind"), its value mapped
 * (default: "user" and "service" as they are), "*" for any other value,
 * the default when the claim is absent.  Anything unmapped is malformed:
 * a location never guesses a kind.
 */

static ticket_reason_t
ticket_parse_kind(ticket_t *t, const ticket_policy_t *p)
{
    char                name[48];
    size_t              i, path_len;
    unsigned            kind;
    const char         *path, *v;
    ticket_str_t        s;
    const ticket_jv_t  *value;

    if (p->kind_path.len != 0) {
        path = p->kind_path.data;
        path_len = p->kind_path.len;

    } else {
        path = "kind";
        path_len = sizeof("kind") - 1;
    }

    ticket_why_name(name, sizeof(name), path, path_len);

    value = ticket_json_path(t->claims, path, path_len);
    kind = 0;

    if (value == NULL) {
        if (p->kind_default == 0) {
            return ticket_malformed(t, "claim %s missing", name);
        }

        kind = p->kind_default;

    } else if (!ticket_jv_is_string(value)) {
        return ticket_malformed(t, "claim %s not a string", name);

    } else {
        s.data = value->u.s;
        s.len = value->n;

        if (p->kind_map == NULL) {
            if (s.len == 4 && memcmp(s.data, "user", 4) == 0) {
                kind = TICKET_KIND_USER;

            } else if (s.len == 7 && memcmp(s.data, "service", 7) == 0) {
                kind = TICKET_KIND_SERVICE;
            }

        } else {
            for (i = 0; i < p->nkind_map; i++) {
                if (p->kind_map[i].value.len == s.len
                    && memcmp(p->kind_map[i].value.data, s.data, s.len) == 0)
                {
                    kind = p->kind_map[i].kind;
                    break;
                }
            }
        }

        if (kind == 0) {
            kind = p->kind_other;
        }

        if (kind == 0) {
            return ticket_malformed(t, "claim %s value not mapped to a "
                                    "kind", name);
        }
    }

    if (kind == TICKET_KIND_USER) {
        v = "user";

    } else if (kind == TICKET_KIND_SERVICE) {
        v = "service";

    } else {
        return ticket_malformed(t, "claim %s: bad kind map", name);
    }

    /* $ticket_kind and the audit record say the kind, not the raw value */

    t->kind = kind;
    t->kind_name.data = v;
    t->kind_name.len = strlen(v);

    return TICKET_OK;
}


/*
 * The ticket id: the claim at jti_path (default "jti"), a non-empty
 * string; absent and optional, the "fp:" id, which is the same for the
 * same presented string, so that it can be revoked as a jti can.
 */

static ticket_reason_t
ticket_parse_jti(ticket_t *t, const char *token, size_t len,
    const ticket_policy_t *p)
{
    char                name[48];
    size_t              path_len;
    const char         *path;
    const ticket_jv_t  *value;

    if (p->jti_path.len != 0) {
        path = p->jti_path.data;
        path_len = p->jti_path.len;

    } else {
        path = "jti";
        path_len = sizeof("jti") - 1;
    }

    ticket_why_name(name, sizeof(name), path, path_len);

    value = ticket_json_path(t->claims, path, path_len);

    if (value == NULL) {
        if (!p->jti_optional) {
            return ticket_malformed(t, "claim %s missing", name);
        }

        if (ticket_jti_fingerprint(token, len, t->jti_fp) != 0) {
            return ticket_malformed(t, "out of memory");
        }

        t->jti.data = t->jti_fp;
        t->jti.len = TICKET_JTI_FP_LEN;

        return TICKET_OK;
    }

    if (!ticket_jv_is_string(value)) {
        return ticket_malformed(t, "claim %s not a string", name);
    }

    if (value->n == 0) {
        return ticket_malformed(t, "claim %s empty", name);
    }

    t->jti.data = value->u.s;
    t->jti.len = value->n;

    return TICKET_OK;
}


int
ticket_jti_fingerprint(const char *token, size_t len, char *buf)
{
    unsigned int   mdlen;
    unsigned char  md[EVP_MAX_MD_SIZE];

    mdlen = 0;

    if (EVP_Digest(token, len, md, &mdlen, EVP_sha256(), NULL) != 1
        || mdlen != 32)
    {
        return -1;
    }

    memcpy(buf, "fp:", 3);

    ticket_hex_encode(buf + 3, md, 16);
    buf[TICKET_JTI_FP_LEN] = '\0';

    return 0;
}


/* a member name for t->why: quoted, cut, control bytes as '?' */

static void
ticket_why_name(char *dst, size_t size, const char *name, size_t len)
{
    size_t  i, n, max;

    max = size - 6;
    n = 0;
    dst[n++] = '"';

    for (i = 0; i < len && i < max; i++) {
        dst[n++] = ((unsigned char) name[i] < 0x20
                    || (unsigned char) name[i] > 0x7e
                    || name[i] == '"')
                   ? '?' : name[i];
    }

    if (i < len) {
        dst[n++] = '.';
        dst[n++] = '.';
        dst[n++] = '.';
    }

    dst[n++] = '"';
    dst[n] = '\0';
}


static ticket_reason_t
ticket_malformed(ticket_t *t, const char *fmt, ...)
{
    va_list  args;

    va_start(args, fmt);
    vsnprintf(t->why, sizeof(t->why), fmt, args);
    va_end(args);

    return TICKET_MALFORMED;
}


/* 0: absent and optional, or a string as required; -1: anything else,
 * said in t->why */

static int
ticket_get_string(ticket_t *t, const ticket_jv_t *obj, const char *what,
    const char *name, int required, int nonempty, ticket_str_t *str)
{
    const ticket_jv_t  *value;

    value = ticket_jv_get(obj, name);

    if (value == NULL) {
        if (required) {
            (void) ticket_malformed(t, "%s \"%s\" missing", what, name);
            return -1;
        }

        return 0;
    }

    if (!ticket_jv_is_string(value)) {
        (void) ticket_malformed(t, "%s \"%s\" not a string", what, name);
        return -1;
    }

    if (nonempty && value->n == 0) {
        (void) ticket_malformed(t, "%s \"%s\" empty", what, name);
        return -1;
    }

    str->data = value->u.s;
    str->len = value->n;

    return 0;
}


/*
 * A NumericDate: an integer or a real (floored) from 0 to TICKET_MAX_TIME,
 * so that the time checks can add and subtract without overflow.
 */

static int
ticket_get_time(ticket_t *t, const ticket_jv_t *obj, const char *name,
    int required, int64_t *v, int *present)
{
    double              d;
    int64_t             i;
    const ticket_jv_t  *value;

    if (present != NULL) {
        *present = 0;
    }

    value = ticket_jv_get(obj, name);

    if (value == NULL) {
        if (required) {
            (void) ticket_malformed(t, "claim \"%s\" missing", name);
            return -1;
        }

        return 0;
    }

    if (value->vtype == TICKET_JV_INTEGER) {
        i = value->u.i;

        if (i < 0 || i > TICKET_MAX_TIME) {
            (void) ticket_malformed(t, "claim \"%s\" out of range", name);
            return -1;
        }

        *v = (int64_t) i;

    } else if (value->vtype == TICKET_JV_REAL) {
        d = value->u.d;

        /*
         * Written so that NaN fails too; below 2^53 the conversion is
         * exact and, for non-negative values, truncation is the floor.
         */

        if (!(d >= 0.0 && d < (double) (TICKET_MAX_TIME + 1))) {
            (void) ticket_malformed(t, "claim \"%s\" out of range", name);
            return -1;
        }

        *v = (int64_t) d;

    } else {
        (void) ticket_malformed(t, "claim \"%s\" not a number", name);
        return -1;
    }

    if (present != NULL) {
        *present = 1;
    }

    return 0;
}


static int
ticket_is_string_array(const ticket_jv_t *value)
{
    uint32_t            i;
    const ticket_jv_t  *elt;

    if (!ticket_jv_is_array(value)) {
        return 0;
    }

    ticket_jv_foreach(value, i, elt) {
        if (elt->vtype != TICKET_JV_STRING) {
            return 0;
        }
    }

    return 1;
}
