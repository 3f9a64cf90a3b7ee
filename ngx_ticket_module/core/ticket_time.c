
/*
 * Time: exp, nbf, iat and the lifetime a location allows, with leeway,
 * checked before any signature work.
 */


#include "ticket_time.h"


static int64_t ticket_clamp_time(int64_t v);


ticket_reason_t
ticket_check_time(const ticket_t *t, const ticket_policy_t *p, int64_t now)
{
    int64_t  iat, exp, nbf, leeway, max_lifetime;

    /*
     * ticket_parse() bounds the ticket's times and configuration bounds
     * the policy's; clamped again so that no sum or difference below
     * can overflow, whoever filled t and p.  now is never added to.
     */

    iat = ticket_clamp_time(t->iat);
    exp = ticket_clamp_time(t->exp);
    nbf = ticket_clamp_time(t->nbf);
    leeway = ticket_clamp_time(p->leeway);
    max_lifetime = ticket_clamp_time(p->max_lifetime);

    if (now >= exp + leeway) {
        return TICKET_EXPIRED;
    }

    if (t->has_nbf && nbf - leeway > now) {
        return TICKET_NOT_YET_VALID;
    }

    if (iat - leeway > now) {
        return TICKET_ISSUED_IN_FUTURE;
    }

    if (exp - iat > max_lifetime) {
        return TICKET_LIFETIME_EXCEEDED;
    }

    /* a ticket that expires before it was issued no issuer made */

    if (exp < iat) {
        return TICKET_MALFORMED;
    }

    return TICKET_OK;
}


static int64_t
ticket_clamp_time(int64_t v)
{
    if (v < 0) {
        return 0;
    }

    if (v > TICKET_MAX_TIME) {
        return TICKET_MAX_TIME;
    }

    return v;
}
