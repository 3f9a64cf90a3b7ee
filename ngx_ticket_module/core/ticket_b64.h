
/*
 * base64url (RFC 4648, section 5) without padding, as JWS uses it; and
 * lowercase hex, as the fingerprints and ids of digests are written.
 */

#ifndef TICKET_B64_H_INCLUDED_
#define TICKET_B64_H_INCLUDED_


#include <stddef.h>


/* base64url without padding; strict: no '=', '+', '/', whitespace, and
 * unused trailing bits must be zero.  Return the decoded length, or -1. */

size_t ticket_b64url_encoded_len(size_t len);
size_t ticket_b64url_encode(char *dst, const unsigned char *src, size_t len);
long ticket_b64url_decode(unsigned char *dst, const char *src, size_t len);

/* 2 * len lowercase hex digits of src into dst, no NUL */
void ticket_hex_encode(char *dst, const unsigned char *src, size_t len);


#endif /* TICKET_B64_H_INCLUDED_ */
