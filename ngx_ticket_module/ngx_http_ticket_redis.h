
/*
 * ngx_ticket_module: a Redis connection on nginx's event loop, plain or
 * TLS.  Its configuration (ngx_http_ticket_redis_conf_t) is in the types
 * header.
 */

#ifndef _NGX_HTTP_TICKET_REDIS_H_INCLUDED_
#define _NGX_HTTP_TICKET_REDIS_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_event.h>
#include <ngx_event_connect.h>

#include "ngx_http_ticket_types.h"

#include <hiredis/hiredis.h>
#include <ticket_sentinel.h>


typedef struct ngx_http_ticket_redis_s  ngx_http_ticket_redis_t;

typedef void (*ngx_http_ticket_redis_handler_pt)(ngx_http_ticket_redis_t *rd);
typedef void (*ngx_http_ticket_redis_reply_pt)(ngx_http_ticket_redis_t *rd,
    redisReply *reply, void *data);


struct ngx_http_ticket_redis_s {
    ngx_http_ticket_redis_conf_t   *conf;
    ngx_connection_t               *conn;      /* NULL: not connected */
    ngx_log_t                      *log;

    ngx_peer_connection_t           peer;
    ngx_pool_t                     *pool;      /* the connection's */
    redisReader                    *reader;
    ngx_queue_t                     cmds;      /* awaiting their replies */
    u_char                         *out;       /* commands to send */
    size_t                          out_len;
    size_t                          out_sent;
    size_t                          out_size;
    size_t                          reply_bytes;  /* fed since the last
                                                     whole reply */
    ngx_uint_t                      generation;  /* a connection's number */

    ngx_event_t                     deadline;  /* connect and commands */
    ngx_uint_t                      current;   /* address in use */
    ngx_uint_t                      pending;   /* commands awaiting reply */

    /*
     * sentinel=: the server the Sentinel at addrs[current] named: the
     * primary, or for reads one of its replicas (on_replica)
     */
    ngx_http_ticket_redis_addr_t    primary;
    ngx_sockaddr_t                  primary_sa;
    u_char                          primary_name[NGX_SOCKADDR_STRLEN];
    u_char                          primary_host[NGX_SOCKADDR_STRLEN + 1];

    ngx_http_ticket_redis_handler_pt  ready;   /* connected, AUTH, SELECT */
    ngx_http_ticket_redis_handler_pt  down;    /* lost: try again later */
    ngx_http_ticket_redis_reply_pt    push;    /* watching: a message the
                                                  Sentinel published */
    void                           *data;

    unsigned                        is_ready:1;
    unsigned                        is_open:1;   /* TCP and TLS up */
    ngx_uint_t                      asked;     /* Sentinel answers: reads
                                                  go round the servers */

    unsigned                        reads:1;     /* the owner only reads:
                                                    a replica will do */
    unsigned                        on_replica:1;
    unsigned                        asking:1;    /* a Sentinel, not Redis */
    unsigned                        has_primary:1;
    unsigned                        refused:1;   /* AUTH or SELECT refused:
                                                    wait longer */
    unsigned                        watching:1;  /* a Sentinel connection
                                                    SUBSCRIBEd to
                                                    +switch-master */
    unsigned                        switched:1;  /* primary is what a
                                                    +switch-master named,
                                                    at switched_at */
    ngx_msec_t                      switched_at;
};


ngx_int_t ngx_http_ticket_redis_connect(ngx_http_ticket_redis_t *rd);
ngx_int_t ngx_http_ticket_redis_command(ngx_http_ticket_redis_t *rd,
    ngx_http_ticket_redis_reply_pt handler, void *data, ngx_msec_t extra,
    int argc, const char **argv, const size_t *argvlen);
void ngx_http_ticket_redis_close(ngx_http_ticket_redis_t *rd,
    const char *why);
void ngx_http_ticket_redis_switch(ngx_http_ticket_redis_t *rd,
    ticket_sentinel_addr_t *sa);


#endif /* _NGX_HTTP_TICKET_REDIS_H_INCLUDED_ */
