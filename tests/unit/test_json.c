
/* ticket_json.c: strict objects, dotted paths, claim text */

#include "unit.h"


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
    json_t  *json, *v;

    json = parse_str("{\"roles\":[\"a\"],\"realm_access\":{\"roles\":\"r\","
                     "\"deep\":{\"x\":1}},\"s\":\"str\",\"n\":null}");
    assert_non_null(json);

    v = ticket_json_path(json, "roles", 5);
    assert_true(json_is_array(v));

    v = ticket_json_path(json, "realm_access.roles", 18);
    assert_string_equal(json_string_value(v), "r");

    v = ticket_json_path(json, "realm_access.deep.x", 19);
    assert_int_equal(json_integer_value(v), 1);

    v = ticket_json_path(json, "realm_access", 12);
    assert_true(json_is_object(v));

    v = ticket_json_path(json, "n", 1);
    assert_true(json_is_null(v));

    /* only len bytes of the path count */

    v = ticket_json_path(json, "realm_access.rolesXYZ", 18);
    assert_string_equal(json_string_value(v), "r");

    v = ticket_json_path(json, "roles.", 5);
    assert_true(json_is_array(v));

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

    json_decref(json);

    /* an empty segment never names the member "" */

    json = parse_str("{\"\":{\"a\":1,\"\":2},\"b\":{\"\":3}}");
    assert_non_null(json);
    assert_null(ticket_json_path(json, ".a", 2));
    assert_null(ticket_json_path(json, "b.", 2));
    assert_null(ticket_json_path(json, ".", 1));
    assert_null(ticket_json_path(json, "", 0));
    json_decref(json);

    /*
     * A member named exactly so comes first (Auth0's namespaced claims),
     * then the dotted path: "a.b" is the member "a.b" where there is one.
     */

    json = parse_str("{\"a.b\":1,\"a\":{\"b\":2,\"c\":3},"
                     "\"https://example.com/roles\":[\"admin\"],"
                     "\"https://example.com\":{\"x\":4}}");
    assert_int_equal(json_integer_value(ticket_json_path(json, "a.b", 3)), 1);
    assert_int_equal(json_integer_value(ticket_json_path(json, "a.c", 3)), 3);
    v = ticket_json_path(json, "https://example.com/roles", 25);
    assert_true(json_is_array(v));
    assert_string_equal(json_string_value(json_array_get(v, 0)), "admin");

    /* "https://example" is no member: the dotted path finds nothing */

    assert_null(ticket_json_path(json, "https://example.com/x", 21));

    /* only len bytes count for the literal member too */

    assert_int_equal(json_integer_value(ticket_json_path(json, "a.bc", 3)),
                     1);
    json_decref(json);

    /* no literal member: segments split as before */

    json = parse_str("{\"a\":{\"b\":2}}");
    assert_int_equal(json_integer_value(ticket_json_path(json, "a.b", 3)), 2);
    json_decref(json);
}


static void
text_is(json_t *v, const char *expect)
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
    json_t  *json;

    json = parse_str("{\"s\":\"a b,c\\\"\",\"i\":42,\"neg\":-7,"
                     "\"big\":9223372036854775807,\"r\":1.5,\"r2\":1e300,"
                     "\"r3\":2.0,\"t\":true,\"f\":false,\"n\":null,"
                     "\"es\":\"\",\"sa\":[\"admin\",\"ops\"],\"sa1\":[\"x\"],"
                     "\"ea\":[],\"ma\":[\"a\",1,true,null],"
                     "\"na\":[[\"a\"],[\"b\"]],"
                     "\"o\":{\"k\":\"v\",\"l\":[1,2],\"m\":{}}}");
    assert_non_null(json);

    text_is(json_object_get(json, "s"), "a b,c\"");
    text_is(json_object_get(json, "i"), "42");
    text_is(json_object_get(json, "neg"), "-7");
    text_is(json_object_get(json, "big"), "9223372036854775807");
    text_is(json_object_get(json, "r"), "1.5");
    /* jansson writes reals with 17 digits: what a round trip needs */

    text_is(json_object_get(json, "r2"), "1.0000000000000001e300");
    text_is(json_object_get(json, "r3"), "2.0");
    text_is(json_object_get(json, "t"), "true");
    text_is(json_object_get(json, "f"), "false");
    text_is(json_object_get(json, "n"), "");
    text_is(json_object_get(json, "es"), "");
    text_is(json_object_get(json, "sa"), "admin,ops");
    text_is(json_object_get(json, "sa1"), "x");
    text_is(json_object_get(json, "ea"), "");
    text_is(json_object_get(json, "ma"), "[\"a\",1,true,null]");
    text_is(json_object_get(json, "na"), "[[\"a\"],[\"b\"]]");
    text_is(json_object_get(json, "o"), "{\"k\":\"v\",\"l\":[1,2],\"m\":{}}");

    assert_int_equal(ticket_json_text(NULL, NULL, 0), 0);

    json_decref(json);
}


/* a short buffer gets what fits, the length needed is still returned */

static void
test_text_truncated(void **state)
{
    char     buf[16];
    size_t   n, size;
    json_t  *json;

    json = parse_str("{\"s\":\"abcdefgh\",\"sa\":[\"admin\",\"ops\"],"
                     "\"o\":{\"k\":\"v\"},\"i\":123456,\"r\":0.25}");
    assert_non_null(json);

    for (size = 0; size <= 12; size++) {
        memset(buf, '#', sizeof(buf));

        n = ticket_json_text(json_object_get(json, "s"), buf, size);
        assert_int_equal(n, 8);
        assert_memory_equal(buf, "abcdefgh", size < 8 ? size : 8);
        assert_int_equal(buf[size], '#');

        memset(buf, '#', sizeof(buf));

        n = ticket_json_text(json_object_get(json, "sa"), buf, size);
        assert_int_equal(n, 9);
        assert_memory_equal(buf, "admin,ops", size < 9 ? size : 9);
        assert_int_equal(buf[size], '#');

        memset(buf, '#', sizeof(buf));

        n = ticket_json_text(json_object_get(json, "o"), buf, size);
        assert_int_equal(n, 9);
        assert_memory_equal(buf, "{\"k\":\"v\"}", size < 9 ? size : 9);
        assert_int_equal(buf[size], '#');

        memset(buf, '#', sizeof(buf));

        n = ticket_json_text(json_object_get(json, "i"), buf, size);
        assert_int_equal(n, 6);
        assert_memory_equal(buf, "123456", size < 6 ? size : 6);
        assert_int_equal(buf[size], '#');

        memset(buf, '#', sizeof(buf));

        n = ticket_json_text(json_object_get(json, "r"), buf, size);
        assert_int_equal(n, 4);
        assert_memory_equal(buf, "0.25", size < 4 ? size : 4);
        assert_int_equal(buf[size], '#');
    }

    json_decref(json);
}


/* list elements: "," and "\\" escaped, so the joined form splits back */

static void
test_text_element(void **state)
{
    char     buf[32];
    size_t   n, size;
    json_t  *json;

    (void) state;

    json = parse_str("{\"a\":[\"reader,admin\",\"a\\\\b\",\"x\"]}");
    assert_non_null(json);

    n = ticket_json_text(json_object_get(json, "a"), buf, sizeof(buf));
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

    json_decref(json);
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
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
