
/* ticket_audit_ecs.c, ticket_audit_ocsf.c: the same record as an ECS
 * document and an OCSF event; exact lengths, one line, valid JSON, the
 * facts where the schemas put them, hostile strings still escaped */

#include "unit.h"

#include <ticket_audit.h>


static json_t *
write_doc(ticket_audit_record_t *rec, ticket_audit_format_t format)
{
    char          *buf, *end, *copy;
    size_t         len, wlen;
    json_t        *doc;
    json_error_t   err;

    rec->format = format;

    len = ticket_audit_record_len(rec);
    buf = malloc(len);
    assert_non_null(buf);

    end = ticket_audit_record_write(buf, rec);
    assert_int_equal((size_t) (end - buf), len);
    assert_int_equal(buf[len - 1], '\n');
    assert_null(memchr(buf, '\n', len - 1));

    /* the one-pass writer: the same bytes in exactly that room */

    copy = malloc(len);
    assert_non_null(copy);
    end = ticket_audit_record_write_within(copy, copy + len, rec, &wlen);
    assert_ptr_equal(end, copy + len);
    assert_int_equal(wlen, len);
    assert_memory_equal(copy, buf, len);
    free(copy);

    doc = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &err);
    if (doc == NULL) {
        fail_msg("%s: %.*s", err.text, (int) len, buf);
    }

    free(buf);

    return doc;
}


static void
record(ticket_audit_record_t *rec, ticket_str_t *required)
{
    memset(rec, 0, sizeof(ticket_audit_record_t));

    rec->time_ms = 1795432357123LL;
    rec->event = TICKET_AUDIT_OVER_PRIVILEGE;
    rec->reason = TICKET_INSUFFICIENT_ROLE;
    rec->status = 403;
    rec->enforced = 1;
    rec->verified = 1;
    rec->client.data = "192.0.2.1";
    rec->client.len = 9;
    rec->method.data = "DELETE";
    rec->method.len = 6;
    rec->host.data = "api.example";
    rec->host.len = 11;
    rec->uri.data = "/v1/\"x\"\n{";
    rec->uri.len = 9;
    rec->request_id.data = "abc";
    rec->request_id.len = 3;
    rec->sub.data = "al\x1bice\xc2\x9b";
    rec->sub.len = 8;
    rec->tenant.data = "acme";
    rec->tenant.len = 4;
    rec->sid.data = "dev-1";
    rec->sid.len = 5;
    rec->roles = json_string("reader writer");
    required[0].data = "kind:user";
    required[0].len = 9;
    required[1].data = "role:admin";
    required[1].len = 10;
    rec->required = required;
    rec->nrequired = 2;
    rec->unmet = required[1];
    rec->exp = 1795432400;
    rec->has_exp = 1;
    rec->gateway.data = "gw";
    rec->gateway.len = 2;
    rec->writer.data = "gw-1-2";
    rec->writer.len = 6;
    rec->seq = 42;
}


static void
test_ecs(void **state)
{
    json_t                 *doc, *ev;
    ticket_str_t            required[2];
    ticket_audit_record_t   rec;

    record(&rec, required);
    doc = write_doc(&rec, TICKET_AUDIT_FORMAT_ECS);

    assert_string_equal(json_string_value(json_object_get(doc, "@timestamp")),
                        "2026-11-23T11:12:37.123Z");
    ev = json_object_get(doc, "event");
    assert_true(json_is_object(ev));
    assert_string_equal(json_string_value(json_object_get(ev, "action")),
                        "over_privilege");
    assert_string_equal(json_string_value(json_object_get(ev, "outcome")),
                        "failure");
    assert_int_equal(json_integer_value(json_object_get(ev, "sequence")), 42);
    assert_true(json_is_object(json_object_get(doc, "host")));
    assert_true(json_is_object(json_object_get(doc, "source")));
    assert_string_equal(json_string_value(json_object_get(
        json_object_get(doc, "user"), "id")), "al\x1bice\xc2\x9b");
    assert_string_equal(json_string_value(json_object_get(
        json_object_get(doc, "url"), "path")), "/v1/\"x\"\n{");
    assert_string_equal(json_string_value(json_object_get(
        json_object_get(doc, "ticket"), "unmet")), "role:admin");
    assert_int_equal(json_integer_value(json_object_get(
        json_object_get(doc, "ticket"), "exp")), 1795432400);
    assert_null(json_object_get(doc, "time"));
    json_decref(doc);

    /* not an IP: source.address only */

    rec.client.data = "unix:";
    rec.client.len = 5;
    doc = write_doc(&rec, TICKET_AUDIT_FORMAT_ECS);
    assert_null(json_object_get(json_object_get(doc, "source"), "ip"));
    json_decref(doc);

    /* an alert */

    rec.event = TICKET_AUDIT_ALERT;
    rec.alert_reason = "over_privilege_burst";
    rec.alert_count = 5;
    rec.alert_window = 600;
    doc = write_doc(&rec, TICKET_AUDIT_FORMAT_ECS);
    ev = json_object_get(doc, "event");
    assert_string_equal(json_string_value(json_object_get(ev, "kind")),
                        "alert");
    assert_string_equal(json_string_value(json_object_get(ev, "reason")),
                        "over_privilege_burst");
    assert_int_equal(json_integer_value(json_object_get(
        json_object_get(doc, "ticket"), "count")), 5);
    json_decref(doc);

    json_decref(rec.roles);
}


static void
test_ocsf(void **state)
{
    json_t                 *doc;
    ticket_str_t            required[2];
    ticket_audit_record_t   rec;

    record(&rec, required);
    doc = write_doc(&rec, TICKET_AUDIT_FORMAT_OCSF);

    assert_int_equal(json_integer_value(json_object_get(doc, "class_uid")),
                     6003);
    assert_int_equal(json_integer_value(json_object_get(doc, "activity_id")),
                     4);                               /* DELETE */
    assert_int_equal(json_integer_value(json_object_get(doc, "type_uid")),
                     600304);
    assert_int_equal(json_integer_value(json_object_get(doc, "time")),
                     1795432357123LL);
    assert_string_equal(json_string_value(json_object_get(doc,
                        "status_code")), "403");
    assert_string_equal(json_string_value(json_object_get(json_object_get(
        json_object_get(doc, "actor"), "user"), "uid")), "al\x1bice\xc2\x9b");
    assert_int_equal(json_integer_value(json_object_get(
        json_object_get(doc, "metadata"), "sequence")), 42);
    assert_string_equal(json_string_value(json_object_get(
        json_object_get(doc, "unmapped"), "sid")), "dev-1");
    json_decref(doc);

    rec.event = TICKET_AUDIT_DENIED;
    rec.reason = TICKET_BAD_SIGNATURE;
    rec.status = 401;
    doc = write_doc(&rec, TICKET_AUDIT_FORMAT_OCSF);
    assert_int_equal(json_integer_value(json_object_get(doc, "class_uid")),
                     3002);
    assert_string_equal(json_string_value(json_object_get(
        json_object_get(doc, "session"), "uid")), "dev-1");
    assert_string_equal(json_string_value(json_object_get(
        json_object_get(doc, "user"), "domain")), "acme");
    assert_null(json_object_get(doc, "actor"));
    json_decref(doc);

    json_decref(rec.roles);
}


/*
 * An identity provider's event received by ticket_ssf_receiver: the
 * record ngx_http_ticket_signal_record() makes, in each format.
 */

#define SIGNAL_URI \
    "https://schemas.openid.net/secevent/caep/event-type/session-revoked"

static void
signal_record(ticket_audit_record_t *rec, const char *outcome,
    unsigned status)
{
    memset(rec, 0, sizeof(ticket_audit_record_t));

    rec->time_ms = 1795432357123LL;
    rec->event = TICKET_AUDIT_SIGNAL;
    rec->reason = TICKET_OK;
    rec->status = status;
    rec->enforced = 1;
    rec->verified = 1;
    rec->client.data = "192.0.2.7";
    rec->client.len = 9;
    rec->method.data = "POST";
    rec->method.len = 4;
    rec->host.data = "gw.example";
    rec->host.len = 10;
    rec->uri.data = "/signals/ssf";
    rec->uri.len = 12;
    rec->request_id.data = "r1";
    rec->request_id.len = 2;
    rec->iss.data = "https://idp.example";
    rec->iss.len = 19;
    rec->jti.data = "set-1";
    rec->jti.len = 5;
    rec->sub.data = "alice";
    rec->sub.len = 5;
    rec->sid.data = "dev-\"1\"";
    rec->sid.len = 7;
    rec->tenant.data = "acme";
    rec->tenant.len = 4;
    rec->token = (const unsigned char *) "eyJ.x.y";
    rec->token_len = 7;
    rec->gateway.data = "gw";
    rec->gateway.len = 2;
    rec->writer.data = "gw-1-2";
    rec->writer.len = 6;
    rec->seq = 7;
    rec->signal.data = SIGNAL_URI;
    rec->signal.len = sizeof(SIGNAL_URI) - 1;
    rec->outcome.data = outcome;
    rec->outcome.len = strlen(outcome);
}


static void
test_signal_ecs(void **state)
{
    json_t                 *doc, *ev, *tk;
    ticket_audit_record_t   rec;

    signal_record(&rec, "applied", 202);
    doc = write_doc(&rec, TICKET_AUDIT_FORMAT_ECS);

    /* ECS's objects, no native string at the top */
    ev = json_object_get(doc, "event");
    assert_true(json_is_object(ev));
    assert_true(json_is_object(json_object_get(doc, "host")));
    assert_null(json_object_get(doc, "client"));
    assert_null(json_object_get(doc, "signal"));
    assert_null(json_object_get(doc, "outcome"));

    assert_string_equal(json_string_value(json_object_get(ev, "kind")),
                        "event");
    assert_string_equal(json_string_value(json_object_get(ev, "action")),
                        "signal");
    assert_string_equal(json_string_value(json_array_get(
        json_object_get(ev, "category"), 0)), "iam");
    assert_int_equal(json_array_size(json_object_get(ev, "type")), 2);
    assert_string_equal(json_string_value(json_array_get(
        json_object_get(ev, "type"), 1)), "change");
    assert_string_equal(json_string_value(json_object_get(ev, "outcome")),
                        "success");
    assert_string_equal(json_string_value(json_object_get(ev, "reason")),
                        "ok");
    assert_int_equal(json_integer_value(json_object_get(ev, "sequence")), 7);
    assert_string_equal(json_string_value(json_object_get(
        json_object_get(doc, "user"), "id")), "alice");

    tk = json_object_get(doc, "ticket");
    assert_string_equal(json_string_value(json_object_get(tk, "signal")),
                        SIGNAL_URI);
    assert_string_equal(json_string_value(json_object_get(tk, "outcome")),
                        "applied");
    assert_string_equal(json_string_value(json_object_get(tk, "iss")),
                        "https://idp.example");
    assert_string_equal(json_string_value(json_object_get(tk, "jti")),
                        "set-1");
    assert_string_equal(json_string_value(json_object_get(tk, "sid")),
                        "dev-\"1\"");
    assert_int_equal(strlen(json_string_value(json_object_get(tk,
                     "token_fp"))), 16);
    assert_null(json_object_get(tk, "count"));
    json_decref(doc);

    /* a refused token: a failure, no change; an unknown signal: null */

    signal_record(&rec, "refused", 400);
    rec.reason = TICKET_BAD_SIGNATURE;
    rec.verified = 0;
    rec.signal.data = NULL;
    rec.signal.len = 0;
    doc = write_doc(&rec, TICKET_AUDIT_FORMAT_ECS);
    ev = json_object_get(doc, "event");
    assert_string_equal(json_string_value(json_object_get(ev, "outcome")),
                        "failure");
    assert_string_equal(json_string_value(json_array_get(
        json_object_get(ev, "type"), 1)), "info");
    assert_string_equal(json_string_value(json_object_get(ev, "reason")),
                        "bad_signature");
    tk = json_object_get(doc, "ticket");
    assert_true(json_is_null(json_object_get(tk, "signal")));
    assert_string_equal(json_string_value(json_object_get(tk, "outcome")),
                        "refused");
    json_decref(doc);

    signal_record(&rec, "failed", 503);
    doc = write_doc(&rec, TICKET_AUDIT_FORMAT_ECS);
    assert_string_equal(json_string_value(json_object_get(
        json_object_get(doc, "event"), "outcome")), "failure");
    json_decref(doc);
}


static void
test_signal_ocsf(void **state)
{
    json_t                 *doc, *um;
    ticket_audit_record_t   rec;

    signal_record(&rec, "duplicate", 202);
    doc = write_doc(&rec, TICKET_AUDIT_FORMAT_OCSF);

    assert_int_equal(json_integer_value(json_object_get(doc, "class_uid")),
                     6003);
    assert_int_equal(json_integer_value(json_object_get(doc, "activity_id")),
                     1);                               /* POST: Create */
    assert_int_equal(json_integer_value(json_object_get(doc, "type_uid")),
                     600301);
    assert_int_equal(json_integer_value(json_object_get(doc, "status_id")),
                     1);
    assert_int_equal(json_integer_value(json_object_get(doc, "severity_id")),
                     1);
    assert_string_equal(json_string_value(json_object_get(doc,
                        "status_code")), "202");
    assert_string_equal(json_string_value(json_object_get(json_object_get(
        json_object_get(doc, "actor"), "user"), "uid")), "alice");
    assert_null(json_object_get(doc, "signal"));
    assert_null(json_object_get(doc, "outcome"));

    um = json_object_get(doc, "unmapped");
    assert_string_equal(json_string_value(json_object_get(um, "event")),
                        "signal");
    assert_string_equal(json_string_value(json_object_get(um, "signal")),
                        SIGNAL_URI);
    assert_string_equal(json_string_value(json_object_get(um, "outcome")),
                        "duplicate");
    assert_string_equal(json_string_value(json_object_get(um, "iss")),
                        "https://idp.example");
    assert_string_equal(json_string_value(json_object_get(um, "sid")),
                        "dev-\"1\"");
    assert_int_equal(json_integer_value(json_object_get(um, "seq")), 7);
    json_decref(doc);

    signal_record(&rec, "refused", 400);
    rec.reason = TICKET_EXPIRED;
    doc = write_doc(&rec, TICKET_AUDIT_FORMAT_OCSF);
    assert_int_equal(json_integer_value(json_object_get(doc, "class_uid")),
                     6003);
    assert_int_equal(json_integer_value(json_object_get(doc, "status_id")),
                     2);
    assert_int_equal(json_integer_value(json_object_get(doc, "severity_id")),
                     3);
    assert_string_equal(json_string_value(json_object_get(doc,
                        "status_detail")), "expired");
    json_decref(doc);

    /* the native record is unchanged: signal and outcome at the end */

    signal_record(&rec, "applied", 202);
    doc = write_doc(&rec, TICKET_AUDIT_FORMAT_JSON);
    assert_string_equal(json_string_value(json_object_get(doc, "event")),
                        "signal");
    assert_string_equal(json_string_value(json_object_get(doc, "outcome")),
                        "applied");
    json_decref(doc);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_ecs),
        cmocka_unit_test(test_ocsf),
        cmocka_unit_test(test_signal_ecs),
        cmocka_unit_test(test_signal_ocsf),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
