
/*
 * fuzz_discovery: the input as a key service's HTTP response through
 * ticket_http_response_parse(), and its body (or the whole input) as an
 * OpenID Connect discovery document through ticket_discovery_parse(), as
 * the key service client reads them.  On success the body lies within
 * the input, the jwks_uri's host and path are NUL-terminated, printable
 * and within their bounds; on failure the error is one printable line.
 */


#include "fuzz.h"


static const char  fuzz_issuer[] = "https://idp.example";


static void
fuzz_check_url(const ticket_url_t *u)
{
    FUZZ_CHECK(u->host_len > 0 && u->host_len <= TICKET_URL_MAX_HOST);
    FUZZ_CHECK(strlen(u->host) == u->host_len);
    FUZZ_CHECK(u->path_len > 0 && u->path_len <= TICKET_URL_MAX_PATH);
    FUZZ_CHECK(strlen(u->path) == u->path_len && u->path[0] == '/');
    FUZZ_CHECK(u->port > 0 && u->port < 65536);
    FUZZ_CHECK(strpbrk(u->path, " \r\n") == NULL);
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char                    err[TICKET_ERRLEN];
    unsigned char          *buf;
    const unsigned char    *doc;
    size_t                  len;
    ticket_url_t            u;
    ticket_http_response_t  r;

    buf = malloc(size ? size : 1);
    if (buf == NULL) {
        return 0;
    }

    memcpy(buf, data, size);

    doc = buf;
    len = size;

    if (ticket_http_response_parse(buf, size, &r, err, sizeof(err)) == 0) {
        FUZZ_CHECK(r.body_off <= size && r.body_len == size - r.body_off);
        FUZZ_CHECK(r.status >= 0 && r.status <= 999);
        doc = buf + r.body_off;
        len = r.body_len;

    } else {
        FUZZ_CHECK(fuzz_one_line(err, strlen(err) + 1));
    }

    if (ticket_discovery_parse(doc, len, fuzz_issuer,
                               sizeof(fuzz_issuer) - 1, &u, err, sizeof(err))
        == 0)
    {
        fuzz_check_url(&u);

    } else {
        FUZZ_CHECK(fuzz_one_line(err, strlen(err) + 1));
    }

    if (ticket_url_parse((const char *) buf, size, &u, err, sizeof(err))
        == 0)
    {
        fuzz_check_url(&u);
    }

    free(buf);

    return 0;
}
