
/*
 * Reasons (SPEC "Reasons"): why a ticket was refused, the name the
 * audit record, $ticket_reason and the metrics give it, and the status
 * a refusal sends.  The one table of them.
 */

#ifndef TICKET_REASON_H_INCLUDED_
#define TICKET_REASON_H_INCLUDED_


#include <stddef.h>


typedef enum {
    TICKET_OK = 0,
    TICKET_MISSING,
    TICKET_MALFORMED,
    TICKET_UNTRUSTED_KEY_HEADER,
    TICKET_UNKNOWN_KEY,
    TICKET_ALG_MISMATCH,
    TICKET_BAD_SIGNATURE,
    TICKET_EXPIRED,
    TICKET_NOT_YET_VALID,
    TICKET_ISSUED_IN_FUTURE,
    TICKET_LIFETIME_EXCEEDED,
    TICKET_REVOKED,
    TICKET_WRONG_ISSUER,
    TICKET_WRONG_AUDIENCE,
    TICKET_WRONG_KIND,
    TICKET_TENANT_MISMATCH,
    TICKET_INSUFFICIENT_ROLE,
    TICKET_CLAIM_MISMATCH,
    TICKET_REVOCATION_UNAVAILABLE,
    TICKET_EXCESS_PRIVILEGE,
    TICKET_REASON_MAX
} ticket_reason_t;


const char *ticket_reason_name(ticket_reason_t reason);
int ticket_reason_from_name(const char *name, size_t len); /* -1: unknown */
/* 0 for TICKET_OK and TICKET_EXCESS_PRIVILEGE, else 401, 403 or 503 */
int ticket_reason_status(ticket_reason_t reason);


#endif /* TICKET_REASON_H_INCLUDED_ */
