/*
 * bench/lib/mintpool: mint many distinct tickets fast, for the benchmarks.
 *
 *   mintpool ALG KEYFILE KID COUNT IAT EXP [BADSIG_PCT [NOROLE_PCT [PROCS]]]
 *
 * Writes COUNT tickets, one a line, to stdout: the same header and claims
 * as `ticketctl mint --kid KID --sub ... --kind user --roles reader --aud
 * orders` writes (members in the same order, a 32-hex-digit jti), each
 * with its own sub and jti.  ticketctl forks a process a ticket; this
 * signs in one process with OpenSSL (PROCS of them, default 2), so that a
 * pool of 50,000 takes seconds, not minutes.
 *
 * Ticket i (0-based) is, by i % 100:
 *   < BADSIG_PCT                a bad signature of the right length whose
 *                               values are in range (random r and s below
 *                               the curve order, an RSA value below the
 *                               modulus, an Ed25519 S below L), so the
 *                               gateway does the whole verification
 *   < BADSIG_PCT + NOROLE_PCT   validly signed, roles ["guest"] (403 where
 *                               a role is required)
 *   else                        validly signed, roles ["reader"]
 *
 * ALG: HS256 HS384 HS512 RS256 RS384 RS512 ES256 ES384 ES512 EdDSA.
 * KEYFILE: the private key PEM, or for HS the secret file (its bytes,
 * trailing newlines stripped, as the gateway reads it).
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/hmac.h>
#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <openssl/bn.h>
#include <openssl/rand.h>
#include <openssl/err.h>

static void
die(const char *msg)
{
    fprintf(stderr, "mintpool: %s\n", msg);
    ERR_print_errors_fp(stderr);
    exit(2);
}

static size_t
b64url(const unsigned char *in, size_t len, char *out)
{
    static const char  tab[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    size_t  i, o = 0;

    for (i = 0; i + 2 < len; i += 3) {
        out[o++] = tab[in[i] >> 2];
        out[o++] = tab[((in[i] & 3) << 4) | (in[i + 1] >> 4)];
        out[o++] = tab[((in[i + 1] & 15) << 2) | (in[i + 2] >> 6)];
        out[o++] = tab[in[i + 2] & 63];
    }
    if (len - i == 1) {
        out[o++] = tab[in[i] >> 2];
        out[o++] = tab[(in[i] & 3) << 4];
    } else if (len - i == 2) {
        out[o++] = tab[in[i] >> 2];
        out[o++] = tab[((in[i] & 3) << 4) | (in[i + 1] >> 4)];
        out[o++] = tab[(in[i + 1] & 15) << 2];
    }
    out[o] = '\0';
    return o;
}

int
main(int argc, char **argv)
{
    const char     *alg, *keyfile, *kid;
    long            count, i, badpct = 0, norolepct = 0, procs = 2, p;
    long long       iat, exp;
    const EVP_MD   *md = NULL;
    EVP_PKEY       *pkey = NULL;
    int             hs = 0, ec = 0, ed = 0, rsa = 0, eclen = 0;
    unsigned char   secret[4096];
    size_t          secretlen = 0;
    char            header[256], hb64[512], claims[512], cb64[1024];
    char            input[2048], sb64[1024], tmpl[64];
    unsigned char   sig[1024], raw[256];
    size_t          siglen, inlen, hlen;
    FILE           *f;
    char          **parts;

    if (argc < 7) {
        fprintf(stderr, "usage: mintpool ALG KEYFILE KID COUNT IAT EXP "
                        "[BADSIG_PCT [NOROLE_PCT [PROCS]]]\n");
        return 2;
    }
    alg = argv[1];
    keyfile = argv[2];
    kid = argv[3];
    count = atol(argv[4]);
    iat = atoll(argv[5]);
    exp = atoll(argv[6]);
    if (argc > 7) badpct = atol(argv[7]);
    if (argc > 8) norolepct = atol(argv[8]);
    if (argc > 9) procs = atol(argv[9]);
    if (procs < 1) procs = 1;

    if (strncmp(alg, "HS", 2) == 0 || strncmp(alg, "RS", 2) == 0
        || strncmp(alg, "ES", 2) == 0)
    {
        int bits = atoi(alg + 2);
        md = bits == 256 ? EVP_sha256() : bits == 384 ? EVP_sha384()
           : bits == 512 ? EVP_sha512() : NULL;
        if (md == NULL) die("unknown alg");
        hs = alg[0] == 'H';
        rsa = alg[0] == 'R';
        ec = alg[0] == 'E';
        eclen = bits == 256 ? 32 : bits == 384 ? 48 : 66;
    } else if (strcmp(alg, "EdDSA") == 0) {
        ed = 1;
    } else {
        die("unknown alg");
    }

    f = fopen(keyfile, "rb");
    if (f == NULL) die("cannot open the key file");
    if (hs) {
        secretlen = fread(secret, 1, sizeof(secret), f);
        while (secretlen && (secret[secretlen - 1] == '\n'
                             || secret[secretlen - 1] == '\r'))
        {
            secretlen--;
        }
    } else {
        pkey = PEM_read_PrivateKey(f, NULL, NULL, NULL);
        if (pkey == NULL) die("cannot read the private key");
    }
    fclose(f);

    hlen = (size_t) snprintf(header, sizeof(header),
                             "{\"alg\":\"%s\",\"kid\":\"%s\",\"typ\":\"JWT\"}",
                             alg, kid);
    b64url((unsigned char *) header, hlen, hb64);

    /* PROCS children each sign every PROCS-th ticket into a temp file */
    parts = calloc((size_t) procs, sizeof(char *));
    for (p = 0; p < procs; p++) {
        snprintf(tmpl, sizeof(tmpl), "/tmp/mintpool-XXXXXX");
        int fd = mkstemp(tmpl);
        if (fd < 0) die("mkstemp");
        close(fd);
        parts[p] = strdup(tmpl);
    }

    for (p = 0; p < procs; p++) {
        pid_t pid = fork();
        if (pid < 0) die("fork");
        if (pid > 0) continue;

        FILE *out = fopen(parts[p], "w");
        if (out == NULL) die("open part");
        unsigned int seed[4];
        if (RAND_bytes((unsigned char *) seed, sizeof(seed)) != 1)
            die("RAND_bytes");

        for (i = p; i < count; i += procs) {
            unsigned char jti[16];
            char jtihex[33];
            int k, kind = (int) (i % 100);
            int bad = kind < badpct;
            int norole = !bad && kind < badpct + norolepct;
            size_t clen;

            if (RAND_bytes(jti, sizeof(jti)) != 1) die("RAND_bytes");
            for (k = 0; k < 16; k++) sprintf(jtihex + 2 * k, "%02x", jti[k]);
            clen = (size_t) snprintf(claims, sizeof(claims),
                "{\"aud\":\"orders\",\"exp\":%lld,\"iat\":%lld,\"jti\":\"%s\","
                "\"kind\":\"user\",\"roles\":[\"%s\"],\"sub\":\"user%06ld\"}",
                exp, iat, jtihex, norole ? "guest" : "reader", i);
            b64url((unsigned char *) claims, clen, cb64);
            inlen = (size_t) snprintf(input, sizeof(input), "%s.%s",
                                      hb64, cb64);

            if (hs) {
                unsigned int l = 0;
                if (HMAC(md, secret, (int) secretlen, (unsigned char *) input,
                         inlen, sig, &l) == NULL)
                {
                    die("HMAC");
                }
                siglen = l;
                if (bad) RAND_bytes(sig, (int) siglen);

            } else if (bad && ec) {
                /* r and s random, below the order (top byte < 0x7f) */
                siglen = (size_t) (2 * eclen);
                RAND_bytes(sig, (int) siglen);
                sig[0] &= 0x7f; sig[0] |= 0x10;
                sig[eclen] &= 0x7f; sig[eclen] |= 0x10;
                if (eclen == 66) { sig[0] = 0; sig[eclen] = 0;
                                   sig[1] |= 1; sig[eclen + 1] |= 1; }

            } else if (bad && ed) {
                /* R random, S below L (top byte < 0x10) */
                siglen = 64;
                RAND_bytes(sig, 64);
                sig[63] &= 0x0f;

            } else if (bad && rsa) {
                /* a value below the modulus (top byte small, nonzero) */
                siglen = (size_t) EVP_PKEY_get_size(pkey);
                RAND_bytes(sig, (int) siglen);
                sig[0] = 0x01;

            } else {
                EVP_MD_CTX *ctx = EVP_MD_CTX_new();
                siglen = sizeof(sig);
                if (EVP_DigestSignInit(ctx, NULL, ed ? NULL : md, NULL, pkey)
                        != 1
                    || EVP_DigestSign(ctx, sig, &siglen,
                                      (unsigned char *) input, inlen) != 1)
                {
                    die("sign");
                }
                EVP_MD_CTX_free(ctx);

                if (ec) {
                    /* DER to raw R||S */
                    const unsigned char *q = sig;
                    ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &q, (long) siglen);
                    if (es == NULL) die("d2i_ECDSA_SIG");
                    const BIGNUM *r, *s;
                    ECDSA_SIG_get0(es, &r, &s);
                    if (BN_bn2binpad(r, raw, eclen) != eclen
                        || BN_bn2binpad(s, raw + eclen, eclen) != eclen)
                    {
                        die("BN_bn2binpad");
                    }
                    ECDSA_SIG_free(es);
                    siglen = (size_t) (2 * eclen);
                    memcpy(sig, raw, siglen);
                }
            }

            b64url(sig, siglen, sb64);
            fprintf(out, "%s.%s\n", input, sb64);
        }
        if (fclose(out) != 0) die("write");
        _exit(0);
    }

    for (p = 0; p < procs; p++) {
        int st;
        if (wait(&st) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
            die("a child failed");
    }

    /* interleave the parts back into index order */
    {
        FILE **in = calloc((size_t) procs, sizeof(FILE *));
        char line[4096];
        for (p = 0; p < procs; p++) {
            in[p] = fopen(parts[p], "r");
            if (in[p] == NULL) die("reopen part");
        }
        for (i = 0; i < count; i++) {
            if (fgets(line, sizeof(line), in[i % procs]) == NULL)
                die("short part");
            fputs(line, stdout);
        }
        for (p = 0; p < procs; p++) {
            fclose(in[p]);
            unlink(parts[p]);
        }
    }
    if (fflush(stdout) != 0) die("write");
    return 0;
}
