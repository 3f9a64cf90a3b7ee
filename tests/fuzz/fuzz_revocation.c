
/*
 * fuzz_revocation: what the gateway reads from Redis.
 *
 * The input is read twice.  As lines: one ticket:events entry, the
 * fields name, value, name, value... through ticket_rev_parse_entry(),
 * and every line through ticket_rev_parse_time().  As RESP: fed to
 * hiredis's reader (in two pieces, as reads split it) and every reply
 * walked the way ngx_http_ticket_revocation.c walks XREVRANGE, SCAN,
 * XREAD and XRANGE replies: the same shape checks, then
 * ticket_rev_parse_entry(), ticket_rev_parse_time() and
 * ticket_rev_hash() on what it would hand them.
 */


#include "fuzz.h"

#include <ticket_revocation.h>
#include <hiredis/hiredis.h>


#define FUZZ_MAX_FIELDS     32      /* NGX_HTTP_TICKET_MAX_FIELDS */
#define FUZZ_ID_LEN         48      /* NGX_HTTP_TICKET_ID_LEN */
#define FUZZ_CURSOR_LEN     32      /* sizeof(s->cursor) */
#define FUZZ_MAX_ELEMENTS   (1 << 20)


static void fuzz_lines(const uint8_t *data, size_t size);
static void fuzz_check_entry(int rc, const ticket_rev_entry_t *e,
    const ticket_str_t *f, size_t n);
static void fuzz_resp(const uint8_t *data, size_t size);
static int fuzz_resp_sane(const uint8_t *data, size_t size);
static int fuzz_reply_ok(redisReply *reply);
static int fuzz_sign(int c);
static void fuzz_load_id(redisReply *reply);
static void fuzz_scan_reply(redisReply *reply, ticket_rev_list_t list);
static void fuzz_read_reply(redisReply *reply);
static void fuzz_gap_reply(redisReply *reply);
static int fuzz_apply(redisReply *entry);
static int fuzz_id_valid(const char *id, size_t len);
static int fuzz_id_cmp(const char *a, size_t alen, const char *b,
    size_t blen);


static char    fuzz_last_id[FUZZ_ID_LEN];
static size_t  fuzz_last_id_len;


int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    return 0;
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_lines(data, size);
    fuzz_resp(data, size);

    return 0;
}


/* lines: fields of one entry, each also as a time */

static void
fuzz_lines(const uint8_t *data, size_t size)
{
    int                  rc;
    char                *buf, *p, *nl, *end;
    size_t               n;
    int64_t              v;
    ticket_str_t         f[FUZZ_MAX_FIELDS];
    ticket_rev_entry_t   e;

    buf = malloc(size ? size : 1);
    if (buf == NULL) {
        return;
    }

    memcpy(buf, data, size);
    memset(f, 0, sizeof(f));

    n = 0;
    p = buf;
    end = buf + size;

    while (p < end && n < FUZZ_MAX_FIELDS) {
        nl = memchr(p, '\n', (size_t) (end - p));
        if (nl == NULL) {
            nl = end;
        }

        f[n].data = p;
        f[n].len = (size_t) (nl - p);

        v = -1;
        if (ticket_rev_parse_time(f[n].data, f[n].len, &v) == 0) {
            FUZZ_CHECK(v >= 0 && v <= TICKET_MAX_TIME);
            FUZZ_CHECK(f[n].len > 0 && f[n].data[0] >= '0'
                       && f[n].data[0] <= '9');
        }

        n++;
        p = nl + 1;
    }

    rc = ticket_rev_parse_entry(f, n, &e);

    if (n % 2) {
        FUZZ_CHECK(rc == TICKET_REV_ENTRY_INVALID);

    } else {
        fuzz_check_entry(rc, &e, f, n);
    }

    /* and the pairs one short, as an odd count from Redis is cut */

    if (n >= 2) {
        rc = ticket_rev_parse_entry(f, (n - 1) & ~(size_t) 1, &e);
        fuzz_check_entry(rc, &e, f, (n - 1) & ~(size_t) 1);
    }

    free(buf);
}


static void
fuzz_check_entry(int rc, const ticket_rev_entry_t *e, const ticket_str_t *f,
    size_t n)
{
    uint64_t  h;

    FUZZ_CHECK(rc == TICKET_REV_ENTRY_OK || rc == TICKET_REV_ENTRY_INVALID
               || rc == TICKET_REV_ENTRY_IGNORED);

    if (rc != TICKET_REV_ENTRY_OK) {
        return;
    }

    FUZZ_CHECK(n >= 6);
    FUZZ_CHECK((unsigned) e->list < TICKET_REV_LISTS);
    FUZZ_CHECK(e->member.data != NULL && e->member.len > 0);

    /* the member points into the fields, not a copy */

    FUZZ_CHECK(e->member.data >= f[0].data
               && e->member.data + e->member.len
                  <= f[n - 1].data + f[n - 1].len);

    FUZZ_CHECK(e->list == TICKET_REV_KID
               ? e->value == 0
               : e->value >= 0 && e->value <= TICKET_MAX_TIME);

    FUZZ_CHECK(e->reason.data == NULL
               || (e->reason.data >= f[0].data
                   && e->reason.data + e->reason.len
                      <= f[n - 1].data + f[n - 1].len));

    h = ticket_rev_hash(e->list, e->member.data, e->member.len);
    FUZZ_CHECK(h != 0);
    FUZZ_CHECK(h == ticket_rev_hash(e->list, e->member.data,
                                    e->member.len));
}


/* RESP */

static void
fuzz_resp(const uint8_t *data, size_t size)
{
    int           rc, i;
    void         *r;
    size_t        half;
    redisReader  *reader;

    /*
     * hiredis 0.14.1 allocates a multi-bulk's element array up front,
     * before any element arrives: "*2000000000\r\n" is a 16 GB calloc.
     * That is the library's (and a trusted Redis's) matter, not the
     * gateway's; such headers are left out rather than reported as OOM.
     */

    if (!fuzz_resp_sane(data, size)) {
        return;
    }

    reader = redisReaderCreate();
    if (reader == NULL) {
        return;
    }

    half = size / 2;

    for (i = 0; i < 2; i++) {
        if (i == 0) {
            rc = redisReaderFeed(reader, (const char *) data, half);

        } else {
            rc = redisReaderFeed(reader, (const char *) data + half,
                                 size - half);
        }

        if (rc != REDIS_OK) {
            break;
        }

        for ( ;; ) {
            r = NULL;

            if (redisReaderGetReply(reader, &r) != REDIS_OK) {
                FUZZ_CHECK(r == NULL);
                goto done;
            }

            if (r == NULL) {
                break;
            }

            fuzz_load_id(r);
            fuzz_scan_reply(r, TICKET_REV_JTI);
            fuzz_scan_reply(r, TICKET_REV_SUB);
            fuzz_scan_reply(r, TICKET_REV_KID);
            fuzz_read_reply(r);
            fuzz_gap_reply(r);

            freeReplyObject(r);
        }
    }

done:

    redisReaderFree(reader);
}


static int
fuzz_resp_sane(const uint8_t *data, size_t size)
{
    size_t   i;
    int64_t  n;

    /*
     * Any '*', not only one at a line's start: hiredis skips the two bytes
     * after a bulk string without checking that they are CRLF, so the next
     * header may follow any byte.
     */

    for (i = 0; i < size; i++) {
        if (data[i] != '*') {
            continue;
        }

        n = 0;

        for (i++; i < size && data[i] >= '0' && data[i] <= '9'; i++) {
            n = n * 10 + (data[i] - '0');

            if (n > FUZZ_MAX_ELEMENTS) {
                return 0;
            }
        }
    }

    return 1;
}


/* ngx_http_ticket_rev_reply_ok(): an error reply is logged, shortened */

static int
fuzz_reply_ok(redisReply *reply)
{
    if (reply->type == REDIS_REPLY_ERROR) {
        FUZZ_CHECK(reply->str != NULL);
        FUZZ_CHECK(strlen(reply->str) <= reply->len);
        return 0;
    }

    return 1;
}


/* ngx_http_ticket_rev_load_id() */

static void
fuzz_load_id(redisReply *reply)
{
    redisReply  *entry, *id;

    if (!fuzz_reply_ok(reply) || reply->type != REDIS_REPLY_ARRAY) {
        return;
    }

    if (reply->elements > 0) {
        entry = reply->element[0];

        if (entry->type != REDIS_REPLY_ARRAY || entry->elements < 1) {
            return;
        }

        id = entry->element[0];

        if (id->type != REDIS_REPLY_STRING
            || !fuzz_id_valid(id->str, id->len))
        {
            return;
        }

        FUZZ_CHECK(id->len < FUZZ_ID_LEN);
        memcpy(fuzz_last_id, id->str, id->len);
        fuzz_last_id_len = id->len;
    }
}


/* ngx_http_ticket_rev_scan_reply() */

static void
fuzz_scan_reply(redisReply *reply, ticket_rev_list_t list)
{
    char         cursor[FUZZ_CURSOR_LEN];
    size_t       i, step;
    int64_t      value;
    uint64_t     hash;
    redisReply  *items, *member, *v;

    if (!fuzz_reply_ok(reply)) {
        return;
    }

    if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 2
        || reply->element[0]->type != REDIS_REPLY_STRING
        || reply->element[0]->len == 0
        || reply->element[0]->len >= sizeof(cursor)
        || reply->element[1]->type != REDIS_REPLY_ARRAY)
    {
        return;
    }

    items = reply->element[1];
    step = (list == TICKET_REV_KID) ? 1 : 2;

    if (items->elements % step != 0) {
        return;
    }

    for (i = 0; i < items->elements; i += step) {
        member = items->element[i];

        if (member->type != REDIS_REPLY_STRING || member->len == 0) {
            continue;
        }

        value = 0;

        if (step == 2) {
            v = items->element[i + 1];

            if (v->type != REDIS_REPLY_STRING
                || ticket_rev_parse_time(v->str, v->len, &value) != 0)
            {
                value = TICKET_MAX_TIME;
            }
        }

        FUZZ_CHECK(value >= 0 && value <= TICKET_MAX_TIME);

        hash = ticket_rev_hash(list, member->str, member->len);
        FUZZ_CHECK(hash != 0);
    }

    memcpy(cursor, reply->element[0]->str, reply->element[0]->len);
}


/* ngx_http_ticket_rev_read_reply() */

static void
fuzz_read_reply(redisReply *reply)
{
    size_t       i;
    redisReply  *stream, *entries;

    if (!fuzz_reply_ok(reply) || reply->type == REDIS_REPLY_NIL) {
        return;
    }

    if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 1) {
        return;
    }

    stream = reply->element[0];

    if (stream->type != REDIS_REPLY_ARRAY || stream->elements != 2
        || stream->element[1]->type != REDIS_REPLY_ARRAY)
    {
        return;
    }

    entries = stream->element[1];

    for (i = 0; i < entries->elements; i++) {
        if (fuzz_apply(entries->element[i]) != 0) {
            return;
        }
    }
}


/* ngx_http_ticket_rev_apply() */

static int
fuzz_apply(redisReply *entry)
{
    int                  rc;
    size_t               i, n;
    redisReply          *id, *fields;
    ticket_str_t         f[FUZZ_MAX_FIELDS];
    ticket_rev_entry_t   e;

    if (entry->type != REDIS_REPLY_ARRAY || entry->elements != 2) {
        return -1;
    }

    id = entry->element[0];
    fields = entry->element[1];

    if (id->type != REDIS_REPLY_STRING || !fuzz_id_valid(id->str, id->len)
        || fields->type != REDIS_REPLY_ARRAY)
    {
        return -1;
    }

    n = fields->elements < FUZZ_MAX_FIELDS ? fields->elements
                                           : FUZZ_MAX_FIELDS;

    for (i = 0; i < n; i++) {
        if (fields->element[i]->type != REDIS_REPLY_STRING) {
            return -1;
        }

        f[i].data = fields->element[i]->str;
        f[i].len = fields->element[i]->len;
    }

    rc = ticket_rev_parse_entry(f, n & ~(size_t) 1, &e);

    FUZZ_CHECK(rc == TICKET_REV_ENTRY_OK || rc == TICKET_REV_ENTRY_INVALID
               || rc == TICKET_REV_ENTRY_IGNORED);

    if (rc == TICKET_REV_ENTRY_OK) {
        FUZZ_CHECK((unsigned) e.list < TICKET_REV_LISTS);
        FUZZ_CHECK(e.member.len > 0);
        FUZZ_CHECK(ticket_rev_hash(e.list, e.member.data, e.member.len)
                   != 0);
    }

    FUZZ_CHECK(id->len < FUZZ_ID_LEN);
    memcpy(fuzz_last_id, id->str, id->len);
    fuzz_last_id_len = id->len;

    return 0;
}


/* ngx_http_ticket_rev_gap_reply() */

static void
fuzz_gap_reply(redisReply *reply)
{
    int          c;
    redisReply  *id;

    if (!fuzz_reply_ok(reply) || reply->type != REDIS_REPLY_ARRAY
        || reply->elements == 0)
    {
        return;
    }

    if (reply->element[0]->type != REDIS_REPLY_ARRAY
        || reply->element[0]->elements < 1)
    {
        return;
    }

    id = reply->element[0]->element[0];

    if (id->type != REDIS_REPLY_STRING || !fuzz_id_valid(id->str, id->len))
    {
        return;
    }

    if (fuzz_last_id_len == 0) {
        return;
    }

    c = fuzz_id_cmp(id->str, id->len, fuzz_last_id, fuzz_last_id_len);

    /* an order: antisymmetric, and equal only to itself */

    FUZZ_CHECK(fuzz_sign(c)
               == -fuzz_sign(fuzz_id_cmp(fuzz_last_id, fuzz_last_id_len,
                                         id->str, id->len)));
    FUZZ_CHECK((c == 0) == (id->len == fuzz_last_id_len
                            && memcmp(id->str, fuzz_last_id, id->len) == 0));
}


static int
fuzz_sign(int c)
{
    return (c > 0) - (c < 0);
}


/* ngx_http_ticket_rev_id_valid(): "MS-SEQ" */

static int
fuzz_id_valid(const char *id, size_t len)
{
    int     dash;
    size_t  i;

    if (len < 3 || len >= FUZZ_ID_LEN) {
        return 0;
    }

    dash = 0;

    for (i = 0; i < len; i++) {
        if (id[i] == '-') {
            if (dash || i == 0 || i == len - 1) {
                return 0;
            }

            dash = 1;

        } else if (id[i] < '0' || id[i] > '9') {
            return 0;
        }
    }

    return dash;
}


/* ngx_http_ticket_rev_id_cmp() */

static int
fuzz_id_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
    size_t  ai, bi, ae, be;

    ae = 0;
    while (ae < alen && a[ae] != '-') { ae++; }

    be = 0;
    while (be < blen && b[be] != '-') { be++; }

    if (ae != be) {
        return ae > be ? 1 : -1;
    }

    for (ai = 0; ai < ae; ai++) {
        if (a[ai] != b[ai]) {
            return a[ai] > b[ai] ? 1 : -1;
        }
    }

    ai = alen - ae;
    bi = blen - be;

    if (ai != bi) {
        return ai > bi ? 1 : -1;
    }

    return memcmp(a + ae, b + be, ai);
}
