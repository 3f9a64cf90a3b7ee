
/*
 * ngx_ticket_module: hiredis's asynchronous context on nginx's event loop,
 * shaped as hiredis's own adapters (attach, add/del read and write,
 * cleanup).  hiredis 0.14 has no timeouts: one nginx timer bounds the
 * connect and every command, so a silent Redis (SIGSTOP) is noticed as
 * surely as a closed socket.  Addresses are numeric by the time they get
 * here (resolved at configuration load), so no lookup ever blocks.
 */


#include "ngx_http_ticket_redis.h"


typedef struct {
    ngx_http_ticket_redis_t        *rd;
    ngx_http_ticket_redis_reply_pt  handler;
    void                           *data;
} ngx_http_ticket_redis_cmd_t;


static void ngx_http_ticket_redis_add_read(void *privdata);
static void ngx_http_ticket_redis_del_read(void *privdata);
static void ngx_http_ticket_redis_add_write(void *privdata);
static void ngx_http_ticket_redis_del_write(void *privdata);
static void ngx_http_ticket_redis_cleanup(void *privdata);
static void ngx_http_ticket_redis_read_handler(ngx_event_t *ev);
static void ngx_http_ticket_redis_write_handler(ngx_event_t *ev);
static void ngx_http_ticket_redis_deadline_handler(ngx_event_t *ev);
static void ngx_http_ticket_redis_connected(const redisAsyncContext *ac,
    int status);
static void ngx_http_ticket_redis_disconnected(const redisAsyncContext *ac,
    int status);
static void ngx_http_ticket_redis_reply(redisAsyncContext *ac, void *r,
    void *privdata);
static void ngx_http_ticket_redis_setup_reply(ngx_http_ticket_redis_t *rd,
    redisReply *reply, void *data);
static void ngx_http_ticket_redis_lost(ngx_http_ticket_redis_t *rd);
static ngx_str_t *ngx_http_ticket_redis_name(ngx_http_ticket_redis_t *rd);


ngx_int_t
ngx_http_ticket_redis_connect(ngx_http_ticket_redis_t *rd)
{
    ngx_connection_t              *c;
    redisAsyncContext             *ac;
    ngx_http_ticket_redis_addr_t  *addr;

    if (rd->ac != NULL) {
        return NGX_OK;
    }

    addr = rd->conf->addrs->elts;
    addr = &addr[rd->current % rd->conf->addrs->nelts];

    if (addr->path.len) {
        ac = redisAsyncConnectUnix((const char *) addr->path.data);

    } else {
        ac = redisAsyncConnect((const char *) addr->host.data, addr->port);
    }

    if (ac == NULL) {
        ngx_log_error(NGX_LOG_ERR, rd->log, 0,
                      "ticket redis \"%V\": out of memory", &addr->name);
        return NGX_ERROR;
    }

    if (ac->err) {
        ngx_log_error(NGX_LOG_ERR, rd->log, 0,
                      "ticket redis \"%V\": connect failed: %s",
                      &addr->name, ac->errstr);
        redisAsyncFree(ac);
        rd->current++;
        return NGX_ERROR;
    }

    c = ngx_get_connection(ac->c.fd, rd->log);
    if (c == NULL) {
        redisAsyncFree(ac);
        return NGX_ERROR;
    }

    c->data = rd;
    c->log = rd->log;
    c->read->log = rd->log;
    c->write->log = rd->log;
    c->read->handler = ngx_http_ticket_redis_read_handler;
    c->write->handler = ngx_http_ticket_redis_write_handler;

    rd->ac = ac;
    rd->conn = c;
    rd->pending = 0;
    rd->is_ready = 0;
    rd->fail = NULL;

    ac->data = rd;

    /* the hooks first: setting the connect callback adds the write event */

    ac->ev.data = rd;
    ac->ev.addRead = ngx_http_ticket_redis_add_read;
    ac->ev.delRead = ngx_http_ticket_redis_del_read;
    ac->ev.addWrite = ngx_http_ticket_redis_add_write;
    ac->ev.delWrite = ngx_http_ticket_redis_del_write;
    ac->ev.cleanup = ngx_http_ticket_redis_cleanup;

    rd->deadline.handler = ngx_http_ticket_redis_deadline_handler;
    rd->deadline.data = rd;
    rd->deadline.log = rd->log;
    rd->deadline.cancelable = 1;

    ngx_add_timer(&rd->deadline, rd->conf->timeout);

    redisAsyncSetDisconnectCallback(ac, ngx_http_ticket_redis_disconnected);
    redisAsyncSetConnectCallback(ac, ngx_http_ticket_redis_connected);

    return NGX_OK;
}


ngx_int_t
ngx_http_ticket_redis_command(ngx_http_ticket_redis_t *rd,
    ngx_http_ticket_redis_reply_pt handler, void *data, ngx_msec_t extra,
    int argc, const char **argv, const size_t *argvlen)
{
    ngx_http_ticket_redis_cmd_t  *cmd;

    if (rd->ac == NULL) {
        return NGX_ERROR;
    }

    cmd = ngx_alloc(sizeof(ngx_http_ticket_redis_cmd_t), rd->log);
    if (cmd == NULL) {
        return NGX_ERROR;
    }

    cmd->rd = rd;
    cmd->handler = handler;
    cmd->data = data;

    if (redisAsyncCommandArgv(rd->ac, ngx_http_ticket_redis_reply, cmd, argc,
                              argv, argvlen)
        != REDIS_OK)
    {
        ngx_free(cmd);
        return NGX_ERROR;
    }

    rd->pending++;

    /* a command in flight extends the deadline; a silent server gets none */

    ngx_add_timer(&rd->deadline, rd->conf->timeout + extra);

    return NGX_OK;
}


/*
 * Drop the connection; the owner hears of it through rd->down and decides
 * when to try again.  Safe inside a hiredis callback: hiredis then defers
 * the free until the callback returns.
 */

void
ngx_http_ticket_redis_close(ngx_http_ticket_redis_t *rd, const char *why)
{
    redisAsyncContext  *ac;

    ac = rd->ac;

    if (ac == NULL) {
        return;
    }

    if (why != NULL) {
        ngx_log_error(NGX_LOG_ERR, rd->log, 0, "ticket redis \"%V\": %s",
                      ngx_http_ticket_redis_name(rd), why);
    }

    rd->ac = NULL;
    ac->data = NULL;

    redisAsyncFree(ac);

    ngx_http_ticket_redis_lost(rd);
}


/* the adapter: hiredis asks, nginx's event loop does */

static void
ngx_http_ticket_redis_add_read(void *privdata)
{
    ngx_http_ticket_redis_t  *rd = privdata;

    ngx_connection_t  *c;

    c = rd->conn;

    /* level-triggered: hiredis reads at most 16 KiB a call */

    if (c != NULL && !c->read->active) {
        if (ngx_add_event(c->read, NGX_READ_EVENT, NGX_LEVEL_EVENT)
            != NGX_OK)
        {
            ngx_log_error(NGX_LOG_ALERT, rd->log, 0,
                          "ticket redis: cannot add read event");
        }
    }
}


static void
ngx_http_ticket_redis_del_read(void *privdata)
{
    ngx_http_ticket_redis_t  *rd = privdata;

    ngx_connection_t  *c;

    c = rd->conn;

    if (c != NULL && c->read->active) {
        (void) ngx_del_event(c->read, NGX_READ_EVENT, 0);
    }
}


static void
ngx_http_ticket_redis_add_write(void *privdata)
{
    ngx_http_ticket_redis_t  *rd = privdata;

    ngx_connection_t  *c;

    c = rd->conn;

    if (c != NULL && !c->write->active) {
        if (ngx_add_event(c->write, NGX_WRITE_EVENT, NGX_LEVEL_EVENT)
            != NGX_OK)
        {
            ngx_log_error(NGX_LOG_ALERT, rd->log, 0,
                          "ticket redis: cannot add write event");
        }
    }
}


static void
ngx_http_ticket_redis_del_write(void *privdata)
{
    ngx_http_ticket_redis_t  *rd = privdata;

    ngx_connection_t  *c;

    c = rd->conn;

    if (c != NULL && c->write->active) {
        (void) ngx_del_event(c->write, NGX_WRITE_EVENT, 0);
    }
}


/* hiredis frees the context: the fd is its to close, the connection ours */

static void
ngx_http_ticket_redis_cleanup(void *privdata)
{
    ngx_http_ticket_redis_t  *rd = privdata;

    ngx_connection_t  *c;

    c = rd->conn;

    if (c == NULL) {
        return;
    }

    if (c->read->active) {
        (void) ngx_del_event(c->read, NGX_READ_EVENT, 0);
    }

    if (c->write->active) {
        (void) ngx_del_event(c->write, NGX_WRITE_EVENT, 0);
    }

    if (c->read->posted) {
        ngx_delete_posted_event(c->read);
    }

    if (c->write->posted) {
        ngx_delete_posted_event(c->write);
    }

    ngx_free_connection(c);

    c->fd = (ngx_socket_t) -1;
    rd->conn = NULL;
}


static void
ngx_http_ticket_redis_read_handler(ngx_event_t *ev)
{
    ngx_connection_t         *c;
    ngx_http_ticket_redis_t  *rd;

    c = ev->data;
    rd = c->data;

    /* the context may be freed in here: touch neither c nor rd->ac after */

    if (rd->ac != NULL) {
        redisAsyncHandleRead(rd->ac);
    }
}


static void
ngx_http_ticket_redis_write_handler(ngx_event_t *ev)
{
    ngx_connection_t         *c;
    ngx_http_ticket_redis_t  *rd;

    c = ev->data;
    rd = c->data;

    if (rd->ac != NULL) {
        redisAsyncHandleWrite(rd->ac);
    }
}


static void
ngx_http_ticket_redis_deadline_handler(ngx_event_t *ev)
{
    ngx_http_ticket_redis_t  *rd = ev->data;

    ngx_http_ticket_redis_close(rd, rd->fail ? rd->fail
                                    : rd->is_ready ? "timed out"
                                                   : "connect timed out");
}


static void
ngx_http_ticket_redis_connected(const redisAsyncContext *ac, int status)
{
    ngx_http_ticket_redis_t  *rd = ac->data;

    int          argc;
    char         db[NGX_INT_T_LEN];
    size_t       argvlen[2];
    const char  *argv[2];

    if (rd == NULL) {
        return;
    }

    if (status != REDIS_OK) {
        /* hiredis frees a context whose connect failed by itself */
        ngx_log_error(NGX_LOG_ERR, rd->log, 0,
                      "ticket redis \"%V\": connect failed: %s",
                      ngx_http_ticket_redis_name(rd),
                      ac->errstr[0] ? ac->errstr : "unknown error");
        rd->ac = NULL;
        ngx_http_ticket_redis_lost(rd);
        return;
    }

    if (rd->conf->password.len) {
        argv[0] = "AUTH";
        argvlen[0] = 4;
        argv[1] = (const char *) rd->conf->password.data;
        argvlen[1] = rd->conf->password.len;

        if (ngx_http_ticket_redis_command(rd,
                                          ngx_http_ticket_redis_setup_reply,
                                          NULL, 0, 2, argv, argvlen)
            != NGX_OK)
        {
            goto failed;
        }
    }

    if (rd->conf->db) {
        argv[0] = "SELECT";
        argvlen[0] = 6;
        argv[1] = db;
        argvlen[1] = ngx_sprintf((u_char *) db, "%i", rd->conf->db)
                     - (u_char *) db;

        if (ngx_http_ticket_redis_command(rd,
                                          ngx_http_ticket_redis_setup_reply,
                                          NULL, 0, 2, argv, argvlen)
            != NGX_OK)
        {
            goto failed;
        }
    }

    /* the PING's answer says the connection is ready for the owner */

    argc = 1;
    argv[0] = "PING";
    argvlen[0] = 4;

    if (ngx_http_ticket_redis_command(rd, ngx_http_ticket_redis_setup_reply,
                                      rd, 0, argc, argv, argvlen)
        != NGX_OK)
    {
        goto failed;
    }

    return;

failed:

    /*
     * Not here: hiredis calls this from its write handler without marking
     * a callback, so a free now would pull the context from under it.
     */

    rd->fail = "cannot send setup commands";
    ngx_add_timer(&rd->deadline, 1);
}


static void
ngx_http_ticket_redis_disconnected(const redisAsyncContext *ac, int status)
{
    ngx_http_ticket_redis_t  *rd = ac->data;

    if (rd == NULL) {
        /* we closed it ourselves */
        return;
    }

    ngx_log_error(NGX_LOG_ERR, rd->log, 0,
                  "ticket redis \"%V\": connection lost%s%s",
                  ngx_http_ticket_redis_name(rd),
                  ac->errstr[0] ? ": " : "", ac->errstr);

    rd->ac = NULL;
    ngx_http_ticket_redis_lost(rd);
}


static void
ngx_http_ticket_redis_reply(redisAsyncContext *ac, void *r, void *privdata)
{
    ngx_http_ticket_redis_cmd_t  *cmd = privdata;

    void                            *data;
    ngx_http_ticket_redis_t         *rd;
    ngx_http_ticket_redis_reply_pt   handler;

    rd = cmd->rd;
    handler = cmd->handler;
    data = cmd->data;

    ngx_free(cmd);

    if (ac->data == NULL) {
        /* the context is being freed: no reply, no one to tell */
        return;
    }

    if (rd->pending) {
        rd->pending--;
    }

    if (rd->pending == 0 && rd->deadline.timer_set) {
        ngx_del_timer(&rd->deadline);
    }

    handler(rd, r, data);
}


static void
ngx_http_ticket_redis_setup_reply(ngx_http_ticket_redis_t *rd,
    redisReply *reply, void *data)
{
    if (reply == NULL) {
        return;
    }

    if (reply->type == REDIS_REPLY_ERROR) {
        ngx_log_error(NGX_LOG_ERR, rd->log, 0,
                      "ticket redis \"%V\": setup refused: %*s",
                      ngx_http_ticket_redis_name(rd),
                      ngx_min(reply->len, 200), reply->str);
        ngx_http_ticket_redis_close(rd, NULL);
        return;
    }

    if (data == NULL) {
        return;
    }

    /* the PING */

    rd->is_ready = 1;

    if (rd->ready) {
        rd->ready(rd);
    }
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

    if (rd->is_ready) {
        rd->current = 0;

    } else {
        rd->current++;
    }

    rd->is_ready = 0;

    if (rd->down) {
        rd->down(rd);
    }
}


static ngx_str_t *
ngx_http_ticket_redis_name(ngx_http_ticket_redis_t *rd)
{
    ngx_http_ticket_redis_addr_t  *addr;

    addr = rd->conf->addrs->elts;

    return &addr[rd->current % rd->conf->addrs->nelts].name;
}
