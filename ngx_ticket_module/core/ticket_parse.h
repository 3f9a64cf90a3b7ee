
/*
 * Parsing a ticket: structure, header and claims of the compact
 * serialization, and the claims of a restored ticket on demand.
 */

#ifndef TICKET_PARSE_H_INCLUDED_
#define TICKET_PARSE_H_INCLUDED_


#include "ticket_types.h"


/*
 * ticket_init() zeroes t: then t->alloc may be set (nginx: the request
 * pool); left NULL, what t parses lives in its own heap.  ticket_reset()
 * forgets what t parsed, ticket_free() frees it as well (the heap; a
 * pool frees its own); both keep t->alloc for the next parse.
 */
void ticket_init(ticket_t *t);
void ticket_free(ticket_t *t);
void ticket_reset(ticket_t *t);

/*
 * Structure, header and claims: TICKET_OK, TICKET_MALFORMED or
 * TICKET_UNTRUSTED_KEY_HEADER.  token need not be NUL-terminated and
 * must outlive t.  roles_path as in ticket_policy_t.
 */
ticket_reason_t ticket_parse(ticket_t *t, const char *token, size_t len,
    const ticket_str_t *roles_path);

/*
 * The same, reading the claims as the policy maps them: roles_path,
 * kind_path with its value map and default, jti_path and whether a jti
 * may be absent (then t->jti is "fp:" and the first 32 hex digits of
 * the token's SHA-256).  A malformed ticket says why in t->why.
 */
ticket_reason_t ticket_parse_policy(ticket_t *t, const char *token,
    size_t len, const ticket_policy_t *p);

/* the "fp:" id of a token: TICKET_JTI_FP_LEN characters and a NUL */
int ticket_jti_fingerprint(const char *token, size_t len, char *buf);

/*
 * The claims as JSON, parsed now if the ticket was restored from a
 * snapshot (claim requirements, $ticket_claim_*, forwarded claims need
 * them; nothing else does): decoded then from the token restored with
 * it, which must be the very bytes the snapshot was made from and must
 * outlive t.  0, or -1.
 */
int ticket_claims_load(ticket_t *t);


#endif /* TICKET_PARSE_H_INCLUDED_ */
