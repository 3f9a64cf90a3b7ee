
/*
 * Revocation replies: shape checks on hiredis's redisReply.  A reply of
 * another shape than the command's is never read further: the caller
 * drops the connection and loads the lists again.
 */


#include <string.h>

#include "ticket_rev_redis.h"


static int ticket_rev_is(const redisReply *r, const char *lit);
static int ticket_rev_info_id(const redisReply *v, ticket_str_t *id);
static const char *ticket_rev_info_line(const char *text, size_t len,
    const char *name, size_t *vlen);


int
ticket_rev_reply_error(const redisReply *reply, size_t max,
    ticket_str_t *text)
{
    if (reply == NULL || reply->type != REDIS_REPLY_ERROR) {
        return 0;
    }

    text->data = reply->str != NULL ? reply->str : "";
    text->len = reply->str != NULL ? reply->len : 0;

    if (text->len > max) {
        text->len = max;
    }

    return 1;
}


int
ticket_rev_reply_range_id(const redisReply *reply, ticket_str_t *id)
{
    const redisReply  *entry, *e;

    id->data = NULL;
    id->len = 0;

    if (reply->type != REDIS_REPLY_ARRAY) {
        return TICKET_REV_REPLY_BAD;
    }

    if (reply->elements == 0) {
        return TICKET_REV_REPLY_OK;
    }

    entry = reply->element[0];

    if (entry->type != REDIS_REPLY_ARRAY || entry->elements < 1) {
        return TICKET_REV_REPLY_BAD_ENTRY;
    }

    e = entry->element[0];

    if (e->type != REDIS_REPLY_STRING || !ticket_rev_id_valid(e->str, e->len))
    {
        return TICKET_REV_REPLY_BAD_ID;
    }

    id->data = e->str;
    id->len = e->len;

    return TICKET_REV_REPLY_OK;
}


size_t
ticket_rev_scan_step(ticket_rev_list_t list)
{
    return (list == TICKET_REV_KID) ? 1 : 2;
}


int
ticket_rev_reply_scan(const redisReply *reply, ticket_rev_list_t list,
    size_t cursor_size, ticket_str_t *cursor, const redisReply **items)
{
    if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 2
        || reply->element[0]->type != REDIS_REPLY_STRING
        || reply->element[0]->len == 0
        || reply->element[0]->len >= cursor_size
        || reply->element[1]->type != REDIS_REPLY_ARRAY)
    {
        return TICKET_REV_REPLY_BAD;
    }

    if (reply->element[1]->elements % ticket_rev_scan_step(list) != 0) {
        return TICKET_REV_REPLY_BAD_ITEMS;
    }

    cursor->data = reply->element[0]->str;
    cursor->len = reply->element[0]->len;
    *items = reply->element[1];

    return TICKET_REV_REPLY_OK;
}


int
ticket_rev_reply_scan_row(const redisReply *items, ticket_rev_list_t list,
    size_t i, ticket_str_t *member, int64_t *value)
{
    const redisReply  *m, *v;

    m = items->element[i];
    *value = 0;

    if (m->type != REDIS_REPLY_STRING || m->len == 0) {
        return TICKET_REV_ROW_SKIP;
    }

    member->data = m->str;
    member->len = m->len;

    if (ticket_rev_scan_step(list) == 1) {
        return TICKET_REV_ROW_OK;
    }

    v = items->element[i + 1];

    if (v->type != REDIS_REPLY_STRING
        || ticket_rev_parse_time(v->str, v->len, value) != 0)
    {
        *value = TICKET_MAX_TIME;
        return TICKET_REV_ROW_UNREADABLE;
    }

    return TICKET_REV_ROW_OK;
}


int
ticket_rev_reply_read(const redisReply *reply, const redisReply **entries)
{
    const redisReply  *stream;

    if (reply->type == REDIS_REPLY_NIL) {
        return TICKET_REV_REPLY_NIL;
    }

    if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 1) {
        return TICKET_REV_REPLY_BAD;
    }

    stream = reply->element[0];

    if (stream->type != REDIS_REPLY_ARRAY || stream->elements != 2
        || stream->element[1]->type != REDIS_REPLY_ARRAY)
    {
        return TICKET_REV_REPLY_BAD;
    }

    *entries = stream->element[1];

    return TICKET_REV_REPLY_OK;
}


int
ticket_rev_reply_entry(const redisReply *entry, ticket_str_t *id,
    ticket_rev_entry_t *e, int *rc, int *truncated)
{
    size_t             i, n;
    ticket_str_t       f[TICKET_REV_READ_FIELDS];
    const redisReply  *eid, *fields;

    if (entry->type != REDIS_REPLY_ARRAY || entry->elements != 2) {
        return TICKET_REV_REPLY_BAD_ENTRY;
    }

    eid = entry->element[0];
    fields = entry->element[1];

    if (eid->type != REDIS_REPLY_STRING
        || !ticket_rev_id_valid(eid->str, eid->len)
        || fields->type != REDIS_REPLY_ARRAY)
    {
        return TICKET_REV_REPLY_BAD_ENTRY;
    }

    *truncated = fields->elements > TICKET_REV_READ_FIELDS;

    n = *truncated ? TICKET_REV_READ_FIELDS : fields->elements;

    for (i = 0; i < n; i++) {
        if (fields->element[i]->type != REDIS_REPLY_STRING) {
            return TICKET_REV_REPLY_BAD_ENTRY;
        }

        f[i].data = fields->element[i]->str;
        f[i].len = fields->element[i]->len;
    }

    id->data = eid->str;
    id->len = eid->len;

    /* an odd count from Redis is cut to whole pairs */

    *rc = ticket_rev_parse_entry(f, n & ~(size_t) 1, e);

    return TICKET_REV_REPLY_OK;
}


static int
ticket_rev_is(const redisReply *r, const char *lit)
{
    size_t  len;

    len = strlen(lit);

    return r->type == REDIS_REPLY_STRING && r->len == len
           && memcmp(r->str, lit, len) == 0;
}


static int
ticket_rev_info_id(const redisReply *v, ticket_str_t *id)
{
    if (v->type != REDIS_REPLY_STRING || !ticket_rev_id_valid(v->str, v->len))
    {
        return TICKET_REV_REPLY_BAD_ID;
    }

    id->data = v->str;
    id->len = v->len;

    return TICKET_REV_REPLY_OK;
}


int
ticket_rev_reply_stream_info(const redisReply *reply,
    ticket_rev_stream_info_t *info)
{
    int                rc, have_last;
    size_t             i;
    const redisReply  *name, *v;

    memset(info, 0, sizeof(ticket_rev_stream_info_t));
    info->added = -1;
    have_last = 0;

    if (reply->type != REDIS_REPLY_ARRAY || reply->elements % 2 != 0) {
        return TICKET_REV_REPLY_BAD;
    }

    for (i = 0; i < reply->elements; i += 2) {
        name = reply->element[i];
        v = reply->element[i + 1];

        if (ticket_rev_is(name, "last-generated-id")) {
            rc = ticket_rev_info_id(v, &info->last_id);
            if (rc != TICKET_REV_REPLY_OK) {
                return rc;
            }

            have_last = 1;

        } else if (ticket_rev_is(name, "max-deleted-entry-id")) {
            rc = ticket_rev_info_id(v, &info->max_deleted);
            if (rc != TICKET_REV_REPLY_OK) {
                return rc;
            }

        } else if (ticket_rev_is(name, "entries-added")) {
            if (v->type != REDIS_REPLY_INTEGER || v->integer < 0) {
                return TICKET_REV_REPLY_BAD;
            }

            info->added = v->integer;

        } else if (ticket_rev_is(name, "length")) {
            if (v->type != REDIS_REPLY_INTEGER || v->integer < 0) {
                return TICKET_REV_REPLY_BAD;
            }

            info->length = v->integer;

        } else if (ticket_rev_is(name, "first-entry")) {
            if (v->type == REDIS_REPLY_NIL) {
                continue;
            }

            if (v->type != REDIS_REPLY_ARRAY || v->elements < 1) {
                return TICKET_REV_REPLY_BAD;
            }

            rc = ticket_rev_info_id(v->element[0], &info->first_id);
            if (rc != TICKET_REV_REPLY_OK) {
                return rc;
            }
        }
    }

    return have_last ? TICKET_REV_REPLY_OK : TICKET_REV_REPLY_BAD;
}


int
ticket_rev_reply_no_stream(const redisReply *reply)
{
    return reply->type == REDIS_REPLY_ERROR
           && reply->len >= sizeof("ERR no such key") - 1
           && memcmp(reply->str, "ERR no such key",
                     sizeof("ERR no such key") - 1) == 0;
}


/* "name:value" lines, CRLF ended; the value of name, or NULL */

static const char *
ticket_rev_info_line(const char *text, size_t len, const char *name,
    size_t *vlen)
{
    size_t       nlen, i, start, end;

    nlen = strlen(name);
    start = 0;

    while (start < len) {
        end = start;

        while (end < len && text[end] != '\r' && text[end] != '\n') {
            end++;
        }

        if (end - start > nlen && text[start + nlen] == ':'
            && memcmp(text + start, name, nlen) == 0)
        {
            *vlen = end - start - nlen - 1;
            return text + start + nlen + 1;
        }

        for (i = end; i < len && (text[i] == '\r' || text[i] == '\n'); i++) {
            /* void */
        }

        start = i;
    }

    return NULL;
}


int
ticket_rev_reply_replication(const redisReply *reply,
    ticket_rev_replication_t *repl)
{
    size_t       len, i;
    int64_t      n;
    const char  *v;

    repl->replica = 0;
    repl->link_up = 0;
    repl->last_io = -1;

    if (reply->type != REDIS_REPLY_STRING
        && reply->type != REDIS_REPLY_STATUS)
    {
        return TICKET_REV_REPLY_BAD;
    }

    v = ticket_rev_info_line(reply->str, reply->len, "role", &len);

    if (v == NULL) {
        return TICKET_REV_REPLY_BAD;
    }

    if (len == 6 && memcmp(v, "master", 6) == 0) {
        return TICKET_REV_REPLY_OK;
    }

    /* anything else ("slave", or a role this version does not know) is
     * trusted only as far as its link says */

    repl->replica = 1;

    v = ticket_rev_info_line(reply->str, reply->len, "master_link_status",
                             &len);

    repl->link_up = (v != NULL && len == 2 && memcmp(v, "up", 2) == 0);

    v = ticket_rev_info_line(reply->str, reply->len,
                             "master_last_io_seconds_ago", &len);

    if (v != NULL && len > 0 && len < 12) {
        n = 0;

        for (i = 0; i < len; i++) {
            if (v[i] < '0' || v[i] > '9') {
                n = -1;
                break;
            }

            n = n * 10 + (v[i] - '0');
        }

        repl->last_io = n;
    }

    return TICKET_REV_REPLY_OK;
}
