
/*
 * fuzz_pem: the input as a key file's content through
 * ticket_keyset_add_pem(), as ticket_key reads one: a PEM public key for
 * RS/PS/ES/EdDSA, the secret itself for HS.
 *
 *   byte 0   bits 0-3: the alg (0, 14 and 15 are no alg); bit 4: a
 *            tenant; bit 5: tenant "a/b" (refused) instead of "acme";
 *            bit 6: a kid of 257 bytes (refused) instead of "k"
 *   rest     the file
 */


#include "fuzz.h"

#include <openssl/evp.h>


static char  fuzz_long_kid[TICKET_MAX_KID + 2];


int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    memset(fuzz_long_kid, 'k', TICKET_MAX_KID + 1);
    fuzz_long_kid[TICKET_MAX_KID + 1] = '\0';

    return 0;
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int                  rc, id;
    char                 err[TICKET_ERRLEN];
    size_t               len;
    unsigned char       *buf;
    const char          *kid, *tenant;
    ticket_alg_t         alg;
    ticket_keyset_t      ks;
    const ticket_key_t  *key;

    if (size < 1) {
        return 0;
    }

    alg = (ticket_alg_t) (data[0] & 0x0f);
    tenant = (data[0] & 0x10) ? ((data[0] & 0x20) ? "a/b" : "acme") : NULL;
    kid = (data[0] & 0x40) ? fuzz_long_kid : "k";

    len = size - 1;
    buf = malloc(len ? len : 1);
    if (buf == NULL) {
        return 0;
    }

    memcpy(buf, data + 1, len);

    ticket_keyset_init(&ks);

    rc = ticket_keyset_add_pem(&ks, kid, alg, tenant, buf, len, err,
                               sizeof(err));

    FUZZ_CHECK(rc == 0 || rc == -1);

    if (rc != 0) {
        FUZZ_CHECK(ks.nkeys == 0);
        FUZZ_CHECK(fuzz_one_line(err, sizeof(err)));
        goto done;
    }

    FUZZ_CHECK(alg > TICKET_ALG_UNKNOWN && alg < TICKET_ALG_MAX);
    FUZZ_CHECK(kid[0] == 'k' && kid[1] == '\0');
    FUZZ_CHECK(tenant == NULL || strcmp(tenant, "acme") == 0);
    FUZZ_CHECK(ks.nkeys == 1);

    key = ticket_keyset_find(&ks, "k", 1);
    FUZZ_CHECK(key == &ks.keys[0]);
    FUZZ_CHECK(key->alg == alg && key->sig_len > 0);
    FUZZ_CHECK((key->tenant == NULL) == (tenant == NULL));

    if (alg <= TICKET_ALG_HS512) {
        FUZZ_CHECK(key->secret != NULL && key->pkey == NULL);
        FUZZ_CHECK(key->secret_len >= 32 && key->secret_len <= len);
        FUZZ_CHECK(memcmp(key->secret, buf, key->secret_len) == 0);
        FUZZ_CHECK(key->secret[key->secret_len - 1] != '\n'
                   && key->secret[key->secret_len - 1] != '\r');

    } else {
        FUZZ_CHECK(key->pkey != NULL && key->secret == NULL);

        id = EVP_PKEY_get_base_id(key->pkey);

        if (alg <= TICKET_ALG_RS512
            || (alg >= TICKET_ALG_PS256 && alg <= TICKET_ALG_PS512))
        {
            FUZZ_CHECK(id == EVP_PKEY_RSA);
            FUZZ_CHECK(key->sig_len >= 256 && key->sig_len <= 2048);

        } else if (alg <= TICKET_ALG_ES512) {
            FUZZ_CHECK(id == EVP_PKEY_EC);

        } else {
            FUZZ_CHECK(id == EVP_PKEY_ED25519 && key->sig_len == 64);
        }
    }

    /* the same kid again is a duplicate */

    rc = ticket_keyset_add_pem(&ks, kid, alg, tenant, buf, len, err,
                               sizeof(err));
    FUZZ_CHECK(rc == -1 && ks.nkeys == 1);
    FUZZ_CHECK(fuzz_one_line(err, sizeof(err)));

done:

    ticket_keyset_free(&ks);
    free(buf);

    return 0;
}
