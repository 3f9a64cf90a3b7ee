
/*
 * Key import: JWKS documents and PEM files (or HMAC secrets), each key
 * pinned to one algorithm and checked to fit it, at configuration time.
 */

#ifndef TICKET_JWK_H_INCLUDED_
#define TICKET_JWK_H_INCLUDED_


#include "ticket_types.h"


/* a skipped key: msg is "key \"KID\": skipped: WHY" */
typedef void (*ticket_key_warn_pt)(void *data, const char *msg);


typedef struct {
    ticket_alg_t            rsa_alg;      /* RSA keys without "alg";
                                             UNKNOWN: RS256 */
    const char             *tenant;       /* binds every key; NULL: as
                                             each key says */
    ticket_key_warn_pt      warn;         /* NULL: skipped keys silently */
    void                   *data;
} ticket_jwks_opts_t;


/*
 * A JWKS document ({"keys":[...]}) as RFC 7517 section 5 reads it: keys
 * that cannot verify tickets are skipped (opts->warn says which and why),
 * "alg" is inferred where the key allows one only.  Every key needs a
 * kid.  0, or -1 with a one-line message in err: a malformed key, a
 * (kid, alg) already in the set, or no usable key at all.  opts may be
 * NULL.
 */
int ticket_keyset_add_jwks_opts(ticket_keyset_t *ks,
    const unsigned char *buf, size_t len, const ticket_jwks_opts_t *opts,
    char *err, size_t errlen);

/* the same with no options */
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
