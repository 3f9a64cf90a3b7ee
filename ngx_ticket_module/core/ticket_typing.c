
/*
 * Token typing: security event tokens are not tickets.
 *
 * RFC 8417, 4.2 asks that a SET never be taken for another kind of JWT,
 * an access token included; OpenID Connect Back-Channel Logout 1.0 says
 * the same of its logout tokens.  A gateway that maps tickets from an
 * identity provider's tokens (ticket_kind_claim ... default=user) would
 * otherwise admit a logout token, signed by the very keys it trusts, as
 * a user's ticket.  Two marks give such a token away: its "typ" (when
 * the issuer sets one) and its "events" claim (which every SET has).
 */


#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "ticket_json.h"
#include "ticket_typing.h"


static int ticket_typ_is(const char *typ, size_t len, const char *name);


/* media types (RFC 7515, 4.1.9: "application/" may be left out) */

static const char  *ticket_event_types[] = {
    "secevent+jwt",                            /* RFC 8417 */
    "logout+jwt"                               /* OIDC Back-Channel Logout */
};


ticket_reason_t
ticket_check_typing(ticket_t *t)
{
    size_t  i;

    if (t->typ.data != NULL) {
        for (i = 0; i < sizeof(ticket_event_types)
                        / sizeof(ticket_event_types[0]); i++)
        {
            if (ticket_typ_is(t->typ.data, t->typ.len,
                              ticket_event_types[i]))
            {
                snprintf(t->why, sizeof(t->why), "header \"typ\" is %s: "
                         "a security event token, not a ticket",
                         ticket_event_types[i]);
                return TICKET_MALFORMED;
            }
        }
    }

    /* a restored ticket has no claims object: it was checked parsed */

    if (t->claims != NULL && ticket_jv_get(t->claims, "events") != NULL) {
        snprintf(t->why, sizeof(t->why), "claim \"events\" present: "
                 "a security event token, not a ticket");
        return TICKET_MALFORMED;
    }

    return TICKET_OK;
}


/*
 * typ names the media type name: case-insensitively, with or without
 * "application/", white space around it and parameters after ";"
 * ignored.
 */

static int
ticket_typ_is(const char *typ, size_t len, const char *name)
{
    size_t       n, k;
    const char  *p, *end, *semi;

    p = typ;
    end = typ + len;

    semi = memchr(p, ';', len);
    if (semi != NULL) {
        end = semi;
    }

    while (p < end && (*p == ' ' || *p == '\t')) {
        p++;
    }

    while (end > p && (end[-1] == ' ' || end[-1] == '\t')) {
        end--;
    }

    if ((size_t) (end - p) > sizeof("application/") - 1
        && strncasecmp(p, "application/", sizeof("application/") - 1) == 0)
    {
        p += sizeof("application/") - 1;
    }

    n = strlen(name);

    if ((size_t) (end - p) != n) {
        return 0;
    }

    for (k = 0; k < n; k++) {
        if (tolower((unsigned char) p[k]) != name[k]) {
            return 0;
        }
    }

    return 1;
}
