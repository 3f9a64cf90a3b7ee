/*
 * ticketctl keygen: a key pair (or an HMAC secret) and its JWKS.
 *
 *   DIR/KID.key   private key, PKCS#8 PEM, or the HMAC secret, 0600
 *   DIR/KID.pub   public key, SubjectPublicKeyInfo PEM, 0644
 *   DIR/KID.jwks  {"keys":[JWK]}, 0644 (0600 for HS: it is the secret)
 */

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#include "ticketctl.h"


#define TICKETCTL_HS_RANDOM   64     /* bytes; 86 characters of base64url */
#define TICKETCTL_RSA_BITS    3072


enum {
    TICKETCTL_KEYGEN_ALG = 256,
    TICKETCTL_KEYGEN_KID,
    TICKETCTL_KEYGEN_TENANT,
    TICKETCTL_KEYGEN_OUT
};


typedef struct {
    char                   *path;
    int                     mode;
    const char             *what;
    unsigned char          *data;
    size_t                  len;
    unsigned                written:1;
} ticketctl_out_t;


static int ticketctl_keygen(int argc, char **argv);
static int ticketctl_keygen_valid_name(const char *s);
static int ticketctl_keygen_mkdir(const char *dir);
static void ticketctl_keygen_check_dir(const char *dir);
static EVP_PKEY *ticketctl_keygen_pkey(ticket_alg_t alg);
static int ticketctl_keygen_pem(EVP_PKEY *pkey, int private,
    ticketctl_out_t *out);
static char *ticketctl_keygen_path(const char *dir, const char *kid,
    const char *ext);


const ticketctl_cmd_t  ticketctl_keygen_cmd = {
    "keygen",
    ticketctl_keygen,
    "make a signing key and its JWKS",
    "ticketctl keygen --alg ALG --kid KID [--tenant T] --out DIR",

    "Writes a new key into DIR (made 0700 if missing), never replacing\n"
    "a file:\n"
    "\n"
    "  DIR/KID.key   private key, PKCS#8 PEM, mode 0600; for HS the\n"
    "                secret: 64 random bytes as base64url text\n"
    "  DIR/KID.pub   public key, PEM (not for HS), mode 0644\n"
    "  DIR/KID.jwks  JWKS with the public key for ticket_keys, mode 0644;\n"
    "                for HS it holds the secret, mode 0600\n"
    "\n"
    "  --alg ALG      HS256 HS384 HS512 (secret), RS256 RS384 RS512 PS256\n"
    "                 PS384 PS512 (RSA 3072), ES256 ES384 ES512 (P-256,\n"
    "                 P-384, P-521), EdDSA (Ed25519)\n"
    "  --kid KID      key id, also the file name\n"
    "  --tenant T     bind the key to a tenant (\"tenant\" in the JWK)\n"
    "  --out DIR      output directory\n"
    "  -h, --help     this help\n"
};


static const struct option  ticketctl_keygen_long[] = {
    { "alg",    required_argument, NULL, TICKETCTL_KEYGEN_ALG },
    { "kid",    required_argument, NULL, TICKETCTL_KEYGEN_KID },
    { "tenant", required_argument, NULL, TICKETCTL_KEYGEN_TENANT },
    { "out",    required_argument, NULL, TICKETCTL_KEYGEN_OUT },
    { "help",   no_argument,       NULL, 'h' },
    { NULL, 0, NULL, 0 }
};


static int
ticketctl_keygen(int argc, char **argv)
{
    int              c, rc, hmac;
    char            *text;
    json_t          *jwk, *jwks;
    size_t           i, n;
    EVP_PKEY        *pkey;
    const char      *alg_name, *kid, *tenant, *dir;
    ticket_alg_t     alg;
    struct stat      st;
    unsigned char    rnd[TICKETCTL_HS_RANDOM];
    ticketctl_out_t  out[3];

    alg_name = NULL;
    kid = NULL;
    tenant = NULL;
    dir = NULL;

    opterr = 0;

    while ((c = getopt_long(argc, argv, ":h", ticketctl_keygen_long, NULL))
           != -1)
    {
        switch (c) {
        case TICKETCTL_KEYGEN_ALG:
            alg_name = optarg;
            break;
        case TICKETCTL_KEYGEN_KID:
            kid = optarg;
            break;
        case TICKETCTL_KEYGEN_TENANT:
            tenant = optarg;
            break;
        case TICKETCTL_KEYGEN_OUT:
            dir = optarg;
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

    if (alg_name == NULL) {
        return ticketctl_usage_error("missing --alg");
    }

    if (kid == NULL) {
        return ticketctl_usage_error("missing --kid");
    }

    if (dir == NULL) {
        return ticketctl_usage_error("missing --out");
    }

    alg = ticket_alg_from_name(alg_name, strlen(alg_name));

    if (alg == TICKET_ALG_UNKNOWN) {
        return ticketctl_usage_error("unknown alg \"%s\"", alg_name);
    }

    /* the kid names files: keep it to a plain file name */

    if (!ticketctl_keygen_valid_name(kid) || kid[0] == '.'
        || kid[0] == '-' || strlen(kid) > TICKET_MAX_KID)
    {
        return ticketctl_usage_error("--kid must be 1 to %d characters of "
                                     "A-Z a-z 0-9 . _ - : @ +, not starting "
                                     "with \".\" or \"-\"", TICKET_MAX_KID);
    }

    if (tenant != NULL && (tenant[0] == '\0' || strchr(tenant, '/') != NULL))
    {
        return ticketctl_usage_error("--tenant must be non-empty, "
                                     "without \"/\"");
    }

    hmac = ticketctl_alg_is_hmac(alg);

    memset(out, 0, sizeof(out));
    pkey = NULL;
    jwk = NULL;
    jwks = NULL;
    text = NULL;
    rc = TICKETCTL_ERROR;

    out[0].path = ticketctl_keygen_path(dir, kid, ".key");
    out[0].mode = 0600;
    out[0].what = hmac ? "HMAC secret" : "private key, PKCS#8 PEM";

    out[1].path = hmac ? NULL : ticketctl_keygen_path(dir, kid, ".pub");
    out[1].mode = 0644;
    out[1].what = "public key, PEM";

    out[2].path = ticketctl_keygen_path(dir, kid, ".jwks");
    out[2].mode = hmac ? 0600 : 0644;
    out[2].what = hmac ? "JWKS, holds the secret" : "JWKS, public";

    if (out[0].path == NULL || out[2].path == NULL
        || (!hmac && out[1].path == NULL))
    {
        ticketctl_error("out of memory");
        goto done;
    }

    /* refuse before making anything: a half-replaced key set is worse */

    for (i = 0; i < 3; i++) {
        if (out[i].path != NULL && lstat(out[i].path, &st) == 0) {
            ticketctl_error("\"%s\" exists; not replacing it", out[i].path);
            goto done;
        }
    }

    if (hmac) {
        if (RAND_priv_bytes(rnd, sizeof(rnd)) != 1) {
            ticketctl_error("no random bytes");
            goto done;
        }

        /* text, so that the same bytes work in every config format */

        out[0].data = (unsigned char *) ticketctl_b64url(rnd, sizeof(rnd));
        OPENSSL_cleanse(rnd, sizeof(rnd));

        if (out[0].data == NULL) {
            goto done;
        }

        n = strlen((char *) out[0].data);
        out[0].data[n] = '\n';
        out[0].len = n + 1;

        jwk = ticketctl_jwk(NULL, out[0].data, n, alg, kid, tenant);

    } else {
        pkey = ticketctl_keygen_pkey(alg);

        if (pkey == NULL) {
            ticketctl_error("cannot generate a %s key", alg_name);
            goto done;
        }

        if (ticketctl_keygen_pem(pkey, 1, &out[0]) != 0
            || ticketctl_keygen_pem(pkey, 0, &out[1]) != 0)
        {
            ticketctl_error("cannot encode the key");
            goto done;
        }

        jwk = ticketctl_jwk(pkey, NULL, 0, alg, kid, tenant);
    }

    if (jwk == NULL) {
        ticketctl_error("cannot make the JWK");
        goto done;
    }

    jwks = json_pack("{s:[O]}", "keys", jwk);
    if (jwks == NULL) {
        ticketctl_error("out of memory");
        goto done;
    }

    text = json_dumps(jwks, JSON_INDENT(2));
    if (text == NULL) {
        ticketctl_error("cannot encode the JWKS");
        goto done;
    }

    n = strlen(text);
    out[2].data = malloc(n + 1);
    if (out[2].data == NULL) {
        ticketctl_error("out of memory");
        goto done;
    }

    memcpy(out[2].data, text, n);
    out[2].data[n] = '\n';
    out[2].len = n + 1;

    if (ticketctl_keygen_mkdir(dir) != 0) {
        goto done;
    }

    ticketctl_keygen_check_dir(dir);

    for (i = 0; i < 3; i++) {
        if (out[i].path == NULL) {
            continue;
        }

        if (ticketctl_write_file(out[i].path, out[i].mode, out[i].data,
                                 out[i].len) != 0)
        {
            goto done;
        }

        out[i].written = 1;
    }

    for (i = 0; i < 3; i++) {
        if (out[i].path != NULL) {
            printf("wrote %s (%s, mode %04o)\n", out[i].path, out[i].what,
                   out[i].mode);
        }
    }

    printf("kid \"%s\", alg %s%s%s\n", kid, ticket_alg_name(alg),
           tenant ? ", tenant " : "", tenant ? tenant : "");

    rc = TICKETCTL_OK;

done:

    for (i = 0; i < 3; i++) {
        if (rc != TICKETCTL_OK && out[i].written) {
            unlink(out[i].path);
        }

        ticketctl_free_secret(out[i].data, out[i].len);
        free(out[i].path);
    }

    if (text != NULL) {
        ticketctl_free_secret(text, strlen(text));
    }

    /* the JWK of an HS key holds the secret: main.c wipes jansson's frees */

    json_decref(jwk);
    json_decref(jwks);
    EVP_PKEY_free(pkey);

    return rc;
}


static int
ticketctl_keygen_valid_name(const char *s)
{
    if (*s == '\0') {
        return 0;
    }

    for ( /* void */ ; *s != '\0'; s++) {
        if ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z')
            || (*s >= '0' && *s <= '9') || strchr("._-:@+", *s) != NULL)
        {
            continue;
        }

        return 0;
    }

    return 1;
}


static char *
ticketctl_keygen_path(const char *dir, const char *kid, const char *ext)
{
    char    *p;
    size_t   n;

    n = strlen(dir) + 1 + strlen(kid) + strlen(ext) + 1;

    p = malloc(n);
    if (p == NULL) {
        return NULL;
    }

    snprintf(p, n, "%s/%s%s", dir, kid, ext);

    return p;
}


static int
ticketctl_keygen_mkdir(const char *dir)
{
    /* like "mkdir -p -m 0700": what is made here is for the owner only */

    int     rc;
    char   *path, *p;
    struct stat  st;

    if (stat(dir, &st) == 0) {
        if (!S_ISDIR(st.st_mode)) {
            ticketctl_error("\"%s\" is not a directory", dir);
            return -1;
        }

        return 0;
    }

    path = strdup(dir);
    if (path == NULL) {
        ticketctl_error("out of memory");
        return -1;
    }

    rc = 0;
    p = path;

    for ( ;; ) {
        while (*p == '/') {
            p++;
        }

        p = strchr(p, '/');

        if (p != NULL) {
            *p = '\0';
        }

        if (mkdir(path, 0700) == 0) {
            if (chmod(path, 0700) == -1) {
                ticketctl_error("cannot chmod \"%s\": %s", path,
                                strerror(errno));
                rc = -1;
                break;
            }

        } else if (errno != EEXIST) {
            ticketctl_error("cannot create directory \"%s\": %s", path,
                            strerror(errno));
            rc = -1;
            break;
        }

        if (p == NULL) {
            break;
        }

        *p++ = '/';
    }

    free(path);

    return rc;
}


static void
ticketctl_keygen_check_dir(const char *dir)
{
    /*
     * The files are 0600, but a directory others can write lets them
     * swap a key (a public key swapped is a forged ticket accepted),
     * and one others can read shows which keys exist.
     */

    struct stat  st;

    if (stat(dir, &st) != 0) {
        return;
    }

    if (st.st_mode & S_IWOTH) {
        ticketctl_warn("\"%s\" is world-writable: anyone can replace the "
                       "keys in it", dir);

    } else if (st.st_mode & S_IROTH) {
        ticketctl_warn("\"%s\" is world-readable, and holds a secret key",
                       dir);
    }
}


static EVP_PKEY *
ticketctl_keygen_pkey(ticket_alg_t alg)
{
    switch (alg) {

    case TICKET_ALG_RS256:
    case TICKET_ALG_RS384:
    case TICKET_ALG_RS512:
    case TICKET_ALG_PS256:
    case TICKET_ALG_PS384:
    case TICKET_ALG_PS512:
        return EVP_PKEY_Q_keygen(NULL, NULL, "RSA",
                                 (size_t) TICKETCTL_RSA_BITS);

    case TICKET_ALG_ES256:
        return EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");

    case TICKET_ALG_ES384:
        return EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");

    case TICKET_ALG_ES512:
        return EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-521");

    case TICKET_ALG_EDDSA:
        return EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");

    default:
        return NULL;
    }
}


static int
ticketctl_keygen_pem(EVP_PKEY *pkey, int private, ticketctl_out_t *out)
{
    /* a secure-memory BIO: the PEM of a private key is wiped on free */

    BIO   *bio;
    char  *data;
    long   n;
    int    ok;

    bio = BIO_new(BIO_s_secmem());
    if (bio == NULL) {
        return -1;
    }

    if (private) {
        ok = PEM_write_bio_PrivateKey(bio, pkey, NULL, NULL, 0, NULL, NULL);

    } else {
        ok = PEM_write_bio_PUBKEY(bio, pkey);
    }

    n = ok ? BIO_get_mem_data(bio, &data) : 0;

    if (n > 0) {
        out->data = malloc(n);

        if (out->data != NULL) {
            memcpy(out->data, data, n);
            out->len = n;
        }
    }

    BIO_free(bio);

    return out->data != NULL ? 0 : -1;
}
