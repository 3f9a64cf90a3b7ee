
/*
 * Key import: JWKS documents and PEM files (or HMAC secrets), each key
 * pinned to one algorithm and checked to fit it, at configuration time.
 */

#ifndef TICKET_JWK_H_INCLUDED_
#define TICKET_JWK_H_INCLUDED_


#include "ticket_types.h"


/* a JWKS document ({"keys":[...]}); every key needs kid and alg */
int ticket_keyset_add_jwks(ticket_keyset_t *ks, const unsigned char *buf,
    size_t len, char *err, size_t errlen);

/*
 * one key from a file's content: a PEM public key for RS/PS/ES/EdDSA,
 * the secret itself for HS (trailing newlines stripped); tenant may be
 * NULL.  Return 0, or -1 with a one-line message in err.
 */
int ticket_keyset_add_pem(ticket_keyset_t *ks, const char *kid,
    ticket_alg_t alg, const char *tenant, const unsigned char *buf,
    size_t len, char *err, size_t errlen);


#endif /* TICKET_JWK_H_INCLUDED_ */
