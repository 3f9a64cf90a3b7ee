
/*
 * JSON as tickets use it: a strict parser, dotted claim paths, and the
 * text of a claim value for variables and headers.
 */

#ifndef TICKET_JSON_H_INCLUDED_
#define TICKET_JSON_H_INCLUDED_


#include "ticket_types.h"


/* strict JSON: objects only at top level, no duplicate member names, no
 * NUL escapes, valid UTF-8, nesting at most TICKET_MAX_DEPTH. */

json_t *ticket_json_parse_object(const char *buf, size_t len);

/*
 * A claim from an object by PATH: the member named exactly PATH when
 * there is one (Auth0's "https://example.com/roles"), else PATH as dotted
 * names ("realm_access.roles"); NULL if absent.
 */
json_t *ticket_json_path(json_t *obj, const char *path, size_t len);

/*
 * Text of a claim value for variables and headers: a string as it is,
 * a number and a boolean as JSON writes them, an array of strings
 * joined with ",", anything else compact JSON.  Returns the length
 * needed; writes at most size bytes to buf (buf may be NULL if size 0).
 */
size_t ticket_json_text(json_t *value, char *buf, size_t size);


#endif /* TICKET_JSON_H_INCLUDED_ */
