
/*
 * Policy: what a location requires of a valid ticket (kind, audience,
 * roles, claims) and the privileged roles it did not ask for.
 */

#ifndef TICKET_POLICY_H_INCLUDED_
#define TICKET_POLICY_H_INCLUDED_


#include "ticket_types.h"


/* kind, audience, roles, claims: TICKET_WRONG_KIND,
 * TICKET_WRONG_AUDIENCE, TICKET_INSUFFICIENT_ROLE, TICKET_CLAIM_MISMATCH
 * or TICKET_OK */
ticket_reason_t ticket_authorize(const ticket_t *t, const ticket_policy_t *p);

/*
 * The first requirement the ticket fails, as an index into the list a
 * record's "required" names: kind first, then aud when audiences are
 * required, then each role line, then each claim line; -1 when it
 * fails none.
 */
int ticket_unmet(const ticket_t *t, const ticket_policy_t *p);

/* 1 if the ticket holds the role (exact, case-sensitive) */
int ticket_has_role(const ticket_t *t, const char *role, size_t len);

/* 1 if the ticket holds a privileged role no ticket_require_role names */
int ticket_excess_privilege(const ticket_t *t, const ticket_policy_t *p);


#endif /* TICKET_POLICY_H_INCLUDED_ */
