
/*
 * Sentinel replies, read as Redis 7 and 8 and Valkey 8 send them in RESP2
 * (hiredis 0.14 speaks nothing else).  Every string is checked before it
 * is handed on: a host is what may become a connect() address, so it
 * holds no control bytes and fits a DNS name; a port is digits in range.
 */


#include <string.h>

#include "ticket_sentinel.h"


static int ticket_sentinel_host(const redisReply *r, ticket_str_t *host);
static int ticket_sentinel_printable(const char *s, size_t len);
static int ticket_sentinel_string(const redisReply *r, const char *s);
static const redisReply *ticket_sentinel_field(const redisReply *map,
    const char *name);
static int ticket_sentinel_flag(const redisReply *flags, const char *flag);


int
ticket_sentinel_master(const redisReply *reply, ticket_sentinel_addr_t *addr)
{
    const redisReply  *port;

    if (reply->type == REDIS_REPLY_NIL || reply->type == REDIS_REPLY_ERROR) {
        return TICKET_SENTINEL_UNKNOWN;
    }

    if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 2
        || reply->element == NULL)
    {
        return TICKET_SENTINEL_BAD;
    }

    if (ticket_sentinel_host(reply->element[0], &addr->host) != 0) {
        return TICKET_SENTINEL_BAD;
    }

    port = reply->element[1];

    if (port == NULL || port->type != REDIS_REPLY_STRING) {
        return TICKET_SENTINEL_BAD;
    }

    addr->port = ticket_sentinel_port(port->str, port->len);

    if (addr->port < 0) {
        return TICKET_SENTINEL_BAD;
    }

    return TICKET_SENTINEL_OK;
}


int
ticket_sentinel_replicas(const redisReply *reply,
    ticket_sentinel_addr_t *addrs, size_t max)
{
    int                n;
    size_t             i;
    const redisReply  *map, *ip, *port, *flags;

    if (reply->type != REDIS_REPLY_ARRAY
        || (reply->elements && reply->element == NULL))
    {
        return TICKET_SENTINEL_BAD;
    }

    n = 0;

    for (i = 0; i < reply->elements; i++) {
        map = reply->element[i];

        if (map == NULL || map->type != REDIS_REPLY_ARRAY
            || map->elements % 2 || (map->elements && map->element == NULL))
        {
            return TICKET_SENTINEL_BAD;
        }

        ip = ticket_sentinel_field(map, "ip");
        port = ticket_sentinel_field(map, "port");
        flags = ticket_sentinel_field(map, "flags");

        if (ip == NULL || port == NULL || flags == NULL) {
            return TICKET_SENTINEL_BAD;
        }

        /* one Sentinel still lists a replica it cannot reach: skip it */

        if (ticket_sentinel_flag(flags, "s_down")
            || ticket_sentinel_flag(flags, "o_down")
            || ticket_sentinel_flag(flags, "disconnected"))
        {
            continue;
        }

        if ((size_t) n == max) {
            continue;
        }

        if (ticket_sentinel_host(ip, &addrs[n].host) != 0) {
            return TICKET_SENTINEL_BAD;
        }

        addrs[n].port = ticket_sentinel_port(port->str, port->len);

        if (addrs[n].port < 0) {
            return TICKET_SENTINEL_BAD;
        }

        n++;
    }

    return n;
}


/*
 * ROLE: an array whose first element is "master", "slave" or "sentinel"
 * (Valkey 8 still says "slave" in ROLE).
 */

int
ticket_sentinel_role(const redisReply *reply)
{
    const redisReply  *role;

    if (reply->type != REDIS_REPLY_ARRAY || reply->elements == 0
        || reply->element == NULL)
    {
        return TICKET_SENTINEL_BAD;
    }

    role = reply->element[0];

    if (role == NULL || role->type != REDIS_REPLY_STRING) {
        return TICKET_SENTINEL_BAD;
    }

    if (role->len == 6 && memcmp(role->str, "master", 6) == 0) {
        return TICKET_SENTINEL_ROLE_PRIMARY;
    }

    if (role->len == 5 && memcmp(role->str, "slave", 5) == 0) {
        return TICKET_SENTINEL_ROLE_REPLICA;
    }

    return TICKET_SENTINEL_ROLE_OTHER;
}


int
ticket_sentinel_is_message(const redisReply *reply)
{
    if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 3
        || reply->element == NULL)
    {
        return 0;
    }

    return ticket_sentinel_string(reply->element[0], "message");
}


#define TICKET_SENTINEL_SWITCH_WORDS  5

int
ticket_sentinel_switch(const redisReply *reply, const char *name, size_t len,
    ticket_sentinel_addr_t *addr)
{
    size_t             i, n, wl[TICKET_SENTINEL_SWITCH_WORDS];
    const char        *p, *end, *sp, *w[TICKET_SENTINEL_SWITCH_WORDS];
    const redisReply  *payload;

    if (!ticket_sentinel_is_message(reply)
        || !ticket_sentinel_string(reply->element[1], "+switch-master"))
    {
        return TICKET_SENTINEL_UNKNOWN;
    }

    payload = reply->element[2];

    if (payload == NULL || payload->type != REDIS_REPLY_STRING
        || payload->str == NULL || payload->len == 0)
    {
        return TICKET_SENTINEL_BAD;
    }

    /* exactly five words, one space between each */

    p = payload->str;
    end = p + payload->len;

    for (n = 0; n < TICKET_SENTINEL_SWITCH_WORDS; n++) {
        sp = memchr(p, ' ', end - p);

        if ((sp == NULL) != (n == TICKET_SENTINEL_SWITCH_WORDS - 1)) {
            return TICKET_SENTINEL_BAD;
        }

        w[n] = p;
        wl[n] = (sp ? sp : end) - p;

        if (wl[n] == 0 || !ticket_sentinel_printable(w[n], wl[n])) {
            return TICKET_SENTINEL_BAD;
        }

        p = sp ? sp + 1 : end;
    }

    for (i = 2; i < TICKET_SENTINEL_SWITCH_WORDS; i += 2) {
        if (ticket_sentinel_port(w[i], wl[i]) < 0) {
            return TICKET_SENTINEL_BAD;
        }
    }

    /* another master's: not ours to judge further */

    if (wl[0] != len || memcmp(w[0], name, len) != 0) {
        return TICKET_SENTINEL_UNKNOWN;
    }

    if (wl[3] > TICKET_SENTINEL_HOST_LEN) {
        return TICKET_SENTINEL_BAD;
    }

    addr->host.data = w[3];
    addr->host.len = wl[3];
    addr->port = ticket_sentinel_port(w[4], wl[4]);

    return TICKET_SENTINEL_OK;
}


int
ticket_sentinel_port(const char *s, size_t len)
{
    int     port;
    size_t  i;

    if (s == NULL || len == 0 || len > 5) {
        return -1;
    }

    port = 0;

    for (i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return -1;
        }

        port = port * 10 + (s[i] - '0');
    }

    if (port < 1 || port > 65535) {
        return -1;
    }

    return port;
}


static int
ticket_sentinel_host(const redisReply *r, ticket_str_t *host)
{
    if (r == NULL || r->type != REDIS_REPLY_STRING || r->str == NULL
        || r->len == 0 || r->len > TICKET_SENTINEL_HOST_LEN)
    {
        return -1;
    }

    if (!ticket_sentinel_printable(r->str, r->len)) {
        return -1;
    }

    host->data = r->str;
    host->len = r->len;

    return 0;
}


/* no control byte, no space, nothing past ASCII: 1, else 0 */

static int
ticket_sentinel_printable(const char *s, size_t len)
{
    size_t  i;

    for (i = 0; i < len; i++) {
        if ((unsigned char) s[i] <= 0x20 || (unsigned char) s[i] >= 0x7f) {
            return 0;
        }
    }

    return 1;
}


/* r is a string, and that string is s */

static int
ticket_sentinel_string(const redisReply *r, const char *s)
{
    size_t  len;

    len = strlen(s);

    return r != NULL && r->type == REDIS_REPLY_STRING && r->str != NULL
           && r->len == len && memcmp(r->str, s, len) == 0;
}


/* a flat name, value, ... array: the value of name, a string, or NULL */

static const redisReply *
ticket_sentinel_field(const redisReply *map, const char *name)
{
    size_t             i, len;
    const redisReply  *k, *v;

    len = strlen(name);

    for (i = 0; i + 1 < map->elements; i += 2) {
        k = map->element[i];
        v = map->element[i + 1];

        if (k == NULL || v == NULL || k->type != REDIS_REPLY_STRING
            || k->len != len || memcmp(k->str, name, len) != 0)
        {
            continue;
        }

        return v->type == REDIS_REPLY_STRING ? v : NULL;
    }

    return NULL;
}


/* flags: "slave,s_down,disconnected": whether flag is one of them */

static int
ticket_sentinel_flag(const redisReply *flags, const char *flag)
{
    size_t       len, n;
    const char  *p, *end, *comma;

    len = strlen(flag);
    p = flags->str;
    end = p + flags->len;

    while (p < end) {
        comma = memchr(p, ',', end - p);
        n = (comma ? comma : end) - p;

        if (n == len && memcmp(p, flag, len) == 0) {
            return 1;
        }

        if (comma == NULL) {
            break;
        }

        p = comma + 1;
    }

    return 0;
}
