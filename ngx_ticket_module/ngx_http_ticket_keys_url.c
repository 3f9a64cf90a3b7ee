
/*
 * ngx_ticket_module: ngx_http_ticket_keys_url_module, keys from a key
 * service.
 *
 *   ticket_keys_url URL [alg=ALG] [tenant=T] [refresh=MIN:MAX]
 *       [max_stale=TIME];
 *   ticket_oidc_issuer URL [same parameters];
 *   ticket_keys_trusted_certificate FILE;
 *
 * Each source has a zone holding its last good document and a generation
 * number.  One worker at a time fetches (a lock in the zone with a
 * deadline, so a worker that died holding it does not stop the others;
 * the lock word names its holder, and only the holder releases it, by
 * compare-and-swap: a fetch slower than the deadline, whose lock another
 * worker took over, never releases that worker's lock),
 * on a 1 s tick of every worker: when the refresh is due (max-age within
 * refresh=MIN:MAX), or at once when a ticket named an unknown kid (at
 * most every NGX_HTTP_TICKET_KEYS_RETRY seconds).  The fetching worker
 * parses the document before it replaces the zone's, so a document that
 * fails never replaces a good one, and logs the kids added and removed.
 * Every worker parses each new generation once, on its tick or on the
 * first request that sees it, into the scope's key set (the one
 * verification and the verified-ticket cache use: a removed key stops
 * verifying, and a cached ticket bound to it by fingerprint stops
 * hitting).  Past max_stale the set is emptied: unknown_key.
 *
 * Before the first document ever fetched (a fresh start, the workers of
 * a new binary after USR2), a request waits for it, as limit_req delays
 * one (polled every NGX_HTTP_TICKET_KEYS_POLL ms), for at most
 * NGX_HTTP_TICKET_KEYS_FIRST ms and only while no fetch has failed; then
 * its ticket is unknown_key (401).  After the first document no request
 * ever waits.  A reload keeps the zone, so the keys stay.
 *
 * A scope may hold key files (ticket_keys, ticket_key) beside its key
 * service: its set is then both, the file's key winning on the same
 * (kid, alg), rebuilt in each worker when the service's set changed
 * (ngx_http_ticket_keys_url_sync_scope()).  A ticket a file key names
 * never waits for the first document.
 */


#include "ngx_http_ticket_types.h"
#include "ngx_http_ticket_keys_url.h"
#include "ngx_http_ticket_decision.h"
#include "ngx_http_ticket_fetch.h"
#include "ngx_http_ticket_tls.h"


#define NGX_HTTP_TICKET_KEYS_TICK       1000      /* ms */
#define NGX_HTTP_TICKET_KEYS_RETRY      5         /* s: unknown kid, error */
#define NGX_HTTP_TICKET_KEYS_TIMEOUT    10000     /* ms, each step */
#define NGX_HTTP_TICKET_KEYS_LOCK       45        /* s: a fetch's deadline */
#define NGX_HTTP_TICKET_KEYS_FIRST      3000      /* ms: the first use waits */

#define NGX_HTTP_TICKET_KEYS_HTTP       NGX_HTTP_TICKET_FETCH_NRESULTS
#define NGX_HTTP_TICKET_KEYS_INVALID    (NGX_HTTP_TICKET_FETCH_NRESULTS + 1)
#define NGX_HTTP_TICKET_KEYS_NRESULTS   (NGX_HTTP_TICKET_FETCH_NRESULTS + 2)

/*
 * The lock word: its deadline and the holder's pid where the word has
 * room (64 bits), else the deadline alone.  Either is unique to one
 * taking: the lock is taken only when free or past its deadline, and a
 * new deadline lies past the old one.
 */

#if (NGX_PTR_SIZE == 8)
#define ngx_http_ticket_keys_lock_word(deadline)                              \
    (((ngx_atomic_uint_t) (deadline) << 24)                                   \
     | ((ngx_atomic_uint_t) ngx_pid & 0xffffff))
#define ngx_http_ticket_keys_lock_deadline(word)  ((time_t) ((word) >> 24))
#else
#define ngx_http_ticket_keys_lock_word(deadline)                              \
    ((ngx_atomic_uint_t) (deadline))
#define ngx_http_ticket_keys_lock_deadline(word)  ((time_t) (word))
#endif

#define NGX_HTTP_TICKET_KEYS_JWKS       0
#define NGX_HTTP_TICKET_KEYS_DISCOVERY  1


typedef struct {
    ngx_atomic_t                  lock;        /* the holder's word; 0 */
    ngx_atomic_t                  generation;  /* of doc; 0: none yet */
    ngx_atomic_t                  fetched;     /* the last good document */
    ngx_atomic_t                  next;        /* the next refresh */
    ngx_atomic_t                  last;        /* the last fetch started */
    ngx_atomic_t                  wanted;      /* an unknown kid seen */
    ngx_atomic_t                  stale_logged;
    ngx_atomic_t                  nkeys;
    ngx_atomic_t                  results[NGX_HTTP_TICKET_KEYS_NRESULTS];
    size_t                        len;
    u_char                        doc[1];      /* TICKET_KEYS_MAX_DOC */
} ngx_http_ticket_keys_url_sh_t;


typedef struct {
    ngx_str_t                     trusted;
} ngx_http_ticket_keys_url_loc_conf_t;


typedef struct {
    ngx_str_t                     name;        /* the directive's text */
    ngx_str_t                     url;         /* the label in metrics */
    ngx_str_t                     issuer;      /* OIDC; len 0: a JWKS URL */
    ngx_str_t                     path;        /* the first GET's */
    ngx_str_t                     jwks_path;   /* OIDC: from discovery */
    ngx_str_t                     issuer_host; /* OIDC: the discovery's */
    in_port_t                     issuer_port;
    ngx_str_t                     jwks_host;   /* OIDC: from discovery;
                                                  NUL-terminated */
    in_port_t                     jwks_port;
    ngx_uint_t                    step;
    ticket_alg_t                  rsa_alg;
    u_char                       *tenant;      /* NUL-terminated, or NULL */
    time_t                        refresh_min;
    time_t                        refresh_max;
    time_t                        max_stale;

    ngx_http_ticket_fetch_t       fetch;
    ngx_http_ticket_keys_url_loc_conf_t  *conf;  /* its trusted CAs */
    ngx_http_core_loc_conf_t     *clcf;        /* its resolver */
    ngx_uint_t                    deferred;    /* a host name: resolved
                                                  after the merge */

    ngx_shm_zone_t               *zone;
    ngx_slab_pool_t              *shpool;
    ngx_http_ticket_keys_url_sh_t  *sh;

    /* this worker's */
    ticket_keyset_t              *keyset;      /* the scopes' */
    ngx_atomic_uint_t             generation;  /* parsed; 0: none */
    ngx_uint_t                    version;     /* of keyset: each change */
    ngx_event_t                   tick;
    ngx_atomic_uint_t             lock;        /* the word it took */
    ngx_uint_t                    locked;      /* unsigned:1 */
} ngx_http_ticket_keysrc_t;


typedef struct {
    ngx_array_t                   sources;     /* ngx_http_ticket_keysrc_t * */
} ngx_http_ticket_keys_url_main_conf_t;


/* a scope with key files and a key service (tlcf->keys_both) */

typedef struct {
    ticket_keyset_t               set;         /* the scope's: both */
    ticket_keyset_t               files;
    ngx_http_ticket_keysrc_t     *src;
    ngx_uint_t                    version;     /* src's, set built of */
    ngx_uint_t                    built;       /* unsigned:1 */
} ngx_http_ticket_keys_both_t;


typedef struct {
    ngx_log_t                    *log;
    ngx_str_t                    *url;
    ngx_uint_t                    quiet;
} ngx_http_ticket_keys_url_warn_t;


static char *ngx_http_ticket_keys_url(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static ngx_int_t ngx_http_ticket_keys_url_address(ngx_conf_t *cf,
    ngx_http_ticket_keysrc_t *src, ticket_url_t *u);
static ngx_int_t ngx_http_ticket_keys_url_resolve(ngx_conf_t *cf,
    ngx_http_ticket_keysrc_t *src);
static ngx_int_t ngx_http_ticket_keys_url_init_zone(ngx_shm_zone_t *shm_zone,
    void *data);
static void ngx_http_ticket_keys_url_waited(ngx_http_request_t *r);
static void ngx_http_ticket_keys_url_tick(ngx_event_t *ev);
static void ngx_http_ticket_keys_url_fetched(ngx_http_ticket_fetch_t *f,
    ngx_uint_t result);
static ngx_uint_t ngx_http_ticket_keys_url_same_host(ticket_url_t *u,
    ngx_str_t *host, in_port_t port);
static ngx_uint_t ngx_http_ticket_keys_url_discovered(
    ngx_http_ticket_keysrc_t *src, u_char *body, size_t len);
static ngx_uint_t ngx_http_ticket_keys_url_store(ngx_http_ticket_keysrc_t *src,
    u_char *body, size_t len, time_t max_age);
static ngx_int_t ngx_http_ticket_keys_url_parse(ngx_http_ticket_keysrc_t *src,
    ticket_keyset_t *ks, u_char *doc, size_t len, ngx_log_t *log,
    ngx_uint_t quiet);
static void ngx_http_ticket_keys_url_warn(void *data, const char *msg);
static void ngx_http_ticket_keys_url_changed(ngx_http_ticket_keysrc_t *src,
    ticket_keyset_t *old, ticket_keyset_t *new, ngx_log_t *log);
static u_char *ngx_http_ticket_keys_url_kids(u_char *p, u_char *last,
    ticket_keyset_t *ks, ticket_keyset_t *other);
static void ngx_http_ticket_keys_url_unlock(ngx_http_ticket_keysrc_t *src);
static void ngx_http_ticket_keyset_free(void *data);
static ngx_http_ticket_keys_both_t *ngx_http_ticket_keys_url_both(
    ngx_conf_t *cf, ngx_http_ticket_loc_conf_t *tlcf,
    ngx_http_ticket_keysrc_t *src);
static void ngx_http_ticket_keys_both_free(void *data);
static void *ngx_http_ticket_keys_url_create_main_conf(ngx_conf_t *cf);
static void *ngx_http_ticket_keys_url_create_loc_conf(ngx_conf_t *cf);
static char *ngx_http_ticket_keys_url_merge_loc_conf(ngx_conf_t *cf,
    void *parent, void *child);
static ngx_int_t ngx_http_ticket_keys_url_postconf(ngx_conf_t *cf);
static ngx_int_t ngx_http_ticket_keys_url_init_process(ngx_cycle_t *cycle);
static void ngx_http_ticket_keys_url_exit_process(ngx_cycle_t *cycle);


static const char  *ngx_http_ticket_keys_results[] = {
    "ok", "connect_error", "tls_error", "timeout", "too_large",
    "http_error", "invalid"
};


static ngx_command_t  ngx_http_ticket_keys_url_commands[] = {

    { ngx_string("ticket_keys_url"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_1MORE,
      ngx_http_ticket_keys_url,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("ticket_oidc_issuer"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_1MORE,
      ngx_http_ticket_keys_url,
      NGX_HTTP_LOC_CONF_OFFSET,
      1,
      NULL },

    { ngx_string("ticket_keys_trusted_certificate"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_ticket_keys_url_loc_conf_t, trusted),
      NULL },

      ngx_null_command
};


static ngx_http_module_t  ngx_http_ticket_keys_url_module_ctx = {
    NULL,                                  /* preconfiguration */
    ngx_http_ticket_keys_url_postconf,     /* postconfiguration */

    ngx_http_ticket_keys_url_create_main_conf, /* create main configuration */
    NULL,                                  /* init main configuration */

    NULL,                                  /* create server configuration */
    NULL,                                  /* merge server configuration */

    ngx_http_ticket_keys_url_create_loc_conf, /* create location config */
    ngx_http_ticket_keys_url_merge_loc_conf   /* merge location config */
};


ngx_module_t  ngx_http_ticket_keys_url_module = {
    NGX_MODULE_V1,
    &ngx_http_ticket_keys_url_module_ctx,  /* module context */
    ngx_http_ticket_keys_url_commands,     /* module directives */
    NGX_HTTP_MODULE,                       /* module type */
    NULL,                                  /* init master */
    NULL,                                  /* init module */
    ngx_http_ticket_keys_url_init_process, /* init process */
    NULL,                                  /* init thread */
    NULL,                                  /* exit thread */
    ngx_http_ticket_keys_url_exit_process, /* exit process */
    NULL,                                  /* exit master */
    NGX_MODULE_V1_PADDING
};


void
ngx_http_ticket_keys_url_sync(void *keysrc, ngx_log_t *log)
{
    ngx_http_ticket_keysrc_t *src = keysrc;

    u_char                         *doc;
    size_t                          len;
    time_t                          now, fetched;
    ngx_atomic_uint_t               gen;
    ticket_keyset_t                 ks;
    ngx_http_ticket_keys_url_sh_t  *sh;

    sh = src->sh;

    if (sh == NULL) {
        return;
    }

    now = ngx_time();
    fetched = (time_t) sh->fetched;

    if (fetched != 0 && now - fetched > src->max_stale) {

        if (src->keyset->nkeys) {
            ticket_keyset_free(src->keyset);
            ticket_keyset_init(src->keyset);
            src->version++;
        }

        src->generation = 0;

        if (ngx_atomic_cmp_set(&sh->stale_logged, 0, 1)) {
            ngx_log_error(NGX_LOG_ERR, log, 0,
                          "keys of \"%V\" are %T s old, more than "
                          "max_stale: their tickets are refused as "
                          "unknown_key", &src->url, now - fetched);
        }

        return;
    }

    gen = sh->generation;

    if (gen == src->generation) {
        return;
    }

    ngx_shmtx_lock(&src->shpool->mutex);

    gen = sh->generation;
    len = sh->len;

    doc = ngx_alloc(len ? len : 1, log);
    if (doc != NULL) {
        ngx_memcpy(doc, sh->doc, len);
    }

    ngx_shmtx_unlock(&src->shpool->mutex);

    if (doc == NULL) {
        return;
    }

    ticket_keyset_init(&ks);

    if (ngx_http_ticket_keys_url_parse(src, &ks, doc, len, log, 1)
        == NGX_OK)
    {
        ticket_keyset_free(src->keyset);
        *src->keyset = ks;
        src->version++;
    }

    /* the fetching worker parsed it first: a failure here is not retried */

    src->generation = gen;

    ngx_free(doc);
}


void
ngx_http_ticket_keys_url_sync_scope(ngx_http_ticket_loc_conf_t *tlcf,
    ngx_log_t *log)
{
    ticket_keyset_t               ks;
    ngx_http_ticket_keys_both_t  *both;

    ngx_http_ticket_keys_url_sync(tlcf->keysrc, log);

    both = tlcf->keys_both;

    if (both == NULL
        || (both->built && both->version == both->src->version))
    {
        return;
    }

    ticket_keyset_init(&ks);

    if (ticket_keyset_merge(&ks, &both->files, both->src->keyset) != 0) {
        /* the set it has stays; tried again on the next request */
        ngx_log_error(NGX_LOG_ERR, log, 0,
                      "keys of \"%V\" and the key files: out of memory",
                      &both->src->url);
        return;
    }

    ticket_keyset_free(&both->set);
    both->set = ks;
    both->version = both->src->version;
    both->built = 1;
}


/*
 * Whether the request would wait for the first document: with key files
 * beside the service, not for a ticket a file key names (ticket is its
 * token, or NULL).
 */

ngx_int_t
ngx_http_ticket_keys_url_pending_for(ngx_http_request_t *r,
    ngx_http_ticket_loc_conf_t *tlcf, ngx_str_t *token)
{
    ticket_t                      t;
    ngx_int_t                     rc;
    ngx_http_ticket_keys_both_t  *both;

    rc = ngx_http_ticket_keys_url_pending(r, tlcf->keysrc);

    both = tlcf->keys_both;

    if (rc != NGX_AGAIN || both == NULL || token == NULL) {
        return rc;
    }

    ngx_http_ticket_ticket_init(r, &t);

    if (ticket_parse(&t, (const char *) token->data, token->len,
                     &tlcf->policy.roles_path)
        == TICKET_OK
        && ticket_keyset_named(&both->files, t.kid.data, t.kid.len, t.alg)
           != NULL)
    {
        rc = NGX_OK;
    }

    ticket_free(&t);

    return rc;
}


ngx_int_t
ngx_http_ticket_keys_url_pending(ngx_http_request_t *r, void *keysrc)
{
    ngx_http_ticket_keysrc_t *src = keysrc;

    ngx_uint_t                      i;
    ngx_msec_int_t                  ms;
    ngx_time_t                     *tp;
    ngx_http_ticket_keys_url_sh_t  *sh;

    sh = src->sh;

    if (sh == NULL || sh->generation != 0) {
        return NGX_OK;
    }

    for (i = 1; i < NGX_HTTP_TICKET_KEYS_NRESULTS; i++) {
        if (sh->results[i]) {
            /* the key service failed: waiting would only delay the 401 */
            return NGX_OK;
        }
    }

    tp = ngx_timeofday();
    ms = (ngx_msec_int_t) ((tp->sec - r->start_sec) * 1000
                           + (tp->msec - r->start_msec));

    if (ms >= NGX_HTTP_TICKET_KEYS_FIRST) {
        return NGX_OK;
    }

    return NGX_AGAIN;
}


ngx_int_t
ngx_http_ticket_keys_url_wait(ngx_http_request_t *r, void *keysrc)
{
    if (ngx_http_ticket_keys_url_pending(r, keysrc) == NGX_OK) {
        return NGX_OK;
    }

    /* only in the first seconds of a key service: a line says why it waits */

    ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                  "ticket: the request waits for the key service's first "
                  "document");

    r->read_event_handler = ngx_http_test_reading;
    r->write_event_handler = ngx_http_ticket_keys_url_waited;
    r->connection->write->delayed = 1;
    ngx_add_timer(r->connection->write, NGX_HTTP_TICKET_KEYS_POLL);

    return NGX_AGAIN;
}


static void
ngx_http_ticket_keys_url_waited(ngx_http_request_t *r)
{
    ngx_event_t  *wev;

    wev = r->connection->write;

    /* ngx_http_request_handler() clears delayed when the timer fired */

    if (wev->delayed) {
        if (ngx_handle_write_event(wev, 0) != NGX_OK) {
            ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        }

        return;
    }

    if (ngx_handle_read_event(r->connection->read, 0) != NGX_OK) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    r->read_event_handler = ngx_http_block_reading;
    r->write_event_handler = ngx_http_core_run_phases;

    ngx_http_core_run_phases(r);
}


void
ngx_http_ticket_keys_url_unknown(void *keysrc)
{
    ngx_http_ticket_keysrc_t *src = keysrc;

    time_t                          now;
    ngx_http_ticket_keys_url_sh_t  *sh;

    sh = src->sh;

    if (sh == NULL) {
        return;
    }

    now = ngx_time();

    if (now < (time_t) sh->last + NGX_HTTP_TICKET_KEYS_RETRY) {
        return;
    }

    sh->wanted = 1;

    if (!src->fetch.running && !ngx_exiting && !ngx_terminate) {
        if (src->tick.timer_set) {
            ngx_del_timer(&src->tick);
        }

        ngx_add_timer(&src->tick, 1);
    }
}


static void
ngx_http_ticket_keys_url_tick(ngx_event_t *ev)
{
    ngx_http_ticket_keysrc_t *src = ev->data;

    time_t                          now;
    ngx_str_t                      *path;
    ngx_atomic_uint_t               lock, word;
    ngx_http_ticket_keys_url_sh_t  *sh;

    sh = src->sh;

    if (ngx_exiting || ngx_terminate) {
        return;
    }

    ngx_http_ticket_keys_url_sync(src, ev->log);

    now = ngx_time();

    if (src->locked && !src->fetch.running
        && src->step == NGX_HTTP_TICKET_KEYS_JWKS && src->issuer.len)
    {
        /* discovery done: the JWKS it names, under the same lock */

        src->fetch.host = src->jwks_host;
        src->fetch.port = src->jwks_port;

        if (ngx_http_ticket_fetch_start(&src->fetch, &src->jwks_path,
                                        ev->log)
            != NGX_OK)
        {
            ngx_http_ticket_keys_url_unlock(src);
        }

        goto next;
    }

    if (src->fetch.running || src->locked) {
        goto next;
    }

    if (now < (time_t) sh->next
        && !(sh->wanted
             && now >= (time_t) sh->last + NGX_HTTP_TICKET_KEYS_RETRY))
    {
        goto next;
    }

    lock = sh->lock;
    word = ngx_http_ticket_keys_lock_word(now + NGX_HTTP_TICKET_KEYS_LOCK);

    if ((lock != 0 && ngx_http_ticket_keys_lock_deadline(lock) > now)
        || !ngx_atomic_cmp_set(&sh->lock, lock, word))
    {
        goto next;
    }

    if (lock != 0) {
        ngx_log_error(NGX_LOG_NOTICE, ev->log, 0,
                      "key service \"%V\": a fetch held the lock past its "
                      "deadline: taken over", &src->url);
    }

    src->lock = word;
    src->locked = 1;
    sh->wanted = 0;
    sh->last = (ngx_atomic_uint_t) now;

    if (src->issuer.len) {
        src->step = NGX_HTTP_TICKET_KEYS_DISCOVERY;
        path = &src->path;

        /* the issuer's own host: the JWKS may have been on another */

        src->fetch.host = src->issuer_host;
        src->fetch.port = src->issuer_port;

    } else {
        src->step = NGX_HTTP_TICKET_KEYS_JWKS;
        path = &src->path;
    }

    if (ngx_http_ticket_fetch_start(&src->fetch, path, ev->log) != NGX_OK) {
        ngx_http_ticket_keys_url_unlock(src);
    }

next:

    if (!ev->timer_set) {
        ngx_add_timer(ev, NGX_HTTP_TICKET_KEYS_TICK);
    }
}


static void
ngx_http_ticket_keys_url_fetched(ngx_http_ticket_fetch_t *f,
    ngx_uint_t result)
{
    ngx_http_ticket_keysrc_t *src = f->data;

    char                            err[TICKET_ERRLEN];
    time_t                          now;
    u_char                         *body;
    ticket_http_response_t          resp;
    ngx_http_ticket_keys_url_sh_t  *sh;

    sh = src->sh;
    resp.max_age = -1;

    if (result == NGX_HTTP_TICKET_FETCH_OK) {

        if (ticket_http_response_parse(f->buf, f->len, &resp, err,
                                       sizeof(err))
            != 0)
        {
            ngx_log_error(NGX_LOG_ERR, f->log, 0,
                          "key service \"%V\": invalid response: %s",
                          &src->url, err);
            result = NGX_HTTP_TICKET_KEYS_HTTP;

        } else if (resp.status != 200) {
            ngx_log_error(NGX_LOG_ERR, f->log, 0,
                          "key service \"%V\" answered %d%s", &src->url,
                          resp.status,
                          (resp.status >= 300 && resp.status < 400)
                          ? " (redirects are not followed)" : "");
            result = NGX_HTTP_TICKET_KEYS_HTTP;
        }
    }

    if (result == NGX_HTTP_TICKET_FETCH_OK) {
        body = f->buf + resp.body_off;

        if (src->step == NGX_HTTP_TICKET_KEYS_DISCOVERY) {
            result = ngx_http_ticket_keys_url_discovered(src, body,
                                                         resp.body_len);

            if (result == NGX_HTTP_TICKET_FETCH_OK) {
                (void) ngx_atomic_fetch_add(&sh->results[result], 1);

                /* the JWKS on the next tick: f is still finishing now */

                src->step = NGX_HTTP_TICKET_KEYS_JWKS;

                if (src->tick.timer_set) {
                    ngx_del_timer(&src->tick);
                }

                ngx_add_timer(&src->tick, 1);
                return;
            }

        } else {
            result = ngx_http_ticket_keys_url_store(src, body, resp.body_len,
                                                    resp.max_age);
        }
    }

    (void) ngx_atomic_fetch_add(&sh->results[result], 1);

    if (result != NGX_HTTP_TICKET_FETCH_OK) {
        now = ngx_time();
        sh->next = (ngx_atomic_uint_t) now
                   + ngx_min(src->refresh_min, NGX_HTTP_TICKET_KEYS_RETRY);
    }

    ngx_http_ticket_keys_url_unlock(src);
}


static ngx_uint_t
ngx_http_ticket_keys_url_discovered(ngx_http_ticket_keysrc_t *src,
    u_char *body, size_t len)
{
    char          err[TICKET_ERRLEN];
    ngx_uint_t    other;
    ticket_url_t  u;

    if (ticket_discovery_parse(body, len, (char *) src->issuer.data,
                               src->issuer.len, &u, err, sizeof(err))
        != 0)
    {
        ngx_log_error(NGX_LOG_ERR, src->fetch.log, 0,
                      "discovery document of \"%V\": %s", &src->url, err);
        return NGX_HTTP_TICKET_KEYS_INVALID;
    }

    /*
     * Providers publish their keys on another host than the issuer
     * (Google: accounts.google.com, www.googleapis.com): that host is
     * resolved before each fetch by the scope's resolver, and its
     * certificate must name it.  Without a resolver only the issuer's
     * address, resolved at configuration time, can be reached.
     */

    other = !ngx_http_ticket_keys_url_same_host(&u, &src->issuer_host,
                                                src->issuer_port);

    if (other && src->fetch.resolver == NULL) {
        ngx_log_error(NGX_LOG_ERR, src->fetch.log, 0,
                      "discovery document of \"%V\": jwks_uri on another "
                      "host than the issuer (%s:%ui) is reached only with "
                      "the issuer named by host and a \"resolver\" in the "
                      "scope", &src->url, u.host, (ngx_uint_t) u.port);
        return NGX_HTTP_TICKET_KEYS_INVALID;
    }

    /* the keys' host is the issuer's word: where it moves, say so */

    if (other
        && !ngx_http_ticket_keys_url_same_host(&u, &src->jwks_host,
                                               src->jwks_port))
    {
        ngx_log_error(NGX_LOG_NOTICE, src->fetch.log, 0,
                      "discovery document of \"%V\": keys fetched from "
                      "%s:%ui", &src->url, u.host, (ngx_uint_t) u.port);
    }

    /* u.host: at most TICKET_URL_MAX_HOST characters and a NUL */

    ngx_memcpy(src->jwks_host.data, u.host, u.host_len + 1);
    src->jwks_host.len = u.host_len;
    src->jwks_port = (in_port_t) u.port;

    ngx_memcpy(src->jwks_path.data, u.path, u.path_len);
    src->jwks_path.len = u.path_len;

    return NGX_HTTP_TICKET_FETCH_OK;
}


/* u names host:port (a host name's case does not count) */

static ngx_uint_t
ngx_http_ticket_keys_url_same_host(ticket_url_t *u, ngx_str_t *host,
    in_port_t port)
{
    return u->host_len == host->len && u->port == port
           && ngx_strncasecmp((u_char *) u->host, host->data, host->len)
              == 0;
}


/*
 * A JWKS that parses replaces the zone's document (a new generation when
 * it differs) and this worker's keys; the next refresh is due before its
 * max-age (within refresh=MIN:MAX) runs out.
 */

static ngx_uint_t
ngx_http_ticket_keys_url_store(ngx_http_ticket_keysrc_t *src, u_char *body,
    size_t len, time_t max_age)
{
    time_t                          now;
    ngx_uint_t                      same;
    ticket_keyset_t                 ks;
    ngx_http_ticket_keys_url_sh_t  *sh;

    sh = src->sh;

    /* the zone holds TICKET_KEYS_MAX_DOC; the response may hold more */

    if (len > TICKET_KEYS_MAX_DOC) {
        ngx_log_error(NGX_LOG_ERR, src->fetch.log, 0,
                      "keys of \"%V\" not replaced: a document of %uz "
                      "bytes, more than %uz", &src->url, len,
                      (size_t) TICKET_KEYS_MAX_DOC);
        return NGX_HTTP_TICKET_FETCH_TOO_LARGE;
    }

    /* this worker's keys as the zone has them, to log the difference */

    ngx_http_ticket_keys_url_sync(src, src->fetch.log);

    ticket_keyset_init(&ks);

    if (ngx_http_ticket_keys_url_parse(src, &ks, body, len, src->fetch.log,
                                       0)
        != NGX_OK)
    {
        return NGX_HTTP_TICKET_KEYS_INVALID;
    }

    now = ngx_time();

    if (max_age < 0) {
        max_age = src->refresh_min;
    }

    max_age = ngx_max(max_age, src->refresh_min);
    max_age = ngx_min(max_age, src->refresh_max);

    /*
     * Refreshed before the document expires, not when: a tenth of its
     * life early (a fetch takes time, and may have to be retried), never
     * sooner than refresh's MIN.
     */

    max_age = ngx_max(max_age - max_age / 10, src->refresh_min);

    ngx_shmtx_lock(&src->shpool->mutex);

    same = (sh->generation != 0 && sh->len == len
            && ngx_memcmp(sh->doc, body, len) == 0);

    if (!same) {
        ngx_memcpy(sh->doc, body, len);
        sh->len = len;
        sh->generation++;
    }

    sh->nkeys = ks.nkeys;
    sh->fetched = (ngx_atomic_uint_t) now;
    sh->next = (ngx_atomic_uint_t) (now + max_age);
    sh->stale_logged = 0;

    if (!same) {
        src->generation = sh->generation;
    }

    ngx_shmtx_unlock(&src->shpool->mutex);

    if (same && src->keyset->nkeys) {
        ticket_keyset_free(&ks);
        return NGX_HTTP_TICKET_FETCH_OK;
    }

    ngx_http_ticket_keys_url_changed(src, src->keyset, &ks, src->fetch.log);

    ticket_keyset_free(src->keyset);
    *src->keyset = ks;
    src->version++;

    if (same) {
        src->generation = sh->generation;
    }

    return NGX_HTTP_TICKET_FETCH_OK;
}


static ngx_int_t
ngx_http_ticket_keys_url_parse(ngx_http_ticket_keysrc_t *src,
    ticket_keyset_t *ks, u_char *doc, size_t len, ngx_log_t *log,
    ngx_uint_t quiet)
{
    char                             err[TICKET_ERRLEN];
    ngx_uint_t                       level;
    ticket_jwks_opts_t               opts;
    ngx_http_ticket_keys_url_warn_t  warn;

    ngx_memzero(&opts, sizeof(ticket_jwks_opts_t));

    warn.log = log;
    warn.url = &src->url;
    warn.quiet = quiet;

    opts.rsa_alg = src->rsa_alg;
    opts.tenant = (const char *) src->tenant;
    opts.warn = ngx_http_ticket_keys_url_warn;
    opts.data = &warn;

    if (ticket_keyset_add_jwks_opts(ks, doc, len, &opts, err, sizeof(err))
        != 0)
    {
        ticket_keyset_free(ks);
        ticket_keyset_init(ks);

        level = quiet ? NGX_LOG_INFO : NGX_LOG_ERR;

        ngx_log_error(level, log, 0,
                      "keys of \"%V\" not replaced: invalid JWKS: %s",
                      &src->url, err);
        return NGX_ERROR;
    }

    return NGX_OK;
}


static void
ngx_http_ticket_keys_url_warn(void *data, const char *msg)
{
    ngx_http_ticket_keys_url_warn_t  *warn = data;

    /* once, by the worker that fetched the document */

    if (!warn->quiet) {
        ngx_log_error(NGX_LOG_WARN, warn->log, 0, "keys of \"%V\": %s",
                      warn->url, msg);
    }
}


static void
ngx_http_ticket_keys_url_changed(ngx_http_ticket_keysrc_t *src,
    ticket_keyset_t *old, ticket_keyset_t *new, ngx_log_t *log)
{
    u_char  *p, *last, added[1024], removed[1024];

    last = added + sizeof(added);
    p = ngx_http_ticket_keys_url_kids(added, last, new, old);
    if (p == added) {
        p = ngx_cpymem(p, "none", 4);
    }

    *(p == last ? p - 1 : p) = '\0';

    last = removed + sizeof(removed);
    p = ngx_http_ticket_keys_url_kids(removed, last, old, new);
    if (p == removed) {
        p = ngx_cpymem(p, "none", 4);
    }

    *(p == last ? p - 1 : p) = '\0';

    ngx_log_error(NGX_LOG_NOTICE, log, 0,
                  "keys of \"%V\" changed: added %s; removed %s; %uz keys",
                  &src->url, added, removed, new->nkeys);
}


/* the kids of ks that other lacks, as "KID" (ALG) */

static u_char *
ngx_http_ticket_keys_url_kids(u_char *p, u_char *last, ticket_keyset_t *ks,
    ticket_keyset_t *other)
{
    char                      shown[TICKET_SHOWN_SIZE];
    u_char                   *start;
    size_t                    i;
    ticket_key_t             *key;
    const ticket_alg_info_t  *info;

    start = p;

    for (i = 0; i < ks->nkeys; i++) {
        key = &ks->keys[i];

        if (ticket_keyset_find_fp(other, key->fp) != NULL) {
            continue;
        }

        ticket_shown(shown, key->kid, key->kid_len);
        info = ticket_alg_info(key->alg);

        p = ngx_slprintf(p, last - 1, "%s\"%s\" (%s)",
                         (p == start) ? "" : ", ", shown,
                         info ? info->name : "?");
    }

    return p;
}


static void
ngx_http_ticket_keys_url_unlock(ngx_http_ticket_keysrc_t *src)
{
    if (src->locked) {

        /* a lock another worker took over past its deadline is its own */

        if (!ngx_atomic_cmp_set(&src->sh->lock, src->lock, 0)) {
            ngx_log_error(NGX_LOG_NOTICE, ngx_cycle->log, 0,
                          "key service \"%V\": the fetch lock was taken "
                          "over by another worker: left to it", &src->url);
        }

        src->lock = 0;
        src->locked = 0;
    }

    src->step = NGX_HTTP_TICKET_KEYS_JWKS;
}


size_t
ngx_http_ticket_keys_url_status_size(ngx_http_request_t *r)
{
    ngx_http_ticket_keys_url_main_conf_t  *kmcf;

    kmcf = ngx_http_get_module_main_conf(r, ngx_http_ticket_keys_url_module);

    if (kmcf == NULL || kmcf->sources.nelts == 0) {
        return 0;
    }

    return 512 + kmcf->sources.nelts * (NGX_HTTP_TICKET_KEYS_NRESULTS + 2)
                 * (128 + TICKET_URL_MAX_HOST + TICKET_URL_MAX_PATH + 16);
}


u_char *
ngx_http_ticket_keys_url_status(ngx_http_request_t *r, u_char *p)
{
    time_t                                 now;
    ngx_uint_t                             i, j;
    ngx_http_ticket_keysrc_t             **srcs, *src;
    ngx_http_ticket_keys_url_sh_t         *sh;
    ngx_http_ticket_keys_url_main_conf_t  *kmcf;

    kmcf = ngx_http_get_module_main_conf(r, ngx_http_ticket_keys_url_module);

    if (kmcf == NULL || kmcf->sources.nelts == 0) {
        return p;
    }

    srcs = kmcf->sources.elts;
    now = ngx_time();

    p = ngx_sprintf(p,
        "# HELP ticket_keys_age_seconds Age of the key set fetched from "
        "each key service.\n"
        "# TYPE ticket_keys_age_seconds gauge\n");

    for (i = 0; i < kmcf->sources.nelts; i++) {
        src = srcs[i];
        sh = src->sh;

        if (sh == NULL || sh->fetched == 0) {
            p = ngx_sprintf(p, "ticket_keys_age_seconds{source=\"%V\"} "
                            "+Inf\n", &src->url);

        } else {
            p = ngx_sprintf(p, "ticket_keys_age_seconds{source=\"%V\"} %T\n",
                            &src->url, now - (time_t) sh->fetched);
        }
    }

    p = ngx_sprintf(p,
        "# HELP ticket_keys Keys of each key service in use (0 past "
        "max_stale).\n"
        "# TYPE ticket_keys gauge\n");

    for (i = 0; i < kmcf->sources.nelts; i++) {
        src = srcs[i];
        ngx_http_ticket_keys_url_sync(src, r->connection->log);

        p = ngx_sprintf(p, "ticket_keys{source=\"%V\"} %uz\n", &src->url,
                        src->keyset->nkeys);
    }

    p = ngx_sprintf(p,
        "# HELP ticket_keys_fetch_total Documents fetched from each key "
        "service, by result.\n"
        "# TYPE ticket_keys_fetch_total counter\n");

    for (i = 0; i < kmcf->sources.nelts; i++) {
        src = srcs[i];
        sh = src->sh;

        for (j = 0; j < NGX_HTTP_TICKET_KEYS_NRESULTS; j++) {
            p = ngx_sprintf(p, "ticket_keys_fetch_total{source=\"%V\","
                            "result=\"%s\"} %uA\n", &src->url,
                            ngx_http_ticket_keys_results[j],
                            sh ? sh->results[j] : 0);
        }
    }

    return p;
}


/*
 * ticket_keys_url URL [alg=ALG] [tenant=T] [refresh=MIN:MAX]
 * [max_stale=TIME], and ticket_oidc_issuer (cmd->offset 1) with the
 * same parameters.
 */

static char *
ngx_http_ticket_keys_url(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    char                                   err[TICKET_ERRLEN];
    u_char                                *p, *colon;
    size_t                                 len;
    ngx_str_t                             *value, s, name;
    ngx_uint_t                             i, oidc;
    ticket_url_t                           u;
    ticket_alg_t                           alg;
    ngx_str_t                             *iss;
    ngx_pool_cleanup_t                    *cln;
    ngx_http_ticket_keysrc_t              *src, **srcp;
    const ticket_alg_info_t               *info;
    ngx_http_ticket_loc_conf_t            *tlcf;
    ngx_http_ticket_keys_url_main_conf_t  *kmcf;

    value = cf->args->elts;
    oidc = cmd->offset;

    tlcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_ticket_module);
    kmcf = ngx_http_conf_get_module_main_conf(cf,
                                              ngx_http_ticket_keys_url_module);

    if (tlcf->keysrc != NULL) {
        return "is duplicate: one key service a scope";
    }

    /* the directive's text names its zone: the same text, the same keys */

    len = 0;
    for (i = 0; i < cf->args->nelts; i++) {
        len += value[i].len + 1;
    }

    name.data = ngx_pnalloc(cf->pool, len);
    if (name.data == NULL) {
        return NGX_CONF_ERROR;
    }

    p = name.data;
    for (i = 0; i < cf->args->nelts; i++) {
        p = ngx_cpymem(p, value[i].data, value[i].len);
        *p++ = ' ';
    }

    name.len = len - 1;

    srcp = kmcf->sources.elts;
    for (i = 0; i < kmcf->sources.nelts; i++) {
        if (srcp[i]->name.len == name.len
            && ngx_strncmp(srcp[i]->name.data, name.data, name.len) == 0)
        {
            src = srcp[i];
            goto found;
        }
    }

    src = ngx_pcalloc(cf->pool, sizeof(ngx_http_ticket_keysrc_t));
    if (src == NULL) {
        return NGX_CONF_ERROR;
    }

    src->name = name;
    src->url = value[1];
    src->refresh_min = 60;
    src->refresh_max = 3600;
    src->max_stale = 86400;
    src->conf = conf;

    for (i = 0; i < value[1].len; i++) {
        if (value[1].data[i] == '"' || value[1].data[i] == '\\') {
            goto invalid_url;
        }
    }

    for (i = 2; i < cf->args->nelts; i++) {

        if (ngx_strncmp(value[i].data, "alg=", 4) == 0
            && src->rsa_alg == TICKET_ALG_UNKNOWN)
        {
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

            src->rsa_alg = alg;
            continue;
        }

        if (ngx_strncmp(value[i].data, "tenant=", 7) == 0
            && value[i].len > 7 && src->tenant == NULL)
        {
            src->tenant = value[i].data + 7;
            continue;
        }

        if (ngx_strncmp(value[i].data, "refresh=", 8) == 0) {
            s.data = value[i].data + 8;
            s.len = value[i].len - 8;

            colon = ngx_strlchr(s.data, s.data + s.len, ':');
            if (colon == NULL) {
                goto invalid;
            }

            s.len = colon - s.data;
            src->refresh_min = ngx_parse_time(&s, 1);

            s.data = colon + 1;
            s.len = value[i].data + value[i].len - s.data;
            src->refresh_max = ngx_parse_time(&s, 1);

            if (src->refresh_min == (time_t) NGX_ERROR
                || src->refresh_max == (time_t) NGX_ERROR
                || src->refresh_min < 1
                || src->refresh_max < src->refresh_min)
            {
                goto invalid;
            }

            continue;
        }

        if (ngx_strncmp(value[i].data, "max_stale=", 10) == 0) {
            s.data = value[i].data + 10;
            s.len = value[i].len - 10;

            src->max_stale = ngx_parse_time(&s, 1);
            if (src->max_stale == (time_t) NGX_ERROR) {
                goto invalid;
            }

            continue;
        }

        goto invalid;
    }

    if (ticket_url_parse((char *) value[1].data, value[1].len, &u, err,
                         sizeof(err))
        != 0)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "invalid URL \"%V\": %s",
                           &value[1], err);
        return NGX_CONF_ERROR;
    }

    if (oidc) {
        if (u.path_len + sizeof("/.well-known/openid-configuration")
            > TICKET_URL_MAX_PATH || ngx_strlchr((u_char *) u.path,
                                                 (u_char *) u.path
                                                 + u.path_len, '?'))
        {
            goto invalid_url;
        }

        src->issuer = value[1];

        /* as OpenID Connect Discovery 1.0, section 4: no double slash */

        len = u.path_len;
        if (u.path[len - 1] == '/') {
            len--;
        }

        src->path.data = ngx_pnalloc(cf->pool, len
                                     + sizeof("/.well-known/"
                                              "openid-configuration"));
        if (src->path.data == NULL) {
            return NGX_CONF_ERROR;
        }

        p = ngx_cpymem(src->path.data, u.path, len);
        p = ngx_cpymem(p, "/.well-known/openid-configuration",
                       sizeof("/.well-known/openid-configuration") - 1);
        src->path.len = p - src->path.data;

        src->jwks_path.data = ngx_pnalloc(cf->pool, TICKET_URL_MAX_PATH);
        src->jwks_host.data = ngx_pnalloc(cf->pool, TICKET_URL_MAX_HOST + 1);

        if (src->jwks_path.data == NULL || src->jwks_host.data == NULL) {
            return NGX_CONF_ERROR;
        }

    } else {
        src->path.data = ngx_pnalloc(cf->pool, u.path_len);
        if (src->path.data == NULL) {
            return NGX_CONF_ERROR;
        }

        ngx_memcpy(src->path.data, u.path, u.path_len);
        src->path.len = u.path_len;
    }

    if (ngx_http_ticket_keys_url_address(cf, src, &u) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    src->issuer_host = src->fetch.host;
    src->issuer_port = src->fetch.port;

    cln = ngx_pool_cleanup_add(cf->pool, sizeof(ticket_keyset_t));
    if (cln == NULL) {
        return NGX_CONF_ERROR;
    }

    src->keyset = cln->data;
    ticket_keyset_init(src->keyset);
    cln->handler = ngx_http_ticket_keyset_free;

    /* a document of at most TICKET_KEYS_MAX_DOC and the slab's pages */

    src->zone = ngx_shared_memory_add(cf, &src->name,
                                      2 * TICKET_KEYS_MAX_DOC + 65536,
                                      &ngx_http_ticket_keys_url_module);
    if (src->zone == NULL) {
        return NGX_CONF_ERROR;
    }

    src->zone->init = ngx_http_ticket_keys_url_init_zone;
    src->zone->data = src;
    src->zone->noreuse = 0;

    srcp = ngx_array_push(&kmcf->sources);
    if (srcp == NULL) {
        return NGX_CONF_ERROR;
    }

    *srcp = src;

found:

    if (tlcf->keyset != NULL) {

        /* key files came first: the scope's set becomes both */

        if (ngx_http_ticket_keys_url_both(cf, tlcf, src) == NULL) {
            return NGX_CONF_ERROR;
        }

    } else {
        tlcf->keyset = src->keyset;
    }

    tlcf->keysrc = src;

    if (src->issuer.len) {

        /* the issuer becomes an accepted "iss" of the scope */

        if (tlcf->issuers == NGX_CONF_UNSET_PTR || tlcf->issuers == NULL) {
            tlcf->issuers = ngx_array_create(cf->pool, 2, sizeof(ngx_str_t));
            if (tlcf->issuers == NULL) {
                return NGX_CONF_ERROR;
            }
        }

        iss = ngx_array_push(tlcf->issuers);
        if (iss == NULL) {
            return NGX_CONF_ERROR;
        }

        *iss = src->issuer;
    }

    return NGX_CONF_OK;

invalid:

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "invalid parameter \"%V\"",
                       &value[i]);
    return NGX_CONF_ERROR;

invalid_url:

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "invalid URL \"%V\"",
                       &value[1]);
    return NGX_CONF_ERROR;
}


/*
 * An address is resolved now; a host name after the merge, when the
 * scope's "resolver" is known (ngx_http_ticket_keys_url_resolve()).
 */

static ngx_int_t
ngx_http_ticket_keys_url_address(ngx_conf_t *cf,
    ngx_http_ticket_keysrc_t *src, ticket_url_t *u)
{
    ngx_uint_t  is_ip;

    src->fetch.host.data = ngx_pnalloc(cf->pool, u->host_len + 1);
    if (src->fetch.host.data == NULL) {
        return NGX_ERROR;
    }

    ngx_memcpy(src->fetch.host.data, u->host, u->host_len + 1);
    src->fetch.host.len = u->host_len;
    is_ip = (ngx_inet_addr((u_char *) u->host, u->host_len) != INADDR_NONE);
    src->fetch.port = (in_port_t) u->port;
    src->clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);

    if (is_ip || u->host[0] == '[') {
        if (ngx_http_ticket_keys_url_resolve(cf, src) != NGX_OK) {
            return NGX_ERROR;
        }

    } else {
        src->deferred = 1;
    }

    src->fetch.timeout = NGX_HTTP_TICKET_KEYS_TIMEOUT;
    src->fetch.max_size = TICKET_KEYS_MAX_DOC + 16384;  /* and the header */
    src->fetch.handler = ngx_http_ticket_keys_url_fetched;
    src->fetch.data = src;

    return NGX_OK;
}


/*
 * With a "resolver" in the scope the host is resolved before each fetch,
 * by that resolver; else now, at configuration time, never on a
 * worker's request path.
 */

static ngx_int_t
ngx_http_ticket_keys_url_resolve(ngx_conf_t *cf,
    ngx_http_ticket_keysrc_t *src)
{
    ngx_url_t    url;
    ngx_uint_t   i;
    ngx_addr_t  *addr;

    if (src->deferred && src->clcf->resolver != NULL
        && src->clcf->resolver->connections.nelts)
    {
        src->fetch.resolver = src->clcf->resolver;
        src->fetch.resolver_timeout =
            (src->clcf->resolver_timeout == NGX_CONF_UNSET_MSEC)
            ? 30000 : src->clcf->resolver_timeout;
        return NGX_OK;
    }

    ngx_memzero(&url, sizeof(ngx_url_t));

    url.url.data = ngx_pnalloc(cf->pool, src->fetch.host.len + 7);
    if (url.url.data == NULL) {
        return NGX_ERROR;
    }

    url.url.len = ngx_sprintf(url.url.data, "%V:%ud", &src->fetch.host,
                              (ngx_uint_t) src->fetch.port)
                  - url.url.data;
    url.default_port = src->fetch.port;

    if (ngx_parse_url(cf->pool, &url) != NGX_OK || url.naddrs == 0) {
        ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                      "%s in key service URL \"%V\" (a \"resolver\" "
                      "resolves it at run time)",
                      url.err ? url.err : "host not found", &src->url);
        return NGX_ERROR;
    }

    /* an IPv4 address first: a loopback service listens on 127.0.0.1 */

    addr = &url.addrs[0];

    for (i = 0; i < url.naddrs; i++) {
        if (url.addrs[i].sockaddr->sa_family == AF_INET) {
            addr = &url.addrs[i];
            break;
        }
    }

    src->fetch.addr = *addr;

    return NGX_OK;
}


/* as limit_req's: a reload keeps the zone, so the keys stay */

static ngx_int_t
ngx_http_ticket_keys_url_init_zone(ngx_shm_zone_t *shm_zone, void *data)
{
    ngx_http_ticket_keysrc_t  *osrc = data;

    size_t                     len;
    ngx_http_ticket_keysrc_t  *src;

    src = shm_zone->data;

    if (osrc) {
        src->sh = osrc->sh;
        src->shpool = osrc->shpool;
        return NGX_OK;
    }

    src->shpool = (ngx_slab_pool_t *) shm_zone->shm.addr;

    if (shm_zone->shm.exists) {
        src->sh = src->shpool->data;
        return NGX_OK;
    }

    src->sh = ngx_slab_alloc(src->shpool,
                             sizeof(ngx_http_ticket_keys_url_sh_t)
                             + TICKET_KEYS_MAX_DOC);
    if (src->sh == NULL) {
        return NGX_ERROR;
    }

    ngx_memzero(src->sh, sizeof(ngx_http_ticket_keys_url_sh_t));
    src->shpool->data = src->sh;

    len = sizeof(" in ticket key service zone \"\"") + shm_zone->shm.name.len;

    src->shpool->log_ctx = ngx_slab_alloc(src->shpool, len);
    if (src->shpool->log_ctx == NULL) {
        return NGX_ERROR;
    }

    ngx_sprintf(src->shpool->log_ctx, " in ticket key service zone \"%V\"%Z",
                &shm_zone->shm.name);

    return NGX_OK;
}


ticket_keyset_t *
ngx_http_ticket_keys_url_files(ngx_conf_t *cf,
    ngx_http_ticket_loc_conf_t *tlcf)
{
    ngx_http_ticket_keys_both_t  *both;

    both = tlcf->keys_both;

    if (both == NULL) {
        both = ngx_http_ticket_keys_url_both(cf, tlcf, tlcf->keysrc);
        if (both == NULL) {
            return NULL;
        }
    }

    return &both->files;
}


/* the files' keys so far (tlcf->keyset, or none) move into both->files */

static ngx_http_ticket_keys_both_t *
ngx_http_ticket_keys_url_both(ngx_conf_t *cf,
    ngx_http_ticket_loc_conf_t *tlcf, ngx_http_ticket_keysrc_t *src)
{
    ngx_pool_cleanup_t           *cln;
    ngx_http_ticket_keys_both_t  *both;

    cln = ngx_pool_cleanup_add(cf->pool, sizeof(ngx_http_ticket_keys_both_t));
    if (cln == NULL) {
        return NULL;
    }

    both = cln->data;
    ngx_memzero(both, sizeof(ngx_http_ticket_keys_both_t));

    ticket_keyset_init(&both->set);
    ticket_keyset_init(&both->files);
    both->src = src;

    cln->handler = ngx_http_ticket_keys_both_free;

    if (tlcf->keyset != NULL && tlcf->keyset != src->keyset) {
        both->files = *tlcf->keyset;
        ticket_keyset_init(tlcf->keyset);
    }

    tlcf->keys_both = both;
    tlcf->keyset = &both->set;

    return both;
}


static void
ngx_http_ticket_keys_both_free(void *data)
{
    ngx_http_ticket_keys_both_t  *both = data;

    ticket_keyset_free(&both->set);
    ticket_keyset_free(&both->files);
}


static void
ngx_http_ticket_keyset_free(void *data)
{
    ticket_keyset_t  *ks = data;

    ticket_keyset_free(ks);
}


static void *
ngx_http_ticket_keys_url_create_main_conf(ngx_conf_t *cf)
{
    ngx_http_ticket_keys_url_main_conf_t  *kmcf;

    kmcf = ngx_pcalloc(cf->pool, sizeof(ngx_http_ticket_keys_url_main_conf_t));
    if (kmcf == NULL) {
        return NULL;
    }

    if (ngx_array_init(&kmcf->sources, cf->pool, 2,
                       sizeof(ngx_http_ticket_keysrc_t *))
        != NGX_OK)
    {
        return NULL;
    }

    return kmcf;
}


static void *
ngx_http_ticket_keys_url_create_loc_conf(ngx_conf_t *cf)
{
    ngx_http_ticket_keys_url_loc_conf_t  *conf;

    conf = ngx_pcalloc(cf->pool, sizeof(ngx_http_ticket_keys_url_loc_conf_t));
    if (conf == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     conf->trusted = { 0, NULL };
     */

    return conf;
}


static char *
ngx_http_ticket_keys_url_merge_loc_conf(ngx_conf_t *cf, void *parent,
    void *child)
{
    ngx_http_ticket_keys_url_loc_conf_t  *prev = parent;
    ngx_http_ticket_keys_url_loc_conf_t  *conf = child;

    ngx_conf_merge_str_value(conf->trusted, prev->trusted, "");

    return NGX_CONF_OK;
}


/*
 * Every scope is merged: each source's trusted certificates and resolver
 * are known.
 */

static ngx_int_t
ngx_http_ticket_keys_url_postconf(ngx_conf_t *cf)
{
    ngx_uint_t                             i;
    ngx_http_ticket_keysrc_t             **srcs;
    ngx_http_ticket_keys_url_main_conf_t  *kmcf;

    kmcf = ngx_http_conf_get_module_main_conf(cf,
                                              ngx_http_ticket_keys_url_module);
    srcs = kmcf->sources.elts;

    for (i = 0; i < kmcf->sources.nelts; i++) {
        srcs[i]->fetch.ssl = ngx_http_ticket_tls_create(cf,
                                                        &srcs[i]->conf->trusted,
                                                        NULL, NULL);
        if (srcs[i]->fetch.ssl == NULL) {
            return NGX_ERROR;
        }

        if (srcs[i]->deferred
            && ngx_http_ticket_keys_url_resolve(cf, srcs[i]) != NGX_OK)
        {
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_ticket_keys_url_init_process(ngx_cycle_t *cycle)
{
    ngx_uint_t                             i;
    ngx_http_ticket_keysrc_t             **srcs, *src;
    ngx_http_ticket_keys_url_main_conf_t  *kmcf;

    if (ngx_process != NGX_PROCESS_WORKER
        && ngx_process != NGX_PROCESS_SINGLE)
    {
        return NGX_OK;
    }

    kmcf = ngx_http_cycle_get_module_main_conf(cycle,
                                               ngx_http_ticket_keys_url_module);
    if (kmcf == NULL) {
        return NGX_OK;
    }

    srcs = kmcf->sources.elts;

    for (i = 0; i < kmcf->sources.nelts; i++) {
        src = srcs[i];

        src->tick.handler = ngx_http_ticket_keys_url_tick;
        src->tick.data = src;
        src->tick.log = cycle->log;
        src->tick.cancelable = 1;

        ngx_add_timer(&src->tick, 1);
    }

    return NGX_OK;
}


static void
ngx_http_ticket_keys_url_exit_process(ngx_cycle_t *cycle)
{
    ngx_uint_t                             i;
    ngx_http_ticket_keysrc_t             **srcs;
    ngx_http_ticket_keys_url_main_conf_t  *kmcf;

    kmcf = ngx_http_cycle_get_module_main_conf(cycle,
                                               ngx_http_ticket_keys_url_module);
    if (kmcf == NULL) {
        return;
    }

    srcs = kmcf->sources.elts;

    for (i = 0; i < kmcf->sources.nelts; i++) {
        ngx_http_ticket_fetch_abort(&srcs[i]->fetch);
        ngx_http_ticket_keys_url_unlock(srcs[i]);
    }
}
