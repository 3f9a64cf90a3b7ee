
/*
 * Revocation replies: the shapes of the Redis replies the revocation sync
 * reads (XREVRANGE, XRANGE, ZSCAN/HSCAN/SSCAN, XREAD), checked on
 * hiredis's plain redisReply, and what they carry handed on as the core's
 * strings and entries.  The gateway's sync, ticketctl and fuzz_revocation
 * all read replies through these; none logs, the caller says what failed.
 */

#ifndef TICKET_REV_REDIS_H_INCLUDED_
#define TICKET_REV_REDIS_H_INCLUDED_


#include <hiredis/hiredis.h>

#include "ticket_revocation.h"


#define TICKET_REV_READ_FIELDS      32   /* more than any writer sends */

#define TICKET_REV_REPLY_OK         0
#define TICKET_REV_REPLY_NIL        1    /* XREAD: the block ran out */
#define TICKET_REV_REPLY_BAD        -1   /* "unexpected CMD reply" */
#define TICKET_REV_REPLY_BAD_ENTRY  -2   /* "unexpected CMD entry" */
#define TICKET_REV_REPLY_BAD_ID     -3   /* "invalid stream id" */
#define TICKET_REV_REPLY_BAD_ITEMS  -4   /* "unexpected SCAN items" */

#define TICKET_REV_ROW_OK           0
#define TICKET_REV_ROW_UNREADABLE   1    /* value unreadable: taken as
                                            TICKET_MAX_TIME, fail closed */
#define TICKET_REV_ROW_SKIP         -1   /* no member: nothing to add */


/* an error reply: 1, with its text cut to at most max bytes; else 0 */
int ticket_rev_reply_error(const redisReply *reply, size_t max,
    ticket_str_t *text);

/*
 * XREVRANGE or XRANGE ... COUNT 1: the entry's id in id (data NULL when
 * the stream is empty).  TICKET_REV_REPLY_OK, _BAD, _BAD_ENTRY, _BAD_ID.
 */
int ticket_rev_reply_range_id(const redisReply *reply, ticket_str_t *id);

/* rows of a list's SCAN: member and value (2), or member only (kid: 1) */
size_t ticket_rev_scan_step(ticket_rev_list_t list);

/*
 * ZSCAN, HSCAN or SSCAN of a list: the next cursor (never empty, shorter
 * than cursor_size) and the items.  TICKET_REV_REPLY_OK, _BAD or
 * _BAD_ITEMS (items not whole rows).
 */
int ticket_rev_reply_scan(const redisReply *reply, ticket_rev_list_t list,
    size_t cursor_size, ticket_str_t *cursor, const redisReply **items);

/*
 * The row at items->element[i] (i a multiple of the step) of a checked
 * SCAN reply: its member, and its value (0 for kid).  TICKET_REV_ROW_OK,
 * _UNREADABLE (value TICKET_MAX_TIME: an unreadable value revokes all it
 * could) or _SKIP.
 */
int ticket_rev_reply_scan_row(const redisReply *items,
    ticket_rev_list_t list, size_t i, ticket_str_t *member, int64_t *value);

/*
 * XREAD ... STREAMS KEY ID: the entries of the one stream.
 * TICKET_REV_REPLY_OK, _NIL (nothing arrived) or _BAD.
 */
int ticket_rev_reply_read(const redisReply *reply,
    const redisReply **entries);

/*
 * One entry of an XREAD: [ID, [NAME, VALUE, ...]], its fields decoded
 * by ticket_rev_parse_entry() into e (pointing into the reply) and its
 * result in *rc.  Fields beyond TICKET_REV_READ_FIELDS are not read and
 * set *truncated (no writer sends them: the lists are the truth).
 * TICKET_REV_REPLY_OK, or _BAD_ENTRY for an entry of another shape.
 */
int ticket_rev_reply_entry(const redisReply *entry, ticket_str_t *id,
    ticket_rev_entry_t *e, int *rc, int *truncated);


/*
 * XINFO STREAM KEY (RESP2: name, value, ...), as Redis 7 and 8 and Valkey
 * 8 answer it.  Redis 7 added max-deleted-entry-id and entries-added:
 * with them a reader that holds a position can tell that an entry past it
 * was deleted before it could be read.
 */

typedef struct {
    ticket_str_t            last_id;      /* last-generated-id */
    ticket_str_t            max_deleted;  /* data NULL: not reported */
    int64_t                 added;        /* entries-added; -1: not
                                             reported */
    int64_t                 length;
    ticket_str_t            first_id;     /* data NULL: no entry */
} ticket_rev_stream_info_t;

/* TICKET_REV_REPLY_OK, _BAD or _BAD_ID */
int ticket_rev_reply_stream_info(const redisReply *reply,
    ticket_rev_stream_info_t *info);

/* "ERR no such key": 1, the stream does not exist; else 0 */
int ticket_rev_reply_no_stream(const redisReply *reply);


/*
 * INFO replication: whether the server is a replica and, for a replica,
 * whether its link to the primary is up and how many seconds ago it last
 * heard from it.
 */

typedef struct {
    int                     replica;      /* role:slave */
    int                     link_up;      /* master_link_status:up */
    int64_t                 last_io;      /* master_last_io_seconds_ago;
                                             -1: not reported */
} ticket_rev_replication_t;

/* TICKET_REV_REPLY_OK or _BAD (no role line) */
int ticket_rev_reply_replication(const redisReply *reply,
    ticket_rev_replication_t *repl);


#endif /* TICKET_REV_REDIS_H_INCLUDED_ */
