
/*
 * Signals from identity providers: a Security Event Token (RFC 8417) or
 * a Back-Channel Logout token, verified with the ticket chain (parse,
 * key, time, signature, binding) and read into revocation rows.
 *
 * Subjects (RFC 9493, SSF 1.0): "iss_sub" names a user, "opaque" a
 * session (the SPEC's reading), "complex" a user and/or a session; a
 * SET's subject is its "sub_id" claim (SSF 1.0), else the event's
 * "subject" member (CAEP and RISC drafts, RFC 8417's examples), else the
 * token's own "sub" and "sid".  Any other format is invalid_request.
 */


#include <stdio.h>
#include <string.h>
#include <openssl/evp.h>

#include "ticket_b64.h"
#include "ticket_json.h"
#include "ticket_signal.h"
#include "ticket_parse.h"
#include "ticket_time.h"
#include "ticket_verify.h"


#define TICKET_SIGNAL_CAEP  "https://schemas.openid.net/secevent/caep/" \
                            "event-type/"
#define TICKET_SIGNAL_RISC  "https://schemas.openid.net/secevent/risc/" \
                            "event-type/"
#define TICKET_SIGNAL_BCL   "http://schemas.openid.net/event/" \
                            "backchannel-logout"


typedef struct {
    const char             *uri;
    const char             *name;
    ticket_signal_type_t    type;
} ticket_signal_event_type_t;


static ticket_signal_err_t ticket_signal_fail(ticket_signal_t *s,
    ticket_signal_err_t err, const char *why);
static ticket_signal_err_t ticket_signal_check(ticket_signal_t *s,
    const char *token, size_t len, const ticket_keyset_t *ks,
    const ticket_policy_t *p, const ticket_str_t *tenant, int64_t now);
static ticket_signal_err_t ticket_signal_set_events(ticket_signal_t *s,
    int64_t limit);
static ticket_signal_err_t ticket_signal_logout_events(ticket_signal_t *s,
    int64_t limit);
static ticket_signal_err_t ticket_signal_subject(ticket_signal_t *s,
    json_t *subject, ticket_signal_event_t *ev);
static int ticket_signal_simple(json_t *id, const char *format,
    const char *member, ticket_str_t *out);
static int ticket_signal_string(json_t *obj, const char *name,
    ticket_str_t *out);
static ticket_signal_err_t ticket_signal_map(ticket_signal_t *s,
    ticket_signal_event_t *ev);


static const ticket_signal_event_type_t  ticket_signal_types[] = {
    { TICKET_SIGNAL_CAEP "session-revoked", "caep:session-revoked",
      TICKET_SIGNAL_EV_SESSION_REVOKED },
    { TICKET_SIGNAL_CAEP "credential-change", "caep:credential-change",
      TICKET_SIGNAL_EV_CREDENTIAL_CHANGE },
    { TICKET_SIGNAL_CAEP "token-claims-change", "caep:token-claims-change",
      TICKET_SIGNAL_EV_TOKEN_CLAIMS_CHANGE },
    { TICKET_SIGNAL_RISC "account-disabled", "risc:account-disabled",
      TICKET_SIGNAL_EV_ACCOUNT_DISABLED },
    { TICKET_SIGNAL_RISC "account-purged", "risc:account-purged",
      TICKET_SIGNAL_EV_ACCOUNT_PURGED },
    { TICKET_SIGNAL_RISC "credential-compromise", "risc:credential-compromise",
      TICKET_SIGNAL_EV_CREDENTIAL_COMPROMISE },
    { TICKET_SIGNAL_RISC "sessions-revoked", "risc:sessions-revoked",
      TICKET_SIGNAL_EV_SESSIONS_REVOKED },
    { TICKET_SIGNAL_BCL, "backchannel-logout", TICKET_SIGNAL_EV_LOGOUT }
};

#define TICKET_SIGNAL_NTYPES                                                 \
    (sizeof(ticket_signal_types) / sizeof(ticket_signal_types[0]))


static const char  *ticket_signal_err_names[] = {
    NULL,
    "invalid_request",
    "invalid_key",
    "invalid_issuer",
    "invalid_audience",
    "authentication_failed"
};


ticket_signal_err_t
ticket_signal_parse(ticket_signal_t *s, ticket_signal_kind_t kind,
    const char *token, size_t len, const ticket_keyset_t *ks,
    const ticket_policy_t *p, const ticket_str_t *tenant, int64_t now)
{
    int64_t              limit, leeway;
    ticket_signal_err_t  err;

    memset(s, 0, sizeof(ticket_signal_t));
    ticket_init(&s->ticket);
    s->reason = TICKET_MALFORMED;

    err = ticket_signal_check(s, token, len, ks, p, tenant, now);
    if (err != TICKET_SIGNAL_OK) {
        return err;
    }

    s->reason = TICKET_OK;

    s->claims = ticket_jv_to_json(s->ticket.claims);
    if (s->claims == NULL) {
        return ticket_signal_fail(s, TICKET_SIGNAL_INVALID_REQUEST,
                                  "out of memory");
    }

    /* an event happened in the past: a cut-off never lies ahead of now */

    leeway = p->leeway;

    if (leeway < 0 || leeway > 86400) {
        leeway = 86400;
    }

    limit = now + leeway;

    if (limit < 0 || limit > TICKET_MAX_TIME) {
        limit = TICKET_MAX_TIME;
    }

    if (kind == TICKET_SIGNAL_LOGOUT) {
        return ticket_signal_logout_events(s, limit);
    }

    return ticket_signal_set_events(s, limit);
}


void
ticket_signal_free(ticket_signal_t *s)
{
    json_decref(s->claims);
    s->claims = NULL;

    ticket_free(&s->ticket);
}


const char *
ticket_signal_err_name(ticket_signal_err_t err)
{
    if ((unsigned) err
        >= sizeof(ticket_signal_err_names) / sizeof(ticket_signal_err_names[0]))
    {
        return "invalid_request";
    }

    return ticket_signal_err_names[err];
}


int
ticket_signal_entry(const ticket_signal_t *s,
    const ticket_signal_event_t *ev, ticket_signal_kind_t kind,
    const ticket_str_t *tenant, char *buf, size_t size, char *actor,
    size_t actor_size, ticket_rev_entry_t *e)
{
    size_t  n;

    memset(e, 0, sizeof(ticket_rev_entry_t));

    if (ev->list == TICKET_REV_SID && ev->sid.data != NULL) {
        if (ev->sid.len >= size) {
            return -1;
        }

        memcpy(buf, ev->sid.data, ev->sid.len);
        buf[ev->sid.len] = '\0';
        n = ev->sid.len;

    } else if (ev->list == TICKET_REV_SUB && ev->sub.data != NULL) {
        n = ticket_rev_sub_member(buf, size, tenant, &ev->sub);
        if (n >= size) {
            return -1;
        }

    } else {
        return -1;
    }

    if (s->ticket.iss.len + 5 > actor_size) {
        return -1;
    }

    memcpy(actor, kind == TICKET_SIGNAL_LOGOUT ? "bcl:" : "ssf:", 4);
    memcpy(actor + 4, s->ticket.iss.data, s->ticket.iss.len);
    actor[4 + s->ticket.iss.len] = '\0';

    e->list = ev->list;
    e->member.data = buf;
    e->member.len = n;
    e->value = ev->cutoff;
    e->reason = ev->uri;
    e->actor.data = actor;
    e->actor.len = 4 + s->ticket.iss.len;

    return 0;
}


int
ticket_signal_seen_id(const ticket_signal_t *s, char *seen)
{
    unsigned int    mdlen;
    EVP_MD_CTX     *md;
    unsigned char   hash[EVP_MAX_MD_SIZE];

    md = EVP_MD_CTX_new();
    if (md == NULL) {
        return -1;
    }

    if (EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1
        || EVP_DigestUpdate(md, s->ticket.iss.data, s->ticket.iss.len) != 1
        || EVP_DigestUpdate(md, "", 1) != 1
        || EVP_DigestUpdate(md, s->ticket.jti.data, s->ticket.jti.len) != 1
        || EVP_DigestFinal_ex(md, hash, &mdlen) != 1
        || mdlen * 2 != TICKET_SIGNAL_SEEN_LEN)
    {
        EVP_MD_CTX_free(md);
        return -1;
    }

    EVP_MD_CTX_free(md);

    ticket_hex_encode(seen, hash, mdlen);
    seen[TICKET_SIGNAL_SEEN_LEN] = '\0';

    return 0;
}


static ticket_signal_err_t
ticket_signal_fail(ticket_signal_t *s, ticket_signal_err_t err,
    const char *why)
{
    s->err = err;
    snprintf(s->why, sizeof(s->why), "%s", why);

    return err;
}


/*
 * The ticket chain in the gateway's order: parse (no kind, jti
 * required), key, time (exp only where sent), signature, tenant-bound
 * key and issuer, then the audience.
 */

static ticket_signal_err_t
ticket_signal_check(ticket_signal_t *s, const char *token, size_t len,
    const ticket_keyset_t *ks, const ticket_policy_t *p,
    const ticket_str_t *tenant, int64_t now)
{
    size_t           i, j;
    int64_t          leeway;
    ticket_t        *t;
    ticket_policy_t  pol;
    ticket_reason_t  rc;

    t = &s->ticket;

    pol = *p;
    pol.signal = 1;
    pol.jti_path.len = 0;
    pol.jti_path.data = NULL;
    pol.jti_optional = 0;

    rc = ticket_parse_policy(t, token, len, &pol);
    if (rc != TICKET_OK) {
        s->reason = rc;

        if (rc == TICKET_UNTRUSTED_KEY_HEADER) {
            return ticket_signal_fail(s, TICKET_SIGNAL_INVALID_KEY,
                                      "untrusted key header");
        }

        return ticket_signal_fail(s, TICKET_SIGNAL_INVALID_REQUEST,
                                  t->why[0] ? t->why : "malformed");
    }

    if (t->iss.data == NULL || t->iss.len == 0) {
        return ticket_signal_fail(s, TICKET_SIGNAL_INVALID_REQUEST,
                                  "claim \"iss\" missing");
    }

    rc = ticket_select_key(t, ks);
    if (rc != TICKET_OK) {
        s->reason = rc;
        return ticket_signal_fail(s, TICKET_SIGNAL_INVALID_KEY,
                                  rc == TICKET_UNKNOWN_KEY ? "unknown key"
                                  : "key or algorithm not accepted");
    }

    /* as ticket_check_time(), without a lifetime: exp is optional */

    leeway = p->leeway;

    if (leeway < 0 || leeway > TICKET_MAX_TIME) {
        leeway = 0;
    }

    if (t->has_exp && now >= t->exp + leeway) {
        s->reason = TICKET_EXPIRED;
        return ticket_signal_fail(s, TICKET_SIGNAL_INVALID_REQUEST,
                                  "token expired");
    }

    if (t->has_nbf && t->nbf - leeway > now) {
        s->reason = TICKET_NOT_YET_VALID;
        return ticket_signal_fail(s, TICKET_SIGNAL_INVALID_REQUEST,
                                  "token not yet valid");
    }

    if (t->iat - leeway > now) {
        s->reason = TICKET_ISSUED_IN_FUTURE;
        return ticket_signal_fail(s, TICKET_SIGNAL_INVALID_REQUEST,
                                  "token issued in the future");
    }

    rc = ticket_verify_signature(t);
    if (rc != TICKET_OK) {
        s->reason = rc;
        return ticket_signal_fail(s, TICKET_SIGNAL_INVALID_KEY,
                                  "signature does not verify");
    }

    /* a tenant-bound key signs for the receiver's tenant only */

    if (t->key != NULL && t->key->tenant != NULL
        && (tenant == NULL || tenant->data == NULL
            || tenant->len != t->key->tenant_len
            || memcmp(tenant->data, t->key->tenant, tenant->len) != 0))
    {
        s->reason = TICKET_TENANT_MISMATCH;
        return ticket_signal_fail(s, TICKET_SIGNAL_INVALID_KEY,
                                  "key bound to another tenant");
    }

    if (p->issuers.n > 0) {
        for (i = 0; i < p->issuers.n; i++) {
            if (p->issuers.values[i].len == t->iss.len
                && memcmp(p->issuers.values[i].data, t->iss.data,
                          t->iss.len) == 0)
            {
                break;
            }
        }

        if (i == p->issuers.n) {
            s->reason = TICKET_WRONG_ISSUER;
            return ticket_signal_fail(s, TICKET_SIGNAL_INVALID_ISSUER,
                                      "issuer not accepted");
        }
    }

    if (p->audiences.n > 0) {
        for (i = 0; i < t->aud_list.n; i++) {
            for (j = 0; j < p->audiences.n; j++) {
                if (p->audiences.values[j].len == t->aud_list.values[i].len
                    && memcmp(p->audiences.values[j].data,
                              t->aud_list.values[i].data,
                              t->aud_list.values[i].len) == 0)
                {
                    break;
                }
            }

            if (j < p->audiences.n) {
                break;
            }
        }

        if (i == t->aud_list.n) {
            s->reason = TICKET_WRONG_AUDIENCE;
            return ticket_signal_fail(s, TICKET_SIGNAL_INVALID_AUDIENCE,
                                      "audience not accepted");
        }
    }

    return TICKET_SIGNAL_OK;
}


static ticket_signal_err_t
ticket_signal_set_events(ticket_signal_t *s, int64_t limit)
{
    size_t                  i;
    json_t                 *events, *payload, *subject, *ts;
    json_int_t              v;
    const char             *uri;
    ticket_signal_err_t     err;
    ticket_signal_event_t  *ev;

    events = json_object_get(s->claims, "events");

    if (events == NULL || !json_is_object(events)) {
        return ticket_signal_fail(s, TICKET_SIGNAL_INVALID_REQUEST,
                                  "claim \"events\" missing or not an "
                                  "object");
    }

    if (json_object_size(events) == 0
        || json_object_size(events) > TICKET_SIGNAL_MAX_EVENTS)
    {
        return ticket_signal_fail(s, TICKET_SIGNAL_INVALID_REQUEST,
                                  "claim \"events\": no event, or too "
                                  "many");
    }

    json_object_foreach(events, uri, payload) {
        ev = &s->events[s->nevents++];

        ev->uri.data = uri;
        ev->uri.len = strlen(uri);
        ev->type = TICKET_SIGNAL_EV_OTHER;
        ev->name = "other";
        ev->list = TICKET_REV_LISTS;

        for (i = 0; i < TICKET_SIGNAL_NTYPES; i++) {
            if (strcmp(uri, ticket_signal_types[i].uri) == 0) {
                ev->type = ticket_signal_types[i].type;
                ev->name = ticket_signal_types[i].name;
                break;
            }
        }

        if (!json_is_object(payload)) {
            return ticket_signal_fail(s, TICKET_SIGNAL_INVALID_REQUEST,
                                      "event payload not an object");
        }

        /* an event type we do not know is recorded, never refused */

        if (ev->type == TICKET_SIGNAL_EV_OTHER) {
            continue;
        }

        if (ev->type == TICKET_SIGNAL_EV_LOGOUT) {
            return ticket_signal_fail(s, TICKET_SIGNAL_INVALID_REQUEST,
                                      "a logout token is not a SET");
        }

        ev->cutoff = s->ticket.iat;

        ts = json_object_get(payload, "event_timestamp");

        if (ts != NULL) {
            if (!json_is_integer(ts)) {
                return ticket_signal_fail(s, TICKET_SIGNAL_INVALID_REQUEST,
                                          "\"event_timestamp\" not an "
                                          "integer");
            }

            v = json_integer_value(ts);

            if (v < 0 || v > TICKET_MAX_TIME) {
                return ticket_signal_fail(s, TICKET_SIGNAL_INVALID_REQUEST,
                                          "\"event_timestamp\" out of "
                                          "range");
            }

            ev->cutoff = (int64_t) v;
        }

        if (ev->cutoff > limit) {
            ev->cutoff = limit;
        }

        subject = json_object_get(s->claims, "sub_id");

        if (subject == NULL) {
            subject = json_object_get(payload, "subject");
        }

        if (subject != NULL) {
            err = ticket_signal_subject(s, subject, ev);
            if (err != TICKET_SIGNAL_OK) {
                return err;
            }

        } else {
            ev->sub = s->ticket.sub;
            ev->sid = s->ticket.sid;
        }

        err = ticket_signal_map(s, ev);
        if (err != TICKET_SIGNAL_OK) {
            return err;
        }
    }

    return TICKET_SIGNAL_OK;
}


/*
 * Back-Channel Logout 1.0 section 2.6: the events claim holds the
 * logout event (an object), a sid or a sub names what ended, and a
 * nonce is forbidden (an ID token is not a logout token).
 */

static ticket_signal_err_t
ticket_signal_logout_events(ticket_signal_t *s, int64_t limit)
{
    json_t                 *events, *payload;
    ticket_signal_event_t  *ev;

    events = json_object_get(s->claims, "events");

    if (events == NULL || !json_is_object(events)) {
        return ticket_signal_fail(s, TICKET_SIGNAL_INVALID_REQUEST,
                                  "claim \"events\" missing or not an "
                                  "object");
    }

    payload = json_object_get(events, TICKET_SIGNAL_BCL);

    if (payload == NULL || !json_is_object(payload)) {
        return ticket_signal_fail(s, TICKET_SIGNAL_INVALID_REQUEST,
                                  "no back-channel logout event");
    }

    if (json_object_get(s->claims, "nonce") != NULL) {
        return ticket_signal_fail(s, TICKET_SIGNAL_INVALID_REQUEST,
                                  "claim \"nonce\" present");
    }

    if (s->ticket.sub.data == NULL && s->ticket.sid.data == NULL) {
        return ticket_signal_fail(s, TICKET_SIGNAL_INVALID_REQUEST,
                                  "neither \"sub\" nor \"sid\"");
    }

    ev = &s->events[0];
    s->nevents = 1;

    ev->type = TICKET_SIGNAL_EV_LOGOUT;
    ev->name = "backchannel-logout";
    ev->uri.data = TICKET_SIGNAL_BCL;
    ev->uri.len = sizeof(TICKET_SIGNAL_BCL) - 1;
    ev->sub = s->ticket.sub;
    ev->sid = s->ticket.sid;
    ev->cutoff = s->ticket.iat > limit ? limit : s->ticket.iat;

    return ticket_signal_map(s, ev);
}


static ticket_signal_err_t
ticket_signal_subject(ticket_signal_t *s, json_t *subject,
    ticket_signal_event_t *ev)
{
    json_t       *user, *session;
    ticket_str_t  format;

    if (!json_is_object(subject)
        || ticket_signal_string(subject, "format", &format) != 0)
    {
        return ticket_signal_fail(s, TICKET_SIGNAL_INVALID_REQUEST,
                                  "subject without a format");
    }

    ev->format = format;

    if (strcmp(format.data, "iss_sub") == 0) {
        if (ticket_signal_simple(subject, "iss_sub", "sub", &ev->sub) != 0) {
            return ticket_signal_fail(s, TICKET_SIGNAL_INVALID_REQUEST,
                                      "iss_sub subject without iss and "
                                      "sub");
        }

        return TICKET_SIGNAL_OK;
    }

    if (strcmp(format.data, "opaque") == 0) {
        if (ticket_signal_simple(subject, "opaque", "id", &ev->sid) != 0) {
            return ticket_signal_fail(s, TICKET_SIGNAL_INVALID_REQUEST,
                                      "opaque subject without an id");
        }

        return TICKET_SIGNAL_OK;
    }

    if (strcmp(format.data, "complex") == 0) {
        user = json_object_get(subject, "user");
        session = json_object_get(subject, "session");

        if (user == NULL && session == NULL) {
            return ticket_signal_fail(s, TICKET_SIGNAL_INVALID_REQUEST,
                                      "complex subject without user or "
                                      "session");
        }

        if (user != NULL
            && ticket_signal_simple(user, "iss_sub", "sub", &ev->sub) != 0
            && ticket_signal_simple(user, "opaque", "id", &ev->sub) != 0)
        {
            return ticket_signal_fail(s, TICKET_SIGNAL_INVALID_REQUEST,
                                      "complex subject's user not iss_sub "
                                      "or opaque");
        }

        if (session != NULL
            && ticket_signal_simple(session, "opaque", "id", &ev->sid) != 0)
        {
            return ticket_signal_fail(s, TICKET_SIGNAL_INVALID_REQUEST,
                                      "complex subject's session not "
                                      "opaque");
        }

        return TICKET_SIGNAL_OK;
    }

    return ticket_signal_fail(s, TICKET_SIGNAL_INVALID_REQUEST,
                              "subject format not understood");
}


/* a simple subject identifier of the format given: its member, and for
 * iss_sub an issuer too; 0, or -1 */

static int
ticket_signal_simple(json_t *id, const char *format, const char *member,
    ticket_str_t *out)
{
    ticket_str_t  f, iss;

    if (!json_is_object(id)
        || ticket_signal_string(id, "format", &f) != 0
        || strcmp(f.data, format) != 0
        || ticket_signal_string(id, member, out) != 0)
    {
        return -1;
    }

    if (strcmp(format, "iss_sub") == 0
        && ticket_signal_string(id, "iss", &iss) != 0)
    {
        out->data = NULL;
        out->len = 0;
        return -1;
    }

    return 0;
}


/* a non-empty string member without a NUL: 0, or -1 */

static int
ticket_signal_string(json_t *obj, const char *name, ticket_str_t *out)
{
    json_t  *v;

    v = json_object_get(obj, name);

    if (v == NULL || !json_is_string(v) || json_string_length(v) == 0
        || strlen(json_string_value(v)) != json_string_length(v))
    {
        return -1;
    }

    out->data = json_string_value(v);
    out->len = json_string_length(v);

    return 0;
}


/* the SPEC's table: which row an event revokes */

static ticket_signal_err_t
ticket_signal_map(ticket_signal_t *s, ticket_signal_event_t *ev)
{
    switch (ev->type) {

    case TICKET_SIGNAL_EV_SESSION_REVOKED:
    case TICKET_SIGNAL_EV_LOGOUT:
        if (ev->sid.data != NULL) {
            ev->list = TICKET_REV_SID;
            return TICKET_SIGNAL_OK;
        }

        if (ev->sub.data != NULL) {
            ev->list = TICKET_REV_SUB;
            return TICKET_SIGNAL_OK;
        }

        return ticket_signal_fail(s, TICKET_SIGNAL_INVALID_REQUEST,
                                  "event names no session and no user");

    case TICKET_SIGNAL_EV_ACCOUNT_DISABLED:
    case TICKET_SIGNAL_EV_ACCOUNT_PURGED:
    case TICKET_SIGNAL_EV_CREDENTIAL_COMPROMISE:
    case TICKET_SIGNAL_EV_SESSIONS_REVOKED:
        if (ev->sub.data != NULL) {
            ev->list = TICKET_REV_SUB;
            return TICKET_SIGNAL_OK;
        }

        return ticket_signal_fail(s, TICKET_SIGNAL_INVALID_REQUEST,
                                  "event names no user");

    default:
        ev->list = TICKET_REV_LISTS;
        return TICKET_SIGNAL_OK;
    }
}
