
/*
 * An audit record as an OCSF 1.x event (schema 1.3.0): a refused ticket
 * (event "denied") is an Authentication event (class 3002, category 3,
 * the attempt failed); a valid ticket's request (over_privilege,
 * excess_privilege, allowed) is API Activity (class 6003, category 6),
 * its activity from the method (GET read, POST create, PUT and PATCH
 * update, DELETE delete).  Every native member the class has no
 * attribute for is kept under "unmapped".
 *
 *   time        time (ms)
 *   status      http_response.code, status_code
 *   reason      status_detail
 *   client      src_endpoint.ip (when an IP)
 *   method      http_request.http_method (and api.operation)
 *   host        http_request.url.hostname
 *   uri         http_request.url.path
 *   request_id  http_request.uid, metadata.uid
 *   sub tenant  user.uid, user.domain (Authentication), actor.user.*
 *               (API Activity)
 *   sid         session.uid (Authentication)
 *   gateway     service.name (Authentication), api.service.name
 *   seq         metadata.sequence
 *   the rest    unmapped.*
 *
 * A signal record (an identity provider's event POSTed to a receiver) is
 * API Activity too: the call to the receiver's API, its subject the
 * event's; status Failure when the token was refused (severity Medium,
 * as a refused ticket) or Redis did not take it; signal and outcome
 * under unmapped.
 *
 * An alert (ticket_alert) is High severity, above the refusals it sums
 * up, and a Failure where its request was refused.
 */


#include <string.h>

#include "ticket_audit.h"


#define TICKET_OCSF_VERSION  "1.3.0"

#define ticket_ocsf_lit(out, s)  ticket_json_out(out, s, sizeof(s) - 1)


static unsigned ticket_audit_ocsf_activity(const ticket_str_t *method);


void
ticket_audit_ocsf_out(ticket_json_out_t *out, const ticket_audit_record_t *rec)
{
    int          auth, failure;
    char         status[3 * sizeof(unsigned) + 1];
    unsigned     activity, severity, n, i;
    const char  *event;

    auth = (rec->event == TICKET_AUDIT_DENIED);
    failure = auth || rec->event == TICKET_AUDIT_OVER_PRIVILEGE
              || ticket_audit_outcome_is(rec, "refused")
              || ticket_audit_outcome_is(rec, "failed")
              || (rec->event == TICKET_AUDIT_ALERT && rec->status >= 400);

    switch (rec->event) {
    case TICKET_AUDIT_OVER_PRIVILEGE:
        severity = 4;                          /* High */
        break;
    case TICKET_AUDIT_DENIED:
        severity = 3;                          /* Medium */
        break;
    case TICKET_AUDIT_EXCESS_PRIVILEGE:
        severity = 2;                          /* Low */
        break;
    case TICKET_AUDIT_ALERT:
        /* a detection over many refusals: not below any one of them */
        severity = 4;                          /* High */
        break;
    case TICKET_AUDIT_SIGNAL:
        /* Medium: a refused token, as a refused ticket */
        severity = ticket_audit_outcome_is(rec, "refused") ? 3 : 1;
        break;
    default:
        severity = 1;                          /* Informational */
    }

    activity = auth ? 99 : ticket_audit_ocsf_activity(&rec->method);

    ticket_ocsf_lit(out, "{\"time\":");
    ticket_audit_out_u64(out, rec->time_ms < 0 ? 0 : (uint64_t) rec->time_ms);

    if (auth) {
        ticket_ocsf_lit(out, ",\"class_uid\":3002,\"class_name\":"
                        "\"Authentication\",\"category_uid\":3,"
                        "\"category_name\":\"Identity & Access Management\"");
    } else {
        ticket_ocsf_lit(out, ",\"class_uid\":6003,\"class_name\":"
                        "\"API Activity\",\"category_uid\":6,"
                        "\"category_name\":\"Application Activity\"");
    }

    ticket_ocsf_lit(out, ",\"activity_id\":");
    ticket_audit_out_u64(out, activity);
    ticket_ocsf_lit(out, ",\"type_uid\":");
    ticket_audit_out_u64(out, (auth ? 300200 : 600300) + activity);
    ticket_ocsf_lit(out, ",\"severity_id\":");
    ticket_audit_out_u64(out, severity);
    ticket_ocsf_lit(out, ",\"status_id\":");
    ticket_json_out(out, failure ? "2" : "1", 1);
    ticket_ocsf_lit(out, ",\"status\":");
    ticket_audit_out_cstr(out, failure ? "Failure" : "Success");

    /* status_code is a string in OCSF */

    n = rec->status;
    i = sizeof(status) - 1;
    status[i] = '\0';

    do {
        status[--i] = (char) ('0' + n % 10);
        n /= 10;
    } while (n != 0);

    ticket_ocsf_lit(out, ",\"status_code\":");
    ticket_audit_out_cstr(out, status + i);
    ticket_ocsf_lit(out, ",\"status_detail\":");
    ticket_audit_out_reason(out, rec);

    ticket_ocsf_lit(out, ",\"metadata\":{\"version\":\"" TICKET_OCSF_VERSION
                    "\",\"product\":{\"name\":\"ngx_ticket_module\","
                    "\"vendor_name\":\"ngx_ticket_module\"},"
                    "\"log_name\":\"ticket_audit\",\"uid\":");
    ticket_audit_out_string(out, &rec->request_id);
    ticket_ocsf_lit(out, ",\"sequence\":");
    ticket_audit_out_u64(out, rec->seq);
    ticket_ocsf_lit(out, "}");

    if (auth) {
        ticket_ocsf_lit(out, ",\"user\":{\"uid\":");

    } else {
        ticket_ocsf_lit(out, ",\"actor\":{\"user\":{\"uid\":");
    }

    ticket_audit_out_string(out, &rec->sub);
    ticket_ocsf_lit(out, ",\"domain\":");
    ticket_audit_out_string(out, &rec->tenant);
    ticket_json_out(out, "}}", auth ? 1 : 2);

    if (auth) {
        ticket_ocsf_lit(out, ",\"service\":{\"name\":");
        ticket_audit_out_string(out, &rec->gateway);
        ticket_ocsf_lit(out, "},\"session\":{\"uid\":");
        ticket_audit_out_string(out, &rec->sid);
        ticket_ocsf_lit(out, "}");

    } else {
        ticket_ocsf_lit(out, ",\"api\":{\"operation\":");
        ticket_audit_out_string(out, &rec->method);
        ticket_ocsf_lit(out, ",\"service\":{\"name\":");
        ticket_audit_out_string(out, &rec->gateway);
        ticket_ocsf_lit(out, "},\"request\":{\"uid\":");
        ticket_audit_out_string(out, &rec->request_id);
        ticket_ocsf_lit(out, "}}");
    }

    ticket_ocsf_lit(out, ",\"src_endpoint\":{");

    if (ticket_audit_is_ip(&rec->client)) {
        ticket_ocsf_lit(out, "\"ip\":");
        ticket_audit_out_string(out, &rec->client);
    }

    ticket_ocsf_lit(out, "},\"http_request\":{\"http_method\":");
    ticket_audit_out_string(out, &rec->method);
    ticket_ocsf_lit(out, ",\"uid\":");
    ticket_audit_out_string(out, &rec->request_id);
    ticket_ocsf_lit(out, ",\"url\":{\"hostname\":");
    ticket_audit_out_string(out, &rec->host);
    ticket_ocsf_lit(out, ",\"path\":");
    ticket_audit_out_string(out, &rec->uri);
    ticket_ocsf_lit(out, "}},\"http_response\":{\"code\":");
    ticket_audit_out_u64(out, rec->status);
    ticket_ocsf_lit(out, "}");

    event = ticket_audit_event_name(rec->event);

    ticket_ocsf_lit(out, ",\"unmapped\":{\"event\":");

    if (event != NULL) {
        ticket_audit_out_cstr(out, event);

    } else {
        ticket_ocsf_lit(out, "null");
    }

    ticket_ocsf_lit(out, ",\"reason\":");
    ticket_audit_out_reason(out, rec);
    ticket_ocsf_lit(out, ",\"enforced\":");
    ticket_json_out(out, rec->enforced ? "true" : "false",
                    rec->enforced ? 4 : 5);
    ticket_ocsf_lit(out, ",\"verified\":");
    ticket_json_out(out, rec->verified ? "true" : "false",
                    rec->verified ? 4 : 5);
    ticket_ocsf_lit(out, ",\"client\":");
    ticket_audit_out_string(out, &rec->client);
    ticket_ocsf_lit(out, ",\"kind\":");
    ticket_audit_out_string(out, &rec->kind);
    ticket_ocsf_lit(out, ",\"jti\":");
    ticket_audit_out_string(out, &rec->jti);
    ticket_ocsf_lit(out, ",\"kid\":");
    ticket_audit_out_string(out, &rec->kid);
    ticket_ocsf_lit(out, ",\"iss\":");
    ticket_audit_out_string(out, &rec->iss);

    if (!auth) {
        ticket_ocsf_lit(out, ",\"sid\":");
        ticket_audit_out_string(out, &rec->sid);
    }

    ticket_ocsf_lit(out, ",\"roles\":");
    ticket_audit_out_roles(out, rec);
    ticket_ocsf_lit(out, ",\"required\":");
    ticket_audit_out_required(out, rec);
    ticket_ocsf_lit(out, ",\"token_fp\":");
    ticket_audit_out_fp(out, rec);
    ticket_ocsf_lit(out, ",\"exp\":");
    ticket_audit_out_exp(out, rec);
    ticket_ocsf_lit(out, ",\"unmet\":");
    ticket_audit_out_string(out, &rec->unmet);
    ticket_ocsf_lit(out, ",\"gateway\":");
    ticket_audit_out_string(out, &rec->gateway);
    ticket_ocsf_lit(out, ",\"writer\":");
    ticket_audit_out_string(out, &rec->writer);
    ticket_ocsf_lit(out, ",\"seq\":");
    ticket_audit_out_u64(out, rec->seq);

    if (rec->event == TICKET_AUDIT_ALERT) {
        ticket_ocsf_lit(out, ",");
        ticket_audit_out_alert(out, rec);
    }

    if (rec->event == TICKET_AUDIT_SIGNAL) {
        ticket_ocsf_lit(out, ",");
        ticket_audit_out_signal(out, rec);
    }

    ticket_ocsf_lit(out, "}}\n");
}


/* OCSF API Activity: 1 Create, 2 Read, 3 Update, 4 Delete, 99 Other */

static unsigned
ticket_audit_ocsf_activity(const ticket_str_t *m)
{
    static const struct {
        const char  *name;
        size_t       len;
        unsigned     id;
    } map[] = {
        { "GET", 3, 2 }, { "HEAD", 4, 2 }, { "POST", 4, 1 },
        { "PUT", 3, 3 }, { "PATCH", 5, 3 }, { "DELETE", 6, 4 }
    };

    size_t  i;

    if (m->data == NULL) {
        return 99;
    }

    for (i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
        if (m->len == map[i].len && memcmp(m->data, map[i].name, m->len) == 0)
        {
            return map[i].id;
        }
    }

    return 99;
}
