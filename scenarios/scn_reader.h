/*
 * bn_scn_reader: what the scenario parser's files share (private to
 * scenarios/): the parser's state, the usage lines of its errors, and the
 * readers of one token each (a time, a percentage, a count ...), which
 * report a bad token as "file:line:col: message" with the directive's usage.
 * scn_parse.c reads the directives and the file, scn_netem_words.c netem's
 * impairments, scn_pool_words.c the pool faults, scn_reader.c the tokens.
 */
#ifndef BN_SCN_READER_H
#define BN_SCN_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "scn.h"
#include "scn_lex.h"

/* Usage lines, for errors (tc-netem(8)'s words). */
#define U_TIME "at TIME | after TIME (TIME with a unit: 2.5s, 1500ms, 20us, 100ns)"
#define U_DELAY "delay TIME [JITTER [CORRELATION]] [distribution uniform|normal|pareto|paretonormal]"
#define U_LOSS "loss random P [CORR] | loss state p13 [p31 [p32 [p23 [p14]]]] | loss gemodel p [r [1-h [1-k]]]"
#define U_DUP "duplicate P [CORR]"
#define U_CORRUPT "corrupt P [CORR]"
#define U_REORDER "reorder P [CORR] [gap N] (needs a delay)"
#define U_RATE "rate RATE [PACKETOVERHEAD [CELLSIZE [CELLOVERHEAD]]] (RATE: 250kbit, 1mbit, 10Mbps ...)"
#define U_LIMIT "limit PACKETS"
#define U_SLOT "slot MIN [MAX] | slot distribution uniform|normal|pareto|paretonormal DELAY JITTER, then [packets N] [bytes B]"
#define U_MTU "mtu N (the largest IP packet let through, in bytes)"
#define U_LINK "link down | link up"
#define U_POOL "pool NAME exhaust P (NAME: an lwIP memp pool, e.g. PBUF_POOL, TCP_PCB)"
#define U_FAIL "fail NAME next N (NAME: an lwIP memp pool, or heap)"
#define U_AIM "[match \"FILTER\"] nth N | first N | every N [egress|ingress|both] drop | corrupt [byte B bit K] | duplicate | " \
  "delay TIME"
#define U_LINE "[at TIME | after TIME] [egress|ingress|both] [match \"FILTER\"] IMPAIRMENT... | link down|up | " \
  "clear [pools] | pool NAME exhaust P | fail NAME next N | seed N | end"
#define U_WORDS "delay, loss, duplicate, corrupt, reorder, gap, rate, limit, slot, mtu, blackhole"

/* What the parser knows while it reads. */
struct parser {
  const char *path;
  unsigned line;
  bn_scn_line toks;
  size_t i;             /* next token */
  bn_scn_scenario *s;
  char *err;
  uint64_t now_ns;      /* the time of the previous directive */
  unsigned end_line;    /* the line of `end`, once read */
  size_t cap_steps, cap_matches;
  /* Whether (dir, match) has a delay in force: reorder needs one. Indexed
   * [match + 1][dir - 1] (dir 1 egress, 2 ingress), grown with matches. */
  bool (*has_delay)[2];
};

/** Sets p->err to "path:line:col: message" (and "\n  usage: ..." if usage); returns -EINVAL. */
int bn_scn_fail(struct parser *p, unsigned col, const char *usage, const char *fmt, ...)
  __attribute__((format(printf, 4, 5)));

/** The next token, or NULL at the end of the line. */
const bn_scn_token *bn_scn_peek(const struct parser *p);

/** Whether the next token is the word `word` (not a string). */
bool bn_scn_peek_is(const struct parser *p, const char *word);

/** The column just past the last token: where a missing value would go. */
unsigned bn_scn_end_col(const struct parser *p);

/** Takes the next token, which must be a word: `what` names it in the error. */
int bn_scn_next(struct parser *p, const char *what, const char *usage, const bn_scn_token **out);

/** Whether the next token is a number (tc's NEXT_IS_NUMBER; sign: a '-' may lead). */
bool bn_scn_next_is_number(const struct parser *p, bool sign);

/* The readers of one value each: 0, or -EINVAL with the error in p->err. */
int bn_scn_read_time(struct parser *p, const char *what, const char *usage, uint64_t *ns);
/* A time of one of tc-netem's words: a bare number is refused as every
 * time is, the message saying how tc would have read it (tc_reads: "as
 * nanoseconds" ...). */
int bn_scn_read_tc_time(struct parser *p, const char *what, const char *usage, const char *tc_reads, uint64_t *ns);
/* One of the delay distributions' names (tc-netem's distribution). */
int bn_scn_read_dist(struct parser *p, const char *usage, enum bn_scn_dist *dist);
int bn_scn_read_percent(struct parser *p, const char *what, const char *usage, double *pct);
int bn_scn_read_count(struct parser *p, const char *what, const char *usage, uint64_t min, uint64_t max,
                   uint64_t *v);
/** P [CORR]: a probability and its optional correlation. */
int bn_scn_read_chance(struct parser *p, const char *what, const char *usage, bn_scn_chance *c);
/** The word `word`, or an error naming what is there. */
int bn_scn_expect_word(struct parser *p, const char *word, const char *usage);

/** IMPAIRMENT...: netem's words until the end of the line, into step (scn_netem_words.c). */
int bn_scn_parse_impair(struct parser *p, bn_scn_step *step);

/** The rest of a pool fault's line into step, a POOL_EXHAUST ("pool NAME exhaust P") or POOL_FAIL
 *  ("fail NAME next N") step (scn_pool_words.c). */
int bn_scn_parse_pool(struct parser *p, bn_scn_step *step);

/** The language's word nearest to word (a slip: 1 or 2 letters off), or NULL. */
const char *bn_scn_nearest(const char *word);

/** "; did you mean 'W'?" in buf for bn_scn_nearest(word), or "" (then buf is unused). */
const char *bn_scn_did_you_mean(const char *word, char *buf, size_t size);

#endif /* BN_SCN_READER_H */
