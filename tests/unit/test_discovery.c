
/* ticket_discovery.c: key service URL, HTTP response, OIDC discovery */

#include "unit.h"


#define URL(s)  s, sizeof(s) - 1
#define DOC(s)  (const unsigned char *) (s), sizeof(s) - 1


static void
test_url(void **state)
{
    char          err[TICKET_ERRLEN];
    ticket_url_t  u;

    assert_int_equal(ticket_url_parse(
        URL("https://idp.example.com:8443/a/jwks?x=1"), &u, err,
        sizeof(err)), 0);
    assert_string_equal(u.host, "idp.example.com");
    assert_int_equal(u.port, 8443);
    assert_string_equal(u.path, "/a/jwks?x=1");

    assert_int_equal(ticket_url_parse(URL("https://127.0.0.1"), &u, err,
                                      sizeof(err)), 0);
    assert_int_equal(u.port, 443);
    assert_string_equal(u.path, "/");

    assert_int_equal(ticket_url_parse(URL("http://a/"), &u, err, sizeof(err)),
                     -1);
    assert_int_equal(ticket_url_parse(URL("https://u@a/"), &u, err,
                                      sizeof(err)), -1);
    assert_int_equal(ticket_url_parse(URL("https://a:0/"), &u, err,
                                      sizeof(err)), -1);
    assert_int_equal(ticket_url_parse(URL("https://a:65536/"), &u, err,
                                      sizeof(err)), -1);
    assert_int_equal(ticket_url_parse(URL("https://a..b/"), &u, err,
                                      sizeof(err)), -1);
    assert_int_equal(ticket_url_parse(URL("https:///x"), &u, err,
                                      sizeof(err)), -1);
    assert_int_equal(ticket_url_parse(URL("https://a/b c"), &u, err,
                                      sizeof(err)), -1);
    assert_int_equal(ticket_url_parse(URL("https://a/b\r\nX: y"), &u, err,
                                      sizeof(err)), -1);
}


static void
test_response(void **state)
{
    char                    err[TICKET_ERRLEN];
    ticket_http_response_t  r;

    assert_int_equal(ticket_http_response_parse(
        DOC("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n"
          "Cache-Control: public, max-age=300\r\n\r\n{}"),
        &r, err, sizeof(err)), 0);
    assert_int_equal(r.status, 200);
    assert_int_equal(r.body_len, 2);
    assert_int_equal(r.max_age, 300);

    assert_int_equal(ticket_http_response_parse(
        DOC("HTTP/1.0 500 Oops\r\n\r\n"), &r, err, sizeof(err)), 0);
    assert_int_equal(r.status, 500);
    assert_int_equal(r.max_age, -1);

    assert_int_equal(ticket_http_response_parse(
        DOC("HTTP/1.1 200 OK\nCache-Control: no-store\n\n{}"), &r, err,
        sizeof(err)), 0);
    assert_int_equal(r.max_age, 0);

    /* truncated body, chunked, two lengths, garbage */

    assert_int_equal(ticket_http_response_parse(
        DOC("HTTP/1.1 200 OK\r\nContent-Length: 20\r\n\r\n{}"), &r, err,
        sizeof(err)), -1);
    assert_int_equal(ticket_http_response_parse(
        DOC("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}"),
        &r, err, sizeof(err)), -1);
    assert_int_equal(ticket_http_response_parse(
        DOC("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 2\r\n"
          "\r\n{}"), &r, err, sizeof(err)), -1);
    assert_int_equal(ticket_http_response_parse(
        DOC("HTTP/1.1 200 OK\r\nContent-Length: 2"), &r, err, sizeof(err)),
        -1);
    assert_int_equal(ticket_http_response_parse(DOC("SSH-2.0-x\r\n\r\n"), &r,
                                                err, sizeof(err)), -1);
}


static void
test_discovery(void **state)
{
    char          err[TICKET_ERRLEN];
    ticket_url_t  u;

    assert_int_equal(ticket_discovery_parse(
        DOC("{\"issuer\":\"https://idp.example\","
          "\"jwks_uri\":\"https://keys.example/jwks.json\"}"),
        "https://idp.example", 19, &u, err, sizeof(err)), 0);
    assert_string_equal(u.host, "keys.example");
    assert_string_equal(u.path, "/jwks.json");

    /* the issuer must be the one configured, byte for byte */

    assert_int_equal(ticket_discovery_parse(
        DOC("{\"issuer\":\"https://idp.example/\","
          "\"jwks_uri\":\"https://keys.example/jwks.json\"}"),
        "https://idp.example", 19, &u, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "is not the one configured"));

    assert_int_equal(ticket_discovery_parse(
        DOC("{\"issuer\":\"https://idp.example\","
          "\"jwks_uri\":\"http://keys.example/jwks.json\"}"),
        "https://idp.example", 19, &u, err, sizeof(err)), -1);
    assert_int_equal(ticket_discovery_parse(
        DOC("{\"issuer\":\"https://idp.example\"}"),
        "https://idp.example", 19, &u, err, sizeof(err)), -1);
    assert_int_equal(ticket_discovery_parse(
        DOC("{\"issuer\":\"a\",\"issuer\":\"https://idp.example\","
          "\"jwks_uri\":\"https://k/\"}"),
        "https://idp.example", 19, &u, err, sizeof(err)), -1);
    assert_int_equal(ticket_discovery_parse(DOC("[]"), "x", 1, &u, err,
                                            sizeof(err)), -1);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_url),
        cmocka_unit_test(test_response),
        cmocka_unit_test(test_discovery),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
