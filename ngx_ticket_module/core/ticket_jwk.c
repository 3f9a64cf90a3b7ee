
/*
 * Key import: JWKS documents and PEM files (an HMAC secret's file holds
 * the secret itself).
 *
 * A key is pinned to exactly one algorithm when it is loaded, and every
 * property an attacker could play with (curve, modulus size, point on
 * the curve, HMAC secret length, private material) is checked here, once,
 * at configuration time.  The request path only verifies.
 */


#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include "ticket_b64.h"
#include "ticket_jwk.h"
#include "ticket_keys.h"


#define TICKET_RSA_MIN_BITS  2048
#define TICKET_RSA_MAX_BITS  16384


static int ticket_key_set_names(ticket_key_t *key, const char *kid,
    size_t kid_len, const char *tenant, size_t tenant_len);
static int ticket_tenant_ok(const char *tenant, size_t len);
static void ticket_jwks_wipe(json_t *doc);
static int ticket_jwk_parse(json_t *jwk, ticket_key_t *key,
    const ticket_jwks_opts_t *opts, ticket_key_err_t *ke);
static int ticket_jwk_usable(json_t *jwk, const ticket_jwks_opts_t *opts,
    ticket_alg_t *alg, ticket_key_err_t *ke);
static int ticket_jwk_infer(json_t *jwk, const char *kty, size_t kty_len,
    const ticket_jwks_opts_t *opts, ticket_alg_t *alg, ticket_key_err_t *ke);
static int ticket_jwk_rsa_bits(json_t *jwk, ticket_key_err_t *ke);
static int ticket_is(const char *s, size_t len, const char *lit);
static int ticket_jwk_string(json_t *jwk, const char *name,
    const char **str, size_t *len, ticket_key_err_t *ke);
static int ticket_jwk_b64(json_t *jwk, const char *name,
    unsigned char **out, size_t *outlen, ticket_key_err_t *ke);
static EVP_PKEY *ticket_jwk_rsa(json_t *jwk, ticket_key_err_t *ke);
static EVP_PKEY *ticket_jwk_ec(json_t *jwk, ticket_alg_t alg,
    ticket_key_err_t *ke);
static EVP_PKEY *ticket_jwk_okp(json_t *jwk, ticket_key_err_t *ke);
static int ticket_pkey_check(EVP_PKEY *pkey, ticket_alg_t alg,
    ticket_key_err_t *ke);
static int ticket_contains(const unsigned char *buf, size_t len,
    const char *str);
static int ticket_no_password(char *buf, int size, int rwflag, void *data);


/* a public key holds none of these: their presence means a private key */

static const char  *ticket_jwk_private[] = {
    "d", "p", "q", "dp", "dq", "qi", "oth", NULL
};


/* JWA key management algorithms (RFC 7518 section 4): keys for them
 * encrypt, they never sign */

static const char  *ticket_jwk_enc_algs[] = {
    "RSA1_5", "RSA-OAEP", "RSA-OAEP-256", "RSA-OAEP-384", "RSA-OAEP-512",
    "A128KW", "A192KW", "A256KW", "dir", "ECDH-ES", "ECDH-ES+A128KW",
    "ECDH-ES+A192KW", "ECDH-ES+A256KW", "A128GCMKW", "A192GCMKW",
    "A256GCMKW", "PBES2-HS256+A128KW", "PBES2-HS384+A192KW",
    "PBES2-HS512+A256KW", NULL
};


int
ticket_keyset_add_jwks(ticket_keyset_t *ks, const unsigned char *buf,
    size_t len, char *err, size_t errlen)
{
    return ticket_keyset_add_jwks_opts(ks, buf, len, NULL, err, errlen);
}


/*
 * RFC 7517 section 5: a key that cannot verify tickets (another use, an
 * encryption alg, an unknown kty or curve, a short RSA modulus, private
 * material) is skipped, and opts->warn told why; a key that claims to be
 * a signing key but is malformed fails the whole document, as does a
 * document in which no key is left.
 */

int
ticket_keyset_add_jwks_opts(ticket_keyset_t *ks, const unsigned char *buf,
    size_t len, const ticket_jwks_opts_t *opts, char *err, size_t errlen)
{
    int                rc, r;
    json_t            *doc, *list;
    size_t             i, n, nkeys, nskipped;
    json_error_t       jerr;
    ticket_key_t      *keys;
    unsigned char      c;
    ticket_key_err_t   ke;
    ticket_jwks_opts_t none;

    ke.buf = err;
    ke.len = errlen;
    ke.index = (size_t) -1;
    ke.kid = NULL;
    ke.kid_len = 0;

    if (err != NULL && errlen > 0) {
        err[0] = '\0';
    }

    if (opts == NULL) {
        memset(&none, 0, sizeof(ticket_jwks_opts_t));
        opts = &none;
    }

    if (ks == NULL || buf == NULL) {
        ticket_error(err, errlen, "no JWKS");
        return -1;
    }

    if (opts->tenant != NULL
        && !ticket_tenant_ok(opts->tenant, strlen(opts->tenant)))
    {
        ticket_error(err, errlen, "tenant is empty or holds \"/\"");
        return -1;
    }

    doc = json_loadb((const char *) buf, len, JSON_REJECT_DUPLICATES, &jerr);
    if (doc == NULL) {

        /* jansson quotes the offending token: it may hold control bytes */

        for (i = 0; jerr.text[i] != '\0'; i++) {
            c = (unsigned char) jerr.text[i];

            if (c < 0x20 || c > 0x7e) {
                jerr.text[i] = '?';
            }
        }

        ticket_error(err, errlen, "invalid JSON at line %d: %s",
                     jerr.line, jerr.text);
        return -1;
    }

    keys = NULL;
    nkeys = 0;
    nskipped = 0;
    rc = -1;

    if (!json_is_object(doc)) {
        ticket_error(err, errlen, "a JWKS is a JSON object");
        goto done;
    }

    list = json_object_get(doc, "keys");

    if (list == NULL || !json_is_array(list)) {
        ticket_error(err, errlen, "\"keys\" is missing or not an array");
        goto done;
    }

    n = json_array_size(list);

    if (n == 0) {
        ticket_error(err, errlen, "\"keys\" is empty");
        goto done;
    }

    keys = calloc(n, sizeof(ticket_key_t));
    if (keys == NULL) {
        ticket_error(err, errlen, "out of memory");
        goto done;
    }

    for (i = 0; i < n; i++) {
        ke.index = i;
        ke.kid = NULL;
        ke.kid_len = 0;

        r = ticket_jwk_parse(json_array_get(list, i), &keys[nkeys], opts,
                             &ke);

        if (r < 0) {
            ticket_key_cleanup(&keys[nkeys]);
            goto done;
        }

        if (r > 0) {
            ticket_key_cleanup(&keys[nkeys]);
            nskipped++;

            if (opts->warn != NULL && err != NULL) {
                opts->warn(opts->data, err);
            }

            if (err != NULL && errlen > 0) {
                err[0] = '\0';
            }

            continue;
        }

        nkeys++;
    }

    ke.index = (size_t) -1;
    ke.kid = NULL;

    if (nkeys == 0) {
        ticket_error(err, errlen, "no key can verify tickets (%zu skipped)",
                     nskipped);
        goto done;
    }

    if (ticket_keyset_append(ks, keys, nkeys, &ke) != 0) {
        goto done;
    }

    /* the set owns the keys' contents now */

    nkeys = 0;
    rc = 0;

done:

    for (i = 0; i < nkeys; i++) {
        ticket_key_cleanup(&keys[i]);
    }

    free(keys);

    ticket_jwks_wipe(doc);
    json_decref(doc);

    if (rc != 0) {
        ERR_clear_error();
    }

    return rc;
}


/* HMAC secrets do not outlive the document in jansson's freed memory */

static void
ticket_jwks_wipe(json_t *doc)
{
    size_t   i;
    json_t  *list, *jwk, *k;

    list = json_object_get(doc, "keys");

    json_array_foreach(list, i, jwk) {
        k = json_object_get(jwk, "k");

        if (json_is_string(k)) {
            OPENSSL_cleanse((char *) json_string_value(k),
                            json_string_length(k));
        }
    }
}


/* 0: a key; 1: skipped (the reason in ke); -1: the document is bad */

static int
ticket_jwk_parse(json_t *jwk, ticket_key_t *key,
    const ticket_jwks_opts_t *opts, ticket_key_err_t *ke)
{
    int                       r;
    char                      shown[TICKET_SHOWN_SIZE];
    size_t                    kid_len, tenant_len;
    EVP_PKEY                 *pkey;
    const char               *kid, *tenant;
    ticket_alg_t              a;
    const ticket_alg_info_t  *info;

    if (!json_is_object(jwk)) {
        ticket_key_error(ke, "is not a JSON object");
        return -1;
    }

    if (ticket_jwk_string(jwk, "kid", &kid, &kid_len, ke) != 0) {
        return -1;
    }

    if (kid_len == 0) {
        ticket_key_error(ke, "\"kid\" is empty");
        return -1;
    }

    if (kid_len > TICKET_MAX_KID) {
        ticket_key_error(ke, "\"kid\" is longer than %d bytes",
                         TICKET_MAX_KID);
        return -1;
    }

    ke->kid = kid;
    ke->kid_len = kid_len;

    r = ticket_jwk_usable(jwk, opts, &a, ke);
    if (r != 0) {
        return r;
    }

    info = ticket_alg_info(a);

    tenant = NULL;
    tenant_len = 0;

    if (json_object_get(jwk, "tenant") != NULL) {
        if (ticket_jwk_string(jwk, "tenant", &tenant, &tenant_len, ke) != 0)
        {
            return -1;
        }

        if (!ticket_tenant_ok(tenant, tenant_len)) {
            ticket_key_error(ke, "\"tenant\" is empty or holds \"/\"");
            return -1;
        }
    }

    if (opts->tenant != NULL) {

        /* tenant= binds every key of the source: a key may not say else */

        if (tenant != NULL
            && (tenant_len != strlen(opts->tenant)
                || memcmp(tenant, opts->tenant, tenant_len) != 0))
        {
            ticket_shown(shown, tenant, tenant_len);
            ticket_key_error(ke, "\"tenant\" \"%s\" is not the tenant= "
                             "of its source", shown);
            return -1;
        }

        tenant = opts->tenant;
        tenant_len = strlen(opts->tenant);
    }

    if (info->family == TICKET_FAMILY_HS) {
        if (ticket_jwk_b64(jwk, "k", &key->secret, &key->secret_len, ke)
            != 0)
        {
            return -1;
        }

        if (key->secret_len < info->hash_len
            || key->secret_len > INT_MAX)
        {
            ticket_key_error(ke, "\"k\" is %zu bytes: %s needs at least %zu",
                             key->secret_len, info->name, info->hash_len);
            return -1;
        }

    } else {
        if (info->family == TICKET_FAMILY_ES) {
            pkey = ticket_jwk_ec(jwk, a, ke);

        } else if (info->family == TICKET_FAMILY_EDDSA) {
            pkey = ticket_jwk_okp(jwk, ke);

        } else {
            pkey = ticket_jwk_rsa(jwk, ke);
        }

        if (pkey == NULL) {
            return -1;
        }

        key->pkey = pkey;

        if (ticket_pkey_check(pkey, a, ke) != 0) {
            return -1;
        }
    }

    key->alg = a;
    key->sig_len = info->sig_len ? info->sig_len
                                 : (size_t) EVP_PKEY_get_size(key->pkey);

    if (ticket_key_set_names(key, kid, kid_len, tenant, tenant_len) != 0) {
        ticket_key_error(ke, "out of memory");
        return -1;
    }

    return 0;
}


/*
 * Whether a JWK can verify tickets, and with which algorithm: 0 and *alg
 * set; 1 when the key is skipped (the reason in ke); -1 when a member
 * is not what RFC 7517 says it is.
 */

static int
ticket_jwk_usable(json_t *jwk, const ticket_jwks_opts_t *opts,
    ticket_alg_t *alg, ticket_key_err_t *ke)
{
    char                      shown[TICKET_SHOWN_SIZE];
    size_t                    i, len, kty_len, alg_len;
    json_t                   *member, *op;
    const char               *use, *kty, *name, *want;
    ticket_alg_t              a;
    const ticket_alg_info_t  *info;

    if (ticket_jwk_string(jwk, "kty", &kty, &kty_len, ke) != 0) {
        return -1;
    }

    /* the gateway holds public keys only: a leaked file leaks nothing */

    if (!ticket_is(kty, kty_len, "oct")) {
        for (i = 0; ticket_jwk_private[i] != NULL; i++) {
            if (json_object_get(jwk, ticket_jwk_private[i]) != NULL) {
                ticket_key_error(ke, "skipped: holds private key material "
                                 "(\"%s\"), only public keys are loaded",
                                 ticket_jwk_private[i]);
                return 1;
            }
        }
    }

    if (json_object_get(jwk, "use") != NULL) {
        if (ticket_jwk_string(jwk, "use", &use, &len, ke) != 0) {
            return -1;
        }

        if (!ticket_is(use, len, "sig")) {
            ticket_shown(shown, use, len);
            ticket_key_error(ke, "skipped: \"use\" is \"%s\", not \"sig\"",
                             shown);
            return 1;
        }
    }

    member = json_object_get(jwk, "key_ops");

    if (member != NULL) {
        if (!json_is_array(member)) {
            ticket_key_error(ke, "\"key_ops\" is not an array");
            return -1;
        }

        want = NULL;

        json_array_foreach(member, i, op) {
            if (!json_is_string(op)) {
                ticket_key_error(ke, "\"key_ops\" holds a non-string");
                return -1;
            }

            if (ticket_is(json_string_value(op), json_string_length(op),
                          "verify"))
            {
                want = "verify";
            }
        }

        if (want == NULL) {
            ticket_key_error(ke, "skipped: \"key_ops\" has no \"verify\"");
            return 1;
        }
    }

    if (json_object_get(jwk, "alg") == NULL) {
        return ticket_jwk_infer(jwk, kty, kty_len, opts, alg, ke);
    }

    if (ticket_jwk_string(jwk, "alg", &name, &alg_len, ke) != 0) {
        return -1;
    }

    for (i = 0; ticket_jwk_enc_algs[i] != NULL; i++) {
        if (ticket_is(name, alg_len, ticket_jwk_enc_algs[i])) {
            ticket_key_error(ke, "skipped: \"alg\" \"%s\" is an encryption "
                             "algorithm", ticket_jwk_enc_algs[i]);
            return 1;
        }
    }

    a = ticket_alg_from_name(name, alg_len);
    info = ticket_alg_info(a);

    if (info == NULL) {
        ticket_shown(shown, name, alg_len);
        ticket_key_error(ke, "skipped: \"alg\" \"%s\" is not supported",
                         shown);
        return 1;
    }

    if (!ticket_is(kty, kty_len, "RSA") && !ticket_is(kty, kty_len, "EC")
        && !ticket_is(kty, kty_len, "OKP") && !ticket_is(kty, kty_len, "oct"))
    {
        ticket_shown(shown, kty, kty_len);
        ticket_key_error(ke, "skipped: \"kty\" \"%s\" is not supported",
                         shown);
        return 1;
    }

    switch (info->family) {
    case TICKET_FAMILY_HS:
        want = "oct";
        break;
    case TICKET_FAMILY_ES:
        want = "EC";
        break;
    case TICKET_FAMILY_EDDSA:
        want = "OKP";
        break;
    default:
        want = "RSA";
    }

    if (!ticket_is(kty, kty_len, want)) {
        ticket_shown(shown, kty, kty_len);
        ticket_key_error(ke, "\"kty\" \"%s\" does not fit \"alg\" \"%s\"",
                         shown, info->name);
        return -1;
    }

    if (info->family == TICKET_FAMILY_RS || info->family == TICKET_FAMILY_PS)
    {
        if (ticket_jwk_rsa_bits(jwk, ke) != 0) {
            return 1;
        }
    }

    *alg = a;

    return 0;
}


/*
 * A JWK without "alg" (Entra ID, PayPal, the RFC 7520 examples): the
 * algorithm follows from the key where only one can: the curve for EC
 * and OKP; for RSA, RS256 unless the source pins another.  A symmetric
 * key could be any HS alg: it is refused.
 */

static int
ticket_jwk_infer(json_t *jwk, const char *kty, size_t kty_len,
    const ticket_jwks_opts_t *opts, ticket_alg_t *alg, ticket_key_err_t *ke)
{
    char         shown[TICKET_SHOWN_SIZE];
    size_t       crv_len;
    const char  *crv;

    if (ticket_is(kty, kty_len, "RSA")) {
        if (ticket_jwk_rsa_bits(jwk, ke) != 0) {
            return 1;
        }

        *alg = opts->rsa_alg != TICKET_ALG_UNKNOWN ? opts->rsa_alg
                                                   : TICKET_ALG_RS256;
        return 0;
    }

    if (ticket_is(kty, kty_len, "oct")) {
        ticket_key_error(ke, "skipped: an \"oct\" key without \"alg\": "
                         "which HS algorithm is not known");
        return 1;
    }

    if (!ticket_is(kty, kty_len, "EC") && !ticket_is(kty, kty_len, "OKP")) {
        ticket_shown(shown, kty, kty_len);
        ticket_key_error(ke, "skipped: \"kty\" \"%s\" is not supported",
                         shown);
        return 1;
    }

    if (ticket_jwk_string(jwk, "crv", &crv, &crv_len, ke) != 0) {
        return -1;
    }

    if (ticket_is(kty, kty_len, "EC")) {
        if (ticket_is(crv, crv_len, "P-256")) {
            *alg = TICKET_ALG_ES256;
            return 0;
        }

        if (ticket_is(crv, crv_len, "P-384")) {
            *alg = TICKET_ALG_ES384;
            return 0;
        }

        if (ticket_is(crv, crv_len, "P-521")) {
            *alg = TICKET_ALG_ES512;
            return 0;
        }

    } else {
        if (ticket_is(crv, crv_len, "Ed25519")) {
            *alg = TICKET_ALG_EDDSA;
            return 0;
        }

        if (ticket_is(crv, crv_len, "X25519")
            || ticket_is(crv, crv_len, "X448"))
        {
            ticket_shown(shown, crv, crv_len);
            ticket_key_error(ke, "skipped: \"crv\" \"%s\" is for key "
                             "agreement, not signatures", shown);
            return 1;
        }
    }

    ticket_shown(shown, crv, crv_len);
    ticket_key_error(ke, "skipped: \"crv\" \"%s\" is not supported", shown);

    return 1;
}


/* 0, or 1 with the reason in ke for a modulus too short to trust */

static int
ticket_jwk_rsa_bits(json_t *jwk, ticket_key_err_t *ke)
{
    long            n;
    size_t          len, i, bits;
    json_t         *member;
    const char     *str;
    unsigned char  *buf, top;

    member = json_object_get(jwk, "n");

    /* a missing or bad "n" is reported where the key is built */

    if (!json_is_string(member)) {
        return 0;
    }

    str = json_string_value(member);
    len = json_string_length(member);

    buf = malloc(len / 4 * 3 + 3);
    if (buf == NULL) {
        return 0;
    }

    n = ticket_b64url_decode(buf, str, len);
    bits = 0;

    for (i = 0; n > 0 && i < (size_t) n; i++) {
        if (buf[i] != 0) {
            top = buf[i];
            bits = ((size_t) n - i - 1) * 8;

            while (top) {
                bits++;
                top >>= 1;
            }

            break;
        }
    }

    free(buf);

    if (n > 0 && bits < TICKET_RSA_MIN_BITS) {
        ticket_key_error(ke, "skipped: the RSA key is %zu bits, at least %d "
                         "are needed", bits, TICKET_RSA_MIN_BITS);
        return 1;
    }

    return 0;
}


static int
ticket_is(const char *s, size_t len, const char *lit)
{
    return len == strlen(lit) && memcmp(s, lit, len) == 0;
}


/* a string member without NUL bytes */

static int
ticket_jwk_string(json_t *jwk, const char *name, const char **str,
    size_t *len, ticket_key_err_t *ke)
{
    json_t  *member;

    member = json_object_get(jwk, name);

    if (member == NULL) {
        ticket_key_error(ke, "\"%s\" is missing", name);
        return -1;
    }

    if (!json_is_string(member)) {
        ticket_key_error(ke, "\"%s\" is not a string", name);
        return -1;
    }

    *str = json_string_value(member);
    *len = json_string_length(member);

    if (memchr(*str, '\0', *len) != NULL) {
        ticket_key_error(ke, "\"%s\" holds a NUL", name);
        return -1;
    }

    return 0;
}


/* a base64url member, decoded into malloc()ed memory */

static int
ticket_jwk_b64(json_t *jwk, const char *name, unsigned char **out,
    size_t *outlen, ticket_key_err_t *ke)
{
    long            n;
    size_t          len;
    const char     *str;
    unsigned char  *p;

    if (ticket_jwk_string(jwk, name, &str, &len, ke) != 0) {
        return -1;
    }

    p = malloc(len / 4 * 3 + 3);
    if (p == NULL) {
        ticket_key_error(ke, "out of memory");
        return -1;
    }

    n = ticket_b64url_decode(p, str, len);

    if (n <= 0) {
        OPENSSL_cleanse(p, len / 4 * 3 + 3);
        free(p);
        ticket_key_error(ke, "\"%s\" is %s", name,
                         n == 0 ? "empty" : "not valid base64url");
        return -1;
    }

    *out = p;
    *outlen = (size_t) n;

    return 0;
}


static EVP_PKEY *
ticket_jwk_rsa(json_t *jwk, ticket_key_err_t *ke)
{
    size_t           nlen, elen;
    BIGNUM          *n, *e;
    EVP_PKEY        *pkey;
    OSSL_PARAM      *params;
    EVP_PKEY_CTX    *ctx;
    unsigned char   *nbuf, *ebuf;
    OSSL_PARAM_BLD  *bld;

    nbuf = NULL;
    ebuf = NULL;
    n = NULL;
    e = NULL;
    bld = NULL;
    params = NULL;
    ctx = NULL;
    pkey = NULL;

    if (ticket_jwk_b64(jwk, "n", &nbuf, &nlen, ke) != 0
        || ticket_jwk_b64(jwk, "e", &ebuf, &elen, ke) != 0)
    {
        goto done;
    }

    /* the checks proper are ticket_pkey_check()'s; this bounds the work */

    if (nlen > TICKET_RSA_MAX_BITS / 8 + 1 || elen > 8) {
        ticket_key_error(ke, "\"%s\" is too long", elen > 8 ? "e" : "n");
        goto done;
    }

    n = BN_bin2bn(nbuf, (int) nlen, NULL);
    e = BN_bin2bn(ebuf, (int) elen, NULL);
    bld = OSSL_PARAM_BLD_new();

    if (n == NULL || e == NULL || bld == NULL
        || !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n)
        || !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e)
        || (params = OSSL_PARAM_BLD_to_param(bld)) == NULL
        || (ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL)) == NULL
        || EVP_PKEY_fromdata_init(ctx) <= 0
        || EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) <= 0)
    {
        EVP_PKEY_free(pkey);
        pkey = NULL;
        ticket_key_error(ke, "is not a usable RSA public key");
    }

done:

    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    BN_free(n);
    BN_free(e);
    free(nbuf);
    free(ebuf);

    return pkey;
}


static EVP_PKEY *
ticket_jwk_ec(json_t *jwk, ticket_alg_t alg, ticket_key_err_t *ke)
{
    char                   shown[TICKET_SHOWN_SIZE];
    size_t                 crv_len, xlen, ylen;
    EVP_PKEY              *pkey;
    OSSL_PARAM            *params;
    const char            *crv;
    EVP_PKEY_CTX          *ctx;
    unsigned char         *x, *y;
    OSSL_PARAM_BLD        *bld;
    unsigned char          point[1 + 2 * 66];
    const ticket_curve_t  *curve;

    curve = ticket_alg_curve(alg);

    if (ticket_jwk_string(jwk, "crv", &crv, &crv_len, ke) != 0) {
        return NULL;
    }

    if (crv_len != strlen(curve->crv)
        || memcmp(crv, curve->crv, crv_len) != 0)
    {
        ticket_shown(shown, crv, crv_len);
        ticket_key_error(ke, "\"crv\" \"%s\" does not fit \"alg\" \"%s\"",
                         shown, ticket_alg_name(alg));
        return NULL;
    }

    x = NULL;
    y = NULL;
    bld = NULL;
    params = NULL;
    ctx = NULL;
    pkey = NULL;

    if (ticket_jwk_b64(jwk, "x", &x, &xlen, ke) != 0
        || ticket_jwk_b64(jwk, "y", &y, &ylen, ke) != 0)
    {
        goto done;
    }

    /* RFC 7518, 6.2.1.2: exactly the field length, leading zeros kept */

    if (xlen != curve->len || ylen != curve->len) {
        ticket_key_error(ke, "\"%s\" is %zu bytes: %s needs %zu",
                         xlen != curve->len ? "x" : "y",
                         xlen != curve->len ? xlen : ylen,
                         curve->crv, curve->len);
        goto done;
    }

    point[0] = POINT_CONVERSION_UNCOMPRESSED;
    memcpy(&point[1], x, curve->len);
    memcpy(&point[1 + curve->len], y, curve->len);

    bld = OSSL_PARAM_BLD_new();

    if (bld == NULL
        || !OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME,
                                            curve->group, 0)
        || !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY,
                                             point, 1 + 2 * curve->len)
        || (params = OSSL_PARAM_BLD_to_param(bld)) == NULL
        || (ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL)) == NULL
        || EVP_PKEY_fromdata_init(ctx) <= 0
        || EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) <= 0)
    {
        EVP_PKEY_free(pkey);
        pkey = NULL;
        ticket_key_error(ke, "\"x\" and \"y\" are not a point on %s",
                         curve->crv);
    }

done:

    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    free(x);
    free(y);

    return pkey;
}


static EVP_PKEY *
ticket_jwk_okp(json_t *jwk, ticket_key_err_t *ke)
{
    char            shown[TICKET_SHOWN_SIZE];
    size_t          crv_len, xlen;
    EVP_PKEY       *pkey;
    const char     *crv;
    unsigned char  *x;

    if (ticket_jwk_string(jwk, "crv", &crv, &crv_len, ke) != 0) {
        return NULL;
    }

    if (crv_len != 7 || memcmp(crv, "Ed25519", 7) != 0) {
        ticket_shown(shown, crv, crv_len);
        ticket_key_error(ke, "\"crv\" \"%s\" does not fit \"alg\" \"EdDSA\" "
                         "(Ed25519 only)", shown);
        return NULL;
    }

    if (ticket_jwk_b64(jwk, "x", &x, &xlen, ke) != 0) {
        return NULL;
    }

    pkey = NULL;

    if (xlen != 32) {
        ticket_key_error(ke, "\"x\" is %zu bytes: Ed25519 needs 32", xlen);

    } else {
        pkey = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, x, xlen);
        if (pkey == NULL) {
            ticket_key_error(ke, "\"x\" is not an Ed25519 public key");
        }
    }

    free(x);

    return pkey;
}


/*
 * The key fits its alg: type, size and curve.  Shared by JWKS and PEM,
 * so both sources obey the same rules.
 */

static int
ticket_pkey_check(EVP_PKEY *pkey, ticket_alg_t alg, ticket_key_err_t *ke)
{
    int                       ok, bits, nid;
    char                      group[64];
    size_t                    group_len;
    BIGNUM                   *n, *e;
    EVP_PKEY_CTX             *ctx;
    const ticket_curve_t     *curve;
    const ticket_alg_info_t  *info;

    info = ticket_alg_info(alg);

    switch (info->family) {

    case TICKET_FAMILY_RS:
    case TICKET_FAMILY_PS:

        /* not EVP_PKEY_RSA_PSS: its own restrictions could differ from alg */

        if (EVP_PKEY_get_base_id(pkey) != EVP_PKEY_RSA) {
            ticket_key_error(ke, "is not an RSA key: %s needs one",
                             info->name);
            return -1;
        }

        n = NULL;
        e = NULL;

        if (!EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_N, &n)
            || !EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_E, &e))
        {
            BN_free(n);
            BN_free(e);
            ticket_key_error(ke, "is not a usable RSA public key");
            return -1;
        }

        bits = BN_num_bits(n);

        /*
         * e = 1 would make every message its own signature; an even n or
         * e is no RSA key; a huge e costs every request.
         */

        ok = bits >= TICKET_RSA_MIN_BITS && bits <= TICKET_RSA_MAX_BITS
             && BN_is_odd(n)
             && BN_is_odd(e) && !BN_is_one(e) && BN_num_bits(e) <= 64;

        BN_free(n);
        BN_free(e);

        if (bits < TICKET_RSA_MIN_BITS) {
            ticket_key_error(ke, "the RSA key is %d bits: at least %d "
                             "are needed", bits, TICKET_RSA_MIN_BITS);
            return -1;
        }

        if (!ok) {
            ticket_key_error(ke, "is not a usable RSA public key "
                             "(modulus at most %d bits and odd, exponent "
                             "odd, above 1, at most 64 bits)",
                             TICKET_RSA_MAX_BITS);
            return -1;
        }

        return 0;

    case TICKET_FAMILY_ES:
        curve = ticket_alg_curve(alg);

        if (EVP_PKEY_get_base_id(pkey) != EVP_PKEY_EC) {
            ticket_key_error(ke, "is not an EC key: %s needs %s",
                             info->name, curve->crv);
            return -1;
        }

        nid = NID_undef;

        if (EVP_PKEY_get_group_name(pkey, group, sizeof(group), &group_len)
            == 1)
        {
            nid = OBJ_sn2nid(group);

            if (nid == NID_undef) {
                nid = EC_curve_nist2nid(group);
            }
        }

        if (nid != curve->nid) {
            ticket_key_error(ke, "the curve is not %s: %s needs it",
                             curve->crv, info->name);
            return -1;
        }

        /* on the curve, not the point at infinity, of the group's order */

        ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
        ok = ctx != NULL && EVP_PKEY_public_check(ctx) == 1;
        EVP_PKEY_CTX_free(ctx);

        if (!ok) {
            ticket_key_error(ke, "is not a valid point on %s", curve->crv);
            return -1;
        }

        return 0;

    case TICKET_FAMILY_EDDSA:

        if (EVP_PKEY_get_base_id(pkey) != EVP_PKEY_ED25519) {
            ticket_key_error(ke, "is not an Ed25519 key: EdDSA needs one");
            return -1;
        }

        return 0;

    default:
        ticket_key_error(ke, "%s takes no public key", info->name);
        return -1;
    }
}


int
ticket_keyset_add_pem(ticket_keyset_t *ks, const char *kid,
    ticket_alg_t alg, const char *tenant, const unsigned char *buf,
    size_t len, char *err, size_t errlen)
{
    BIO                      *bio;
    size_t                    kid_len, tenant_len;
    ticket_key_t              key;
    ticket_key_err_t          ke;
    const ticket_alg_info_t  *info;

    ke.buf = err;
    ke.len = errlen;
    ke.index = (size_t) -1;
    ke.kid = NULL;
    ke.kid_len = 0;

    if (err != NULL && errlen > 0) {
        err[0] = '\0';
    }

    memset(&key, 0, sizeof(ticket_key_t));

    if (ks == NULL) {
        ticket_error(err, errlen, "no key set");
        return -1;
    }

    kid_len = kid != NULL ? strlen(kid) : 0;

    if (kid_len == 0) {
        ticket_key_error(&ke, "kid is empty");
        return -1;
    }

    ke.kid = kid;
    ke.kid_len = kid_len;

    if (kid_len > TICKET_MAX_KID) {
        ticket_key_error(&ke, "kid is longer than %d bytes", TICKET_MAX_KID);
        return -1;
    }

    info = ticket_alg_info(alg);
    if (info == NULL) {
        ticket_key_error(&ke, "unknown algorithm");
        return -1;
    }

    tenant_len = tenant != NULL ? strlen(tenant) : 0;

    if (tenant != NULL && !ticket_tenant_ok(tenant, tenant_len)) {
        ticket_key_error(&ke, "tenant is empty or holds \"/\"");
        return -1;
    }

    if (buf == NULL) {
        len = 0;
    }

    if (info->family == TICKET_FAMILY_HS) {
        while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r')) {
            len--;
        }

        /*
         * A public key used as an HMAC secret is the RS/HS confusion:
         * whoever has the public key could sign.
         */

        if (len >= 10 && ticket_contains(buf, len, "-----BEGIN")) {
            ticket_key_error(&ke, "the %s secret is a PEM key, not an HMAC "
                             "secret", info->name);
            return -1;
        }

        if (len < info->hash_len || len > INT_MAX) {
            ticket_key_error(&ke, "the %s secret is %zu bytes: at least %zu "
                             "are needed", info->name, len, info->hash_len);
            return -1;
        }

        key.secret = malloc(len);
        if (key.secret == NULL) {
            ticket_key_error(&ke, "out of memory");
            return -1;
        }

        memcpy(key.secret, buf, len);
        key.secret_len = len;

    } else {

        /* no private key on the gateway, even next to the public one */

        if (len >= 11 && ticket_contains(buf, len, "PRIVATE KEY")) {
            ticket_key_error(&ke, "is a private key: give the public key");
            return -1;
        }

        if (len == 0 || len > INT_MAX) {
            ticket_key_error(&ke, "no PEM public key found");
            return -1;
        }

        bio = BIO_new_mem_buf(buf, (int) len);
        if (bio == NULL) {
            ticket_key_error(&ke, "out of memory");
            goto done;
        }

        key.pkey = PEM_read_bio_PUBKEY(bio, NULL, ticket_no_password, NULL);
        BIO_free(bio);

        if (key.pkey == NULL) {
            ticket_key_error(&ke, "no PEM public key found");
            goto done;
        }

        if (ticket_pkey_check(key.pkey, alg, &ke) != 0) {
            goto done;
        }
    }

    key.alg = alg;
    key.sig_len = info->sig_len ? info->sig_len
                                : (size_t) EVP_PKEY_get_size(key.pkey);

    if (ticket_key_set_names(&key, kid, kid_len, tenant, tenant_len) != 0) {
        ticket_key_error(&ke, "out of memory");
        goto done;
    }

    if (ticket_keyset_append(ks, &key, 1, &ke) != 0) {
        goto done;
    }

    return 0;

done:

    ticket_key_cleanup(&key);
    ERR_clear_error();

    return -1;
}


static int
ticket_key_set_names(ticket_key_t *key, const char *kid, size_t kid_len,
    const char *tenant, size_t tenant_len)
{
    key->kid = malloc(kid_len + 1);
    if (key->kid == NULL) {
        return -1;
    }

    memcpy(key->kid, kid, kid_len);
    key->kid[kid_len] = '\0';
    key->kid_len = kid_len;

    if (tenant == NULL) {
        return 0;
    }

    key->tenant = malloc(tenant_len + 1);
    if (key->tenant == NULL) {
        return -1;
    }

    memcpy(key->tenant, tenant, tenant_len);
    key->tenant[tenant_len] = '\0';
    key->tenant_len = tenant_len;

    return 0;
}


/* as the tenant claim: non-empty, no "/" (it separates revocation fields) */

static int
ticket_tenant_ok(const char *tenant, size_t len)
{
    return len > 0 && memchr(tenant, '/', len) == NULL
           && memchr(tenant, '\0', len) == NULL;
}


static int
ticket_contains(const unsigned char *buf, size_t len, const char *str)
{
    size_t  i, n;

    n = strlen(str);

    for (i = 0; i + n <= len; i++) {
        if (memcmp(buf + i, str, n) == 0) {
            return 1;
        }
    }

    return 0;
}


/* PEM_read_bio_PUBKEY() would prompt on the terminal without this */

static int
ticket_no_password(char *buf, int size, int rwflag, void *data)
{
    return 0;
}
