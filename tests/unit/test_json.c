
/* ticket_json.c: strict objects, dotted paths, claim text */

#include "unit.h"

#include <ticket_compat.h>


/* parses an exact-size heap copy, so ASan sees any overread */

static json_t *
parse(const char *buf, size_t len)
{
    char    *copy;
    json_t  *json;

    copy = malloc(len ? len : 1);
    assert_non_null(copy);
    memcpy(copy, buf, len);

    json = ticket_json_parse_object(copy, len);

    free(copy);

    return json;
}


static json_t *
parse_str(const char *s)
{
    return parse(s, strlen(s));
}


static int
parses(const char *s)
{
    json_t  *json;

    json = parse_str(s);
    if (json == NULL) {
        return 0;
    }

    json_decref(json);

    return 1;
}


/*
 * The flat parse, of an exact-size copy in the same heap (strings point
 * into it): jv_done() frees both.
 */

static void    *jv_heap;
static size_t   jv_freed;


/* the heap frees only whole: counts what the parser gives back early */

static void
jv_free(void *data, void *p)
{
    jv_freed++;
}

static const ticket_jv_t *
jv(const char *s)
{
    char            *copy;
    size_t           len;
    ticket_alloc_t   a;

    a.alloc = ticket_heap_alloc;
    a.free = jv_free;
    a.data = &jv_heap;

    len = strlen(s);
    copy = ticket_heap_alloc(&jv_heap, len ? len : 1);
    assert_non_null(copy);
    memcpy(copy, s, len);

    return ticket_jv_parse(copy, len, &a);
}


static void
jv_done(void)
{
    ticket_heap_free(&jv_heap);
}


static void
str_is(const ticket_jv_t *v, const char *expect)
{
    assert_non_null(v);
    assert_int_equal(v->vtype, TICKET_JV_STRING);
    assert_int_equal(v->n, strlen(expect));
    assert_memory_equal(v->u.s, expect, v->n);
}


static int64_t
int_of(const ticket_jv_t *v)
{
    assert_non_null(v);
    assert_int_equal(v->vtype, TICKET_JV_INTEGER);
    return v->u.i;
}


/* depth levels of objects ({"a":...}) or arrays, innermost empty */

static char *
nested(size_t depth, int arrays, const char *before)
{
    char    *s, *p;
    size_t   i;

    s = malloc(strlen(before) + depth * 6 + 16);
    assert_non_null(s);

    p = s + sprintf(s, "{%s\"x\":", before);

    for (i = 1; i < depth; i++) {
        p += sprintf(p, arrays ? "[" : "{\"a\":");
    }

    p += sprintf(p, "0");

    for (i = 1; i < depth; i++) {
        *p++ = arrays ? ']' : '}';
    }

    *p++ = '}';
    *p = '\0';

    return s;
}


static void
test_object(void **state)
{
    json_t  *json;

    json = parse_str("{\"sub\":\"alice\",\"n\":1,\"a\":[1,2],\"o\":{}}");
    assert_non_null(json);
    assert_true(json_is_object(json));
    assert_string_equal(json_string_value(json_object_get(json, "sub")),
                        "alice");
    json_decref(json);

    assert_true(parses("{}"));
    assert_true(parses(" \t\r\n{ } \n"));
}


static void
test_not_object(void **state)
{
    assert_false(parses("[]"));
    assert_false(parses("[{}]"));
    assert_false(parses("\"s\""));
    assert_false(parses("1"));
    assert_false(parses("true"));
    assert_false(parses("null"));
    assert_false(parses(""));
    assert_false(parses("   "));
    assert_null(ticket_json_parse_object(NULL, 0));
}


static void
test_not_json(void **state)
{
    assert_false(parses("{"));
    assert_false(parses("}"));
    assert_false(parses("{\"a\"}"));
    assert_false(parses("{\"a\":}"));
    assert_false(parses("{\"a\":1,}"));
    assert_false(parses("{a:1}"));
    assert_false(parses("{'a':1}"));
    assert_false(parses("{\"a\":01}"));
    assert_false(parses("{\"a\":NaN}"));
    assert_false(parses("{\"a\":Infinity}"));
    assert_false(parses("{\"a\":1} x"));
    assert_false(parses("{}{}"));
    assert_false(parses("{} {}"));
    assert_false(parses("{\"a\":1}/* c */"));

    /* out of range numbers are refused, not saturated */

    assert_false(parses("{\"a\":99999999999999999999}"));
    assert_false(parses("{\"a\":-99999999999999999999}"));
    assert_false(parses("{\"a\":1e400}"));
}


/* only len bytes are read: no NUL terminator needed, none honoured */

static void
test_length_bounded(void **state)
{
    json_t  *json;

    json = parse("{\"a\":1}garbage", 7);
    assert_non_null(json);
    json_decref(json);

    assert_null(parse("{\"a\":1}", 6));
    assert_null(parse("{}\0", 3));
    assert_null(parse("{\"a\":\"x\0y\"}", 11));
    assert_null(parse("\0{}", 3));
}


static void
test_duplicates(void **state)
{
    assert_false(parses("{\"sub\":\"a\",\"sub\":\"b\"}"));
    assert_false(parses("{\"sub\":\"a\",\"sub\":\"a\"}"));
    assert_false(parses("{\"o\":{\"k\":1,\"k\":2}}"));
    assert_false(parses("{\"a\":[{\"k\":1,\"k\":1}]}"));

    /* the same name decoded: "\u0073ub" is "sub" */

    assert_false(parses("{\"sub\":\"a\",\"\\u0073ub\":\"b\"}"));

    /* the same name in different objects is fine */

    assert_true(parses("{\"k\":1,\"o\":{\"k\":2}}"));
}


static void
test_depth(void **state)
{
    char  *s;

    s = nested(16, 0, "");
    assert_true(parses(s));
    free(s);

    s = nested(17, 0, "");
    assert_false(parses(s));
    free(s);

    s = nested(16, 1, "");
    assert_true(parses(s));
    free(s);

    s = nested(17, 1, "");
    assert_false(parses(s));
    free(s);

    /* far deeper: refused before jansson recurses */

    s = nested(5000, 1, "");
    assert_false(parses(s));
    free(s);

    /* depth, not the number of containers, counts */

    assert_true(parses("{\"a\":[],\"b\":[],\"c\":{},\"d\":[[],[]]}"));
}


/* brackets in strings do not nest; escapes do not end strings */

static void
test_depth_strings(void **state)
{
    char  *s;

    s = nested(16, 1, "\"s\":\"[[[[{{{{[[[[{{{{[[[[\",");
    assert_true(parses(s));
    free(s);

    s = nested(16, 1, "\"s\":\"\\\"[[[[[[[[[[[[[[[[[[[[\",");
    assert_true(parses(s));
    free(s);

    s = nested(16, 1, "\"[[[[[[[[[[[[[[[[[[[[\\\\\":1,");
    assert_true(parses(s));
    free(s);

    /* a string ending in an escaped backslash: the nesting after counts */

    s = nested(17, 1, "\"s\":\"\\\\\",");
    assert_false(parses(s));
    free(s);

    s = nested(17, 1, "\"s\":\"\\\\\\\"\",");
    assert_false(parses(s));
    free(s);

    /* closing brackets in strings do not lower the depth either */

    s = nested(17, 1, "\"s\":\"]]]]]]]]]]]]]]]]]]]]]]]]\",");
    assert_false(parses(s));
    free(s);
}


/* JSON strings: escaped controls fine, raw controls and NUL refused */

static void
test_strings(void **state)
{
    json_t  *json;

    json = parse_str("{\"s\":\"a\\u0001\\n\\t\\u001f\"}");
    assert_non_null(json);
    assert_int_equal(json_string_length(json_object_get(json, "s")), 5);
    json_decref(json);

    assert_false(parses("{\"s\":\"a\\u0000b\"}"));
    assert_false(parses("{\"s\":\"\\u0000\"}"));
    assert_false(parses("{\"a\\u0000b\":1}"));
    assert_false(parses("{\"a\":[\"\\u0000\"]}"));

    assert_false(parses("{\"s\":\"a\x01\"}"));
    assert_false(parses("{\"s\":\"a\nb\"}"));
    assert_false(parses("{\"s\":\"a\x1f\"}"));

    assert_false(parses("{\"s\":\"\\x41\"}"));
    assert_false(parses("{\"s\":\"\\u12\"}"));
}


static void
test_utf8(void **state)
{
    assert_true(parses("{\"s\":\"caf\xc3\xa9 \xe2\x82\xac "
                       "\xf0\x9f\x94\x91\"}"));
    assert_true(parses("{\"s\":\"\\ud83d\\udd11\"}"));

    assert_false(parses("{\"s\":\"\xc3\x28\"}"));          /* bad cont. */
    assert_false(parses("{\"s\":\"\xc0\xaf\"}"));          /* overlong */
    assert_false(parses("{\"s\":\"\xe0\x80\xaf\"}"));      /* overlong */
    assert_false(parses("{\"s\":\"\xed\xa0\x80\"}"));      /* surrogate */
    assert_false(parses("{\"s\":\"\xf4\x90\x80\x80\"}"));  /* > U+10FFFF */
    assert_false(parses("{\"s\":\"\xff\"}"));
    assert_false(parses("{\"s\":\"\xe2\x82\"}"));          /* truncated */
    assert_false(parses("{\"\xc3\":1}"));                  /* in a name */
    assert_false(parses("{\"s\":\"\\ud83d\"}"));           /* lone */
    assert_false(parses("{\"s\":\"\\udd11\"}"));
}


/* the values built: escapes decoded, numbers typed as jansson types them */

static void
test_values(void **state)
{
    char     long_esc[1200], *p;
    json_t  *json, *v;
    size_t   i;

    json = parse_str("{\"s\":\"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9"
                     "\\u20AC\\ud83d\\udd11\",\"i\":-0,\"j\":9223372036854775807,"
                     "\"k\":-9223372036854775808,\"r\":2.5e-1,\"t\":true,"
                     "\"f\":false,\"z\":null,\"e\":\"\"}");
    assert_non_null(json);

    v = json_object_get(json, "s");
    assert_int_equal(json_string_length(v), 17);
    assert_memory_equal(json_string_value(v), "\"\\/\b\f\n\r\t\xc3\xa9"
                        "\xe2\x82\xac\xf0\x9f\x94\x91", 17);

    assert_true(json_is_integer(json_object_get(json, "i")));
    assert_int_equal(json_integer_value(json_object_get(json, "i")), 0);
    assert_true(json_integer_value(json_object_get(json, "j"))
                == 9223372036854775807LL);
    assert_true(json_integer_value(json_object_get(json, "k"))
                == -9223372036854775807LL - 1);
    assert_true(json_is_real(json_object_get(json, "r")));
    assert_true(json_real_value(json_object_get(json, "r")) == 0.25);
    assert_true(json_is_true(json_object_get(json, "t")));
    assert_true(json_is_false(json_object_get(json, "f")));
    assert_true(json_is_null(json_object_get(json, "z")));
    assert_int_equal(json_string_length(json_object_get(json, "e")), 0);
    json_decref(json);

    /* an escaped string longer than the parser's stack buffer */

    p = long_esc + sprintf(long_esc, "{\"s\":\"");
    for (i = 0; i < 190; i++) {
        p += sprintf(p, "\\u00e9");
    }
    sprintf(p, "\"}");

    json = parse_str(long_esc);
    assert_non_null(json);
    assert_int_equal(json_string_length(json_object_get(json, "s")), 380);
    json_decref(json);

    /* a real underflowing to zero is a real, as jansson reads it */

    assert_true(parses("{\"r\":1e-400}"));
    assert_false(parses("{\"a\":-}"));
    assert_false(parses("{\"a\":1.}"));
    assert_false(parses("{\"a\":.5}"));
    assert_false(parses("{\"a\":1e+}"));
    assert_false(parses("{\"a\":+1}"));
    assert_false(parses("{\"a\":tru}"));
    assert_false(parses("{\"a\":truex}"));
    assert_false(parses("{\"s\":\"\\ud83d\\u0041\"}"));

    /* jansson read a NUL right after a number or literal as nothing */

    assert_null(parse("{\"a\":2\0}", 8));
    assert_null(parse("{\"a\":true\0}", 11));
}


static void
test_path(void **state)
{
    const ticket_jv_t  *json, *v;

    json = jv("{\"roles\":[\"a\"],\"realm_access\":{\"roles\":\"r\","
                     "\"deep\":{\"x\":1}},\"s\":\"str\",\"n\":null}");
    assert_non_null(json);

    v = ticket_json_path(json, "roles", 5);
    assert_true(ticket_jv_is_array(v));

    v = ticket_json_path(json, "realm_access.roles", 18);
    str_is(v, "r");

    v = ticket_json_path(json, "realm_access.deep.x", 19);
    assert_int_equal(int_of(v), 1);

    v = ticket_json_path(json, "realm_access", 12);
    assert_true(ticket_jv_is(v, TICKET_JV_OBJECT));

    v = ticket_json_path(json, "n", 1);
    assert_true(ticket_jv_is(v, TICKET_JV_NULL));

    /* only len bytes of the path count */

    v = ticket_json_path(json, "realm_access.rolesXYZ", 18);
    str_is(v, "r");

    v = ticket_json_path(json, "roles.", 5);
    assert_true(ticket_jv_is_array(v));

    /* absent, through a non-object, empty segments */

    assert_null(ticket_json_path(json, "nope", 4));
    assert_null(ticket_json_path(json, "realm_access.nope", 17));
    assert_null(ticket_json_path(json, "s.x", 3));
    assert_null(ticket_json_path(json, "roles.0", 7));
    assert_null(ticket_json_path(json, "n.x", 3));
    assert_null(ticket_json_path(json, "", 0));
    assert_null(ticket_json_path(json, ".", 1));
    assert_null(ticket_json_path(json, "roles.", 6));
    assert_null(ticket_json_path(json, ".roles", 6));
    assert_null(ticket_json_path(json, "realm_access..roles", 19));
    assert_null(ticket_json_path(json, "realm_access.roles.", 19));
    assert_null(ticket_json_path(json, NULL, 0));
    assert_null(ticket_json_path(NULL, "roles", 5));

    jv_done();

    /* an empty segment never names the member "" */

    json = jv("{\"\":{\"a\":1,\"\":2},\"b\":{\"\":3}}");
    assert_non_null(json);
    assert_null(ticket_json_path(json, ".a", 2));
    assert_null(ticket_json_path(json, "b.", 2));
    assert_null(ticket_json_path(json, ".", 1));
    assert_null(ticket_json_path(json, "", 0));
    jv_done();

    /*
     * A member named exactly so comes first (Auth0's namespaced claims),
     * then the dotted path: "a.b" is the member "a.b" where there is one.
     */

    json = jv("{\"a.b\":1,\"a\":{\"b\":2,\"c\":3},"
                     "\"https://example.com/roles\":[\"admin\"],"
                     "\"https://example.com\":{\"x\":4}}");
    assert_int_equal(int_of(ticket_json_path(json, "a.b", 3)), 1);
    assert_int_equal(int_of(ticket_json_path(json, "a.c", 3)), 3);
    v = ticket_json_path(json, "https://example.com/roles", 25);
    assert_true(ticket_jv_is_array(v));
    assert_int_equal(v->n, 1);
    str_is(v + 1, "admin");

    /* "https://example" is no member: the dotted path finds nothing */

    assert_null(ticket_json_path(json, "https://example.com/x", 21));

    /* only len bytes count for the literal member too */

    assert_int_equal(int_of(ticket_json_path(json, "a.bc", 3)),
                     1);
    jv_done();

    /* no literal member: segments split as before */

    json = jv("{\"a\":{\"b\":2}}");
    assert_int_equal(int_of(ticket_json_path(json, "a.b", 3)), 2);
    jv_done();
}


static void
text_is(const ticket_jv_t *v, const char *expect)
{
    char    buf[256];
    size_t  n;

    memset(buf, 0, sizeof(buf));

    n = ticket_json_text(v, buf, sizeof(buf));
    assert_int_equal(n, strlen(expect));
    assert_string_equal(buf, expect);

    /* the length alone, without a buffer */

    assert_int_equal(ticket_json_text(v, NULL, 0), n);
}


static void
test_text(void **state)
{
    const ticket_jv_t  *json;

    json = jv("{\"s\":\"a b,c\\\"\",\"i\":42,\"neg\":-7,"
                     "\"big\":9223372036854775807,\"r\":1.5,\"r2\":1e300,"
                     "\"r3\":2.0,\"t\":true,\"f\":false,\"n\":null,"
                     "\"es\":\"\",\"sa\":[\"admin\",\"ops\"],\"sa1\":[\"x\"],"
                     "\"ea\":[],\"ma\":[\"a\",1,true,null],"
                     "\"na\":[[\"a\"],[\"b\"]],"
                     "\"o\":{\"k\":\"v\",\"l\":[1,2],\"m\":{}}}");
    assert_non_null(json);

    text_is(ticket_jv_get(json, "s"), "a b,c\"");
    text_is(ticket_jv_get(json, "i"), "42");
    text_is(ticket_jv_get(json, "neg"), "-7");
    text_is(ticket_jv_get(json, "big"), "9223372036854775807");
    text_is(ticket_jv_get(json, "r"), "1.5");
    /* jansson writes reals with 17 digits: what a round trip needs */

    text_is(ticket_jv_get(json, "r2"), "1.0000000000000001e300");
    text_is(ticket_jv_get(json, "r3"), "2.0");
    text_is(ticket_jv_get(json, "t"), "true");
    text_is(ticket_jv_get(json, "f"), "false");
    text_is(ticket_jv_get(json, "n"), "");
    text_is(ticket_jv_get(json, "es"), "");
    text_is(ticket_jv_get(json, "sa"), "admin,ops");
    text_is(ticket_jv_get(json, "sa1"), "x");
    text_is(ticket_jv_get(json, "ea"), "");
    text_is(ticket_jv_get(json, "ma"), "[\"a\",1,true,null]");
    text_is(ticket_jv_get(json, "na"), "[[\"a\"],[\"b\"]]");
    text_is(ticket_jv_get(json, "o"), "{\"k\":\"v\",\"l\":[1,2],\"m\":{}}");

    assert_int_equal(ticket_json_text(NULL, NULL, 0), 0);

    jv_done();
}


/* a short buffer gets what fits, the length needed is still returned */

static void
test_text_truncated(void **state)
{
    char     buf[16];
    size_t   n, size;
    const ticket_jv_t  *json;

    json = jv("{\"s\":\"abcdefgh\",\"sa\":[\"admin\",\"ops\"],"
                     "\"o\":{\"k\":\"v\"},\"i\":123456,\"r\":0.25}");
    assert_non_null(json);

    for (size = 0; size <= 12; size++) {
        memset(buf, '#', sizeof(buf));

        n = ticket_json_text(ticket_jv_get(json, "s"), buf, size);
        assert_int_equal(n, 8);
        assert_memory_equal(buf, "abcdefgh", size < 8 ? size : 8);
        assert_int_equal(buf[size], '#');

        memset(buf, '#', sizeof(buf));

        n = ticket_json_text(ticket_jv_get(json, "sa"), buf, size);
        assert_int_equal(n, 9);
        assert_memory_equal(buf, "admin,ops", size < 9 ? size : 9);
        assert_int_equal(buf[size], '#');

        memset(buf, '#', sizeof(buf));

        n = ticket_json_text(ticket_jv_get(json, "o"), buf, size);
        assert_int_equal(n, 9);
        assert_memory_equal(buf, "{\"k\":\"v\"}", size < 9 ? size : 9);
        assert_int_equal(buf[size], '#');

        memset(buf, '#', sizeof(buf));

        n = ticket_json_text(ticket_jv_get(json, "i"), buf, size);
        assert_int_equal(n, 6);
        assert_memory_equal(buf, "123456", size < 6 ? size : 6);
        assert_int_equal(buf[size], '#');

        memset(buf, '#', sizeof(buf));

        n = ticket_json_text(ticket_jv_get(json, "r"), buf, size);
        assert_int_equal(n, 4);
        assert_memory_equal(buf, "0.25", size < 4 ? size : 4);
        assert_int_equal(buf[size], '#');
    }

    jv_done();
}


/* list elements: "," and "\\" escaped, so the joined form splits back */

static void
test_text_element(void **state)
{
    char     buf[32];
    size_t   n, size;
    const ticket_jv_t  *json;

    (void) state;

    json = jv("{\"a\":[\"reader,admin\",\"a\\\\b\",\"x\"]}");
    assert_non_null(json);

    n = ticket_json_text(ticket_jv_get(json, "a"), buf, sizeof(buf));
    assert_int_equal(n, 20);
    assert_memory_equal(buf, "reader\\,admin,a\\\\b,x", 20);

    for (size = 0; size <= 8; size++) {
        memset(buf, '#', sizeof(buf));
        n = ticket_text_element(buf, size, 0, "a,b\\", 4);
        assert_int_equal(n, 6);
        assert_memory_equal(buf, "a\\,b\\\\", size < 6 ? size : 6);
        assert_int_equal(buf[size], '#');
    }

    assert_int_equal(ticket_text_element(NULL, 0, 3, "plain", 5), 8);

    jv_done();
}


/*
 * ticket_jv_json() against jansson's json_dumps() with the flags the
 * claim text was written with before (JSON_ENCODE_ANY|JSON_COMPACT|
 * TICKET_JSON_REALS), and against the text itself, as jansson 2.14
 * writes it: each value as the member "v" of a document.  jansson 2.15
 * writes 1e16 <= |x| < 1e17 with an exponent ("1e16"): those rows are
 * compared with the text only there.
 */

static const struct {
    const char  *json;
    const char  *text;
    int          shortest_differs;
} jv_json_cases[] = {
    /* reals: 17 digits, ".0" when a '.' or an 'e' is missing, the
     * exponent without '+' or leading zeros */
    { "0.1", "0.10000000000000001", 0 },
    { "-0.0", "-0.0", 0 },
    { "0.0", "0.0", 0 },
    { "1e300", "1.0000000000000001e300", 0 },
    { "1e-7", "9.9999999999999995e-8", 0 },
    { "5e-324", "4.9406564584124654e-324", 0 },
    { "123456789.0", "123456789.0", 0 },
    { "1.5", "1.5", 0 },
    { "-2.5E+2", "-250.0", 0 },
    { "0.0001", "0.0001", 0 },
    { "1e-5", "1.0000000000000001e-5", 0 },
    { "1e16", "10000000000000000.0", 1 },
    { "-1.5e16", "-15000000000000000.0", 1 },
    { "1e17", "1e17", 0 },
    { "1.7976931348623157e308", "1.7976931348623157e308", 0 },
    { "-1.2345678901234567e-300", "-1.2345678901234568e-300", 0 },

    /* integers, literals */
    { "0", "0", 0 },
    { "-9223372036854775808", "-9223372036854775808", 0 },
    { "9223372036854775807", "9223372036854775807", 0 },
    { "true", "true", 0 },
    { "false", "false", 0 },
    { "null", "null", 0 },

    /* strings: jansson's escapes, capitals in \u00XX, DEL, '/', U+2028
     * and other UTF-8 as they are */
    { "\"\"", "\"\"", 0 },
    { "\"a/b\\/c\"", "\"a/b/c\"", 0 },
    { "\"\\\"\\\\\\b\\f\\n\\r\\t\"", "\"\\\"\\\\\\b\\f\\n\\r\\t\"", 0 },
    { "\"\\u0001\\u001f\\u000b\\u007f\"", "\"\\u0001\\u001F\\u000B\x7f\"", 0 },
    { "\"\\u2028\\u2029\"", "\"\xe2\x80\xa8\xe2\x80\xa9\"", 0 },
    { "\"caf\xc3\xa9 \\ud83d\\ude00\"", "\"caf\xc3\xa9 \xf0\x9f\x98\x80\"", 0 },
    { "\"plain text, long enough\"", "\"plain text, long enough\"", 0 },

    /* containers: compact, members in document order */
    { "{}", "{}", 0 },
    { "[]", "[]", 0 },
    { "[[]]", "[[]]", 0 },
    { "[{}]", "[{}]", 0 },
    { "{\"a\":{}}", "{\"a\":{}}", 0 },
    { " [ \"a\" , 1 , true , null , 1.5 , { \"k\" : \"v\" } , [ ] ] ",
      "[\"a\",1,true,null,1.5,{\"k\":\"v\"},[]]", 0 },
    { "[1,[\"a\",[\"b\"]],\"c\"]", "[1,[\"a\",[\"b\"]],\"c\"]", 0 },
    { "[[\"a\"],[\"b\"]]", "[[\"a\"],[\"b\"]]", 0 },
    { "{\"z\":1,\"a\":{\"y\":[0.5,{}],\"b\":null},\"m\":[]}",
      "{\"z\":1,\"a\":{\"y\":[0.5,{}],\"b\":null},\"m\":[]}", 0 },
    { "{\"a\\\"b\\n\":1,\"\\u00e9/\":[\"\\u001f\"],\"\":\"\"}",
      "{\"a\\\"b\\n\":1,\"\xc3\xa9/\":[\"\\u001F\"],\"\":\"\"}", 0 }
};


/* what ticket_jv_json() writes, whole, sized and cut short */

static void
jv_json_is(const ticket_jv_t *v, const char *expect)
{
    char    buf[512];
    size_t  n, len, size;

    len = strlen(expect);
    assert_true(len < sizeof(buf));

    memset(buf, '#', sizeof(buf));
    n = ticket_jv_json(v, buf, sizeof(buf));
    assert_int_equal(n, len);
    assert_memory_equal(buf, expect, len);
    assert_int_equal(ticket_jv_json(v, NULL, 0), len);

    for (size = 0; size <= len; size++) {
        memset(buf, '#', sizeof(buf));
        assert_int_equal(ticket_jv_json(v, buf, size), len);
        assert_memory_equal(buf, expect, size);
        assert_int_equal(buf[size], '#');
    }
}


/* what jansson writes of v, the way the claim text was written before */

static char *
jansson_dump(const ticket_jv_t *v)
{
    char    *dump;
    json_t  *json;

    json = ticket_jv_to_json(v);
    assert_non_null(json);

    dump = json_dumps(json, JSON_ENCODE_ANY|JSON_COMPACT|TICKET_JSON_REALS);
    json_decref(json);

    return dump;
}


static void
test_jv_json(void **state)
{
    int                 shortest;
    char               *doc, *dump;
    char                text[512], str[8];
    size_t              i, d, n;
    unsigned            c;
    ticket_jv_t         node;
    const ticket_jv_t  *root, *v;

    shortest = jansson_version_cmp(2, 15, 0) >= 0;

    for (i = 0; i < sizeof(jv_json_cases) / sizeof(jv_json_cases[0]); i++) {
        doc = malloc(strlen(jv_json_cases[i].json) + 8);
        assert_non_null(doc);
        sprintf(doc, "{\"v\":%s}", jv_json_cases[i].json);

        root = jv(doc);
        assert_non_null(root);
        v = ticket_jv_get(root, "v");

        jv_json_is(v, jv_json_cases[i].text);

        dump = jansson_dump(v);
        assert_non_null(dump);

        if (!(shortest && jv_json_cases[i].shortest_differs)) {
            assert_string_equal(dump, jv_json_cases[i].text);
        }

        free(dump);

        /* the document around it too */

        dump = jansson_dump(root);
        assert_non_null(dump);

        if (!(shortest && jv_json_cases[i].shortest_differs)) {
            jv_json_is(root, dump);
        }

        free(dump);

        /* the claim text: JSON but for strings, null, lists of strings */

        if (v->vtype != TICKET_JV_STRING && v->vtype != TICKET_JV_NULL
            && strcmp(jv_json_cases[i].text, "[]") != 0)
        {
            n = ticket_json_text(v, text, sizeof(text));
            assert_int_equal(n, strlen(jv_json_cases[i].text));
            assert_memory_equal(text, jv_json_cases[i].text, n);
        }

        jv_done();
        free(doc);
    }

    /* nesting as deep as the parser takes, objects and arrays */

    for (d = 0; d < 2; d++) {
        doc = nested(TICKET_MAX_DEPTH, (int) d, "\"s\":\"\\u0001\",");
        root = jv(doc);
        assert_non_null(root);

        dump = jansson_dump(root);
        assert_non_null(dump);
        assert_string_equal(dump, doc);
        jv_json_is(root, dump);

        v = ticket_jv_get(root, "x");
        n = ticket_json_text(v, text, sizeof(text));
        assert_int_equal(n, strlen(dump) - strlen("{\"s\":\"\\u0001\",\"x\":}"));
        assert_memory_equal(text, dump + strlen("{\"s\":\"\\u0001\",\"x\":"),
                            n);

        free(dump);
        jv_done();
        free(doc);
    }

    /* every ASCII byte alone and between others, as jansson escapes it */

    for (c = 1; c < 0x80; c++) {
        snprintf(str, sizeof(str), "a%cb%c", (char) c, (char) c);

        node.vtype = TICKET_JV_STRING;
        node.span = 1;
        node.u.s = str;

        for (node.n = 2; node.n <= 4; node.n += 2) {
            dump = jansson_dump(&node);
            assert_non_null(dump);
            jv_json_is(&node, dump);
            free(dump);
        }
    }

    /* a string that is not UTF-8 (no parse makes one): jansson's dump
     * fails, and so does this one */

    node.vtype = TICKET_JV_STRING;
    node.n = 3;
    node.span = 1;
    node.u.s = "a\xff" "b";

    assert_null(jansson_dump(&node));
    assert_int_equal(ticket_jv_json(&node, NULL, 0), 0);
    assert_int_equal(ticket_jv_json(NULL, NULL, 0), 0);
}


/*
 * The flat nodes: spans and counts, members in order, nodes grown past
 * the first guess, and duplicates among many members (the hash table)
 * as among few (pairwise), escaped or not.
 */

static void
test_flat(void **state)
{
    char               *buf, *p;
    size_t              i;
    const ticket_jv_t  *v, *e;

    v = jv("{\"a\":[1,[2,3],{\"b\":null}],\"c\":\"d\\n\",\"e\":{}}");
    assert_non_null(v);
    assert_int_equal(v->vtype, TICKET_JV_OBJECT);
    assert_int_equal(v->n, 3);
    assert_int_equal(v->span, 14);

    str_is(v + 1, "a");
    e = v + 2;
    assert_int_equal(e->vtype, TICKET_JV_ARRAY);
    assert_int_equal(e->n, 3);
    assert_int_equal(e->span, 8);
    assert_int_equal(int_of(e + 1), 1);
    assert_int_equal(e[2].span, 3);
    assert_int_equal(e[5].vtype, TICKET_JV_OBJECT);
    assert_int_equal(e[7].vtype, TICKET_JV_NULL);

    str_is(ticket_jv_get(v, "c"), "d\n");
    assert_int_equal(ticket_jv_get(v, "e")->n, 0);
    assert_ptr_equal(ticket_jv_get(v, "e"), v + v->span - 1);
    assert_null(ticket_jv_get(v, "b"));
    assert_null(ticket_jv_get(e, "b"));
    jv_done();

    /* 600 members: the nodes grow many times, every one found */

    buf = malloc(600 * 16 + 16);
    assert_non_null(buf);

    p = buf;
    *p++ = '{';

    for (i = 0; i < 600; i++) {
        p += sprintf(p, "%s\"k%zu\":%zu", i ? "," : "", i, i);
    }

    strcpy(p, "}");

    jv_freed = 0;
    v = jv(buf);
    assert_non_null(v);
    assert_int_equal(v->n, 600);

    /* each outgrown array and the duplicates' hash table given back */

    assert_true(jv_freed >= 2);
    assert_int_equal(v->span, 1201);

    for (i = 0; i < 600; i += 37) {
        char  name[16];

        sprintf(name, "k%zu", i);
        assert_int_equal(int_of(ticket_jv_get(v, name)), (int64_t) i);
    }

    jv_done();

    /* one duplicate among many, last, first or escaped */

    strcpy(p, ",\"k599\":1}");
    assert_null(jv(buf));
    jv_done();

    strcpy(p, ",\"k0\":1}");
    assert_null(jv(buf));
    jv_done();

    strcpy(p, ",\"\\u006b17\":1}");
    assert_null(jv(buf));
    jv_done();

    strcpy(p, ",\"k600\":1}");
    assert_non_null(jv(buf));
    jv_done();

    free(buf);

    /* few members: pairwise, the last against the first */

    assert_false(parses("{\"a\":1,\"b\":2,\"c\":3,\"d\":4,\"e\":5,"
                        "\"f\":6,\"g\":7,\"a\":8}"));
    assert_false(parses("{\"a\":1,\"b\":2,\"c\":3,\"d\":4,\"e\":5,"
                        "\"f\":6,\"g\":7,\"h\":8,\"a\":9}"));
    assert_true(parses("{\"a\":1,\"b\":2,\"c\":3,\"d\":4,\"e\":5,"
                       "\"f\":6,\"g\":7,\"h\":8,\"i\":9}"));
    assert_false(parses("{\"\":1,\"\":2}"));
}


/*
 * The escaper's eight-bytes-at-a-time path against its byte-by-byte one:
 * every byte value at every place of a 16-byte string comes out as it
 * does alone (a string under 8 bytes never takes the fast path).
 */

static void
test_escape_words(void **state)
{
    char      in[24], one[8], out[128], want[128];
    char     *end;
    size_t    k, n, b, len;

    /* every length, so every path: byte by byte, four and four, words
     * with an overlapping last one */

    for (b = 0; b < 256; b++) {
        in[0] = (char) b;
        end = ticket_json_escape(one, in, 1);
        n = (size_t) (end - one);

        for (len = 1; len <= sizeof(in); len++) {
            for (k = 0; k < len; k++) {
                memset(in, 'a', sizeof(in));
                in[k] = (char) b;

                memset(want, 'a', k);
                memcpy(want + k, one, n);
                memset(want + k + n, 'a', len - k - 1);

                assert_int_equal(ticket_json_escape_len(in, len),
                                 len - 1 + n);
                end = ticket_json_escape(out, in, len);
                assert_int_equal((size_t) (end - out), len - 1 + n);
                assert_memory_equal(out, want, len - 1 + n);
            }
        }
    }

    /* a character across the eighth byte stays whole: "é" at 7 and 8 */

    memcpy(in, "abcdefg\xc3\xa9hijklm", 15);
    end = ticket_json_escape(out, in, 15);
    assert_int_equal(end - out, 15);
    assert_memory_equal(out, in, 15);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_object),
        cmocka_unit_test(test_not_object),
        cmocka_unit_test(test_not_json),
        cmocka_unit_test(test_length_bounded),
        cmocka_unit_test(test_duplicates),
        cmocka_unit_test(test_depth),
        cmocka_unit_test(test_depth_strings),
        cmocka_unit_test(test_strings),
        cmocka_unit_test(test_utf8),
        cmocka_unit_test(test_values),
        cmocka_unit_test(test_path),
        cmocka_unit_test(test_text),
        cmocka_unit_test(test_text_truncated),
        cmocka_unit_test(test_text_element),
        cmocka_unit_test(test_jv_json),
        cmocka_unit_test(test_flat),
        cmocka_unit_test(test_escape_words),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
