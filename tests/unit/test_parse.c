
/* ticket_parse.c: structure, header and claims of a ticket */

#include "unit.h"


#define HDR  "{\"alg\":\"HS256\",\"kid\":\"k1\",\"typ\":\"JWT\"}"

#define CLAIMS                                                               \
    "{\"sub\":\"alice\",\"kind\":\"user\",\"jti\":\"j1\","                   \
    "\"iat\":1000,\"exp\":2000}"


typedef struct {
    const char  *name;
    const char  *value;
} member_t;


static const member_t  base_claims[] = {
    { "sub", "\"alice\"" },
    { "kind", "\"user\"" },
    { "jti", "\"j1\"" },
    { "iat", "1000" },
    { "exp", "2000" },
};


static const unsigned char  sig_bytes[] = { 0xde, 0xad, 0xbe, 0xef, 0x00 };


/* a token in an exact-size heap buffer without NUL: ASan sees overreads */

static char *
token_of(const char *h, const char *p, const char *s, size_t *len)
{
    char    *tok;
    size_t   hl, pl, sl;

    hl = strlen(h);
    pl = strlen(p);
    sl = strlen(s);

    *len = hl + pl + sl + 2;

    tok = malloc(*len);
    assert_non_null(tok);

    memcpy(tok, h, hl);
    tok[hl] = '.';
    memcpy(tok + hl + 1, p, pl);
    tok[hl + 1 + pl] = '.';
    memcpy(tok + hl + pl + 2, s, sl);

    return tok;
}


/* the base64url of a string, NUL-terminated, malloc */

static char *
b64(const void *data, size_t len)
{
    char    *s;
    size_t   n;

    s = malloc(ticket_b64url_encoded_len(len) + 1);
    assert_non_null(s);

    n = ticket_b64url_encode(s, data, len);
    s[n] = '\0';

    return s;
}


static char *
make_token(const char *header, const char *payload, size_t *len)
{
    char  *h, *p, *s, *tok;

    h = b64(header, strlen(header));
    p = b64(payload, strlen(payload));
    s = b64(sig_bytes, sizeof(sig_bytes));

    tok = token_of(h, p, s, len);

    free(h);
    free(p);
    free(s);

    return tok;
}


static ticket_reason_t
parse_with(const char *header, const char *payload, const char *roles_path)
{
    char             *tok;
    size_t            len;
    ticket_t          t;
    ticket_str_t      rp, *rpp;
    ticket_reason_t   rc;

    rpp = NULL;

    if (roles_path != NULL) {
        rp.data = roles_path;
        rp.len = strlen(roles_path);
        rpp = &rp;
    }

    tok = make_token(header, payload, &len);

    ticket_init(&t);
    rc = ticket_parse(&t, tok, len, rpp);
    ticket_free(&t);

    free(tok);

    return rc;
}


static ticket_reason_t
parse_header(const char *header)
{
    return parse_with(header, CLAIMS, NULL);
}


static ticket_reason_t
parse_claims(const char *payload)
{
    return parse_with(HDR, payload, NULL);
}


static ticket_reason_t
parse_segments(const char *h, const char *p, const char *s)
{
    char             *tok;
    size_t            len;
    ticket_t          t;
    ticket_reason_t   rc;

    tok = token_of(h, p, s, &len);

    ticket_init(&t);
    rc = ticket_parse(&t, tok, len, NULL);
    ticket_free(&t);

    free(tok);

    return rc;
}


/*
 * The base claims with one of them dropped (drop) and raw members
 * appended (extra, may be ""); a static buffer.
 */

static const char *
claims(const char *drop, const char *extra)
{
    char         *p;
    size_t        i;
    static char   buf[8192];

    p = buf;
    *p++ = '{';

    for (i = 0; i < sizeof(base_claims) / sizeof(base_claims[0]); i++) {
        if (drop != NULL && strcmp(drop, base_claims[i].name) == 0) {
            continue;
        }

        p += sprintf(p, "%s\"%s\":%s", p == buf + 1 ? "" : ",",
                     base_claims[i].name, base_claims[i].value);
    }

    if (extra[0] != '\0') {
        p += sprintf(p, "%s%s", p == buf + 1 ? "" : ",", extra);
    }

    *p++ = '}';
    *p = '\0';

    return buf;
}


/* replace claim name by the raw JSON value */

static ticket_reason_t
parse_claim(const char *name, const char *value)
{
    char  extra[4096];

    snprintf(extra, sizeof(extra), "\"%s\":%s", name, value);

    return parse_claims(claims(name, extra));
}


/* {"alg":"HS256", before "x": depth-1 nested arrays} */

static char *
nested(const char *before, size_t depth)
{
    char    *s, *p;
    size_t   i;

    s = malloc(strlen(before) + depth * 2 + 16);
    assert_non_null(s);

    p = s + sprintf(s, "{%s\"x\":", before);

    for (i = 1; i < depth; i++) {
        *p++ = '[';
    }

    *p++ = '0';

    for (i = 1; i < depth; i++) {
        *p++ = ']';
    }

    *p++ = '}';
    *p = '\0';

    return s;
}


static void
test_ok(void **state)
{
    char      *tok, *h, *p;
    size_t     len;
    ticket_t   t;

    tok = make_token(HDR, CLAIMS, &len);

    ticket_init(&t);
    assert_int_equal(ticket_parse(&t, tok, len, NULL), TICKET_OK);

    h = b64(HDR, strlen(HDR));
    p = b64(CLAIMS, strlen(CLAIMS));

    assert_ptr_equal(t.signing_input, tok);
    assert_int_equal(t.signing_input_len, strlen(h) + 1 + strlen(p));
    assert_memory_equal(t.signing_input + strlen(h), ".", 1);

    assert_int_equal(t.sig_len, sizeof(sig_bytes));
    assert_memory_equal(t.sig, sig_bytes, sizeof(sig_bytes));

    assert_non_null(t.header);
    assert_non_null(t.claims);

    assert_int_equal(t.alg, TICKET_ALG_HS256);
    assert_int_equal(t.alg_name.len, 5);
    assert_memory_equal(t.alg_name.data, "HS256", 5);
    assert_int_equal(t.kid.len, 2);
    assert_memory_equal(t.kid.data, "k1", 2);
    assert_int_equal(t.typ.len, 3);
    assert_memory_equal(t.typ.data, "JWT", 3);

    assert_int_equal(t.sub.len, 5);
    assert_memory_equal(t.sub.data, "alice", 5);
    assert_int_equal(t.kind, TICKET_KIND_USER);
    assert_int_equal(t.kind_name.len, 4);
    assert_memory_equal(t.kind_name.data, "user", 4);
    assert_int_equal(t.jti.len, 2);
    assert_memory_equal(t.jti.data, "j1", 2);
    assert_int_equal(t.iat, 1000);
    assert_int_equal(t.exp, 2000);
    assert_int_equal(t.has_nbf, 0);

    assert_null(t.iss.data);
    assert_null(t.tenant.data);
    assert_null(t.sid.data);
    assert_null(t.aud);
    assert_null(t.roles);
    assert_null(t.key);
    assert_int_equal(t.verified, 0);

    ticket_free(&t);

    /* ticket_free() resets: a second one is harmless */

    assert_null(t.header);
    assert_null(t.sig);
    ticket_free(&t);

    free(h);
    free(p);
    free(tok);
}


static void
test_all_claims(void **state)
{
    char      *tok;
    size_t     len;
    ticket_t   t;

    static const char  payload[] =
        "{\"sub\":\"svc-billing\",\"kind\":\"service\",\"jti\":\"j2\","
        "\"iat\":1000,\"exp\":2000,\"nbf\":900,\"iss\":\"https://idp\","
        "\"aud\":[\"orders\",\"billing\"],\"tenant\":\"acme\","
        "\"sid\":\"s1\",\"roles\":[\"reader\",\"writer\"],"
        "\"extra\":{\"anything\":[1,2,null]}}";

    tok = make_token("{\"alg\":\"ES256\"}", payload, &len);

    ticket_init(&t);
    assert_int_equal(ticket_parse(&t, tok, len, NULL), TICKET_OK);

    assert_int_equal(t.alg, TICKET_ALG_ES256);
    assert_null(t.kid.data);
    assert_int_equal(t.kid.len, 0);
    assert_null(t.typ.data);

    assert_int_equal(t.kind, TICKET_KIND_SERVICE);
    assert_memory_equal(t.kind_name.data, "service", 7);
    assert_int_equal(t.has_nbf, 1);
    assert_int_equal(t.nbf, 900);
    assert_int_equal(t.iss.len, 11);
    assert_memory_equal(t.iss.data, "https://idp", 11);
    assert_true(ticket_jv_is_array(t.aud));
    assert_int_equal(t.tenant.len, 4);
    assert_memory_equal(t.tenant.data, "acme", 4);
    assert_int_equal(t.sid.len, 2);
    assert_memory_equal(t.sid.data, "s1", 2);
    assert_true(ticket_jv_is_array(t.roles));
    assert_int_equal(t.roles->n, 2);

    ticket_free(&t);
    free(tok);
}


/* a size limit in bytes of compact serialization, both sides of it */

static void
test_size(void **state)
{
    char             *h, *p, *s, *tok, *pad;
    size_t            len, hl, pl, padn, need, k;
    ticket_t          t;
    unsigned char    *raw;
    ticket_reason_t   rc;

    ticket_init(&t);
    assert_int_equal(ticket_parse(&t, "", 0, NULL), TICKET_MALFORMED);
    ticket_free(&t);

    assert_int_equal(ticket_parse(&t, NULL, 0, NULL), TICKET_MALFORMED);
    ticket_free(&t);

    /* a valid ticket of exactly TICKET_MAX_SIZE bytes, then one more */

    h = b64(HDR, strlen(HDR));
    hl = strlen(h);

    for (padn = 10000; ; padn++) {
        pad = malloc(padn + 1);
        assert_non_null(pad);
        memset(pad, 'x', padn);
        pad[padn] = '\0';

        p = malloc(padn + 256);
        assert_non_null(p);
        sprintf(p, "{\"sub\":\"a\",\"kind\":\"user\",\"jti\":\"j\","
                "\"iat\":1,\"exp\":2,\"pad\":\"%s\"}", pad);
        free(pad);

        s = b64(p, strlen(p));
        free(p);
        p = s;
        pl = strlen(p);

        /* need and need + 1 characters must both be valid lengths */

        need = TICKET_MAX_SIZE - hl - pl - 2;
        if (need % 4 >= 2) {
            break;
        }

        free(p);
    }

    k = need / 4 * 3 + (need % 4 ? need % 4 - 1 : 0);
    assert_int_equal(ticket_b64url_encoded_len(k), need);

    raw = calloc(1, k + 1);
    assert_non_null(raw);
    s = b64(raw, k);

    tok = token_of(h, p, s, &len);
    assert_int_equal(len, TICKET_MAX_SIZE);

    rc = ticket_parse(&t, tok, len, NULL);
    assert_int_equal(rc, TICKET_OK);
    assert_int_equal(t.sig_len, k);
    ticket_free(&t);
    free(tok);
    free(s);

    /* one byte more, valid in every other respect */

    s = b64(raw, k + 1);
    assert_int_equal(strlen(s), need + 1);

    tok = token_of(h, p, s, &len);
    assert_int_equal(len, TICKET_MAX_SIZE + 1);

    assert_int_equal(ticket_parse(&t, tok, len, NULL), TICKET_MALFORMED);
    ticket_free(&t);

    free(tok);
    free(s);
    free(raw);
    free(p);
    free(h);
}


static void
test_segments(void **state)
{
    char             *h, *p, *tok;
    size_t            len;
    ticket_t          t;
    ticket_reason_t   rc;

    h = b64(HDR, strlen(HDR));
    p = b64(CLAIMS, strlen(CLAIMS));

    assert_int_equal(parse_segments(h, p, "AAAA"), TICKET_OK);

    /* an empty signature parses: the key check calls it bad_signature */

    tok = token_of(h, p, "", &len);
    ticket_init(&t);
    assert_int_equal(ticket_parse(&t, tok, len, NULL), TICKET_OK);
    assert_int_equal(t.sig_len, 0);
    ticket_free(&t);
    free(tok);

    assert_int_equal(parse_segments("", p, "AAAA"), TICKET_MALFORMED);
    assert_int_equal(parse_segments(h, "", "AAAA"), TICKET_MALFORMED);
    assert_int_equal(parse_segments("", "", ""), TICKET_MALFORMED);

    /* two segments, four, five */

    tok = token_of(h, p, "", &len);
    ticket_init(&t);
    rc = ticket_parse(&t, tok, len - 1, NULL);
    assert_int_equal(rc, TICKET_MALFORMED);
    ticket_free(&t);
    free(tok);

    assert_int_equal(parse_segments(h, p, "AAAA."), TICKET_MALFORMED);
    assert_int_equal(parse_segments(h, p, "AAAA.AAAA"), TICKET_MALFORMED);
    assert_int_equal(parse_segments(h, p, ".AAAA"), TICKET_MALFORMED);
    assert_int_equal(parse_segments(h, p, "AA.AA.AA"), TICKET_MALFORMED);

    /* a JWE has five; one segment has no dot at all */

    assert_int_equal(parse_segments(h, "", "AAAA.AAAA.AAAA"),
                     TICKET_MALFORMED);

    ticket_init(&t);
    assert_int_equal(ticket_parse(&t, h, strlen(h), NULL), TICKET_MALFORMED);
    ticket_free(&t);

    ticket_init(&t);
    assert_int_equal(ticket_parse(&t, ".", 1, NULL), TICKET_MALFORMED);
    assert_int_equal(ticket_parse(&t, "..", 2, NULL), TICKET_MALFORMED);
    assert_int_equal(ticket_parse(&t, "...", 3, NULL), TICKET_MALFORMED);
    ticket_free(&t);

    free(h);
    free(p);
}


/* each segment must be canonical base64url, unpadded */

static void
test_base64(void **state)
{
    char    *h, *p, *hb, *pb;
    size_t   i;

    static const char  *bad[] = {
        "AAAA=", "AA==", "AAA=", "AA+A", "AA/A", "AA A", "AAAA\n",
        " AAAA", "AAAA\t", "AAAAA", "Zh", "Zm9", "AA%2B", "AA\x80"
    };

    h = b64(HDR, strlen(HDR));
    p = b64(CLAIMS, strlen(CLAIMS));

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(parse_segments(h, p, bad[i]), TICKET_MALFORMED);
    }

    /* the segments as standard base64 would have them, or padded */

    hb = malloc(strlen(h) + 8);
    pb = malloc(strlen(p) + 8);
    assert_non_null(hb);
    assert_non_null(pb);

    for (i = 0; i < 3; i++) {
        sprintf(hb, "%s%.*s", h, (int) i + 1, "===");
        sprintf(pb, "%s%.*s", p, (int) i + 1, "===");

        assert_int_equal(parse_segments(hb, p, "AAAA"), TICKET_MALFORMED);
        assert_int_equal(parse_segments(h, pb, "AAAA"), TICKET_MALFORMED);
    }

    sprintf(hb, "%s", h);
    hb[3] = '+';
    assert_int_equal(parse_segments(hb, p, "AAAA"), TICKET_MALFORMED);
    hb[3] = '/';
    assert_int_equal(parse_segments(hb, p, "AAAA"), TICKET_MALFORMED);
    hb[3] = ' ';
    assert_int_equal(parse_segments(hb, p, "AAAA"), TICKET_MALFORMED);

    sprintf(pb, "%s", p);
    pb[7] = '+';
    assert_int_equal(parse_segments(h, pb, "AAAA"), TICKET_MALFORMED);
    pb[7] = '/';
    assert_int_equal(parse_segments(h, pb, "AAAA"), TICKET_MALFORMED);

    /* a header of length 4n+1 */

    sprintf(hb, "%sA", h);
    if (strlen(hb) % 4 == 1) {
        assert_int_equal(parse_segments(hb, p, "AAAA"), TICKET_MALFORMED);
    }

    free(hb);
    free(pb);
    free(h);
    free(p);
}


/* "{}" is e30; e31 would carry a non-zero trailing bit */

static void
test_base64_trailing_bits(void **state)
{
    char  *p;

    p = b64(CLAIMS, strlen(CLAIMS));

    assert_int_equal(parse_segments("eyJhbGciOiJIUzI1NiJ9", p, ""),
                     TICKET_OK);

    /* {"alg":"HS256"}: 15 bytes, 20 chars, no partial group */
    /* {"alg":"HS256" }: 16 bytes, last char "Q" of 22; "R" is lax */

    assert_int_equal(parse_segments("eyJhbGciOiJIUzI1NiIgfQ", p, ""),
                     TICKET_OK);
    assert_int_equal(parse_segments("eyJhbGciOiJIUzI1NiIgfR", p, ""),
                     TICKET_MALFORMED);
    assert_int_equal(parse_segments("eyJhbGciOiJIUzI1NiIgfQ", p, "AB"),
                     TICKET_MALFORMED);
    assert_int_equal(parse_segments("eyJhbGciOiJIUzI1NiIgfQ", p, "AAB"),
                     TICKET_MALFORMED);
    assert_int_equal(parse_segments("eyJhbGciOiJIUzI1NiIgfQ", p, "AAE"),
                     TICKET_OK);

    free(p);
}


static void
test_header_json(void **state)
{
    char  *s;

    assert_int_equal(parse_header("{\"alg\":\"HS256\""), TICKET_MALFORMED);
    assert_int_equal(parse_header("[\"HS256\"]"), TICKET_MALFORMED);
    assert_int_equal(parse_header("\"HS256\""), TICKET_MALFORMED);
    assert_int_equal(parse_header("null"), TICKET_MALFORMED);
    assert_int_equal(parse_header("{\"alg\":\"HS256\"} "), TICKET_OK);
    assert_int_equal(parse_header("{\"alg\":\"HS256\"}x"), TICKET_MALFORMED);
    assert_int_equal(parse_header("{\"alg\":\"HS256\",\"alg\":\"HS256\"}"),
                     TICKET_MALFORMED);
    assert_int_equal(parse_header("{\"alg\":\"RS256\",\"alg\":\"HS256\"}"),
                     TICKET_MALFORMED);
    assert_int_equal(parse_header("{\"alg\":\"HS256\",\"kid\":\"a\\u0000\"}"),
                     TICKET_MALFORMED);
    assert_int_equal(parse_header("{\"alg\":\"HS256\",\"kid\":\"\xc3\x28\"}"),
                     TICKET_MALFORMED);

    s = nested("\"alg\":\"HS256\",", 16);
    assert_int_equal(parse_header(s), TICKET_OK);
    free(s);

    s = nested("\"alg\":\"HS256\",", 17);
    assert_int_equal(parse_header(s), TICKET_MALFORMED);
    free(s);
}


static void
test_crit(void **state)
{
    assert_int_equal(parse_header("{\"alg\":\"HS256\",\"crit\":[\"exp\"]}"),
                     TICKET_MALFORMED);
    assert_int_equal(parse_header("{\"alg\":\"HS256\",\"crit\":[]}"),
                     TICKET_MALFORMED);
    assert_int_equal(parse_header("{\"alg\":\"HS256\",\"crit\":null}"),
                     TICKET_MALFORMED);
    assert_int_equal(parse_header("{\"crit\":[\"b64\"],\"b64\":false,"
                                  "\"alg\":\"HS256\"}"),
                     TICKET_MALFORMED);

    /* a claim of that name is just a claim */

    assert_int_equal(parse_claims(claims(NULL, "\"crit\":[\"x\"]")),
                     TICKET_OK);
}


static void
test_untrusted_key_headers(void **state)
{
    size_t  i;
    char    h[256];

    static const char  *names[] = { "jku", "jwk", "x5u", "x5c" };
    static const char  *values[] = {
        "\"https://evil/jwks\"", "{\"kty\":\"oct\",\"k\":\"AAAA\"}",
        "[\"MIIB\"]", "null", "\"\"", "1"
    };

    for (i = 0; i < sizeof(names) / sizeof(names[0]) * 6; i++) {
        snprintf(h, sizeof(h), "{\"alg\":\"HS256\",\"kid\":\"k1\",\"%s\":%s}",
                 names[i / 6], values[i % 6]);
        assert_int_equal(parse_header(h), TICKET_UNTRUSTED_KEY_HEADER);
    }

    /* x5t is a thumbprint, not a key source: ignored */

    assert_int_equal(parse_header("{\"alg\":\"RS256\",\"x5t\":\"abc\"}"),
                     TICKET_OK);

    /* names are exact */

    assert_int_equal(parse_header("{\"alg\":\"RS256\",\"JKU\":\"x\"}"),
                     TICKET_OK);

    /* in the claims they mean nothing */

    assert_int_equal(parse_claims(claims(NULL, "\"jku\":\"x\"")), TICKET_OK);
}


static void
test_alg(void **state)
{
    char      *tok;
    size_t     len;
    ticket_t   t;

    assert_int_equal(parse_header("{\"kid\":\"k1\"}"), TICKET_MALFORMED);
    assert_int_equal(parse_header("{}"), TICKET_MALFORMED);
    assert_int_equal(parse_header("{\"alg\":256}"), TICKET_MALFORMED);
    assert_int_equal(parse_header("{\"alg\":null}"), TICKET_MALFORMED);
    assert_int_equal(parse_header("{\"alg\":true}"), TICKET_MALFORMED);
    assert_int_equal(parse_header("{\"alg\":[\"HS256\"]}"), TICKET_MALFORMED);
    assert_int_equal(parse_header("{\"alg\":{}}"), TICKET_MALFORMED);

    /* unknown algorithms parse: the key check reports alg_mismatch */

    tok = make_token("{\"alg\":\"none\"}", CLAIMS, &len);
    ticket_init(&t);
    assert_int_equal(ticket_parse(&t, tok, len, NULL), TICKET_OK);
    assert_int_equal(t.alg, TICKET_ALG_UNKNOWN);
    assert_int_equal(t.alg_name.len, 4);
    assert_memory_equal(t.alg_name.data, "none", 4);
    ticket_free(&t);
    free(tok);

    tok = make_token("{\"alg\":\"hs256\"}", CLAIMS, &len);
    ticket_init(&t);
    assert_int_equal(ticket_parse(&t, tok, len, NULL), TICKET_OK);
    assert_int_equal(t.alg, TICKET_ALG_UNKNOWN);
    ticket_free(&t);
    free(tok);

    tok = make_token("{\"alg\":\"\"}", CLAIMS, &len);
    ticket_init(&t);
    assert_int_equal(ticket_parse(&t, tok, len, NULL), TICKET_OK);
    assert_int_equal(t.alg, TICKET_ALG_UNKNOWN);
    assert_int_equal(t.alg_name.len, 0);
    ticket_free(&t);
    free(tok);

    tok = make_token("{\"alg\":\"EdDSA\"}", CLAIMS, &len);
    ticket_init(&t);
    assert_int_equal(ticket_parse(&t, tok, len, NULL), TICKET_OK);
    assert_int_equal(t.alg, TICKET_ALG_EDDSA);
    ticket_free(&t);
    free(tok);
}


static void
test_kid_typ(void **state)
{
    assert_int_equal(parse_header("{\"alg\":\"HS256\",\"kid\":1}"),
                     TICKET_MALFORMED);
    assert_int_equal(parse_header("{\"alg\":\"HS256\",\"kid\":null}"),
                     TICKET_MALFORMED);
    assert_int_equal(parse_header("{\"alg\":\"HS256\",\"kid\":[\"k1\"]}"),
                     TICKET_MALFORMED);
    assert_int_equal(parse_header("{\"alg\":\"HS256\",\"typ\":1}"),
                     TICKET_MALFORMED);
    assert_int_equal(parse_header("{\"alg\":\"HS256\",\"typ\":false}"),
                     TICKET_MALFORMED);
    assert_int_equal(parse_header("{\"alg\":\"HS256\",\"kid\":\"\"}"),
                     TICKET_OK);
    assert_int_equal(parse_header("{\"alg\":\"HS256\",\"typ\":\"at+jwt\"}"),
                     TICKET_OK);

    /* other members are ignored, whatever their type */

    assert_int_equal(parse_header("{\"alg\":\"HS256\",\"cty\":1,"
                                  "\"zip\":{},\"x\":[null]}"),
                     TICKET_OK);
}


/* structure, header JSON, crit, key headers, alg, then the claims */

static void
test_order(void **state)
{
    char  *h, *p;

    /* bad base64 in the signature comes before a key header */

    h = b64("{\"alg\":\"HS256\",\"jku\":\"x\"}",
            sizeof("{\"alg\":\"HS256\",\"jku\":\"x\"}") - 1);
    p = b64(CLAIMS, strlen(CLAIMS));
    assert_int_equal(parse_segments(h, p, "AAAA"),
                     TICKET_UNTRUSTED_KEY_HEADER);
    assert_int_equal(parse_segments(h, p, "AA=A"), TICKET_MALFORMED);
    assert_int_equal(parse_segments(h, "e30=", "AAAA"), TICKET_MALFORMED);
    free(h);
    free(p);

    /* crit before jku */

    assert_int_equal(parse_header("{\"alg\":\"HS256\",\"jku\":\"x\","
                                  "\"crit\":[]}"),
                     TICKET_MALFORMED);

    /* jku before alg, kid and typ */

    assert_int_equal(parse_header("{\"alg\":1,\"jwk\":{}}"),
                     TICKET_UNTRUSTED_KEY_HEADER);
    assert_int_equal(parse_header("{\"jwk\":{}}"),
                     TICKET_UNTRUSTED_KEY_HEADER);
    assert_int_equal(parse_header("{\"alg\":\"HS256\",\"kid\":1,"
                                  "\"x5u\":\"x\"}"),
                     TICKET_UNTRUSTED_KEY_HEADER);

    /* the header before the claims */

    assert_int_equal(parse_with("{\"alg\":\"HS256\",\"x5c\":[]}", "[]", NULL),
                     TICKET_UNTRUSTED_KEY_HEADER);
    assert_int_equal(parse_with("{\"alg\":\"HS256\",\"x5c\":[]}", "{}", NULL),
                     TICKET_UNTRUSTED_KEY_HEADER);
}


static void
test_claims_json(void **state)
{
    char  *s;

    assert_int_equal(parse_claims("[]"), TICKET_MALFORMED);
    assert_int_equal(parse_claims("\"alice\""), TICKET_MALFORMED);
    assert_int_equal(parse_claims("1"), TICKET_MALFORMED);
    assert_int_equal(parse_claims(""), TICKET_MALFORMED);
    assert_int_equal(parse_claims("{\"sub\":\"alice\""), TICKET_MALFORMED);
    assert_int_equal(parse_claims(CLAIMS "x"), TICKET_MALFORMED);

    /* duplicate claims: which one counts would be the reader's guess */

    assert_int_equal(parse_claims(claims(NULL, "\"sub\":\"mallory\"")),
                     TICKET_MALFORMED);
    assert_int_equal(parse_claims(claims(NULL, "\"exp\":9999999999")),
                     TICKET_MALFORMED);
    assert_int_equal(parse_claims(claims(NULL, "\"x\":1,\"x\":1")),
                     TICKET_MALFORMED);
    assert_int_equal(parse_claims(claims(NULL, "\"r\":{\"a\":1,\"a\":2}")),
                     TICKET_MALFORMED);

    /* depth: the claims object is the first level */

    s = nested("\"sub\":\"a\",\"kind\":\"user\",\"jti\":\"j\",\"iat\":1,"
               "\"exp\":2,", 16);
    assert_int_equal(parse_claims(s), TICKET_OK);
    free(s);

    s = nested("\"sub\":\"a\",\"kind\":\"user\",\"jti\":\"j\",\"iat\":1,"
               "\"exp\":2,", 17);
    assert_int_equal(parse_claims(s), TICKET_MALFORMED);
    free(s);
}


/* no string handed out can hold a NUL: jansson refuses \u0000 */

static void
test_claims_strings(void **state)
{
    assert_int_equal(parse_claim("sub", "\"alice\\u0000admin\""),
                     TICKET_MALFORMED);
    assert_int_equal(parse_claim("sub", "\"\\u0000\""), TICKET_MALFORMED);
    assert_int_equal(parse_claim("tenant", "\"acme\\u0000x\""),
                     TICKET_MALFORMED);
    assert_int_equal(parse_claim("roles", "[\"admin\\u0000\"]"),
                     TICKET_MALFORMED);
    assert_int_equal(parse_claims(claims(NULL, "\"other\":\"\\u0000\"")),
                     TICKET_MALFORMED);

    /* other escaped control characters are plain data */

    assert_int_equal(parse_claim("sub", "\"a\\u0001\\n\\r\\t\\u001f\""),
                     TICKET_OK);
    assert_int_equal(parse_claim("sub", "\"a\\\"b\\\\c\\/d\""), TICKET_OK);

    /* raw control bytes are not JSON */

    assert_int_equal(parse_claim("sub", "\"a\x01\""), TICKET_MALFORMED);
    assert_int_equal(parse_claim("sub", "\"a\nb\""), TICKET_MALFORMED);

    /* invalid UTF-8 */

    assert_int_equal(parse_claim("sub", "\"caf\xc3\xa9\""), TICKET_OK);
    assert_int_equal(parse_claim("sub", "\"caf\xe9\""), TICKET_MALFORMED);
    assert_int_equal(parse_claim("sub", "\"\xc0\xaf\""), TICKET_MALFORMED);
    assert_int_equal(parse_claim("sub", "\"\xed\xa0\x80\""), TICKET_MALFORMED);
    assert_int_equal(parse_claims(claims(NULL, "\"n\xff\":1")),
                     TICKET_MALFORMED);
}


static void
test_sub_jti(void **state)
{
    assert_int_equal(parse_claims(claims("sub", "")), TICKET_MALFORMED);
    assert_int_equal(parse_claim("sub", "\"\""), TICKET_MALFORMED);
    assert_int_equal(parse_claim("sub", "1"), TICKET_MALFORMED);
    assert_int_equal(parse_claim("sub", "null"), TICKET_MALFORMED);
    assert_int_equal(parse_claim("sub", "[\"alice\"]"), TICKET_MALFORMED);
    assert_int_equal(parse_claim("sub", "\" \""), TICKET_OK);

    assert_int_equal(parse_claims(claims("jti", "")), TICKET_MALFORMED);
    assert_int_equal(parse_claim("jti", "\"\""), TICKET_MALFORMED);
    assert_int_equal(parse_claim("jti", "42"), TICKET_MALFORMED);
    assert_int_equal(parse_claim("jti", "{}"), TICKET_MALFORMED);
}


static void
test_kind(void **state)
{
    assert_int_equal(parse_claims(claims("kind", "")), TICKET_MALFORMED);
    assert_int_equal(parse_claim("kind", "\"service\""), TICKET_OK);
    assert_int_equal(parse_claim("kind", "\"user\""), TICKET_OK);
    assert_int_equal(parse_claim("kind", "\"User\""), TICKET_MALFORMED);
    assert_int_equal(parse_claim("kind", "\"users\""), TICKET_MALFORMED);
    assert_int_equal(parse_claim("kind", "\"use\""), TICKET_MALFORMED);
    assert_int_equal(parse_claim("kind", "\"user \""), TICKET_MALFORMED);
    assert_int_equal(parse_claim("kind", "\"admin\""), TICKET_MALFORMED);
    assert_int_equal(parse_claim("kind", "\"any\""), TICKET_MALFORMED);
    assert_int_equal(parse_claim("kind", "\"\""), TICKET_MALFORMED);
    assert_int_equal(parse_claim("kind", "1"), TICKET_MALFORMED);
    assert_int_equal(parse_claim("kind", "3"), TICKET_MALFORMED);
    assert_int_equal(parse_claim("kind", "[\"user\"]"), TICKET_MALFORMED);
    assert_int_equal(parse_claim("kind", "null"), TICKET_MALFORMED);
}


static void
time_rules(const char *name, int required)
{
    assert_int_equal(parse_claims(claims(name, "")),
                     required ? TICKET_MALFORMED : TICKET_OK);

    assert_int_equal(parse_claim(name, "0"), TICKET_OK);
    assert_int_equal(parse_claim(name, "1500"), TICKET_OK);
    assert_int_equal(parse_claim(name, "253402300799"), TICKET_OK);
    assert_int_equal(parse_claim(name, "253402300800"), TICKET_MALFORMED);
    assert_int_equal(parse_claim(name, "9223372036854775807"),
                     TICKET_MALFORMED);
    assert_int_equal(parse_claim(name, "99999999999999999999"),
                     TICKET_MALFORMED);
    assert_int_equal(parse_claim(name, "-1"), TICKET_MALFORMED);
    assert_int_equal(parse_claim(name, "-9223372036854775808"),
                     TICKET_MALFORMED);

    assert_int_equal(parse_claim(name, "\"1500\""), TICKET_MALFORMED);
    assert_int_equal(parse_claim(name, "true"), TICKET_MALFORMED);
    assert_int_equal(parse_claim(name, "false"), TICKET_MALFORMED);
    assert_int_equal(parse_claim(name, "null"), TICKET_MALFORMED);
    assert_int_equal(parse_claim(name, "[1500]"), TICKET_MALFORMED);
    assert_int_equal(parse_claim(name, "{}"), TICKET_MALFORMED);

    assert_int_equal(parse_claim(name, "1500.9"), TICKET_OK);
    assert_int_equal(parse_claim(name, "0.5"), TICKET_OK);
    assert_int_equal(parse_claim(name, "-0.0"), TICKET_OK);
    assert_int_equal(parse_claim(name, "-0.5"), TICKET_MALFORMED);
    assert_int_equal(parse_claim(name, "1.5e3"), TICKET_OK);
    assert_int_equal(parse_claim(name, "253402300799.9"), TICKET_OK);
    assert_int_equal(parse_claim(name, "253402300800.0"), TICKET_MALFORMED);
    assert_int_equal(parse_claim(name, "1e19"), TICKET_MALFORMED);
    assert_int_equal(parse_claim(name, "1e300"), TICKET_MALFORMED);
    assert_int_equal(parse_claim(name, "-1e300"), TICKET_MALFORMED);
    assert_int_equal(parse_claim(name, "1e400"), TICKET_MALFORMED);
}


static void
test_iat_exp_nbf(void **state)
{
    time_rules("iat", 1);
    time_rules("exp", 1);
    time_rules("nbf", 0);
}


/* reals are floored; nbf is remembered as present */

static void
test_time_values(void **state)
{
    char      *tok;
    size_t     len;
    ticket_t   t;

    tok = make_token(HDR, claims("exp", "\"exp\":1999.99,\"nbf\":0.7"), &len);
    ticket_init(&t);
    assert_int_equal(ticket_parse(&t, tok, len, NULL), TICKET_OK);
    assert_int_equal(t.exp, 1999);
    assert_int_equal(t.has_nbf, 1);
    assert_int_equal(t.nbf, 0);
    ticket_free(&t);
    free(tok);

    tok = make_token(HDR, claims("iat", "\"iat\":253402300799.5"), &len);
    ticket_init(&t);
    assert_int_equal(ticket_parse(&t, tok, len, NULL), TICKET_OK);
    assert_int_equal(t.iat, 253402300799LL);
    assert_int_equal(t.has_nbf, 0);
    ticket_free(&t);
    free(tok);
}


static void
test_iss(void **state)
{
    assert_int_equal(parse_claims(claims(NULL, "\"iss\":\"https://idp\"")),
                     TICKET_OK);
    assert_int_equal(parse_claims(claims(NULL, "\"iss\":\"\"")), TICKET_OK);
    assert_int_equal(parse_claims(claims(NULL, "\"iss\":1")),
                     TICKET_MALFORMED);
    assert_int_equal(parse_claims(claims(NULL, "\"iss\":null")),
                     TICKET_MALFORMED);
    assert_int_equal(parse_claims(claims(NULL, "\"iss\":[\"a\"]")),
                     TICKET_MALFORMED);
}


static void
test_aud(void **state)
{
    assert_int_equal(parse_claims(claims(NULL, "\"aud\":\"orders\"")),
                     TICKET_OK);
    assert_int_equal(parse_claims(claims(NULL, "\"aud\":[\"a\",\"b\"]")),
                     TICKET_OK);
    assert_int_equal(parse_claims(claims(NULL, "\"aud\":[]")), TICKET_OK);
    assert_int_equal(parse_claims(claims(NULL, "\"aud\":[\"a\",1]")),
                     TICKET_MALFORMED);
    assert_int_equal(parse_claims(claims(NULL, "\"aud\":[[\"a\"]]")),
                     TICKET_MALFORMED);
    assert_int_equal(parse_claims(claims(NULL, "\"aud\":[null]")),
                     TICKET_MALFORMED);
    assert_int_equal(parse_claims(claims(NULL, "\"aud\":1")),
                     TICKET_MALFORMED);
    assert_int_equal(parse_claims(claims(NULL, "\"aud\":null")),
                     TICKET_MALFORMED);
    assert_int_equal(parse_claims(claims(NULL, "\"aud\":{\"a\":\"b\"}")),
                     TICKET_MALFORMED);
    assert_int_equal(parse_claims(claims(NULL, "\"aud\":true")),
                     TICKET_MALFORMED);
}


static void
test_tenant_sid(void **state)
{
    assert_int_equal(parse_claims(claims(NULL, "\"tenant\":\"acme\"")),
                     TICKET_OK);
    assert_int_equal(parse_claims(claims(NULL, "\"tenant\":\"\"")),
                     TICKET_MALFORMED);
    assert_int_equal(parse_claims(claims(NULL, "\"tenant\":\"a/b\"")),
                     TICKET_MALFORMED);
    assert_int_equal(parse_claims(claims(NULL, "\"tenant\":\"/\"")),
                     TICKET_MALFORMED);
    assert_int_equal(parse_claims(claims(NULL, "\"tenant\":\"acme/\"")),
                     TICKET_MALFORMED);
    assert_int_equal(parse_claims(claims(NULL, "\"tenant\":\"\\/acme\"")),
                     TICKET_MALFORMED);
    assert_int_equal(parse_claims(claims(NULL, "\"tenant\":\"a\\\\b\"")),
                     TICKET_OK);
    assert_int_equal(parse_claims(claims(NULL, "\"tenant\":1")),
                     TICKET_MALFORMED);
    assert_int_equal(parse_claims(claims(NULL, "\"tenant\":null")),
                     TICKET_MALFORMED);

    /* a "/" in sub is fine: the tenant, first, never holds one */

    assert_int_equal(parse_claim("sub", "\"a/b\""), TICKET_OK);

    assert_int_equal(parse_claims(claims(NULL, "\"sid\":\"s1\"")), TICKET_OK);
    assert_int_equal(parse_claims(claims(NULL, "\"sid\":\"\"")),
                     TICKET_MALFORMED);
    assert_int_equal(parse_claims(claims(NULL, "\"sid\":1")),
                     TICKET_MALFORMED);
    assert_int_equal(parse_claims(claims(NULL, "\"sid\":false")),
                     TICKET_MALFORMED);
}


static void
test_roles(void **state)
{
    char      *tok;
    size_t     len;
    ticket_t   t;

    assert_int_equal(parse_claims(claims(NULL, "\"roles\":[\"a\",\"b\"]")),
                     TICKET_OK);
    assert_int_equal(parse_claims(claims(NULL, "\"roles\":[]")), TICKET_OK);
    assert_int_equal(parse_claims(claims(NULL, "\"roles\":\"a b\"")),
                     TICKET_OK);
    assert_int_equal(parse_claims(claims(NULL, "\"roles\":\"\"")),
                     TICKET_OK);
    assert_int_equal(parse_claims(claims(NULL, "\"roles\":[\"a\",1]")),
                     TICKET_MALFORMED);
    assert_int_equal(parse_claims(claims(NULL, "\"roles\":[[\"a\"]]")),
                     TICKET_MALFORMED);
    assert_int_equal(parse_claims(claims(NULL, "\"roles\":1")),
                     TICKET_MALFORMED);
    assert_int_equal(parse_claims(claims(NULL, "\"roles\":true")),
                     TICKET_MALFORMED);
    assert_int_equal(parse_claims(claims(NULL, "\"roles\":null")),
                     TICKET_MALFORMED);
    assert_int_equal(parse_claims(claims(NULL, "\"roles\":{\"a\":1}")),
                     TICKET_MALFORMED);

    /* the string form is kept as it is */

    tok = make_token(HDR, claims(NULL, "\"roles\":\"a  b\""), &len);
    ticket_init(&t);
    assert_int_equal(ticket_parse(&t, tok, len, NULL), TICKET_OK);
    assert_true(ticket_jv_is_string(t.roles));
    assert_int_equal(t.roles->n, 4);
    assert_memory_equal(t.roles->u.s, "a  b", 4);
    ticket_free(&t);
    free(tok);
}


static void
test_roles_path(void **state)
{
    char          *tok;
    size_t         len;
    ticket_t       t;
    ticket_str_t   rp = S("realm_access.rolesXYZ");

    static const char  *kc =
        "\"realm_access\":{\"roles\":[\"admin\"]},\"roles\":42";

    /* only the configured path is read and typed */

    assert_int_equal(parse_with(HDR, claims(NULL, kc), "realm_access.roles"),
                     TICKET_OK);
    assert_int_equal(parse_with(HDR, claims(NULL, kc), NULL),
                     TICKET_MALFORMED);
    assert_int_equal(parse_with(HDR, claims(NULL, kc), ""),
                     TICKET_MALFORMED);
    assert_int_equal(parse_with(HDR, claims(NULL, "\"realm_access\":"
                                            "{\"roles\":1}"),
                                "realm_access.roles"),
                     TICKET_MALFORMED);
    assert_int_equal(parse_with(HDR, claims(NULL, "\"realm_access\":"
                                            "{\"roles\":{}}"),
                                "realm_access.roles"),
                     TICKET_MALFORMED);

    /* a path through a non-object, or absent: no roles */

    assert_int_equal(parse_with(HDR, claims(NULL, "\"realm_access\":\"x\""),
                                "realm_access.roles"),
                     TICKET_OK);
    assert_int_equal(parse_with(HDR, CLAIMS, "realm_access.roles"),
                     TICKET_OK);
    assert_int_equal(parse_with(HDR, CLAIMS, "a..b"), TICKET_OK);

    /* the path is (data, len): "XYZ" is not part of it */

    rp.len = sizeof("realm_access.roles") - 1;

    tok = make_token(HDR, claims(NULL, kc), &len);
    ticket_init(&t);
    assert_int_equal(ticket_parse(&t, tok, len, &rp), TICKET_OK);
    assert_true(ticket_jv_is_array(t.roles));
    assert_int_equal(t.roles[1].n, 5);
    assert_memory_equal(t.roles[1].u.s, "admin", 5);
    ticket_free(&t);
    free(tok);

    tok = make_token(HDR, claims(NULL, "\"realm_access\":{\"roles\":\"r\"}"),
                     &len);
    ticket_init(&t);
    assert_int_equal(ticket_parse(&t, tok, len, &rp), TICKET_OK);
    assert_true(ticket_jv_is_string(t.roles));
    ticket_free(&t);

    /* the default path does not reach into it */

    ticket_init(&t);
    assert_int_equal(ticket_parse(&t, tok, len, NULL), TICKET_OK);
    assert_null(t.roles);
    ticket_free(&t);
    free(tok);
}


/* every error path leaves t freeable: run under ASan or valgrind */

static void
test_free_after_errors(void **state)
{
    char      *tok;
    size_t     i, j, len;
    ticket_t   t;

    static const char  *headers[] = {
        HDR, "{\"alg\":\"HS256\",\"jku\":\"x\"}", "{\"alg\":1}",
        "{\"crit\":[]}", "[]", "{\"alg\":\"HS256\",\"kid\":2}",
    };

    static const char  *payloads[] = {
        CLAIMS, "[]", "{}", "{\"sub\":1}", "not json",
        "{\"sub\":\"a\",\"kind\":\"user\",\"jti\":\"j\",\"iat\":1,"
        "\"exp\":2,\"roles\":[1]}",
    };

    for (i = 0; i < sizeof(headers) / sizeof(headers[0]); i++) {
        for (j = 0; j < sizeof(payloads) / sizeof(payloads[0]); j++) {
            tok = make_token(headers[i], payloads[j], &len);

            ticket_init(&t);
            (void) ticket_parse(&t, tok, len, NULL);
            ticket_free(&t);

            /* a parse into a freed ticket, twice */

            (void) ticket_parse(&t, tok, len, NULL);
            ticket_free(&t);
            ticket_free(&t);

            free(tok);
        }
    }
}




/* a ticket parsed under a policy's claim map: reason, kind, jti, why */

typedef struct {
    ticket_reason_t         rc;
    unsigned                kind;
    char                    kind_name[16];
    char                    jti[64];
    char                    why[96];
} mapped_t;


static mapped_t
parse_mapped(const char *payload, const ticket_policy_t *p)
{
    char      *tok;
    size_t     len;
    ticket_t   t;
    mapped_t   m;

    memset(&m, 0, sizeof(m));

    tok = make_token(HDR, payload, &len);

    ticket_init(&t);
    m.rc = ticket_parse_policy(&t, tok, len, p);
    m.kind = t.kind;

    if (m.rc == TICKET_OK) {
        snprintf(m.kind_name, sizeof(m.kind_name), "%.*s",
                 (int) t.kind_name.len, t.kind_name.data);
        snprintf(m.jti, sizeof(m.jti), "%.*s", (int) t.jti.len, t.jti.data);
    }

    snprintf(m.why, sizeof(m.why), "%s", t.why);

    ticket_free(&t);
    free(tok);

    return m;
}


#define set_str(s, lit)  ((s).data = (lit), (s).len = sizeof(lit) - 1)


static void
test_kind_claim(void **state)
{
    mapped_t           m;
    ticket_policy_t    p;
    ticket_kind_map_t  map[2];

    /* the default: "kind" with user and service as they are */

    memset(&p, 0, sizeof(p));

    m = parse_mapped(CLAIMS, &p);
    assert_int_equal(m.rc, TICKET_OK);
    assert_int_equal(m.kind, TICKET_KIND_USER);
    assert_string_equal(m.kind_name, "user");

    m = parse_mapped("{\"sub\":\"s\",\"jti\":\"j\",\"iat\":1,\"exp\":2}", &p);
    assert_int_equal(m.rc, TICKET_MALFORMED);
    assert_string_equal(m.why, "claim \"kind\" missing");

    m = parse_mapped("{\"sub\":\"s\",\"kind\":\"admin\",\"jti\":\"j\","
                     "\"iat\":1,\"exp\":2}", &p);
    assert_int_equal(m.rc, TICKET_MALFORMED);
    assert_string_equal(m.why, "claim \"kind\" value not mapped to a kind");

    m = parse_mapped("{\"sub\":\"s\",\"kind\":1,\"jti\":\"j\","
                     "\"iat\":1,\"exp\":2}", &p);
    assert_string_equal(m.why, "claim \"kind\" not a string");

    /* Auth0: gty client-credentials=service *=user default=user */

    set_str(p.kind_path, "gty");
    set_str(map[0].value, "client-credentials");
    map[0].kind = TICKET_KIND_SERVICE;
    p.kind_map = map;
    p.nkind_map = 1;
    p.kind_other = TICKET_KIND_USER;
    p.kind_default = TICKET_KIND_USER;

    m = parse_mapped("{\"sub\":\"x@clients\",\"gty\":\"client-credentials\","
                     "\"jti\":\"j\",\"iat\":1,\"exp\":2}", &p);
    assert_int_equal(m.rc, TICKET_OK);
    assert_int_equal(m.kind, TICKET_KIND_SERVICE);
    assert_string_equal(m.kind_name, "service");

    m = parse_mapped("{\"sub\":\"auth0|1\",\"gty\":\"password\","
                     "\"jti\":\"j\",\"iat\":1,\"exp\":2}", &p);
    assert_int_equal(m.kind, TICKET_KIND_USER);

    m = parse_mapped("{\"sub\":\"auth0|1\",\"jti\":\"j\",\"iat\":1,"
                     "\"exp\":2}", &p);
    assert_int_equal(m.rc, TICKET_OK);
    assert_int_equal(m.kind, TICKET_KIND_USER);

    /* a "kind" claim means nothing once the kind comes from elsewhere */

    m = parse_mapped("{\"sub\":\"auth0|1\",\"kind\":\"service\","
                     "\"jti\":\"j\",\"iat\":1,\"exp\":2}", &p);
    assert_int_equal(m.kind, TICKET_KIND_USER);

    /* no "*" and no default: unmapped and absent are malformed */

    p.kind_other = 0;
    p.kind_default = 0;

    m = parse_mapped("{\"sub\":\"a\",\"gty\":\"password\",\"jti\":\"j\","
                     "\"iat\":1,\"exp\":2}", &p);
    assert_int_equal(m.rc, TICKET_MALFORMED);
    assert_string_equal(m.why, "claim \"gty\" value not mapped to a kind");

    m = parse_mapped("{\"sub\":\"a\",\"jti\":\"j\",\"iat\":1,\"exp\":2}", &p);
    assert_string_equal(m.why, "claim \"gty\" missing");

    /* a nested path and a map of two values (Keycloak's typ) */

    set_str(p.kind_path, "ext.typ");
    set_str(map[0].value, "Bearer");
    map[0].kind = TICKET_KIND_USER;
    set_str(map[1].value, "Service");
    map[1].kind = TICKET_KIND_SERVICE;
    p.nkind_map = 2;

    m = parse_mapped("{\"sub\":\"a\",\"ext\":{\"typ\":\"Service\"},"
                     "\"jti\":\"j\",\"iat\":1,\"exp\":2}", &p);
    assert_int_equal(m.kind, TICKET_KIND_SERVICE);

    m = parse_mapped("{\"sub\":\"a\",\"ext\":{\"typ\":[\"Bearer\"]},"
                     "\"jti\":\"j\",\"iat\":1,\"exp\":2}", &p);
    assert_int_equal(m.rc, TICKET_MALFORMED);
    assert_string_equal(m.why, "claim \"ext.typ\" not a string");
}


static void
test_jti_claim(void **state)
{
    char             *tok, fp[TICKET_JTI_FP_LEN + 1];
    size_t            len;
    mapped_t          m;
    ticket_t          t;
    ticket_policy_t   p;

    static const char  *no_jti =
        "{\"sub\":\"s\",\"kind\":\"user\",\"iat\":1,\"exp\":2}";

    memset(&p, 0, sizeof(p));

    m = parse_mapped(no_jti, &p);
    assert_int_equal(m.rc, TICKET_MALFORMED);
    assert_string_equal(m.why, "claim \"jti\" missing");

    m = parse_mapped("{\"sub\":\"s\",\"kind\":\"user\",\"jti\":\"\","
                     "\"iat\":1,\"exp\":2}", &p);
    assert_string_equal(m.why, "claim \"jti\" empty");

    m = parse_mapped("{\"sub\":\"s\",\"kind\":\"user\",\"jti\":7,"
                     "\"iat\":1,\"exp\":2}", &p);
    assert_string_equal(m.why, "claim \"jti\" not a string");

    /* Entra ID: the ticket id is "uti" */

    set_str(p.jti_path, "uti");

    m = parse_mapped("{\"sub\":\"s\",\"kind\":\"user\",\"uti\":\"AbC-1\","
                     "\"jti\":\"other\",\"iat\":1,\"exp\":2}", &p);
    assert_int_equal(m.rc, TICKET_OK);
    assert_string_equal(m.jti, "AbC-1");

    m = parse_mapped(no_jti, &p);
    assert_string_equal(m.why, "claim \"uti\" missing");

    /* optional: the "fp:" id, the first 32 hex digits of SHA-256 */

    p.jti_optional = 1;

    tok = make_token(HDR, no_jti, &len);

    ticket_init(&t);
    assert_int_equal(ticket_parse_policy(&t, tok, len, &p), TICKET_OK);
    assert_int_equal(t.jti.len, TICKET_JTI_FP_LEN);
    assert_memory_equal(t.jti.data, "fp:", 3);
    assert_int_equal(strspn(t.jti.data + 3, "0123456789abcdef"), 32);

    assert_int_equal(ticket_jti_fingerprint(tok, len, fp), 0);
    assert_string_equal(fp, t.jti.data);

    /* the same as the audit record's token_fp, twice as long */

    assert_int_equal(ticket_jti_fingerprint("abc", 3, fp), 0);
    assert_string_equal(fp, "fp:ba7816bf8f01cfea414140de5dae2223");

    ticket_free(&t);
    free(tok);

    /* present, it is used even when optional */

    m = parse_mapped("{\"sub\":\"s\",\"kind\":\"user\",\"uti\":\"u1\","
                     "\"iat\":1,\"exp\":2}", &p);
    assert_string_equal(m.jti, "u1");
}


/* every malformed says which member failed and why */

static void
test_malformed_why(void **state)
{
    size_t            i;
    mapped_t          m;
    ticket_policy_t   p;

    static const struct {
        const char  *claims;
        const char  *why;
    } cases[] = {
        { "{\"kind\":\"user\",\"jti\":\"j\",\"iat\":1,\"exp\":2}",
          "claim \"sub\" missing" },
        { "{\"sub\":1,\"kind\":\"user\",\"jti\":\"j\",\"iat\":1,\"exp\":2}",
          "claim \"sub\" not a string" },
        { "{\"sub\":\"\",\"kind\":\"user\",\"jti\":\"j\",\"iat\":1,"
          "\"exp\":2}", "claim \"sub\" empty" },
        { "{\"sub\":\"s\",\"kind\":\"user\",\"jti\":\"j\",\"iat\":1,"
          "\"exp\":\"2\"}", "claim \"exp\" not a number" },
        { "{\"sub\":\"s\",\"kind\":\"user\",\"jti\":\"j\",\"iat\":1}",
          "claim \"exp\" missing" },
        { "{\"sub\":\"s\",\"kind\":\"user\",\"jti\":\"j\",\"iat\":-1,"
          "\"exp\":2}", "claim \"iat\" out of range" },
        { "{\"sub\":\"s\",\"kind\":\"user\",\"jti\":\"j\",\"iat\":1,"
          "\"exp\":2,\"nbf\":null}", "claim \"nbf\" not a number" },
        { "{\"sub\":\"s\",\"kind\":\"user\",\"jti\":\"j\",\"iat\":1,"
          "\"exp\":2,\"tenant\":\"a/b\"}", "claim \"tenant\" holds \"/\"" },
        { "{\"sub\":\"s\",\"kind\":\"user\",\"jti\":\"j\",\"iat\":1,"
          "\"exp\":2,\"aud\":[1]}",
          "claim \"aud\" not a string or an array of strings" },
        { "{\"sub\":\"s\",\"kind\":\"user\",\"jti\":\"j\",\"iat\":1,"
          "\"exp\":2,\"roles\":{}}",
          "claim \"roles\" not a string or an array of strings" },
        { "{\"sub\":\"s\",\"sub\":\"t\",\"kind\":\"user\",\"jti\":\"j\","
          "\"iat\":1,\"exp\":2}", "claims not a strict JSON object" }
    };

    memset(&p, 0, sizeof(p));

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        m = parse_mapped(cases[i].claims, &p);
        assert_int_equal(m.rc, TICKET_MALFORMED);

        if (strstr(m.why, cases[i].why) != m.why) {
            fail_msg("\"%s\": why \"%s\", not \"%s\"", cases[i].claims,
                     m.why, cases[i].why);
        }
    }
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_ok),
        cmocka_unit_test(test_all_claims),
        cmocka_unit_test(test_size),
        cmocka_unit_test(test_segments),
        cmocka_unit_test(test_base64),
        cmocka_unit_test(test_base64_trailing_bits),
        cmocka_unit_test(test_header_json),
        cmocka_unit_test(test_crit),
        cmocka_unit_test(test_untrusted_key_headers),
        cmocka_unit_test(test_alg),
        cmocka_unit_test(test_kid_typ),
        cmocka_unit_test(test_order),
        cmocka_unit_test(test_claims_json),
        cmocka_unit_test(test_claims_strings),
        cmocka_unit_test(test_sub_jti),
        cmocka_unit_test(test_kind),
        cmocka_unit_test(test_iat_exp_nbf),
        cmocka_unit_test(test_time_values),
        cmocka_unit_test(test_iss),
        cmocka_unit_test(test_aud),
        cmocka_unit_test(test_tenant_sid),
        cmocka_unit_test(test_roles),
        cmocka_unit_test(test_roles_path),
        cmocka_unit_test(test_kind_claim),
        cmocka_unit_test(test_jti_claim),
        cmocka_unit_test(test_malformed_why),
        cmocka_unit_test(test_free_after_errors),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
