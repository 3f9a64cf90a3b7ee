
/*
 * Revocation lists: names, keys, stream entries, stream ids, row hashes.
 *
 * Rows are keyed by a 64-bit hash, not by the member itself: that keeps a
 * revoked jti at one small fixed-size node.  Two members with the same
 * hash only make the gateway refuse a ticket it need not refuse; a revoked
 * ticket can never escape, since its own member always hashes the same.
 */


#include <stdio.h>
#include <string.h>

#include "ticket_hash.h"
#include "ticket_revocation.h"


static int ticket_str_is(const ticket_str_t *s, const char *lit);


static size_t ticket_rev_put(char *buf, size_t size, size_t off,
    const char *s, size_t len);


/* in the order of ticket_rev_list_t */

static const ticket_rev_list_info_t  ticket_rev_lists[TICKET_REV_LISTS] = {
    { "jti",    "zset", "ZSCAN", "ZADD", "exp" },
    { "sub",    "hash", "HSCAN", "HSET", "at" },
    { "sid",    "hash", "HSCAN", "HSET", "at" },
    { "tenant", "hash", "HSCAN", "HSET", "at" },
    { "kid",    "set",  "SSCAN", "SADD", NULL }
};


const char *
ticket_rev_list_name(ticket_rev_list_t list)
{
    if ((unsigned) list >= TICKET_REV_LISTS) {
        return "";
    }

    return ticket_rev_lists[list].name;
}


int
ticket_rev_list_from_name(const char *name, size_t len)
{
    int  i;

    for (i = 0; i < TICKET_REV_LISTS; i++) {
        if (strlen(ticket_rev_lists[i].name) == len
            && memcmp(ticket_rev_lists[i].name, name, len) == 0)
        {
            return i;
        }
    }

    return -1;
}


const ticket_rev_list_info_t *
ticket_rev_list_info(ticket_rev_list_t list)
{
    if ((unsigned) list >= TICKET_REV_LISTS) {
        return NULL;
    }

    return &ticket_rev_lists[list];
}


size_t
ticket_rev_key(char *buf, size_t size, const char *prefix,
    size_t prefix_len, ticket_rev_list_t list)
{
    size_t       n;
    const char  *name;

    name = ticket_rev_list_name(list);

    n = ticket_rev_put(buf, size, 0, prefix, prefix_len);
    n = ticket_rev_put(buf, size, n, "revoked:", sizeof("revoked:") - 1);
    n = ticket_rev_put(buf, size, n, name, strlen(name));

    if (size > 0) {
        buf[n < size ? n : size - 1] = '\0';
    }

    return n;
}


size_t
ticket_rev_events_key(char *buf, size_t size, const char *prefix,
    size_t prefix_len)
{
    size_t  n;

    n = ticket_rev_put(buf, size, 0, prefix, prefix_len);
    n = ticket_rev_put(buf, size, n, "events", sizeof("events") - 1);

    if (size > 0) {
        buf[n < size ? n : size - 1] = '\0';
    }

    return n;
}


size_t
ticket_rev_sub_member(char *buf, size_t size, const ticket_str_t *tenant,
    const ticket_str_t *sub)
{
    size_t  n;

    n = 0;

    if (tenant != NULL && tenant->data != NULL) {
        n = ticket_rev_put(buf, size, n, tenant->data, tenant->len);
    }

    n = ticket_rev_put(buf, size, n, "/", 1);
    n = ticket_rev_put(buf, size, n, sub->data, sub->len);

    if (size > 0) {
        buf[n < size ? n : size - 1] = '\0';
    }

    return n;
}


int
ticket_rev_parse_time(const char *s, size_t len, int64_t *v)
{
    size_t   i;
    int64_t  n;

    if (s == NULL || len == 0 || len > 32) {
        return -1;
    }

    n = 0;

    for (i = 0; i < len && s[i] != '.'; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return -1;
        }

        n = n * 10 + (s[i] - '0');

        if (n > TICKET_MAX_TIME) {
            return -1;
        }
    }

    if (i == 0) {
        return -1;
    }

    /* a fraction ("1700000000.5", as a sorted-set score may read) */

    if (i < len) {
        for (i++; i < len; i++) {
            if (s[i] < '0' || s[i] > '9') {
                return -1;
            }
        }
    }

    *v = n;

    return 0;
}


int
ticket_rev_parse_entry(const ticket_str_t *fields, size_t n,
    ticket_rev_entry_t *e)
{
    int                  list;
    size_t               i;
    const ticket_str_t  *op, *name, *member, *value;

    memset(e, 0, sizeof(ticket_rev_entry_t));

    if (fields == NULL || n % 2 != 0) {
        return TICKET_REV_ENTRY_INVALID;
    }

    op = NULL;
    name = NULL;
    member = NULL;
    value = NULL;

    for (i = 0; i < n; i += 2) {

        if (fields[i].data == NULL || fields[i + 1].data == NULL) {
            return TICKET_REV_ENTRY_INVALID;
        }

        if (ticket_str_is(&fields[i], "op")) {
            op = &fields[i + 1];

        } else if (ticket_str_is(&fields[i], "list")) {
            name = &fields[i + 1];

        } else if (ticket_str_is(&fields[i], "member")) {
            member = &fields[i + 1];

        } else if (ticket_str_is(&fields[i], "value")) {
            value = &fields[i + 1];

        } else if (ticket_str_is(&fields[i], "reason")) {
            e->reason = fields[i + 1];

        } else if (ticket_str_is(&fields[i], "actor")) {
            e->actor = fields[i + 1];
        }
    }

    if (op == NULL) {
        return TICKET_REV_ENTRY_INVALID;
    }

    if (!ticket_str_is(op, "revoke")) {
        return TICKET_REV_ENTRY_IGNORED;
    }

    if (name == NULL || member == NULL || member->len == 0) {
        return TICKET_REV_ENTRY_INVALID;
    }

    list = ticket_rev_list_from_name(name->data, name->len);
    if (list < 0) {
        return TICKET_REV_ENTRY_INVALID;
    }

    e->list = (ticket_rev_list_t) list;
    e->member = *member;

    if (e->list == TICKET_REV_KID) {
        return TICKET_REV_ENTRY_OK;
    }

    if (value == NULL
        || ticket_rev_parse_time(value->data, value->len, &e->value) != 0)
    {
        return TICKET_REV_ENTRY_INVALID;
    }

    return TICKET_REV_ENTRY_OK;
}


size_t
ticket_rev_encode_entry(const ticket_rev_entry_t *e, ticket_str_t *fields,
    char value[TICKET_REV_VALUE_LEN])
{
    int     len;
    size_t  n;

    if ((unsigned) e->list >= TICKET_REV_LISTS || e->member.data == NULL
        || e->member.len == 0)
    {
        return 0;
    }

    n = 0;

#define TICKET_REV_FIELD(s, l)                                               \
    fields[n].data = (s);                                                    \
    fields[n].len = (l);                                                     \
    n++

    TICKET_REV_FIELD("op", 2);
    TICKET_REV_FIELD("revoke", 6);
    TICKET_REV_FIELD("list", 4);
    TICKET_REV_FIELD(ticket_rev_lists[e->list].name,
                     strlen(ticket_rev_lists[e->list].name));
    TICKET_REV_FIELD("member", 6);
    TICKET_REV_FIELD(e->member.data, e->member.len);

    if (e->list != TICKET_REV_KID) {
        len = snprintf(value, TICKET_REV_VALUE_LEN, "%lld",
                       (long long) e->value);
        if (len < 0 || len >= TICKET_REV_VALUE_LEN) {
            return 0;
        }

        TICKET_REV_FIELD("value", 5);
        TICKET_REV_FIELD(value, (size_t) len);
    }

    if (e->reason.data != NULL && e->reason.len > 0) {
        TICKET_REV_FIELD("reason", 6);
        TICKET_REV_FIELD(e->reason.data, e->reason.len);
    }

    if (e->actor.data != NULL && e->actor.len > 0) {
        TICKET_REV_FIELD("actor", 5);
        TICKET_REV_FIELD(e->actor.data, e->actor.len);
    }

#undef TICKET_REV_FIELD

    return n;
}


/* stream ids: "MS-SEQ", compared as two numbers */

int
ticket_rev_id_valid(const char *id, size_t len)
{
    int     dash;
    size_t  i;

    if (id == NULL || len < 3 || len >= TICKET_REV_ID_LEN) {
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


int
ticket_rev_id_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
    size_t  ai, bi, ae, be;

    /* both valid: compare the ms parts, then the sequence parts */

    ae = 0;
    while (ae < alen && a[ae] != '-') { ae++; }

    be = 0;
    while (be < blen && b[be] != '-') { be++; }

    if (ae != be) {
        return ae > be ? 1 : -1;
    }

    for (ai = 0; ai < ae; ai++) {
        if (a[ai] != b[ai]) {
            return (unsigned char) a[ai] > (unsigned char) b[ai] ? 1 : -1;
        }
    }

    ai = alen - ae;
    bi = blen - be;

    if (ai != bi) {
        return ai > bi ? 1 : -1;
    }

    return memcmp(a + ae, b + be, ai);
}


uint64_t
ticket_rev_hash(ticket_rev_list_t list, const char *s, size_t len)
{
    uint64_t       h;
    unsigned char  seed;

    seed = (unsigned char) list;

    h = ticket_fnv(TICKET_FNV_OFFSET, (const char *) &seed, 1);
    h = ticket_fnv(h, s, len);

    return h ? h : 1;
}


uint64_t
ticket_rev_hash_sub(const ticket_str_t *tenant, const ticket_str_t *sub)
{
    uint64_t       h;
    unsigned char  seed;

    seed = (unsigned char) TICKET_REV_SUB;

    h = ticket_fnv(TICKET_FNV_OFFSET, (const char *) &seed, 1);

    if (tenant != NULL && tenant->data != NULL) {
        h = ticket_fnv(h, tenant->data, tenant->len);
    }

    h = ticket_fnv(h, "/", 1);
    h = ticket_fnv(h, sub->data, sub->len);

    return h ? h : 1;
}


static int
ticket_str_is(const ticket_str_t *s, const char *lit)
{
    size_t  len;

    len = strlen(lit);

    return s->len == len && memcmp(s->data, lit, len) == 0;
}


/* as snprintf(): counts all, writes what fits (leaving room for a NUL) */

static size_t
ticket_rev_put(char *buf, size_t size, size_t off, const char *s, size_t len)
{
    size_t  n;

    if (off < size) {
        n = size - off - 1;
        memcpy(buf + off, s, len < n ? len : n);
    }

    return off + len;
}


size_t
ticket_rev_add_command(const ticket_rev_entry_t *e, const ticket_str_t *key,
    const char *val, const char **argv, size_t *lens)
{
    const ticket_rev_list_info_t  *info;

    info = ticket_rev_list_info(e->list);
    if (info == NULL) {
        return 0;
    }

    argv[0] = info->add;
    lens[0] = strlen(info->add);
    argv[1] = key->data;
    lens[1] = key->len;

    switch (e->list) {

    case TICKET_REV_JTI:
        /* a sorted set scored by exp: pruned by score */
        argv[2] = val;
        lens[2] = strlen(val);
        argv[3] = e->member.data;
        lens[3] = e->member.len;
        return 4;

    case TICKET_REV_KID:
        /* a set: a kid is revoked for good */
        argv[2] = e->member.data;
        lens[2] = e->member.len;
        return 3;

    default:
        /* a hash of member and cut-off */
        argv[2] = e->member.data;
        lens[2] = e->member.len;
        argv[3] = val;
        lens[3] = strlen(val);
        return 4;
    }
}


size_t
ticket_rev_xadd_command(const ticket_str_t *events, const ticket_str_t *fields,
    size_t nfields, const char **argv, size_t *lens)
{
    size_t  i, n;

    if (nfields > TICKET_REV_MAX_FIELDS) {
        return 0;
    }

    n = 0;
    argv[n] = "XADD";
    lens[n++] = sizeof("XADD") - 1;
    argv[n] = events->data;
    lens[n++] = events->len;
    argv[n] = "MAXLEN";
    lens[n++] = sizeof("MAXLEN") - 1;
    argv[n] = "~";
    lens[n++] = 1;
    argv[n] = TICKET_REV_STREAM_MAXLEN;
    lens[n++] = sizeof(TICKET_REV_STREAM_MAXLEN) - 1;
    argv[n] = "*";
    lens[n++] = 1;

    for (i = 0; i < nfields; i++) {
        argv[n] = fields[i].data;
        lens[n++] = fields[i].len;
    }

    return n;
}
