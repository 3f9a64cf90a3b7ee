/*
 * bench/lib/verifycount: OpenSSL's own verify of one ticket, N times, for
 * callgrind to count (bench/callgrind.pl runs it with
 * --toggle-collect=verify_loop): the instruction form of `openssl speed`.
 *
 *   verifycount ALG KEYFILE TICKETFILE N
 *
 * Verifies the first N tickets of TICKETFILE (one a line, cycled when it
 * holds fewer), in order: a pool's, so that the difference between two
 * runs covers exactly the tickets a case sent (an Ed25519 or ECDSA verify
 * takes more or fewer instructions by the signature).  As openssl speed does: the key and the context are set up once; each
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

#define MAX_TICKETS  4096

typedef struct {
    char           *input;
    size_t          inlen;
    unsigned char   sig[1024];
    size_t          siglen;
} ticket_t;

static const char     *alg;
static EVP_PKEY       *pkey;
static const EVP_MD   *md;
static unsigned char   secret[4096];
static size_t          secretlen;
static ticket_t        tickets[MAX_TICKETS];
static long            ntickets;

__attribute__((noinline)) static long
verify_loop(long n)
{
    long  i, ok = 0;

    for (i = 0; i < n; i++) {
        ticket_t *t = &tickets[i % ntickets];

        if (alg[0] == 'H') {
            unsigned char mac[64];
            size_t maclen = 0;
            char mdname[16];
            snprintf(mdname, sizeof(mdname), "SHA%s", alg + 2);
            if (EVP_Q_mac(NULL, "HMAC", NULL, mdname, NULL, secret,
                          secretlen, (const unsigned char *) t->input,
                          t->inlen, mac, sizeof(mac), &maclen) != NULL
                && maclen == t->siglen && memcmp(mac, t->sig, t->siglen) == 0)
            {
                ok++;
            }
        } else {
            EVP_MD_CTX *ctx = EVP_MD_CTX_new();
            if (EVP_DigestVerifyInit(ctx, NULL, md, NULL, pkey) == 1
                && EVP_DigestVerify(ctx, t->sig, t->siglen,
                                    (const unsigned char *) t->input,
                                    t->inlen)
                   == 1)
            {
                ok++;
            }
            EVP_MD_CTX_free(ctx);
        }
    }
    return ok;
}

/* one ticket line into *t: the signing input and the signature (DER for
 * ECDSA, as the gateway must make it) */
static int
load_ticket(char *tk, ticket_t *t, int eclen)
{
    char  *dot;
    int    l;

    tk[strcspn(tk, "\r\n")] = '\0';
    dot = strrchr(tk, '.');
    if (dot == NULL) return -1;
    *dot = '\0';
    t->inlen = strlen(tk);
    t->input = strdup(tk);
    if (strlen(dot + 1) > sizeof(t->sig)) return -1;
    l = b64url_dec(dot + 1, strlen(dot + 1), t->sig);
    if (l < 0 || t->input == NULL) return -1;
    t->siglen = (size_t) l;

    if (alg[0] == 'E' && alg[1] == 'S') {
        /* raw R||S to DER, as the gateway must */
        ECDSA_SIG *es = ECDSA_SIG_new();
        unsigned char *der = NULL;
        ECDSA_SIG_set0(es, BN_bin2bn(t->sig, eclen, NULL),
                       BN_bin2bn(t->sig + eclen, eclen, NULL));
        l = i2d_ECDSA_SIG(es, &der);
        memcpy(t->sig, der, (size_t) l);
        t->siglen = (size_t) l;
        OPENSSL_free(der);
        ECDSA_SIG_free(es);
    }
    return 0;
}

int
main(int argc, char **argv)
{
    FILE           *f;
    static char     tk[20000];
    int             eclen = 0;
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

    /* the first N tickets of the file (all of them, cycled, when it holds
     * fewer): the ones a case of bench/callgrind sends, in its order */
    f = fopen(argv[3], "rb");
    if (f == NULL) return 2;
    while (ntickets < n && ntickets < MAX_TICKETS
           && fgets(tk, sizeof(tk), f) != NULL)
    {
        if (load_ticket(tk, &tickets[ntickets], eclen) != 0) return 2;
        ntickets++;
    }
    fclose(f);
    if (ntickets == 0) return 2;

    /* OpenSSL's lazy set-ups, outside the count */
    {
        long keep = ntickets;
        ntickets = 1;
        verify_loop(1);
        ntickets = keep;
    }
    return verify_loop(n) == n ? 0 : 1;
}
