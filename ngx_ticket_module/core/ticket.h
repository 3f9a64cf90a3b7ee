
/*
 * ngx_ticket_module core: pure C, no nginx types.
 *
 * Shared by the nginx glue, ticketctl, the unit tests and the fuzzers.
 * Strings coming from nginx are (pointer, length) pairs; strings the core
 * hands out point into the ticket's decoded JSON and stay valid until
 * ticket_free().
 */

#ifndef TICKET_H_INCLUDED_
#define TICKET_H_INCLUDED_


#include <stddef.h>
#include <stdint.h>
#include <jansson.h>


#define TICKET_MAX_SIZE          16384  /* bytes of compact serialization */
#define TICKET_MAX_DEPTH         16     /* JSON nesting, header or claims */
#define TICKET_MAX_KID           256    /* longer kids never match a key */
#define TICKET_MAX_TIME          253402300799LL  /* 9999-12-31T23:59:59Z */
#define TICKET_ERRLEN            256


typedef struct {
    size_t                  len;
    const char             *data;
} ticket_str_t;


typedef enum {
    TICKET_OK = 0,
    TICKET_MISSING,
    TICKET_MALFORMED,
    TICKET_UNTRUSTED_KEY_HEADER,
    TICKET_UNKNOWN_KEY,
    TICKET_ALG_MISMATCH,
    TICKET_BAD_SIGNATURE,
    TICKET_EXPIRED,
    TICKET_NOT_YET_VALID,
    TICKET_ISSUED_IN_FUTURE,
    TICKET_LIFETIME_EXCEEDED,
    TICKET_REVOKED,
    TICKET_WRONG_ISSUER,
    TICKET_WRONG_AUDIENCE,
    TICKET_WRONG_KIND,
    TICKET_TENANT_MISMATCH,
    TICKET_INSUFFICIENT_ROLE,
    TICKET_CLAIM_MISMATCH,
    TICKET_REVOCATION_UNAVAILABLE,
    TICKET_EXCESS_PRIVILEGE,
    TICKET_REASON_MAX
} ticket_reason_t;


typedef enum {
    TICKET_ALG_UNKNOWN = 0,
    TICKET_ALG_HS256,
    TICKET_ALG_HS384,
    TICKET_ALG_HS512,
    TICKET_ALG_RS256,
    TICKET_ALG_RS384,
    TICKET_ALG_RS512,
    TICKET_ALG_ES256,
    TICKET_ALG_ES384,
    TICKET_ALG_ES512,
    TICKET_ALG_PS256,
    TICKET_ALG_PS384,
    TICKET_ALG_PS512,
    TICKET_ALG_EDDSA,
    TICKET_ALG_MAX
} ticket_alg_t;


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


typedef struct {
    unsigned                kinds;        /* TICKET_KIND_* bitmask */
    int64_t                 leeway;       /* seconds */
    int64_t                 max_lifetime; /* seconds */
    ticket_str_t            roles_path;   /* dotted; empty means "roles" */
    ticket_strlist_t        issuers;      /* empty: any */
    ticket_strlist_t        audiences;    /* empty: any */
    ticket_strlist_t       *role_reqs;    /* each: hold one of; all lines */
    size_t                  nrole_reqs;
    ticket_claim_req_t     *claim_reqs;
    size_t                  nclaim_reqs;
    ticket_strlist_t        privileged_roles;
} ticket_policy_t;


/* a parsed ticket: one per request */

typedef struct {
    /* set by ticket_parse() */
    const char             *signing_input;   /* header "." payload */
    size_t                  signing_input_len;
    unsigned char          *sig;             /* decoded signature, malloc */
    size_t                  sig_len;
    json_t                 *header;
    json_t                 *claims;

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
    json_t                 *aud;             /* string, array, or NULL */
    json_t                 *roles;           /* string, array, or NULL */
    ticket_strlist_t        aud_list;        /* aud as a list */
    ticket_strlist_t        roles_list;      /* roles, a string split */
    char                   *payload;         /* the decoded claims JSON */
    size_t                  payload_len;
    int64_t                 iat;
    int64_t                 exp;
    int64_t                 nbf;
    unsigned                has_nbf:1;

    /* set by ticket_select_key() and ticket_verify_signature() */
    const ticket_key_t     *key;
    unsigned                verified:1;

    /* restored from a snapshot: no header, claims parsed only on demand,
     * every string in the caller's snapshot buffer */
    unsigned                restored:1;
} ticket_t;


/* reasons and statuses */

const char *ticket_reason_name(ticket_reason_t reason);
int ticket_reason_from_name(const char *name, size_t len); /* -1: unknown */
/* 0 for TICKET_OK and TICKET_EXCESS_PRIVILEGE, else 401, 403 or 503 */
int ticket_reason_status(ticket_reason_t reason);


/* algorithms: names are exact and case-sensitive */

ticket_alg_t ticket_alg_from_name(const char *name, size_t len);
const char *ticket_alg_name(ticket_alg_t alg);


/* base64url without padding; strict: no '=', '+', '/', whitespace, and
 * unused trailing bits must be zero.  Return the decoded length, or -1. */

size_t ticket_b64url_encoded_len(size_t len);
size_t ticket_b64url_encode(char *dst, const unsigned char *src, size_t len);
long ticket_b64url_decode(unsigned char *dst, const char *src, size_t len);


/* strict JSON: objects only at top level, no duplicate member names, no
 * NUL escapes, valid UTF-8, nesting at most TICKET_MAX_DEPTH. */

json_t *ticket_json_parse_object(const char *buf, size_t len);

/* dotted path lookup from an object ("realm_access.roles"); NULL if absent */
json_t *ticket_json_path(json_t *obj, const char *path, size_t len);

/*
 * Text of a claim value for variables and headers: a string as it is,
 * a number and a boolean as JSON writes them, an array of strings
 * joined with ",", anything else compact JSON.  Returns the length
 * needed; writes at most size bytes to buf (buf may be NULL if size 0).
 */
size_t ticket_json_text(json_t *value, char *buf, size_t size);


/* keys */

void ticket_keyset_init(ticket_keyset_t *ks);
void ticket_keyset_free(ticket_keyset_t *ks);  /* wipes secrets */

/* a JWKS document ({"keys":[...]}); every key needs kid and alg */
int ticket_keyset_add_jwks(ticket_keyset_t *ks, const unsigned char *buf,
    size_t len, char *err, size_t errlen);

/*
 * one key from a file's content: a PEM public key for RS/PS/ES/EdDSA,
 * the secret itself for HS (trailing newlines stripped); tenant may be
 * NULL.  Return 0, or -1 with a one-line message in err.
 */
int ticket_keyset_add_pem(ticket_keyset_t *ks, const char *kid,
    ticket_alg_t alg, const char *tenant, const unsigned char *buf,
    size_t len, char *err, size_t errlen);

const ticket_key_t *ticket_keyset_find(const ticket_keyset_t *ks,
    const char *kid, size_t kid_len);

/* a signature over bytes under one key, by the key's alg: 1 valid, 0 not;
 * sig_len must be key->sig_len (checked again here) */
int ticket_key_verify(const ticket_key_t *key, const unsigned char *input,
    size_t len, const unsigned char *sig, size_t sig_len);


/* tickets */

void ticket_init(ticket_t *t);
void ticket_free(ticket_t *t);

/*
 * Structure, header and claims: TICKET_OK, TICKET_MALFORMED or
 * TICKET_UNTRUSTED_KEY_HEADER.  token need not be NUL-terminated and
 * must outlive t.  roles_path as in ticket_policy_t.
 */
ticket_reason_t ticket_parse(ticket_t *t, const char *token, size_t len,
    const ticket_str_t *roles_path);

/* kid lookup, alg equality, signature length: TICKET_UNKNOWN_KEY,
 * TICKET_ALG_MISMATCH, TICKET_BAD_SIGNATURE or TICKET_OK */
ticket_reason_t ticket_select_key(ticket_t *t, const ticket_keyset_t *ks);

/* exp, nbf, iat, lifetime */
ticket_reason_t ticket_check_time(const ticket_t *t,
    const ticket_policy_t *p, int64_t now);

/* the signature under t->key: TICKET_BAD_SIGNATURE or TICKET_OK */
ticket_reason_t ticket_verify_signature(ticket_t *t);

/* tenant-bound key and issuer: TICKET_TENANT_MISMATCH,
 * TICKET_WRONG_ISSUER or TICKET_OK */
ticket_reason_t ticket_check_binding(const ticket_t *t,
    const ticket_policy_t *p);

/*
 * All of the above in the order the gateway uses: parse, select key,
 * time (before any signature work), signature, binding.
 */
ticket_reason_t ticket_validate(ticket_t *t, const char *token, size_t len,
    const ticket_keyset_t *ks, const ticket_policy_t *p, int64_t now);

/* kind, audience, roles, claims: TICKET_WRONG_KIND,
 * TICKET_WRONG_AUDIENCE, TICKET_INSUFFICIENT_ROLE, TICKET_CLAIM_MISMATCH
 * or TICKET_OK */
ticket_reason_t ticket_authorize(const ticket_t *t, const ticket_policy_t *p);

/* 1 if the ticket holds the role (exact, case-sensitive) */
int ticket_has_role(const ticket_t *t, const char *role, size_t len);

/* 1 if the ticket holds a privileged role no ticket_require_role names */
int ticket_excess_privilege(const ticket_t *t, const ticket_policy_t *p);

/*
 * The claims as JSON, parsed now if the ticket was restored from a
 * snapshot (claim requirements, $ticket_claim_*, forwarded claims need
 * them; nothing else does).  0, or -1.
 */
int ticket_claims_load(ticket_t *t);


/*
 * Snapshots: a verified ticket's typed claims in one flat buffer, for the
 * verified-ticket cache.  Restoring one costs no parsing: t's strings and
 * lists point into buf, which must stay put (and writable) while t lives.
 * The key is not part of a snapshot: the caller restores t->key.
 */

size_t ticket_snapshot_len(const ticket_t *t);
void ticket_snapshot_write(unsigned char *buf, const ticket_t *t);
int ticket_snapshot_restore(ticket_t *t, unsigned char *buf, size_t len);


#endif /* TICKET_H_INCLUDED_ */
