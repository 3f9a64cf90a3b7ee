
/* ticket_policy.c: reasons, statuses, time, kind, audience, roles, claims */

#include "unit.h"


#define BASE                                                                 \
    "\"sub\":\"alice\",\"kind\":\"user\",\"jti\":\"j1\","                    \
    "\"iat\":1000,\"exp\":2000"


typedef struct {
    ticket_t   t;
    char      *token;
} parsed_t;


static const char  *reason_names[] = {
    "ok", "missing", "malformed", "untrusted_key_header", "unknown_key",
    "alg_mismatch", "bad_signature", "expired", "not_yet_valid",
    "issued_in_future", "lifetime_exceeded", "revoked", "wrong_issuer",
    "wrong_audience", "wrong_kind", "tenant_mismatch", "insufficient_role",
    "claim_mismatch", "revocation_unavailable", "excess_privilege"
};


/* a ticket with BASE and extra claims, through ticket_parse() */

static void
ticket_with(parsed_t *pt, const char *extra, const char *roles_path)
{
    char          *h, *p, *payload;
    size_t         hl, pl, len;
    ticket_str_t   rp;

    static const char  header[] = "{\"alg\":\"HS256\"}";

    payload = malloc(strlen(BASE) + strlen(extra) + 4);
    assert_non_null(payload);
    sprintf(payload, "{%s%s%s}", BASE, extra[0] ? "," : "", extra);

    h = malloc(ticket_b64url_encoded_len(sizeof(header) - 1));
    p = malloc(ticket_b64url_encoded_len(strlen(payload)));
    assert_non_null(h);
    assert_non_null(p);

    hl = ticket_b64url_encode(h, (const unsigned char *) header,
                              sizeof(header) - 1);
    pl = ticket_b64url_encode(p, (const unsigned char *) payload,
                              strlen(payload));

    len = hl + pl + 2;
    pt->token = malloc(len);
    assert_non_null(pt->token);

    memcpy(pt->token, h, hl);
    pt->token[hl] = '.';
    memcpy(pt->token + hl + 1, p, pl);
    pt->token[len - 1] = '.';

    rp.data = roles_path;
    rp.len = roles_path ? strlen(roles_path) : 0;

    ticket_init(&pt->t);
    assert_int_equal(ticket_parse(&pt->t, pt->token, len, &rp), TICKET_OK);

    free(h);
    free(p);
    free(payload);
}


static void
parsed_free(parsed_t *pt)
{
    ticket_free(&pt->t);
    free(pt->token);
}


static void
policy_init(ticket_policy_t *p)
{
    memset(p, 0, sizeof(ticket_policy_t));

    p->kinds = TICKET_KIND_ANY;
    p->leeway = 30;
    p->max_lifetime = 3600;
}


static void
test_reason_names(void **state)
{
    int  i;

    assert_int_equal(sizeof(reason_names) / sizeof(reason_names[0]),
                     TICKET_REASON_MAX);

    for (i = 0; i < TICKET_REASON_MAX; i++) {
        assert_string_equal(ticket_reason_name(i), reason_names[i]);
        assert_int_equal(ticket_reason_from_name(reason_names[i],
                                                 strlen(reason_names[i])),
                         i);
    }

    assert_string_equal(ticket_reason_name(TICKET_OK), "ok");
    assert_string_equal(ticket_reason_name(TICKET_EXCESS_PRIVILEGE),
                        "excess_privilege");

    /* out of range: a name still, never NULL */

    assert_non_null(ticket_reason_name(TICKET_REASON_MAX));
    assert_non_null(ticket_reason_name((ticket_reason_t) -1));
    assert_int_equal(ticket_reason_from_name(
                         ticket_reason_name(TICKET_REASON_MAX),
                         strlen(ticket_reason_name(TICKET_REASON_MAX))),
                     -1);

    /* exact, length-bounded */

    assert_int_equal(ticket_reason_from_name("expiredXX", 7), TICKET_EXPIRED);
    assert_int_equal(ticket_reason_from_name("expire", 6), -1);
    assert_int_equal(ticket_reason_from_name("expired ", 8), -1);
    assert_int_equal(ticket_reason_from_name("Expired", 7), -1);
    assert_int_equal(ticket_reason_from_name("OK", 2), -1);
    assert_int_equal(ticket_reason_from_name("", 0), -1);
    assert_int_equal(ticket_reason_from_name(NULL, 0), -1);
    assert_int_equal(ticket_reason_from_name("ok\0", 3), -1);
}


static void
test_reason_status(void **state)
{
    int  i, status;

    for (i = 0; i < TICKET_REASON_MAX; i++) {
        switch (i) {
        case TICKET_OK:
        case TICKET_EXCESS_PRIVILEGE:
            status = 0;
            break;
        case TICKET_WRONG_AUDIENCE:
        case TICKET_WRONG_KIND:
        case TICKET_INSUFFICIENT_ROLE:
        case TICKET_CLAIM_MISMATCH:
            status = 403;
            break;
        case TICKET_REVOCATION_UNAVAILABLE:
            status = 503;
            break;
        default:
            status = 401;
        }

        assert_int_equal(ticket_reason_status(i), status);
    }

    assert_int_equal(ticket_reason_status(TICKET_MISSING), 401);
    assert_int_equal(ticket_reason_status(TICKET_TENANT_MISMATCH), 401);
    assert_int_equal(ticket_reason_status(TICKET_WRONG_ISSUER), 401);
    assert_int_equal(ticket_reason_status(TICKET_REVOKED), 401);

    /* an unknown reason never allows */

    assert_int_equal(ticket_reason_status(TICKET_REASON_MAX), 401);
    assert_int_equal(ticket_reason_status((ticket_reason_t) -1), 401);
}


/* iat 1000, exp 2000, leeway 30, max lifetime 3600 */

static void
test_time_exp(void **state)
{
    ticket_t         t;
    ticket_policy_t  p;

    ticket_init(&t);
    policy_init(&p);
    t.iat = 1000;
    t.exp = 2000;

    assert_int_equal(ticket_check_time(&t, &p, 1500), TICKET_OK);
    assert_int_equal(ticket_check_time(&t, &p, 1999), TICKET_OK);
    assert_int_equal(ticket_check_time(&t, &p, 2000), TICKET_OK);
    assert_int_equal(ticket_check_time(&t, &p, 2029), TICKET_OK);
    assert_int_equal(ticket_check_time(&t, &p, 2030), TICKET_EXPIRED);
    assert_int_equal(ticket_check_time(&t, &p, 2031), TICKET_EXPIRED);

    p.leeway = 0;
    assert_int_equal(ticket_check_time(&t, &p, 1999), TICKET_OK);
    assert_int_equal(ticket_check_time(&t, &p, 2000), TICKET_EXPIRED);
}


static void
test_time_nbf(void **state)
{
    ticket_t         t;
    ticket_policy_t  p;

    ticket_init(&t);
    policy_init(&p);
    t.iat = 1000;
    t.exp = 2000;
    t.nbf = 1500;

    /* nbf ignored unless present */

    assert_int_equal(ticket_check_time(&t, &p, 1100), TICKET_OK);

    t.has_nbf = 1;

    assert_int_equal(ticket_check_time(&t, &p, 1469), TICKET_NOT_YET_VALID);
    assert_int_equal(ticket_check_time(&t, &p, 1470), TICKET_OK);
    assert_int_equal(ticket_check_time(&t, &p, 1500), TICKET_OK);

    p.leeway = 0;
    assert_int_equal(ticket_check_time(&t, &p, 1499), TICKET_NOT_YET_VALID);
    assert_int_equal(ticket_check_time(&t, &p, 1500), TICKET_OK);
}


static void
test_time_iat(void **state)
{
    ticket_t         t;
    ticket_policy_t  p;

    ticket_init(&t);
    policy_init(&p);
    t.iat = 1000;
    t.exp = 2000;

    assert_int_equal(ticket_check_time(&t, &p, 969), TICKET_ISSUED_IN_FUTURE);
    assert_int_equal(ticket_check_time(&t, &p, 970), TICKET_OK);

    p.leeway = 0;
    assert_int_equal(ticket_check_time(&t, &p, 999), TICKET_ISSUED_IN_FUTURE);
    assert_int_equal(ticket_check_time(&t, &p, 1000), TICKET_OK);
}


static void
test_time_lifetime(void **state)
{
    ticket_t         t;
    ticket_policy_t  p;

    ticket_init(&t);
    policy_init(&p);
    t.iat = 1000;
    t.exp = 1000 + 3600;

    assert_int_equal(ticket_check_time(&t, &p, 1000), TICKET_OK);

    t.exp++;
    assert_int_equal(ticket_check_time(&t, &p, 1000),
                     TICKET_LIFETIME_EXCEEDED);

    /* the leeway does not stretch the lifetime */

    p.leeway = 1000;
    assert_int_equal(ticket_check_time(&t, &p, 1000),
                     TICKET_LIFETIME_EXCEEDED);

    p.max_lifetime = 3601;
    assert_int_equal(ticket_check_time(&t, &p, 1000), TICKET_OK);

    /* exp before iat: no issuer made it, whatever the window says */

    t.iat = 2000;
    t.exp = 1990;
    assert_int_equal(ticket_check_time(&t, &p, 1980), TICKET_MALFORMED);

    t.exp = 2000;
    assert_int_equal(ticket_check_time(&t, &p, 1980), TICKET_OK);
}


/* expired, then not yet valid, then issued in future, then lifetime */

static void
test_time_order(void **state)
{
    ticket_t         t;
    ticket_policy_t  p;

    ticket_init(&t);
    policy_init(&p);
    p.leeway = 0;
    p.max_lifetime = 10;

    t.iat = 5000;
    t.exp = 6000;
    t.nbf = 5000;
    t.has_nbf = 1;

    assert_int_equal(ticket_check_time(&t, &p, 7000), TICKET_EXPIRED);
    assert_int_equal(ticket_check_time(&t, &p, 100), TICKET_NOT_YET_VALID);

    t.has_nbf = 0;
    assert_int_equal(ticket_check_time(&t, &p, 100), TICKET_ISSUED_IN_FUTURE);
    assert_int_equal(ticket_check_time(&t, &p, 5500),
                     TICKET_LIFETIME_EXCEEDED);
}


/* out-of-range configuration and times: clamped, no overflow (UBSan) */

static void
test_time_clamp(void **state)
{
    ticket_t         t;
    ticket_policy_t  p;

    ticket_init(&t);
    policy_init(&p);
    t.iat = 1000;
    t.exp = 2000;
    t.nbf = 1000;
    t.has_nbf = 1;

    p.leeway = -100;
    assert_int_equal(ticket_check_time(&t, &p, 2000), TICKET_EXPIRED);
    assert_int_equal(ticket_check_time(&t, &p, 1999), TICKET_OK);
    assert_int_equal(ticket_check_time(&t, &p, 999), TICKET_NOT_YET_VALID);

    p.leeway = INT64_MAX;
    assert_int_equal(ticket_check_time(&t, &p, 2000), TICKET_OK);
    assert_int_equal(ticket_check_time(&t, &p, 0), TICKET_OK);
    assert_int_equal(ticket_check_time(&t, &p, INT64_MAX), TICKET_EXPIRED);
    assert_int_equal(ticket_check_time(&t, &p, INT64_MIN),
                     TICKET_NOT_YET_VALID);

    p.leeway = INT64_MIN;
    assert_int_equal(ticket_check_time(&t, &p, 2000), TICKET_EXPIRED);
    assert_int_equal(ticket_check_time(&t, &p, INT64_MIN),
                     TICKET_NOT_YET_VALID);

    p.leeway = 30;
    p.max_lifetime = INT64_MAX;
    t.iat = 0;
    t.exp = TICKET_MAX_TIME;
    assert_int_equal(ticket_check_time(&t, &p, 1000), TICKET_OK);

    p.max_lifetime = -1;
    t.iat = 1000;
    t.exp = 1000;
    assert_int_equal(ticket_check_time(&t, &p, 1000), TICKET_OK);
    t.exp = 1001;
    assert_int_equal(ticket_check_time(&t, &p, 1000),
                     TICKET_LIFETIME_EXCEEDED);

    p.max_lifetime = INT64_MIN;
    assert_int_equal(ticket_check_time(&t, &p, 1000),
                     TICKET_LIFETIME_EXCEEDED);

    /* a ticket not from ticket_parse(): its times are clamped too */

    p.max_lifetime = 3600;
    t.iat = INT64_MIN;
    t.exp = INT64_MAX;
    t.nbf = INT64_MAX;
    assert_int_equal(ticket_check_time(&t, &p, 1000), TICKET_NOT_YET_VALID);
    t.has_nbf = 0;
    assert_int_equal(ticket_check_time(&t, &p, 1000),
                     TICKET_LIFETIME_EXCEEDED);
    t.exp = INT64_MIN;
    assert_int_equal(ticket_check_time(&t, &p, 1000), TICKET_EXPIRED);
}


/* the largest times the parser lets through */

static void
test_time_max(void **state)
{
    parsed_t         pt;
    ticket_policy_t  p;

    policy_init(&p);
    p.leeway = TICKET_MAX_TIME;
    p.max_lifetime = TICKET_MAX_TIME;

    ticket_with(&pt, "\"nbf\":253402300799", NULL);
    pt.t.iat = TICKET_MAX_TIME;
    pt.t.exp = TICKET_MAX_TIME;

    assert_int_equal(ticket_check_time(&pt.t, &p, 0), TICKET_OK);
    assert_int_equal(ticket_check_time(&pt.t, &p, 2 * TICKET_MAX_TIME - 1),
                     TICKET_OK);
    assert_int_equal(ticket_check_time(&pt.t, &p, 2 * TICKET_MAX_TIME),
                     TICKET_EXPIRED);
    assert_int_equal(ticket_check_time(&pt.t, &p, -1), TICKET_NOT_YET_VALID);

    parsed_free(&pt);
}


static void
test_kind(void **state)
{
    parsed_t         user;
    ticket_policy_t  p;

    ticket_with(&user, "", NULL);

    policy_init(&p);

    p.kinds = TICKET_KIND_ANY;
    assert_int_equal(ticket_authorize(&user.t, &p), TICKET_OK);

    p.kinds = TICKET_KIND_USER;
    assert_int_equal(ticket_authorize(&user.t, &p), TICKET_OK);

    p.kinds = TICKET_KIND_SERVICE;
    assert_int_equal(ticket_authorize(&user.t, &p), TICKET_WRONG_KIND);

    p.kinds = 0;
    assert_int_equal(ticket_authorize(&user.t, &p), TICKET_WRONG_KIND);

    parsed_free(&user);
}


static void
test_kind_service(void **state)
{
    char             *tok, *h, *pl;
    size_t            hn, pn, len;
    ticket_t          t;
    ticket_policy_t   p;

    static const char  header[] = "{\"alg\":\"HS256\"}";
    static const char  payload[] =
        "{\"sub\":\"billing\",\"kind\":\"service\",\"jti\":\"j\","
        "\"iat\":1,\"exp\":2,\"aud\":\"orders\"}";

    h = malloc(64);
    pl = malloc(256);
    tok = malloc(512);
    assert_non_null(h);
    assert_non_null(pl);
    assert_non_null(tok);

    hn = ticket_b64url_encode(h, (const unsigned char *) header,
                              sizeof(header) - 1);
    pn = ticket_b64url_encode(pl, (const unsigned char *) payload,
                              sizeof(payload) - 1);
    len = (size_t) sprintf(tok, "%.*s.%.*s.", (int) hn, h, (int) pn, pl);

    ticket_init(&t);
    assert_int_equal(ticket_parse(&t, tok, len, NULL), TICKET_OK);
    assert_int_equal(t.kind, TICKET_KIND_SERVICE);

    policy_init(&p);

    p.kinds = TICKET_KIND_SERVICE;
    assert_int_equal(ticket_authorize(&t, &p), TICKET_OK);

    p.kinds = TICKET_KIND_USER;
    assert_int_equal(ticket_authorize(&t, &p), TICKET_WRONG_KIND);

    ticket_free(&t);
    free(tok);
    free(pl);
    free(h);
}


static void
test_audience(void **state)
{
    parsed_t          none, str, arr, empty;
    ticket_str_t      auds[] = { S("orders"), S("billing") };
    ticket_str_t      other[] = { S("Orders"), S("order"), S("orders ") };
    ticket_policy_t   p;

    ticket_with(&none, "", NULL);
    ticket_with(&str, "\"aud\":\"orders\"", NULL);
    ticket_with(&arr, "\"aud\":[\"x\",\"billing\"]", NULL);
    ticket_with(&empty, "\"aud\":[]", NULL);

    policy_init(&p);

    /* no audience configured: any, even none */

    assert_int_equal(ticket_authorize(&none.t, &p), TICKET_OK);
    assert_int_equal(ticket_authorize(&empty.t, &p), TICKET_OK);

    p.audiences.values = auds;
    p.audiences.n = 2;

    assert_int_equal(ticket_authorize(&none.t, &p), TICKET_WRONG_AUDIENCE);
    assert_int_equal(ticket_authorize(&empty.t, &p), TICKET_WRONG_AUDIENCE);
    assert_int_equal(ticket_authorize(&str.t, &p), TICKET_OK);
    assert_int_equal(ticket_authorize(&arr.t, &p), TICKET_OK);

    p.audiences.n = 1;
    assert_int_equal(ticket_authorize(&arr.t, &p), TICKET_WRONG_AUDIENCE);

    /* exact: case, prefix, trailing space */

    p.audiences.values = other;
    p.audiences.n = 3;
    assert_int_equal(ticket_authorize(&str.t, &p), TICKET_WRONG_AUDIENCE);

    parsed_free(&none);
    parsed_free(&str);
    parsed_free(&arr);
    parsed_free(&empty);
}


static void
test_has_role(void **state)
{
    parsed_t  arr, str, none, empty, deep;

    ticket_with(&arr, "\"roles\":[\"admin\",\"ops\",\"\",\"a b\"]", NULL);
    ticket_with(&str, "\"roles\":\"  reader   writer admin \"", NULL);
    ticket_with(&none, "", NULL);
    ticket_with(&empty, "\"roles\":\"\"", NULL);
    ticket_with(&deep, "\"realm_access\":{\"roles\":[\"kc-admin\"]},"
                "\"roles\":[\"top\"]", "realm_access.roles");

    assert_true(ticket_has_role(&arr.t, "admin", 5));
    assert_true(ticket_has_role(&arr.t, "ops", 3));
    assert_true(ticket_has_role(&arr.t, "a b", 3));
    assert_false(ticket_has_role(&arr.t, "Admin", 5));
    assert_false(ticket_has_role(&arr.t, "adm", 3));
    assert_false(ticket_has_role(&arr.t, "admins", 6));
    assert_false(ticket_has_role(&arr.t, "a", 1));

    /* length-bounded */

    assert_true(ticket_has_role(&arr.t, "opsXYZ", 3));

    /* an empty role is never held, even from an array holding "" */

    assert_false(ticket_has_role(&arr.t, "", 0));
    assert_false(ticket_has_role(&arr.t, NULL, 0));

    assert_true(ticket_has_role(&str.t, "reader", 6));
    assert_true(ticket_has_role(&str.t, "writer", 6));
    assert_true(ticket_has_role(&str.t, "admin", 5));
    assert_false(ticket_has_role(&str.t, "read", 4));
    assert_false(ticket_has_role(&str.t, "reader writer", 13));
    assert_false(ticket_has_role(&str.t, " ", 1));
    assert_false(ticket_has_role(&str.t, "", 0));
    assert_false(ticket_has_role(&str.t, "ADMIN", 5));

    assert_false(ticket_has_role(&none.t, "admin", 5));
    assert_false(ticket_has_role(&empty.t, "admin", 5));
    assert_false(ticket_has_role(&empty.t, "", 0));

    assert_true(ticket_has_role(&deep.t, "kc-admin", 8));
    assert_false(ticket_has_role(&deep.t, "top", 3));

    parsed_free(&arr);
    parsed_free(&str);
    parsed_free(&none);
    parsed_free(&empty);
    parsed_free(&deep);
}


/* one line: any of its roles; several lines: each of them */

static void
test_require_role(void **state)
{
    parsed_t           t1, t2, t3;
    ticket_str_t       l1[] = { S("reader"), S("writer") };
    ticket_str_t       l2[] = { S("eu") };
    ticket_str_t       l3[] = { S("") };
    ticket_policy_t    p;
    ticket_strlist_t   lines[2];

    ticket_with(&t1, "\"roles\":[\"writer\"]", NULL);
    ticket_with(&t2, "\"roles\":\"writer eu\"", NULL);
    ticket_with(&t3, "", NULL);

    policy_init(&p);

    lines[0].values = l1;
    lines[0].n = 2;
    lines[1].values = l2;
    lines[1].n = 1;

    p.role_reqs = lines;
    p.nrole_reqs = 1;

    assert_int_equal(ticket_authorize(&t1.t, &p), TICKET_OK);
    assert_int_equal(ticket_authorize(&t2.t, &p), TICKET_OK);
    assert_int_equal(ticket_authorize(&t3.t, &p), TICKET_INSUFFICIENT_ROLE);

    p.nrole_reqs = 2;

    assert_int_equal(ticket_authorize(&t1.t, &p), TICKET_INSUFFICIENT_ROLE);
    assert_int_equal(ticket_authorize(&t2.t, &p), TICKET_OK);
    assert_int_equal(ticket_authorize(&t3.t, &p), TICKET_INSUFFICIENT_ROLE);

    /* an empty line, or a line of "", is never satisfied */

    lines[1].n = 0;
    assert_int_equal(ticket_authorize(&t2.t, &p), TICKET_INSUFFICIENT_ROLE);

    lines[1].values = l3;
    lines[1].n = 1;
    assert_int_equal(ticket_authorize(&t2.t, &p), TICKET_INSUFFICIENT_ROLE);

    parsed_free(&t1);
    parsed_free(&t2);
    parsed_free(&t3);
}


static void
test_require_role_path(void **state)
{
    parsed_t           kc;
    ticket_str_t       l1[] = { S("admin") };
    ticket_policy_t    p;
    ticket_strlist_t   line;

    ticket_with(&kc, "\"realm_access\":{\"roles\":[\"admin\"]}",
                "realm_access.roles");

    policy_init(&p);
    line.values = l1;
    line.n = 1;
    p.role_reqs = &line;
    p.nrole_reqs = 1;

    assert_int_equal(ticket_authorize(&kc.t, &p), TICKET_OK);
    parsed_free(&kc);

    /* the same ticket read with the default path holds nothing */

    ticket_with(&kc, "\"realm_access\":{\"roles\":[\"admin\"]}", NULL);
    assert_int_equal(ticket_authorize(&kc.t, &p), TICKET_INSUFFICIENT_ROLE);
    parsed_free(&kc);
}


static ticket_reason_t
claim_check(parsed_t *pt, const char *name, const ticket_str_t *values,
    size_t n)
{
    ticket_policy_t     p;
    ticket_claim_req_t  req;

    policy_init(&p);

    req.name.data = name;
    req.name.len = strlen(name);
    req.values.values = (ticket_str_t *) values;
    req.values.n = n;

    p.claim_reqs = &req;
    p.nclaim_reqs = 1;

    return ticket_authorize(&pt->t, &p);
}


static void
test_require_claim(void **state)
{
    parsed_t      pt;
    ticket_str_t  dept[] = { S("sales"), S("it") };
    ticket_str_t  num[] = { S("42") };
    ticket_str_t  num0[] = { S("042") };
    ticket_str_t  neg[] = { S("-7") };
    ticket_str_t  yes[] = { S("true") };
    ticket_str_t  no[] = { S("false") };
    ticket_str_t  one[] = { S("1") };
    ticket_str_t  real[] = { S("1.5") };
    ticket_str_t  null[] = { S("null"), S("") };
    ticket_str_t  obj[] = { S("{}"), S("{\"a\":1}") };
    ticket_str_t  emptys[] = { S("") };

    ticket_with(&pt, "\"dept\":\"it\",\"level\":42,\"neg\":-7,"
                "\"mfa\":true,\"guest\":false,\"ratio\":1.5,\"nil\":null,"
                "\"o\":{\"a\":1},\"groups\":[\"eng\",\"it\"],"
                "\"ids\":[7,42],\"flags\":[false,true],"
                "\"nested\":[[\"it\"]],\"empty\":\"\","
                "\"org\":{\"unit\":{\"name\":\"sales\"}}", NULL);

    /* strings exactly */

    assert_int_equal(claim_check(&pt, "dept", dept, 2), TICKET_OK);
    assert_int_equal(claim_check(&pt, "dept", dept, 1), TICKET_CLAIM_MISMATCH);
    assert_int_equal(claim_check(&pt, "sub", dept, 2), TICKET_CLAIM_MISMATCH);
    assert_int_equal(claim_check(&pt, "empty", emptys, 1), TICKET_OK);
    assert_int_equal(claim_check(&pt, "empty", dept, 2),
                     TICKET_CLAIM_MISMATCH);

    /* integers by their decimal text */

    assert_int_equal(claim_check(&pt, "level", num, 1), TICKET_OK);
    assert_int_equal(claim_check(&pt, "level", num0, 1),
                     TICKET_CLAIM_MISMATCH);
    assert_int_equal(claim_check(&pt, "neg", neg, 1), TICKET_OK);
    assert_int_equal(claim_check(&pt, "iat", num, 1), TICKET_CLAIM_MISMATCH);

    /* booleans as true and false; 1 is not true */

    assert_int_equal(claim_check(&pt, "mfa", yes, 1), TICKET_OK);
    assert_int_equal(claim_check(&pt, "mfa", no, 1), TICKET_CLAIM_MISMATCH);
    assert_int_equal(claim_check(&pt, "mfa", one, 1), TICKET_CLAIM_MISMATCH);
    assert_int_equal(claim_check(&pt, "guest", no, 1), TICKET_OK);
    assert_int_equal(claim_check(&pt, "guest", yes, 1), TICKET_CLAIM_MISMATCH);

    /* reals, null and objects never match */

    assert_int_equal(claim_check(&pt, "ratio", real, 1),
                     TICKET_CLAIM_MISMATCH);
    assert_int_equal(claim_check(&pt, "nil", null, 2), TICKET_CLAIM_MISMATCH);
    assert_int_equal(claim_check(&pt, "o", obj, 2), TICKET_CLAIM_MISMATCH);

    /* arrays: one member equal */

    assert_int_equal(claim_check(&pt, "groups", dept, 2), TICKET_OK);
    assert_int_equal(claim_check(&pt, "groups", dept, 1),
                     TICKET_CLAIM_MISMATCH);
    assert_int_equal(claim_check(&pt, "ids", num, 1), TICKET_OK);
    assert_int_equal(claim_check(&pt, "ids", neg, 1), TICKET_CLAIM_MISMATCH);
    assert_int_equal(claim_check(&pt, "flags", yes, 1), TICKET_OK);
    assert_int_equal(claim_check(&pt, "nested", dept, 2),
                     TICKET_CLAIM_MISMATCH);

    /* dotted paths; absent is a mismatch */

    assert_int_equal(claim_check(&pt, "org.unit.name", dept, 2), TICKET_OK);
    assert_int_equal(claim_check(&pt, "org.unit", dept, 2),
                     TICKET_CLAIM_MISMATCH);
    assert_int_equal(claim_check(&pt, "org.unit.nope", dept, 2),
                     TICKET_CLAIM_MISMATCH);
    assert_int_equal(claim_check(&pt, "absent", emptys, 1),
                     TICKET_CLAIM_MISMATCH);
    assert_int_equal(claim_check(&pt, "", emptys, 1), TICKET_CLAIM_MISMATCH);

    /* no values: nothing matches */

    assert_int_equal(claim_check(&pt, "dept", dept, 0),
                     TICKET_CLAIM_MISMATCH);

    parsed_free(&pt);
}


/* lines AND together */

static void
test_require_claims_and(void **state)
{
    parsed_t            pt;
    ticket_str_t        it[] = { S("it") };
    ticket_str_t        yes[] = { S("true") };
    ticket_policy_t     p;
    ticket_claim_req_t  reqs[2];

    ticket_with(&pt, "\"dept\":\"it\",\"mfa\":false", NULL);

    policy_init(&p);

    reqs[0].name.data = "dept";
    reqs[0].name.len = 4;
    reqs[0].values.values = it;
    reqs[0].values.n = 1;
    reqs[1].name.data = "mfa";
    reqs[1].name.len = 3;
    reqs[1].values.values = yes;
    reqs[1].values.n = 1;

    p.claim_reqs = reqs;

    p.nclaim_reqs = 1;
    assert_int_equal(ticket_authorize(&pt.t, &p), TICKET_OK);

    p.nclaim_reqs = 2;
    assert_int_equal(ticket_authorize(&pt.t, &p), TICKET_CLAIM_MISMATCH);

    parsed_free(&pt);
}


/* kind, then audience, then roles, then claims */

static void
test_authorize_order(void **state)
{
    parsed_t            pt;
    ticket_str_t        aud[] = { S("orders") };
    ticket_str_t        role[] = { S("admin") };
    ticket_str_t        val[] = { S("x") };
    ticket_policy_t     p;
    ticket_strlist_t    line;
    ticket_claim_req_t  req;

    ticket_with(&pt, "\"aud\":\"billing\",\"roles\":[\"reader\"]", NULL);

    policy_init(&p);

    p.kinds = TICKET_KIND_SERVICE;
    p.audiences.values = aud;
    p.audiences.n = 1;

    line.values = role;
    line.n = 1;
    p.role_reqs = &line;
    p.nrole_reqs = 1;

    req.name.data = "dept";
    req.name.len = 4;
    req.values.values = val;
    req.values.n = 1;
    p.claim_reqs = &req;
    p.nclaim_reqs = 1;

    assert_int_equal(ticket_authorize(&pt.t, &p), TICKET_WRONG_KIND);

    p.kinds = TICKET_KIND_USER;
    assert_int_equal(ticket_authorize(&pt.t, &p), TICKET_WRONG_AUDIENCE);

    p.audiences.n = 0;
    assert_int_equal(ticket_authorize(&pt.t, &p), TICKET_INSUFFICIENT_ROLE);

    p.nrole_reqs = 0;
    assert_int_equal(ticket_authorize(&pt.t, &p), TICKET_CLAIM_MISMATCH);

    p.nclaim_reqs = 0;
    assert_int_equal(ticket_authorize(&pt.t, &p), TICKET_OK);

    parsed_free(&pt);
}


static void
test_excess_privilege(void **state)
{
    parsed_t           admin, both, reader;
    ticket_str_t       priv[] = { S("admin"), S("root") };
    ticket_str_t       l1[] = { S("reader"), S("admin") };
    ticket_str_t       l2[] = { S("reader") };
    ticket_policy_t    p;
    ticket_strlist_t   lines[2];

    ticket_with(&admin, "\"roles\":[\"reader\",\"admin\"]", NULL);
    ticket_with(&both, "\"roles\":\"admin root reader\"", NULL);
    ticket_with(&reader, "\"roles\":[\"reader\"]", NULL);

    policy_init(&p);

    /* no privileged roles configured */

    assert_false(ticket_excess_privilege(&admin.t, &p));

    p.privileged_roles.values = priv;
    p.privileged_roles.n = 2;

    /* no role required: any privileged role held is excess */

    assert_true(ticket_excess_privilege(&admin.t, &p));
    assert_true(ticket_excess_privilege(&both.t, &p));
    assert_false(ticket_excess_privilege(&reader.t, &p));

    /* required on some line: not excess */

    lines[0].values = l2;
    lines[0].n = 1;
    lines[1].values = l1;
    lines[1].n = 2;
    p.role_reqs = lines;

    p.nrole_reqs = 1;
    assert_true(ticket_excess_privilege(&admin.t, &p));

    p.nrole_reqs = 2;
    assert_false(ticket_excess_privilege(&admin.t, &p));
    assert_false(ticket_excess_privilege(&reader.t, &p));

    /* root is held and named nowhere */

    assert_true(ticket_excess_privilege(&both.t, &p));

    /* excess privilege does not deny */

    assert_int_equal(ticket_authorize(&both.t, &p), TICKET_OK);
    assert_int_equal(ticket_reason_status(TICKET_EXCESS_PRIVILEGE), 0);

    parsed_free(&admin);
    parsed_free(&both);
    parsed_free(&reader);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_reason_names),
        cmocka_unit_test(test_reason_status),
        cmocka_unit_test(test_time_exp),
        cmocka_unit_test(test_time_nbf),
        cmocka_unit_test(test_time_iat),
        cmocka_unit_test(test_time_lifetime),
        cmocka_unit_test(test_time_order),
        cmocka_unit_test(test_time_clamp),
        cmocka_unit_test(test_time_max),
        cmocka_unit_test(test_kind),
        cmocka_unit_test(test_kind_service),
        cmocka_unit_test(test_audience),
        cmocka_unit_test(test_has_role),
        cmocka_unit_test(test_require_role),
        cmocka_unit_test(test_require_role_path),
        cmocka_unit_test(test_require_claim),
        cmocka_unit_test(test_require_claims_and),
        cmocka_unit_test(test_authorize_order),
        cmocka_unit_test(test_excess_privilege),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
