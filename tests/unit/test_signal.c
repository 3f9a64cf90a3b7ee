
/*
 * ticket_signal.c: Security Event Tokens and Back-Channel Logout tokens
 * signed here (HS256, secrets made here), every row of the SPEC's table
 * ("Revocation fed by identity providers"), the subject formats, and
 * each RFC 8935 error a bad token earns.
 */

#include "unit.h"

#include <openssl/hmac.h>
#include <openssl/evp.h>

#include <ticket_signal.h>


#define NOW      1700000000LL
#define ISS      "https://idp.example.com/"
#define AUD      "https://gw.example.com/ssf"
#define CAEP     "https://schemas.openid.net/secevent/caep/event-type/"
#define RISC     "https://schemas.openid.net/secevent/risc/event-type/"
#define BCL      "http://schemas.openid.net/event/backchannel-logout"


static ticket_keyset_t  ks;
static ticket_policy_t  pol;
static ticket_str_t     issuers[1] = { S(ISS) };
static ticket_str_t     audiences[1] = { S(AUD) };
static const char       secret[] = "0123456789abcdef0123456789abcdef";
static const char       other[] = "fedcba9876543210fedcba9876543210";
static char             token[8192];


static const char *
sign(const char *kid, const char *key, const char *claims)
{
    char           header[128];
    size_t         n;
    unsigned int   maclen;
    unsigned char  mac[EVP_MAX_MD_SIZE];

    snprintf(header, sizeof(header),
             "{\"alg\":\"HS256\",\"kid\":\"%s\",\"typ\":\"secevent+jwt\"}",
             kid);

    n = ticket_b64url_encode(token, (const unsigned char *) header,
                             strlen(header));
    token[n++] = '.';
    n += ticket_b64url_encode(token + n, (const unsigned char *) claims,
                              strlen(claims));

    assert_non_null(HMAC(EVP_sha256(), key, (int) strlen(key),
                         (const unsigned char *) token, n, mac, &maclen));

    token[n++] = '.';
    n += ticket_b64url_encode(token + n, mac, maclen);
    token[n] = '\0';

    return token;
}


static ticket_signal_err_t
parse(ticket_signal_t *s, ticket_signal_kind_t kind, const char *claims,
    const char *tenant)
{
    const char    *tok;
    ticket_str_t   t;

    tok = sign("k1", secret, claims);

    t.data = tenant;
    t.len = tenant ? strlen(tenant) : 0;

    return ticket_signal_parse(s, kind, tok, strlen(tok), &ks, &pol, &t,
                               NOW);
}


/* a SET of one event, shaped as RFC 8417 section 2.1 and CAEP 1.0 */

static const char *
set_of(const char *event, const char *payload)
{
    static char  claims[4096];

    snprintf(claims, sizeof(claims),
             "{\"iss\":\"" ISS "\",\"jti\":\"756E69717565206964656E746966\","
             "\"iat\":%lld,\"aud\":\"" AUD "\","
             "\"events\":{\"%s\":%s}}",
             NOW - 10, event, payload);

    return claims;
}


static void
expect_row(const char *claims, ticket_signal_kind_t kind, const char *tenant,
    ticket_rev_list_t list, const char *member, int64_t cutoff)
{
    char                 buf[512], actor[512];
    ticket_str_t         t;
    ticket_signal_t      s;
    ticket_rev_entry_t   e;

    assert_int_equal(parse(&s, kind, claims, tenant), TICKET_SIGNAL_OK);
    assert_int_equal(s.nevents, 1);
    assert_int_equal(s.events[0].list, list);

    if (list != TICKET_REV_LISTS) {
        t.data = tenant;
        t.len = tenant ? strlen(tenant) : 0;

        assert_int_equal(ticket_signal_entry(&s, &s.events[0], kind, &t,
                                             buf, sizeof(buf), actor,
                                             sizeof(actor), &e), 0);
        assert_string_equal(buf, member);
        assert_int_equal(e.value, cutoff);
        assert_string_equal(actor, kind == TICKET_SIGNAL_LOGOUT
                                   ? "bcl:" ISS : "ssf:" ISS);
        assert_int_equal(e.reason.len, s.events[0].uri.len);
    }

    ticket_signal_free(&s);
}


static void
expect_err(const char *claims, ticket_signal_kind_t kind,
    ticket_signal_err_t err)
{
    ticket_signal_t  s;

    assert_int_equal(parse(&s, kind, claims, NULL), err);
    assert_true(s.why[0] != '\0');
    ticket_signal_free(&s);
}


static void
test_caep_session_revoked(void **state)
{
    /* opaque: the session; event_timestamp is the cut-off */
    expect_row(set_of(CAEP "session-revoked",
                      "{\"subject\":{\"format\":\"opaque\","
                      "\"id\":\"dMTlD|1600802906337.16|16008.16\"},"
                      "\"event_timestamp\":1699999000}"),
               TICKET_SIGNAL_SET, NULL, TICKET_REV_SID,
               "dMTlD|1600802906337.16|16008.16", 1699999000);

    /* complex: user and session, the session's row */
    expect_row(set_of(CAEP "session-revoked",
                      "{\"subject\":{\"format\":\"complex\","
                      "\"user\":{\"format\":\"iss_sub\",\"iss\":\"" ISS "\","
                      "\"sub\":\"jane\"},\"session\":{\"format\":\"opaque\","
                      "\"id\":\"s-1\"}},\"event_timestamp\":1699999001}"),
               TICKET_SIGNAL_SET, "acme", TICKET_REV_SID, "s-1", 1699999001);

    /* iss_sub without a session: the user's row, tenant from tenant= */
    expect_row(set_of(CAEP "session-revoked",
                      "{\"subject\":{\"format\":\"iss_sub\",\"iss\":\"" ISS
                      "\",\"sub\":\"jane\"}}"),
               TICKET_SIGNAL_SET, "acme", TICKET_REV_SUB, "acme/jane",
               NOW - 10);

    /* no tenant=: "/SUB" */
    expect_row(set_of(CAEP "session-revoked",
                      "{\"subject\":{\"format\":\"iss_sub\",\"iss\":\"" ISS
                      "\",\"sub\":\"jane\"}}"),
               TICKET_SIGNAL_SET, NULL, TICKET_REV_SUB, "/jane", NOW - 10);

    /* complex with a user only */
    expect_row(set_of(CAEP "session-revoked",
                      "{\"subject\":{\"format\":\"complex\","
                      "\"user\":{\"format\":\"opaque\",\"id\":\"u-9\"}}}"),
               TICKET_SIGNAL_SET, "acme", TICKET_REV_SUB, "acme/u-9",
               NOW - 10);
}


static void
test_ssf_sub_id(void **state)
{
    char  claims[1024];

    /* SSF 1.0: the subject in the SET's sub_id claim */
    snprintf(claims, sizeof(claims),
             "{\"iss\":\"" ISS "\",\"jti\":\"j-2\",\"iat\":%lld,"
             "\"aud\":[\"x\",\"" AUD "\"],\"sub_id\":{\"format\":\"iss_sub\","
             "\"iss\":\"" ISS "\",\"sub\":\"bob\"},\"events\":{\"" RISC
             "account-disabled\":{\"reason\":\"hijacking\"}}}", NOW - 5);

    expect_row(claims, TICKET_SIGNAL_SET, "t1", TICKET_REV_SUB, "t1/bob",
               NOW - 5);
}


static void
test_risc(void **state)
{
    static const char  *events[] = {
        RISC "account-disabled", RISC "account-purged",
        RISC "credential-compromise", RISC "sessions-revoked"
    };

    size_t  i;

    for (i = 0; i < sizeof(events) / sizeof(events[0]); i++) {
        expect_row(set_of(events[i],
                          "{\"subject\":{\"format\":\"iss_sub\",\"iss\":\""
                          ISS "\",\"sub\":\"7375626A656374\"}}"),
                   TICKET_SIGNAL_SET, "acme", TICKET_REV_SUB,
                   "acme/7375626A656374", NOW - 10);

        /* a session alone names no user: refused */
        expect_err(set_of(events[i], "{\"subject\":{\"format\":\"opaque\","
                                     "\"id\":\"s\"}}"),
                   TICKET_SIGNAL_SET, TICKET_SIGNAL_INVALID_REQUEST);
    }
}


static void
test_recorded_only(void **state)
{
    expect_row(set_of(CAEP "credential-change",
                      "{\"subject\":{\"format\":\"iss_sub\",\"iss\":\"" ISS
                      "\",\"sub\":\"jane\"},\"credential_type\":\"password\","
                      "\"change_type\":\"update\"}"),
               TICKET_SIGNAL_SET, NULL, TICKET_REV_LISTS, NULL, 0);

    expect_row(set_of(CAEP "token-claims-change",
                      "{\"subject\":{\"format\":\"iss_sub\",\"iss\":\"" ISS
                      "\",\"sub\":\"jane\"},\"claims\":{\"role\":\"ro\"}}"),
               TICKET_SIGNAL_SET, NULL, TICKET_REV_LISTS, NULL, 0);

    /* an event type no one here knows: recorded, never refused */
    expect_row(set_of("https://example.com/event/other",
                      "{\"subject\":{\"format\":\"email\","
                      "\"email\":\"a@example.com\"}}"),
               TICKET_SIGNAL_SET, NULL, TICKET_REV_LISTS, NULL, 0);
}


static void
test_logout(void **state)
{
    char  claims[1024];

    /* Back-Channel Logout 1.0 section 2.4's example: sub and sid */
    snprintf(claims, sizeof(claims),
             "{\"iss\":\"" ISS "\",\"sub\":\"248289761001\","
             "\"aud\":\"" AUD "\",\"iat\":%lld,\"exp\":%lld,"
             "\"jti\":\"bWJq\",\"sid\":\"08a5019c-17e1-4977-8f42-65a12843ea02\","
             "\"events\":{\"" BCL "\":{}}}", NOW - 3, NOW + 117);

    expect_row(claims, TICKET_SIGNAL_LOGOUT, "acme", TICKET_REV_SID,
               "08a5019c-17e1-4977-8f42-65a12843ea02", NOW - 3);

    snprintf(claims, sizeof(claims),
             "{\"iss\":\"" ISS "\",\"sub\":\"248289761001\","
             "\"aud\":\"" AUD "\",\"iat\":%lld,\"exp\":%lld,"
             "\"jti\":\"bWJr\",\"events\":{\"" BCL "\":{}}}",
             NOW - 3, NOW + 117);

    expect_row(claims, TICKET_SIGNAL_LOGOUT, "acme", TICKET_REV_SUB,
               "acme/248289761001", NOW - 3);

    /* a nonce: an ID token, never a logout token */
    snprintf(claims, sizeof(claims),
             "{\"iss\":\"" ISS "\",\"sub\":\"u\",\"aud\":\"" AUD "\","
             "\"iat\":%lld,\"jti\":\"n\",\"nonce\":\"x\","
             "\"events\":{\"" BCL "\":{}}}", NOW);
    expect_err(claims, TICKET_SIGNAL_LOGOUT, TICKET_SIGNAL_INVALID_REQUEST);

    /* neither sub nor sid */
    snprintf(claims, sizeof(claims),
             "{\"iss\":\"" ISS "\",\"aud\":\"" AUD "\",\"iat\":%lld,"
             "\"jti\":\"n\",\"events\":{\"" BCL "\":{}}}", NOW);
    expect_err(claims, TICKET_SIGNAL_LOGOUT, TICKET_SIGNAL_INVALID_REQUEST);

    /* no logout event: an access ticket posted as a logout token */
    snprintf(claims, sizeof(claims),
             "{\"iss\":\"" ISS "\",\"sub\":\"u\",\"aud\":\"" AUD "\","
             "\"iat\":%lld,\"exp\":%lld,\"jti\":\"n\",\"kind\":\"user\"}",
             NOW, NOW + 60);
    expect_err(claims, TICKET_SIGNAL_LOGOUT, TICKET_SIGNAL_INVALID_REQUEST);
    expect_err(claims, TICKET_SIGNAL_SET, TICKET_SIGNAL_INVALID_REQUEST);

    /* a logout event inside a SET is not a SET's */
    expect_err(set_of(BCL, "{}"), TICKET_SIGNAL_SET,
               TICKET_SIGNAL_INVALID_REQUEST);
}


static void
test_subject_formats_refused(void **state)
{
    static const char  *subjects[] = {
        "{\"subject\":{\"format\":\"email\",\"email\":\"a@example.com\"}}",
        "{\"subject\":{\"format\":\"phone_number\","
        "\"phone_number\":\"+12065550100\"}}",
        "{\"subject\":{\"id\":\"no-format\"}}",
        "{\"subject\":{\"format\":\"opaque\"}}",
        "{\"subject\":{\"format\":\"opaque\",\"id\":\"\"}}",
        "{\"subject\":{\"format\":\"iss_sub\",\"sub\":\"no-iss\"}}",
        "{\"subject\":{\"format\":\"complex\"}}",
        "{\"subject\":{\"format\":\"complex\",\"session\":"
        "{\"format\":\"email\",\"email\":\"a@b\"}}}",
        "{\"subject\":\"jane\"}",
        "{}",
        "[]"
    };

    size_t  i;

    for (i = 0; i < sizeof(subjects) / sizeof(subjects[0]); i++) {
        expect_err(set_of(CAEP "session-revoked", subjects[i]),
                   TICKET_SIGNAL_SET, TICKET_SIGNAL_INVALID_REQUEST);
    }

    expect_err(set_of(CAEP "session-revoked",
                      "{\"subject\":{\"format\":\"opaque\",\"id\":\"s\"},"
                      "\"event_timestamp\":\"1699999000\"}"),
               TICKET_SIGNAL_SET, TICKET_SIGNAL_INVALID_REQUEST);
}


static void
test_refused(void **state)
{
    char             claims[1024];
    const char      *tok, *set;
    ticket_signal_t  s;

    set = set_of(CAEP "session-revoked",
                 "{\"subject\":{\"format\":\"opaque\",\"id\":\"s\"}}");

    /* forged: another secret */
    tok = sign("k1", other, set);
    assert_int_equal(ticket_signal_parse(&s, TICKET_SIGNAL_SET, tok,
                                         strlen(tok), &ks, &pol, NULL, NOW),
                     TICKET_SIGNAL_INVALID_KEY);
    assert_int_equal(s.reason, TICKET_BAD_SIGNATURE);
    ticket_signal_free(&s);

    /* a kid no key has */
    tok = sign("k9", secret, set);
    assert_int_equal(ticket_signal_parse(&s, TICKET_SIGNAL_SET, tok,
                                         strlen(tok), &ks, &pol, NULL, NOW),
                     TICKET_SIGNAL_INVALID_KEY);
    ticket_signal_free(&s);

    /* the tenant-bound key signs for its tenant only */
    tok = sign("bound", secret, set);
    assert_int_equal(ticket_signal_parse(&s, TICKET_SIGNAL_SET, tok,
                                         strlen(tok), &ks, &pol, NULL, NOW),
                     TICKET_SIGNAL_INVALID_KEY);
    ticket_signal_free(&s);

    /* expired */
    snprintf(claims, sizeof(claims),
             "{\"iss\":\"" ISS "\",\"jti\":\"e\",\"iat\":%lld,\"exp\":%lld,"
             "\"aud\":\"" AUD "\",\"events\":{\"" CAEP "session-revoked\":"
             "{\"subject\":{\"format\":\"opaque\",\"id\":\"s\"}}}}",
             NOW - 600, NOW - 300);
    expect_err(claims, TICKET_SIGNAL_SET, TICKET_SIGNAL_INVALID_REQUEST);

    /* wrong issuer, wrong audience, no jti, no iss */
    snprintf(claims, sizeof(claims),
             "{\"iss\":\"https://evil.example/\",\"jti\":\"e\",\"iat\":%lld,"
             "\"aud\":\"" AUD "\",\"events\":{}}", NOW);
    expect_err(claims, TICKET_SIGNAL_SET, TICKET_SIGNAL_INVALID_ISSUER);

    snprintf(claims, sizeof(claims),
             "{\"iss\":\"" ISS "\",\"jti\":\"e\",\"iat\":%lld,"
             "\"aud\":\"https://other/\",\"events\":{}}", NOW);
    expect_err(claims, TICKET_SIGNAL_SET, TICKET_SIGNAL_INVALID_AUDIENCE);

    snprintf(claims, sizeof(claims),
             "{\"iss\":\"" ISS "\",\"iat\":%lld,\"aud\":\"" AUD "\","
             "\"events\":{\"" CAEP "session-revoked\":{}}}", NOW);
    expect_err(claims, TICKET_SIGNAL_SET, TICKET_SIGNAL_INVALID_REQUEST);

    snprintf(claims, sizeof(claims),
             "{\"jti\":\"x\",\"iat\":%lld,\"aud\":\"" AUD "\","
             "\"events\":{\"" CAEP "session-revoked\":{}}}", NOW);
    expect_err(claims, TICKET_SIGNAL_SET, TICKET_SIGNAL_INVALID_REQUEST);

    /* not a JWS at all */
    assert_int_equal(ticket_signal_parse(&s, TICKET_SIGNAL_SET, "a.b", 3,
                                         &ks, &pol, NULL, NOW),
                     TICKET_SIGNAL_INVALID_REQUEST);
    ticket_signal_free(&s);

    assert_string_equal(ticket_signal_err_name(TICKET_SIGNAL_INVALID_KEY),
                        "invalid_key");
    assert_string_equal(ticket_signal_err_name(
                            TICKET_SIGNAL_AUTHENTICATION_FAILED),
                        "authentication_failed");
}


static void
test_cutoff_not_ahead(void **state)
{
    /* an event_timestamp far ahead is held to now + leeway */
    expect_row(set_of(CAEP "session-revoked",
                      "{\"subject\":{\"format\":\"opaque\",\"id\":\"f\"},"
                      "\"event_timestamp\":1900000000}"),
               TICKET_SIGNAL_SET, NULL, TICKET_REV_SID, "f", NOW + 30);
}


static void
test_seen_id(void **state)
{
    char             a[TICKET_SIGNAL_SEEN_LEN + 1], b[TICKET_SIGNAL_SEEN_LEN + 1];
    ticket_signal_t  s;

    assert_int_equal(parse(&s, TICKET_SIGNAL_SET,
                           set_of(CAEP "credential-change", "{}"), NULL),
                     TICKET_SIGNAL_OK);
    assert_int_equal(ticket_signal_seen_id(&s, a), 0);
    ticket_signal_free(&s);

    assert_int_equal(parse(&s, TICKET_SIGNAL_SET,
                           set_of(CAEP "token-claims-change", "{}"), NULL),
                     TICKET_SIGNAL_OK);
    assert_int_equal(ticket_signal_seen_id(&s, b), 0);
    ticket_signal_free(&s);

    /* same iss and jti: the same id */
    assert_int_equal(strlen(a), TICKET_SIGNAL_SEEN_LEN);
    assert_string_equal(a, b);
}


static int
setup(void **state)
{
    char  err[256];

    ticket_keyset_init(&ks);

    if (ticket_keyset_add_pem(&ks, "k1", TICKET_ALG_HS256, NULL,
                              (const unsigned char *) secret,
                              sizeof(secret) - 1, err, sizeof(err)) != 0
        || ticket_keyset_add_pem(&ks, "bound", TICKET_ALG_HS256, "acme",
                                 (const unsigned char *) secret,
                                 sizeof(secret) - 1, err, sizeof(err)) != 0)
    {
        print_error("%s\n", err);
        return -1;
    }

    memset(&pol, 0, sizeof(ticket_policy_t));
    pol.leeway = 30;
    pol.max_lifetime = 3600;
    pol.issuers.values = issuers;
    pol.issuers.n = 1;
    pol.audiences.values = audiences;
    pol.audiences.n = 1;

    return 0;
}


static int
teardown(void **state)
{
    ticket_keyset_free(&ks);
    return 0;
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_caep_session_revoked),
        cmocka_unit_test(test_ssf_sub_id),
        cmocka_unit_test(test_risc),
        cmocka_unit_test(test_recorded_only),
        cmocka_unit_test(test_logout),
        cmocka_unit_test(test_subject_formats_refused),
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_cutoff_not_ahead),
        cmocka_unit_test(test_seen_id),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
