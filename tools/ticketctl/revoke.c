/*
 * ticketctl revoke: write one revocation into Redis as the SPEC lays it
 * out ("Revocation in Redis"), and list what is revoked.
 *
 * A write is one MULTI/EXEC: prune the jti set, change the list, append
 * the entry gateways follow to PREFIXevents.  Redis does not roll a
 * transaction back when one of its commands fails (a WRONGTYPE leaves
 * the others applied), so the keys are WATCHed and their types checked
 * first: a key of the wrong type stops the write before anything is
 * queued, and a key changed by another writer in between makes EXEC
 * return nil, which is retried.
 */

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <ctype.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/time.h>
#include <hiredis/hiredis.h>
#include <openssl/crypto.h>

#include "ticketctl.h"
#include "redis_conn.h"

#include <ticket_rev_redis.h>
#include <ticket_sentinel.h>


#define TICKETCTL_REVOKE_TIMEOUT   2         /* seconds: connect, command */
#define TICKETCTL_REVOKE_LEEWAY    30        /* the gateway's default */
#define TICKETCTL_REVOKE_MARGIN    3600      /* clock skew, larger leeways */
#define TICKETCTL_REVOKE_SCAN      "1000"    /* COUNT hint of the SCANs */
#define TICKETCTL_REVOKE_WAIT_MS   1000      /* --wait-timeout default */
#define TICKETCTL_REVOKE_WAIT_MAX  60000
#define TICKETCTL_REVOKE_SENTINELS 16
#define TICKETCTL_REVOKE_RETRIES   5         /* EXEC aborted by a WATCH */
#define TICKETCTL_REVOKE_MAX_DB    1000000

#define TICKETCTL_ESC_SPACE        1         /* rows: fields stay apart */
#define TICKETCTL_ESC_QUOTE        2         /* inside "..." */


enum {
    TICKETCTL_REVOKE_REDIS = 256,
    TICKETCTL_REVOKE_PASSWORD_FILE,
    TICKETCTL_REVOKE_DB,
    TICKETCTL_REVOKE_PREFIX,
    TICKETCTL_REVOKE_JTI,
    TICKETCTL_REVOKE_EXP,
    TICKETCTL_REVOKE_SUB,
    TICKETCTL_REVOKE_TENANT,
    TICKETCTL_REVOKE_SID,
    TICKETCTL_REVOKE_KID,
    TICKETCTL_REVOKE_REASON,
    TICKETCTL_REVOKE_ACTOR,
    TICKETCTL_REVOKE_AT,
    TICKETCTL_REVOKE_LIST,
    TICKETCTL_REVOKE_JSON,
    TICKETCTL_REVOKE_TICKET,
    TICKETCTL_REVOKE_JTI_CLAIM,
    TICKETCTL_REVOKE_TLS_CA,
    TICKETCTL_REVOKE_TLS_CERT,
    TICKETCTL_REVOKE_TLS_KEY,
    TICKETCTL_REVOKE_TLS_NAME,
    TICKETCTL_REVOKE_SENTINEL,
    TICKETCTL_REVOKE_MASTER,
    TICKETCTL_REVOKE_WAIT,
    TICKETCTL_REVOKE_WAIT_TIMEOUT
};


/* the stream's key, for ticketctl_revoke_key(): a list's is its own */

#define TICKETCTL_REVOKE_EVENTS  TICKET_REV_LISTS


typedef struct {
    const char             *redis;
    const char             *sentinel;
    const char             *master;
    const char             *wait;
    const char             *wait_timeout;
    char                   *primary;   /* "HOST:PORT" Sentinel named, as
                                          [rediss://][USER@]HOST:PORT */
    long                    replicas;  /* --wait */
    long                    wait_ms;
    const char             *password_file;
    const char             *tls_ca;
    const char             *tls_cert;
    const char             *tls_key;
    const char             *tls_name;
    const char             *db;
    const char             *prefix;
    const char             *jti;
    const char             *exp;
    const char             *ticket;
    const char             *jti_claim;
    char                   *ticket_jti_copy;
    char                    ticket_exp[24];
    const char             *sub;
    const char             *tenant;
    const char             *sid;
    const char             *kid;
    const char             *reason;
    const char             *actor;
    const char             *at;
    int                     list;
    int                     json;
} ticketctl_revoke_args_t;


typedef struct {
    ticketctl_redis_t      *c;
    const char             *addr;     /* as shown: no password */
    char                   *shown;
    const char             *prefix;
    int                     json;
    int                     rows;      /* JSON: rows printed in the list */
} ticketctl_revoke_ctx_t;


static int ticketctl_revoke(int argc, char **argv);
static int ticketctl_revoke_options(ticketctl_revoke_args_t *a, int argc,
    char **argv);
static int ticketctl_revoke_option(const char **field, const char *name);
static int ticketctl_revoke_check(ticketctl_revoke_args_t *a,
    ticket_rev_list_t *list);
static int ticketctl_revoke_ticket(ticketctl_revoke_args_t *a);
static int ticketctl_revoke_connect(ticketctl_revoke_ctx_t *ctx,
    ticketctl_revoke_args_t *a);
static int ticketctl_revoke_sentinel(ticketctl_revoke_args_t *a);
static int ticketctl_revoke_sentinel_ask(ticketctl_revoke_args_t *a,
    ticketctl_redis_addr_t *addr, const char *password, size_t plen);
static int ticketctl_revoke_host_chars(const char *s, size_t len);
static int ticketctl_revoke_password(ticketctl_revoke_args_t *a,
    unsigned char **buf, size_t *len, size_t *plen);
static int ticketctl_revoke_role(ticketctl_revoke_ctx_t *ctx);
static int ticketctl_revoke_wait(ticketctl_revoke_ctx_t *ctx,
    ticketctl_revoke_args_t *a);
static long ticketctl_revoke_number(const char *s, long max);
static int ticketctl_revoke_auth(ticketctl_revoke_ctx_t *ctx,
    const char *username, const char *password, size_t len);
static int ticketctl_revoke_write(ticketctl_revoke_ctx_t *ctx,
    ticketctl_revoke_args_t *a, ticket_rev_list_t list);
static int ticketctl_revoke_exec(ticketctl_revoke_ctx_t *ctx,
    ticket_rev_list_t list, const char *member, int64_t *value,
    ticketctl_revoke_args_t *a, int64_t now, redisReply **result);
static int ticketctl_revoke_prepare(ticketctl_revoke_ctx_t *ctx,
    ticket_rev_list_t list, const char *member, int64_t *value);
static int ticketctl_revoke_list(ticketctl_revoke_ctx_t *ctx);
static int ticketctl_revoke_scan(ticketctl_revoke_ctx_t *ctx,
    ticket_rev_list_t list);
static void ticketctl_revoke_row(ticketctl_revoke_ctx_t *ctx,
    ticket_rev_list_t list, redisReply *member, redisReply *value);
static int ticketctl_revoke_events(ticketctl_revoke_ctx_t *ctx);
static redisReply *ticketctl_revoke_command(ticketctl_revoke_ctx_t *ctx,
    int argc, const char **argv);
static redisReply *ticketctl_revoke_reply(ticketctl_revoke_ctx_t *ctx,
    const char *what);
static int ticketctl_revoke_ok(ticketctl_revoke_ctx_t *ctx,
    redisReply *r, const char *what);
static void ticketctl_revoke_redis_error(ticketctl_revoke_ctx_t *ctx,
    const char *what, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static char *ticketctl_revoke_key(const char *prefix, int list);
static int ticketctl_revoke_integer(const char *s, size_t len, int64_t *out);
static char *ticketctl_revoke_text(const char *p, size_t len, int flags);
static void ticketctl_revoke_put_text(const char *p, size_t len);
static void ticketctl_revoke_put_json(const char *p, size_t len);
static void ticketctl_revoke_put_number(const char *p, size_t len);


const ticketctl_cmd_t  ticketctl_revoke_cmd = {
    "revoke",
    ticketctl_revoke,
    "revoke tickets in Redis, or list what is revoked",
    "ticketctl revoke --redis ADDR (--jti J --exp T | --ticket TICKET"
    " [--jti-claim PATH] | --sub S [--tenant T] | --sid D | --tenant T"
    " | --kid K) [OPTION]...;"
    " ticketctl revoke --redis ADDR --list [--json];"
    " ticketctl revoke --sentinel ADDR[,ADDR]... --master NAME [--wait N]"
    " (the same targets and options: the primary Sentinel names instead of"
    " --redis)",

    "Writes one revocation into Redis, where every gateway reads it: the\n"
    "change and its entry in the stream PREFIXevents in one MULTI/EXEC.\n"
    "Prints one line: what is revoked and the id of the stream entry.\n"
    "\n"
    "  --redis ADDR         host:port, [IPv6]:port, unix:/path, or\n"
    "                       redis://[USER[:PASS]@]HOST[:PORT][/DB],\n"
    "                       rediss://... for TLS (a password in a URL\n"
    "                       shows in ps: prefer --password-file)\n"
    "  --password-file F    AUTH with the file's content, trailing\n"
    "                       newlines stripped (as USER from the URL)\n"
    "  --tls-ca F           rediss: trust these CA certificates (else\n"
    "                       the system's)\n"
    "  --tls-cert F --tls-key F  rediss: a client certificate\n"
    "  --tls-name NAME      rediss: the name the server's certificate\n"
    "                       must carry (default: the host)\n"
    "  --sentinel ADDR[,ADDR]...  instead of --redis: Sentinels (host:port,\n"
    "                       or redis[s]://[USER@]HOST:PORT), asked in turn\n"
    "                       for --master's primary, which is then written\n"
    "                       to (and checked with ROLE); Sentinels and the\n"
    "                       primary share the scheme, USER, --password-file\n"
    "                       and --tls-* (a Sentinel without a password is\n"
    "                       asked without AUTH)\n"
    "  --master NAME        with --sentinel: the name Sentinel monitors\n"
    "  --wait N             after the write, WAIT until N replicas hold it;\n"
    "                       fewer within --wait-timeout: exit 2 (written to\n"
    "                       the primary, but a failover could lose it).\n"
    "                       Without it replication is asynchronous: a\n"
    "                       failover right after the write can lose it\n"
    "  --wait-timeout MS    how long --wait waits (default 1000)\n"
    "  --db N               SELECT N first\n"
    "  --prefix P           key prefix (default \"ticket:\")\n"
    "\n"
    "One target:\n"
    "  --jti J --exp T      the ticket J, whose exp is T (not in the past)\n"
    "  --ticket TICKET      that ticket: its jti and exp read from it as the\n"
    "                       gateway reads them (not verified); a ticket\n"
    "                       without a jti is revoked by its \"fp:\" id, as a\n"
    "                       gateway with \"ticket_jti_claim ... optional\"\n"
    "                       names it; \"-\" reads it from stdin\n"
    "  --jti-claim PATH     with --ticket: the ticket-id claim, as\n"
    "                       ticket_jti_claim says (default \"jti\"; Entra\n"
    "                       ID: \"uti\")\n"
    "  --sub S [--tenant T] every ticket of subject S (of tenant T)\n"
    "                       issued at or before the cut-off\n"
    "  --sid D              every ticket of session or device D issued at\n"
    "                       or before the cut-off\n"
    "  --tenant T           every ticket of tenant T issued at or before\n"
    "                       the cut-off\n"
    "  --kid K              every ticket signed with key K\n"
    "\n"
    "  --at T               the cut-off (default now); for --sub, --sid\n"
    "                       and --tenant.  A cut-off never moves back: an\n"
    "                       earlier one than the stored one keeps it\n"
    "  --reason TEXT        why, stored in the stream entry\n"
    "  --actor NAME         who, stored in the stream entry (default\n"
    "                       $USER, else \"ticketctl\")\n"
    "  --list               print what is revoked instead, one row a\n"
    "                       line (\"jti  J  exp T\", \"sub  T/S  at T\",\n"
    "                       \"kid  K\"),\n"
    "                       and the stream's length and last id\n"
    "  --json               with --list: one JSON object\n"
    "  -h, --help           this help\n"
    "\n"
    "T is unix seconds, RFC 3339 (2025-01-31T12:00:00Z), \"now\", or\n"
    "relative to now: \"-2h\", \"+15m\".  Every write also prunes the jti\n"
    "set of tickets whose exp is more than the 30s leeway and an hour in\n"
    "the past (the hour covers clock skew and larger leeways): they match\n"
    "nothing a gateway still accepts.  Listed members show bytes below\n"
    "0x21, 0x7f and bytes that are not UTF-8 as \\xNN, a backslash as\n"
    "\\\\.\n"
    "Exit status 0 done, 2 usage error or Redis failed (nothing written\n"
    "unless the message says otherwise).\n"
};


static const struct option  ticketctl_revoke_long[] = {
    { "redis",         required_argument, NULL, TICKETCTL_REVOKE_REDIS },
    { "password-file", required_argument, NULL,
      TICKETCTL_REVOKE_PASSWORD_FILE },
    { "db",            required_argument, NULL, TICKETCTL_REVOKE_DB },
    { "tls-ca",        required_argument, NULL, TICKETCTL_REVOKE_TLS_CA },
    { "tls-cert",      required_argument, NULL, TICKETCTL_REVOKE_TLS_CERT },
    { "tls-key",       required_argument, NULL, TICKETCTL_REVOKE_TLS_KEY },
    { "tls-name",      required_argument, NULL, TICKETCTL_REVOKE_TLS_NAME },
    { "prefix",        required_argument, NULL, TICKETCTL_REVOKE_PREFIX },
    { "jti",           required_argument, NULL, TICKETCTL_REVOKE_JTI },
    { "exp",           required_argument, NULL, TICKETCTL_REVOKE_EXP },
    { "sub",           required_argument, NULL, TICKETCTL_REVOKE_SUB },
    { "tenant",        required_argument, NULL, TICKETCTL_REVOKE_TENANT },
    { "sid",           required_argument, NULL, TICKETCTL_REVOKE_SID },
    { "kid",           required_argument, NULL, TICKETCTL_REVOKE_KID },
    { "reason",        required_argument, NULL, TICKETCTL_REVOKE_REASON },
    { "actor",         required_argument, NULL, TICKETCTL_REVOKE_ACTOR },
    { "at",            required_argument, NULL, TICKETCTL_REVOKE_AT },
    { "list",          no_argument,       NULL, TICKETCTL_REVOKE_LIST },
    { "json",          no_argument,       NULL, TICKETCTL_REVOKE_JSON },
    { "ticket",        required_argument, NULL, TICKETCTL_REVOKE_TICKET },
    { "jti-claim",     required_argument, NULL,
      TICKETCTL_REVOKE_JTI_CLAIM },
    { "sentinel",      required_argument, NULL, TICKETCTL_REVOKE_SENTINEL },
    { "master",        required_argument, NULL, TICKETCTL_REVOKE_MASTER },
    { "wait",          required_argument, NULL, TICKETCTL_REVOKE_WAIT },
    { "wait-timeout",  required_argument, NULL,
      TICKETCTL_REVOKE_WAIT_TIMEOUT },
    { "help",          no_argument,       NULL, 'h' },
    { NULL, 0, NULL, 0 }
};


static int
ticketctl_revoke(int argc, char **argv)
{
    int                       rc;
    ticketctl_revoke_ctx_t    ctx;
    ticketctl_revoke_args_t   a;
    ticket_rev_list_t   list;

    memset(&a, 0, sizeof(a));
    memset(&ctx, 0, sizeof(ctx));

    rc = ticketctl_revoke_options(&a, argc, argv);
    if (rc >= 0) {
        return rc;
    }

    list = TICKET_REV_LISTS;

    rc = ticketctl_revoke_check(&a, &list);
    if (rc >= 0) {
        free(a.ticket_jti_copy);
        return rc;
    }

    if (a.sentinel != NULL) {
        rc = ticketctl_revoke_sentinel(&a);
        if (rc >= 0) {
            free(a.ticket_jti_copy);
            return rc;
        }

        a.redis = a.primary;
    }

    ctx.addr = a.redis;
    ctx.prefix = a.prefix ? a.prefix : "ticket:";
    ctx.json = a.json;

    rc = ticketctl_revoke_connect(&ctx, &a);

    if (rc == TICKETCTL_OK && a.sentinel != NULL) {
        rc = ticketctl_revoke_role(&ctx);
    }

    if (rc == TICKETCTL_OK) {
        rc = a.list ? ticketctl_revoke_list(&ctx)
                    : ticketctl_revoke_write(&ctx, &a, list);
    }

    ticketctl_redis_free(ctx.c);
    free(ctx.shown);

    free(a.ticket_jti_copy);
    free(a.primary);

    return rc;
}


static int
ticketctl_revoke_options(ticketctl_revoke_args_t *a, int argc, char **argv)
{
    /* -1: go on, else the exit status */

    int           c;
    const char  **field;

    opterr = 0;

    while ((c = getopt_long(argc, argv, ":h", ticketctl_revoke_long, NULL))
           != -1)
    {
        field = NULL;

        switch (c) {
        case TICKETCTL_REVOKE_REDIS:
            field = &a->redis;
            break;
        case TICKETCTL_REVOKE_PASSWORD_FILE:
            field = &a->password_file;
            break;
        case TICKETCTL_REVOKE_SENTINEL:
            field = &a->sentinel;
            break;
        case TICKETCTL_REVOKE_MASTER:
            field = &a->master;
            break;
        case TICKETCTL_REVOKE_WAIT:
            field = &a->wait;
            break;
        case TICKETCTL_REVOKE_WAIT_TIMEOUT:
            field = &a->wait_timeout;
            break;
        case TICKETCTL_REVOKE_DB:
            field = &a->db;
            break;
        case TICKETCTL_REVOKE_TLS_CA:
            field = &a->tls_ca;
            break;
        case TICKETCTL_REVOKE_TLS_CERT:
            field = &a->tls_cert;
            break;
        case TICKETCTL_REVOKE_TLS_KEY:
            field = &a->tls_key;
            break;
        case TICKETCTL_REVOKE_TLS_NAME:
            field = &a->tls_name;
            break;
        case TICKETCTL_REVOKE_PREFIX:
            field = &a->prefix;
            break;
        case TICKETCTL_REVOKE_JTI:
            field = &a->jti;
            break;
        case TICKETCTL_REVOKE_EXP:
            field = &a->exp;
            break;
        case TICKETCTL_REVOKE_SUB:
            field = &a->sub;
            break;
        case TICKETCTL_REVOKE_TENANT:
            field = &a->tenant;
            break;
        case TICKETCTL_REVOKE_SID:
            field = &a->sid;
            break;
        case TICKETCTL_REVOKE_KID:
            field = &a->kid;
            break;
        case TICKETCTL_REVOKE_TICKET:
            field = &a->ticket;
            break;
        case TICKETCTL_REVOKE_JTI_CLAIM:
            field = &a->jti_claim;
            break;
        case TICKETCTL_REVOKE_REASON:
            field = &a->reason;
            break;
        case TICKETCTL_REVOKE_ACTOR:
            field = &a->actor;
            break;
        case TICKETCTL_REVOKE_AT:
            field = &a->at;
            break;
        case TICKETCTL_REVOKE_LIST:
            a->list = 1;
            break;
        case TICKETCTL_REVOKE_JSON:
            a->json = 1;
            break;
        case 'h':
            return ticketctl_help();
        default:
            return ticketctl_getopt_error(c, argv);
        }

        if (field != NULL && ticketctl_revoke_option(field, argv[optind - 1])
                             != -1)
        {
            return TICKETCTL_ERROR;
        }
    }

    if (optind < argc) {
        return ticketctl_usage_error("unexpected argument \"%s\"",
                                     argv[optind]);
    }

    return -1;
}


static int
ticketctl_revoke_option(const char **field, const char *name)
{
    /*
     * A second "--jti" would silently revoke another ticket than the
     * first one named: a revocation tool says so instead.
     */

    const char  *eq;

    if (*field != NULL) {
        eq = strchr(name, '=');

        if (eq != NULL) {
            return ticketctl_usage_error("\"%.*s\" given twice",
                                         (int) (eq - name), name);
        }

        return ticketctl_usage_error("\"%s\" given twice", name);
    }

    *field = optarg;

    return -1;
}


static int
ticketctl_revoke_check(ticketctl_revoke_args_t *a,
    ticket_rev_list_t *list)
{
    int          n;
    const char  *p;

    if (a->redis != NULL && a->sentinel != NULL) {
        return ticketctl_usage_error("--redis or --sentinel: one of them");
    }

    if (a->redis == NULL && a->sentinel == NULL) {
        return ticketctl_usage_error("missing --redis");
    }

    if ((a->sentinel == NULL) != (a->master == NULL)) {
        return ticketctl_usage_error(a->master ? "--master goes with "
                                                 "--sentinel"
                                               : "--sentinel needs --master");
    }

    if (a->wait != NULL) {
        a->replicas = ticketctl_revoke_number(a->wait, 1000);

        if (a->replicas < 1) {
            return ticketctl_usage_error("invalid --wait \"%s\"", a->wait);
        }

        if (a->list) {
            return ticketctl_usage_error("--wait goes with a write, not "
                                         "--list");
        }
    }

    a->wait_ms = TICKETCTL_REVOKE_WAIT_MS;

    if (a->wait_timeout != NULL) {
        if (a->wait == NULL) {
            return ticketctl_usage_error("--wait-timeout goes with --wait");
        }

        a->wait_ms = ticketctl_revoke_number(a->wait_timeout,
                                             TICKETCTL_REVOKE_WAIT_MAX);

        if (a->wait_ms < 1) {
            return ticketctl_usage_error("invalid --wait-timeout \"%s\"",
                                         a->wait_timeout);
        }
    }

    if (a->db != NULL) {
        for (p = a->db; *p >= '0' && *p <= '9'; p++) { /* void */ }

        if (*p != '\0' || p == a->db || p - a->db > 7
            || atoi(a->db) >= TICKETCTL_REVOKE_MAX_DB)
        {
            return ticketctl_usage_error("invalid --db \"%s\"", a->db);
        }
    }

    if (a->prefix != NULL && a->prefix[0] == '\0') {
        return ticketctl_usage_error("empty --prefix");
    }

    if (a->jti_claim != NULL && a->ticket == NULL) {
        return ticketctl_usage_error("--jti-claim goes with --ticket");
    }

    if (a->ticket != NULL) {
        if (a->jti != NULL || a->exp != NULL) {
            return ticketctl_usage_error("--ticket gives the jti and exp: "
                                         "no --jti or --exp with it");
        }

        if (ticketctl_revoke_ticket(a) != 0) {
            return TICKETCTL_ERROR;
        }
    }

    n = (a->jti != NULL) + (a->sub != NULL) + (a->sid != NULL)
        + (a->kid != NULL) + (a->tenant != NULL && a->sub == NULL);

    if (a->list) {
        if (n != 0 || a->exp != NULL || a->tenant != NULL || a->at != NULL
            || a->reason != NULL || a->actor != NULL)
        {
            return ticketctl_usage_error("--list takes no target, --exp, "
                                         "--at, --reason or --actor");
        }

        return -1;
    }

    if (a->json) {
        return ticketctl_usage_error("--json goes with --list");
    }

    if (n == 0) {
        return ticketctl_usage_error("missing a target: --jti, --sub, "
                                     "--sid, --tenant or --kid");
    }

    if (n > 1) {
        return ticketctl_usage_error("more than one target: one of --jti, "
                                     "--sub, --sid, --tenant or --kid");
    }

    if (a->jti != NULL) {
        *list = TICKET_REV_JTI;
        p = a->jti;

    } else if (a->sub != NULL) {
        *list = TICKET_REV_SUB;
        p = a->sub;

    } else if (a->sid != NULL) {
        *list = TICKET_REV_SID;
        p = a->sid;

    } else if (a->kid != NULL) {
        *list = TICKET_REV_KID;
        p = a->kid;

    } else {
        *list = TICKET_REV_TENANT;
        p = a->tenant;
    }

    if (p[0] == '\0') {
        return ticketctl_usage_error("empty --%s",
                                     ticket_rev_list_name(*list));
    }

    if (a->tenant != NULL) {
        if (a->tenant[0] == '\0') {
            return ticketctl_usage_error("empty --tenant");
        }

        /* "TENANT/SUB" is split at the first "/" */

        if (strchr(a->tenant, '/') != NULL) {
            return ticketctl_usage_error("--tenant must not contain \"/\"");
        }
    }

    if ((a->jti != NULL) != (a->exp != NULL)) {
        return ticketctl_usage_error(a->jti ? "--jti needs --exp"
                                            : "--exp goes with --jti");
    }

    if (a->at != NULL
        && (*list == TICKET_REV_JTI || *list == TICKET_REV_KID))
    {
        return ticketctl_usage_error("--at goes with --sub, --sid or "
                                     "--tenant");
    }

    if (a->actor != NULL && a->actor[0] == '\0') {
        return ticketctl_usage_error("empty --actor");
    }

    return -1;
}


/*
 * --ticket: the jti (or the "fp:" id) and exp as the gateway reads them,
 * by the core's own parser, without verifying: revoking a forged ticket
 * revokes nothing a gateway would accept.
 */

static int
ticketctl_revoke_ticket(ticketctl_revoke_args_t *a)
{
    int               rc;
    size_t            len;
    ticket_t          t;
    const char       *token;
    unsigned char    *buf;
    ticket_reason_t   reason;
    ticket_policy_t   policy;

    buf = NULL;
    token = a->ticket;

    if (strcmp(token, "-") == 0) {
        if (ticketctl_read_stdin(&buf, &len) != 0) {
            return -1;
        }

        token = (const char *) buf;

    } else {
        len = strlen(token);
    }

    while (len > 0 && strchr(" \t\r\n\v\f", token[len - 1]) != NULL) {
        len--;
    }

    memset(&policy, 0, sizeof(ticket_policy_t));

    /* the kind does not matter here: every ticket has one */

    policy.kind_other = TICKET_KIND_USER;
    policy.kind_default = TICKET_KIND_USER;
    policy.jti_optional = 1;

    if (a->jti_claim != NULL) {
        policy.jti_path.data = a->jti_claim;
        policy.jti_path.len = strlen(a->jti_claim);
    }

    rc = -1;

    ticket_init(&t);
    reason = ticket_parse_policy(&t, token, len, &policy);

    if (reason != TICKET_OK) {
        ticketctl_usage_error("--ticket: %s%s%s", ticket_reason_name(reason),
                              t.why[0] ? ": " : "", t.why);
        goto done;
    }

    a->ticket_jti_copy = malloc(t.jti.len + 1);
    if (a->ticket_jti_copy == NULL
        || memchr(t.jti.data, '\0', t.jti.len) != NULL)
    {
        ticketctl_error("--ticket: the jti is not a string");
        goto done;
    }

    memcpy(a->ticket_jti_copy, t.jti.data, t.jti.len);
    a->ticket_jti_copy[t.jti.len] = '\0';

    snprintf(a->ticket_exp, sizeof(a->ticket_exp), "%lld",
             (long long) t.exp);

    a->jti = a->ticket_jti_copy;
    a->exp = a->ticket_exp;
    rc = 0;

done:

    ticket_free(&t);
    free(buf);

    return rc;
}


static int
ticketctl_revoke_connect(ticketctl_revoke_ctx_t *ctx,
    ticketctl_revoke_args_t *a)
{
    int                     rc, db;
    char                    err[256], dbuf[16];
    size_t                  len, plen;
    const char             *argv[2];
    redisReply             *r;
    unsigned char          *buf;
    ticketctl_redis_addr_t  addr;

    if (ticketctl_redis_parse(a->redis, &addr, err, sizeof(err)) != 0) {
        return ticketctl_usage_error("--redis: %s", err);
    }

    rc = TICKETCTL_ERROR;
    buf = NULL;
    len = 0;

    if (!addr.tls && (a->tls_ca || a->tls_cert || a->tls_key
                      || a->tls_name))
    {
        rc = ticketctl_usage_error("--tls-ca, --tls-cert, --tls-key and "
                                   "--tls-name go with a rediss:// "
                                   "address");
        goto done;
    }

    if ((a->tls_cert == NULL) != (a->tls_key == NULL)) {
        rc = ticketctl_usage_error(a->tls_cert ? "--tls-cert needs --tls-key"
                                               : "--tls-key needs --tls-cert");
        goto done;
    }

    if (addr.password != NULL && a->password_file != NULL) {
        rc = ticketctl_usage_error("a password in --redis and "
                                   "--password-file: one of them");
        goto done;
    }

    if (addr.db >= 0 && a->db != NULL) {
        rc = ticketctl_usage_error("a database in --redis and --db: one of "
                                   "them");
        goto done;
    }

    if (addr.username != NULL && addr.password == NULL
        && a->password_file == NULL)
    {
        rc = ticketctl_usage_error("a user in --redis needs a password "
                                   "(--password-file)");
        goto done;
    }

    addr.tls_ca = a->tls_ca;
    addr.tls_cert = a->tls_cert;
    addr.tls_key = a->tls_key;
    addr.tls_name = a->tls_name;

    ctx->shown = strdup(addr.shown);
    if (ctx->shown == NULL) {
        ticketctl_error("out of memory");
        goto done;
    }

    ctx->addr = ctx->shown;
    ctx->c = ticketctl_redis_connect(&addr, TICKETCTL_REVOKE_TIMEOUT);

    if (ctx->c == NULL) {
        ticketctl_error("out of memory");
        goto done;
    }

    if (ctx->c->errstr[0] != '\0') {
        ticketctl_revoke_redis_error(ctx, NULL, "%s", ctx->c->errstr);
        goto done;
    }

    if (a->password_file != NULL) {
        if (ticketctl_revoke_password(a, &buf, &len, &plen) != 0) {
            goto done;
        }

        if (ticketctl_revoke_auth(ctx, addr.username, (char *) buf, plen)
            != TICKETCTL_OK)
        {
            goto done;
        }

    } else if (addr.password != NULL
               && ticketctl_revoke_auth(ctx, addr.username, addr.password,
                                        strlen(addr.password))
                  != TICKETCTL_OK)
    {
        goto done;
    }

    db = addr.db;

    if (a->db != NULL || db > 0) {
        if (a->db == NULL) {
            snprintf(dbuf, sizeof(dbuf), "%d", db);
        }

        argv[0] = "SELECT";
        argv[1] = a->db ? a->db : dbuf;

        r = ticketctl_revoke_command(ctx, 2, argv);

        if (ticketctl_revoke_ok(ctx, r, "SELECT") != 0) {
            goto done;
        }

        freeReplyObject(r);
    }

    rc = TICKETCTL_OK;

done:

    if (buf != NULL) {
        ticketctl_free_secret(buf, len);
    }

    ticketctl_redis_addr_free(&addr);

    return rc;
}


/*
 * --sentinel: each Sentinel in turn until one names the primary; one that
 * cannot be reached or does not know the name passes the turn on.  As the
 * gateway's sentinel=, the Sentinels are spoken to with the primary's TLS
 * and credentials: HOST:PORT, or redis://[USER@]HOST:PORT and
 * rediss://[USER@]HOST:PORT (the same scheme and user for each), with
 * --password-file and the --tls-* options; the primary is then reached
 * the same way.  A Sentinel without a password (most are) answers AUTH
 * "without any password configured": asked without it.
 */

static int
ticketctl_revoke_sentinel(ticketctl_revoke_args_t *a)
{
    int                      rc, n, tls;
    char                     err[256], *list, *p, *next, *user;
    size_t                   len, plen;
    unsigned char           *buf;
    ticketctl_redis_addr_t   addr;

    list = strdup(a->sentinel);
    if (list == NULL) {
        ticketctl_error("out of memory");
        return TICKETCTL_ERROR;
    }

    rc = TICKETCTL_ERROR;
    n = 0;
    tls = -1;
    user = NULL;
    buf = NULL;
    len = 0;
    plen = 0;

    if (a->password_file != NULL
        && ticketctl_revoke_password(a, &buf, &len, &plen) != 0)
    {
        goto done;
    }

    for (p = list; p != NULL; p = next) {
        next = strchr(p, ',');

        if (next != NULL) {
            *next++ = '\0';
        }

        if (*p == '\0' || ++n > TICKETCTL_REVOKE_SENTINELS) {
            rc = ticketctl_usage_error("invalid --sentinel \"%s\"",
                                       a->sentinel);
            goto done;
        }

        if (ticketctl_redis_parse(p, &addr, err, sizeof(err)) != 0) {
            rc = ticketctl_usage_error("--sentinel: %s", err);
            goto done;
        }

        if (addr.password != NULL || addr.db >= 0 || addr.host == NULL) {
            ticketctl_redis_addr_free(&addr);
            rc = ticketctl_usage_error("--sentinel: HOST:PORT, or "
                                       "redis[s]://[USER@]HOST:PORT "
                                       "(a password with --password-file)");
            goto done;
        }

        if (tls == -1) {
            tls = addr.tls;
            user = addr.username ? strdup(addr.username) : NULL;

            if (addr.username != NULL && user == NULL) {
                ticketctl_redis_addr_free(&addr);
                ticketctl_error("out of memory");
                goto done;
            }

        } else if (tls != addr.tls
                   || (user == NULL) != (addr.username == NULL)
                   || (user != NULL && strcmp(user, addr.username) != 0))
        {
            ticketctl_redis_addr_free(&addr);
            rc = ticketctl_usage_error("--sentinel: the same scheme and "
                                       "user for every Sentinel");
            goto done;
        }

        if (addr.username != NULL && a->password_file == NULL) {
            ticketctl_redis_addr_free(&addr);
            rc = ticketctl_usage_error("--sentinel: a user needs "
                                       "--password-file");
            goto done;
        }

        rc = ticketctl_revoke_sentinel_ask(a, &addr, (char *) buf, plen);

        ticketctl_redis_addr_free(&addr);

        if (rc == TICKETCTL_OK) {
            rc = -1;
            goto done;
        }

        if (rc != -1) {
            goto done;
        }
    }

    ticketctl_error("no Sentinel in \"%s\" named a primary for \"%s\"",
                    a->sentinel, a->master);
    rc = TICKETCTL_ERROR;

done:

    if (buf != NULL) {
        ticketctl_free_secret(buf, len);
    }

    free(user);
    free(list);

    return rc;
}


static int
ticketctl_revoke_sentinel_ask(ticketctl_revoke_args_t *a,
    ticketctl_redis_addr_t *addr, const char *password, size_t plen)
{
    int                      rc, ipv6, argc;
    char                     host[TICKET_SENTINEL_HOST_LEN + 1], *p;
    size_t                   len, ulen, i, argvlen[3];
    unsigned char            ch;
    void                    *reply;
    redisReply              *r;
    const char              *argv[3];
    ticketctl_redis_t       *c;
    ticket_sentinel_addr_t   sa;

    /* TICKETCTL_OK, -1: the next Sentinel, else the exit status */

    rc = -1;
    reply = NULL;

    if ((a->tls_cert == NULL) != (a->tls_key == NULL)) {
        return ticketctl_usage_error(a->tls_cert ? "--tls-cert needs "
                                                   "--tls-key"
                                                 : "--tls-key needs "
                                                   "--tls-cert");
    }

    if (!addr->tls && (a->tls_ca || a->tls_cert || a->tls_key
                       || a->tls_name))
    {
        return ticketctl_usage_error("--tls-ca, --tls-cert, --tls-key and "
                                     "--tls-name go with rediss:// "
                                     "Sentinels");
    }

    addr->tls_ca = a->tls_ca;
    addr->tls_cert = a->tls_cert;
    addr->tls_key = a->tls_key;
    addr->tls_name = a->tls_name;

    c = ticketctl_redis_connect(addr, TICKETCTL_REVOKE_TIMEOUT);

    if (c == NULL) {
        ticketctl_error("out of memory");
        return TICKETCTL_ERROR;
    }

    if (c->errstr[0] != '\0') {
        ticketctl_warn("sentinel %s: %s", addr->shown, c->errstr);
        goto done;
    }

    if (password != NULL) {
        argc = 0;
        argv[argc] = "AUTH";
        argvlen[argc++] = 4;

        if (addr->username != NULL) {
            argv[argc] = addr->username;
            argvlen[argc++] = strlen(addr->username);
        }

        argv[argc] = password;
        argvlen[argc++] = plen;

        if (ticketctl_redis_append(c, argc, argv, argvlen) != REDIS_OK
            || ticketctl_redis_get_reply(c, &reply) != REDIS_OK
            || reply == NULL)
        {
            ticketctl_warn("sentinel %s: %s", addr->shown,
                           c->errstr[0] ? c->errstr : "no reply");
            goto done;
        }

        r = reply;

        /* +OK, or the answer of a Sentinel that has no password */

        if (!(r->type == REDIS_REPLY_STATUS && r->len == 2
              && memcmp(r->str, "OK", 2) == 0)
            && !(r->type == REDIS_REPLY_ERROR && r->str != NULL
                 && strstr(r->str, "without any password configured")
                    != NULL))
        {
            ticketctl_warn("sentinel %s: AUTH refused", addr->shown);
            goto done;
        }

        freeReplyObject(reply);
        reply = NULL;
    }

    argv[0] = "SENTINEL";
    argv[1] = "get-master-addr-by-name";
    argv[2] = a->master;

    if (ticketctl_redis_append(c, 3, argv, NULL) != REDIS_OK
        || ticketctl_redis_get_reply(c, &reply) != REDIS_OK || reply == NULL)
    {
        ticketctl_warn("sentinel %s: %s", addr->shown,
                       c->errstr[0] ? c->errstr : "no reply");
        goto done;
    }

    switch (ticket_sentinel_master(reply, &sa)) {

    case TICKET_SENTINEL_OK:
        break;

    case TICKET_SENTINEL_UNKNOWN:
        ticketctl_warn("sentinel %s: no primary for \"%s\"", addr->shown,
                       a->master);
        goto done;

    default:
        ticketctl_warn("sentinel %s: unexpected reply", addr->shown);
        goto done;
    }

    /*
     * The host checked by the core: printable, no spaces, short; and it
     * goes into an address ticketctl parses again: a name or an IP
     * address only (no "@", "/", "[" that would make it a user or a
     * path)
     */

    if (ticketctl_revoke_host_chars(sa.host.data, sa.host.len) != 0)
    {
        ticketctl_warn("sentinel %s: a primary \"%.*s\" that is not a host "
                       "name or an IP address", addr->shown,
                       (int) sa.host.len, sa.host.data);
        goto done;
    }

    memcpy(host, sa.host.data, sa.host.len);
    host[sa.host.len] = '\0';

    /* the user as the URL had it: escaped again, but [-._~0-9A-Za-z] */

    ipv6 = (strchr(host, ':') != NULL);
    ulen = addr->username ? strlen(addr->username) : 0;
    len = sizeof("rediss://@[]:65535") + sa.host.len + 3 * ulen;

    a->primary = malloc(len);
    if (a->primary == NULL) {
        ticketctl_error("out of memory");
        rc = TICKETCTL_ERROR;
        goto done;
    }

    p = a->primary;
    p += sprintf(p, "%s", addr->tls ? "rediss://"
                                    : addr->username ? "redis://" : "");

    for (i = 0; i < ulen; i++) {
        ch = (unsigned char) addr->username[i];
        p += sprintf(p, isalnum(ch) || strchr("-._~", ch) ? "%c" : "%%%02X",
                     ch);
    }

    snprintf(p, len - (p - a->primary), "%s%s%s%s:%d", ulen ? "@" : "",
             ipv6 ? "[" : "", host, ipv6 ? "]" : "", sa.port);

    rc = TICKETCTL_OK;

done:

    if (reply != NULL) {
        freeReplyObject(reply);
    }

    ticketctl_redis_free(c);

    return rc;
}


/*
 * --password-file read: the file in buf (len bytes, for
 * ticketctl_free_secret()), the password its first plen; 0, or -1 said
 */

static int
ticketctl_revoke_password(ticketctl_revoke_args_t *a, unsigned char **buf,
    size_t *len, size_t *plen)
{
    if (ticketctl_read_file(a->password_file, buf, len) != 0) {
        return -1;
    }

    *plen = ticketctl_strip_newlines(*buf, *len);

    if (*plen == 0) {
        ticketctl_error("\"%s\": empty password", a->password_file);
        return -1;
    }

    return 0;
}


/* 0: only [A-Za-z0-9.:-], what a host name or an IP address is made of */

static int
ticketctl_revoke_host_chars(const char *s, size_t len)
{
    size_t  i;

    for (i = 0; i < len; i++) {
        if (!isalnum((unsigned char) s[i]) && s[i] != '.' && s[i] != ':'
            && s[i] != '-')
        {
            return -1;
        }
    }

    return 0;
}


/* what Sentinel named is the primary still: a failover may be under way */

static int
ticketctl_revoke_role(ticketctl_revoke_ctx_t *ctx)
{
    int          rc;
    const char  *argv[1];
    redisReply  *r;

    argv[0] = "ROLE";

    r = ticketctl_revoke_command(ctx, 1, argv);

    if (ticketctl_revoke_ok(ctx, r, "ROLE") != 0) {
        return TICKETCTL_ERROR;
    }

    rc = ticket_sentinel_role(r);

    freeReplyObject(r);

    if (rc != TICKET_SENTINEL_ROLE_PRIMARY) {
        ticketctl_revoke_redis_error(ctx, "ROLE", "not the primary Sentinel "
                                     "named (a failover under way?); "
                                     "nothing written");
        return TICKETCTL_ERROR;
    }

    return TICKETCTL_OK;
}


/* WAIT N MS: how many replicas hold what this connection wrote */

static int
ticketctl_revoke_wait(ticketctl_revoke_ctx_t *ctx, ticketctl_revoke_args_t *a)
{
    int          rc;
    char         n[24], ms[24];
    const char  *argv[3];
    redisReply  *r;

    snprintf(n, sizeof(n), "%ld", a->replicas);
    snprintf(ms, sizeof(ms), "%ld", a->wait_ms);

    argv[0] = "WAIT";
    argv[1] = n;
    argv[2] = ms;

    /* the reply comes after MS: the read must wait that long and more */

    if (ticketctl_redis_set_timeout(ctx->c, TICKETCTL_REVOKE_TIMEOUT
                                            + (int) (a->wait_ms / 1000) + 1)
        != REDIS_OK)
    {
        ticketctl_revoke_redis_error(ctx, "WAIT", "%s", ctx->c->errstr);
        return TICKETCTL_ERROR;
    }

    r = ticketctl_revoke_command(ctx, 3, argv);

    if (ticketctl_revoke_ok(ctx, r, "WAIT") != 0) {
        return TICKETCTL_ERROR;
    }

    rc = TICKETCTL_ERROR;

    if (r->type != REDIS_REPLY_INTEGER) {
        ticketctl_revoke_redis_error(ctx, "WAIT", "unexpected reply");

    } else if (r->integer < a->replicas) {
        ticketctl_revoke_redis_error(ctx, "WAIT", "%lld of %ld replica%s "
                                     "acknowledged within %ld ms",
                                     (long long) r->integer, a->replicas,
                                     a->replicas == 1 ? "" : "s",
                                     a->wait_ms);

    } else {
        rc = TICKETCTL_OK;
    }

    freeReplyObject(r);

    return rc;
}


/* a decimal from 0 to max; -1 if not */

static long
ticketctl_revoke_number(const char *s, long max)
{
    long         n;
    const char  *p;

    n = 0;

    for (p = s; *p >= '0' && *p <= '9'; p++) {
        n = n * 10 + (*p - '0');

        if (n > max) {
            return -1;
        }
    }

    if (*p != '\0' || p == s) {
        return -1;
    }

    return n;
}


static int
ticketctl_revoke_auth(ticketctl_revoke_ctx_t *ctx, const char *username,
    const char *password, size_t len)
{
    /*
     * AUTH [USER] PASSWORD: the connection wipes the formatted command
     * once sent, so the password does not linger in its buffers.
     */

    int          argc;
    size_t       argvlen[3];
    const char  *argv[3];
    redisReply  *r;

    argc = 0;
    argv[argc] = "AUTH";
    argvlen[argc++] = 4;

    if (username != NULL) {
        argv[argc] = username;
        argvlen[argc++] = strlen(username);
    }

    argv[argc] = password;
    argvlen[argc++] = len;

    if (ticketctl_redis_append(ctx->c, argc, argv, argvlen) != REDIS_OK) {
        ticketctl_error("out of memory");
        return TICKETCTL_ERROR;
    }

    r = ticketctl_revoke_reply(ctx, "AUTH");

    if (ticketctl_revoke_ok(ctx, r, "AUTH") != 0) {
        return TICKETCTL_ERROR;
    }

    freeReplyObject(r);

    return TICKETCTL_OK;
}


static int
ticketctl_revoke_write(ticketctl_revoke_ctx_t *ctx,
    ticketctl_revoke_args_t *a, ticket_rev_list_t list)
{
    int           rc, i;
    char         *member, *shown;
    size_t        n;
    int64_t       now, value, pruned;
    redisReply   *result, *id;
    ticket_str_t  tenant, sub;

    now = (int64_t) time(NULL);
    value = now;
    member = NULL;
    result = NULL;
    shown = NULL;

    if (list == TICKET_REV_JTI
        && ticketctl_parse_time(a->exp, now, &value) != 0)
    {
        return ticketctl_usage_error("invalid --exp \"%s\"", a->exp);
    }

    /*
     * A jti with an exp in the past is a ticket gateways with the default
     * leeway refuse as expired already, or a wrong --exp: and Redis
     * prunes the row an hour after that exp, so a gateway started later
     * would never learn it.  A time ahead keeps the row (a gateway with a
     * longer ticket_leeway still accepting the ticket is served by it).
     * A ticket given whole says its own exp: that one is only noted.
     */

    if (list == TICKET_REV_JTI && a->ticket == NULL
        && value + TICKETCTL_REVOKE_LEEWAY < now)
    {
        return ticketctl_usage_error("--exp \"%s\" is in the past (more "
                                     "than the default 30s leeway): give the "
                                     "ticket's exp (ticketctl inspect shows "
                                     "it), or a time ahead such as +1h, which "
                                     "also covers a longer ticket_leeway",
                                     a->exp);
    }

    if (a->at != NULL && ticketctl_parse_time(a->at, now, &value) != 0) {
        return ticketctl_usage_error("invalid --at \"%s\"", a->at);
    }

    switch (list) {
    case TICKET_REV_JTI:
        member = strdup(a->jti);
        break;
    case TICKET_REV_SUB:
        tenant.data = a->tenant;
        tenant.len = a->tenant ? strlen(a->tenant) : 0;
        sub.data = a->sub;
        sub.len = strlen(a->sub);

        n = ticket_rev_sub_member(NULL, 0, &tenant, &sub);

        member = malloc(n + 1);
        if (member != NULL) {
            (void) ticket_rev_sub_member(member, n + 1, &tenant, &sub);
        }
        break;
    case TICKET_REV_SID:
        member = strdup(a->sid);
        break;
    case TICKET_REV_TENANT:
        member = strdup(a->tenant);
        break;
    default:
        member = strdup(a->kid);
        break;
    }

    if (member == NULL) {
        ticketctl_error("out of memory");
        return TICKETCTL_ERROR;
    }

    if (list == TICKET_REV_JTI
        && value + TICKETCTL_REVOKE_LEEWAY < now)
    {
        /* --ticket: its own exp */
        ticketctl_warn("the ticket expired at %lld: no gateway accepts it "
                       "anyway", (long long) value);
    }

    rc = TICKETCTL_ERROR;

    for (i = 0; i < TICKETCTL_REVOKE_RETRIES; i++) {
        rc = ticketctl_revoke_exec(ctx, list, member, &value, a, now,
                                   &result);
        if (rc != -1) {
            break;
        }
    }

    if (rc == -1) {
        ticketctl_revoke_redis_error(ctx, NULL, "the keys kept changing "
                                     "under %d transactions; nothing "
                                     "written", TICKETCTL_REVOKE_RETRIES);
        rc = TICKETCTL_ERROR;
    }

    if (rc != TICKETCTL_OK) {
        goto done;
    }

    /* EXEC's reply: ZREMRANGEBYSCORE, the change, XADD; checked */

    pruned = result->element[0]->integer;
    id = result->element[2];

    if (a->replicas > 0 && ticketctl_revoke_wait(ctx, a) != TICKETCTL_OK) {
        ticketctl_error("written to the primary (event %.*s), but not "
                        "known to be on %ld replica%s: a failover now could "
                        "lose it; write it again", (int) id->len, id->str,
                        a->replicas, a->replicas == 1 ? "" : "s");
        rc = TICKETCTL_ERROR;
        goto done;
    }

    shown = ticketctl_revoke_text(member, strlen(member), TICKETCTL_ESC_QUOTE);
    if (shown == NULL) {
        ticketctl_error("out of memory");
        rc = TICKETCTL_ERROR;
        goto done;
    }

    printf("revoked %s \"%s\"", ticket_rev_list_name(list), shown);

    if (list == TICKET_REV_JTI) {
        printf(" exp %lld", (long long) value);

    } else if (list != TICKET_REV_KID) {
        printf(" at %lld", (long long) value);
    }

    printf(" (event %.*s", (int) id->len, id->str);

    if (pruned > 0) {
        printf(", %lld expired jti pruned", (long long) pruned);
    }

    printf(")\n");

    if (fflush(stdout) != 0) {
        ticketctl_error("cannot write the result");
        rc = TICKETCTL_ERROR;
    }

done:

    free(shown);
    free(member);

    if (result != NULL) {
        freeReplyObject(result);
    }

    return rc;
}


static int
ticketctl_revoke_exec(ticketctl_revoke_ctx_t *ctx,
    ticket_rev_list_t list, const char *member, int64_t *value,
    ticketctl_revoke_args_t *a, int64_t now, redisReply **result)
{
    /* TICKETCTL_OK, TICKETCTL_ERROR (reported), -1: EXEC aborted, retry */

    int                  rc, argc, i, failed;
    char                *key, *jti_key, *events, val[TICKET_REV_VALUE_LEN];
    char                 horizon[24];
    size_t               k, n, lens[TICKET_REV_XADD_ARGS];
    const char          *actor, *argv[TICKET_REV_XADD_ARGS], *cmd;
    redisReply          *r, *e;
    ticket_str_t         key_str, events_str;
    ticket_str_t         fields[TICKET_REV_MAX_FIELDS];
    ticket_rev_entry_t   entry;

    rc = TICKETCTL_ERROR;
    r = NULL;

    key = ticketctl_revoke_key(ctx->prefix, list);
    jti_key = ticketctl_revoke_key(ctx->prefix, TICKET_REV_JTI);
    events = ticketctl_revoke_key(ctx->prefix, TICKETCTL_REVOKE_EVENTS);

    if (key == NULL || jti_key == NULL || events == NULL) {
        ticketctl_error("out of memory");
        goto done;
    }

    /* WATCH, TYPE checks and the stored cut-off; reports */

    if (ticketctl_revoke_prepare(ctx, list, member, value) != 0) {
        goto done;
    }

    /*
     * A jti matches nothing once its exp and the leeway are past; the
     * margin covers a ticketctl clock behind the gateways' and a
     * gateway configured with a larger leeway.  The real time, not --at.
     */

    snprintf(horizon, sizeof(horizon), "(%lld",
             (long long) (now - TICKETCTL_REVOKE_LEEWAY
                          - TICKETCTL_REVOKE_MARGIN));

    /* the stream entry, as the core encodes it; val its value's text */

    actor = a->actor;

    if (actor == NULL) {
        actor = getenv("USER");

        if (actor == NULL || actor[0] == '\0') {
            actor = "ticketctl";
        }
    }

    memset(&entry, 0, sizeof(ticket_rev_entry_t));
    entry.list = list;
    entry.member.data = member;
    entry.member.len = strlen(member);
    entry.value = (list == TICKET_REV_KID) ? 0 : *value;
    entry.reason.data = a->reason;
    entry.reason.len = a->reason ? strlen(a->reason) : 0;
    entry.actor.data = actor;
    entry.actor.len = strlen(actor);

    n = ticket_rev_encode_entry(&entry, fields, val);
    if (n == 0) {
        ticketctl_revoke_redis_error(ctx, NULL, "cannot encode the entry");
        goto done;
    }

    argv[0] = "MULTI";

    if (ticketctl_redis_append(ctx->c, 1, argv, NULL) != REDIS_OK) {
        goto oom;
    }

    argv[0] = "ZREMRANGEBYSCORE";
    argv[1] = jti_key;
    argv[2] = "-inf";
    argv[3] = horizon;

    if (ticketctl_redis_append(ctx->c, 4, argv, NULL) != REDIS_OK) {
        goto oom;
    }

    /* the commands as the gateway's writer sends them: core's */

    key_str.data = key;
    key_str.len = strlen(key);

    argc = (int) ticket_rev_add_command(&entry, &key_str, val, argv, lens);

    if (argc == 0) {
        /* not a list: the encoder refused it above already */
        ticketctl_revoke_redis_error(ctx, NULL, "cannot encode the entry");
        goto done;
    }

    if (ticketctl_redis_append(ctx->c, argc, argv, lens) != REDIS_OK) {
        goto oom;
    }

    events_str.data = events;
    events_str.len = strlen(events);

    argc = (int) ticket_rev_xadd_command(&events_str, fields, n, argv, lens);

    if (argc == 0) {
        ticketctl_revoke_redis_error(ctx, NULL, "cannot encode the entry");
        goto done;
    }

    if (ticketctl_redis_append(ctx->c, argc, argv, lens) != REDIS_OK) {
        goto oom;
    }

    argv[0] = "EXEC";

    if (ticketctl_redis_append(ctx->c, 1, argv, NULL) != REDIS_OK) {
        goto oom;
    }

    /*
     * Read all five replies whatever they say: the connection stays in
     * step.  The first error is the one reported; a command refused
     * while queued makes EXEC refuse the whole transaction.
     */

    failed = 0;

    for (i = 0; i < 5; i++) {
        cmd = (i == 0) ? "MULTI" : (i == 4) ? "EXEC" : "queue";

        r = ticketctl_revoke_reply(ctx, cmd);
        if (r == NULL) {
            goto done;
        }

        if (i == 4) {
            break;
        }

        if (failed || ticketctl_revoke_ok(ctx, r, cmd) != 0) {
            /* freed by ticketctl_revoke_ok(); only the first reported */
            if (failed) {
                freeReplyObject(r);
            }

            failed = 1;
            r = NULL;
            continue;
        }

        freeReplyObject(r);
        r = NULL;
    }

    if (failed) {
        goto done;
    }

    if (r->type == REDIS_REPLY_NIL) {
        /* a WATCHed key changed: nothing was written */
        rc = -1;
        goto done;
    }

    if (r->type == REDIS_REPLY_ERROR) {
        ticketctl_revoke_redis_error(ctx, "EXEC", "%.*s; nothing written",
                                     (int) r->len, r->str);
        goto done;
    }

    if (r->type != REDIS_REPLY_ARRAY || r->elements != 3) {
        ticketctl_revoke_redis_error(ctx, "EXEC", "unexpected reply");
        goto done;
    }

    for (k = 0; k < r->elements; k++) {
        e = r->element[k];

        if (e->type == REDIS_REPLY_ERROR) {
            /* the type checks make this rare (OOM): say what happened */
            ticketctl_revoke_redis_error(ctx, "EXEC", "%.*s (command %zu "
                                         "of 3 failed, the others applied)",
                                         (int) e->len, e->str, k + 1);
            goto done;
        }
    }

    if (r->element[0]->type != REDIS_REPLY_INTEGER
        || r->element[2]->type != REDIS_REPLY_STRING)
    {
        ticketctl_revoke_redis_error(ctx, "EXEC", "unexpected reply");
        goto done;
    }

    *result = r;
    r = NULL;
    rc = TICKETCTL_OK;

    goto done;

oom:

    ticketctl_revoke_redis_error(ctx, NULL, "out of memory");

done:

    if (r != NULL) {
        freeReplyObject(r);
    }

    free(key);
    free(jti_key);
    free(events);

    return rc;
}


static int
ticketctl_revoke_prepare(ticketctl_revoke_ctx_t *ctx,
    ticket_rev_list_t list, const char *member, int64_t *value)
{
    /*
     * WATCH the three keys the transaction writes and check their
     * types: Redis would run the other commands of a transaction in
     * which one hits WRONGTYPE, and gateways would follow an entry for
     * a change that never happened.
     */

    int          rc, i;
    char        *keys[3];
    int64_t      stored;
    const char  *argv[4], *want;
    redisReply  *r;

    rc = -1;
    r = NULL;

    keys[0] = ticketctl_revoke_key(ctx->prefix, list);
    keys[1] = ticketctl_revoke_key(ctx->prefix, TICKET_REV_JTI);
    keys[2] = ticketctl_revoke_key(ctx->prefix, TICKETCTL_REVOKE_EVENTS);

    if (keys[0] == NULL || keys[1] == NULL || keys[2] == NULL) {
        ticketctl_error("out of memory");
        goto done;
    }

    argv[0] = "WATCH";
    argv[1] = keys[0];
    argv[2] = keys[1];
    argv[3] = keys[2];

    r = ticketctl_revoke_command(ctx, 4, argv);

    if (ticketctl_revoke_ok(ctx, r, "WATCH") != 0) {
        r = NULL;
        goto done;
    }

    freeReplyObject(r);
    r = NULL;

    for (i = 0; i < 3; i++) {
        want = (i == 0) ? ticket_rev_list_info(list)->type
             : (i == 1) ? "zset" : "stream";

        argv[0] = "TYPE";
        argv[1] = keys[i];

        r = ticketctl_revoke_command(ctx, 2, argv);

        if (ticketctl_revoke_ok(ctx, r, "TYPE") != 0) {
            r = NULL;
            goto done;
        }

        if (r->type != REDIS_REPLY_STATUS) {
            ticketctl_revoke_redis_error(ctx, "TYPE", "unexpected reply");
            goto done;
        }

        if (strcmp(r->str, "none") != 0 && strcmp(r->str, want) != 0) {
            ticketctl_revoke_redis_error(ctx, NULL, "WRONGTYPE \"%s\" holds "
                                         "a %s, not a %s; nothing written",
                                         keys[i], r->str, want);
            goto done;
        }

        freeReplyObject(r);
        r = NULL;
    }

    if (ticket_rev_list_info(list)->type[0] == 'h') {

        /* a cut-off never moves back: that would un-revoke tickets */

        argv[0] = "HGET";
        argv[1] = keys[0];
        argv[2] = member;

        r = ticketctl_revoke_command(ctx, 3, argv);

        if (ticketctl_revoke_ok(ctx, r, "HGET") != 0) {
            r = NULL;
            goto done;
        }

        if (r->type == REDIS_REPLY_STRING
            && ticketctl_revoke_integer(r->str, r->len, &stored) == 0
            && stored > *value)
        {
            ticketctl_warn("%s already revoked up to %lld, later than "
                           "%lld: kept", ticket_rev_list_name(list),
                           (long long) stored, (long long) *value);
            *value = stored;
        }
    }

    rc = 0;

done:

    if (r != NULL) {
        freeReplyObject(r);
    }

    if (rc != 0 && ctx->c->errstr[0] == '\0') {
        /* a new command would run under the WATCH otherwise */
        argv[0] = "UNWATCH";
        r = ticketctl_revoke_command(ctx, 1, argv);

        if (r != NULL) {
            freeReplyObject(r);
        }
    }

    for (i = 0; i < 3; i++) {
        free(keys[i]);
    }

    return rc;
}


static int
ticketctl_revoke_list(ticketctl_revoke_ctx_t *ctx)
{
    int  i;

    if (ctx->json) {
        printf("{\n");
    }

    for (i = 0; i < TICKET_REV_LISTS; i++) {
        if (ticketctl_revoke_scan(ctx, i) != 0) {
            return TICKETCTL_ERROR;
        }
    }

    if (ticketctl_revoke_events(ctx) != 0) {
        return TICKETCTL_ERROR;
    }

    if (ctx->json) {
        printf("}\n");
    }

    if (fflush(stdout) != 0 || ferror(stdout)) {
        ticketctl_error("cannot write the list");
        return TICKETCTL_ERROR;
    }

    return TICKETCTL_OK;
}


static int
ticketctl_revoke_scan(ticketctl_revoke_ctx_t *ctx,
    ticket_rev_list_t list)
{
    /*
     * A cursor, never KEYS or one whole ZRANGE: Redis serves every
     * gateway meanwhile.  A row changed during the scan may show twice.
     */

    int                rc;
    char              *key, *cursor;
    size_t             i, step;
    const char        *argv[5], *scan;
    redisReply        *r;
    ticket_str_t       next;
    const redisReply  *rows;

    rc = -1;
    r = NULL;
    cursor = NULL;
    scan = ticket_rev_list_info(list)->scan;
    step = ticket_rev_scan_step(list);

    key = ticketctl_revoke_key(ctx->prefix, list);
    cursor = strdup("0");

    if (key == NULL || cursor == NULL) {
        ticketctl_error("out of memory");
        goto done;
    }

    if (ctx->json) {
        printf("  \"%s\": [", ticket_rev_list_name(list));
        ctx->rows = 0;
    }

    do {
        argv[0] = scan;
        argv[1] = key;
        argv[2] = cursor;
        argv[3] = "COUNT";
        argv[4] = TICKETCTL_REVOKE_SCAN;

        r = ticketctl_revoke_command(ctx, 5, argv);

        if (ticketctl_revoke_ok(ctx, r, scan) != 0) {
            r = NULL;
            goto done;
        }

        if (ticket_rev_reply_scan(r, list, SIZE_MAX, &next, &rows)
            != TICKET_REV_REPLY_OK)
        {
            ticketctl_revoke_redis_error(ctx, scan, "unexpected reply");
            goto done;
        }

        for (i = 0; i < rows->elements; i += step) {
            if (rows->element[i]->type != REDIS_REPLY_STRING
                || (step == 2
                    && rows->element[i + 1]->type != REDIS_REPLY_STRING))
            {
                ticketctl_revoke_redis_error(ctx, scan, "unexpected reply");
                goto done;
            }

            ticketctl_revoke_row(ctx, list, rows->element[i],
                                 step == 2 ? rows->element[i + 1] : NULL);
        }

        free(cursor);
        cursor = strndup(next.data, next.len);

        if (cursor == NULL) {
            ticketctl_error("out of memory");
            goto done;
        }

        freeReplyObject(r);
        r = NULL;

    } while (strcmp(cursor, "0") != 0);

    if (ctx->json) {
        printf("%s],\n", ctx->rows ? "\n  " : "");
    }

    rc = 0;

done:

    if (r != NULL) {
        freeReplyObject(r);
    }

    free(cursor);
    free(key);

    return rc;
}


static void
ticketctl_revoke_row(ticketctl_revoke_ctx_t *ctx,
    ticket_rev_list_t list, redisReply *member, redisReply *value)
{
    const char  *name;

    name = ticket_rev_list_info(list)->value;

    if (!ctx->json) {
        printf("%s  ", ticket_rev_list_name(list));
        ticketctl_revoke_put_text(member->str, member->len);

        if (value != NULL) {
            printf("  %s ", name);
            ticketctl_revoke_put_text(value->str, value->len);
        }

        putchar('\n');
        return;
    }

    printf("%s\n    ", ctx->rows++ ? "," : "");

    if (value == NULL) {
        ticketctl_revoke_put_json(member->str, member->len);
        return;
    }

    printf("{\"member\": ");
    ticketctl_revoke_put_json(member->str, member->len);
    printf(", \"%s\": ", name);
    ticketctl_revoke_put_number(value->str, value->len);
    putchar('}');
}


static int
ticketctl_revoke_events(ticketctl_revoke_ctx_t *ctx)
{
    int            rc;
    char          *key;
    const char    *argv[6];
    redisReply    *len, *last;
    ticket_str_t   id;

    rc = -1;
    len = NULL;
    last = NULL;

    key = ticketctl_revoke_key(ctx->prefix, TICKETCTL_REVOKE_EVENTS);
    if (key == NULL) {
        ticketctl_error("out of memory");
        return -1;
    }

    argv[0] = "XLEN";
    argv[1] = key;

    len = ticketctl_revoke_command(ctx, 2, argv);

    if (ticketctl_revoke_ok(ctx, len, "XLEN") != 0) {
        len = NULL;
        goto done;
    }

    argv[0] = "XREVRANGE";
    argv[1] = key;
    argv[2] = "+";
    argv[3] = "-";
    argv[4] = "COUNT";
    argv[5] = "1";

    last = ticketctl_revoke_command(ctx, 6, argv);

    if (ticketctl_revoke_ok(ctx, last, "XREVRANGE") != 0) {
        last = NULL;
        goto done;
    }

    if (len->type != REDIS_REPLY_INTEGER
        || ticket_rev_reply_range_id(last, &id) != TICKET_REV_REPLY_OK)
    {
        ticketctl_revoke_redis_error(ctx, "XREVRANGE", "unexpected reply");
        goto done;
    }

    if (ctx->json) {
        printf("  \"events\": {\"length\": %lld, \"last_id\": ",
               len->integer);

        if (id.data != NULL) {
            ticketctl_revoke_put_json(id.data, id.len);

        } else {
            printf("null");
        }

        printf("}\n");

    } else {
        printf("events  length %lld  last-id ", len->integer);

        if (id.data != NULL) {
            ticketctl_revoke_put_text(id.data, id.len);

        } else {
            putchar('-');
        }

        putchar('\n');
    }

    rc = 0;

done:

    if (len != NULL) {
        freeReplyObject(len);
    }

    if (last != NULL) {
        freeReplyObject(last);
    }

    free(key);

    return rc;
}


static redisReply *
ticketctl_revoke_command(ticketctl_revoke_ctx_t *ctx, int argc,
    const char **argv)
{
    /* NULL: reported */

    if (ticketctl_redis_append(ctx->c, argc, argv, NULL) != REDIS_OK) {
        ticketctl_revoke_redis_error(ctx, argv[0], "out of memory");
        return NULL;
    }

    return ticketctl_revoke_reply(ctx, argv[0]);
}


static redisReply *
ticketctl_revoke_reply(ticketctl_revoke_ctx_t *ctx, const char *what)
{
    /* NULL: the connection failed, reported */

    void  *reply;

    reply = NULL;

    if (ticketctl_redis_get_reply(ctx->c, &reply) != REDIS_OK
        || reply == NULL)
    {
        ticketctl_revoke_redis_error(ctx, what, "%s",
                                     ctx->c->errstr[0] ? ctx->c->errstr
                                                       : "no reply");

        if (reply != NULL) {
            freeReplyObject(reply);
        }

        return NULL;
    }

    return reply;
}


static int
ticketctl_revoke_ok(ticketctl_revoke_ctx_t *ctx, redisReply *r,
    const char *what)
{
    /*
     * 0: a reply that is not an error; else -1, reported, and the reply
     * freed.  AUTH and SELECT errors name the command, the others (as
     * NOAUTH or WRONGTYPE) speak for themselves.
     */

    if (r == NULL) {
        return -1;
    }

    if (r->type != REDIS_REPLY_ERROR) {
        return 0;
    }

    if (strcmp(what, "AUTH") == 0 || strcmp(what, "SELECT") == 0) {
        ticketctl_revoke_redis_error(ctx, what, "%.*s", (int) r->len,
                                     r->str);

    } else {
        ticketctl_revoke_redis_error(ctx, NULL, "%.*s", (int) r->len,
                                     r->str);
    }

    freeReplyObject(r);

    return -1;
}


static void
ticketctl_revoke_redis_error(ticketctl_revoke_ctx_t *ctx, const char *what,
    const char *fmt, ...)
{
    /* "redis ADDR: [WHAT: ]TEXT", one line whatever Redis said */

    int       n;
    char     *addr, *text, msg[1024];
    va_list   args;

    va_start(args, fmt);
    n = vsnprintf(msg, sizeof(msg), fmt, args);
    va_end(args);

    if (n < 0) {
        n = 0;
        msg[0] = '\0';

    } else if ((size_t) n >= sizeof(msg)) {
        n = sizeof(msg) - 1;
    }

    addr = ticketctl_revoke_text(ctx->addr, strlen(ctx->addr), 0);
    text = ticketctl_revoke_text(msg, n, 0);

    if (addr == NULL || text == NULL) {
        ticketctl_error("out of memory");

    } else {
        ticketctl_error("redis %s: %s%s%s", addr, what ? what : "",
                        what ? ": " : "", text);
    }

    free(addr);
    free(text);
}


static char *
ticketctl_revoke_key(const char *prefix, int list)
{
    /* the list's key, or the stream's for TICKETCTL_REVOKE_EVENTS */

    char    *key;
    size_t   size, plen;

    plen = strlen(prefix);

    size = (list == TICKETCTL_REVOKE_EVENTS)
           ? ticket_rev_events_key(NULL, 0, prefix, plen)
           : ticket_rev_key(NULL, 0, prefix, plen, list);

    key = malloc(size + 1);
    if (key == NULL) {
        return NULL;
    }

    if (list == TICKETCTL_REVOKE_EVENTS) {
        (void) ticket_rev_events_key(key, size + 1, prefix, plen);

    } else {
        (void) ticket_rev_key(key, size + 1, prefix, plen, list);
    }

    return key;
}


static int
ticketctl_revoke_integer(const char *s, size_t len, int64_t *out)
{
    /* an integer as Redis stores one: optional "-", digits, no more */

    size_t   i;
    int64_t  v;

    i = (len > 0 && s[0] == '-');

    if (len == i || len - i > 18) {
        return -1;
    }

    for (v = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return -1;
        }

        v = v * 10 + (s[i] - '0');
    }

    *out = (s[0] == '-') ? -v : v;

    return 0;
}


static char *
ticketctl_revoke_text(const char *s, size_t len, int flags)
{
    /*
     * A member or a Redis message for a terminal and for a line-based
     * reader: control bytes (C0, DEL, C1), bytes that are not UTF-8 and
     * as asked spaces become \xNN, a backslash \\ and as asked a quote
     * \", so a row stays one line and its fields stay apart.
     */

    char                 *out, *q;
    size_t                i, n, k;
    const unsigned char  *p;

    out = malloc(len * 4 + 1);
    if (out == NULL) {
        return NULL;
    }

    p = (const unsigned char *) s;
    q = out;

    for (i = 0; i < len; i += n) {
        n = ticket_utf8_len(p + i, len - i);

        if (n == 2 && p[i] == 0xc2 && p[i + 1] < 0xa0) {
            n = 0;   /* C1 controls */
        }

        if (n > 1) {
            for (k = 0; k < n; k++) {
                *q++ = p[i + k];
            }

            continue;
        }

        n = 1;

        if (p[i] == '\\'
            || (p[i] == '"' && (flags & TICKETCTL_ESC_QUOTE)))
        {
            *q++ = '\\';
            *q++ = p[i];

        } else if (p[i] < 0x20 || p[i] >= 0x7f
                   || (p[i] == ' ' && (flags & TICKETCTL_ESC_SPACE)))
        {
            q += sprintf(q, "\\x%02x", p[i]);

        } else {
            *q++ = p[i];
        }
    }

    *q = '\0';

    return out;
}


static void
ticketctl_revoke_put_text(const char *p, size_t len)
{
    char  *s;

    s = ticketctl_revoke_text(p, len, TICKETCTL_ESC_SPACE);

    if (s == NULL) {
        /* stdout's error flag makes the listing fail at its end */
        fputs("?", stdout);
        ticketctl_error("out of memory");
        return;
    }

    fputs(s, stdout);
    free(s);
}


static void
ticketctl_revoke_put_json(const char *s, size_t len)
{
    /* a JSON string by the one escaper (ticket_json.h) */

    char    *buf, *end;
    size_t   n;

    n = ticket_json_escape_len(s, len);

    buf = malloc(n ? n : 1);
    if (buf == NULL) {
        /* stdout's error flag makes the listing fail at its end */
        fputs("\"?\"", stdout);
        ticketctl_error("out of memory");
        return;
    }

    end = ticket_json_escape(buf, s, len);

    putchar('"');
    fwrite(buf, 1, (size_t) (end - buf), stdout);
    putchar('"');

    free(buf);
}


static void
ticketctl_revoke_put_number(const char *p, size_t len)
{
    /* a time as a JSON number; anything else some writer left, a string */

    int64_t  v;

    if (ticketctl_revoke_integer(p, len, &v) == 0) {
        printf("%lld", (long long) v);

    } else {
        ticketctl_revoke_put_json(p, len);
    }
}
