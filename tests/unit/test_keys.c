
/*
 * ticket_keys.c: algorithm names, JWKS and PEM loading, and signatures
 * checked against the published examples of RFC 7515, RFC 7520 and
 * RFC 8037, copied byte for byte.
 */

#include "unit.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>


/* RFC 7515, appendix A.1 to A.3: the same payload */

#define RFC7515_PAYLOAD                                                      \
    "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFt"      \
    "cGxlLmNvbS9pc19yb290Ijp0cnVlfQ"

/* RFC 7515, A.1: HS256 */

#define RFC7515_A1_K                                                         \
    "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4h"  \
    "cgUuTwjAzZr1Z9CAow"
#define RFC7515_A1_INPUT                                                     \
    "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9." RFC7515_PAYLOAD
#define RFC7515_A1_SIG                                                       \
    "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"

/* RFC 7515, A.2: RS256 */

#define RFC7515_A2_N                                                         \
    "ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddxHmfHQp-Vaw"  \
    "-4qPCJrcS2mJPMEzP1Pt0Bm4d4QlL-yRT-SFd2lZS-pCgNMsD1W_YpRPEwOWvG6b3269"  \
    "0r2jZ47soMZo9wGzjb_7OMg0LOL-bSf63kpaSHSXndS5z5rexMdbBYUsLA9e-KXBdQOS"  \
    "-UTo7WTBEMa2R2CapHg665xsmtdVMTBQY4uDZlxvb3qCo5ZwKh9kG4LT6_I5IhlJH7aG"  \
    "hyxXFvUK-DWNmoudF8NAco9_h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXp"  \
    "oQ"
#define RFC7515_A2_INPUT                                                     \
    "eyJhbGciOiJSUzI1NiJ9." RFC7515_PAYLOAD
#define RFC7515_A2_SIG                                                       \
    "cC4hiUPoj9Eetdgtv3hF80EGrhuB__dzERat0XF9g2VtQgr9PJbu3XOiZj5RZmh7AAuH"  \
    "Im4Bh-0Qc_lF5YKt_O8W2Fp5jujGbds9uJdbF9CUAr7t1dnZcAcQjbKBYNX4BAynRFdi"  \
    "uB--f_nZLgrnbyTyWzO75vRK5h6xBArLIARNPvkSjtQBMHlb1L07Qe7K0GarZRmB_eSN"  \
    "9383LcOLn6_dO--xi12jzDwusC-eOkHWEsqtFZESc6BfI7noOPqvhJ1phCnvWh6IeYI2"  \
    "w9QOYEUipUTI8np6LbgGY9Fs98rqVt5AXLIhWkWywlVmtVrBp0igcN_IoypGlUPQGe77"  \
    "Rw"

/* RFC 7515, A.3: ES256 */

#define RFC7515_A3_X  "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU"
#define RFC7515_A3_Y  "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"
#define RFC7515_A3_INPUT                                                     \
    "eyJhbGciOiJFUzI1NiJ9." RFC7515_PAYLOAD
#define RFC7515_A3_SIG                                                       \
    "DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQ"  \
    "xfKTUJqPP3-Kg6NU1Q"

/* RFC 7515, A.4: ES512 */

#define RFC7515_A4_X                                                         \
    "AekpBQ8ST8a8VcfVOTNl353vSrDCLLJXmPk06wTjxrrjcBpXp5EOnYG_NjFZ6OvLFV1j"  \
    "SfS9tsz4qUxcWceqwQGk"
#define RFC7515_A4_Y                                                         \
    "ADSmRA43Z1DSNx_RvcLI87cdL07l6jQyyBXMoxVg_l2Th-x3S1WDhjDly79ajL4Kkd0A"  \
    "ZMaZmh9ubmf63e3kyMj2"
#define RFC7515_A4_INPUT  "eyJhbGciOiJFUzUxMiJ9.UGF5bG9hZA"
#define RFC7515_A4_SIG                                                       \
    "AdwMgeerwtHoh-l192l60hp9wAHZFVJbLfD_UxMi70cwnZOYaRI1bKPWROc-mZZqwqT2"  \
    "SI-KGDKB34XO0aw_7XdtAG8GaSwFKdCAPZgoXD2YBJZCPEX3xKpRwcdOO8KpEHwJjyqO"  \
    "gzDO7iKvU8vcnwNrmxYbSW9ERBXukOXolLzeO_Jn"

/* RFC 7520, 3.1, 3.3 and 3.5: the keys of the JWS examples of section 4 */

#define RFC7520_KID  "bilbo.baggins@hobbiton.example"
#define RFC7520_EC_X                                                         \
    "AHKZLLOsCOzz5cY97ewNUajB957y-C-U88c3v13nmGZx6sYl_oJXu9"                \
    "A5RkTKqjqvjyekWF-7ytDyRXYgCF5cj0Kt"
#define RFC7520_EC_Y                                                         \
    "AdymlHvOiLxXkEhayXQnNCvDX4h9htZaCJN34kfmC6pV5OhQHiraVy"                \
    "SsUdaQkAgDPrwQrJmbnX9cwlGfP-HqHZR1"
#define RFC7520_RSA_N                                                        \
    "n4EPtAOCc9AlkeQHPzHStgAbgs7bTZLwUBZdR8_KuKPEHLd4rHVTeT"                \
    "-O-XV2jRojdNhxJWTDvNd7nqQ0VEiZQHz_AJmSCpMaJMRBSFKrKb2wqV"              \
    "wGU_NsYOYL-QtiWN2lbzcEe6XC0dApr5ydQLrHqkHHig3RBordaZ6Aj-"              \
    "oBHqFEHYpPe7Tpe-OfVfHd1E6cS6M1FZcD1NNLYD5lFHpPI9bTwJlsde"              \
    "3uhGqC0ZCuEHg8lhzwOHrtIQbS0FVbb9k3-tVTU4fg_3L_vniUFAKwuC"              \
    "LqKnS2BYwdq_mzSnbLY7h_qixoR7jig3__kRhuaxwUkRz5iaiQkqgc5g"              \
    "HdrNP5zw"
#define RFC7520_HMAC_KID  "018c0ae5-4d9b-471b-bfd6-eef314bc7037"
#define RFC7520_HMAC_K    "hJtXIZ2uSN5kbQfbtTNWbpdmhkV8FJG-Onbc6mxCcYg"

#define RFC7520_PAYLOAD                                                      \
    "SXTigJlzIGEgZGFuZ2Vyb3VzIGJ1c2luZXNzLCBGcm9kbywgZ29pbmcgb3V0IH"        \
    "lvdXIgZG9vci4gWW91IHN0ZXAgb250byB0aGUgcm9hZCwgYW5kIGlmIHlvdSBk"        \
    "b24ndCBrZWVwIHlvdXIgZmVldCwgdGhlcmXigJlzIG5vIGtub3dpbmcgd2hlcm"        \
    "UgeW91IG1pZ2h0IGJlIHN3ZXB0IG9mZiB0by4"

/* RFC 7520, 4.1: RS256 */

#define RFC7520_41_INPUT                                                     \
    "eyJhbGciOiJSUzI1NiIsImtpZCI6ImJpbGJvLmJhZ2dpbnNAaG9iYml0b24uZX"        \
    "hhbXBsZSJ9." RFC7520_PAYLOAD
#define RFC7520_41_SIG                                                       \
    "MRjdkly7_-oTPTS3AXP41iQIGKa80A0ZmTuV5MEaHoxnW2e5CZ5NlKtainoFmK"        \
    "ZopdHM1O2U4mwzJdQx996ivp83xuglII7PNDi84wnB-BDkoBwA78185hX-Es4J"        \
    "IwmDLJK3lfWRa-XtL0RnltuYv746iYTh_qHRD68BNt1uSNCrUCTJDt5aAE6x8w"        \
    "W1Kt9eRo4QPocSadnHXFxnt8Is9UzpERV0ePPQdLuW3IS_de3xyIrDaLGdjluP"        \
    "xUAhb6L2aXic1U12podGU0KLUQSE_oI-ZnmKJ3F4uOZDnd6QZWJushZ41Axf_f"        \
    "cIe8u9ipH84ogoree7vjbU5y18kDquDg"

/* RFC 7520, 4.2: PS384 (randomized: the given signature is verified) */

#define RFC7520_42_INPUT                                                     \
    "eyJhbGciOiJQUzM4NCIsImtpZCI6ImJpbGJvLmJhZ2dpbnNAaG9iYml0b24uZX"        \
    "hhbXBsZSJ9." RFC7520_PAYLOAD
#define RFC7520_42_SIG                                                       \
    "cu22eBqkYDKgIlTpzDXGvaFfz6WGoz7fUDcfT0kkOy42miAh2qyBzk1xEsnk2I"        \
    "pN6-tPid6VrklHkqsGqDqHCdP6O8TTB5dDDItllVo6_1OLPpcbUrhiUSMxbbXU"        \
    "vdvWXzg-UD8biiReQFlfz28zGWVsdiNAUf8ZnyPEgVFn442ZdNqiVJRmBqrYRX"        \
    "e8P_ijQ7p8Vdz0TTrxUeT3lm8d9shnr2lfJT8ImUjvAA2Xez2Mlp8cBE5awDzT"        \
    "0qI0n6uiP1aCN_2_jLAeQTlqRHtfa64QQSUmFAAjVKPbByi7xho0uTOcbH510a"        \
    "6GYmJUAfmWjwZ6oD4ifKo8DYM-X72Eaw"

/* RFC 7520, 4.3: ES512 */

#define RFC7520_43_INPUT                                                     \
    "eyJhbGciOiJFUzUxMiIsImtpZCI6ImJpbGJvLmJhZ2dpbnNAaG9iYml0b24uZX"        \
    "hhbXBsZSJ9." RFC7520_PAYLOAD
#define RFC7520_43_SIG                                                       \
    "AE_R_YZCChjn4791jSQCrdPZCNYqHXCTZH0-JZGYNlaAjP2kqaluUIIUnC9qvb"        \
    "u9Plon7KRTzoNEuT4Va2cmL1eJAQy3mtPBu_u_sDDyYjnAMDxXPn7XrT0lw-kv"        \
    "AD890jl8e2puQens_IEKBpHABlsbEPX6sFY8OcGDqoRuBomu9xQ2"

/* RFC 7520, 4.4: HS256 */

#define RFC7520_44_INPUT                                                     \
    "eyJhbGciOiJIUzI1NiIsImtpZCI6IjAxOGMwYWU1LTRkOWItNDcxYi1iZmQ2LW"        \
    "VlZjMxNGJjNzAzNyJ9." RFC7520_PAYLOAD
#define RFC7520_44_SIG  "s0h6KThzkfBBBkLspW1h84VsJZFTsPPqMDA7g1Md7p0"

/* RFC 8037, A.1 and A.4: Ed25519 */

#define RFC8037_X      "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"
#define RFC8037_INPUT                                                        \
    "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc"
#define RFC8037_SIG                                                          \
    "hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt"  \
    "9g7sVvpAr_MuM0KAg"


/* the order n of P-256, for out-of-range signatures */

static const unsigned char  p256_order[32] = {
    0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84,
    0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51
};


/* base64url to a malloc()ed buffer, or the test fails */

static unsigned char *
b64d(const char *s, size_t *len)
{
    long            n;
    unsigned char  *p;

    p = malloc(strlen(s) / 4 * 3 + 3);
    assert_non_null(p);

    n = ticket_b64url_decode(p, s, strlen(s));
    assert_true(n >= 0);

    *len = (size_t) n;

    return p;
}


static char *
b64e(const unsigned char *p, size_t len)
{
    char    *s;
    size_t   n;

    s = malloc(ticket_b64url_encoded_len(len) + 1);
    assert_non_null(s);

    n = ticket_b64url_encode(s, p, len);
    s[n] = '\0';

    return s;
}


/* the signature (base64url) over input under key: 1 valid, 0 not */

static int
verify_b64(const ticket_key_t *key, const char *input, const char *sig_b64)
{
    int             ok;
    size_t          len;
    unsigned char  *sig;

    sig = b64d(sig_b64, &len);
    ok = ticket_key_verify(key, (const unsigned char *) input, strlen(input),
                           sig, len);
    free(sig);

    return ok;
}


/* the same signature with one bit flipped, anywhere, must fail */

static void
assert_bit_flips_fail(const ticket_key_t *key, const char *input,
    const char *sig_b64)
{
    size_t          len, i;
    unsigned char  *sig;

    sig = b64d(sig_b64, &len);

    for (i = 0; i < len; i += (len / 7) + 1) {
        sig[i] ^= 0x01;
        assert_int_equal(ticket_key_verify(key, (const unsigned char *) input,
                                           strlen(input), sig, len), 0);
        sig[i] ^= 0x01;
    }

    sig[len - 1] ^= 0x80;
    assert_int_equal(ticket_key_verify(key, (const unsigned char *) input,
                                       strlen(input), sig, len), 0);

    /* a failed verification leaves nothing for the next caller to find */

    assert_int_equal(ERR_peek_error(), 0);

    free(sig);
}


/* the last key a JWKS load skipped, as the warning said it */

static char  warned[TICKET_ERRLEN];


static void
warn_skipped(void *data, const char *msg)
{
    snprintf(warned, sizeof(warned), "%s", msg);
    (*(int *) data)++;
}


static int
add_jwks(ticket_keyset_t *ks, const char *json, char *err, size_t errlen)
{
    int                 rc, nwarned;
    ticket_jwks_opts_t  opts;

    memset(&opts, 0, sizeof(ticket_jwks_opts_t));
    opts.warn = warn_skipped;
    opts.data = &nwarned;
    warned[0] = '\0';
    nwarned = 0;

    rc = ticket_keyset_add_jwks_opts(ks, (const unsigned char *) json,
                                     strlen(json), &opts, err, errlen);
    assert_int_equal(ERR_peek_error(), 0);

    return rc;
}


/* one JWK (reference stolen) as a whole JWKS */

static int
add_jwk(ticket_keyset_t *ks, json_t *jwk, char *err, size_t errlen)
{
    int      rc;
    char    *s;
    json_t  *doc;

    assert_non_null(jwk);

    doc = json_pack("{s:[o]}", "keys", jwk);
    assert_non_null(doc);

    s = json_dumps(doc, JSON_COMPACT);
    assert_non_null(s);

    rc = add_jwks(ks, s, err, errlen);
    assert_int_equal(ERR_peek_error(), 0);

    free(s);
    json_decref(doc);

    return rc;
}


/* a JWKS that must fail, with err naming the problem */

static void
assert_jwks_fails(const char *json, const char *msg)
{
    char             err[TICKET_ERRLEN];
    ticket_keyset_t  ks;

    ticket_keyset_init(&ks);

    err[0] = '\0';
    assert_int_equal(add_jwks(&ks, json, err, sizeof(err)), -1);
    assert_int_equal(ks.nkeys, 0);

    /* a key skipped as unusable leaves a set without keys: its warning
     * says why */

    if (strstr(err, msg) == NULL && strstr(warned, msg) == NULL) {
        fail_msg("error \"%s\" (warning \"%s\") does not say \"%s\"",
                 err, warned, msg);
    }

    assert_null(strchr(err, '\n'));

    ticket_keyset_free(&ks);
}


static void
assert_jwk_fails(json_t *jwk, const char *msg)
{
    char             err[TICKET_ERRLEN];
    ticket_keyset_t  ks;

    ticket_keyset_init(&ks);

    err[0] = '\0';
    assert_int_equal(add_jwk(&ks, jwk, err, sizeof(err)), -1);
    assert_int_equal(ks.nkeys, 0);

    /* a key skipped as unusable leaves a set without keys: its warning
     * says why */

    if (strstr(err, msg) == NULL && strstr(warned, msg) == NULL) {
        fail_msg("error \"%s\" (warning \"%s\") does not say \"%s\"",
                 err, warned, msg);
    }

    ticket_keyset_free(&ks);
}


static void
assert_pem_fails(const char *kid, ticket_alg_t alg, const char *tenant,
    const char *buf, size_t len, const char *msg)
{
    char             err[TICKET_ERRLEN];
    ticket_keyset_t  ks;

    ticket_keyset_init(&ks);

    err[0] = '\0';
    assert_int_equal(ticket_keyset_add_pem(&ks, kid, alg, tenant,
                                           (const unsigned char *) buf, len,
                                           err, sizeof(err)), -1);
    assert_int_equal(ks.nkeys, 0);
    assert_int_equal(ERR_peek_error(), 0);

    /* a key skipped as unusable leaves a set without keys: its warning
     * says why */

    if (strstr(err, msg) == NULL && strstr(warned, msg) == NULL) {
        fail_msg("error \"%s\" (warning \"%s\") does not say \"%s\"",
                 err, warned, msg);
    }

    ticket_keyset_free(&ks);
}


static EVP_PKEY *
keygen(const char *type, const char *param, size_t bits)
{
    EVP_PKEY  *pkey;

    if (bits != 0) {
        pkey = EVP_PKEY_Q_keygen(NULL, NULL, type, bits);

    } else if (param != NULL) {
        pkey = EVP_PKEY_Q_keygen(NULL, NULL, type, param);

    } else {
        pkey = EVP_PKEY_Q_keygen(NULL, NULL, type);
    }

    assert_non_null(pkey);

    return pkey;
}


/* PEM text, NUL-terminated, of a public (or private) key */

static char *
pem_of(EVP_PKEY *pkey, int private)
{
    BIO     *bio;
    char    *s, *data;
    long     len;

    bio = BIO_new(BIO_s_mem());
    assert_non_null(bio);

    if (private) {
        assert_int_equal(PEM_write_bio_PrivateKey(bio, pkey, NULL, NULL, 0,
                                                  NULL, NULL), 1);
    } else {
        assert_int_equal(PEM_write_bio_PUBKEY(bio, pkey), 1);
    }

    len = BIO_get_mem_data(bio, &data);
    assert_true(len > 0);

    s = malloc((size_t) len + 1);
    assert_non_null(s);
    memcpy(s, data, (size_t) len);
    s[len] = '\0';

    BIO_free(bio);

    return s;
}


/* the public RSA JWK of a generated key */

static json_t *
rsa_jwk(EVP_PKEY *pkey, const char *kid, const char *alg)
{
    char           *n64, *e64;
    BIGNUM         *n, *e;
    json_t         *jwk;
    unsigned char   buf[1024];

    n = NULL;
    e = NULL;
    assert_int_equal(EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_N, &n),
                     1);
    assert_int_equal(EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_E, &e),
                     1);

    n64 = b64e(buf, (size_t) BN_bn2bin(n, buf));
    e64 = b64e(buf, (size_t) BN_bn2bin(e, buf));

    jwk = json_pack("{s:s,s:s,s:s,s:s,s:s}", "kty", "RSA", "kid", kid,
                    "alg", alg, "n", n64, "e", e64);
    assert_non_null(jwk);

    free(n64);
    free(e64);
    BN_free(n);
    BN_free(e);

    return jwk;
}


static json_t *
rfc7515_a3_jwk(void)
{
    return json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}", "kty", "EC", "kid", "a3",
                     "alg", "ES256", "crv", "P-256", "x", RFC7515_A3_X,
                     "y", RFC7515_A3_Y);
}


static void
test_alg_names(void **state)
{
    int          i;
    const char  *name;

    static const char  *names[] = {
        "HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "ES256",
        "ES384", "ES512", "PS256", "PS384", "PS512", "EdDSA"
    };

    static const char  *bad[] = {
        "", "none", "None", "NONE", "hs256", "HS256 ", " HS256", "HS25",
        "HS2566", "eddsa", "EDDSA", "ed25519", "Ed448", "RS1", "HS256\n"
    };

    assert_int_equal(TICKET_ALG_MAX - 1, sizeof(names) / sizeof(names[0]));

    for (i = 1; i < TICKET_ALG_MAX; i++) {
        name = ticket_alg_name((ticket_alg_t) i);
        assert_string_equal(name, names[i - 1]);
        assert_int_equal(ticket_alg_from_name(name, strlen(name)), i);
    }

    for (i = 0; i < (int) (sizeof(bad) / sizeof(bad[0])); i++) {
        assert_int_equal(ticket_alg_from_name(bad[i], strlen(bad[i])),
                         TICKET_ALG_UNKNOWN);
    }

    /* RFC 9864's fully specified name of EdDSA over Ed25519 */

    assert_int_equal(ticket_alg_from_name("Ed25519", 7), TICKET_ALG_EDDSA);
    assert_string_equal(ticket_alg_name(TICKET_ALG_EDDSA), "EdDSA");

    /* the length decides, not a NUL */

    assert_int_equal(ticket_alg_from_name("HS256", 6), TICKET_ALG_UNKNOWN);
    assert_int_equal(ticket_alg_from_name("HS256X", 5), TICKET_ALG_HS256);
    assert_int_equal(ticket_alg_from_name("ES384garbage", 5),
                     TICKET_ALG_ES384);
    assert_int_equal(ticket_alg_from_name(NULL, 0), TICKET_ALG_UNKNOWN);

    assert_non_null(ticket_alg_name(TICKET_ALG_UNKNOWN));
    assert_non_null(ticket_alg_name(TICKET_ALG_MAX));
}


static void
test_rfc7515_a1_hs256(void **state)
{
    char                 err[TICKET_ERRLEN];
    ticket_keyset_t      ks;
    const ticket_key_t  *key;

    ticket_keyset_init(&ks);

    assert_int_equal(add_jwks(&ks, "{\"keys\":[{\"kty\":\"oct\",\"kid\":\"a1\","
                              "\"alg\":\"HS256\",\"k\":\"" RFC7515_A1_K "\"}]}",
                              err, sizeof(err)), 0);

    key = ticket_keyset_find(&ks, "a1", 2);
    assert_non_null(key);
    assert_int_equal(key->alg, TICKET_ALG_HS256);
    assert_int_equal(key->sig_len, 32);
    assert_int_equal(key->secret_len, 64);
    assert_null(key->tenant);

    assert_int_equal(verify_b64(key, RFC7515_A1_INPUT, RFC7515_A1_SIG), 1);
    assert_bit_flips_fail(key, RFC7515_A1_INPUT, RFC7515_A1_SIG);

    /* another input under the same MAC */

    assert_int_equal(verify_b64(key, RFC7515_A2_INPUT, RFC7515_A1_SIG), 0);

    ticket_keyset_free(&ks);
    assert_int_equal(ks.nkeys, 0);
    assert_null(ks.keys);
}


static void
test_rfc7515_a2_rs256(void **state)
{
    char                 err[TICKET_ERRLEN];
    ticket_keyset_t      ks;
    const ticket_key_t  *key;

    ticket_keyset_init(&ks);

    assert_int_equal(add_jwks(&ks, "{\"keys\":[{\"kty\":\"RSA\",\"kid\":\"a2\","
                              "\"alg\":\"RS256\",\"use\":\"sig\","
                              "\"n\":\"" RFC7515_A2_N "\",\"e\":\"AQAB\"},"
                              "{\"kty\":\"RSA\",\"kid\":\"a2-ps\","
                              "\"alg\":\"PS256\","
                              "\"n\":\"" RFC7515_A2_N "\",\"e\":\"AQAB\"}]}",
                              err, sizeof(err)), 0);
    assert_int_equal(ks.nkeys, 2);

    key = ticket_keyset_find(&ks, "a2", 2);
    assert_non_null(key);
    assert_int_equal(key->alg, TICKET_ALG_RS256);
    assert_int_equal(key->sig_len, 256);

    assert_int_equal(verify_b64(key, RFC7515_A2_INPUT, RFC7515_A2_SIG), 1);
    assert_bit_flips_fail(key, RFC7515_A2_INPUT, RFC7515_A2_SIG);

    /* the same key pinned to PS256 does not take a PKCS#1 v1.5 signature */

    key = ticket_keyset_find(&ks, "a2-ps", 5);
    assert_non_null(key);
    assert_int_equal(verify_b64(key, RFC7515_A2_INPUT, RFC7515_A2_SIG), 0);

    ticket_keyset_free(&ks);
}


static void
test_rfc7515_a3_es256(void **state)
{
    char                 err[TICKET_ERRLEN];
    ticket_keyset_t      ks;
    const ticket_key_t  *key;

    ticket_keyset_init(&ks);

    assert_int_equal(add_jwk(&ks, rfc7515_a3_jwk(), err, sizeof(err)), 0);

    key = ticket_keyset_find(&ks, "a3", 2);
    assert_non_null(key);
    assert_int_equal(key->alg, TICKET_ALG_ES256);
    assert_int_equal(key->sig_len, 64);

    assert_int_equal(verify_b64(key, RFC7515_A3_INPUT, RFC7515_A3_SIG), 1);
    assert_bit_flips_fail(key, RFC7515_A3_INPUT, RFC7515_A3_SIG);

    ticket_keyset_free(&ks);
}


static void
test_rfc7515_a4_es512(void **state)
{
    char                 err[TICKET_ERRLEN];
    ticket_keyset_t      ks;
    const ticket_key_t  *key;

    ticket_keyset_init(&ks);

    assert_int_equal(add_jwks(&ks, "{\"keys\":[{\"kty\":\"EC\",\"kid\":\"a4\","
                              "\"alg\":\"ES512\",\"crv\":\"P-521\","
                              "\"x\":\"" RFC7515_A4_X "\","
                              "\"y\":\"" RFC7515_A4_Y "\"}]}",
                              err, sizeof(err)), 0);

    key = ticket_keyset_find(&ks, "a4", 2);
    assert_non_null(key);
    assert_int_equal(key->sig_len, 132);

    assert_int_equal(verify_b64(key, RFC7515_A4_INPUT, RFC7515_A4_SIG), 1);
    assert_bit_flips_fail(key, RFC7515_A4_INPUT, RFC7515_A4_SIG);

    ticket_keyset_free(&ks);
}


static void
test_rfc7520_section4(void **state)
{
    char                 err[TICKET_ERRLEN];
    ticket_keyset_t      rs, ps, es, hs;
    const ticket_key_t  *key;

    /* one kid for three keys in the RFC: one set each */

    ticket_keyset_init(&rs);
    ticket_keyset_init(&ps);
    ticket_keyset_init(&es);
    ticket_keyset_init(&hs);

    assert_int_equal(add_jwks(&rs, "{\"keys\":[{\"kty\":\"RSA\","
                              "\"kid\":\"" RFC7520_KID "\",\"use\":\"sig\","
                              "\"alg\":\"RS256\",\"n\":\"" RFC7520_RSA_N "\","
                              "\"e\":\"AQAB\"}]}", err, sizeof(err)), 0);
    assert_int_equal(add_jwks(&ps, "{\"keys\":[{\"kty\":\"RSA\","
                              "\"kid\":\"" RFC7520_KID "\",\"use\":\"sig\","
                              "\"alg\":\"PS384\",\"n\":\"" RFC7520_RSA_N "\","
                              "\"e\":\"AQAB\"}]}", err, sizeof(err)), 0);
    assert_int_equal(add_jwks(&es, "{\"keys\":[{\"kty\":\"EC\","
                              "\"kid\":\"" RFC7520_KID "\",\"use\":\"sig\","
                              "\"alg\":\"ES512\",\"crv\":\"P-521\","
                              "\"x\":\"" RFC7520_EC_X "\","
                              "\"y\":\"" RFC7520_EC_Y "\"}]}",
                              err, sizeof(err)), 0);
    assert_int_equal(add_jwks(&hs, "{\"keys\":[{\"kty\":\"oct\","
                              "\"kid\":\"" RFC7520_HMAC_KID "\","
                              "\"use\":\"sig\",\"alg\":\"HS256\","
                              "\"k\":\"" RFC7520_HMAC_K "\"}]}",
                              err, sizeof(err)), 0);

    /* 4.1 */

    key = ticket_keyset_find(&rs, RFC7520_KID, strlen(RFC7520_KID));
    assert_non_null(key);
    assert_int_equal(key->sig_len, 256);
    assert_int_equal(verify_b64(key, RFC7520_41_INPUT, RFC7520_41_SIG), 1);
    assert_bit_flips_fail(key, RFC7520_41_INPUT, RFC7520_41_SIG);
    assert_int_equal(verify_b64(key, RFC7520_42_INPUT, RFC7520_42_SIG), 0);

    /* 4.2 */

    key = ticket_keyset_find(&ps, RFC7520_KID, strlen(RFC7520_KID));
    assert_non_null(key);
    assert_int_equal(key->alg, TICKET_ALG_PS384);
    assert_int_equal(verify_b64(key, RFC7520_42_INPUT, RFC7520_42_SIG), 1);
    assert_bit_flips_fail(key, RFC7520_42_INPUT, RFC7520_42_SIG);
    assert_int_equal(verify_b64(key, RFC7520_41_INPUT, RFC7520_41_SIG), 0);

    /* 4.3 */

    key = ticket_keyset_find(&es, RFC7520_KID, strlen(RFC7520_KID));
    assert_non_null(key);
    assert_int_equal(key->sig_len, 132);
    assert_int_equal(verify_b64(key, RFC7520_43_INPUT, RFC7520_43_SIG), 1);
    assert_bit_flips_fail(key, RFC7520_43_INPUT, RFC7520_43_SIG);

    /* 4.4 */

    key = ticket_keyset_find(&hs, RFC7520_HMAC_KID, strlen(RFC7520_HMAC_KID));
    assert_non_null(key);
    assert_int_equal(verify_b64(key, RFC7520_44_INPUT, RFC7520_44_SIG), 1);
    assert_bit_flips_fail(key, RFC7520_44_INPUT, RFC7520_44_SIG);

    ticket_keyset_free(&rs);
    ticket_keyset_free(&ps);
    ticket_keyset_free(&es);
    ticket_keyset_free(&hs);
}


static void
test_rfc8037_a4_ed25519(void **state)
{
    char                 err[TICKET_ERRLEN];
    ticket_keyset_t      ks;
    const ticket_key_t  *key;

    ticket_keyset_init(&ks);

    assert_int_equal(add_jwks(&ks, "{\"keys\":[{\"kty\":\"OKP\","
                              "\"crv\":\"Ed25519\",\"kid\":\"ed\","
                              "\"alg\":\"EdDSA\",\"x\":\"" RFC8037_X "\"}]}",
                              err, sizeof(err)), 0);

    key = ticket_keyset_find(&ks, "ed", 2);
    assert_non_null(key);
    assert_int_equal(key->sig_len, 64);

    assert_int_equal(verify_b64(key, RFC8037_INPUT, RFC8037_SIG), 1);

    /* A.5-style: one flipped bit anywhere fails */

    assert_bit_flips_fail(key, RFC8037_INPUT, RFC8037_SIG);
    assert_int_equal(verify_b64(key, RFC8037_INPUT "A", RFC8037_SIG), 0);

    ticket_keyset_free(&ks);
}


/* ES256 signatures that are not two scalars in [1, n-1] */

static void
test_es256_out_of_range(void **state)
{
    char                 err[TICKET_ERRLEN];
    size_t               len;
    unsigned char        sig[64];
    unsigned char       *good;
    ticket_keyset_t      ks;
    const ticket_key_t  *key;
    const unsigned char *in;

    ticket_keyset_init(&ks);
    assert_int_equal(add_jwk(&ks, rfc7515_a3_jwk(), err, sizeof(err)), 0);
    key = &ks.keys[0];

    in = (const unsigned char *) RFC7515_A3_INPUT;
    len = strlen(RFC7515_A3_INPUT);

    good = b64d(RFC7515_A3_SIG, &len);
    assert_int_equal(len, 64);
    len = strlen(RFC7515_A3_INPUT);

    memset(sig, 0, sizeof(sig));
    assert_int_equal(ticket_key_verify(key, in, len, sig, 64), 0);

    /* r = 0, s = 0 alone */

    memcpy(sig, good, 64);
    memset(sig, 0, 32);
    assert_int_equal(ticket_key_verify(key, in, len, sig, 64), 0);

    memcpy(sig, good, 64);
    memset(sig + 32, 0, 32);
    assert_int_equal(ticket_key_verify(key, in, len, sig, 64), 0);

    /* r = n, s = n, r = 2^256 - 1 */

    memcpy(sig, good, 64);
    memcpy(sig, p256_order, 32);
    assert_int_equal(ticket_key_verify(key, in, len, sig, 64), 0);

    memcpy(sig, good, 64);
    memcpy(sig + 32, p256_order, 32);
    assert_int_equal(ticket_key_verify(key, in, len, sig, 64), 0);

    memcpy(sig, good, 64);
    memset(sig, 0xff, 32);
    assert_int_equal(ticket_key_verify(key, in, len, sig, 64), 0);

    /* wrong lengths: short, long, DER-sized */

    assert_int_equal(ticket_key_verify(key, in, len, good, 63), 0);
    assert_int_equal(ticket_key_verify(key, in, len, good, 0), 0);
    assert_int_equal(ticket_key_verify(key, in, len, NULL, 64), 0);

    /* and the genuine one still verifies */

    assert_int_equal(ticket_key_verify(key, in, len, good, 64), 1);

    free(good);
    ticket_keyset_free(&ks);
}


/* a DER signature is not the JWS form, even when it is valid DER */

static void
test_es256_der_refused(void **state)
{
    int                  der_len;
    char                 err[TICKET_ERRLEN];
    size_t               len;
    BIGNUM              *r, *s;
    ECDSA_SIG           *esig;
    unsigned char       *good, *der;
    ticket_keyset_t      ks;
    const ticket_key_t  *key;

    ticket_keyset_init(&ks);
    assert_int_equal(add_jwk(&ks, rfc7515_a3_jwk(), err, sizeof(err)), 0);
    key = &ks.keys[0];

    good = b64d(RFC7515_A3_SIG, &len);

    r = BN_bin2bn(good, 32, NULL);
    s = BN_bin2bn(good + 32, 32, NULL);
    esig = ECDSA_SIG_new();
    assert_int_equal(ECDSA_SIG_set0(esig, r, s), 1);

    der = NULL;
    der_len = i2d_ECDSA_SIG(esig, &der);
    assert_true(der_len > 64);

    assert_int_equal(ticket_key_verify(key,
                                       (const unsigned char *)
                                       RFC7515_A3_INPUT,
                                       strlen(RFC7515_A3_INPUT), der,
                                       (size_t) der_len), 0);

    OPENSSL_free(der);
    ECDSA_SIG_free(esig);
    free(good);
    ticket_keyset_free(&ks);
}


static void
test_keyset_find(void **state)
{
    char              err[TICKET_ERRLEN];
    char              kid[TICKET_MAX_KID + 2];
    json_t           *jwk;
    ticket_keyset_t   ks;

    ticket_keyset_init(&ks);

    memset(kid, 'k', sizeof(kid));
    kid[TICKET_MAX_KID] = '\0';

    jwk = json_pack("{s:s,s:s,s:s,s:s}", "kty", "oct", "kid", kid,
                    "alg", "HS256", "k", RFC7520_HMAC_K);
    assert_int_equal(add_jwk(&ks, jwk, err, sizeof(err)), 0);

    assert_non_null(ticket_keyset_find(&ks, kid, TICKET_MAX_KID));
    assert_null(ticket_keyset_find(&ks, kid, TICKET_MAX_KID - 1));
    assert_null(ticket_keyset_find(&ks, kid, TICKET_MAX_KID + 1));
    assert_null(ticket_keyset_find(&ks, "K", 1));
    assert_null(ticket_keyset_find(&ks, NULL, 0));

    /* a longer kid fails the JWKS */

    kid[TICKET_MAX_KID] = 'k';
    kid[TICKET_MAX_KID + 1] = '\0';

    jwk = json_pack("{s:s,s:s,s:s,s:s}", "kty", "oct", "kid", kid,
                    "alg", "HS256", "k", RFC7520_HMAC_K);
    assert_jwk_fails(jwk, "\"kid\" is longer than 256 bytes");

    ticket_keyset_free(&ks);
}


static void
test_jwks_duplicate_kid(void **state)
{
    char              err[TICKET_ERRLEN];
    ticket_keyset_t   ks;

    /* within one document */

    assert_jwks_fails("{\"keys\":[{\"kty\":\"oct\",\"kid\":\"k1\","
                      "\"alg\":\"HS256\",\"k\":\"" RFC7520_HMAC_K "\"},"
                      "{\"kty\":\"oct\",\"kid\":\"k1\","
                      "\"alg\":\"HS256\",\"k\":\"" RFC7515_A1_K "\"}]}",
                      "duplicate kid \"k1\" for alg HS256");

    /* against a key already in the set: the set stays as it was */

    ticket_keyset_init(&ks);

    assert_int_equal(add_jwks(&ks, "{\"keys\":[{\"kty\":\"oct\","
                              "\"kid\":\"k1\",\"alg\":\"HS256\","
                              "\"k\":\"" RFC7520_HMAC_K "\"}]}",
                              err, sizeof(err)), 0);

    assert_int_equal(add_jwks(&ks, "{\"keys\":[{\"kty\":\"oct\","
                              "\"kid\":\"k2\",\"alg\":\"HS256\","
                              "\"k\":\"" RFC7520_HMAC_K "\"},"
                              "{\"kty\":\"oct\",\"kid\":\"k1\","
                              "\"alg\":\"HS256\","
                              "\"k\":\"" RFC7520_HMAC_K "\"}]}",
                              err, sizeof(err)), -1);
    assert_string_equal(err, "duplicate kid \"k1\" for alg HS256");
    assert_int_equal(ks.nkeys, 1);
    assert_null(ticket_keyset_find(&ks, "k2", 2));

    /* and a PEM key of the same kid */

    assert_int_equal(ticket_keyset_add_pem(&ks, "k1", TICKET_ALG_HS256, NULL,
                                           (const unsigned char *)
                                           "0123456789abcdef0123456789abcdef",
                                           32, err, sizeof(err)), -1);
    assert_string_equal(err, "duplicate kid \"k1\" for alg HS256");
    assert_int_equal(ks.nkeys, 1);

    /* many keys: the set grows */

    assert_int_equal(add_jwks(&ks, "{\"keys\":["
        "{\"kty\":\"oct\",\"kid\":\"a\",\"alg\":\"HS256\",\"k\":\""
        RFC7520_HMAC_K "\"},"
        "{\"kty\":\"oct\",\"kid\":\"b\",\"alg\":\"HS256\",\"k\":\""
        RFC7520_HMAC_K "\"},"
        "{\"kty\":\"oct\",\"kid\":\"c\",\"alg\":\"HS256\",\"k\":\""
        RFC7520_HMAC_K "\"},"
        "{\"kty\":\"oct\",\"kid\":\"d\",\"alg\":\"HS256\",\"k\":\""
        RFC7520_HMAC_K "\"},"
        "{\"kty\":\"oct\",\"kid\":\"e\",\"alg\":\"HS256\",\"k\":\""
        RFC7520_HMAC_K "\"}]}", err, sizeof(err)), 0);
    assert_int_equal(ks.nkeys, 6);
    assert_non_null(ticket_keyset_find(&ks, "k1", 2));
    assert_non_null(ticket_keyset_find(&ks, "e", 1));

    ticket_keyset_free(&ks);
}


static void
test_jwks_structure_errors(void **state)
{
    assert_jwks_fails("{\"keys\":[", "invalid JSON");
    assert_jwks_fails("", "invalid JSON");
    assert_jwks_fails("\x01\x02garbage", "invalid JSON");
    assert_jwks_fails("[]", "JSON object");
    assert_jwks_fails("{}", "\"keys\" is missing");
    assert_jwks_fails("{\"keys\":{}}", "not an array");
    assert_jwks_fails("{\"keys\":[]}", "\"keys\" is empty");
    assert_jwks_fails("{\"keys\":[1]}", "keys[0]: is not a JSON object");
    assert_jwks_fails("{\"keys\":[],\"keys\":[]}", "invalid JSON");

    /* one line, whatever the file holds */

    assert_jwks_fails("{\"keys\":[tr\nue]}", "invalid JSON");
    assert_jwks_fails("{\"keys\":[\"a\x01\"]}", "invalid JSON");

    /* duplicate members inside a key: which "alg" would count? */

    assert_jwks_fails("{\"keys\":[{\"kty\":\"oct\",\"kid\":\"k1\","
                      "\"alg\":\"HS256\",\"alg\":\"none\","
                      "\"k\":\"" RFC7520_HMAC_K "\"}]}", "invalid JSON");

    assert_int_equal(ticket_keyset_add_jwks(NULL, NULL, 0, NULL, 0), -1);
}


static void
test_jwks_member_errors(void **state)
{
    /* kid */

    assert_jwks_fails("{\"keys\":[{\"kty\":\"oct\",\"alg\":\"HS256\","
                      "\"k\":\"" RFC7520_HMAC_K "\"}]}",
                      "keys[0]: \"kid\" is missing");
    assert_jwks_fails("{\"keys\":[{\"kty\":\"oct\",\"kid\":\"\","
                      "\"alg\":\"HS256\",\"k\":\"" RFC7520_HMAC_K "\"}]}",
                      "\"kid\" is empty");
    assert_jwks_fails("{\"keys\":[{\"kty\":\"oct\",\"kid\":7,"
                      "\"alg\":\"HS256\",\"k\":\"" RFC7520_HMAC_K "\"}]}",
                      "\"kid\" is not a string");

    /* alg: required, known, exact */

    assert_jwks_fails("{\"keys\":[{\"kty\":\"oct\",\"kid\":\"k1\","
                      "\"k\":\"" RFC7520_HMAC_K "\"}]}",
                      "key \"k1\": skipped: an \"oct\" key without "
                      "\"alg\"");
    assert_jwks_fails("{\"keys\":[{\"kty\":\"oct\",\"kid\":\"k1\","
                      "\"alg\":\"none\",\"k\":\"" RFC7520_HMAC_K "\"}]}",
                      "key \"k1\": skipped: \"alg\" \"none\" is not "
                      "supported");
    assert_jwks_fails("{\"keys\":[{\"kty\":\"oct\",\"kid\":\"k1\","
                      "\"alg\":\"hs256\",\"k\":\"" RFC7520_HMAC_K "\"}]}",
                      "is not supported");
    assert_jwks_fails("{\"keys\":[{\"kty\":\"oct\",\"kid\":\"k1\","
                      "\"alg\":[\"HS256\"],\"k\":\"" RFC7520_HMAC_K "\"}]}",
                      "\"alg\" is not a string");

    /* use */

    assert_jwks_fails("{\"keys\":[{\"kty\":\"oct\",\"kid\":\"k1\","
                      "\"use\":\"enc\",\"alg\":\"HS256\","
                      "\"k\":\"" RFC7520_HMAC_K "\"}]}",
                      "key \"k1\": skipped: \"use\" is \"enc\", not "
                      "\"sig\"");

    /* tenant */

    assert_jwks_fails("{\"keys\":[{\"kty\":\"oct\",\"kid\":\"k1\","
                      "\"tenant\":\"a/b\",\"alg\":\"HS256\","
                      "\"k\":\"" RFC7520_HMAC_K "\"}]}", "\"tenant\"");
    assert_jwks_fails("{\"keys\":[{\"kty\":\"oct\",\"kid\":\"k1\","
                      "\"tenant\":\"\",\"alg\":\"HS256\","
                      "\"k\":\"" RFC7520_HMAC_K "\"}]}", "\"tenant\"");
    assert_jwks_fails("{\"keys\":[{\"kty\":\"oct\",\"kid\":\"k1\","
                      "\"tenant\":1,\"alg\":\"HS256\","
                      "\"k\":\"" RFC7520_HMAC_K "\"}]}",
                      "\"tenant\" is not a string");

    /* kty must fit alg */

    assert_jwks_fails("{\"keys\":[{\"kty\":\"oct\",\"kid\":\"k1\","
                      "\"alg\":\"RS256\",\"k\":\"" RFC7520_HMAC_K "\"}]}",
                      "\"kty\" \"oct\" does not fit \"alg\" \"RS256\"");
    assert_jwks_fails("{\"keys\":[{\"kty\":\"RSA\",\"kid\":\"k1\","
                      "\"alg\":\"HS256\",\"n\":\"" RFC7515_A2_N "\","
                      "\"e\":\"AQAB\"}]}",
                      "\"kty\" \"RSA\" does not fit \"alg\" \"HS256\"");
    assert_jwks_fails("{\"keys\":[{\"kty\":\"RSA\",\"kid\":\"k1\","
                      "\"alg\":\"ES256\",\"n\":\"" RFC7515_A2_N "\","
                      "\"e\":\"AQAB\"}]}", "does not fit");
    assert_jwks_fails("{\"keys\":[{\"kid\":\"k1\",\"alg\":\"HS256\","
                      "\"k\":\"" RFC7520_HMAC_K "\"}]}",
                      "\"kty\" is missing");

    /* base64url, strict */

    assert_jwks_fails("{\"keys\":[{\"kty\":\"oct\",\"kid\":\"k1\","
                      "\"alg\":\"HS256\",\"k\":\"" RFC7520_HMAC_K "=\"}]}",
                      "\"k\" is not valid base64url");
    assert_jwks_fails("{\"keys\":[{\"kty\":\"oct\",\"kid\":\"k1\","
                      "\"alg\":\"HS256\",\"k\":\"\"}]}", "\"k\" is empty");
    assert_jwks_fails("{\"keys\":[{\"kty\":\"oct\",\"kid\":\"k1\","
                      "\"alg\":\"HS256\"}]}", "\"k\" is missing");

    /* the first key was good: a malformed second adds nothing all the
     * same (a key merely unusable is skipped instead: test_jwks_skip) */

    assert_jwks_fails("{\"keys\":[{\"kty\":\"oct\",\"kid\":\"k1\","
                      "\"alg\":\"HS256\",\"k\":\"" RFC7520_HMAC_K "\"},"
                      "{\"kty\":\"oct\",\"kid\":\"k2\","
                      "\"alg\":\"HS256\"}]}",
                      "key \"k2\": \"k\" is missing");
}


static void
test_jwks_short_hmac(void **state)
{
    char           *k;
    unsigned char   secret[64];

    memset(secret, 0x5a, sizeof(secret));

    k = b64e(secret, 31);
    assert_jwk_fails(json_pack("{s:s,s:s,s:s,s:s}", "kty", "oct",
                               "kid", "k1", "alg", "HS256", "k", k),
                     "\"k\" is 31 bytes: HS256 needs at least 32");
    free(k);

    k = b64e(secret, 47);
    assert_jwk_fails(json_pack("{s:s,s:s,s:s,s:s}", "kty", "oct",
                               "kid", "k1", "alg", "HS384", "k", k),
                     "HS384 needs at least 48");
    free(k);

    k = b64e(secret, 63);
    assert_jwk_fails(json_pack("{s:s,s:s,s:s,s:s}", "kty", "oct",
                               "kid", "k1", "alg", "HS512", "k", k),
                     "HS512 needs at least 64");
    free(k);
}


static void
test_jwks_private_material(void **state)
{
    size_t       i;
    json_t      *jwk;

    static const char  *members[] = { "d", "p", "q", "dp", "dq", "qi" };

    /* RFC 7515 A.3's own private JWK, as published */

    jwk = rfc7515_a3_jwk();
    json_object_set_new(jwk, "d",
                        json_string("jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9"
                                    "-E9LI"));
    assert_jwk_fails(jwk, "key \"a3\": skipped: holds private key material "
                     "(\"d\")");

    for (i = 0; i < sizeof(members) / sizeof(members[0]); i++) {
        jwk = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}", "kty", "RSA",
                        "kid", "k1", "alg", "RS256", "n", RFC7515_A2_N,
                        "e", "AQAB", members[i], "AQAB");
        assert_jwk_fails(jwk, "holds private key material");
    }

    jwk = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}", "kty", "OKP",
                    "crv", "Ed25519", "kid", "k1", "alg", "EdDSA",
                    "x", RFC8037_X,
                    "d", "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A");
    assert_jwk_fails(jwk, "only public keys are loaded");
}


static void
test_jwks_rsa_errors(void **state)
{
    json_t    *jwk;
    EVP_PKEY  *small;

    small = keygen("RSA", NULL, 1024);

    assert_jwk_fails(rsa_jwk(small, "k1", "RS256"),
                     "key \"k1\": skipped: the RSA key is 1024 bits, at "
                     "least 2048");
    assert_jwk_fails(rsa_jwk(small, "k1", "PS512"), "1024 bits");

    EVP_PKEY_free(small);

    /* e = 1 signs every message with itself; even e is no RSA */

    jwk = json_pack("{s:s,s:s,s:s,s:s,s:s}", "kty", "RSA", "kid", "k1",
                    "alg", "RS256", "n", RFC7515_A2_N, "e", "AQ");
    assert_jwk_fails(jwk, "not a usable RSA public key");

    jwk = json_pack("{s:s,s:s,s:s,s:s,s:s}", "kty", "RSA", "kid", "k1",
                    "alg", "RS256", "n", RFC7515_A2_N, "e", "AQAA");
    assert_jwk_fails(jwk, "not a usable RSA public key");

    jwk = json_pack("{s:s,s:s,s:s,s:s}", "kty", "RSA", "kid", "k1",
                    "alg", "RS256", "n", RFC7515_A2_N);
    assert_jwk_fails(jwk, "\"e\" is missing");
}


static void
test_jwks_ec_errors(void **state)
{
    char           *y;
    size_t          len;
    json_t         *jwk;
    unsigned char  *p;

    /* a P-256 key is not an ES384 or ES512 key */

    jwk = rfc7515_a3_jwk();
    json_object_set_new(jwk, "alg", json_string("ES384"));
    assert_jwk_fails(jwk, "\"crv\" \"P-256\" does not fit \"alg\" \"ES384\"");

    jwk = rfc7515_a3_jwk();
    json_object_set_new(jwk, "alg", json_string("ES512"));
    assert_jwk_fails(jwk, "does not fit");

    jwk = rfc7515_a3_jwk();
    json_object_set_new(jwk, "crv", json_string("P-384"));
    assert_jwk_fails(jwk, "\"crv\" \"P-384\" does not fit \"alg\" \"ES256\"");

    jwk = rfc7515_a3_jwk();
    json_object_set_new(jwk, "crv", json_string("secp256k1"));
    assert_jwk_fails(jwk, "does not fit");

    jwk = rfc7515_a3_jwk();
    json_object_del(jwk, "crv");
    assert_jwk_fails(jwk, "\"crv\" is missing");

    /* the point is not on the curve: one bit of y flipped */

    p = b64d(RFC7515_A3_Y, &len);
    p[31] ^= 0x01;
    y = b64e(p, len);

    jwk = rfc7515_a3_jwk();
    json_object_set_new(jwk, "y", json_string(y));
    assert_jwk_fails(jwk, "not a point on P-256");

    free(y);

    /* coordinates of the wrong length, even with a leading zero */

    p[31] ^= 0x01;
    y = b64e(p, 31);

    jwk = rfc7515_a3_jwk();
    json_object_set_new(jwk, "y", json_string(y));
    assert_jwk_fails(jwk, "\"y\" is 31 bytes: P-256 needs 32");

    free(y);
    free(p);

    jwk = rfc7515_a3_jwk();
    json_object_set_new(jwk, "x", json_string("AA" RFC7515_A3_X));
    assert_jwk_fails(jwk, "\"x\"");

    /* the point at infinity, (0, 0) */

    jwk = rfc7515_a3_jwk();
    json_object_set_new(jwk, "x", json_string("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
                                              "AAAAAAAAAAAA"));
    json_object_set_new(jwk, "y", json_string("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
                                              "AAAAAAAAAAAA"));
    assert_jwk_fails(jwk, "not a point on P-256");
}


static void
test_jwks_okp_errors(void **state)
{
    json_t  *jwk;

    jwk = json_pack("{s:s,s:s,s:s,s:s,s:s}", "kty", "OKP", "crv", "Ed448",
                    "kid", "k1", "alg", "EdDSA", "x", RFC8037_X);
    assert_jwk_fails(jwk, "\"crv\" \"Ed448\" does not fit");

    jwk = json_pack("{s:s,s:s,s:s,s:s,s:s}", "kty", "OKP", "crv", "X25519",
                    "kid", "k1", "alg", "EdDSA", "x", RFC8037_X);
    assert_jwk_fails(jwk, "does not fit");

    jwk = json_pack("{s:s,s:s,s:s,s:s,s:s}", "kty", "OKP", "crv", "Ed25519",
                    "kid", "k1", "alg", "EdDSA", "x", "AAAA");
    assert_jwk_fails(jwk, "\"x\" is 3 bytes: Ed25519 needs 32");

    jwk = json_pack("{s:s,s:s,s:s,s:s,s:s}", "kty", "EC", "crv", "Ed25519",
                    "kid", "k1", "alg", "EdDSA", "x", RFC8037_X);
    assert_jwk_fails(jwk, "\"kty\" \"EC\" does not fit \"alg\" \"EdDSA\"");
}


/* control bytes in a kid never reach the error log as they are */

static void
test_jwks_error_kid_shown_safely(void **state)
{
    char             err[TICKET_ERRLEN];
    ticket_keyset_t  ks;

    ticket_keyset_init(&ks);

    assert_int_equal(add_jwks(&ks, "{\"keys\":[{\"kty\":\"oct\","
                              "\"kid\":\"a\\nb\\\"c\",\"alg\":\"XX\"}]}",
                              err, sizeof(err)), -1);
    assert_string_equal(warned,
                        "key \"a?b?c\": skipped: \"alg\" \"XX\" is not "
                        "supported");
    assert_string_equal(err, "no key can verify tickets (1 skipped)");

    /* a short buffer is cut, not overrun */

    assert_int_equal(add_jwks(&ks, "{\"keys\":[{\"kty\":\"oct\","
                              "\"kid\":\"abc\"}]}", err, 8), -1);
    assert_string_equal(err, "no key ");

    assert_int_equal(add_jwks(&ks, "{\"keys\":[]}", NULL, 0), -1);

    ticket_keyset_free(&ks);
}


static void
test_pem_keys(void **state)
{
    char                *pem, *ec_pem, *ed_pem;
    char                 err[TICKET_ERRLEN];
    EVP_PKEY            *rsa, *ec, *ed;
    ticket_keyset_t      ks;
    const ticket_key_t  *key;

    rsa = keygen("RSA", NULL, 2048);
    ec = keygen("EC", "P-384", 0);
    ed = keygen("ED25519", NULL, 0);

    pem = pem_of(rsa, 0);
    ec_pem = pem_of(ec, 0);
    ed_pem = pem_of(ed, 0);

    ticket_keyset_init(&ks);

    assert_int_equal(ticket_keyset_add_pem(&ks, "rs", TICKET_ALG_RS384, NULL,
                                           (const unsigned char *) pem,
                                           strlen(pem), err, sizeof(err)), 0);
    assert_int_equal(ticket_keyset_add_pem(&ks, "ps", TICKET_ALG_PS256,
                                           "acme",
                                           (const unsigned char *) pem,
                                           strlen(pem), err, sizeof(err)), 0);
    assert_int_equal(ticket_keyset_add_pem(&ks, "es", TICKET_ALG_ES384, NULL,
                                           (const unsigned char *) ec_pem,
                                           strlen(ec_pem), err, sizeof(err)),
                     0);
    assert_int_equal(ticket_keyset_add_pem(&ks, "ed", TICKET_ALG_EDDSA, NULL,
                                           (const unsigned char *) ed_pem,
                                           strlen(ed_pem), err, sizeof(err)),
                     0);
    assert_int_equal(ticket_keyset_add_pem(&ks, "hs", TICKET_ALG_HS256, NULL,
                                           (const unsigned char *)
                                           "0123456789abcdef0123456789abcdef"
                                           "\r\n\n", 35, err, sizeof(err)),
                     0);
    assert_int_equal(ks.nkeys, 5);
    assert_int_equal(ERR_peek_error(), 0);

    key = ticket_keyset_find(&ks, "rs", 2);
    assert_int_equal(key->alg, TICKET_ALG_RS384);
    assert_int_equal(key->sig_len, 256);
    assert_null(key->tenant);

    key = ticket_keyset_find(&ks, "ps", 2);
    assert_string_equal(key->tenant, "acme");
    assert_int_equal(key->tenant_len, 4);

    key = ticket_keyset_find(&ks, "es", 2);
    assert_int_equal(key->sig_len, 96);

    key = ticket_keyset_find(&ks, "ed", 2);
    assert_int_equal(key->sig_len, 64);

    /* the newlines are not part of the secret */

    key = ticket_keyset_find(&ks, "hs", 2);
    assert_int_equal(key->secret_len, 32);
    assert_memory_equal(key->secret, "0123456789abcdef0123456789abcdef", 32);
    assert_string_equal(key->kid, "hs");

    ticket_keyset_free(&ks);

    free(pem);
    free(ec_pem);
    free(ed_pem);
    EVP_PKEY_free(rsa);
    EVP_PKEY_free(ec);
    EVP_PKEY_free(ed);
}


static void
test_pem_errors(void **state)
{
    char      *pem, *priv, *small_pem, *ec_pem, *ed_pem;
    EVP_PKEY  *rsa, *small, *ec, *ed;

    rsa = keygen("RSA", NULL, 2048);
    small = keygen("RSA", NULL, 1024);
    ec = keygen("EC", "P-256", 0);
    ed = keygen("ED25519", NULL, 0);

    pem = pem_of(rsa, 0);
    priv = pem_of(rsa, 1);
    small_pem = pem_of(small, 0);
    ec_pem = pem_of(ec, 0);
    ed_pem = pem_of(ed, 0);

    /* the RS/HS confusion: a public key is no HMAC secret */

    assert_pem_fails("k1", TICKET_ALG_HS256, NULL, pem, strlen(pem),
                     "key \"k1\": the HS256 secret is a PEM key");
    assert_pem_fails("k1", TICKET_ALG_HS512, NULL, pem, strlen(pem),
                     "PEM key");

    /* short secrets, counted after the newlines go */

    assert_pem_fails("k1", TICKET_ALG_HS256, NULL,
                     "0123456789abcdef0123456789abcde\n", 32,
                     "the HS256 secret is 31 bytes: at least 32");
    assert_pem_fails("k1", TICKET_ALG_HS384, NULL,
                     "0123456789abcdef0123456789abcdef", 32,
                     "at least 48");
    assert_pem_fails("k1", TICKET_ALG_HS256, NULL, "", 0, "0 bytes");

    /* private keys stay off the gateway */

    assert_pem_fails("k1", TICKET_ALG_RS256, NULL, priv, strlen(priv),
                     "key \"k1\": is a private key: give the public key");

    /* type, size and curve must fit the alg */

    assert_pem_fails("k1", TICKET_ALG_RS256, NULL, small_pem,
                     strlen(small_pem), "1024 bits: at least 2048");
    assert_pem_fails("k1", TICKET_ALG_ES384, NULL, ec_pem, strlen(ec_pem),
                     "the curve is not P-384");
    assert_pem_fails("k1", TICKET_ALG_ES256, NULL, pem, strlen(pem),
                     "is not an EC key");
    assert_pem_fails("k1", TICKET_ALG_RS256, NULL, ec_pem, strlen(ec_pem),
                     "is not an RSA key");
    assert_pem_fails("k1", TICKET_ALG_EDDSA, NULL, ec_pem, strlen(ec_pem),
                     "is not an Ed25519 key");
    assert_pem_fails("k1", TICKET_ALG_PS256, NULL, ed_pem, strlen(ed_pem),
                     "is not an RSA key");

    /* not PEM, cut PEM */

    assert_pem_fails("k1", TICKET_ALG_RS256, NULL, "garbage", 7,
                     "no PEM public key found");
    assert_pem_fails("k1", TICKET_ALG_RS256, NULL, pem, strlen(pem) / 2,
                     "no PEM public key found");
    assert_pem_fails("k1", TICKET_ALG_RS256, NULL, NULL, 0,
                     "no PEM public key found");

    /* kid, alg, tenant */

    assert_pem_fails("", TICKET_ALG_RS256, NULL, pem, strlen(pem),
                     "kid is empty");
    assert_pem_fails(NULL, TICKET_ALG_RS256, NULL, pem, strlen(pem),
                     "kid is empty");
    assert_pem_fails("k1", TICKET_ALG_UNKNOWN, NULL, pem, strlen(pem),
                     "unknown algorithm");
    assert_pem_fails("k1", TICKET_ALG_MAX, NULL, pem, strlen(pem),
                     "unknown algorithm");
    assert_pem_fails("k1", TICKET_ALG_RS256, "a/b", pem, strlen(pem),
                     "tenant");
    assert_pem_fails("k1", TICKET_ALG_RS256, "", pem, strlen(pem),
                     "tenant");

    free(pem);
    free(priv);
    free(small_pem);
    free(ec_pem);
    free(ed_pem);
    EVP_PKEY_free(rsa);
    EVP_PKEY_free(small);
    EVP_PKEY_free(ec);
    EVP_PKEY_free(ed);
}


static void
test_pem_kid_too_long(void **state)
{
    char  kid[TICKET_MAX_KID + 2];

    memset(kid, 'k', sizeof(kid) - 1);
    kid[sizeof(kid) - 1] = '\0';

    assert_pem_fails(kid, TICKET_ALG_HS256, NULL,
                     "0123456789abcdef0123456789abcdef", 32,
                     "kid is longer than 256 bytes");
}


/* a key that verifies one alg refuses the signature of another */

static void
test_verify_refuses_mismatch(void **state)
{
    ticket_key_t   key;
    unsigned char  sig[32];

    memset(&key, 0, sizeof(key));
    memset(sig, 0, sizeof(sig));

    assert_int_equal(ticket_key_verify(NULL, (const unsigned char *) "x", 1,
                                       sig, 32), 0);

    /* no alg, no secret, no pkey: never "valid" */

    key.sig_len = 32;
    assert_int_equal(ticket_key_verify(&key, (const unsigned char *) "x", 1,
                                       sig, 32), 0);

    key.alg = TICKET_ALG_RS256;
    assert_int_equal(ticket_key_verify(&key, (const unsigned char *) "x", 1,
                                       sig, 32), 0);

    key.alg = TICKET_ALG_HS256;
    assert_int_equal(ticket_key_verify(&key, (const unsigned char *) "x", 1,
                                       sig, 32), 0);

    key.alg = TICKET_ALG_ES256;
    assert_int_equal(ticket_key_verify(&key, (const unsigned char *) "x", 1,
                                       sig, 32), 0);
}


/*
 * RFC 7517 section 5: keys that cannot verify tickets are skipped, each
 * with a warning naming kid and reason, and the usable ones load.
 */

static void
test_jwks_skip(void **state)
{
    int                 nwarned;
    char                err[TICKET_ERRLEN];
    size_t              i;
    EVP_PKEY           *small;
    json_t             *doc, *list;
    char               *text;
    ticket_keyset_t     ks;
    ticket_jwks_opts_t  opts;

    static const struct {
        const char  *jwk;
        const char  *why;
    } skipped[] = {
        { "{\"kty\":\"RSA\",\"kid\":\"enc\",\"use\":\"enc\",\"alg\":\"RS256\","
          "\"n\":\"" RFC7515_A2_N "\",\"e\":\"AQAB\"}",
          "key \"enc\": skipped: \"use\" is \"enc\", not \"sig\"" },
        { "{\"kty\":\"RSA\",\"kid\":\"oaep\",\"alg\":\"RSA-OAEP\","
          "\"n\":\"" RFC7515_A2_N "\",\"e\":\"AQAB\"}",
          "key \"oaep\": skipped: \"alg\" \"RSA-OAEP\" is an encryption "
          "algorithm" },
        { "{\"kty\":\"EC\",\"kid\":\"ecdh\",\"alg\":\"ECDH-ES\","
          "\"crv\":\"P-256\",\"x\":\"" RFC7515_A3_X "\",\"y\":\""
          RFC7515_A3_Y "\"}",
          "key \"ecdh\": skipped: \"alg\" \"ECDH-ES\" is an encryption" },
        { "{\"kty\":\"OKP\",\"kid\":\"x25519\",\"crv\":\"X25519\","
          "\"x\":\"" RFC8037_X "\"}",
          "key \"x25519\": skipped: \"crv\" \"X25519\" is for key "
          "agreement" },
        { "{\"kty\":\"EC\",\"kid\":\"k1\",\"crv\":\"secp256k1\","
          "\"x\":\"" RFC7515_A3_X "\",\"y\":\"" RFC7515_A3_Y "\"}",
          "key \"k1\": skipped: \"crv\" \"secp256k1\" is not supported" },
        { "{\"kty\":\"OKP\",\"kid\":\"ed448\",\"crv\":\"Ed448\","
          "\"x\":\"" RFC8037_X "\"}",
          "key \"ed448\": skipped: \"crv\" \"Ed448\" is not supported" },
        { "{\"kty\":\"AKP\",\"kid\":\"pq\",\"alg\":\"ML-DSA-44\","
          "\"pub\":\"AAAA\"}",
          "key \"pq\": skipped: \"alg\" \"ML-DSA-44\" is not supported" },
        { "{\"kty\":\"AKP\",\"kid\":\"pq2\",\"pub\":\"AAAA\"}",
          "key \"pq2\": skipped: \"kty\" \"AKP\" is not supported" },
        { "{\"kty\":\"oct\",\"kid\":\"sym\",\"k\":\"" RFC7520_HMAC_K "\"}",
          "key \"sym\": skipped: an \"oct\" key without \"alg\"" },
        { "{\"kty\":\"RSA\",\"kid\":\"ops\",\"alg\":\"RS256\","
          "\"key_ops\":[\"encrypt\"],\"n\":\"" RFC7515_A2_N "\","
          "\"e\":\"AQAB\"}",
          "key \"ops\": skipped: \"key_ops\" has no \"verify\"" },
        { "{\"kty\":\"EC\",\"kid\":\"priv\",\"crv\":\"P-256\","
          "\"x\":\"" RFC7515_A3_X "\",\"y\":\"" RFC7515_A3_Y "\","
          "\"d\":\"jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI\"}",
          "key \"priv\": skipped: holds private key material (\"d\")" }
    };

    memset(&opts, 0, sizeof(ticket_jwks_opts_t));
    opts.warn = warn_skipped;
    opts.data = &nwarned;

    for (i = 0; i < sizeof(skipped) / sizeof(skipped[0]); i++) {

        /* beside a usable key: it loads, the other is skipped, warned */

        text = malloc(strlen(skipped[i].jwk) + 200);
        assert_non_null(text);
        sprintf(text, "{\"keys\":[%s,{\"kty\":\"oct\",\"kid\":\"good\","
                "\"alg\":\"HS256\",\"k\":\"" RFC7520_HMAC_K "\"}]}",
                skipped[i].jwk);

        ticket_keyset_init(&ks);
        nwarned = 0;
        warned[0] = '\0';

        assert_int_equal(ticket_keyset_add_jwks_opts(&ks,
                             (const unsigned char *) text, strlen(text),
                             &opts, err, sizeof(err)), 0);
        assert_int_equal(ks.nkeys, 1);
        assert_string_equal(ks.keys[0].kid, "good");
        assert_int_equal(nwarned, 1);

        if (strstr(warned, skipped[i].why) == NULL) {
            fail_msg("warning \"%s\" does not say \"%s\"", warned,
                     skipped[i].why);
        }

        ticket_keyset_free(&ks);

        /* alone: no usable key, the document fails */

        sprintf(text, "{\"keys\":[%s]}", skipped[i].jwk);
        assert_jwks_fails(text, skipped[i].why);
        assert_jwks_fails(text, "no key can verify tickets (1 skipped)");

        free(text);
        assert_int_equal(ERR_peek_error(), 0);
    }

    /* an RSA modulus below 2048 bits, with and without alg */

    small = keygen("RSA", NULL, 1024);

    doc = json_pack("{s:[o,o]}", "keys", rsa_jwk(small, "small", "RS256"),
                    rsa_jwk(small, "small2", "PS256"));
    list = json_object_get(doc, "keys");
    json_object_del(json_array_get(list, 0), "alg");
    text = json_dumps(doc, JSON_COMPACT);

    assert_jwks_fails(text, "key \"small2\": skipped: the RSA key is 1024 "
                      "bits");
    assert_jwks_fails(text, "(2 skipped)");

    free(text);
    json_decref(doc);
    EVP_PKEY_free(small);

    /* no warn callback: skipped all the same, silently */

    ticket_keyset_init(&ks);
    assert_int_equal(ticket_keyset_add_jwks(&ks, (const unsigned char *)
                         "{\"keys\":[{\"kty\":\"OKP\",\"kid\":\"x\","
                         "\"crv\":\"X25519\",\"x\":\"" RFC8037_X "\"},"
                         "{\"kty\":\"oct\",\"kid\":\"good\","
                         "\"alg\":\"HS256\",\"k\":\"" RFC7520_HMAC_K "\"}]}",
                         strlen("{\"keys\":[{\"kty\":\"OKP\",\"kid\":\"x\","
                         "\"crv\":\"X25519\",\"x\":\"" RFC8037_X "\"},"
                         "{\"kty\":\"oct\",\"kid\":\"good\","
                         "\"alg\":\"HS256\",\"k\":\"" RFC7520_HMAC_K "\"}]}"),
                         err, sizeof(err)), 0);
    assert_int_equal(ks.nkeys, 1);
    ticket_keyset_free(&ks);

    /* a key with a wrongly typed member is no skip: the document fails */

    assert_jwks_fails("{\"keys\":[{\"kty\":\"RSA\",\"kid\":\"k\","
                      "\"use\":1,\"n\":\"" RFC7515_A2_N "\",\"e\":\"AQAB\"},"
                      "{\"kty\":\"oct\",\"kid\":\"good\",\"alg\":\"HS256\","
                      "\"k\":\"" RFC7520_HMAC_K "\"}]}",
                      "key \"k\": \"use\" is not a string");
    assert_jwks_fails("{\"keys\":[{\"kty\":\"RSA\",\"kid\":\"k\","
                      "\"key_ops\":\"verify\",\"n\":\"" RFC7515_A2_N "\","
                      "\"e\":\"AQAB\"}]}",
                      "key \"k\": \"key_ops\" is not an array");
    assert_jwks_fails("{\"keys\":[{\"kty\":\"EC\",\"kid\":\"k\","
                      "\"x\":\"" RFC7515_A3_X "\",\"y\":\"" RFC7515_A3_Y
                      "\"}]}", "key \"k\": \"crv\" is missing");
}


/* "alg" from the key where only one fits; RSA as the source pins it */

static void
test_jwks_infer(void **state)
{
    char                err[TICKET_ERRLEN];
    const char         *doc;
    ticket_keyset_t     ks;
    ticket_jwks_opts_t  opts;

    doc = "{\"keys\":["
          "{\"kty\":\"EC\",\"kid\":\"p256\",\"crv\":\"P-256\","
          "\"x\":\"" RFC7515_A3_X "\",\"y\":\"" RFC7515_A3_Y "\"},"
          "{\"kty\":\"EC\",\"kid\":\"p521\",\"crv\":\"P-521\","
          "\"x\":\"" RFC7520_EC_X "\",\"y\":\"" RFC7520_EC_Y "\"},"
          "{\"kty\":\"OKP\",\"kid\":\"ed\",\"crv\":\"Ed25519\","
          "\"x\":\"" RFC8037_X "\"},"
          "{\"kty\":\"RSA\",\"kid\":\"rsa\",\"use\":\"sig\","
          "\"n\":\"" RFC7515_A2_N "\",\"e\":\"AQAB\"},"
          "{\"kty\":\"RSA\",\"kid\":\"ps\",\"alg\":\"PS384\","
          "\"n\":\"" RFC7515_A2_N "\",\"e\":\"AQAB\"},"
          "{\"kty\":\"OKP\",\"kid\":\"ed2\",\"alg\":\"Ed25519\","
          "\"crv\":\"Ed25519\",\"x\":\"" RFC8037_X "\"}]}";

    ticket_keyset_init(&ks);
    assert_int_equal(add_jwks(&ks, doc, err, sizeof(err)), 0);
    assert_int_equal(ks.nkeys, 6);

    assert_int_equal(ticket_keyset_find(&ks, "p256", 4)->alg,
                     TICKET_ALG_ES256);
    assert_int_equal(ticket_keyset_find(&ks, "p521", 4)->alg,
                     TICKET_ALG_ES512);
    assert_int_equal(ticket_keyset_find(&ks, "ed", 2)->alg,
                     TICKET_ALG_EDDSA);
    assert_int_equal(ticket_keyset_find(&ks, "rsa", 3)->alg,
                     TICKET_ALG_RS256);
    assert_int_equal(ticket_keyset_find(&ks, "ps", 2)->alg,
                     TICKET_ALG_PS384);
    assert_int_equal(ticket_keyset_find(&ks, "ed2", 3)->alg,
                     TICKET_ALG_EDDSA);
    assert_int_equal(ticket_keyset_find(&ks, "p521", 4)->sig_len, 132);

    ticket_keyset_free(&ks);

    /* alg= pins RSA keys without alg; one with its own alg keeps it */

    memset(&opts, 0, sizeof(ticket_jwks_opts_t));
    opts.rsa_alg = TICKET_ALG_PS256;

    ticket_keyset_init(&ks);
    assert_int_equal(ticket_keyset_add_jwks_opts(&ks,
                         (const unsigned char *) doc, strlen(doc), &opts,
                         err, sizeof(err)), 0);
    assert_int_equal(ticket_keyset_find(&ks, "rsa", 3)->alg,
                     TICKET_ALG_PS256);
    assert_int_equal(ticket_keyset_find(&ks, "ps", 2)->alg,
                     TICKET_ALG_PS384);
    assert_int_equal(ticket_keyset_find(&ks, "p256", 4)->alg,
                     TICKET_ALG_ES256);
    ticket_keyset_free(&ks);

    /* a stated alg must still fit the key: no inference around it */

    assert_jwks_fails("{\"keys\":[{\"kty\":\"EC\",\"kid\":\"k\","
                      "\"alg\":\"ES384\",\"crv\":\"P-256\","
                      "\"x\":\"" RFC7515_A3_X "\",\"y\":\"" RFC7515_A3_Y
                      "\"}]}", "\"crv\" \"P-256\" does not fit \"alg\" "
                      "\"ES384\"");
    assert_jwks_fails("{\"keys\":[{\"kty\":\"RSA\",\"kid\":\"k\","
                      "\"alg\":\"HS256\",\"n\":\"" RFC7515_A2_N "\","
                      "\"e\":\"AQAB\"}]}", "does not fit");
}


/*
 * One kid, two algs (RFC 7520's EC and RSA examples share a kid): two
 * keys, each selected by the ticket's alg, never the other.
 */

static void
test_jwks_kid_two_algs(void **state)
{
    char              err[TICKET_ERRLEN];
    ticket_t          t;
    unsigned char     sig[512];
    ticket_keyset_t   ks;

    ticket_keyset_init(&ks);
    assert_int_equal(add_jwks(&ks, "{\"keys\":["
                              "{\"kty\":\"EC\",\"kid\":\"" RFC7520_KID "\","
                              "\"use\":\"sig\",\"crv\":\"P-521\","
                              "\"x\":\"" RFC7520_EC_X "\","
                              "\"y\":\"" RFC7520_EC_Y "\"},"
                              "{\"kty\":\"RSA\",\"kid\":\"" RFC7520_KID "\","
                              "\"use\":\"sig\",\"n\":\"" RFC7520_RSA_N "\","
                              "\"e\":\"AQAB\"}]}", err, sizeof(err)), 0);
    assert_int_equal(ks.nkeys, 2);

    assert_int_equal(ticket_keyset_find_alg(&ks, RFC7520_KID,
                                            strlen(RFC7520_KID),
                                            TICKET_ALG_ES512)->alg,
                     TICKET_ALG_ES512);
    assert_int_equal(ticket_keyset_find_alg(&ks, RFC7520_KID,
                                            strlen(RFC7520_KID),
                                            TICKET_ALG_RS256)->alg,
                     TICKET_ALG_RS256);
    assert_null(ticket_keyset_find_alg(&ks, RFC7520_KID,
                                       strlen(RFC7520_KID),
                                       TICKET_ALG_HS256));

    memset(sig, 0, sizeof(sig));
    ticket_init(&t);
    t.kid.data = RFC7520_KID;
    t.kid.len = strlen(RFC7520_KID);
    t.sig = sig;

    t.alg = TICKET_ALG_ES512;
    t.sig_len = 132;
    assert_int_equal(ticket_select_key(&t, &ks), TICKET_OK);
    assert_int_equal(t.key->alg, TICKET_ALG_ES512);

    t.alg = TICKET_ALG_RS256;
    t.sig_len = 256;
    assert_int_equal(ticket_select_key(&t, &ks), TICKET_OK);
    assert_int_equal(t.key->alg, TICKET_ALG_RS256);

    /* another alg under that kid: alg_mismatch, as for any key */

    t.alg = TICKET_ALG_HS256;
    t.sig_len = 32;
    assert_int_equal(ticket_select_key(&t, &ks), TICKET_ALG_MISMATCH);
    t.alg = TICKET_ALG_UNKNOWN;
    assert_int_equal(ticket_select_key(&t, &ks), TICKET_ALG_MISMATCH);

    /* without a kid, two keys are never guessed between */

    t.kid.data = NULL;
    t.kid.len = 0;
    t.alg = TICKET_ALG_RS256;
    t.sig_len = 256;
    assert_int_equal(ticket_select_key(&t, &ks), TICKET_UNKNOWN_KEY);

    /* the same (kid, alg) again fails; the set stays as it was */

    assert_int_equal(add_jwks(&ks, "{\"keys\":[{\"kty\":\"RSA\","
                              "\"kid\":\"" RFC7520_KID "\","
                              "\"alg\":\"RS256\",\"n\":\"" RFC7515_A2_N "\","
                              "\"e\":\"AQAB\"}]}", err, sizeof(err)), -1);
    assert_string_equal(err, "duplicate kid \"" RFC7520_KID "\" for alg "
                        "RS256");
    assert_int_equal(ks.nkeys, 2);

    ticket_keyset_free(&ks);
}


/* tenant= binds every key of the source */

static void
test_jwks_tenant_opt(void **state)
{
    char                err[TICKET_ERRLEN];
    const char         *doc;
    ticket_keyset_t     ks;
    ticket_jwks_opts_t  opts;

    memset(&opts, 0, sizeof(ticket_jwks_opts_t));
    opts.tenant = "acme";

    doc = "{\"keys\":[{\"kty\":\"oct\",\"kid\":\"a\",\"alg\":\"HS256\","
          "\"k\":\"" RFC7520_HMAC_K "\"},{\"kty\":\"oct\",\"kid\":\"b\","
          "\"alg\":\"HS256\",\"tenant\":\"acme\",\"k\":\"" RFC7520_HMAC_K
          "\"}]}";

    ticket_keyset_init(&ks);
    assert_int_equal(ticket_keyset_add_jwks_opts(&ks,
                         (const unsigned char *) doc, strlen(doc), &opts,
                         err, sizeof(err)), 0);
    assert_string_equal(ks.keys[0].tenant, "acme");
    assert_string_equal(ks.keys[1].tenant, "acme");

    /* a key naming another tenant contradicts its source */

    doc = "{\"keys\":[{\"kty\":\"oct\",\"kid\":\"c\",\"alg\":\"HS256\","
          "\"tenant\":\"other\",\"k\":\"" RFC7520_HMAC_K "\"}]}";
    assert_int_equal(ticket_keyset_add_jwks_opts(&ks,
                         (const unsigned char *) doc, strlen(doc), &opts,
                         err, sizeof(err)), -1);
    assert_string_equal(err, "key \"c\": \"tenant\" \"other\" is not the "
                        "tenant= of its source");

    opts.tenant = "a/b";
    assert_int_equal(ticket_keyset_add_jwks_opts(&ks,
                         (const unsigned char *) doc, strlen(doc), &opts,
                         err, sizeof(err)), -1);
    assert_int_equal(ks.nkeys, 2);

    ticket_keyset_free(&ks);
}


/*
 * A scope's key files and its key service: the file's key wins on the
 * same (kid, alg); the service's other keys join; the merged set lives
 * on when both sources are freed (a new document replaced them).
 */

static void
test_keyset_merge(void **state)
{
    char                 err[TICKET_ERRLEN];
    ticket_keyset_t      files, service, merged, empty;
    const ticket_key_t  *key, *fkey;
    unsigned char        fp[32];

    ticket_keyset_init(&files);
    ticket_keyset_init(&service);
    ticket_keyset_init(&merged);
    ticket_keyset_init(&empty);

    assert_int_equal(add_jwks(&files, "{\"keys\":[{\"kty\":\"oct\","
                              "\"kid\":\"k1\",\"alg\":\"HS256\","
                              "\"k\":\"" RFC7520_HMAC_K "\"}]}",
                              err, sizeof(err)), 0);

    assert_int_equal(add_jwks(&service, "{\"keys\":[{\"kty\":\"oct\","
                              "\"kid\":\"k1\",\"alg\":\"HS256\","
                              "\"k\":\"" RFC7515_A1_K "\"},"
                              "{\"kty\":\"oct\",\"kid\":\"k1\","
                              "\"alg\":\"HS384\",\"k\":\"" RFC7515_A1_K
                              "\",\"tenant\":\"acme\"},"
                              "{\"kty\":\"EC\",\"kid\":\"a3\","
                              "\"alg\":\"ES256\",\"crv\":\"P-256\","
                              "\"x\":\"" RFC7515_A3_X "\","
                              "\"y\":\"" RFC7515_A3_Y "\"}]}",
                              err, sizeof(err)), 0);
    assert_int_equal(service.nkeys, 3);

    fkey = ticket_keyset_find_alg(&files, "k1", 2, TICKET_ALG_HS256);
    assert_non_null(fkey);
    memcpy(fp, fkey->fp, sizeof(fp));

    assert_int_equal(ticket_keyset_merge(&merged, &files, &service), 0);
    assert_int_equal(merged.nkeys, 3);

    /* the same (kid, alg): the file's key, not the service's */

    key = ticket_keyset_find_alg(&merged, "k1", 2, TICKET_ALG_HS256);
    assert_non_null(key);
    assert_memory_equal(key->fp, fp, sizeof(fp));
    assert_non_null(ticket_keyset_find_fp(&merged, fp));
    assert_null(ticket_keyset_find_fp(&merged,
                    ticket_keyset_find_alg(&service, "k1", 2,
                                           TICKET_ALG_HS256)->fp));

    /* the service's other keys, their tenant kept */

    key = ticket_keyset_find_alg(&merged, "k1", 2, TICKET_ALG_HS384);
    assert_non_null(key);
    assert_non_null(key->tenant);
    assert_string_equal(key->tenant, "acme");
    assert_non_null(ticket_keyset_find(&merged, "a3", 2));

    /* both sources gone: the merged keys still verify */

    ticket_keyset_free(&files);
    ticket_keyset_free(&service);

    key = ticket_keyset_find(&merged, "a3", 2);
    assert_non_null(key);
    assert_int_equal(verify_b64(key, RFC7515_A3_INPUT, RFC7515_A3_SIG), 1);

    ticket_keyset_free(&merged);

    /* nothing and nothing */

    assert_int_equal(ticket_keyset_merge(&merged, &empty, &empty), 0);
    assert_int_equal(merged.nkeys, 0);
    ticket_keyset_free(&merged);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_alg_names),
        cmocka_unit_test(test_rfc7515_a1_hs256),
        cmocka_unit_test(test_rfc7515_a2_rs256),
        cmocka_unit_test(test_rfc7515_a3_es256),
        cmocka_unit_test(test_rfc7515_a4_es512),
        cmocka_unit_test(test_rfc7520_section4),
        cmocka_unit_test(test_rfc8037_a4_ed25519),
        cmocka_unit_test(test_es256_out_of_range),
        cmocka_unit_test(test_es256_der_refused),
        cmocka_unit_test(test_keyset_find),
        cmocka_unit_test(test_keyset_merge),
        cmocka_unit_test(test_jwks_duplicate_kid),
        cmocka_unit_test(test_jwks_structure_errors),
        cmocka_unit_test(test_jwks_member_errors),
        cmocka_unit_test(test_jwks_short_hmac),
        cmocka_unit_test(test_jwks_private_material),
        cmocka_unit_test(test_jwks_rsa_errors),
        cmocka_unit_test(test_jwks_ec_errors),
        cmocka_unit_test(test_jwks_okp_errors),
        cmocka_unit_test(test_jwks_error_kid_shown_safely),
        cmocka_unit_test(test_jwks_skip),
        cmocka_unit_test(test_jwks_infer),
        cmocka_unit_test(test_jwks_kid_two_algs),
        cmocka_unit_test(test_jwks_tenant_opt),
        cmocka_unit_test(test_pem_keys),
        cmocka_unit_test(test_pem_errors),
        cmocka_unit_test(test_pem_kid_too_long),
        cmocka_unit_test(test_verify_refuses_mismatch),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
