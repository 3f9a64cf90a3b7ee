/*
 * ticketctl: private keys and their public JWK (RFC 7517, RFC 7518,
 * RFC 8037).
 */

#include <string.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/pem.h>

#include "ticketctl.h"


static int ticketctl_no_password(char *buf, int size, int rwflag, void *u);
static int ticketctl_jwk_set_b64(json_t *jwk, const char *name,
    const unsigned char *p, size_t len);
static int ticketctl_jwk_set_bn(json_t *jwk, EVP_PKEY *pkey,
    const char *param, const char *name, size_t pad);
static const char *ticketctl_ec_crv(EVP_PKEY *pkey);


int
ticketctl_alg_is_hmac(ticket_alg_t alg)
{
    return alg == TICKET_ALG_HS256 || alg == TICKET_ALG_HS384
           || alg == TICKET_ALG_HS512;
}


int
ticketctl_pem_looks_like(const unsigned char *buf, size_t len)
{
    const char  *p;

    p = memchr(buf, '-', len);

    return p != NULL
           && (size_t) ((const unsigned char *) p - buf) + 11 <= len
           && memcmp(p, "-----BEGIN ", 11) == 0;
}


static int
ticketctl_no_password(char *buf, int size, int rwflag, void *u)
{
    /* an encrypted key is an error, never an interactive prompt */

    (void) buf;
    (void) size;
    (void) rwflag;
    (void) u;

    return -1;
}


EVP_PKEY *
ticketctl_load_private_key(const unsigned char *buf, size_t len)
{
    BIO       *bio;
    EVP_PKEY  *pkey;

    if (len > TICKETCTL_MAX_FILE) {
        return NULL;
    }

    bio = BIO_new_mem_buf(buf, (int) len);
    if (bio == NULL) {
        return NULL;
    }

    pkey = PEM_read_bio_PrivateKey(bio, NULL, ticketctl_no_password, NULL);

    BIO_free(bio);

    return pkey;
}


static const char *
ticketctl_ec_crv(EVP_PKEY *pkey)
{
    char    name[64];
    size_t  len;

    if (!EVP_PKEY_is_a(pkey, "EC")
        || !EVP_PKEY_get_group_name(pkey, name, sizeof(name), &len))
    {
        return NULL;
    }

    if (strcmp(name, "prime256v1") == 0 || strcmp(name, "P-256") == 0) {
        return "P-256";
    }

    if (strcmp(name, "secp384r1") == 0 || strcmp(name, "P-384") == 0) {
        return "P-384";
    }

    if (strcmp(name, "secp521r1") == 0 || strcmp(name, "P-521") == 0) {
        return "P-521";
    }

    return NULL;
}


ticket_alg_t
ticketctl_infer_alg(EVP_PKEY *pkey)
{
    const char  *crv;

    if (EVP_PKEY_is_a(pkey, "RSA")) {
        return TICKET_ALG_RS256;
    }

    if (EVP_PKEY_is_a(pkey, "RSA-PSS")) {
        return TICKET_ALG_PS256;
    }

    if (EVP_PKEY_is_a(pkey, "ED25519")) {
        return TICKET_ALG_EDDSA;
    }

    crv = ticketctl_ec_crv(pkey);

    if (crv == NULL) {
        return TICKET_ALG_UNKNOWN;
    }

    if (strcmp(crv, "P-256") == 0) {
        return TICKET_ALG_ES256;
    }

    if (strcmp(crv, "P-384") == 0) {
        return TICKET_ALG_ES384;
    }

    return TICKET_ALG_ES512;
}


int
ticketctl_key_fits_alg(EVP_PKEY *pkey, ticket_alg_t alg)
{
    switch (alg) {

    case TICKET_ALG_RS256:
    case TICKET_ALG_RS384:
    case TICKET_ALG_RS512:
        return EVP_PKEY_is_a(pkey, "RSA");

    case TICKET_ALG_PS256:
    case TICKET_ALG_PS384:
    case TICKET_ALG_PS512:
        return EVP_PKEY_is_a(pkey, "RSA") || EVP_PKEY_is_a(pkey, "RSA-PSS");

    case TICKET_ALG_ES256:
    case TICKET_ALG_ES384:
    case TICKET_ALG_ES512:
        /* each ES alg names its curve: ES256 with P-384 is no ES256 */
        return ticketctl_infer_alg(pkey) == alg;

    case TICKET_ALG_EDDSA:
        return EVP_PKEY_is_a(pkey, "ED25519");

    default:
        return 0;
    }
}


static int
ticketctl_jwk_set_b64(json_t *jwk, const char *name, const unsigned char *p,
    size_t len)
{
    char  *s;
    int    rc;

    s = ticketctl_b64url(p, len);
    if (s == NULL) {
        return -1;
    }

    rc = json_object_set_new(jwk, name, json_string(s));

    OPENSSL_cleanse(s, strlen(s));
    free(s);

    return rc;
}


static int
ticketctl_jwk_set_bn(json_t *jwk, EVP_PKEY *pkey, const char *param,
    const char *name, size_t pad)
{
    int             rc;
    size_t          len;
    BIGNUM         *bn;
    unsigned char  *p;

    bn = NULL;

    if (!EVP_PKEY_get_bn_param(pkey, param, &bn)) {
        return -1;
    }

    len = BN_num_bytes(bn);

    if (pad > len) {
        len = pad;
    }

    p = malloc(len ? len : 1);
    if (p == NULL) {
        BN_free(bn);
        return -1;
    }

    rc = -1;

    if (BN_bn2binpad(bn, p, (int) len) == (int) len) {
        rc = ticketctl_jwk_set_b64(jwk, name, p, len);
    }

    free(p);
    BN_free(bn);

    return rc;
}


json_t *
ticketctl_jwk(EVP_PKEY *pkey, const unsigned char *secret, size_t secret_len,
    ticket_alg_t alg, const char *kid, const char *tenant)
{
    int             rc;
    json_t         *jwk;
    size_t          len, field;
    const char     *crv;
    unsigned char   raw[64];

    jwk = json_object();
    if (jwk == NULL) {
        return NULL;
    }

    rc = 0;

    if (ticketctl_alg_is_hmac(alg)) {
        rc |= json_object_set_new(jwk, "kty", json_string("oct"));

    } else if (EVP_PKEY_is_a(pkey, "RSA") || EVP_PKEY_is_a(pkey, "RSA-PSS")) {
        rc |= json_object_set_new(jwk, "kty", json_string("RSA"));

    } else if (EVP_PKEY_is_a(pkey, "EC")) {
        rc |= json_object_set_new(jwk, "kty", json_string("EC"));

    } else if (EVP_PKEY_is_a(pkey, "ED25519")) {
        rc |= json_object_set_new(jwk, "kty", json_string("OKP"));

    } else {
        json_decref(jwk);
        return NULL;
    }

    rc |= json_object_set_new(jwk, "kid", json_string(kid));
    rc |= json_object_set_new(jwk, "alg", json_string(ticket_alg_name(alg)));
    rc |= json_object_set_new(jwk, "use", json_string("sig"));

    if (rc != 0) {
        goto failed;
    }

    if (ticketctl_alg_is_hmac(alg)) {
        if (ticketctl_jwk_set_b64(jwk, "k", secret, secret_len) != 0) {
            goto failed;
        }

    } else if (EVP_PKEY_is_a(pkey, "RSA") || EVP_PKEY_is_a(pkey, "RSA-PSS")) {
        if (ticketctl_jwk_set_bn(jwk, pkey, OSSL_PKEY_PARAM_RSA_N, "n", 0)
            != 0
            || ticketctl_jwk_set_bn(jwk, pkey, OSSL_PKEY_PARAM_RSA_E, "e", 0)
               != 0)
        {
            goto failed;
        }

    } else if (EVP_PKEY_is_a(pkey, "EC")) {
        crv = ticketctl_ec_crv(pkey);
        if (crv == NULL) {
            goto failed;
        }

        /* x and y are exactly the field size (RFC 7518, 6.2.1.2) */

        field = (EVP_PKEY_get_bits(pkey) + 7) / 8;

        if (json_object_set_new(jwk, "crv", json_string(crv)) != 0
            || ticketctl_jwk_set_bn(jwk, pkey, OSSL_PKEY_PARAM_EC_PUB_X, "x",
                                    field) != 0
            || ticketctl_jwk_set_bn(jwk, pkey, OSSL_PKEY_PARAM_EC_PUB_Y, "y",
                                    field) != 0)
        {
            goto failed;
        }

    } else {
        len = sizeof(raw);

        if (!EVP_PKEY_get_raw_public_key(pkey, raw, &len)
            || json_object_set_new(jwk, "crv", json_string("Ed25519")) != 0
            || ticketctl_jwk_set_b64(jwk, "x", raw, len) != 0)
        {
            goto failed;
        }
    }

    if (tenant != NULL
        && json_object_set_new(jwk, "tenant", json_string(tenant)) != 0)
    {
        goto failed;
    }

    return jwk;

failed:

    json_decref(jwk);

    return NULL;
}

