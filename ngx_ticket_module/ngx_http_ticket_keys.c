
/*
 * ngx_ticket_module: key directives.  Key files are read and parsed here,
 * once, at configuration time; the request path only uses the ready keys.
 */


#include "ngx_http_ticket_types.h"
#include "ngx_http_ticket_keys.h"
#include "ngx_http_ticket_keys_url.h"


typedef struct {
    ngx_conf_t                 *cf;
    ngx_str_t                  *file;
} ngx_http_ticket_keys_warn_t;


static void ngx_http_ticket_keys_warn(void *data, const char *msg);
static ticket_keyset_t *ngx_http_ticket_keyset(ngx_conf_t *cf,
    ngx_http_ticket_loc_conf_t *tlcf);
static void ngx_http_ticket_keyset_cleanup(void *data);
static ngx_int_t ngx_http_ticket_read_key_file(ngx_conf_t *cf,
    ngx_str_t *name, ngx_str_t *content);
static void ngx_http_ticket_wipe(ngx_str_t *content);


/*
 * ticket_keys FILE [alg=ALG] [tenant=T]: a key set as the provider
 * publishes it.  Keys that cannot verify tickets are skipped with a warn
 * naming kid and reason; a file with none left fails.
 */

char *
ngx_http_ticket_keys(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_ticket_loc_conf_t *tlcf = conf;

    int                           rc;
    char                          err[TICKET_ERRLEN];
    ngx_str_t                    *value, file, content, name;
    ngx_uint_t                    i;
    ticket_alg_t                  alg;
    ticket_keyset_t              *ks;
    ticket_jwks_opts_t            opts;
    const ticket_alg_info_t      *info;
    ngx_http_ticket_keys_warn_t   warn;

    value = cf->args->elts;
    file = value[1];

    ngx_memzero(&opts, sizeof(ticket_jwks_opts_t));

    for (i = 2; i < cf->args->nelts; i++) {

        if (ngx_strncmp(value[i].data, "alg=", 4) == 0) {
            if (opts.rsa_alg != TICKET_ALG_UNKNOWN) {
                goto invalid;
            }

            /* it pins RSA keys that carry no alg: an RS or PS alg only */

            alg = ticket_alg_from_name((char *) value[i].data + 4,
                                       value[i].len - 4);
            info = ticket_alg_info(alg);

            if (info == NULL
                || (info->family != TICKET_FAMILY_RS
                    && info->family != TICKET_FAMILY_PS))
            {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "invalid parameter \"%V\": an RS or PS "
                                   "algorithm expected", &value[i]);
                return NGX_CONF_ERROR;
            }

            opts.rsa_alg = alg;
            continue;
        }

        if (ngx_strncmp(value[i].data, "tenant=", 7) == 0
            && value[i].len > 7 && opts.tenant == NULL)
        {
            opts.tenant = (const char *) value[i].data + 7;
            continue;
        }

        goto invalid;
    }

    ks = ngx_http_ticket_keyset(cf, tlcf);
    if (ks == NULL) {
        return NGX_CONF_ERROR;
    }

    name = file;

    if (ngx_http_ticket_read_key_file(cf, &file, &content) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    warn.cf = cf;
    warn.file = &name;
    opts.warn = ngx_http_ticket_keys_warn;
    opts.data = &warn;

    rc = ticket_keyset_add_jwks_opts(ks, content.data, content.len, &opts,
                                     err, sizeof(err));

    ngx_http_ticket_wipe(&content);

    if (rc != 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "invalid JWKS \"%V\": %s",
                           &file, err);
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;

invalid:

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "invalid parameter \"%V\"",
                       &value[i]);
    return NGX_CONF_ERROR;
}


static void
ngx_http_ticket_keys_warn(void *data, const char *msg)
{
    ngx_http_ticket_keys_warn_t  *warn = data;

    ngx_conf_log_error(NGX_LOG_WARN, warn->cf, 0, "ticket_keys \"%V\": %s",
                       warn->file, msg);
}


char *
ngx_http_ticket_key(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_ticket_loc_conf_t *tlcf = conf;

    int               rc;
    char              err[TICKET_ERRLEN];
    u_char           *tenant;
    ngx_str_t        *value, file, content;
    ticket_alg_t      alg;
    ticket_keyset_t  *ks;

    value = cf->args->elts;

    if (value[1].len == 0 || value[1].len > TICKET_MAX_KID) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "invalid key id \"%V\"",
                           &value[1]);
        return NGX_CONF_ERROR;
    }

    alg = ticket_alg_from_name((char *) value[2].data, value[2].len);
    if (alg == TICKET_ALG_UNKNOWN) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "unknown algorithm \"%V\"", &value[2]);
        return NGX_CONF_ERROR;
    }

    tenant = NULL;

    if (cf->args->nelts == 5) {
        if (value[4].len <= sizeof("tenant=") - 1
            || ngx_strncmp(value[4].data, "tenant=", sizeof("tenant=") - 1)
               != 0)
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid parameter \"%V\"", &value[4]);
            return NGX_CONF_ERROR;
        }

        tenant = value[4].data + sizeof("tenant=") - 1;
    }

    ks = ngx_http_ticket_keyset(cf, tlcf);
    if (ks == NULL) {
        return NGX_CONF_ERROR;
    }

    file = value[3];

    if (ngx_http_ticket_read_key_file(cf, &file, &content) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    rc = ticket_keyset_add_pem(ks, (char *) value[1].data, alg,
                               (char *) tenant, content.data, content.len,
                               err, sizeof(err));

    ngx_http_ticket_wipe(&content);

    if (rc != 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "invalid key \"%V\": %s",
                           &file, err);
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


/*
 * All key directives of one scope form one key set; a scope with any
 * of them replaces the inherited set, so the set is created on first use.
 */

static ticket_keyset_t *
ngx_http_ticket_keyset(ngx_conf_t *cf, ngx_http_ticket_loc_conf_t *tlcf)
{
    ticket_keyset_t     *ks;
    ngx_pool_cleanup_t  *cln;

    if (tlcf->keysrc != NULL) {
        /* with a key service: the files' own set, the scope's is both */
        return ngx_http_ticket_keys_url_files(cf, tlcf);
    }

    if (tlcf->keyset != NULL) {
        return tlcf->keyset;
    }

    cln = ngx_pool_cleanup_add(cf->pool, sizeof(ticket_keyset_t));
    if (cln == NULL) {
        return NULL;
    }

    ks = cln->data;
    ticket_keyset_init(ks);

    cln->handler = ngx_http_ticket_keyset_cleanup;

    tlcf->keyset = ks;

    return ks;
}


static void
ngx_http_ticket_keyset_cleanup(void *data)
{
    ticket_keyset_t  *ks = data;

    ticket_keyset_free(ks);
}


static ngx_int_t
ngx_http_ticket_read_key_file(ngx_conf_t *cf, ngx_str_t *name,
    ngx_str_t *content)
{
    u_char           *buf;
    size_t            size;
    ssize_t           n;
    ngx_fd_t          fd;
    ngx_int_t         rc;
    ngx_file_t        file;
    ngx_file_info_t   fi;

    if (ngx_conf_full_name(cf->cycle, name, 1) != NGX_OK) {
        return NGX_ERROR;
    }

    fd = ngx_open_file(name->data, NGX_FILE_RDONLY, NGX_FILE_OPEN, 0);

    if (fd == NGX_INVALID_FILE) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           ngx_open_file_n " \"%s\" failed", name->data);
        return NGX_ERROR;
    }

    rc = NGX_ERROR;
    buf = NULL;
    size = 0;

    ngx_memzero(&file, sizeof(ngx_file_t));
    file.fd = fd;
    file.name = *name;
    file.log = cf->log;

    if (ngx_fd_info(fd, &fi) == NGX_FILE_ERROR) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           ngx_fd_info_n " \"%s\" failed", name->data);
        goto done;
    }

    if (!ngx_is_file(&fi)) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "key file \"%s\" is not a regular file",
                           name->data);
        goto done;
    }

    size = (size_t) ngx_file_size(&fi);

    if (size == 0 || size > NGX_HTTP_TICKET_MAX_KEY_FILE) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "key file \"%s\" is %s", name->data,
                           size == 0 ? "empty" : "larger than 1m");
        goto done;
    }

    buf = ngx_pnalloc(cf->temp_pool, size);
    if (buf == NULL) {
        goto done;
    }

    n = ngx_read_file(&file, buf, size, 0);

    if (n == NGX_ERROR) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           ngx_read_file_n " \"%s\" failed", name->data);
        goto done;
    }

    if ((size_t) n != size) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           ngx_read_file_n " \"%s\" returned only "
                           "%z bytes instead of %uz", name->data, n, size);
        goto done;
    }

    content->data = buf;
    content->len = size;
    buf = NULL;
    rc = NGX_OK;

done:

    if (buf != NULL) {
        ngx_explicit_memzero(buf, size);
    }

    if (ngx_close_file(fd) == NGX_FILE_ERROR) {
        ngx_conf_log_error(NGX_LOG_ALERT, cf, ngx_errno,
                           ngx_close_file_n " \"%s\" failed", name->data);
    }

    return rc;
}


static void
ngx_http_ticket_wipe(ngx_str_t *content)
{
    /* an HMAC secret must not linger in the configuration's temp pool */
    ngx_explicit_memzero(content->data, content->len);
}
