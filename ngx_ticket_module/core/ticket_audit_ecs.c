
/*
 * An audit record as an Elastic Common Schema 8 document: the fields
 * ECS has for a fact, typed as its index template maps them (objects
 * where ECS has objects: event, host, user, source, http, url), and
 * every other member of the native record under "ticket." (a field set
 * ECS does not define, so it can conflict with nothing).
 *
 *   time        @timestamp
 *   event       event.action (event.kind "event"; category, type and
 *               outcome derived from it)
 *   reason      event.reason
 *   status      http.response.status_code
 *   client      source.address, and source.ip when it is an IP
 *   method      http.request.method
 *   host        url.domain
 *   uri         url.path
 *   request_id  http.request.id
 *   sub         user.id
 *   tenant      user.domain
 *   roles       user.roles
 *   gateway     host.name
 *   seq         event.sequence
 *   enforced verified kind jti kid iss sid required token_fp exp unmet
 *   writer      ticket.*
 *   signal outcome (a signal record's)
 *               ticket.signal, ticket.outcome; the record is then an IAM
 *               event (category iam, type user and change when it was
 *               applied, user and info otherwise), its event.outcome
 *               failure when the token was refused or Redis failed
 *   an alert    event.kind "alert", category intrusion_detection, type
 *               info, the outcome its request's
 */


#include <string.h>

#include "ticket_audit.h"


#define TICKET_ECS_VERSION  "8.11.0"

#define ticket_ecs_lit(out, s)  ticket_json_out(out, s, sizeof(s) - 1)


void
ticket_audit_ecs_out(ticket_json_out_t *out, const ticket_audit_record_t *rec)
{
    int          failure, unknown;
    const char  *action, *category, *type;

    action = ticket_audit_event_name(rec->event);

    switch (rec->event) {

    case TICKET_AUDIT_DENIED:
        category = "[\"authentication\"]";
        type = "[\"start\"]";
        failure = 1;
        break;

    case TICKET_AUDIT_OVER_PRIVILEGE:
        category = "[\"web\"]";
        type = "[\"access\",\"denied\"]";
        failure = 1;
        break;

    default:
        category = "[\"web\"]";
        type = "[\"access\",\"allowed\"]";
        failure = 0;
    }

    /*
     * A detection: "intrusion_detection" with "info", one of the types
     * ECS allows with it ("indicator" belongs to "threat"); the outcome
     * that of the request that tripped it.
     */

    if (rec->event == TICKET_AUDIT_ALERT) {
        category = "[\"intrusion_detection\"]";
        type = "[\"info\"]";
        failure = (rec->status >= 400);
    }

    /*
     * An identity provider's event about a user: ECS's "iam" category,
     * with two of its allowed types: "user" and "change" where the event
     * was written as a revocation, "user" and "info" where nothing
     * changed (a duplicate, a recorded-only or audited event, a refusal).
     * Not "web": its "allowed" and "denied" would say the transmitter
     * asked for access.
     */

    unknown = 0;

    if (rec->event == TICKET_AUDIT_SIGNAL) {
        category = "[\"iam\"]";
        type = ticket_audit_outcome_is(rec, "applied")
               ? "[\"user\",\"change\"]" : "[\"user\",\"info\"]";

        /* a token the receiver refused, a write Redis did not take */
        failure = ticket_audit_outcome_is(rec, "refused")
                  || ticket_audit_outcome_is(rec, "failed");
        unknown = (rec->outcome.data == NULL);
    }

    ticket_ecs_lit(out, "{\"@timestamp\":");
    ticket_audit_out_time(out, rec->time_ms);

    ticket_ecs_lit(out, ",\"ecs\":{\"version\":\"" TICKET_ECS_VERSION "\"}");

    if (rec->event == TICKET_AUDIT_ALERT) {
        ticket_ecs_lit(out, ",\"event\":{\"kind\":\"alert\",\"category\":");

    } else {
        ticket_ecs_lit(out, ",\"event\":{\"kind\":\"event\",\"category\":");
    }

    ticket_json_out(out, category, strlen(category));
    ticket_ecs_lit(out, ",\"type\":");
    ticket_json_out(out, type, strlen(type));
    ticket_ecs_lit(out, ",\"action\":");

    if (action != NULL) {
        ticket_audit_out_cstr(out, action);

    } else {
        ticket_ecs_lit(out, "null");
    }

    ticket_ecs_lit(out, ",\"outcome\":");
    ticket_audit_out_cstr(out, unknown ? "unknown"
                               : failure ? "failure" : "success");
    ticket_ecs_lit(out, ",\"reason\":");
    ticket_audit_out_reason(out, rec);
    ticket_ecs_lit(out, ",\"sequence\":");
    ticket_audit_out_u64(out, rec->seq);
    ticket_ecs_lit(out, "}");

    ticket_ecs_lit(out, ",\"source\":{\"address\":");
    ticket_audit_out_string(out, &rec->client);

    if (ticket_audit_is_ip(&rec->client)) {
        ticket_ecs_lit(out, ",\"ip\":");
        ticket_audit_out_string(out, &rec->client);
    }

    ticket_ecs_lit(out, "}");

    ticket_ecs_lit(out, ",\"http\":{\"request\":{\"method\":");
    ticket_audit_out_string(out, &rec->method);
    ticket_ecs_lit(out, ",\"id\":");
    ticket_audit_out_string(out, &rec->request_id);
    ticket_ecs_lit(out, "},\"response\":{\"status_code\":");
    ticket_audit_out_u64(out, rec->status);
    ticket_ecs_lit(out, "}}");

    ticket_ecs_lit(out, ",\"url\":{\"domain\":");
    ticket_audit_out_string(out, &rec->host);
    ticket_ecs_lit(out, ",\"path\":");
    ticket_audit_out_string(out, &rec->uri);
    ticket_ecs_lit(out, "}");

    ticket_ecs_lit(out, ",\"user\":{\"id\":");
    ticket_audit_out_string(out, &rec->sub);
    ticket_ecs_lit(out, ",\"domain\":");
    ticket_audit_out_string(out, &rec->tenant);
    ticket_ecs_lit(out, ",\"roles\":");
    ticket_audit_out_roles(out, rec);
    ticket_ecs_lit(out, "}");

    ticket_ecs_lit(out, ",\"host\":{\"name\":");
    ticket_audit_out_string(out, &rec->gateway);
    ticket_ecs_lit(out, "}");

    ticket_ecs_lit(out, ",\"ticket\":{\"enforced\":");
    ticket_json_out(out, rec->enforced ? "true" : "false",
                    rec->enforced ? 4 : 5);
    ticket_ecs_lit(out, ",\"verified\":");
    ticket_json_out(out, rec->verified ? "true" : "false",
                    rec->verified ? 4 : 5);
    ticket_ecs_lit(out, ",\"kind\":");
    ticket_audit_out_string(out, &rec->kind);
    ticket_ecs_lit(out, ",\"jti\":");
    ticket_audit_out_string(out, &rec->jti);
    ticket_ecs_lit(out, ",\"kid\":");
    ticket_audit_out_string(out, &rec->kid);
    ticket_ecs_lit(out, ",\"iss\":");
    ticket_audit_out_string(out, &rec->iss);
    ticket_ecs_lit(out, ",\"sid\":");
    ticket_audit_out_string(out, &rec->sid);
    ticket_ecs_lit(out, ",\"required\":");
    ticket_audit_out_required(out, rec);
    ticket_ecs_lit(out, ",\"token_fp\":");
    ticket_audit_out_fp(out, rec);
    ticket_ecs_lit(out, ",\"exp\":");
    ticket_audit_out_exp(out, rec);
    ticket_ecs_lit(out, ",\"unmet\":");
    ticket_audit_out_string(out, &rec->unmet);
    ticket_ecs_lit(out, ",\"writer\":");
    ticket_audit_out_string(out, &rec->writer);

    if (rec->event == TICKET_AUDIT_ALERT) {
        ticket_ecs_lit(out, ",");
        ticket_audit_out_alert(out, rec);
    }

    if (rec->event == TICKET_AUDIT_SIGNAL) {
        ticket_ecs_lit(out, ",");
        ticket_audit_out_signal(out, rec);
    }

    ticket_ecs_lit(out, "}}\n");
}
