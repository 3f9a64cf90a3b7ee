
/*
 * ngx_ticket_module: the one place where the libraries' versions differ
 * (as ngx_http_ticket_compat.h is for nginx's).
 *
 * jansson 2.15 (Debian unstable) writes a real in its shortest form
 * ("1e300"); 2.14 and earlier (Debian 12, 13) with 17 significant digits
 * ("1.0000000000000001e300"), which reads back as the same double.  A
 * claim's text is written by ticket_jv_json() as 2.14 writes it with
 * TICKET_JSON_REALS, whatever jansson is installed: asked for 17 digits,
 * 2.15 still writes 1e16 <= |x| < 1e17 with an exponent ("1e16", where
 * 2.14 writes "10000000000000000.0").  The tests compare that writer
 * with jansson's json_dumps() under these flags.
 */


#ifndef _TICKET_COMPAT_H_INCLUDED_
#define _TICKET_COMPAT_H_INCLUDED_


#include <jansson.h>


#define TICKET_JSON_REAL_DIGITS  17
#define TICKET_JSON_REALS        JSON_REAL_PRECISION(TICKET_JSON_REAL_DIGITS)


#endif /* _TICKET_COMPAT_H_INCLUDED_ */
