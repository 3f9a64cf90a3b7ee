
/* ticket_b64.c: strict base64url without padding */

#include "unit.h"


static const char  alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";


/* decodes into an exact-size heap copy, so ASan sees any overread */

static long
decode(unsigned char *dst, const char *src, size_t len)
{
    long   n;
    char  *copy;

    copy = malloc(len ? len : 1);
    assert_non_null(copy);
    memcpy(copy, src, len);

    n = ticket_b64url_decode(dst, copy, len);

    free(copy);

    return n;
}


static long
decode_str(unsigned char *dst, const char *src)
{
    return decode(dst, src, strlen(src));
}


static void
test_rfc4648_vectors(void **state)
{
    size_t          i, n;
    long            d;
    char            enc[16];
    unsigned char   dec[16];

    static const char  *vec[][2] = {
        { "", "" },
        { "f", "Zg" },
        { "fo", "Zm8" },
        { "foo", "Zm9v" },
        { "foob", "Zm9vYg" },
        { "fooba", "Zm9vYmE" },
        { "foobar", "Zm9vYmFy" },
    };

    for (i = 0; i < sizeof(vec) / sizeof(vec[0]); i++) {
        n = ticket_b64url_encode(enc, (const unsigned char *) vec[i][0],
                                 strlen(vec[i][0]));
        assert_int_equal(n, strlen(vec[i][1]));
        assert_memory_equal(enc, vec[i][1], n);
        assert_int_equal(ticket_b64url_encoded_len(strlen(vec[i][0])), n);

        d = decode_str(dec, vec[i][1]);
        assert_int_equal(d, strlen(vec[i][0]));
        if (d > 0) {
            assert_memory_equal(dec, vec[i][0], (size_t) d);
        }
    }
}


static void
test_encoded_len(void **state)
{
    assert_int_equal(ticket_b64url_encoded_len(0), 0);
    assert_int_equal(ticket_b64url_encoded_len(1), 2);
    assert_int_equal(ticket_b64url_encoded_len(2), 3);
    assert_int_equal(ticket_b64url_encoded_len(3), 4);
    assert_int_equal(ticket_b64url_encoded_len(4), 6);
    assert_int_equal(ticket_b64url_encoded_len(32), 43);
    assert_int_equal(ticket_b64url_encoded_len(64), 86);
    assert_int_equal(ticket_b64url_encoded_len(66), 88);
}


/* the URL alphabet: 62 is '-', 63 is '_' */

static void
test_url_alphabet(void **state)
{
    size_t          n;
    long            d;
    char            enc[8];
    unsigned char   dec[8];

    static const unsigned char  raw[] = { 0xfb, 0xff, 0xbf };

    n = ticket_b64url_encode(enc, raw, 3);
    assert_int_equal(n, 4);
    assert_memory_equal(enc, "-_-_", 4);

    d = decode_str(dec, "-_-_");
    assert_int_equal(d, 3);
    assert_memory_equal(dec, raw, 3);
}


/* every byte value: exactly the 64 alphabet characters decode */

static void
test_every_byte(void **state)
{
    int             c;
    long            d;
    char            in[4];
    unsigned char   dec[8];

    for (c = 0; c < 256; c++) {
        in[0] = (char) c;
        in[1] = 'A';
        in[2] = 'A';
        in[3] = 'A';

        d = decode(dec, in, 4);

        if (c != 0 && strchr(alphabet, c) != NULL) {
            assert_int_equal(d, 3);
            assert_int_equal(dec[0] >> 2, strchr(alphabet, c) - alphabet);

        } else {
            assert_int_equal(d, -1);
        }

        /* and in the last, partial group */

        in[0] = 'A';
        in[1] = (char) c;

        d = decode(dec, in, 2);

        if (c != 0 && strchr(alphabet, c) != NULL
            && ((strchr(alphabet, c) - alphabet) & 0x0f) == 0)
        {
            assert_int_equal(d, 1);

        } else {
            assert_int_equal(d, -1);
        }
    }
}


static void
test_round_trip(void **state)
{
    size_t          len, i, n;
    long            d;
    char            enc[512];
    unsigned char   raw[300], dec[300 + 3];

    for (len = 0; len <= sizeof(raw); len++) {
        for (i = 0; i < len; i++) {
            raw[i] = (unsigned char) (i * 131 + len * 7 + 0x5a);
        }

        n = ticket_b64url_encode(enc, raw, len);
        assert_int_equal(n, ticket_b64url_encoded_len(len));
        assert_true(n % 4 != 1);

        for (i = 0; i < n; i++) {
            assert_non_null(strchr(alphabet, enc[i]));
        }

        d = decode(dec, enc, n);
        assert_int_equal(d, len);
        assert_memory_equal(dec, raw, len);
    }
}


/* padding, the standard alphabet and whitespace are all refused */

static void
test_reject_non_url(void **state)
{
    size_t          i;
    unsigned char   dec[32];

    static const char  *bad[] = {
        "Zg==", "Zm8=", "Zg=", "Zm9v====", "=", "==",
        "+/+/", "Zm+v", "Zm/v", "ab+c", "ab/c",
        "Zm9v Yg", " Zm9v", "Zm9v\n", "Zm9v\r\n", "Zm\t9v",
        "Zm9v.mFy", "Zm9v%2B", "Zm9v!", "Zm9v\\",
        "Zm9\x80", "Zm9\xff", "\xc3\xa9Zm",
    };

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(decode_str(dec, bad[i]), -1);
    }

    /* a NUL byte inside the counted length */

    assert_int_equal(decode(dec, "Zm\0v", 4), -1);
    assert_int_equal(decode(dec, "Zm9vYg\0\0", 8), -1);
}


/* one trailing character holds 6 bits: never a byte */

static void
test_reject_len_mod4_1(void **state)
{
    unsigned char  dec[32];

    assert_int_equal(decode_str(dec, "A"), -1);
    assert_int_equal(decode_str(dec, "Z"), -1);
    assert_int_equal(decode_str(dec, "AAAAA"), -1);
    assert_int_equal(decode_str(dec, "Zm9vYmFyZ"), -1);

    assert_int_equal(decode_str(dec, "AA"), 1);
    assert_int_equal(decode_str(dec, "AAA"), 2);
    assert_int_equal(decode_str(dec, "AAAA"), 3);
    assert_int_equal(decode_str(dec, ""), 0);
}


/* "f" is "Zg"; "Zh" .. "Zv" decode to "f" too in lax decoders */

static void
test_reject_non_canonical(void **state)
{
    int             i;
    char            in[4];
    unsigned char   dec[8];

    for (i = 1; i < 16; i++) {
        in[0] = 'Z';
        in[1] = alphabet[32 + i];                    /* 'g' is 32 */
        assert_int_equal(decode(dec, in, 2), -1);
    }

    assert_int_equal(decode_str(dec, "Zg"), 1);
    assert_int_equal(dec[0], 'f');

    /* "fo" is "Zm8"; "Zm9" .. "Zm_" carry non-zero low bits */

    assert_int_equal(decode_str(dec, "Zm8"), 2);
    assert_int_equal(decode_str(dec, "Zm9"), -1);
    assert_int_equal(decode_str(dec, "Zm-"), -1);
    assert_int_equal(decode_str(dec, "Zm_"), -1);
    assert_int_equal(decode_str(dec, "Zm9vZm9"), -1);
    assert_int_equal(decode_str(dec, "Zm9vZm8"), 5);

    /* the two low bits of the last of three: each alone is refused */

    for (i = 1; i < 4; i++) {
        in[0] = 'A';
        in[1] = 'A';
        in[2] = alphabet[i];
        assert_int_equal(decode(dec, in, 3), -1);
    }
}


/* the decoder writes the decoded bytes and nothing past them */

static void
test_no_overwrite(void **state)
{
    long           d;
    unsigned char  dec[16];

    memset(dec, 0xee, sizeof(dec));
    d = decode_str(dec, "Zm9vYg");
    assert_int_equal(d, 4);
    assert_memory_equal(dec, "foob", 4);
    assert_int_equal(dec[4], 0xee);

    memset(dec, 0xee, sizeof(dec));
    d = decode_str(dec, "Zm9vYmE");
    assert_int_equal(d, 5);
    assert_int_equal(dec[5], 0xee);

    /* a bad character late in the input: -1 whatever was written */

    d = decode_str(dec, "Zm9vYmFy=");
    assert_int_equal(d, -1);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_rfc4648_vectors),
        cmocka_unit_test(test_encoded_len),
        cmocka_unit_test(test_url_alphabet),
        cmocka_unit_test(test_every_byte),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_reject_non_url),
        cmocka_unit_test(test_reject_len_mod4_1),
        cmocka_unit_test(test_reject_non_canonical),
        cmocka_unit_test(test_no_overwrite),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
