
/*
 * ngx_ticket_module: ticket_status, Prometheus text format, and the shared
 * counters behind it.  Counters survive reloads, as stub_status's do.
 */


#include "ngx_http_ticket_types.h"
#include "ngx_http_ticket_status.h"
#include "ngx_http_ticket_cache.h"
#include "ngx_http_ticket_keys_url.h"
#include "ngx_http_ticket_revocation_zone.h"

#include <ticket_revocation.h>


static ngx_int_t ngx_http_ticket_status_handler(ngx_http_request_t *r);
static ngx_int_t ngx_http_ticket_metrics_init_zone(ngx_shm_zone_t *shm_zone,
    void *data);


static ngx_str_t  ngx_http_ticket_metrics_name =
    ngx_string("ticket_metrics");

static const char  *ngx_http_ticket_decisions[] = {
    "", "allow", "deny", "audit"
};


static ngx_int_t
ngx_http_ticket_status_handler(ngx_http_request_t *r)
{
    size_t                               size;
    ngx_int_t                            rc, rv;
    ngx_buf_t                           *b;
    ngx_uint_t                           d, i, cached, failed;
    ngx_chain_t                          out;
    ngx_atomic_uint_t                    n;
    ngx_http_ticket_metrics_t           *m;
    ngx_http_ticket_main_conf_t         *tmcf;
    ngx_http_ticket_revocation_stats_t   st;

    if (!(r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD))) {
        return NGX_HTTP_NOT_ALLOWED;
    }

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    tmcf = ngx_http_get_module_main_conf(r, ngx_http_ticket_module);
    m = ngx_http_ticket_metrics(tmcf);

    if (m == NULL) {
        return NGX_HTTP_SERVICE_UNAVAILABLE;
    }

    rv = ngx_http_ticket_revocation_stats(r, &st);

    ngx_http_ticket_cache_held(tmcf, &cached, &failed);

    size = 4096 + 4 * TICKET_REASON_MAX * 128
           + ngx_http_ticket_keys_url_status_size(r);

    b = ngx_create_temp_buf(r->pool, size);
    if (b == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    b->last = ngx_sprintf(b->last,
        "# HELP ticket_requests_total Ticket checks by decision and "
        "reason.\n"
        "# TYPE ticket_requests_total counter\n");

    for (d = 1; d < 4; d++) {
        for (i = 0; i < TICKET_REASON_MAX; i++) {
            n = m->requests[d][i];

            /*
             * Every series that can happen, from the start, at 0: so that
             * increase() sees the first bad_signature after a restart.
             * An allowed request is always "ok" (excess_privilege is the
             * audit record's); refusals are never "ok".
             */

            if ((d == NGX_HTTP_TICKET_ALLOW) != (i == TICKET_OK)
                || i == TICKET_EXCESS_PRIVILEGE)
            {
                continue;
            }

            b->last = ngx_sprintf(b->last,
                         "ticket_requests_total{decision=\"%s\","
                         "reason=\"%s\"} %uA\n",
                         ngx_http_ticket_decisions[d],
                         ticket_reason_name((ticket_reason_t) i), n);
        }
    }

    /* the revocation series only where ticket_redis is configured */

    if (rv != NGX_OK) {
        goto counters;
    }

    b->last = ngx_sprintf(b->last,
        "# HELP ticket_revocation_entries Revoked rows held in shared "
        "memory.\n"
        "# TYPE ticket_revocation_entries gauge\n");

    for (i = 0; i < TICKET_REV_LISTS; i++) {
        b->last = ngx_sprintf(b->last,
                              "ticket_revocation_entries{list=\"%s\"} %ui\n",
                              ticket_rev_list_name(i),
                              rv == NGX_OK ? st.entries[i] : 0);
    }

    b->last = ngx_sprintf(b->last,
        "# HELP ticket_revocation_sync_age_seconds Time since Redis last "
        "answered the syncing worker.\n"
        "# TYPE ticket_revocation_sync_age_seconds gauge\n");

    if (rv == NGX_OK && st.age >= 0) {
        b->last = ngx_sprintf(b->last,
                              "ticket_revocation_sync_age_seconds %M.%03M\n",
                              (ngx_msec_t) st.age / 1000,
                              (ngx_msec_t) st.age % 1000);

    } else {
        b->last = ngx_sprintf(b->last,
                              "ticket_revocation_sync_age_seconds +Inf\n");
    }

    b->last = ngx_sprintf(b->last,
        "# HELP ticket_redis_up Whether the syncing worker holds a working "
        "Redis connection.\n"
        "# TYPE ticket_redis_up gauge\n"
        "ticket_redis_up %ui\n"
        "# HELP ticket_revocation_loaded Whether the lists were loaded "
        "since start.\n"
        "# TYPE ticket_revocation_loaded gauge\n"
        "ticket_revocation_loaded %ui\n"
        "# HELP ticket_revocation_zone_full Whether the zone ran out of "
        "room (the gateway then fails closed).\n"
        "# TYPE ticket_revocation_zone_full gauge\n"
        "ticket_revocation_zone_full %ui\n",
        st.redis_up, st.loaded, st.full);

counters:

    b->last = ngx_sprintf(b->last,
        "# HELP ticket_cache_hits_total Verified-ticket cache hits.\n"
        "# TYPE ticket_cache_hits_total counter\n"
        "ticket_cache_hits_total %uA\n"
        "# HELP ticket_cache_misses_total Verified-ticket cache misses.\n"
        "# TYPE ticket_cache_misses_total counter\n"
        "ticket_cache_misses_total %uA\n"
        "# HELP ticket_cache_entries Tickets held in the verified-ticket "
        "cache: verified, and failed signatures remembered for a few "
        "seconds.\n"
        "# TYPE ticket_cache_entries gauge\n"
        "ticket_cache_entries{state=\"verified\"} %ui\n"
        "ticket_cache_entries{state=\"failed\"} %ui\n"
        "# HELP ticket_audit_records_total Audit records written.\n"
        "# TYPE ticket_audit_records_total counter\n"
        "ticket_audit_records_total %uA\n"
        "# HELP ticket_audit_dropped_total Audit records lost to a failing "
        "target.\n"
        "# TYPE ticket_audit_dropped_total counter\n"
        "ticket_audit_dropped_total %uA\n"
        "# HELP ticket_alerts_total Alerts raised by ticket_alert rules.\n"
        "# TYPE ticket_alerts_total counter\n"
        "ticket_alerts_total{rule=\"over_privilege\"} %uA\n"
        "ticket_alerts_total{rule=\"shared_ticket\"} %uA\n",
        m->cache_hits, m->cache_misses, cached, failed,
        m->audit_records, m->audit_dropped,
        m->alerts[NGX_HTTP_TICKET_ALERT_OVER],
        m->alerts[NGX_HTTP_TICKET_ALERT_SHARED]);

    b->last = ngx_http_ticket_keys_url_status(r, b->last);

    /* a Redis series: only where ticket_redis is configured */

    if (rv == NGX_OK) {
        b->last = ngx_sprintf(b->last,
            "# HELP ticket_alert_revocations_failed_total Revocations of "
            "\"ticket_alert ... revoke\" that Redis did not take.\n"
            "# TYPE ticket_alert_revocations_failed_total counter\n"
            "ticket_alert_revocations_failed_total"
            "{rule=\"over_privilege\"} %uA\n"
            "ticket_alert_revocations_failed_total"
            "{rule=\"shared_ticket\"} %uA\n",
            m->alert_revokes_failed[NGX_HTTP_TICKET_ALERT_OVER],
            m->alert_revokes_failed[NGX_HTTP_TICKET_ALERT_SHARED]);
    }

    r->headers_out.status = NGX_HTTP_OK;
    r->headers_out.content_length_n = b->last - b->pos;
    ngx_str_set(&r->headers_out.content_type,
                "text/plain; version=0.0.4; charset=utf-8");
    r->headers_out.content_type_len = r->headers_out.content_type.len;

    if (r->method == NGX_HTTP_HEAD) {
        return ngx_http_send_header(r);
    }

    b->last_buf = (r == r->main) ? 1 : 0;
    b->last_in_chain = 1;

    out.buf = b;
    out.next = NULL;

    rc = ngx_http_send_header(r);

    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        return rc;
    }

    return ngx_http_output_filter(r, &out);
}


/* the counters' zone is made here, as limit_req_zone makes its own: only
 * a configuration that can show the counters has them */

char *
ngx_http_ticket_status(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_core_loc_conf_t     *clcf;
    ngx_http_ticket_main_conf_t  *tmcf;

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);
    clcf->handler = ngx_http_ticket_status_handler;

    tmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_ticket_module);

    if (tmcf->metrics_zone != NULL) {
        return NGX_CONF_OK;
    }

    tmcf->metrics_zone = ngx_shared_memory_add(cf,
                                               &ngx_http_ticket_metrics_name,
                                               8 * ngx_pagesize,
                                               &ngx_http_ticket_module);
    if (tmcf->metrics_zone == NULL) {
        return NGX_CONF_ERROR;
    }

    tmcf->metrics_zone->init = ngx_http_ticket_metrics_init_zone;

    return NGX_CONF_OK;
}


static ngx_int_t
ngx_http_ticket_metrics_init_zone(ngx_shm_zone_t *shm_zone, void *data)
{
    ngx_slab_pool_t  *shpool;

    if (data != NULL) {
        /* reload: the counters go on counting */
        shm_zone->data = data;
        return NGX_OK;
    }

    shpool = (ngx_slab_pool_t *) shm_zone->shm.addr;

    if (shm_zone->shm.exists) {
        shm_zone->data = shpool->data;
        return NGX_OK;
    }

    shm_zone->data = ngx_slab_calloc(shpool,
                                     sizeof(ngx_http_ticket_metrics_t));
    if (shm_zone->data == NULL) {
        return NGX_ERROR;
    }

    shpool->data = shm_zone->data;

    return NGX_OK;
}
