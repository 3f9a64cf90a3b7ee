
/*
 * fuzz_sentinel: what a Sentinel (or the primary it names) answers.
 *
 * The input is RESP, fed to hiredis's reader in one piece; every reply
 * is read as SENTINEL get-master-addr-by-name (ticket_sentinel_master()),
 * as SENTINEL replicas (ticket_sentinel_replicas()) and as ROLE
 * (ticket_sentinel_role()), as a subscribed connection's +switch-master
 * message for master "gw" (ticket_sentinel_switch()), as the gateway and
 * ticketctl read them, and
 * what they hand on is checked: a host within the reply, printable, a
 * port in range.  Each line of the input is also read as a port.
 */


#include "fuzz.h"

#include <ticket_sentinel.h>


#define FUZZ_MAX_ELEMENTS   (1 << 20)
#define FUZZ_MAX_REPLICAS   8


static void fuzz_addr(const ticket_sentinel_addr_t *a);
static int fuzz_sane(const uint8_t *data, size_t size);


int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    return 0;
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int                      rc, n, i, port;
    void                    *r;
    size_t                   start, k;
    redisReader             *reader;
    ticket_sentinel_addr_t   a, rs[FUZZ_MAX_REPLICAS];

    for (start = 0, k = 0; k <= size; k++) {
        if (k == size || data[k] == '\n') {
            port = ticket_sentinel_port((const char *) data + start,
                                        k - start);
            FUZZ_CHECK(port == -1 || (port >= 1 && port <= 65535));
            start = k + 1;
        }
    }

    /* hiredis 0.14 allocates "*2000000000" elements up front: left out */

    if (!fuzz_sane(data, size)) {
        return 0;
    }

    reader = redisReaderCreate();
    if (reader == NULL) {
        return 0;
    }

    if (redisReaderFeed(reader, (const char *) data, size) != REDIS_OK) {
        redisReaderFree(reader);
        return 0;
    }

    for ( ;; ) {
        r = NULL;

        if (redisReaderGetReply(reader, &r) != REDIS_OK || r == NULL) {
            break;
        }

        memset(&a, 0, sizeof(a));
        rc = ticket_sentinel_master(r, &a);
        FUZZ_CHECK(rc == TICKET_SENTINEL_OK || rc == TICKET_SENTINEL_UNKNOWN
                   || rc == TICKET_SENTINEL_BAD);

        if (rc == TICKET_SENTINEL_OK) {
            fuzz_addr(&a);
        }

        n = ticket_sentinel_replicas(r, rs, FUZZ_MAX_REPLICAS);
        FUZZ_CHECK(n == TICKET_SENTINEL_BAD
                   || (n >= 0 && n <= FUZZ_MAX_REPLICAS));

        for (i = 0; i < n; i++) {
            fuzz_addr(&rs[i]);
        }

        rc = ticket_sentinel_role(r);
        FUZZ_CHECK(rc == TICKET_SENTINEL_ROLE_PRIMARY
                   || rc == TICKET_SENTINEL_ROLE_REPLICA
                   || rc == TICKET_SENTINEL_ROLE_OTHER
                   || rc == TICKET_SENTINEL_BAD);

        rc = ticket_sentinel_switch(r, "gw", 2, &a);
        FUZZ_CHECK(rc == TICKET_SENTINEL_OK || rc == TICKET_SENTINEL_UNKNOWN
                   || rc == TICKET_SENTINEL_BAD);
        FUZZ_CHECK(rc == TICKET_SENTINEL_UNKNOWN
                   || ticket_sentinel_is_message(r));

        if (rc == TICKET_SENTINEL_OK) {
            fuzz_addr(&a);
        }

        freeReplyObject(r);
    }

    redisReaderFree(reader);

    return 0;
}


static void
fuzz_addr(const ticket_sentinel_addr_t *a)
{
    size_t  i;

    FUZZ_CHECK(a->host.data != NULL);
    FUZZ_CHECK(a->host.len > 0 && a->host.len <= TICKET_SENTINEL_HOST_LEN);
    FUZZ_CHECK(a->port >= 1 && a->port <= 65535);

    for (i = 0; i < a->host.len; i++) {
        FUZZ_CHECK(a->host.data[i] > 0x20 && a->host.data[i] < 0x7f);
    }
}


static int
fuzz_sane(const uint8_t *data, size_t size)
{
    size_t    i;
    uint64_t  n;

    for (i = 0; i < size; i++) {
        if (data[i] != '*') {
            continue;
        }

        for (n = 0, i++; i < size && data[i] >= '0' && data[i] <= '9'; i++) {
            n = n * 10 + (data[i] - '0');

            if (n > FUZZ_MAX_ELEMENTS) {
                return 0;
            }
        }
    }

    return 1;
}
