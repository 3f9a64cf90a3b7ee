
/*
 * fuzz_claims: the input as a ticket's claims.
 *
 * The bytes go through ticket_json_parse_object() on their own and,
 * wrapped into a token (header {"alg":"HS256","kid":"k"}, the input as
 * the payload, a zero signature), through ticket_parse() with two roles
 * paths; ticket_parse() must accept only what the strict parser does,
 * and type every claim it hands out.  Then every member's
 * ticket_json_text(), ticket_json_path() with paths taken from the
 * input (member names, "a.b" pairs, string values), and the policy
 * checks on the parsed ticket: signatures aside, they read the claims.
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
static size_t fuzz_depth(json_t *v);
static void fuzz_check_tree(json_t *v);
static void fuzz_text(json_t *v);
static void fuzz_path(json_t *obj, const char *path, size_t len,
    json_t *expect);


int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    return 0;
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int              excess;
    char            *buf, *token, *p;
    size_t           i, len, tlen;
    json_t          *obj, *v, *w;
    ticket_t         t;
    const char      *key, *key2;
    ticket_reason_t  rc;

    if (size > TICKET_MAX_SIZE) {
        return 0;
    }

    buf = malloc(size ? size : 1);
    if (buf == NULL) {
        return 0;
    }

    memcpy(buf, data, size);

    obj = ticket_json_parse_object(buf, size);

    if (obj != NULL) {
        FUZZ_CHECK(json_is_object(obj));
        FUZZ_CHECK(fuzz_depth(obj) <= TICKET_MAX_DEPTH);
        fuzz_check_tree(obj);
    }

    /* the same bytes as a ticket's payload */

    tlen = sizeof(FUZZ_HEADER) - 1 + 1 + ticket_b64url_encoded_len(size) + 1
           + sizeof(FUZZ_SIG) - 1;

    token = malloc(tlen);
    if (token == NULL) {
        json_decref(obj);
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

    rc = ticket_parse_policy(&t, token, tlen, &fuzz_mapped);
    FUZZ_CHECK(rc == TICKET_OK || rc == TICKET_MALFORMED);

    if (rc == TICKET_OK) {
        FUZZ_CHECK((t.kind == TICKET_KIND_USER
                    && t.kind_name.len == 4
                    && memcmp(t.kind_name.data, "user", 4) == 0)
                   || (t.kind == TICKET_KIND_SERVICE
                       && t.kind_name.len == 7
                       && memcmp(t.kind_name.data, "service", 7) == 0));

        if (json_object_get(t.claims, "uti") != NULL) {
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
            FUZZ_CHECK(json_equal(obj, t.claims));

            fuzz_check_parsed(&t, token, tlen, &fuzz_roles_paths[i]);

            fuzz_policy.roles_path = fuzz_roles_paths[i];

            rc = ticket_authorize(&t, &fuzz_policy);
            FUZZ_CHECK(rc == TICKET_OK || rc == TICKET_WRONG_AUDIENCE
                       || rc == TICKET_INSUFFICIENT_ROLE
                       || rc == TICKET_CLAIM_MISMATCH);

            /* the empty role is never held, "a b" never as one word */

            FUZZ_CHECK(ticket_has_role(&t, "", 0) == 0);
            FUZZ_CHECK(!json_is_string(t.roles)
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
                       || json_equal(obj, t.claims));
        }

        ticket_free(&t);
    }

    if (obj == NULL) {
        free(token);
        free(buf);
        return 0;
    }

    /* texts and paths: member names, NAME.SUB pairs, string values */

    json_object_foreach(obj, key, v) {
        fuzz_text(v);
        fuzz_path(obj, key, strlen(key),
                  strchr(key, '.') == NULL && key[0] != '\0' ? v : NULL);

        if (json_is_string(v)) {
            fuzz_path(obj, json_string_value(v), json_string_length(v),
                      NULL);
        }

        if (!json_is_object(v) || strchr(key, '.') != NULL) {
            continue;
        }

        json_object_foreach(v, key2, w) {
            fuzz_text(w);

            if (key[0] == '\0' || key2[0] == '\0'
                || strchr(key2, '.') != NULL)
            {
                continue;
            }

            len = strlen(key) + 1 + strlen(key2);
            p = malloc(len);
            if (p == NULL) {
                continue;
            }

            memcpy(p, key, strlen(key));
            p[strlen(key)] = '.';
            memcpy(p + strlen(key) + 1, key2, strlen(key2));

            fuzz_path(obj, p, len, w);

            free(p);
        }
    }

    /* and the raw input as one path */

    fuzz_path(obj, buf, size, NULL);

    json_decref(obj);
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

    FUZZ_CHECK(json_equal(json_object_get(doc, "sub"),
                          json_object_get(t->claims, "sub")));

    json_decref(doc);
    free(buf);
}


static size_t
fuzz_depth(json_t *v)
{
    size_t       i, d, max;
    json_t      *elt;
    const char  *key;

    max = 0;

    if (json_is_object(v)) {
        json_object_foreach(v, key, elt) {
            d = fuzz_depth(elt);
            max = d > max ? d : max;
        }

        return max + 1;
    }

    if (json_is_array(v)) {
        json_array_foreach(v, i, elt) {
            d = fuzz_depth(elt);
            max = d > max ? d : max;
        }

        return max + 1;
    }

    return 0;
}


/* every string and member name NUL-free, valid UTF-8 */

static void
fuzz_check_tree(json_t *v)
{
    size_t       i;
    json_t      *elt;
    const char  *key;

    switch (json_typeof(v)) {

    case JSON_OBJECT:
        json_object_foreach(v, key, elt) {
            FUZZ_CHECK(fuzz_utf8_valid((const unsigned char *) key,
                                       strlen(key)));
            fuzz_check_tree(elt);
        }
        break;

    case JSON_ARRAY:
        json_array_foreach(v, i, elt) {
            fuzz_check_tree(elt);
        }
        break;

    case JSON_STRING:
        FUZZ_CHECK(strlen(json_string_value(v)) == json_string_length(v));
        FUZZ_CHECK(fuzz_utf8_valid(
                       (const unsigned char *) json_string_value(v),
                       json_string_length(v)));
        break;

    default:
        break;
    }
}


/*
 * ticket_json_text() is called twice, as the variables call it: to
 * size, then into a buffer of that exact size; and once more into one
 * too short, which it must fill without passing its end.
 */

static void
fuzz_text(json_t *v)
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

    if (json_is_string(v)) {
        FUZZ_CHECK(len == json_string_length(v));
        FUZZ_CHECK(len == 0 || memcmp(buf, json_string_value(v), len) == 0);
    }

    if (json_is_null(v)) {
        FUZZ_CHECK(len == 0);
    }

    if (len > 1) {
        n = ticket_json_text(v, buf, len / 2);
        FUZZ_CHECK(n == len);
    }

    free(buf);
}


static void
fuzz_path(json_t *obj, const char *path, size_t len, json_t *expect)
{
    char    *copy;
    json_t  *v;

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
                   || (json_is_object(obj)
                       && v == json_object_getn(obj, copy, len)));
    }

    if (v != NULL) {
        fuzz_text(v);
    }

    free(copy);
}
