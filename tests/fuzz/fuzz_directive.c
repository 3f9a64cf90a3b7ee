
/*
 * fuzz_directive: the names configuration values are looked up by
 * (ticket_alg_from_name, ticket_reason_from_name,
 * ticket_audit_event_from_name, ticket_rev_list_from_name) with any
 * bytes: a name is found only when it is exactly one the core writes
 * back.  And ticket_json_path() with any dotted path against a fixed
 * claims object: it finds exactly what a walk by hand finds.
 *
 * The input is split at its first NUL: a value, then a path (the whole
 * input is both when there is none).
 */


#include "fuzz.h"

#include <ticket_audit.h>
#include <ticket_revocation.h>


static const char  fuzz_claims_json[] =
    "{\"sub\":\"alice\",\"roles\":[\"a\",\"b\"],"
    "\"realm_access\":{\"roles\":[\"admin\"],\"x\":{\"y\":{\"z\":1}}},"
    "\"a.b\":\"dotted\",\"\":\"empty\",\"n\":null,\"t\":true,"
    "\"o\":{\"\":{\"k\":2}},\"arr\":[{\"k\":1}],\"u\":\"\\u00e9\","
    "\"https://example.com/roles\":[\"r\"],\"a\":{\"b\":\"nested\"}}";

/* parsed once, for the whole run: the heap is never freed, and stays
 * reachable (no leak) */

static void               *fuzz_heap;
static const ticket_jv_t  *fuzz_obj;


static const ticket_jv_t *fuzz_walk(const ticket_jv_t *obj,
    const char *path, size_t len);


int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    ticket_alloc_t  a;

    a.alloc = ticket_heap_alloc;

    a.free = NULL;
    a.data = &fuzz_heap;

    fuzz_obj = ticket_jv_parse(fuzz_claims_json,
                               sizeof(fuzz_claims_json) - 1, &a);
    FUZZ_CHECK(ticket_jv_is(fuzz_obj, TICKET_JV_OBJECT));

    return 0;
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int                 i;
    char               *s, *path, *nul;
    size_t              len, plen;
    const char         *name;
    ticket_alg_t        alg;
    const ticket_jv_t  *v;

    s = malloc(size ? size : 1);
    if (s == NULL) {
        return 0;
    }

    memcpy(s, data, size);

    nul = memchr(s, '\0', size);
    len = nul ? (size_t) (nul - s) : size;

    /* algorithms */

    alg = ticket_alg_from_name(s, len);
    FUZZ_CHECK(alg >= TICKET_ALG_UNKNOWN && alg < TICKET_ALG_MAX);

    if (alg != TICKET_ALG_UNKNOWN) {
        name = ticket_alg_name(alg);

        /* one alias: RFC 9864's Ed25519 for EdDSA */

        FUZZ_CHECK(name != NULL
                   && ((strlen(name) == len && memcmp(name, s, len) == 0)
                       || (alg == TICKET_ALG_EDDSA && len == 7
                           && memcmp(s, "Ed25519", 7) == 0)));
    }

    /* reasons */

    i = ticket_reason_from_name(s, len);
    FUZZ_CHECK(i >= -1 && i < TICKET_REASON_MAX);

    if (i >= 0) {
        name = ticket_reason_name((ticket_reason_t) i);
        FUZZ_CHECK(strlen(name) == len && memcmp(name, s, len) == 0);
    }

    /* audit events: a request's, or "signal" (always recorded, so naming
     * it changes nothing); never the nameless TICKET_AUDIT_NONE, never
     * "alert" */

    i = ticket_audit_event_from_name(s, len);
    FUZZ_CHECK(i == -1 || (i > TICKET_AUDIT_NONE && i <= TICKET_AUDIT_DENIED)
               || i == TICKET_AUDIT_SIGNAL);

    if (i > 0) {
        name = ticket_audit_event_name((ticket_audit_event_t) i);
        FUZZ_CHECK(name != NULL && strlen(name) == len
                   && memcmp(name, s, len) == 0);
    }

    /* revocation lists */

    i = ticket_rev_list_from_name(s, len);
    FUZZ_CHECK(i >= -1 && i < TICKET_REV_LISTS);

    if (i >= 0) {
        name = ticket_rev_list_name((ticket_rev_list_t) i);
        FUZZ_CHECK(strlen(name) == len && memcmp(name, s, len) == 0);
    }

    /* claim paths, on a block of their own */

    if (nul != NULL) {
        plen = size - len - 1;
        path = malloc(plen ? plen : 1);
        FUZZ_CHECK(path != NULL);
        memcpy(path, nul + 1, plen);

    } else {
        plen = size;
        path = malloc(plen ? plen : 1);
        FUZZ_CHECK(path != NULL);
        memcpy(path, s, plen);
    }

    v = ticket_json_path(fuzz_obj, path, plen);
    FUZZ_CHECK(v == fuzz_walk(fuzz_obj, path, plen));

    if (v != NULL) {
        FUZZ_CHECK(ticket_json_text(v, NULL, 0) < 1024);
    }

    free(path);
    free(s);

    return 0;
}


/* the same lookup, written differently: the member named exactly so,
 * else segment by segment, by hand */

static const ticket_jv_t *
fuzz_walk(const ticket_jv_t *obj, const char *path, size_t len)
{
    char               *key;
    size_t              i, start;
    uint32_t            m;
    const ticket_jv_t  *k, *v, *found;

    if (len == 0) {
        return NULL;
    }

    if (memchr(path, '\0', len) == NULL) {
        fuzz_jv_members(obj, m, k, v) {
            if (k->n == len && memcmp(k->u.s, path, len) == 0) {
                return v;
            }
        }
    }

    start = 0;

    for (i = 0; i <= len; i++) {
        if (i < len && path[i] != '.') {
            continue;
        }

        if (i == start || !ticket_jv_is(obj, TICKET_JV_OBJECT)) {
            return NULL;
        }

        /* a NUL in a segment matches no member: names hold none */

        if (memchr(path + start, '\0', i - start) != NULL) {
            return NULL;
        }

        key = malloc(i - start + 1);
        FUZZ_CHECK(key != NULL);
        memcpy(key, path + start, i - start);
        key[i - start] = '\0';

        found = NULL;

        fuzz_jv_members(obj, m, k, v) {
            if (k->n == strlen(key) && memcmp(k->u.s, key, k->n) == 0) {
                found = v;
                break;
            }
        }

        free(key);

        if (found == NULL) {
            return NULL;
        }

        obj = found;
        start = i + 1;
    }

    return obj;
}
