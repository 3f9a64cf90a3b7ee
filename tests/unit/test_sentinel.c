
/*
 * ticket_sentinel.c: Sentinel's answers as Redis 7 sends them (captured
 * from redis-sentinel 7.0 on Debian 12), and the shapes a confused or
 * hostile server could send instead.
 */

#include "unit.h"

#include <ticket_sentinel.h>


static redisReply *
reply(const char *resp, size_t len)
{
    void         *r;
    redisReader  *reader;

    reader = redisReaderCreate();
    assert_non_null(reader);
    assert_int_equal(redisReaderFeed(reader, resp, len), REDIS_OK);

    r = NULL;
    assert_int_equal(redisReaderGetReply(reader, &r), REDIS_OK);
    assert_non_null(r);

    redisReaderFree(reader);

    return r;
}


#define R(s)  reply(s, sizeof(s) - 1)


static void
test_master(void **state)
{
    redisReply              *r;
    ticket_sentinel_addr_t   a;

    r = R("*2\r\n$9\r\n127.0.0.1\r\n$4\r\n6380\r\n");
    assert_int_equal(ticket_sentinel_master(r, &a), TICKET_SENTINEL_OK);
    assert_int_equal(a.host.len, 9);
    assert_memory_equal(a.host.data, "127.0.0.1", 9);
    assert_int_equal(a.port, 6380);
    freeReplyObject(r);

    r = R("*2\r\n$3\r\n::1\r\n$5\r\n65535\r\n");
    assert_int_equal(ticket_sentinel_master(r, &a), TICKET_SENTINEL_OK);
    assert_int_equal(a.port, 65535);
    freeReplyObject(r);

    /* a Sentinel that does not know the name: ask the next */

    r = R("*-1\r\n");
    assert_int_equal(ticket_sentinel_master(r, &a), TICKET_SENTINEL_UNKNOWN);
    freeReplyObject(r);

    r = R("$-1\r\n");
    assert_int_equal(ticket_sentinel_master(r, &a), TICKET_SENTINEL_UNKNOWN);
    freeReplyObject(r);

    r = R("-NOAUTH Authentication required.\r\n");
    assert_int_equal(ticket_sentinel_master(r, &a), TICKET_SENTINEL_UNKNOWN);
    freeReplyObject(r);

    /* not an address */

    r = R("*2\r\n$9\r\n127.0.0.1\r\n$5\r\n65536\r\n");
    assert_int_equal(ticket_sentinel_master(r, &a), TICKET_SENTINEL_BAD);
    freeReplyObject(r);

    r = R("*2\r\n$9\r\n127.0.0.1\r\n$1\r\n0\r\n");
    assert_int_equal(ticket_sentinel_master(r, &a), TICKET_SENTINEL_BAD);
    freeReplyObject(r);

    r = R("*2\r\n$9\r\n127.0.0.1\r\n$3\r\n-80\r\n");
    assert_int_equal(ticket_sentinel_master(r, &a), TICKET_SENTINEL_BAD);
    freeReplyObject(r);

    r = R("*2\r\n$9\r\n127.0.0.1\r\n:6379\r\n");
    assert_int_equal(ticket_sentinel_master(r, &a), TICKET_SENTINEL_BAD);
    freeReplyObject(r);

    r = R("*2\r\n$0\r\n\r\n$4\r\n6379\r\n");
    assert_int_equal(ticket_sentinel_master(r, &a), TICKET_SENTINEL_BAD);
    freeReplyObject(r);

    r = R("*2\r\n$5\r\nh o s\r\n$4\r\n6379\r\n");
    assert_int_equal(ticket_sentinel_master(r, &a), TICKET_SENTINEL_BAD);
    freeReplyObject(r);

    r = R("*3\r\n$9\r\n127.0.0.1\r\n$4\r\n6379\r\n$1\r\nx\r\n");
    assert_int_equal(ticket_sentinel_master(r, &a), TICKET_SENTINEL_BAD);
    freeReplyObject(r);

    r = R("+OK\r\n");
    assert_int_equal(ticket_sentinel_master(r, &a), TICKET_SENTINEL_BAD);
    freeReplyObject(r);
}


static void
test_replicas(void **state)
{
    redisReply              *r;
    ticket_sentinel_addr_t   a[2];

    r = R("*3\r\n"
          "*10\r\n$4\r\nname\r\n$14\r\n127.0.0.1:6381\r\n"
          "$2\r\nip\r\n$9\r\n127.0.0.1\r\n$4\r\nport\r\n$4\r\n6381\r\n"
          "$5\r\nflags\r\n$5\r\nslave\r\n"
          "$18\r\nmaster-link-status\r\n$2\r\nok\r\n"
          "*6\r\n$2\r\nip\r\n$9\r\n127.0.0.1\r\n$4\r\nport\r\n$4\r\n6382\r\n"
          "$5\r\nflags\r\n$25\r\nslave,s_down,disconnected\r\n"
          "*6\r\n$5\r\nflags\r\n$5\r\nslave\r\n"
          "$4\r\nport\r\n$4\r\n6383\r\n$2\r\nip\r\n$8\r\n10.0.0.3\r\n");

    assert_int_equal(ticket_sentinel_replicas(r, a, 2), 2);
    assert_int_equal(a[0].port, 6381);
    assert_int_equal(a[1].port, 6383);
    assert_int_equal(a[1].host.len, 8);
    assert_memory_equal(a[1].host.data, "10.0.0.3", 8);

    /* more than room for: counted up to max */

    assert_int_equal(ticket_sentinel_replicas(r, a, 1), 1);
    freeReplyObject(r);

    r = R("*0\r\n");
    assert_int_equal(ticket_sentinel_replicas(r, a, 2), 0);
    freeReplyObject(r);

    /* no port, odd pairs, not an array */

    r = R("*1\r\n*4\r\n$2\r\nip\r\n$1\r\nx\r\n$5\r\nflags\r\n$5\r\nslave\r\n");
    assert_int_equal(ticket_sentinel_replicas(r, a, 2), TICKET_SENTINEL_BAD);
    freeReplyObject(r);

    r = R("*1\r\n*3\r\n$2\r\nip\r\n$1\r\nx\r\n$4\r\nport\r\n");
    assert_int_equal(ticket_sentinel_replicas(r, a, 2), TICKET_SENTINEL_BAD);
    freeReplyObject(r);

    r = R("-ERR No such master with that name\r\n");
    assert_int_equal(ticket_sentinel_replicas(r, a, 2), TICKET_SENTINEL_BAD);
    freeReplyObject(r);
}


static void
test_role(void **state)
{
    redisReply  *r;

    r = R("*3\r\n$6\r\nmaster\r\n:3129659\r\n*0\r\n");
    assert_int_equal(ticket_sentinel_role(r), TICKET_SENTINEL_ROLE_PRIMARY);
    freeReplyObject(r);

    r = R("*5\r\n$5\r\nslave\r\n$9\r\n127.0.0.1\r\n:9000\r\n"
          "$9\r\nconnected\r\n:3167038\r\n");
    assert_int_equal(ticket_sentinel_role(r), TICKET_SENTINEL_ROLE_REPLICA);
    freeReplyObject(r);

    r = R("*2\r\n$8\r\nsentinel\r\n*0\r\n");
    assert_int_equal(ticket_sentinel_role(r), TICKET_SENTINEL_ROLE_OTHER);
    freeReplyObject(r);

    r = R("*1\r\n:1\r\n");
    assert_int_equal(ticket_sentinel_role(r), TICKET_SENTINEL_BAD);
    freeReplyObject(r);

    r = R("-NOPERM this user has no permissions to run the 'role' "
          "command\r\n");
    assert_int_equal(ticket_sentinel_role(r), TICKET_SENTINEL_BAD);
    freeReplyObject(r);
}


/* a pushed message on channel ch with payload, as Sentinel sends it */

static redisReply *
message(const char *kind, const char *ch, const char *payload)
{
    char  buf[1024];

    snprintf(buf, sizeof(buf), "*3\r\n$%zu\r\n%s\r\n$%zu\r\n%s\r\n"
             "$%zu\r\n%s\r\n", strlen(kind), kind, strlen(ch), ch,
             strlen(payload), payload);

    return reply(buf, strlen(buf));
}


static void
test_switch(void **state)
{
    redisReply              *r;
    ticket_sentinel_addr_t   a;

    /* as redis-sentinel 7.0 publishes it at the end of a failover */

    r = message("message", "+switch-master",
                "gw 127.0.0.1 6379 127.0.0.1 6380");
    assert_int_equal(ticket_sentinel_is_message(r), 1);
    assert_int_equal(ticket_sentinel_switch(r, "gw", 2, &a),
                     TICKET_SENTINEL_OK);
    assert_int_equal(a.port, 6380);
    assert_int_equal(a.host.len, 9);
    assert_memory_equal(a.host.data, "127.0.0.1", 9);

    /* another master, or a name that only begins the same */

    assert_int_equal(ticket_sentinel_switch(r, "g", 1, &a),
                     TICKET_SENTINEL_UNKNOWN);
    assert_int_equal(ticket_sentinel_switch(r, "gw2", 3, &a),
                     TICKET_SENTINEL_UNKNOWN);
    freeReplyObject(r);

    /* another channel; SUBSCRIBE's own reply, PING's in subscribed mode */

    r = message("message", "+sdown", "master gw 127.0.0.1 6379");
    assert_int_equal(ticket_sentinel_switch(r, "gw", 2, &a),
                     TICKET_SENTINEL_UNKNOWN);
    freeReplyObject(r);

    r = R("*3\r\n$9\r\nsubscribe\r\n$14\r\n+switch-master\r\n:1\r\n");
    assert_int_equal(ticket_sentinel_is_message(r), 0);
    assert_int_equal(ticket_sentinel_switch(r, "gw", 2, &a),
                     TICKET_SENTINEL_UNKNOWN);
    freeReplyObject(r);

    r = R("*2\r\n$4\r\npong\r\n$0\r\n\r\n");
    assert_int_equal(ticket_sentinel_is_message(r), 0);
    freeReplyObject(r);

    /* not five words, a bad port, a control byte, two spaces */

    r = message("message", "+switch-master", "gw 127.0.0.1 6379 127.0.0.1");
    assert_int_equal(ticket_sentinel_switch(r, "gw", 2, &a),
                     TICKET_SENTINEL_BAD);
    freeReplyObject(r);

    r = message("message", "+switch-master",
                "gw 127.0.0.1 6379 127.0.0.1 6380 x");
    assert_int_equal(ticket_sentinel_switch(r, "gw", 2, &a),
                     TICKET_SENTINEL_BAD);
    freeReplyObject(r);

    r = message("message", "+switch-master",
                "gw 127.0.0.1 6379 127.0.0.1 65536");
    assert_int_equal(ticket_sentinel_switch(r, "gw", 2, &a),
                     TICKET_SENTINEL_BAD);
    freeReplyObject(r);

    r = message("message", "+switch-master",
                "gw 127.0.0.1 6379 127.0.0.1\t 6380");
    assert_int_equal(ticket_sentinel_switch(r, "gw", 2, &a),
                     TICKET_SENTINEL_BAD);
    freeReplyObject(r);

    r = message("message", "+switch-master",
                "gw 127.0.0.1 6379  127.0.0.1 6380");
    assert_int_equal(ticket_sentinel_switch(r, "gw", 2, &a),
                     TICKET_SENTINEL_BAD);
    freeReplyObject(r);

    r = message("message", "+switch-master", "");
    assert_int_equal(ticket_sentinel_switch(r, "gw", 2, &a),
                     TICKET_SENTINEL_BAD);
    freeReplyObject(r);

    r = R("*3\r\n$7\r\nmessage\r\n$14\r\n+switch-master\r\n:1\r\n");
    assert_int_equal(ticket_sentinel_switch(r, "gw", 2, &a),
                     TICKET_SENTINEL_BAD);
    freeReplyObject(r);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_master),
        cmocka_unit_test(test_replicas),
        cmocka_unit_test(test_role),
        cmocka_unit_test(test_switch),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
