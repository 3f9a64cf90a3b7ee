
/*
 * ticketctl ssf: the Shared Signals side of the gateway for operators.
 *
 *   ticketctl ssf config --endpoint URL [--delivery push|poll]
 *       the stream configuration a transmitter needs (SSF 1.0: delivery
 *       method urn:ietf:rfc:8935 or urn:ietf:rfc:8936, endpoint_url,
 *       events_requested), as JSON on stdout
 *
 *   ticketctl ssf poll --url URL --keys JWKS --redis ADDR ...
 *       RFC 8936 poll delivery: POST {"ack":[...],"maxEvents":N,
 *       "returnImmediately":true}, verify each SET as the gateway's
 *       receiver does (core's ticket_signal_parse), write its rows as
 *       ticketctl revoke writes them (the same code: one MULTI/EXEC with
 *       the stream entry, reason the event type, actor ssf:ISSUER), and
 *       acknowledge only what was written; a SET that does not verify is
 *       answered in setErrs.  Until the transmitter has nothing more.
 *
 * HTTP/1.1 over a socket, TLS through OpenSSL (the system's CA store, or
 * --cacert); no other library.
 */

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "ticketctl.h"

#include <ticket_signal.h>


#define TICKETCTL_SSF_MAX_RESPONSE  (16 * 1024 * 1024)
#define TICKETCTL_SSF_TIMEOUT       10        /* seconds a read waits */
#define TICKETCTL_SSF_MAX_ROUNDS    100000


enum {
    TICKETCTL_SSF_URL = 256,
    TICKETCTL_SSF_KEYS,
    TICKETCTL_SSF_REDIS,
    TICKETCTL_SSF_PASSWORD_FILE,
    TICKETCTL_SSF_DB,
    TICKETCTL_SSF_PREFIX,
    TICKETCTL_SSF_ISS,
    TICKETCTL_SSF_AUD,
    TICKETCTL_SSF_TENANT,
    TICKETCTL_SSF_TOKEN_FILE,
    TICKETCTL_SSF_CACERT,
    TICKETCTL_SSF_MAX_EVENTS,
    TICKETCTL_SSF_ENDPOINT,
    TICKETCTL_SSF_DELIVERY,
    TICKETCTL_SSF_TLS_CA,
    TICKETCTL_SSF_TLS_CERT,
    TICKETCTL_SSF_TLS_KEY,
    TICKETCTL_SSF_TLS_NAME
};


typedef struct {
    const char             *url;
    const char             *keys;
    const char             *redis;
    const char             *password_file;
    const char             *tls[4];      /* --tls-ca, -cert, -key, -name */
    const char             *db;
    const char             *prefix;
    const char             *iss;
    const char             *aud;
    const char             *tenant;
    const char             *token_file;
    const char             *cacert;
    long                    max_events;
    char                   *token;
} ticketctl_ssf_args_t;


typedef struct {
    int                     status;
    char                   *body;
    size_t                  len;
} ticketctl_ssf_response_t;


static int ticketctl_ssf(int argc, char **argv);
static int ticketctl_ssf_config(int argc, char **argv);
static int ticketctl_ssf_poll(int argc, char **argv);
static int ticketctl_ssf_round(ticketctl_ssf_args_t *a,
    const ticket_keyset_t *ks, const ticket_policy_t *p, json_t *ack,
    json_t *errs, int *more, size_t *received);
static int ticketctl_ssf_apply(ticketctl_ssf_args_t *a,
    const ticket_signal_t *s);
static int ticketctl_ssf_post(ticketctl_ssf_args_t *a, const char *body,
    ticketctl_ssf_response_t *resp);
static int ticketctl_ssf_parse_response(char *raw, size_t len,
    ticketctl_ssf_response_t *resp);


static const char  *ticketctl_ssf_events[] = {
    "https://schemas.openid.net/secevent/caep/event-type/session-revoked",
    "https://schemas.openid.net/secevent/caep/event-type/credential-change",
    "https://schemas.openid.net/secevent/caep/event-type/token-claims-change",
    "https://schemas.openid.net/secevent/risc/event-type/account-disabled",
    "https://schemas.openid.net/secevent/risc/event-type/account-purged",
    "https://schemas.openid.net/secevent/risc/event-type/"
    "credential-compromise",
    "https://schemas.openid.net/secevent/risc/event-type/sessions-revoked",
    NULL
};


const ticketctl_cmd_t  ticketctl_ssf_cmd = {
    "ssf",
    ticketctl_ssf,
    "Shared Signals: a stream's configuration, or poll delivery into Redis",
    "ticketctl ssf config --endpoint URL [--delivery push|poll];"
    " ticketctl ssf poll --url URL --keys JWKS --redis ADDR [OPTION]...",

    "config: the stream configuration (SSF 1.0) a transmitter needs:\n"
    "  --endpoint URL       the gateway's ticket_ssf_receiver location\n"
    "                       (push), or where the transmitter polls (poll)\n"
    "  --delivery push|poll urn:ietf:rfc:8935 (default) or 8936\n"
    "\n"
    "poll: RFC 8936 poll delivery, each SET verified and written into\n"
    "Redis as the receiver writes it, acknowledged once written:\n"
    "  --url URL            the transmitter's poll endpoint (http, https)\n"
    "  --keys JWKS          the transmitter's signing keys\n"
    "  --iss ISS            the accepted issuer (else any)\n"
    "  --aud AUD            the accepted audience (else any)\n"
    "  --tenant T           the tenant of subject rows (TENANT/SUB)\n"
    "  --token-file F       a bearer token for the transmitter\n"
    "  --cacert F           CA certificates for https (else the system's)\n"
    "  --max-events N       maxEvents of a request (default 100)\n"
    "  --redis ADDR         as ticketctl revoke (--password-file, --db,\n"
    "                       --prefix, --tls-ca, --tls-cert, --tls-key,\n"
    "                       --tls-name too)\n"
};


static const struct option  ticketctl_ssf_long[] = {
    { "url",           required_argument, NULL, TICKETCTL_SSF_URL },
    { "keys",          required_argument, NULL, TICKETCTL_SSF_KEYS },
    { "redis",         required_argument, NULL, TICKETCTL_SSF_REDIS },
    { "password-file", required_argument, NULL,
      TICKETCTL_SSF_PASSWORD_FILE },
    { "db",            required_argument, NULL, TICKETCTL_SSF_DB },
    { "tls-ca",        required_argument, NULL, TICKETCTL_SSF_TLS_CA },
    { "tls-cert",      required_argument, NULL, TICKETCTL_SSF_TLS_CERT },
    { "tls-key",       required_argument, NULL, TICKETCTL_SSF_TLS_KEY },
    { "tls-name",      required_argument, NULL, TICKETCTL_SSF_TLS_NAME },
    { "prefix",        required_argument, NULL, TICKETCTL_SSF_PREFIX },
    { "iss",           required_argument, NULL, TICKETCTL_SSF_ISS },
    { "aud",           required_argument, NULL, TICKETCTL_SSF_AUD },
    { "tenant",        required_argument, NULL, TICKETCTL_SSF_TENANT },
    { "token-file",    required_argument, NULL, TICKETCTL_SSF_TOKEN_FILE },
    { "cacert",        required_argument, NULL, TICKETCTL_SSF_CACERT },
    { "max-events",    required_argument, NULL, TICKETCTL_SSF_MAX_EVENTS },
    { "endpoint",      required_argument, NULL, TICKETCTL_SSF_ENDPOINT },
    { "delivery",      required_argument, NULL, TICKETCTL_SSF_DELIVERY },
    { "help",          no_argument,       NULL, 'h' },
    { NULL, 0, NULL, 0 }
};


static int
ticketctl_ssf(int argc, char **argv)
{
    if (argc < 2) {
        return ticketctl_usage_error("config or poll?");
    }

    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        return ticketctl_help();
    }

    if (strcmp(argv[1], "config") == 0) {
        return ticketctl_ssf_config(argc - 1, argv + 1);
    }

    if (strcmp(argv[1], "poll") == 0) {
        return ticketctl_ssf_poll(argc - 1, argv + 1);
    }

    return ticketctl_usage_error("unknown ssf command \"%s\"", argv[1]);
}


static int
ticketctl_ssf_config(int argc, char **argv)
{
    int          c, i, poll;
    char        *text;
    json_t      *conf, *delivery, *events;
    const char  *endpoint, *method;

    endpoint = NULL;
    method = "push";
    opterr = 0;

    while ((c = getopt_long(argc, argv, ":h", ticketctl_ssf_long, NULL))
           != -1)
    {
        switch (c) {
        case TICKETCTL_SSF_ENDPOINT:
            endpoint = optarg;
            break;
        case TICKETCTL_SSF_DELIVERY:
            method = optarg;
            break;
        case 'h':
            return ticketctl_help();
        default:
            return ticketctl_getopt_error(c, argv);
        }
    }

    if (optind != argc) {
        return ticketctl_usage_error("unexpected \"%s\"", argv[optind]);
    }

    if (strcmp(method, "push") != 0 && strcmp(method, "poll") != 0) {
        return ticketctl_usage_error("--delivery is push or poll");
    }

    poll = (method[1] == 'o');

    if (endpoint == NULL && !poll) {
        return ticketctl_usage_error("--endpoint is required for push");
    }

    if (endpoint != NULL && strncmp(endpoint, "https://", 8) != 0
        && strncmp(endpoint, "http://", 7) != 0)
    {
        return ticketctl_usage_error("--endpoint is an http(s) URL");
    }

    conf = json_object();
    delivery = json_object();
    events = json_array();

    if (conf == NULL || delivery == NULL || events == NULL) {
        ticketctl_error("out of memory");
        return TICKETCTL_ERROR;
    }

    json_object_set_new(delivery, "method",
                        json_string(poll ? "urn:ietf:rfc:8936"
                                         : "urn:ietf:rfc:8935"));

    if (endpoint != NULL) {
        json_object_set_new(delivery, "endpoint_url", json_string(endpoint));
    }

    for (i = 0; ticketctl_ssf_events[i] != NULL; i++) {
        json_array_append_new(events, json_string(ticketctl_ssf_events[i]));
    }

    json_object_set_new(conf, "delivery", delivery);
    json_object_set_new(conf, "events_requested", events);
    json_object_set_new(conf, "description",
                        json_string("ngx_ticket_module: revocations fed "
                                    "by the identity provider"));

    text = json_dumps(conf, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(conf);

    if (text == NULL) {
        ticketctl_error("out of memory");
        return TICKETCTL_ERROR;
    }

    printf("%s\n", text);
    free(text);

    return fflush(stdout) == 0 ? TICKETCTL_OK : TICKETCTL_ERROR;
}


static int
ticketctl_ssf_poll(int argc, char **argv)
{
    int                    c, rc, more, rounds;
    char                   err[TICKET_ERRLEN], *end;
    size_t                 len, received, total;
    json_t                *ack, *errs;
    unsigned char         *buf;
    ticket_str_t           iss, aud;
    ticket_policy_t        p;
    ticket_keyset_t        ks;
    ticketctl_ssf_args_t   a;

    memset(&a, 0, sizeof(a));
    a.max_events = 100;
    opterr = 0;

    while ((c = getopt_long(argc, argv, ":h", ticketctl_ssf_long, NULL))
           != -1)
    {
        switch (c) {
        case TICKETCTL_SSF_URL: a.url = optarg; break;
        case TICKETCTL_SSF_KEYS: a.keys = optarg; break;
        case TICKETCTL_SSF_REDIS: a.redis = optarg; break;
        case TICKETCTL_SSF_PASSWORD_FILE: a.password_file = optarg; break;
        case TICKETCTL_SSF_TLS_CA:
        case TICKETCTL_SSF_TLS_CERT:
        case TICKETCTL_SSF_TLS_KEY:
        case TICKETCTL_SSF_TLS_NAME:
            a.tls[c - TICKETCTL_SSF_TLS_CA] = optarg;
            break;
        case TICKETCTL_SSF_DB: a.db = optarg; break;
        case TICKETCTL_SSF_PREFIX: a.prefix = optarg; break;
        case TICKETCTL_SSF_ISS: a.iss = optarg; break;
        case TICKETCTL_SSF_AUD: a.aud = optarg; break;
        case TICKETCTL_SSF_TENANT: a.tenant = optarg; break;
        case TICKETCTL_SSF_TOKEN_FILE: a.token_file = optarg; break;
        case TICKETCTL_SSF_CACERT: a.cacert = optarg; break;
        case TICKETCTL_SSF_MAX_EVENTS:
            errno = 0;
            a.max_events = strtol(optarg, &end, 10);
            if (errno || *end != '\0' || a.max_events < 1
                || a.max_events > 10000)
            {
                return ticketctl_usage_error("--max-events is 1 to 10000");
            }
            break;
        case 'h':
            return ticketctl_help();
        default:
            return ticketctl_getopt_error(c, argv);
        }
    }

    if (optind != argc) {
        return ticketctl_usage_error("unexpected \"%s\"", argv[optind]);
    }

    if (a.url == NULL || a.keys == NULL || a.redis == NULL) {
        return ticketctl_usage_error("--url, --keys and --redis are "
                                     "required");
    }

    if (strncmp(a.url, "http://", 7) != 0
        && strncmp(a.url, "https://", 8) != 0)
    {
        return ticketctl_usage_error("--url is an http(s) URL");
    }

    if (a.tenant != NULL && strchr(a.tenant, '/') != NULL) {
        return ticketctl_usage_error("--tenant holds no \"/\"");
    }

    if (a.token_file != NULL) {
        if (ticketctl_read_file(a.token_file, &buf, &len) != 0) {
            return TICKETCTL_ERROR;
        }

        len = ticketctl_strip_newlines(buf, len);
        buf[len] = '\0';

        if (len == 0 || strpbrk((char *) buf, "\r\n") != NULL) {
            free(buf);
            ticketctl_error("--token-file: not one line");
            return TICKETCTL_ERROR;
        }

        a.token = (char *) buf;
    }

    ticket_keyset_init(&ks);

    if (ticketctl_read_file(a.keys, &buf, &len) != 0) {
        free(a.token);
        return TICKETCTL_ERROR;
    }

    rc = ticket_keyset_add_jwks(&ks, buf, len, err, sizeof(err));
    ticketctl_free_secret(buf, len);

    if (rc != 0) {
        ticketctl_error("%s: %s", a.keys, err);
        free(a.token);
        return TICKETCTL_ERROR;
    }

    memset(&p, 0, sizeof(ticket_policy_t));
    p.leeway = 30;
    p.max_lifetime = 3600;

    if (a.iss != NULL) {
        iss.data = a.iss;
        iss.len = strlen(a.iss);
        p.issuers.values = &iss;
        p.issuers.n = 1;
    }

    if (a.aud != NULL) {
        aud.data = a.aud;
        aud.len = strlen(a.aud);
        p.audiences.values = &aud;
        p.audiences.n = 1;
    }

    ack = json_array();
    errs = json_object();

    if (ack == NULL || errs == NULL) {
        ticketctl_error("out of memory");
        rc = TICKETCTL_ERROR;
        goto done;
    }

    /* until a round brings nothing and has nothing to acknowledge */

    total = 0;
    rc = TICKETCTL_OK;

    for (rounds = 0; rounds < TICKETCTL_SSF_MAX_ROUNDS; rounds++) {
        more = 0;
        received = 0;

        rc = ticketctl_ssf_round(&a, &ks, &p, ack, errs, &more, &received);
        if (rc != TICKETCTL_OK) {
            break;
        }

        total += received;

        if (received == 0 && json_array_size(ack) == 0
            && json_object_size(errs) == 0 && !more)
        {
            break;
        }
    }

    if (rc == TICKETCTL_OK) {
        printf("%zu events polled\n", total);
    }

done:

    json_decref(ack);
    json_decref(errs);
    ticket_keyset_free(&ks);

    if (a.token != NULL) {
        ticketctl_free_secret(a.token, strlen(a.token));
    }

    return rc;
}


/*
 * One request: the acknowledgements and errors so far go out (and are
 * cleared once the transmitter took them), the SETs that come back are
 * verified and written; a written SET's jti joins ack, a refused one
 * errs.  A SET not written (Redis) stops the poll unacknowledged.
 */

static int
ticketctl_ssf_round(ticketctl_ssf_args_t *a, const ticket_keyset_t *ks,
    const ticket_policy_t *p, json_t *ack, json_t *errs, int *more,
    size_t *received)
{
    int                        rc;
    char                      *body;
    json_t                    *req, *res, *sets, *set, *e, *m;
    const char                *jti, *tok;
    ticket_str_t               tenant;
    ticket_signal_t            s;
    ticket_signal_err_t        err;
    ticketctl_ssf_response_t   resp;

    req = json_object();
    if (req == NULL) {
        return TICKETCTL_ERROR;
    }

    json_object_set(req, "ack", ack);

    if (json_object_size(errs) > 0) {
        json_object_set(req, "setErrs", errs);
    }

    json_object_set_new(req, "maxEvents", json_integer(a->max_events));
    json_object_set_new(req, "returnImmediately", json_true());

    body = json_dumps(req, JSON_COMPACT);
    json_decref(req);

    if (body == NULL) {
        ticketctl_error("out of memory");
        return TICKETCTL_ERROR;
    }

    memset(&resp, 0, sizeof(resp));

    rc = ticketctl_ssf_post(a, body, &resp);
    free(body);

    if (rc != TICKETCTL_OK) {
        return rc;
    }

    if (resp.status != 200) {
        ticketctl_error("%s: HTTP status %d", a->url, resp.status);
        free(resp.body);
        return TICKETCTL_ERROR;
    }

    /* the transmitter has them: acknowledged */

    json_array_clear(ack);
    json_object_clear(errs);

    res = json_loadb(resp.body, resp.len, JSON_REJECT_DUPLICATES, NULL);
    free(resp.body);

    if (res == NULL || !json_is_object(res)) {
        json_decref(res);
        ticketctl_error("%s: the response is not a JSON object", a->url);
        return TICKETCTL_ERROR;
    }

    m = json_object_get(res, "moreAvailable");
    *more = json_is_true(m);

    sets = json_object_get(res, "sets");

    if (sets != NULL && !json_is_object(sets)) {
        json_decref(res);
        ticketctl_error("%s: \"sets\" is not an object", a->url);
        return TICKETCTL_ERROR;
    }

    tenant.data = a->tenant;
    tenant.len = a->tenant ? strlen(a->tenant) : 0;

    rc = TICKETCTL_OK;

    json_object_foreach(sets, jti, set) {
        (*received)++;

        if (!json_is_string(set)) {
            e = json_pack("{s:s,s:s}", "err", "invalid_request",
                          "description", "not a SET");
            json_object_set_new(errs, jti, e);
            continue;
        }

        tok = json_string_value(set);

        err = ticket_signal_parse(&s, TICKET_SIGNAL_SET, tok,
                                  json_string_length(set), ks, p,
                                  a->tenant ? &tenant : NULL,
                                  (int64_t) time(NULL));

        if (err == TICKET_SIGNAL_OK
            && (s.ticket.jti.len != strlen(jti)
                || memcmp(s.ticket.jti.data, jti, s.ticket.jti.len) != 0))
        {
            err = TICKET_SIGNAL_INVALID_REQUEST;
            snprintf(s.why, sizeof(s.why), "the SET's jti is not its key");
        }

        if (err != TICKET_SIGNAL_OK) {
            fprintf(stderr, "ticketctl: ssf: SET \"%.64s\" refused: %s: "
                    "%s\n", jti, ticket_signal_err_name(err), s.why);
            e = json_pack("{s:s,s:s}", "err", ticket_signal_err_name(err),
                          "description", s.why);
            json_object_set_new(errs, jti, e);
            ticket_signal_free(&s);
            continue;
        }

        rc = ticketctl_ssf_apply(a, &s);
        ticket_signal_free(&s);

        if (rc != TICKETCTL_OK) {
            break;
        }

        json_array_append_new(ack, json_string(jti));
    }

    json_decref(res);

    if (rc != TICKETCTL_OK) {
        /* nothing more acknowledged: what was written is written */
        return rc;
    }

    return TICKETCTL_OK;
}


/* each row as ticketctl revoke writes it, by the same code */

static int
ticketctl_ssf_apply(ticketctl_ssf_args_t *a, const ticket_signal_t *s)
{
    int                           rc, argc;
    char                          at[24], *actor, *member, *reason;
    char                         *argv[32];
    size_t                        i, j;
    const ticket_signal_event_t  *ev;

    static const char            *tls_opt[4] = {
        "--tls-ca", "--tls-cert", "--tls-key", "--tls-name"
    };

    for (i = 0; i < s->nevents; i++) {
        ev = &s->events[i];

        if (ev->list == TICKET_REV_LISTS) {
            printf("recorded %s (no row)\n", ev->name);
            continue;
        }

        actor = malloc(s->ticket.iss.len + 5);
        reason = strndup(ev->uri.data, ev->uri.len);
        member = (ev->list == TICKET_REV_SID)
                 ? strndup(ev->sid.data, ev->sid.len)
                 : strndup(ev->sub.data, ev->sub.len);

        if (actor == NULL || reason == NULL || member == NULL) {
            free(actor);
            free(reason);
            free(member);
            ticketctl_error("out of memory");
            return TICKETCTL_ERROR;
        }

        memcpy(actor, "ssf:", 4);
        memcpy(actor + 4, s->ticket.iss.data, s->ticket.iss.len);
        actor[4 + s->ticket.iss.len] = '\0';

        snprintf(at, sizeof(at), "%lld", (long long) ev->cutoff);

        argc = 0;
        argv[argc++] = (char *) "revoke";
        argv[argc++] = (char *) "--redis";
        argv[argc++] = (char *) a->redis;

        if (a->password_file != NULL) {
            argv[argc++] = (char *) "--password-file";
            argv[argc++] = (char *) a->password_file;
        }

        for (j = 0; j < 4; j++) {
            if (a->tls[j] != NULL) {
                argv[argc++] = (char *) tls_opt[j];
                argv[argc++] = (char *) a->tls[j];
            }
        }

        if (a->db != NULL) {
            argv[argc++] = (char *) "--db";
            argv[argc++] = (char *) a->db;
        }

        if (a->prefix != NULL) {
            argv[argc++] = (char *) "--prefix";
            argv[argc++] = (char *) a->prefix;
        }

        if (ev->list == TICKET_REV_SID) {
            argv[argc++] = (char *) "--sid";
            argv[argc++] = member;

        } else {
            argv[argc++] = (char *) "--sub";
            argv[argc++] = member;

            if (a->tenant != NULL) {
                argv[argc++] = (char *) "--tenant";
                argv[argc++] = (char *) a->tenant;
            }
        }

        argv[argc++] = (char *) "--at";
        argv[argc++] = at;
        argv[argc++] = (char *) "--reason";
        argv[argc++] = reason;
        argv[argc++] = (char *) "--actor";
        argv[argc++] = actor;
        argv[argc] = NULL;

        /* getopt starts over for the revoke command's options */

        optind = 0;

        rc = ticketctl_revoke_cmd.run(argc, argv);

        free(actor);
        free(reason);
        free(member);

        if (rc != TICKETCTL_OK) {
            return rc;
        }
    }

    return TICKETCTL_OK;
}


/* ---- HTTP/1.1, one request a connection --------------------------------- */

static int
ticketctl_ssf_post(ticketctl_ssf_args_t *a, const char *body,
    ticketctl_ssf_response_t *resp)
{
    int              rc, tls, n, fd;
    char            *host, *path, *hostport, *req, *raw, *p;
    size_t           len, size, reqlen;
    BIO             *bio;
    SSL             *ssl;
    SSL_CTX         *ctx;
    struct timeval   tv;
    char            *port;
    const char      *u, *slash;

    rc = TICKETCTL_ERROR;
    bio = NULL;
    ctx = NULL;
    host = NULL;
    hostport = NULL;
    req = NULL;
    raw = NULL;

    tls = (strncmp(a->url, "https://", 8) == 0);
    u = a->url + (tls ? 8 : 7);

    slash = strchr(u, '/');
    len = slash ? (size_t) (slash - u) : strlen(u);
    path = (char *) (slash ? slash : "/");

    if (len == 0 || len > 255 || memchr(u, '@', len) != NULL) {
        ticketctl_error("--url: no usable host");
        return TICKETCTL_ERROR;
    }

    host = strndup(u, len);
    if (host == NULL) {
        goto oom;
    }

    port = NULL;

    if (host[0] != '[') {
        p = strrchr(host, ':');
        if (p != NULL) {
            port = p + 1;
        }
    }

    size = strlen(host) + 8;
    hostport = malloc(size);
    if (hostport == NULL) {
        goto oom;
    }

    snprintf(hostport, size, "%s%s", host,
             port ? "" : (tls ? ":443" : ":80"));

    if (tls) {
        ctx = SSL_CTX_new(TLS_client_method());
        if (ctx == NULL) {
            goto tls_error;
        }

        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);

        if (a->cacert != NULL) {
            if (SSL_CTX_load_verify_locations(ctx, a->cacert, NULL) != 1) {
                ticketctl_error("--cacert \"%s\": cannot load", a->cacert);
                goto done;
            }

        } else if (SSL_CTX_set_default_verify_paths(ctx) != 1) {
            goto tls_error;
        }

        bio = BIO_new_ssl_connect(ctx);
        if (bio == NULL) {
            goto tls_error;
        }

        BIO_get_ssl(bio, &ssl);

        if (port != NULL) {
            port[-1] = '\0';
        }

        if (SSL_set_tlsext_host_name(ssl, host) != 1
            || SSL_set1_host(ssl, host) != 1)
        {
            goto tls_error;
        }

        if (port != NULL) {
            port[-1] = ':';
        }

        BIO_set_conn_hostname(bio, hostport);

    } else {
        bio = BIO_new_connect(hostport);
        if (bio == NULL) {
            goto oom;
        }
    }

    if (BIO_do_connect(bio) <= 0) {
        ticketctl_error("%s: cannot connect", a->url);
        ERR_clear_error();
        goto done;
    }

    if (BIO_get_fd(bio, &fd) >= 0) {
        tv.tv_sec = TICKETCTL_SSF_TIMEOUT;
        tv.tv_usec = 0;
        (void) setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        (void) setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    }

    if (port != NULL) {
        port[-1] = '\0';
    }

    size = strlen(path) + strlen(host) + strlen(body) + 512
           + (a->token ? strlen(a->token) + 32 : 0);

    req = malloc(size);
    if (req == NULL) {
        goto oom;
    }

    n = snprintf(req, size,
                 "POST %s HTTP/1.1\r\n"
                 "Host: %s%s%s\r\n"
                 "Content-Type: application/json\r\n"
                 "Accept: application/json\r\n"
                 "User-Agent: ticketctl/" TICKETCTL_VERSION "\r\n"
                 "Connection: close\r\n"
                 "%s%s%s"
                 "Content-Length: %zu\r\n\r\n%s",
                 path, host, port ? ":" : "", port ? port : "",
                 a->token ? "Authorization: Bearer " : "",
                 a->token ? a->token : "", a->token ? "\r\n" : "",
                 strlen(body), body);

    if (n < 0 || (size_t) n >= size) {
        goto oom;
    }

    reqlen = (size_t) n;

    if (BIO_write(bio, req, (int) reqlen) != (int) reqlen) {
        ticketctl_error("%s: cannot send the request", a->url);
        goto done;
    }

    size = 65536;
    len = 0;

    raw = malloc(size + 1);
    if (raw == NULL) {
        goto oom;
    }

    for ( ;; ) {
        if (len == size) {
            if (size >= TICKETCTL_SSF_MAX_RESPONSE) {
                ticketctl_error("%s: response larger than %d bytes", a->url,
                                TICKETCTL_SSF_MAX_RESPONSE);
                goto done;
            }

            size *= 2;
            p = realloc(raw, size + 1);
            if (p == NULL) {
                goto oom;
            }

            raw = p;
        }

        n = BIO_read(bio, raw + len, (int) (size - len));

        if (n > 0) {
            len += (size_t) n;
            continue;
        }

        if (BIO_should_retry(bio)) {
            continue;
        }

        break;
    }

    raw[len] = '\0';

    if (ticketctl_ssf_parse_response(raw, len, resp) != 0) {
        ticketctl_error("%s: not an HTTP response", a->url);
        goto done;
    }

    rc = TICKETCTL_OK;
    goto done;

tls_error:

    ticketctl_error("%s: TLS: %s", a->url,
                    ERR_reason_error_string(ERR_get_error())
                    ? ERR_reason_error_string(ERR_get_error()) : "failed");
    goto done;

oom:

    ticketctl_error("out of memory");

done:

    ERR_clear_error();
    BIO_free_all(bio);
    SSL_CTX_free(ctx);
    free(host);
    free(hostport);
    free(req);
    free(raw);

    return rc;
}


/* status line, headers, and the body: Content-Length, chunked, or all */

static int
ticketctl_ssf_parse_response(char *raw, size_t len,
    ticketctl_ssf_response_t *resp)
{
    int            chunked;
    char          *hend, *line, *next, *body, *out, *end;
    size_t         blen, clen, n;
    unsigned long  chunk;

    if (len < 12 || strncmp(raw, "HTTP/1.", 7) != 0
        || raw[8] != ' ' || raw[9] < '1' || raw[9] > '5')
    {
        return -1;
    }

    resp->status = (raw[9] - '0') * 100 + (raw[10] - '0') * 10
                   + (raw[11] - '0');

    hend = strstr(raw, "\r\n\r\n");
    if (hend == NULL) {
        return -1;
    }

    body = hend + 4;
    blen = len - (size_t) (body - raw);
    chunked = 0;
    clen = (size_t) -1;

    for (line = strstr(raw, "\r\n") + 2; line < hend; line = next + 2) {
        next = strstr(line, "\r\n");

        if (strncasecmp(line, "Transfer-Encoding:", 18) == 0
            && strstr(line, "chunked") != NULL && strstr(line, "chunked")
               < next)
        {
            chunked = 1;

        } else if (strncasecmp(line, "Content-Length:", 15) == 0) {
            clen = strtoul(line + 15, NULL, 10);
        }
    }

    if (chunked) {
        out = body;
        end = raw + len;
        n = 0;

        for ( ;; ) {
            chunk = strtoul(body, &next, 16);

            if (next == body || next > end || chunk > (unsigned long) len) {
                return -1;
            }

            next = strstr(next, "\r\n");
            if (next == NULL) {
                return -1;
            }

            body = next + 2;

            if (chunk == 0) {
                break;
            }

            if ((size_t) (end - body) < chunk + 2) {
                return -1;
            }

            memmove(out + n, body, chunk);
            n += chunk;
            body += chunk + 2;
        }

        blen = n;
        body = out;

    } else if (clen != (size_t) -1) {
        if (clen > blen) {
            return -1;
        }

        blen = clen;
    }

    resp->body = malloc(blen + 1);
    if (resp->body == NULL) {
        return -1;
    }

    memcpy(resp->body, body, blen);
    resp->body[blen] = '\0';
    resp->len = blen;

    return 0;
}
