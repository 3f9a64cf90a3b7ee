
/*
 * Token typing (RFC 8725, 3.11): which JWS is an access ticket.  An
 * identity provider signs more than access tokens with the same keys,
 * issuer and audience; a token meant for another use must not pass as
 * a ticket.
 */

#ifndef TICKET_TYPING_H_INCLUDED_
#define TICKET_TYPING_H_INCLUDED_


#include "ticket_types.h"


/*
 * A parsed ticket that is a security event token (RFC 8417, 2.3: "typ"
 * "secevent+jwt", or an "events" claim) or an OpenID Connect
 * Back-Channel Logout token ("typ" "logout+jwt", its "events" claim):
 * TICKET_MALFORMED, saying why in t->why.  Else TICKET_OK, also for a
 * ticket restored from a snapshot (checked when it was parsed).
 */
ticket_reason_t ticket_check_typing(ticket_t *t);


#endif /* TICKET_TYPING_H_INCLUDED_ */
