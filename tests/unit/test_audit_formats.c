
/* ticket_audit_ecs.c, ticket_audit_ocsf.c: the same record as an ECS
 * document and an OCSF event; exact lengths, one line, valid JSON, the
 * facts where the schemas put them, hostile strings still escaped */

#include "unit.h"

#include <ticket_audit.h>


static json_t *
write_doc(ticket_audit_record_t *rec, ticket_audit_format_t format)
{
    char          *buf, *end;
    size_t         len;
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


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_ecs),
        cmocka_unit_test(test_ocsf),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
