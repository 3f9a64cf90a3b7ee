/*
 * ticketctl: signing tickets.
 *
 * HS, RS and ES go through libjwt, an implementation independent of
 * the core that verifies them: a ticket minted here that the gateway
 * accepts shows both agree with the RFCs, not only with each other.
 * libjwt 1.10 has neither PS nor EdDSA; those are signed with OpenSSL.
 *
 * Both paths write the same JSON: compact, members sorted (libjwt's
 * habit), so the header is {"alg":..,"kid":..,"typ":"JWT"}.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <jwt.h>
#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include "ticketctl.h"


#define TICKETCTL_JSON_FLAGS  (JSON_COMPACT | JSON_SORT_KEYS)


static char *ticketctl_sign_libjwt(ticket_alg_t alg, const char *kid,
    json_t *claims, const unsigned char *key, size_t key_len,
    EVP_PKEY *pkey);
static char *ticketctl_sign_evp(ticket_alg_t alg, const char *kid,
    json_t *claims, EVP_PKEY *pkey);
static int ticketctl_check_ecdsa(const char *token, ticket_alg_t alg);
static char *ticketctl_pkcs8(EVP_PKEY *pkey, size_t *len);


char *
ticketctl_sign(ticket_alg_t alg, const char *kid, json_t *claims,
    const unsigned char *key, size_t key_len, EVP_PKEY *pkey)
{
    switch (alg) {

    case TICKET_ALG_HS256:
    case TICKET_ALG_HS384:
    case TICKET_ALG_HS512:
    case TICKET_ALG_RS256:
    case TICKET_ALG_RS384:
    case TICKET_ALG_RS512:
    case TICKET_ALG_ES256:
    case TICKET_ALG_ES384:
    case TICKET_ALG_ES512:
        return ticketctl_sign_libjwt(alg, kid, claims, key, key_len, pkey);

    case TICKET_ALG_PS256:
    case TICKET_ALG_PS384:
    case TICKET_ALG_PS512:
    case TICKET_ALG_EDDSA:
        return ticketctl_sign_evp(alg, kid, claims, pkey);

    default:
        ticketctl_error("cannot sign with alg %s", ticket_alg_name(alg));
        return NULL;
    }
}


static char *
ticketctl_pkcs8(EVP_PKEY *pkey, size_t *len)
{
    /*
     * libjwt takes the private key as PEM: give it a fresh unencrypted
     * PKCS#8 from the key already loaded, so that libjwt never meets
     * what it might handle differently (several PEM blocks, a password).
     */

    BIO      *bio;
    char     *data, *pem;
    long      n;

    bio = BIO_new(BIO_s_secmem());
    if (bio == NULL) {
        return NULL;
    }

    pem = NULL;

    if (PEM_write_bio_PrivateKey(bio, pkey, NULL, NULL, 0, NULL, NULL)) {
        n = BIO_get_mem_data(bio, &data);

        if (n > 0) {
            pem = malloc(n + 1);

            if (pem != NULL) {
                memcpy(pem, data, n);
                pem[n] = '\0';
                *len = n;
            }
        }
    }

    BIO_free(bio);

    return pem;
}


static char *
ticketctl_sign_libjwt(ticket_alg_t alg, const char *kid, json_t *claims,
    const unsigned char *key, size_t key_len, EVP_PKEY *pkey)
{
    int             rc;
    char           *text, *pem, *token;
    jwt_t          *jwt;
    size_t          pem_len;
    jwt_alg_t       jalg;

    jalg = jwt_str_alg(ticket_alg_name(alg));

    if (jalg == JWT_ALG_INVAL || jalg == JWT_ALG_NONE) {
        ticketctl_error("libjwt does not know alg %s", ticket_alg_name(alg));
        return NULL;
    }

    pem = NULL;
    pem_len = 0;

    if (!ticketctl_alg_is_hmac(alg)) {
        pem = ticketctl_pkcs8(pkey, &pem_len);

        if (pem == NULL) {
            ticketctl_error("cannot export the private key for libjwt");
            return NULL;
        }

        key = (const unsigned char *) pem;
        key_len = pem_len;
    }

    token = NULL;
    jwt = NULL;

    text = json_dumps(claims, TICKETCTL_JSON_FLAGS);
    if (text == NULL) {
        ticketctl_error("cannot encode the claims");
        goto done;
    }

    rc = jwt_new(&jwt);

    if (rc == 0) {
        rc = jwt_add_header(jwt, "kid", kid);
    }

    if (rc == 0) {
        rc = jwt_add_grants_json(jwt, text);
    }

    if (rc == 0) {
        rc = jwt_set_alg(jwt, jalg, key, (int) key_len);
    }

    if (rc != 0) {
        ticketctl_error("libjwt: %s", strerror(rc));
        goto done;
    }

    errno = 0;

    token = jwt_encode_str(jwt);

    if (token == NULL) {
        ticketctl_error("libjwt: cannot sign: %s",
                        errno ? strerror(errno) : "failed");
        goto done;
    }

    if (ticketctl_check_ecdsa(token, alg) != 0) {
        free(token);
        token = NULL;
    }

done:

    if (jwt != NULL) {
        jwt_free(jwt);
    }

    free(text);
    ticketctl_free_secret(pem, pem_len);

    return token;
}


static int
ticketctl_check_ecdsa(const char *token, ticket_alg_t alg)
{
    /*
     * JWS wants ECDSA signatures as raw R || S, each padded to the
     * curve size (RFC 7518, 3.4), not OpenSSL's DER.  libjwt 1.10.2
     * converts; make sure of it rather than mint tickets the gateway
     * would refuse as bad_signature.
     */

    long            n;
    size_t          want, len;
    const char     *sig;
    unsigned char   buf[256];

    switch (alg) {
    case TICKET_ALG_ES256:
        want = 64;
        break;
    case TICKET_ALG_ES384:
        want = 96;
        break;
    case TICKET_ALG_ES512:
        want = 132;
        break;
    default:
        return 0;
    }

    sig = strrchr(token, '.');
    if (sig == NULL) {
        ticketctl_error("libjwt produced no signature");
        return -1;
    }

    sig++;
    len = strlen(sig);

    n = -1;

    if (ticket_b64url_encoded_len(want) == len) {
        n = ticket_b64url_decode(buf, sig, len);
    }

    if (n != (long) want) {
        ticketctl_error("libjwt produced a %s signature that is not "
                        "%zu bytes of R||S", ticket_alg_name(alg), want);
        return -1;
    }

    return 0;
}


static char *
ticketctl_sign_evp(ticket_alg_t alg, const char *kid, json_t *claims,
    EVP_PKEY *pkey)
{
    char           *head, *body, *h64, *c64, *s64, *token;
    json_t         *header;
    size_t          hlen, clen, slen, len;
    EVP_MD_CTX     *ctx;
    EVP_PKEY_CTX   *pctx;
    const EVP_MD   *md;
    unsigned char  *sig;

    switch (alg) {
    case TICKET_ALG_PS256:
        md = EVP_sha256();
        break;
    case TICKET_ALG_PS384:
        md = EVP_sha384();
        break;
    case TICKET_ALG_PS512:
        md = EVP_sha512();
        break;
    default:
        /* Ed25519 hashes by itself */
        md = NULL;
        break;
    }

    head = NULL;
    body = NULL;
    h64 = NULL;
    c64 = NULL;
    s64 = NULL;
    sig = NULL;
    token = NULL;
    ctx = NULL;

    header = json_pack("{s:s, s:s, s:s}", "alg", ticket_alg_name(alg),
                       "kid", kid, "typ", "JWT");
    if (header == NULL) {
        ticketctl_error("cannot encode the header");
        return NULL;
    }

    head = json_dumps(header, TICKETCTL_JSON_FLAGS);
    body = json_dumps(claims, TICKETCTL_JSON_FLAGS);

    if (head == NULL || body == NULL) {
        ticketctl_error("cannot encode the ticket");
        goto done;
    }

    h64 = ticketctl_b64url((unsigned char *) head, strlen(head));
    c64 = ticketctl_b64url((unsigned char *) body, strlen(body));

    if (h64 == NULL || c64 == NULL) {
        goto done;
    }

    hlen = strlen(h64);
    clen = strlen(c64);

    token = malloc(hlen + 1 + clen + 1 + 1024);
    if (token == NULL) {
        ticketctl_error("out of memory");
        goto done;
    }

    memcpy(token, h64, hlen);
    token[hlen] = '.';
    memcpy(token + hlen + 1, c64, clen);
    len = hlen + 1 + clen;

    ctx = EVP_MD_CTX_new();

    if (ctx == NULL
        || EVP_DigestSignInit(ctx, &pctx, md, NULL, pkey) != 1)
    {
        goto failed;
    }

    if (md != NULL) {
        /* RFC 7518, 3.5: MGF1 with the same hash, salt as long as it */

        if (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1
            || EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST)
               != 1
            || EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, md) != 1)
        {
            goto failed;
        }
    }

    if (EVP_DigestSign(ctx, NULL, &slen, (unsigned char *) token, len) != 1) {
        goto failed;
    }

    sig = malloc(slen);
    if (sig == NULL) {
        goto failed;
    }

    if (EVP_DigestSign(ctx, sig, &slen, (unsigned char *) token, len) != 1) {
        goto failed;
    }

    s64 = ticketctl_b64url(sig, slen);
    if (s64 == NULL || strlen(s64) > 1023) {
        goto failed;
    }

    token[len] = '.';
    strcpy(token + len + 1, s64);

    goto done;

failed:

    ticketctl_error("cannot sign with %s: OpenSSL error", ticket_alg_name(alg));
    free(token);
    token = NULL;

done:

    EVP_MD_CTX_free(ctx);
    json_decref(header);
    free(head);
    free(body);
    free(h64);
    free(c64);
    free(s64);
    free(sig);

    return token;
}
