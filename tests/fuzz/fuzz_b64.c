
/*
 * fuzz_b64: ticket_b64url_decode() is strict, so every string it
 * accepts is the one encoding of its bytes: re-encoded, it is the input
 * again.  And every encoding decodes back to its bytes.
 */


#include "fuzz.h"


int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    return 0;
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    long            n;
    char           *src, *enc;
    size_t          max, elen, i;
    unsigned char  *dec;
    static const char  alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

    /* the input as text, on a block of its own size */

    src = malloc(size ? size : 1);
    if (src == NULL) {
        return 0;
    }

    memcpy(src, data, size);

    /* exactly what a canonical decode can write: a read or write past
     * this block is a bug */

    max = size / 4 * 3 + (size % 4 ? size % 4 - 1 : 0);
    dec = malloc(max ? max : 1);
    if (dec == NULL) {
        free(src);
        return 0;
    }

    n = ticket_b64url_decode(dec, src, size);

    FUZZ_CHECK(n >= -1);

    if (n >= 0) {
        FUZZ_CHECK((size_t) n == max);
        FUZZ_CHECK(size % 4 != 1);

        for (i = 0; i < size; i++) {
            FUZZ_CHECK(memchr(alphabet, src[i], sizeof(alphabet) - 1)
                       != NULL && src[i] != '\0');
        }

        elen = ticket_b64url_encoded_len((size_t) n);
        FUZZ_CHECK(elen == size);

        enc = malloc(elen ? elen : 1);
        FUZZ_CHECK(enc != NULL);
        FUZZ_CHECK(ticket_b64url_encode(enc, dec, (size_t) n) == elen);
        FUZZ_CHECK(elen == 0 || memcmp(enc, src, elen) == 0);
        free(enc);
    }

    free(dec);

    /* the other way: any bytes encode, and decode back */

    elen = ticket_b64url_encoded_len(size);
    FUZZ_CHECK(elen % 4 != 1);

    enc = malloc(elen ? elen : 1);
    dec = malloc(size ? size : 1);
    FUZZ_CHECK(enc != NULL && dec != NULL);

    FUZZ_CHECK(ticket_b64url_encode(enc, data, size) == elen);

    for (i = 0; i < elen; i++) {
        FUZZ_CHECK(memchr(alphabet, enc[i], sizeof(alphabet) - 1) != NULL);
    }

    FUZZ_CHECK(ticket_b64url_decode(dec, enc, elen) == (long) size);
    FUZZ_CHECK(size == 0 || memcmp(dec, data, size) == 0);

    free(enc);
    free(dec);
    free(src);

    return 0;
}
