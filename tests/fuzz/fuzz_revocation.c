
/*
 * fuzz_revocation: what the gateway reads from Redis.
 *
 * The input is read twice.  As lines: one ticket:events entry, the
 * fields name, value, name, value... through ticket_rev_parse_entry(),
 * and every line through ticket_rev_parse_time().  As RESP: fed to
 * hiredis's reader (in two pieces, as reads split it) and every reply
 * read by the core's reply checks (ticket_rev_redis.h) as the gateway's
 * sync reads XREVRANGE, SCAN, XREAD and XRANGE replies with them, then
 * ticket_rev_hash() and the stream id order on what they hand on.
 */


#include "fuzz.h"

#include <ticket_rev_redis.h>


#define FUZZ_MAX_FIELDS     TICKET_REV_READ_FIELDS
#define FUZZ_CURSOR_LEN     32      /* sizeof(s->cursor) in the sync */
#define FUZZ_MAX_ELEMENTS   (1 << 20)


static void fuzz_lines(const uint8_t *data, size_t size);
static void fuzz_check_entry(int rc, const ticket_rev_entry_t *e,
    const ticket_str_t *f, size_t n);
static void fuzz_resp(const uint8_t *data, size_t size);
static int fuzz_resp_sane(const uint8_t *data, size_t size);
static void fuzz_reply(const redisReply *r);
static void fuzz_xinfo(const redisReply *r);
static void fuzz_role(const redisReply *r);
static void fuzz_rows(const redisReply *r, ticket_rev_list_t list);
static void fuzz_entries(const redisReply *r);
static void fuzz_id(const ticket_str_t *id);
static int fuzz_sign(int c);


static char    fuzz_last_id[TICKET_REV_ID_LEN];
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

            fuzz_reply(r);

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


/* a reply as each of the sync's readers takes it */

static void
fuzz_reply(const redisReply *r)
{
    int           rc;
    ticket_str_t  id, text;

    if (ticket_rev_reply_error(r, 200, &text)) {
        FUZZ_CHECK(text.data != NULL && text.len <= 200);
        FUZZ_CHECK(text.len <= r->len);
        return;
    }

    (void) ticket_rev_reply_no_stream(r);

    /* XINFO STREAM at load and after each batch, INFO replication */

    fuzz_xinfo(r);
    fuzz_role(r);

    /* XREVRANGE, XRANGE */

    rc = ticket_rev_reply_range_id(r, &id);

    FUZZ_CHECK(rc == TICKET_REV_REPLY_OK || rc == TICKET_REV_REPLY_BAD
               || rc == TICKET_REV_REPLY_BAD_ENTRY
               || rc == TICKET_REV_REPLY_BAD_ID);

    if (rc == TICKET_REV_REPLY_OK && id.data != NULL) {
        fuzz_id(&id);
    }

    fuzz_rows(r, TICKET_REV_JTI);
    fuzz_rows(r, TICKET_REV_SUB);
    fuzz_rows(r, TICKET_REV_KID);

    fuzz_entries(r);
}


/* XINFO STREAM: every id it hands on valid, counts not negative */

static void
fuzz_xinfo(const redisReply *r)
{
    int                       rc;
    ticket_rev_stream_info_t  info;

    rc = ticket_rev_reply_stream_info(r, &info);

    FUZZ_CHECK(rc == TICKET_REV_REPLY_OK || rc == TICKET_REV_REPLY_BAD
               || rc == TICKET_REV_REPLY_BAD_ID);

    if (rc != TICKET_REV_REPLY_OK) {
        return;
    }

    FUZZ_CHECK(info.added >= -1 && info.length >= 0);
    fuzz_id(&info.last_id);

    if (info.max_deleted.data != NULL) {
        fuzz_id(&info.max_deleted);
    }

    if (info.first_id.data != NULL) {
        fuzz_id(&info.first_id);
    }
}


/* INFO replication: a primary has no link to judge */

static void
fuzz_role(const redisReply *r)
{
    ticket_rev_replication_t  repl;

    if (ticket_rev_reply_replication(r, &repl) != TICKET_REV_REPLY_OK) {
        return;
    }

    FUZZ_CHECK(repl.replica || (!repl.link_up && repl.last_io == -1));
    FUZZ_CHECK(repl.last_io >= -1);
}


/* ZSCAN, HSCAN, SSCAN */

static void
fuzz_rows(const redisReply *r, ticket_rev_list_t list)
{
    int                rc;
    size_t             i, step;
    int64_t            value;
    ticket_str_t       cursor, member;
    const redisReply  *items;

    rc = ticket_rev_reply_scan(r, list, FUZZ_CURSOR_LEN, &cursor, &items);

    FUZZ_CHECK(rc == TICKET_REV_REPLY_OK || rc == TICKET_REV_REPLY_BAD
               || rc == TICKET_REV_REPLY_BAD_ITEMS);

    if (rc != TICKET_REV_REPLY_OK) {
        return;
    }

    FUZZ_CHECK(cursor.len > 0 && cursor.len < FUZZ_CURSOR_LEN);

    step = ticket_rev_scan_step(list);

    FUZZ_CHECK(items->elements % step == 0);

    for (i = 0; i < items->elements; i += step) {
        rc = ticket_rev_reply_scan_row(items, list, i, &member, &value);

        FUZZ_CHECK(rc == TICKET_REV_ROW_OK || rc == TICKET_REV_ROW_SKIP
                   || rc == TICKET_REV_ROW_UNREADABLE);
        FUZZ_CHECK(value >= 0 && value <= TICKET_MAX_TIME);

        if (rc == TICKET_REV_ROW_SKIP) {
            continue;
        }

        FUZZ_CHECK(member.len > 0);
        FUZZ_CHECK(rc == TICKET_REV_ROW_OK || value == TICKET_MAX_TIME);
        FUZZ_CHECK(ticket_rev_hash(list, member.data, member.len) != 0);
    }
}


/* XREAD: every entry as the sync applies it */

static void
fuzz_entries(const redisReply *r)
{
    int                 rc, entry_rc, truncated;
    size_t              i;
    ticket_str_t        id;
    const redisReply   *entries;
    ticket_rev_entry_t  e;

    rc = ticket_rev_reply_read(r, &entries);

    FUZZ_CHECK(rc == TICKET_REV_REPLY_OK || rc == TICKET_REV_REPLY_NIL
               || rc == TICKET_REV_REPLY_BAD);

    if (rc != TICKET_REV_REPLY_OK) {
        return;
    }

    for (i = 0; i < entries->elements; i++) {
        rc = ticket_rev_reply_entry(entries->element[i], &id, &e, &entry_rc,
                                    &truncated);

        FUZZ_CHECK(rc == TICKET_REV_REPLY_OK
                   || rc == TICKET_REV_REPLY_BAD_ENTRY);

        if (rc != TICKET_REV_REPLY_OK) {
            return;
        }

        FUZZ_CHECK(entry_rc == TICKET_REV_ENTRY_OK
                   || entry_rc == TICKET_REV_ENTRY_INVALID
                   || entry_rc == TICKET_REV_ENTRY_IGNORED);

        if (entry_rc == TICKET_REV_ENTRY_OK) {
            FUZZ_CHECK((unsigned) e.list < TICKET_REV_LISTS);
            FUZZ_CHECK(e.member.len > 0);
            FUZZ_CHECK(ticket_rev_hash(e.list, e.member.data, e.member.len)
                       != 0);
        }

        fuzz_id(&id);
    }
}


/* a valid id, ordered against the one before it as the gap check does */

static void
fuzz_id(const ticket_str_t *id)
{
    int  c;

    FUZZ_CHECK(ticket_rev_id_valid(id->data, id->len));
    FUZZ_CHECK(id->len < TICKET_REV_ID_LEN);

    if (fuzz_last_id_len > 0) {
        c = ticket_rev_id_cmp(id->data, id->len, fuzz_last_id,
                              fuzz_last_id_len);

        /* an order: antisymmetric, and equal only to itself */

        FUZZ_CHECK(fuzz_sign(c)
                   == -fuzz_sign(ticket_rev_id_cmp(fuzz_last_id,
                                                   fuzz_last_id_len,
                                                   id->data, id->len)));
        FUZZ_CHECK((c == 0) == (id->len == fuzz_last_id_len
                                && memcmp(id->data, fuzz_last_id, id->len)
                                   == 0));
    }

    memcpy(fuzz_last_id, id->data, id->len);
    fuzz_last_id_len = id->len;
}


static int
fuzz_sign(int c)
{
    return (c > 0) - (c < 0);
}
