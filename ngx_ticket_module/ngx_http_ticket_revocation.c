
/*
 * ngx_ticket_module: ngx_http_ticket_revocation_module, revocation lists
 * synced from Redis.  Its directives and configuration; the shared zone
 * is in ngx_http_ticket_revocation_zone.c, the Redis follower in
 * ngx_http_ticket_revocation_sync.c, hiredis on nginx's event loop in
 * ngx_http_ticket_redis.c.
 */


#include "ngx_http_ticket_types.h"
#include "ngx_http_ticket_revocation.h"
#include "ngx_http_ticket_revocation_sync.h"
#include "ngx_http_ticket_revocation_zone.h"
#include "ngx_http_ticket_tls.h"


static char *ngx_http_ticket_redis_directive(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
static ngx_int_t ngx_http_ticket_redis_addr(ngx_conf_t *cf, ngx_str_t *value,
    ngx_http_ticket_redis_addr_t *addr);
static ngx_int_t ngx_http_ticket_read_password(ngx_conf_t *cf,
    ngx_str_t *file, ngx_str_t *password);
static void *ngx_http_ticket_rev_create_main_conf(ngx_conf_t *cf);
static char *ngx_http_ticket_rev_init_main_conf(ngx_conf_t *cf, void *conf);
static void *ngx_http_ticket_rev_create_loc_conf(ngx_conf_t *cf);
static char *ngx_http_ticket_rev_merge_loc_conf(ngx_conf_t *cf, void *parent,
    void *child);


static ngx_conf_enum_t  ngx_http_ticket_rev_fail[] = {
    { ngx_string("closed"), NGX_HTTP_TICKET_FAIL_CLOSED },
    { ngx_string("open"), NGX_HTTP_TICKET_FAIL_OPEN },
    { ngx_null_string, 0 }
};


static ngx_command_t  ngx_http_ticket_revocation_commands[] = {

    { ngx_string("ticket_redis"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_1MORE,
      ngx_http_ticket_redis_directive,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("ticket_revocation"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_ticket_rev_loc_conf_t, enabled),
      NULL },

    { ngx_string("ticket_revocation_fail"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_enum_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_ticket_rev_main_conf_t, fail),
      &ngx_http_ticket_rev_fail },

    { ngx_string("ticket_revocation_max_stale"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_ticket_rev_main_conf_t, max_stale),
      NULL },

    { ngx_string("ticket_shm_size"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_size_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_ticket_rev_main_conf_t, shm_size),
      NULL },

      ngx_null_command
};


static ngx_http_module_t  ngx_http_ticket_revocation_module_ctx = {
    NULL,                                  /* preconfiguration */
    NULL,                                  /* postconfiguration */

    ngx_http_ticket_rev_create_main_conf,  /* create main configuration */
    ngx_http_ticket_rev_init_main_conf,    /* init main configuration */

    NULL,                                  /* create server configuration */
    NULL,                                  /* merge server configuration */

    ngx_http_ticket_rev_create_loc_conf,   /* create location configuration */
    ngx_http_ticket_rev_merge_loc_conf     /* merge location configuration */
};


ngx_module_t  ngx_http_ticket_revocation_module = {
    NGX_MODULE_V1,
    &ngx_http_ticket_revocation_module_ctx, /* module context */
    ngx_http_ticket_revocation_commands,   /* module directives */
    NGX_HTTP_MODULE,                       /* module type */
    NULL,                                  /* init master */
    NULL,                                  /* init module */
    ngx_http_ticket_rev_init_process,      /* init process */
    NULL,                                  /* init thread */
    NULL,                                  /* exit thread */
    ngx_http_ticket_rev_exit_process,      /* exit process */
    NULL,                                  /* exit master */
    NGX_MODULE_V1_PADDING
};


static ngx_str_t  ngx_http_ticket_rev_zone_name =
    ngx_string("ticket_revocation");


size_t
ngx_http_ticket_revocation_shm_size(ngx_conf_t *cf)
{
    ngx_http_ticket_rev_main_conf_t  *rmcf;

    rmcf = ngx_http_conf_get_module_main_conf(cf,
                                          ngx_http_ticket_revocation_module);

    return rmcf->shm_size;
}


void
ngx_http_ticket_revocation_note_times(ngx_conf_t *cf, time_t leeway,
    time_t max_lifetime)
{
    ngx_http_ticket_rev_main_conf_t  *rmcf;

    rmcf = ngx_http_conf_get_module_main_conf(cf,
                                          ngx_http_ticket_revocation_module);

    rmcf->max_leeway = ngx_max(rmcf->max_leeway, leeway);
    rmcf->max_lifetime = ngx_max(rmcf->max_lifetime, max_lifetime);
}


/* configuration */

static char *
ngx_http_ticket_redis_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_ticket_rev_main_conf_t *rmcf = conf;

    ngx_int_t                      n;
    ngx_str_t                     *value, s, tls_ca, tls_cert, tls_key;
    ngx_uint_t                     i, tls;
    ngx_http_ticket_redis_addr_t  *addr;

    if (rmcf->redis.addrs != NULL) {
        return "is duplicate";
    }

    rmcf->redis.addrs = ngx_array_create(cf->pool, 2,
                                         sizeof(ngx_http_ticket_redis_addr_t));
    if (rmcf->redis.addrs == NULL) {
        return NGX_CONF_ERROR;
    }

    value = cf->args->elts;

    tls = 0;
    ngx_str_null(&tls_ca);
    ngx_str_null(&tls_cert);
    ngx_str_null(&tls_key);

    for (i = 1; i < cf->args->nelts; i++) {

        if (ngx_strcmp(value[i].data, "tls") == 0) {
            tls = 1;
            continue;
        }

        if (ngx_strncmp(value[i].data, "tls_ca=", 7) == 0) {
            tls_ca.data = value[i].data + 7;
            tls_ca.len = value[i].len - 7;

            if (tls_ca.len == 0) {
                goto invalid;
            }

            continue;
        }

        if (ngx_strncmp(value[i].data, "tls_cert=", 9) == 0) {
            tls_cert.data = value[i].data + 9;
            tls_cert.len = value[i].len - 9;

            if (tls_cert.len == 0) {
                goto invalid;
            }

            continue;
        }

        if (ngx_strncmp(value[i].data, "tls_key=", 8) == 0) {
            tls_key.data = value[i].data + 8;
            tls_key.len = value[i].len - 8;

            if (tls_key.len == 0) {
                goto invalid;
            }

            continue;
        }

        if (ngx_strncmp(value[i].data, "tls_name=", 9) == 0) {
            rmcf->redis.tls_name.data = value[i].data + 9;
            rmcf->redis.tls_name.len = value[i].len - 9;

            if (rmcf->redis.tls_name.len == 0) {
                goto invalid;
            }

            continue;
        }

        if (ngx_strncmp(value[i].data, "sentinel=", 9) == 0) {
            rmcf->redis.sentinel.data = value[i].data + 9;
            rmcf->redis.sentinel.len = value[i].len - 9;

            if (rmcf->redis.sentinel.len == 0) {
                goto invalid;
            }

            continue;
        }

        if (ngx_strncmp(value[i].data, "username=", 9) == 0) {
            rmcf->redis.username.data = value[i].data + 9;
            rmcf->redis.username.len = value[i].len - 9;

            if (rmcf->redis.username.len == 0) {
                goto invalid;
            }

            continue;
        }

        if (ngx_strncmp(value[i].data, "password_file=", 14) == 0) {
            s.data = value[i].data + 14;
            s.len = value[i].len - 14;

            if (ngx_http_ticket_read_password(cf, &s, &rmcf->redis.password)
                != NGX_OK)
            {
                return NGX_CONF_ERROR;
            }

            continue;
        }

        if (ngx_strncmp(value[i].data, "db=", 3) == 0) {
            n = ngx_atoi(value[i].data + 3, value[i].len - 3);
            if (n == NGX_ERROR || n > 65535) {
                goto invalid;
            }

            rmcf->redis.db = n;
            continue;
        }

        if (ngx_strncmp(value[i].data, "prefix=", 7) == 0) {
            rmcf->redis.prefix.data = value[i].data + 7;
            rmcf->redis.prefix.len = value[i].len - 7;
            continue;
        }

        if (ngx_strncmp(value[i].data, "timeout=", 8) == 0) {
            s.data = value[i].data + 8;
            s.len = value[i].len - 8;

            rmcf->redis.timeout = ngx_parse_time(&s, 0);
            if (rmcf->redis.timeout == (ngx_msec_t) NGX_ERROR
                || rmcf->redis.timeout == 0)
            {
                goto invalid;
            }

            continue;
        }

        addr = ngx_array_push(rmcf->redis.addrs);
        if (addr == NULL) {
            return NGX_CONF_ERROR;
        }

        if (ngx_http_ticket_redis_addr(cf, &value[i], addr) != NGX_OK) {
            return NGX_CONF_ERROR;
        }
    }

    if (rmcf->redis.addrs->nelts == 0) {
        return "needs an address";
    }

    if (rmcf->redis.username.len && rmcf->redis.password.len == 0) {
        return "with \"username=\" needs \"password_file=\"";
    }

    if (!tls) {
        if (tls_ca.len || tls_cert.len || tls_key.len
            || rmcf->redis.tls_name.len)
        {
            return "with \"tls_ca=\", \"tls_cert=\", \"tls_key=\" or "
                   "\"tls_name=\" needs \"tls\"";
        }

        return NGX_CONF_OK;
    }

    if ((tls_cert.len == 0) != (tls_key.len == 0)) {
        return tls_cert.len ? "with \"tls_cert=\" needs \"tls_key=\""
                            : "with \"tls_key=\" needs \"tls_cert=\"";
    }

    addr = rmcf->redis.addrs->elts;

    for (i = 0; i < rmcf->redis.addrs->nelts; i++) {
        if (addr[i].addr.sockaddr->sa_family == AF_UNIX) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "\"tls\" with the unix socket \"%V\": Redis "
                               "speaks TLS on TCP only", &addr[i].name);
            return NGX_CONF_ERROR;
        }
    }

    /* files read now: a missing CA or key fails "nginx -t", not a worker */

    rmcf->redis.ssl = ngx_http_ticket_tls_create(cf, &tls_ca, &tls_cert,
                                                 &tls_key);
    if (rmcf->redis.ssl == NULL) {
        return NGX_CONF_ERROR;
    }

    if (rmcf->redis.tls_name.len) {
        s.len = rmcf->redis.tls_name.len;
        s.data = ngx_pnalloc(cf->pool, s.len + 1);
        if (s.data == NULL) {
            return NGX_CONF_ERROR;
        }

        ngx_memcpy(s.data, rmcf->redis.tls_name.data, s.len);
        s.data[s.len] = '\0';

        for (i = 0; i < rmcf->redis.addrs->nelts; i++) {
            addr[i].tls_name = s;
        }
    }

    return NGX_CONF_OK;

invalid:

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "invalid parameter \"%V\"",
                       &value[i]);

    return NGX_CONF_ERROR;
}


/* resolved here, once: a lookup in a worker would block it */

static ngx_int_t
ngx_http_ticket_redis_addr(ngx_conf_t *cf, ngx_str_t *value,
    ngx_http_ticket_redis_addr_t *addr)
{
    ngx_uint_t   i;
    ngx_url_t    u;
    ngx_addr_t  *a;

    ngx_memzero(addr, sizeof(ngx_http_ticket_redis_addr_t));
    addr->name = *value;

    ngx_memzero(&u, sizeof(ngx_url_t));
    u.url = *value;
    u.no_resolve = 0;

    if (ngx_parse_url(cf->pool, &u) != NGX_OK
        || (u.no_port && u.family != AF_UNIX) || u.naddrs == 0)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid redis address \"%V\"%s%s", value,
                           u.err ? ": " : "", u.err ? u.err : "");
        return NGX_ERROR;
    }

    /* the first address the name resolves to, IPv4 if there is one */

    a = &u.addrs[0];

    for (i = 0; i < u.naddrs; i++) {
        if (u.addrs[i].sockaddr->sa_family == AF_INET) {
            a = &u.addrs[i];
            break;
        }
    }

    addr->addr = *a;

    /* the host as written: what the server's certificate names */

    addr->tls_name.len = u.host.len;
    addr->tls_name.data = ngx_pnalloc(cf->pool, u.host.len + 1);
    if (addr->tls_name.data == NULL) {
        return NGX_ERROR;
    }

    ngx_memcpy(addr->tls_name.data, u.host.data, u.host.len);
    addr->tls_name.data[u.host.len] = '\0';

    return NGX_OK;
}


/* as ngx_ssl_read_password_file(): once, at load, trailing newline off */

static ngx_int_t
ngx_http_ticket_read_password(ngx_conf_t *cf, ngx_str_t *file,
    ngx_str_t *password)
{
    u_char      *p, *last, buf[1024];
    ssize_t      n;
    ngx_fd_t     fd;
    ngx_file_t   f;

    if (ngx_conf_full_name(cf->cycle, file, 1) != NGX_OK) {
        return NGX_ERROR;
    }

    fd = ngx_open_file(file->data, NGX_FILE_RDONLY, NGX_FILE_OPEN, 0);
    if (fd == NGX_INVALID_FILE) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           ngx_open_file_n " \"%s\" failed", file->data);
        return NGX_ERROR;
    }

    ngx_memzero(&f, sizeof(ngx_file_t));
    f.fd = fd;
    f.name = *file;
    f.log = cf->log;

    n = ngx_read_file(&f, buf, sizeof(buf), 0);

    if (ngx_close_file(fd) == NGX_FILE_ERROR) {
        ngx_conf_log_error(NGX_LOG_ALERT, cf, ngx_errno,
                           ngx_close_file_n " \"%s\" failed", file->data);
    }

    if (n == NGX_ERROR) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           ngx_read_file_n " \"%s\" failed", file->data);
        return NGX_ERROR;
    }

    if ((size_t) n == sizeof(buf)) {
        ngx_explicit_memzero(buf, sizeof(buf));
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "password file \"%s\" is too long", file->data);
        return NGX_ERROR;
    }

    last = buf + n;

    while (last > buf && (last[-1] == '\n' || last[-1] == '\r')) {
        last--;
    }

    if (last == buf) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "password file \"%s\" is empty", file->data);
        return NGX_ERROR;
    }

    p = ngx_pnalloc(cf->pool, last - buf);
    if (p == NULL) {
        ngx_explicit_memzero(buf, sizeof(buf));
        return NGX_ERROR;
    }

    password->len = last - buf;
    password->data = ngx_cpymem(p, buf, password->len) - password->len;

    ngx_explicit_memzero(buf, sizeof(buf));

    return NGX_OK;
}


static void *
ngx_http_ticket_rev_create_main_conf(ngx_conf_t *cf)
{
    ngx_http_ticket_rev_main_conf_t  *rmcf;

    rmcf = ngx_pcalloc(cf->pool, sizeof(ngx_http_ticket_rev_main_conf_t));
    if (rmcf == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     rmcf->redis.addrs = NULL;
     *     rmcf->redis.password = { 0, NULL };
     *     rmcf->redis.db = 0;
     *     rmcf->shm_zone = NULL;
     *     rmcf->max_leeway = 0;
     *     rmcf->max_lifetime = 0;
     */

    rmcf->redis.timeout = NGX_CONF_UNSET_MSEC;
    rmcf->fail = NGX_CONF_UNSET_UINT;
    rmcf->max_stale = NGX_CONF_UNSET_MSEC;
    rmcf->shm_size = NGX_CONF_UNSET_SIZE;

    return rmcf;
}


static char *
ngx_http_ticket_rev_init_main_conf(ngx_conf_t *cf, void *conf)
{
    ngx_http_ticket_rev_main_conf_t *rmcf = conf;

    ngx_http_ticket_rev_zone_t  *zone;

    ngx_conf_init_msec_value(rmcf->redis.timeout, 1000);
    ngx_conf_init_uint_value(rmcf->fail, NGX_HTTP_TICKET_FAIL_CLOSED);
    ngx_conf_init_msec_value(rmcf->max_stale, 10000);
    ngx_conf_init_size_value(rmcf->shm_size, 32 * 1024 * 1024);

    if (rmcf->redis.prefix.data == NULL) {
        ngx_str_set(&rmcf->redis.prefix, "ticket:");
    }

    if (rmcf->redis.addrs == NULL) {
        return NGX_CONF_OK;
    }

    if (rmcf->shm_size < 8 * ngx_pagesize) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"ticket_shm_size\" is too small");
        return NGX_CONF_ERROR;
    }

    zone = ngx_pcalloc(cf->pool, sizeof(ngx_http_ticket_rev_zone_t));
    if (zone == NULL) {
        return NGX_CONF_ERROR;
    }

    rmcf->shm_zone = ngx_shared_memory_add(cf, &ngx_http_ticket_rev_zone_name,
                                           rmcf->shm_size,
                                           &ngx_http_ticket_revocation_module);
    if (rmcf->shm_zone == NULL) {
        return NGX_CONF_ERROR;
    }

    rmcf->shm_zone->init = ngx_http_ticket_rev_init_zone;
    rmcf->shm_zone->data = zone;

    return NGX_CONF_OK;
}


static void *
ngx_http_ticket_rev_create_loc_conf(ngx_conf_t *cf)
{
    ngx_http_ticket_rev_loc_conf_t  *conf;

    conf = ngx_pcalloc(cf->pool, sizeof(ngx_http_ticket_rev_loc_conf_t));
    if (conf == NULL) {
        return NULL;
    }

    conf->enabled = NGX_CONF_UNSET;

    return conf;
}


static char *
ngx_http_ticket_rev_merge_loc_conf(ngx_conf_t *cf, void *parent, void *child)
{
    ngx_http_ticket_rev_loc_conf_t *prev = parent;
    ngx_http_ticket_rev_loc_conf_t *conf = child;

    ngx_http_ticket_rev_main_conf_t  *rmcf;

    rmcf = ngx_http_conf_get_module_main_conf(cf,
                                          ngx_http_ticket_revocation_module);

    if (conf->enabled == 1 && prev->enabled == NGX_CONF_UNSET
        && rmcf->redis.addrs == NULL)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"ticket_revocation on\" needs \"ticket_redis\"");
        return NGX_CONF_ERROR;
    }

    ngx_conf_merge_value(conf->enabled, prev->enabled,
                         rmcf->redis.addrs != NULL);

    return NGX_CONF_OK;
}
