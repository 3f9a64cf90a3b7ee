
/*
 * ticket_verify.c: key selection, signature, tenant binding and issuer,
 * and ticket_validate() end to end, on tickets signed here with keys
 * generated here.
 */

#include "unit.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>


#define NOW  1700000000LL


typedef struct {
    ticket_alg_t            alg;
    const char             *kid;
    EVP_PKEY               *pkey;         /* private, asymmetric algs */
    unsigned char           secret[64];
    unsigned                odd_pss:1;    /* PS: the next two, not RFC's */
    int                     salt_len;
    const EVP_MD           *mgf1_md;
} signer_t;


typedef struct {
    EVP_PKEY               *rsa, *p256, *p384, *p521, *ed;
    char                   *rsa_pem;      /* public */
    signer_t                signers[TICKET_ALG_MAX];
    ticket_keyset_t         ks;           /* one key per alg, kid = alg */
    ticket_policy_t         policy;
} fixture_t;


static fixture_t  fx;

static const char  alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";


static char *
pem_of(EVP_PKEY *pkey)
{
    BIO   *bio;
    char  *s, *data;
    long   len;

    bio = BIO_new(BIO_s_mem());
    assert_non_null(bio);
    assert_int_equal(PEM_write_bio_PUBKEY(bio, pkey), 1);

    len = BIO_get_mem_data(bio, &data);
    s = malloc((size_t) len + 1);
    assert_non_null(s);
    memcpy(s, data, (size_t) len);
    s[len] = '\0';

    BIO_free(bio);

    return s;
}


static const EVP_MD *
md_of(ticket_alg_t alg)
{
    switch (alg) {
    case TICKET_ALG_HS256: case TICKET_ALG_RS256: case TICKET_ALG_ES256:
    case TICKET_ALG_PS256:
        return EVP_sha256();
    case TICKET_ALG_HS384: case TICKET_ALG_RS384: case TICKET_ALG_ES384:
    case TICKET_ALG_PS384:
        return EVP_sha384();
    case TICKET_ALG_EDDSA:
        return NULL;
    default:
        return EVP_sha512();
    }
}


static size_t
hs_len(ticket_alg_t alg)
{
    return alg == TICKET_ALG_HS256 ? 32 : alg == TICKET_ALG_HS384 ? 48 : 64;
}


/* the JWS signature of input, as the issuer makes it (ES: raw R || S) */

static unsigned char *
sign(const signer_t *sg, const char *input, size_t len, size_t *sig_len)
{
    size_t               n, half;
    ECDSA_SIG           *esig;
    EVP_MD_CTX          *mctx;
    unsigned int         mac_len;
    const BIGNUM        *r, *s;
    EVP_PKEY_CTX        *pctx;
    unsigned char       *sig, *raw;
    const unsigned char *p;

    sig = malloc(1024);
    assert_non_null(sig);

    if (sg->alg <= TICKET_ALG_HS512) {
        assert_non_null(HMAC(md_of(sg->alg), sg->secret,
                             (int) hs_len(sg->alg),
                             (const unsigned char *) input, len, sig,
                             &mac_len));
        *sig_len = mac_len;
        return sig;
    }

    mctx = EVP_MD_CTX_new();
    assert_non_null(mctx);
    assert_int_equal(EVP_DigestSignInit(mctx, &pctx, md_of(sg->alg), NULL,
                                        sg->pkey), 1);

    if (sg->alg >= TICKET_ALG_PS256 && sg->alg <= TICKET_ALG_PS512) {
        assert_true(EVP_PKEY_CTX_set_rsa_padding(pctx,
                                                 RSA_PKCS1_PSS_PADDING) > 0);
        assert_true(EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx,
                        sg->odd_pss ? sg->salt_len : RSA_PSS_SALTLEN_DIGEST)
                    > 0);

        if (sg->odd_pss) {
            assert_true(EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, sg->mgf1_md) > 0);
        }
    }

    n = 1024;
    assert_int_equal(EVP_DigestSign(mctx, sig, &n,
                                    (const unsigned char *) input, len), 1);
    EVP_MD_CTX_free(mctx);

    *sig_len = n;

    if (sg->alg < TICKET_ALG_ES256 || sg->alg > TICKET_ALG_ES512) {
        return sig;
    }

    half = sg->alg == TICKET_ALG_ES256 ? 32
           : sg->alg == TICKET_ALG_ES384 ? 48 : 66;

    p = sig;
    esig = d2i_ECDSA_SIG(NULL, &p, (long) n);
    assert_non_null(esig);
    ECDSA_SIG_get0(esig, &r, &s);

    raw = malloc(2 * half);
    assert_non_null(raw);
    assert_int_equal(BN_bn2binpad(r, raw, (int) half), (int) half);
    assert_int_equal(BN_bn2binpad(s, raw + half, (int) half), (int) half);

    ECDSA_SIG_free(esig);
    free(sig);

    *sig_len = 2 * half;

    return raw;
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


/* header.claims.signature; sig NULL: signed by sg */

static char *
token_with_sig(const char *header, const char *claims,
    const unsigned char *sig, size_t sig_len)
{
    char    *h, *c, *s, *t;
    size_t   len;

    h = b64e((const unsigned char *) header, strlen(header));
    c = b64e((const unsigned char *) claims, strlen(claims));
    s = b64e(sig, sig_len);

    len = strlen(h) + strlen(c) + strlen(s) + 3;
    t = malloc(len);
    assert_non_null(t);
    snprintf(t, len, "%s.%s.%s", h, c, s);

    free(h);
    free(c);
    free(s);

    return t;
}


static char *
token(const signer_t *sg, const char *header, const char *claims)
{
    char           *h, *c, *input, *t;
    size_t          len, sig_len;
    unsigned char  *sig;

    h = b64e((const unsigned char *) header, strlen(header));
    c = b64e((const unsigned char *) claims, strlen(claims));

    len = strlen(h) + strlen(c) + 2;
    input = malloc(len);
    assert_non_null(input);
    snprintf(input, len, "%s.%s", h, c);

    sig = sign(sg, input, strlen(input), &sig_len);
    t = token_with_sig(header, claims, sig, sig_len);

    free(sig);
    free(input);
    free(h);
    free(c);

    return t;
}


/* a ticket's usual claims, with extra members appended */

static char *
claims(int64_t iat, int64_t exp, const char *extra)
{
    char  *s;

    s = malloc(512);
    assert_non_null(s);

    snprintf(s, 512, "{\"sub\":\"alice\",\"kind\":\"user\",\"jti\":\"j1\","
             "\"iat\":%lld,\"exp\":%lld%s%s}", (long long) iat,
             (long long) exp, extra != NULL ? "," : "",
             extra != NULL ? extra : "");

    return s;
}


static char *
header_for(const char *alg, const char *kid)
{
    char  *s;

    s = malloc(512);
    assert_non_null(s);

    if (kid != NULL) {
        snprintf(s, 512, "{\"alg\":\"%s\",\"kid\":\"%s\",\"typ\":\"JWT\"}",
                 alg, kid);
    } else {
        snprintf(s, 512, "{\"alg\":\"%s\"}", alg);
    }

    return s;
}


static ticket_reason_t
validate(const ticket_keyset_t *ks, const char *tok,
    const ticket_policy_t *p, ticket_t *t)
{
    ticket_reason_t  rc;

    ticket_init(t);
    rc = ticket_validate(t, tok, strlen(tok), ks, p, NOW);

    /* whatever the outcome, no OpenSSL error is left for the next request */

    assert_int_equal(ERR_peek_error(), 0);

    return rc;
}


static ticket_reason_t
validate_signed(const ticket_keyset_t *ks, const ticket_policy_t *p,
    const signer_t *sg, const char *kid, const char *extra, ticket_t *t)
{
    char             *h, *c, *tok;
    ticket_reason_t   rc;

    h = header_for(ticket_alg_name(sg->alg), kid);
    c = claims(NOW - 10, NOW + 600, extra);
    tok = token(sg, h, c);

    rc = validate(ks, tok, p, t);

    free(tok);
    free(h);
    free(c);

    return rc;
}


static int
setup(void **state)
{
    int           i;
    char         *pem, err[TICKET_ERRLEN];
    size_t        j;
    EVP_PKEY     *pkey;
    signer_t     *sg;
    const char   *name;

    memset(&fx, 0, sizeof(fx));

    fx.rsa = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t) 2048);
    fx.p256 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    fx.p384 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
    fx.p521 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-521");
    fx.ed = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");

    if (fx.rsa == NULL || fx.p256 == NULL || fx.p384 == NULL
        || fx.p521 == NULL || fx.ed == NULL)
    {
        return -1;
    }

    fx.rsa_pem = pem_of(fx.rsa);

    ticket_keyset_init(&fx.ks);

    for (i = 1; i < TICKET_ALG_MAX; i++) {
        sg = &fx.signers[i];
        name = ticket_alg_name((ticket_alg_t) i);

        sg->alg = (ticket_alg_t) i;
        sg->kid = name;

        if (i <= TICKET_ALG_HS512) {
            if (RAND_bytes(sg->secret, sizeof(sg->secret)) != 1) {
                return -1;
            }

            /*
             * Printable, as a secret file holds: add_pem() strips the
             * trailing newlines a random byte could otherwise be.
             */

            for (j = 0; j < sizeof(sg->secret); j++) {
                sg->secret[j] = (unsigned char) alphabet[sg->secret[j] & 0x3f];
            }

            if (ticket_keyset_add_pem(&fx.ks, name, sg->alg, NULL,
                                      sg->secret, hs_len(sg->alg),
                                      err, sizeof(err))
                != 0)
            {
                print_error("%s\n", err);
                return -1;
            }

            continue;
        }

        switch (sg->alg) {
        case TICKET_ALG_ES256:
            pkey = fx.p256;
            break;
        case TICKET_ALG_ES384:
            pkey = fx.p384;
            break;
        case TICKET_ALG_ES512:
            pkey = fx.p521;
            break;
        case TICKET_ALG_EDDSA:
            pkey = fx.ed;
            break;
        default:
            pkey = fx.rsa;
        }

        sg->pkey = pkey;

        pem = pem_of(pkey);

        if (ticket_keyset_add_pem(&fx.ks, name, sg->alg, NULL,
                                  (const unsigned char *) pem, strlen(pem),
                                  err, sizeof(err))
            != 0)
        {
            print_error("%s\n", err);
            free(pem);
            return -1;
        }

        free(pem);
    }

    fx.policy.kinds = TICKET_KIND_ANY;
    fx.policy.leeway = 30;
    fx.policy.max_lifetime = 3600;

    return 0;
}


static int
teardown(void **state)
{
    ticket_keyset_free(&fx.ks);

    EVP_PKEY_free(fx.rsa);
    EVP_PKEY_free(fx.p256);
    EVP_PKEY_free(fx.p384);
    EVP_PKEY_free(fx.p521);
    EVP_PKEY_free(fx.ed);
    free(fx.rsa_pem);

    OPENSSL_cleanse(&fx, sizeof(fx));

    return 0;
}


static void
test_happy_path_every_alg(void **state)
{
    int              i;
    ticket_t         t;
    ticket_reason_t  rc;

    for (i = 1; i < TICKET_ALG_MAX; i++) {
        rc = validate_signed(&fx.ks, &fx.policy, &fx.signers[i],
                             fx.signers[i].kid, NULL, &t);

        if (rc != TICKET_OK) {
            fail_msg("%s: %s", fx.signers[i].kid, ticket_reason_name(rc));
        }

        assert_int_equal(t.verified, 1);
        assert_non_null(t.key);
        assert_int_equal(t.key->alg, i);
        assert_string_equal(t.key->kid, fx.signers[i].kid);

        ticket_free(&t);
    }
}


/* a claim changed after signing: every alg notices */

static void
test_tampered_claims(void **state)
{
    int              i;
    char            *h, *c, *good, *evil, *dot, *p;
    size_t           len;
    ticket_t         t;
    ticket_reason_t  rc;

    for (i = 1; i < TICKET_ALG_MAX; i++) {
        h = header_for(ticket_alg_name((ticket_alg_t) i),
                       fx.signers[i].kid);
        c = claims(NOW - 10, NOW + 600, "\"roles\":[\"user\"]");
        good = token(&fx.signers[i], h, c);
        free(c);

        /* the same header and signature around other claims */

        c = claims(NOW - 10, NOW + 600, "\"roles\":[\"root\"]");
        p = b64e((const unsigned char *) c, strlen(c));

        dot = strrchr(good, '.');
        len = strlen(good) + strlen(p) + 8;
        evil = malloc(len);
        assert_non_null(evil);
        snprintf(evil, len, "%.*s.%s%s", (int) strcspn(good, "."), good, p,
                 dot);

        rc = validate(&fx.ks, evil, &fx.policy, &t);
        if (rc != TICKET_BAD_SIGNATURE) {
            fail_msg("%s: %s", fx.signers[i].kid, ticket_reason_name(rc));
        }

        assert_int_equal(t.verified, 0);
        ticket_free(&t);

        free(evil);
        free(p);
        free(good);
        free(c);
        free(h);
    }
}


static void
test_alg_none(void **state)
{
    size_t           i;
    char            *c, *tok;
    ticket_t         t;
    unsigned char    sig[32];

    static const char  *headers[] = {
        "{\"alg\":\"none\",\"kid\":\"HS256\"}",
        "{\"alg\":\"None\",\"kid\":\"HS256\"}",
        "{\"alg\":\"NONE\",\"kid\":\"HS256\"}",
        "{\"alg\":\"nOnE\",\"kid\":\"RS256\"}",
        "{\"alg\":\"\",\"kid\":\"HS256\"}",
        "{\"alg\":\"HS256 \",\"kid\":\"HS256\"}",
        "{\"alg\":\"hs256\",\"kid\":\"HS256\"}",
    };

    c = claims(NOW - 10, NOW + 600, NULL);
    memset(sig, 0, sizeof(sig));

    for (i = 0; i < sizeof(headers) / sizeof(headers[0]); i++) {

        /* empty signature, as "none" has, and one of the key's length */

        tok = token_with_sig(headers[i], c, sig, 0);
        assert_int_equal(validate(&fx.ks, tok, &fx.policy, &t),
                         TICKET_ALG_MISMATCH);
        assert_null(t.key);
        ticket_free(&t);
        free(tok);

        tok = token_with_sig(headers[i], c, sig, 32);
        assert_int_equal(validate(&fx.ks, tok, &fx.policy, &t),
                         TICKET_ALG_MISMATCH);
        ticket_free(&t);
        free(tok);
    }

    free(c);
}


/*
 * The classic RS/HS confusion: the RS256 public key (public by nature)
 * used as an HMAC secret.  The alg is the key's, not the ticket's.
 */

static void
test_rs_hs_confusion(void **state)
{
    char              err[TICKET_ERRLEN];
    char             *h, *c, *tok, *hb, *cb, *input;
    size_t            i, len;
    signer_t          evil;
    ticket_t          t;
    unsigned int      mac_len;
    unsigned char     mac[64];
    ticket_keyset_t   ks;

    /* an HS256 "signature" keyed with the PEM text (first 64 bytes) */

    memset(&evil, 0, sizeof(evil));
    evil.alg = TICKET_ALG_HS256;
    memcpy(evil.secret, fx.rsa_pem, sizeof(evil.secret));

    h = header_for("HS256", "RS256");
    c = claims(NOW - 10, NOW + 600, NULL);
    tok = token(&evil, h, c);

    assert_int_equal(validate(&fx.ks, tok, &fx.policy, &t),
                     TICKET_ALG_MISMATCH);
    assert_int_equal(t.verified, 0);
    ticket_free(&t);
    free(tok);

    /* and whatever the whole PEM text signs, RS256 does not take it */

    for (i = 0; i < 2; i++) {
        hb = b64e((const unsigned char *) h, strlen(h));
        cb = b64e((const unsigned char *) c, strlen(c));
        len = strlen(hb) + strlen(cb) + 2;
        input = malloc(len);
        assert_non_null(input);
        snprintf(input, len, "%s.%s", hb, cb);

        assert_non_null(HMAC(i ? EVP_sha512() : EVP_sha256(), fx.rsa_pem,
                             (int) strlen(fx.rsa_pem),
                             (const unsigned char *) input, strlen(input),
                             mac, &mac_len));

        tok = token_with_sig(h, c, mac, mac_len);
        assert_int_equal(validate(&fx.ks, tok, &fx.policy, &t),
                         TICKET_ALG_MISMATCH);
        ticket_free(&t);

        free(tok);
        free(input);
        free(hb);
        free(cb);
    }

    free(h);
    free(c);

    /* nor can the PEM become an HS256 key */

    ticket_keyset_init(&ks);
    assert_int_equal(ticket_keyset_add_pem(&ks, "k", TICKET_ALG_HS256, NULL,
                                           (const unsigned char *)
                                           fx.rsa_pem, strlen(fx.rsa_pem),
                                           err, sizeof(err)), -1);
    assert_non_null(strstr(err, "PEM key"));
    assert_int_equal(ks.nkeys, 0);
    ticket_keyset_free(&ks);
}


/* the alg must be the key's own, even between good algs */

static void
test_alg_mismatch_between_keys(void **state)
{
    char      *h, *c, *tok;
    ticket_t   t;

    /* signed ES256, sent with the ES384 key's kid */

    h = header_for("ES256", "ES384");
    c = claims(NOW - 10, NOW + 600, NULL);
    tok = token(&fx.signers[TICKET_ALG_ES256], h, c);

    assert_int_equal(validate(&fx.ks, tok, &fx.policy, &t),
                     TICKET_ALG_MISMATCH);
    ticket_free(&t);
    free(tok);
    free(h);

    /* signed PS256 by the RSA key, sent as RS256 under the RS256 kid */

    h = header_for("PS256", "RS256");
    tok = token(&fx.signers[TICKET_ALG_PS256], h, c);

    assert_int_equal(validate(&fx.ks, tok, &fx.policy, &t),
                     TICKET_ALG_MISMATCH);
    ticket_free(&t);
    free(tok);
    free(h);

    /* a PS256 signature claiming RS256: the padding check refuses it */

    h = header_for("RS256", "RS256");
    tok = token(&fx.signers[TICKET_ALG_PS256], h, c);

    assert_int_equal(validate(&fx.ks, tok, &fx.policy, &t),
                     TICKET_BAD_SIGNATURE);
    ticket_free(&t);
    free(tok);
    free(h);

    free(c);
}


/* RFC 7518, 3.5: the salt is as long as the hash, MGF1 uses that hash */

static void
test_pss_parameters(void **state)
{
    char      *h, *c, *tok;
    signer_t   sg;
    ticket_t   t;

    h = header_for("PS384", "PS384");
    c = claims(NOW - 10, NOW + 600, NULL);

    sg = fx.signers[TICKET_ALG_PS384];
    sg.odd_pss = 1;

    /* as the RFC says, spelled out: passes */

    sg.salt_len = 48;
    sg.mgf1_md = EVP_sha384();
    tok = token(&sg, h, c);
    assert_int_equal(validate(&fx.ks, tok, &fx.policy, &t), TICKET_OK);
    ticket_free(&t);
    free(tok);

    /* other salt lengths */

    sg.salt_len = 0;
    tok = token(&sg, h, c);
    assert_int_equal(validate(&fx.ks, tok, &fx.policy, &t),
                     TICKET_BAD_SIGNATURE);
    ticket_free(&t);
    free(tok);

    sg.salt_len = 32;
    tok = token(&sg, h, c);
    assert_int_equal(validate(&fx.ks, tok, &fx.policy, &t),
                     TICKET_BAD_SIGNATURE);
    ticket_free(&t);
    free(tok);

    /* MGF1 with another hash */

    sg.salt_len = 48;
    sg.mgf1_md = EVP_sha1();
    tok = token(&sg, h, c);
    assert_int_equal(validate(&fx.ks, tok, &fx.policy, &t),
                     TICKET_BAD_SIGNATURE);
    ticket_free(&t);
    free(tok);

    free(h);
    free(c);
}


static void
test_es256_bad_signatures(void **state)
{
    int              der_len;
    char            *h, *c, *tok, *good, *dot;
    BIGNUM          *r, *s;
    ticket_t         t;
    ECDSA_SIG       *esig;
    unsigned char   *der, *raw, sig[64];

    static const unsigned char  order[32] = {
        0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00,
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84,
        0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51
    };

    h = header_for("ES256", "ES256");
    c = claims(NOW - 10, NOW + 600, NULL);

    /* all zero: r = s = 0 verifies anything on a naive verifier */

    memset(sig, 0, sizeof(sig));
    tok = token_with_sig(h, c, sig, 64);
    assert_int_equal(validate(&fx.ks, tok, &fx.policy, &t),
                     TICKET_BAD_SIGNATURE);
    assert_int_equal(t.verified, 0);
    ticket_free(&t);
    free(tok);

    /* r = n */

    good = token(&fx.signers[TICKET_ALG_ES256], h, c);
    dot = strrchr(good, '.') + 1;
    raw = malloc(strlen(dot));
    assert_non_null(raw);
    assert_int_equal(ticket_b64url_decode(raw, dot, strlen(dot)), 64);

    memcpy(sig, order, 32);
    memcpy(sig + 32, raw + 32, 32);
    tok = token_with_sig(h, c, sig, 64);
    assert_int_equal(validate(&fx.ks, tok, &fx.policy, &t),
                     TICKET_BAD_SIGNATURE);
    ticket_free(&t);
    free(tok);

    /* the valid signature, DER-encoded: wrong length, refused early */

    r = BN_bin2bn(raw, 32, NULL);
    s = BN_bin2bn(raw + 32, 32, NULL);
    esig = ECDSA_SIG_new();
    assert_int_equal(ECDSA_SIG_set0(esig, r, s), 1);
    der = NULL;
    der_len = i2d_ECDSA_SIG(esig, &der);
    assert_true(der_len > 0 && der_len != 64);

    tok = token_with_sig(h, c, der, (size_t) der_len);
    assert_int_equal(validate(&fx.ks, tok, &fx.policy, &t),
                     TICKET_BAD_SIGNATURE);
    assert_null(t.key);
    ticket_free(&t);

    /* ticket_select_key() is where it stops */

    assert_int_equal(ticket_parse(&t, tok, strlen(tok), NULL), TICKET_OK);
    assert_int_equal(ticket_select_key(&t, &fx.ks), TICKET_BAD_SIGNATURE);
    assert_null(t.key);
    ticket_free(&t);
    free(tok);

    /* truncated by one byte, and empty */

    tok = token_with_sig(h, c, raw, 63);
    assert_int_equal(validate(&fx.ks, tok, &fx.policy, &t),
                     TICKET_BAD_SIGNATURE);
    ticket_free(&t);
    free(tok);

    tok = token_with_sig(h, c, raw, 0);
    assert_int_equal(validate(&fx.ks, tok, &fx.policy, &t),
                     TICKET_BAD_SIGNATURE);
    ticket_free(&t);
    free(tok);

    /* the genuine ticket still passes */

    assert_int_equal(validate(&fx.ks, good, &fx.policy, &t), TICKET_OK);
    ticket_free(&t);

    OPENSSL_free(der);
    ECDSA_SIG_free(esig);
    free(raw);
    free(good);
    free(h);
    free(c);
}


static void
test_unknown_kid(void **state)
{
    char             kid[TICKET_MAX_KID + 10];
    ticket_t         t;
    const signer_t  *hs;

    hs = &fx.signers[TICKET_ALG_HS256];

    assert_int_equal(validate_signed(&fx.ks, &fx.policy, hs, "nope", NULL,
                                     &t), TICKET_UNKNOWN_KEY);
    assert_null(t.key);
    ticket_free(&t);

    /* kids are exact bytes */

    assert_int_equal(validate_signed(&fx.ks, &fx.policy, hs, "hs256", NULL,
                                     &t), TICKET_UNKNOWN_KEY);
    ticket_free(&t);

    assert_int_equal(validate_signed(&fx.ks, &fx.policy, hs, "HS256 ", NULL,
                                     &t), TICKET_UNKNOWN_KEY);
    ticket_free(&t);

    assert_int_equal(validate_signed(&fx.ks, &fx.policy, hs, "", NULL, &t),
                     TICKET_UNKNOWN_KEY);
    ticket_free(&t);

    memset(kid, 'k', sizeof(kid) - 1);
    kid[sizeof(kid) - 1] = '\0';

    assert_int_equal(validate_signed(&fx.ks, &fx.policy, hs, kid, NULL, &t),
                     TICKET_UNKNOWN_KEY);
    ticket_free(&t);

    /* no keys at all */

    memset(&t, 0, sizeof(t));
    t.kid.data = "HS256";
    t.kid.len = 5;
    t.alg = TICKET_ALG_HS256;
    assert_int_equal(ticket_select_key(&t, NULL), TICKET_UNKNOWN_KEY);
}


static void
test_missing_kid(void **state)
{
    char             err[TICKET_ERRLEN];
    char            *h, *c, *tok;
    ticket_t         t;
    ticket_keyset_t  one;
    signer_t        *sg;

    sg = &fx.signers[TICKET_ALG_HS256];

    h = header_for("HS256", NULL);
    c = claims(NOW - 10, NOW + 600, NULL);
    tok = token(sg, h, c);

    /* several keys: no guessing */

    assert_int_equal(validate(&fx.ks, tok, &fx.policy, &t),
                     TICKET_UNKNOWN_KEY);
    ticket_free(&t);

    /* exactly one key: that one */

    ticket_keyset_init(&one);
    assert_int_equal(ticket_keyset_add_pem(&one, "only", TICKET_ALG_HS256,
                                           NULL, sg->secret, 32, err,
                                           sizeof(err)), 0);

    assert_int_equal(validate(&one, tok, &fx.policy, &t), TICKET_OK);
    assert_string_equal(t.key->kid, "only");
    assert_int_equal(t.verified, 1);
    ticket_free(&t);

    /* two keys: unknown again, even though one would verify */

    assert_int_equal(ticket_keyset_add_pem(&one, "other", TICKET_ALG_HS256,
                                           NULL, sg->secret + 32, 32, err,
                                           sizeof(err)), 0);

    assert_int_equal(validate(&one, tok, &fx.policy, &t),
                     TICKET_UNKNOWN_KEY);
    ticket_free(&t);

    ticket_keyset_free(&one);
    free(tok);
    free(h);
    free(c);
}


static void
test_tenant_binding(void **state)
{
    size_t           i;
    char             err[TICKET_ERRLEN];
    char            *pem;
    ticket_t         t;
    ticket_keyset_t  ks;
    const signer_t  *sg;

    static const char  *wrong[] = {
        "\"tenant\":\"evil\"", "\"tenant\":\"acm\"", "\"tenant\":\"acmeX\"",
        "\"tenant\":\"ACME\"", "\"tenant\":\"acme\\u0000\"", NULL
    };

    ticket_keyset_init(&ks);

    pem = pem_of(fx.p256);
    assert_int_equal(ticket_keyset_add_pem(&ks, "acme-key", TICKET_ALG_ES256,
                                           "acme", (const unsigned char *) pem,
                                           strlen(pem), err, sizeof(err)), 0);
    free(pem);

    sg = &fx.signers[TICKET_ALG_ES256];

    assert_int_equal(validate_signed(&ks, &fx.policy, sg, "acme-key",
                                     "\"tenant\":\"acme\"", &t), TICKET_OK);
    ticket_free(&t);

    /* the last one, no tenant claim at all */

    for (i = 0; i < sizeof(wrong) / sizeof(wrong[0]); i++) {
        assert_int_equal(validate_signed(&ks, &fx.policy, sg, "acme-key",
                                         wrong[i], &t),
                         i == 4 ? TICKET_MALFORMED : TICKET_TENANT_MISMATCH);

        if (i != 4) {
            assert_int_equal(t.verified, 1);
        }

        ticket_free(&t);
    }

    /* a key bound to no tenant signs for any */

    assert_int_equal(validate_signed(&fx.ks, &fx.policy, sg, "ES256",
                                     "\"tenant\":\"evil\"", &t), TICKET_OK);
    ticket_free(&t);

    /* without a selected key, nothing is allowed */

    memset(&t, 0, sizeof(t));
    assert_int_equal(ticket_check_binding(&t, &fx.policy),
                     TICKET_TENANT_MISMATCH);

    ticket_keyset_free(&ks);
}


static void
test_issuer(void **state)
{
    size_t           i;
    ticket_t         t;
    ticket_str_t     iss[2] = { S("https://a.example"), S("b") };
    ticket_policy_t  p;
    const signer_t  *sg;

    static const char  *good[] = {
        "\"iss\":\"https://a.example\"", "\"iss\":\"b\""
    };

    static const char  *wrong[] = {
        "\"iss\":\"c\"", "\"iss\":\"bb\"", "\"iss\":\"https://a.example/\"",
        "\"iss\":\"B\"", "\"iss\":\"\"", "\"iss\":\"https://a.exampl\"", NULL
    };

    sg = &fx.signers[TICKET_ALG_HS384];
    p = fx.policy;

    /* no list: any issuer, or none */

    assert_int_equal(validate_signed(&fx.ks, &p, sg, "HS384",
                                     "\"iss\":\"x\"", &t), TICKET_OK);
    ticket_free(&t);

    assert_int_equal(validate_signed(&fx.ks, &p, sg, "HS384", NULL, &t),
                     TICKET_OK);
    ticket_free(&t);

    p.issuers.values = iss;
    p.issuers.n = 2;

    for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        assert_int_equal(validate_signed(&fx.ks, &p, sg, "HS384", good[i],
                                         &t), TICKET_OK);
        ticket_free(&t);
    }

    /* the last one: no iss claim */

    for (i = 0; i < sizeof(wrong) / sizeof(wrong[0]); i++) {
        assert_int_equal(validate_signed(&fx.ks, &p, sg, "HS384", wrong[i],
                                         &t), TICKET_WRONG_ISSUER);
        assert_int_equal(t.verified, 1);
        ticket_free(&t);
    }
}


/* time is checked before the signature: no public-key work if expired */

static void
test_order_of_checks(void **state)
{
    char            *h, *c, *tok;
    ticket_t         t;
    ticket_str_t     iss = S("somebody");
    unsigned char    sig[256];
    ticket_policy_t  p;

    memset(sig, 0x42, sizeof(sig));

    h = header_for("RS256", "RS256");

    c = claims(NOW - 1000, NOW - 100, NULL);
    tok = token_with_sig(h, c, sig, 256);
    assert_int_equal(validate(&fx.ks, tok, &fx.policy, &t), TICKET_EXPIRED);
    assert_int_equal(t.verified, 0);
    ticket_free(&t);
    free(tok);
    free(c);

    /* in time, the same signature is bad */

    c = claims(NOW - 10, NOW + 600, NULL);
    tok = token_with_sig(h, c, sig, 256);
    assert_int_equal(validate(&fx.ks, tok, &fx.policy, &t),
                     TICKET_BAD_SIGNATURE);
    ticket_free(&t);
    free(tok);

    /* the key comes before time: an unknown key says so */

    free(h);
    h = header_for("RS256", "nope");
    free(c);
    c = claims(NOW - 1000, NOW - 100, NULL);
    tok = token_with_sig(h, c, sig, 256);
    assert_int_equal(validate(&fx.ks, tok, &fx.policy, &t),
                     TICKET_UNKNOWN_KEY);
    ticket_free(&t);
    free(tok);

    /* the signature before binding: a forged issuer is a bad signature */

    free(c);
    c = claims(NOW - 10, NOW + 600, "\"iss\":\"nobody\"");
    free(h);
    h = header_for("RS256", "RS256");
    tok = token_with_sig(h, c, sig, 256);

    p = fx.policy;
    p.issuers.values = &iss;
    p.issuers.n = 1;

    assert_int_equal(validate(&fx.ks, tok, &p, &t), TICKET_BAD_SIGNATURE);
    ticket_free(&t);
    free(tok);

    /* malformed stays malformed */

    assert_int_equal(ticket_validate(&t, "a.b", 3, &fx.ks, &fx.policy, NOW),
                     TICKET_MALFORMED);
    ticket_free(&t);

    free(h);
    free(c);
}


static void
test_verify_signature_directly(void **state)
{
    char      *h, *c, *tok;
    ticket_t   t;

    memset(&t, 0, sizeof(t));
    assert_int_equal(ticket_verify_signature(&t), TICKET_BAD_SIGNATURE);
    assert_int_equal(t.verified, 0);

    h = header_for("EdDSA", "EdDSA");
    c = claims(NOW - 10, NOW + 600, NULL);
    tok = token(&fx.signers[TICKET_ALG_EDDSA], h, c);

    assert_int_equal(ticket_parse(&t, tok, strlen(tok), NULL), TICKET_OK);
    assert_int_equal(ticket_select_key(&t, &fx.ks), TICKET_OK);
    assert_non_null(t.key);
    assert_int_equal(t.verified, 0);
    assert_int_equal(ticket_verify_signature(&t), TICKET_OK);
    assert_int_equal(t.verified, 1);

    /* a flipped signature bit undoes "verified" */

    t.sig[5] ^= 0x10;
    assert_int_equal(ticket_verify_signature(&t), TICKET_BAD_SIGNATURE);
    assert_int_equal(t.verified, 0);

    ticket_free(&t);
    free(tok);
    free(h);
    free(c);
}


/*
 * The verify context each key gets when it joins the set is copied per
 * ticket, never used up: a key verifies again and again, a bad signature
 * after a good one is still bad, and a key without one (unprepared)
 * answers exactly the same.
 */

static void
test_prepared_contexts(void **state)
{
    int            i, round;
    char          *h, *c, *tok;
    ticket_t       t;
    ticket_key_t  *key;

    for (i = 1; i < TICKET_ALG_MAX; i++) {
        key = (ticket_key_t *) ticket_keyset_find(&fx.ks, fx.signers[i].kid,
                                                  strlen(fx.signers[i].kid));
        assert_non_null(key);

        /* HMAC always; the others where this OpenSSL copies the context
         * (3.0 cannot for Ed25519) */

        if (i <= TICKET_ALG_HS512) {
            assert_non_null(key->mctx);
            assert_null(key->vctx);

        } else if (i != TICKET_ALG_EDDSA) {
            assert_non_null(key->vctx);
            assert_null(key->mctx);
        }

        h = header_for(ticket_alg_name((ticket_alg_t) i), fx.signers[i].kid);
        c = claims(NOW - 10, NOW + 600, NULL);
        tok = token(&fx.signers[i], h, c);

        for (round = 0; round < 4; round++) {

            /* rounds 2 and 3 without the prepared context */

            if (round == 2) {
                ticket_key_unprepare(key);
                assert_null(key->vctx);
                assert_null(key->mctx);
            }

            assert_int_equal(validate(&fx.ks, tok, &fx.policy, &t),
                             TICKET_OK);
            assert_int_equal(t.verified, 1);

            t.sig[round] ^= 0x01;
            assert_int_equal(ticket_verify_signature(&t),
                             TICKET_BAD_SIGNATURE);
            t.sig[round] ^= 0x01;
            assert_int_equal(ticket_verify_signature(&t), TICKET_OK);
            assert_int_equal(ERR_peek_error(), 0);

            ticket_free(&t);
        }

        ticket_key_prepare(key);

        if (i <= TICKET_ALG_HS512) {
            assert_non_null(key->mctx);
        }

        assert_int_equal(validate(&fx.ks, tok, &fx.policy, &t), TICKET_OK);
        ticket_free(&t);

        free(tok);
        free(h);
        free(c);
    }
}


/* ticket_ecdsa_der() against OpenSSL's encoding of the same R and S */

static void
ecdsa_der_same(const unsigned char *sig, size_t half)
{
    int             ref_len;
    size_t          len;
    BIGNUM         *r, *s;
    ECDSA_SIG      *esig;
    unsigned char  *ref, der[TICKET_ECDSA_DER_MAX];

    r = BN_bin2bn(sig, (int) half, NULL);
    s = BN_bin2bn(sig + half, (int) half, NULL);
    esig = ECDSA_SIG_new();
    assert_non_null(esig);
    assert_int_equal(ECDSA_SIG_set0(esig, r, s), 1);

    ref = NULL;
    ref_len = i2d_ECDSA_SIG(esig, &ref);
    assert_true(ref_len > 0);

    len = ticket_ecdsa_der(der, sizeof(der), sig, half);
    assert_int_equal(len, (size_t) ref_len);
    assert_memory_equal(der, ref, len);

    /* one byte short of room: refused, nothing promised */

    assert_int_equal(ticket_ecdsa_der(der, len - 1, sig, half), 0);

    OPENSSL_free(ref);
    ECDSA_SIG_free(esig);
}


static void
test_ecdsa_der(void **state)
{
    size_t          h, half, i, z;
    unsigned char   sig[2 * TICKET_ECDSA_MAX_HALF];
    unsigned char   der[TICKET_ECDSA_DER_MAX];

    static const size_t  halves[] = { 32, 48, 66, 1, 2 };

    for (h = 0; h < sizeof(halves) / sizeof(halves[0]); h++) {
        half = halves[h];

        /* random values, high bits as they come */

        for (i = 0; i < 64; i++) {
            assert_int_equal(RAND_bytes(sig, (int) (2 * half)), 1);
            sig[0] |= 0x01;
            sig[half] |= 0x01;
            ecdsa_der_same(sig, half);
        }

        /* the high bit set in R, in S, in both; clear in both */

        memset(sig, 0x5a, 2 * half);
        sig[0] = 0x80;
        ecdsa_der_same(sig, half);
        sig[half] = 0xff;
        ecdsa_der_same(sig, half);
        sig[0] = 0x7f;
        ecdsa_der_same(sig, half);
        sig[half] = 0x7f;
        ecdsa_der_same(sig, half);

        /* leading zero bytes, 1 to half - 1 of them, then high bit set or
         * not: R = 1, S = 0x80 at the end */

        for (z = 1; z < half; z++) {
            memset(sig, 0xc3, 2 * half);
            memset(sig, 0, z);
            memset(sig + half, 0, z);
            ecdsa_der_same(sig, half);

            sig[z] = 0x01;
            sig[half + z] = 0x81;
            ecdsa_der_same(sig, half);

            memset(sig, 0, 2 * half);
            sig[half - 1] = 0x01;
            sig[2 * half - 1] = 0x80;
            ecdsa_der_same(sig, half);
        }

        /* every byte 0xff: the longest encoding */

        memset(sig, 0xff, 2 * half);
        ecdsa_der_same(sig, half);

        /* R zero, S zero, both zero: refused */

        memset(sig, 0, 2 * half);
        assert_int_equal(ticket_ecdsa_der(der, sizeof(der), sig, half), 0);

        sig[half] = 0x01;
        assert_int_equal(ticket_ecdsa_der(der, sizeof(der), sig, half), 0);

        memset(sig, 0, 2 * half);
        sig[0] = 0x01;
        assert_int_equal(ticket_ecdsa_der(der, sizeof(der), sig, half), 0);
    }

    /* a half no curve has */

    memset(sig, 0x11, sizeof(sig));
    assert_int_equal(ticket_ecdsa_der(der, sizeof(der), sig, 0), 0);
    assert_int_equal(ticket_ecdsa_der(der, sizeof(der), sig,
                                      TICKET_ECDSA_MAX_HALF + 1), 0);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_happy_path_every_alg),
        cmocka_unit_test(test_tampered_claims),
        cmocka_unit_test(test_alg_none),
        cmocka_unit_test(test_rs_hs_confusion),
        cmocka_unit_test(test_alg_mismatch_between_keys),
        cmocka_unit_test(test_pss_parameters),
        cmocka_unit_test(test_es256_bad_signatures),
        cmocka_unit_test(test_unknown_kid),
        cmocka_unit_test(test_missing_kid),
        cmocka_unit_test(test_tenant_binding),
        cmocka_unit_test(test_issuer),
        cmocka_unit_test(test_order_of_checks),
        cmocka_unit_test(test_verify_signature_directly),
        cmocka_unit_test(test_prepared_contexts),
        cmocka_unit_test(test_ecdsa_der),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
