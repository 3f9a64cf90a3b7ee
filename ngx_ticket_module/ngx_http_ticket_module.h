
/*
 * ngx_ticket_module: nginx glue shared by the module's files.
 */

#ifndef _NGX_HTTP_TICKET_MODULE_H_INCLUDED_
#define _NGX_HTTP_TICKET_MODULE_H_INCLUDED_


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
} ngx_http_ticket_main_conf_t;


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
} ngx_http_ticket_metrics_t;


typedef struct {
    ngx_uint_t                  kinds;       /* 0: off, TICKET_KIND_* */
    ngx_str_t                   kinds_file;  /* where "ticket" was set */
    ngx_uint_t                  kinds_line;

    ticket_keyset_t            *keyset;
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
    ngx_uint_t                  mode;
    ngx_uint_t                  preflight;
    ngx_str_t                   realm;

    ngx_http_ticket_audit_log_t *audit_log;  /* NULL: off */
    ngx_uint_t                  audit_events;

    /* built at merge time from the above */
    ticket_str_t               *required;    /* "kind:user", "role:a|b" */
    size_t                      nrequired;
    ticket_policy_t             policy;
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

    /* the most severe decision of scopes an internal redirect left,
     * kept for the audit record */
    ngx_http_ticket_ctx_t      *earlier;
};


extern ngx_module_t  ngx_http_ticket_module;
extern ngx_http_ticket_metrics_t  *ngx_http_ticket_metrics;


ngx_http_ticket_ctx_t *ngx_http_ticket_get_ctx(ngx_http_request_t *r);
ngx_uint_t ngx_http_ticket_trusted(ngx_http_ticket_ctx_t *ctx);
ngx_http_ticket_ctx_t *ngx_http_ticket_evaluate(ngx_http_request_t *r,
    ngx_http_ticket_loc_conf_t *tlcf);
ngx_int_t ngx_http_ticket_value(ngx_pool_t *pool, json_t *value,
    ngx_str_t *text);
ngx_int_t ngx_http_ticket_safe_str(ngx_pool_t *pool, const char *data,
    size_t len, ngx_str_t *text);

char *ngx_http_ticket_keys(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
char *ngx_http_ticket_key(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);

ngx_int_t ngx_http_ticket_add_variables(ngx_conf_t *cf);

char *ngx_http_ticket_audit_log(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_ticket_audit_events(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
ngx_int_t ngx_http_ticket_audit_init(ngx_conf_t *cf);
ngx_int_t ngx_http_ticket_audit_required(ngx_conf_t *cf,
    ngx_http_ticket_loc_conf_t *conf);
void ngx_http_ticket_audit_exit(ngx_cycle_t *cycle);

char *ngx_http_ticket_status(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
ngx_shm_zone_t *ngx_http_ticket_shm_zone(ngx_cycle_t *cycle,
    ngx_str_t *name);
ngx_int_t ngx_http_ticket_metrics_init(ngx_conf_t *cf);
void ngx_http_ticket_metrics_process(ngx_cycle_t *cycle);

ngx_int_t ngx_http_ticket_cache_init(ngx_conf_t *cf);
void ngx_http_ticket_cache_process(ngx_cycle_t *cycle);
ngx_int_t ngx_http_ticket_cache_get(ngx_http_request_t *r,
    ngx_http_ticket_loc_conf_t *tlcf, ngx_str_t *token, ticket_t *t,
    ticket_reason_t *reason);
void ngx_http_ticket_cache_put(ngx_http_request_t *r,
    ngx_http_ticket_loc_conf_t *tlcf, ngx_str_t *token, ticket_t *t);


#endif /* _NGX_HTTP_TICKET_MODULE_H_INCLUDED_ */
