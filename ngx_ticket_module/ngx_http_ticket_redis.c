
/*
 * ngx_ticket_module: a Redis connection on nginx's event loop, owned as
 * nginx's upstream owns one: ngx_event_connect_peer(), TLS on nginx's SSL
 * layer (ngx_http_ticket_tls.c), reads and writes on nginx's events and
 * timers.  hiredis only formats commands (redisFormatCommandArgv) and
 * parses replies (redisReader, the parser tests/fuzz/fuzz_revocation.c
 * feeds): its own I/O has no TLS in 0.14 (Debian 12), and one connection
 * code for every platform is one to test.  One nginx timer bounds the
 * connect, the handshake, the setup and every command, so a silent Redis
 * (SIGSTOP) is noticed as surely as a closed socket.  Addresses are
 * numeric by the time they get here (resolved at configuration load), so
 * no lookup ever blocks.
 *
 * With sentinel=NAME the addresses are Sentinels: the one at
 * addrs[current] is asked for NAME's primary (SENTINEL
 * get-master-addr-by-name, read by core/ticket_sentinel.c), the Sentinel
 * connection closed, and the primary connected to and asked its ROLE, so
 * that a server Sentinel no longer holds for the primary (one that came
 * back after a failover) is never taken for it.  The primary is forgotten
 * on every loss and on a READONLY reply: the next connect asks again.
 * An owner that only reads (the revocation sync: rd->reads) also asks
 * SENTINEL replicas NAME and goes round the replicas and then the
 * primary, one a connection, so that a fleet of gateways reads from the
 * replicas; a replica's ROLE must then say "slave" (a restarted, empty
 * server saying "master" is never read from), and the sync trusts it only
 * while INFO says it replicates.
 * A failover reaches us that way without a subscription: Sentinel ends
 * the old primary's clients (CLIENT KILL TYPE normal) when it turns it
 * into a replica, and a primary that died closes or times out.  A
 * Sentinel that does not answer, or does not know NAME, passes the turn
 * to the next one.
 *
 * hiredis 0.14 and 1.x differ here in one thing: redisFormatCommandArgv()
 * returns an int in 0.14, a long long from 1.0 (held in a long long).
 */


#include "ngx_http_ticket_redis.h"
#include "ngx_http_ticket_tls.h"

#include <ticket_sentinel.h>


#define NGX_HTTP_TICKET_REDIS_READ    16384

/*
 * What a Redis server can make a worker do is bounded, since hiredis's
 * reader (0.14) is not: no reply the gateway asks for comes near 4 MB
 * (a scan's page of 1,000 rows, an XREAD of 1,000 entries, INFO), so one
 * that grows past it is hostile or broken, and the connection is closed
 * before it holds the worker's memory (a declared "$4000000000" bulk, an
 * array of millions of ":1").  And one read event takes at most 1 MB,
 * then yields to the event loop, so timers (the command timeout among
 * them) and requests run while a server floods the socket.
 */

#define NGX_HTTP_TICKET_REDIS_REPLY_MAX   (4 * 1024 * 1024)
#define NGX_HTTP_TICKET_REDIS_BUDGET      (1024 * 1024)


typedef struct {
    ngx_queue_t                     queue;
    ngx_http_ticket_redis_reply_pt  handler;
    void                           *data;
} ngx_http_ticket_redis_cmd_t;


static void ngx_http_ticket_redis_connected(ngx_event_t *ev);
static void ngx_http_ticket_redis_handshaked(ngx_connection_t *c);
static void ngx_http_ticket_redis_open(ngx_http_ticket_redis_t *rd);
static void ngx_http_ticket_redis_read_handler(ngx_event_t *ev);
static void ngx_http_ticket_redis_write_handler(ngx_event_t *ev);
static void ngx_http_ticket_redis_deadline_handler(ngx_event_t *ev);
static ngx_int_t ngx_http_ticket_redis_append(ngx_http_ticket_redis_t *rd,
    int argc, const char **argv, const size_t *argvlen);
static void ngx_http_ticket_redis_clean_text(redisReply *reply);
static void ngx_http_ticket_redis_dispatch(ngx_http_ticket_redis_t *rd,
    redisReply *reply);
static void ngx_http_ticket_redis_setup(ngx_http_ticket_redis_t *rd);
static void ngx_http_ticket_redis_setup_reply(ngx_http_ticket_redis_t *rd,
    redisReply *reply, void *data);
static void ngx_http_ticket_redis_teardown(ngx_http_ticket_redis_t *rd);
static void ngx_http_ticket_redis_lost(ngx_http_ticket_redis_t *rd);
static void ngx_http_ticket_redis_next(ngx_http_ticket_redis_t *rd);
static void ngx_http_ticket_redis_ask(ngx_http_ticket_redis_t *rd);
static void ngx_http_ticket_redis_subscribe(ngx_http_ticket_redis_t *rd);
static void ngx_http_ticket_redis_subscribed(ngx_http_ticket_redis_t *rd,
    redisReply *reply, void *data);
static void ngx_http_ticket_redis_master_reply(ngx_http_ticket_redis_t *rd,
    redisReply *reply, void *data);
static void ngx_http_ticket_redis_replicas_reply(
    ngx_http_ticket_redis_t *rd, redisReply *reply, void *data);
static void ngx_http_ticket_redis_follow(ngx_http_ticket_redis_t *rd);
static ngx_int_t ngx_http_ticket_redis_set_primary(
    ngx_http_ticket_redis_t *rd, ticket_sentinel_addr_t *sa);
static void ngx_http_ticket_redis_role_reply(ngx_http_ticket_redis_t *rd,
    redisReply *reply, void *data);
static ngx_http_ticket_redis_addr_t *ngx_http_ticket_redis_addr(
    ngx_http_ticket_redis_t *rd);


/* how long what a +switch-master named is used without asking again */
#define NGX_HTTP_TICKET_REDIS_SWITCH_FRESH  2000   /* ms */


/* the setup commands' replies: data says which */

static char  ngx_http_ticket_redis_auth[] = "AUTH";
static char  ngx_http_ticket_redis_select[] = "SELECT";
static char  ngx_http_ticket_redis_ping[] = "PING";
static char  ngx_http_ticket_redis_role[] = "ROLE";


ngx_int_t
ngx_http_ticket_redis_connect(ngx_http_ticket_redis_t *rd)
{
    ngx_int_t                      rc;
    ngx_connection_t              *c;
    ngx_http_ticket_redis_addr_t  *addr;

    if (rd->conn != NULL) {
        return NGX_OK;
    }

    /*
     * What +switch-master named is for the connection made at once (the
     * sync's, within its retry); later (a writer's next write may be days
     * away, and its watcher gone) the Sentinels are asked again.
     */

    if (rd->switched) {
        rd->switched = 0;

        if (ngx_current_msec - rd->switched_at
            > NGX_HTTP_TICKET_REDIS_SWITCH_FRESH)
        {
            rd->has_primary = 0;
        }
    }

    rd->asking = (rd->conf->sentinel.len
                  && (rd->watching || !rd->has_primary));

    addr = ngx_http_ticket_redis_addr(rd);

    rd->pool = ngx_create_pool(1024, rd->log);
    if (rd->pool == NULL) {
        return NGX_ERROR;
    }

    rd->reader = redisReaderCreate();
    if (rd->reader == NULL) {
        ngx_http_ticket_redis_teardown(rd);
        return NGX_ERROR;
    }

    ngx_queue_init(&rd->cmds);
    rd->out_len = 0;
    rd->out_sent = 0;
    rd->reply_bytes = 0;
    rd->pending = 0;
    rd->is_ready = 0;
    rd->is_open = 0;
    rd->refused = 0;
    rd->generation++;

    rd->deadline.handler = ngx_http_ticket_redis_deadline_handler;
    rd->deadline.data = rd;
    rd->deadline.log = rd->log;
    rd->deadline.cancelable = 1;

    ngx_memzero(&rd->peer, sizeof(ngx_peer_connection_t));
    rd->peer.sockaddr = addr->addr.sockaddr;
    rd->peer.socklen = addr->addr.socklen;
    rd->peer.name = &addr->name;
    rd->peer.get = ngx_event_get_peer;
    rd->peer.log = rd->log;
    rd->peer.log_error = NGX_ERROR_ERR;

    rc = ngx_event_connect_peer(&rd->peer);

    if (rc == NGX_ERROR || rc == NGX_BUSY || rc == NGX_DECLINED) {
        /* ngx_event_connect_peer() logged why */
        ngx_log_error(NGX_LOG_ERR, rd->log, 0,
                      "ticket redis \"%V\": connect failed", &addr->name);
        ngx_http_ticket_redis_teardown(rd);
        ngx_http_ticket_redis_next(rd);
        return NGX_ERROR;
    }

    c = rd->peer.connection;
    c->data = rd;
    c->pool = rd->pool;
    c->read->handler = ngx_http_ticket_redis_connected;
    c->write->handler = ngx_http_ticket_redis_connected;

    rd->conn = c;

    ngx_add_timer(&rd->deadline, rd->conf->timeout);

    /*
     * Connected at once (a unix socket): on from the event loop, so the
     * caller hears later either way; else the write event tells.
     */

    if (rc == NGX_OK) {
        ngx_post_event(c->write, &ngx_posted_events);
    }

    return NGX_OK;
}


ngx_int_t
ngx_http_ticket_redis_command(ngx_http_ticket_redis_t *rd,
    ngx_http_ticket_redis_reply_pt handler, void *data, ngx_msec_t extra,
    int argc, const char **argv, const size_t *argvlen)
{
    ngx_http_ticket_redis_cmd_t  *cmd;

    if (rd->conn == NULL) {
        return NGX_ERROR;
    }

    cmd = ngx_alloc(sizeof(ngx_http_ticket_redis_cmd_t), rd->log);
    if (cmd == NULL) {
        return NGX_ERROR;
    }

    if (ngx_http_ticket_redis_append(rd, argc, argv, argvlen) != NGX_OK) {
        ngx_free(cmd);
        return NGX_ERROR;
    }

    cmd->handler = handler;
    cmd->data = data;

    ngx_queue_insert_tail(&rd->cmds, &cmd->queue);

    rd->pending++;

    /* a command in flight extends the deadline; a silent server gets none */

    ngx_add_timer(&rd->deadline, rd->conf->timeout + extra);

    /* sent from the event loop, never from inside the caller */

    if (rd->is_open) {
        ngx_post_event(rd->conn->write, &ngx_posted_events);
    }

    return NGX_OK;
}


/*
 * Drop the connection; the owner hears of it through rd->down and decides
 * when to try again.  Safe inside a reply handler: the read loop checks
 * the connection's generation after each reply.
 */

void
ngx_http_ticket_redis_close(ngx_http_ticket_redis_t *rd, const char *why)
{
    if (rd->conn == NULL) {
        return;
    }

    if (why != NULL) {
        ngx_log_error(NGX_LOG_ERR, rd->log, 0, "ticket redis \"%V\": %s",
                      &ngx_http_ticket_redis_addr(rd)->name, why);
    }

    ngx_http_ticket_redis_teardown(rd);
    ngx_http_ticket_redis_lost(rd);
}


static void
ngx_http_ticket_redis_connected(ngx_event_t *ev)
{
    int                            err;
    socklen_t                      len;
    ngx_int_t                      rc;
    ngx_connection_t              *c;
    ngx_http_ticket_redis_t       *rd;
    ngx_http_ticket_redis_addr_t  *addr;

    c = ev->data;
    rd = c->data;
    addr = ngx_http_ticket_redis_addr(rd);

    err = 0;
    len = sizeof(int);

    if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, (void *) &err, &len) == -1) {
        err = ngx_socket_errno;
    }

    if (err) {
        ngx_log_error(NGX_LOG_ERR, rd->log, err,
                      "ticket redis \"%V\": connect failed", &addr->name);
        ngx_http_ticket_redis_close(rd, NULL);
        return;
    }

    if (rd->conf->ssl == NULL) {
        ngx_http_ticket_redis_open(rd);
        return;
    }

    if (ngx_http_ticket_tls_connection(rd->conf->ssl, c, &addr->tls_name)
        != NGX_OK)
    {
        ngx_http_ticket_redis_close(rd, "cannot start TLS");
        return;
    }

    rc = ngx_ssl_handshake(c);

    if (rc == NGX_AGAIN) {
        c->ssl->handler = ngx_http_ticket_redis_handshaked;
        return;
    }

    ngx_http_ticket_redis_handshaked(c);
}


static void
ngx_http_ticket_redis_handshaked(ngx_connection_t *c)
{
    long                      v;
    u_char                    buf[160];
    const char               *why;
    ngx_http_ticket_redis_t  *rd;

    rd = c->data;

    /* a certificate that does not verify is not fixed by asking again */

    rd->refused = 1;

    if (!c->ssl->handshaked) {
        v = SSL_get_verify_result(c->ssl->connection);

        if (v != X509_V_OK) {
            ngx_snprintf(buf, sizeof(buf), "TLS handshake failed: "
                         "certificate not verified: %s%Z",
                         X509_verify_cert_error_string(v));
            ngx_http_ticket_redis_close(rd, (char *) buf);
            return;
        }

        ngx_http_ticket_redis_close(rd, "TLS handshake failed");
        return;
    }

    why = ngx_http_ticket_tls_unverified(c);

    if (why != NULL) {
        ngx_snprintf(buf, sizeof(buf), "certificate not verified: %s%Z",
                     why);
        ngx_http_ticket_redis_close(rd, (char *) buf);
        return;
    }

    rd->refused = 0;

    ngx_http_ticket_redis_open(rd);
}


/* TCP (and TLS) up: the setup commands go first */

static void
ngx_http_ticket_redis_open(ngx_http_ticket_redis_t *rd)
{
    ngx_connection_t  *c;

    c = rd->conn;

    c->read->handler = ngx_http_ticket_redis_read_handler;
    c->write->handler = ngx_http_ticket_redis_write_handler;

    rd->is_open = 1;

    ngx_http_ticket_redis_setup(rd);
}


static void
ngx_http_ticket_redis_read_handler(ngx_event_t *ev)
{
    char                      buf[NGX_HTTP_TICKET_REDIS_READ];
    void                     *reply;
    size_t                    budget;
    ssize_t                   n;
    ngx_uint_t                generation;
    ngx_connection_t         *c;
    ngx_http_ticket_redis_t  *rd;

    c = ev->data;
    rd = c->data;
    generation = rd->generation;
    budget = NGX_HTTP_TICKET_REDIS_BUDGET;

    /* until the socket is drained: nginx's events are edge-triggered */

    for ( ;; ) {
        if (budget == 0) {
            /* the rest on the next turn of the event loop */
            ngx_post_event(ev, &ngx_posted_events);
            return;
        }

        n = c->recv(c, (u_char *) buf, sizeof(buf));

        if (n == NGX_AGAIN) {
            if (ngx_handle_read_event(ev, 0) != NGX_OK) {
                ngx_http_ticket_redis_close(rd, "cannot add read event");
            }

            return;
        }

        if (n == 0) {
            ngx_http_ticket_redis_close(rd, "connection closed by the "
                                            "server");
            return;
        }

        if (n == NGX_ERROR) {
            ngx_http_ticket_redis_close(rd, "connection lost");
            return;
        }

        budget -= ngx_min(budget, (size_t) n);
        rd->reply_bytes += n;

        if (redisReaderFeed(rd->reader, buf, n) != REDIS_OK) {
            ngx_http_ticket_redis_close(rd, "out of memory");
            return;
        }

        for ( ;; ) {
            reply = NULL;

            if (redisReaderGetReply(rd->reader, &reply) != REDIS_OK) {
                ngx_snprintf((u_char *) buf, sizeof(buf),
                             "protocol error: %s%Z", rd->reader->errstr);
                ngx_http_ticket_redis_close(rd, buf);
                return;
            }

            if (reply == NULL) {
                break;
            }

            /* what is fed beyond it belongs to the replies after it */

            rd->reply_bytes = rd->reader->len - rd->reader->pos;

            ngx_http_ticket_redis_clean_text(reply);

            ngx_http_ticket_redis_dispatch(rd, reply);

            /* a handler may have closed it, or closed and opened anew */

            if (rd->conn == NULL || rd->generation != generation) {
                return;
            }
        }

        if (rd->reply_bytes > NGX_HTTP_TICKET_REDIS_REPLY_MAX) {
            ngx_http_ticket_redis_close(rd, "a reply larger than 4 MB");
            return;
        }
    }
}


/*
 * An error's or a status's text is the server's words, and it goes to the
 * error log the SOC reads (WRONGPASS, NOPERM...): a control byte in it
 * (a bare LF making a line of its own) is a "?" there.  No caller reads
 * such a text as data, only its first word.
 */

static void
ngx_http_ticket_redis_clean_text(redisReply *reply)
{
    size_t  i;

    if ((reply->type != REDIS_REPLY_ERROR
         && reply->type != REDIS_REPLY_STATUS)
        || reply->str == NULL)
    {
        return;
    }

    for (i = 0; i < (size_t) reply->len; i++) {
        if ((u_char) reply->str[i] < 0x20 || reply->str[i] == 0x7f) {
            reply->str[i] = '?';
        }
    }
}


static void
ngx_http_ticket_redis_dispatch(ngx_http_ticket_redis_t *rd,
    redisReply *reply)
{
    void                            *data;
    ngx_uint_t                       generation, readonly;
    ngx_queue_t                     *q;
    ngx_http_ticket_redis_cmd_t     *cmd;
    ngx_http_ticket_redis_reply_pt   handler;

    /* a subscribed connection: what the Sentinel published, not a reply */

    if (rd->watching && ticket_sentinel_is_message(reply)) {
        rd->push(rd, reply, rd->data);
        freeReplyObject(reply);
        return;
    }

    if (ngx_queue_empty(&rd->cmds)) {
        freeReplyObject(reply);
        ngx_http_ticket_redis_close(rd, "a reply to no command");
        return;
    }

    q = ngx_queue_head(&rd->cmds);
    cmd = ngx_queue_data(q, ngx_http_ticket_redis_cmd_t, queue);
    ngx_queue_remove(q);

    handler = cmd->handler;
    data = cmd->data;

    ngx_free(cmd);

    if (rd->pending) {
        rd->pending--;
    }

    if (rd->pending == 0 && rd->deadline.timer_set) {
        ngx_del_timer(&rd->deadline);
    }

    /*
     * READONLY: the server Sentinel named is a replica now (a failover
     * while this connection stayed up); the primary is asked for again
     */

    readonly = (rd->conf->sentinel.len && !rd->asking
                && reply->type == REDIS_REPLY_ERROR && reply->len >= 8
                && ngx_strncmp(reply->str, "READONLY", 8) == 0);

    generation = rd->generation;

    handler(rd, reply, data);

    freeReplyObject(reply);

    if (readonly && rd->conn != NULL && rd->generation == generation) {
        ngx_http_ticket_redis_close(rd, "READONLY: no longer the primary, "
                                        "asking the Sentinels again");
    }
}


static void
ngx_http_ticket_redis_write_handler(ngx_event_t *ev)
{
    ssize_t                   n;
    ngx_connection_t         *c;
    ngx_http_ticket_redis_t  *rd;

    c = ev->data;
    rd = c->data;

    while (rd->out_sent < rd->out_len) {
        n = c->send(c, rd->out + rd->out_sent, rd->out_len - rd->out_sent);

        if (n == NGX_AGAIN) {
            if (ngx_handle_write_event(ev, 0) != NGX_OK) {
                ngx_http_ticket_redis_close(rd, "cannot add write event");
            }

            return;
        }

        if (n <= 0) {
            ngx_http_ticket_redis_close(rd, "connection lost");
            return;
        }

        rd->out_sent += n;
    }

    /* sent: the bytes wiped, an AUTH's password among them */

    if (rd->out_len) {
        ngx_explicit_memzero(rd->out, rd->out_len);
        rd->out_len = 0;
        rd->out_sent = 0;
    }

    if (ngx_handle_write_event(ev, 0) != NGX_OK) {
        ngx_http_ticket_redis_close(rd, "cannot add write event");
    }
}


static void
ngx_http_ticket_redis_deadline_handler(ngx_event_t *ev)
{
    ngx_http_ticket_redis_t  *rd = ev->data;

    ngx_http_ticket_redis_close(rd,
                                rd->is_ready ? "timed out"
                                : rd->is_open ? "setup timed out"
                                : rd->conf->ssl ? "connect or TLS handshake "
                                                  "timed out"
                                : "connect timed out");
}


/* the command formatted by hiredis, copied after what is not sent yet */

static ngx_int_t
ngx_http_ticket_redis_append(ngx_http_ticket_redis_t *rd, int argc,
    const char **argv, const size_t *argvlen)
{
    char       *cmd;
    u_char     *out;
    size_t      size, unsent;
    long long   n;

    n = redisFormatCommandArgv(&cmd, argc, argv, argvlen);

    if (n < 0) {
        return NGX_ERROR;
    }

    if (rd->out_len + n > rd->out_size) {
        unsent = rd->out_len - rd->out_sent;
        size = ngx_max(4096, 2 * (unsent + n));

        out = ngx_alloc(size, rd->log);
        if (out == NULL) {
            ngx_explicit_memzero(cmd, n);
            redisFreeCommand(cmd);
            return NGX_ERROR;
        }

        /* a TLS write in progress may move (SSL_MODE_ACCEPT_MOVING...) */

        if (rd->out != NULL) {
            ngx_memcpy(out, rd->out + rd->out_sent, unsent);
            ngx_explicit_memzero(rd->out, rd->out_size);
            ngx_free(rd->out);
        }

        rd->out = out;
        rd->out_size = size;
        rd->out_len = unsent;
        rd->out_sent = 0;
    }

    ngx_memcpy(rd->out + rd->out_len, cmd, n);
    rd->out_len += n;

    ngx_explicit_memzero(cmd, n);
    redisFreeCommand(cmd);

    return NGX_OK;
}


/*
 * AUTH (with the username: an ACL user, Redis 6 and later), SELECT, and
 * a PING whose answer says the connection is ready for the owner.
 */

static void
ngx_http_ticket_redis_setup(ngx_http_ticket_redis_t *rd)
{
    int                            argc;
    char                           db[NGX_INT_T_LEN];
    size_t                         argvlen[3];
    const char                    *argv[3];
    ngx_http_ticket_redis_conf_t  *conf;

    conf = rd->conf;

    if (conf->password.len) {
        argc = 0;
        argv[argc] = "AUTH";
        argvlen[argc++] = 4;

        if (conf->username.len) {
            argv[argc] = (const char *) conf->username.data;
            argvlen[argc++] = conf->username.len;
        }

        argv[argc] = (const char *) conf->password.data;
        argvlen[argc++] = conf->password.len;

        if (ngx_http_ticket_redis_command(rd,
                                          ngx_http_ticket_redis_setup_reply,
                                          ngx_http_ticket_redis_auth, 0,
                                          argc, argv, argvlen)
            != NGX_OK)
        {
            goto failed;
        }
    }

    if (rd->asking) {
        if (rd->watching) {
            ngx_http_ticket_redis_subscribe(rd);

        } else {
            ngx_http_ticket_redis_ask(rd);
        }

        return;
    }

    if (conf->db) {
        argv[0] = "SELECT";
        argvlen[0] = 6;
        argv[1] = db;
        argvlen[1] = ngx_sprintf((u_char *) db, "%i", conf->db)
                     - (u_char *) db;

        if (ngx_http_ticket_redis_command(rd,
                                          ngx_http_ticket_redis_setup_reply,
                                          ngx_http_ticket_redis_select, 0,
                                          2, argv, argvlen)
            != NGX_OK)
        {
            goto failed;
        }
    }

    if (conf->sentinel.len) {
        argv[0] = "ROLE";
        argvlen[0] = 4;

        if (ngx_http_ticket_redis_command(rd,
                                          ngx_http_ticket_redis_role_reply,
                                          ngx_http_ticket_redis_role, 0, 1,
                                          argv, argvlen)
            != NGX_OK)
        {
            goto failed;
        }
    }

    argv[0] = "PING";
    argvlen[0] = 4;

    if (ngx_http_ticket_redis_command(rd, ngx_http_ticket_redis_setup_reply,
                                      ngx_http_ticket_redis_ping, 0, 1,
                                      argv, argvlen)
        == NGX_OK)
    {
        return;
    }

failed:

    ngx_http_ticket_redis_close(rd, "cannot send setup commands");
}


static void
ngx_http_ticket_redis_setup_reply(ngx_http_ticket_redis_t *rd,
    redisReply *reply, void *data)
{
    char  *what = data;

    if (reply->type == REDIS_REPLY_ERROR
        && what == ngx_http_ticket_redis_auth && rd->asking
        && ngx_strnstr((u_char *) reply->str,
                       "without any password configured", reply->len)
           != NULL)
    {
        /*
         * a Sentinel without a password (most are: the password is the
         * primary's, sentinel=NAME shares it): asked without AUTH
         */

        ngx_log_error(NGX_LOG_INFO, rd->log, 0,
                      "ticket redis sentinel \"%V\" has no password: "
                      "asked without AUTH",
                      &ngx_http_ticket_redis_addr(rd)->name);
        return;
    }

    if (reply->type == REDIS_REPLY_ERROR) {

        /*
         * WRONGPASS, NOAUTH, NOPERM: Redis's own words, the ACL's reason
         * among them; asking again at once would only repeat them
         */

        ngx_log_error(NGX_LOG_ERR, rd->log, 0,
                      "ticket redis \"%V\": %s refused: %*s",
                      &ngx_http_ticket_redis_addr(rd)->name, what,
                      ngx_min(reply->len, 200), reply->str);
        rd->refused = 1;
        ngx_http_ticket_redis_close(rd, NULL);
        return;
    }

    if (what != ngx_http_ticket_redis_ping) {
        return;
    }

    rd->is_ready = 1;

    if (rd->ready) {
        rd->ready(rd);
    }
}


/* everything of one connection freed; the owner is not told here */

static void
ngx_http_ticket_redis_teardown(ngx_http_ticket_redis_t *rd)
{
    ngx_queue_t                  *q;
    ngx_connection_t             *c;
    ngx_http_ticket_redis_cmd_t  *cmd;

    c = rd->conn;

    if (c != NULL) {
        if (c->ssl) {
            c->ssl->no_wait_shutdown = 1;
            c->ssl->no_send_shutdown = 1;
            (void) ngx_ssl_shutdown(c);
        }

        ngx_close_connection(c);

        rd->conn = NULL;
        rd->peer.connection = NULL;
    }

    /* the commands in flight are dropped: their owner hears rd->down */

    if (rd->cmds.next != NULL) {
        while (!ngx_queue_empty(&rd->cmds)) {
            q = ngx_queue_head(&rd->cmds);
            cmd = ngx_queue_data(q, ngx_http_ticket_redis_cmd_t, queue);
            ngx_queue_remove(q);
            ngx_free(cmd);
        }
    }

    if (rd->reader != NULL) {
        redisReaderFree(rd->reader);
        rd->reader = NULL;
    }

    if (rd->out != NULL) {
        ngx_explicit_memzero(rd->out, rd->out_size);
        ngx_free(rd->out);
        rd->out = NULL;
    }

    rd->out_size = 0;
    rd->out_len = 0;
    rd->out_sent = 0;

    if (rd->pool != NULL) {
        ngx_destroy_pool(rd->pool);
        rd->pool = NULL;
    }

    rd->is_open = 0;
}


static void
ngx_http_ticket_redis_lost(ngx_http_ticket_redis_t *rd)
{
    rd->pending = 0;

    if (rd->deadline.timer_set) {
        ngx_del_timer(&rd->deadline);
    }

    /*
     * An address that failed to connect: the next one, a replica may
     * answer.  A connection lost after it was ready: the addresses again
     * in order, so that the primary is preferred as soon as it is back.
     */

    if (rd->is_ready && rd->conf->sentinel.len == 0) {
        rd->current = 0;

    } else {
        ngx_http_ticket_redis_next(rd);
    }

    rd->is_ready = 0;

    if (rd->down) {
        rd->down(rd);
    }
}


/*
 * The next address to try after a failure.  With sentinel=: a Sentinel
 * that failed passes the turn on; a primary that failed is forgotten,
 * and the same Sentinel asked again (it learns of a failover first).
 */

static void
ngx_http_ticket_redis_next(ngx_http_ticket_redis_t *rd)
{
    if (rd->conf->sentinel.len == 0 || rd->asking) {
        rd->current++;
    }

    rd->has_primary = 0;
}


static void
ngx_http_ticket_redis_ask(ngx_http_ticket_redis_t *rd)
{
    size_t       argvlen[3];
    const char  *argv[3];

    argv[0] = "SENTINEL";
    argvlen[0] = 8;
    argv[1] = "get-master-addr-by-name";
    argvlen[1] = 23;
    argv[2] = (const char *) rd->conf->sentinel.data;
    argvlen[2] = rd->conf->sentinel.len;

    if (ngx_http_ticket_redis_command(rd, ngx_http_ticket_redis_master_reply,
                                      NULL, 0, 3, argv, argvlen)
        != NGX_OK)
    {
        ngx_http_ticket_redis_close(rd, "cannot send SENTINEL command");
    }
}


/*
 * A watching connection hears of failovers as they happen: a primary
 * that Sentinel could not demote (cut off from the Sentinels, but not
 * from this gateway) would otherwise go on answering ROLE "master" and
 * be read, or written to, while the revocations go to the new one.
 */

static void
ngx_http_ticket_redis_subscribe(ngx_http_ticket_redis_t *rd)
{
    size_t       argvlen[2];
    const char  *argv[2];

    argv[0] = "SUBSCRIBE";
    argvlen[0] = 9;
    argv[1] = "+switch-master";
    argvlen[1] = 14;

    if (ngx_http_ticket_redis_command(rd, ngx_http_ticket_redis_subscribed,
                                      NULL, 0, 2, argv, argvlen)
        != NGX_OK)
    {
        ngx_http_ticket_redis_close(rd, "cannot send SUBSCRIBE");
    }
}


static void
ngx_http_ticket_redis_subscribed(ngx_http_ticket_redis_t *rd,
    redisReply *reply, void *data)
{
    redisReply  *kind;

    if (reply->type == REDIS_REPLY_ERROR) {
        ngx_log_error(NGX_LOG_ERR, rd->log, 0,
                      "ticket redis sentinel \"%V\": SUBSCRIBE refused: %*s",
                      &ngx_http_ticket_redis_addr(rd)->name,
                      ngx_min(reply->len, 200), reply->str);
        rd->refused = 1;
        ngx_http_ticket_redis_close(rd, NULL);
        return;
    }

    kind = (reply->type == REDIS_REPLY_ARRAY && reply->elements == 3
            && reply->element != NULL) ? reply->element[0] : NULL;

    if (kind == NULL || kind->type != REDIS_REPLY_STRING || kind->len != 9
        || ngx_strncmp(kind->str, "subscribe", 9) != 0)
    {
        ngx_http_ticket_redis_close(rd, "unexpected SUBSCRIBE reply");
        return;
    }

    rd->is_ready = 1;

    if (rd->ready) {
        rd->ready(rd);
    }
}


/*
 * +switch-master heard: the connection goes, and the next one is made to
 * the primary the message names (not to a Sentinel, which may not have
 * heard yet).  The owner hears rd->down as for any connection lost.
 */

void
ngx_http_ticket_redis_switch(ngx_http_ticket_redis_t *rd,
    ticket_sentinel_addr_t *sa)
{
    ngx_int_t    rc;
    ngx_addr_t   a;
    ngx_pool_t  *pool;

    if (rd->conn == NULL) {
        /* its next connection asks a Sentinel */
        return;
    }

    /*
     * On that primary already: the message repeated, nothing to do (a
     * pool of its own, so that a flood of them holds no memory)
     */

    if (rd->has_primary && !rd->asking && !rd->on_replica) {
        pool = ngx_create_pool(256, rd->log);
        if (pool == NULL) {
            return;
        }

        rc = ngx_parse_addr(pool, &a, (u_char *) sa->host.data,
                            sa->host.len);

        if (rc == NGX_OK) {
            ngx_inet_set_port(a.sockaddr, (in_port_t) sa->port);
            rc = ngx_cmp_sockaddr(a.sockaddr, a.socklen,
                                  rd->primary.addr.sockaddr,
                                  rd->primary.addr.socklen, 1);
        }

        ngx_destroy_pool(pool);

        if (rc == NGX_OK) {
            return;
        }
    }

    ngx_log_error(NGX_LOG_WARN, rd->log, 0,
                  "ticket redis \"%V\": +switch-master: the primary of "
                  "\"%V\" is now %*s:%d, following it",
                  &ngx_http_ticket_redis_addr(rd)->name, &rd->conf->sentinel,
                  ngx_min(sa->host.len, 200), sa->host.data, sa->port);

    /* the address is parsed with the connection's pool, kept in rd */

    rc = ngx_http_ticket_redis_set_primary(rd, sa);

    ngx_http_ticket_redis_close(rd, NULL);

    if (rc == NGX_OK && rd->conn == NULL) {
        rd->has_primary = 1;
        rd->on_replica = 0;
        rd->switched = 1;
        rd->switched_at = ngx_current_msec;
    }
}


static void
ngx_http_ticket_redis_master_reply(ngx_http_ticket_redis_t *rd,
    redisReply *reply, void *data)
{
    size_t                         argvlen[3];
    ngx_int_t                      rc;
    const char                    *argv[3];
    ngx_http_ticket_redis_addr_t  *sentinel;
    ticket_sentinel_addr_t         sa;

    sentinel = ngx_http_ticket_redis_addr(rd);

    rc = ticket_sentinel_master(reply, &sa);

    if (rc == TICKET_SENTINEL_UNKNOWN) {
        ngx_log_error(NGX_LOG_ERR, rd->log, 0,
                      "ticket redis sentinel \"%V\" does not name a primary "
                      "for \"%V\"%s%*s", &sentinel->name, &rd->conf->sentinel,
                      reply->type == REDIS_REPLY_ERROR ? ": " : "",
                      reply->type == REDIS_REPLY_ERROR
                      ? ngx_min(reply->len, 200) : 0,
                      reply->type == REDIS_REPLY_ERROR ? reply->str : "");
        ngx_http_ticket_redis_close(rd, NULL);
        return;
    }

    if (rc != TICKET_SENTINEL_OK
        || ngx_http_ticket_redis_set_primary(rd, &sa) != NGX_OK)
    {
        ngx_http_ticket_redis_close(rd, "unexpected SENTINEL "
                                        "get-master-addr-by-name reply");
        return;
    }

    ngx_log_error(NGX_LOG_INFO, rd->log, 0,
                  "ticket redis sentinel \"%V\": the primary of \"%V\" is %V",
                  &sentinel->name, &rd->conf->sentinel, &rd->primary.name);

    rd->on_replica = 0;

    if (rd->reads) {
        argv[0] = "SENTINEL";
        argvlen[0] = 8;
        argv[1] = "replicas";
        argvlen[1] = 8;
        argv[2] = (const char *) rd->conf->sentinel.data;
        argvlen[2] = rd->conf->sentinel.len;

        if (ngx_http_ticket_redis_command(rd,
                                          ngx_http_ticket_redis_replicas_reply,
                                          NULL, 0, 3, argv, argvlen)
            != NGX_OK)
        {
            ngx_http_ticket_redis_close(rd, "cannot send SENTINEL command");
        }

        return;
    }

    ngx_http_ticket_redis_follow(rd);
}


/*
 * The replicas Sentinel holds for usable, then the primary: one of them
 * a connection, in turn.
 */

#define NGX_HTTP_TICKET_REDIS_REPLICAS  8

static void
ngx_http_ticket_redis_replicas_reply(ngx_http_ticket_redis_t *rd,
    redisReply *reply, void *data)
{
    int                     n;
    ngx_uint_t              i;
    ticket_sentinel_addr_t  ra[NGX_HTTP_TICKET_REDIS_REPLICAS];

    n = ticket_sentinel_replicas(reply, ra, NGX_HTTP_TICKET_REDIS_REPLICAS);

    if (n < 0) {
        /* reads from the primary, as without replicas */
        ngx_log_error(NGX_LOG_WARN, rd->log, 0,
                      "ticket redis sentinel: unexpected SENTINEL replicas "
                      "reply, reading from the primary");
        n = 0;
    }

    i = rd->asked++ % (n + 1);

    if ((int) i < n) {
        if (ngx_http_ticket_redis_set_primary(rd, &ra[i]) != NGX_OK) {
            ngx_http_ticket_redis_close(rd, "unexpected SENTINEL replicas "
                                            "reply");
            return;
        }

        rd->on_replica = 1;

        ngx_log_error(NGX_LOG_INFO, rd->log, 0,
                      "ticket redis sentinel: reading from the replica %V",
                      &rd->primary.name);
    }

    ngx_http_ticket_redis_follow(rd);
}


/* the Sentinel's connection ends here, the owner not told; Redis's next */

static void
ngx_http_ticket_redis_follow(ngx_http_ticket_redis_t *rd)
{
    ngx_http_ticket_redis_teardown(rd);

    rd->pending = 0;

    if (rd->deadline.timer_set) {
        ngx_del_timer(&rd->deadline);
    }

    rd->has_primary = 1;

    if (ngx_http_ticket_redis_connect(rd) != NGX_OK) {
        rd->is_ready = 0;

        if (rd->down) {
            rd->down(rd);
        }
    }
}


/*
 * A numeric address only: Sentinel sends the IP it knows the primary by
 * unless told "resolve-hostnames yes", and a lookup would block.
 */

static ngx_int_t
ngx_http_ticket_redis_set_primary(ngx_http_ticket_redis_t *rd,
    ticket_sentinel_addr_t *sa)
{
    size_t                          len;
    ngx_addr_t                      a;
    ngx_http_ticket_redis_addr_t   *p;

    if (ngx_parse_addr(rd->pool, &a, (u_char *) sa->host.data, sa->host.len)
        != NGX_OK
        || a.socklen > sizeof(ngx_sockaddr_t))
    {
        ngx_log_error(NGX_LOG_ERR, rd->log, 0,
                      "ticket redis sentinel: primary \"%*s\" is not an IP "
                      "address (set \"resolve-hostnames no\")",
                      ngx_min(sa->host.len, 200), sa->host.data);
        return NGX_ERROR;
    }

    ngx_memcpy(&rd->primary_sa, a.sockaddr, a.socklen);
    ngx_inet_set_port(&rd->primary_sa.sockaddr, (in_port_t) sa->port);

    p = &rd->primary;

    p->addr.sockaddr = &rd->primary_sa.sockaddr;
    p->addr.socklen = a.socklen;

    len = ngx_sock_ntop(p->addr.sockaddr, p->addr.socklen, rd->primary_name,
                        NGX_SOCKADDR_STRLEN, 1);
    p->name.data = rd->primary_name;
    p->name.len = len;

    /* tls_name= if given, else the address: what the certificate names */

    if (rd->conf->tls_name.len) {
        p->tls_name = rd->conf->tls_name;

    } else {
        len = ngx_sock_ntop(p->addr.sockaddr, p->addr.socklen,
                            rd->primary_host, NGX_SOCKADDR_STRLEN, 0);
        rd->primary_host[len] = '\0';
        p->tls_name.data = rd->primary_host;
        p->tls_name.len = len;
    }

    return NGX_OK;
}


static void
ngx_http_ticket_redis_role_reply(ngx_http_ticket_redis_t *rd,
    redisReply *reply, void *data)
{
    switch (ticket_sentinel_role(reply)) {

    case TICKET_SENTINEL_ROLE_PRIMARY:
        if (rd->on_replica) {
            ngx_http_ticket_redis_close(rd, "a replica Sentinel named says "
                                            "it is a primary (ROLE), "
                                            "asking again");
        }

        return;

    case TICKET_SENTINEL_ROLE_REPLICA:
        if (!rd->on_replica) {
            ngx_http_ticket_redis_close(rd, "not the primary Sentinel named "
                                            "(ROLE), asking again");
        }

        return;

    case TICKET_SENTINEL_ROLE_OTHER:
        ngx_http_ticket_redis_close(rd, "neither primary nor replica "
                                        "(ROLE), asking again");
        return;

    default:
        if (reply->type == REDIS_REPLY_ERROR) {
            ngx_log_error(NGX_LOG_ERR, rd->log, 0,
                          "ticket redis \"%V\": ROLE refused: %*s",
                          &rd->primary.name, ngx_min(reply->len, 200),
                          reply->str);
            rd->refused = 1;
            ngx_http_ticket_redis_close(rd, NULL);
            return;
        }

        ngx_http_ticket_redis_close(rd, "unexpected ROLE reply");
    }
}


static ngx_http_ticket_redis_addr_t *
ngx_http_ticket_redis_addr(ngx_http_ticket_redis_t *rd)
{
    ngx_http_ticket_redis_addr_t  *addr;

    if (rd->has_primary && !rd->asking) {
        return &rd->primary;
    }

    addr = rd->conf->addrs->elts;

    return &addr[rd->current % rd->conf->addrs->nelts];
}
