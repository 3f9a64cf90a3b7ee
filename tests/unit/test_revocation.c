
/*
 * ticket_revocation.c and ticket_rev_redis.c: the Redis layout every
 * writer (ticketctl) and reader (the gateway's sync) shares.  An entry
 * written by the encoder is read back by the decoder, for every list,
 * and replies as Redis sends them are read by the reply checks.
 */

#include "unit.h"

#include <ticket_rev_redis.h>


static redisReply *
reply(const char *resp)
{
    void         *r;
    redisReader  *reader;

    reader = redisReaderCreate();
    assert_non_null(reader);
    assert_int_equal(redisReaderFeed(reader, resp, strlen(resp)), REDIS_OK);

    r = NULL;
    assert_int_equal(redisReaderGetReply(reader, &r), REDIS_OK);
    assert_non_null(r);

    redisReaderFree(reader);

    return r;
}


static void
test_round_trip_every_kind(void **state)
{
    int                 rc, k, list;
    char                value[TICKET_REV_VALUE_LEN];
    size_t              n;
    ticket_str_t        f[TICKET_REV_MAX_FIELDS];
    ticket_rev_entry_t  in, out;

    static const char  *members[TICKET_REV_LISTS] = {
        "9f1c-jti", "acme/alice", "sess-42", "acme", "key-2026"
    };

    for (list = 0; list < TICKET_REV_LISTS; list++) {

        /* k: bit 0 a reason, bit 1 an actor */

        for (k = 0; k < 4; k++) {
            memset(&in, 0, sizeof(in));
            in.list = list;
            in.member.data = members[list];
            in.member.len = strlen(members[list]);
            in.value = (list == TICKET_REV_KID) ? 0 : 1700000000 + k;

            if (k & 1) {
                in.reason.data = "employee left";
                in.reason.len = 13;
            }

            if (k & 2) {
                in.actor.data = "alice@soc";
                in.actor.len = 9;
            }

            n = ticket_rev_encode_entry(&in, f, value);
            assert_true(n >= 6 && n <= TICKET_REV_MAX_FIELDS);
            assert_int_equal(n % 2, 0);

            rc = ticket_rev_parse_entry(f, n, &out);
            assert_int_equal(rc, TICKET_REV_ENTRY_OK);

            assert_int_equal(out.list, in.list);
            assert_int_equal(out.member.len, in.member.len);
            assert_memory_equal(out.member.data, in.member.data,
                                in.member.len);
            assert_int_equal(out.value, in.value);

            if (k & 1) {
                assert_int_equal(out.reason.len, in.reason.len);
                assert_memory_equal(out.reason.data, in.reason.data,
                                    in.reason.len);
            } else {
                assert_null(out.reason.data);
            }

            if (k & 2) {
                assert_int_equal(out.actor.len, in.actor.len);
                assert_memory_equal(out.actor.data, in.actor.data,
                                    in.actor.len);
            } else {
                assert_null(out.actor.data);
            }

            /* kid carries no value; the others always one */

            assert_int_equal(n, 6 + (list != TICKET_REV_KID) * 2
                                + (k & 1) * 2 + ((k & 2) ? 2 : 0));
        }
    }
}


static void
test_encode_layout(void **state)
{
    char                value[TICKET_REV_VALUE_LEN];
    size_t              n, i;
    ticket_str_t        f[TICKET_REV_MAX_FIELDS];
    ticket_rev_entry_t  e;

    /* the SPEC's field order and spelling, as any other writer sends */

    static const char  *want[] = {
        "op", "revoke", "list", "jti", "member", "abc", "value",
        "1700000000", "reason", "r", "actor", "a"
    };

    memset(&e, 0, sizeof(e));
    e.list = TICKET_REV_JTI;
    e.member.data = "abc";
    e.member.len = 3;
    e.value = 1700000000;
    e.reason.data = "r";
    e.reason.len = 1;
    e.actor.data = "a";
    e.actor.len = 1;

    n = ticket_rev_encode_entry(&e, f, value);
    assert_int_equal(n, 12);

    for (i = 0; i < n; i++) {
        assert_int_equal(f[i].len, strlen(want[i]));
        assert_memory_equal(f[i].data, want[i], f[i].len);
    }

    /* an empty reason is left out; no member or no list is no entry */

    e.reason.len = 0;
    assert_int_equal(ticket_rev_encode_entry(&e, f, value), 10);

    e.member.len = 0;
    assert_int_equal(ticket_rev_encode_entry(&e, f, value), 0);

    e.member.len = 3;
    e.list = TICKET_REV_LISTS;
    assert_int_equal(ticket_rev_encode_entry(&e, f, value), 0);
}


/*
 * The writes ticketctl revoke and the gateway's writer both send: the
 * list's add command stores what a SCAN of that list reads back as the
 * entry's member and value, and the XADD carries the encoder's fields,
 * which the stream reader decodes into the same entry.
 */

static void
test_write_commands(void **state)
{
    int                 list;
    char                value[TICKET_REV_VALUE_LEN], resp[512], *p;
    size_t              n, nf, i, lens[TICKET_REV_XADD_ARGS];
    int64_t             v;
    redisReply         *r;
    ticket_str_t        f[TICKET_REV_MAX_FIELDS], key = S("ticket:revoked:x");
    ticket_str_t        events = S("ticket:events"), cursor, member;
    ticket_str_t        back[TICKET_REV_MAX_FIELDS];
    const char         *argv[TICKET_REV_XADD_ARGS];
    const redisReply   *items;
    ticket_rev_entry_t  in, out;

    static const char  *members[TICKET_REV_LISTS] = {
        "9f1c-jti", "acme/alice", "sess-42", "acme", "key-2026"
    };

    for (list = 0; list < TICKET_REV_LISTS; list++) {
        memset(&in, 0, sizeof(in));
        in.list = list;
        in.member.data = members[list];
        in.member.len = strlen(members[list]);
        in.value = (list == TICKET_REV_KID) ? 0 : 1700000123;
        in.actor.data = "alice@soc";
        in.actor.len = 9;

        nf = ticket_rev_encode_entry(&in, f, value);
        assert_true(nf > 0);

        n = ticket_rev_add_command(&in, &key, value, argv, lens);
        assert_int_equal(n, list == TICKET_REV_KID ? 3 : 4);
        assert_string_equal(argv[0], ticket_rev_list_info(list)->add);
        assert_int_equal(lens[0], strlen(argv[0]));
        assert_int_equal(lens[1], key.len);
        assert_memory_equal(argv[1], key.data, key.len);

        for (i = 0; i < n; i++) {
            assert_int_equal(lens[i], strlen(argv[i]));
        }

        /* what a SCAN of the list answers for that row: member first */

        p = resp;
        p += sprintf(p, "*2\r\n$1\r\n0\r\n*%d\r\n",
                     list == TICKET_REV_KID ? 1 : 2);

        if (list == TICKET_REV_JTI) {
            /* ZADD KEY SCORE MEMBER */
            p += sprintf(p, "$%zu\r\n%s\r\n$%zu\r\n%s\r\n",
                         lens[3], argv[3], lens[2], argv[2]);

        } else if (list == TICKET_REV_KID) {
            /* SADD KEY MEMBER */
            p += sprintf(p, "$%zu\r\n%s\r\n", lens[2], argv[2]);

        } else {
            /* HSET KEY MEMBER VALUE */
            p += sprintf(p, "$%zu\r\n%s\r\n$%zu\r\n%s\r\n",
                         lens[2], argv[2], lens[3], argv[3]);
        }

        r = reply(resp);
        assert_int_equal(ticket_rev_reply_scan(r, list, 32, &cursor, &items),
                         TICKET_REV_REPLY_OK);
        assert_int_equal(ticket_rev_reply_scan_row(items, list, 0, &member,
                                                   &v),
                         TICKET_REV_ROW_OK);
        assert_int_equal(member.len, in.member.len);
        assert_memory_equal(member.data, in.member.data, in.member.len);
        assert_int_equal(v, in.value);
        freeReplyObject(r);

        /* XADD KEY MAXLEN ~ N * FIELDS: the fields decode to the entry */

        n = ticket_rev_xadd_command(&events, f, nf, argv, lens);
        assert_int_equal(n, 6 + nf);
        assert_string_equal(argv[0], "XADD");
        assert_memory_equal(argv[1], events.data, events.len);
        assert_string_equal(argv[2], "MAXLEN");
        assert_string_equal(argv[3], "~");
        assert_string_equal(argv[4], TICKET_REV_STREAM_MAXLEN);
        assert_string_equal(argv[5], "*");

        for (i = 0; i < nf; i++) {
            back[i].data = argv[6 + i];
            back[i].len = lens[6 + i];
        }

        assert_int_equal(ticket_rev_parse_entry(back, nf, &out),
                         TICKET_REV_ENTRY_OK);
        assert_int_equal(out.list, in.list);
        assert_int_equal(out.value, in.value);
        assert_int_equal(out.member.len, in.member.len);
        assert_memory_equal(out.member.data, in.member.data, in.member.len);
        assert_int_equal(out.actor.len, 9);
    }

    /* not a list: no command */

    in.list = TICKET_REV_LISTS;
    assert_int_equal(ticket_rev_add_command(&in, &key, value, argv, lens), 0);
    assert_int_equal(ticket_rev_xadd_command(&events, f,
                                             TICKET_REV_MAX_FIELDS + 1,
                                             argv, lens), 0);
}


static void
test_keys_and_verbs(void **state)
{
    char                           buf[64];
    size_t                         n;
    ticket_str_t                   tenant = S("acme"), sub = S("alice");
    const ticket_rev_list_info_t  *info;

    n = ticket_rev_key(buf, sizeof(buf), "ticket:", 7, TICKET_REV_SUB);
    assert_int_equal(n, strlen("ticket:revoked:sub"));
    assert_string_equal(buf, "ticket:revoked:sub");

    n = ticket_rev_key(buf, sizeof(buf), "{t}:", 4, TICKET_REV_KID);
    assert_string_equal(buf, "{t}:revoked:kid");

    n = ticket_rev_events_key(buf, sizeof(buf), "ticket:", 7);
    assert_int_equal(n, 13);
    assert_string_equal(buf, "ticket:events");

    /* too small: the length all the same, cut and terminated */

    n = ticket_rev_key(buf, 8, "ticket:", 7, TICKET_REV_JTI);
    assert_int_equal(n, strlen("ticket:revoked:jti"));
    assert_string_equal(buf, "ticket:");
    assert_int_equal(ticket_rev_events_key(NULL, 0, "p:", 2), 8);

    n = ticket_rev_sub_member(buf, sizeof(buf), &tenant, &sub);
    assert_string_equal(buf, "acme/alice");
    assert_int_equal(n, 10);

    n = ticket_rev_sub_member(buf, sizeof(buf), NULL, &sub);
    assert_string_equal(buf, "/alice");

    /* the member a writer stores is the row the gateway looks up */

    n = ticket_rev_sub_member(buf, sizeof(buf), &tenant, &sub);
    assert_true(ticket_rev_hash(TICKET_REV_SUB, buf, n)
                == ticket_rev_hash_sub(&tenant, &sub));

    info = ticket_rev_list_info(TICKET_REV_JTI);
    assert_string_equal(info->type, "zset");
    assert_string_equal(info->scan, "ZSCAN");
    assert_string_equal(info->add, "ZADD");
    assert_string_equal(info->value, "exp");

    info = ticket_rev_list_info(TICKET_REV_KID);
    assert_string_equal(info->scan, "SSCAN");
    assert_string_equal(info->add, "SADD");
    assert_null(info->value);

    info = ticket_rev_list_info(TICKET_REV_TENANT);
    assert_string_equal(info->add, "HSET");
    assert_null(ticket_rev_list_info(TICKET_REV_LISTS));
}


static void
test_stream_ids(void **state)
{
    assert_true(ticket_rev_id_valid("1-0", 3));
    assert_true(ticket_rev_id_valid("1700000000000-12", 16));
    assert_false(ticket_rev_id_valid("1-", 2));
    assert_false(ticket_rev_id_valid("-1", 2));
    assert_false(ticket_rev_id_valid("10", 2));
    assert_false(ticket_rev_id_valid("1--0", 4));
    assert_false(ticket_rev_id_valid("1-0a", 4));

    /* numbers, not strings: 9 < 10 in both parts */

    assert_true(ticket_rev_id_cmp("9-0", 3, "10-0", 4) < 0);
    assert_true(ticket_rev_id_cmp("10-0", 4, "9-0", 3) > 0);
    assert_true(ticket_rev_id_cmp("5-9", 3, "5-10", 4) < 0);
    assert_true(ticket_rev_id_cmp("5-10", 4, "5-10", 4) == 0);
}


static void
test_replies(void **state)
{
    int                 rc, entry_rc, truncated;
    int64_t             value;
    ticket_str_t        id, cursor, member, text;
    redisReply         *r;
    const redisReply   *items, *entries;
    ticket_rev_entry_t  e;

    r = reply("-WRONGTYPE Operation against a key\r\n");
    assert_true(ticket_rev_reply_error(r, 9, &text));
    assert_int_equal(text.len, 9);
    assert_memory_equal(text.data, "WRONGTYPE", 9);
    freeReplyObject(r);

    /* XREVRANGE: empty, one entry, an invalid id */

    r = reply("*0\r\n");
    assert_false(ticket_rev_reply_error(r, 200, &text));
    assert_int_equal(ticket_rev_reply_range_id(r, &id), TICKET_REV_REPLY_OK);
    assert_null(id.data);
    freeReplyObject(r);

    r = reply("*1\r\n*2\r\n$3\r\n5-1\r\n*2\r\n$2\r\nop\r\n$6\r\nrevoke\r\n");
    assert_int_equal(ticket_rev_reply_range_id(r, &id), TICKET_REV_REPLY_OK);
    assert_int_equal(id.len, 3);
    assert_memory_equal(id.data, "5-1", 3);
    freeReplyObject(r);

    r = reply("*1\r\n*1\r\n$3\r\nabc\r\n");
    assert_int_equal(ticket_rev_reply_range_id(r, &id),
                     TICKET_REV_REPLY_BAD_ID);
    freeReplyObject(r);

    r = reply(":1\r\n");
    assert_int_equal(ticket_rev_reply_range_id(r, &id), TICKET_REV_REPLY_BAD);
    freeReplyObject(r);

    /* HSCAN: a readable row and one that fails closed */

    r = reply("*2\r\n$2\r\n17\r\n*4\r\n$6\r\n/alice\r\n$10\r\n1700000000\r\n"
              "$4\r\n/bob\r\n$3\r\nx12\r\n");
    rc = ticket_rev_reply_scan(r, TICKET_REV_SUB, 32, &cursor, &items);
    assert_int_equal(rc, TICKET_REV_REPLY_OK);
    assert_int_equal(cursor.len, 2);
    assert_int_equal(ticket_rev_reply_scan_row(items, TICKET_REV_SUB, 0,
                                               &member, &value),
                     TICKET_REV_ROW_OK);
    assert_int_equal(value, 1700000000);
    assert_int_equal(ticket_rev_reply_scan_row(items, TICKET_REV_SUB, 2,
                                               &member, &value),
                     TICKET_REV_ROW_UNREADABLE);
    assert_int_equal(value, TICKET_MAX_TIME);

    /* the same items are three rows of a set, not whole pairs of a hash */

    assert_int_equal(ticket_rev_reply_scan(r, TICKET_REV_KID, 2, &cursor,
                                           &items),
                     TICKET_REV_REPLY_BAD);
    freeReplyObject(r);

    r = reply("*2\r\n$1\r\n0\r\n*3\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n");
    assert_int_equal(ticket_rev_reply_scan(r, TICKET_REV_JTI, 32, &cursor,
                                           &items),
                     TICKET_REV_REPLY_BAD_ITEMS);
    assert_int_equal(ticket_rev_reply_scan(r, TICKET_REV_KID, 32, &cursor,
                                           &items),
                     TICKET_REV_REPLY_OK);
    freeReplyObject(r);

    /* XREAD: nothing, and an entry as ticketctl writes one */

    r = reply("*-1\r\n");
    assert_int_equal(ticket_rev_reply_read(r, &entries),
                     TICKET_REV_REPLY_NIL);
    freeReplyObject(r);

    r = reply("*1\r\n*2\r\n$13\r\nticket:events\r\n*1\r\n*2\r\n$3\r\n7-0\r\n"
              "*8\r\n$2\r\nop\r\n$6\r\nrevoke\r\n$4\r\nlist\r\n$3\r\nsid\r\n"
              "$6\r\nmember\r\n$2\r\ns1\r\n$5\r\nvalue\r\n$2\r\n42\r\n");
    assert_int_equal(ticket_rev_reply_read(r, &entries), TICKET_REV_REPLY_OK);
    assert_int_equal(entries->elements, 1);
    assert_int_equal(ticket_rev_reply_entry(entries->element[0], &id, &e,
                                            &entry_rc, &truncated),
                     TICKET_REV_REPLY_OK);
    assert_int_equal(entry_rc, TICKET_REV_ENTRY_OK);
    assert_false(truncated);
    assert_int_equal(e.list, TICKET_REV_SID);
    assert_int_equal(e.value, 42);
    assert_memory_equal(id.data, "7-0", 3);
    freeReplyObject(r);
}


/* XINFO STREAM as Redis 7.0 answers it after XADD and XTRIM MAXLEN 0 */

static void
test_stream_info(void **state)
{
    redisReply                *r;
    ticket_rev_stream_info_t   info;
    ticket_rev_replication_t   repl;

    r = reply("*20\r\n$6\r\nlength\r\n:0\r\n$15\r\nradix-tree-keys\r\n:0\r\n"
              "$16\r\nradix-tree-nodes\r\n:1\r\n"
              "$17\r\nlast-generated-id\r\n$15\r\n1796399012673-0\r\n"
              "$20\r\nmax-deleted-entry-id\r\n$3\r\n0-0\r\n"
              "$13\r\nentries-added\r\n:1\r\n"
              "$23\r\nrecorded-first-entry-id\r\n$3\r\n0-0\r\n"
              "$6\r\ngroups\r\n:0\r\n"
              "$11\r\nfirst-entry\r\n*-1\r\n$10\r\nlast-entry\r\n*-1\r\n");
    assert_int_equal(ticket_rev_reply_stream_info(r, &info),
                     TICKET_REV_REPLY_OK);
    assert_int_equal(info.last_id.len, 15);
    assert_memory_equal(info.last_id.data, "1796399012673-0", 15);
    assert_int_equal(info.added, 1);
    assert_int_equal(info.length, 0);
    assert_non_null(info.max_deleted.data);
    assert_null(info.first_id.data);
    freeReplyObject(r);

    /* Redis 6: no entries-added, no max-deleted-entry-id; a first entry */

    r = reply("*6\r\n$6\r\nlength\r\n:1\r\n"
              "$17\r\nlast-generated-id\r\n$3\r\n9-1\r\n"
              "$11\r\nfirst-entry\r\n*2\r\n$3\r\n9-1\r\n*2\r\n$2\r\nop\r\n"
              "$6\r\nrevoke\r\n");
    assert_int_equal(ticket_rev_reply_stream_info(r, &info),
                     TICKET_REV_REPLY_OK);
    assert_int_equal(info.added, -1);
    assert_null(info.max_deleted.data);
    assert_memory_equal(info.first_id.data, "9-1", 3);
    freeReplyObject(r);

    /* no last id, a bad id, an odd array */

    r = reply("*2\r\n$6\r\nlength\r\n:0\r\n");
    assert_int_equal(ticket_rev_reply_stream_info(r, &info),
                     TICKET_REV_REPLY_BAD);
    freeReplyObject(r);

    r = reply("*2\r\n$17\r\nlast-generated-id\r\n$2\r\nxx\r\n");
    assert_int_equal(ticket_rev_reply_stream_info(r, &info),
                     TICKET_REV_REPLY_BAD_ID);
    freeReplyObject(r);

    r = reply("*1\r\n$6\r\nlength\r\n");
    assert_int_equal(ticket_rev_reply_stream_info(r, &info),
                     TICKET_REV_REPLY_BAD);
    freeReplyObject(r);

    r = reply("-ERR no such key\r\n");
    assert_true(ticket_rev_reply_no_stream(r));
    freeReplyObject(r);

    r = reply("-NOPERM this user has no permissions\r\n");
    assert_false(ticket_rev_reply_no_stream(r));
    freeReplyObject(r);

    /* INFO replication: a primary, a replica up, a replica down */

    r = reply("$48\r\n# Replication\r\nrole:master\r\n"
              "connected_slaves:0\r\n\r\n");
    assert_int_equal(ticket_rev_reply_replication(r, &repl),
                     TICKET_REV_REPLY_OK);
    assert_false(repl.replica);
    freeReplyObject(r);

    r = reply("$103\r\n# Replication\r\nrole:slave\r\n"
              "master_host:127.0.0.1\r\n"
              "master_link_status:up\r\nmaster_last_io_seconds_ago:3\r\n\r\n");
    assert_int_equal(ticket_rev_reply_replication(r, &repl),
                     TICKET_REV_REPLY_OK);
    assert_true(repl.replica);
    assert_true(repl.link_up);
    assert_int_equal(repl.last_io, 3);
    freeReplyObject(r);

    r = reply("$106\r\n# Replication\r\nrole:slave\r\n"
              "master_host:127.0.0.1\r\n"
              "master_link_status:down\r\n"
              "master_last_io_seconds_ago:-1\r\n\r\n");
    assert_int_equal(ticket_rev_reply_replication(r, &repl),
                     TICKET_REV_REPLY_OK);
    assert_true(repl.replica);
    assert_false(repl.link_up);
    assert_int_equal(repl.last_io, -1);
    freeReplyObject(r);

    r = reply("$15\r\n# Replication\r\n\r\n");
    assert_int_equal(ticket_rev_reply_replication(r, &repl),
                     TICKET_REV_REPLY_BAD);
    freeReplyObject(r);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_round_trip_every_kind),
        cmocka_unit_test(test_encode_layout),
        cmocka_unit_test(test_write_commands),
        cmocka_unit_test(test_keys_and_verbs),
        cmocka_unit_test(test_stream_ids),
        cmocka_unit_test(test_replies),
        cmocka_unit_test(test_stream_info),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
