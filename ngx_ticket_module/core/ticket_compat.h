
/*
 * ngx_ticket_module: the one place where the libraries' versions differ
 * (as ngx_http_ticket_compat.h is for nginx's).
 *
 * jansson 2.15 (Debian unstable) writes a real in its shortest form
 * ("1e300"); 2.14 and earlier (Debian 12, 13) with 17 significant digits
 * ("1.0000000000000001e300").  Asked for 17 digits, every version writes
 * the same text, so a backend sees the same claim whatever release the
 * gateway runs on; it still reads back as the same double.
 */


#ifndef _TICKET_COMPAT_H_INCLUDED_
#define _TICKET_COMPAT_H_INCLUDED_


#include <jansson.h>


#define TICKET_JSON_REALS  JSON_REAL_PRECISION(17)


#endif /* _TICKET_COMPAT_H_INCLUDED_ */
