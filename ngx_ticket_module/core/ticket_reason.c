
/*
 * Reasons: their names, in the order of ticket_reason_t, and the status
 * each refusal sends.
 */


#include <string.h>

#include "ticket_reason.h"


/* the names of SPEC "Reasons", in the order of ticket_reason_t */

static const char  *ticket_reason_names[] = {
    "ok",
    "missing",
    "malformed",
    "untrusted_key_header",
    "unknown_key",
    "alg_mismatch",
    "bad_signature",
    "expired",
    "not_yet_valid",
    "issued_in_future",
    "lifetime_exceeded",
    "revoked",
    "wrong_issuer",
    "wrong_audience",
    "wrong_kind",
    "tenant_mismatch",
    "insufficient_role",
    "claim_mismatch",
    "revocation_unavailable",
    "excess_privilege"
};


const char *
ticket_reason_name(ticket_reason_t reason)
{
    if ((unsigned) reason >= TICKET_REASON_MAX) {
        return "unknown";
    }

    return ticket_reason_names[reason];
}


int
ticket_reason_from_name(const char *name, size_t len)
{
    size_t  i;

    if (name == NULL) {
        return -1;
    }

    for (i = 0; i < TICKET_REASON_MAX; i++) {
        if (strlen(ticket_reason_names[i]) == len
            && memcmp(ticket_reason_names[i], name, len) == 0)
        {
            return (int) i;
        }
    }

    return -1;
}


int
ticket_reason_status(ticket_reason_t reason)
{
    switch (reason) {

    case TICKET_OK:
    case TICKET_EXCESS_PRIVILEGE:
        return 0;

    case TICKET_WRONG_AUDIENCE:
    case TICKET_WRONG_KIND:
    case TICKET_INSUFFICIENT_ROLE:
    case TICKET_CLAIM_MISMATCH:
        return 403;

    case TICKET_REVOCATION_UNAVAILABLE:
        return 503;

    default:
        /* an unknown reason is a denial too: never 0 */
        return 401;
    }
}
