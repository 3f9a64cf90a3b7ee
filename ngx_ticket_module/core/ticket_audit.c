
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

#include <arpa/inet.h>
#include <sys/socket.h>

#include "ticket_audit.h"
#include "ticket_b64.h"


/* 9999-12-31T23:59:59.999Z: RFC 3339 has four-digit years only */
#define TICKET_AUDIT_MAX_TIME_MS  (TICKET_MAX_TIME * 1000 + 999)

#define TICKET_AUDIT_TIME_LEN     (sizeof("1970-01-01T00:00:00.000Z") - 1)


static void ticket_audit_put_str(ticket_json_out_t *out, const char *s);
static void ticket_audit_string(ticket_json_out_t *out, const char *s,
    size_t len);
static void ticket_audit_name(ticket_json_out_t *out,
    ticket_audit_member_e m);
static void ticket_audit_member(ticket_json_out_t *out,
    ticket_audit_member_e m, const ticket_str_t *value);
static void ticket_audit_time(ticket_json_out_t *out, int64_t time_ms);
static char *ticket_audit_digits(char *p, unsigned long value, size_t n);
static void ticket_audit_u64(ticket_json_out_t *out, uint64_t value);
static void ticket_audit_int64(ticket_json_out_t *out, int64_t value);
static void ticket_audit_roles(ticket_json_out_t *out, json_t *roles);
static void ticket_audit_list(ticket_json_out_t *out,
    const ticket_strlist_t *list);
static void ticket_audit_required(ticket_json_out_t *out,
    const ticket_audit_record_t *rec);
static void ticket_audit_fp_member(ticket_json_out_t *out,
    const ticket_audit_record_t *rec);
static int ticket_audit_sha256_fp(const unsigned char *token, size_t len,
    char fp[17]);
static void ticket_audit_record_out(ticket_json_out_t *out,
    const ticket_audit_record_t *rec);


/* in the order of ticket_audit_event_t, TICKET_AUDIT_NONE has none */

static const char  *ticket_audit_event_names[] = {
    NULL,
    "preflight",
    "allowed",
    "excess_privilege",
    "over_privilege",
    "denied",
    "alert",
    "signal"
};

#define TICKET_AUDIT_NEVENTS                                                 \
    (sizeof(ticket_audit_event_names) / sizeof(ticket_audit_event_names[0]))


static EVP_MD_CTX  *ticket_audit_sha256_ctx;    /* set up, never used */
static EVP_MD_CTX  *ticket_audit_work_ctx;      /* a copy of it a record */


/* the key ,"name":" must fit its 16 bytes: a longer name does not build */
#define TICKET_AUDIT_KEY_FITS(name)                                          \
    (0 * sizeof(char[(sizeof(name) - 1 + 5 <= 16) ? 1 : -1]))

#define TICKET_AUDIT_M(name, type)                                           \
    { name, sizeof(name) - 1 + TICKET_AUDIT_KEY_FITS(name),                  \
      ",\"" name "\":\"", TICKET_AUDIT_ ## type, 0 }
#define TICKET_AUDIT_M_SINCE(name, type)                                     \
    { name, sizeof(name) - 1 + TICKET_AUDIT_KEY_FITS(name),                  \
      ",\"" name "\":\"", TICKET_AUDIT_ ## type, 1 }

const ticket_audit_member_t  ticket_audit_members[TICKET_AUDIT_MEMBERS] = {
    TICKET_AUDIT_M("time", STRING),
    TICKET_AUDIT_M("event", STRING),
    TICKET_AUDIT_M("reason", STRING),
    TICKET_AUDIT_M("status", NUMBER),
    TICKET_AUDIT_M("enforced", BOOL),
    TICKET_AUDIT_M("client", STRING),
    TICKET_AUDIT_M("method", STRING),
    TICKET_AUDIT_M("host", STRING),
    TICKET_AUDIT_M("uri", STRING),
    TICKET_AUDIT_M("request_id", STRING),
    TICKET_AUDIT_M("verified", BOOL),
    TICKET_AUDIT_M("sub", STRING_NULL),
    TICKET_AUDIT_M("kind", STRING_NULL),
    TICKET_AUDIT_M("tenant", STRING_NULL),
    TICKET_AUDIT_M("jti", STRING_NULL),
    TICKET_AUDIT_M("kid", STRING_NULL),
    TICKET_AUDIT_M("iss", STRING_NULL),
    TICKET_AUDIT_M("sid", STRING_NULL),
    TICKET_AUDIT_M("roles", ARRAY),
    TICKET_AUDIT_M("required", ARRAY),
    TICKET_AUDIT_M("token_fp", STRING_NULL),
    TICKET_AUDIT_M_SINCE("exp", NUMBER_NULL),
    TICKET_AUDIT_M_SINCE("unmet", STRING_NULL),
    TICKET_AUDIT_M_SINCE("gateway", STRING),
    TICKET_AUDIT_M_SINCE("writer", STRING),
    TICKET_AUDIT_M_SINCE("seq", NUMBER),
    TICKET_AUDIT_M_SINCE("signal", STRING_NULL),
    TICKET_AUDIT_M_SINCE("outcome", STRING_NULL)
};


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
        if (i == TICKET_AUDIT_ALERT) {      /* no request's, not filtered */
            continue;
        }

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
ticket_audit_record_len(const ticket_audit_record_t *rec)
{
    ticket_json_out_t  out;

    ticket_json_out_init(&out, NULL, NULL);
    ticket_audit_record_out(&out, rec);

    return ticket_json_out_length(&out);
}


char *
ticket_audit_record_write(char *dst, const ticket_audit_record_t *rec)
{
    ticket_json_out_t  out;

    ticket_json_out_init(&out, dst, NULL);
    ticket_audit_record_out(&out, rec);

    return out.pos;
}


char *
ticket_audit_record_write_within(char *dst, char *end,
    const ticket_audit_record_t *rec, size_t *len)
{
    ticket_json_out_t  out;

    ticket_json_out_init(&out, dst, end);
    ticket_audit_record_out(&out, rec);

    *len = ticket_json_out_length(&out);

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


void
ticket_audit_token_fp_done(void)
{
    EVP_MD_CTX_free(ticket_audit_sha256_ctx);
    EVP_MD_CTX_free(ticket_audit_work_ctx);

    ticket_audit_sha256_ctx = NULL;
    ticket_audit_work_ctx = NULL;
}


static void
ticket_audit_put_str(ticket_json_out_t *out, const char *s)
{
    ticket_json_out(out, s, strlen(s));
}


static void
ticket_audit_string(ticket_json_out_t *out, const char *s, size_t len)
{
    ticket_json_out(out, "\"", 1);
    ticket_json_escape_out(out, s, len);
    ticket_json_out(out, "\"", 1);
}


/* "{"name": for the first member, ","name": for the others */

static void
ticket_audit_name(ticket_json_out_t *out, ticket_audit_member_e m)
{
    const ticket_audit_member_t  *mb;

    mb = &ticket_audit_members[m];

    /* the key is ,"name":" (written at compile time): one copy a member */

    if (m == 0) {
        ticket_json_out(out, "{", 1);
        ticket_json_out(out, mb->key + 1, mb->len + 3);

    } else {
        ticket_json_out16(out, mb->key, mb->len + 4);
    }
}


/* ,"name":"value"; value->data NULL: null if the member may be, else "" */

static void
ticket_audit_member(ticket_json_out_t *out, ticket_audit_member_e m,
    const ticket_str_t *value)
{
    const ticket_audit_member_t  *mb;

    mb = &ticket_audit_members[m];

    if (value->data == NULL) {
        ticket_audit_name(out, m);

        if (mb->type == TICKET_AUDIT_STRING_NULL) {
            ticket_json_out(out, "null", 4);

        } else {
            ticket_json_out(out, "\"\"", 2);
        }

        return;
    }

    /* the key and the value's opening quote in one piece (never first) */

    ticket_json_out16(out, mb->key, mb->len + 5);
    ticket_json_escape_out(out, value->data, value->len);
    ticket_json_out(out, "\"", 1);
}


static void
ticket_audit_time(ticket_json_out_t *out, int64_t time_ms)
{
    char       *p;
    time_t      sec;
    int64_t     ms;
    struct tm   tm;

    /*
     * "2026-12-06T19:30:00.123Z" with its quotes, whose part up to the
     * seconds is kept for the second it was made (records come many a
     * second; a process is one thread): then only the milliseconds are
     * written.
     */

    static char     buf[TICKET_AUDIT_TIME_LEN + 2];
    static int64_t  buf_sec = -1;

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

    if (buf_sec != (int64_t) sec) {
        if (gmtime_r(&sec, &tm) == NULL) {
            memset(&tm, 0, sizeof(struct tm));
            tm.tm_year = 70;
            tm.tm_mday = 1;
            ms = 0;
            sec = 0;
        }

        p = buf;
        *p++ = '"';
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
        p[3] = 'Z';
        p[4] = '"';

        buf_sec = (int64_t) sec;
    }

    /* the milliseconds, every record: "...ss.mmmZ" */

    (void) ticket_audit_digits(buf + sizeof(buf) - 5,
                               (unsigned long) (ms % 1000), 3);

    ticket_json_out(out, buf, sizeof(buf));
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


/* two digits a division: a ten-digit exp takes five */

static void
ticket_audit_u64(ticket_json_out_t *out, uint64_t value)
{
    char  buf[20], *p;

    static const char  pairs[] =
        "00010203040506070809101112131415161718192021222324"
        "25262728293031323334353637383940414243444546474849"
        "50515253545556575859606162636465666768697071727374"
        "75767778798081828384858687888990919293949596979899";

    p = buf + sizeof(buf);

    while (value >= 100) {
        p -= 2;
        memcpy(p, &pairs[(value % 100) * 2], 2);
        value /= 100;
    }

    if (value >= 10) {
        p -= 2;
        memcpy(p, &pairs[value * 2], 2);

    } else {
        *--p = (char) ('0' + value);
    }

    ticket_json_out(out, p, (size_t) (buf + sizeof(buf) - p));
}


static void
ticket_audit_int64(ticket_json_out_t *out, int64_t value)
{
    if (value < 0) {
        ticket_json_out(out, "-", 1);

        /* no overflow: INT64_MIN's magnitude fits in uint64_t */
        ticket_audit_u64(out, (uint64_t) -(value + 1) + 1);
        return;
    }

    ticket_audit_u64(out, (uint64_t) value);
}


/* as ticket_has_role() reads them: words of a string, or the strings of
 * an array; anything else holds no role */

static void
ticket_audit_roles(ticket_json_out_t *out, json_t *roles)
{
    int          first;
    size_t       i, n, len;
    json_t      *v;
    const char  *s, *end, *w;

    ticket_json_out(out, "[", 1);

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
                ticket_json_out(out, ",", 1);
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
                ticket_json_out(out, ",", 1);
            }

            first = 0;
            ticket_audit_string(out, json_string_value(v), len);
        }
    }

    ticket_json_out(out, "]", 1);
}


/* a ticket's roles as ticket_parse() listed them (a string already split) */

static void
ticket_audit_list(ticket_json_out_t *out, const ticket_strlist_t *list)
{
    size_t  i;

    ticket_json_out(out, "[", 1);

    for (i = 0; i < list->n; i++) {
        if (i) {
            ticket_json_out(out, ",", 1);
        }

        ticket_audit_string(out, list->values[i].data, list->values[i].len);
    }

    ticket_json_out(out, "]", 1);
}


static void
ticket_audit_required(ticket_json_out_t *out,
    const ticket_audit_record_t *rec)
{
    size_t  i;

    ticket_json_out(out, "[", 1);

    if (rec->required != NULL) {
        for (i = 0; i < rec->nrequired; i++) {
            if (i != 0) {
                ticket_json_out(out, ",", 1);
            }

            /* data NULL: "" keeps the array one of strings */
            ticket_audit_string(out, rec->required[i].data,
                                rec->required[i].len);
        }
    }

    ticket_json_out(out, "]", 1);
}


static void
ticket_audit_fp_member(ticket_json_out_t *out,
    const ticket_audit_record_t *rec)
{
    ticket_audit_name(out, TICKET_AUDIT_M_TOKEN_FP);
    ticket_audit_out_fp(out, rec);
}


static int
ticket_audit_sha256_fp(const unsigned char *token, size_t len, char fp[17])
{
    unsigned int   mdlen;
    unsigned char  md[EVP_MAX_MD_SIZE];

    if (token == NULL) {
        token = (const unsigned char *) "";
        len = 0;
    }

    /*
     * One context set up for SHA-256 once and copied for each record (a
     * process is one thread): EVP_Digest() with EVP_sha256() looked the
     * algorithm up and made, set up and freed a context for every record.
     */

    if (ticket_audit_sha256_ctx == NULL) {
        ticket_audit_sha256_ctx = EVP_MD_CTX_new();

        if (ticket_audit_sha256_ctx != NULL
            && EVP_DigestInit_ex2(ticket_audit_sha256_ctx, EVP_sha256(),
                                  NULL) != 1)
        {
            EVP_MD_CTX_free(ticket_audit_sha256_ctx);
            ticket_audit_sha256_ctx = NULL;
        }
    }

    if (ticket_audit_work_ctx == NULL) {
        ticket_audit_work_ctx = EVP_MD_CTX_new();
    }

    if (ticket_audit_sha256_ctx == NULL || ticket_audit_work_ctx == NULL
        || EVP_MD_CTX_copy_ex(ticket_audit_work_ctx,
                              ticket_audit_sha256_ctx) != 1
        || EVP_DigestUpdate(ticket_audit_work_ctx, token, len) != 1
        || EVP_DigestFinal_ex(ticket_audit_work_ctx, md, &mdlen) != 1
        || mdlen < TICKET_AUDIT_FP_LEN / 2)
    {
        return -1;
    }

    ticket_hex_encode(fp, md, TICKET_AUDIT_FP_LEN / 2);
    fp[TICKET_AUDIT_FP_LEN] = '\0';

    return 0;
}


/* the pieces the ECS and OCSF writers share with the native one */

void
ticket_audit_out_string(ticket_json_out_t *out, const ticket_str_t *s)
{
    if (s->data == NULL) {
        ticket_json_out(out, "null", 4);
        return;
    }

    ticket_audit_string(out, s->data, s->len);
}


void
ticket_audit_out_cstr(ticket_json_out_t *out, const char *s)
{
    ticket_audit_string(out, s, strlen(s));
}


void
ticket_audit_out_time(ticket_json_out_t *out, int64_t time_ms)
{
    ticket_audit_time(out, time_ms);
}


void
ticket_audit_out_u64(ticket_json_out_t *out, uint64_t value)
{
    ticket_audit_u64(out, value);
}


void
ticket_audit_out_exp(ticket_json_out_t *out, const ticket_audit_record_t *rec)
{
    if (rec->has_exp) {
        ticket_audit_int64(out, rec->exp);

    } else {
        ticket_json_out(out, "null", 4);
    }
}


void
ticket_audit_out_roles(ticket_json_out_t *out,
    const ticket_audit_record_t *rec)
{
    if (rec->roles_list != NULL) {
        ticket_audit_list(out, rec->roles_list);

    } else {
        ticket_audit_roles(out, rec->roles);
    }
}


void
ticket_audit_out_required(ticket_json_out_t *out,
    const ticket_audit_record_t *rec)
{
    ticket_audit_required(out, rec);
}


/* the value only: "0123456789abcdef" or null, its length fixed as the
 * native member's is */

void
ticket_audit_out_fp(ticket_json_out_t *out, const ticket_audit_record_t *rec)
{
    char  fp[TICKET_AUDIT_FP_LEN + 1];

    if (rec->token == NULL) {
        ticket_json_out(out, "null", 4);
        return;
    }

    if (rec->token_fp != NULL) {
        ticket_json_out(out, "\"", 1);
        ticket_json_out(out, rec->token_fp, TICKET_AUDIT_FP_LEN);
        ticket_json_out(out, "\"", 1);
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
        ticket_json_out(out, "null              ", TICKET_AUDIT_FP_LEN + 2);
        return;
    }

    ticket_json_out(out, "\"", 1);
    ticket_json_out(out, fp, TICKET_AUDIT_FP_LEN);
    ticket_json_out(out, "\"", 1);
}


void
ticket_audit_out_reason(ticket_json_out_t *out,
    const ticket_audit_record_t *rec)
{
    if (rec->event == TICKET_AUDIT_ALERT && rec->alert_reason != NULL) {
        ticket_audit_out_cstr(out, rec->alert_reason);
        return;
    }

    ticket_audit_out_cstr(out, ticket_reason_name(rec->reason));
}


/* "count":N,"window":W,"action":"record"|"revoke" (no braces) */

void
ticket_audit_out_alert(ticket_json_out_t *out,
    const ticket_audit_record_t *rec)
{
    ticket_json_out(out, "\"count\":", sizeof("\"count\":") - 1);
    ticket_audit_u64(out, rec->alert_count);
    ticket_json_out(out, ",\"window\":", sizeof(",\"window\":") - 1);
    ticket_audit_u64(out, rec->alert_window);
    ticket_json_out(out, ",\"action\":", sizeof(",\"action\":") - 1);
    ticket_audit_out_cstr(out, rec->alert_revoke ? "revoke" : "record");
}


/* "signal":S,"outcome":O (no braces): a signal record's own members */

void
ticket_audit_out_signal(ticket_json_out_t *out,
    const ticket_audit_record_t *rec)
{
    ticket_json_out(out, "\"signal\":", sizeof("\"signal\":") - 1);
    ticket_audit_out_string(out, &rec->signal);
    ticket_json_out(out, ",\"outcome\":", sizeof(",\"outcome\":") - 1);
    ticket_audit_out_string(out, &rec->outcome);
}


int
ticket_audit_outcome_is(const ticket_audit_record_t *rec, const char *s)
{
    size_t  len;

    len = strlen(s);

    return rec->event == TICKET_AUDIT_SIGNAL && rec->outcome.data != NULL
           && rec->outcome.len == len
           && memcmp(rec->outcome.data, s, len) == 0;
}


/* an address as the record has it, if it is an IP literal (ECS source.ip
 * and OCSF src_endpoint.ip are typed: "unix:" is not one) */

int
ticket_audit_is_ip(const ticket_str_t *s)
{
    char           buf[64];
    unsigned char  addr[16];

    if (s->data == NULL || s->len == 0 || s->len >= sizeof(buf)) {
        return 0;
    }

    memcpy(buf, s->data, s->len);
    buf[s->len] = '\0';

    return inet_pton(AF_INET, buf, addr) == 1
           || inet_pton(AF_INET6, buf, addr) == 1;
}


static void
ticket_audit_record_out(ticket_json_out_t *out,
    const ticket_audit_record_t *rec)
{
    switch (rec->format) {

    case TICKET_AUDIT_FORMAT_ECS:
        ticket_audit_ecs_out(out, rec);
        return;

    case TICKET_AUDIT_FORMAT_OCSF:
        ticket_audit_ocsf_out(out, rec);
        return;

    default:
        break;
    }

    const char  *name;

    ticket_audit_name(out, TICKET_AUDIT_M_TIME);
    ticket_audit_time(out, rec->time_ms);

    /* an event with no name is the caller's error: null, still JSON */

    ticket_audit_name(out, TICKET_AUDIT_M_EVENT);

    name = ticket_audit_event_name(rec->event);
    if (name != NULL) {
        ticket_audit_string(out, name, strlen(name));

    } else {
        ticket_json_out(out, "null", 4);
    }

    ticket_audit_name(out, TICKET_AUDIT_M_REASON);
    ticket_audit_out_reason(out, rec);

    ticket_audit_name(out, TICKET_AUDIT_M_STATUS);
    ticket_audit_u64(out, rec->status);

    ticket_audit_name(out, TICKET_AUDIT_M_ENFORCED);
    ticket_audit_put_str(out, rec->enforced ? "true" : "false");

    ticket_audit_member(out, TICKET_AUDIT_M_CLIENT, &rec->client);
    ticket_audit_member(out, TICKET_AUDIT_M_METHOD, &rec->method);
    ticket_audit_member(out, TICKET_AUDIT_M_HOST, &rec->host);
    ticket_audit_member(out, TICKET_AUDIT_M_URI, &rec->uri);
    ticket_audit_member(out, TICKET_AUDIT_M_REQUEST_ID, &rec->request_id);

    ticket_audit_name(out, TICKET_AUDIT_M_VERIFIED);
    ticket_audit_put_str(out, rec->verified ? "true" : "false");

    ticket_audit_member(out, TICKET_AUDIT_M_SUB, &rec->sub);
    ticket_audit_member(out, TICKET_AUDIT_M_KIND, &rec->kind);
    ticket_audit_member(out, TICKET_AUDIT_M_TENANT, &rec->tenant);
    ticket_audit_member(out, TICKET_AUDIT_M_JTI, &rec->jti);
    ticket_audit_member(out, TICKET_AUDIT_M_KID, &rec->kid);
    ticket_audit_member(out, TICKET_AUDIT_M_ISS, &rec->iss);
    ticket_audit_member(out, TICKET_AUDIT_M_SID, &rec->sid);

    ticket_audit_name(out, TICKET_AUDIT_M_ROLES);

    if (rec->roles_list != NULL) {
        ticket_audit_list(out, rec->roles_list);

    } else {
        ticket_audit_roles(out, rec->roles);
    }

    ticket_audit_name(out, TICKET_AUDIT_M_REQUIRED);
    ticket_audit_required(out, rec);

    ticket_audit_fp_member(out, rec);

    ticket_audit_name(out, TICKET_AUDIT_M_EXP);

    if (rec->has_exp) {
        ticket_audit_int64(out, rec->exp);

    } else {
        ticket_json_out(out, "null", 4);
    }

    ticket_audit_member(out, TICKET_AUDIT_M_UNMET, &rec->unmet);
    ticket_audit_member(out, TICKET_AUDIT_M_GATEWAY, &rec->gateway);
    ticket_audit_member(out, TICKET_AUDIT_M_WRITER, &rec->writer);

    ticket_audit_name(out, TICKET_AUDIT_M_SEQ);
    ticket_audit_u64(out, rec->seq);

    if (rec->event == TICKET_AUDIT_ALERT) {
        ticket_json_out(out, ",", 1);
        ticket_audit_out_alert(out, rec);
    }

    /* a signal's own members: other records stay as they were */

    if (rec->event == TICKET_AUDIT_SIGNAL) {
        ticket_audit_member(out, TICKET_AUDIT_M_SIGNAL, &rec->signal);
        ticket_audit_member(out, TICKET_AUDIT_M_OUTCOME, &rec->outcome);
    }

    ticket_json_out(out, "}\n", 2);
}
