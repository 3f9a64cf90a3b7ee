/*
 * ticketctl audit: the scanner of audit records (audit_scan.c), shared
 * with the command (audit.c).
 *
 * A record is one line holding one flat JSON object as ticket_audit.h
 * lays it out.  The scanner checks the line's syntax, bounds-checked and
 * never past its end, and that every member of the contract is there,
 * once, with its type; it notes where the few values the command needs
 * are, and unescapes one only when asked.  Members it does not know are
 * let through when they are flat too (a later gateway may add some).
 */

#ifndef TICKETCTL_AUDIT_H_INCLUDED_
#define TICKETCTL_AUDIT_H_INCLUDED_


#include <stddef.h>
#include <stdint.h>


/* a string value: the bytes between its quotes, as in the line */

typedef struct {
    const unsigned char    *data;      /* NULL: the value is null */
    size_t                  len;
    unsigned                escaped:1; /* holds a backslash */
} ticketctl_audit_str_t;


typedef struct {
    int64_t                 time_ms;   /* unix time in milliseconds */
    ticketctl_audit_str_t   event;
    ticketctl_audit_str_t   reason;
    ticketctl_audit_str_t   uri;
    ticketctl_audit_str_t   sub;       /* data NULL: null */
    ticketctl_audit_str_t   tenant;    /* data NULL: null */
    ticketctl_audit_str_t   writer;    /* data NULL: none (older record) */
    uint64_t                seq;
    unsigned                has_seq:1;
} ticketctl_audit_rec_t;


/* 0: the line (no "\n") is a record, else -1 */
int ticketctl_audit_scan(const unsigned char *line, size_t len,
    ticketctl_audit_rec_t *rec);

/*
 * The value of s, JSON-unescaped: s itself where it holds no escape,
 * else written at *scratch, which moves past it; the scratch needs at
 * most the line's length for all the values of a line (an escape never
 * gets longer unescaped).  A lone surrogate becomes U+FFFD.
 */
void ticketctl_audit_unescape(ticketctl_audit_str_t *s,
    unsigned char **scratch);

/* "2026-11-23T11:12:37.123Z" (fraction and an offset optional) */
int ticketctl_audit_parse_time(const unsigned char *p, size_t len,
    int64_t *ms);


/*
 * A record written as an ECS or OCSF document (audit_doc.c): the same
 * values, read with jansson; the document returned holds them (NULL:
 * not one), to be json_decref()ed when the line is done.
 */
struct json_t;
struct json_t *ticketctl_audit_doc(const unsigned char *line, size_t len,
    ticketctl_audit_rec_t *rec);


/* --check (audit_check.c): each writer's seqs complete from 1 */

typedef struct {
    unsigned char          *name;      /* the writer, unescaped */
    size_t                  len;
    uint64_t               *seqs;
    size_t                  nseq;
    size_t                  nalloc;
} ticketctl_audit_writer_t;

typedef struct ticketctl_audit_check_s  ticketctl_audit_check_t;

ticketctl_audit_check_t *ticketctl_audit_check_new(void);
int ticketctl_audit_check_add(ticketctl_audit_check_t *c,
    const unsigned char *writer, size_t len, uint64_t seq);
int ticketctl_audit_check_report(ticketctl_audit_check_t *c);
void ticketctl_audit_check_free(ticketctl_audit_check_t *c);


#endif /* TICKETCTL_AUDIT_H_INCLUDED_ */
