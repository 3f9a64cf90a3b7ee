
/*
 * A ticket's structure, header and claims, before any key is looked at.
 *
 * Nothing here trusts the ticket: every rule is checked on bytes an
 * attacker chose, and every claim the later checks read is typed here,
 * so that they never meet a claim of an unexpected type.
 */


#include <stdlib.h>
#include <string.h>

#include "ticket_b64.h"
#include "ticket_json.h"
#include "ticket_parse.h"


static ticket_reason_t ticket_parse_header(ticket_t *t);
static ticket_reason_t ticket_parse_claims(ticket_t *t,
    const ticket_str_t *roles_path);
static int ticket_get_string(json_t *obj, const char *name, int required,
    int nonempty, ticket_str_t *str);
static int ticket_get_time(json_t *obj, const char *name, int required,
    int64_t *v, int *present);
static int ticket_is_string_array(json_t *value);
static ticket_reason_t ticket_parse_lists(ticket_t *t);


/* headers that would let the ticket choose its own key */

static const char  *ticket_untrusted_key_headers[] = {
    "jku", "jwk", "x5u", "x5c"
};


void
ticket_init(ticket_t *t)
{
    memset(t, 0, sizeof(ticket_t));
}


void
ticket_free(ticket_t *t)
{
    json_decref(t->header);
    json_decref(t->claims);

    if (!t->restored) {
        /* a restored ticket's lists and text live in the caller's buffer */
        free(t->sig);
        free(t->payload);
        free(t->roles_list.values);
    }

    ticket_init(t);
}


int
ticket_claims_load(ticket_t *t)
{
    if (t->claims != NULL) {
        return 0;
    }

    if (t->payload == NULL) {
        return -1;
    }

    t->claims = ticket_json_parse_object(t->payload, t->payload_len);

    return t->claims ? 0 : -1;
}


/*
 * t is reinitialised here: a ticket parsed before must have been freed.
 * On any error t holds whatever was decoded so far, for ticket_free().
 */

ticket_reason_t
ticket_parse(ticket_t *t, const char *token, size_t len,
    const ticket_str_t *roles_path)
{
    long              n;
    size_t            hlen, plen, slen;
    const char       *dot1, *dot2, *p, *s;
    unsigned char    *buf;
    ticket_reason_t   rc;

    ticket_init(t);

    if (token == NULL || len == 0 || len > TICKET_MAX_SIZE) {
        return TICKET_MALFORMED;
    }

    /* exactly three segments */

    dot1 = memchr(token, '.', len);
    if (dot1 == NULL) {
        return TICKET_MALFORMED;
    }

    p = dot1 + 1;

    dot2 = memchr(p, '.', len - (size_t) (p - token));
    if (dot2 == NULL) {
        return TICKET_MALFORMED;
    }

    s = dot2 + 1;
    slen = len - (size_t) (s - token);

    if (memchr(s, '.', slen) != NULL) {
        return TICKET_MALFORMED;
    }

    hlen = (size_t) (dot1 - token);
    plen = (size_t) (dot2 - p);

    if (hlen == 0 || plen == 0) {
        return TICKET_MALFORMED;
    }

    t->signing_input = token;
    t->signing_input_len = (size_t) (dot2 - token);

    /*
     * The three segments are decoded before any JSON is read: a ticket
     * that is not base64url is malformed, whichever segment is at fault.
     * len is at most TICKET_MAX_SIZE, so none of these sizes overflows.
     */

    t->sig = malloc(slen * 3 / 4 + 3);
    if (t->sig == NULL) {
        return TICKET_MALFORMED;
    }

    n = ticket_b64url_decode(t->sig, s, slen);
    if (n < 0) {
        return TICKET_MALFORMED;
    }

    t->sig_len = (size_t) n;

    buf = malloc(hlen * 3 / 4 + 3);
    if (buf == NULL) {
        return TICKET_MALFORMED;
    }

    /* the claims text stays: a snapshot for the cache carries it */

    t->payload = malloc(plen * 3 / 4 + 3);
    if (t->payload == NULL) {
        goto malformed;
    }

    n = ticket_b64url_decode(buf, token, hlen);
    if (n < 0) {
        goto malformed;
    }

    hlen = (size_t) n;

    n = ticket_b64url_decode((unsigned char *) t->payload, p, plen);
    if (n < 0) {
        goto malformed;
    }

    t->payload_len = (size_t) n;

    t->header = ticket_json_parse_object((char *) buf, hlen);

    free(buf);

    if (t->header == NULL) {
        return TICKET_MALFORMED;
    }

    rc = ticket_parse_header(t);
    if (rc != TICKET_OK) {
        return rc;
    }

    t->claims = ticket_json_parse_object(t->payload, t->payload_len);
    if (t->claims == NULL) {
        return TICKET_MALFORMED;
    }

    rc = ticket_parse_claims(t, roles_path);
    if (rc != TICKET_OK) {
        return rc;
    }

    return ticket_parse_lists(t);

malformed:

    free(buf);

    return TICKET_MALFORMED;
}


/*
 * aud and roles as plain lists of strings (pointing into the claims), so
 * that the policy, the audit record and the variables read a parsed and a
 * restored ticket alike; a roles string is split on its spaces here.
 */

static ticket_reason_t
ticket_parse_lists(ticket_t *t)
{
    size_t         n, i, nroles, naud;
    json_t        *elt;
    const char    *p, *end, *word;
    ticket_str_t  *v;

    nroles = 0;

    if (json_is_array(t->roles)) {
        nroles = json_array_size(t->roles);

    } else if (json_is_string(t->roles)) {
        /* at most one word a character pair */
        nroles = json_string_length(t->roles) / 2 + 1;
    }

    naud = 0;

    if (json_is_array(t->aud)) {
        naud = json_array_size(t->aud);

    } else if (t->aud != NULL) {
        naud = 1;
    }

    v = malloc((nroles + naud + 1) * sizeof(ticket_str_t));
    if (v == NULL) {
        return TICKET_MALFORMED;
    }

    t->roles_list.values = v;
    n = 0;

    if (json_is_array(t->roles)) {
        json_array_foreach(t->roles, i, elt) {
            v[n].data = json_string_value(elt);
            v[n].len = json_string_length(elt);
            n++;
        }

    } else if (json_is_string(t->roles)) {
        p = json_string_value(t->roles);
        end = p + json_string_length(t->roles);

        while (p < end) {
            while (p < end && *p == ' ') {
                p++;
            }

            word = p;

            while (p < end && *p != ' ') {
                p++;
            }

            if (p > word) {
                v[n].data = word;
                v[n].len = (size_t) (p - word);
                n++;
            }
        }
    }

    t->roles_list.n = n;
    t->aud_list.values = v + n;
    t->aud_list.n = 0;

    if (json_is_array(t->aud)) {
        json_array_foreach(t->aud, i, elt) {
            v[n].data = json_string_value(elt);
            v[n].len = json_string_length(elt);
            n++;
            t->aud_list.n++;
        }

    } else if (t->aud != NULL) {
        v[n].data = json_string_value(t->aud);
        v[n].len = json_string_length(t->aud);
        t->aud_list.n = 1;
    }

    return TICKET_OK;
}


static ticket_reason_t
ticket_parse_header(ticket_t *t)
{
    size_t   i;
    json_t  *alg;

    /* no extension is understood, so none may be critical */

    if (json_object_get(t->header, "crit") != NULL) {
        return TICKET_MALFORMED;
    }

    for (i = 0; i < sizeof(ticket_untrusted_key_headers)
                    / sizeof(ticket_untrusted_key_headers[0]); i++)
    {
        if (json_object_get(t->header, ticket_untrusted_key_headers[i])
            != NULL)
        {
            return TICKET_UNTRUSTED_KEY_HEADER;
        }
    }

    /*
     * An alg no key has, "none" included, is left to the key check, which
     * calls it alg_mismatch; a missing or non-string alg is malformed.
     */

    alg = json_object_get(t->header, "alg");
    if (!json_is_string(alg)) {
        return TICKET_MALFORMED;
    }

    t->alg_name.data = json_string_value(alg);
    t->alg_name.len = json_string_length(alg);
    t->alg = ticket_alg_from_name(t->alg_name.data, t->alg_name.len);

    if (ticket_get_string(t->header, "kid", 0, 0, &t->kid) != 0
        || ticket_get_string(t->header, "typ", 0, 0, &t->typ) != 0)
    {
        return TICKET_MALFORMED;
    }

    return TICKET_OK;
}


static ticket_reason_t
ticket_parse_claims(ticket_t *t, const ticket_str_t *roles_path)
{
    int          has_nbf;
    size_t       path_len;
    json_t      *claims, *value;
    const char  *path;

    claims = t->claims;

    if (ticket_get_string(claims, "sub", 1, 1, &t->sub) != 0
        || ticket_get_string(claims, "kind", 1, 0, &t->kind_name) != 0
        || ticket_get_string(claims, "jti", 1, 1, &t->jti) != 0
        || ticket_get_string(claims, "iss", 0, 0, &t->iss) != 0
        || ticket_get_string(claims, "tenant", 0, 1, &t->tenant) != 0
        || ticket_get_string(claims, "sid", 0, 1, &t->sid) != 0
        || ticket_get_time(claims, "iat", 1, &t->iat, NULL) != 0
        || ticket_get_time(claims, "exp", 1, &t->exp, NULL) != 0
        || ticket_get_time(claims, "nbf", 0, &t->nbf, &has_nbf) != 0)
    {
        return TICKET_MALFORMED;
    }

    t->has_nbf = has_nbf ? 1 : 0;

    if (t->kind_name.len == 4 && memcmp(t->kind_name.data, "user", 4) == 0) {
        t->kind = TICKET_KIND_USER;

    } else if (t->kind_name.len == 7
               && memcmp(t->kind_name.data, "service", 7) == 0)
    {
        t->kind = TICKET_KIND_SERVICE;

    } else {
        return TICKET_MALFORMED;
    }

    /*
     * The subject revocation list keys its rows "TENANT/SUB": a tenant
     * holding "/" could make one subject's row match another's.
     */

    if (t->tenant.data != NULL
        && memchr(t->tenant.data, '/', t->tenant.len) != NULL)
    {
        return TICKET_MALFORMED;
    }

    value = json_object_get(claims, "aud");
    if (value != NULL && !json_is_string(value)
        && !ticket_is_string_array(value))
    {
        return TICKET_MALFORMED;
    }

    t->aud = value;

    if (roles_path != NULL && roles_path->len != 0) {
        path = roles_path->data;
        path_len = roles_path->len;

    } else {
        path = "roles";
        path_len = sizeof("roles") - 1;
    }

    value = ticket_json_path(claims, path, path_len);
    if (value != NULL && !json_is_string(value)
        && !ticket_is_string_array(value))
    {
        return TICKET_MALFORMED;
    }

    t->roles = value;

    return TICKET_OK;
}


/* 0: absent and optional, or a string as required; -1: anything else */

static int
ticket_get_string(json_t *obj, const char *name, int required, int nonempty,
    ticket_str_t *str)
{
    json_t  *value;

    value = json_object_get(obj, name);

    if (value == NULL) {
        return required ? -1 : 0;
    }

    if (!json_is_string(value)) {
        return -1;
    }

    if (nonempty && json_string_length(value) == 0) {
        return -1;
    }

    str->data = json_string_value(value);
    str->len = json_string_length(value);

    return 0;
}


/*
 * A NumericDate: an integer or a real (floored) from 0 to TICKET_MAX_TIME,
 * so that the time checks can add and subtract without overflow.
 */

static int
ticket_get_time(json_t *obj, const char *name, int required, int64_t *v,
    int *present)
{
    double       d;
    json_t      *value;
    json_int_t   i;

    if (present != NULL) {
        *present = 0;
    }

    value = json_object_get(obj, name);

    if (value == NULL) {
        return required ? -1 : 0;
    }

    if (json_is_integer(value)) {
        i = json_integer_value(value);

        if (i < 0 || i > TICKET_MAX_TIME) {
            return -1;
        }

        *v = (int64_t) i;

    } else if (json_is_real(value)) {
        d = json_real_value(value);

        /*
         * Written so that NaN fails too; below 2^53 the conversion is
         * exact and, for non-negative values, truncation is the floor.
         */

        if (!(d >= 0.0 && d < (double) (TICKET_MAX_TIME + 1))) {
            return -1;
        }

        *v = (int64_t) d;

    } else {
        return -1;
    }

    if (present != NULL) {
        *present = 1;
    }

    return 0;
}


static int
ticket_is_string_array(json_t *value)
{
    size_t   i;
    json_t  *elt;

    if (!json_is_array(value)) {
        return 0;
    }

    json_array_foreach(value, i, elt) {
        if (!json_is_string(elt)) {
            return 0;
        }
    }

    return 1;
}
