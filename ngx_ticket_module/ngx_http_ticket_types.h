
/*
 * ngx_ticket_module: the types the glue files share, and nothing else:
 * configurations, the decision record, the metrics block.  Every file
 * includes this and the headers of the files it calls; no header
 * declares everything.
 */

#ifndef _NGX_HTTP_TICKET_TYPES_H_INCLUDED_
#define _NGX_HTTP_TICKET_TYPES_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <ticket.h>


#define NGX_HTTP_TICKET_OFF           0

#define NGX_HTTP_TICKET_ENFORCE       0
#define NGX_HTTP_TICKET_AUDIT         1

#define NGX_HTTP_TICKET_PREFLIGHT_CHECK  0
#define NGX_HTTP_TICKET_PREFLIGHT_PASS   1

#define NGX_HTTP_TICKET_SRC_HEADER    0
#define NGX_HTTP_TICKET_SRC_COOKIE    1
#define NGX_HTTP_TICKET_SRC_ARG       2

#define NGX_HTTP_TICKET_NONE          0  /* not checked */
#define NGX_HTTP_TICKET_ALLOW         1
#define NGX_HTTP_TICKET_DENY          2
#define NGX_HTTP_TICKET_AUDITED       3  /* would deny; audit mode let it */

#define NGX_HTTP_TICKET_MAX_KEY_FILE  (1024 * 1024)

#define NGX_HTTP_TICKET_FAIL_CLOSED   0
#define NGX_HTTP_TICKET_FAIL_OPEN     1


typedef struct {
    ngx_uint_t                  type;
    ngx_str_t                   name;
    ngx_str_t                   lowcase;
    ngx_uint_t                  hash;
    unsigned                    bearer:1;   /* header:Authorization */
} ngx_http_ticket_source_t;


typedef struct {
    ngx_str_t                   name;
    ngx_str_t                   lowcase;
    ngx_uint_t                  hash;
    ngx_str_t                   claim;      /* dotted claim path */
    ngx_int_t                   standard;   /* offset of a typed claim in
                                               ticket_t, or -1 */
} ngx_http_ticket_header_t;


typedef struct {
    ngx_array_t                 forwarded;   /* every ticket_set_header
                                                name, lowercase, "_" as
                                                "-": stripped everywhere */

    /*
     * As limit_req keeps its zone: the pointer lives in the configuration
     * of the cycle a worker runs, never one a failed reload configured.
     */
    ngx_shm_zone_t             *cache_zone;   /* NULL: no "ticket" scope */
    ngx_shm_zone_t             *metrics_zone; /* NULL: no ticket_status */

    ngx_str_t                   audit_gateway; /* unset: the host name
                                                  (audit_init) */
    ngx_shm_zone_t             *alert_zone;   /* NULL: no ticket_alert */
    ngx_shm_zone_t             *audit_zone;   /* NULL: no audit file */

    unsigned                    checks:1;     /* some scope sets "ticket" */
} ngx_http_ticket_main_conf_t;


#define NGX_HTTP_TICKET_ALERT_OVER    0  /* ticket_alert over_privilege */
#define NGX_HTTP_TICKET_ALERT_SHARED  1  /* ticket_alert shared_ticket */
#define NGX_HTTP_TICKET_ALERT_RULES   2


typedef struct {
    ngx_uint_t                  n;           /* 0: off */
    time_t                      window;      /* seconds */
    unsigned                    revoke:1;
} ngx_http_ticket_alert_rule_t;


typedef struct {
    ngx_open_file_t            *file;        /* NULL: syslog */
    ngx_syslog_peer_t          *syslog;
} ngx_http_ticket_audit_log_t;


/* counters for ticket_status, in a shared zone: every worker adds */

typedef struct {
    ngx_atomic_t                requests[4][TICKET_REASON_MAX];
    ngx_atomic_t                audit_records;
    ngx_atomic_t                audit_dropped;
    ngx_atomic_t                cache_hits;
    ngx_atomic_t                cache_misses;
    ngx_atomic_t                alerts[NGX_HTTP_TICKET_ALERT_RULES];
    ngx_atomic_t                alert_revokes_failed[
                                    NGX_HTTP_TICKET_ALERT_RULES];
} ngx_http_ticket_metrics_t;


/* ticket_kind_claim PATH [VALUE=KIND ...] [*=KIND] [default=KIND] */

typedef struct {
    ngx_str_t                   path;
    ticket_kind_map_t          *map;
    size_t                      nmap;
    unsigned                    other;       /* "*": 0 none */
    unsigned                    dflt;        /* "default": 0 none */
} ngx_http_ticket_kind_claim_t;


/* ticket_jti_claim PATH [optional] */

typedef struct {
    ngx_str_t                   path;
    ngx_uint_t                  optional;
} ngx_http_ticket_jti_claim_t;


/* ticket_ssf_receiver, ticket_backchannel_logout [tenant=T] */

typedef struct {
    ngx_uint_t                  kind;        /* TICKET_SIGNAL_SET, _LOGOUT */
    ngx_str_t                   tenant;      /* empty: none */
    ngx_str_t                   file;        /* where it was set */
    ngx_uint_t                  line;
} ngx_http_ticket_signal_conf_t;


typedef struct {
    ngx_uint_t                  kinds;       /* 0: off, TICKET_KIND_* */
    ngx_str_t                   kinds_file;  /* where "ticket" was set */
    ngx_uint_t                  kinds_line;

    ticket_keyset_t            *keyset;
    void                       *keysrc;      /* a key service: the
                                                keyset is its */
    void                       *keys_both;   /* a key service and key
                                                files: the keyset is
                                                both, rebuilt per change */
    ngx_array_t                *sources;     /* ngx_http_ticket_source_t */
    ngx_array_t                *issuers;     /* ngx_str_t */
    ngx_array_t                *audiences;   /* ngx_str_t */
    ngx_array_t                *role_reqs;   /* ngx_array_t of ngx_str_t */
    ngx_array_t                *claim_reqs;  /* ticket_claim_req_t */
    ngx_array_t                *privileged;  /* ngx_str_t */
    ngx_array_t                *set_headers; /* ngx_http_ticket_header_t */

    time_t                      leeway;
    time_t                      max_lifetime;
    ngx_str_t                   roles_claim;
    ngx_http_ticket_kind_claim_t *kind_claim; /* NULL: "kind" as it is */
    ngx_http_ticket_jti_claim_t  *jti_claim;  /* NULL: "jti" required */
    ngx_uint_t                  mode;
    ngx_uint_t                  preflight;
    ngx_str_t                   realm;

    ngx_http_ticket_signal_conf_t *signal;   /* NULL: not a receiver */

    ngx_http_ticket_audit_log_t *audit_log;  /* NULL: off */
    ngx_uint_t                  audit_events;
    ngx_uint_t                  audit_format; /* TICKET_AUDIT_FORMAT_* */
    ngx_http_ticket_alert_rule_t alerts[NGX_HTTP_TICKET_ALERT_RULES];
    unsigned                    alerts_set:1;

    /* built at merge time from the above */
    ticket_str_t               *required;    /* "kind:user", "role:a|b" */
    size_t                      nrequired;
    ticket_policy_t             policy;
    ngx_str_t                   parse_key;   /* every setting that shapes
                                                a parsed ticket: the cache
                                                shares entries only where
                                                it is the same */
    ngx_str_t                   www_missing;
    ngx_str_t                   www_invalid;
    ngx_str_t                   www_scope;
} ngx_http_ticket_loc_conf_t;


typedef struct ngx_http_ticket_ctx_s  ngx_http_ticket_ctx_t;

struct ngx_http_ticket_ctx_s {
    ngx_http_ticket_loc_conf_t *conf;        /* the scope that decided */
    ticket_t                    ticket;
    ngx_str_t                   token;
    ticket_reason_t             reason;
    ngx_uint_t                  decision;
    unsigned                    parsed:1;    /* ticket holds claims */
    unsigned                    preflight:1; /* passed unchecked */
    unsigned                    refused:1;   /* the access phase refused:
                                                stands in error pages */
    unsigned                    admitted:1;  /* refused, but satisfy any
                                                let another module admit */
    unsigned                    cookie:1;    /* the ticket came in a
                                                cookie: never revoked by
                                                an alert */
    void                      **refused_loc; /* r->loc_conf it refused in */
    u_char                      token_fp[TICKET_AUDIT_FP_LEN + 1];
                                             /* the audit fingerprint: from
                                                the cache, or hashed for
                                                the first record; "" unknown */

    /* the most severe decision of scopes an internal redirect left,
     * kept for the audit record */
    ngx_http_ticket_ctx_t      *earlier;
};


/* ngx_http_ticket_revocation_module's */

typedef struct {
    ngx_str_t                   name;      /* as configured, for logs */
    ngx_addr_t                  addr;      /* resolved at load, or unix: */
    ngx_str_t                   tls_name;  /* the host: SNI, certificate;
                                              NUL-terminated */
} ngx_http_ticket_redis_addr_t;


typedef struct {
    ngx_array_t                *addrs;   /* ngx_http_ticket_redis_addr_t */
    ngx_str_t                   username;
    ngx_str_t                   password;
    ngx_int_t                   db;
    ngx_str_t                   prefix;
    ngx_msec_t                  timeout;
    ngx_ssl_t                  *ssl;     /* NULL: plain text */
    ngx_str_t                   tls_name;   /* else each address's host */
    ngx_str_t                   sentinel;   /* master name: the addrs are
                                               Sentinels */
} ngx_http_ticket_redis_conf_t;


typedef struct {
    ngx_http_ticket_redis_conf_t  redis;    /* addrs NULL: no ticket_redis */
    ngx_uint_t                  fail;
    ngx_msec_t                  max_stale;
    size_t                      shm_size;
    ngx_shm_zone_t             *shm_zone;
    time_t                      max_leeway;
    time_t                      max_lifetime;
} ngx_http_ticket_rev_main_conf_t;


typedef struct {
    ngx_flag_t                  enabled;
} ngx_http_ticket_rev_loc_conf_t;


extern ngx_module_t  ngx_http_ticket_module;
extern ngx_module_t  ngx_http_ticket_revocation_module;


#endif /* _NGX_HTTP_TICKET_TYPES_H_INCLUDED_ */
