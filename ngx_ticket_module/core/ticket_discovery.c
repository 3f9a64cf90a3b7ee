
/*
 * Key service documents: the URL, the HTTP response, the OpenID Connect
 * discovery document.  All input is the network's: every length is
 * checked before use, nothing is assumed NUL-terminated.
 */


#include <string.h>
#include <jansson.h>

#include "ticket_discovery.h"
#include "ticket_keys.h"


static int ticket_url_host(const char *s, size_t len);
static int ticket_http_token_eq(const unsigned char *p, size_t len,
    const char *name);
static long ticket_http_max_age(const unsigned char *p, size_t len);
static int ticket_http_number(const unsigned char *p, size_t len,
    size_t *n);


int
ticket_url_parse(const char *s, size_t len, ticket_url_t *u, char *err,
    size_t errlen)
{
    size_t       i, host_end, port;
    const char  *p, *end;

    memset(u, 0, sizeof(ticket_url_t));

    if (len < 8 || strncasecmp(s, "https://", 8) != 0) {
        ticket_error(err, errlen, "not an https URL");
        return -1;
    }

    p = s + 8;
    end = s + len;

    for (i = 0; p + i < end && p[i] != '/' && p[i] != ':'; i++) {
        if (p[i] == '@' || p[i] == '?' || p[i] == '#') {
            ticket_error(err, errlen, "user info, query or fragment in "
                         "the host");
            return -1;
        }
    }

    host_end = i;

    if (host_end == 0 || host_end > TICKET_URL_MAX_HOST
        || ticket_url_host(p, host_end) != 0)
    {
        ticket_error(err, errlen, "invalid host");
        return -1;
    }

    memcpy(u->host, p, host_end);
    u->host[host_end] = '\0';
    u->host_len = host_end;
    u->port = 443;
    p += host_end;

    if (p < end && *p == ':') {
        p++;
        port = 0;

        for (i = 0; p < end && *p != '/'; p++, i++) {
            if (*p < '0' || *p > '9' || i == 5) {
                ticket_error(err, errlen, "invalid port");
                return -1;
            }

            port = port * 10 + (size_t) (*p - '0');
        }

        if (i == 0 || port == 0 || port > 65535) {
            ticket_error(err, errlen, "invalid port");
            return -1;
        }

        u->port = (unsigned) port;
    }

    if (p == end) {
        u->path[0] = '/';
        u->path_len = 1;
        return 0;
    }

    if ((size_t) (end - p) > TICKET_URL_MAX_PATH) {
        ticket_error(err, errlen, "path too long");
        return -1;
    }

    for (i = 0; p + i < end; i++) {
        /* printable ASCII only: it goes into the request line as it is */
        if (p[i] <= 0x20 || p[i] >= 0x7f || p[i] == '#') {
            ticket_error(err, errlen, "invalid character in the path");
            return -1;
        }
    }

    memcpy(u->path, p, (size_t) (end - p));
    u->path[end - p] = '\0';
    u->path_len = (size_t) (end - p);

    return 0;
}


static int
ticket_url_host(const char *s, size_t len)
{
    size_t  i;
    char    c;

    if (s[0] == '.' || s[0] == '-' || s[len - 1] == '.') {
        return -1;
    }

    for (i = 0; i < len; i++) {
        c = s[i];

        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
            || (c >= '0' && c <= '9') || c == '-')
        {
            continue;
        }

        if (c == '.' && s[i + 1] != '.') {
            continue;
        }

        return -1;
    }

    return 0;
}


int
ticket_http_response_parse(const unsigned char *buf, size_t len,
    ticket_http_response_t *resp, char *err, size_t errlen)
{
    int                   have_length;
    size_t                i, line, name_len, vlen, clen;
    const unsigned char  *p, *end, *eol, *colon, *v;

    memset(resp, 0, sizeof(ticket_http_response_t));
    resp->max_age = -1;

    /* "HTTP/1.x DDD ..." */

    if (len < 12 || memcmp(buf, "HTTP/1.", 7) != 0
        || (buf[7] != '0' && buf[7] != '1') || buf[8] != ' ')
    {
        ticket_error(err, errlen, "not an HTTP/1.x response");
        return -1;
    }

    for (i = 9; i < 12; i++) {
        if (buf[i] < '0' || buf[i] > '9') {
            ticket_error(err, errlen, "invalid status line");
            return -1;
        }

        resp->status = resp->status * 10 + (buf[i] - '0');
    }

    p = buf;
    end = buf + len;
    have_length = 0;
    clen = 0;

    for (line = 0; ; line++) {
        eol = memchr(p, '\n', (size_t) (end - p));
        if (eol == NULL) {
            ticket_error(err, errlen, "truncated header");
            return -1;
        }

        vlen = (size_t) (eol - p);
        if (vlen > 0 && p[vlen - 1] == '\r') {
            vlen--;
        }

        if (line > 0 && vlen == 0) {
            p = eol + 1;
            break;
        }

        if (line > 0) {
            colon = memchr(p, ':', vlen);
            if (colon == NULL || colon == p) {
                ticket_error(err, errlen, "invalid header line");
                return -1;
            }

            name_len = (size_t) (colon - p);
            v = colon + 1;

            while (v < p + vlen && (*v == ' ' || *v == '\t')) {
                v++;
            }

            vlen = (size_t) (p + vlen - v);

            while (vlen > 0 && (v[vlen - 1] == ' ' || v[vlen - 1] == '\t')) {
                vlen--;
            }

            if (ticket_http_token_eq(p, name_len, "content-length")) {
                if (have_length
                    || ticket_http_number(v, vlen, &clen) != 0)
                {
                    ticket_error(err, errlen, "invalid Content-Length");
                    return -1;
                }

                have_length = 1;

            } else if (ticket_http_token_eq(p, name_len,
                                            "transfer-encoding"))
            {
                ticket_error(err, errlen, "Transfer-Encoding in an "
                             "HTTP/1.0 response");
                return -1;

            } else if (ticket_http_token_eq(p, name_len, "cache-control")) {
                resp->max_age = ticket_http_max_age(v, vlen);
            }
        }

        p = eol + 1;
    }

    resp->body_off = (size_t) (p - buf);
    resp->body_len = (size_t) (end - p);

    if (have_length && clen != resp->body_len) {
        ticket_error(err, errlen, "body of %zu bytes, Content-Length %zu",
                     resp->body_len, clen);
        return -1;
    }

    return 0;
}


static int
ticket_http_token_eq(const unsigned char *p, size_t len, const char *name)
{
    return strlen(name) == len && strncasecmp((const char *) p, name, len)
                                  == 0;
}


static int
ticket_http_number(const unsigned char *p, size_t len, size_t *n)
{
    size_t  i, v;

    if (len == 0 || len > 9) {
        return -1;
    }

    v = 0;

    for (i = 0; i < len; i++) {
        if (p[i] < '0' || p[i] > '9') {
            return -1;
        }

        v = v * 10 + (size_t) (p[i] - '0');
    }

    *n = v;

    return 0;
}


/* "max-age=N" among Cache-Control's directives; no-cache, no-store: 0 */

static long
ticket_http_max_age(const unsigned char *p, size_t len)
{
    size_t                i, n, dlen;
    const unsigned char  *d, *end;

    end = p + len;

    while (p < end) {
        while (p < end && (*p == ' ' || *p == ',')) {
            p++;
        }

        d = p;

        while (p < end && *p != ',') {
            p++;
        }

        dlen = (size_t) (p - d);

        while (dlen > 0 && d[dlen - 1] == ' ') {
            dlen--;
        }

        if (ticket_http_token_eq(d, dlen, "no-cache")
            || ticket_http_token_eq(d, dlen, "no-store"))
        {
            return 0;
        }

        if (dlen > 8 && strncasecmp((const char *) d, "max-age=", 8) == 0) {
            i = 8;

            if (d[i] == '"' && dlen > 10 && d[dlen - 1] == '"') {
                i++;
                dlen--;
            }

            if (ticket_http_number(d + i, dlen - i, &n) == 0) {
                return (long) n;
            }
        }
    }

    return -1;
}


int
ticket_discovery_parse(const unsigned char *buf, size_t len,
    const char *issuer, size_t issuer_len, ticket_url_t *jwks, char *err,
    size_t errlen)
{
    int           rc;
    char          shown[TICKET_SHOWN_SIZE], why[TICKET_ERRLEN];
    json_t       *root, *iss, *uri;
    json_error_t  jerr;

    root = json_loadb((const char *) buf, len, JSON_REJECT_DUPLICATES, &jerr);

    if (root == NULL || !json_is_object(root)) {
        ticket_error(err, errlen, "not a JSON object");
        json_decref(root);
        return -1;
    }

    rc = -1;

    iss = json_object_get(root, "issuer");
    uri = json_object_get(root, "jwks_uri");

    if (!json_is_string(iss)) {
        ticket_error(err, errlen, "\"issuer\" missing or not a string");
        goto done;
    }

    if (json_string_length(iss) != issuer_len
        || memcmp(json_string_value(iss), issuer, issuer_len) != 0)
    {
        ticket_shown(shown, json_string_value(iss), json_string_length(iss));
        ticket_error(err, errlen, "issuer \"%s\" is not the one configured",
                     shown);
        goto done;
    }

    if (!json_is_string(uri)) {
        ticket_error(err, errlen, "\"jwks_uri\" missing or not a string");
        goto done;
    }

    if (ticket_url_parse(json_string_value(uri), json_string_length(uri),
                         jwks, why, sizeof(why))
        != 0)
    {
        ticket_error(err, errlen, "\"jwks_uri\": %s", why);
        goto done;
    }

    rc = 0;

done:

    json_decref(root);

    return rc;
}
