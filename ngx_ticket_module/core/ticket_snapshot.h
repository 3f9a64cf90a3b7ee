
/*
 * Snapshots: a verified ticket's typed claims in one flat buffer, for the
 * verified-ticket cache.  Restoring one costs no parsing: t's strings and
 * lists point into buf, which must stay put (and writable) while t lives.
 * The key is not part of a snapshot: the caller restores t->key.
 */

#ifndef TICKET_SNAPSHOT_H_INCLUDED_
#define TICKET_SNAPSHOT_H_INCLUDED_


#include "ticket_types.h"


size_t ticket_snapshot_len(const ticket_t *t);
void ticket_snapshot_write(unsigned char *buf, const ticket_t *t);

/*
 * token: the ticket the snapshot was written for, byte for byte (the
 * caller compared them); it must outlive t, which decodes its claims
 * from it on demand.
 */
int ticket_snapshot_restore(ticket_t *t, unsigned char *buf, size_t len,
    const char *token, size_t token_len);


#endif /* TICKET_SNAPSHOT_H_INCLUDED_ */
