
/*
 * Memory for what a ticket parses.  On the request path nginx hands in its
 * pool (ngx_http_ticket_decision.c), so a ticket costs no malloc; the heap
 * here serves ticketctl, the signal endpoint's own tickets and the tests.
 */


#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "ticket_alloc.h"


/* a block's link, padded so that what follows is aligned for any type */

typedef union ticket_heap_block_u  ticket_heap_block_t;

union ticket_heap_block_u {
    ticket_heap_block_t    *next;
    long double             ld;
    long long               ll;
    void                   *p;
};


void *
ticket_heap_alloc(void *data, size_t size)
{
    void                **heap;
    ticket_heap_block_t  *b;

    heap = data;

    if (size == 0 || size > SIZE_MAX - sizeof(ticket_heap_block_t)) {
        return NULL;
    }

    b = malloc(sizeof(ticket_heap_block_t) + size);
    if (b == NULL) {
        return NULL;
    }

    b->next = *heap;
    *heap = b;

    return b + 1;
}


void
ticket_heap_free(void **heap)
{
    ticket_heap_block_t  *b, *next;

    for (b = *heap; b != NULL; b = next) {
        next = b->next;
        free(b);
    }

    *heap = NULL;
}


void *
ticket_alloc(ticket_t *t, size_t size)
{
    if (t->alloc.alloc != NULL) {
        return t->alloc.alloc(t->alloc.data, size);
    }

    return ticket_heap_alloc(&t->heap, size);
}


void
ticket_allocator(ticket_t *t, ticket_alloc_t *a)
{
    if (t->alloc.alloc != NULL) {
        *a = t->alloc;

    } else {
        a->alloc = ticket_heap_alloc;
        a->free = NULL;
        a->data = &t->heap;
    }
}
