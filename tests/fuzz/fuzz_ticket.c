
/*
 * fuzz_ticket: a ticket as the gateway meets it, through
 * ticket_validate() against one key of each family, then
 * ticket_authorize() and ticket_excess_privilege() when it verifies.
 * On the side, the token's first bytes as an ECDSA R || S of each curve's
 * size: ticket_ecdsa_der() writes what i2d_ECDSA_SIG() would, byte for
 * byte, or refuses R or S zero.
 *
 * Input: 5 bytes, then the token.
 *
 *   byte 0       bits 0-1: how now is made from the next 4 bytes D
 *                (0: 1700000000 + D signed, 1: D unsigned, 2:
 *                TICKET_MAX_TIME - D, 3: INT64_MAX or INT64_MIN by D's
 *                low bit); bit 2: the open policy instead of the strict
 *  bytes 1-4     D, little-endian
 *
 * The keys are test keys made by `ticketctl keygen`; the seeds in
 * corpora/fuzz_ticket were minted with their private halves (not kept)
 * by `ticketctl mint ... --iat 1700000000`, prefixed with
 * "\x00\x3c\x00\x00\x00" (now = iat + 60).
 */


#include "fuzz.h"

#include <ticket_audit.h>

#include <openssl/bn.h>
#include <openssl/ecdsa.h>


#define FUZZ_NOW  1700000000LL


/* HS256 (the secret is the text keygen wrote), ES384 bound to tenant
 * "acme", EdDSA */

static const char  fuzz_jwks[] =
    "{\"keys\":["
    "{\"kty\":\"oct\",\"kid\":\"hs256\",\"alg\":\"HS256\",\"use\":\"sig\","
    "\"k\":\"NnEydURKVjRHTm5JZWJZek9qQlI0aThVaWVnZUZBbkJHaUliZ2tlSEdndGFqR"
    "lFDTDdwNjc2ZmM3RUVDYzQ0S2NEb05nSEJmN3gyTGlrV3ZnczAwNVE\"},"
    "{\"kty\":\"EC\",\"kid\":\"es384\",\"alg\":\"ES384\",\"use\":\"sig\","
    "\"crv\":\"P-384\","
    "\"x\":\"a5H9LrA7tX4IfYa8GRWDRCAcVL9NBLtTOUv6UbUEbSXJqIDhsmNqt_pHYJJyJuk-\","
    "\"y\":\"LE1DSW0zzbDEbYXfXcLtcN-GUEzfxwngmVitpHyzJ-CFA2QjKHyUqoeUXKVbMPmK\","
    "\"tenant\":\"acme\"},"
    "{\"kty\":\"OKP\",\"kid\":\"eddsa\",\"alg\":\"EdDSA\",\"use\":\"sig\","
    "\"crv\":\"Ed25519\",\"x\":\"dt0Dp_BktUFUPqOoE0lZtoxyeCpkiaaGkriOezAurd4\"}"
    "]}";

static const char  fuzz_rs256_pem[] =
    "-----BEGIN PUBLIC KEY-----\n"
    "MIIBojANBgkqhkiG9w0BAQEFAAOCAY8AMIIBigKCAYEA3XfWHpAbZHEpQTm3TOJX\n"
    "CgItx8eD7qO1V0DX30vc01DshWW/MCcF15o0naRHqPQCzxN/6cYafNJBI2vuUSBs\n"
    "+OFPpfAkcDjo6bAL7f+l4rbN2apF0xcuIA37Eh2rzGaGdokcr33L6lcY/8zs6NMV\n"
    "Po3Z7GUcRu+tsMwzlbS5Ow6XvjgCfbxtleQ3rT9AnpFK6oc+atWHFG/hnEvzjagZ\n"
    "Fp2paY7a2K75YGhlYYCQV1JAn8WZ94x20XI20o7AJMQmhYsrD7fCae/9k1ESsY0o\n"
    "URdnSNcVUsb48/xXSwrcifplhnezqkQVLpM70Ei/dwrIc8quNXsa7bwS3ilbhMFd\n"
    "BChwj4w2aXh2dt+6HQ2Sq9kor634kHtpox3xzRluF8fIFkLW9/1SvXqHuRlbRVR2\n"
    "8iocJcUqNU9+oWqYFxjKp+sTj2Ia/c9ZAGOyEtXjW1EJMe3eniGaMH6t4rtmOjoz\n"
    "sAMVWgLfiKzv6qfVqpCM2WOS8ykKrl9x51MNu/Zq3ZdfAgMBAAE=\n"
    "-----END PUBLIC KEY-----\n";

static const char  fuzz_es256_pem[] =
    "-----BEGIN PUBLIC KEY-----\n"
    "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEw4PgKTuJd5JhuVbFqidtaqI/njGn\n"
    "4d3nbFLOqd7vfB2XK45W55/BY0paBNyRPNc8lHmIjsxghESe3ivw1HWpLA==\n"
    "-----END PUBLIC KEY-----\n";

static const char  fuzz_ps256_pem[] =
    "-----BEGIN PUBLIC KEY-----\n"
    "MIIBojANBgkqhkiG9w0BAQEFAAOCAY8AMIIBigKCAYEAtBmvEFGzs7eOAc0wtQAv\n"
    "cvzfI7EeGFwprebbnfNv5L42zTVwjE8rb1AOLQM3hgziN0tnCa4dbGgh8oPyPOKa\n"
    "3HaZ+OIlSFup+sS3rehPDHJQ7biFYA/XLQqS59GBNIFG6ux07/n0Q1r2+iqHMCtj\n"
    "DzlBlGpFtwEBDTUHdkNIsI3FFgMOyl4HjpIYUW6Qow/EGuKkZZ3K1DSy89sqZoEm\n"
    "wNrR+LARy3V7wWm69iqyJSuglvx8MbNQ+doP4R/5WjMasT1WGYMAkxS20aVRE44M\n"
    "ZDUEvoV2I10WNMQG23iZFnBcdqPovWlYnCGR4VcuKb+5Mepl4C2YqGC6XWqaQZCh\n"
    "fnVoEfsXreT6/vUuBPWzaWBUBfzUOFi5TrcBk0QOJaxNNXpB9I+yQEdWZgkliv8P\n"
    "BRKk6LM0Z4rbbLPDU9IQcAuA33fuBPt/R/5EhkmHd27l76DCFeS/MD0CRp9/ADbY\n"
    "wMxhI9IS4VChNA3OvgZWuuqS+U0vVd5EgCh2A+Jh1FULAgMBAAE=\n"
    "-----END PUBLIC KEY-----\n";


#define S(lit)  { sizeof(lit) - 1, lit }

static ticket_str_t  fuzz_issuers[] = { S("https://id.example") };
static ticket_str_t  fuzz_audiences[] = { S("api"), S("web") };
static ticket_str_t  fuzz_line1[] = { S("reader"), S("editor") };
static ticket_str_t  fuzz_line2[] = { S("admin"), S("editor") };
static ticket_str_t  fuzz_dept[] = { S("eng"), S("ops") };
static ticket_str_t  fuzz_level[] = { S("3"), S("true") };
static ticket_str_t  fuzz_privileged[] = { S("admin"), S("root") };

static ticket_strlist_t  fuzz_role_reqs[] = {
    { fuzz_line1, 2 },
    { fuzz_line2, 2 }
};

static ticket_claim_req_t  fuzz_claim_reqs[] = {
    { S("dept"), { fuzz_dept, 2 } },
    { S("org.level"), { fuzz_level, 2 } }
};

static ticket_policy_t  fuzz_policies[2];
static ticket_keyset_t  fuzz_ks;
static int              fuzz_verbose;   /* FUZZ_VERBOSE=1: reasons */


int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    char              err[TICKET_ERRLEN];
    ticket_policy_t  *p;

    fuzz_verbose = getenv("FUZZ_VERBOSE") != NULL;

    ticket_keyset_init(&fuzz_ks);

    if (ticket_keyset_add_jwks(&fuzz_ks, (const unsigned char *) fuzz_jwks,
                               sizeof(fuzz_jwks) - 1, err, sizeof(err))
        != 0
        || ticket_keyset_add_pem(&fuzz_ks, "rs256", TICKET_ALG_RS256, NULL,
                                 (const unsigned char *) fuzz_rs256_pem,
                                 sizeof(fuzz_rs256_pem) - 1, err,
                                 sizeof(err))
           != 0
        || ticket_keyset_add_pem(&fuzz_ks, "es256", TICKET_ALG_ES256, NULL,
                                 (const unsigned char *) fuzz_es256_pem,
                                 sizeof(fuzz_es256_pem) - 1, err,
                                 sizeof(err))
           != 0
        || ticket_keyset_add_pem(&fuzz_ks, "ps256", TICKET_ALG_PS256, NULL,
                                 (const unsigned char *) fuzz_ps256_pem,
                                 sizeof(fuzz_ps256_pem) - 1, err,
                                 sizeof(err))
           != 0)
    {
        fprintf(stderr, "fuzz_ticket: keys: %s\n", err);
        abort();
    }

    FUZZ_CHECK(fuzz_ks.nkeys == 6);

    /* strict: users only, issuer, audience, two role lines, two claims */

    p = &fuzz_policies[0];
    memset(p, 0, sizeof(ticket_policy_t));
    p->kinds = TICKET_KIND_USER;
    p->leeway = 30;
    p->max_lifetime = 3600;
    p->issuers.values = fuzz_issuers;
    p->issuers.n = 1;
    p->audiences.values = fuzz_audiences;
    p->audiences.n = 2;
    p->role_reqs = fuzz_role_reqs;
    p->nrole_reqs = 1;
    p->claim_reqs = fuzz_claim_reqs;
    p->nclaim_reqs = 2;
    p->privileged_roles.values = fuzz_privileged;
    p->privileged_roles.n = 2;

    /* open: any kind, nested roles, nothing required but admin watched */

    p = &fuzz_policies[1];
    memset(p, 0, sizeof(ticket_policy_t));
    p->kinds = TICKET_KIND_ANY;
    p->leeway = 0;
    p->max_lifetime = 86400;
    p->roles_path.data = "realm_access.roles";
    p->roles_path.len = sizeof("realm_access.roles") - 1;
    p->role_reqs = &fuzz_role_reqs[1];
    p->nrole_reqs = 1;
    p->privileged_roles.values = fuzz_privileged;
    p->privileged_roles.n = 2;

    return 0;
}


static void
fuzz_check_ecdsa_der(const uint8_t *sig, size_t size)
{
    int                    ref_len;
    size_t                 i, h, half, len;
    BIGNUM                *r, *s;
    ECDSA_SIG             *esig;
    unsigned char         *ref, der[TICKET_ECDSA_DER_MAX];

    static const size_t    halves[] = { 32, 48, 66 };

    for (h = 0; h < sizeof(halves) / sizeof(halves[0]); h++) {
        half = halves[h];

        if (size < 2 * half) {
            return;
        }

        len = ticket_ecdsa_der(der, sizeof(der), sig, half);

        for (i = 0; i < half && sig[i] == 0; i++) {
            /* void */
        }

        if (i == half) {
            FUZZ_CHECK(len == 0);
            continue;
        }

        for (i = 0; i < half && sig[half + i] == 0; i++) {
            /* void */
        }

        if (i == half) {
            FUZZ_CHECK(len == 0);
            continue;
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
            return;
        }

        ref = NULL;
        ref_len = i2d_ECDSA_SIG(esig, &ref);

        FUZZ_CHECK(ref_len > 0 && len == (size_t) ref_len
                   && memcmp(der, ref, len) == 0);

        OPENSSL_free(ref);
        ECDSA_SIG_free(esig);
    }
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int                     excess;
    char                   *token;
    size_t                  len;
    int64_t                 now;
    uint32_t                d;
    ticket_t                t;
    ticket_reason_t         rc, arc;
    ticket_audit_event_t    ev;
    const ticket_policy_t  *p;

    if (size < 5) {
        return 0;
    }

    fuzz_check_ecdsa_der(data + 5, size - 5);

    d = (uint32_t) data[1] | (uint32_t) data[2] << 8
        | (uint32_t) data[3] << 16 | (uint32_t) data[4] << 24;

    switch (data[0] & 3) {
    case 0:
        now = FUZZ_NOW + (int32_t) d;
        break;
    case 1:
        now = (int64_t) d;
        break;
    case 2:
        now = TICKET_MAX_TIME - (int64_t) d;
        break;
    default:
        now = (d & 1) ? INT64_MAX : INT64_MIN;
    }

    p = &fuzz_policies[(data[0] >> 2) & 1];

    /* the token on its own heap block: a read past it is caught */

    len = size - 5;
    token = malloc(len ? len : 1);
    if (token == NULL) {
        return 0;
    }

    memcpy(token, data + 5, len);

    /* parsing keeps t's allocator: t starts zeroed (its own heap) */

    ticket_init(&t);

    rc = ticket_validate(&t, token, len, &fuzz_ks, p, now);
    arc = TICKET_REASON_MAX;
    excess = 0;

    switch (rc) {

    case TICKET_OK:
        fuzz_check_parsed(&t, token, len, &p->roles_path);

        FUZZ_CHECK(t.verified);
        FUZZ_CHECK(t.key != NULL && t.key->alg == t.alg);
        FUZZ_CHECK(t.alg != TICKET_ALG_UNKNOWN);
        FUZZ_CHECK(t.sig_len == t.key->sig_len);
        FUZZ_CHECK(t.kid.data != NULL || fuzz_ks.nkeys == 1);

        /* the same answer asked again, piece by piece */

        FUZZ_CHECK(ticket_key_verify(t.key,
                                     (const unsigned char *) t.signing_input,
                                     t.signing_input_len, t.sig, t.sig_len)
                   == 1);
        FUZZ_CHECK(ticket_check_time(&t, p, now) == TICKET_OK);
        FUZZ_CHECK(ticket_check_binding(&t, p) == TICKET_OK);

        /* never a security event token (ticket_typing.h) */

        FUZZ_CHECK(ticket_check_typing(&t) == TICKET_OK);
        FUZZ_CHECK(ticket_jv_get(t.claims, "events") == NULL);

        FUZZ_CHECK(now < t.exp + p->leeway);
        FUZZ_CHECK(!t.has_nbf || t.nbf - p->leeway <= now);
        FUZZ_CHECK(t.iat - p->leeway <= now);
        FUZZ_CHECK(t.iat <= t.exp && t.exp - t.iat <= p->max_lifetime);

        FUZZ_CHECK(t.key->tenant == NULL
                   || (t.tenant.data != NULL
                       && t.tenant.len == t.key->tenant_len
                       && memcmp(t.tenant.data, t.key->tenant,
                                 t.tenant.len) == 0));

        fuzz_check_snapshot(&t, token, len, p, data, 5);

        arc = ticket_authorize(&t, p);

        FUZZ_CHECK(arc == TICKET_OK || arc == TICKET_WRONG_KIND
                   || arc == TICKET_WRONG_AUDIENCE
                   || arc == TICKET_INSUFFICIENT_ROLE
                   || arc == TICKET_CLAIM_MISMATCH);
        FUZZ_CHECK((arc == TICKET_OK) == (ticket_reason_status(arc) == 0));

        excess = ticket_excess_privilege(&t, p);
        FUZZ_CHECK(excess == 0 || excess == 1);

        /* a privileged role held is excess unless a role line names it */

        if (excess) {
            FUZZ_CHECK(ticket_has_role(&t, "admin", 5)
                       || ticket_has_role(&t, "root", 4));
        }

        ev = ticket_audit_event(arc, arc == TICKET_OK && excess);

        FUZZ_CHECK(arc != TICKET_OK || ev == TICKET_AUDIT_ALLOWED
                   || ev == TICKET_AUDIT_EXCESS_PRIVILEGE);
        FUZZ_CHECK(arc == TICKET_OK || ev == TICKET_AUDIT_OVER_PRIVILEGE);
        break;

    case TICKET_MALFORMED:
    case TICKET_UNTRUSTED_KEY_HEADER:
    case TICKET_UNKNOWN_KEY:
    case TICKET_ALG_MISMATCH:
    case TICKET_BAD_SIGNATURE:
    case TICKET_EXPIRED:
    case TICKET_NOT_YET_VALID:
    case TICKET_ISSUED_IN_FUTURE:
    case TICKET_LIFETIME_EXCEEDED:
    case TICKET_TENANT_MISMATCH:
    case TICKET_WRONG_ISSUER:
        FUZZ_CHECK(!t.verified || rc == TICKET_TENANT_MISMATCH
                   || rc == TICKET_WRONG_ISSUER);
        FUZZ_CHECK(ticket_reason_status(rc) == 401);
        FUZZ_CHECK(ticket_audit_event(rc, 0) == TICKET_AUDIT_DENIED);
        break;

    default:
        /* ticket_validate() answers nothing else */
        FUZZ_CHECK(0);
    }

    if (fuzz_verbose) {
        fprintf(stderr, "fuzz_ticket: %s, %s%s\n", ticket_reason_name(rc),
                ticket_reason_name(arc), excess ? ", excess" : "");
    }

    ticket_free(&t);
    free(token);

    return 0;
}
