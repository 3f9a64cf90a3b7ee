
/*
 * fuzz_jwks: the input as a JWKS document through
 * ticket_keyset_add_jwks_opts(), as ticket_keys reads a file: with and
 * without alg= and tenant=, so that skipping (RFC 7517 section 5) and
 * alg inference run on every input.  A load is all or nothing: on
 * failure the set is as it was and the error is one printable line;
 * every skipped key is one printable warning; on success every key is
 * whole, findable by its (kid, alg), bound to the tenant= given, and the
 * same document a second time is refused as a duplicate.
 */


#include "fuzz.h"


static ticket_keyset_t  fuzz_ks0;      /* holds kid "k0": a clash to find */
static size_t           fuzz_warned;
static size_t           fuzz_errlen;   /* a short one cuts warnings too */


static void
fuzz_warn(void *data, const char *msg)
{
    FUZZ_CHECK(data == &fuzz_warned);
    FUZZ_CHECK(msg != NULL && fuzz_one_line(msg, strlen(msg) + 1));
    FUZZ_CHECK(fuzz_errlen < TICKET_ERRLEN
               || strstr(msg, "skipped: ") != NULL);
    fuzz_warned++;
}


static const char  fuzz_k0[] =
    "{\"keys\":[{\"kty\":\"oct\",\"kid\":\"k0\",\"alg\":\"HS256\","
    "\"k\":\"MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY\"}]}";


int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    char  err[TICKET_ERRLEN];

    ticket_keyset_init(&fuzz_ks0);

    if (ticket_keyset_add_jwks(&fuzz_ks0, (const unsigned char *) fuzz_k0,
                               sizeof(fuzz_k0) - 1, err, sizeof(err))
        != 0)
    {
        fprintf(stderr, "fuzz_jwks: %s\n", err);
        abort();
    }

    return 0;
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int                  rc, rc2;
    char                *err;
    size_t               i, errlen;
    unsigned char       *buf, sig[2048];
    ticket_keyset_t      ks;
    const ticket_key_t  *key;
    ticket_jwks_opts_t   opts;

    buf = malloc(size ? size : 1);
    if (buf == NULL) {
        return 0;
    }

    memcpy(buf, data, size);

    /* a short error buffer now and then: truncated, never overrun */

    errlen = (size % 5 == 0) ? 16 : TICKET_ERRLEN;
    err = malloc(errlen);
    if (err == NULL) {
        free(buf);
        return 0;
    }

    /* what ticket_keys FILE [alg=ALG] [tenant=T] passes, by the size */

    memset(&opts, 0, sizeof(ticket_jwks_opts_t));
    opts.rsa_alg = (size % 3 == 1) ? TICKET_ALG_PS256
                   : (size % 3 == 2) ? TICKET_ALG_RS512 : TICKET_ALG_UNKNOWN;
    opts.tenant = (size % 7 == 3) ? "t1" : NULL;
    opts.warn = fuzz_warn;
    opts.data = &fuzz_warned;

    fuzz_warned = 0;
    fuzz_errlen = errlen;

    ticket_keyset_init(&ks);

    rc = ticket_keyset_add_jwks_opts(&ks, buf, size, &opts, err, errlen);

    FUZZ_CHECK(rc == 0 || rc == -1);

    if (rc != 0) {
        FUZZ_CHECK(ks.nkeys == 0 && ks.keys == NULL);
        FUZZ_CHECK(fuzz_one_line(err, errlen));
        goto done;
    }

    FUZZ_CHECK(ks.nkeys > 0 && ks.nkeys <= ks.nalloc);

    for (i = 0; i < ks.nkeys; i++) {
        key = &ks.keys[i];

        FUZZ_CHECK(key->kid != NULL && key->kid_len > 0
                   && key->kid_len <= TICKET_MAX_KID
                   && strlen(key->kid) == key->kid_len);
        FUZZ_CHECK(key->alg > TICKET_ALG_UNKNOWN
                   && key->alg < TICKET_ALG_MAX);
        FUZZ_CHECK(ticket_keyset_find_alg(&ks, key->kid, key->kid_len,
                                          key->alg)
                   == key);
        FUZZ_CHECK(ticket_keyset_find(&ks, key->kid, key->kid_len) != NULL);

        if (opts.tenant != NULL) {
            FUZZ_CHECK(key->tenant != NULL
                       && strcmp(key->tenant, opts.tenant) == 0);
        }
        FUZZ_CHECK(key->tenant == NULL
                   || (key->tenant_len > 0
                       && strlen(key->tenant) == key->tenant_len
                       && memchr(key->tenant, '/', key->tenant_len)
                          == NULL));
        FUZZ_CHECK(key->sig_len > 0 && key->sig_len <= sizeof(sig));

        if (key->alg <= TICKET_ALG_HS512) {
            FUZZ_CHECK(key->secret != NULL && key->pkey == NULL);
            FUZZ_CHECK(key->secret_len >= 32);

        } else {
            FUZZ_CHECK(key->pkey != NULL && key->secret == NULL);
        }

        /* no signature of ours verifies under a key we did not make */

        memset(sig, 0x41, key->sig_len);
        FUZZ_CHECK(ticket_key_verify(key, buf, size, sig, key->sig_len)
                   == 0);
        FUZZ_CHECK(ticket_key_verify(key, buf, size, sig, key->sig_len - 1)
                   == 0);
    }

    /* again into the same set: every kid is taken now */

    rc2 = ticket_keyset_add_jwks_opts(&ks, buf, size, &opts, err, errlen);
    FUZZ_CHECK(rc2 == -1);
    FUZZ_CHECK(fuzz_one_line(err, errlen));

    /* and into a set that holds "k0": all or nothing */

    rc2 = ticket_keyset_add_jwks_opts(&fuzz_ks0, buf, size, &opts, err,
                                      errlen);

    if (rc2 == 0) {
        FUZZ_CHECK(fuzz_ks0.nkeys == 1 + ks.nkeys);
        FUZZ_CHECK(ticket_keyset_find_alg(&ks, "k0", 2, TICKET_ALG_HS256)
                   == NULL);

        /* back to "k0" alone */

        ticket_keyset_free(&fuzz_ks0);
        LLVMFuzzerInitialize(NULL, NULL);

    } else {
        FUZZ_CHECK(fuzz_ks0.nkeys == 1);
        FUZZ_CHECK(ticket_keyset_find_alg(&ks, "k0", 2, TICKET_ALG_HS256)
                   != NULL);
    }

done:

    ticket_keyset_free(&ks);
    FUZZ_CHECK(ks.nkeys == 0 && ks.keys == NULL);

    free(err);
    free(buf);

    return 0;
}
