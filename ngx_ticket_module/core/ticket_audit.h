
/*
 * Audit records (SPEC "Audit log"): one JSON object a line, for the SOC.
 * No nginx types: the module writes records with it, ticketctl and the
 * tests read what it writes.
 *
 * A record's members, always all of them and always in this order:
 *
 *   time        "2026-11-23T11:12:37.123Z" (RFC 3339, ms, UTC)
 *   event       "denied" | "over_privilege" | "excess_privilege" | "allowed"
 *               | "preflight" (a CORS preflight passed unchecked)
 *               | "alert" (ticket_alert) | "signal" (an identity
 *               provider's event)
 *   reason      a reason name (ticket_reason_name)
 *   status      number: the status actually sent
 *   enforced    boolean: false in ticket_mode audit
 *   client      string
 *   method      string
 *   host        string
 *   uri         string, no query string
 *   request_id  string ($request_id)
 *   verified    boolean
 *   sub kind tenant jti kid iss sid
 *               string, or null where the ticket has none (identity as
 *               the ticket claimed it when verified is false)
 *   roles       array of strings
 *   required    array of strings ("kind:user", "aud:A|B", "role:A|B",
 *               "claim:NAME=V1|V2")
 *   token_fp    string (16 lowercase hex digits) or null (no ticket)
 *   exp         number: the ticket's exp as claimed, or null
 *   unmet       string: the first requirement the ticket failed, in
 *               required's notation, or null
 *   gateway     string: ticket_audit_gateway
 *   writer      string: one writing process of that gateway
 *   seq         number: grows by exactly one with each record of that
 *               writer, so that a missing record shows as a gap
 *   signal      only in records of event "signal": the event type of
 *               an identity provider's event, or null
 *   outcome     only in records of event "signal": what became of it ("applied",
 *               "duplicate", "recorded", "audited", "refused",
 *               "failed"), or null
 *
 * Every string is escaped by ticket_json_escape(): '"', '\\', control
 * bytes (\n \r \t \b \f or \u00XX) and DEL as \u007f; a byte that is
 * not part of valid UTF-8 as \ufffd, so that no claim can end a string,
 * a record or a line early, and every record is valid JSON.
 */

#ifndef TICKET_AUDIT_H_INCLUDED_
#define TICKET_AUDIT_H_INCLUDED_


#include "ticket_types.h"
#include "ticket_json.h"


typedef enum {
    TICKET_AUDIT_NONE = 0,
    TICKET_AUDIT_PREFLIGHT,      /* passed without a ticket check */
    TICKET_AUDIT_ALLOWED,
    TICKET_AUDIT_EXCESS_PRIVILEGE,
    TICKET_AUDIT_OVER_PRIVILEGE,
    TICKET_AUDIT_DENIED,
    TICKET_AUDIT_ALERT,           /* ticket_alert: no request's event */
    TICKET_AUDIT_SIGNAL           /* an identity provider's event: not a
                                     request's decision, never compared */
} ticket_audit_event_t;          /* ordered by severity */


#define TICKET_AUDIT_EVENT_MASK(e)  (1u << (e))
#define TICKET_AUDIT_DEFAULT_EVENTS                                          \
    (TICKET_AUDIT_EVENT_MASK(TICKET_AUDIT_DENIED)                            \
     | TICKET_AUDIT_EVENT_MASK(TICKET_AUDIT_OVER_PRIVILEGE)                  \
     | TICKET_AUDIT_EVENT_MASK(TICKET_AUDIT_EXCESS_PRIVILEGE))


typedef enum {
    TICKET_AUDIT_FORMAT_JSON = 0,        /* the native record below */
    TICKET_AUDIT_FORMAT_ECS,             /* ticket_audit_ecs.c */
    TICKET_AUDIT_FORMAT_OCSF             /* ticket_audit_ocsf.c */
} ticket_audit_format_t;


typedef struct {
    ticket_audit_format_t   format;
    int64_t                 time_ms;      /* unix time in milliseconds */
    ticket_audit_event_t    event;
    ticket_reason_t         reason;
    unsigned                status;
    unsigned                enforced:1;
    unsigned                verified:1;

    ticket_str_t            client;
    ticket_str_t            method;
    ticket_str_t            host;
    ticket_str_t            uri;
    ticket_str_t            request_id;

    /* data NULL: null in the record */
    ticket_str_t            sub;
    ticket_str_t            kind;
    ticket_str_t            tenant;
    ticket_str_t            jti;
    ticket_str_t            kid;
    ticket_str_t            iss;
    ticket_str_t            sid;

    const ticket_strlist_t *roles_list;   /* the ticket's roles; when NULL,
                                             roles below */
    json_t                 *roles;        /* string (space-separated),
                                             array of strings, or NULL */
    const ticket_str_t     *required;
    size_t                  nrequired;

    const unsigned char    *token;        /* the ticket; only its SHA-256 */
    size_t                  token_len;    /* fingerprint is written */
    const char             *token_fp;     /* that fingerprint when known
                                             (16 hex digits), else NULL:
                                             hashed as it is written */

    int64_t                 exp;
    unsigned                has_exp:1;    /* 0: exp null */
    ticket_str_t            unmet;        /* data NULL: null */
    ticket_str_t            gateway;
    ticket_str_t            writer;
    uint64_t                seq;

    /* event TICKET_AUDIT_ALERT: its reason replaces reason's name, and
     * count, window and action follow seq */
    const char             *alert_reason;
    unsigned                alert_count;
    unsigned                alert_window;  /* seconds */
    unsigned                alert_revoke:1;

    /* event TICKET_AUDIT_SIGNAL: after seq */
    ticket_str_t            signal;       /* data NULL: null */
    ticket_str_t            outcome;      /* data NULL: null */
} ticket_audit_record_t;


/*
 * The record's members, in the order above: the writer below writes
 * them from this table, and readers (ticketctl audit) check a record
 * against it.
 */

typedef enum {
    TICKET_AUDIT_STRING = 0,
    TICKET_AUDIT_NUMBER,
    TICKET_AUDIT_BOOL,
    TICKET_AUDIT_STRING_NULL,                /* a string, or null */
    TICKET_AUDIT_ARRAY,                      /* of strings */
    TICKET_AUDIT_NUMBER_NULL                 /* a number, or null */
} ticket_audit_type_t;


typedef struct {
    const char             *name;
    size_t                  len;
    char                    key[16];         /* ,"name":" as written,
                                                read 16 bytes at once */
    ticket_audit_type_t     type;
    unsigned                since:1;         /* added later: a reader
                                                accepts an older
                                                gateway's record
                                                without it */
} ticket_audit_member_t;


typedef enum {
    TICKET_AUDIT_M_TIME = 0,
    TICKET_AUDIT_M_EVENT,
    TICKET_AUDIT_M_REASON,
    TICKET_AUDIT_M_STATUS,
    TICKET_AUDIT_M_ENFORCED,
    TICKET_AUDIT_M_CLIENT,
    TICKET_AUDIT_M_METHOD,
    TICKET_AUDIT_M_HOST,
    TICKET_AUDIT_M_URI,
    TICKET_AUDIT_M_REQUEST_ID,
    TICKET_AUDIT_M_VERIFIED,
    TICKET_AUDIT_M_SUB,
    TICKET_AUDIT_M_KIND,
    TICKET_AUDIT_M_TENANT,
    TICKET_AUDIT_M_JTI,
    TICKET_AUDIT_M_KID,
    TICKET_AUDIT_M_ISS,
    TICKET_AUDIT_M_SID,
    TICKET_AUDIT_M_ROLES,
    TICKET_AUDIT_M_REQUIRED,
    TICKET_AUDIT_M_TOKEN_FP,
    TICKET_AUDIT_M_EXP,
    TICKET_AUDIT_M_UNMET,
    TICKET_AUDIT_M_GATEWAY,
    TICKET_AUDIT_M_WRITER,
    TICKET_AUDIT_M_SEQ,
    TICKET_AUDIT_M_SIGNAL,
    TICKET_AUDIT_M_OUTCOME,
    TICKET_AUDIT_MEMBERS
} ticket_audit_member_e;


extern const ticket_audit_member_t  ticket_audit_members[TICKET_AUDIT_MEMBERS];


const char *ticket_audit_event_name(ticket_audit_event_t event);
int ticket_audit_event_from_name(const char *name, size_t len);  /* -1 */

/*
 * The event a request gets: the most severe that applies (denied, then
 * over_privilege, then excess_privilege, then allowed).  reason is the
 * request's final reason; excess is ticket_excess_privilege() of an
 * allowed ticket.  TICKET_AUDIT_NONE where nothing applies.
 */
ticket_audit_event_t ticket_audit_event(ticket_reason_t reason,
    int excess);

/* the whole record and its "\n": bytes needed, and the writer; the
 * writer returns the end of what it wrote (exactly _len bytes) */
size_t ticket_audit_record_len(const ticket_audit_record_t *rec);
char *ticket_audit_record_write(char *dst, const ticket_audit_record_t *rec);

/*
 * The record written into [dst, end) in one pass: returns its end, or
 * NULL when it does not fit (what was written there is garbage); *len is
 * the record's whole length either way, as ticket_audit_record_len() says.
 */
char *ticket_audit_record_write_within(char *dst, char *end,
    const ticket_audit_record_t *rec, size_t *len);

/*
 * The same facts as an Elastic Common Schema 8 document or an OCSF 1.x
 * event (rec->format says which; ticket_audit_record_len/_write write
 * them), and the pieces those writers share with the native one.
 */
void ticket_audit_ecs_out(ticket_json_out_t *out,
    const ticket_audit_record_t *rec);
void ticket_audit_ocsf_out(ticket_json_out_t *out,
    const ticket_audit_record_t *rec);

void ticket_audit_out_string(ticket_json_out_t *out, const ticket_str_t *s);
void ticket_audit_out_cstr(ticket_json_out_t *out, const char *s);
void ticket_audit_out_time(ticket_json_out_t *out, int64_t time_ms);
void ticket_audit_out_u64(ticket_json_out_t *out, uint64_t value);
void ticket_audit_out_exp(ticket_json_out_t *out,
    const ticket_audit_record_t *rec);
void ticket_audit_out_roles(ticket_json_out_t *out,
    const ticket_audit_record_t *rec);
void ticket_audit_out_required(ticket_json_out_t *out,
    const ticket_audit_record_t *rec);
void ticket_audit_out_fp(ticket_json_out_t *out,
    const ticket_audit_record_t *rec);
void ticket_audit_out_reason(ticket_json_out_t *out,
    const ticket_audit_record_t *rec);
void ticket_audit_out_alert(ticket_json_out_t *out,
    const ticket_audit_record_t *rec);
void ticket_audit_out_signal(ticket_json_out_t *out,
    const ticket_audit_record_t *rec);
/* a signal record's outcome is s ("applied", "refused", ...) */
int ticket_audit_outcome_is(const ticket_audit_record_t *rec,
    const char *s);
int ticket_audit_is_ip(const ticket_str_t *s);

/*
 * First 16 hex digits of SHA-256(token) and a NUL into fp[17].  It keeps
 * its SHA-256 context (set up once) in static storage: callers are single
 * threaded, as an nginx worker, ticketctl and the fuzzers are.
 * ticket_audit_token_fp_done() frees it: a process that unloads this code
 * (an nginx worker exiting, its module's library closed) calls it first.
 */
void ticket_audit_token_fp(const unsigned char *token, size_t len,
    char fp[17]);
void ticket_audit_token_fp_done(void);


#endif /* TICKET_AUDIT_H_INCLUDED_ */
