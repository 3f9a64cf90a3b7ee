
/*
 * Time checks: exp, nbf, iat and the lifetime a policy allows.
 */

#ifndef TICKET_TIME_H_INCLUDED_
#define TICKET_TIME_H_INCLUDED_


#include "ticket_types.h"


/* exp, nbf, iat, lifetime */
ticket_reason_t ticket_check_time(const ticket_t *t,
    const ticket_policy_t *p, int64_t now);


#endif /* TICKET_TIME_H_INCLUDED_ */
