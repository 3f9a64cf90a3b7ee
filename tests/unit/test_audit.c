
/* ticket_audit.c: events, escaping, records, token fingerprints */

#include "unit.h"

#include <time.h>
#include <ticket_audit.h>


#define NMEMBERS  28
#define NMEMBERS_OF(rec)                                                     \
    ((rec)->event == TICKET_AUDIT_SIGNAL ? NMEMBERS : NMEMBERS - 2)


static const char  *member_names[NMEMBERS] = {
    "time", "event", "reason", "status", "enforced", "client", "method",
    "host", "uri", "request_id", "verified", "sub", "kind", "tenant", "jti",
    "kid", "iss", "sid", "roles", "required", "token_fp", "exp", "unmet",
    "gateway", "writer", "seq", "signal", "outcome"
};


/* a reproducible xorshift64*: a failure can be replayed */

static uint64_t  rng_state = 0x9e3779b97f4a7c15ULL;


static uint32_t
rng(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;

    return (uint32_t) ((rng_state * 0x2545f4914f6cdd1dULL) >> 32);
}


static uint32_t
rng_below(uint32_t n)
{
    return rng() % n;
}


/*
 * A reference UTF-8 decoder written differently from the one under
 * test: decode by the lead byte's length, then refuse overlong forms,
 * surrogates and code points above U+10FFFF.  Returns the length of the
 * valid sequence at p, or 0.
 */

static size_t
ref_utf8(const unsigned char *p, size_t n)
{
    size_t    len, i;
    uint32_t  v;

    static const uint32_t  min[5] = { 0, 0, 0x80, 0x800, 0x10000 };

    if (p[0] < 0x80) {
        return 1;
    }

    if (p[0] < 0xc0) {
        return 0;
    }

    len = (p[0] < 0xe0) ? 2 : (p[0] < 0xf0) ? 3 : (p[0] < 0xf8) ? 4 : 0;

    if (len == 0 || n < len) {
        return 0;
    }

    v = p[0] & (0x7f >> len);

    for (i = 1; i < len; i++) {
        if ((p[i] & 0xc0) != 0x80) {
            return 0;
        }

        v = (v << 6) | (p[i] & 0x3f);
    }

    if (v < min[len] || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff)) {
        return 0;
    }

    return len;
}


/* what the escaped text must be; dst holds 6 * len bytes */

static size_t
ref_escape(char *dst, const unsigned char *s, size_t len)
{
    char    *p;
    size_t   i, n;

    p = dst;

    for (i = 0; i < len; /* void */) {
        if (s[i] >= 0x80) {
            n = ref_utf8(s + i, len - i);

            if (n == 0) {
                memcpy(p, "\\ufffd", 6);
                p += 6;
                i++;

            } else {
                memcpy(p, s + i, n);
                p += n;
                i += n;
            }

            continue;
        }

        switch (s[i]) {
        case '"':  p += sprintf(p, "\\\""); break;
        case '\\': p += sprintf(p, "\\\\"); break;
        case '\n': p += sprintf(p, "\\n"); break;
        case '\r': p += sprintf(p, "\\r"); break;
        case '\t': p += sprintf(p, "\\t"); break;
        case '\b': p += sprintf(p, "\\b"); break;
        case '\f': p += sprintf(p, "\\f"); break;
        default:
            if (s[i] < 0x20 || s[i] == 0x7f) {
                p += sprintf(p, "\\u%04x", s[i]);

            } else {
                *p++ = (char) s[i];
            }
        }

        i++;
    }

    return (size_t) (p - dst);
}


/* what a JSON parser must read back: invalid bytes as U+FFFD each;
 * dst holds 3 * len bytes */

static size_t
ref_sanitize(char *dst, const unsigned char *s, size_t len)
{
    char    *p;
    size_t   i, n;

    p = dst;

    for (i = 0; i < len; /* void */) {
        n = ref_utf8(s + i, len - i);

        if (n == 0) {
            memcpy(p, "\xef\xbf\xbd", 3);
            p += 3;
            i++;

        } else {
            memcpy(p, s + i, n);
            p += n;
            i += n;
        }
    }

    return (size_t) (p - dst);
}


/*
 * Escapes an exact-size heap copy into an exact-size heap buffer, so
 * that ASan sees any read past the input or write past the length;
 * checks that the writer ends where the length said.
 */

static char *
escape(const char *s, size_t len, size_t *outlen)
{
    char    *copy, *dst, *end;
    size_t   n;

    copy = malloc(len ? len : 1);
    assert_non_null(copy);
    if (len) {
        memcpy(copy, s, len);
    }

    n = ticket_json_escape_len(copy, len);

    dst = malloc(n ? n : 1);
    assert_non_null(dst);

    end = ticket_json_escape(dst, copy, len);
    assert_ptr_equal(end, dst + n);

    free(copy);

    *outlen = n;

    return dst;
}


static void
expect_escape(const char *s, size_t len, const char *expected)
{
    char    *out;
    size_t   n;

    out = escape(s, len, &n);

    if (n != strlen(expected) || memcmp(out, expected, n) != 0) {
        print_error("escape: got \"%.*s\", expected \"%s\"\n",
                    (int) n, out, expected);
        fail();
    }

    free(out);
}


#define EXPECT_ESCAPE(lit, expected)                                         \
    expect_escape(lit, sizeof(lit) - 1, expected)


/* escaped text parses back, as a JSON string, to the sanitized input */

static void
check_parses_back(const unsigned char *s, size_t len)
{
    char          *out, *doc, *want;
    size_t         n, wn;
    json_t        *v;
    json_error_t   error;

    out = escape((const char *) s, len, &n);

    doc = malloc(n + 2);
    assert_non_null(doc);
    doc[0] = '"';
    memcpy(doc + 1, out, n);
    doc[n + 1] = '"';

    v = json_loadb(doc, n + 2, JSON_DECODE_ANY | JSON_ALLOW_NUL, &error);
    if (v == NULL) {
        print_error("jansson: %s: %.*s\n", error.text, (int) n + 2, doc);
        fail();
    }

    assert_true(json_is_string(v));

    want = malloc(3 * len + 1);
    assert_non_null(want);
    wn = ref_sanitize(want, s, len);

    assert_int_equal(json_string_length(v), wn);
    assert_memory_equal(json_string_value(v), want, wn);

    json_decref(v);
    free(want);
    free(doc);
    free(out);
}


/* escaped text equals the reference escaping, and its length */

static void
check_against_ref(const unsigned char *s, size_t len)
{
    char    *out, *want;
    size_t   n, wn;

    out = escape((const char *) s, len, &n);

    want = malloc(6 * len + 1);
    assert_non_null(want);
    wn = ref_escape(want, s, len);

    if (n != wn || memcmp(out, want, n) != 0) {
        print_error("escape: got \"%.*s\", expected \"%.*s\"\n",
                    (int) n, out, (int) wn, want);
        fail();
    }

    free(want);
    free(out);
}


static void
test_event_names(void **state)
{
    size_t       i;
    const char  *name;

    static const struct {
        ticket_audit_event_t   event;
        const char            *name;
    } names[] = {
        { TICKET_AUDIT_DENIED, "denied" },
        { TICKET_AUDIT_OVER_PRIVILEGE, "over_privilege" },
        { TICKET_AUDIT_EXCESS_PRIVILEGE, "excess_privilege" },
        { TICKET_AUDIT_ALLOWED, "allowed" },
        { TICKET_AUDIT_SIGNAL, "signal" },
        { TICKET_AUDIT_PREFLIGHT, "preflight" },
    };

    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        name = ticket_audit_event_name(names[i].event);
        assert_non_null(name);
        assert_string_equal(name, names[i].name);

        assert_int_equal(ticket_audit_event_from_name(names[i].name,
                                                      strlen(names[i].name)),
                         names[i].event);
    }

    assert_null(ticket_audit_event_name(TICKET_AUDIT_NONE));
    assert_string_equal(ticket_audit_event_name(TICKET_AUDIT_ALERT), "alert");
    assert_int_equal(ticket_audit_event_from_name("alert", 5), -1);

    assert_null(ticket_audit_event_name(
                    (ticket_audit_event_t) (TICKET_AUDIT_SIGNAL + 1)));
    assert_null(ticket_audit_event_name((ticket_audit_event_t) -1));

    assert_int_equal(ticket_audit_event_from_name(NULL, 0), -1);
    assert_int_equal(ticket_audit_event_from_name("", 0), -1);
    assert_int_equal(ticket_audit_event_from_name("none", 4), -1);
    assert_int_equal(ticket_audit_event_from_name("Denied", 6), -1);
    assert_int_equal(ticket_audit_event_from_name("denie", 5), -1);
    assert_int_equal(ticket_audit_event_from_name("deniedx", 7), -1);
    assert_int_equal(ticket_audit_event_from_name("allowed", 6), -1);
    assert_int_equal(ticket_audit_event_from_name("denied\0", 7), -1);

    /* the length counts, not a NUL */
    assert_int_equal(ticket_audit_event_from_name("allowedXYZ", 7),
                     TICKET_AUDIT_ALLOWED);

    /* severity order, which the module's "most severe" relies on */
    assert_true(TICKET_AUDIT_NONE < TICKET_AUDIT_PREFLIGHT);
    assert_true(TICKET_AUDIT_PREFLIGHT < TICKET_AUDIT_ALLOWED);
    assert_true(TICKET_AUDIT_ALLOWED < TICKET_AUDIT_EXCESS_PRIVILEGE);
    assert_true(TICKET_AUDIT_EXCESS_PRIVILEGE < TICKET_AUDIT_OVER_PRIVILEGE);
    assert_true(TICKET_AUDIT_OVER_PRIVILEGE < TICKET_AUDIT_DENIED);

    assert_int_equal(TICKET_AUDIT_DEFAULT_EVENTS,
                     (1u << TICKET_AUDIT_DENIED)
                     | (1u << TICKET_AUDIT_OVER_PRIVILEGE)
                     | (1u << TICKET_AUDIT_EXCESS_PRIVILEGE));
}


static void
test_event_selection(void **state)
{
    int  r, excess;

    /* SPEC "Reasons": by hand, not from ticket_reason_status() */

    static const ticket_audit_event_t  expected[TICKET_REASON_MAX] = {
        [TICKET_OK] = TICKET_AUDIT_ALLOWED,
        [TICKET_MISSING] = TICKET_AUDIT_DENIED,
        [TICKET_MALFORMED] = TICKET_AUDIT_DENIED,
        [TICKET_UNTRUSTED_KEY_HEADER] = TICKET_AUDIT_DENIED,
        [TICKET_UNKNOWN_KEY] = TICKET_AUDIT_DENIED,
        [TICKET_ALG_MISMATCH] = TICKET_AUDIT_DENIED,
        [TICKET_BAD_SIGNATURE] = TICKET_AUDIT_DENIED,
        [TICKET_EXPIRED] = TICKET_AUDIT_DENIED,
        [TICKET_NOT_YET_VALID] = TICKET_AUDIT_DENIED,
        [TICKET_ISSUED_IN_FUTURE] = TICKET_AUDIT_DENIED,
        [TICKET_LIFETIME_EXCEEDED] = TICKET_AUDIT_DENIED,
        [TICKET_REVOKED] = TICKET_AUDIT_DENIED,
        [TICKET_WRONG_ISSUER] = TICKET_AUDIT_DENIED,
        [TICKET_WRONG_AUDIENCE] = TICKET_AUDIT_OVER_PRIVILEGE,
        [TICKET_WRONG_KIND] = TICKET_AUDIT_OVER_PRIVILEGE,
        [TICKET_TENANT_MISMATCH] = TICKET_AUDIT_DENIED,
        [TICKET_INSUFFICIENT_ROLE] = TICKET_AUDIT_OVER_PRIVILEGE,
        [TICKET_CLAIM_MISMATCH] = TICKET_AUDIT_OVER_PRIVILEGE,
        [TICKET_REVOCATION_UNAVAILABLE] = TICKET_AUDIT_DENIED,
        [TICKET_EXCESS_PRIVILEGE] = TICKET_AUDIT_EXCESS_PRIVILEGE,
    };

    for (r = 0; r < TICKET_REASON_MAX; r++) {
        for (excess = 0; excess <= 1; excess++) {
            if (r == TICKET_OK && excess) {
                continue;
            }

            if (ticket_audit_event((ticket_reason_t) r, excess)
                != expected[r])
            {
                print_error("reason %s excess %d\n",
                            ticket_reason_name((ticket_reason_t) r), excess);
                fail();
            }
        }
    }

    assert_int_equal(ticket_audit_event(TICKET_OK, 1),
                     TICKET_AUDIT_EXCESS_PRIVILEGE);
    assert_int_equal(ticket_audit_event(TICKET_OK, 42),
                     TICKET_AUDIT_EXCESS_PRIVILEGE);
    assert_int_equal(ticket_audit_event(TICKET_OK, -1),
                     TICKET_AUDIT_EXCESS_PRIVILEGE);

    /* a denial outranks excess privilege */
    assert_int_equal(ticket_audit_event(TICKET_EXPIRED, 1),
                     TICKET_AUDIT_DENIED);
    assert_int_equal(ticket_audit_event(TICKET_INSUFFICIENT_ROLE, 1),
                     TICKET_AUDIT_OVER_PRIVILEGE);

    /* unknown reasons are denials (401), never allowed or nothing */
    assert_int_equal(ticket_audit_event(TICKET_REASON_MAX, 0),
                     TICKET_AUDIT_DENIED);
    assert_int_equal(ticket_audit_event((ticket_reason_t) 1000, 0),
                     TICKET_AUDIT_DENIED);
    assert_int_equal(ticket_audit_event((ticket_reason_t) -1, 1),
                     TICKET_AUDIT_DENIED);
}


static void
test_escape_ascii(void **state)
{
    EXPECT_ESCAPE("", "");
    EXPECT_ESCAPE("alice", "alice");
    EXPECT_ESCAPE(" !#$%&'()*+,-./:;<=>?@[]^_`{|}~",
                  " !#$%&'()*+,-./:;<=>?@[]^_`{|}~");
    EXPECT_ESCAPE("\"", "\\\"");
    EXPECT_ESCAPE("\\", "\\\\");
    EXPECT_ESCAPE("\n", "\\n");
    EXPECT_ESCAPE("\r", "\\r");
    EXPECT_ESCAPE("\t", "\\t");
    EXPECT_ESCAPE("\b", "\\b");
    EXPECT_ESCAPE("\f", "\\f");
    EXPECT_ESCAPE("\0", "\\u0000");
    EXPECT_ESCAPE("\x01", "\\u0001");
    EXPECT_ESCAPE("\x07", "\\u0007");
    EXPECT_ESCAPE("\x0b", "\\u000b");
    EXPECT_ESCAPE("\x0e", "\\u000e");
    EXPECT_ESCAPE("\x1b", "\\u001b");
    EXPECT_ESCAPE("\x1f", "\\u001f");
    EXPECT_ESCAPE("\x7f", "\\u007f");
    EXPECT_ESCAPE("a\"b\\c\nd", "a\\\"b\\\\c\\nd");
    EXPECT_ESCAPE("\\\"", "\\\\\\\"");
    EXPECT_ESCAPE("\"\"\n\n", "\\\"\\\"\\n\\n");
    EXPECT_ESCAPE("x\0y", "x\\u0000y");
    EXPECT_ESCAPE("\x1f\x20\x7e\x7f", "\\u001f ~\\u007f");
    EXPECT_ESCAPE("</script>", "</script>");
}


static void
test_escape_every_byte(void **state)
{
    int            c;
    char           want[8];
    unsigned char  b;

    /* each byte alone: ASCII by rule, every byte >= 0x80 alone invalid */

    for (c = 0; c < 256; c++) {
        b = (unsigned char) c;

        switch (c) {
        case '"':  strcpy(want, "\\\""); break;
        case '\\': strcpy(want, "\\\\"); break;
        case '\n': strcpy(want, "\\n"); break;
        case '\r': strcpy(want, "\\r"); break;
        case '\t': strcpy(want, "\\t"); break;
        case '\b': strcpy(want, "\\b"); break;
        case '\f': strcpy(want, "\\f"); break;
        default:
            if (c < 0x20 || c == 0x7f) {
                snprintf(want, sizeof(want), "\\u00%02x", c);

            } else if (c >= 0x80) {
                strcpy(want, "\\ufffd");

            } else {
                want[0] = (char) c;
                want[1] = '\0';
            }
        }

        expect_escape((const char *) &b, 1, want);
        check_parses_back(&b, 1);
    }
}


static void
test_escape_utf8_valid(void **state)
{
    /* the bounds of every row of the RFC 3629 table */

    EXPECT_ESCAPE("\xc2\x80", "\xc2\x80");                  /* U+0080 */
    EXPECT_ESCAPE("\xc3\xa9t\xc3\xa9", "\xc3\xa9t\xc3\xa9");
    EXPECT_ESCAPE("\xdf\xbf", "\xdf\xbf");                  /* U+07FF */
    EXPECT_ESCAPE("\xe0\xa0\x80", "\xe0\xa0\x80");          /* U+0800 */
    EXPECT_ESCAPE("\xe0\xbf\xbf", "\xe0\xbf\xbf");
    EXPECT_ESCAPE("\xe1\x80\x80", "\xe1\x80\x80");
    EXPECT_ESCAPE("\xec\xbf\xbf", "\xec\xbf\xbf");
    EXPECT_ESCAPE("\xed\x80\x80", "\xed\x80\x80");          /* U+D000 */
    EXPECT_ESCAPE("\xed\x9f\xbf", "\xed\x9f\xbf");          /* U+D7FF */
    EXPECT_ESCAPE("\xee\x80\x80", "\xee\x80\x80");          /* U+E000 */
    EXPECT_ESCAPE("\xef\xbf\xbd", "\xef\xbf\xbd");          /* U+FFFD */
    EXPECT_ESCAPE("\xef\xbf\xbf", "\xef\xbf\xbf");          /* U+FFFF */
    EXPECT_ESCAPE("\xf0\x90\x80\x80", "\xf0\x90\x80\x80");  /* U+10000 */
    EXPECT_ESCAPE("\xf0\x9f\x98\x80", "\xf0\x9f\x98\x80");
    EXPECT_ESCAPE("\xf0\xbf\xbf\xbf", "\xf0\xbf\xbf\xbf");
    EXPECT_ESCAPE("\xf1\x80\x80\x80", "\xf1\x80\x80\x80");
    EXPECT_ESCAPE("\xf3\xbf\xbf\xbf", "\xf3\xbf\xbf\xbf");
    EXPECT_ESCAPE("\xf4\x80\x80\x80", "\xf4\x80\x80\x80");
    EXPECT_ESCAPE("\xf4\x8f\xbf\xbf", "\xf4\x8f\xbf\xbf");  /* U+10FFFF */

    /* U+2028 and U+2029 are valid JSON: copied as they are */
    EXPECT_ESCAPE("\xe2\x80\xa8\xe2\x80\xa9", "\xe2\x80\xa8\xe2\x80\xa9");

    /* escapes next to multibyte sequences */
    EXPECT_ESCAPE("\"\xc3\xa9\"", "\\\"\xc3\xa9\\\"");
    EXPECT_ESCAPE("\n\xf0\x9f\x98\x80\n", "\\n\xf0\x9f\x98\x80\\n");
}


#define FFFD  "\\ufffd"

static void
test_escape_utf8_invalid(void **state)
{
    /* overlong forms */
    EXPECT_ESCAPE("\xc0\x80", FFFD FFFD);
    EXPECT_ESCAPE("\xc0\xaf", FFFD FFFD);
    EXPECT_ESCAPE("\xc1\xbf", FFFD FFFD);
    EXPECT_ESCAPE("\xe0\x80\x80", FFFD FFFD FFFD);
    EXPECT_ESCAPE("\xe0\x80\xaf", FFFD FFFD FFFD);
    EXPECT_ESCAPE("\xe0\x9f\xbf", FFFD FFFD FFFD);
    EXPECT_ESCAPE("\xf0\x80\x80\x80", FFFD FFFD FFFD FFFD);
    EXPECT_ESCAPE("\xf0\x80\x80\xaf", FFFD FFFD FFFD FFFD);
    EXPECT_ESCAPE("\xf0\x8f\xbf\xbf", FFFD FFFD FFFD FFFD);

    /* an overlong '"' and '\n' must not become a quote or a newline */
    EXPECT_ESCAPE("\xc0\xa2", FFFD FFFD);
    EXPECT_ESCAPE("\xc0\x8a", FFFD FFFD);
    EXPECT_ESCAPE("\xe0\x80\xa2", FFFD FFFD FFFD);

    /* surrogates */
    EXPECT_ESCAPE("\xed\xa0\x80", FFFD FFFD FFFD);          /* U+D800 */
    EXPECT_ESCAPE("\xed\xaf\xbf", FFFD FFFD FFFD);          /* U+DBFF */
    EXPECT_ESCAPE("\xed\xb0\x80", FFFD FFFD FFFD);          /* U+DC00 */
    EXPECT_ESCAPE("\xed\xbf\xbf", FFFD FFFD FFFD);          /* U+DFFF */
    EXPECT_ESCAPE("\xed\xa0\xbd\xed\xb8\x80", FFFD FFFD FFFD FFFD FFFD FFFD);

    /* above U+10FFFF, and bytes that never start a sequence */
    EXPECT_ESCAPE("\xf4\x90\x80\x80", FFFD FFFD FFFD FFFD);
    EXPECT_ESCAPE("\xf4\xbf\xbf\xbf", FFFD FFFD FFFD FFFD);
    EXPECT_ESCAPE("\xf5\x80\x80\x80", FFFD FFFD FFFD FFFD);
    EXPECT_ESCAPE("\xf7\xbf\xbf\xbf", FFFD FFFD FFFD FFFD);
    EXPECT_ESCAPE("\xf8\x88\x80\x80\x80", FFFD FFFD FFFD FFFD FFFD);
    EXPECT_ESCAPE("\xfc\x84\x80\x80\x80\x80",
                  FFFD FFFD FFFD FFFD FFFD FFFD);
    EXPECT_ESCAPE("\xfe", FFFD);
    EXPECT_ESCAPE("\xff", FFFD);
    EXPECT_ESCAPE("\xfe\xfe\xff\xff", FFFD FFFD FFFD FFFD);

    /* truncated sequences, followed by ASCII, by an escape, or ending */
    EXPECT_ESCAPE("\xc3", FFFD);
    EXPECT_ESCAPE("\xc3" "a", FFFD "a");
    EXPECT_ESCAPE("\xc3\"", FFFD "\\\"");
    EXPECT_ESCAPE("\xe2\x82", FFFD FFFD);
    EXPECT_ESCAPE("\xe2\x82" "A", FFFD FFFD "A");
    EXPECT_ESCAPE("\xe2\x82\n", FFFD FFFD "\\n");
    EXPECT_ESCAPE("\xf0\x9f\x98", FFFD FFFD FFFD);
    EXPECT_ESCAPE("\xf0\x9f\x98" "\\", FFFD FFFD FFFD "\\\\");
    EXPECT_ESCAPE("\xf0\x9f" "\xc3\xa9", FFFD FFFD "\xc3\xa9");
    EXPECT_ESCAPE("\xe2\xc3\xa9", FFFD "\xc3\xa9");
    EXPECT_ESCAPE("\xc3\xc3\xa9", FFFD "\xc3\xa9");
    EXPECT_ESCAPE("\xf0\xf0\x9f\x98\x80", FFFD "\xf0\x9f\x98\x80");

    /* a lead byte whose continuation is ASCII or another lead */
    EXPECT_ESCAPE("\xc3\x41", FFFD "A");
    EXPECT_ESCAPE("\xe2\x41\x82", FFFD "A" FFFD);
    EXPECT_ESCAPE("\xe2\x82\xc0", FFFD FFFD FFFD);

    /* stray continuation bytes */
    EXPECT_ESCAPE("\x80", FFFD);
    EXPECT_ESCAPE("\xbf", FFFD);
    EXPECT_ESCAPE("\x80\x80\x80", FFFD FFFD FFFD);
    EXPECT_ESCAPE("a\x80" "b", "a" FFFD "b");
    EXPECT_ESCAPE("\xc3\xa9\xa9", "\xc3\xa9" FFFD);
    EXPECT_ESCAPE("\xf0\x9f\x98\x80\x80", "\xf0\x9f\x98\x80" FFFD);
}


static void
test_escape_utf8_at_end(void **state)
{
    char     buf[16], want[64];
    size_t   i, k, len;

    static const char  *seqs[] = {
        "\xc2\x80", "\xdf\xbf", "\xe0\xa0\x80", "\xed\x9f\xbf",
        "\xef\xbf\xbf", "\xf0\x90\x80\x80", "\xf4\x8f\xbf\xbf",
        "\xf3\xbf\xbf\xbf",
    };

    /*
     * escape() copies the input to an exact-size heap buffer: a decoder
     * that reads a continuation byte past the end is an ASan error.
     */

    for (i = 0; i < sizeof(seqs) / sizeof(seqs[0]); i++) {
        len = strlen(seqs[i]);

        /* whole, alone and at the end */
        expect_escape(seqs[i], len, seqs[i]);

        buf[0] = 'a';
        memcpy(buf + 1, seqs[i], len);
        snprintf(want, sizeof(want), "a%s", seqs[i]);
        expect_escape(buf, len + 1, want);

        /* every truncation, at the end: each byte replaced */
        for (k = 1; k < len; k++) {
            buf[0] = 'a';
            memcpy(buf + 1, seqs[i], k);

            strcpy(want, "a");
            while (strlen(want) < 1 + 6 * k) {
                strcat(want, FFFD);
            }

            expect_escape(buf, k + 1, want);
            check_parses_back((unsigned char *) buf, k + 1);
        }
    }
}


static void
test_escape_exhaustive(void **state)
{
    size_t         i, j, k;
    unsigned int   a, b;
    unsigned char  s[4];

    static const unsigned char  tails[] = {
        0x00, 0x22, 0x41, 0x5c, 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf,
        0xc0, 0xc2, 0xe0, 0xf0, 0xff
    };

    /* every two bytes */

    for (a = 0; a < 256; a++) {
        for (b = 0; b < 256; b++) {
            s[0] = (unsigned char) a;
            s[1] = (unsigned char) b;
            check_against_ref(s, 2);
        }
    }

    /* every lead and second byte, with tails around the boundaries */

    for (a = 0xc0; a < 256; a++) {
        for (b = 0; b < 256; b++) {
            for (i = 0; i < sizeof(tails); i++) {
                s[0] = (unsigned char) a;
                s[1] = (unsigned char) b;
                s[2] = tails[i];
                check_against_ref(s, 3);

                if (a < 0xf0) {
                    continue;
                }

                for (j = 0; j < sizeof(tails); j++) {
                    s[3] = tails[j];
                    check_against_ref(s, 4);
                }
            }
        }
    }

    /* and a JSON parser agrees, for a sample of them */

    for (k = 0; k < 20000; k++) {
        for (i = 0; i < 4; i++) {
            s[i] = (unsigned char) rng();
        }

        check_parses_back(s, 1 + k % 4);
    }
}


/* a byte string that exercises the escaper: mostly trouble */

static size_t
random_bytes(unsigned char *dst, size_t max)
{
    size_t    n, len, k;
    uint32_t  cp;

    len = rng_below((uint32_t) max + 1);
    n = 0;

    while (n < len) {
        switch (rng_below(8)) {

        case 0:
            dst[n++] = (unsigned char) rng();
            break;

        case 1:
            dst[n++] = "\"\\\n\r\t\b\f\x7f\x00\x1f "[rng_below(11)];
            break;

        case 2:
            dst[n++] = (unsigned char) (0x80 + rng_below(0x80));
            break;

        case 3:
        case 4:
            /* a valid sequence, if it fits */
            cp = rng_below(0x110000);
            if (cp >= 0xd800 && cp <= 0xdfff) {
                cp = 0xfffd;
            }

            k = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
            if (n + k > len) {
                dst[n++] = 'x';
                break;
            }

            if (k == 1) {
                dst[n++] = (unsigned char) cp;

            } else if (k == 2) {
                dst[n++] = (unsigned char) (0xc0 | (cp >> 6));
                dst[n++] = (unsigned char) (0x80 | (cp & 0x3f));

            } else if (k == 3) {
                dst[n++] = (unsigned char) (0xe0 | (cp >> 12));
                dst[n++] = (unsigned char) (0x80 | ((cp >> 6) & 0x3f));
                dst[n++] = (unsigned char) (0x80 | (cp & 0x3f));

            } else {
                dst[n++] = (unsigned char) (0xf0 | (cp >> 18));
                dst[n++] = (unsigned char) (0x80 | ((cp >> 12) & 0x3f));
                dst[n++] = (unsigned char) (0x80 | ((cp >> 6) & 0x3f));
                dst[n++] = (unsigned char) (0x80 | (cp & 0x3f));
            }

            break;

        default:
            dst[n++] = (unsigned char) (0x20 + rng_below(0x5f));
        }
    }

    return n;
}


static void
test_escape_random(void **state)
{
    size_t         i, n;
    unsigned char  buf[96];

    for (i = 0; i < 20000; i++) {
        n = random_bytes(buf, sizeof(buf));
        check_against_ref(buf, n);

        if (i % 8 == 0) {
            check_parses_back(buf, n);
        }
    }
}


static void
test_escape_null(void **state)
{
    char  buf[1];

    assert_int_equal(ticket_json_escape_len(NULL, 0), 0);
    assert_int_equal(ticket_json_escape_len(NULL, 10), 0);
    assert_ptr_equal(ticket_json_escape(buf, NULL, 10), buf);
    assert_ptr_equal(ticket_json_escape(buf, "x", 0), buf);
}


static void
test_token_fp(void **state)
{
    char  fp[17];

    /* printf %s '...' | sha256sum, first 16 hex digits */

    memset(fp, 'X', sizeof(fp));
    ticket_audit_token_fp((const unsigned char *) "ticket-audit-fp", 15, fp);
    assert_string_equal(fp, "2765ccaadda0962c");

    ticket_audit_token_fp((const unsigned char *) "abc", 3, fp);
    assert_string_equal(fp, "ba7816bf8f01cfea");

    ticket_audit_token_fp((const unsigned char *)
        "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2ln", 46, fp);
    assert_string_equal(fp, "432b86b29fc62767");

    ticket_audit_token_fp((const unsigned char *) "", 0, fp);
    assert_string_equal(fp, "e3b0c44298fc1c14");

    ticket_audit_token_fp(NULL, 0, fp);
    assert_string_equal(fp, "e3b0c44298fc1c14");

    /* the length counts, not a NUL */
    ticket_audit_token_fp((const unsigned char *) "abcdef", 3, fp);
    assert_string_equal(fp, "ba7816bf8f01cfea");
}


/* records */

typedef struct {
    ticket_audit_record_t   rec;
    ticket_str_t            required[8];
    void                   *mem[32];
    size_t                  nmem;
} record_t;


static void
record_init(record_t *r)
{
    memset(r, 0, sizeof(record_t));

    r->rec.time_ms = 1795432357123LL;
    r->rec.event = TICKET_AUDIT_DENIED;
    r->rec.reason = TICKET_EXPIRED;
    r->rec.status = 401;
    r->rec.enforced = 1;
    r->rec.verified = 1;
}


static void
record_free(record_t *r)
{
    size_t  i;

    for (i = 0; i < r->nmem; i++) {
        free(r->mem[i]);
    }

    json_decref(r->rec.roles);
    r->rec.roles = NULL;
    r->nmem = 0;
}


/* an exact-size heap copy, so that ASan sees an overread */

static void
record_str(record_t *r, ticket_str_t *s, const void *data, size_t len)
{
    char  *p;

    assert_true(r->nmem < sizeof(r->mem) / sizeof(r->mem[0]));

    p = malloc(len ? len : 1);
    assert_non_null(p);
    if (len) {
        memcpy(p, data, len);
    }

    r->mem[r->nmem++] = p;
    s->data = p;
    s->len = len;
}


#define RECORD_STR(r, member, lit)                                           \
    record_str(r, &(r)->rec.member, lit, sizeof(lit) - 1)


/*
 * Writes rec into an exact-size heap buffer, checks that the writer
 * wrote exactly the length, one line, no raw control byte, and returns
 * it parsed (a single object, no duplicate members).
 */

static json_t *
write_record(const ticket_audit_record_t *rec, char **text, size_t *textlen)
{
    char          *buf, *end;
    size_t         len, i;
    json_t        *obj;
    json_error_t   error;

    len = ticket_audit_record_len(rec);
    assert_true(len > 2);

    buf = malloc(len);
    assert_non_null(buf);

    end = ticket_audit_record_write(buf, rec);
    assert_ptr_equal(end, buf + len);

    assert_int_equal(buf[0], '{');
    assert_int_equal(buf[len - 2], '}');
    assert_int_equal(buf[len - 1], '\n');

    for (i = 0; i < len - 1; i++) {
        if ((unsigned char) buf[i] < 0x20 || buf[i] == 0x7f) {
            print_error("raw byte 0x%02x at %zu: %.*s\n",
                        (unsigned char) buf[i], i, (int) len, buf);
            fail();
        }
    }

    /* without JSON_DISABLE_EOF_CHECK: anything after the object fails */

    obj = json_loadb(buf, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL,
                     &error);
    if (obj == NULL) {
        print_error("jansson: %s at %d: %.*s\n", error.text, error.position,
                    (int) len, buf);
        fail();
    }

    assert_true(json_is_object(obj));

    if (text != NULL) {
        *text = buf;
        *textlen = len;

    } else {
        free(buf);
    }

    return obj;
}


static void
check_value_str(json_t *v, const char *name, const ticket_str_t *s,
    int nullable)
{
    char    *want;
    size_t   wn;

    assert_non_null(v);

    if (s->data == NULL) {
        if (nullable) {
            assert_true(json_is_null(v));

        } else {
            assert_true(json_is_string(v));
            assert_int_equal(json_string_length(v), 0);
        }

        return;
    }

    if (!json_is_string(v)) {
        print_error("member %s is not a string\n", name);
        fail();
    }

    want = malloc(3 * s->len + 1);
    assert_non_null(want);
    wn = ref_sanitize(want, (const unsigned char *) s->data, s->len);

    if (json_string_length(v) != wn
        || memcmp(json_string_value(v), want, wn) != 0)
    {
        print_error("member %s differs\n", name);
        fail();
    }

    free(want);
}


static void
check_member_str(json_t *obj, const char *name, const ticket_str_t *s,
    int nullable)
{
    check_value_str(json_object_get(obj, name), name, s, nullable);
}


/* the roles ticket_has_role() would see, split here independently */

static size_t
expected_roles(json_t *roles, const char **words, size_t *lens, size_t max)
{
    size_t       n, i, len;
    json_t      *v;
    const char  *s;

    n = 0;

    if (json_is_array(roles)) {
        for (i = 0; i < json_array_size(roles); i++) {
            v = json_array_get(roles, i);
            if (json_is_string(v)) {
                assert_true(n < max);
                words[n] = json_string_value(v);
                lens[n++] = json_string_length(v);
            }
        }

    } else if (json_is_string(roles)) {
        s = json_string_value(roles);
        len = json_string_length(roles);

        for (i = 0; i < len; i++) {
            if (s[i] != ' ' && (i == 0 || s[i - 1] == ' ')) {
                assert_true(n < max);
                words[n] = s + i;
                lens[n] = 0;
                n++;
            }

            if (s[i] != ' ') {
                lens[n - 1]++;
            }
        }
    }

    return n;
}


static void
check_record(const ticket_audit_record_t *rec)
{
    int            i;
    char           fp[17];
    void          *it;
    size_t         n, k, lens[64];
    json_t        *obj, *v, *e;
    const char    *words[64], *name, *s;
    ticket_str_t   ts;

    obj = write_record(rec, NULL, NULL);

    /* all members, in order */

    assert_int_equal(json_object_size(obj), NMEMBERS_OF(rec));

    it = json_object_iter(obj);

    for (i = 0; i < (int) NMEMBERS_OF(rec); i++) {
        assert_non_null(it);
        assert_string_equal(json_object_iter_key(it), member_names[i]);
        it = json_object_iter_next(obj, it);
    }

    assert_null(it);

    /* time: RFC 3339 UTC with milliseconds */

    v = json_object_get(obj, "time");
    assert_true(json_is_string(v));
    assert_int_equal(json_string_length(v), 24);
    s = json_string_value(v);
    for (i = 0; i < 24; i++) {
        if (i == 4 || i == 7) {
            assert_int_equal(s[i], '-');
        } else if (i == 10) {
            assert_int_equal(s[i], 'T');
        } else if (i == 13 || i == 16) {
            assert_int_equal(s[i], ':');
        } else if (i == 19) {
            assert_int_equal(s[i], '.');
        } else if (i == 23) {
            assert_int_equal(s[i], 'Z');
        } else {
            assert_true(s[i] >= '0' && s[i] <= '9');
        }
    }

    v = json_object_get(obj, "event");
    name = ticket_audit_event_name(rec->event);
    if (name == NULL) {
        assert_true(json_is_null(v));

    } else {
        assert_true(json_is_string(v));
        assert_string_equal(json_string_value(v), name);
    }

    v = json_object_get(obj, "reason");
    assert_true(json_is_string(v));
    assert_string_equal(json_string_value(v), ticket_reason_name(rec->reason));

    v = json_object_get(obj, "status");
    assert_true(json_is_integer(v));
    assert_int_equal(json_integer_value(v), rec->status);

    v = json_object_get(obj, "enforced");
    assert_true(json_is_boolean(v));
    assert_int_equal(json_is_true(v), rec->enforced);

    v = json_object_get(obj, "verified");
    assert_true(json_is_boolean(v));
    assert_int_equal(json_is_true(v), rec->verified);

    check_member_str(obj, "client", &rec->client, 0);
    check_member_str(obj, "method", &rec->method, 0);
    check_member_str(obj, "host", &rec->host, 0);
    check_member_str(obj, "uri", &rec->uri, 0);
    check_member_str(obj, "request_id", &rec->request_id, 0);
    check_member_str(obj, "sub", &rec->sub, 1);
    check_member_str(obj, "kind", &rec->kind, 1);
    check_member_str(obj, "tenant", &rec->tenant, 1);
    check_member_str(obj, "jti", &rec->jti, 1);
    check_member_str(obj, "kid", &rec->kid, 1);
    check_member_str(obj, "iss", &rec->iss, 1);
    check_member_str(obj, "sid", &rec->sid, 1);

    /* roles: an array of strings, the ticket's roles */

    v = json_object_get(obj, "roles");
    assert_true(json_is_array(v));

    n = expected_roles(rec->roles, words, lens, 64);
    assert_int_equal(json_array_size(v), n);

    for (k = 0; k < n; k++) {
        e = json_array_get(v, k);
        assert_true(json_is_string(e));

        ts.data = words[k];
        ts.len = lens[k];
        check_value_str(e, "roles", &ts, 0);
    }

    /* required: an array of strings */

    v = json_object_get(obj, "required");
    assert_true(json_is_array(v));
    assert_int_equal(json_array_size(v),
                     rec->required ? rec->nrequired : 0);

    for (k = 0; rec->required != NULL && k < rec->nrequired; k++) {
        e = json_array_get(v, k);
        assert_true(json_is_string(e));

        check_value_str(e, "required", &rec->required[k], 0);
    }

    /* token_fp */

    v = json_object_get(obj, "token_fp");

    if (rec->token == NULL) {
        assert_true(json_is_null(v));

    } else {
        assert_true(json_is_string(v));
        ticket_audit_token_fp(rec->token, rec->token_len, fp);
        assert_int_equal(strlen(fp), 16);
        assert_string_equal(json_string_value(v), fp);
    }

    json_decref(obj);
}


static void
test_record_golden(void **state)
{
    char      *text;
    size_t     len;
    json_t    *obj;
    record_t   r;

    static const char  expected[] =
        "{\"time\":\"2026-11-23T11:12:37.123Z\",\"event\":\"denied\","
        "\"reason\":\"expired\",\"status\":401,\"enforced\":true,"
        "\"client\":\"192.0.2.1\",\"method\":\"GET\","
        "\"host\":\"api.example.com\",\"uri\":\"/v1/export\","
        "\"request_id\":\"0123456789abcdef0123456789abcdef\","
        "\"verified\":false,\"sub\":\"alice\",\"kind\":\"user\","
        "\"tenant\":null,\"jti\":\"j-1\",\"kid\":\"k1\","
        "\"iss\":\"https://idp.example.com\",\"sid\":null,"
        "\"roles\":[\"reader\",\"admin\"],"
        "\"required\":[\"kind:user\",\"role:admin|auditor\"],"
        "\"token_fp\":\"ba7816bf8f01cfea\",\"exp\":1795432400,"
        "\"unmet\":\"role:admin|auditor\",\"gateway\":\"gw-1\","
        "\"writer\":\"gw-1-4242-1795400000\",\"seq\":9007199254740991}\n";

    record_init(&r);
    r.rec.verified = 0;
    RECORD_STR(&r, client, "192.0.2.1");
    RECORD_STR(&r, method, "GET");
    RECORD_STR(&r, host, "api.example.com");
    RECORD_STR(&r, uri, "/v1/export");
    RECORD_STR(&r, request_id, "0123456789abcdef0123456789abcdef");
    RECORD_STR(&r, sub, "alice");
    RECORD_STR(&r, kind, "user");
    RECORD_STR(&r, jti, "j-1");
    RECORD_STR(&r, kid, "k1");
    RECORD_STR(&r, iss, "https://idp.example.com");
    r.rec.roles = json_string("  reader   admin ");
    record_str(&r, &r.required[0], "kind:user", 9);
    record_str(&r, &r.required[1], "role:admin|auditor", 18);
    r.rec.required = r.required;
    r.rec.nrequired = 2;
    r.rec.token = (const unsigned char *) "abc";
    r.rec.token_len = 3;
    r.rec.exp = 1795432400;
    r.rec.has_exp = 1;
    r.rec.unmet = r.required[1];
    RECORD_STR(&r, gateway, "gw-1");
    RECORD_STR(&r, writer, "gw-1-4242-1795400000");
    r.rec.seq = 9007199254740991ULL;

    assert_int_equal(ticket_audit_record_len(&r.rec), sizeof(expected) - 1);

    obj = write_record(&r.rec, &text, &len);
    assert_int_equal(len, sizeof(expected) - 1);
    assert_memory_equal(text, expected, len);

    check_record(&r.rec);

    json_decref(obj);
    free(text);
    record_free(&r);
}


static void
test_record_empty(void **state)
{
    char                   *text;
    size_t                  len;
    json_t                 *obj;
    ticket_audit_record_t   rec;

    static const char  expected[] =
        "{\"time\":\"1970-01-01T00:00:00.000Z\",\"event\":null,"
        "\"reason\":\"ok\",\"status\":0,\"enforced\":false,"
        "\"client\":\"\",\"method\":\"\",\"host\":\"\",\"uri\":\"\","
        "\"request_id\":\"\",\"verified\":false,\"sub\":null,"
        "\"kind\":null,\"tenant\":null,\"jti\":null,\"kid\":null,"
        "\"iss\":null,\"sid\":null,\"roles\":[],\"required\":[],"
        "\"token_fp\":null,\"exp\":null,\"unmet\":null,\"gateway\":\"\","
        "\"writer\":\"\",\"seq\":0}\n";

    /* nothing set: every member still there, with its type */

    memset(&rec, 0, sizeof(ticket_audit_record_t));

    obj = write_record(&rec, &text, &len);
    assert_int_equal(len, sizeof(expected) - 1);
    assert_memory_equal(text, expected, len);
    json_decref(obj);
    free(text);

    check_record(&rec);

    /* "" is not null; nrequired without required is no requirement;
     * a token of no bytes still has a fingerprint */

    rec.sub.data = "";
    rec.nrequired = 3;
    rec.token = (const unsigned char *) "";
    rec.status = 4294967295u;

    obj = write_record(&rec, &text, &len);
    assert_non_null(strstr(text, ",\"sub\":\"\",\"kind\":null,"));
    assert_non_null(strstr(text, ",\"required\":[],"));
    assert_non_null(strstr(text, ",\"token_fp\":\"e3b0c44298fc1c14\","));
    assert_non_null(strstr(text, ",\"status\":4294967295,"));
    json_decref(obj);
    free(text);

    check_record(&rec);
}


static void
record_time(int64_t ms, const char *expected)
{
    char                   *text;
    size_t                  len;
    json_t                 *obj;
    ticket_audit_record_t   rec;

    memset(&rec, 0, sizeof(ticket_audit_record_t));
    rec.time_ms = ms;

    obj = write_record(&rec, &text, &len);
    assert_string_equal(json_string_value(json_object_get(obj, "time")),
                        expected);
    json_decref(obj);
    free(text);
}


static void
test_record_time(void **state)
{
    int                     i;
    char                   *text;
    time_t                  t;
    size_t                  len;
    json_t                 *obj;
    int64_t                 ms;
    unsigned                msec;
    struct tm               tm;
    ticket_audit_record_t   rec;

    record_time(0, "1970-01-01T00:00:00.000Z");
    record_time(-1, "1970-01-01T00:00:00.000Z");
    record_time(-999, "1970-01-01T00:00:00.000Z");
    record_time(INT64_MIN, "1970-01-01T00:00:00.000Z");
    record_time(1, "1970-01-01T00:00:00.001Z");
    record_time(999, "1970-01-01T00:00:00.999Z");
    record_time(1000, "1970-01-01T00:00:01.000Z");
    record_time(951782400000LL, "2000-02-29T00:00:00.000Z");
    record_time(1709208000007LL, "2024-02-29T12:00:00.007Z");
    record_time(1795432357123LL, "2026-11-23T11:12:37.123Z");
    record_time(4102444799999LL, "2099-12-31T23:59:59.999Z");
    record_time(253402300799999LL, "9999-12-31T23:59:59.999Z");

    /* RFC 3339 years have four digits: later times are clamped */
    record_time(253402300800000LL, "9999-12-31T23:59:59.999Z");
    record_time(INT64_MAX / 1000, "9999-12-31T23:59:59.999Z");
    record_time(INT64_MAX, "9999-12-31T23:59:59.999Z");

    /* the text of a second is kept: the same second, then another, back */
    record_time(1795432357123LL, "2026-11-23T11:12:37.123Z");
    record_time(1795432357004LL, "2026-11-23T11:12:37.004Z");
    record_time(1795432358000LL, "2026-11-23T11:12:38.000Z");
    record_time(1795432357999LL, "2026-11-23T11:12:37.999Z");
    record_time(1795432357999LL, "2026-11-23T11:12:37.999Z");
    record_time(-1, "1970-01-01T00:00:00.000Z");

    /* random times read back, through timegm() */

    for (i = 0; i < 2000; i++) {
        ms = (int64_t) (((uint64_t) rng() << 32 | rng())
                        % 253402300800000ULL);

        memset(&rec, 0, sizeof(ticket_audit_record_t));
        rec.time_ms = ms;

        obj = write_record(&rec, &text, &len);

        memset(&tm, 0, sizeof(struct tm));
        assert_int_equal(sscanf(json_string_value(json_object_get(obj,
                                                                  "time")),
                                "%4d-%2d-%2dT%2d:%2d:%2d.%3uZ",
                                &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                                &tm.tm_hour, &tm.tm_min, &tm.tm_sec,
                                &msec),
                         7);
        tm.tm_year -= 1900;
        tm.tm_mon -= 1;
        t = timegm(&tm);

        assert_int_equal((int64_t) t, ms / 1000);
        assert_int_equal(msec, ms % 1000);

        json_decref(obj);
        free(text);
    }
}


/* numbers written two digits at a time, read against printf's */

static void
test_record_numbers(void **state)
{
    char                   *text, want[96];
    size_t                  i, len;
    ticket_audit_record_t   rec;

    static const uint64_t  seqs[] = {
        0, 1, 9, 10, 11, 99, 100, 101, 999, 1000, 1009, 65535,
        4294967295ULL, 9007199254740991ULL, 10000000000000000000ULL,
        UINT64_MAX
    };

    static const int64_t   exps[] = {
        0, -1, 7, -10, 100, -101, 1795432400, INT64_MAX, INT64_MIN,
        INT64_MIN + 1
    };

    for (i = 0; i < sizeof(seqs) / sizeof(seqs[0]); i++) {
        memset(&rec, 0, sizeof(ticket_audit_record_t));
        rec.seq = seqs[i];
        rec.status = (unsigned) seqs[i];
        rec.exp = exps[i % (sizeof(exps) / sizeof(exps[0]))];
        rec.has_exp = 1;

        /* not read back: jansson takes no integer above INT64_MAX */
        len = ticket_audit_record_len(&rec);
        text = malloc(len + 1);
        assert_non_null(text);
        assert_ptr_equal(ticket_audit_record_write(text, &rec), text + len);
        text[len] = '\0';

        snprintf(want, sizeof(want), ",\"seq\":%llu}\n",
                 (unsigned long long) seqs[i]);
        assert_non_null(strstr(text, want));

        snprintf(want, sizeof(want), ",\"status\":%u,", rec.status);
        assert_non_null(strstr(text, want));

        snprintf(want, sizeof(want), ",\"exp\":%lld,",
                 (long long) rec.exp);
        assert_non_null(strstr(text, want));

        free(text);
    }
}


static void
test_record_roles(void **state)
{
    char        *text;
    size_t       len, i;
    json_t      *obj, *roles;
    record_t     r;

    static const struct {
        const char  *json;       /* NULL: no roles */
        const char  *expected;
    } cases[] = {
        { NULL, "[]" },
        { "\"\"", "[]" },
        { "\"   \"", "[]" },
        { "\"admin\"", "[\"admin\"]" },
        { "\" admin  reader \"", "[\"admin\",\"reader\"]" },
        { "\"a\\tb c\"", "[\"a\\tb\",\"c\"]" },
        { "\"a\\\" b\"", "[\"a\\\"\",\"b\"]" },
        { "[]", "[]" },
        { "[\"admin\",\"reader\"]", "[\"admin\",\"reader\"]" },
        { "[\"a b\",\"\"]", "[\"a b\",\"\"]" },
        { "[1,\"admin\",null,true,{\"x\":\"y\"},[\"z\"],\"reader\",2.5]",
          "[\"admin\",\"reader\"]" },
        { "[1,2]", "[]" },
        { "42", "[]" },
        { "true", "[]" },
        { "null", "[]" },
        { "{\"admin\":true}", "[]" },
        { "[\"\\n\",\"\\u0000\"]", "[\"\\n\",\"\\u0000\"]" },
    };

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        record_init(&r);

        if (cases[i].json != NULL) {
            roles = json_loads(cases[i].json,
                               JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
            assert_non_null(roles);
            r.rec.roles = roles;
        }

        obj = write_record(&r.rec, &text, &len);

        if (strstr(text, ",\"roles\":") == NULL
            || strncmp(strstr(text, ",\"roles\":") + 9, cases[i].expected,
                       strlen(cases[i].expected)) != 0
            || strncmp(strstr(text, ",\"roles\":") + 9
                       + strlen(cases[i].expected), ",\"required\":", 12)
               != 0)
        {
            print_error("roles %s: %.*s\n", cases[i].json ? cases[i].json
                        : "NULL", (int) len, text);
            fail();
        }

        check_record(&r.rec);

        json_decref(obj);
        free(text);
        record_free(&r);
    }

    /* roles jansson holds as bytes that are not UTF-8 */

    record_init(&r);
    r.rec.roles = json_stringn_nocheck("ad\xffmin \xc0\xa2 x\"y",
                                       sizeof("ad\xffmin \xc0\xa2 x\"y") - 1);
    assert_non_null(r.rec.roles);

    obj = write_record(&r.rec, &text, &len);
    assert_non_null(strstr(text, ",\"roles\":[\"ad\\ufffdmin\","
                                 "\"\\ufffd\\ufffd\",\"x\\\"y\"],"));
    check_record(&r.rec);
    json_decref(obj);
    free(text);
    record_free(&r);
}


static void
test_record_required(void **state)
{
    char        *text;
    size_t       len;
    json_t      *obj;
    record_t     r;

    record_init(&r);
    record_str(&r, &r.required[0], "kind:user", 9);
    record_str(&r, &r.required[1], "claim:dept=a\"b|c\nd",
               sizeof("claim:dept=a\"b|c\nd") - 1);
    r.required[2].data = NULL;
    r.required[2].len = 5;
    record_str(&r, &r.required[3], "", 0);
    r.rec.required = r.required;
    r.rec.nrequired = 4;

    obj = write_record(&r.rec, &text, &len);
    assert_non_null(strstr(text, ",\"required\":[\"kind:user\","
                                 "\"claim:dept=a\\\"b|c\\nd\",\"\",\"\"],"));
    check_record(&r.rec);
    json_decref(obj);
    free(text);
    record_free(&r);
}


static void
test_record_forgery(void **state)
{
    char        *text, *want;
    size_t       len, i, wn;
    json_t      *obj, *v;
    record_t     r;

    static const struct {
        const char  *s;
        size_t       len;
    } claims[] = {
#define C(lit)  { lit, sizeof(lit) - 1 }
        C("x\",\"event\":\"allowed"),
        C("x\",\"event\":\"allowed\",\"x\":\""),
        C("x\"}\n{\"event\":\"allowed\",\"sub\":\"x"),
        C("\n{\"time\":\"2026-01-01T00:00:00.000Z\",\"event\":\"allowed\"}\n"),
        C("x\\\",\"event\":\"allowed"),
        C("x\\"),
        C("\\u0022,\\n"),
        C("\r\n\x1b[2J\x00tail"),
        C("\xc0\xa2,\"event\":\"allowed\"\xc0\x8a{}"),
        C("\xe0\x80\xa2\xe0\x80\x8a"),
        C("\xf0\x9f\x98\"}\n"),
        C("\xc3\"\n"),
        C("\xed\xa0\x80\"\xed\xbf\xbf"),
        C("\xf4\x90\x80\x80\x7f\x85\xe2\x80\xa8"),
        C("\x80\xbf\xfe\xff\""),
#undef C
    };

    for (i = 0; i < sizeof(claims) / sizeof(claims[0]); i++) {
        record_init(&r);

        /* the same claim wherever a claim or a request can put it */

        record_str(&r, &r.rec.sub, claims[i].s, claims[i].len);
        record_str(&r, &r.rec.jti, claims[i].s, claims[i].len);
        record_str(&r, &r.rec.uri, claims[i].s, claims[i].len);
        record_str(&r, &r.rec.host, claims[i].s, claims[i].len);
        record_str(&r, &r.required[0], claims[i].s, claims[i].len);
        r.rec.required = r.required;
        r.rec.nrequired = 1;
        r.rec.roles = json_array();
        json_array_append_new(r.rec.roles,
                              json_stringn_nocheck(claims[i].s,
                                                   claims[i].len));

        obj = write_record(&r.rec, &text, &len);

        /* one line, one object */

        assert_ptr_equal(memchr(text, '\n', len), text + len - 1);

        assert_int_equal(json_object_size(obj), NMEMBERS_OF(&r.rec));

        v = json_object_get(obj, "event");
        assert_string_equal(json_string_value(v), "denied");

        v = json_object_get(obj, "sub");
        assert_true(json_is_string(v));

        want = malloc(3 * claims[i].len + 1);
        assert_non_null(want);
        wn = ref_sanitize(want, (const unsigned char *) claims[i].s,
                          claims[i].len);
        assert_int_equal(json_string_length(v), wn);
        assert_memory_equal(json_string_value(v), want, wn);
        free(want);

        check_record(&r.rec);

        json_decref(obj);
        free(text);
        record_free(&r);
    }
}


static void
random_str(record_t *r, ticket_str_t *s, int nullable)
{
    size_t         n;
    unsigned char  buf[64];

    if (rng_below(6) == 0) {
        s->data = NULL;
        s->len = nullable ? 0 : rng_below(4);
        return;
    }

    n = random_bytes(buf, sizeof(buf));
    record_str(r, s, buf, n);
}


static json_t *
random_roles(void)
{
    size_t         i, n, k;
    json_t        *a;
    unsigned char  buf[64];

    switch (rng_below(8)) {

    case 0:
        return NULL;

    case 1:
    case 2:
        /* words and runs of spaces */
        n = random_bytes(buf, sizeof(buf));
        for (i = 0; i < n; i++) {
            if (rng_below(4) == 0) {
                buf[i] = ' ';
            }
        }

        return json_stringn_nocheck((const char *) buf, n);

    case 3:
    case 4:
    case 5:
        a = json_array();
        k = rng_below(10);

        for (i = 0; i < k; i++) {
            switch (rng_below(6)) {
            case 0:
                json_array_append_new(a, json_integer(rng()));
                break;
            case 1:
                json_array_append_new(a, json_null());
                break;
            case 2:
                json_array_append_new(a, json_pack("{s:s}", "r", "admin"));
                break;
            default:
                n = random_bytes(buf, 24);
                json_array_append_new(a,
                    json_stringn_nocheck((const char *) buf, n));
            }
        }

        return a;

    case 6:
        return json_integer(7);

    default:
        return json_true();
    }
}


static void
random_record(record_t *r)
{
    size_t         i, n;
    unsigned char  buf[64];

    memset(r, 0, sizeof(record_t));

    r->rec.time_ms = (int64_t) ((uint64_t) rng() << 32 | rng());
    if (rng_below(2)) {
        r->rec.time_ms %= 253402300800000LL;
    }

    r->rec.event = (ticket_audit_event_t) rng_below(6);
    if (r->rec.event == TICKET_AUDIT_ALERT) {
        r->rec.event = (ticket_audit_event_t) 6;    /* no name: null */
    }
    r->rec.reason = (ticket_reason_t) rng_below(TICKET_REASON_MAX + 2);
    r->rec.status = rng_below(3) ? rng_below(600) : rng();
    r->rec.enforced = rng_below(2);
    r->rec.verified = rng_below(2);

    random_str(r, &r->rec.client, 0);
    random_str(r, &r->rec.method, 0);
    random_str(r, &r->rec.host, 0);
    random_str(r, &r->rec.uri, 0);
    random_str(r, &r->rec.request_id, 0);
    random_str(r, &r->rec.sub, 1);
    random_str(r, &r->rec.kind, 1);
    random_str(r, &r->rec.tenant, 1);
    random_str(r, &r->rec.jti, 1);
    random_str(r, &r->rec.kid, 1);
    random_str(r, &r->rec.iss, 1);
    random_str(r, &r->rec.sid, 1);

    r->rec.roles = random_roles();

    n = rng_below(9);
    for (i = 0; i < n; i++) {
        random_str(r, &r->required[i], 0);
    }

    r->rec.required = (n == 0 && rng_below(2)) ? NULL : r->required;
    r->rec.nrequired = n;

    if (rng_below(4) != 0) {
        n = random_bytes(buf, sizeof(buf));
        assert_true(r->nmem < sizeof(r->mem) / sizeof(r->mem[0]));
        r->mem[r->nmem] = malloc(n ? n : 1);
        assert_non_null(r->mem[r->nmem]);
        if (n) {
            memcpy(r->mem[r->nmem], buf, n);
        }

        r->rec.token = r->mem[r->nmem++];
        r->rec.token_len = n;
    }
}


static void
test_record_random(void **state)
{
    size_t     i, len;
    record_t   r;

    /* len == written is asserted by write_record(), in check_record() */

    for (i = 0; i < 1000; i++) {
        random_record(&r);

        len = ticket_audit_record_len(&r.rec);
        assert_int_equal(ticket_audit_record_len(&r.rec), len);

        check_record(&r.rec);
        record_free(&r);
    }
}


static void
test_record_large(void **state)
{
    char     *big, *text;
    size_t    len, n;
    json_t   *obj;
    record_t  r;

    /* every byte of 1 MiB escaped six times over */

    n = 1024 * 1024;
    big = malloc(n);
    assert_non_null(big);
    memset(big, 0x01, n);

    record_init(&r);
    r.rec.uri.data = big;
    r.rec.uri.len = n;

    obj = write_record(&r.rec, &text, &len);
    assert_true(len > 6 * n);
    assert_int_equal(json_string_length(json_object_get(obj, "uri")), n);

    json_decref(obj);
    free(text);
    free(big);
    record_free(&r);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_event_names),
        cmocka_unit_test(test_event_selection),
        cmocka_unit_test(test_escape_ascii),
        cmocka_unit_test(test_escape_every_byte),
        cmocka_unit_test(test_escape_utf8_valid),
        cmocka_unit_test(test_escape_utf8_invalid),
        cmocka_unit_test(test_escape_utf8_at_end),
        cmocka_unit_test(test_escape_exhaustive),
        cmocka_unit_test(test_escape_random),
        cmocka_unit_test(test_escape_null),
        cmocka_unit_test(test_token_fp),
        cmocka_unit_test(test_record_golden),
        cmocka_unit_test(test_record_empty),
        cmocka_unit_test(test_record_time),
        cmocka_unit_test(test_record_numbers),
        cmocka_unit_test(test_record_roles),
        cmocka_unit_test(test_record_required),
        cmocka_unit_test(test_record_forgery),
        cmocka_unit_test(test_record_random),
        cmocka_unit_test(test_record_large),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
