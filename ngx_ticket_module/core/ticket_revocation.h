
/*
 * Revocation lists as Redis holds them (SPEC "Revocation in Redis"): key
 * names, each list's Redis type and verbs, stream entries (the one
 * encoder and the one decoder every writer and reader uses), stream ids,
 * and the 64-bit hashes the gateway's shared memory keys its rows by.
 * No nginx or hiredis types: ticket_rev_redis.h reads hiredis replies.
 */

#ifndef TICKET_REVOCATION_H_INCLUDED_
#define TICKET_REVOCATION_H_INCLUDED_


#include "ticket_types.h"


typedef enum {
    TICKET_REV_JTI = 0,
    TICKET_REV_SUB,
    TICKET_REV_SID,
    TICKET_REV_TENANT,
    TICKET_REV_KID,
    TICKET_REV_LISTS
} ticket_rev_list_t;


typedef struct {
    ticket_rev_list_t       list;
    ticket_str_t            member;     /* jti, TENANT/SUB, sid, tenant, kid */
    int64_t                 value;      /* exp, or cut-off; 0 for kid */
    ticket_str_t            reason;     /* data NULL when absent */
    ticket_str_t            actor;
} ticket_rev_entry_t;


/* a list's Redis facts: "sub" is a hash at PREFIXrevoked:sub */

typedef struct {
    const char             *name;       /* list name, key suffix */
    const char             *type;       /* what TYPE answers: "hash" */
    const char             *scan;       /* "HSCAN" */
    const char             *add;        /* "HSET" */
    const char             *value;      /* the value's name ("at"), or NULL */
} ticket_rev_list_info_t;


#define TICKET_REV_PREFIX         "ticket:"   /* the default key prefix */
#define TICKET_REV_ID_LEN         48          /* stream ids are shorter */
#define TICKET_REV_VALUE_LEN      24          /* a value's decimal text */
#define TICKET_REV_MAX_FIELDS     12          /* names and values of an
                                                 entry the encoder writes */

#define TICKET_REV_ENTRY_OK       0
#define TICKET_REV_ENTRY_INVALID  -1
#define TICKET_REV_ENTRY_IGNORED  1     /* an op this version does not know */


const char *ticket_rev_list_name(ticket_rev_list_t list);
int ticket_rev_list_from_name(const char *name, size_t len);  /* -1 */

/* NULL for anything but a list */
const ticket_rev_list_info_t *ticket_rev_list_info(ticket_rev_list_t list);

/*
 * Key names: PREFIXrevoked:LIST for a list, PREFIXevents for the stream.
 * As snprintf(): the length of the name (no NUL), written with a NUL when
 * it fits in size bytes; buf may be NULL when size is 0.
 */
size_t ticket_rev_key(char *buf, size_t size, const char *prefix,
    size_t prefix_len, ticket_rev_list_t list);
size_t ticket_rev_events_key(char *buf, size_t size, const char *prefix,
    size_t prefix_len);

/*
 * The member of a sub row: "TENANT/SUB", "/SUB" without a tenant (tenant
 * NULL or its data NULL), so that no two subjects share a field.  As
 * ticket_rev_key().
 */
size_t ticket_rev_sub_member(char *buf, size_t size,
    const ticket_str_t *tenant, const ticket_str_t *sub);

/* a decimal unix time as Redis writes it ("1700000000", "1.7e9" is not);
 * a fraction is floored; 0 .. TICKET_MAX_TIME.  Return 0, or -1. */
int ticket_rev_parse_time(const char *s, size_t len, int64_t *v);

/*
 * One ticket:events entry: fields[0..n) are name, value, name, value...
 * Return TICKET_REV_ENTRY_OK with e filled (pointing into fields),
 * TICKET_REV_ENTRY_IGNORED for an unknown op, or TICKET_REV_ENTRY_INVALID.
 */
int ticket_rev_parse_entry(const ticket_str_t *fields, size_t n,
    ticket_rev_entry_t *e);

/*
 * The fields of the ticket:events entry that records e: name, value,
 * name, value... ("op" "revoke", "list", "member", "value" but for kid,
 * "reason" when e->reason is not empty, "actor" when e->actor is not).
 * The fields point into e and into value, which holds the value's text.
 * Return the number of fields (at most TICKET_REV_MAX_FIELDS), or 0 for
 * an entry no reader would take (no member, a list that is not one).
 */
size_t ticket_rev_encode_entry(const ticket_rev_entry_t *e,
    ticket_str_t *fields, char value[TICKET_REV_VALUE_LEN]);


/*
 * The writes that record an entry, as argument vectors of a MULTI/EXEC,
 * the same for ticketctl and the gateway's writer: the list's add
 * command (ZADD KEY EXP JTI, SADD KEY KID, HSET KEY MEMBER VALUE) and
 * the stream's XADD KEY MAXLEN ~ TICKET_REV_STREAM_MAXLEN * FIELDS.  key:
 * the list's key (ticket_rev_key()); val: the value's text as
 * ticket_rev_encode_entry() wrote it; fields its fields.  argv and lens
 * hold at least TICKET_REV_ADD_ARGS or TICKET_REV_XADD_ARGS; the number
 * of arguments is returned.  Pointers go into the arguments given.
 */

#define TICKET_REV_STREAM_MAXLEN  "100000"    /* stream entries, about */
#define TICKET_REV_ADD_ARGS       4
#define TICKET_REV_XADD_ARGS      (6 + TICKET_REV_MAX_FIELDS)

size_t ticket_rev_add_command(const ticket_rev_entry_t *e,
    const ticket_str_t *key, const char *val, const char **argv,
    size_t *lens);
size_t ticket_rev_xadd_command(const ticket_str_t *events,
    const ticket_str_t *fields, size_t nfields, const char **argv,
    size_t *lens);

/* a stream id, "MS-SEQ": 1 if valid, else 0 */
int ticket_rev_id_valid(const char *id, size_t len);

/* two valid ids in stream order: <0, 0, >0 */
int ticket_rev_id_cmp(const char *a, size_t alen, const char *b,
    size_t blen);

/* row keys: FNV-1a 64 of the member, seeded per list; never 0 */
uint64_t ticket_rev_hash(ticket_rev_list_t list, const char *s, size_t len);

/* the sub row of a ticket: "TENANT/SUB", or "/SUB" without a tenant */
uint64_t ticket_rev_hash_sub(const ticket_str_t *tenant,
    const ticket_str_t *sub);


#endif /* TICKET_REVOCATION_H_INCLUDED_ */
