
/*
 * ngx_ticket_module core: pure C, no nginx types.
 *
 * Shared by the nginx glue, ticketctl, the unit tests and the fuzzers.
 * This header only gathers the others; each owns one concern:
 *
 *   ticket_types.h      the shared types: strings, keys, key sets,
 *                       policy, a parsed ticket
 *   ticket_reason.h     reasons: names and statuses
 *   ticket_alg.h        algorithms: names, families, digests, curves
 *   ticket_b64.h        base64url
 *   ticket_json.h       strict JSON, claim paths, claim text
 *   ticket_keys.h       key sets: lifetime, lookup by kid, joining
 *   ticket_jwk.h        key import: JWKS documents and PEM files
 *   ticket_parse.h      parsing a ticket
 *   ticket_time.h       exp, nbf, iat, lifetime
 *   ticket_typing.h     security event tokens are not tickets
 *   ticket_verify.h     key choice, signature, tenant and issuer binding
 *   ticket_policy.h     kind, audience, roles, claims, privilege
 *   ticket_snapshot.h   verified tickets flattened for the cache
 *
 * ticket_revocation.h and ticket_audit.h (revocation lists as Redis
 * holds them; audit records) are included where they are used.
 */

#ifndef TICKET_H_INCLUDED_
#define TICKET_H_INCLUDED_


#include "ticket_types.h"
#include "ticket_alloc.h"
#include "ticket_reason.h"
#include "ticket_alg.h"
#include "ticket_b64.h"
#include "ticket_json.h"
#include "ticket_keys.h"
#include "ticket_jwk.h"
#include "ticket_parse.h"
#include "ticket_time.h"
#include "ticket_typing.h"
#include "ticket_verify.h"
#include "ticket_policy.h"
#include "ticket_snapshot.h"
#include "ticket_discovery.h"


#endif /* TICKET_H_INCLUDED_ */
