/*
 * ticketctl audit --check: are the records complete?
 *
 * Every record names its writer (one process of one gateway) and that
 * writer's seq, which grows by exactly one with each record, from 1.
 * Over all the files given (rotated ones too, in any order), each
 * writer's seqs must then be 1..N with none missing and none twice.
 * Memory: 8 bytes a record, and the writers' names.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ticketctl.h"
#include "audit.h"


struct ticketctl_audit_check_s {
    ticketctl_audit_writer_t  *writers;
    size_t                     n;
    size_t                     nalloc;
    uint64_t                   records;
    uint64_t                   unnamed;   /* records of an older gateway */
};


static int ticketctl_audit_seq_cmp(const void *a, const void *b);


ticketctl_audit_check_t *
ticketctl_audit_check_new(void)
{
    return calloc(1, sizeof(ticketctl_audit_check_t));
}


int
ticketctl_audit_check_add(ticketctl_audit_check_t *c,
    const unsigned char *writer, size_t len, uint64_t seq)
{
    size_t                     i, n;
    uint64_t                  *seqs;
    ticketctl_audit_writer_t  *w;

    c->records++;

    if (writer == NULL) {
        c->unnamed++;
        return 0;
    }

    /* few writers (processes): a linear search, the last one first */

    w = NULL;

    for (i = c->n; i > 0; i--) {
        if (c->writers[i - 1].len == len
            && memcmp(c->writers[i - 1].name, writer, len) == 0)
        {
            w = &c->writers[i - 1];
            break;
        }
    }

    if (w == NULL) {
        if (c->n == c->nalloc) {
            n = c->nalloc ? 2 * c->nalloc : 16;
            w = realloc(c->writers, n * sizeof(ticketctl_audit_writer_t));
            if (w == NULL) {
                return -1;
            }

            c->writers = w;
            c->nalloc = n;
        }

        w = &c->writers[c->n];
        memset(w, 0, sizeof(ticketctl_audit_writer_t));

        w->name = malloc(len ? len : 1);
        if (w->name == NULL) {
            return -1;
        }

        memcpy(w->name, writer, len);
        w->len = len;
        c->n++;
    }

    if (w->nseq == w->nalloc) {
        n = w->nalloc ? 2 * w->nalloc : 1024;

        if (n > SIZE_MAX / sizeof(uint64_t)) {
            return -1;
        }

        seqs = realloc(w->seqs, n * sizeof(uint64_t));
        if (seqs == NULL) {
            return -1;
        }

        w->seqs = seqs;
        w->nalloc = n;
    }

    w->seqs[w->nseq++] = seq;

    return 0;
}


/* 0: complete, 1: gaps or repeats (each said on stdout) */

int
ticketctl_audit_check_report(ticketctl_audit_check_t *c)
{
    int                        bad;
    size_t                     i, j;
    uint64_t                   expect, s;
    ticketctl_audit_writer_t  *w;

    bad = 0;

    for (i = 0; i < c->n; i++) {
        w = &c->writers[i];

        qsort(w->seqs, w->nseq, sizeof(uint64_t), ticketctl_audit_seq_cmp);

        expect = 1;

        for (j = 0; j < w->nseq; j++) {
            s = w->seqs[j];

            if (s < expect) {
                printf("writer %.*s: seq %llu repeated\n", (int) w->len,
                       w->name, (unsigned long long) s);
                bad = 1;
                continue;
            }

            if (s > expect) {
                if (s - 1 == expect) {
                    printf("writer %.*s: seq %llu missing\n", (int) w->len,
                           w->name, (unsigned long long) expect);

                } else {
                    printf("writer %.*s: seq %llu-%llu missing\n",
                           (int) w->len, w->name,
                           (unsigned long long) expect,
                           (unsigned long long) (s - 1));
                }

                bad = 1;
            }

            expect = s + 1;
        }
    }

    if (!bad) {
        printf("complete: %llu records, %zu writers\n",
               (unsigned long long) (c->records - c->unnamed), c->n);
    }

    if (c->unnamed) {
        printf("%llu records without writer and seq (an older gateway) "
               "not checked\n", (unsigned long long) c->unnamed);
    }

    return bad;
}


void
ticketctl_audit_check_free(ticketctl_audit_check_t *c)
{
    size_t  i;

    if (c == NULL) {
        return;
    }

    for (i = 0; i < c->n; i++) {
        free(c->writers[i].name);
        free(c->writers[i].seqs);
    }

    free(c->writers);
    free(c);
}


static int
ticketctl_audit_seq_cmp(const void *a, const void *b)
{
    uint64_t  x, y;

    x = *(const uint64_t *) a;
    y = *(const uint64_t *) b;

    return (x > y) - (x < y);
}
