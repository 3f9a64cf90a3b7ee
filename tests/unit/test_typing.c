
/*
 * ticket_typing.c: a security event token (RFC 8417) or an OpenID
 * Connect logout token is never an access ticket, whatever its kind
 * claim, signature or issuer; ticket_validate() refuses it before any
 * key is looked at.
 */

#include "unit.h"

#include <jansson.h>
#include <openssl/evp.h>


#define BCL_EVENT  "http://schemas.openid.net/event/backchannel-logout"

#define TICKET_CLAIMS                                                        \
    "\"sub\":\"alice\",\"kind\":\"user\",\"jti\":\"j1\","                    \
    "\"iat\":1000,\"exp\":2000"


/* base64url of a string, NUL-terminated, malloc */

static char *
b64url(const char *s)
{
    int     n, i, j;
    char   *out;

    out = malloc(strlen(s) * 2 + 8);
    assert_non_null(out);

    n = EVP_EncodeBlock((unsigned char *) out, (const unsigned char *) s,
                        (int) strlen(s));

    for (i = 0, j = 0; i < n; i++) {
        if (out[i] == '=') {
            break;
        }

        out[j++] = (out[i] == '+') ? '-' : (out[i] == '/') ? '_' : out[i];
    }

    out[j] = '\0';

    return out;
}


/* header and claims JSON, a dummy signature: parsed by ticket_parse() */

static char *
token(const char *header, const char *claims, size_t *len)
{
    char  *h, *c, *tok;

    h = b64url(header);
    c = b64url(claims);

    tok = malloc(strlen(h) + strlen(c) + 16);
    assert_non_null(tok);

    *len = (size_t) sprintf(tok, "%s.%s.AAAA", h, c);

    free(h);
    free(c);

    return tok;
}


static ticket_reason_t
typing_of(const char *header, const char *claims, char *why, size_t size)
{
    char             *tok;
    size_t            len;
    ticket_t          t;
    ticket_reason_t   rc;

    tok = token(header, claims, &len);

    ticket_init(&t);
    assert_int_equal(ticket_parse(&t, tok, len, NULL), TICKET_OK);

    rc = ticket_check_typing(&t);

    if (why != NULL) {
        snprintf(why, size, "%s", t.why);
    }

    ticket_free(&t);
    free(tok);

    return rc;
}


static void
test_access_tickets(void **state)
{
    (void) state;

    assert_int_equal(typing_of("{\"alg\":\"HS256\"}", "{" TICKET_CLAIMS "}",
                               NULL, 0),
                     TICKET_OK);
    assert_int_equal(typing_of("{\"alg\":\"HS256\",\"typ\":\"JWT\"}",
                               "{" TICKET_CLAIMS "}", NULL, 0),
                     TICKET_OK);
    assert_int_equal(typing_of("{\"alg\":\"HS256\",\"typ\":\"at+jwt\"}",
                               "{" TICKET_CLAIMS "}", NULL, 0),
                     TICKET_OK);
    assert_int_equal(typing_of("{\"alg\":\"HS256\","
                               "\"typ\":\"application/at+JWT\"}",
                               "{" TICKET_CLAIMS "}", NULL, 0),
                     TICKET_OK);

    /* near names are other types */

    assert_int_equal(typing_of("{\"alg\":\"HS256\",\"typ\":\"secevent\"}",
                               "{" TICKET_CLAIMS "}", NULL, 0),
                     TICKET_OK);
    assert_int_equal(typing_of("{\"alg\":\"HS256\","
                               "\"typ\":\"xsecevent+jwt\"}",
                               "{" TICKET_CLAIMS "}", NULL, 0),
                     TICKET_OK);
    assert_int_equal(typing_of("{\"alg\":\"HS256\"}",
                               "{" TICKET_CLAIMS ",\"event\":{}}", NULL, 0),
                     TICKET_OK);
}


static void
test_event_typ(void **state)
{
    size_t       i;
    char         why[96], hdr[128];

    static const char  *types[] = {
        "secevent+jwt", "application/secevent+jwt", "SecEvent+JWT",
        "APPLICATION/SECEVENT+JWT", "logout+jwt", "application/logout+jwt",
        "Logout+JWT", "secevent+jwt; charset=utf-8", " logout+jwt "
    };

    (void) state;

    for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
        snprintf(hdr, sizeof(hdr), "{\"alg\":\"HS256\",\"typ\":\"%s\"}",
                 types[i]);

        assert_int_equal(typing_of(hdr, "{" TICKET_CLAIMS "}", why,
                                   sizeof(why)),
                         TICKET_MALFORMED);
        assert_non_null(strstr(why, "header \"typ\""));
    }
}


static void
test_events_claim(void **state)
{
    char  why[96];

    (void) state;

    /* a logout token: typ may be missing (OIDC BCL 1.0 only recommends
     * it), its events claim gives it away */

    assert_int_equal(typing_of("{\"alg\":\"HS256\"}",
                               "{" TICKET_CLAIMS ",\"sid\":\"s1\","
                               "\"events\":{\"" BCL_EVENT "\":{}}}",
                               why, sizeof(why)),
                     TICKET_MALFORMED);
    assert_non_null(strstr(why, "claim \"events\""));

    assert_int_equal(typing_of("{\"alg\":\"HS256\",\"typ\":\"JWT\"}",
                               "{" TICKET_CLAIMS ",\"events\":{}}", NULL, 0),
                     TICKET_MALFORMED);

    /* any value: the member's presence is what RFC 8417 defines */

    assert_int_equal(typing_of("{\"alg\":\"HS256\"}",
                               "{" TICKET_CLAIMS ",\"events\":null}", NULL,
                               0),
                     TICKET_MALFORMED);
    assert_int_equal(typing_of("{\"alg\":\"HS256\"}",
                               "{" TICKET_CLAIMS ",\"events\":\"x\"}", NULL,
                               0),
                     TICKET_MALFORMED);
}


/* ticket_validate() checks the typing before any key: no key set needed */

static void
test_validate_refuses(void **state)
{
    char             *tok;
    size_t            len;
    ticket_t          t;
    ticket_policy_t   p;

    (void) state;

    memset(&p, 0, sizeof(ticket_policy_t));
    p.max_lifetime = 3600;

    tok = token("{\"alg\":\"HS256\",\"kid\":\"k1\",\"typ\":\"logout+jwt\"}",
                "{" TICKET_CLAIMS "}", &len);

    ticket_init(&t);
    assert_int_equal(ticket_validate(&t, tok, len, NULL, &p, 1500),
                     TICKET_MALFORMED);
    assert_int_equal(t.verified, 0);
    ticket_free(&t);
    free(tok);

    tok = token("{\"alg\":\"HS256\",\"kid\":\"k1\"}",
                "{" TICKET_CLAIMS ",\"events\":{}}", &len);

    ticket_init(&t);
    assert_int_equal(ticket_validate(&t, tok, len, NULL, &p, 1500),
                     TICKET_MALFORMED);
    ticket_free(&t);
    free(tok);

    /* the same ticket without events gets as far as the key */

    tok = token("{\"alg\":\"HS256\",\"kid\":\"k1\"}", "{" TICKET_CLAIMS "}",
                &len);

    ticket_init(&t);
    assert_int_equal(ticket_validate(&t, tok, len, NULL, &p, 1500),
                     TICKET_UNKNOWN_KEY);
    ticket_free(&t);
    free(tok);
}


/* a ticket restored from the cache has no claims object: nothing to do */

static void
test_restored(void **state)
{
    ticket_t  t;

    (void) state;

    ticket_init(&t);
    t.restored = 1;

    assert_int_equal(ticket_check_typing(&t), TICKET_OK);
}


int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_access_tickets),
        cmocka_unit_test(test_event_typ),
        cmocka_unit_test(test_events_claim),
        cmocka_unit_test(test_validate_refuses),
        cmocka_unit_test(test_restored),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
