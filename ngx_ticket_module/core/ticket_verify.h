
/*
 * Verification of a parsed ticket: which key, its algorithm, the
 * signature, and what a tenant-bound key and the issuer list allow;
 * ticket_validate() runs the whole chain in the gateway's order.
 */

#ifndef TICKET_VERIFY_H_INCLUDED_
#define TICKET_VERIFY_H_INCLUDED_


#include "ticket_types.h"


/* a signature over bytes under one key, by the key's alg: 1 valid, 0 not;
 * sig_len must be key->sig_len (checked again here) */
int ticket_key_verify(const ticket_key_t *key, const unsigned char *input,
    size_t len, const unsigned char *sig, size_t sig_len);

/*
 * ECDSA's raw R || S (RFC 7518, 3.4: each half bytes) as DER for OpenSSL:
 * the DER's length written to out, or 0 when R or S is zero, half is not
 * in 1..TICKET_ECDSA_MAX_HALF or out holds fewer than needed
 * (TICKET_ECDSA_DER_MAX always suffices).
 */
#define TICKET_ECDSA_MAX_HALF   66        /* P-521 */
#define TICKET_ECDSA_DER_MAX    (3 + 2 * (3 + TICKET_ECDSA_MAX_HALF))

size_t ticket_ecdsa_der(unsigned char *out, size_t size,
    const unsigned char *sig, size_t half);

/*
 * The key's verify context set up once (ticket_keyset_append() does it),
 * which ticket_key_verify() then copies per signature; unprepare frees
 * it (ticket_key_cleanup() does).  A key without one verifies as well,
 * only slower.
 */
void ticket_key_prepare(ticket_key_t *key);
void ticket_key_unprepare(ticket_key_t *key);

/* kid lookup, alg equality, signature length: TICKET_UNKNOWN_KEY,
 * TICKET_ALG_MISMATCH, TICKET_BAD_SIGNATURE or TICKET_OK */
ticket_reason_t ticket_select_key(ticket_t *t, const ticket_keyset_t *ks);

/* the signature under t->key: TICKET_BAD_SIGNATURE or TICKET_OK */
ticket_reason_t ticket_verify_signature(ticket_t *t);

/* tenant-bound key and issuer: TICKET_TENANT_MISMATCH,
 * TICKET_WRONG_ISSUER or TICKET_OK */
ticket_reason_t ticket_check_binding(const ticket_t *t,
    const ticket_policy_t *p);

/*
 * All of the above in the order the gateway uses: parse, typing (no
 * security event token, ticket_typing.h), select key, time (before any
 * signature work), signature, binding.
 */
ticket_reason_t ticket_validate(ticket_t *t, const char *token, size_t len,
    const ticket_keyset_t *ks, const ticket_policy_t *p, int64_t now);


#endif /* TICKET_VERIFY_H_INCLUDED_ */
