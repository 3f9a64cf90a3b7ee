
/*
 * Algorithms (RFC 7518): the names a ticket's header and a key carry,
 * and what each one fixes: family, digest, signature length and, for
 * ECDSA, the curve.  The one table every other part looks up.
 */

#ifndef TICKET_ALG_H_INCLUDED_
#define TICKET_ALG_H_INCLUDED_


#include <stddef.h>


typedef enum {
    TICKET_ALG_UNKNOWN = 0,
    TICKET_ALG_HS256,
    TICKET_ALG_HS384,
    TICKET_ALG_HS512,
    TICKET_ALG_RS256,
    TICKET_ALG_RS384,
    TICKET_ALG_RS512,
    TICKET_ALG_ES256,
    TICKET_ALG_ES384,
    TICKET_ALG_ES512,
    TICKET_ALG_PS256,
    TICKET_ALG_PS384,
    TICKET_ALG_PS512,
    TICKET_ALG_EDDSA,
    TICKET_ALG_MAX
} ticket_alg_t;


typedef enum {
    TICKET_FAMILY_NONE = 0,
    TICKET_FAMILY_HS,
    TICKET_FAMILY_RS,
    TICKET_FAMILY_PS,
    TICKET_FAMILY_ES,
    TICKET_FAMILY_EDDSA
} ticket_family_t;


typedef struct {
    const char             *name;
    ticket_family_t         family;
    size_t                  hash_len;     /* digest; HS minimum secret */
    size_t                  sig_len;      /* fixed lengths: HS, ES, EdDSA */
} ticket_alg_info_t;


typedef struct {
    const char             *crv;          /* JWK name */
    const char             *group;        /* OpenSSL name */
    int                     nid;
    size_t                  len;          /* field and scalar bytes */
    const unsigned char    *order;        /* big-endian, len bytes */
} ticket_curve_t;


/* names are exact and case-sensitive */

ticket_alg_t ticket_alg_from_name(const char *name, size_t len);
const char *ticket_alg_name(ticket_alg_t alg);

/* NULL for TICKET_ALG_UNKNOWN and anything out of range */
const ticket_alg_info_t *ticket_alg_info(ticket_alg_t alg);

/* the curve of an ES alg; NULL for any other */
const ticket_curve_t *ticket_alg_curve(ticket_alg_t alg);


#endif /* TICKET_ALG_H_INCLUDED_ */
