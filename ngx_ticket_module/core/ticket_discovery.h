/*
 * A key service's documents: its https URL, its HTTP response (read
 * whole, the connection closed by the server) and an OpenID Connect
 * discovery document, which names the JWKS (jwks_uri) and the issuer.
 * Everything here comes from the network and is checked as such.
 */

#ifndef TICKET_DISCOVERY_H_INCLUDED_
#define TICKET_DISCOVERY_H_INCLUDED_


#include "ticket_types.h"


#define TICKET_URL_MAX_HOST   255
#define TICKET_URL_MAX_PATH   2048

/* the largest key service document read: a bigger one is refused */
#define TICKET_KEYS_MAX_DOC   (1024 * 1024)


typedef struct {
    char                    host[TICKET_URL_MAX_HOST + 1];
    size_t                  host_len;
    unsigned                port;
    char                    path[TICKET_URL_MAX_PATH + 1];  /* and query */
    size_t                  path_len;
} ticket_url_t;


typedef struct {
    int                     status;
    size_t                  body_off;
    size_t                  body_len;
    long                    max_age;      /* Cache-Control; -1: none */
} ticket_http_response_t;


/*
 * "https://HOST[:PORT][/PATH]": no user info, no fragment, a host name
 * of letters, digits, '-' and '.', or an IPv4 address.  0, or -1 with a
 * one-line message in err.
 */
int ticket_url_parse(const char *s, size_t len, ticket_url_t *u, char *err,
    size_t errlen);

/*
 * An HTTP/1.x response as read until the server closed the connection:
 * the status line, the header (Content-Length, when present, must
 * match the body; chunked transfer is refused: the request is HTTP/1.0)
 * and Cache-Control's max-age.  0, or -1 with a message in err.
 */
int ticket_http_response_parse(const unsigned char *buf, size_t len,
    ticket_http_response_t *resp, char *err, size_t errlen);

/*
 * An OpenID Connect discovery document: its "issuer" must equal issuer
 * byte for byte, its "jwks_uri" must be an https URL (into jwks).  0, or
 * -1 with a message in err.
 */
int ticket_discovery_parse(const unsigned char *buf, size_t len,
    const char *issuer, size_t issuer_len, ticket_url_t *jwks, char *err,
    size_t errlen);


#endif /* TICKET_DISCOVERY_H_INCLUDED_ */
