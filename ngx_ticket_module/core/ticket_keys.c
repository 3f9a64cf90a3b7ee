
/*
 * Key sets: a set's lifetime, the lookup by kid, and how imported keys
 * join a set (no kid twice, each with its fingerprint), with the error
 * messages every import shares.
 */


#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "ticket_keys.h"
#include "ticket_verify.h"


static int ticket_key_fingerprint(ticket_key_t *key);


/*
 * Text from a configuration file shown in an error message, which ends up
 * in the error log: shortened, and anything but printable ASCII replaced.
 */

void
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


void
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

void
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


static int
ticket_key_copy(ticket_key_t *dst, const ticket_key_t *src)
{
    memset(dst, 0, sizeof(ticket_key_t));

    dst->kid = malloc(src->kid_len + 1);
    if (dst->kid == NULL) {
        goto failed;
    }

    memcpy(dst->kid, src->kid, src->kid_len);
    dst->kid[src->kid_len] = '\0';
    dst->kid_len = src->kid_len;

    if (src->tenant != NULL) {
        dst->tenant = malloc(src->tenant_len + 1);
        if (dst->tenant == NULL) {
            goto failed;
        }

        memcpy(dst->tenant, src->tenant, src->tenant_len);
        dst->tenant[src->tenant_len] = '\0';
        dst->tenant_len = src->tenant_len;
    }

    if (src->pkey != NULL) {
        if (EVP_PKEY_up_ref(src->pkey) != 1) {
            goto failed;
        }

        dst->pkey = src->pkey;
    }

    if (src->secret != NULL) {
        dst->secret = malloc(src->secret_len ? src->secret_len : 1);
        if (dst->secret == NULL) {
            goto failed;
        }

        memcpy(dst->secret, src->secret, src->secret_len);
        dst->secret_len = src->secret_len;
    }

    dst->alg = src->alg;
    dst->sig_len = src->sig_len;
    memcpy(dst->fp, src->fp, sizeof(dst->fp));

    /* a context of its own: the source's is freed with the source */

    ticket_key_prepare(dst);

    return 0;

failed:

    ticket_key_cleanup(dst);
    return -1;
}


int
ticket_keyset_merge(ticket_keyset_t *dst, const ticket_keyset_t *first,
    const ticket_keyset_t *second)
{
    size_t               i, n;
    const ticket_key_t  *key;

    n = first->nkeys + second->nkeys;

    if (n == 0) {
        return 0;
    }

    if (n < first->nkeys || n > (size_t) -1 / sizeof(ticket_key_t)) {
        return -1;
    }

    dst->keys = malloc(n * sizeof(ticket_key_t));
    if (dst->keys == NULL) {
        return -1;
    }

    dst->nalloc = n;

    for (i = 0; i < n; i++) {
        if (i < first->nkeys) {
            key = &first->keys[i];

        } else {
            key = &second->keys[i - first->nkeys];

            if (ticket_keyset_find_alg(first, key->kid, key->kid_len,
                                       key->alg)
                != NULL)
            {
                continue;
            }
        }

        if (ticket_key_copy(&dst->keys[dst->nkeys], key) != 0) {
            ticket_keyset_free(dst);
            return -1;
        }

        dst->nkeys++;
    }

    return 0;
}


void
ticket_key_cleanup(ticket_key_t *key)
{
    ticket_key_unprepare(key);
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


const ticket_key_t *
ticket_keyset_find_alg(const ticket_keyset_t *ks, const char *kid,
    size_t kid_len, ticket_alg_t alg)
{
    size_t  i;

    if (ks == NULL || kid == NULL || kid_len > TICKET_MAX_KID) {
        return NULL;
    }

    for (i = 0; i < ks->nkeys; i++) {
        if (ks->keys[i].alg == alg && ks->keys[i].kid_len == kid_len
            && memcmp(ks->keys[i].kid, kid, kid_len) == 0)
        {
            return &ks->keys[i];
        }
    }

    return NULL;
}


const ticket_key_t *
ticket_keyset_find_fp(const ticket_keyset_t *ks, const unsigned char *fp)
{
    size_t  i;

    for (i = 0; i < ks->nkeys; i++) {
        if (memcmp(ks->keys[i].fp, fp, sizeof(ks->keys[i].fp)) == 0) {
            return &ks->keys[i];
        }
    }

    return NULL;
}


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


/*
 * All or nothing: the new keys join the set only when none of their
 * kids is taken, so a failed load leaves the set as it was.  On success
 * the set owns the keys' contents; on failure the caller still does.
 */

int
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

        /* one kid may name keys of several algs: (kid, alg) is unique */

        if (ticket_keyset_find_alg(ks, keys[i].kid, keys[i].kid_len,
                                   keys[i].alg)
            != NULL)
        {
            goto duplicate;
        }

        for (j = 0; j < i; j++) {
            if (keys[j].alg == keys[i].alg
                && keys[j].kid_len == keys[i].kid_len
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

    /* the verify contexts, once here rather than for every ticket */

    for (i = 0; i < n; i++) {
        ticket_key_prepare(&keys[i]);
    }

    memcpy(&ks->keys[ks->nkeys], keys, n * sizeof(ticket_key_t));
    ks->nkeys += n;

    return 0;

duplicate:

    ticket_shown(shown, keys[i].kid, keys[i].kid_len);
    ticket_error(ke->buf, ke->len, "duplicate kid \"%s\" for alg %s", shown,
                 ticket_alg_name(keys[i].alg));

    return -1;
}
