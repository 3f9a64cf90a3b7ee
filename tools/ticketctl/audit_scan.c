/*
 * ticketctl audit: a scanner made for audit records (ticket_audit.h).
 *
 * A general JSON parser builds every value of a record, a gigabyte of
 * log is millions of them, and the SOC needs five.  This one walks the
 * flat object once: strings (escapes checked, raw control bytes
 * refused), numbers, true, false, null and arrays of strings, nothing
 * nested; it remembers where time, event, reason, uri, sub and tenant
 * are and unescapes them only on demand.  Every read is checked against
 * the end of the line.
 */

#include <string.h>

#include <ticket_audit.h>

#include "audit.h"



static const unsigned char *ticketctl_audit_ws(const unsigned char *p,
    const unsigned char *end);
static const unsigned char *ticketctl_audit_string(const unsigned char *p,
    const unsigned char *end, ticketctl_audit_str_t *s);
static const unsigned char *ticketctl_audit_number(const unsigned char *p,
    const unsigned char *end);
static const unsigned char *ticketctl_audit_literal(const unsigned char *p,
    const unsigned char *end, const char *lit, size_t len);
static const unsigned char *ticketctl_audit_array(const unsigned char *p,
    const unsigned char *end);
static int ticketctl_audit_find(const unsigned char *name, size_t len,
    int next);
static int ticketctl_audit_hex4(const unsigned char *p, unsigned *v);
static unsigned char *ticketctl_audit_utf8(unsigned char *d, unsigned c);
static int ticketctl_audit_digits(const unsigned char *p, int n);
static int64_t ticketctl_audit_days(int64_t y, unsigned m, unsigned d);


/* bytes a string may hold as they are: not '"', '\\' or below 0x20 */

static const unsigned char  ticketctl_audit_plain[256] = {
#define P16 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,    /* '"' */
    P16,
    P16,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1,    /* '\\' */
    P16, P16, P16, P16, P16, P16, P16, P16, P16, P16
#undef P16
};


int
ticketctl_audit_scan(const unsigned char *line, size_t len,
    ticketctl_audit_rec_t *rec)
{
    int                     m, next;
    unsigned                seen;
    const unsigned char    *p, *end, *q;
    ticketctl_audit_str_t   key, val, *dst;

    p = line;
    end = line + len;
    seen = 0;
    next = 0;

    p = ticketctl_audit_ws(p, end);

    if (p == end || *p != '{') {
        return -1;
    }

    p = ticketctl_audit_ws(p + 1, end);

    if (p < end && *p == '}') {
        return -1;                        /* {}: no member at all */
    }

    for ( ;; ) {
        p = ticketctl_audit_string(p, end, &key);
        if (p == NULL) {
            return -1;
        }

        p = ticketctl_audit_ws(p, end);

        if (p == end || *p != ':') {
            return -1;
        }

        p = ticketctl_audit_ws(p + 1, end);

        if (p == end) {
            return -1;
        }

        /* a key with an escape is no member the contract names */

        m = key.escaped ? -1 : ticketctl_audit_find(key.data, key.len, next);

        if (m >= 0) {
            if (seen & (1u << m)) {
                return -1;                /* twice: which one is it? */
            }

            seen |= 1u << m;
            next = m + 1;
        }

        switch (*p) {

        case '"':
            p = ticketctl_audit_string(p, end, &val);
            if (p == NULL) {
                return -1;
            }

            if (m < 0) {
                break;
            }

            if (ticket_audit_members[m].type != TICKET_AUDIT_STRING
                && ticket_audit_members[m].type
                   != TICKET_AUDIT_STRING_NULL)
            {
                return -1;
            }

            dst = NULL;

            switch (m) {
            case TICKET_AUDIT_M_TIME:
                if (val.escaped
                    || ticketctl_audit_parse_time(val.data, val.len,
                                                  &rec->time_ms)
                       != 0)
                {
                    return -1;
                }
                break;
            case TICKET_AUDIT_M_EVENT:
                dst = &rec->event;
                break;
            case TICKET_AUDIT_M_REASON:
                dst = &rec->reason;
                break;
            case TICKET_AUDIT_M_URI:
                dst = &rec->uri;
                break;
            case TICKET_AUDIT_M_SUB:
                dst = &rec->sub;
                break;
            case TICKET_AUDIT_M_TENANT:
                dst = &rec->tenant;
                break;
            case TICKET_AUDIT_M_WRITER:
                dst = &rec->writer;
                break;
            }

            if (dst != NULL) {
                *dst = val;
            }

            break;

        case 'n':
            p = ticketctl_audit_literal(p, end, "null", 4);
            if (p == NULL) {
                return -1;
            }

            if (m < 0) {
                break;
            }

            if (ticket_audit_members[m].type != TICKET_AUDIT_STRING_NULL
                && ticket_audit_members[m].type != TICKET_AUDIT_NUMBER_NULL)
            {
                return -1;
            }

            if (m == TICKET_AUDIT_M_SUB) {
                rec->sub.data = NULL;
                rec->sub.len = 0;
                rec->sub.escaped = 0;

            } else if (m == TICKET_AUDIT_M_TENANT) {
                rec->tenant.data = NULL;
                rec->tenant.len = 0;
                rec->tenant.escaped = 0;
            }

            break;

        case 't':
        case 'f':
            p = (*p == 't') ? ticketctl_audit_literal(p, end, "true", 4)
                            : ticketctl_audit_literal(p, end, "false", 5);
            if (p == NULL) {
                return -1;
            }

            if (m >= 0
                && ticket_audit_members[m].type != TICKET_AUDIT_BOOL)
            {
                return -1;
            }

            break;

        case '[':
            p = ticketctl_audit_array(p, end);
            if (p == NULL) {
                return -1;
            }

            if (m >= 0
                && ticket_audit_members[m].type != TICKET_AUDIT_ARRAY)
            {
                return -1;
            }

            break;

        default:
            q = ticketctl_audit_number(p, end);
            if (q == NULL) {
                return -1;                /* also '{': nothing nested */
            }

            if (m >= 0
                && ticket_audit_members[m].type != TICKET_AUDIT_NUMBER
                && ticket_audit_members[m].type != TICKET_AUDIT_NUMBER_NULL)
            {
                return -1;
            }

            if (m == TICKET_AUDIT_M_SEQ) {
                /* a whole number of at most 19 digits: no overflow */

                if (q - p > 19 || *p == '-') {
                    return -1;
                }

                rec->seq = 0;

                while (p < q) {
                    if (*p < '0' || *p > '9') {
                        return -1;
                    }

                    rec->seq = rec->seq * 10 + (*p++ - '0');
                }

                rec->has_seq = 1;
            }

            p = q;

            break;
        }

        p = ticketctl_audit_ws(p, end);

        if (p == end) {
            return -1;
        }

        if (*p == '}') {
            break;
        }

        if (*p != ',') {
            return -1;
        }

        p = ticketctl_audit_ws(p + 1, end);
    }

    if (ticketctl_audit_ws(p + 1, end) != end) {
        return -1;                        /* anything after the object */
    }

    for (m = 0; m < TICKET_AUDIT_MEMBERS; m++) {
        if (!ticket_audit_members[m].since && !(seen & (1u << m))) {
            return -1;
        }
    }

    return 0;
}


static const unsigned char *
ticketctl_audit_ws(const unsigned char *p, const unsigned char *end)
{
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
    {
        p++;
    }

    return p;
}


static const unsigned char *
ticketctl_audit_string(const unsigned char *p, const unsigned char *end,
    ticketctl_audit_str_t *s)
{
    /* p at the opening quote; returns past the closing one, or NULL */

    unsigned  v;

    if (p == end || *p != '"') {
        return NULL;
    }

    p++;

    s->data = p;
    s->escaped = 0;

    for ( ;; ) {

        /* the common case: a run of plain bytes */

        while (p < end && ticketctl_audit_plain[*p]) {
            p++;
        }

        if (p == end) {
            return NULL;
        }

        if (*p == '"') {
            s->len = p - s->data;
            return p + 1;
        }

        if (*p != '\\') {
            return NULL;                  /* a raw control byte */
        }

        s->escaped = 1;

        if (end - p < 2) {
            return NULL;
        }

        switch (p[1]) {
        case '"':
        case '\\':
        case '/':
        case 'b':
        case 'f':
        case 'n':
        case 'r':
        case 't':
            p += 2;
            break;
        case 'u':
            if (end - p < 6 || ticketctl_audit_hex4(p + 2, &v) != 0) {
                return NULL;
            }
            p += 6;
            break;
        default:
            return NULL;
        }
    }
}


static const unsigned char *
ticketctl_audit_number(const unsigned char *p, const unsigned char *end)
{
    /* -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */

    const unsigned char  *q;

    if (p < end && *p == '-') {
        p++;
    }

    if (p == end) {
        return NULL;
    }

    if (*p == '0') {
        p++;

    } else if (*p >= '1' && *p <= '9') {
        while (p < end && *p >= '0' && *p <= '9') {
            p++;
        }

    } else {
        return NULL;
    }

    if (p < end && *p == '.') {
        q = ++p;

        while (p < end && *p >= '0' && *p <= '9') {
            p++;
        }

        if (p == q) {
            return NULL;
        }
    }

    if (p < end && (*p == 'e' || *p == 'E')) {
        p++;

        if (p < end && (*p == '+' || *p == '-')) {
            p++;
        }

        q = p;

        while (p < end && *p >= '0' && *p <= '9') {
            p++;
        }

        if (p == q) {
            return NULL;
        }
    }

    return p;
}


static const unsigned char *
ticketctl_audit_literal(const unsigned char *p, const unsigned char *end,
    const char *lit, size_t len)
{
    if ((size_t) (end - p) < len || memcmp(p, lit, len) != 0) {
        return NULL;
    }

    return p + len;
}


static const unsigned char *
ticketctl_audit_array(const unsigned char *p, const unsigned char *end)
{
    /* p at '['; strings only */

    ticketctl_audit_str_t  s;

    p = ticketctl_audit_ws(p + 1, end);

    if (p < end && *p == ']') {
        return p + 1;
    }

    for ( ;; ) {
        p = ticketctl_audit_string(p, end, &s);
        if (p == NULL) {
            return NULL;
        }

        p = ticketctl_audit_ws(p, end);

        if (p == end) {
            return NULL;
        }

        if (*p == ']') {
            return p + 1;
        }

        if (*p != ',') {
            return NULL;
        }

        p = ticketctl_audit_ws(p + 1, end);
    }
}


static int
ticketctl_audit_find(const unsigned char *name, size_t len, int next)
{
    /* the member the contract puts next first, then all of them */

    size_t                        i;
    const ticket_audit_member_t  *m;

    if ((size_t) next < TICKET_AUDIT_MEMBERS) {
        m = &ticket_audit_members[next];

        if (m->len == len && memcmp(m->name, name, len) == 0) {
            return next;
        }
    }

    for (i = 0; i < TICKET_AUDIT_MEMBERS; i++) {
        m = &ticket_audit_members[i];

        if (m->len == len && memcmp(m->name, name, len) == 0) {
            return (int) i;
        }
    }

    return -1;
}


static int
ticketctl_audit_hex4(const unsigned char *p, unsigned *v)
{
    int       i;
    unsigned  c, d;

    d = 0;

    for (i = 0; i < 4; i++) {
        c = p[i];

        if (c >= '0' && c <= '9') {
            c -= '0';

        } else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f') {
            c = (c | 0x20) - 'a' + 10;

        } else {
            return -1;
        }

        d = (d << 4) | c;
    }

    *v = d;

    return 0;
}


void
ticketctl_audit_unescape(ticketctl_audit_str_t *s, unsigned char **scratch)
{
    /* s was checked by the scanner: every escape is complete */

    unsigned              c, lo;
    unsigned char        *d, *start;
    const unsigned char  *p, *end;

    if (!s->escaped || s->data == NULL) {
        return;
    }

    start = *scratch;
    d = start;
    p = s->data;
    end = p + s->len;

    while (p < end) {

        if (*p != '\\') {
            *d++ = *p++;
            continue;
        }

        switch (p[1]) {
        case 'b':
            *d++ = '\b';
            break;
        case 'f':
            *d++ = '\f';
            break;
        case 'n':
            *d++ = '\n';
            break;
        case 'r':
            *d++ = '\r';
            break;
        case 't':
            *d++ = '\t';
            break;
        case 'u':
            c = 0xfffd;
            (void) ticketctl_audit_hex4(p + 2, &c);
            p += 6;

            if (c >= 0xd800 && c <= 0xdbff) {
                if (end - p >= 6 && p[0] == '\\' && p[1] == 'u'
                    && ticketctl_audit_hex4(p + 2, &lo) == 0
                    && lo >= 0xdc00 && lo <= 0xdfff)
                {
                    c = 0x10000 + ((c - 0xd800) << 10) + (lo - 0xdc00);
                    p += 6;

                } else {
                    c = 0xfffd;
                }

            } else if (c >= 0xdc00 && c <= 0xdfff) {
                c = 0xfffd;
            }

            /* "\uXXXX" is 6 bytes, its UTF-8 at most 3; a pair 12 and 4 */
            d = ticketctl_audit_utf8(d, c);
            continue;
        default:                          /* '"', '\\', '/' */
            *d++ = p[1];
            break;
        }

        p += 2;
    }

    s->data = start;
    s->len = d - start;
    s->escaped = 0;

    *scratch = d;
}


static unsigned char *
ticketctl_audit_utf8(unsigned char *d, unsigned c)
{
    if (c < 0x80) {
        *d++ = (unsigned char) c;

    } else if (c < 0x800) {
        *d++ = (unsigned char) (0xc0 | (c >> 6));
        *d++ = (unsigned char) (0x80 | (c & 0x3f));

    } else if (c < 0x10000) {
        *d++ = (unsigned char) (0xe0 | (c >> 12));
        *d++ = (unsigned char) (0x80 | ((c >> 6) & 0x3f));
        *d++ = (unsigned char) (0x80 | (c & 0x3f));

    } else {
        *d++ = (unsigned char) (0xf0 | (c >> 18));
        *d++ = (unsigned char) (0x80 | ((c >> 12) & 0x3f));
        *d++ = (unsigned char) (0x80 | ((c >> 6) & 0x3f));
        *d++ = (unsigned char) (0x80 | (c & 0x3f));
    }

    return d;
}


int
ticketctl_audit_parse_time(const unsigned char *p, size_t len, int64_t *ms)
{
    /* YYYY-MM-DDTHH:MM:SS[.f+](Z|+hh:mm|-hh:mm) */

    int                   y, mo, d, h, mi, s, frac, n, off, oh, om;
    const unsigned char  *end;

    end = p + len;

    if (len < 20
        || (y = ticketctl_audit_digits(p, 4)) < 0 || p[4] != '-'
        || (mo = ticketctl_audit_digits(p + 5, 2)) < 0 || p[7] != '-'
        || (d = ticketctl_audit_digits(p + 8, 2)) < 0
        || (p[10] != 'T' && p[10] != 't' && p[10] != ' ')
        || (h = ticketctl_audit_digits(p + 11, 2)) < 0 || p[13] != ':'
        || (mi = ticketctl_audit_digits(p + 14, 2)) < 0 || p[16] != ':'
        || (s = ticketctl_audit_digits(p + 17, 2)) < 0)
    {
        return -1;
    }

    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60)
    {
        return -1;
    }

    p += 19;
    frac = 0;

    if (*p == '.') {
        p++;
        n = 0;

        while (p < end && *p >= '0' && *p <= '9') {
            if (n < 3) {
                frac = frac * 10 + (*p - '0');
            }

            n++;
            p++;
        }

        if (n == 0) {
            return -1;
        }

        for ( /* void */ ; n < 3; n++) {
            frac *= 10;
        }
    }

    if (p == end) {
        return -1;
    }

    off = 0;

    if (*p == 'Z' || *p == 'z') {
        p++;

    } else if (*p == '+' || *p == '-') {
        if (end - p != 6 || p[3] != ':'
            || (oh = ticketctl_audit_digits(p + 1, 2)) < 0
            || (om = ticketctl_audit_digits(p + 4, 2)) < 0
            || oh > 23 || om > 59)
        {
            return -1;
        }

        off = (oh * 60 + om) * 60;

        if (*p == '-') {
            off = -off;
        }

        p += 6;

    } else {
        return -1;
    }

    if (p != end) {
        return -1;
    }

    *ms = ((ticketctl_audit_days(y, mo, d) * 86400
            + (int64_t) ((h * 60 + mi) * 60 + s) - off) * 1000) + frac;

    return 0;
}


static int
ticketctl_audit_digits(const unsigned char *p, int n)
{
    int  v;

    v = 0;

    while (n-- > 0) {
        if (*p < '0' || *p > '9') {
            return -1;
        }

        v = v * 10 + (*p++ - '0');
    }

    return v;
}


static int64_t
ticketctl_audit_days(int64_t y, unsigned m, unsigned d)
{
    /* days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant) */

    int64_t   era;
    unsigned  yoe, doy, doe;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = (unsigned) (y - era * 400);
    doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

    return era * 146097 + (int64_t) doe - 719468;
}
