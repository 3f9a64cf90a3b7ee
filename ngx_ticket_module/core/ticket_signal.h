
/*
 * Signals from identity providers (SPEC "Revocation fed by identity
 * providers"): Security Event Tokens (RFC 8417) carrying CAEP and RISC
 * events, and OpenID Connect Back-Channel Logout tokens, verified as a
 * ticket is (the location's keys, issuers and audiences; no kind; a jti
 * required) and their events mapped to revocation rows.  The gateway's
 * receiver, ticketctl ssf poll, the unit tests and fuzz_signal all read
 * tokens through this.
 */

#ifndef TICKET_SIGNAL_H_INCLUDED_
#define TICKET_SIGNAL_H_INCLUDED_


#include "ticket_types.h"
#include "ticket_revocation.h"


#define TICKET_SIGNAL_MAX_EVENTS  4     /* events of one SET */
#define TICKET_SIGNAL_SEEN_LEN    64    /* hex digits of a seen-jti id */


typedef enum {
    TICKET_SIGNAL_SET = 0,              /* SSF: a SET, RFC 8417 */
    TICKET_SIGNAL_LOGOUT                /* a back-channel logout token */
} ticket_signal_kind_t;


/* RFC 8935 section 2.4's error codes */

typedef enum {
    TICKET_SIGNAL_OK = 0,
    TICKET_SIGNAL_INVALID_REQUEST,
    TICKET_SIGNAL_INVALID_KEY,
    TICKET_SIGNAL_INVALID_ISSUER,
    TICKET_SIGNAL_INVALID_AUDIENCE,
    TICKET_SIGNAL_AUTHENTICATION_FAILED
} ticket_signal_err_t;


typedef enum {
    TICKET_SIGNAL_EV_OTHER = 0,         /* not ours: recorded only */
    TICKET_SIGNAL_EV_SESSION_REVOKED,   /* CAEP */
    TICKET_SIGNAL_EV_CREDENTIAL_CHANGE,
    TICKET_SIGNAL_EV_TOKEN_CLAIMS_CHANGE,
    TICKET_SIGNAL_EV_ACCOUNT_DISABLED,  /* RISC */
    TICKET_SIGNAL_EV_ACCOUNT_PURGED,
    TICKET_SIGNAL_EV_CREDENTIAL_COMPROMISE,
    TICKET_SIGNAL_EV_SESSIONS_REVOKED,
    TICKET_SIGNAL_EV_LOGOUT             /* back-channel logout */
} ticket_signal_type_t;


typedef struct {
    ticket_signal_type_t    type;
    ticket_str_t            uri;        /* the event type as sent */
    const char             *name;       /* "caep:session-revoked" */
    ticket_str_t            format;     /* subject format; data NULL: the
                                           token's own sub and sid */
    ticket_str_t            sub;        /* the user; data NULL: none */
    ticket_str_t            sid;        /* the session; data NULL: none */
    int64_t                 cutoff;     /* event_timestamp, else iat */
    ticket_rev_list_t       list;       /* the row: TICKET_REV_SUB or
                                           _SID; TICKET_REV_LISTS: none,
                                           recorded only */
} ticket_signal_event_t;


typedef struct {
    ticket_t                ticket;     /* iss, jti, iat as verified */
    json_t                 *claims;     /* ticket's claims as jansson
                                           values: a signal is rare */
    ticket_reason_t         reason;     /* the ticket check's reason */
    ticket_signal_err_t     err;
    char                    why[96];    /* the error's description */
    ticket_signal_event_t   events[TICKET_SIGNAL_MAX_EVENTS];
    size_t                  nevents;
} ticket_signal_t;


/*
 * Verify a token of the kind given with the keys and the policy's
 * issuers, audiences and leeway (no kind; sub and exp optional; "jti"
 * required), then read its events.  TICKET_SIGNAL_OK, or an error with
 * s->why saying why (never the token).  ticket_signal_free() in every
 * case.  tenant (NULL, or data NULL: none) is the receiver's tenant=:
 * a tenant-bound key must be that tenant's.
 */
ticket_signal_err_t ticket_signal_parse(ticket_signal_t *s,
    ticket_signal_kind_t kind, const char *token, size_t len,
    const ticket_keyset_t *ks, const ticket_policy_t *p,
    const ticket_str_t *tenant, int64_t now);

void ticket_signal_free(ticket_signal_t *s);

/* "invalid_request" ...; NULL for TICKET_SIGNAL_OK */
const char *ticket_signal_err_name(ticket_signal_err_t err);

/*
 * The revocation entry of an event with a row: list, member (a sub
 * row's "TENANT/SUB" written into buf, tenant as for ticket_signal_parse)
 * and value, reason the event type's URI, actor "ssf:ISS" or "bcl:ISS"
 * written into actor.  0, or -1 (no row, or buf or actor too small).
 */
int ticket_signal_entry(const ticket_signal_t *s,
    const ticket_signal_event_t *ev, ticket_signal_kind_t kind,
    const ticket_str_t *tenant, char *buf, size_t size, char *actor,
    size_t actor_size, ticket_rev_entry_t *e);

/* the seen-jti id of a token: hex SHA-256 of iss, a NUL and jti, and a
 * NUL, in seen[TICKET_SIGNAL_SEEN_LEN + 1].  0, or -1. */
int ticket_signal_seen_id(const ticket_signal_t *s, char *seen);


#endif /* TICKET_SIGNAL_H_INCLUDED_ */
