
/*
 * Verification of a parsed ticket: which key, its algorithm, the
 * signature (HMAC, RSA PKCS#1 v1.5 and PSS, ECDSA, Ed25519), and what a
 * tenant-bound key and the issuer list allow.
 */


#include <limits.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/params.h>
#include <openssl/rsa.h>

#include "ticket_keys.h"
#include "ticket_parse.h"
#include "ticket_time.h"
#include "ticket_typing.h"
#include "ticket_verify.h"


static const EVP_MD *ticket_alg_md(ticket_alg_t alg);
static int ticket_verify_hmac(const ticket_key_t *key,
    const unsigned char *input, size_t len, const unsigned char *sig,
    size_t sig_len);
static int ticket_verify_ecdsa(const ticket_key_t *key,
    const unsigned char *input, size_t len, const unsigned char *sig,
    size_t sig_len);
static int ticket_verify_pkey(const ticket_key_t *key,
    const unsigned char *input, size_t len, const unsigned char *sig,
    size_t sig_len);
static int ticket_verify_init(EVP_MD_CTX *mctx, EVP_PKEY *pkey,
    ticket_alg_t alg);
static void *ticket_prepare_mac(const ticket_key_t *key);
static void *ticket_prepare_md(const ticket_key_t *key);


/*
 * The header names the key; the key names the algorithm.  A ticket never
 * chooses how it is verified: "none", an HS ticket against an RS key or
 * any other alg than the key's is alg_mismatch.
 */

ticket_reason_t
ticket_select_key(ticket_t *t, const ticket_keyset_t *ks)
{
    const ticket_key_t  *key;

    t->key = NULL;

    if (ks == NULL || ks->nkeys == 0) {
        return TICKET_UNKNOWN_KEY;
    }

    /* without a kid, guessing among several keys would be an oracle */

    key = ticket_keyset_named(ks, t->kid.data, t->kid.len, t->alg);
    if (key == NULL) {
        return TICKET_UNKNOWN_KEY;
    }

    if (t->alg == TICKET_ALG_UNKNOWN || t->alg != key->alg) {
        return TICKET_ALG_MISMATCH;
    }

    /* an empty, DER-encoded or truncated signature stops here */

    if (t->sig == NULL || t->sig_len != key->sig_len) {
        return TICKET_BAD_SIGNATURE;
    }

    t->key = key;

    return TICKET_OK;
}


int
ticket_key_verify(const ticket_key_t *key, const unsigned char *input,
    size_t len, const unsigned char *sig, size_t sig_len)
{
    int                       ok;
    const ticket_alg_info_t  *info;

    if (key == NULL || input == NULL || sig == NULL || sig_len == 0
        || sig_len != key->sig_len)
    {
        return 0;
    }

    info = ticket_alg_info(key->alg);
    if (info == NULL) {
        return 0;
    }

    switch (info->family) {

    case TICKET_FAMILY_HS:
        ok = ticket_verify_hmac(key, input, len, sig, sig_len);
        break;

    case TICKET_FAMILY_ES:
        ok = ticket_verify_ecdsa(key, input, len, sig, sig_len);
        break;

    case TICKET_FAMILY_RS:
    case TICKET_FAMILY_PS:
    case TICKET_FAMILY_EDDSA:
        ok = ticket_verify_pkey(key, input, len, sig, sig_len);
        break;

    default:
        ok = 0;
    }

    if (ok != 1) {
        ERR_clear_error();
        return 0;
    }

    return 1;
}


static int
ticket_verify_hmac(const ticket_key_t *key, const unsigned char *input,
    size_t len, const unsigned char *sig, size_t sig_len)
{
    int             ok;
    size_t          out_len;
    unsigned int    mac_len;
    EVP_MAC_CTX    *ctx;
    const EVP_MD   *md;
    unsigned char   mac[EVP_MAX_MD_SIZE];

    md = ticket_alg_md(key->alg);

    if (md == NULL || key->secret == NULL || key->secret_len > INT_MAX) {
        return 0;
    }

    mac_len = 0;

    if (key->mctx != NULL) {

        /* the keyed context of ticket_key_prepare(): no key schedule */

        ctx = EVP_MAC_CTX_dup(key->mctx);
        if (ctx == NULL) {
            return 0;
        }

        out_len = 0;
        ok = EVP_MAC_update(ctx, input, len)
             && EVP_MAC_final(ctx, mac, &out_len, sizeof(mac))
             && out_len <= sizeof(mac);

        EVP_MAC_CTX_free(ctx);

        if (!ok) {
            OPENSSL_cleanse(mac, sizeof(mac));
            return 0;
        }

        mac_len = (unsigned int) out_len;

    } else if (HMAC(md, key->secret, (int) key->secret_len, input, len, mac,
                    &mac_len)
               == NULL)
    {
        return 0;
    }

    ok = mac_len == sig_len && CRYPTO_memcmp(mac, sig, sig_len) == 0;

    OPENSSL_cleanse(mac, sizeof(mac));

    return ok;
}


/*
 * JWS carries ECDSA as R || S, each exactly the order's length (RFC 7518,
 * 3.4).  Both must lie in [1, n-1]: checked here on the raw bytes, before
 * OpenSSL sees a DER encoding of them.
 */

static int
ticket_verify_ecdsa(const ticket_key_t *key, const unsigned char *input,
    size_t len, const unsigned char *sig, size_t sig_len)
{
    size_t                 half, i, der_len;
    unsigned char          acc_r, acc_s;
    unsigned char          der[TICKET_ECDSA_DER_MAX];
    const ticket_curve_t  *curve;

    curve = ticket_alg_curve(key->alg);
    half = sig_len / 2;

    if (curve == NULL || key->pkey == NULL || half != curve->len
        || sig_len != 2 * half)
    {
        return 0;
    }

    acc_r = 0;
    acc_s = 0;

    for (i = 0; i < half; i++) {
        acc_r |= sig[i];
        acc_s |= sig[half + i];
    }

    if (acc_r == 0 || acc_s == 0) {
        return 0;
    }

    /* big-endian of equal length: memcmp() orders them as numbers */

    if (memcmp(sig, curve->order, half) >= 0
        || memcmp(sig + half, curve->order, half) >= 0)
    {
        return 0;
    }

    der_len = ticket_ecdsa_der(der, sizeof(der), sig, half);
    if (der_len == 0) {
        return 0;
    }

    return ticket_verify_pkey(key, input, len, der, der_len);
}


/*
 * JWS's R || S as the DER ECDSA-Sig-Value OpenSSL verifies (SEQUENCE of
 * two INTEGERs), written directly rather than through BIGNUM and ASN.1:
 * each INTEGER without its leading zero bytes, and with one zero byte in
 * front when its first byte has the high bit set (it would read as
 * negative).  R or S zero: 0, refused.
 */

size_t
ticket_ecdsa_der(unsigned char *out, size_t size, const unsigned char *sig,
    size_t half)
{
    size_t                i, n, skip[2], len[2], seq;
    unsigned char        *p;
    const unsigned char  *v;

    if (half == 0 || half > TICKET_ECDSA_MAX_HALF) {
        return 0;
    }

    for (i = 0; i < 2; i++) {
        v = sig + i * half;

        for (n = 0; n < half && v[n] == 0; n++) {
            /* void */
        }

        if (n == half) {
            return 0;
        }

        skip[i] = n;
        len[i] = half - n + ((v[n] & 0x80) ? 1 : 0);
    }

    /* at most 2 * (2 + 67): the SEQUENCE's length in one byte or two */

    seq = 2 + len[0] + 2 + len[1];
    n = 1 + (seq < 0x80 ? 1 : 2) + seq;

    if (out == NULL || size < n) {
        return 0;
    }

    p = out;
    *p++ = 0x30;

    if (seq >= 0x80) {
        *p++ = 0x81;
    }

    *p++ = (unsigned char) seq;

    for (i = 0; i < 2; i++) {
        v = sig + i * half + skip[i];

        *p++ = 0x02;
        *p++ = (unsigned char) len[i];

        if (v[0] & 0x80) {
            *p++ = 0x00;
        }

        memcpy(p, v, half - skip[i]);
        p += half - skip[i];
    }

    return n;
}


static int
ticket_verify_pkey(const ticket_key_t *key, const unsigned char *input,
    size_t len, const unsigned char *sig, size_t sig_len)
{
    int          ok;
    EVP_MD_CTX  *mctx;

    if (key->pkey == NULL) {
        return 0;
    }

    mctx = EVP_MD_CTX_new();
    if (mctx == NULL) {
        return 0;
    }

    /*
     * A copy of the context ticket_key_prepare() set up saves the
     * initialisation (key checks, padding, the provider's fetches) on
     * every ticket; without one, or when the copy fails, the full one.
     */

    if (key->vctx == NULL || EVP_MD_CTX_copy_ex(mctx, key->vctx) != 1) {
        ERR_clear_error();

        if (ticket_verify_init(mctx, key->pkey, key->alg) != 1) {
            EVP_MD_CTX_free(mctx);
            return 0;
        }
    }

    ok = EVP_DigestVerify(mctx, sig, sig_len, input, len) == 1;

    EVP_MD_CTX_free(mctx);

    return ok;
}


/* a verify context for the key's alg: the same for every ticket */

static int
ticket_verify_init(EVP_MD_CTX *mctx, EVP_PKEY *pkey, ticket_alg_t alg)
{
    const EVP_MD             *md;
    EVP_PKEY_CTX             *pctx;
    const ticket_alg_info_t  *info;

    info = ticket_alg_info(alg);

    if (pkey == NULL || info == NULL) {
        return 0;
    }

    /* Ed25519 hashes the message itself: no digest, one-shot only */

    md = NULL;

    if (info->family != TICKET_FAMILY_EDDSA) {
        md = ticket_alg_md(alg);
        if (md == NULL) {
            return 0;
        }
    }

    pctx = NULL;

    if (EVP_DigestVerifyInit(mctx, &pctx, md, NULL, pkey) != 1) {
        return 0;
    }

    if (info->family == TICKET_FAMILY_RS) {
        if (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) <= 0) {
            return 0;
        }

    } else if (info->family == TICKET_FAMILY_PS) {

        /* RFC 7518, 3.5: MGF1 with the same hash, salt as long as it */

        if (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) <= 0
            || EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, md) <= 0
            || EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST)
               <= 0)
        {
            return 0;
        }
    }

    return 1;
}


/*
 * Once per key, when it joins a set: the verify context (or the keyed
 * HMAC) every ticket under that key starts from.  Without one (it could
 * not be made, or this OpenSSL cannot copy it, as 3.0 cannot for
 * Ed25519's one-shot context) a ticket sets up its own, as before.
 */

void
ticket_key_prepare(ticket_key_t *key)
{
    const ticket_alg_info_t  *info;

    ticket_key_unprepare(key);

    info = ticket_alg_info(key->alg);
    if (info == NULL) {
        return;
    }

    if (info->family == TICKET_FAMILY_HS) {
        key->mctx = ticket_prepare_mac(key);

    } else {
        key->vctx = ticket_prepare_md(key);
    }

    ERR_clear_error();
}


void
ticket_key_unprepare(ticket_key_t *key)
{
    EVP_MD_CTX_free(key->vctx);
    EVP_MAC_CTX_free(key->mctx);

    key->vctx = NULL;
    key->mctx = NULL;
}


static void *
ticket_prepare_mac(const ticket_key_t *key)
{
    EVP_MAC       *mac;
    OSSL_PARAM     params[2];
    EVP_MAC_CTX   *ctx;
    const EVP_MD  *md;

    md = ticket_alg_md(key->alg);

    if (md == NULL || key->secret == NULL || key->secret_len > INT_MAX) {
        return NULL;
    }

    mac = EVP_MAC_fetch(NULL, OSSL_MAC_NAME_HMAC, NULL);
    if (mac == NULL) {
        return NULL;
    }

    /* the context holds its own reference to the fetched HMAC */

    ctx = EVP_MAC_CTX_new(mac);
    EVP_MAC_free(mac);

    if (ctx == NULL) {
        return NULL;
    }

    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
                                    (char *) EVP_MD_get0_name(md), 0);
    params[1] = OSSL_PARAM_construct_end();

    if (EVP_MAC_init(ctx, key->secret, key->secret_len, params) != 1) {
        EVP_MAC_CTX_free(ctx);
        return NULL;
    }

    return ctx;
}


static void *
ticket_prepare_md(const ticket_key_t *key)
{
    EVP_MD_CTX  *ctx, *copy;

    if (key->pkey == NULL) {
        return NULL;
    }

    ctx = EVP_MD_CTX_new();
    if (ctx == NULL) {
        return NULL;
    }

    if (ticket_verify_init(ctx, key->pkey, key->alg) != 1) {
        EVP_MD_CTX_free(ctx);
        return NULL;
    }

    /* a context this OpenSSL cannot copy is of no use */

    copy = EVP_MD_CTX_new();

    if (copy == NULL || EVP_MD_CTX_copy_ex(copy, ctx) != 1) {
        EVP_MD_CTX_free(copy);
        EVP_MD_CTX_free(ctx);
        return NULL;
    }

    EVP_MD_CTX_free(copy);

    return ctx;
}


static const EVP_MD *
ticket_alg_md(ticket_alg_t alg)
{
    const ticket_alg_info_t  *info;

    info = ticket_alg_info(alg);
    if (info == NULL) {
        return NULL;
    }

    switch (info->hash_len) {
    case 32:
        return EVP_sha256();
    case 48:
        return EVP_sha384();
    case 64:
        return EVP_sha512();
    default:
        return NULL;
    }
}


ticket_reason_t
ticket_verify_signature(ticket_t *t)
{
    t->verified = 0;

    if (t->key == NULL || t->signing_input == NULL) {
        return TICKET_BAD_SIGNATURE;
    }

    if (ticket_key_verify(t->key,
                          (const unsigned char *) t->signing_input,
                          t->signing_input_len, t->sig, t->sig_len)
        != 1)
    {
        return TICKET_BAD_SIGNATURE;
    }

    t->verified = 1;

    return TICKET_OK;
}


/*
 * A tenant-bound key signs only for its tenant: one enterprise's key
 * cannot vouch for another's users.  Without a selected key nothing is
 * known to be allowed, so the check fails closed.
 */

ticket_reason_t
ticket_check_binding(const ticket_t *t, const ticket_policy_t *p)
{
    size_t               i;
    const ticket_str_t  *iss;
    const ticket_key_t  *key;

    key = t->key;

    if (key == NULL) {
        return TICKET_TENANT_MISMATCH;
    }

    if (key->tenant != NULL) {
        if (t->tenant.data == NULL
            || t->tenant.len != key->tenant_len
            || memcmp(t->tenant.data, key->tenant, key->tenant_len) != 0)
        {
            return TICKET_TENANT_MISMATCH;
        }
    }

    if (p == NULL || p->issuers.n == 0) {
        return TICKET_OK;
    }

    if (t->iss.data == NULL) {
        return TICKET_WRONG_ISSUER;
    }

    for (i = 0; i < p->issuers.n; i++) {
        iss = &p->issuers.values[i];

        if (iss->len == t->iss.len
            && memcmp(iss->data, t->iss.data, t->iss.len) == 0)
        {
            return TICKET_OK;
        }
    }

    return TICKET_WRONG_ISSUER;
}


ticket_reason_t
ticket_validate(ticket_t *t, const char *token, size_t len,
    const ticket_keyset_t *ks, const ticket_policy_t *p, int64_t now)
{
    ticket_reason_t  rc;

    rc = ticket_parse_policy(t, token, len, p);
    if (rc != TICKET_OK) {
        return rc;
    }

    /* a security event token is no ticket, whoever signed it */

    rc = ticket_check_typing(t);
    if (rc != TICKET_OK) {
        return rc;
    }

    rc = ticket_select_key(t, ks);
    if (rc != TICKET_OK) {
        return rc;
    }

    /* time before signature: an expired ticket costs no public-key work */

    rc = ticket_check_time(t, p, now);
    if (rc != TICKET_OK) {
        return rc;
    }

    rc = ticket_verify_signature(t);
    if (rc != TICKET_OK) {
        return rc;
    }

    return ticket_check_binding(t, p);
}
