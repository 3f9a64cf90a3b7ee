/*
 * ticketctl: the command-line tool of ngx_ticket_module.
 *
 * One file per subcommand, a table of them in main.c, shared helpers
 * here.  Exit status: 0 success, 1 a negative answer (the ticket does
 * not verify), 2 usage or environment errors.
 */

#ifndef TICKETCTL_H_INCLUDED_
#define TICKETCTL_H_INCLUDED_


#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <jansson.h>
#include <openssl/evp.h>

#include "ticket.h"


#define TICKETCTL_VERSION      "0.1.0"

#define TICKETCTL_OK           0
#define TICKETCTL_NEGATIVE     1
#define TICKETCTL_ERROR        2

#define TICKETCTL_MAX_FILE     (1024 * 1024)


typedef struct {
    const char             *name;
    int                   (*run)(int argc, char **argv);
    const char             *summary;   /* one line for "ticketctl --help" */
    const char             *synopsis;  /* "ticketctl keygen --alg ALG ..." */
    const char             *help;      /* options, for "CMD --help" */
} ticketctl_cmd_t;


extern const ticketctl_cmd_t  ticketctl_keygen_cmd;
extern const ticketctl_cmd_t  ticketctl_mint_cmd;
extern const ticketctl_cmd_t  ticketctl_inspect_cmd;
extern const ticketctl_cmd_t  ticketctl_revoke_cmd;
extern const ticketctl_cmd_t  ticketctl_audit_cmd;
extern const ticketctl_cmd_t  ticketctl_ssf_cmd;


/* messages: "ticketctl: CMD: ..." on stderr, one line */

void ticketctl_error(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));
void ticketctl_warn(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));
/* the message and the subcommand's synopsis on one line; returns 2 */
int ticketctl_usage_error(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));
/* getopt_long's '?' and ':' as a usage error; returns 2 */
int ticketctl_getopt_error(int c, char **argv);
/* the subcommand's full usage on stdout; returns 0 */
int ticketctl_help(void);


/* files: content NUL-terminated (not counted in len); errors reported */

int ticketctl_read_file(const char *path, unsigned char **buf, size_t *len);
int ticketctl_read_stdin(unsigned char **buf, size_t *len);
/* a new file with exactly this mode; never replaces an existing one */
int ticketctl_write_file(const char *path, int mode, const void *buf,
    size_t len);
void ticketctl_free_secret(void *buf, size_t len);
/* HMAC secret rule of the gateway: trailing newlines stripped */
size_t ticketctl_strip_newlines(const unsigned char *buf, size_t len);


/* time: "15m", "1h30m", "30s", "2d", plain seconds; and points in time:
 * unix seconds, "now", "now+15m", "-2h", RFC 3339 */

int ticketctl_parse_duration(const char *s, int64_t *out);
int ticketctl_parse_time(const char *s, int64_t now, int64_t *out);
void ticketctl_format_time(int64_t t, char *buf, size_t size);
void ticketctl_format_duration(int64_t d, char *buf, size_t size);


/* base64url, malloc'd and NUL-terminated */

char *ticketctl_b64url(const unsigned char *p, size_t len);


/* keys: jwk.c and sign.c */

EVP_PKEY *ticketctl_load_private_key(const unsigned char *buf, size_t len);
int ticketctl_pem_looks_like(const unsigned char *buf, size_t len);
ticket_alg_t ticketctl_infer_alg(EVP_PKEY *pkey);
int ticketctl_key_fits_alg(EVP_PKEY *pkey, ticket_alg_t alg);
int ticketctl_alg_is_hmac(ticket_alg_t alg);

json_t *ticketctl_jwk(EVP_PKEY *pkey, const unsigned char *secret,
    size_t secret_len, ticket_alg_t alg, const char *kid, const char *tenant);

/*
 * The compact ticket for header and claims (objects), signed with the
 * key (HS: the secret).  HS, RS and ES go through libjwt, PS and EdDSA
 * through OpenSSL.  Returns a malloc'd string or NULL (reported).
 */
char *ticketctl_sign(ticket_alg_t alg, const char *kid, json_t *claims,
    const unsigned char *key, size_t key_len, EVP_PKEY *pkey);


#endif /* TICKETCTL_H_INCLUDED_ */
