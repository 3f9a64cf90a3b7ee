
/*
 * Key sets: their lifetime, the lookup by kid, and the rules every
 * import obeys when it adds keys (unique kids, a fingerprint per key).
 */

#ifndef TICKET_KEYS_H_INCLUDED_
#define TICKET_KEYS_H_INCLUDED_


#include "ticket_types.h"


void ticket_keyset_init(ticket_keyset_t *ks);
void ticket_keyset_free(ticket_keyset_t *ks);  /* wipes secrets */

const ticket_key_t *ticket_keyset_find(const ticket_keyset_t *ks,
    const char *kid, size_t kid_len);

/* the key of that kid and alg: one kid may name keys of several algs */
const ticket_key_t *ticket_keyset_find_alg(const ticket_keyset_t *ks,
    const char *kid, size_t kid_len, ticket_alg_t alg);

/* the key with that fingerprint (ticket_key_t's fp), or NULL */
const ticket_key_t *ticket_keyset_find_fp(const ticket_keyset_t *ks,
    const unsigned char *fp);


/*
 * The key a ticket names: by its kid and alg (a kid may name keys of
 * several algs, as a provider migrating publishes them), else a key of
 * that kid, whose other alg the caller then refuses; or without a kid
 * (kid NULL) the only key of a set of one; never a guess among several,
 * which would be an oracle.  ticket_select_key() and the verified-ticket
 * cache choose so.  Inline: the cache asks on every hit.
 */

static inline const ticket_key_t *
ticket_keyset_named(const ticket_keyset_t *ks, const char *kid,
    size_t kid_len, ticket_alg_t alg)
{
    const ticket_key_t  *key;

    if (kid == NULL) {
        return (ks->nkeys == 1) ? &ks->keys[0] : NULL;
    }

    key = ticket_keyset_find_alg(ks, kid, kid_len, alg);

    return key ? key : ticket_keyset_find(ks, kid, kid_len);
}


/*
 * For the importers (ticket_jwk.c): where a key came from, for error
 * messages ("key \"KID\": problem", "keys[N]: problem" while the kid is
 * unknown, "key: problem" for a PEM file without one), and how keys join
 * a set.
 */

#define TICKET_SHOWN         64
#define TICKET_SHOWN_SIZE    (TICKET_SHOWN + 4)

#if defined(__GNUC__)
#define TICKET_PRINTF(f, a)  __attribute__((format(printf, f, a)))
#else
#define TICKET_PRINTF(f, a)
#endif


typedef struct {
    char                   *buf;
    size_t                  len;
    size_t                  index;        /* in the JWKS; -1: a PEM file */
    const char             *kid;          /* NULL: not known yet */
    size_t                  kid_len;
} ticket_key_err_t;


/* configuration text for an error message: shortened, printable ASCII */
void ticket_shown(char *dst, const char *src, size_t len);
void ticket_error(char *buf, size_t len, const char *fmt, ...)
    TICKET_PRINTF(3, 4);
void ticket_key_error(ticket_key_err_t *ke, const char *fmt, ...)
    TICKET_PRINTF(2, 3);

/*
 * dst (initialized, empty) becomes first's keys and then second's keys
 * whose (kid, alg) first lacks: a scope's key files and its key service,
 * the file winning.  Keys are shared (EVP_PKEY references) or copied
 * (secrets), so dst is freed on its own.  0, or -1 (out of memory) with
 * dst empty.
 */
int ticket_keyset_merge(ticket_keyset_t *dst, const ticket_keyset_t *first,
    const ticket_keyset_t *second);

/* frees and wipes one key's contents */
void ticket_key_cleanup(ticket_key_t *key);

/*
 * All or nothing: the new keys join the set only when none of their
 * kids is taken, so a failed load leaves the set as it was.  On success
 * the set owns the keys' contents; on failure the caller still does.
 */
int ticket_keyset_append(ticket_keyset_t *ks, ticket_key_t *keys, size_t n,
    ticket_key_err_t *ke);


#endif /* TICKET_KEYS_H_INCLUDED_ */
