
/*
 * Policy: what a location requires of a valid ticket: kind, audience,
 * roles and claims; and the privileged roles it did not ask for.
 */


#include <stdio.h>
#include <string.h>

#include "ticket_policy.h"
#include "ticket_json.h"


static int ticket_str_eq(const char *a, size_t alen, const char *b,
    size_t blen);
static int ticket_in_list(const char *s, size_t len,
    const ticket_strlist_t *list);
static int ticket_value_matches(const ticket_jv_t *value,
    const ticket_strlist_t *list);
static ticket_reason_t ticket_check(const ticket_t *t,
    const ticket_policy_t *p, int *unmet);


ticket_reason_t
ticket_authorize(const ticket_t *t, const ticket_policy_t *p)
{
    int  unmet;

    return ticket_check(t, p, &unmet);
}


int
ticket_unmet(const ticket_t *t, const ticket_policy_t *p)
{
    int  unmet;

    (void) ticket_check(t, p, &unmet);

    return unmet;
}


/* one walk for both, so that the index names the check that refused */

static ticket_reason_t
ticket_check(const ticket_t *t, const ticket_policy_t *p, int *unmet)
{
    int                        base;
    size_t                     i, j;
    const ticket_jv_t         *value;
    const ticket_strlist_t    *line;
    const ticket_claim_req_t  *req;

    *unmet = 0;

    if ((p->kinds & t->kind) == 0) {
        return TICKET_WRONG_KIND;
    }

    base = 1;

    /* RFC 7519: an array aud is accepted when one of its members is */

    if (p->audiences.n > 0) {
        for (i = 0; i < t->aud_list.n; i++) {
            if (ticket_in_list(t->aud_list.values[i].data,
                               t->aud_list.values[i].len, &p->audiences))
            {
                break;
            }
        }

        if (i == t->aud_list.n) {
            *unmet = base;
            return TICKET_WRONG_AUDIENCE;
        }

        base++;
    }

    for (i = 0; i < p->nrole_reqs; i++) {
        line = &p->role_reqs[i];

        for (j = 0; j < line->n; j++) {
            if (ticket_has_role(t, line->values[j].data, line->values[j].len))
            {
                break;
            }
        }

        if (j == line->n) {
            *unmet = base + (int) i;
            return TICKET_INSUFFICIENT_ROLE;
        }
    }

    base += (int) p->nrole_reqs;

    for (i = 0; i < p->nclaim_reqs; i++) {
        req = &p->claim_reqs[i];

        /* a restored ticket without its claims loaded matches nothing */

        value = (t->claims != NULL)
                ? ticket_json_path(t->claims, req->name.data, req->name.len)
                : NULL;

        if (!ticket_value_matches(value, &req->values)) {
            *unmet = base + (int) i;
            return TICKET_CLAIM_MISMATCH;
        }
    }

    *unmet = -1;

    return TICKET_OK;
}


int
ticket_has_role(const ticket_t *t, const char *role, size_t len)
{
    /* an empty role is never held, whatever the ticket says */

    if (role == NULL || len == 0) {
        return 0;
    }

    return ticket_in_list(role, len, &t->roles_list);
}


int
ticket_excess_privilege(const ticket_t *t, const ticket_policy_t *p)
{
    size_t               i, j;
    const ticket_str_t  *role;

    for (i = 0; i < p->privileged_roles.n; i++) {
        role = &p->privileged_roles.values[i];

        if (!ticket_has_role(t, role->data, role->len)) {
            continue;
        }

        for (j = 0; j < p->nrole_reqs; j++) {
            if (ticket_in_list(role->data, role->len, &p->role_reqs[j])) {
                break;
            }
        }

        if (j == p->nrole_reqs) {
            return 1;
        }
    }

    return 0;
}


static int
ticket_str_eq(const char *a, size_t alen, const char *b, size_t blen)
{
    return alen == blen && (alen == 0 || memcmp(a, b, alen) == 0);
}


static int
ticket_in_list(const char *s, size_t len, const ticket_strlist_t *list)
{
    size_t  i;

    for (i = 0; i < list->n; i++) {
        if (ticket_str_eq(s, len, list->values[i].data, list->values[i].len)) {
            return 1;
        }
    }

    return 0;
}


/*
 * A claim equals one of the values: a string exactly, an integer by its
 * decimal text, a boolean as "true" or "false"; an array when one of its
 * members does.  Reals, null and objects never match: their text is not
 * one a configuration could spell reliably.
 */

static int
ticket_value_matches(const ticket_jv_t *value, const ticket_strlist_t *list)
{
    int                 n;
    char                num[32];
    uint32_t            i;
    const ticket_jv_t  *elt;

    if (value == NULL) {
        return 0;
    }

    switch (value->vtype) {

    case TICKET_JV_STRING:
        return ticket_in_list(value->u.s, value->n, list);

    case TICKET_JV_INTEGER:
        n = snprintf(num, sizeof(num), "%lld", (long long) value->u.i);
        if (n < 0 || (size_t) n >= sizeof(num)) {
            return 0;
        }

        return ticket_in_list(num, (size_t) n, list);

    case TICKET_JV_TRUE:
        return ticket_in_list("true", 4, list);

    case TICKET_JV_FALSE:
        return ticket_in_list("false", 5, list);

    case TICKET_JV_ARRAY:
        ticket_jv_foreach(value, i, elt) {
            if (elt->vtype != TICKET_JV_ARRAY
                && ticket_value_matches(elt, list))
            {
                return 1;
            }
        }

        return 0;

    default:
        return 0;
    }
}
