
/*
 * fuzz_audit: audit records built from the input, through
 * ticket_audit_record_len() and ticket_audit_record_write().  The writer
 * writes exactly the counted bytes; the record is one line of valid
 * UTF-8 without a raw control byte, and exactly one JSON object whose
 * members say what the record held.
 *
 *   bytes 0-7    time_ms, little-endian, signed
 *   byte 8       bits 0-6: event (any value); bit 7: the roles slice as
 *                a roles list, split at ','
 *   byte 9       reason (any value)
 *   bytes 10-13  status
 *   bytes 14-15  flags: bit 0 enforced, bit 1 verified, bits 2-8 the
 *                seven nullable strings are null, bits 9-13 the five
 *                others have no data, bit 14 no token, bit 15 roles as
 *                JSON (else the roles slice as a string)
 *   rest         slices, each a length byte and up to that many bytes:
 *                client method host uri request_id sub kind tenant jti
 *                kid iss sid, roles, token, then required[] to the end
 */


#include "fuzz.h"

#include <ticket_audit.h>


#define FUZZ_NSTR       12
#define FUZZ_MAX_REQ    64
#define FUZZ_MEMBERS    26     /* a signal record has two more */


static const char  *fuzz_names[FUZZ_NSTR] = {
    "client", "method", "host", "uri", "request_id",
    "sub", "kind", "tenant", "jti", "kid", "iss", "sid"
};


static void fuzz_slice(const uint8_t **p, const uint8_t *end,
    ticket_str_t *s);
static void fuzz_check_string(json_t *v, const ticket_str_t *s);
static void fuzz_check_escape(const ticket_str_t *s);


int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    return 0;
}


static void fuzz_check_format(ticket_audit_record_t *rec, unsigned format,
    const char *member);


static void
fuzz_check_within(const ticket_audit_record_t *rec, const char *want,
    size_t len)
{
    char    *w, *end;
    size_t   got, room;

    w = malloc(len);
    FUZZ_CHECK(w != NULL);

    end = ticket_audit_record_write_within(w, w + len, rec, &got);
    FUZZ_CHECK(end == w + len && got == len);
    FUZZ_CHECK(memcmp(w, want, len) == 0);

    for (room = len - 1; ; room /= 2) {
        end = ticket_audit_record_write_within(w, w + room, rec, &got);
        FUZZ_CHECK(end == NULL && got == len);

        if (room == 0) {
            break;
        }
    }

    free(w);
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int                     k;
    char                   *buf, *end, fp[17];
    size_t                  i, len, n;
    uint64_t                u;
    unsigned                flags;
    json_t                 *doc, *v, *roles;
    json_error_t            jerr;
    const uint8_t          *p, *last;
    ticket_str_t            str[FUZZ_NSTR], rs, tok, req[FUZZ_MAX_REQ];
    ticket_str_t            words[256];
    ticket_strlist_t        list;
    const char             *w, *q, *qend;
    ticket_str_t           *fields[FUZZ_NSTR];
    ticket_audit_record_t   rec;

    if (size < 16) {
        return 0;
    }

    memset(&rec, 0, sizeof(rec));

    u = 0;
    for (i = 0; i < 8; i++) {
        u |= (uint64_t) data[i] << (8 * i);
    }

    rec.time_ms = (int64_t) u;
    rec.event = (ticket_audit_event_t) (data[8] & 0x7f);

    if (rec.event == TICKET_AUDIT_ALERT) {
        /* a request's record here; alert records: test_audit_formats */
        rec.event = (ticket_audit_event_t) 0x7f;
    }
    rec.reason = (ticket_reason_t) data[9];
    rec.status = (unsigned) data[10] | (unsigned) data[11] << 8
                 | (unsigned) data[12] << 16 | (unsigned) data[13] << 24;
    flags = (unsigned) data[14] | (unsigned) data[15] << 8;

    rec.enforced = flags & 1;
    rec.verified = (flags >> 1) & 1;

    p = data + 16;
    last = data + size;

    fields[0] = &rec.client;
    fields[1] = &rec.method;
    fields[2] = &rec.host;
    fields[3] = &rec.uri;
    fields[4] = &rec.request_id;
    fields[5] = &rec.sub;
    fields[6] = &rec.kind;
    fields[7] = &rec.tenant;
    fields[8] = &rec.jti;
    fields[9] = &rec.kid;
    fields[10] = &rec.iss;
    fields[11] = &rec.sid;

    for (i = 0; i < FUZZ_NSTR; i++) {
        fuzz_slice(&p, last, &str[i]);

        /* bits 2-8: the nullable seven; bits 9-13: the other five */

        if ((i >= 5 && (flags & (1u << (i - 3))))
            || (i < 5 && (flags & (1u << (i + 9)))))
        {
            str[i].data = NULL;
            str[i].len = 0;
        }

        *fields[i] = str[i];
        fuzz_check_escape(&str[i]);
    }

    fuzz_slice(&p, last, &rs);
    fuzz_slice(&p, last, &tok);

    roles = NULL;

    if (flags & 0x8000) {
        if (rs.len > 0) {
            roles = json_loadb(rs.data, rs.len,
                               JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
        }

    } else if (rs.data != NULL) {
        roles = json_stringn_nocheck(rs.data, rs.len);
    }

    rec.roles = roles;

    if (data[8] & 0x80) {
        list.values = words;
        list.n = 0;
        q = rs.data;
        qend = rs.data + rs.len;

        while (q <= qend && list.n < 256) {
            w = q;
            while (q < qend && *q != ',') { q++; }
            words[list.n].data = w;
            words[list.n].len = (size_t) (q - w);
            list.n++;
            q++;
        }

        rec.roles_list = &list;
    }

    if (!(flags & 0x4000)) {
        rec.token = (const unsigned char *) tok.data;
        rec.token_len = tok.len;
    }

    n = 0;

    while (p < last && n < FUZZ_MAX_REQ) {
        fuzz_slice(&p, last, &req[n]);
        fuzz_check_escape(&req[n]);
        n++;
    }

    rec.required = n ? req : NULL;
    rec.nrequired = n;

    /* count, then write into exactly that much */

    len = ticket_audit_record_len(&rec);
    FUZZ_CHECK(len > 2 && len < SIZE_MAX);

    buf = malloc(len);
    FUZZ_CHECK(buf != NULL);

    end = ticket_audit_record_write(buf, &rec);
    FUZZ_CHECK(end == buf + len);
    FUZZ_CHECK(ticket_audit_record_len(&rec) == len);

    /*
     * The one-pass writer the module uses for its file buffer: the same
     * bytes where there is room for them, NULL and the whole length
     * where there is one byte less (or half as much); and the same record
     * with the fingerprint already known (as the cache gives it).
     */

    fuzz_check_within(&rec, buf, len);

    if (rec.token != NULL) {
        ticket_audit_token_fp(rec.token, rec.token_len, fp);
        FUZZ_CHECK(strlen(fp) == 16);
        rec.token_fp = fp;
        fuzz_check_within(&rec, buf, len);
        rec.token_fp = NULL;
    }

    /* one line: the only control byte is the final newline */

    FUZZ_CHECK(buf[len - 1] == '\n' && buf[0] == '{');

    for (i = 0; i < len - 1; i++) {
        FUZZ_CHECK((unsigned char) buf[i] >= 0x20
                   && (unsigned char) buf[i] != 0x7f);
    }

    FUZZ_CHECK(fuzz_utf8_valid((unsigned char *) buf, len));

    /* exactly one object (jansson refuses anything after it) */

    doc = json_loadb(buf, len, JSON_ALLOW_NUL, &jerr);
    if (doc == NULL) {
        fprintf(stderr, "fuzz_audit: %s: %.*s", jerr.text, (int) len, buf);
    }

    FUZZ_CHECK(json_is_object(doc));
    FUZZ_CHECK(json_object_size(doc)
               == FUZZ_MEMBERS + (rec.event == TICKET_AUDIT_SIGNAL ? 2 : 0));

    /* what it says */

    v = json_object_get(doc, "time");
    FUZZ_CHECK(json_is_string(v) && json_string_length(v) == 24);

    v = json_object_get(doc, "status");
    FUZZ_CHECK(json_is_integer(v)
               && (uint64_t) json_integer_value(v) == rec.status);

    FUZZ_CHECK(json_is_boolean(json_object_get(doc, "enforced"))
               && json_is_true(json_object_get(doc, "enforced"))
                  == rec.enforced);
    FUZZ_CHECK(json_is_boolean(json_object_get(doc, "verified"))
               && json_is_true(json_object_get(doc, "verified"))
                  == rec.verified);

    v = json_object_get(doc, "event");
    FUZZ_CHECK(ticket_audit_event_name(rec.event) == NULL
               ? json_is_null(v)
               : json_is_string(v)
                 && ticket_audit_event_from_name(json_string_value(v),
                                                 json_string_length(v))
                    == (int) rec.event);

    v = json_object_get(doc, "reason");
    FUZZ_CHECK(json_is_string(v));
    k = ticket_reason_from_name(json_string_value(v), json_string_length(v));
    FUZZ_CHECK((unsigned) rec.reason >= TICKET_REASON_MAX
               ? k == -1 : k == (int) rec.reason);

    for (i = 0; i < FUZZ_NSTR; i++) {
        v = json_object_get(doc, fuzz_names[i]);

        if (i >= 5 && fields[i]->data == NULL) {
            FUZZ_CHECK(json_is_null(v));
            continue;
        }

        fuzz_check_string(v, fields[i]);
    }

    v = json_object_get(doc, "roles");
    FUZZ_CHECK(json_is_array(v));

    for (i = 0; i < json_array_size(v); i++) {
        FUZZ_CHECK(json_is_string(json_array_get(v, i)));
    }

    if (rec.roles_list != NULL) {
        FUZZ_CHECK(json_array_size(v) == list.n);

        for (i = 0; i < list.n; i++) {
            fuzz_check_string(json_array_get(v, i), &words[i]);
        }
    }

    v = json_object_get(doc, "required");
    FUZZ_CHECK(json_is_array(v) && json_array_size(v) == n);

    for (i = 0; i < n; i++) {
        fuzz_check_string(json_array_get(v, i), &req[i]);
    }

    v = json_object_get(doc, "token_fp");

    if (rec.token == NULL) {
        FUZZ_CHECK(json_is_null(v));

    } else {
        FUZZ_CHECK(json_is_string(v) && json_string_length(v) == 16);
        FUZZ_CHECK(strspn(json_string_value(v), "0123456789abcdef") == 16);
    }

    json_decref(doc);

    /* the same record as an ECS and an OCSF document */

    fuzz_check_format(&rec, TICKET_AUDIT_FORMAT_ECS, "@timestamp");
    fuzz_check_format(&rec, TICKET_AUDIT_FORMAT_OCSF, "class_uid");

    json_decref(roles);
    free(buf);

    return 0;
}


/*
 * A record in another format: counted and written alike (exactly, and
 * by the one-pass writer), one line of valid UTF-8 without a control
 * byte, one JSON object holding the format's own member.
 */

static void
fuzz_check_format(ticket_audit_record_t *rec, unsigned format,
    const char *member)
{
    char          *buf, *end;
    size_t         i, len;
    json_t        *doc;
    json_error_t   jerr;

    rec->format = format;

    len = ticket_audit_record_len(rec);
    FUZZ_CHECK(len > 2 && len < SIZE_MAX);

    buf = malloc(len);
    FUZZ_CHECK(buf != NULL);

    end = ticket_audit_record_write(buf, rec);
    FUZZ_CHECK(end == buf + len);

    fuzz_check_within(rec, buf, len);

    FUZZ_CHECK(buf[len - 1] == '\n' && buf[0] == '{');

    for (i = 0; i < len - 1; i++) {
        FUZZ_CHECK((unsigned char) buf[i] >= 0x20
                   && (unsigned char) buf[i] != 0x7f);
    }

    FUZZ_CHECK(fuzz_utf8_valid((unsigned char *) buf, len));

    doc = json_loadb(buf, len, JSON_ALLOW_NUL, &jerr);
    if (doc == NULL) {
        fprintf(stderr, "fuzz_audit: format %u: %s: %.*s", format,
                jerr.text, (int) len, buf);
    }

    FUZZ_CHECK(json_is_object(doc));
    FUZZ_CHECK(json_object_get(doc, member) != NULL);

    json_decref(doc);
    free(buf);

    rec->format = TICKET_AUDIT_FORMAT_JSON;
}


/* a length byte and that many bytes, or what is left */

static void
fuzz_slice(const uint8_t **p, const uint8_t *end, ticket_str_t *s)
{
    size_t  n;

    if (*p >= end) {
        s->data = "";
        s->len = 0;
        return;
    }

    n = **p;
    (*p)++;

    if (n > (size_t) (end - *p)) {
        n = (size_t) (end - *p);
    }

    s->data = (const char *) *p;
    s->len = n;
    *p += n;
}


/* a string member: the input itself where it was valid UTF-8 */

static void
fuzz_check_string(json_t *v, const ticket_str_t *s)
{
    size_t       i, n;
    const char  *p;

    FUZZ_CHECK(json_is_string(v));

    if (s->data == NULL) {
        FUZZ_CHECK(json_string_length(v) == 0);
        return;
    }

    if (fuzz_utf8_valid((const unsigned char *) s->data, s->len)) {
        FUZZ_CHECK(json_string_length(v) == s->len);
        FUZZ_CHECK(s->len == 0
                   || memcmp(json_string_value(v), s->data, s->len) == 0);

    } else {
        /* U+FFFD somewhere; the value may hold NULs (\u0000) */

        p = json_string_value(v);
        n = json_string_length(v);

        for (i = 0; i + 3 <= n; i++) {
            if (memcmp(p + i, "\xef\xbf\xbd", 3) == 0) {
                break;
            }
        }

        FUZZ_CHECK(i + 3 <= n);
    }
}


/* the escaper alone: counted == written, and nothing raw escapes */

static void
fuzz_check_escape(const ticket_str_t *s)
{
    char    *buf, *end;
    size_t   i, len;

    if (s->data == NULL) {
        return;
    }

    len = ticket_json_escape_len(s->data, s->len);
    FUZZ_CHECK(len >= s->len);

    buf = malloc(len ? len : 1);
    FUZZ_CHECK(buf != NULL);

    end = ticket_json_escape(buf, s->data, s->len);
    FUZZ_CHECK(end == buf + len);

    for (i = 0; i < len; i++) {
        FUZZ_CHECK((unsigned char) buf[i] >= 0x20
                   && (unsigned char) buf[i] != 0x7f
                   && (buf[i] != '"' || (i > 0 && buf[i - 1] == '\\')));
    }

    FUZZ_CHECK(fuzz_utf8_valid((unsigned char *) buf, len));

    free(buf);
}
