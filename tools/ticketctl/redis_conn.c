/*
 * ticketctl: one blocking connection to Redis, plain or TLS.
 *
 * --redis is host:port, [IPv6]:port, unix:/path, or a URL:
 * redis://[USER[:PASSWORD]@]HOST[:PORT][/DB], rediss:// for TLS.  TLS
 * verifies the server's certificate against --tls-ca (else the system
 * store) and the host (or --tls-name): a wrong certificate fails the
 * connect, nothing falls back to plain text.  Every read and write is
 * bounded by the timeout (SO_RCVTIMEO, SO_SNDTIMEO), as hiredis's
 * redisSetTimeout() bounds them.
 */

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "redis_conn.h"


static int ticketctl_redis_hostport(const char *s, size_t len,
    ticketctl_redis_addr_t *a, int url, char *err, size_t size);
static char *ticketctl_redis_unescape(const char *s, size_t len);
static int ticketctl_redis_tcp(ticketctl_redis_t *r,
    const ticketctl_redis_addr_t *a);
static int ticketctl_redis_unix(ticketctl_redis_t *r, const char *path);
static int ticketctl_redis_wait_connect(ticketctl_redis_t *r);
static int ticketctl_redis_tls(ticketctl_redis_t *r,
    const ticketctl_redis_addr_t *a);
static int ticketctl_redis_flush(ticketctl_redis_t *r);
static void ticketctl_redis_io_error(ticketctl_redis_t *r, const char *what,
    int ret);
static void ticketctl_redis_ssl_error(ticketctl_redis_t *r,
    const char *what);


int
ticketctl_redis_parse(const char *s, ticketctl_redis_addr_t *a, char *err,
    size_t size)
{
    long         db;
    char        *end;
    const char  *p, *at, *slash, *colon, *host;

    memset(a, 0, sizeof(ticketctl_redis_addr_t));
    a->db = -1;

    if (strncmp(s, "unix:", 5) == 0) {
        if (s[5] == '\0') {
            snprintf(err, size, "\"unix:\" needs a path");
            return -1;
        }

        a->path = strdup(s + 5);
        snprintf(a->shown, sizeof(a->shown), "%s", s);
        return a->path ? 0 : -1;
    }

    if (strncmp(s, "redis://", 8) == 0) {
        p = s + 8;

    } else if (strncmp(s, "rediss://", 9) == 0) {
        p = s + 9;
        a->tls = 1;

    } else {
        return ticketctl_redis_hostport(s, strlen(s), a, 0, err, size);
    }

    /* the authority ends at "/"; the user part at the last "@" in it */

    slash = strchr(p, '/');
    end = (char *) (slash ? slash : p + strlen(p));

    if (slash != NULL && strchr(slash, '@') != NULL) {
        snprintf(err, size, "a \"/\" in a URL's user or password is "
                 "written %%2F (its text is not repeated here)");
        return -1;
    }

    at = NULL;

    for (host = p; host < end; host++) {
        if (*host == '@') {
            at = host;
        }
    }

    host = p;

    if (at != NULL) {
        colon = memchr(p, ':', at - p);

        a->username = ticketctl_redis_unescape(p, (colon ? colon : at) - p);

        if (colon != NULL) {
            a->password = ticketctl_redis_unescape(colon + 1,
                                                   at - colon - 1);
        }

        if (a->username == NULL || (colon != NULL && a->password == NULL)) {
            snprintf(err, size, "invalid user in the Redis URL");
            ticketctl_redis_addr_free(a);
            return -1;
        }

        if (a->username[0] == '\0') {
            /* "redis://:PASSWORD@host": the default user */
            free(a->username);
            a->username = NULL;
        }

        host = at + 1;
    }

    if (ticketctl_redis_hostport(host, end - host, a, 1, err, size) != 0) {
        ticketctl_redis_addr_free(a);
        return -1;
    }

    if (slash != NULL && slash[1] != '\0') {
        errno = 0;
        db = strtol(slash + 1, &end, 10);

        if (errno != 0 || *end != '\0' || db < 0 || db > 1000000
            || slash[1] < '0' || slash[1] > '9')
        {
            snprintf(err, size, "invalid database in the Redis URL");
            ticketctl_redis_addr_free(a);
            return -1;
        }

        a->db = (int) db;
    }

    return 0;
}


void
ticketctl_redis_addr_free(ticketctl_redis_addr_t *a)
{
    free(a->host);
    free(a->path);
    free(a->username);

    if (a->password != NULL) {
        OPENSSL_cleanse(a->password, strlen(a->password));
        free(a->password);
    }

    a->host = NULL;
    a->path = NULL;
    a->username = NULL;
    a->password = NULL;
}


/* HOST:PORT or [IPv6]:PORT; in a URL the port may be left out (6379) */

static int
ticketctl_redis_hostport(const char *s, size_t len,
    ticketctl_redis_addr_t *a, int url, char *err, size_t size)
{
    long         port;
    char        *end, buf[8];
    size_t       hlen;
    const char  *colon, *h, *last;

    last = s + len;
    colon = NULL;

    /* a user or password here is a URL without its scheme: never echoed */

    if (memchr(s, '@', len) != NULL) {
        snprintf(err, size, "a user or password goes in a redis:// or "
                 "rediss:// URL (its text is not repeated here)");
        return -1;
    }

    if (len > 0 && s[0] == '[') {
        h = memchr(s, ']', len);

        if (h == NULL || (h + 1 != last && h[1] != ':')) {
            goto invalid;
        }

        colon = (h + 1 != last) ? h + 1 : NULL;
        h = s + 1;
        hlen = (colon ? colon - 1 : last - 1) - h;

    } else {
        for (h = s; h < last; h++) {
            if (*h == ':') {
                colon = h;
            }
        }

        h = s;
        hlen = (colon ? colon : last) - s;
    }

    if (hlen == 0) {
        goto invalid;
    }

    port = 6379;

    if (colon != NULL) {
        if ((size_t) (last - colon - 1) >= sizeof(buf) || colon + 1 == last) {
            goto bad_port;
        }

        memcpy(buf, colon + 1, last - colon - 1);
        buf[last - colon - 1] = '\0';

        errno = 0;
        port = strtol(buf, &end, 10);

        if (errno != 0 || *end != '\0' || buf[0] < '0' || buf[0] > '9'
            || port < 1 || port > 65535)
        {
            goto bad_port;
        }

    } else if (!url) {
        goto invalid;
    }

    a->host = strndup(h, hlen);
    if (a->host == NULL) {
        snprintf(err, size, "out of memory");
        return -1;
    }

    a->port = (int) port;

    snprintf(a->shown, sizeof(a->shown), "%s%s%s:%d",
             memchr(a->host, ':', hlen) ? "[" : "", a->host,
             memchr(a->host, ':', hlen) ? "]" : "", a->port);

    return 0;

invalid:

    snprintf(err, size, "wants host:port, unix:/path, redis:// or "
             "rediss://, not \"%.*s\"", (int) len, s);
    return -1;

bad_port:

    snprintf(err, size, "invalid port in \"%.*s\"", (int) len, s);
    return -1;
}


/* %XX in a URL's user and password */

static char *
ticketctl_redis_unescape(const char *s, size_t len)
{
    int      hi, lo;
    char    *out, *p;
    size_t   i;

    out = malloc(len + 1);
    if (out == NULL) {
        return NULL;
    }

    p = out;

    for (i = 0; i < len; i++) {
        if (s[i] != '%') {
            *p++ = s[i];
            continue;
        }

        if (i + 2 >= len) {
            OPENSSL_cleanse(out, len + 1);
            free(out);
            return NULL;
        }

        hi = OPENSSL_hexchar2int((unsigned char) s[i + 1]);
        lo = OPENSSL_hexchar2int((unsigned char) s[i + 2]);

        if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
            OPENSSL_cleanse(out, len + 1);
            free(out);
            return NULL;
        }

        *p++ = (char) (hi * 16 + lo);
        i += 2;
    }

    *p = '\0';

    return out;
}


ticketctl_redis_t *
ticketctl_redis_connect(const ticketctl_redis_addr_t *a, int timeout)
{
    struct timeval      tv;
    ticketctl_redis_t  *r;

    r = calloc(1, sizeof(ticketctl_redis_t));
    if (r == NULL) {
        return NULL;
    }

    r->fd = -1;
    r->timeout = timeout;

    r->reader = redisReaderCreate();
    if (r->reader == NULL) {
        free(r);
        return NULL;
    }

    if ((a->path ? ticketctl_redis_unix(r, a->path)
                 : ticketctl_redis_tcp(r, a)) != 0)
    {
        return r;
    }

    tv.tv_sec = timeout;
    tv.tv_usec = 0;

    if (setsockopt(r->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) != 0
        || setsockopt(r->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) != 0)
    {
        snprintf(r->errstr, sizeof(r->errstr), "cannot set a timeout: %s",
                 strerror(errno));
        return r;
    }

    if (a->tls) {
        (void) ticketctl_redis_tls(r, a);
    }

    return r;
}


static int
ticketctl_redis_tcp(ticketctl_redis_t *r, const ticketctl_redis_addr_t *a)
{
    int               rc, one;
    char              port[8];
    struct addrinfo   hints, *res, *ai;

    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;

    snprintf(port, sizeof(port), "%d", a->port);

    rc = getaddrinfo(a->host, port, &hints, &res);
    if (rc != 0) {
        snprintf(r->errstr, sizeof(r->errstr), "%s", gai_strerror(rc));
        return -1;
    }

    for (ai = res; ai != NULL; ai = ai->ai_next) {
        r->fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
                       ai->ai_protocol);
        if (r->fd == -1) {
            snprintf(r->errstr, sizeof(r->errstr), "socket: %s",
                     strerror(errno));
            continue;
        }

        r->errstr[0] = '\0';

        if (fcntl(r->fd, F_SETFL, O_NONBLOCK) == 0
            && (connect(r->fd, ai->ai_addr, ai->ai_addrlen) == 0
                || errno == EINPROGRESS)
            && ticketctl_redis_wait_connect(r) == 0)
        {
            break;
        }

        if (r->errstr[0] == '\0') {
            snprintf(r->errstr, sizeof(r->errstr), "%s", strerror(errno));
        }

        close(r->fd);
        r->fd = -1;
    }

    freeaddrinfo(res);

    if (r->fd == -1) {
        return -1;
    }

    one = 1;
    (void) setsockopt(r->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));

    return 0;
}


static int
ticketctl_redis_unix(ticketctl_redis_t *r, const char *path)
{
    struct sockaddr_un  sun;

    memset(&sun, 0, sizeof(sun));
    sun.sun_family = AF_UNIX;

    if (strlen(path) >= sizeof(sun.sun_path)) {
        snprintf(r->errstr, sizeof(r->errstr), "socket path too long");
        return -1;
    }

    strcpy(sun.sun_path, path);

    r->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

    if (r->fd == -1 || connect(r->fd, (struct sockaddr *) &sun,
                               sizeof(sun)) != 0)
    {
        snprintf(r->errstr, sizeof(r->errstr), "%s", strerror(errno));
        return -1;
    }

    return 0;
}


/* a nonblocking connect waited for, then the socket blocking again */

static int
ticketctl_redis_wait_connect(ticketctl_redis_t *r)
{
    int            rc, err;
    socklen_t      len;
    struct pollfd  pfd;

    pfd.fd = r->fd;
    pfd.events = POLLOUT;

    do {
        rc = poll(&pfd, 1, r->timeout * 1000);
    } while (rc == -1 && errno == EINTR);

    if (rc == 0) {
        r->timedout = 1;
        snprintf(r->errstr, sizeof(r->errstr), "connect timed out after "
                 "%ds", r->timeout);
        return -1;
    }

    err = 0;
    len = sizeof(err);

    if (rc == -1
        || getsockopt(r->fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
    {
        err = errno;
    }

    if (err != 0) {
        snprintf(r->errstr, sizeof(r->errstr), "%s", strerror(err));
        return -1;
    }

    return fcntl(r->fd, F_SETFL, 0);
}


static int
ticketctl_redis_tls(ticketctl_redis_t *r, const ticketctl_redis_addr_t *a)
{
    int                 rc;
    long                v;
    const char         *name;
    unsigned char       ip[16];
    X509_VERIFY_PARAM  *param;

    r->ctx = SSL_CTX_new(TLS_client_method());
    if (r->ctx == NULL) {
        ticketctl_redis_ssl_error(r, "SSL_CTX_new");
        return -1;
    }

    (void) SSL_CTX_set_min_proto_version(r->ctx, TLS1_2_VERSION);

    if (a->tls_ca != NULL) {
        if (SSL_CTX_load_verify_locations(r->ctx, a->tls_ca, NULL) != 1) {
            ticketctl_redis_ssl_error(r, a->tls_ca);
            return -1;
        }

    } else if (SSL_CTX_set_default_verify_paths(r->ctx) != 1) {
        ticketctl_redis_ssl_error(r, "the system's CA certificates");
        return -1;
    }

    if (a->tls_cert != NULL) {
        if (SSL_CTX_use_certificate_chain_file(r->ctx, a->tls_cert) != 1) {
            ticketctl_redis_ssl_error(r, a->tls_cert);
            return -1;
        }

        if (SSL_CTX_use_PrivateKey_file(r->ctx, a->tls_key,
                                        SSL_FILETYPE_PEM) != 1
            || SSL_CTX_check_private_key(r->ctx) != 1)
        {
            ticketctl_redis_ssl_error(r, a->tls_key);
            return -1;
        }
    }

    SSL_CTX_set_verify(r->ctx, SSL_VERIFY_PEER, NULL);

    r->ssl = SSL_new(r->ctx);
    if (r->ssl == NULL || SSL_set_fd(r->ssl, r->fd) != 1) {
        ticketctl_redis_ssl_error(r, "SSL_new");
        return -1;
    }

    name = a->tls_name ? a->tls_name : a->host;
    param = SSL_get0_param(r->ssl);

    /* an address is checked as one; SNI never carries an address */

    if (inet_pton(AF_INET, name, ip) == 1
        || inet_pton(AF_INET6, name, ip) == 1)
    {
        rc = X509_VERIFY_PARAM_set1_ip_asc(param, name);

    } else {
        rc = SSL_set_tlsext_host_name(r->ssl, name) == 1
             && SSL_set1_host(r->ssl, name) == 1;
    }

    if (rc != 1) {
        ticketctl_redis_ssl_error(r, "the server's name");
        return -1;
    }

    rc = SSL_connect(r->ssl);

    if (rc != 1) {
        v = SSL_get_verify_result(r->ssl);

        if (v != X509_V_OK) {
            snprintf(r->errstr, sizeof(r->errstr), "TLS handshake failed: "
                     "certificate not verified: %s",
                     X509_verify_cert_error_string(v));
            return -1;
        }

        ticketctl_redis_io_error(r, "TLS handshake failed", rc);
        return -1;
    }

    return 0;
}


int
ticketctl_redis_append(ticketctl_redis_t *r, int argc, const char **argv,
    const size_t *lens)
{
    char       *cmd, *out;
    size_t      size;
    long long   n;

    n = redisFormatCommandArgv(&cmd, argc, argv, lens);
    if (n < 0) {
        return REDIS_ERR;
    }

    if (r->out_len + n > r->out_size) {
        size = 2 * (r->out_len + n);

        out = malloc(size);
        if (out == NULL) {
            OPENSSL_cleanse(cmd, n);
            redisFreeCommand(cmd);
            return REDIS_ERR;
        }

        if (r->out != NULL) {
            memcpy(out, r->out, r->out_len);
            OPENSSL_cleanse(r->out, r->out_size);
            free(r->out);
        }

        r->out = out;
        r->out_size = size;
    }

    memcpy(r->out + r->out_len, cmd, n);
    r->out_len += n;

    /* an AUTH's password is in there: wiped wherever it was */

    OPENSSL_cleanse(cmd, n);
    redisFreeCommand(cmd);

    return REDIS_OK;
}


int
ticketctl_redis_get_reply(ticketctl_redis_t *r, void **reply)
{
    int   n;
    char  buf[16384];

    *reply = NULL;

    if (r->errstr[0] != '\0' || r->fd == -1) {
        return REDIS_ERR;
    }

    if (ticketctl_redis_flush(r) != 0) {
        return REDIS_ERR;
    }

    for ( ;; ) {
        if (redisReaderGetReply(r->reader, reply) != REDIS_OK) {
            snprintf(r->errstr, sizeof(r->errstr), "protocol error: %s",
                     r->reader->errstr);
            return REDIS_ERR;
        }

        if (*reply != NULL) {
            return REDIS_OK;
        }

        if (r->ssl != NULL) {
            n = SSL_read(r->ssl, buf, sizeof(buf));

        } else {
            do {
                n = read(r->fd, buf, sizeof(buf));
            } while (n == -1 && errno == EINTR);
        }

        if (n <= 0) {
            ticketctl_redis_io_error(r, "read", n);
            return REDIS_ERR;
        }

        if (redisReaderFeed(r->reader, buf, n) != REDIS_OK) {
            snprintf(r->errstr, sizeof(r->errstr), "out of memory");
            return REDIS_ERR;
        }
    }
}


static int
ticketctl_redis_flush(ticketctl_redis_t *r)
{
    int     n;
    size_t  off;

    for (off = 0; off < r->out_len; off += n) {
        if (r->ssl != NULL) {
            n = SSL_write(r->ssl, r->out + off, r->out_len - off);

        } else {
            do {
                n = write(r->fd, r->out + off, r->out_len - off);
            } while (n == -1 && errno == EINTR);
        }

        if (n <= 0) {
            ticketctl_redis_io_error(r, "write", n);
            return -1;
        }
    }

    if (r->out_len) {
        OPENSSL_cleanse(r->out, r->out_len);
        r->out_len = 0;
    }

    return 0;
}


static void
ticketctl_redis_io_error(ticketctl_redis_t *r, const char *what, int ret)
{
    int            err, e;
    unsigned long  code;

    e = errno;
    err = (r->ssl != NULL) ? SSL_get_error(r->ssl, ret) : SSL_ERROR_SYSCALL;

    if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE
        || (err == SSL_ERROR_SYSCALL && ret < 0
            && (e == EAGAIN || e == EWOULDBLOCK)))
    {
        r->timedout = 1;
        snprintf(r->errstr, sizeof(r->errstr), "timed out after %ds",
                 r->timeout);
        return;
    }

    if (err == SSL_ERROR_SSL) {
        code = ERR_peek_last_error();
        snprintf(r->errstr, sizeof(r->errstr), "%s: %s", what,
                 ERR_reason_error_string(code) ? ERR_reason_error_string(code)
                                               : "TLS error");
        ERR_clear_error();
        return;
    }

    if (ret == 0 || (err == SSL_ERROR_SYSCALL && e == 0)
        || err == SSL_ERROR_ZERO_RETURN)
    {
        snprintf(r->errstr, sizeof(r->errstr), "%s: connection closed by "
                 "the server", what);
        return;
    }

    snprintf(r->errstr, sizeof(r->errstr), "%s: %s", what, strerror(e));
}


static void
ticketctl_redis_ssl_error(ticketctl_redis_t *r, const char *what)
{
    unsigned long  code;

    code = ERR_peek_last_error();

    snprintf(r->errstr, sizeof(r->errstr), "TLS: %s: %s", what,
             ERR_reason_error_string(code) ? ERR_reason_error_string(code)
                                           : "failed");
    ERR_clear_error();
}


void
ticketctl_redis_free(ticketctl_redis_t *r)
{
    if (r == NULL) {
        return;
    }

    if (r->ssl != NULL) {
        SSL_free(r->ssl);
    }

    if (r->ctx != NULL) {
        SSL_CTX_free(r->ctx);
    }

    if (r->fd != -1) {
        close(r->fd);
    }

    if (r->reader != NULL) {
        redisReaderFree(r->reader);
    }

    if (r->out != NULL) {
        OPENSSL_cleanse(r->out, r->out_size);
        free(r->out);
    }

    free(r);
}


/* a longer bound for one command that waits on purpose (WAIT) */

int
ticketctl_redis_set_timeout(ticketctl_redis_t *r, int timeout)
{
    struct timeval  tv;

    tv.tv_sec = timeout;
    tv.tv_usec = 0;

    if (setsockopt(r->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) != 0) {
        snprintf(r->errstr, sizeof(r->errstr), "cannot set a timeout: %s",
                 strerror(errno));
        return REDIS_ERR;
    }

    r->timeout = timeout;

    return REDIS_OK;
}
