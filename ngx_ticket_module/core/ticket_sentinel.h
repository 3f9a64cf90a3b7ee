
/*
 * Sentinel replies: SENTINEL get-master-addr-by-name, SENTINEL replicas
 * and ROLE, checked on hiredis's plain redisReply.  A Sentinel's answer
 * is bytes from outside like any other reply: the gateway
 * (ngx_http_ticket_redis.c), ticketctl and fuzz_sentinel read them
 * through these; none logs, the caller says what failed.
 */

#ifndef TICKET_SENTINEL_H_INCLUDED_
#define TICKET_SENTINEL_H_INCLUDED_


#include <hiredis/hiredis.h>

#include "ticket_types.h"


#define TICKET_SENTINEL_HOST_LEN    255   /* a DNS name at most */

#define TICKET_SENTINEL_OK          0
#define TICKET_SENTINEL_UNKNOWN     1     /* nil: the Sentinel does not
                                             know that master */
#define TICKET_SENTINEL_BAD         -1    /* not the reply's shape */

#define TICKET_SENTINEL_ROLE_PRIMARY  1
#define TICKET_SENTINEL_ROLE_REPLICA  2   /* "slave" */
#define TICKET_SENTINEL_ROLE_OTHER    0   /* a sentinel, or unknown */


typedef struct {
    ticket_str_t            host;   /* in the reply: not terminated */
    int                     port;
} ticket_sentinel_addr_t;


/*
 * SENTINEL get-master-addr-by-name NAME: the primary's host and port.
 * TICKET_SENTINEL_OK, _UNKNOWN (nil, or an error reply: that Sentinel
 * cannot tell, ask the next) or _BAD.
 */
int ticket_sentinel_master(const redisReply *reply,
    ticket_sentinel_addr_t *addr);

/*
 * SENTINEL replicas NAME: the replicas Sentinel holds for usable (not
 * subjectively or objectively down, not disconnected), at most max of
 * them in addrs.  Their number, or TICKET_SENTINEL_BAD.
 */
int ticket_sentinel_replicas(const redisReply *reply,
    ticket_sentinel_addr_t *addrs, size_t max);

/*
 * ROLE: TICKET_SENTINEL_ROLE_PRIMARY, _ROLE_REPLICA, _ROLE_OTHER or
 * TICKET_SENTINEL_BAD
 */
int ticket_sentinel_role(const redisReply *reply);

/*
 * A subscribed connection's push, ["message", CHANNEL, PAYLOAD], as it
 * comes between the replies to commands (RESP2: a plain array): 1 if
 * reply is one, else 0 (a reply to a command: SUBSCRIBE's, PING's).
 */
int ticket_sentinel_is_message(const redisReply *reply);

/*
 * A +switch-master message, "NAME OLD-IP OLD-PORT NEW-IP NEW-PORT": the
 * new primary of master name (len bytes) in addr.  TICKET_SENTINEL_OK;
 * _UNKNOWN for another channel or another master; _BAD when the payload
 * is not that shape.
 */
int ticket_sentinel_switch(const redisReply *reply, const char *name,
    size_t len, ticket_sentinel_addr_t *addr);

/* a port as Sentinel writes one: 1 to 65535 in decimal, else -1 */
int ticket_sentinel_port(const char *s, size_t len);


#endif /* TICKET_SENTINEL_H_INCLUDED_ */
