
/*
 * Memory for what a ticket parses: the caller's allocator (nginx's request
 * pool), or else a heap of malloc'd blocks freed together.
 */

#ifndef TICKET_ALLOC_H_INCLUDED_
#define TICKET_ALLOC_H_INCLUDED_


#include <stddef.h>

#include "ticket_types.h"


/*
 * A heap: data is a void * that starts NULL; every block is malloc'd on
 * its own and linked there, and ticket_heap_free() frees them all.  For
 * ticketctl, tests and anything else without a pool.  NULL if out of
 * memory or size 0.
 */

void *ticket_heap_alloc(void *data, size_t size);
void ticket_heap_free(void **heap);

/* size bytes from t's allocator, or its heap when it has none */
void *ticket_alloc(ticket_t *t, size_t size);

/* t's allocator as one to hand on (the heap's when it has none) */
void ticket_allocator(ticket_t *t, ticket_alloc_t *a);


#endif /* TICKET_ALLOC_H_INCLUDED_ */
