/*
 * ticketctl: subcommand table, dispatch and the helpers every
 * subcommand shares (messages, files, times).
 */

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <malloc.h>
#include <unistd.h>
#include <sys/stat.h>
#include <openssl/crypto.h>

#include "ticketctl.h"


static int ticketctl_main_usage(void);
static const ticketctl_cmd_t *ticketctl_find(const char *name);
static int ticketctl_help_command(int argc, char **argv);
static void ticketctl_vmessage(const char *what, const char *fmt,
    va_list args);
static int ticketctl_read_fd(int fd, const char *name, unsigned char **buf,
    size_t *len);
static void ticketctl_json_free(void *p);


static const ticketctl_cmd_t  ticketctl_help_cmd = {
    "help",
    ticketctl_help_command,
    "show the usage of a command",
    "ticketctl help [COMMAND]",
    ""
};


static const ticketctl_cmd_t  *ticketctl_commands[] = {
    &ticketctl_keygen_cmd,
    &ticketctl_mint_cmd,
    &ticketctl_inspect_cmd,
    &ticketctl_revoke_cmd,
    &ticketctl_audit_cmd,
    &ticketctl_ssf_cmd,

    &ticketctl_help_cmd,
    NULL
};


static const ticketctl_cmd_t  *ticketctl_cmd;


int
main(int argc, char **argv)
{
    const char  *name;

    if (argc < 2) {
        /* a usage error is one line, as every other (jq's habit) */
        fprintf(stderr, "ticketctl: missing command; "
                "see \"ticketctl --help\"\n");
        return TICKETCTL_ERROR;
    }

    json_set_alloc_funcs(malloc, ticketctl_json_free);

    name = argv[1];

    if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0) {
        return ticketctl_main_usage();
    }

    if (strcmp(name, "--version") == 0 || strcmp(name, "-V") == 0) {
        printf("ticketctl %s (%s, jansson %s)\n", TICKETCTL_VERSION,
               OpenSSL_version(OPENSSL_VERSION), JANSSON_VERSION);
        return TICKETCTL_OK;
    }

    ticketctl_cmd = ticketctl_find(name);

    if (ticketctl_cmd == NULL) {
        fprintf(stderr, "ticketctl: unknown command \"%s\"; "
                "see \"ticketctl --help\"\n", name);
        return TICKETCTL_ERROR;
    }

    return ticketctl_cmd->run(argc - 1, argv + 1);
}


static void
ticketctl_json_free(void *p)
{
    /*
     * JSON passing through jansson holds secrets (an HS key's JWK, a
     * JWKS read by the core) in buffers jansson frees on its own, also
     * while growing them.  Wipe every one.  Plain malloc() stays the
     * allocator: libjwt frees some of jansson's strings with free().
     */

    if (p != NULL) {
        OPENSSL_cleanse(p, malloc_usable_size(p));
        free(p);
    }
}


static int
ticketctl_main_usage(void)
{
    const ticketctl_cmd_t  **c;

    printf("Usage: ticketctl COMMAND [OPTIONS]...\n"
           "       ticketctl --help | --version\n\n"
           "Keys and tickets of ngx_ticket_module.\n\n"
           "Commands:\n");

    for (c = ticketctl_commands; *c != NULL; c++) {
        printf("  %-10s %s\n", (*c)->name, (*c)->summary);
    }

    printf("\n\"ticketctl COMMAND --help\" shows the options of a "
           "command.\n"
           "Exit status: 0 success, 1 the ticket does not verify, "
           "2 usage or other error.\n");

    return TICKETCTL_OK;
}


static const ticketctl_cmd_t *
ticketctl_find(const char *name)
{
    const ticketctl_cmd_t  **c;

    for (c = ticketctl_commands; *c != NULL; c++) {
        if (strcmp((*c)->name, name) == 0) {
            return *c;
        }
    }

    return NULL;
}


static int
ticketctl_help_command(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0) {
        return ticketctl_main_usage();
    }

    if (argc > 2) {
        return ticketctl_usage_error("too many arguments");
    }

    ticketctl_cmd = ticketctl_find(argv[1]);

    if (ticketctl_cmd == NULL) {
        fprintf(stderr, "ticketctl: help: unknown command \"%s\"; "
                "see \"ticketctl --help\"\n", argv[1]);
        return TICKETCTL_ERROR;
    }

    return ticketctl_help();
}


int
ticketctl_help(void)
{
    printf("Usage: %s\n\n%s", ticketctl_cmd->synopsis, ticketctl_cmd->help);
    return TICKETCTL_OK;
}


static void
ticketctl_vmessage(const char *what, const char *fmt, va_list args)
{
    fflush(stdout);

    fputs("ticketctl: ", stderr);

    if (ticketctl_cmd != NULL) {
        fprintf(stderr, "%s: ", ticketctl_cmd->name);
    }

    if (what != NULL) {
        fputs(what, stderr);
    }

    vfprintf(stderr, fmt, args);
}


void
ticketctl_error(const char *fmt, ...)
{
    va_list  args;

    va_start(args, fmt);
    ticketctl_vmessage(NULL, fmt, args);
    va_end(args);

    fputc('\n', stderr);
}


void
ticketctl_warn(const char *fmt, ...)
{
    va_list  args;

    va_start(args, fmt);
    ticketctl_vmessage("warning: ", fmt, args);
    va_end(args);

    fputc('\n', stderr);
}


int
ticketctl_usage_error(const char *fmt, ...)
{
    va_list  args;

    va_start(args, fmt);
    ticketctl_vmessage(NULL, fmt, args);
    va_end(args);

    if (ticketctl_cmd != NULL) {
        fprintf(stderr, "; see \"ticketctl %s --help\"\n",
                ticketctl_cmd->name);

    } else {
        fputc('\n', stderr);
    }

    return TICKETCTL_ERROR;
}


int
ticketctl_getopt_error(int c, char **argv)
{
    /* getopt_long() leaves optind past the option it could not take */

    const char  *opt;

    opt = argv[optind - 1];

    if (c == ':') {
        return ticketctl_usage_error("option \"%s\" needs a value", opt);
    }

    if (optopt != 0 && strncmp(opt, "--", 2) != 0) {
        return ticketctl_usage_error("unknown option \"-%c\"", optopt);
    }

    return ticketctl_usage_error("unknown option \"%s\"", opt);
}


int
ticketctl_read_file(const char *path, unsigned char **buf, size_t *len)
{
    int  fd, rc;

    fd = open(path, O_RDONLY | O_CLOEXEC);

    if (fd == -1) {
        ticketctl_error("cannot read \"%s\": %s", path, strerror(errno));
        return -1;
    }

    rc = ticketctl_read_fd(fd, path, buf, len);

    close(fd);

    return rc;
}


int
ticketctl_read_stdin(unsigned char **buf, size_t *len)
{
    return ticketctl_read_fd(STDIN_FILENO, "-", buf, len);
}


static int
ticketctl_read_fd(int fd, const char *name, unsigned char **buf,
    size_t *len)
{
    /*
     * Grows by copying so that a secret never sits in a buffer freed
     * by realloc() without being wiped.
     */

    size_t          size, n, grown;
    ssize_t         r;
    unsigned char  *p, *q;

    size = 4096;
    n = 0;

    p = malloc(size);
    if (p == NULL) {
        ticketctl_error("out of memory");
        return -1;
    }

    for ( ;; ) {

        if (n + 1 == size) {

            if (size > TICKETCTL_MAX_FILE) {
                ticketctl_free_secret(p, size);
                ticketctl_error("cannot read \"%s\": larger than %d bytes",
                                name, TICKETCTL_MAX_FILE);
                return -1;
            }

            grown = size * 2;

            q = malloc(grown);
            if (q == NULL) {
                ticketctl_free_secret(p, size);
                ticketctl_error("out of memory");
                return -1;
            }

            memcpy(q, p, n);
            ticketctl_free_secret(p, size);
            p = q;
            size = grown;
        }

        r = read(fd, p + n, size - n - 1);

        if (r == -1) {
            if (errno == EINTR) {
                continue;
            }

            ticketctl_error("cannot read \"%s\": %s", name, strerror(errno));
            ticketctl_free_secret(p, size);
            return -1;
        }

        if (r == 0) {
            break;
        }

        n += r;
    }

    p[n] = '\0';

    *buf = p;
    *len = n;

    return 0;
}


int
ticketctl_write_file(const char *path, int mode, const void *buf,
    size_t len)
{
    int          fd;
    ssize_t      n;
    const char  *p;

    fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
              mode);

    if (fd == -1) {
        ticketctl_error("cannot create \"%s\": %s", path, strerror(errno));
        return -1;
    }

    /* the mode is part of the contract: do not let the umask decide */

    if (fchmod(fd, mode) == -1) {
        ticketctl_error("cannot chmod \"%s\": %s", path, strerror(errno));
        goto failed;
    }

    p = buf;

    while (len > 0) {
        n = write(fd, p, len);

        if (n == -1) {
            if (errno == EINTR) {
                continue;
            }

            ticketctl_error("cannot write \"%s\": %s", path, strerror(errno));
            goto failed;
        }

        p += n;
        len -= n;
    }

    if (fsync(fd) == -1 || close(fd) == -1) {
        ticketctl_error("cannot write \"%s\": %s", path, strerror(errno));
        unlink(path);
        return -1;
    }

    return 0;

failed:

    close(fd);
    unlink(path);

    return -1;
}


void
ticketctl_free_secret(void *buf, size_t len)
{
    if (buf != NULL) {
        OPENSSL_cleanse(buf, len);
        free(buf);
    }
}


size_t
ticketctl_strip_newlines(const unsigned char *buf, size_t len)
{
    while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r')) {
        len--;
    }

    return len;
}


int
ticketctl_parse_duration(const char *s, int64_t *out)
{
    /* nginx's time syntax: "1h30m", "15m", "2d"; a bare number is seconds */

    int64_t      total, n, unit;
    const char  *p;

    if (*s == '\0') {
        return -1;
    }

    total = 0;
    p = s;

    while (*p != '\0') {

        if (*p < '0' || *p > '9') {
            return -1;
        }

        n = 0;

        while (*p >= '0' && *p <= '9') {
            n = n * 10 + (*p++ - '0');

            if (n > TICKET_MAX_TIME) {
                return -1;
            }
        }

        switch (*p) {
        case 's':
            unit = 1;
            p++;
            break;
        case 'm':
            unit = 60;
            p++;
            break;
        case 'h':
            unit = 60 * 60;
            p++;
            break;
        case 'd':
            unit = 24 * 60 * 60;
            p++;
            break;
        case 'w':
            unit = 7 * 24 * 60 * 60;
            p++;
            break;
        case '\0':
            if (p - s > 0 && total != 0) {
                /* "1h30" is ambiguous */
                return -1;
            }
            unit = 1;
            break;
        default:
            return -1;
        }

        if (n > (TICKET_MAX_TIME - total) / unit) {
            return -1;
        }

        total += n * unit;
    }

    *out = total;

    return 0;
}


int
ticketctl_parse_time(const char *s, int64_t now, int64_t *out)
{
    int          n, off;
    char         sign, tz;
    int64_t      d, t;
    struct tm    tm;
    const char  *p;

    if (strncmp(s, "now", 3) == 0) {
        s += 3;

        if (*s == '\0') {
            *out = now;
            return 0;
        }
    }

    if (*s == '+' || *s == '-') {
        if (ticketctl_parse_duration(s + 1, &d) != 0) {
            return -1;
        }

        *out = (*s == '+') ? now + d : now - d;
        return 0;
    }

    for (p = s; *p >= '0' && *p <= '9'; p++) { /* void */ }

    if (*p == '\0' && p != s) {
        if (p - s > 12) {
            return -1;
        }

        t = strtoll(s, NULL, 10);

        if (t > TICKET_MAX_TIME) {
            return -1;
        }

        *out = t;
        return 0;
    }

    /* RFC 3339: 2025-01-31T12:00:00Z or with an offset, no fraction */

    memset(&tm, 0, sizeof(tm));
    n = 0;

    if (sscanf(s, "%4d-%2d-%2d%*1[Tt ]%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon,
               &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &n)
        != 6 || n != 19)
    {
        return -1;
    }

    if (tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1
        || tm.tm_mday > 31 || tm.tm_hour > 23 || tm.tm_min > 59
        || tm.tm_sec > 60)
    {
        return -1;
    }

    p = s + n;
    off = 0;
    tz = *p;

    if (tz == 'Z' || tz == 'z') {
        if (p[1] != '\0') {
            return -1;
        }

    } else if (tz == '+' || tz == '-') {
        int  hh, mm;

        sign = tz;
        n = 0;

        if (sscanf(p + 1, "%2d:%2d%n", &hh, &mm, &n) != 2 || n != 5
            || p[6] != '\0' || hh > 23 || mm > 59)
        {
            return -1;
        }

        off = (hh * 60 + mm) * 60;

        if (sign == '-') {
            off = -off;
        }

    } else {
        return -1;
    }

    tm.tm_year -= 1900;
    tm.tm_mon -= 1;

    t = (int64_t) timegm(&tm);

    *out = t - off;

    return 0;
}


void
ticketctl_format_time(int64_t t, char *buf, size_t size)
{
    time_t     tt;
    struct tm  tm;

    tt = (time_t) t;

    if (gmtime_r(&tt, &tm) == NULL
        || strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
    {
        snprintf(buf, size, "%lld", (long long) t);
    }
}


void
ticketctl_format_duration(int64_t d, char *buf, size_t size)
{
    /* the largest two units: "2d3h", "15m", "1h0m5s" is "1h" */

    int64_t  v[4];
    size_t   i, n, shown;
    static const char  units[] = "dhms";

    if (d < 0) {
        d = -d;
    }

    v[0] = d / 86400;
    v[1] = d % 86400 / 3600;
    v[2] = d % 3600 / 60;
    v[3] = d % 60;

    n = 0;
    shown = 0;
    buf[0] = '\0';

    for (i = 0; i < 4 && shown < 2 && n < size; i++) {
        if (v[i] == 0 && shown == 0) {
            continue;
        }

        shown++;

        if (v[i] == 0) {
            continue;
        }

        n += snprintf(buf + n, size - n, "%lld%c", (long long) v[i],
                      units[i]);
    }

    if (n == 0) {
        snprintf(buf, size, "0s");
    }
}


char *
ticketctl_b64url(const unsigned char *p, size_t len)
{
    char    *s;
    size_t   n;

    s = malloc(ticket_b64url_encoded_len(len) + 1);
    if (s == NULL) {
        ticketctl_error("out of memory");
        return NULL;
    }

    n = ticket_b64url_encode(s, p, len);
    s[n] = '\0';

    return s;
}
