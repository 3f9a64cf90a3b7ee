
/*
 * Snapshots of verified tickets, for the verified-ticket cache.
 *
 * Layout, in the writer's byte order (a snapshot never leaves the host):
 *
 *   header      magic, total length, iat, exp, nbf, has_nbf, kind, alg,
 *               number of roles, number of audiences
 *   strings     sub kind jti iss tenant sid kid alg typ, each a 32-bit
 *               length (TICKET_SNAP_ABSENT: none) and its bytes
 *   lists       every role, then every audience, as length and bytes
 *   room        (roles + audiences) ticket_str_t, aligned, filled in by
 *               ticket_snapshot_restore(): no allocation on restore
 *
 * The claims JSON is not kept: the cache holds the token itself, and a
 * restored ticket decodes its claims segment only when a claim
 * requirement, a $ticket_claim_ variable or a forwarded claim asks
 * (ticket_claims_load()).  Kept, it made an RS256 entry 1,072 bytes, a
 * 2,048-byte slab chunk.
 *
 * Restoring checks every length against the buffer: a damaged snapshot
 * is refused, never read past.
 */


#include <string.h>

#include "ticket_parse.h"
#include "ticket_snapshot.h"


#define TICKET_SNAP_MAGIC   0x74736e31   /* "tsn1" */
#define TICKET_SNAP_ABSENT  0xffffffffU
#define TICKET_SNAP_ALIGN   16


typedef struct {
    uint32_t                magic;
    uint32_t                len;
    int64_t                 iat;
    int64_t                 exp;
    int64_t                 nbf;
    uint32_t                nroles;
    uint32_t                naud;
    uint8_t                 has_nbf;
    uint8_t                 kind;
    uint8_t                 alg;        /* as the header's alg named it */
    uint8_t                 pad[5];
} ticket_snap_header_t;


static size_t ticket_snap_room(const ticket_t *t, size_t *room);
static unsigned char *ticket_snap_put(unsigned char *p, const ticket_str_t *s);
static int ticket_snap_get(unsigned char **p, const unsigned char *end,
    ticket_str_t *s);


size_t
ticket_snapshot_len(const ticket_t *t)
{
    size_t  room;

    return ticket_snap_room(t, &room) + room;
}


static size_t
ticket_snap_room(const ticket_t *t, size_t *room)
{
    size_t  i, len;

    len = sizeof(ticket_snap_header_t)
          + 9 * sizeof(uint32_t)
          + t->sub.len + t->kind_name.len + t->jti.len + t->iss.len
          + t->tenant.len + t->sid.len + t->kid.len + t->alg_name.len
          + t->typ.len;

    for (i = 0; i < t->roles_list.n; i++) {
        len += sizeof(uint32_t) + t->roles_list.values[i].len;
    }

    for (i = 0; i < t->aud_list.n; i++) {
        len += sizeof(uint32_t) + t->aud_list.values[i].len;
    }

    len = (len + TICKET_SNAP_ALIGN - 1) & ~((size_t) TICKET_SNAP_ALIGN - 1);

    *room = (t->roles_list.n + t->aud_list.n) * sizeof(ticket_str_t);

    return len;
}


void
ticket_snapshot_write(unsigned char *buf, const ticket_t *t)
{
    size_t                 i, room, body;
    unsigned char         *p;
    ticket_snap_header_t   h;

    body = ticket_snap_room(t, &room);

    memset(&h, 0, sizeof(ticket_snap_header_t));
    h.magic = TICKET_SNAP_MAGIC;
    h.len = (uint32_t) (body + room);
    h.iat = t->iat;
    h.exp = t->exp;
    h.nbf = t->nbf;
    h.has_nbf = t->has_nbf;
    h.kind = (uint8_t) t->kind;
    h.alg = (uint8_t) t->alg;
    h.nroles = (uint32_t) t->roles_list.n;
    h.naud = (uint32_t) t->aud_list.n;

    memcpy(buf, &h, sizeof(ticket_snap_header_t));
    p = buf + sizeof(ticket_snap_header_t);

    p = ticket_snap_put(p, &t->sub);
    p = ticket_snap_put(p, &t->kind_name);
    p = ticket_snap_put(p, &t->jti);
    p = ticket_snap_put(p, &t->iss);
    p = ticket_snap_put(p, &t->tenant);
    p = ticket_snap_put(p, &t->sid);
    p = ticket_snap_put(p, &t->kid);
    p = ticket_snap_put(p, &t->alg_name);
    p = ticket_snap_put(p, &t->typ);

    for (i = 0; i < t->roles_list.n; i++) {
        p = ticket_snap_put(p, &t->roles_list.values[i]);
    }

    for (i = 0; i < t->aud_list.n; i++) {
        p = ticket_snap_put(p, &t->aud_list.values[i]);
    }

    memset(p, 0, (buf + body + room) - p);
}


int
ticket_snapshot_restore(ticket_t *t, unsigned char *buf, size_t len,
    const char *token, size_t token_len)
{
    size_t                 i, body, room, n;
    ticket_str_t          *v;
    unsigned char         *p, *end;
    ticket_snap_header_t   h;

    ticket_reset(t);

    if (len < sizeof(ticket_snap_header_t)
        || ((uintptr_t) buf & (sizeof(void *) - 1)) != 0)
    {
        return -1;
    }

    memcpy(&h, buf, sizeof(ticket_snap_header_t));

    if (h.magic != TICKET_SNAP_MAGIC || h.len != len
        || h.nroles > len || h.naud > len
        || (h.kind != TICKET_KIND_USER && h.kind != TICKET_KIND_SERVICE)
        || h.alg >= TICKET_ALG_MAX)
    {
        return -1;
    }

    n = (size_t) h.nroles + h.naud;
    room = n * sizeof(ticket_str_t);

    if (room > len - sizeof(ticket_snap_header_t)) {
        return -1;
    }

    body = len - room;

    if (body % TICKET_SNAP_ALIGN != 0) {
        return -1;
    }

    p = buf + sizeof(ticket_snap_header_t);
    end = buf + body;
    v = (ticket_str_t *) (buf + body);

    if (ticket_snap_get(&p, end, &t->sub) != 0
        || ticket_snap_get(&p, end, &t->kind_name) != 0
        || ticket_snap_get(&p, end, &t->jti) != 0
        || ticket_snap_get(&p, end, &t->iss) != 0
        || ticket_snap_get(&p, end, &t->tenant) != 0
        || ticket_snap_get(&p, end, &t->sid) != 0
        || ticket_snap_get(&p, end, &t->kid) != 0
        || ticket_snap_get(&p, end, &t->alg_name) != 0
        || ticket_snap_get(&p, end, &t->typ) != 0)
    {
        goto failed;
    }

    for (i = 0; i < n; i++) {
        if (ticket_snap_get(&p, end, &v[i]) != 0 || v[i].data == NULL) {
            goto failed;
        }
    }

    if (t->sub.data == NULL || t->jti.data == NULL
        || t->kind_name.data == NULL || t->alg_name.data == NULL)
    {
        goto failed;
    }

    t->roles_list.values = v;
    t->roles_list.n = h.nroles;
    t->aud_list.values = v + h.nroles;
    t->aud_list.n = h.naud;

    /* its claims, should they be asked for */
    t->token.data = token;
    t->token.len = token_len;

    t->iat = h.iat;
    t->exp = h.exp;
    t->nbf = h.nbf;
    t->has_nbf = h.has_nbf ? 1 : 0;
    t->has_exp = 1;
    t->kind = h.kind;
    t->alg = (ticket_alg_t) h.alg;   /* no name lookup on a cache hit */
    t->restored = 1;

    return 0;

failed:

    ticket_reset(t);

    return -1;
}


static unsigned char *
ticket_snap_put(unsigned char *p, const ticket_str_t *s)
{
    uint32_t  len;

    len = (s->data != NULL) ? (uint32_t) s->len : TICKET_SNAP_ABSENT;

    memcpy(p, &len, sizeof(uint32_t));
    p += sizeof(uint32_t);

    if (s->data != NULL && s->len) {
        memcpy(p, s->data, s->len);
        p += s->len;
    }

    return p;
}


static int
ticket_snap_get(unsigned char **p, const unsigned char *end, ticket_str_t *s)
{
    uint32_t  len;

    if ((size_t) (end - *p) < sizeof(uint32_t)) {
        return -1;
    }

    memcpy(&len, *p, sizeof(uint32_t));
    *p += sizeof(uint32_t);

    if (len == TICKET_SNAP_ABSENT) {
        s->data = NULL;
        s->len = 0;
        return 0;
    }

    if ((size_t) (end - *p) < len) {
        return -1;
    }

    s->data = (const char *) *p;
    s->len = len;
    *p += len;

    return 0;
}
