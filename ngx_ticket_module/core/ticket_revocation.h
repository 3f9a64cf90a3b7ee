
/*
 * Revocation lists as Redis holds them (SPEC "Revocation in Redis"):
 * list names, stream entries, and the 64-bit hashes the gateway's shared
 * memory keys its rows by.  No nginx or hiredis types.
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


#define TICKET_REV_ENTRY_OK       0
#define TICKET_REV_ENTRY_INVALID  -1
#define TICKET_REV_ENTRY_IGNORED  1     /* an op this version does not know */


const char *ticket_rev_list_name(ticket_rev_list_t list);
int ticket_rev_list_from_name(const char *name, size_t len);  /* -1 */

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

/* row keys: FNV-1a 64 of the member, seeded per list; never 0 */
uint64_t ticket_rev_hash(ticket_rev_list_t list, const char *s, size_t len);

/* the sub row of a ticket: "TENANT/SUB", or "/SUB" without a tenant */
uint64_t ticket_rev_hash_sub(const ticket_str_t *tenant,
    const ticket_str_t *sub);


#endif /* TICKET_REVOCATION_H_INCLUDED_ */
