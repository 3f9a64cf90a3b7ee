
/*
 * fuzz_json: the strict parser, ticket_jv_parse(), against jansson.
 *
 * The module's own parser replaced json_loadb() for what every request
 * with a new ticket parses: the ticket's header and claims (and so an
 * event token's, which is a ticket); it must be exactly as strict.  The reference
 * here is what it replaced: nesting bounded by TICKET_MAX_DEPTH first
 * (counting brackets outside strings), then json_loadb() with
 * JSON_REJECT_DUPLICATES, an object at the top.  Both must accept the
 * same inputs and, where they accept, build equal values (json_equal():
 * the same members, strings byte for byte, integers and reals alike),
 * through ticket_json_parse_object() and through ticket_jv_parse() and
 * ticket_jv_to_json() apart.
 *
 * The flat nodes themselves are walked as well: every container's span
 * is 1 plus its children's (a member: its name's node and its value's),
 * its n the count of its children, the root's span every node reachable;
 * names are string nodes; strings are NUL-free, valid UTF-8, and one
 * that points into the input lies between its own quotes; every member
 * of the root is found by ticket_jv_getn() at its own node.
 *
 * One difference, on purpose: a NUL byte.  Inside a string both refuse
 * it (a control byte); outside, jansson's reader drops a NUL that comes
 * right after a number or a literal it gave back (stream_unget() leaves
 * the NUL in its one-character buffer, which reads as empty), so
 * json_loadb() accepts {"a":2<NUL>}.  Ours refuses every input holding a
 * NUL anywhere, which is checked here instead.
 */


#include "fuzz.h"

#include <ticket_json.h>


static int
fuzz_depth_ok(const uint8_t *buf, size_t len)
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

        if (buf[i] == '"') {
            in_string = 1;

        } else if (buf[i] == '{' || buf[i] == '[') {
            if (++depth > TICKET_MAX_DEPTH) {
                return 0;
            }

        } else if ((buf[i] == '}' || buf[i] == ']') && depth > 0) {
            depth--;
        }
    }

    return 1;
}


/*
 * A string node: NUL-free, valid UTF-8; one that points into the input
 * (it held no escape) is the bytes between its own two quotes, none of
 * them a backslash.
 */

static void
fuzz_check_string(const ticket_jv_t *v, const uint8_t *data, size_t size)
{
    uintptr_t  s, lo, hi;

    FUZZ_CHECK(ticket_jv_is_string(v) && v->span == 1);
    FUZZ_CHECK(v->n == 0 || v->u.s != NULL);

    if (v->n == 0) {
        return;
    }

    FUZZ_CHECK(memchr(v->u.s, '\0', v->n) == NULL);
    FUZZ_CHECK(fuzz_utf8_valid((const unsigned char *) v->u.s, v->n));

    s = (uintptr_t) v->u.s;
    lo = (uintptr_t) data;
    hi = lo + size;

    if (s >= lo && s < hi) {
        FUZZ_CHECK(s > lo && s + v->n < hi);
        FUZZ_CHECK(v->u.s[-1] == '"' && v->u.s[v->n] == '"');
        FUZZ_CHECK(memchr(v->u.s, '\\', v->n) == NULL);
    }
}


/*
 * The nodes of the value at v, counted by walking its children and never
 * past limit (the root's last node + 1): v's span must be that count,
 * its n its children's count (a walk by a wrong n runs short or long of
 * the span); names are single string nodes.  Each node is held to ref,
 * jansson's value at the same place, directly (the conversion is
 * compared apart): type, size, bytes, number.  Returns the count.
 */

static uint32_t
fuzz_nodes(const ticket_jv_t *v, const ticket_jv_t *limit,
    const uint8_t *data, size_t size, unsigned depth, json_t *ref)
{
    int                 kind;
    uint32_t            i, count, sub;
    json_t             *r;
    const ticket_jv_t  *c;

    FUZZ_CHECK(v < limit);
    FUZZ_CHECK(ref != NULL);

    kind = fuzz_jv_kind(v);

    switch (kind) {

    case TICKET_JV_OBJECT:
    case TICKET_JV_ARRAY:
        FUZZ_CHECK(depth <= TICKET_MAX_DEPTH);
        FUZZ_CHECK(v->span >= 1 && v->span <= (uint32_t) (limit - v));

        if (kind == TICKET_JV_OBJECT) {
            FUZZ_CHECK(json_is_object(ref) && json_object_size(ref) == v->n);

        } else {
            FUZZ_CHECK(json_is_array(ref) && json_array_size(ref) == v->n);
        }

        count = 1;
        c = v + 1;

        for (i = 0; i < v->n; i++) {

            if (kind == TICKET_JV_OBJECT) {
                FUZZ_CHECK(c < limit);
                fuzz_check_string(c, data, size);

                r = json_object_getn(ref, c->u.s, c->n);

                /* names are unique: the lookup finds this member */

                if (v->n <= 256) {
                    FUZZ_CHECK(ticket_jv_getn(v, c->u.s, c->n) == c + 1);
                }

                count++;
                c++;

            } else {
                r = json_array_get(ref, i);
            }

            sub = fuzz_nodes(c, limit, data, size, depth + 1, r);
            FUZZ_CHECK(c->span == sub);

            count += sub;
            c += sub;
        }

        FUZZ_CHECK(v->span == count);

        return count;

    case TICKET_JV_STRING:
        fuzz_check_string(v, data, size);
        FUZZ_CHECK(json_is_string(ref) && json_string_length(ref) == v->n
                   && (v->n == 0
                       || memcmp(json_string_value(ref), v->u.s, v->n)
                          == 0));
        return 1;

    case TICKET_JV_INTEGER:
        FUZZ_CHECK(json_is_integer(ref)
                   && (int64_t) json_integer_value(ref) == v->u.i);
        break;

    case TICKET_JV_REAL:
        FUZZ_CHECK(json_is_real(ref) && json_real_value(ref) == v->u.d);
        break;

    case TICKET_JV_TRUE:
        FUZZ_CHECK(json_is_true(ref));
        break;

    case TICKET_JV_FALSE:
        FUZZ_CHECK(json_is_false(ref));
        break;

    case TICKET_JV_NULL:
        FUZZ_CHECK(json_is_null(ref));
        break;

    default:
        FUZZ_CHECK(kind != 0);          /* no such type */
    }

    FUZZ_CHECK(v->span == 1);

    return 1;
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    void               *heap;
    json_t             *ours, *ref, *conv;
    uint32_t            count;
    json_error_t        error;
    ticket_alloc_t      a;
    const ticket_jv_t  *jv;

    ours = ticket_json_parse_object((const char *) data, size);

    heap = NULL;
    a.alloc = ticket_heap_alloc;
    a.free = NULL;
    a.data = &heap;

    jv = ticket_jv_parse((const char *) data, size, &a);

    ref = NULL;

    if (fuzz_depth_ok(data, size)) {
        ref = json_loadb((const char *) data, size, JSON_REJECT_DUPLICATES,
                         &error);

        if (ref != NULL && !json_is_object(ref)) {
            json_decref(ref);
            ref = NULL;
        }
    }

    if (memchr(data, '\0', size) != NULL) {
        FUZZ_CHECK(ours == NULL);
        FUZZ_CHECK(jv == NULL);
        json_decref(ref);
        ticket_heap_free(&heap);
        return 0;
    }

    if ((ours == NULL) != (ref == NULL) || (jv == NULL) != (ref == NULL)) {
        fprintf(stderr, "fuzz_json: ours %s, flat %s, jansson %s (%s)\n",
                ours ? "accepts" : "refuses", jv ? "accepts" : "refuses",
                ref ? "accepts" : "refuses", ref ? "" : error.text);
    }

    FUZZ_CHECK((ours == NULL) == (ref == NULL));
    FUZZ_CHECK((jv == NULL) == (ref == NULL));

    if (ours != NULL) {
        FUZZ_CHECK(json_equal(ours, ref));
    }

    if (jv != NULL) {
        FUZZ_CHECK(ticket_jv_is(jv, TICKET_JV_OBJECT));

        /* the spans, walked; the root's covers exactly what is reachable */

        count = fuzz_nodes(jv, jv + jv->span, data, size, 1, ref);
        FUZZ_CHECK(count == jv->span);

        /* and converted, value for value */

        conv = ticket_jv_to_json(jv);
        FUZZ_CHECK(conv != NULL);
        FUZZ_CHECK(json_equal(conv, ref));
        json_decref(conv);

        /* written back as jansson writes it */

        fuzz_check_jv_json(jv);
    }

    json_decref(ours);
    json_decref(ref);
    ticket_heap_free(&heap);

    return 0;
}
