
/*
 * ngx_ticket_module: the top of the module.  Its directives, its
 * configuration (created, merged, the policy built from it) and the
 * handlers it installs; the work is done by the satellites:
 *
 *   ngx_http_ticket_access.c      the check in the access phase
 *   ngx_http_ticket_decision.c    the decision record, kept across redirects
 *   ngx_http_ticket_forward.c     forwarded claims
 *   ngx_http_ticket_text.c        a claim's text, a source's name
 *   ngx_http_ticket_keys.c        key directives
 *   ngx_http_ticket_cache.c       the verified-ticket cache
 *   ngx_http_ticket_variables.c   $ticket_*
 *   ngx_http_ticket_audit.c       the audit trail, in the log phase
 *   ngx_http_ticket_status.c      ticket_status and its counters
 *   ngx_http_ticket_preflight.c   ticket_preflight pass
 *   ngx_http_ticket_alert.c       ticket_alert: detection, revoke
 *   ngx_http_ticket_signal.c      the signal receivers (SSF, logout)
 *   ngx_http_ticket_revocation_write.c  revocations the gateway writes
 *
 * They never call back into this file.  The revocation lists and the key
 * service are modules of their own (ngx_http_ticket_revocation.c,
 * ngx_http_ticket_keys_url.c).
 */


#include "ngx_http_ticket_types.h"
#include "ngx_http_ticket_access.h"
#include "ngx_http_ticket_audit.h"
#include "ngx_http_ticket_alert.h"
#include "ngx_http_ticket_cache.h"
#include "ngx_http_ticket_decision.h"
#include "ngx_http_ticket_keys.h"
#include "ngx_http_ticket_revocation.h"
#include "ngx_http_ticket_status.h"
#include "ngx_http_ticket_signal.h"
#include "ngx_http_ticket_revocation_write.h"
#include "ngx_http_ticket_variables.h"

#include <ticket_audit.h>


static ngx_int_t ngx_http_ticket_standard_claim(ngx_str_t *name);

static char *ngx_http_ticket(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
static char *ngx_http_ticket_token(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_ticket_str_list(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_ticket_require_role(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_ticket_require_claim(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
static char *ngx_http_ticket_set_header(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_ticket_kind_claim(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static ngx_int_t ngx_http_ticket_kind_value(ngx_str_t *s, unsigned *kind);
static char *ngx_http_ticket_jti_claim(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static ngx_int_t ngx_http_ticket_parse_key(ngx_conf_t *cf,
    ngx_http_ticket_loc_conf_t *conf);
static char *ngx_http_ticket_check_path(ngx_conf_t *cf, void *post,
    void *data);
static char *ngx_http_ticket_check_realm(ngx_conf_t *cf, void *post,
    void *data);
static char *ngx_http_ticket_check_lifetime(ngx_conf_t *cf, void *post,
    void *data);
static char *ngx_http_ticket_check_leeway(ngx_conf_t *cf, void *post,
    void *data);
static ngx_int_t ngx_http_ticket_header_name(ngx_conf_t *cf, ngx_str_t *name,
    ngx_str_t *lowcase, ngx_uint_t *hash);

static void *ngx_http_ticket_create_main_conf(ngx_conf_t *cf);
static void *ngx_http_ticket_create_loc_conf(ngx_conf_t *cf);
static char *ngx_http_ticket_merge_loc_conf(ngx_conf_t *cf, void *parent,
    void *child);
static ngx_int_t ngx_http_ticket_build_policy(ngx_conf_t *cf,
    ngx_http_ticket_loc_conf_t *conf);
static ngx_int_t ngx_http_ticket_strlist(ngx_conf_t *cf, ngx_array_t *a,
    ticket_strlist_t *list);
static ngx_int_t ngx_http_ticket_www_auth(ngx_conf_t *cf, ngx_str_t *realm,
    const char *error, ngx_str_t *out);
static ngx_int_t ngx_http_ticket_init(ngx_conf_t *cf);
static ngx_int_t ngx_http_ticket_init_process(ngx_cycle_t *cycle);
static void ngx_http_ticket_exit_process(ngx_cycle_t *cycle);


static ngx_conf_enum_t  ngx_http_ticket_audit_formats[] = {
    { ngx_string("json"), TICKET_AUDIT_FORMAT_JSON },
    { ngx_string("ecs"), TICKET_AUDIT_FORMAT_ECS },
    { ngx_string("ocsf"), TICKET_AUDIT_FORMAT_OCSF },
    { ngx_null_string, 0 }
};


static ngx_conf_enum_t  ngx_http_ticket_kinds[] = {
    { ngx_string("off"), NGX_HTTP_TICKET_OFF },
    { ngx_string("user"), TICKET_KIND_USER },
    { ngx_string("service"), TICKET_KIND_SERVICE },
    { ngx_string("any"), TICKET_KIND_ANY },
    { ngx_null_string, 0 }
};


static ngx_conf_enum_t  ngx_http_ticket_modes[] = {
    { ngx_string("enforce"), NGX_HTTP_TICKET_ENFORCE },
    { ngx_string("audit"), NGX_HTTP_TICKET_AUDIT },
    { ngx_null_string, 0 }
};


static ngx_conf_enum_t  ngx_http_ticket_preflights[] = {
    { ngx_string("check"), NGX_HTTP_TICKET_PREFLIGHT_CHECK },
    { ngx_string("pass"), NGX_HTTP_TICKET_PREFLIGHT_PASS },
    { ngx_null_string, 0 }
};


static ngx_conf_post_t  ngx_http_ticket_path_post =
    { ngx_http_ticket_check_path };

static ngx_conf_post_t  ngx_http_ticket_realm_post =
    { ngx_http_ticket_check_realm };

static ngx_conf_post_t  ngx_http_ticket_lifetime_post =
    { ngx_http_ticket_check_lifetime };

static ngx_conf_post_t  ngx_http_ticket_leeway_post =
    { ngx_http_ticket_check_leeway };


#define NGX_HTTP_TICKET_CONF                                                  \
    (NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF)


static ngx_command_t  ngx_http_ticket_commands[] = {

    { ngx_string("ticket"),
      NGX_HTTP_TICKET_CONF|NGX_CONF_TAKE1,
      ngx_http_ticket,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("ticket_keys"),
      NGX_HTTP_TICKET_CONF|NGX_CONF_TAKE123,
      ngx_http_ticket_keys,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("ticket_key"),
      NGX_HTTP_TICKET_CONF|NGX_CONF_TAKE3|NGX_CONF_TAKE4,
      ngx_http_ticket_key,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("ticket_token"),
      NGX_HTTP_TICKET_CONF|NGX_CONF_1MORE,
      ngx_http_ticket_token,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("ticket_issuer"),
      NGX_HTTP_TICKET_CONF|NGX_CONF_1MORE,
      ngx_http_ticket_str_list,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_ticket_loc_conf_t, issuers),
      NULL },

    { ngx_string("ticket_audience"),
      NGX_HTTP_TICKET_CONF|NGX_CONF_1MORE,
      ngx_http_ticket_str_list,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_ticket_loc_conf_t, audiences),
      NULL },

    { ngx_string("ticket_leeway"),
      NGX_HTTP_TICKET_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_sec_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_ticket_loc_conf_t, leeway),
      &ngx_http_ticket_leeway_post },

    { ngx_string("ticket_max_lifetime"),
      NGX_HTTP_TICKET_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_sec_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_ticket_loc_conf_t, max_lifetime),
      &ngx_http_ticket_lifetime_post },

    { ngx_string("ticket_require_role"),
      NGX_HTTP_TICKET_CONF|NGX_CONF_1MORE,
      ngx_http_ticket_require_role,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("ticket_require_claim"),
      NGX_HTTP_TICKET_CONF|NGX_CONF_2MORE,
      ngx_http_ticket_require_claim,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("ticket_roles_claim"),
      NGX_HTTP_TICKET_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_ticket_loc_conf_t, roles_claim),
      &ngx_http_ticket_path_post },

    { ngx_string("ticket_kind_claim"),
      NGX_HTTP_TICKET_CONF|NGX_CONF_1MORE,
      ngx_http_ticket_kind_claim,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("ticket_jti_claim"),
      NGX_HTTP_TICKET_CONF|NGX_CONF_TAKE12,
      ngx_http_ticket_jti_claim,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("ticket_privileged_roles"),
      NGX_HTTP_TICKET_CONF|NGX_CONF_1MORE,
      ngx_http_ticket_str_list,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_ticket_loc_conf_t, privileged),
      NULL },

    { ngx_string("ticket_mode"),
      NGX_HTTP_TICKET_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_enum_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_ticket_loc_conf_t, mode),
      &ngx_http_ticket_modes },

    { ngx_string("ticket_set_header"),
      NGX_HTTP_TICKET_CONF|NGX_CONF_TAKE2,
      ngx_http_ticket_set_header,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("ticket_preflight"),
      NGX_HTTP_TICKET_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_enum_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_ticket_loc_conf_t, preflight),
      &ngx_http_ticket_preflights },

    { ngx_string("ticket_audit_log"),
      NGX_HTTP_TICKET_CONF|NGX_CONF_TAKE1,
      ngx_http_ticket_audit_log,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("ticket_audit_events"),
      NGX_HTTP_TICKET_CONF|NGX_CONF_1MORE,
      ngx_http_ticket_audit_events,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("ticket_audit_format"),
      NGX_HTTP_TICKET_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_enum_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_ticket_loc_conf_t, audit_format),
      &ngx_http_ticket_audit_formats },

    { ngx_string("ticket_alert"),
      NGX_HTTP_TICKET_CONF|NGX_CONF_TAKE23,
      ngx_http_ticket_alert,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("ticket_audit_gateway"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_http_ticket_audit_gateway,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("ticket_status"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_ticket_status,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("ticket_ssf_receiver"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS|NGX_CONF_TAKE1,
      ngx_http_ticket_signal_receiver,
      NGX_HTTP_LOC_CONF_OFFSET,
      TICKET_SIGNAL_SET,
      NULL },

    { ngx_string("ticket_backchannel_logout"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS|NGX_CONF_TAKE1,
      ngx_http_ticket_signal_receiver,
      NGX_HTTP_LOC_CONF_OFFSET,
      TICKET_SIGNAL_LOGOUT,
      NULL },

    { ngx_string("ticket_realm"),
      NGX_HTTP_TICKET_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_ticket_loc_conf_t, realm),
      &ngx_http_ticket_realm_post },

      ngx_null_command
};


static ngx_http_module_t  ngx_http_ticket_module_ctx = {
    ngx_http_ticket_add_variables,         /* preconfiguration */
    ngx_http_ticket_init,                  /* postconfiguration */

    ngx_http_ticket_create_main_conf,      /* create main configuration */
    NULL,                                  /* init main configuration */

    NULL,                                  /* create server configuration */
    NULL,                                  /* merge server configuration */

    ngx_http_ticket_create_loc_conf,       /* create location configuration */
    ngx_http_ticket_merge_loc_conf         /* merge location configuration */
};


ngx_module_t  ngx_http_ticket_module = {
    NGX_MODULE_V1,
    &ngx_http_ticket_module_ctx,           /* module context */
    ngx_http_ticket_commands,              /* module directives */
    NGX_HTTP_MODULE,                       /* module type */
    NULL,                                  /* init master */
    ngx_http_ticket_audit_init_module,     /* init module */
    ngx_http_ticket_init_process,          /* init process */
    NULL,                                  /* init thread */
    NULL,                                  /* exit thread */
    ngx_http_ticket_exit_process,          /* exit process */
    NULL,                                  /* exit master */
    NGX_MODULE_V1_PADDING
};


static ngx_str_t  ngx_http_ticket_authorization = ngx_string("Authorization");


/* configuration */


/* sub, kind, jti, iss, tenant, sid: read typed, without JSON */

static ngx_int_t
ngx_http_ticket_standard_claim(ngx_str_t *name)
{
    static struct {
        const char  *name;
        size_t       offset;
    } claims[] = {
        { "sub", offsetof(ticket_t, sub) },
        { "kind", offsetof(ticket_t, kind_name) },
        { "jti", offsetof(ticket_t, jti) },
        { "iss", offsetof(ticket_t, iss) },
        { "tenant", offsetof(ticket_t, tenant) },
        { "sid", offsetof(ticket_t, sid) },
        { NULL, 0 }
    };

    ngx_uint_t  i;

    for (i = 0; claims[i].name; i++) {
        if (name->len == ngx_strlen(claims[i].name)
            && ngx_strncmp(name->data, claims[i].name, name->len) == 0)
        {
            return (ngx_int_t) claims[i].offset;
        }
    }

    return -1;
}


static char *
ngx_http_ticket(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_ticket_loc_conf_t *tlcf = conf;

    ngx_str_t                    *value;
    ngx_conf_enum_t              *e;
    ngx_http_ticket_main_conf_t  *tmcf;

    if (tlcf->kinds != NGX_CONF_UNSET_UINT) {
        return "is duplicate";
    }

    value = cf->args->elts;

    for (e = ngx_http_ticket_kinds; e->name.len; e++) {
        if (e->name.len == value[1].len
            && ngx_strcmp(e->name.data, value[1].data) == 0)
        {
            tlcf->kinds = e->value;

            if (e->value != NGX_HTTP_TICKET_OFF) {
                tmcf = ngx_http_conf_get_module_main_conf(cf,
                                                    ngx_http_ticket_module);
                tmcf->checks = 1;
            }

            /* merge reports "no key" against this line, not http's end */
            tlcf->kinds_file = cf->conf_file->file.name;
            tlcf->kinds_line = cf->conf_file->line;

            return NGX_CONF_OK;
        }
    }

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "invalid value \"%V\", it must be \"off\", \"user\", "
                       "\"service\" or \"any\"", &value[1]);

    return NGX_CONF_ERROR;
}


static char *
ngx_http_ticket_token(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_ticket_loc_conf_t *tlcf = conf;

    ngx_str_t                 *value, v;
    ngx_uint_t                 i;
    ngx_http_ticket_source_t  *src;

    if (tlcf->sources != NGX_CONF_UNSET_PTR) {
        return "is duplicate";
    }

    tlcf->sources = ngx_array_create(cf->pool, cf->args->nelts - 1,
                                     sizeof(ngx_http_ticket_source_t));
    if (tlcf->sources == NULL) {
        return NGX_CONF_ERROR;
    }

    value = cf->args->elts;

    for (i = 1; i < cf->args->nelts; i++) {

        src = ngx_array_push(tlcf->sources);
        if (src == NULL) {
            return NGX_CONF_ERROR;
        }

        ngx_memzero(src, sizeof(ngx_http_ticket_source_t));

        v = value[i];

        if (v.len > 7 && ngx_strncmp(v.data, "header:", 7) == 0) {
            src->type = NGX_HTTP_TICKET_SRC_HEADER;
            src->name.data = v.data + 7;
            src->name.len = v.len - 7;

            if (ngx_http_ticket_header_name(cf, &src->name, &src->lowcase,
                                            &src->hash)
                != NGX_OK)
            {
                return NGX_CONF_ERROR;
            }

            src->bearer = (src->name.len == 13
                           && ngx_strcmp(src->lowcase.data, "authorization")
                              == 0);

        } else if (v.len > 7 && ngx_strncmp(v.data, "cookie:", 7) == 0) {
            src->type = NGX_HTTP_TICKET_SRC_COOKIE;
            src->name.data = v.data + 7;
            src->name.len = v.len - 7;

        } else if (v.len > 4 && ngx_strncmp(v.data, "arg:", 4) == 0) {
            src->type = NGX_HTTP_TICKET_SRC_ARG;
            src->name.data = v.data + 4;
            src->name.len = v.len - 4;

        } else {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid parameter \"%V\", it must be "
                               "\"header:NAME\", \"cookie:NAME\" or "
                               "\"arg:NAME\"", &v);
            return NGX_CONF_ERROR;
        }
    }

    return NGX_CONF_OK;
}


static char *
ngx_http_ticket_str_list(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    char  *p = conf;

    ngx_str_t     *value, *s;
    ngx_uint_t     i;
    ngx_array_t  **a;

    a = (ngx_array_t **) (p + cmd->offset);

    if (*a != NGX_CONF_UNSET_PTR) {
        return "is duplicate";
    }

    *a = ngx_array_create(cf->pool, cf->args->nelts - 1, sizeof(ngx_str_t));
    if (*a == NULL) {
        return NGX_CONF_ERROR;
    }

    value = cf->args->elts;

    for (i = 1; i < cf->args->nelts; i++) {

        if (value[i].len == 0) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "empty value in \"%V\"", &cmd->name);
            return NGX_CONF_ERROR;
        }

        s = ngx_array_push(*a);
        if (s == NULL) {
            return NGX_CONF_ERROR;
        }

        *s = value[i];
    }

    return NGX_CONF_OK;
}


static char *
ngx_http_ticket_require_role(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_ticket_loc_conf_t *tlcf = conf;

    ngx_str_t    *value, *s;
    ngx_uint_t    i;
    ngx_array_t  *line;

    if (tlcf->role_reqs == NGX_CONF_UNSET_PTR) {
        tlcf->role_reqs = ngx_array_create(cf->pool, 2, sizeof(ngx_array_t));
        if (tlcf->role_reqs == NULL) {
            return NGX_CONF_ERROR;
        }
    }

    line = ngx_array_push(tlcf->role_reqs);
    if (line == NULL) {
        return NGX_CONF_ERROR;
    }

    if (ngx_array_init(line, cf->pool, cf->args->nelts - 1, sizeof(ngx_str_t))
        != NGX_OK)
    {
        return NGX_CONF_ERROR;
    }

    value = cf->args->elts;

    for (i = 1; i < cf->args->nelts; i++) {

        if (value[i].len == 0) {
            return "has an empty role";
        }

        s = ngx_array_push(line);
        if (s == NULL) {
            return NGX_CONF_ERROR;
        }

        *s = value[i];
    }

    return NGX_CONF_OK;
}


static char *
ngx_http_ticket_require_claim(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_ticket_loc_conf_t *tlcf = conf;

    char                *rv;
    ngx_str_t           *value;
    ngx_uint_t           i;
    ticket_claim_req_t  *req;

    value = cf->args->elts;

    rv = ngx_http_ticket_check_path(cf, NULL, &value[1]);
    if (rv != NGX_CONF_OK) {
        return rv;
    }

    if (tlcf->claim_reqs == NGX_CONF_UNSET_PTR) {
        tlcf->claim_reqs = ngx_array_create(cf->pool, 2,
                                            sizeof(ticket_claim_req_t));
        if (tlcf->claim_reqs == NULL) {
            return NGX_CONF_ERROR;
        }
    }

    req = ngx_array_push(tlcf->claim_reqs);
    if (req == NULL) {
        return NGX_CONF_ERROR;
    }

    req->name.data = (const char *) value[1].data;
    req->name.len = value[1].len;
    req->values.n = cf->args->nelts - 2;
    req->values.values = ngx_palloc(cf->pool,
                                    req->values.n * sizeof(ticket_str_t));
    if (req->values.values == NULL) {
        return NGX_CONF_ERROR;
    }

    for (i = 2; i < cf->args->nelts; i++) {
        req->values.values[i - 2].data = (const char *) value[i].data;
        req->values.values[i - 2].len = value[i].len;
    }

    return NGX_CONF_OK;
}


static char *
ngx_http_ticket_set_header(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_ticket_loc_conf_t *tlcf = conf;

    char                         *rv;
    ngx_str_t                    *value, *fwd;
    ngx_uint_t                    i;
    ngx_http_ticket_header_t     *sh;
    ngx_http_ticket_main_conf_t  *tmcf;

    static char  *reserved[] = {
        "host", "content-length", "content-type", "transfer-encoding",
        "connection", "upgrade", "te", "expect", "keep-alive",
        "authorization", "cookie", "ticket-decision", "ticket_decision",
        NULL
    };

    value = cf->args->elts;

    if (tlcf->set_headers == NGX_CONF_UNSET_PTR) {
        tlcf->set_headers = ngx_array_create(cf->pool, 2,
                                             sizeof(ngx_http_ticket_header_t));
        if (tlcf->set_headers == NULL) {
            return NGX_CONF_ERROR;
        }
    }

    sh = ngx_array_push(tlcf->set_headers);
    if (sh == NULL) {
        return NGX_CONF_ERROR;
    }

    sh->name = value[1];

    if (ngx_http_ticket_header_name(cf, &sh->name, &sh->lowcase, &sh->hash)
        != NGX_OK)
    {
        return NGX_CONF_ERROR;
    }

    for (i = 0; reserved[i]; i++) {
        if (ngx_strcmp(sh->lowcase.data, reserved[i]) == 0) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "header \"%V\" cannot carry a claim",
                               &value[1]);
            return NGX_CONF_ERROR;
        }
    }

    rv = ngx_http_ticket_check_path(cf, NULL, &value[2]);
    if (rv != NGX_CONF_OK) {
        return rv;
    }

    /* stripped from every request, whichever scope forwards it */

    tmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_ticket_module);

    if (tmcf->forwarded.nelts == 0) {
        /* the decision header goes with forwarded claims */

        fwd = ngx_array_push(&tmcf->forwarded);
        if (fwd == NULL) {
            return NGX_CONF_ERROR;
        }

        ngx_str_set(fwd, "ticket-decision");
    }

    fwd = tmcf->forwarded.elts;

    for (i = 0; i < tmcf->forwarded.nelts; i++) {
        if (fwd[i].len == sh->lowcase.len
            && ngx_strncmp(fwd[i].data, sh->lowcase.data, fwd[i].len) == 0)
        {
            break;
        }
    }

    if (i == tmcf->forwarded.nelts) {
        fwd = ngx_array_push(&tmcf->forwarded);
        if (fwd == NULL) {
            return NGX_CONF_ERROR;
        }

        fwd->len = sh->lowcase.len;
        fwd->data = ngx_pnalloc(cf->pool, fwd->len);
        if (fwd->data == NULL) {
            return NGX_CONF_ERROR;
        }

        for (i = 0; i < fwd->len; i++) {
            fwd->data[i] = (sh->lowcase.data[i] == '_')
                           ? '-' : sh->lowcase.data[i];
        }
    }

    sh->claim = value[2];
    sh->standard = ngx_http_ticket_standard_claim(&sh->claim);

    return NGX_CONF_OK;
}


static ngx_int_t
ngx_http_ticket_header_name(ngx_conf_t *cf, ngx_str_t *name,
    ngx_str_t *lowcase, ngx_uint_t *hash)
{
    u_char      c;
    ngx_uint_t  i;

    if (name->len == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "empty header name");
        return NGX_ERROR;
    }

    lowcase->data = ngx_pnalloc(cf->pool, name->len + 1);
    if (lowcase->data == NULL) {
        return NGX_ERROR;
    }

    lowcase->len = name->len;

    for (i = 0; i < name->len; i++) {
        c = name->data[i];

        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
              || (c >= '0' && c <= '9') || c == '-' || c == '_'))
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid header name \"%V\"", name);
            return NGX_ERROR;
        }

        lowcase->data[i] = ngx_tolower(c);
    }

    lowcase->data[name->len] = '\0';

    *hash = ngx_hash_key(lowcase->data, lowcase->len);

    return NGX_OK;
}


/*
 * ticket_kind_claim PATH [VALUE=KIND ...] [*=KIND] [default=KIND]: where
 * the kind comes from.  A VALUE may itself hold "=": the last "=" splits.
 */

static char *
ngx_http_ticket_kind_claim(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_ticket_loc_conf_t *tlcf = conf;

    char                          *rv;
    u_char                        *eq;
    unsigned                       kind;
    ngx_str_t                     *value, v, k;
    ngx_uint_t                     i, j;
    ngx_http_ticket_kind_claim_t  *kc;

    if (tlcf->kind_claim != NGX_CONF_UNSET_PTR) {
        return "is duplicate";
    }

    value = cf->args->elts;

    rv = ngx_http_ticket_check_path(cf, NULL, &value[1]);
    if (rv != NGX_CONF_OK) {
        return rv;
    }

    kc = ngx_pcalloc(cf->pool, sizeof(ngx_http_ticket_kind_claim_t));
    if (kc == NULL) {
        return NGX_CONF_ERROR;
    }

    kc->path = value[1];

    kc->map = ngx_pcalloc(cf->pool,
                          cf->args->nelts * sizeof(ticket_kind_map_t));
    if (kc->map == NULL) {
        return NGX_CONF_ERROR;
    }

    for (i = 2; i < cf->args->nelts; i++) {
        eq = NULL;

        for (j = value[i].len; j > 0; j--) {
            if (value[i].data[j - 1] == '=') {
                eq = &value[i].data[j - 1];
                break;
            }
        }

        if (eq == NULL || eq == value[i].data) {
            goto invalid;
        }

        v.data = value[i].data;
        v.len = eq - value[i].data;
        k.data = eq + 1;
        k.len = value[i].data + value[i].len - k.data;

        if (ngx_http_ticket_kind_value(&k, &kind) != NGX_OK) {
            goto invalid;
        }

        if (v.len == 1 && v.data[0] == '*') {
            if (kc->other) {
                goto duplicate;
            }

            kc->other = kind;
            continue;
        }

        if (v.len == 7 && ngx_strncmp(v.data, "default", 7) == 0) {
            if (kc->dflt) {
                goto duplicate;
            }

            kc->dflt = kind;
            continue;
        }

        for (j = 0; j < kc->nmap; j++) {
            if (kc->map[j].value.len == v.len
                && ngx_memcmp(kc->map[j].value.data, v.data, v.len) == 0)
            {
                goto duplicate;
            }
        }

        kc->map[kc->nmap].value.data = (const char *) v.data;
        kc->map[kc->nmap].value.len = v.len;
        kc->map[kc->nmap].kind = kind;
        kc->nmap++;
    }

    /* no VALUE=KIND: the claim's own "user" and "service" (the map has
     * room: at least as many entries as arguments, two) */

    if (kc->nmap == 0) {
        kc->map[0].value.data = "user";
        kc->map[0].value.len = 4;
        kc->map[0].kind = TICKET_KIND_USER;
        kc->map[1].value.data = "service";
        kc->map[1].value.len = 7;
        kc->map[1].kind = TICKET_KIND_SERVICE;

        kc->nmap = 2;
    }

    tlcf->kind_claim = kc;

    return NGX_CONF_OK;

invalid:

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "invalid parameter \"%V\": "
                       "VALUE=user or VALUE=service expected", &value[i]);
    return NGX_CONF_ERROR;

duplicate:

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "duplicate parameter \"%V\"",
                       &value[i]);
    return NGX_CONF_ERROR;
}


static ngx_int_t
ngx_http_ticket_kind_value(ngx_str_t *s, unsigned *kind)
{
    if (s->len == 4 && ngx_strncmp(s->data, "user", 4) == 0) {
        *kind = TICKET_KIND_USER;
        return NGX_OK;
    }

    if (s->len == 7 && ngx_strncmp(s->data, "service", 7) == 0) {
        *kind = TICKET_KIND_SERVICE;
        return NGX_OK;
    }

    return NGX_ERROR;
}


/* ticket_jti_claim PATH [optional] */

static char *
ngx_http_ticket_jti_claim(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_ticket_loc_conf_t *tlcf = conf;

    char                         *rv;
    ngx_str_t                    *value;
    ngx_http_ticket_jti_claim_t  *jc;

    if (tlcf->jti_claim != NGX_CONF_UNSET_PTR) {
        return "is duplicate";
    }

    value = cf->args->elts;

    rv = ngx_http_ticket_check_path(cf, NULL, &value[1]);
    if (rv != NGX_CONF_OK) {
        return rv;
    }

    jc = ngx_pcalloc(cf->pool, sizeof(ngx_http_ticket_jti_claim_t));
    if (jc == NULL) {
        return NGX_CONF_ERROR;
    }

    jc->path = value[1];

    if (cf->args->nelts == 3) {
        if (value[2].len != 8
            || ngx_strncmp(value[2].data, "optional", 8) != 0)
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid parameter \"%V\"", &value[2]);
            return NGX_CONF_ERROR;
        }

        jc->optional = 1;
    }

    tlcf->jti_claim = jc;

    return NGX_CONF_OK;
}


static char *
ngx_http_ticket_check_path(ngx_conf_t *cf, void *post, void *data)
{
    ngx_str_t  *path = data;

    u_char      c;
    ngx_uint_t  i;

    if (path->len == 0 || path->data[0] == '.'
        || path->data[path->len - 1] == '.')
    {
        goto invalid;
    }

    for (i = 0; i < path->len; i++) {
        c = path->data[i];

        if (c <= 0x20 || c == 0x7f || (c == '.' && path->data[i + 1] == '.'))
        {
            goto invalid;
        }
    }

    return NGX_CONF_OK;

invalid:

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "invalid claim path \"%V\"",
                       path);

    return NGX_CONF_ERROR;
}


static char *
ngx_http_ticket_check_realm(ngx_conf_t *cf, void *post, void *data)
{
    ngx_str_t  *realm = data;

    u_char      c;
    ngx_uint_t  i;

    for (i = 0; i < realm->len; i++) {
        c = realm->data[i];

        if (c < 0x20 || c == 0x7f || c == '"' || c == '\\') {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid realm \"%V\": no quotes, "
                               "backslashes or control characters", realm);
            return NGX_CONF_ERROR;
        }
    }

    return NGX_CONF_OK;
}


static char *
ngx_http_ticket_check_lifetime(ngx_conf_t *cf, void *post, void *data)
{
    time_t  *sec = data;

    if (*sec <= 0) {
        return "must be more than 0";
    }

    /* a ticket is short-lived by design; bounded, the pruning sums of
     * cut-off, lifetime and leeway cannot overflow */

    if (*sec > 366 * 86400) {
        return "must be at most 366d";
    }

    return NGX_CONF_OK;
}


static char *
ngx_http_ticket_check_leeway(ngx_conf_t *cf, void *post, void *data)
{
    time_t  *sec = data;

    if (*sec > 86400) {
        return "must be at most 1d";
    }

    return NGX_CONF_OK;
}


static void *
ngx_http_ticket_create_main_conf(ngx_conf_t *cf)
{
    ngx_http_ticket_main_conf_t  *tmcf;

    tmcf = ngx_pcalloc(cf->pool, sizeof(ngx_http_ticket_main_conf_t));
    if (tmcf == NULL) {
        return NULL;
    }

    if (ngx_array_init(&tmcf->forwarded, cf->pool, 4, sizeof(ngx_str_t))
        != NGX_OK)
    {
        return NULL;
    }

    return tmcf;
}


static void *
ngx_http_ticket_create_loc_conf(ngx_conf_t *cf)
{
    ngx_http_ticket_loc_conf_t  *conf;

    conf = ngx_pcalloc(cf->pool, sizeof(ngx_http_ticket_loc_conf_t));
    if (conf == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     conf->keyset = NULL;
     *     conf->roles_claim = { 0, NULL };
     *     conf->realm = { 0, NULL };
     *     conf->policy = { 0 };
     */

    conf->kinds = NGX_CONF_UNSET_UINT;
    conf->sources = NGX_CONF_UNSET_PTR;
    conf->issuers = NGX_CONF_UNSET_PTR;
    conf->audiences = NGX_CONF_UNSET_PTR;
    conf->role_reqs = NGX_CONF_UNSET_PTR;
    conf->claim_reqs = NGX_CONF_UNSET_PTR;
    conf->privileged = NGX_CONF_UNSET_PTR;
    conf->set_headers = NGX_CONF_UNSET_PTR;
    conf->kind_claim = NGX_CONF_UNSET_PTR;
    conf->jti_claim = NGX_CONF_UNSET_PTR;
    conf->leeway = NGX_CONF_UNSET;
    conf->max_lifetime = NGX_CONF_UNSET;
    conf->mode = NGX_CONF_UNSET_UINT;
    conf->preflight = NGX_CONF_UNSET_UINT;
    conf->audit_log = NGX_CONF_UNSET_PTR;
    conf->audit_events = NGX_CONF_UNSET_UINT;
    conf->audit_format = NGX_CONF_UNSET_UINT;

    return conf;
}


static char *
ngx_http_ticket_merge_loc_conf(ngx_conf_t *cf, void *parent, void *child)
{
    ngx_http_ticket_loc_conf_t *prev = parent;
    ngx_http_ticket_loc_conf_t *conf = child;

    ngx_http_ticket_source_t         *src;
    ngx_http_ticket_rev_main_conf_t  *rmcf;

    if (conf->kinds == NGX_CONF_UNSET_UINT) {
        conf->kinds = prev->kinds;
        conf->kinds_file = prev->kinds_file;
        conf->kinds_line = prev->kinds_line;
    }

    ngx_conf_merge_uint_value(conf->kinds, prev->kinds, NGX_HTTP_TICKET_OFF);

    if (conf->keyset == NULL) {
        conf->keyset = prev->keyset;
        conf->keysrc = prev->keysrc;
        conf->keys_both = prev->keys_both;
    }

    if (conf->sources == NGX_CONF_UNSET_PTR) {
        conf->sources = prev->sources;
    }

    if (conf->sources == NGX_CONF_UNSET_PTR) {
        conf->sources = ngx_array_create(cf->pool, 1,
                                         sizeof(ngx_http_ticket_source_t));
        if (conf->sources == NULL) {
            return NGX_CONF_ERROR;
        }

        src = ngx_array_push(conf->sources);
        if (src == NULL) {
            return NGX_CONF_ERROR;
        }

        ngx_memzero(src, sizeof(ngx_http_ticket_source_t));
        src->type = NGX_HTTP_TICKET_SRC_HEADER;
        src->name = ngx_http_ticket_authorization;
        ngx_str_set(&src->lowcase, "authorization");
        src->hash = ngx_hash_key(src->lowcase.data, src->lowcase.len);
        src->bearer = 1;
    }

    ngx_conf_merge_ptr_value(conf->issuers, prev->issuers, NULL);
    ngx_conf_merge_ptr_value(conf->audiences, prev->audiences, NULL);
    ngx_conf_merge_ptr_value(conf->role_reqs, prev->role_reqs, NULL);
    ngx_conf_merge_ptr_value(conf->claim_reqs, prev->claim_reqs, NULL);
    ngx_conf_merge_ptr_value(conf->privileged, prev->privileged, NULL);
    ngx_conf_merge_ptr_value(conf->set_headers, prev->set_headers, NULL);

    ngx_conf_merge_sec_value(conf->leeway, prev->leeway, 30);
    ngx_conf_merge_sec_value(conf->max_lifetime, prev->max_lifetime, 3600);

    ngx_http_ticket_revocation_note_times(cf, conf->leeway,
                                          conf->max_lifetime);
    ngx_conf_merge_str_value(conf->roles_claim, prev->roles_claim, "roles");
    ngx_conf_merge_ptr_value(conf->kind_claim, prev->kind_claim, NULL);
    ngx_conf_merge_ptr_value(conf->jti_claim, prev->jti_claim, NULL);
    ngx_conf_merge_uint_value(conf->mode, prev->mode,
                              NGX_HTTP_TICKET_ENFORCE);
    ngx_conf_merge_uint_value(conf->preflight, prev->preflight,
                              NGX_HTTP_TICKET_PREFLIGHT_CHECK);
    ngx_conf_merge_str_value(conf->realm, prev->realm, "ticket");
    ngx_conf_merge_ptr_value(conf->audit_log, prev->audit_log, NULL);
    if (!conf->alerts_set) {
        ngx_memcpy(conf->alerts, prev->alerts, sizeof(conf->alerts));
        conf->alerts_set = prev->alerts_set;
    }

    ngx_conf_merge_uint_value(conf->audit_format, prev->audit_format,
                              TICKET_AUDIT_FORMAT_JSON);
    ngx_conf_merge_uint_value(conf->audit_events, prev->audit_events,
                              TICKET_AUDIT_DEFAULT_EVENTS);

    if (conf->kinds != NGX_HTTP_TICKET_OFF
        && (conf->keyset == NULL
            || (conf->keyset->nkeys == 0 && conf->keysrc == NULL)))
    {
        ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                      "\"ticket\" has no key: add \"ticket_keys\", "
                      "\"ticket_key\" or \"ticket_keys_url\" in %V:%ui",
                      &conf->kinds_file, conf->kinds_line);
        return NGX_CONF_ERROR;
    }

    if (conf->signal != NULL
        && (conf->keyset == NULL
            || (conf->keyset->nkeys == 0 && conf->keysrc == NULL)))
    {
        ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                      "\"%s\" has no key: add \"ticket_keys\", "
                      "\"ticket_key\", \"ticket_keys_url\" or "
                      "\"ticket_oidc_issuer\" in %V:%ui",
                      conf->signal->kind == TICKET_SIGNAL_SET
                      ? "ticket_ssf_receiver" : "ticket_backchannel_logout",
                      &conf->signal->file, conf->signal->line);
        return NGX_CONF_ERROR;
    }

    /*
     * An event token not bound to the identity provider and to this
     * gateway would be taken from anyone holding a key of the set: a
     * token minted for another audience (another relying party of the
     * same provider) could revoke here.
     */

    if (conf->signal != NULL
        && (conf->issuers == NULL || conf->issuers->nelts == 0))
    {
        ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                      "\"%s\" accepts tokens of any issuer: add "
                      "\"ticket_issuer\" or \"ticket_oidc_issuer\" in %V:%ui",
                      conf->signal->kind == TICKET_SIGNAL_SET
                      ? "ticket_ssf_receiver" : "ticket_backchannel_logout",
                      &conf->signal->file, conf->signal->line);
        return NGX_CONF_ERROR;
    }

    if (conf->signal != NULL
        && (conf->audiences == NULL || conf->audiences->nelts == 0))
    {
        ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                      "\"%s\" accepts tokens for any audience: add "
                      "\"ticket_audience\" in %V:%ui",
                      conf->signal->kind == TICKET_SIGNAL_SET
                      ? "ticket_ssf_receiver" : "ticket_backchannel_logout",
                      &conf->signal->file, conf->signal->line);
        return NGX_CONF_ERROR;
    }

    if (conf->signal != NULL && conf->mode == NGX_HTTP_TICKET_ENFORCE) {
        rmcf = ngx_http_conf_get_module_main_conf(cf,
                                          ngx_http_ticket_revocation_module);

        if (rmcf == NULL || rmcf->redis.addrs == NULL) {
            ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                          "\"%s\" writes revocations: add \"ticket_redis\" "
                          "(or \"ticket_mode audit\" for a dry run) in "
                          "%V:%ui",
                          conf->signal->kind == TICKET_SIGNAL_SET
                          ? "ticket_ssf_receiver"
                          : "ticket_backchannel_logout",
                          &conf->signal->file, conf->signal->line);
            return NGX_CONF_ERROR;
        }
    }

    if ((conf->alerts[NGX_HTTP_TICKET_ALERT_OVER].revoke
         || conf->alerts[NGX_HTTP_TICKET_ALERT_SHARED].revoke)
        && conf->mode == NGX_HTTP_TICKET_ENFORCE)
    {
        rmcf = ngx_http_conf_get_module_main_conf(cf,
                                          ngx_http_ticket_revocation_module);

        if (rmcf == NULL || rmcf->redis.addrs == NULL) {
            ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                          "\"ticket_alert ... revoke\" writes revocations: "
                          "add \"ticket_redis\" (or \"ticket_mode audit\" "
                          "for a dry run)");
            return NGX_CONF_ERROR;
        }
    }

    if (ngx_http_ticket_www_auth(cf, &conf->realm, NULL, &conf->www_missing)
        != NGX_OK
        || ngx_http_ticket_www_auth(cf, &conf->realm, "invalid_token",
                                    &conf->www_invalid)
           != NGX_OK
        || ngx_http_ticket_www_auth(cf, &conf->realm, "insufficient_scope",
                                    &conf->www_scope)
           != NGX_OK)
    {
        return NGX_CONF_ERROR;
    }

    if (ngx_http_ticket_build_policy(cf, conf) != NGX_OK
        || ngx_http_ticket_audit_required(cf, conf) != NGX_OK)
    {
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


static ngx_int_t
ngx_http_ticket_build_policy(ngx_conf_t *cf, ngx_http_ticket_loc_conf_t *conf)
{
    ngx_uint_t        i;
    ngx_array_t      *lines;
    ticket_policy_t  *p;

    p = &conf->policy;

    ngx_memzero(p, sizeof(ticket_policy_t));

    p->kinds = conf->kinds;
    p->leeway = conf->leeway;
    p->max_lifetime = conf->max_lifetime;
    p->roles_path.data = (const char *) conf->roles_claim.data;
    p->roles_path.len = conf->roles_claim.len;

    if (conf->kind_claim != NULL) {
        p->kind_path.data = (const char *) conf->kind_claim->path.data;
        p->kind_path.len = conf->kind_claim->path.len;
        p->kind_map = conf->kind_claim->map;
        p->nkind_map = conf->kind_claim->nmap;
        p->kind_other = conf->kind_claim->other;
        p->kind_default = conf->kind_claim->dflt;
    }

    if (conf->jti_claim != NULL) {
        p->jti_path.data = (const char *) conf->jti_claim->path.data;
        p->jti_path.len = conf->jti_claim->path.len;
        p->jti_optional = conf->jti_claim->optional ? 1 : 0;
    }

    if (ngx_http_ticket_parse_key(cf, conf) != NGX_OK) {
        return NGX_ERROR;
    }

    if (ngx_http_ticket_strlist(cf, conf->issuers, &p->issuers) != NGX_OK
        || ngx_http_ticket_strlist(cf, conf->audiences, &p->audiences)
           != NGX_OK
        || ngx_http_ticket_strlist(cf, conf->privileged,
                                   &p->privileged_roles)
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (conf->role_reqs != NULL) {
        lines = conf->role_reqs->elts;
        p->nrole_reqs = conf->role_reqs->nelts;
        p->role_reqs = ngx_pcalloc(cf->pool,
                                   p->nrole_reqs * sizeof(ticket_strlist_t));
        if (p->role_reqs == NULL) {
            return NGX_ERROR;
        }

        for (i = 0; i < p->nrole_reqs; i++) {
            if (ngx_http_ticket_strlist(cf, &lines[i], &p->role_reqs[i])
                != NGX_OK)
            {
                return NGX_ERROR;
            }
        }
    }

    if (conf->claim_reqs != NULL) {
        p->claim_reqs = conf->claim_reqs->elts;
        p->nclaim_reqs = conf->claim_reqs->nelts;
    }

    return NGX_OK;
}


/*
 * The verified-ticket cache restores a ticket parsed in one scope into
 * another only if both read claims alike: roles path, kind claim and its
 * map, jti claim.  This key says all of them, NUL-separated.
 */

static ngx_int_t
ngx_http_ticket_parse_key(ngx_conf_t *cf, ngx_http_ticket_loc_conf_t *conf)
{
    u_char                        *p;
    size_t                         len, i;
    ticket_policy_t               *pol;

    pol = &conf->policy;

    len = pol->roles_path.len + 1 + pol->kind_path.len + 1
          + pol->jti_path.len + 1 + 8;

    for (i = 0; i < pol->nkind_map; i++) {
        len += pol->kind_map[i].value.len + 2;
    }

    p = ngx_pnalloc(cf->pool, len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    conf->parse_key.data = p;

    /* unset paths are empty: (NULL, 0), which memcpy must never see */

    if (pol->roles_path.len) {
        p = ngx_cpymem(p, pol->roles_path.data, pol->roles_path.len);
    }

    *p++ = '\0';

    if (pol->kind_path.len) {
        p = ngx_cpymem(p, pol->kind_path.data, pol->kind_path.len);
    }

    *p++ = '\0';

    for (i = 0; i < pol->nkind_map; i++) {
        p = ngx_cpymem(p, pol->kind_map[i].value.data,
                       pol->kind_map[i].value.len);
        *p++ = '\0';
        *p++ = (u_char) ('0' + pol->kind_map[i].kind);
    }

    *p++ = (u_char) ('0' + pol->kind_other);
    *p++ = (u_char) ('0' + pol->kind_default);

    if (pol->jti_path.len) {
        p = ngx_cpymem(p, pol->jti_path.data, pol->jti_path.len);
    }

    *p++ = '\0';
    *p++ = (u_char) ('0' + pol->jti_optional);

    conf->parse_key.len = p - conf->parse_key.data;

    return NGX_OK;
}


static ngx_int_t
ngx_http_ticket_strlist(ngx_conf_t *cf, ngx_array_t *a, ticket_strlist_t *list)
{
    ngx_str_t   *s;
    ngx_uint_t   i;

    list->values = NULL;
    list->n = 0;

    if (a == NULL || a->nelts == 0) {
        return NGX_OK;
    }

    list->values = ngx_palloc(cf->pool, a->nelts * sizeof(ticket_str_t));
    if (list->values == NULL) {
        return NGX_ERROR;
    }

    s = a->elts;

    for (i = 0; i < a->nelts; i++) {
        list->values[i].data = (const char *) s[i].data;
        list->values[i].len = s[i].len;
    }

    list->n = a->nelts;

    return NGX_OK;
}


static ngx_int_t
ngx_http_ticket_www_auth(ngx_conf_t *cf, ngx_str_t *realm, const char *error,
    ngx_str_t *out)
{
    size_t   len;
    u_char  *p;

    len = sizeof("Bearer realm=\"\"") - 1 + realm->len;

    if (error != NULL) {
        len += sizeof(", error=\"\"") - 1 + ngx_strlen(error);
    }

    p = ngx_pnalloc(cf->pool, len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    out->data = p;

    p = ngx_sprintf(p, "Bearer realm=\"%V\"", realm);

    if (error != NULL) {
        p = ngx_sprintf(p, ", error=\"%s\"", error);
    }

    out->len = p - out->data;

    return NGX_OK;
}


static ngx_int_t
ngx_http_ticket_init(ngx_conf_t *cf)
{
    ngx_http_handler_pt          *h;
    ngx_http_core_main_conf_t    *cmcf;
    ngx_http_ticket_main_conf_t  *tmcf;

    cmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_core_module);

    h = ngx_array_push(&cmcf->phases[NGX_HTTP_ACCESS_PHASE].handlers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    *h = ngx_http_ticket_handler;

    h = ngx_array_push(&cmcf->phases[NGX_HTTP_PRECONTENT_PHASE].handlers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    *h = ngx_http_ticket_admitted_handler;

    if (ngx_http_ticket_audit_init(cf) != NGX_OK) {
        return NGX_ERROR;
    }

    /* the cache where some scope checks tickets; ticket_status made the
     * metrics zone itself */

    tmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_ticket_module);

    if (tmcf->checks && ngx_http_ticket_cache_init(cf, tmcf) != NGX_OK) {
        return NGX_ERROR;
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_ticket_init_process(ngx_cycle_t *cycle)
{
    return ngx_http_ticket_audit_init_process(cycle);
}


static void
ngx_http_ticket_exit_process(ngx_cycle_t *cycle)
{
    ngx_http_ticket_rev_write_exit(cycle);
    ngx_http_ticket_audit_exit(cycle);
}
