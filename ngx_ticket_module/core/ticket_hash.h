
/*
 * FNV-1a, 64-bit: the one hash of short keys (revocation list entries,
 * JSON member names in the duplicate check).  Not a MAC: where an
 * attacker chooses the keys, the caller seeds it with a secret (the
 * parser: a random seed a process, a table at most half full, as many
 * names as the ticket's bytes allow).
 */


#ifndef TICKET_HASH_H
#define TICKET_HASH_H


#include <stddef.h>
#include <stdint.h>


#define TICKET_FNV_OFFSET  0xcbf29ce484222325ULL
#define TICKET_FNV_PRIME   0x100000001b3ULL


static inline uint64_t
ticket_fnv(uint64_t h, const char *s, size_t len)
{
    size_t  i;

    for (i = 0; i < len; i++) {
        h ^= (unsigned char) s[i];
        h *= TICKET_FNV_PRIME;
    }

    return h;
}


#endif /* TICKET_HASH_H */
