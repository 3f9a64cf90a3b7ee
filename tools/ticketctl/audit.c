/*
 * ticketctl audit: filter and summarise audit logs (SPEC "Audit log",
 * the record in ticket_audit.h) for the SOC.
 *
 * Files (or stdin) are read with read(2), gzip (told from plain by its
 * magic) inflated with zlib's inflate(), into one fixed buffer; each
 * line is checked by the scanner of audit_scan.c and either printed as
 * it is (filtering) or counted into hash tables (--top).  Memory is the
 * buffers plus one entry per distinct value counted, never the records.
 * A line that is no record, or longer than 1 MiB, is skipped and
 * counted, and the count is reported once at the end.
 */

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <zlib.h>

#include <jansson.h>

#include "ticketctl.h"
#include "audit.h"

#include <ticket_audit.h>


#define TICKETCTL_AUDIT_MAX_LINE   (1024 * 1024)
#define TICKETCTL_AUDIT_BUF        (4 * 1024 * 1024)
#define TICKETCTL_AUDIT_GZBUF      (256 * 1024)
#define TICKETCTL_AUDIT_MAX_TOP    1000000
#define TICKETCTL_AUDIT_ARENA      (64 * 1024)
#define TICKETCTL_AUDIT_OUTBUF     (1024 * 1024)


enum {
    TICKETCTL_AUDIT_SINCE = 256,
    TICKETCTL_AUDIT_UNTIL,
    TICKETCTL_AUDIT_EVENT,
    TICKETCTL_AUDIT_SUB,
    TICKETCTL_AUDIT_TENANT,
    TICKETCTL_AUDIT_REASON,
    TICKETCTL_AUDIT_TOP,
    TICKETCTL_AUDIT_JSON,
    TICKETCTL_AUDIT_CHECK
};


/* what the SPEC names, in its order of severity */

static const char  *ticketctl_audit_events[] = {
    "denied", "over_privilege", "excess_privilege", "allowed", NULL
};


typedef struct {
    const char             *since;
    const char             *until;
    const char            **event;
    size_t                  nevent;
    const char             *sub;
    const char             *tenant;
    const char            **reason;
    size_t                  nreason;
    const char             *top;
    int                     json;
    int                     check;
} ticketctl_audit_args_t;


/* a counted value: key bytes in the arena */

typedef struct {
    uint64_t                hash;
    uint64_t                count;
    unsigned char          *key;      /* NULL: free slot */
    size_t                  len;
} ticketctl_audit_entry_t;


typedef struct ticketctl_audit_chunk_s  ticketctl_audit_chunk_t;

struct ticketctl_audit_chunk_s {
    ticketctl_audit_chunk_t  *next;
    size_t                    used;
    size_t                    size;
    unsigned char             data[];
};


typedef struct {
    ticketctl_audit_entry_t  *entries;
    size_t                    size;   /* a power of 2 */
    size_t                    n;
} ticketctl_audit_table_t;


enum {
    TICKETCTL_AUDIT_EVENTS = 0,
    TICKETCTL_AUDIT_SUBJECTS,
    TICKETCTL_AUDIT_REASONS,
    TICKETCTL_AUDIT_LOCATIONS,
    TICKETCTL_AUDIT_OVER,
    TICKETCTL_AUDIT_NTABLES
};


typedef struct {
    /* filters */
    int64_t                   since_ms;
    int64_t                   until_ms;
    unsigned                  has_since:1;
    unsigned                  has_until:1;
    const char              **event;
    size_t                    nevent;
    const char              **reason;
    size_t                    nreason;
    const char               *sub;
    size_t                    sub_len;
    const char               *tenant;
    size_t                    tenant_len;

    size_t                    top;     /* 0: print the records */
    int                       json;
    ticketctl_audit_check_t  *check;   /* --check */

    unsigned char            *buf;
    unsigned char            *ibuf;    /* TICKETCTL_AUDIT_GZBUF */
    unsigned char            *scratch;
    uint64_t                  records;
    uint64_t                  skipped;
    uint64_t                  seed;

    ticketctl_audit_table_t   tables[TICKETCTL_AUDIT_NTABLES];
    ticketctl_audit_chunk_t  *arena;
} ticketctl_audit_ctx_t;


enum {
    TICKETCTL_AUDIT_IN_UNKNOWN = 0,   /* plain or gzip: not read yet */
    TICKETCTL_AUDIT_IN_PLAIN,
    TICKETCTL_AUDIT_IN_MEMBER,        /* inside a gzip member */
    TICKETCTL_AUDIT_IN_END,           /* a member ended, more input */
    TICKETCTL_AUDIT_IN_PAD            /* zero bytes after the last */
};


typedef struct {
    int                       fd;
    int                       state;
    unsigned                  eof:1;
    unsigned                  zinit:1;
    const char               *name;
    unsigned char            *ibuf;
    unsigned char            *next;    /* unread input in ibuf */
    size_t                    avail;
    z_stream                  z;
} ticketctl_audit_in_t;


static int ticketctl_audit(int argc, char **argv);
static int ticketctl_audit_options(ticketctl_audit_args_t *a, int argc,
    char **argv);
static int ticketctl_audit_setup(ticketctl_audit_ctx_t *ctx,
    ticketctl_audit_args_t *a);
static int ticketctl_audit_check_file(const char *name);
static ssize_t ticketctl_audit_in_read(ticketctl_audit_in_t *in,
    unsigned char *out, size_t size);
static ssize_t ticketctl_audit_in_gzip(ticketctl_audit_in_t *in,
    unsigned char *out, size_t size);
static ssize_t ticketctl_audit_in_plain(ticketctl_audit_in_t *in,
    unsigned char *out, size_t size);
static int ticketctl_audit_in_fill(ticketctl_audit_in_t *in);
static int ticketctl_audit_file(ticketctl_audit_ctx_t *ctx,
    const char *name);
static int ticketctl_audit_line(ticketctl_audit_ctx_t *ctx,
    const unsigned char *line, size_t len);
static int ticketctl_audit_record(ticketctl_audit_ctx_t *ctx,
    const unsigned char *line, size_t len, ticketctl_audit_rec_t *rec);
static int ticketctl_audit_match(ticketctl_audit_ctx_t *ctx,
    ticketctl_audit_rec_t *rec);
static int ticketctl_audit_is(const ticketctl_audit_str_t *s,
    const char *v, size_t len);
static int ticketctl_audit_count(ticketctl_audit_ctx_t *ctx,
    ticketctl_audit_rec_t *rec);
static int ticketctl_audit_add(ticketctl_audit_ctx_t *ctx,
    ticketctl_audit_table_t *t, const unsigned char *key, size_t len);
static int ticketctl_audit_grow(ticketctl_audit_table_t *t);
static unsigned char *ticketctl_audit_alloc(ticketctl_audit_ctx_t *ctx,
    size_t len);
static uint64_t ticketctl_audit_hash(uint64_t seed, const unsigned char *p,
    size_t len);
static ticketctl_audit_entry_t **ticketctl_audit_rank(
    ticketctl_audit_table_t *t, size_t top, int over, size_t *n);
static int ticketctl_audit_before(const ticketctl_audit_entry_t *a,
    const ticketctl_audit_entry_t *b, int over);
static int ticketctl_audit_cmp(const ticketctl_audit_str_t *a,
    const ticketctl_audit_str_t *b);
static void ticketctl_audit_sift(ticketctl_audit_entry_t **h, size_t n,
    size_t i, int over);
static int ticketctl_audit_summary(ticketctl_audit_ctx_t *ctx);
static void ticketctl_audit_section(ticketctl_audit_ctx_t *ctx, int table,
    const char *title, const char *json_name);
static void ticketctl_audit_events_out(ticketctl_audit_ctx_t *ctx);
static void ticketctl_audit_split(const ticketctl_audit_entry_t *e,
    ticketctl_audit_str_t v[3]);
static void ticketctl_audit_put_text(const ticketctl_audit_str_t *s);
static void ticketctl_audit_put_record(const unsigned char *line,
    size_t len);
static unsigned ticketctl_audit_unsafe(const unsigned char *p, size_t n);
static void ticketctl_audit_put_json(const ticketctl_audit_str_t *s);
static void ticketctl_audit_free(ticketctl_audit_ctx_t *ctx);


const ticketctl_cmd_t  ticketctl_audit_cmd = {
    "audit",
    ticketctl_audit,
    "filter and summarise audit logs",
    "ticketctl audit [FILE]... [--since T] [--until T] [--event E]..."
    " [--sub S] [--tenant T] [--reason R]... [--top N] [--json]",

    "Reads the gateway's audit records (one JSON object a line, as\n"
    "ticket_audit_log writes them) from each FILE, or stdin where there is\n"
    "none or FILE is \"-\"; plain or gzip, told apart by the content.\n"
    "Prints the records that match every filter given, each line as it\n"
    "is in the log; with --top, a summary of them instead.\n"
    "\n"
    "  --since T            records at or after T\n"
    "  --until T            records before T\n"
    "  --event E            event E: denied, over_privilege,\n"
    "                       excess_privilege or allowed; again for more\n"
    "                       (any of them matches)\n"
    "  --sub S              subject S (never a record whose sub is null)\n"
    "  --tenant T           tenant T (never a record whose tenant is null)\n"
    "  --reason R           reason R (expired, insufficient_role, ...);\n"
    "                       again for more (any of them matches)\n"
    "  --top N              a summary instead of the records: how many\n"
    "                       matched, how many of each event, and the N\n"
    "                       most frequent subjects (null as \"-\"),\n"
    "                       reasons, locations (uri) and over-privilege\n"
    "                       attempts (sub, uri and reason of the\n"
    "                       over_privilege records), a \"COUNT  VALUE\"\n"
    "                       line each.  Its memory grows with the number\n"
    "                       of distinct values, not with the records\n"
    "  --check              instead of records: whether the records of\n"
    "                       the FILEs are complete, each writer's seq\n"
    "                       1..N with no gap and no repeat; says\n"
    "                       \"complete\" (exit 0) or each gap (exit 1).\n"
    "                       Give all the files a gateway wrote, rotated\n"
    "                       ones too\n"
    "  --json               with --top: the summary as one JSON object\n"
    "                       {\"records\":N,\"skipped\":N,\"events\":{...},\n"
    "                       \"subjects\":[{\"value\":..,\"count\":..}],\n"
    "                       \"reasons\":[..],\"locations\":[..],\n"
    "                       \"over_privilege\":[{\"sub\":..,\"uri\":..,\n"
    "                       \"reason\":..,\"count\":..}]}; without --top\n"
    "                       the records are JSON already\n"
    "  -h, --help           this help\n"
    "\n"
    "T is unix seconds, RFC 3339 (2025-01-31T12:00:00Z), \"now\", or\n"
    "relative to now: \"-1h\", \"-2d\".  Values are compared exactly, as\n"
    "the JSON strings decode.  Text output shows bytes below 0x21, 0x7f\n"
    "and bytes that are not UTF-8 as \\xNN, a backslash as \\\\, C1 and\n"
    "bidi controls as \\uXXXX (also in the records printed, where that\n"
    "is the same JSON).  Only whole lines are records: a last line\n"
    "without its newline (being written) is skipped.\n"
    "A line that is not a record, or longer than 1 MiB, is skipped; how\n"
    "many is said on stderr at the end.  Records are streamed: memory does\n"
    "not grow with the size of the log.\n"
    "Exit status 0 done (also when nothing matched), 2 usage error or a\n"
    "file that cannot be read.\n"
};


static const struct option  ticketctl_audit_long[] = {
    { "since",  required_argument, NULL, TICKETCTL_AUDIT_SINCE },
    { "until",  required_argument, NULL, TICKETCTL_AUDIT_UNTIL },
    { "event",  required_argument, NULL, TICKETCTL_AUDIT_EVENT },
    { "sub",    required_argument, NULL, TICKETCTL_AUDIT_SUB },
    { "tenant", required_argument, NULL, TICKETCTL_AUDIT_TENANT },
    { "reason", required_argument, NULL, TICKETCTL_AUDIT_REASON },
    { "top",    required_argument, NULL, TICKETCTL_AUDIT_TOP },
    { "json",   no_argument,       NULL, TICKETCTL_AUDIT_JSON },
    { "check",  no_argument,       NULL, TICKETCTL_AUDIT_CHECK },
    { "help",   no_argument,       NULL, 'h' },
    { NULL, 0, NULL, 0 }
};


static int
ticketctl_audit(int argc, char **argv)
{
    int                      rc, i, nfiles;
    ticketctl_audit_ctx_t    ctx;
    ticketctl_audit_args_t   a;

    memset(&a, 0, sizeof(a));
    memset(&ctx, 0, sizeof(ctx));

    a.event = calloc(argc, sizeof(char *));
    a.reason = calloc(argc, sizeof(char *));

    if (a.event == NULL || a.reason == NULL) {
        free(a.event);
        free(a.reason);
        ticketctl_error("out of memory");
        return TICKETCTL_ERROR;
    }

    rc = ticketctl_audit_options(&a, argc, argv);

    if (rc < 0) {
        rc = ticketctl_audit_setup(&ctx, &a);
    }

    if (rc >= 0) {
        goto done;
    }

    /* every file can be read before anything is printed */

    nfiles = argc - optind;

    for (i = optind; i < argc; i++) {
        if (strcmp(argv[i], "-") != 0
            && ticketctl_audit_check_file(argv[i]) != 0)
        {
            rc = TICKETCTL_ERROR;
            goto done;
        }
    }

    rc = TICKETCTL_OK;

    if (nfiles == 0) {
        rc = ticketctl_audit_file(&ctx, "-");

    } else {
        for (i = optind; i < argc && rc == TICKETCTL_OK; i++) {
            rc = ticketctl_audit_file(&ctx, argv[i]);
        }
    }

    if (rc == TICKETCTL_OK && ctx.top > 0) {
        rc = ticketctl_audit_summary(&ctx);
    }

    if (rc == TICKETCTL_OK && ctx.check != NULL
        && ticketctl_audit_check_report(ctx.check) != 0)
    {
        rc = TICKETCTL_NEGATIVE;
    }

    if (fflush(stdout) != 0 || ferror(stdout)) {
        ticketctl_error("cannot write the output: %s", strerror(errno));
        rc = TICKETCTL_ERROR;
    }

    if (rc == TICKETCTL_OK && ctx.skipped > 0) {
        ticketctl_error("%llu lines skipped",
                        (unsigned long long) ctx.skipped);
    }

done:

    ticketctl_audit_free(&ctx);
    ticketctl_audit_check_free(ctx.check);
    free(a.event);
    free(a.reason);

    return rc;
}


static int
ticketctl_audit_options(ticketctl_audit_args_t *a, int argc, char **argv)
{
    /* -1: go on, else the exit status */

    int  c;

    opterr = 0;

    while ((c = getopt_long(argc, argv, ":h", ticketctl_audit_long, NULL))
           != -1)
    {
        switch (c) {
        case TICKETCTL_AUDIT_SINCE:
            a->since = optarg;
            break;
        case TICKETCTL_AUDIT_UNTIL:
            a->until = optarg;
            break;
        case TICKETCTL_AUDIT_EVENT:
            a->event[a->nevent++] = optarg;
            break;
        case TICKETCTL_AUDIT_SUB:
            a->sub = optarg;
            break;
        case TICKETCTL_AUDIT_TENANT:
            a->tenant = optarg;
            break;
        case TICKETCTL_AUDIT_REASON:
            a->reason[a->nreason++] = optarg;
            break;
        case TICKETCTL_AUDIT_TOP:
            a->top = optarg;
            break;
        case TICKETCTL_AUDIT_JSON:
            a->json = 1;
            break;
        case TICKETCTL_AUDIT_CHECK:
            a->check = 1;
            break;
        case 'h':
            return ticketctl_help();
        default:
            return ticketctl_getopt_error(c, argv);
        }
    }

    return -1;
}


static int
ticketctl_audit_setup(ticketctl_audit_ctx_t *ctx, ticketctl_audit_args_t *a)
{
    /* -1: go on, else the exit status */

    size_t        i, j;
    int64_t       now, t;
    const char   *p;
    char         *end;
    unsigned long long  n;

    now = (int64_t) time(NULL);

    if (a->since != NULL) {
        if (ticketctl_parse_time(a->since, now, &t) != 0) {
            return ticketctl_usage_error("invalid --since \"%s\"", a->since);
        }

        ctx->since_ms = t * 1000;
        ctx->has_since = 1;
    }

    if (a->until != NULL) {
        if (ticketctl_parse_time(a->until, now, &t) != 0) {
            return ticketctl_usage_error("invalid --until \"%s\"", a->until);
        }

        ctx->until_ms = t * 1000;
        ctx->has_until = 1;
    }

    for (i = 0; i < a->nevent; i++) {
        for (j = 0; ticketctl_audit_events[j] != NULL; j++) {
            if (strcmp(a->event[i], ticketctl_audit_events[j]) == 0) {
                break;
            }
        }

        /* the SPEC's four, another event a record names (signal), or
         * alert records (ticket_alert: no request's, not in the
         * summary's events) */

        if (ticketctl_audit_events[j] == NULL
            && ticket_audit_event_from_name(a->event[i],
                                            strlen(a->event[i])) < 0
            && strcmp(a->event[i], "alert") != 0)
        {
            return ticketctl_usage_error("unknown --event \"%s\"; one of "
                                         "denied, over_privilege, "
                                         "excess_privilege, allowed, "
                                         "signal, alert", a->event[i]);
        }
    }

    for (i = 0; i < a->nreason; i++) {
        if (ticket_reason_from_name(a->reason[i], strlen(a->reason[i])) < 0)
        {
            return ticketctl_usage_error("unknown --reason \"%s\"",
                                         a->reason[i]);
        }
    }

    if (a->top != NULL) {
        p = a->top;
        errno = 0;
        n = strtoull(p, &end, 10);

        if (*p < '0' || *p > '9' || *end != '\0' || errno != 0 || n == 0
            || n > TICKETCTL_AUDIT_MAX_TOP)
        {
            return ticketctl_usage_error("invalid --top \"%s\" (1 to %d)",
                                         a->top, TICKETCTL_AUDIT_MAX_TOP);
        }

        ctx->top = (size_t) n;
    }

    ctx->event = a->event;
    ctx->nevent = a->nevent;
    ctx->reason = a->reason;
    ctx->nreason = a->nreason;
    ctx->sub = a->sub;
    ctx->sub_len = a->sub ? strlen(a->sub) : 0;
    ctx->tenant = a->tenant;
    ctx->tenant_len = a->tenant ? strlen(a->tenant) : 0;
    ctx->json = a->json;

    if (a->check) {
        if (a->since || a->until || a->nevent || a->sub || a->tenant
            || a->nreason || a->top || a->json)
        {
            return ticketctl_usage_error("--check takes files only: every "
                                         "record counts");
        }

        ctx->check = ticketctl_audit_check_new();
        if (ctx->check == NULL) {
            ticketctl_error("out of memory");
            return TICKETCTL_ERROR;
        }
    }

    ctx->buf = malloc(TICKETCTL_AUDIT_BUF);
    ctx->ibuf = malloc(TICKETCTL_AUDIT_GZBUF);
    ctx->scratch = malloc(TICKETCTL_AUDIT_BUF);

    if (ctx->buf == NULL || ctx->ibuf == NULL || ctx->scratch == NULL) {
        ticketctl_error("out of memory");
        return TICKETCTL_ERROR;
    }

    /*
     * Subjects and uris come from whoever sent a ticket: a hash seeded
     * at random keeps crafted values from piling up in one chain.
     */

    if (getrandom(&ctx->seed, sizeof(ctx->seed), 0) != sizeof(ctx->seed)) {
        ctx->seed = (uint64_t) now ^ ((uint64_t) getpid() << 32);
    }

    for (i = 0; i < TICKETCTL_AUDIT_NTABLES; i++) {
        ctx->tables[i].size = 1024;
        ctx->tables[i].entries = calloc(1024,
                                        sizeof(ticketctl_audit_entry_t));

        if (ctx->tables[i].entries == NULL) {
            ticketctl_error("out of memory");
            return TICKETCTL_ERROR;
        }
    }

    if (ctx->top == 0 || !ctx->json) {
        /* records out: a large buffer; the lines are copied there */
        setvbuf(stdout, NULL, _IOFBF, TICKETCTL_AUDIT_OUTBUF);
    }

    return -1;
}


static int
ticketctl_audit_check_file(const char *name)
{
    int          fd;
    struct stat  st;

    fd = open(name, O_RDONLY | O_CLOEXEC);

    if (fd == -1) {
        ticketctl_error("cannot read \"%s\": %s", name, strerror(errno));
        return -1;
    }

    if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
        close(fd);
        ticketctl_error("cannot read \"%s\": %s", name, strerror(EISDIR));
        return -1;
    }

    close(fd);

    return 0;
}


/*
 * The input of one file: plain bytes pass through; gzip (told by its
 * magic, 1f 8b, at the start) is inflated here rather than by gzread(),
 * which zlib 1.3.2 made silent about a truncated file.  Members one
 * after another (logrotate's append) are read in turn.  After the last
 * member, zero bytes up to the end are padding and ignored, as gzip(1)
 * does; anything else there must be another member, or it is an error
 * (gzread() would drop it silently).
 */

static int
ticketctl_audit_in_fill(ticketctl_audit_in_t *in)
{
    ssize_t  n;

    if (in->avail > 0 && in->next != in->ibuf) {
        memmove(in->ibuf, in->next, in->avail);
    }

    in->next = in->ibuf;

    do {
        n = read(in->fd, in->ibuf + in->avail,
                 TICKETCTL_AUDIT_GZBUF - in->avail);
    } while (n == -1 && errno == EINTR);

    if (n == -1) {
        ticketctl_error("cannot read \"%s\": %s", in->name, strerror(errno));
        return -1;
    }

    if (n == 0) {
        in->eof = 1;
    }

    in->avail += n;

    return 0;
}


static ssize_t
ticketctl_audit_in_plain(ticketctl_audit_in_t *in, unsigned char *out,
    size_t size)
{
    ssize_t  n;

    if (in->avail > 0) {
        n = in->avail < size ? in->avail : size;
        memcpy(out, in->next, n);
        in->next += n;
        in->avail -= n;
        return n;
    }

    if (in->eof) {
        return 0;
    }

    do {
        n = read(in->fd, out, size);
    } while (n == -1 && errno == EINTR);

    if (n == -1) {
        ticketctl_error("cannot read \"%s\": %s", in->name, strerror(errno));
        return -1;
    }

    if (n == 0) {
        in->eof = 1;
    }

    return n;
}


static ssize_t
ticketctl_audit_in_gzip(ticketctl_audit_in_t *in, unsigned char *out,
    size_t size)
{
    int  rc;

    in->z.next_out = out;
    in->z.avail_out = size;

    while (in->z.avail_out > 0) {

        if (in->avail == 0) {
            if (in->eof) {
                break;
            }

            if (ticketctl_audit_in_fill(in) != 0) {
                return -1;
            }

            continue;
        }

        if (in->state == TICKETCTL_AUDIT_IN_END) {
            /* a member ended and more input follows */
            if (in->next[0] == '\0') {
                in->state = TICKETCTL_AUDIT_IN_PAD;

            } else {
                if (inflateReset(&in->z) != Z_OK) {
                    ticketctl_error("cannot read \"%s\": zlib error",
                                    in->name);
                    return -1;
                }

                in->state = TICKETCTL_AUDIT_IN_MEMBER;
            }
        }

        if (in->state == TICKETCTL_AUDIT_IN_PAD) {
            while (in->avail > 0 && in->next[0] == '\0') {
                in->next++;
                in->avail--;
            }

            if (in->avail > 0) {
                ticketctl_error("cannot read \"%s\": data after the gzip "
                                "padding", in->name);
                return -1;
            }

            continue;
        }

        in->z.next_in = in->next;
        in->z.avail_in = in->avail;

        rc = inflate(&in->z, Z_NO_FLUSH);

        in->next = in->z.next_in;
        in->avail = in->z.avail_in;

        switch (rc) {

        case Z_OK:
        case Z_BUF_ERROR:
            break;

        case Z_STREAM_END:
            in->state = TICKETCTL_AUDIT_IN_END;
            break;

        case Z_MEM_ERROR:
            ticketctl_error("cannot read \"%s\": out of memory", in->name);
            return -1;

        default:
            ticketctl_error("cannot read \"%s\": corrupt gzip: %s", in->name,
                            in->z.msg != NULL ? in->z.msg : "zlib error");
            return -1;
        }
    }

    if (in->avail == 0 && in->eof && in->state == TICKETCTL_AUDIT_IN_MEMBER)
    {
        ticketctl_error("cannot read \"%s\": truncated gzip", in->name);
        return -1;
    }

    return size - in->z.avail_out;
}


static ssize_t
ticketctl_audit_in_read(ticketctl_audit_in_t *in, unsigned char *out,
    size_t size)
{
    if (in->state == TICKETCTL_AUDIT_IN_UNKNOWN) {

        while (in->avail < 2 && !in->eof) {
            if (ticketctl_audit_in_fill(in) != 0) {
                return -1;
            }
        }

        if (in->avail >= 2 && in->next[0] == 0x1f && in->next[1] == 0x8b) {
            if (inflateInit2(&in->z, 15 + 16) != Z_OK) {
                ticketctl_error("cannot read \"%s\": out of memory",
                                in->name);
                return -1;
            }

            in->zinit = 1;
            in->state = TICKETCTL_AUDIT_IN_MEMBER;

        } else {
            in->state = TICKETCTL_AUDIT_IN_PLAIN;
        }
    }

    if (in->state == TICKETCTL_AUDIT_IN_PLAIN) {
        return ticketctl_audit_in_plain(in, out, size);
    }

    return ticketctl_audit_in_gzip(in, out, size);
}


static int
ticketctl_audit_file(ticketctl_audit_ctx_t *ctx, const char *name)
{
    int                   rc, discard;
    size_t                have, rest, len;
    ssize_t               n;
    unsigned char        *p, *end, *nl;
    ticketctl_audit_in_t  in;

    memset(&in, 0, sizeof(ticketctl_audit_in_t));

    if (strcmp(name, "-") == 0) {
        in.fd = dup(STDIN_FILENO);

    } else {
        in.fd = open(name, O_RDONLY | O_CLOEXEC);
    }

    if (in.fd == -1) {
        ticketctl_error("cannot read \"%s\": %s", name, strerror(errno));
        return TICKETCTL_ERROR;
    }

    in.name = name;
    in.ibuf = ctx->ibuf;
    in.next = ctx->ibuf;
    in.state = TICKETCTL_AUDIT_IN_UNKNOWN;

    rc = TICKETCTL_ERROR;
    have = 0;
    discard = 0;

    for ( ;; ) {
        n = ticketctl_audit_in_read(&in, ctx->buf + have,
                                    TICKETCTL_AUDIT_BUF - have);

        if (n < 0) {
            goto done;
        }

        if (n == 0) {
            break;
        }

        have += n;
        p = ctx->buf;
        end = ctx->buf + have;

        while (p < end && (nl = memchr(p, '\n', end - p)) != NULL) {
            len = nl - p;

            if (discard) {
                discard = 0;              /* the rest of a long line */

            } else if (len > TICKETCTL_AUDIT_MAX_LINE) {
                ctx->skipped++;

            } else if (ticketctl_audit_line(ctx, p, len) != 0) {
                goto done;
            }

            p = nl + 1;
        }

        rest = end - p;

        if (discard) {
            have = 0;

        } else if (rest > TICKETCTL_AUDIT_MAX_LINE) {
            ctx->skipped++;
            discard = 1;
            have = 0;

        } else {
            memmove(ctx->buf, p, rest);
            have = rest;
        }
    }

    /*
     * A last line without its "\n" is a record still being written (or
     * cut by a crash): only whole lines are records.
     */

    if (have > 0 && !discard) {
        ctx->skipped++;
    }

    rc = TICKETCTL_OK;

done:

    if (in.zinit) {
        (void) inflateEnd(&in.z);
    }

    close(in.fd);

    return rc;
}


static int
ticketctl_audit_line(ticketctl_audit_ctx_t *ctx, const unsigned char *line,
    size_t len)
{
    int                    rc;
    json_t                *doc;
    ticketctl_audit_rec_t  rec;

    memset(&rec, 0, sizeof(ticketctl_audit_rec_t));

    doc = NULL;

    if (ticketctl_audit_scan(line, len, &rec) != 0) {

        /* an ECS or OCSF document (ticket_audit_format) */

        memset(&rec, 0, sizeof(ticketctl_audit_rec_t));

        doc = ticketctl_audit_doc(line, len, &rec);

        if (doc == NULL) {
            ctx->skipped++;
            return 0;
        }
    }

    rc = ticketctl_audit_record(ctx, line, len, &rec);

    json_decref(doc);

    return rc;
}


static int
ticketctl_audit_record(ticketctl_audit_ctx_t *ctx, const unsigned char *line,
    size_t len, ticketctl_audit_rec_t *rec_p)
{
    unsigned char          *scratch;
    ticketctl_audit_rec_t   rec;

    rec = *rec_p;

    if (ctx->check != NULL) {
        scratch = ctx->scratch;

        if (rec.writer.data != NULL && rec.has_seq) {
            ticketctl_audit_unescape(&rec.writer, &scratch);

        } else {
            rec.writer.data = NULL;
        }

        if (ticketctl_audit_check_add(ctx->check, rec.writer.data,
                                      rec.writer.len, rec.seq)
            != 0)
        {
            ticketctl_error("out of memory");
            return -1;
        }

        return 0;
    }

    if (!ticketctl_audit_match(ctx, &rec)) {
        return 0;
    }

    ctx->records++;

    if (ctx->top > 0) {
        return ticketctl_audit_count(ctx, &rec);
    }

    ticketctl_audit_put_record(line, len);

    return 0;
}


static int
ticketctl_audit_match(ticketctl_audit_ctx_t *ctx, ticketctl_audit_rec_t *rec)
{
    size_t          i;
    unsigned char  *scratch;

    if (ctx->has_since && rec->time_ms < ctx->since_ms) {
        return 0;
    }

    if (ctx->has_until && rec->time_ms >= ctx->until_ms) {
        return 0;
    }

    scratch = ctx->scratch;

    if (ctx->nevent > 0) {
        ticketctl_audit_unescape(&rec->event, &scratch);

        for (i = 0; i < ctx->nevent; i++) {
            if (ticketctl_audit_is(&rec->event, ctx->event[i],
                                   strlen(ctx->event[i])))
            {
                break;
            }
        }

        if (i == ctx->nevent) {
            return 0;
        }
    }

    if (ctx->sub != NULL) {
        ticketctl_audit_unescape(&rec->sub, &scratch);

        if (!ticketctl_audit_is(&rec->sub, ctx->sub, ctx->sub_len)) {
            return 0;
        }
    }

    if (ctx->tenant != NULL) {
        ticketctl_audit_unescape(&rec->tenant, &scratch);

        if (!ticketctl_audit_is(&rec->tenant, ctx->tenant, ctx->tenant_len))
        {
            return 0;
        }
    }

    if (ctx->nreason > 0) {
        ticketctl_audit_unescape(&rec->reason, &scratch);

        for (i = 0; i < ctx->nreason; i++) {
            if (ticketctl_audit_is(&rec->reason, ctx->reason[i],
                                   strlen(ctx->reason[i])))
            {
                break;
            }
        }

        if (i == ctx->nreason) {
            return 0;
        }
    }

    return 1;
}


static int
ticketctl_audit_is(const ticketctl_audit_str_t *s, const char *v, size_t len)
{
    return s->data != NULL && s->len == len && memcmp(s->data, v, len) == 0;
}


static int
ticketctl_audit_count(ticketctl_audit_ctx_t *ctx, ticketctl_audit_rec_t *rec)
{
    /*
     * Keys: a subject is a flag byte (0 null, 1 a string) and the
     * string; an over-privilege attempt is sub, uri and reason, each
     * but the last behind its length (4 bytes), sub with its flag.
     */

    size_t          n;
    uint32_t        l;
    unsigned char  *scratch, *key, *k;

    /* the match unescaped some already: its scratch is behind ours */

    scratch = ctx->scratch + TICKETCTL_AUDIT_MAX_LINE + 1;

    ticketctl_audit_unescape(&rec->event, &scratch);
    ticketctl_audit_unescape(&rec->reason, &scratch);
    ticketctl_audit_unescape(&rec->uri, &scratch);
    ticketctl_audit_unescape(&rec->sub, &scratch);

    if (ticketctl_audit_add(ctx, &ctx->tables[TICKETCTL_AUDIT_EVENTS],
                            rec->event.data, rec->event.len) != 0
        || ticketctl_audit_add(ctx, &ctx->tables[TICKETCTL_AUDIT_REASONS],
                               rec->reason.data, rec->reason.len) != 0
        || ticketctl_audit_add(ctx, &ctx->tables[TICKETCTL_AUDIT_LOCATIONS],
                               rec->uri.data, rec->uri.len) != 0)
    {
        return -1;
    }

    /* the key is built after the values, in the same scratch */

    key = scratch;
    k = key;

    *k++ = (rec->sub.data != NULL);

    if (rec->sub.data != NULL) {
        memcpy(k, rec->sub.data, rec->sub.len);
        k += rec->sub.len;
    }

    if (ticketctl_audit_add(ctx, &ctx->tables[TICKETCTL_AUDIT_SUBJECTS],
                            key, k - key) != 0)
    {
        return -1;
    }

    if (rec->event.len != sizeof("over_privilege") - 1
        || memcmp(rec->event.data, "over_privilege", rec->event.len) != 0)
    {
        return 0;
    }

    k = key + 1;

    if (rec->sub.data != NULL) {
        /* prefix the sub's length to it: the flag stays first */
        memmove(key + 5, key + 1, rec->sub.len);
    }

    l = (uint32_t) rec->sub.len;
    memcpy(k, &l, 4);
    k += 4 + rec->sub.len;

    l = (uint32_t) rec->uri.len;
    memcpy(k, &l, 4);
    k += 4;
    memcpy(k, rec->uri.data, rec->uri.len);
    k += rec->uri.len;

    memcpy(k, rec->reason.data, rec->reason.len);
    k += rec->reason.len;

    n = k - key;

    return ticketctl_audit_add(ctx, &ctx->tables[TICKETCTL_AUDIT_OVER], key,
                               n);
}


static int
ticketctl_audit_add(ticketctl_audit_ctx_t *ctx, ticketctl_audit_table_t *t,
    const unsigned char *key, size_t len)
{
    size_t                    i, mask;
    uint64_t                  h;
    ticketctl_audit_entry_t  *e;

    h = ticketctl_audit_hash(ctx->seed, key, len);
    mask = t->size - 1;
    i = (size_t) h & mask;

    for ( ;; ) {
        e = &t->entries[i];

        if (e->key == NULL) {
            break;
        }

        if (e->hash == h && e->len == len && memcmp(e->key, key, len) == 0)
        {
            e->count++;
            return 0;
        }

        i = (i + 1) & mask;
    }

    e->key = ticketctl_audit_alloc(ctx, len);
    if (e->key == NULL) {
        return -1;
    }

    memcpy(e->key, key, len);
    e->len = len;
    e->hash = h;
    e->count = 1;

    if (++t->n * 2 > t->size) {
        return ticketctl_audit_grow(t);
    }

    return 0;
}


static int
ticketctl_audit_grow(ticketctl_audit_table_t *t)
{
    size_t                    i, j, size;
    ticketctl_audit_entry_t  *entries;

    size = t->size * 2;

    entries = calloc(size, sizeof(ticketctl_audit_entry_t));
    if (entries == NULL) {
        ticketctl_error("out of memory");
        return -1;
    }

    for (i = 0; i < t->size; i++) {
        if (t->entries[i].key == NULL) {
            continue;
        }

        j = (size_t) t->entries[i].hash & (size - 1);

        while (entries[j].key != NULL) {
            j = (j + 1) & (size - 1);
        }

        entries[j] = t->entries[i];
    }

    free(t->entries);
    t->entries = entries;
    t->size = size;

    return 0;
}


static unsigned char *
ticketctl_audit_alloc(ticketctl_audit_ctx_t *ctx, size_t len)
{
    size_t                    size;
    unsigned char            *p;
    ticketctl_audit_chunk_t  *c;

    c = ctx->arena;

    if (len == 0) {
        len = 1;                          /* a key is never NULL */
    }

    if (c == NULL || c->size - c->used < len) {
        size = len > TICKETCTL_AUDIT_ARENA / 4 ? len : TICKETCTL_AUDIT_ARENA;

        c = malloc(sizeof(ticketctl_audit_chunk_t) + size);
        if (c == NULL) {
            ticketctl_error("out of memory");
            return NULL;
        }

        c->size = size;
        c->used = 0;

        if (ctx->arena != NULL && size != TICKETCTL_AUDIT_ARENA) {
            /* a large key: its own chunk, behind the current one */
            c->next = ctx->arena->next;
            ctx->arena->next = c;

        } else {
            c->next = ctx->arena;
            ctx->arena = c;
        }
    }

    p = c->data + c->used;
    c->used += len;

    return p;
}


static uint64_t
ticketctl_audit_hash(uint64_t seed, const unsigned char *p, size_t len)
{
    /* 8 bytes a round, multiply and fold; seeded (see setup) */

    uint64_t  h, w;

    h = seed ^ (len * 0x9e3779b97f4a7c15ULL);

    while (len >= 8) {
        memcpy(&w, p, 8);
        h = (h ^ w) * 0xbf58476d1ce4e5b9ULL;
        h ^= h >> 31;
        p += 8;
        len -= 8;
    }

    w = 0;
    memcpy(&w, p, len);

    h = (h ^ w) * 0x94d049bb133111ebULL;
    h ^= h >> 29;
    h *= 0xbf58476d1ce4e5b9ULL;
    h ^= h >> 32;

    return h;
}


static ticketctl_audit_entry_t **
ticketctl_audit_rank(ticketctl_audit_table_t *t, size_t top, int over,
    size_t *n)
{
    /*
     * The top entries, first first: a heap of the best "top" seen whose
     * root is the worst of them, then sorted by popping.  Ties go to the
     * smaller value, so that the output does not depend on the seed.
     */

    size_t                     i, k, m;
    ticketctl_audit_entry_t  **h, *e;

    m = t->n < top ? t->n : top;

    h = malloc((m + 1) * sizeof(ticketctl_audit_entry_t *));
    if (h == NULL) {
        ticketctl_error("out of memory");
        return NULL;
    }

    k = 0;

    for (i = 0; i < t->size; i++) {
        e = &t->entries[i];

        if (e->key == NULL) {
            continue;
        }

        if (k < m) {
            h[k++] = e;

            if (k == m) {
                for (k = m / 2; k-- > 0; /* void */) {
                    ticketctl_audit_sift(h, m, k, over);
                }

                k = m;
            }

            continue;
        }

        if (m > 0 && ticketctl_audit_before(e, h[0], over)) {
            h[0] = e;
            ticketctl_audit_sift(h, m, 0, over);
        }
    }

    /* pop the worst to the back */

    for (k = m; k > 1; k--) {
        e = h[0];
        h[0] = h[k - 1];
        h[k - 1] = e;
        ticketctl_audit_sift(h, k - 1, 0, over);
    }

    *n = m;

    return h;
}


static int
ticketctl_audit_before(const ticketctl_audit_entry_t *a,
    const ticketctl_audit_entry_t *b, int over)
{
    /*
     * a ranks before b: the larger count, then the smaller value
     * (bytes; a null sub first); an over-privilege attempt by sub, then
     * uri, then reason
     */

    int                    c, i;
    ticketctl_audit_str_t  va[3], vb[3];

    if (a->count != b->count) {
        return a->count > b->count;
    }

    if (!over) {
        va[0].data = a->key;
        va[0].len = a->len;
        vb[0].data = b->key;
        vb[0].len = b->len;

        return ticketctl_audit_cmp(&va[0], &vb[0]) < 0;
    }

    ticketctl_audit_split(a, va);
    ticketctl_audit_split(b, vb);

    for (i = 0; i < 3; i++) {
        c = ticketctl_audit_cmp(&va[i], &vb[i]);

        if (c != 0) {
            return c < 0;
        }
    }

    return 0;
}


static int
ticketctl_audit_cmp(const ticketctl_audit_str_t *a,
    const ticketctl_audit_str_t *b)
{
    size_t  n;
    int     c;

    if (a->data == NULL || b->data == NULL) {
        return (a->data != NULL) - (b->data != NULL);
    }

    n = a->len < b->len ? a->len : b->len;
    c = memcmp(a->data, b->data, n);

    if (c != 0) {
        return c;
    }

    return (a->len > b->len) - (a->len < b->len);
}


static void
ticketctl_audit_sift(ticketctl_audit_entry_t **h, size_t n, size_t i,
    int over)
{
    /* root: the entry every other ranks before */

    size_t                    l, r, w;
    ticketctl_audit_entry_t  *e;

    for ( ;; ) {
        l = 2 * i + 1;
        r = l + 1;
        w = i;

        if (l < n && ticketctl_audit_before(h[w], h[l], over)) {
            w = l;
        }

        if (r < n && ticketctl_audit_before(h[w], h[r], over)) {
            w = r;
        }

        if (w == i) {
            return;
        }

        e = h[i];
        h[i] = h[w];
        h[w] = e;
        i = w;
    }
}


static int
ticketctl_audit_summary(ticketctl_audit_ctx_t *ctx)
{
    static const struct {
        int          table;
        const char  *title;
        const char  *json;
    } sections[] = {
        { TICKETCTL_AUDIT_SUBJECTS, "subjects", "subjects" },
        { TICKETCTL_AUDIT_REASONS, "reasons", "reasons" },
        { TICKETCTL_AUDIT_LOCATIONS, "locations", "locations" },
        { TICKETCTL_AUDIT_OVER, "over-privilege attempts (sub  uri  reason)",
          "over_privilege" }
    };

    size_t  i;

    if (ctx->json) {
        printf("{\"records\":%llu,\"skipped\":%llu,\"events\":",
               (unsigned long long) ctx->records,
               (unsigned long long) ctx->skipped);

    } else {
        printf("records: %llu\n\nevents:\n",
               (unsigned long long) ctx->records);
    }

    ticketctl_audit_events_out(ctx);

    for (i = 0; i < sizeof(sections) / sizeof(sections[0]); i++) {
        if (ctx->json) {
            printf(",\"%s\":", sections[i].json);
        }

        ticketctl_audit_section(ctx, sections[i].table, sections[i].title,
                                sections[i].json);
    }

    if (ctx->json) {
        printf("}\n");
    }

    return ferror(stdout) ? TICKETCTL_ERROR : TICKETCTL_OK;
}


static void
ticketctl_audit_events_out(ticketctl_audit_ctx_t *ctx)
{
    /*
     * The SPEC's four always, in its order; then the top N others a log
     * may hold (a later gateway's), ranked like every other section.
     */

    size_t                     i, j, n, len, others;
    uint64_t                   count;
    ticketctl_audit_str_t      s;
    ticketctl_audit_table_t   *t;
    ticketctl_audit_entry_t  **r, *e;

    t = &ctx->tables[TICKETCTL_AUDIT_EVENTS];

    if (ctx->json) {
        putchar('{');
    }

    for (i = 0; ticketctl_audit_events[i] != NULL; i++) {
        len = strlen(ticketctl_audit_events[i]);
        count = 0;

        for (j = 0; j < t->size; j++) {
            e = &t->entries[j];

            if (e->key != NULL && e->len == len
                && memcmp(e->key, ticketctl_audit_events[i], len) == 0)
            {
                count = e->count;
                break;
            }
        }

        if (ctx->json) {
            printf("%s\"%s\":%llu", i ? "," : "", ticketctl_audit_events[i],
                   (unsigned long long) count);

        } else {
            printf("%10llu  %s\n", (unsigned long long) count,
                   ticketctl_audit_events[i]);
        }
    }

    r = ticketctl_audit_rank(t, t->n, 0, &n);
    others = 0;

    for (j = 0; r != NULL && j < n && others < ctx->top; j++) {
        e = r[j];

        for (i = 0; ticketctl_audit_events[i] != NULL; i++) {
            if (e->len == strlen(ticketctl_audit_events[i])
                && memcmp(e->key, ticketctl_audit_events[i], e->len) == 0)
            {
                break;
            }
        }

        if (ticketctl_audit_events[i] != NULL) {
            continue;
        }

        others++;

        s.data = e->key;
        s.len = e->len;
        s.escaped = 0;

        if (ctx->json) {
            putchar(',');
            ticketctl_audit_put_json(&s);
            printf(":%llu", (unsigned long long) e->count);

        } else {
            printf("%10llu  ", (unsigned long long) e->count);
            ticketctl_audit_put_text(&s);
            putchar('\n');
        }
    }

    free(r);

    if (ctx->json) {
        putchar('}');
    }
}


static void
ticketctl_audit_section(ticketctl_audit_ctx_t *ctx, int table,
    const char *title, const char *json_name)
{
    size_t                     i, n;
    ticketctl_audit_str_t      v[3];
    ticketctl_audit_entry_t  **r, *e;

    r = ticketctl_audit_rank(&ctx->tables[table], ctx->top,
                             table == TICKETCTL_AUDIT_OVER, &n);

    if (r == NULL) {
        n = 0;
    }

    if (ctx->json) {
        putchar('[');

    } else {
        printf("\ntop %zu %s:\n", ctx->top, title);
    }

    for (i = 0; i < n; i++) {
        e = r[i];

        if (table == TICKETCTL_AUDIT_SUBJECTS) {
            v[0].data = e->key[0] ? e->key + 1 : NULL;
            v[0].len = e->len - 1;
            v[0].escaped = 0;

        } else if (table == TICKETCTL_AUDIT_OVER) {
            ticketctl_audit_split(e, v);

        } else {
            v[0].data = e->key;
            v[0].len = e->len;
            v[0].escaped = 0;
        }

        if (ctx->json) {
            if (i > 0) {
                putchar(',');
            }

            if (table == TICKETCTL_AUDIT_OVER) {
                fputs("{\"sub\":", stdout);
                ticketctl_audit_put_json(&v[0]);
                fputs(",\"uri\":", stdout);
                ticketctl_audit_put_json(&v[1]);
                fputs(",\"reason\":", stdout);
                ticketctl_audit_put_json(&v[2]);

            } else {
                fputs("{\"value\":", stdout);
                ticketctl_audit_put_json(&v[0]);
            }

            printf(",\"count\":%llu}", (unsigned long long) e->count);

            continue;
        }

        printf("%10llu  ", (unsigned long long) e->count);
        ticketctl_audit_put_text(&v[0]);

        if (table == TICKETCTL_AUDIT_OVER) {
            fputs("  ", stdout);
            ticketctl_audit_put_text(&v[1]);
            fputs("  ", stdout);
            ticketctl_audit_put_text(&v[2]);
        }

        putchar('\n');
    }

    if (ctx->json) {
        putchar(']');
    }

    free(r);
}


static void
ticketctl_audit_split(const ticketctl_audit_entry_t *e,
    ticketctl_audit_str_t v[3])
{
    /* an over-privilege key (see count) into sub, uri and reason */

    uint32_t              l;
    const unsigned char  *p;

    p = e->key + 1;

    memcpy(&l, p, 4);
    v[0].data = e->key[0] ? p + 4 : NULL;
    v[0].len = l;
    p += 4 + l;

    memcpy(&l, p, 4);
    v[1].data = p + 4;
    v[1].len = l;
    p += 4 + l;

    v[2].data = p;
    v[2].len = e->len - (p - e->key);

    v[0].escaped = v[1].escaped = v[2].escaped = 0;
}


static void
ticketctl_audit_put_text(const ticketctl_audit_str_t *s)
{
    /* a terminal line: no control byte, no space, nothing but UTF-8,
     * no C1 or bidi control */

    size_t                n;
    unsigned              c;
    const unsigned char  *p, *end;

    if (s->data == NULL) {
        putchar('-');
        return;
    }

    p = s->data;
    end = p + s->len;

    while (p < end) {
        if (*p == '\\') {
            fputs("\\\\", stdout);
            p++;

        } else if (*p < 0x21 || *p == 0x7f) {
            printf("\\x%02x", *p++);

        } else if (*p < 0x80) {
            putchar(*p++);

        } else if ((n = ticket_utf8_len(p, end - p)) > 0) {
            c = ticketctl_audit_unsafe(p, n);

            if (c != 0) {
                printf("\\u%04x", c);

            } else {
                fwrite(p, 1, n, stdout);
            }

            p += n;

        } else {
            printf("\\x%02x", *p++);
        }
    }
}


/*
 * A record as it is in the log, but for the characters a terminal acts
 * on although they are valid UTF-8: C1 controls (CSI among them) and
 * bidi controls, written as the JSON escape of the same character, so
 * that the line is still the same JSON.  Outside strings a record holds
 * ASCII only: every such character is inside a string.
 */

static void
ticketctl_audit_put_record(const unsigned char *line, size_t len)
{
    size_t                n;
    unsigned              c;
    const unsigned char  *p, *end, *q;

    p = line;
    end = line + len;
    q = p;

    while (p < end) {
        if (*p < 0x80) {
            p++;
            continue;
        }

        n = ticket_utf8_len(p, end - p);

        if (n == 0) {
            p++;
            continue;
        }

        c = ticketctl_audit_unsafe(p, n);

        if (c != 0) {
            fwrite(q, 1, p - q, stdout);
            printf("\\u%04x", c);
            q = p + n;
        }

        p += n;
    }

    fwrite(q, 1, end - q, stdout);
    putchar('\n');
}


/* the code point of a C1 or bidi control at p (n bytes of UTF-8), else 0 */

static unsigned
ticketctl_audit_unsafe(const unsigned char *p, size_t n)
{
    unsigned  c;

    if (n == 2) {
        c = ((p[0] & 0x1fu) << 6) | (p[1] & 0x3fu);

    } else if (n == 3) {
        c = ((p[0] & 0x0fu) << 12) | ((p[1] & 0x3fu) << 6) | (p[2] & 0x3fu);

    } else {
        return 0;
    }

    if ((c >= 0x80 && c <= 0x9f)               /* C1, CSI at 0x9b */
        || c == 0x061c                          /* ARABIC LETTER MARK */
        || c == 0x200e || c == 0x200f           /* LRM, RLM */
        || (c >= 0x202a && c <= 0x202e)         /* embeddings, overrides */
        || (c >= 0x2066 && c <= 0x2069))        /* isolates */
    {
        return c;
    }

    return 0;
}


static void
ticketctl_audit_put_json(const ticketctl_audit_str_t *s)
{
    /* as the gateway escapes: the one escaper (ticket_json.h) */

    char    *buf, *end;
    size_t   n;

    if (s->data == NULL) {
        fputs("null", stdout);
        return;
    }

    n = ticket_json_escape_len((const char *) s->data, s->len);

    buf = malloc(n ? n : 1);
    if (buf == NULL) {
        /* stdout's error flag makes the listing fail at its end */
        fputs("\"?\"", stdout);
        ticketctl_error("out of memory");
        return;
    }

    end = ticket_json_escape(buf, (const char *) s->data, s->len);

    putchar('"');
    fwrite(buf, 1, (size_t) (end - buf), stdout);
    putchar('"');

    free(buf);
}


static void
ticketctl_audit_free(ticketctl_audit_ctx_t *ctx)
{
    size_t                    i;
    ticketctl_audit_chunk_t  *c, *next;

    for (c = ctx->arena; c != NULL; c = next) {
        next = c->next;
        free(c);
    }

    for (i = 0; i < TICKETCTL_AUDIT_NTABLES; i++) {
        free(ctx->tables[i].entries);
    }

    free(ctx->buf);
    free(ctx->ibuf);
    free(ctx->scratch);
}
