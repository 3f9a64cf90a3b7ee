
/*
 * Algorithms: the table of names, families, digests and signature
 * lengths, and the three NIST curves with their group orders.
 */


#include <string.h>

#include <openssl/obj_mac.h>

#include "ticket_alg.h"


static const ticket_alg_info_t  ticket_algs[TICKET_ALG_MAX] = {
    { NULL,    TICKET_FAMILY_NONE,   0,  0 },
    { "HS256", TICKET_FAMILY_HS,    32, 32 },
    { "HS384", TICKET_FAMILY_HS,    48, 48 },
    { "HS512", TICKET_FAMILY_HS,    64, 64 },
    { "RS256", TICKET_FAMILY_RS,    32,  0 },
    { "RS384", TICKET_FAMILY_RS,    48,  0 },
    { "RS512", TICKET_FAMILY_RS,    64,  0 },
    { "ES256", TICKET_FAMILY_ES,    32, 64 },
    { "ES384", TICKET_FAMILY_ES,    48, 96 },
    { "ES512", TICKET_FAMILY_ES,    64, 132 },
    { "PS256", TICKET_FAMILY_PS,    32,  0 },
    { "PS384", TICKET_FAMILY_PS,    48,  0 },
    { "PS512", TICKET_FAMILY_PS,    64,  0 },
    { "EdDSA", TICKET_FAMILY_EDDSA,  0, 64 }
};


static const unsigned char  ticket_p256_order[32] = {
    0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84,
    0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51
};


static const unsigned char  ticket_p384_order[48] = {
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xc7, 0x63, 0x4d, 0x81, 0xf4, 0x37, 0x2d, 0xdf,
    0x58, 0x1a, 0x0d, 0xb2, 0x48, 0xb0, 0xa7, 0x7a,
    0xec, 0xec, 0x19, 0x6a, 0xcc, 0xc5, 0x29, 0x73
};


static const unsigned char  ticket_p521_order[66] = {
    0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xfa, 0x51, 0x86, 0x87, 0x83, 0xbf, 0x2f,
    0x96, 0x6b, 0x7f, 0xcc, 0x01, 0x48, 0xf7, 0x09,
    0xa5, 0xd0, 0x3b, 0xb5, 0xc9, 0xb8, 0x89, 0x9c,
    0x47, 0xae, 0xbb, 0x6f, 0xb7, 0x1e, 0x91, 0x38,
    0x64, 0x09
};


static const ticket_curve_t  ticket_curves[] = {
    { "P-256", "prime256v1", NID_X9_62_prime256v1, 32, ticket_p256_order },
    { "P-384", "secp384r1",  NID_secp384r1,        48, ticket_p384_order },
    { "P-521", "secp521r1",  NID_secp521r1,        66, ticket_p521_order }
};


ticket_alg_t
ticket_alg_from_name(const char *name, size_t len)
{
    size_t  i;

    if (name == NULL) {
        return TICKET_ALG_UNKNOWN;
    }

    for (i = 1; i < TICKET_ALG_MAX; i++) {
        if (strlen(ticket_algs[i].name) == len
            && memcmp(ticket_algs[i].name, name, len) == 0)
        {
            return (ticket_alg_t) i;
        }
    }

    /*
     * RFC 9864 names the Ed25519 variant of EdDSA "Ed25519"; EdDSA here
     * is Ed25519 only (an OKP key of another curve never loads), so both
     * names are one algorithm and a key of either verifies a ticket of
     * either.
     */

    if (len == sizeof("Ed25519") - 1 && memcmp(name, "Ed25519", len) == 0) {
        return TICKET_ALG_EDDSA;
    }

    return TICKET_ALG_UNKNOWN;
}


const char *
ticket_alg_name(ticket_alg_t alg)
{
    const ticket_alg_info_t  *info;

    info = ticket_alg_info(alg);

    return info != NULL ? info->name : "unknown";
}


const ticket_alg_info_t *
ticket_alg_info(ticket_alg_t alg)
{
    if ((int) alg <= TICKET_ALG_UNKNOWN || (int) alg >= TICKET_ALG_MAX) {
        return NULL;
    }

    return &ticket_algs[alg];
}


const ticket_curve_t *
ticket_alg_curve(ticket_alg_t alg)
{
    switch (alg) {
    case TICKET_ALG_ES256:
        return &ticket_curves[0];
    case TICKET_ALG_ES384:
        return &ticket_curves[1];
    case TICKET_ALG_ES512:
        return &ticket_curves[2];
    default:
        return NULL;
    }
}
