
/*
 * ngx_ticket_module: ticket_alert, detection across all the workers of a
 * gateway, in a shared zone of fixed size.
 *
 * A slot counts one subject (over_privilege) or one ticket (shared_ticket)
 * over a window that slides: its key (a 64-bit hash of rule and key), its
 * last event and when it last alerted; for over_privilege the refusals in
 * sixteen buckets, each a sixteenth of the window (so "N within WINDOW"
 * holds to a sixteenth of it, and a burst split across the end of a
 * fixed window cannot slip through); for shared_ticket the hashes of the
 * client addresses seen and when each was last seen (a threshold is at
 * most NGX_HTTP_TICKET_ALERT_MAX_ADDRS).  An alert comes once the count
 * within the window reaches the threshold, and again only a window after
 * the last one.  A key probes a few slots from its hash; with none its
 * own or free (nothing within its window), it takes the one whose last
 * event is the oldest: a flood of distinct subjects evicts old slots,
 * never grows anything and never waits.  The lock is held for a few slot
 * compares, as limit_req holds its own.
 */


#include "ngx_http_ticket_types.h"
#include "ngx_http_ticket_alert.h"
#include "ngx_http_ticket_revocation_write.h"
#include "ngx_http_ticket_status.h"
#include "ngx_http_ticket_text.h"


#define NGX_HTTP_TICKET_ALERT_ZONE_SIZE  (2 * 1024 * 1024)
#define NGX_HTTP_TICKET_ALERT_PROBES     8
#define NGX_HTTP_TICKET_ALERT_MAX_ADDRS  16
#define NGX_HTTP_TICKET_ALERT_BUCKETS    16
#define NGX_HTTP_TICKET_ALERT_MAX_WINDOW 86400


typedef struct {
    uint64_t                    key;         /* 0: free */
    uint32_t                    last;        /* the last event, unix time */
    uint32_t                    window;      /* seconds */
    uint32_t                    alerted;     /* the last alert; 0: none */
    uint32_t                    naddrs;

    union {
        /* over_privilege: refusals a bucket, bucket b at b % BUCKETS */
        uint32_t                buckets[NGX_HTTP_TICKET_ALERT_BUCKETS];

        /* shared_ticket: the addresses' hashes, each last seen when */
        struct {
            uint32_t            addrs[NGX_HTTP_TICKET_ALERT_MAX_ADDRS];
            uint32_t            seen[NGX_HTTP_TICKET_ALERT_MAX_ADDRS];
        } a;
    } u;
} ngx_http_ticket_alert_slot_t;


typedef struct {
    ngx_uint_t                  nslots;
    ngx_http_ticket_alert_slot_t slots[1];
} ngx_http_ticket_alert_sh_t;


static ngx_int_t ngx_http_ticket_alert_init_zone(ngx_shm_zone_t *shm_zone,
    void *data);
static uint64_t ngx_http_ticket_alert_hash(ngx_uint_t rule,
    ngx_http_ticket_alert_rule_t *ar, ngx_str_t *key);
static ngx_uint_t ngx_http_ticket_alert_refused(
    ngx_http_ticket_alert_slot_t *s, uint32_t now);
static ngx_uint_t ngx_http_ticket_alert_seen(ngx_http_ticket_alert_slot_t *s,
    uint32_t a, uint32_t now);
static void ngx_http_ticket_alert_revoked(void *data, ngx_int_t rc);
static void ngx_http_ticket_alert_revoke_failed(ngx_uint_t rule);


/* what the writer's answer is logged with: outlives the request */

typedef struct {
    ngx_uint_t                  rule;
    ngx_str_t                   member;
} ngx_http_ticket_alert_write_t;


static ngx_str_t  ngx_http_ticket_alert_zone_name =
    ngx_string("ticket_alert");

static const char  *ngx_http_ticket_alert_rules[] = {
    "over_privilege", "shared_ticket"
};

static const char  *ngx_http_ticket_alert_reasons[] = {
    "over_privilege_burst", "shared_ticket"
};

static const char  *ngx_http_ticket_alert_lists[] = { "subject", "jti" };


ngx_uint_t
ngx_http_ticket_alert_count(ngx_http_request_t *r,
    ngx_http_ticket_loc_conf_t *tlcf, ngx_uint_t rule, ngx_str_t *key,
    ngx_str_t *addr)
{
    time_t                         now;
    uint32_t                       a;
    uint64_t                       h;
    ngx_uint_t                     i, n, count, ended;
    ngx_slab_pool_t               *shpool;
    ngx_http_ticket_alert_sh_t    *sh;
    ngx_http_ticket_alert_rule_t  *ar;
    ngx_http_ticket_alert_slot_t  *s, *mine, *old;
    ngx_http_ticket_main_conf_t   *tmcf;

    ar = &tlcf->alerts[rule];

    if (ar->n == 0 || key->len == 0) {
        return 0;
    }

    tmcf = ngx_http_get_module_main_conf(r, ngx_http_ticket_module);

    if (tmcf->alert_zone == NULL) {
        return 0;
    }

    shpool = (ngx_slab_pool_t *) tmcf->alert_zone->shm.addr;
    sh = tmcf->alert_zone->data;

    now = ngx_time();
    h = ngx_http_ticket_alert_hash(rule, ar, key);
    a = (addr != NULL) ? ngx_crc32_long(addr->data, addr->len) : 0;
    count = 0;

    ngx_shmtx_lock(&shpool->mutex);

    mine = NULL;
    old = NULL;
    ended = 0;

    for (i = 0; i < NGX_HTTP_TICKET_ALERT_PROBES; i++) {
        s = &sh->slots[(h + i) % sh->nslots];

        if (s->key == h) {
            mine = s;
            break;
        }

        /* a free slot or one with nothing left in its window first, else
         * the one whose last event is the oldest */

        if (s->key == 0 || (time_t) s->last + s->window <= now) {
            if (!ended) {
                old = s;
                ended = 1;
            }

            continue;
        }

        if (!ended && (old == NULL || s->last < old->last)) {
            old = s;
        }
    }

    if (mine == NULL) {
        mine = old;
        ngx_memzero(mine, sizeof(ngx_http_ticket_alert_slot_t));
        mine->key = h;
        mine->window = (uint32_t) ar->window;
        mine->last = (uint32_t) now;
    }

    if (rule == NGX_HTTP_TICKET_ALERT_SHARED) {
        n = ngx_http_ticket_alert_seen(mine, a, (uint32_t) now);

    } else {
        n = ngx_http_ticket_alert_refused(mine, (uint32_t) now);
    }

    mine->last = (uint32_t) now;

    /* once a window: again only a whole window after the last alert (an
     * alert "in the future" is a clock set back: over) */

    if (n >= ar->n
        && (mine->alerted == 0 || (time_t) mine->alerted > now
            || (time_t) mine->alerted + mine->window <= now))
    {
        mine->alerted = (uint32_t) now;
        count = n;
    }

    ngx_shmtx_unlock(&shpool->mutex);

    return count;
}


/*
 * A refusal now: the buckets the window slid past emptied, this one
 * counted; the refusals within the window (the buckets it spans).
 */

static ngx_uint_t
ngx_http_ticket_alert_refused(ngx_http_ticket_alert_slot_t *s, uint32_t now)
{
    uint32_t    width, b, last, j, span;
    ngx_uint_t  n;

    width = (s->window + NGX_HTTP_TICKET_ALERT_BUCKETS - 1)
            / NGX_HTTP_TICKET_ALERT_BUCKETS;
    span = (s->window + width - 1) / width;        /* at most BUCKETS */

    b = now / width;
    last = s->last / width;

    if (b < last || b - last >= NGX_HTTP_TICKET_ALERT_BUCKETS) {
        /* a clock set back, or nothing within the window: start over */
        ngx_memzero(s->u.buckets, sizeof(s->u.buckets));

    } else {
        for (j = last + 1; j <= b; j++) {
            s->u.buckets[j % NGX_HTTP_TICKET_ALERT_BUCKETS] = 0;
        }
    }

    if (s->u.buckets[b % NGX_HTTP_TICKET_ALERT_BUCKETS] < UINT32_MAX) {
        s->u.buckets[b % NGX_HTTP_TICKET_ALERT_BUCKETS]++;
    }

    n = 0;

    for (j = 0; j < span; j++) {
        n += s->u.buckets[(b - j) % NGX_HTTP_TICKET_ALERT_BUCKETS];
    }

    return n;
}


/*
 * A request from address a now: its time noted (a new address takes a
 * free entry, else the one seen longest ago); the addresses seen within
 * the window.
 */

static ngx_uint_t
ngx_http_ticket_alert_seen(ngx_http_ticket_alert_slot_t *s, uint32_t a,
    uint32_t now)
{
    ngx_uint_t  k, oldest, n;

    for (k = 0; k < s->naddrs; k++) {
        if (s->u.a.addrs[k] == a) {
            break;
        }
    }

    if (k == s->naddrs) {
        if (s->naddrs < NGX_HTTP_TICKET_ALERT_MAX_ADDRS) {
            s->naddrs++;

        } else {
            oldest = 0;

            for (k = 1; k < s->naddrs; k++) {
                if (s->u.a.seen[k] < s->u.a.seen[oldest]) {
                    oldest = k;
                }
            }

            k = oldest;
        }

        s->u.a.addrs[k] = a;
    }

    s->u.a.seen[k] = now;

    n = 0;

    for (k = 0; k < s->naddrs; k++) {
        if ((uint64_t) s->u.a.seen[k] + s->window > now) {
            n++;
        }
    }

    return n;
}


void
ngx_http_ticket_alert_revoke(ngx_http_request_t *r, ngx_uint_t rule,
    ngx_str_t *member, int64_t value)
{
    u_char                         *p;
    ngx_str_t                      *gw, text;
    ticket_rev_entry_t              e;
    ngx_http_ticket_main_conf_t    *tmcf;
    ngx_http_ticket_alert_write_t  *aw;

    /* ticket_audit_gateway, or the host name (ngx_http_ticket_audit_init) */

    tmcf = ngx_http_get_module_main_conf(r, ngx_http_ticket_module);
    gw = &tmcf->audit_gateway;

    /* the member as the logs show it: control bytes as \xHH */

    if (ngx_http_ticket_safe_str(r->pool, (const char *) member->data,
                                 member->len, &text)
        != NGX_OK)
    {
        ngx_str_set(&text, "?");
    }

    /* one allocation: the answer's context, its text, then the actor */

    aw = ngx_alloc(sizeof(ngx_http_ticket_alert_write_t) + text.len
                   + sizeof("gateway:") - 1 + gw->len, r->connection->log);
    if (aw == NULL) {
        goto failed;
    }

    aw->rule = rule;
    aw->member.data = (u_char *) (aw + 1);
    aw->member.len = text.len;
    p = ngx_cpymem(aw->member.data, text.data, text.len);

    ngx_memzero(&e, sizeof(ticket_rev_entry_t));

    e.list = (rule == NGX_HTTP_TICKET_ALERT_OVER) ? TICKET_REV_SUB
                                                  : TICKET_REV_JTI;
    e.member.data = (const char *) member->data;
    e.member.len = member->len;
    e.value = value;
    e.reason.data = ngx_http_ticket_alert_reasons[rule];
    e.reason.len = ngx_strlen(ngx_http_ticket_alert_reasons[rule]);
    e.actor.data = (const char *) p;
    p = ngx_cpymem(p, "gateway:", sizeof("gateway:") - 1);
    p = ngx_cpymem(p, gw->data, gw->len);
    e.actor.len = p - (u_char *) e.actor.data;

    /* the writer copies the entry and calls back from a posted event */

    if (ngx_http_ticket_rev_write(r->connection->log, &e, 1, NULL, 0,
                                  ngx_http_ticket_alert_revoked, aw)
        != NULL)
    {
        return;
    }

    ngx_free(aw);

failed:

    ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                  "ticket alert: %s: revoking %s \"%V\" failed: "
                  "no Redis writer",
                  ngx_http_ticket_alert_rules[rule],
                  ngx_http_ticket_alert_lists[rule], &text);

    ngx_http_ticket_alert_revoke_failed(rule);
}


static void
ngx_http_ticket_alert_revoked(void *data, ngx_int_t rc)
{
    ngx_http_ticket_alert_write_t  *aw = data;

    if (rc == NGX_ERROR) {
        ngx_log_error(NGX_LOG_ERR, ngx_cycle->log, 0,
                      "ticket alert: %s: revoking %s \"%V\" failed: "
                      "Redis did not take the write",
                      ngx_http_ticket_alert_rules[aw->rule],
                      ngx_http_ticket_alert_lists[aw->rule], &aw->member);

        ngx_http_ticket_alert_revoke_failed(aw->rule);

    } else {
        ngx_log_error(NGX_LOG_NOTICE, ngx_cycle->log, 0,
                      "ticket alert: %s: %s \"%V\" revoked",
                      ngx_http_ticket_alert_rules[aw->rule],
                      ngx_http_ticket_alert_lists[aw->rule], &aw->member);
    }

    ngx_free(aw);
}


/* ticket_alert_revocations_failed_total{rule}, where ticket_status is */

static void
ngx_http_ticket_alert_revoke_failed(ngx_uint_t rule)
{
    ngx_http_ticket_metrics_t    *m;
    ngx_http_ticket_main_conf_t  *tmcf;

    tmcf = ngx_http_cycle_get_module_main_conf(ngx_cycle,
                                               ngx_http_ticket_module);
    if (tmcf == NULL) {
        return;
    }

    m = ngx_http_ticket_metrics(tmcf);

    if (m != NULL) {
        (void) ngx_atomic_fetch_add(&m->alert_revokes_failed[rule], 1);
    }
}


/*
 * A slot is one subject (or ticket) under one rule as configured: its
 * threshold and window are part of its key, so a scope with a long
 * window and a high threshold never lends its window (or its last
 * alert) to another scope's rule, and a refusal elsewhere cannot keep
 * this scope's rule from alerting.
 */

static uint64_t
ngx_http_ticket_alert_hash(ngx_uint_t rule, ngx_http_ticket_alert_rule_t *ar,
    ngx_str_t *key)
{
    uint64_t  h;

    /* two independent 32-bit hashes: a collision needs both */

    h = ((uint64_t) ngx_crc32_long(key->data, key->len) << 32)
        | ngx_murmur_hash2(key->data, key->len);

    h ^= (uint64_t) (rule + 1) * 0x9e3779b97f4a7c15ULL;
    h ^= ((uint64_t) ar->window << 24 | (uint64_t) ar->n)
         * 0xc2b2ae3d27d4eb4fULL;

    return h ? h : 1;
}


/* ticket_alert over_privilege|shared_ticket N/WINDOW [revoke] */

char *
ngx_http_ticket_alert(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_ticket_loc_conf_t *tlcf = conf;

    u_char                        *slash;
    time_t                         window;
    ngx_int_t                      n;
    ngx_str_t                     *value, w;
    ngx_uint_t                     rule;
    ngx_http_ticket_main_conf_t   *tmcf;
    ngx_http_ticket_alert_rule_t  *ar;

    value = cf->args->elts;

    for (rule = 0; rule < NGX_HTTP_TICKET_ALERT_RULES; rule++) {
        if (ngx_strcmp(value[1].data, ngx_http_ticket_alert_rules[rule]) == 0)
        {
            break;
        }
    }

    if (rule == NGX_HTTP_TICKET_ALERT_RULES) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid rule \"%V\", it must be "
                           "\"over_privilege\" or \"shared_ticket\"",
                           &value[1]);
        return NGX_CONF_ERROR;
    }

    ar = &tlcf->alerts[rule];

    if (ar->n != 0) {
        return "is duplicate";
    }

    slash = ngx_strlchr(value[2].data, value[2].data + value[2].len, '/');

    if (slash == NULL) {
        goto invalid;
    }

    n = ngx_atoi(value[2].data, slash - value[2].data);

    w.data = slash + 1;
    w.len = value[2].data + value[2].len - w.data;
    window = ngx_parse_time(&w, 1);

    if (n < 1 || window == (time_t) NGX_ERROR || window < 1
        || window > NGX_HTTP_TICKET_ALERT_MAX_WINDOW
        || (rule == NGX_HTTP_TICKET_ALERT_SHARED
            && n > NGX_HTTP_TICKET_ALERT_MAX_ADDRS))
    {
        goto invalid;
    }

    if (cf->args->nelts == 4) {
        if (ngx_strcmp(value[3].data, "revoke") != 0) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid parameter \"%V\"", &value[3]);
            return NGX_CONF_ERROR;
        }

        ar->revoke = 1;
    }

    ar->n = n;
    ar->window = window;
    tlcf->alerts_set = 1;

    tmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_ticket_module);

    if (tmcf->alert_zone == NULL) {
        tmcf->alert_zone = ngx_shared_memory_add(cf,
                                          &ngx_http_ticket_alert_zone_name,
                                          NGX_HTTP_TICKET_ALERT_ZONE_SIZE,
                                          &ngx_http_ticket_module);
        if (tmcf->alert_zone == NULL) {
            return NGX_CONF_ERROR;
        }

        tmcf->alert_zone->init = ngx_http_ticket_alert_init_zone;
    }

    return NGX_CONF_OK;

invalid:

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "invalid threshold \"%V\", it must be N/WINDOW "
                       "(N from 1%s, WINDOW up to 1d)", &value[2],
                       rule == NGX_HTTP_TICKET_ALERT_SHARED ? " to 16" : "");
    return NGX_CONF_ERROR;
}


static ngx_int_t
ngx_http_ticket_alert_init_zone(ngx_shm_zone_t *shm_zone, void *data)
{
    size_t                       size;
    ngx_slab_pool_t             *shpool;
    ngx_http_ticket_alert_sh_t  *sh;

    if (data != NULL) {
        /* reload: the windows go on */
        shm_zone->data = data;
        return NGX_OK;
    }

    shpool = (ngx_slab_pool_t *) shm_zone->shm.addr;

    if (shm_zone->shm.exists) {
        shm_zone->data = shpool->data;
        return NGX_OK;
    }

    /* as many slots as the zone holds after the slab's own pages */

    size = NGX_HTTP_TICKET_ALERT_ZONE_SIZE / 2;

    sh = ngx_slab_calloc(shpool, size);
    if (sh == NULL) {
        return NGX_ERROR;
    }

    sh->nslots = (size - offsetof(ngx_http_ticket_alert_sh_t, slots))
                 / sizeof(ngx_http_ticket_alert_slot_t);

    shm_zone->data = sh;
    shpool->data = sh;

    return NGX_OK;
}
