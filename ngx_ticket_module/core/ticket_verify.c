
/*
 * Verification of a parsed ticket: which key, its algorithm, the
 * signature, and what a tenant-bound key and the issuer list allow.
 */


#include <string.h>

#include "ticket.h"


/*
 * The header names the key; the key names the algorithm.  A ticket never
 * chooses how it is verified: "none", an HS ticket against an RS key or
 * any other alg than the key's is alg_mismatch.
 */

ticket_reason_t
ticket_select_key(ticket_t *t, const ticket_keyset_t *ks)
{
    const ticket_key_t  *key;

    t->key = NULL;

    if (ks == NULL || ks->nkeys == 0) {
        return TICKET_UNKNOWN_KEY;
    }

    if (t->kid.data == NULL) {

        /* without a kid, guessing among several keys would be an oracle */

        if (ks->nkeys != 1) {
            return TICKET_UNKNOWN_KEY;
        }

        key = &ks->keys[0];

    } else {
        key = ticket_keyset_find(ks, t->kid.data, t->kid.len);
        if (key == NULL) {
            return TICKET_UNKNOWN_KEY;
        }
    }

    if (t->alg == TICKET_ALG_UNKNOWN || t->alg != key->alg) {
        return TICKET_ALG_MISMATCH;
    }

    /* an empty, DER-encoded or truncated signature stops here */

    if (t->sig == NULL || t->sig_len != key->sig_len) {
        return TICKET_BAD_SIGNATURE;
    }

    t->key = key;

    return TICKET_OK;
}


ticket_reason_t
ticket_verify_signature(ticket_t *t)
{
    t->verified = 0;

    if (t->key == NULL || t->signing_input == NULL) {
        return TICKET_BAD_SIGNATURE;
    }

    if (ticket_key_verify(t->key,
                          (const unsigned char *) t->signing_input,
                          t->signing_input_len, t->sig, t->sig_len)
        != 1)
    {
        return TICKET_BAD_SIGNATURE;
    }

    t->verified = 1;

    return TICKET_OK;
}


/*
 * A tenant-bound key signs only for its tenant: one enterprise's key
 * cannot vouch for another's users.  Without a selected key nothing is
 * known to be allowed, so the check fails closed.
 */

ticket_reason_t
ticket_check_binding(const ticket_t *t, const ticket_policy_t *p)
{
    size_t               i;
    const ticket_str_t  *iss;
    const ticket_key_t  *key;

    key = t->key;

    if (key == NULL) {
        return TICKET_TENANT_MISMATCH;
    }

    if (key->tenant != NULL) {
        if (t->tenant.data == NULL
            || t->tenant.len != key->tenant_len
            || memcmp(t->tenant.data, key->tenant, key->tenant_len) != 0)
        {
            return TICKET_TENANT_MISMATCH;
        }
    }

    if (p == NULL || p->issuers.n == 0) {
        return TICKET_OK;
    }

    if (t->iss.data == NULL) {
        return TICKET_WRONG_ISSUER;
    }

    for (i = 0; i < p->issuers.n; i++) {
        iss = &p->issuers.values[i];

        if (iss->len == t->iss.len
            && memcmp(iss->data, t->iss.data, t->iss.len) == 0)
        {
            return TICKET_OK;
        }
    }

    return TICKET_WRONG_ISSUER;
}


ticket_reason_t
ticket_validate(ticket_t *t, const char *token, size_t len,
    const ticket_keyset_t *ks, const ticket_policy_t *p, int64_t now)
{
    ticket_reason_t  rc;

    rc = ticket_parse(t, token, len, &p->roles_path);
    if (rc != TICKET_OK) {
        return rc;
    }

    rc = ticket_select_key(t, ks);
    if (rc != TICKET_OK) {
        return rc;
    }

    /* time before signature: an expired ticket costs no public-key work */

    rc = ticket_check_time(t, p, now);
    if (rc != TICKET_OK) {
        return rc;
    }

    rc = ticket_verify_signature(t);
    if (rc != TICKET_OK) {
        return rc;
    }

    return ticket_check_binding(t, p);
}
