/*
 * ticketctl: one blocking connection to Redis, plain or TLS (OpenSSL
 * directly: hiredis 0.14 has no TLS), hiredis only formatting commands
 * and parsing replies (redisReader), as the gateway does.
 */

#ifndef TICKETCTL_REDIS_CONN_H_INCLUDED_
#define TICKETCTL_REDIS_CONN_H_INCLUDED_

#include <hiredis/hiredis.h>
#include <openssl/ssl.h>


/* where and how: parsed from --redis, then the --tls-* options */

typedef struct {
    char                   *host;       /* NULL for a unix socket */
    int                     port;
    char                   *path;       /* unix: socket */
    char                   *username;   /* from the URL */
    char                   *password;   /* from the URL: wiped by free */
    int                     db;         /* -1: none in the URL */
    int                     tls;        /* rediss:// */
    const char             *tls_ca;     /* else the system store */
    const char             *tls_cert;
    const char             *tls_key;
    const char             *tls_name;   /* else the host */
    char                    shown[300]; /* for messages: no password */
} ticketctl_redis_addr_t;


typedef struct {
    int                     fd;
    SSL_CTX                *ctx;
    SSL                    *ssl;
    redisReader            *reader;
    char                   *out;
    size_t                  out_len;
    size_t                  out_size;
    int                     timeout;    /* seconds */
    int                     timedout;
    char                    errstr[256];
} ticketctl_redis_t;


/* 0, or -1 with why in err */
int ticketctl_redis_parse(const char *s, ticketctl_redis_addr_t *a,
    char *err, size_t size);
void ticketctl_redis_addr_free(ticketctl_redis_addr_t *a);

/* NULL: out of memory; else check r->errstr[0] (connect, TLS failed) */
ticketctl_redis_t *ticketctl_redis_connect(const ticketctl_redis_addr_t *a,
    int timeout);
/* REDIS_OK or REDIS_ERR, as hiredis's redisAppendCommandArgv() */
int ticketctl_redis_append(ticketctl_redis_t *r, int argc, const char **argv,
    const size_t *lens);
/* REDIS_OK with a reply, or REDIS_ERR with r->errstr */
int ticketctl_redis_get_reply(ticketctl_redis_t *r, void **reply);
void ticketctl_redis_free(ticketctl_redis_t *r);
/* REDIS_OK, or REDIS_ERR with r->errstr */
int ticketctl_redis_set_timeout(ticketctl_redis_t *r, int timeout);


#endif /* TICKETCTL_REDIS_CONN_H_INCLUDED_ */
