/* The readers of one token each, for the scenario parser (scn_reader.h). */
#include "scn_reader.h"
#include "scn_units.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

int bn_scn_fail(struct parser *p, unsigned col, const char *usage, const char *fmt, ...)
{
  int n = snprintf(p->err, BN_SCN_ERRLEN, "%s:%u:%u: ", p->path, p->line, col);
  if (n < 0 || n >= BN_SCN_ERRLEN) {
    return -EINVAL;
  }
  va_list ap;
  va_start(ap, fmt);
  int m = vsnprintf(p->err + n, BN_SCN_ERRLEN - (size_t)n, fmt, ap);
  va_end(ap);
  if (usage != NULL && m >= 0 && (size_t)(n + m) < BN_SCN_ERRLEN) {
    snprintf(p->err + n + m, BN_SCN_ERRLEN - (size_t)(n + m), "\n  usage: %s", usage);
  }
  return -EINVAL;
}

const bn_scn_token *bn_scn_peek(const struct parser *p)
{
  return p->i < p->toks.n ? &p->toks.tok[p->i] : NULL;
}

bool bn_scn_peek_is(const struct parser *p, const char *word)
{
  const bn_scn_token *t = bn_scn_peek(p);
  return t != NULL && !t->quoted && strcmp(t->text, word) == 0;
}

/* The column just past the last token: where a missing value would go. */
unsigned bn_scn_end_col(const struct parser *p)
{
  if (p->toks.n == 0) {
    return 1;
  }
  const bn_scn_token *t = &p->toks.tok[p->toks.n - 1];
  return t->col + (unsigned)strlen(t->text) + (t->quoted ? 2u : 0u);
}

/* The next token, which must be there: `what` names it in the error. */
int bn_scn_next(struct parser *p, const char *what, const char *usage, const bn_scn_token **out)
{
  if (p->i == p->toks.n) {
    return bn_scn_fail(p, bn_scn_end_col(p), usage, "%s expected at the end of the line", what);
  }
  *out = &p->toks.tok[p->i++];
  if ((*out)->quoted) {
    return bn_scn_fail(p, (*out)->col, usage, "%s expected, not a string", what);
  }
  return 0;
}

/* Whether the next token is a number (tc's NEXT_IS_NUMBER: starts with a digit). */
bool bn_scn_next_is_number(const struct parser *p, bool sign)
{
  const bn_scn_token *t = bn_scn_peek(p);
  if (t == NULL || t->quoted) {
    return false;
  }
  char c = t->text[0] == '-' && sign ? t->text[1] : t->text[0];
  return (c >= '0' && c <= '9') || c == '.';
}

int bn_scn_read_tc_time(struct parser *p, const char *what, const char *usage, const char *tc_reads, uint64_t *ns)
{
  const bn_scn_token *t;
  int rc = bn_scn_next(p, what, usage, &t);
  if (rc < 0) {
    return rc;
  }
  if (bn_scn_parse_time(t->text, ns) < 0) {
    if (strspn(t->text, "0123456789.") != strlen(t->text)) {
      return bn_scn_fail(p, t->col, usage, "'%s': %s is not a time (2.5s, 1500ms, 20us, 100ns)", t->text, what);
    }
    /* A bare number: tc's reading of one changed with its versions (a
     * delay was microseconds before iproute2 6.9, nanoseconds since), so a
     * scenario says its unit. */
    return bn_scn_fail(p, t->col, usage, "'%s': %s needs a unit (s, ms, us or ns)%s%s", t->text, what,
                       tc_reads ? "; tc would read it " : "", tc_reads ? tc_reads : "");
  }
  return 0;
}

int bn_scn_read_time(struct parser *p, const char *what, const char *usage, uint64_t *ns)
{
  return bn_scn_read_tc_time(p, what, usage, NULL, ns);
}

int bn_scn_read_dist(struct parser *p, const char *usage, enum bn_scn_dist *dist)
{
  const bn_scn_token *t;
  int rc = bn_scn_next(p, "a distribution", usage, &t);
  if (rc < 0) {
    return rc;
  }
  for (enum bn_scn_dist d = BN_SCN_DIST_UNIFORM; d <= BN_SCN_DIST_PARETONORMAL; d++) {
    if (strcmp(t->text, bn_scn_dist_name(d)) == 0) {
      *dist = d;
      return 0;
    }
  }
  return bn_scn_fail(p, t->col, usage, "'%s': unknown distribution (uniform, normal, pareto or paretonormal)", t->text);
}

int bn_scn_read_percent(struct parser *p, const char *what, const char *usage, double *pct)
{
  const bn_scn_token *t;
  int rc = bn_scn_next(p, what, usage, &t);
  if (rc < 0) {
    return rc;
  }
  if (bn_scn_parse_percent(t->text, pct) < 0) {
    return bn_scn_fail(p, t->col, usage, "'%s': %s must be a percentage from 0%% to 100%%", t->text, what);
  }
  return 0;
}

int bn_scn_read_count(struct parser *p, const char *what, const char *usage, uint64_t min, uint64_t max,
                      uint64_t *v)
{
  const bn_scn_token *t;
  int rc = bn_scn_next(p, what, usage, &t);
  if (rc < 0) {
    return rc;
  }
  if (bn_scn_parse_count(t->text, min, max, v) < 0) {
    return bn_scn_fail(p, t->col, usage, "'%s': %s must be a whole number from %llu to %llu", t->text, what,
                (unsigned long long)min, (unsigned long long)max);
  }
  return 0;
}

/* P [CORR]: a probability and its optional correlation. */
int bn_scn_read_chance(struct parser *p, const char *what, const char *usage, bn_scn_chance *c)
{
  int rc = bn_scn_read_percent(p, what, usage, &c->pct);
  c->corr_pct = 0;
  if (rc == 0 && bn_scn_next_is_number(p, false)) {
    rc = bn_scn_read_percent(p, "its correlation", usage, &c->corr_pct);
  }
  return rc;
}

int bn_scn_expect_word(struct parser *p, const char *word, const char *usage)
{
  const bn_scn_token *t;
  int rc = bn_scn_next(p, word, usage, &t);
  if (rc == 0 && strcmp(t->text, word) != 0) {
    return bn_scn_fail(p, t->col, usage, "'%s': '%s' expected", t->text, word);
  }
  return rc;
}

/* ---- did you mean ------------------------------------------------------------ */

/* The language's words (directives, directions, impairments and their
 * options), for a misspelt one. */
static const char *const words[] = {
  "at", "after", "egress", "ingress", "both", "match", "delay", "loss", "duplicate", "corrupt", "reorder", "gap",
  "rate", "limit", "slot", "mtu", "blackhole", "link", "down", "up", "clear", "pools", "pool", "exhaust", "fail",
  "next", "seed", "end", "nth", "first", "every", "drop", "distribution", "random", "state", "gemodel", "normal",
  "pareto", "paretonormal", "uniform", "packets", "bytes", "heap", "byte", "bit",
};

/* Levenshtein's distance between a and b (at most 32 bytes each), else a large one. */
static size_t distance(const char *a, const char *b)
{
  size_t la = strlen(a), lb = strlen(b);
  if (la > 32 || lb > 32) {
    return SIZE_MAX;
  }
  size_t row[33];
  for (size_t j = 0; j <= lb; j++) {
    row[j] = j;
  }
  for (size_t i = 1; i <= la; i++) {
    size_t diag = row[0];
    row[0] = i;
    for (size_t j = 1; j <= lb; j++) {
      size_t up = row[j];
      size_t sub = diag + (a[i - 1] != b[j - 1]);
      size_t del = row[j] + 1, ins = row[j - 1] + 1;
      row[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
      diag = up;
    }
  }
  return row[lb];
}

const char *bn_scn_nearest(const char *word)
{
  const char *best = NULL;
  size_t best_d = SIZE_MAX, len = strlen(word);
  for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
    size_t d = distance(word, words[i]);
    if (d < best_d) {
      best_d = d;
      best = words[i];
    }
  }
  /* Close enough to be a slip of the keyboard, not another word. */
  return best_d > 0 && best_d <= 2 && best_d * 3 <= len ? best : NULL;
}

const char *bn_scn_did_you_mean(const char *word, char *buf, size_t size)
{
  const char *near = bn_scn_nearest(word);
  if (near == NULL) {
    return "";
  }
  snprintf(buf, size, "; did you mean '%s'?", near);
  return buf;
}
