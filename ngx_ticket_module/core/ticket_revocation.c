
/*
 * Revocation lists: names, stream entries, row hashes.
 *
 * Rows are keyed by a 64-bit hash, not by the member itself: that keeps a
 * revoked jti at one small fixed-size node.  Two members with the same
 * hash only make the gateway refuse a ticket it need not refuse; a revoked
 * ticket can never escape, since its own member always hashes the same.
 */


#include <string.h>

#include "ticket_revocation.h"


#define TICKET_FNV_OFFSET  0xcbf29ce484222325ULL
#define TICKET_FNV_PRIME   0x100000001b3ULL


static uint64_t ticket_fnv(uint64_t h, const char *s, size_t len);
static int ticket_str_is(const ticket_str_t *s, const char *lit);


static const char  *ticket_rev_names[TICKET_REV_LISTS] = {
    "jti", "sub", "sid", "tenant", "kid"
};


const char *
ticket_rev_list_name(ticket_rev_list_t list)
{
    if ((unsigned) list >= TICKET_REV_LISTS) {
        return "";
    }

    return ticket_rev_names[list];
}


int
ticket_rev_list_from_name(const char *name, size_t len)
{
    int  i;

    for (i = 0; i < TICKET_REV_LISTS; i++) {
        if (strlen(ticket_rev_names[i]) == len
            && memcmp(ticket_rev_names[i], name, len) == 0)
        {
            return i;
        }
    }

    return -1;
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


static uint64_t
ticket_fnv(uint64_t h, const char *s, size_t len)
{
    size_t  i;

    for (i = 0; i < len; i++) {
        h ^= (unsigned char) s[i];
        h *= TICKET_FNV_PRIME;
    }

    return h;
}


static int
ticket_str_is(const ticket_str_t *s, const char *lit)
{
    size_t  len;

    len = strlen(lit);

    return s->len == len && memcmp(s->data, lit, len) == 0;
}
