
/* ticket_snapshot.c: a verified ticket, flattened and restored */

#include "unit.h"


#define ALL_CLAIMS                                                           \
    "{\"sub\":\"alice\",\"kind\":\"service\",\"jti\":\"j1\","                \
    "\"iat\":1000,\"exp\":2000,\"nbf\":900,\"iss\":\"https://idp\","         \
    "\"aud\":[\"orders\",\"billing\"],\"tenant\":\"acme\",\"sid\":\"s9\","   \
    "\"roles\":\"reader  writer admin\",\"dept\":\"sales\","                 \
    "\"n\":{\"x\":[1,2]}}"


static char *
token_of(const char *header, const char *claims, size_t *len)
{
    char    *tok;
    size_t   hl, cl, n;

    hl = ticket_b64url_encoded_len(strlen(header));
    cl = ticket_b64url_encoded_len(strlen(claims));

    tok = malloc(hl + cl + 3 + 4);
    assert_non_null(tok);

    n = ticket_b64url_encode(tok, (const unsigned char *) header,
                             strlen(header));
    tok[n++] = '.';
    n += ticket_b64url_encode(tok + n, (const unsigned char *) claims,
                              strlen(claims));
    tok[n++] = '.';
    memcpy(tok + n, "AAAA", 4);
    n += 4;

    *len = n;

    return tok;
}


static void
assert_str(const ticket_str_t *a, const ticket_str_t *b)
{
    if (a->data == NULL || b->data == NULL) {
        assert_true(a->data == NULL && b->data == NULL);
        return;
    }

    assert_int_equal(a->len, b->len);
    assert_memory_equal(a->data, b->data, a->len);
}


static void
test_round_trip(void **state)
{
    char             *tok;
    size_t            len, slen, i;
    ticket_t          t, r;
    ticket_str_t      rp = S("dept");
    unsigned char    *buf;
    ticket_policy_t   p;
    ticket_str_t      roles[] = { S("admin") };
    ticket_str_t      auds[] = { S("billing") };
    ticket_strlist_t  line = { roles, 1 };

    (void) state;

    tok = token_of("{\"alg\":\"HS256\",\"kid\":\"k1\",\"typ\":\"JWT\"}",
                   ALL_CLAIMS, &len);

    ticket_init(&t);
    assert_int_equal(ticket_parse(&t, tok, len, NULL), TICKET_OK);
    (void) rp;

    slen = ticket_snapshot_len(&t);
    buf = malloc(slen);
    assert_non_null(buf);
    ticket_snapshot_write(buf, &t);

    ticket_init(&r);
    assert_int_equal(ticket_snapshot_restore(&r, buf, slen, tok, len), 0);

    assert_true(r.restored);
    assert_null(r.claims);
    assert_null(r.header);
    assert_str(&r.sub, &t.sub);
    assert_str(&r.kind_name, &t.kind_name);
    assert_str(&r.jti, &t.jti);
    assert_str(&r.iss, &t.iss);
    assert_str(&r.tenant, &t.tenant);
    assert_str(&r.sid, &t.sid);
    assert_str(&r.kid, &t.kid);
    assert_str(&r.alg_name, &t.alg_name);
    assert_str(&r.typ, &t.typ);
    assert_int_equal(r.alg, TICKET_ALG_HS256);
    assert_int_equal(r.kind, TICKET_KIND_SERVICE);
    assert_int_equal(r.iat, 1000);
    assert_int_equal(r.exp, 2000);
    assert_int_equal(r.nbf, 900);
    assert_true(r.has_nbf);

    assert_int_equal(r.roles_list.n, 3);
    assert_int_equal(r.aud_list.n, 2);

    for (i = 0; i < 3; i++) {
        assert_str(&r.roles_list.values[i], &t.roles_list.values[i]);
    }

    for (i = 0; i < 2; i++) {
        assert_str(&r.aud_list.values[i], &t.aud_list.values[i]);
    }

    /* the policy reads a restored ticket as it reads a parsed one */

    memset(&p, 0, sizeof(ticket_policy_t));
    p.kinds = TICKET_KIND_SERVICE;
    p.leeway = 30;
    p.max_lifetime = 3600;
    p.audiences.values = auds;
    p.audiences.n = 1;
    p.role_reqs = &line;
    p.nrole_reqs = 1;

    assert_int_equal(ticket_authorize(&t, &p), TICKET_OK);
    assert_int_equal(ticket_authorize(&r, &p), TICKET_OK);
    assert_true(ticket_has_role(&r, "writer", 6));
    assert_false(ticket_has_role(&r, "write", 5));
    assert_int_equal(ticket_check_time(&r, &p, 1500), TICKET_OK);

    /* claims only on demand, decoded from the token then */

    assert_null(r.payload);
    assert_int_equal(ticket_claims_load(&r), 0);
    assert_non_null(r.claims);
    assert_int_equal(ticket_jv_get(r.claims, "dept")->n, 5);
    assert_memory_equal(ticket_jv_get(r.claims, "dept")->u.s, "sales", 5);
    assert_int_equal(r.payload_len, strlen(ALL_CLAIMS));
    assert_memory_equal(r.payload, ALL_CLAIMS, r.payload_len);

    /* the claims JSON is not in the snapshot ("sales" is only there) */

    for (i = 0; i + 5 <= slen; i++) {
        assert_true(memcmp(buf + i, "sales", 5) != 0);
    }

    ticket_free(&r);
    ticket_free(&t);
    free(buf);
    free(tok);
}


static void
test_absent_claims(void **state)
{
    char           *tok;
    size_t          len, slen;
    ticket_t        t, r;
    unsigned char  *buf;

    (void) state;

    tok = token_of("{\"alg\":\"ES256\"}",
                   "{\"sub\":\"a\",\"kind\":\"user\",\"jti\":\"j\","
                   "\"iat\":1,\"exp\":2}", &len);

    ticket_init(&t);
    assert_int_equal(ticket_parse(&t, tok, len, NULL), TICKET_OK);

    slen = ticket_snapshot_len(&t);
    buf = malloc(slen);
    assert_non_null(buf);
    ticket_snapshot_write(buf, &t);

    ticket_init(&r);
    assert_int_equal(ticket_snapshot_restore(&r, buf, slen, tok, len), 0);
    assert_null(r.kid.data);
    assert_null(r.iss.data);
    assert_null(r.tenant.data);
    assert_null(r.sid.data);
    assert_null(r.typ.data);
    assert_false(r.has_nbf);
    assert_int_equal(r.roles_list.n, 0);
    assert_int_equal(r.aud_list.n, 0);

    ticket_free(&r);
    ticket_free(&t);
    free(buf);
    free(tok);
}


/* a damaged snapshot is refused, never read past */

static void
test_damaged(void **state)
{
    char           *tok;
    size_t          len, slen, cut;
    ticket_t        t, r;
    unsigned char  *buf, *copy;

    (void) state;

    tok = token_of("{\"alg\":\"HS256\",\"kid\":\"k1\"}", ALL_CLAIMS, &len);

    ticket_init(&t);
    assert_int_equal(ticket_parse(&t, tok, len, NULL), TICKET_OK);

    slen = ticket_snapshot_len(&t);
    buf = malloc(slen);
    assert_non_null(buf);
    ticket_snapshot_write(buf, &t);

    /* every shorter length: exact-size copies, so ASan sees overreads */

    for (cut = 0; cut < slen; cut++) {
        copy = malloc(cut ? cut : 1);
        assert_non_null(copy);
        memcpy(copy, buf, cut);
        ticket_init(&r);
        assert_int_equal(ticket_snapshot_restore(&r, copy, cut, tok, len), -1);
        free(copy);
    }

    /* a string length that points past the end */

    copy = malloc(slen);
    assert_non_null(copy);
    memcpy(copy, buf, slen);
    memset(copy + 48, 0x7f, 4);
    ticket_init(&r);
    assert_int_equal(ticket_snapshot_restore(&r, copy, slen, tok, len), -1);

    /* a wrong magic, and a list count larger than the buffer */

    memcpy(copy, buf, slen);
    copy[0] ^= 0xff;
    ticket_init(&r);
    assert_int_equal(ticket_snapshot_restore(&r, copy, slen, tok, len), -1);

    memcpy(copy, buf, slen);
    memset(copy + 32, 0xff, 4);
    ticket_init(&r);
    assert_int_equal(ticket_snapshot_restore(&r, copy, slen, tok, len), -1);

    /* an algorithm no build knows (after has_nbf and kind) */

    memcpy(copy, buf, slen);
    copy[42] = 0xff;
    ticket_init(&r);
    assert_int_equal(ticket_snapshot_restore(&r, copy, slen, tok, len), -1);

    free(copy);
    ticket_free(&t);
    free(buf);
    free(tok);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_absent_claims),
        cmocka_unit_test(test_damaged),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
