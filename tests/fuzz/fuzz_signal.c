
/*
 * fuzz_signal: a Security Event Token or a Back-Channel Logout token as
 * the receiver meets it, through ticket_signal_parse() with an HS256 key
 * and a tenant-bound one, then ticket_signal_entry() and
 * ticket_signal_seen_id() for every event it accepts.
 *
 * Input: 1 byte, then the token.
 *
 *   byte 0       bit 0: a logout token instead of a SET; bit 1: the
 *                receiver has tenant "acme"; bit 2: no issuer or
 *                audience required
 *
 * The secret below is a test secret; the seeds in corpora/fuzz_signal
 * are SETs and logout tokens signed with it (iat 1700000000).
 */


#include "fuzz.h"

#include <ticket_signal.h>


#define FUZZ_NOW  1700000060LL


static const char  fuzz_secret[] = "fuzz-signal-secret-0123456789abcdef";

#define S(lit)  { sizeof(lit) - 1, lit }

static ticket_str_t     fuzz_issuers[] = { S("https://idp.example.com/") };
static ticket_str_t     fuzz_audiences[] = { S("https://gw.example.com/") };
static ticket_policy_t  fuzz_policies[2];
static ticket_keyset_t  fuzz_ks;


int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    char              err[TICKET_ERRLEN];
    ticket_policy_t  *p;

    ticket_keyset_init(&fuzz_ks);

    if (ticket_keyset_add_pem(&fuzz_ks, "k1", TICKET_ALG_HS256, NULL,
                              (const unsigned char *) fuzz_secret,
                              sizeof(fuzz_secret) - 1, err, sizeof(err))
        != 0
        || ticket_keyset_add_pem(&fuzz_ks, "acme", TICKET_ALG_HS256, "acme",
                                 (const unsigned char *) fuzz_secret,
                                 sizeof(fuzz_secret) - 1, err, sizeof(err))
           != 0)
    {
        fprintf(stderr, "fuzz_signal: keys: %s\n", err);
        abort();
    }

    p = &fuzz_policies[0];
    memset(p, 0, sizeof(ticket_policy_t));
    p->leeway = 30;
    p->max_lifetime = 3600;
    p->issuers.values = fuzz_issuers;
    p->issuers.n = 1;
    p->audiences.values = fuzz_audiences;
    p->audiences.n = 1;

    p = &fuzz_policies[1];
    memset(p, 0, sizeof(ticket_policy_t));
    p->leeway = 0;
    p->max_lifetime = 60;

    return 0;
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char                    buf[256], actor[256];
    char                    seen[TICKET_SIGNAL_SEEN_LEN + 1];
    size_t                  i;
    ticket_str_t            tenant;
    ticket_signal_t         s;
    ticket_rev_entry_t      e;
    ticket_signal_err_t     err;
    ticket_signal_kind_t    kind;
    ticket_signal_event_t  *ev;

    if (size < 1) {
        return 0;
    }

    kind = (data[0] & 1) ? TICKET_SIGNAL_LOGOUT : TICKET_SIGNAL_SET;

    tenant.data = (data[0] & 2) ? "acme" : NULL;
    tenant.len = (data[0] & 2) ? 4 : 0;

    err = ticket_signal_parse(&s, kind, (const char *) data + 1, size - 1,
                              &fuzz_ks, &fuzz_policies[(data[0] >> 2) & 1],
                              &tenant, FUZZ_NOW);

    FUZZ_CHECK(ticket_signal_err_name(err) != NULL
               || err == TICKET_SIGNAL_OK);

    if (err != TICKET_SIGNAL_OK) {
        FUZZ_CHECK(s.why[0] != '\0');
        FUZZ_CHECK(s.nevents <= TICKET_SIGNAL_MAX_EVENTS);
        ticket_signal_free(&s);
        return 0;
    }

    FUZZ_CHECK(s.ticket.verified);
    FUZZ_CHECK(s.ticket.jti.len > 0 && s.ticket.iss.len > 0);
    FUZZ_CHECK(s.nevents >= 1 && s.nevents <= TICKET_SIGNAL_MAX_EVENTS);
    FUZZ_CHECK(ticket_signal_seen_id(&s, seen) == 0);
    FUZZ_CHECK(strlen(seen) == TICKET_SIGNAL_SEEN_LEN);

    for (i = 0; i < s.nevents; i++) {
        ev = &s.events[i];

        FUZZ_CHECK(ev->cutoff >= 0 && ev->cutoff <= FUZZ_NOW + 30);

        if (ev->list == TICKET_REV_LISTS) {
            continue;
        }

        FUZZ_CHECK(ev->list == TICKET_REV_SUB || ev->list == TICKET_REV_SID);
        FUZZ_CHECK(ev->list != TICKET_REV_SID || ev->sid.len > 0);
        FUZZ_CHECK(ev->list != TICKET_REV_SUB || ev->sub.len > 0);

        if (ticket_signal_entry(&s, ev, kind, &tenant, buf, sizeof(buf),
                                actor, sizeof(actor), &e)
            == 0)
        {
            FUZZ_CHECK(e.list == ev->list);
            FUZZ_CHECK(e.member.len > 0 && e.member.len < sizeof(buf));
            FUZZ_CHECK(e.actor.len > 4);
        }
    }

    ticket_signal_free(&s);

    return 0;
}
