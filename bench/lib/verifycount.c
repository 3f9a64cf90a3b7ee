/*
 * bench/lib/verifycount: OpenSSL's own verify of one ticket, N times, for
 * callgrind to count (bench/callgrind.pl runs it with
 * --toggle-collect=verify_loop): the instruction form of `openssl speed`.
 *
 *   verifycount ALG KEYFILE TICKETFILE N
 *
 * As openssl speed does: the key and the context are set up once; each
 * round hashes the signing input (the gateway must) and verifies, through
 * EVP_DigestVerify (HMAC for HS: EVP_Q_mac of the input with the secret).
 * Exit 0 when every verify succeeded.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ecdsa.h>
#include <openssl/bn.h>

static int
b64url_dec(const char *in, size_t len, unsigned char *out)
{
    static int  tab[256];
    size_t      i;
    int         o = 0, bits = 0;
    unsigned    acc = 0;

    for (i = 0; i < 256; i++) tab[i] = -1;
    for (i = 0; i < 64; i++) {
        tab[(unsigned char) "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"[i]] = (int) i;
    }
    for (i = 0; i < len; i++) {
        if (tab[(unsigned char) in[i]] < 0) return -1;
        acc = (acc << 6) | (unsigned) tab[(unsigned char) in[i]];
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (unsigned char) (acc >> bits);
        }
    }
    return o;
}

static const char     *alg;
static EVP_PKEY       *pkey;
static const EVP_MD   *md;
static unsigned char   secret[4096], sig[1024];
static size_t          secretlen, siglen;
static const char     *input;
static size_t          inlen;

__attribute__((noinline)) static long
verify_loop(long n)
{
    long  i, ok = 0;

    for (i = 0; i < n; i++) {
        if (alg[0] == 'H') {
            unsigned char mac[64];
            size_t maclen = 0;
            char mdname[16];
            snprintf(mdname, sizeof(mdname), "SHA%s", alg + 2);
            if (EVP_Q_mac(NULL, "HMAC", NULL, mdname, NULL, secret,
                          secretlen, (const unsigned char *) input, inlen,
                          mac, sizeof(mac), &maclen) != NULL
                && maclen == siglen && memcmp(mac, sig, siglen) == 0)
            {
                ok++;
            }
        } else {
            EVP_MD_CTX *ctx = EVP_MD_CTX_new();
            if (EVP_DigestVerifyInit(ctx, NULL, md, NULL, pkey) == 1
                && EVP_DigestVerify(ctx, sig, siglen,
                                    (const unsigned char *) input, inlen)
                   == 1)
            {
                ok++;
            }
            EVP_MD_CTX_free(ctx);
        }
    }
    return ok;
}

int
main(int argc, char **argv)
{
    FILE           *f;
    static char     tk[20000];
    char           *dot;
    int             l, eclen = 0;
    long            n;

    if (argc != 5) {
        fprintf(stderr, "usage: verifycount ALG KEYFILE TICKETFILE N\n");
        return 2;
    }
    alg = argv[1];
    n = atol(argv[4]);
    if (strcmp(alg, "EdDSA") != 0) {
        int bits = atoi(alg + 2);
        md = bits == 256 ? EVP_sha256() : bits == 384 ? EVP_sha384()
                                                      : EVP_sha512();
        eclen = bits == 256 ? 32 : bits == 384 ? 48 : 66;
    }

    f = fopen(argv[2], "rb");
    if (f == NULL) return 2;
    if (alg[0] == 'H') {
        secretlen = fread(secret, 1, sizeof(secret), f);
        while (secretlen && secret[secretlen - 1] == '\n') secretlen--;
    } else {
        pkey = PEM_read_PUBKEY(f, NULL, NULL, NULL);
        if (pkey == NULL) return 2;
    }
    fclose(f);

    f = fopen(argv[3], "rb");
    if (f == NULL || fgets(tk, sizeof(tk), f) == NULL) return 2;
    fclose(f);
    tk[strcspn(tk, "\r\n")] = '\0';
    dot = strrchr(tk, '.');
    if (dot == NULL) return 2;
    *dot = '\0';
    input = tk;
    inlen = strlen(tk);
    l = b64url_dec(dot + 1, strlen(dot + 1), sig);
    if (l < 0) return 2;
    siglen = (size_t) l;

    if (alg[0] == 'E' && alg[1] == 'S') {
        /* raw R||S to DER, as the gateway must */
        ECDSA_SIG *es = ECDSA_SIG_new();
        unsigned char *der = NULL;
        ECDSA_SIG_set0(es, BN_bin2bn(sig, eclen, NULL),
                       BN_bin2bn(sig + eclen, eclen, NULL));
        l = i2d_ECDSA_SIG(es, &der);
        memcpy(sig, der, (size_t) l);
        siglen = (size_t) l;
        OPENSSL_free(der);
        ECDSA_SIG_free(es);
    }

    verify_loop(1);                     /* OpenSSL's lazy set-ups */
    return verify_loop(n) == n ? 0 : 1;
}
