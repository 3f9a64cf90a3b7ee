
/*
 * The types every part of the core shares: strings, keys and key sets,
 * a location's policy and a parsed ticket.  Types only: each concern's
 * functions are declared in its own header (ticket.h lists them).
 *
 * Strings coming from nginx are (pointer, length) pairs; strings the core
 * hands out point into the ticket's decoded JSON and stay valid until
 * ticket_free().
 */

#ifndef TICKET_TYPES_H_INCLUDED_
#define TICKET_TYPES_H_INCLUDED_


#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "ticket_alg.h"
#include "ticket_reason.h"


#define TICKET_MAX_SIZE          16384  /* bytes of compact serialization */
#define TICKET_MAX_DEPTH         16     /* JSON nesting, header or claims */
#define TICKET_MAX_KID           256    /* longer kids never match a key */
#define TICKET_MAX_TIME          253402300799LL  /* 9999-12-31T23:59:59Z */
#define TICKET_ERRLEN            256
#define TICKET_AUDIT_FP_LEN      16     /* hex digits of a ticket's audit
                                           fingerprint, SHA-256 first */


typedef struct {
    size_t                  len;
    const char             *data;
} ticket_str_t;


/*
 * Where a ticket's memory comes from: nginx hands the request pool in
 * (nothing to free one by one, no malloc on the request path); anyone
 * else leaves alloc NULL and gets ticket_heap_alloc(), freed whole by
 * ticket_free() (ticket_alloc.h).  Memory alloc returns is aligned for
 * any type.  free, where set, gives back one block early (a pool's large
 * ones: what a big document's parse outgrew, a hash table once used);
 * it may ignore what it cannot free.
 */

typedef struct {
    void                 *(*alloc)(void *data, size_t size);
    void                  (*free)(void *data, void *p);
    void                   *data;
} ticket_alloc_t;


/*
 * A parsed JSON value, flat: a document is one array of these in
 * document order, a value's members or elements right after it.  An
 * object's members are a string node (the name) and the value's nodes;
 * span counts a value's nodes, itself included, so the next sibling of v
 * is v + v->span.  Strings point into the parsed text, or into the
 * document's memory when they held escapes: never NUL-terminated.
 */

typedef enum {
    TICKET_JV_OBJECT = 1,
    TICKET_JV_ARRAY,
    TICKET_JV_STRING,
    TICKET_JV_INTEGER,
    TICKET_JV_REAL,
    TICKET_JV_TRUE,
    TICKET_JV_FALSE,
    TICKET_JV_NULL
} ticket_jv_type_t;

typedef struct {
    unsigned char           vtype;       /* ticket_jv_type_t */
    uint32_t                n;           /* members, elements, or a
                                            string's bytes */
    uint32_t                span;
    union {
        const char         *s;
        int64_t             i;
        double              d;
    } u;
} ticket_jv_t;


#define TICKET_KIND_USER     0x01
#define TICKET_KIND_SERVICE  0x02
#define TICKET_KIND_ANY      (TICKET_KIND_USER|TICKET_KIND_SERVICE)


/* keys: parsed once at configuration time */

typedef struct {
    char                   *kid;          /* NUL-terminated, malloc */
    size_t                  kid_len;
    char                   *tenant;       /* NULL: not tenant-bound */
    size_t                  tenant_len;
    ticket_alg_t            alg;
    void                   *pkey;         /* EVP_PKEY *, asymmetric algs */
    unsigned char          *secret;       /* HMAC secret, malloc */
    size_t                  secret_len;
    size_t                  sig_len;      /* exact signature length */
    void                   *vctx;         /* EVP_MD_CTX *, verify set up
                                             once, copied per ticket */
    void                   *mctx;         /* EVP_MAC_CTX *, HMAC keyed
                                             once, duplicated per ticket */
    unsigned char           fp[32];       /* SHA-256 of alg, kid, tenant
                                             and key: same fp, same key */
} ticket_key_t;


typedef struct {
    ticket_key_t           *keys;
    size_t                  nkeys;
    size_t                  nalloc;
} ticket_keyset_t;


/* policy: built once at configuration time */

typedef struct {
    ticket_str_t           *values;
    size_t                  n;
} ticket_strlist_t;


typedef struct {
    ticket_str_t            name;         /* dotted claim path */
    ticket_strlist_t        values;
} ticket_claim_req_t;


/* ticket_kind_claim: one VALUE=KIND of the map */

typedef struct {
    ticket_str_t            value;
    unsigned                kind;         /* TICKET_KIND_USER or SERVICE */
} ticket_kind_map_t;


#define TICKET_JTI_FP_LEN    35           /* "fp:" and 32 hex digits */


typedef struct {
    unsigned                kinds;        /* TICKET_KIND_* bitmask */
    int64_t                 leeway;       /* seconds */
    int64_t                 max_lifetime; /* seconds */
    ticket_str_t            roles_path;   /* dotted; empty means "roles" */

    /* where kind and jti come from (ticket_kind_claim, ticket_jti_claim);
     * all zero: "kind" with user and service as they are, "jti" required */
    ticket_str_t            kind_path;    /* empty: "kind" */
    ticket_kind_map_t      *kind_map;     /* NULL: user=user service=... */
    size_t                  nkind_map;
    unsigned                kind_other;   /* "*=KIND": any other value;
                                             0: malformed */
    unsigned                kind_default; /* no such claim; 0: malformed */
    ticket_str_t            jti_path;     /* empty: "jti" */
    unsigned                jti_optional:1; /* absent: the "fp:" id */
    ticket_strlist_t        issuers;      /* empty: any */
    ticket_strlist_t        audiences;    /* empty: any */
    ticket_strlist_t       *role_reqs;    /* each: hold one of; all lines */
    size_t                  nrole_reqs;
    ticket_claim_req_t     *claim_reqs;
    size_t                  nclaim_reqs;
    ticket_strlist_t        privileged_roles;

    /* a security event token (ticket_signal_parse): no kind, sub and exp
     * optional; last, so that positional initializers stay valid */
    unsigned                signal:1;
} ticket_policy_t;


/* a parsed ticket: one per request */

typedef struct {
    /* set by ticket_parse() */
    const char             *signing_input;   /* header "." payload */
    size_t                  signing_input_len;
    unsigned char          *sig;             /* decoded signature */
    size_t                  sig_len;
    const ticket_jv_t      *header;
    const ticket_jv_t      *claims;

    ticket_str_t            alg_name;        /* as the header says */
    ticket_alg_t            alg;             /* TICKET_ALG_UNKNOWN if none */
    ticket_str_t            kid;             /* data NULL when absent */
    ticket_str_t            typ;

    ticket_str_t            sub;
    ticket_str_t            kind_name;
    unsigned                kind;            /* TICKET_KIND_USER/SERVICE */
    ticket_str_t            jti;
    ticket_str_t            iss;             /* data NULL when absent */
    ticket_str_t            tenant;          /* data NULL when absent */
    ticket_str_t            sid;             /* data NULL when absent */
    const ticket_jv_t      *aud;             /* string, array, or NULL */
    const ticket_jv_t      *roles;           /* string, array, or NULL */
    ticket_strlist_t        aud_list;        /* aud as a list */
    ticket_strlist_t        roles_list;      /* roles, a string split */
    char                   *payload;         /* the decoded claims JSON */
    size_t                  payload_len;
    ticket_str_t            token;           /* a restored ticket's token,
                                                its claims decoded from it
                                                on demand */
    int64_t                 iat;
    int64_t                 exp;
    int64_t                 nbf;
    unsigned                has_nbf:1;
    unsigned                has_exp:1;       /* always, but for a signal */

    /* a ticket without a jti where one is optional: jti points here */
    char                    jti_fp[TICKET_JTI_FP_LEN + 1];

    /* why a ticket is malformed, naming the member ("claim \"kind\"
     * missing"), never its value: for logs and ticketctl inspect */
    char                    why[96];

    /* set by ticket_select_key() and ticket_verify_signature() */
    const ticket_key_t     *key;
    unsigned                verified:1;

    /* restored from a snapshot: no header, claims decoded and parsed only
     * on demand, every string in the caller's snapshot buffer */
    unsigned                restored:1;

    /* where everything above that is not in the token or a snapshot
     * lives: set after ticket_init(), kept by ticket_parse_policy(),
     * ticket_snapshot_restore() and ticket_free(), which frees heap */
    ticket_alloc_t          alloc;
    void                   *heap;
} ticket_t;


#endif /* TICKET_TYPES_H_INCLUDED_ */
