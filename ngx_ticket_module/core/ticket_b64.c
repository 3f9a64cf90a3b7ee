
/*
 * base64url without padding (RFC 7515, section 2), strict.
 *
 * A JWS has exactly one encoding of each segment: padding, the standard
 * alphabet, whitespace and non-zero unused bits are all refused, so two
 * different strings never decode to the same ticket.
 */


#include <limits.h>
#include <stdint.h>

#include "ticket_b64.h"


static const char  ticket_b64url_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";


/* 0xff: not in the alphabet */

static const unsigned char  ticket_b64url_value[256] = {
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 62,   0xff, 0xff,   /* '-' */
    52,   53,   54,   55,   56,   57,   58,   59,     /* 0-7 */
    60,   61,   0xff, 0xff, 0xff, 0xff, 0xff, 0xff,   /* 8-9 */
    0xff, 0,    1,    2,    3,    4,    5,    6,      /* A-G */
    7,    8,    9,    10,   11,   12,   13,   14,
    15,   16,   17,   18,   19,   20,   21,   22,
    23,   24,   25,   0xff, 0xff, 0xff, 0xff, 63,     /* '_' */
    0xff, 26,   27,   28,   29,   30,   31,   32,     /* a-g */
    33,   34,   35,   36,   37,   38,   39,   40,
    41,   42,   43,   44,   45,   46,   47,   48,
    49,   50,   51,   0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff
};


size_t
ticket_b64url_encoded_len(size_t len)
{
    return len / 3 * 4 + (len % 3 ? len % 3 + 1 : 0);
}


size_t
ticket_b64url_encode(char *dst, const unsigned char *src, size_t len)
{
    char  *d;

    d = dst;

    while (len >= 3) {
        *d++ = ticket_b64url_alphabet[src[0] >> 2];
        *d++ = ticket_b64url_alphabet[((src[0] & 0x03) << 4) | (src[1] >> 4)];
        *d++ = ticket_b64url_alphabet[((src[1] & 0x0f) << 2) | (src[2] >> 6)];
        *d++ = ticket_b64url_alphabet[src[2] & 0x3f];

        src += 3;
        len -= 3;
    }

    if (len == 1) {
        *d++ = ticket_b64url_alphabet[src[0] >> 2];
        *d++ = ticket_b64url_alphabet[(src[0] & 0x03) << 4];

    } else if (len == 2) {
        *d++ = ticket_b64url_alphabet[src[0] >> 2];
        *d++ = ticket_b64url_alphabet[((src[0] & 0x03) << 4) | (src[1] >> 4)];
        *d++ = ticket_b64url_alphabet[(src[1] & 0x0f) << 2];
    }

    return (size_t) (d - dst);
}


long
ticket_b64url_decode(unsigned char *dst, const char *src, size_t len)
{
    size_t                i;
    uint32_t              w;
    unsigned char        *d;
    unsigned char         v[4];
    const unsigned char  *s;

    /* one trailing character carries only 6 bits: never a whole byte */

    if (len % 4 == 1) {
        return -1;
    }

    /* the decoded length must fit the return type (32-bit long) */

    if (len / 4 > (size_t) LONG_MAX / 3) {
        return -1;
    }

    s = (const unsigned char *) src;
    d = dst;

    /*
     * Four characters at a time, one test for all four: a value is 0..63,
     * the table's 0xff (not base64url) alone has the high bit.
     */

    while (len >= 4) {
        w = ((uint32_t) ticket_b64url_value[s[0]] << 18)
            | ((uint32_t) ticket_b64url_value[s[1]] << 12)
            | ((uint32_t) ticket_b64url_value[s[2]] << 6)
            | (uint32_t) ticket_b64url_value[s[3]];

        if ((ticket_b64url_value[s[0]] | ticket_b64url_value[s[1]]
             | ticket_b64url_value[s[2]] | ticket_b64url_value[s[3]]) & 0x80)
        {
            return -1;
        }

        d[0] = (unsigned char) (w >> 16);
        d[1] = (unsigned char) (w >> 8);
        d[2] = (unsigned char) w;

        d += 3;
        s += 4;
        len -= 4;
    }

    if (len == 0) {
        return (long) (d - dst);
    }

    for (i = 0; i < len; i++) {
        v[i] = ticket_b64url_value[s[i]];
        if (v[i] == 0xff) {
            return -1;
        }
    }

    /* the bits past the last whole byte must be zero: canonical only */

    if (len == 2) {
        if (v[1] & 0x0f) {
            return -1;
        }

        *d++ = (unsigned char) ((v[0] << 2) | (v[1] >> 4));

    } else {
        if (v[2] & 0x03) {
            return -1;
        }

        *d++ = (unsigned char) ((v[0] << 2) | (v[1] >> 4));
        *d++ = (unsigned char) ((v[1] << 4) | (v[2] >> 2));
    }

    return (long) (d - dst);
}


void
ticket_hex_encode(char *dst, const unsigned char *src, size_t len)
{
    size_t  i;

    static const char  hex[] = "0123456789abcdef";

    for (i = 0; i < len; i++) {
        dst[2 * i] = hex[src[i] >> 4];
        dst[2 * i + 1] = hex[src[i] & 0x0f];
    }
}
