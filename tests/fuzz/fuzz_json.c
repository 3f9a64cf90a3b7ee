
/*
 * fuzz_json: ticket_json_parse_object() against jansson.
 *
 * The module's own parser replaced json_loadb() for what every request
 * with a new ticket parses: the ticket's header and claims (and so an
 * event token's, which is a ticket); it must be exactly as strict.  The reference
 * here is what it replaced: nesting bounded by TICKET_MAX_DEPTH first
 * (counting brackets outside strings), then json_loadb() with
 * JSON_REJECT_DUPLICATES, an object at the top.  Both must accept the
 * same inputs and, where they accept, build equal values (json_equal():
 * the same members, strings byte for byte, integers and reals alike).
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


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t        *ours, *ref;
    json_error_t   error;

    ours = ticket_json_parse_object((const char *) data, size);

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
        json_decref(ref);
        return 0;
    }

    if ((ours == NULL) != (ref == NULL)) {
        fprintf(stderr, "fuzz_json: ours %s, jansson %s (%s)\n",
                ours ? "accepts" : "refuses", ref ? "accepts" : "refuses",
                ref ? "" : error.text);
    }

    FUZZ_CHECK((ours == NULL) == (ref == NULL));

    if (ours != NULL) {
        FUZZ_CHECK(json_equal(ours, ref));
    }

    json_decref(ours);
    json_decref(ref);

    return 0;
}
