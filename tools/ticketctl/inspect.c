/*
 * ticketctl inspect: what a ticket says, and whether it verifies as
 * the gateway would verify it (core ticket_validate()).
 */

#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ticketctl.h"


enum {
    TICKETCTL_INSPECT_KEYS = 256,
    TICKETCTL_INSPECT_KEY,
    TICKETCTL_INSPECT_LEEWAY,
    TICKETCTL_INSPECT_MAX_LIFETIME,
    TICKETCTL_INSPECT_NOW
};


static int ticketctl_inspect(int argc, char **argv);
static int ticketctl_inspect_add_jwks(ticket_keyset_t *ks, const char *file);
static int ticketctl_inspect_add_key(ticket_keyset_t *ks, const char *spec);
static void ticketctl_inspect_show(const char *token, size_t len,
    int64_t now);
static json_t *ticketctl_inspect_segment(const char *name, const char *p,
    size_t len);
static void ticketctl_inspect_time(json_t *claims, const char *name,
    int64_t now);
static void ticketctl_inspect_verdict(ticket_t *t, ticket_reason_t reason,
    const ticket_keyset_t *ks);
static void ticketctl_inspect_text(const char *s);


const ticketctl_cmd_t  ticketctl_inspect_cmd = {
    "inspect",
    ticketctl_inspect,
    "show a ticket's header and claims, and verify it",
    "ticketctl inspect TICKET|- [--keys JWKS] [--key KID:ALG:FILE]"
    " [OPTION]...",

    "Prints the ticket's header and claims (never its signature) and a\n"
    "line \"verify: ok (kid ..., ALG)\" or \"verify: REASON\", checking as\n"
    "the gateway does.  TICKET \"-\" reads one line from stdin (keeps the\n"
    "ticket out of the process list).  Exit status 0 when the ticket\n"
    "verifies (without keys: when it parses), 1 when it does not.\n"
    "\n"
    "  --keys FILE          a JWKS file, as ticket_keys; repeatable\n"
    "  --key KID:ALG:FILE   a PEM public key or HMAC secret file, as\n"
    "                       ticket_key; repeatable\n"
    "  --leeway TIME        clock skew allowed (default 30s)\n"
    "  --max-lifetime TIME  longest exp - iat accepted (default 1h)\n"
    "  --now T              check as at this time (default now): unix\n"
    "                       seconds, RFC 3339, \"-2h\", \"+15m\"\n"
    "  -h, --help           this help\n"
};


static const struct option  ticketctl_inspect_long[] = {
    { "keys",         required_argument, NULL, TICKETCTL_INSPECT_KEYS },
    { "key",          required_argument, NULL, TICKETCTL_INSPECT_KEY },
    { "leeway",       required_argument, NULL, TICKETCTL_INSPECT_LEEWAY },
    { "max-lifetime", required_argument, NULL,
      TICKETCTL_INSPECT_MAX_LIFETIME },
    { "now",          required_argument, NULL, TICKETCTL_INSPECT_NOW },
    { "help",         no_argument,       NULL, 'h' },
    { NULL, 0, NULL, 0 }
};


static int
ticketctl_inspect(int argc, char **argv)
{
    int               c, rc, nkeys;
    char             *token;
    size_t            len, i;
    int64_t           now;
    ticket_t          t;
    const char       *arg;
    unsigned char    *buf;
    ticket_reason_t   reason;
    ticket_policy_t   policy;
    ticket_keyset_t   ks;

    memset(&policy, 0, sizeof(ticket_policy_t));
    policy.kinds = TICKET_KIND_ANY;
    policy.leeway = 30;
    policy.max_lifetime = 60 * 60;

    now = (int64_t) time(NULL);
    nkeys = 0;
    buf = NULL;
    len = 0;

    ticket_keyset_init(&ks);
    ticket_init(&t);

    rc = TICKETCTL_ERROR;

    opterr = 0;

    while ((c = getopt_long(argc, argv, ":h", ticketctl_inspect_long, NULL))
           != -1)
    {
        switch (c) {
        case TICKETCTL_INSPECT_KEYS:
            if (ticketctl_inspect_add_jwks(&ks, optarg) != 0) {
                goto done;
            }
            nkeys++;
            break;

        case TICKETCTL_INSPECT_KEY:
            rc = ticketctl_inspect_add_key(&ks, optarg);
            if (rc != TICKETCTL_OK) {
                goto done;
            }
            rc = TICKETCTL_ERROR;
            nkeys++;
            break;

        case TICKETCTL_INSPECT_LEEWAY:
            if (ticketctl_parse_duration(optarg, &policy.leeway) != 0) {
                rc = ticketctl_usage_error("invalid --leeway \"%s\"", optarg);
                goto done;
            }
            break;

        case TICKETCTL_INSPECT_MAX_LIFETIME:
            if (ticketctl_parse_duration(optarg, &policy.max_lifetime) != 0) {
                rc = ticketctl_usage_error("invalid --max-lifetime \"%s\"",
                                           optarg);
                goto done;
            }
            break;

        case TICKETCTL_INSPECT_NOW:
            if (ticketctl_parse_time(optarg, now, &now) != 0) {
                rc = ticketctl_usage_error("invalid --now \"%s\"", optarg);
                goto done;
            }
            break;

        case 'h':
            rc = ticketctl_help();
            goto done;

        default:
            rc = ticketctl_getopt_error(c, argv);
            goto done;
        }
    }

    if (optind == argc) {
        rc = ticketctl_usage_error("missing TICKET");
        goto done;
    }

    if (optind + 1 < argc) {
        rc = ticketctl_usage_error("unexpected argument \"%s\"",
                                   argv[optind + 1]);
        goto done;
    }

    arg = argv[optind];

    if (strcmp(arg, "-") == 0) {
        if (ticketctl_read_stdin(&buf, &len) != 0) {
            goto done;
        }

        token = (char *) buf;

        for (i = 0; i < len && token[i] != '\n'; i++) { /* void */ }

        len = i;

    } else {
        token = (char *) arg;
        len = strlen(arg);
    }

    while (len > 0 && strchr(" \t\r\n\v\f", token[len - 1]) != NULL) {
        len--;
    }

    if (len == 0) {
        ticketctl_error("no ticket given");
        goto done;
    }

    ticketctl_inspect_show(token, len, now);

    if (nkeys == 0) {
        reason = ticket_parse(&t, token, len, NULL);

        if (reason == TICKET_OK) {
            printf("verify: not checked (no keys given)\n");

        } else {
            ticketctl_inspect_verdict(&t, reason, &ks);
        }

    } else {
        reason = ticket_validate(&t, token, len, &ks, &policy, now);
        ticketctl_inspect_verdict(&t, reason, &ks);
    }

    rc = (reason == TICKET_OK) ? TICKETCTL_OK : TICKETCTL_NEGATIVE;

done:

    ticket_free(&t);
    ticket_keyset_free(&ks);
    ticketctl_free_secret(buf, len);

    return rc;
}


static int
ticketctl_inspect_add_jwks(ticket_keyset_t *ks, const char *file)
{
    int             rc;
    char            err[TICKET_ERRLEN];
    size_t          len;
    unsigned char  *buf;

    if (ticketctl_read_file(file, &buf, &len) != 0) {
        return -1;
    }

    err[0] = '\0';

    rc = ticket_keyset_add_jwks(ks, buf, len, err, sizeof(err));

    /* a JWKS may hold HMAC secrets */
    ticketctl_free_secret(buf, len);

    if (rc != 0) {
        ticketctl_error("\"%s\": %s", file, err[0] ? err : "invalid JWKS");
        return -1;
    }

    return 0;
}


static int
ticketctl_inspect_add_key(ticket_keyset_t *ks, const char *spec)
{
    int             rc;
    char            err[TICKET_ERRLEN], *kid;
    size_t          len;
    const char     *p, *q, *file;
    ticket_alg_t    alg;
    unsigned char  *buf;

    p = strchr(spec, ':');
    q = (p != NULL) ? strchr(p + 1, ':') : NULL;

    if (p == NULL || q == NULL || p == spec || q[1] == '\0') {
        return ticketctl_usage_error("--key wants KID:ALG:FILE, not \"%s\"",
                                     spec);
    }

    alg = ticket_alg_from_name(p + 1, q - p - 1);

    if (alg == TICKET_ALG_UNKNOWN) {
        return ticketctl_usage_error("--key \"%s\": unknown alg \"%.*s\"",
                                     spec, (int) (q - p - 1), p + 1);
    }

    file = q + 1;

    kid = strndup(spec, p - spec);
    if (kid == NULL) {
        ticketctl_error("out of memory");
        return TICKETCTL_ERROR;
    }

    rc = TICKETCTL_ERROR;

    if (ticketctl_read_file(file, &buf, &len) == 0) {
        err[0] = '\0';

        if (ticket_keyset_add_pem(ks, kid, alg, NULL, buf, len, err,
                                  sizeof(err))
            == 0)
        {
            rc = TICKETCTL_OK;

        } else {
            ticketctl_error("\"%s\": %s", file, err[0] ? err : "invalid key");
        }

        ticketctl_free_secret(buf, len);
    }

    free(kid);

    return rc;
}


static void
ticketctl_inspect_show(const char *token, size_t len, int64_t now)
{
    /*
     * Shown as the ticket has it (member order kept), parsed leniently
     * so that even a ticket the core refuses can be looked at; the
     * verdict comes from the core alone.
     */

    long            n;
    json_t         *header, *claims;
    const char     *dot1, *dot2, *end;
    unsigned char  *sig;

    end = token + len;

    dot1 = memchr(token, '.', len);
    dot2 = (dot1 != NULL) ? memchr(dot1 + 1, '.', end - dot1 - 1) : NULL;

    if (dot1 == NULL || dot2 == NULL
        || memchr(dot2 + 1, '.', end - dot2 - 1) != NULL)
    {
        printf("not a ticket: a JWT has three parts separated by \".\"\n");
        return;
    }

    header = ticketctl_inspect_segment("header", token, dot1 - token);
    claims = ticketctl_inspect_segment("claims", dot1 + 1, dot2 - dot1 - 1);

    sig = malloc(end - dot2);

    if (sig != NULL) {
        n = ticket_b64url_decode(sig, dot2 + 1, end - dot2 - 1);

        if (n < 0) {
            printf("signature: not base64url\n");

        } else {
            printf("signature: %ld bytes\n", n);
        }

        free(sig);
    }

    if (json_is_object(claims)) {
        ticketctl_inspect_time(claims, "iat", now);
        ticketctl_inspect_time(claims, "nbf", now);
        ticketctl_inspect_time(claims, "exp", now);

        if (json_is_integer(json_object_get(claims, "iat"))
            && json_is_integer(json_object_get(claims, "exp")))
        {
            char  d[64];

            ticketctl_format_duration(
                json_integer_value(json_object_get(claims, "exp"))
                - json_integer_value(json_object_get(claims, "iat")),
                d, sizeof(d));

            printf("lifetime: %s%s\n",
                   json_integer_value(json_object_get(claims, "exp"))
                   < json_integer_value(json_object_get(claims, "iat"))
                   ? "-" : "", d);
        }
    }

    json_decref(header);
    json_decref(claims);
}


static json_t *
ticketctl_inspect_segment(const char *name, const char *p, size_t len)
{
    long            n;
    char           *text;
    json_t         *json;
    json_error_t    err;
    unsigned char  *buf;

    buf = malloc(len + 1);
    if (buf == NULL) {
        printf("%s: out of memory\n", name);
        return NULL;
    }

    n = ticket_b64url_decode(buf, p, len);

    if (n < 0) {
        printf("%s: not base64url\n", name);
        free(buf);
        return NULL;
    }

    json = json_loadb((char *) buf, n, JSON_DECODE_ANY | JSON_ALLOW_NUL,
                      &err);

    free(buf);

    if (json == NULL) {
        /* jansson's text quotes the ticket's byte it stopped at */
        printf("%s: not JSON: ", name);
        ticketctl_inspect_text(err.text);
        putchar('\n');
        return NULL;
    }

    /* ASCII only: a claim must not reach the terminal as control bytes */

    text = json_dumps(json, JSON_INDENT(2) | JSON_ENCODE_ANY
                            | JSON_ENSURE_ASCII);

    if (text != NULL) {
        printf("%s: %s\n", name, text);
        free(text);
    }

    return json;
}


static void
ticketctl_inspect_time(json_t *claims, const char *name, int64_t now)
{
    char     when[64], d[64];
    json_t  *v;
    int64_t  t;

    v = json_object_get(claims, name);

    if (v == NULL) {
        return;
    }

    if (!json_is_integer(v)) {
        printf("%s: not an integer NumericDate\n", name);
        return;
    }

    t = json_integer_value(v);

    ticketctl_format_time(t, when, sizeof(when));
    ticketctl_format_duration(t - now, d, sizeof(d));

    if (t > now) {
        printf("%s: %s (in %s)\n", name, when, d);

    } else if (t < now) {
        printf("%s: %s (%s ago)\n", name, when, d);

    } else {
        printf("%s: %s (now)\n", name, when);
    }
}


static void
ticketctl_inspect_verdict(ticket_t *t, ticket_reason_t reason,
    const ticket_keyset_t *ks)
{
    const ticket_key_t  *key;

    if (reason == TICKET_OK && t->key != NULL) {
        printf("verify: ok (kid \"%s\", %s)\n", t->key->kid,
               ticket_alg_name(t->key->alg));
        return;
    }

    key = t->key;

    if (key == NULL && t->kid.data != NULL) {
        key = ticket_keyset_find(ks, t->kid.data, t->kid.len);
    }

    if (reason == TICKET_ALG_MISMATCH && key != NULL) {
        printf("verify: %s (ticket alg %s, key \"%s\" is %s)\n",
               ticket_reason_name(reason),
               t->alg != TICKET_ALG_UNKNOWN ? ticket_alg_name(t->alg) : "?",
               key->kid, ticket_alg_name(key->alg));
        return;
    }

    /* a malformed ticket: which member failed and why, as the gateway
     * logs it */

    if (t->why[0] != '\0') {
        printf("verify: %s (%s)\n", ticket_reason_name(reason), t->why);
        return;
    }

    printf("verify: %s\n", ticket_reason_name(reason));
}


/* text from the ticket for a terminal: every byte that is not printable
 * ASCII (C0, DEL, C1 such as CSI, UTF-8 of bidi overrides) as \xHH */

static void
ticketctl_inspect_text(const char *s)
{
    unsigned char  c;

    for ( /* void */ ; *s != '\0'; s++) {
        c = (unsigned char) *s;

        if (c < 0x20 || c >= 0x7f || c == '\\') {
            printf("\\x%02x", c);

        } else {
            putchar(c);
        }
    }
}
