
/*
 * fuzz_claims: the input as a ticket's claims.
 *
 * The bytes go through ticket_jv_parse() on their own and,
 * wrapped into a token (header {"alg":"HS256","kid":"k"}, the input as
 * the payload, a zero signature), through ticket_parse() with two roles
 * paths; ticket_parse() must accept only what the strict parser does,
 * and type every claim it hands out.  Then every member's
 * ticket_json_text(), ticket_json_path() with paths taken from the
 * input (member names, "a.b" pairs, string values), and the policy
 * checks on the parsed ticket: signatures aside, they read the claims.
 * Every value at any depth is written by ticket_jv_json() exactly as
 * jansson's json_dumps() wrote the claim text before it.
 */


#include "fuzz.h"

#include <ticket_audit.h>


#define FUZZ_HEADER  "eyJhbGciOiJIUzI1NiIsImtpZCI6ImsifQ"   /* as above */
#define FUZZ_SIG     "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"


#define S(lit)  { sizeof(lit) - 1, lit }

static ticket_str_t  fuzz_audiences[] = { S("api"), S("") };
static ticket_str_t  fuzz_line[] = { S("reader"), S("a b") };
static ticket_str_t  fuzz_values[] = { S("eng"), S("1"), S("true"),
                                       S("false"), S("") };
static ticket_str_t  fuzz_privileged[] = { S("admin"), S("") };

static ticket_strlist_t  fuzz_role_reqs[] = { { fuzz_line, 2 } };

static ticket_claim_req_t  fuzz_claim_reqs[] = {
    { S("dept"), { fuzz_values, 5 } },
    { S("a.b"), { fuzz_values, 5 } }
};

static ticket_policy_t  fuzz_policy = {
    TICKET_KIND_ANY, 0, 0, S(""), S(""), NULL, 0, 0, 0, S(""), 0,
    { NULL, 0 }, { fuzz_audiences, 2 }, fuzz_role_reqs, 1,
    fuzz_claim_reqs, 2, { fuzz_privileged, 2 }, 0
};

/* claims mapped as an identity provider's need: kind from "gty" (a map,
 * "*" and a default), the ticket id "uti" or the "fp:" id */

static ticket_kind_map_t  fuzz_kind_map[] = {
    { S("client-credentials"), TICKET_KIND_SERVICE },
    { S("user"), TICKET_KIND_USER }
};

static ticket_policy_t  fuzz_mapped = {
    TICKET_KIND_ANY, 0, 0, S("https://example.com/roles"), S("gty"),
    fuzz_kind_map, 2, 0, TICKET_KIND_USER, S("uti"), 1,
    { NULL, 0 }, { NULL, 0 }, NULL, 0, NULL, 0, { NULL, 0 }, 0
};

static const ticket_str_t  fuzz_roles_paths[] = {
    S(""), S("realm_access.roles")
};


static void fuzz_check_audit(const ticket_t *t);
static size_t fuzz_depth(const ticket_jv_t *v);
static void fuzz_check_tree(const ticket_jv_t *v);
static void fuzz_check_values(const ticket_jv_t *v);
static void fuzz_text(const ticket_jv_t *v);
static void fuzz_path(const ticket_jv_t *obj, const char *path, size_t len,
    const ticket_jv_t *expect);
static const ticket_jv_t *fuzz_named(const ticket_jv_t *obj,
    const char *name, size_t len, const ticket_jv_t *otherwise);


int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    return 0;
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int                 excess;
    char               *buf, *token, *p;
    void               *heap;
    size_t              i, len, tlen;
    uint32_t            m, m2;
    ticket_t            t;
    ticket_alloc_t      a;
    const ticket_jv_t  *obj, *k, *v, *k2, *w;
    ticket_reason_t     rc;

    if (size > TICKET_MAX_SIZE) {
        return 0;
    }

    buf = malloc(size ? size : 1);
    if (buf == NULL) {
        return 0;
    }

    memcpy(buf, data, size);

    /* the nodes point into buf: both live to the end */

    heap = NULL;
    a.alloc = ticket_heap_alloc;
    a.free = NULL;
    a.data = &heap;

    obj = ticket_jv_parse(buf, size, &a);

    if (obj != NULL) {
        FUZZ_CHECK(ticket_jv_is(obj, TICKET_JV_OBJECT));
        FUZZ_CHECK(fuzz_depth(obj) <= TICKET_MAX_DEPTH);
        fuzz_check_tree(obj);
        fuzz_check_values(obj);
    }

    /* the same bytes as a ticket's payload */

    tlen = sizeof(FUZZ_HEADER) - 1 + 1 + ticket_b64url_encoded_len(size) + 1
           + sizeof(FUZZ_SIG) - 1;

    token = malloc(tlen);
    if (token == NULL) {
        ticket_heap_free(&heap);
        free(buf);
        return 0;
    }

    p = token;
    memcpy(p, FUZZ_HEADER, sizeof(FUZZ_HEADER) - 1);
    p += sizeof(FUZZ_HEADER) - 1;
    *p++ = '.';
    p += ticket_b64url_encode(p, data, size);
    *p++ = '.';
    memcpy(p, FUZZ_SIG, sizeof(FUZZ_SIG) - 1);
    p += sizeof(FUZZ_SIG) - 1;

    FUZZ_CHECK((size_t) (p - token) == tlen);

    /* mapped claims: a kind is user or service, the id the claim or the
     * token's fingerprint, a refusal says why in one line */

    fuzz_mapped.kind_other = (size & 1) ? TICKET_KIND_SERVICE : 0;

    /* parsing keeps t's allocator: t starts zeroed (its own heap) */

    ticket_init(&t);

    rc = ticket_parse_policy(&t, token, tlen, &fuzz_mapped);
    FUZZ_CHECK(rc == TICKET_OK || rc == TICKET_MALFORMED);

    if (rc == TICKET_OK) {
        FUZZ_CHECK((t.kind == TICKET_KIND_USER
                    && t.kind_name.len == 4
                    && memcmp(t.kind_name.data, "user", 4) == 0)
                   || (t.kind == TICKET_KIND_SERVICE
                       && t.kind_name.len == 7
                       && memcmp(t.kind_name.data, "service", 7) == 0));

        if (ticket_jv_get(t.claims, "uti") != NULL) {
            fuzz_check_str(t.claims, "uti", &t.jti, 1);

        } else {
            FUZZ_CHECK(t.jti.data == t.jti_fp
                       && t.jti.len == TICKET_JTI_FP_LEN
                       && memcmp(t.jti.data, "fp:", 3) == 0);
        }

    } else {
        FUZZ_CHECK(fuzz_one_line(t.why, sizeof(t.why)));
    }

    ticket_free(&t);

    for (i = 0; i < 2; i++) {
        rc = ticket_parse(&t, token, tlen, &fuzz_roles_paths[i]);

        FUZZ_CHECK(rc == TICKET_OK || rc == TICKET_MALFORMED);
        FUZZ_CHECK(rc == TICKET_OK || fuzz_one_line(t.why, sizeof(t.why)));

        if (size == 0 || tlen > TICKET_MAX_SIZE) {
            FUZZ_CHECK(rc == TICKET_MALFORMED && t.header == NULL);
            ticket_free(&t);
            continue;
        }

        /* the header is fixed: only the claims can make it fail */

        FUZZ_CHECK(t.header != NULL);
        FUZZ_CHECK(t.kid.len == 1 && t.kid.data[0] == 'k');
        FUZZ_CHECK(t.alg == TICKET_ALG_HS256);
        FUZZ_CHECK(t.sig_len == 32);

        if (rc == TICKET_OK) {
            FUZZ_CHECK(obj != NULL);
            FUZZ_CHECK(fuzz_jv_same(obj, t.claims));
            FUZZ_CHECK(fuzz_jv_equal(obj, t.claims));

            fuzz_check_parsed(&t, token, tlen, &fuzz_roles_paths[i]);

            fuzz_policy.roles_path = fuzz_roles_paths[i];

            rc = ticket_authorize(&t, &fuzz_policy);
            FUZZ_CHECK(rc == TICKET_OK || rc == TICKET_WRONG_AUDIENCE
                       || rc == TICKET_INSUFFICIENT_ROLE
                       || rc == TICKET_CLAIM_MISMATCH);

            /* the empty role is never held, "a b" never as one word */

            FUZZ_CHECK(ticket_has_role(&t, "", 0) == 0);
            FUZZ_CHECK(!ticket_jv_is_string(t.roles)
                       || ticket_has_role(&t, "a b", 3) == 0);

            excess = ticket_excess_privilege(&t, &fuzz_policy);
            FUZZ_CHECK(excess == (ticket_has_role(&t, "admin", 5) != 0));

            /* no time check can overflow, whatever now is */

            (void) ticket_check_time(&t, &fuzz_policy, INT64_MIN);
            (void) ticket_check_time(&t, &fuzz_policy, INT64_MAX);
            (void) ticket_check_time(&t, &fuzz_policy, t.iat);

            fuzz_check_snapshot(&t, token, tlen, &fuzz_policy, data,
                                size);
            fuzz_check_audit(&t);

            /* unsigned, so no key can be selected */

            FUZZ_CHECK(ticket_verify_signature(&t) == TICKET_BAD_SIGNATURE);
            FUZZ_CHECK(!t.verified);
            FUZZ_CHECK(ticket_check_binding(&t, &fuzz_policy)
                       == TICKET_TENANT_MISMATCH);

        } else {
            /* the strict parser refused it, or a claim is mistyped */
            FUZZ_CHECK(obj == NULL || t.claims == NULL
                       || (fuzz_jv_same(obj, t.claims)
                           && fuzz_jv_equal(obj, t.claims)));
        }

        ticket_free(&t);
    }

    if (obj == NULL) {
        ticket_heap_free(&heap);
        free(token);
        free(buf);
        return 0;
    }

    /* texts and paths: member names, NAME.SUB pairs, string values */

    fuzz_jv_members(obj, m, k, v) {
        fuzz_text(v);
        fuzz_path(obj, k->u.s, k->n,
                  k->n != 0 && memchr(k->u.s, '.', k->n) == NULL ? v : NULL);

        if (ticket_jv_is_string(v)) {
            fuzz_path(obj, v->u.s, v->n, NULL);
        }

        if (!ticket_jv_is(v, TICKET_JV_OBJECT)
            || (k->n != 0 && memchr(k->u.s, '.', k->n) != NULL))
        {
            continue;
        }

        fuzz_jv_members(v, m2, k2, w) {
            fuzz_text(w);

            if (k->n == 0 || k2->n == 0
                || memchr(k2->u.s, '.', k2->n) != NULL)
            {
                continue;
            }

            len = (size_t) k->n + 1 + k2->n;
            p = malloc(len);
            if (p == NULL) {
                continue;
            }

            memcpy(p, k->u.s, k->n);
            p[k->n] = '.';
            memcpy(p + k->n + 1, k2->u.s, k2->n);

            /* a member named "NAME.SUB" itself comes first (SPEC:
             * literal first): {"a.b":1,"a":{"b":2}} */

            fuzz_path(obj, p, len, fuzz_named(obj, p, len, w));

            free(p);
        }
    }

    /* and the raw input as one path */

    fuzz_path(obj, buf, size, NULL);

    ticket_heap_free(&heap);
    free(token);
    free(buf);

    return 0;
}


/* the audit record of this ticket, as the log phase writes it */

static void
fuzz_check_audit(const ticket_t *t)
{
    char                   *buf;
    size_t                  len, i;
    json_t                 *doc, *roles;
    const ticket_jv_t      *sub;
    ticket_audit_record_t   rec;

    memset(&rec, 0, sizeof(ticket_audit_record_t));
    rec.time_ms = t->iat * 1000;
    rec.event = TICKET_AUDIT_DENIED;
    rec.reason = TICKET_BAD_SIGNATURE;
    rec.status = 401;
    rec.sub = t->sub;
    rec.kind = t->kind_name;
    rec.tenant = t->tenant;
    rec.jti = t->jti;
    rec.kid = t->kid;
    rec.iss = t->iss;
    rec.sid = t->sid;
    rec.roles_list = &t->roles_list;
    rec.token = (const unsigned char *) t->signing_input;
    rec.token_len = t->signing_input_len;

    len = ticket_audit_record_len(&rec);
    buf = malloc(len);
    FUZZ_CHECK(buf != NULL);
    FUZZ_CHECK(ticket_audit_record_write(buf, &rec) == buf + len);

    doc = json_loadb(buf, len, JSON_ALLOW_NUL, NULL);
    FUZZ_CHECK(json_is_object(doc));

    /* claims are valid UTF-8 without NUL: the roles come back as they are */

    roles = json_object_get(doc, "roles");
    FUZZ_CHECK(json_array_size(roles) == t->roles_list.n);

    for (i = 0; i < t->roles_list.n; i++) {
        FUZZ_CHECK(json_string_length(json_array_get(roles, i))
                   == t->roles_list.values[i].len);
        FUZZ_CHECK(memcmp(json_string_value(json_array_get(roles, i)),
                          t->roles_list.values[i].data,
                          t->roles_list.values[i].len) == 0);
    }

    sub = ticket_jv_get(t->claims, "sub");
    FUZZ_CHECK(ticket_jv_is_string(sub));
    FUZZ_CHECK(json_is_string(json_object_get(doc, "sub")));
    FUZZ_CHECK(fuzz_jv_str_is(sub,
                              json_string_value(json_object_get(doc, "sub")),
                              json_string_length(json_object_get(doc,
                                                                 "sub"))));

    json_decref(doc);
    free(buf);
}


static size_t
fuzz_depth(const ticket_jv_t *v)
{
    size_t              d, max;
    uint32_t            i;
    const ticket_jv_t  *k, *elt;

    max = 0;

    if (ticket_jv_is(v, TICKET_JV_OBJECT)) {
        fuzz_jv_members(v, i, k, elt) {
            d = fuzz_depth(elt);
            max = d > max ? d : max;
        }

        return max + 1;
    }

    if (ticket_jv_is_array(v)) {
        ticket_jv_foreach(v, i, elt) {
            d = fuzz_depth(elt);
            max = d > max ? d : max;
        }

        return max + 1;
    }

    return 0;
}


/* every string and member name NUL-free, valid UTF-8: the nodes in a
 * row, every one of the root's span a known type */

static void
fuzz_check_tree(const ticket_jv_t *v)
{
    uint32_t  i;

    for (i = 0; i < v->span; i++) {
        FUZZ_CHECK(fuzz_jv_kind(&v[i]) != 0);

        if (!ticket_jv_is_string(&v[i]) || v[i].n == 0) {
            continue;
        }

        FUZZ_CHECK(memchr(v[i].u.s, '\0', v[i].n) == NULL);
        FUZZ_CHECK(fuzz_utf8_valid((const unsigned char *) v[i].u.s,
                                   v[i].n));
    }
}


/* every value of the document, the root and each member or element at
 * any depth, written as jansson wrote it (fuzz_check_jv_json()) */

static void
fuzz_check_values(const ticket_jv_t *v)
{
    uint32_t            i;
    const ticket_jv_t  *k, *elt;

    fuzz_check_jv_json(v);

    if (ticket_jv_is(v, TICKET_JV_OBJECT)) {
        fuzz_jv_members(v, i, k, elt) {
            fuzz_check_values(elt);
        }

    } else if (ticket_jv_is_array(v)) {
        ticket_jv_foreach(v, i, elt) {
            fuzz_check_values(elt);
        }
    }
}


/*
 * ticket_json_text() is called twice, as the variables call it: to
 * size, then into a buffer of that exact size; and once more into one
 * too short, which it must fill without passing its end.
 */

static void
fuzz_text(const ticket_jv_t *v)
{
    char    *buf;
    size_t   len, n;

    len = ticket_json_text(v, NULL, 0);

    buf = malloc(len ? len : 1);
    if (buf == NULL) {
        return;
    }

    n = ticket_json_text(v, buf, len);
    FUZZ_CHECK(n == len);

    if (ticket_jv_is_string(v)) {
        FUZZ_CHECK(len == v->n);
        FUZZ_CHECK(len == 0 || memcmp(buf, v->u.s, len) == 0);
    }

    if (ticket_jv_is(v, TICKET_JV_NULL)) {
        FUZZ_CHECK(len == 0);
    }

    if (len > 1) {
        n = ticket_json_text(v, buf, len / 2);
        FUZZ_CHECK(n == len);
    }

    free(buf);
}


static void
fuzz_path(const ticket_jv_t *obj, const char *path, size_t len,
    const ticket_jv_t *expect)
{
    char               *copy;
    const ticket_jv_t  *v;

    copy = malloc(len ? len : 1);
    if (copy == NULL) {
        return;
    }

    memcpy(copy, path, len);

    v = ticket_json_path(obj, copy, len);

    if (expect != NULL) {
        FUZZ_CHECK(v == expect);
    }

    /* a path no dotted walk can take names only a literal top-level
     * member of exactly that name (SPEC: literal first) */

    if (len == 0 || copy[0] == '.' || copy[len - 1] == '.') {
        FUZZ_CHECK(v == NULL
                   || (ticket_jv_is(obj, TICKET_JV_OBJECT)
                       && v == ticket_jv_getn(obj, copy, len)));
    }

    if (v != NULL) {
        fuzz_text(v);
    }

    free(copy);
}


/* the member of obj named exactly name, by hand; else otherwise */

static const ticket_jv_t *
fuzz_named(const ticket_jv_t *obj, const char *name, size_t len,
    const ticket_jv_t *otherwise)
{
    uint32_t            m;
    const ticket_jv_t  *k, *v;

    fuzz_jv_members(obj, m, k, v) {
        if (k->n == len && memcmp(k->u.s, name, len) == 0) {
            return v;
        }
    }

    return otherwise;
}
