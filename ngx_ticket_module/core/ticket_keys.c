
/*
 * Keys: algorithm names, key sets from JWKS documents and PEM files, and
 * one signature checked under one key.
 *
 * A key is pinned to exactly one algorithm when it is loaded, and every
 * property an attacker could play with (curve, modulus size, point on
 * the curve, HMAC secret length, private material) is checked here, once,
 * at configuration time.  The request path only verifies.
 */


#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/objects.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include "ticket.h"


#define TICKET_RSA_MIN_BITS  2048
#define TICKET_RSA_MAX_BITS  16384
#define TICKET_SHOWN         64
#define TICKET_SHOWN_SIZE    (TICKET_SHOWN + 4)

#if defined(__GNUC__)
#define TICKET_PRINTF(f, a)  __attribute__((format(printf, f, a)))
#else
#define TICKET_PRINTF(f, a)
#endif


typedef enum {
    TICKET_FAMILY_NONE = 0,
    TICKET_FAMILY_HS,
    TICKET_FAMILY_RS,
    TICKET_FAMILY_PS,
    TICKET_FAMILY_ES,
    TICKET_FAMILY_EDDSA
} ticket_family_t;


typedef struct {
    const char             *name;
    ticket_family_t         family;
    size_t                  hash_len;     /* digest; HS minimum secret */
    size_t                  sig_len;      /* fixed lengths: HS, ES, EdDSA */
} ticket_alg_info_t;


typedef struct {
    const char             *crv;          /* JWK name */
    const char             *group;        /* OpenSSL name */
    int                     nid;
    size_t                  len;          /* field and scalar bytes */
    const unsigned char    *order;        /* big-endian, len bytes */
} ticket_curve_t;


/* where a key came from, for error messages */

typedef struct {
    char                   *buf;
    size_t                  len;
    size_t                  index;        /* in the JWKS; -1: a PEM file */
    const char             *kid;          /* NULL: not known yet */
    size_t                  kid_len;
} ticket_key_err_t;


static const ticket_alg_info_t *ticket_alg_info(ticket_alg_t alg);
static const EVP_MD *ticket_alg_md(ticket_alg_t alg);
static const ticket_curve_t *ticket_alg_curve(ticket_alg_t alg);
static void ticket_shown(char *dst, const char *src, size_t len);
static void ticket_error(char *buf, size_t len, const char *fmt, ...)
    TICKET_PRINTF(3, 4);
static void ticket_key_error(ticket_key_err_t *ke, const char *fmt, ...)
    TICKET_PRINTF(2, 3);
static void ticket_key_cleanup(ticket_key_t *key);
static int ticket_key_set_names(ticket_key_t *key, const char *kid,
    size_t kid_len, const char *tenant, size_t tenant_len);
static int ticket_tenant_ok(const char *tenant, size_t len);
static int ticket_key_fingerprint(ticket_key_t *key);
static int ticket_keyset_append(ticket_keyset_t *ks, ticket_key_t *keys,
    size_t n, ticket_key_err_t *ke);
static void ticket_jwks_wipe(json_t *doc);
static int ticket_jwk_parse(json_t *jwk, ticket_key_t *key,
    ticket_key_err_t *ke);
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
static int ticket_verify_hmac(const ticket_key_t *key,
    const unsigned char *input, size_t len, const unsigned char *sig,
    size_t sig_len);
static int ticket_verify_ecdsa(const ticket_key_t *key,
    const unsigned char *input, size_t len, const unsigned char *sig,
    size_t sig_len);
static int ticket_verify_pkey(EVP_PKEY *pkey, ticket_alg_t alg,
    const unsigned char *input, size_t len, const unsigned char *sig,
    size_t sig_len);


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


/* a public key holds none of these: their presence means a private key */

static const char  *ticket_jwk_private[] = {
    "d", "p", "q", "dp", "dq", "qi", "oth", NULL
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

    return TICKET_ALG_UNKNOWN;
}


const char *
ticket_alg_name(ticket_alg_t alg)
{
    const ticket_alg_info_t  *info;

    info = ticket_alg_info(alg);

    return info != NULL ? info->name : "unknown";
}


static const ticket_alg_info_t *
ticket_alg_info(ticket_alg_t alg)
{
    if ((int) alg <= TICKET_ALG_UNKNOWN || (int) alg >= TICKET_ALG_MAX) {
        return NULL;
    }

    return &ticket_algs[alg];
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


static const ticket_curve_t *
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


/*
 * Text from a configuration file shown in an error message, which ends up
 * in the error log: shortened, and anything but printable ASCII replaced.
 */

static void
ticket_shown(char *dst, const char *src, size_t len)
{
    size_t          i, n;
    unsigned char   c;

    n = len < TICKET_SHOWN ? len : TICKET_SHOWN;

    for (i = 0; i < n; i++) {
        c = (unsigned char) src[i];
        dst[i] = (c < 0x20 || c > 0x7e || c == '"' || c == '\\') ? '?' : c;
    }

    if (len > TICKET_SHOWN) {
        memcpy(&dst[i], "...", 3);
        i += 3;
    }

    dst[i] = '\0';
}


static void
ticket_error(char *buf, size_t len, const char *fmt, ...)
{
    va_list  args;

    if (buf == NULL || len == 0) {
        return;
    }

    va_start(args, fmt);
    vsnprintf(buf, len, fmt, args);
    va_end(args);
}


/* "key "KID": problem", or "keys[N]: problem" while the kid is unknown */

static void
ticket_key_error(ticket_key_err_t *ke, const char *fmt, ...)
{
    int      n;
    char     kid[TICKET_SHOWN_SIZE];
    va_list  args;

    if (ke->buf == NULL || ke->len == 0) {
        return;
    }

    if (ke->kid != NULL) {
        ticket_shown(kid, ke->kid, ke->kid_len);
        n = snprintf(ke->buf, ke->len, "key \"%s\": ", kid);

    } else if (ke->index != (size_t) -1) {
        n = snprintf(ke->buf, ke->len, "keys[%zu]: ", ke->index);

    } else {
        n = snprintf(ke->buf, ke->len, "key: ");
    }

    if (n < 0 || (size_t) n >= ke->len) {
        return;
    }

    va_start(args, fmt);
    vsnprintf(ke->buf + n, ke->len - (size_t) n, fmt, args);
    va_end(args);
}


void
ticket_keyset_init(ticket_keyset_t *ks)
{
    ks->keys = NULL;
    ks->nkeys = 0;
    ks->nalloc = 0;
}


void
ticket_keyset_free(ticket_keyset_t *ks)
{
    size_t  i;

    for (i = 0; i < ks->nkeys; i++) {
        ticket_key_cleanup(&ks->keys[i]);
    }

    free(ks->keys);

    ticket_keyset_init(ks);
}


static void
ticket_key_cleanup(ticket_key_t *key)
{
    EVP_PKEY_free(key->pkey);

    if (key->secret != NULL) {
        OPENSSL_cleanse(key->secret, key->secret_len);
        free(key->secret);
    }

    free(key->kid);
    free(key->tenant);

    memset(key, 0, sizeof(ticket_key_t));
}


const ticket_key_t *
ticket_keyset_find(const ticket_keyset_t *ks, const char *kid,
    size_t kid_len)
{
    size_t  i;

    if (ks == NULL || kid == NULL || kid_len > TICKET_MAX_KID) {
        return NULL;
    }

    for (i = 0; i < ks->nkeys; i++) {
        if (ks->keys[i].kid_len == kid_len
            && memcmp(ks->keys[i].kid, kid, kid_len) == 0)
        {
            return &ks->keys[i];
        }
    }

    return NULL;
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


/*
 * All or nothing: the new keys join the set only when none of their
 * kids is taken, so a failed load leaves the set as it was.  On success
 * the set owns the keys' contents; on failure the caller still does.
 */

/*
 * What identifies a key across scopes and reloads: its algorithm, kid,
 * tenant and material.  The verified-ticket cache trusts an entry only in
 * a scope holding a key with the same fingerprint as the one that verified.
 */

static int
ticket_key_fingerprint(ticket_key_t *key)
{
    int             len, ok;
    unsigned int    fplen;
    unsigned char  *der, *p, alg, zero;
    EVP_MD_CTX     *ctx;

    ctx = EVP_MD_CTX_new();
    if (ctx == NULL) {
        return -1;
    }

    der = NULL;
    alg = (unsigned char) key->alg;
    zero = 0;

    ok = EVP_DigestInit_ex(ctx, EVP_sha256(), NULL)
         && EVP_DigestUpdate(ctx, &alg, 1)
         && EVP_DigestUpdate(ctx, key->kid, key->kid_len)
         && EVP_DigestUpdate(ctx, &zero, 1)
         && (key->tenant == NULL
             || EVP_DigestUpdate(ctx, key->tenant, key->tenant_len))
         && EVP_DigestUpdate(ctx, &zero, 1);

    if (ok && key->secret != NULL) {
        ok = EVP_DigestUpdate(ctx, key->secret, key->secret_len);

    } else if (ok && key->pkey != NULL) {
        len = i2d_PUBKEY(key->pkey, NULL);
        ok = len > 0 && (der = OPENSSL_malloc(len)) != NULL;

        if (ok) {
            p = der;
            ok = i2d_PUBKEY(key->pkey, &p) == len
                 && EVP_DigestUpdate(ctx, der, len);
        }
    }

    fplen = 0;
    ok = ok && EVP_DigestFinal_ex(ctx, key->fp, &fplen) && fplen == 32;

    OPENSSL_free(der);
    EVP_MD_CTX_free(ctx);

    if (!ok) {
        ERR_clear_error();
        return -1;
    }

    return 0;
}


static int
ticket_keyset_append(ticket_keyset_t *ks, ticket_key_t *keys, size_t n,
    ticket_key_err_t *ke)
{
    char           shown[TICKET_SHOWN_SIZE];
    size_t         i, j, nalloc;
    ticket_key_t  *p;

    for (i = 0; i < n; i++) {
        ke->kid = keys[i].kid;
        ke->kid_len = keys[i].kid_len;

        if (ticket_key_fingerprint(&keys[i]) != 0) {
            ticket_key_error(ke, "cannot fingerprint the key");
            return -1;
        }

        if (ticket_keyset_find(ks, keys[i].kid, keys[i].kid_len) != NULL) {
            goto duplicate;
        }

        for (j = 0; j < i; j++) {
            if (keys[j].kid_len == keys[i].kid_len
                && memcmp(keys[j].kid, keys[i].kid, keys[i].kid_len) == 0)
            {
                goto duplicate;
            }
        }
    }

    if (n > (size_t) -1 / sizeof(ticket_key_t) - ks->nkeys) {
        ticket_key_error(ke, "too many keys");
        return -1;
    }

    if (ks->nkeys + n > ks->nalloc) {
        nalloc = ks->nalloc ? ks->nalloc : 4;

        while (nalloc < ks->nkeys + n) {
            if (nalloc > (size_t) -1 / 2 / sizeof(ticket_key_t)) {
                nalloc = ks->nkeys + n;
                break;
            }

            nalloc *= 2;
        }

        p = realloc(ks->keys, nalloc * sizeof(ticket_key_t));
        if (p == NULL) {
            ticket_key_error(ke, "out of memory");
            return -1;
        }

        ks->keys = p;
        ks->nalloc = nalloc;
    }

    memcpy(&ks->keys[ks->nkeys], keys, n * sizeof(ticket_key_t));
    ks->nkeys += n;

    return 0;

duplicate:

    ticket_shown(shown, keys[i].kid, keys[i].kid_len);
    ticket_error(ke->buf, ke->len, "duplicate kid \"%s\"", shown);

    return -1;
}


int
ticket_keyset_add_jwks(ticket_keyset_t *ks, const unsigned char *buf,
    size_t len, char *err, size_t errlen)
{
    int                rc;
    json_t            *doc, *list;
    size_t             i, n, nparsed;
    json_error_t       jerr;
    ticket_key_t      *keys;
    unsigned char      c;
    ticket_key_err_t   ke;

    ke.buf = err;
    ke.len = errlen;
    ke.index = (size_t) -1;
    ke.kid = NULL;
    ke.kid_len = 0;

    if (err != NULL && errlen > 0) {
        err[0] = '\0';
    }

    if (ks == NULL || buf == NULL) {
        ticket_error(err, errlen, "no JWKS");
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
    nparsed = 0;
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

        nparsed = i + 1;

        if (ticket_jwk_parse(json_array_get(list, i), &keys[i], &ke) != 0) {
            goto done;
        }
    }

    ke.index = (size_t) -1;

    if (ticket_keyset_append(ks, keys, n, &ke) != 0) {
        goto done;
    }

    /* the set owns the keys' contents now */

    nparsed = 0;
    rc = 0;

done:

    for (i = 0; i < nparsed; i++) {
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


static int
ticket_jwk_parse(json_t *jwk, ticket_key_t *key, ticket_key_err_t *ke)
{
    char                      shown[TICKET_SHOWN_SIZE];
    size_t                    i, kid_len, alg_len, len, tenant_len;
    json_t                   *member;
    EVP_PKEY                 *pkey;
    const char               *kid, *alg, *kty, *use, *tenant, *want;
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

    if (ticket_jwk_string(jwk, "alg", &alg, &alg_len, ke) != 0) {
        return -1;
    }

    a = ticket_alg_from_name(alg, alg_len);
    info = ticket_alg_info(a);

    if (info == NULL) {
        ticket_shown(shown, alg, alg_len);
        ticket_key_error(ke, "\"alg\" \"%s\" is not supported", shown);
        return -1;
    }

    member = json_object_get(jwk, "use");

    if (member != NULL) {
        if (ticket_jwk_string(jwk, "use", &use, &len, ke) != 0) {
            return -1;
        }

        if (len != 3 || memcmp(use, "sig", 3) != 0) {
            ticket_key_error(ke, "\"use\" is not \"sig\"");
            return -1;
        }
    }

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

    if (ticket_jwk_string(jwk, "kty", &kty, &len, ke) != 0) {
        return -1;
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

    if (len != strlen(want) || memcmp(kty, want, len) != 0) {
        ticket_shown(shown, kty, len);
        ticket_key_error(ke, "\"kty\" \"%s\" does not fit \"alg\" \"%s\"",
                         shown, info->name);
        return -1;
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

        /* the gateway holds public keys only: a leaked file leaks nothing */

        for (i = 0; ticket_jwk_private[i] != NULL; i++) {
            if (json_object_get(jwk, ticket_jwk_private[i]) != NULL) {
                ticket_key_error(ke, "holds private key material (\"%s\"): "
                                 "give the public key",
                                 ticket_jwk_private[i]);
                return -1;
            }
        }

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
        ok = ticket_verify_pkey(key->pkey, key->alg, input, len, sig,
                                sig_len);
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
    unsigned int    mac_len;
    const EVP_MD   *md;
    unsigned char   mac[EVP_MAX_MD_SIZE];

    md = ticket_alg_md(key->alg);

    if (md == NULL || key->secret == NULL || key->secret_len > INT_MAX) {
        return 0;
    }

    mac_len = 0;

    if (HMAC(md, key->secret, (int) key->secret_len, input, len, mac,
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
    int                    ok, der_len;
    size_t                 half, i;
    BIGNUM                *r, *s;
    ECDSA_SIG             *esig;
    unsigned char         *der;
    unsigned char          acc_r, acc_s;
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

    r = BN_bin2bn(sig, (int) half, NULL);
    s = BN_bin2bn(sig + half, (int) half, NULL);
    esig = ECDSA_SIG_new();

    if (r == NULL || s == NULL || esig == NULL
        || !ECDSA_SIG_set0(esig, r, s))
    {
        BN_free(r);
        BN_free(s);
        ECDSA_SIG_free(esig);
        return 0;
    }

    /* esig owns r and s now */

    der = NULL;
    der_len = i2d_ECDSA_SIG(esig, &der);
    ECDSA_SIG_free(esig);

    if (der_len <= 0) {
        return 0;
    }

    ok = ticket_verify_pkey(key->pkey, key->alg, input, len, der,
                            (size_t) der_len);

    OPENSSL_free(der);

    return ok;
}


static int
ticket_verify_pkey(EVP_PKEY *pkey, ticket_alg_t alg,
    const unsigned char *input, size_t len, const unsigned char *sig,
    size_t sig_len)
{
    int                       ok;
    EVP_MD_CTX               *mctx;
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

    mctx = EVP_MD_CTX_new();
    if (mctx == NULL) {
        return 0;
    }

    pctx = NULL;
    ok = 0;

    if (EVP_DigestVerifyInit(mctx, &pctx, md, NULL, pkey) != 1) {
        goto done;
    }

    if (info->family == TICKET_FAMILY_RS) {
        if (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) <= 0) {
            goto done;
        }

    } else if (info->family == TICKET_FAMILY_PS) {

        /* RFC 7518, 3.5: MGF1 with the same hash, salt as long as it */

        if (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) <= 0
            || EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, md) <= 0
            || EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST)
               <= 0)
        {
            goto done;
        }
    }

    ok = EVP_DigestVerify(mctx, sig, sig_len, input, len) == 1;

done:

    EVP_MD_CTX_free(mctx);

    return ok;
}
