/*
 * ticketctl audit: records written as ECS or OCSF documents
 * (ticket_audit_format ecs | ocsf), read back into the few values the
 * command needs.  Nested, so read with jansson rather than the flat
 * scanner; the facts are where core's writers (ticket_audit_ecs.c,
 * ticket_audit_ocsf.c) put them.
 */

#include <string.h>

#include <jansson.h>

#include "audit.h"


static int ticketctl_audit_doc_str(json_t *doc, const char *path,
    ticketctl_audit_str_t *s, int nullable);


json_t *
ticketctl_audit_doc(const unsigned char *line, size_t len,
    ticketctl_audit_rec_t *rec)
{
    json_t      *doc, *v;
    json_int_t   n;
    const char  *ts;
    int          ecs;

    doc = json_loadb((const char *) line, len, JSON_REJECT_DUPLICATES, NULL);

    if (!json_is_object(doc)) {
        json_decref(doc);
        return NULL;
    }

    ecs = (json_object_get(doc, "@timestamp") != NULL);

    if (ecs) {
        ts = json_string_value(json_object_get(doc, "@timestamp"));

        if (ts == NULL
            || ticketctl_audit_parse_time((const unsigned char *) ts,
                                          strlen(ts), &rec->time_ms)
               != 0
            || ticketctl_audit_doc_str(doc, "event.action", &rec->event, 0)
            || ticketctl_audit_doc_str(doc, "event.reason", &rec->reason, 0)
            || ticketctl_audit_doc_str(doc, "url.path", &rec->uri, 0)
            || ticketctl_audit_doc_str(doc, "user.id", &rec->sub, 1)
            || ticketctl_audit_doc_str(doc, "user.domain", &rec->tenant, 1)
            || ticketctl_audit_doc_str(doc, "ticket.writer", &rec->writer, 1))
        {
            goto bad;
        }

        v = json_object_get(json_object_get(doc, "event"), "sequence");

    } else if (json_is_integer(json_object_get(doc, "class_uid"))) {
        v = json_object_get(doc, "time");

        if (!json_is_integer(v)) {
            goto bad;
        }

        rec->time_ms = json_integer_value(v);

        if (ticketctl_audit_doc_str(doc, "unmapped.event", &rec->event, 0)
            || ticketctl_audit_doc_str(doc, "status_detail", &rec->reason, 0)
            || ticketctl_audit_doc_str(doc, "http_request.url.path",
                                       &rec->uri, 0)
            || ticketctl_audit_doc_str(doc, "unmapped.writer",
                                       &rec->writer, 1))
        {
            goto bad;
        }

        if (json_object_get(doc, "user") != NULL) {
            if (ticketctl_audit_doc_str(doc, "user.uid", &rec->sub, 1)
                || ticketctl_audit_doc_str(doc, "user.domain",
                                           &rec->tenant, 1))
            {
                goto bad;
            }

        } else if (ticketctl_audit_doc_str(doc, "actor.user.uid",
                                           &rec->sub, 1)
                   || ticketctl_audit_doc_str(doc, "actor.user.domain",
                                              &rec->tenant, 1))
        {
            goto bad;
        }

        v = json_object_get(json_object_get(doc, "metadata"), "sequence");

    } else {
        goto bad;
    }

    if (json_is_integer(v)) {
        n = json_integer_value(v);

        if (n >= 0) {
            rec->seq = (uint64_t) n;
            rec->has_seq = 1;
        }
    }

    return doc;

bad:

    json_decref(doc);
    return NULL;
}


/* the string at a dotted path; nullable: null or absent as NULL */

static int
ticketctl_audit_doc_str(json_t *doc, const char *path,
    ticketctl_audit_str_t *s, int nullable)
{
    json_t      *v;
    const char  *dot;
    char         name[64];
    size_t       n;

    v = doc;

    for ( ;; ) {
        dot = strchr(path, '.');
        n = dot ? (size_t) (dot - path) : strlen(path);

        if (n >= sizeof(name)) {
            return -1;
        }

        memcpy(name, path, n);
        name[n] = '\0';

        v = json_object_get(v, name);

        if (dot == NULL) {
            break;
        }

        path = dot + 1;
    }

    s->escaped = 0;

    if (v == NULL || json_is_null(v)) {
        s->data = NULL;
        s->len = 0;
        return nullable ? 0 : -1;
    }

    if (!json_is_string(v)) {
        return -1;
    }

    s->data = (const unsigned char *) json_string_value(v);
    s->len = json_string_length(v);

    return 0;
}
