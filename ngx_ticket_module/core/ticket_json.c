
/*
 * Strict JSON for ticket headers and claims, claim lookup by dotted path,
 * and the text of a claim value for variables and headers.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ticket.h"
#include "ticket_compat.h"


static int ticket_json_depth_ok(const char *buf, size_t len);
static size_t ticket_json_put(char *buf, size_t size, size_t off,
    const char *src, size_t n);


json_t *
ticket_json_parse_object(const char *buf, size_t len)
{
    json_t        *json;
    json_error_t   error;

    if (buf == NULL) {
        return NULL;
    }

    /*
     * jansson recurses once per nesting level and allows 2048 of them:
     * bound the depth before it sees the input.
     */

    if (!ticket_json_depth_ok(buf, len)) {
        return NULL;
    }

    /* never JSON_ALLOW_NUL: every string handed out is NUL-free */

    json = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &error);
    if (json == NULL) {
        return NULL;
    }

    if (!json_is_object(json)) {
        json_decref(json);
        return NULL;
    }

    return json;
}


/*
 * Nesting of objects and arrays outside strings.  Brackets need not
 * balance here: whatever is not JSON, jansson refuses afterwards.
 */

static int
ticket_json_depth_ok(const char *buf, size_t len)
{
    int     in_string;
    size_t  i, depth;

    depth = 0;
    in_string = 0;

    for (i = 0; i < len; i++) {

        if (in_string) {
            if (buf[i] == '\\') {
                i++;

            } else if (buf[i] == '"') {
                in_string = 0;
            }

            continue;
        }

        switch (buf[i]) {

        case '"':
            in_string = 1;
            break;

        case '{':
        case '[':
            if (++depth > TICKET_MAX_DEPTH) {
                return 0;
            }
            break;

        case '}':
        case ']':
            if (depth > 0) {
                depth--;
            }
            break;

        default:
            break;
        }
    }

    return 1;
}


json_t *
ticket_json_path(json_t *obj, const char *path, size_t len)
{
    size_t       n;
    const char  *p, *end, *dot;

    if (obj == NULL || path == NULL || len == 0) {
        return NULL;
    }

    p = path;
    end = path + len;

    for ( ;; ) {
        dot = memchr(p, '.', (size_t) (end - p));
        n = (size_t) ((dot ? dot : end) - p);

        if (n == 0 || !json_is_object(obj)) {
            return NULL;
        }

        obj = json_object_getn(obj, p, n);
        if (obj == NULL) {
            return NULL;
        }

        if (dot == NULL) {
            return obj;
        }

        p = dot + 1;
    }
}


size_t
ticket_json_text(json_t *value, char *buf, size_t size)
{
    int          n;
    char        *dump;
    char         num[32];
    size_t       i, off, len;
    json_t      *elt;
    const char  *s;

    if (value == NULL) {
        return 0;
    }

    switch (json_typeof(value)) {

    case JSON_STRING:
        return ticket_json_put(buf, size, 0, json_string_value(value),
                               json_string_length(value));

    case JSON_INTEGER:
        n = snprintf(num, sizeof(num), "%lld",
                     (long long) json_integer_value(value));
        if (n < 0 || (size_t) n >= sizeof(num)) {
            return 0;
        }

        return ticket_json_put(buf, size, 0, num, (size_t) n);

    case JSON_TRUE:
        return ticket_json_put(buf, size, 0, "true", 4);

    case JSON_FALSE:
        return ticket_json_put(buf, size, 0, "false", 5);

    case JSON_NULL:
        return 0;

    case JSON_ARRAY:
        json_array_foreach(value, i, elt) {
            if (!json_is_string(elt)) {
                goto dump;
            }
        }

        off = 0;

        json_array_foreach(value, i, elt) {
            if (i > 0) {
                off = ticket_json_put(buf, size, off, ",", 1);
            }

            s = json_string_value(elt);
            len = json_string_length(elt);

            off = ticket_json_put(buf, size, off, s, len);
        }

        return off;

    default:
        break;
    }

dump:

    /*
     * Reals as jansson writes them: 17 significant digits, so that the
     * text reads back as the same double ("0.10000000000000001").
     */

    dump = json_dumps(value, JSON_ENCODE_ANY|JSON_COMPACT|TICKET_JSON_REALS);
    if (dump == NULL) {
        return 0;
    }

    len = ticket_json_put(buf, size, 0, dump, strlen(dump));

    free(dump);

    return len;
}


/* copies what fits of src at buf + off; returns off + n in any case */

static size_t
ticket_json_put(char *buf, size_t size, size_t off, const char *src, size_t n)
{
    size_t  room;

    if (off < size) {
        room = size - off;
        memcpy(buf + off, src, n < room ? n : room);
    }

    return off + n;
}
