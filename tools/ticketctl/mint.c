/*
 * ticketctl mint: sign a ticket and print it.
 */

#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <openssl/rand.h>

#include "ticketctl.h"


enum {
    TICKETCTL_MINT_KEY = 256,
    TICKETCTL_MINT_KID,
    TICKETCTL_MINT_ALG,
    TICKETCTL_MINT_SUB,
    TICKETCTL_MINT_KIND,
    TICKETCTL_MINT_TENANT,
    TICKETCTL_MINT_ROLES,
    TICKETCTL_MINT_AUD,
    TICKETCTL_MINT_ISS,
    TICKETCTL_MINT_SID,
    TICKETCTL_MINT_JTI,
    TICKETCTL_MINT_TTL,
    TICKETCTL_MINT_IAT,
    TICKETCTL_MINT_NBF,
    TICKETCTL_MINT_EXP,
    TICKETCTL_MINT_CLAIM
};


typedef struct {
    const char             *key_file;
    const char             *kid;
    const char             *alg_name;
    const char             *sub;
    const char             *kind;
    const char             *tenant;
    const char             *roles;
    const char             *iss;
    const char             *sid;
    const char             *jti;
    const char             *ttl;
    const char             *iat;
    const char             *nbf;
    const char             *exp;
    char                  **aud;
    size_t                  naud;
    char                  **claim;
    size_t                  nclaim;
} ticketctl_mint_args_t;


static int ticketctl_mint(int argc, char **argv);
static int ticketctl_mint_options(ticketctl_mint_args_t *a, int argc,
    char **argv);
static json_t *ticketctl_mint_claims(ticketctl_mint_args_t *a, int64_t iat,
    int64_t nbf, int64_t exp);
static int ticketctl_mint_set(json_t *claims, const char *name,
    json_t *value);
static json_t *ticketctl_mint_roles(const char *list);
static int ticketctl_mint_times(ticketctl_mint_args_t *a, int64_t *iat,
    int64_t *nbf, int64_t *exp);


const ticketctl_cmd_t  ticketctl_mint_cmd = {
    "mint",
    ticketctl_mint,
    "sign a ticket and print it",
    "ticketctl mint --key FILE --kid KID --sub SUB --kind user|service"
    " [OPTION]...",

    "Prints a signed ticket (a JWT) and a newline.\n"
    "\n"
    "  --key FILE         private key (PEM), or the HMAC secret file\n"
    "  --kid KID          key id, written into the header\n"
    "  --alg ALG          HS256 HS384 HS512 RS256 RS384 RS512 ES256 ES384\n"
    "                     ES512 PS256 PS384 PS512 EdDSA; default from the\n"
    "                     key: RSA RS256, EC by curve, Ed25519 EdDSA, a\n"
    "                     file that is not PEM HS256\n"
    "  --sub SUB          subject: user id or service module name\n"
    "  --kind KIND        user or service\n"
    "  --tenant T         tenant claim (no \"/\")\n"
    "  --roles A,B        roles claim, an array\n"
    "  --aud A            audience; repeat for an array\n"
    "  --iss I            issuer\n"
    "  --sid D            session or device id\n"
    "  --jti J            ticket id (default: 16 random bytes, hex)\n"
    "  --ttl TIME         lifetime (default 15m): 30s, 15m, 1h, 2d, 1h30m\n"
    "  --iat T            issue time (default now)\n"
    "  --nbf T            not before (default: none)\n"
    "  --exp T            expiry (default iat + ttl)\n"
    "  --claim NAME=JSON  any claim, also a standard one; a value that is\n"
    "                     not JSON is taken as a string; repeatable\n"
    "  -h, --help         this help\n"
    "\n"
    "T is unix seconds, RFC 3339 (2025-01-31T12:00:00Z), \"now\", or\n"
    "relative to now: \"-2h\", \"+15m\", \"now-1d\".\n"
    "The HMAC secret is the file's content, trailing newlines stripped,\n"
    "as the gateway reads it.  HS, RS and ES tickets are signed by\n"
    "libjwt, PS and EdDSA by OpenSSL.\n"
};


static const struct option  ticketctl_mint_long[] = {
    { "key",    required_argument, NULL, TICKETCTL_MINT_KEY },
    { "kid",    required_argument, NULL, TICKETCTL_MINT_KID },
    { "alg",    required_argument, NULL, TICKETCTL_MINT_ALG },
    { "sub",    required_argument, NULL, TICKETCTL_MINT_SUB },
    { "kind",   required_argument, NULL, TICKETCTL_MINT_KIND },
    { "tenant", required_argument, NULL, TICKETCTL_MINT_TENANT },
    { "roles",  required_argument, NULL, TICKETCTL_MINT_ROLES },
    { "aud",    required_argument, NULL, TICKETCTL_MINT_AUD },
    { "iss",    required_argument, NULL, TICKETCTL_MINT_ISS },
    { "sid",    required_argument, NULL, TICKETCTL_MINT_SID },
    { "jti",    required_argument, NULL, TICKETCTL_MINT_JTI },
    { "ttl",    required_argument, NULL, TICKETCTL_MINT_TTL },
    { "iat",    required_argument, NULL, TICKETCTL_MINT_IAT },
    { "nbf",    required_argument, NULL, TICKETCTL_MINT_NBF },
    { "exp",    required_argument, NULL, TICKETCTL_MINT_EXP },
    { "claim",  required_argument, NULL, TICKETCTL_MINT_CLAIM },
    { "help",   no_argument,       NULL, 'h' },
    { NULL, 0, NULL, 0 }
};


static int
ticketctl_mint(int argc, char **argv)
{
    int                     rc;
    char                   *token;
    json_t                 *claims;
    size_t                  len, secret_len;
    int64_t                 iat, nbf, exp;
    EVP_PKEY               *pkey;
    ticket_alg_t            alg;
    unsigned char          *buf;
    ticketctl_mint_args_t   a;

    memset(&a, 0, sizeof(a));

    a.aud = calloc(argc, sizeof(char *));
    a.claim = calloc(argc, sizeof(char *));

    buf = NULL;
    len = 0;
    pkey = NULL;
    claims = NULL;
    token = NULL;

    if (a.aud == NULL || a.claim == NULL) {
        ticketctl_error("out of memory");
        rc = TICKETCTL_ERROR;
        goto done;
    }

    rc = ticketctl_mint_options(&a, argc, argv);
    if (rc >= 0) {
        goto done;
    }

    rc = TICKETCTL_ERROR;

    if (ticketctl_mint_times(&a, &iat, &nbf, &exp) != 0) {
        goto done;
    }

    alg = TICKET_ALG_UNKNOWN;

    if (a.alg_name != NULL) {
        alg = ticket_alg_from_name(a.alg_name, strlen(a.alg_name));

        if (alg == TICKET_ALG_UNKNOWN) {
            rc = ticketctl_usage_error("unknown alg \"%s\"", a.alg_name);
            goto done;
        }
    }

    if (ticketctl_read_file(a.key_file, &buf, &len) != 0) {
        goto done;
    }

    if (alg == TICKET_ALG_UNKNOWN && !ticketctl_pem_looks_like(buf, len)) {
        alg = TICKET_ALG_HS256;
    }

    secret_len = 0;

    if (ticketctl_alg_is_hmac(alg)) {
        secret_len = ticketctl_strip_newlines(buf, len);

        if (secret_len == 0) {
            ticketctl_error("\"%s\": empty secret", a.key_file);
            goto done;
        }

    } else {
        pkey = ticketctl_load_private_key(buf, len);

        if (pkey == NULL) {
            ticketctl_error("\"%s\": no PEM private key (or an encrypted "
                            "one)", a.key_file);
            goto done;
        }

        if (alg == TICKET_ALG_UNKNOWN) {
            alg = ticketctl_infer_alg(pkey);

            if (alg == TICKET_ALG_UNKNOWN) {
                ticketctl_error("\"%s\": unsupported key type; use --alg",
                                a.key_file);
                goto done;
            }
        }

        if (!ticketctl_key_fits_alg(pkey, alg)) {
            ticketctl_error("\"%s\": not a key for %s", a.key_file,
                            ticket_alg_name(alg));
            goto done;
        }
    }

    claims = ticketctl_mint_claims(&a, iat, nbf, exp);
    if (claims == NULL) {
        goto done;
    }

    token = ticketctl_sign(alg, a.kid, claims, buf, secret_len, pkey);
    if (token == NULL) {
        goto done;
    }

    if (printf("%s\n", token) < 0 || fflush(stdout) != 0) {
        ticketctl_error("cannot write the ticket");
        goto done;
    }

    rc = TICKETCTL_OK;

done:

    free(token);
    json_decref(claims);
    EVP_PKEY_free(pkey);
    ticketctl_free_secret(buf, len);
    free(a.aud);
    free(a.claim);

    return rc;
}


static int
ticketctl_mint_options(ticketctl_mint_args_t *a, int argc, char **argv)
{
    /* -1: go on, else the exit status */

    int  c;

    opterr = 0;

    while ((c = getopt_long(argc, argv, ":h", ticketctl_mint_long, NULL))
           != -1)
    {
        switch (c) {
        case TICKETCTL_MINT_KEY:
            a->key_file = optarg;
            break;
        case TICKETCTL_MINT_KID:
            a->kid = optarg;
            break;
        case TICKETCTL_MINT_ALG:
            a->alg_name = optarg;
            break;
        case TICKETCTL_MINT_SUB:
            a->sub = optarg;
            break;
        case TICKETCTL_MINT_KIND:
            a->kind = optarg;
            break;
        case TICKETCTL_MINT_TENANT:
            a->tenant = optarg;
            break;
        case TICKETCTL_MINT_ROLES:
            a->roles = optarg;
            break;
        case TICKETCTL_MINT_AUD:
            a->aud[a->naud++] = optarg;
            break;
        case TICKETCTL_MINT_ISS:
            a->iss = optarg;
            break;
        case TICKETCTL_MINT_SID:
            a->sid = optarg;
            break;
        case TICKETCTL_MINT_JTI:
            a->jti = optarg;
            break;
        case TICKETCTL_MINT_TTL:
            a->ttl = optarg;
            break;
        case TICKETCTL_MINT_IAT:
            a->iat = optarg;
            break;
        case TICKETCTL_MINT_NBF:
            a->nbf = optarg;
            break;
        case TICKETCTL_MINT_EXP:
            a->exp = optarg;
            break;
        case TICKETCTL_MINT_CLAIM:
            a->claim[a->nclaim++] = optarg;
            break;
        case 'h':
            return ticketctl_help();
        default:
            return ticketctl_getopt_error(c, argv);
        }
    }

    if (optind < argc) {
        return ticketctl_usage_error("unexpected argument \"%s\"",
                                     argv[optind]);
    }

    if (a->key_file == NULL) {
        return ticketctl_usage_error("missing --key");
    }

    if (a->kid == NULL) {
        return ticketctl_usage_error("missing --kid");
    }

    if (a->sub == NULL) {
        return ticketctl_usage_error("missing --sub");
    }

    if (a->kind == NULL) {
        return ticketctl_usage_error("missing --kind");
    }

    if (strcmp(a->kind, "user") != 0 && strcmp(a->kind, "service") != 0) {
        return ticketctl_usage_error("--kind must be user or service, "
                                     "not \"%s\"", a->kind);
    }

    if (a->kid[0] == '\0' || strlen(a->kid) > TICKET_MAX_KID) {
        return ticketctl_usage_error("--kid must be 1 to %d bytes",
                                     TICKET_MAX_KID);
    }

    if (a->tenant != NULL && strchr(a->tenant, '/') != NULL) {
        return ticketctl_usage_error("--tenant must not contain \"/\"");
    }

    if (a->exp != NULL && a->ttl != NULL) {
        return ticketctl_usage_error("--exp and --ttl exclude each other");
    }

    return -1;
}


static int
ticketctl_mint_times(ticketctl_mint_args_t *a, int64_t *iat, int64_t *nbf,
    int64_t *exp)
{
    int64_t  now, ttl;

    now = (int64_t) time(NULL);
    ttl = 15 * 60;

    if (a->ttl != NULL && ticketctl_parse_duration(a->ttl, &ttl) != 0) {
        return ticketctl_usage_error("invalid --ttl \"%s\"", a->ttl);
    }

    *iat = now;

    if (a->iat != NULL && ticketctl_parse_time(a->iat, now, iat) != 0) {
        return ticketctl_usage_error("invalid --iat \"%s\"", a->iat);
    }

    *nbf = 0;

    if (a->nbf != NULL && ticketctl_parse_time(a->nbf, now, nbf) != 0) {
        return ticketctl_usage_error("invalid --nbf \"%s\"", a->nbf);
    }

    *exp = *iat + ttl;

    if (a->exp != NULL && ticketctl_parse_time(a->exp, now, exp) != 0) {
        return ticketctl_usage_error("invalid --exp \"%s\"", a->exp);
    }

    return 0;
}


static int
ticketctl_mint_set(json_t *claims, const char *name, json_t *value)
{
    if (value == NULL || json_object_set_new(claims, name, value) != 0) {
        ticketctl_error("invalid value for claim \"%s\" (not UTF-8?)", name);
        return -1;
    }

    return 0;
}


static json_t *
ticketctl_mint_roles(const char *list)
{
    json_t      *roles;
    const char  *p, *end;

    roles = json_array();
    if (roles == NULL) {
        return NULL;
    }

    for (p = list; *p != '\0'; p = (*end == ',') ? end + 1 : end) {
        end = strchr(p, ',');

        if (end == NULL) {
            end = p + strlen(p);
        }

        if (end == p) {
            continue;
        }

        if (json_array_append_new(roles, json_stringn(p, end - p)) != 0) {
            json_decref(roles);
            return NULL;
        }
    }

    return roles;
}


static json_t *
ticketctl_mint_claims(ticketctl_mint_args_t *a, int64_t iat, int64_t nbf,
    int64_t exp)
{
    char           *eq, *name, jti[33];
    json_t         *claims, *aud, *value;
    size_t          i;
    json_error_t    err;
    unsigned char   rnd[16];

    claims = json_object();
    if (claims == NULL) {
        ticketctl_error("out of memory");
        return NULL;
    }

    if (a->iss != NULL
        && ticketctl_mint_set(claims, "iss", json_string(a->iss)) != 0)
    {
        goto failed;
    }

    if (ticketctl_mint_set(claims, "sub", json_string(a->sub)) != 0) {
        goto failed;
    }

    if (a->naud == 1) {
        if (ticketctl_mint_set(claims, "aud", json_string(a->aud[0])) != 0) {
            goto failed;
        }

    } else if (a->naud > 1) {
        aud = json_array();

        for (i = 0; aud != NULL && i < a->naud; i++) {
            if (json_array_append_new(aud, json_string(a->aud[i])) != 0) {
                json_decref(aud);
                aud = NULL;
            }
        }

        if (ticketctl_mint_set(claims, "aud", aud) != 0) {
            goto failed;
        }
    }

    if (ticketctl_mint_set(claims, "kind", json_string(a->kind)) != 0) {
        goto failed;
    }

    if (a->tenant != NULL
        && ticketctl_mint_set(claims, "tenant", json_string(a->tenant)) != 0)
    {
        goto failed;
    }

    if (a->sid != NULL
        && ticketctl_mint_set(claims, "sid", json_string(a->sid)) != 0)
    {
        goto failed;
    }

    if (a->roles != NULL
        && ticketctl_mint_set(claims, "roles",
                              ticketctl_mint_roles(a->roles)) != 0)
    {
        goto failed;
    }

    if (a->jti == NULL) {
        if (RAND_bytes(rnd, sizeof(rnd)) != 1) {
            ticketctl_error("no random bytes for the jti");
            goto failed;
        }

        for (i = 0; i < sizeof(rnd); i++) {
            snprintf(jti + 2 * i, 3, "%02x", rnd[i]);
        }
    }

    if (ticketctl_mint_set(claims, "jti",
                           json_string(a->jti ? a->jti : jti)) != 0
        || ticketctl_mint_set(claims, "iat", json_integer(iat)) != 0
        || (a->nbf != NULL
            && ticketctl_mint_set(claims, "nbf", json_integer(nbf)) != 0)
        || ticketctl_mint_set(claims, "exp", json_integer(exp)) != 0)
    {
        goto failed;
    }

    for (i = 0; i < a->nclaim; i++) {
        eq = strchr(a->claim[i], '=');

        if (eq == NULL || eq == a->claim[i]) {
            ticketctl_usage_error("--claim wants NAME=VALUE, not \"%s\"",
                                  a->claim[i]);
            goto failed;
        }

        name = a->claim[i];
        *eq = '\0';

        value = json_loads(eq + 1, JSON_DECODE_ANY, &err);

        if (value == NULL) {
            value = json_string(eq + 1);
        }

        if (ticketctl_mint_set(claims, name, value) != 0) {
            *eq = '=';
            goto failed;
        }

        *eq = '=';
    }

    return claims;

failed:

    json_decref(claims);

    return NULL;
}
