
/*
 * Audit records: event selection, JSON string escaping that also
 * replaces bytes that are not valid UTF-8, and the record itself.
 *
 * Lengths and records are produced by one code path run twice, as
 * ngx_escape_json() does: first with no destination, counting, then
 * writing.  Every decision that changes a length is taken from the input
 * alone, so the count is exactly what the writer writes.
 */


#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include "ticket_audit.h"


/* 9999-12-31T23:59:59.999Z: RFC 3339 has four-digit years only */
#define TICKET_AUDIT_MAX_TIME_MS  (TICKET_MAX_TIME * 1000 + 999)

#define TICKET_AUDIT_TIME_LEN     (sizeof("1970-01-01T00:00:00.000Z") - 1)
#define TICKET_AUDIT_FP_LEN       16


typedef struct {
    char                   *pos;          /* NULL: count only */
    size_t                  len;          /* SIZE_MAX: too large */
} ticket_audit_out_t;


static void ticket_audit_put(ticket_audit_out_t *out, const char *s,
    size_t n);
static void ticket_audit_put_str(ticket_audit_out_t *out, const char *s);
static size_t ticket_audit_utf8(const unsigned char *p, size_t n);
static void ticket_audit_escape_out(ticket_audit_out_t *out, const char *s,
    size_t len);
static void ticket_audit_string(ticket_audit_out_t *out, const char *s,
    size_t len);
static void ticket_audit_member(ticket_audit_out_t *out, const char *name,
    const ticket_str_t *value, int nullable);
static void ticket_audit_time(ticket_audit_out_t *out, int64_t time_ms);
static char *ticket_audit_digits(char *p, unsigned long value, size_t n);
static void ticket_audit_uint(ticket_audit_out_t *out, unsigned value);
static void ticket_audit_roles(ticket_audit_out_t *out, json_t *roles);
static void ticket_audit_list(ticket_audit_out_t *out,
    const ticket_strlist_t *list);
static void ticket_audit_required(ticket_audit_out_t *out,
    const ticket_audit_record_t *rec);
static void ticket_audit_fp_member(ticket_audit_out_t *out,
    const ticket_audit_record_t *rec);
static int ticket_audit_sha256_fp(const unsigned char *token, size_t len,
    char fp[17]);
static void ticket_audit_record_out(ticket_audit_out_t *out,
    const ticket_audit_record_t *rec);


/* in the order of ticket_audit_event_t, TICKET_AUDIT_NONE has none */

static const char  *ticket_audit_event_names[] = {
    NULL,
    "allowed",
    "excess_privilege",
    "over_privilege",
    "denied"
};

#define TICKET_AUDIT_NEVENTS                                                 \
    (sizeof(ticket_audit_event_names) / sizeof(ticket_audit_event_names[0]))


static const char  ticket_audit_hex[] = "0123456789abcdef";


const char *
ticket_audit_event_name(ticket_audit_event_t event)
{
    if ((unsigned) event >= TICKET_AUDIT_NEVENTS) {
        return NULL;
    }

    return ticket_audit_event_names[event];
}


int
ticket_audit_event_from_name(const char *name, size_t len)
{
    size_t  i;

    if (name == NULL) {
        return -1;
    }

    for (i = 1; i < TICKET_AUDIT_NEVENTS; i++) {
        if (len == strlen(ticket_audit_event_names[i])
            && memcmp(name, ticket_audit_event_names[i], len) == 0)
        {
            return (int) i;
        }
    }

    return -1;
}


ticket_audit_event_t
ticket_audit_event(ticket_reason_t reason, int excess)
{
    /*
     * By status, so that a reason added later is classified as the
     * status it is sent with, and an unknown one (401) as a denial.
     */

    switch (ticket_reason_status(reason)) {

    case 401:
    case 503:
        return TICKET_AUDIT_DENIED;

    case 403:
        return TICKET_AUDIT_OVER_PRIVILEGE;

    case 0:
        break;

    default:
        return TICKET_AUDIT_NONE;
    }

    if (reason == TICKET_EXCESS_PRIVILEGE) {
        return TICKET_AUDIT_EXCESS_PRIVILEGE;
    }

    if (reason == TICKET_OK) {
        return excess ? TICKET_AUDIT_EXCESS_PRIVILEGE : TICKET_AUDIT_ALLOWED;
    }

    return TICKET_AUDIT_NONE;
}


size_t
ticket_audit_escape_len(const char *s, size_t len)
{
    ticket_audit_out_t  out;

    out.pos = NULL;
    out.len = 0;

    ticket_audit_escape_out(&out, s, len);

    return out.len;
}


char *
ticket_audit_escape(char *dst, const char *s, size_t len)
{
    ticket_audit_out_t  out;

    out.pos = dst;
    out.len = 0;

    ticket_audit_escape_out(&out, s, len);

    return out.pos;
}


size_t
ticket_audit_record_len(const ticket_audit_record_t *rec)
{
    ticket_audit_out_t  out;

    out.pos = NULL;
    out.len = 0;

    ticket_audit_record_out(&out, rec);

    return out.len;
}


char *
ticket_audit_record_write(char *dst, const ticket_audit_record_t *rec)
{
    ticket_audit_out_t  out;

    out.pos = dst;
    out.len = 0;

    ticket_audit_record_out(&out, rec);

    return out.pos;
}


void
ticket_audit_token_fp(const unsigned char *token, size_t len, char fp[17])
{
    if (ticket_audit_sha256_fp(token, len, fp) != 0) {
        /* no digest (out of memory in OpenSSL): an empty fingerprint,
         * never one that could match another ticket's */
        fp[0] = '\0';
    }
}


static void
ticket_audit_put(ticket_audit_out_t *out, const char *s, size_t n)
{
    if (n == 0) {
        return;
    }

    if (out->pos != NULL) {
        memcpy(out->pos, s, n);
        out->pos += n;
    }

    /* saturates: a count that wrapped would let the writer overrun */
    out->len = (n > SIZE_MAX - out->len) ? SIZE_MAX : out->len + n;
}


static void
ticket_audit_put_str(ticket_audit_out_t *out, const char *s)
{
    ticket_audit_put(out, s, strlen(s));
}


/*
 * The length of the well-formed UTF-8 sequence of 2 to 4 bytes at p,
 * at most n bytes long, or 0 if there is none (RFC 3629, section 4):
 *
 *   C2..DF  80..BF
 *   E0      A0..BF  80..BF
 *   E1..EC  80..BF  80..BF
 *   ED      80..9F  80..BF          (no surrogates)
 *   EE..EF  80..BF  80..BF
 *   F0      90..BF  80..BF  80..BF
 *   F1..F3  80..BF  80..BF  80..BF
 *   F4      80..8F  80..BF  80..BF  (nothing above U+10FFFF)
 *
 * The second byte's range excludes the overlong forms and the code
 * points out of range; C0, C1 and F5..FF never start a sequence.
 */

static size_t
ticket_audit_utf8(const unsigned char *p, size_t n)
{
    size_t          len, i;
    unsigned char   c, lo, hi;

    c = p[0];

    if (c >= 0xc2 && c <= 0xdf) {
        len = 2;
        lo = 0x80;
        hi = 0xbf;

    } else if (c == 0xe0) {
        len = 3;
        lo = 0xa0;
        hi = 0xbf;

    } else if (c == 0xed) {
        len = 3;
        lo = 0x80;
        hi = 0x9f;

    } else if (c >= 0xe1 && c <= 0xef) {
        len = 3;
        lo = 0x80;
        hi = 0xbf;

    } else if (c == 0xf0) {
        len = 4;
        lo = 0x90;
        hi = 0xbf;

    } else if (c >= 0xf1 && c <= 0xf3) {
        len = 4;
        lo = 0x80;
        hi = 0xbf;

    } else if (c == 0xf4) {
        len = 4;
        lo = 0x80;
        hi = 0x8f;

    } else {
        return 0;
    }

    if (n < len) {
        return 0;
    }

    if (p[1] < lo || p[1] > hi) {
        return 0;
    }

    for (i = 2; i < len; i++) {
        if (p[i] < 0x80 || p[i] > 0xbf) {
            return 0;
        }
    }

    return len;
}


static void
ticket_audit_escape_out(ticket_audit_out_t *out, const char *s, size_t len)
{
    char                  esc[6];
    size_t                i, run, n;
    unsigned char         c;
    const unsigned char  *p;

    if (s == NULL) {
        return;
    }

    p = (const unsigned char *) s;
    i = 0;
    run = 0;

    /* bytes that stay as they are are copied in runs, [run, i) */

    while (i < len) {
        c = p[i];

        if (c >= 0x80) {
            n = ticket_audit_utf8(p + i, len - i);
            if (n != 0) {
                i += n;
                continue;
            }

            ticket_audit_put(out, s + run, i - run);
            ticket_audit_put(out, "\\ufffd", 6);
            run = ++i;
            continue;
        }

        if (c >= 0x20 && c != 0x7f && c != '"' && c != '\\') {
            i++;
            continue;
        }

        ticket_audit_put(out, s + run, i - run);

        esc[0] = '\\';
        n = 2;

        switch (c) {

        case '"':
        case '\\':
            esc[1] = (char) c;
            break;

        case '\n':
            esc[1] = 'n';
            break;

        case '\r':
            esc[1] = 'r';
            break;

        case '\t':
            esc[1] = 't';
            break;

        case '\b':
            esc[1] = 'b';
            break;

        case '\f':
            esc[1] = 'f';
            break;

        default:
            esc[1] = 'u';
            esc[2] = '0';
            esc[3] = '0';
            esc[4] = ticket_audit_hex[c >> 4];
            esc[5] = ticket_audit_hex[c & 0x0f];
            n = 6;
        }

        ticket_audit_put(out, esc, n);
        run = ++i;
    }

    ticket_audit_put(out, s + run, len - run);
}


static void
ticket_audit_string(ticket_audit_out_t *out, const char *s, size_t len)
{
    ticket_audit_put(out, "\"", 1);
    ticket_audit_escape_out(out, s, len);
    ticket_audit_put(out, "\"", 1);
}


/* ,"name":"value"; value->data NULL: null if nullable, else "" */

static void
ticket_audit_member(ticket_audit_out_t *out, const char *name,
    const ticket_str_t *value, int nullable)
{
    ticket_audit_put(out, ",\"", 2);
    ticket_audit_put_str(out, name);
    ticket_audit_put(out, "\":", 2);

    if (value->data == NULL) {
        if (nullable) {
            ticket_audit_put(out, "null", 4);

        } else {
            ticket_audit_put(out, "\"\"", 2);
        }

        return;
    }

    ticket_audit_string(out, value->data, value->len);
}


static void
ticket_audit_time(ticket_audit_out_t *out, int64_t time_ms)
{
    char       buf[TICKET_AUDIT_TIME_LEN], *p;
    time_t     sec;
    int64_t    ms;
    struct tm  tm;

    /*
     * Clamped, so that the year has four digits and fits in tm_year;
     * every field below is then in its range and the text is always
     * TICKET_AUDIT_TIME_LEN bytes long.
     */

    ms = time_ms;

    if (ms < 0) {
        ms = 0;

    } else if (ms > TICKET_AUDIT_MAX_TIME_MS) {
        ms = TICKET_AUDIT_MAX_TIME_MS;
    }

    if (sizeof(time_t) < sizeof(int64_t) && ms / 1000 > INT32_MAX) {
        ms = (int64_t) INT32_MAX * 1000 + 999;
    }

    sec = (time_t) (ms / 1000);

    if (gmtime_r(&sec, &tm) == NULL) {
        memset(&tm, 0, sizeof(struct tm));
        tm.tm_year = 70;
        tm.tm_mday = 1;
        ms = 0;
    }

    p = buf;
    p = ticket_audit_digits(p, (unsigned long) tm.tm_year + 1900, 4);
    *p++ = '-';
    p = ticket_audit_digits(p, (unsigned long) tm.tm_mon + 1, 2);
    *p++ = '-';
    p = ticket_audit_digits(p, (unsigned long) tm.tm_mday, 2);
    *p++ = 'T';
    p = ticket_audit_digits(p, (unsigned long) tm.tm_hour, 2);
    *p++ = ':';
    p = ticket_audit_digits(p, (unsigned long) tm.tm_min, 2);
    *p++ = ':';
    p = ticket_audit_digits(p, (unsigned long) tm.tm_sec, 2);
    *p++ = '.';
    p = ticket_audit_digits(p, (unsigned long) (ms % 1000), 3);
    *p = 'Z';

    ticket_audit_put(out, "\"", 1);
    ticket_audit_put(out, buf, TICKET_AUDIT_TIME_LEN);
    ticket_audit_put(out, "\"", 1);
}


/* exactly n decimal digits, the lowest of value */

static char *
ticket_audit_digits(char *p, unsigned long value, size_t n)
{
    size_t  i;

    for (i = n; i > 0; i--) {
        p[i - 1] = (char) ('0' + value % 10);
        value /= 10;
    }

    return p + n;
}


static void
ticket_audit_uint(ticket_audit_out_t *out, unsigned value)
{
    char  buf[3 * sizeof(unsigned)], *p;

    p = buf + sizeof(buf);

    do {
        *--p = (char) ('0' + value % 10);
        value /= 10;
    } while (value != 0);

    ticket_audit_put(out, p, (size_t) (buf + sizeof(buf) - p));
}


/* as ticket_has_role() reads them: words of a string, or the strings of
 * an array; anything else holds no role */

static void
ticket_audit_roles(ticket_audit_out_t *out, json_t *roles)
{
    int          first;
    size_t       i, n, len;
    json_t      *v;
    const char  *s, *end, *w;

    ticket_audit_put(out, "[", 1);

    first = 1;

    if (json_is_string(roles)) {
        s = json_string_value(roles);
        end = s + json_string_length(roles);

        while (s < end) {
            while (s < end && *s == ' ') {
                s++;
            }

            w = s;

            while (s < end && *s != ' ') {
                s++;
            }

            if (s == w) {
                break;
            }

            if (!first) {
                ticket_audit_put(out, ",", 1);
            }

            first = 0;
            ticket_audit_string(out, w, (size_t) (s - w));
        }

    } else if (json_is_array(roles)) {
        n = json_array_size(roles);

        for (i = 0; i < n; i++) {
            v = json_array_get(roles, i);
            if (!json_is_string(v)) {
                continue;
            }

            len = json_string_length(v);

            if (!first) {
                ticket_audit_put(out, ",", 1);
            }

            first = 0;
            ticket_audit_string(out, json_string_value(v), len);
        }
    }

    ticket_audit_put(out, "]", 1);
}


/* a ticket's roles as ticket_parse() listed them (a string already split) */

static void
ticket_audit_list(ticket_audit_out_t *out, const ticket_strlist_t *list)
{
    size_t  i;

    ticket_audit_put(out, "[", 1);

    for (i = 0; i < list->n; i++) {
        if (i) {
            ticket_audit_put(out, ",", 1);
        }

        ticket_audit_string(out, list->values[i].data, list->values[i].len);
    }

    ticket_audit_put(out, "]", 1);
}


static void
ticket_audit_required(ticket_audit_out_t *out,
    const ticket_audit_record_t *rec)
{
    size_t  i;

    ticket_audit_put(out, "[", 1);

    if (rec->required != NULL) {
        for (i = 0; i < rec->nrequired; i++) {
            if (i != 0) {
                ticket_audit_put(out, ",", 1);
            }

            /* data NULL: "" keeps the array one of strings */
            ticket_audit_string(out, rec->required[i].data,
                                rec->required[i].len);
        }
    }

    ticket_audit_put(out, "]", 1);
}


static void
ticket_audit_fp_member(ticket_audit_out_t *out,
    const ticket_audit_record_t *rec)
{
    char  fp[TICKET_AUDIT_FP_LEN + 1];

    ticket_audit_put(out, ",\"token_fp\":", sizeof(",\"token_fp\":") - 1);

    if (rec->token == NULL) {
        ticket_audit_put(out, "null", 4);
        return;
    }

    /*
     * The count never hashes: the length must not depend on whether
     * OpenSSL succeeds.  A digest that fails while writing is written
     * as null padded with JSON whitespace to the counted length.
     */

    if (out->pos == NULL
        || ticket_audit_sha256_fp(rec->token, rec->token_len, fp) != 0)
    {
        ticket_audit_put(out, "null              ", TICKET_AUDIT_FP_LEN + 2);
        return;
    }

    ticket_audit_put(out, "\"", 1);
    ticket_audit_put(out, fp, TICKET_AUDIT_FP_LEN);
    ticket_audit_put(out, "\"", 1);
}


static int
ticket_audit_sha256_fp(const unsigned char *token, size_t len, char fp[17])
{
    size_t         i;
    unsigned int   mdlen;
    unsigned char  md[EVP_MAX_MD_SIZE];

    if (token == NULL) {
        token = (const unsigned char *) "";
        len = 0;
    }

    if (EVP_Digest(token, len, md, &mdlen, EVP_sha256(), NULL) != 1
        || mdlen < TICKET_AUDIT_FP_LEN / 2)
    {
        return -1;
    }

    for (i = 0; i < TICKET_AUDIT_FP_LEN / 2; i++) {
        fp[2 * i] = ticket_audit_hex[md[i] >> 4];
        fp[2 * i + 1] = ticket_audit_hex[md[i] & 0x0f];
    }

    fp[TICKET_AUDIT_FP_LEN] = '\0';

    return 0;
}


static void
ticket_audit_record_out(ticket_audit_out_t *out,
    const ticket_audit_record_t *rec)
{
    const char  *name;

    ticket_audit_put(out, "{\"time\":", sizeof("{\"time\":") - 1);
    ticket_audit_time(out, rec->time_ms);

    /* an event with no name is the caller's error: null, still JSON */

    ticket_audit_put(out, ",\"event\":", sizeof(",\"event\":") - 1);

    name = ticket_audit_event_name(rec->event);
    if (name != NULL) {
        ticket_audit_string(out, name, strlen(name));

    } else {
        ticket_audit_put(out, "null", 4);
    }

    ticket_audit_put(out, ",\"reason\":", sizeof(",\"reason\":") - 1);
    name = ticket_reason_name(rec->reason);
    ticket_audit_string(out, name, strlen(name));

    ticket_audit_put(out, ",\"status\":", sizeof(",\"status\":") - 1);
    ticket_audit_uint(out, rec->status);

    ticket_audit_put(out, ",\"enforced\":", sizeof(",\"enforced\":") - 1);
    ticket_audit_put_str(out, rec->enforced ? "true" : "false");

    ticket_audit_member(out, "client", &rec->client, 0);
    ticket_audit_member(out, "method", &rec->method, 0);
    ticket_audit_member(out, "host", &rec->host, 0);
    ticket_audit_member(out, "uri", &rec->uri, 0);
    ticket_audit_member(out, "request_id", &rec->request_id, 0);

    ticket_audit_put(out, ",\"verified\":", sizeof(",\"verified\":") - 1);
    ticket_audit_put_str(out, rec->verified ? "true" : "false");

    ticket_audit_member(out, "sub", &rec->sub, 1);
    ticket_audit_member(out, "kind", &rec->kind, 1);
    ticket_audit_member(out, "tenant", &rec->tenant, 1);
    ticket_audit_member(out, "jti", &rec->jti, 1);
    ticket_audit_member(out, "kid", &rec->kid, 1);
    ticket_audit_member(out, "iss", &rec->iss, 1);
    ticket_audit_member(out, "sid", &rec->sid, 1);

    ticket_audit_put(out, ",\"roles\":", sizeof(",\"roles\":") - 1);

    if (rec->roles_list != NULL) {
        ticket_audit_list(out, rec->roles_list);

    } else {
        ticket_audit_roles(out, rec->roles);
    }

    ticket_audit_put(out, ",\"required\":", sizeof(",\"required\":") - 1);
    ticket_audit_required(out, rec);

    ticket_audit_fp_member(out, rec);

    ticket_audit_put(out, "}\n", 2);
}
