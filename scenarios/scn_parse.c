/*
 * Reads the scenario language into a timeline (scn.h): one directive per
 * line, each token checked as it is read, every error reported as
 * "file:line:col: message" naming the token, with the directive's usage.
 */
#include "scn.h"
#include "scn_lex.h"
#include "scn_units.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* Usage lines, for errors (tc-netem(8)'s words). */
#define U_TIME "at TIME | after TIME (TIME with a unit: 2.5s, 1500ms, 20us, 100ns)"
#define U_DELAY "delay TIME [JITTER [CORRELATION]] [distribution uniform|normal|pareto|paretonormal]"
#define U_LOSS "loss random P [CORR] | loss state p13 [p31 [p32 [p23 [p14]]]] | loss gemodel p [r [1-h [1-k]]]"
#define U_DUP "duplicate P [CORR]"
#define U_CORRUPT "corrupt P [CORR]"
#define U_REORDER "reorder P [CORR] [gap N] (needs a delay)"
#define U_RATE "rate RATE [PACKETOVERHEAD [CELLSIZE [CELLOVERHEAD]]] (RATE: 250kbit, 1mbit, 10Mbps ...)"
#define U_LIMIT "limit PACKETS"
#define U_SLOT "slot MIN [MAX] [packets N] [bytes B]"
#define U_MTU "mtu N (the largest IP packet let through, in bytes)"
#define U_LINK "link down | link up"
#define U_POOL "pool NAME exhaust P (NAME: an lwIP memp pool, e.g. PBUF_POOL, TCP_PCB)"
#define U_FAIL "fail NAME next N (NAME: an lwIP memp pool, or heap)"
#define U_AIM "[match \"FILTER\"] nth N | first N | every N [egress|ingress|both] drop | corrupt | duplicate | delay TIME"
#define U_LINE "[at TIME | after TIME] [egress|ingress|both] [match \"FILTER\"] IMPAIRMENT... | link down|up | " \
  "clear [pools] | pool NAME exhaust P | fail NAME next N | seed N | end"
#define U_WORDS "delay, loss, duplicate, corrupt, reorder, gap, rate, limit, slot, mtu, blackhole"

/* What the parser knows while it reads. */
struct parser {
  const char *path;
  unsigned line;
  scn_line toks;
  size_t i;             /* next token */
  scn_scenario *s;
  char *err;
  uint64_t now_ns;      /* the time of the previous directive */
  unsigned end_line;    /* the line of `end`, once read */
  size_t cap_steps, cap_matches;
  /* Whether (dir, match) has a delay in force: reorder needs one. Indexed
   * [match + 1][dir - 1] (dir 1 egress, 2 ingress), grown with matches. */
  bool (*has_delay)[2];
};

static int fail(struct parser *p, unsigned col, const char *usage, const char *fmt, ...)
  __attribute__((format(printf, 4, 5)));

static int fail(struct parser *p, unsigned col, const char *usage, const char *fmt, ...)
{
  int n = snprintf(p->err, SCN_ERRLEN, "%s:%u:%u: ", p->path, p->line, col);
  if (n < 0 || n >= SCN_ERRLEN) {
    return -EINVAL;
  }
  va_list ap;
  va_start(ap, fmt);
  int m = vsnprintf(p->err + n, SCN_ERRLEN - (size_t)n, fmt, ap);
  va_end(ap);
  if (usage != NULL && m >= 0 && (size_t)(n + m) < SCN_ERRLEN) {
    snprintf(p->err + n + m, SCN_ERRLEN - (size_t)(n + m), "\n  usage: %s", usage);
  }
  return -EINVAL;
}

static const scn_token *peek(const struct parser *p)
{
  return p->i < p->toks.n ? &p->toks.tok[p->i] : NULL;
}

static bool peek_is(const struct parser *p, const char *word)
{
  const scn_token *t = peek(p);
  return t != NULL && !t->quoted && strcmp(t->text, word) == 0;
}

/* The column just past the last token: where a missing value would go. */
static unsigned end_col(const struct parser *p)
{
  if (p->toks.n == 0) {
    return 1;
  }
  const scn_token *t = &p->toks.tok[p->toks.n - 1];
  return t->col + (unsigned)strlen(t->text) + (t->quoted ? 2u : 0u);
}

/* The next token, which must be there: `what` names it in the error. */
static int next(struct parser *p, const char *what, const char *usage, const scn_token **out)
{
  if (p->i == p->toks.n) {
    return fail(p, end_col(p), usage, "%s expected at the end of the line", what);
  }
  *out = &p->toks.tok[p->i++];
  if ((*out)->quoted) {
    return fail(p, (*out)->col, usage, "%s expected, not a string", what);
  }
  return 0;
}

/* Whether the next token is a number (tc's NEXT_IS_NUMBER: starts with a digit). */
static bool next_is_number(const struct parser *p, bool sign)
{
  const scn_token *t = peek(p);
  if (t == NULL || t->quoted) {
    return false;
  }
  char c = t->text[0] == '-' && sign ? t->text[1] : t->text[0];
  return (c >= '0' && c <= '9') || c == '.';
}

static int read_time(struct parser *p, const char *what, const char *usage, uint64_t *ns)
{
  const scn_token *t;
  int rc = next(p, what, usage, &t);
  if (rc < 0) {
    return rc;
  }
  if (scn_parse_time(t->text, ns) < 0) {
    bool bare = strspn(t->text, "0123456789.") == strlen(t->text);
    return fail(p, t->col, usage, "'%s': %s %s", t->text, what,
                bare ? "needs a unit (s, ms, us or ns)" : "is not a time (2.5s, 1500ms, 20us, 100ns)");
  }
  return 0;
}

static int read_percent(struct parser *p, const char *what, const char *usage, double *pct)
{
  const scn_token *t;
  int rc = next(p, what, usage, &t);
  if (rc < 0) {
    return rc;
  }
  if (scn_parse_percent(t->text, pct) < 0) {
    return fail(p, t->col, usage, "'%s': %s must be a percentage from 0%% to 100%%", t->text, what);
  }
  return 0;
}

static int read_count(struct parser *p, const char *what, const char *usage, uint64_t min, uint64_t max,
                      uint64_t *v)
{
  const scn_token *t;
  int rc = next(p, what, usage, &t);
  if (rc < 0) {
    return rc;
  }
  if (scn_parse_count(t->text, min, max, v) < 0) {
    return fail(p, t->col, usage, "'%s': %s must be a whole number from %llu to %llu", t->text, what,
                (unsigned long long)min, (unsigned long long)max);
  }
  return 0;
}

/* P [CORR]: a probability and its optional correlation. */
static int read_chance(struct parser *p, const char *what, const char *usage, scn_chance *c)
{
  int rc = read_percent(p, what, usage, &c->pct);
  c->corr_pct = 0;
  if (rc == 0 && next_is_number(p, false)) {
    rc = read_percent(p, "its correlation", usage, &c->corr_pct);
  }
  return rc;
}

/* ---- growing the scenario ------------------------------------------------ */

static scn_step *new_step(struct parser *p, enum scn_kind kind)
{
  scn_scenario *s = p->s;
  if (s->n_steps == p->cap_steps) {
    size_t cap = p->cap_steps ? 2 * p->cap_steps : 16;
    scn_step *grown = realloc(s->steps, cap * sizeof(*grown));
    if (grown == NULL) {
      return NULL;
    }
    s->steps = grown;
    p->cap_steps = cap;
  }
  scn_step *step = &s->steps[s->n_steps++];
  memset(step, 0, sizeof(*step));
  step->at_ns = p->now_ns;
  step->line = p->line;
  step->kind = kind;
  step->dir = SCN_BOTH;
  step->match = -1;
  return step;
}

/* The index of filter in the scenario's matches, compiled on first sight. */
static int find_match(struct parser *p, const scn_token *t, int *index)
{
  scn_scenario *s = p->s;
  if (strlen(t->text) > SCN_FILTER_MAX) {
    return fail(p, t->col, NULL, "a filter longer than %d bytes", SCN_FILTER_MAX);
  }
  for (size_t i = 0; i < s->n_matches; i++) {
    if (strcmp(s->matches[i].filter, t->text) == 0) {
      *index = (int)i;
      return 0;
    }
  }
  if (s->n_matches == p->cap_matches) {
    size_t cap = p->cap_matches ? 2 * p->cap_matches : 4;
    scn_match *grown = realloc(s->matches, cap * sizeof(*grown));
    bool (*delay)[2] = realloc(p->has_delay, (cap + 1) * sizeof(*delay));
    if (grown != NULL) {
      s->matches = grown;
    }
    if (delay != NULL) {
      p->has_delay = delay;
    }
    if (grown == NULL || delay == NULL) {
      return -ENOMEM;
    }
    p->cap_matches = cap;
  }
  pcap_t *dead = pcap_open_dead(DLT_EN10MB, 65535);
  if (dead == NULL) {
    return -ENOMEM;
  }
  scn_match *m = &s->matches[s->n_matches];
  memset(m, 0, sizeof(*m));
  if (pcap_compile(dead, &m->prog, t->text, 1, PCAP_NETMASK_UNKNOWN) != 0) {
    int rc = fail(p, t->col, "match \"FILTER\" (a libpcap filter, pcap-filter(7))", "match \"%s\": %s", t->text,
                  pcap_geterr(dead));
    pcap_close(dead);
    return rc;
  }
  pcap_close(dead);
  m->filter = strdup(t->text);
  if (m->filter == NULL) {
    pcap_freecode(&m->prog);
    return -ENOMEM;
  }
  m->line = p->line;
  *index = (int)s->n_matches++;
  p->has_delay[*index + 1][0] = p->has_delay[*index + 1][1] = false;
  return 0;
}

/* ---- netem's words --------------------------------------------------------- */

static int parse_delay(struct parser *p, scn_netem *nm)
{
  int rc = read_time(p, "the delay", U_DELAY, &nm->delay.time_ns);
  if (rc == 0 && next_is_number(p, false)) {
    rc = read_time(p, "the jitter", U_DELAY, &nm->delay.jitter_ns);
    if (rc == 0 && next_is_number(p, false)) {
      rc = read_percent(p, "the delay correlation", U_DELAY, &nm->delay.corr_pct);
    }
  }
  return rc;
}

static int parse_distribution(struct parser *p, scn_netem *nm)
{
  static const char *const names[] = { "uniform", "normal", "pareto", "paretonormal" };
  const scn_token *t;
  int rc = next(p, "a distribution", U_DELAY, &t);
  if (rc < 0) {
    return rc;
  }
  for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
    if (strcmp(t->text, names[i]) == 0) {
      nm->delay.dist = (enum scn_dist)i;
      return 0;
    }
  }
  return fail(p, t->col, U_DELAY, "'%s': unknown distribution (uniform, normal, pareto or paretonormal)", t->text);
}

/* Up to max optional percentages into pct[first..]. */
static int optional_percents(struct parser *p, double *pct, size_t first, size_t max, const char *const names[])
{
  for (size_t i = first; i < max && next_is_number(p, false); i++) {
    int rc = read_percent(p, names[i], U_LOSS, &pct[i]);
    if (rc < 0) {
      return rc;
    }
  }
  return 0;
}

static int parse_loss(struct parser *p, scn_netem *nm)
{
  static const char *const state_names[] = { "p13", "p31", "p32", "p23", "p14" };
  static const char *const ge_names[] = { "p", "r", "1-h", "1-k" };
  double *pct = nm->loss.pct;
  memset(nm->loss.pct, 0, sizeof(nm->loss.pct));
  if (next_is_number(p, false) || peek_is(p, "random")) {
    if (peek_is(p, "random")) {
      p->i++;
    }
    nm->loss.model = SCN_LOSS_RANDOM;
    scn_chance c;
    int rc = read_chance(p, "the loss probability", U_LOSS, &c);
    pct[0] = c.pct;
    pct[1] = c.corr_pct;
    return rc;
  }
  const scn_token *t;
  int rc = next(p, "a loss model (random, state or gemodel)", U_LOSS, &t);
  if (rc < 0) {
    return rc;
  }
  if (strcmp(t->text, "state") == 0) {
    nm->loss.model = SCN_LOSS_STATE;
    rc = read_percent(p, "p13", U_LOSS, &pct[0]);
    /* tc's defaults (iproute2 tc/q_netem.c) */
    pct[1] = 100 - pct[0];
    pct[2] = 0;
    pct[3] = 100;
    pct[4] = 0;
    return rc < 0 ? rc : optional_percents(p, pct, 1, 5, state_names);
  }
  if (strcmp(t->text, "gemodel") == 0) {
    nm->loss.model = SCN_LOSS_GEMODEL;
    rc = read_percent(p, "p", U_LOSS, &pct[0]);
    pct[1] = 100 - pct[0];
    pct[2] = 100;
    pct[3] = 0;
    return rc < 0 ? rc : optional_percents(p, pct, 1, 4, ge_names);
  }
  return fail(p, t->col, U_LOSS, "'%s': unknown loss model (random, state or gemodel)", t->text);
}

static int parse_rate(struct parser *p, scn_netem *nm)
{
  const scn_token *t;
  int rc = next(p, "a rate", U_RATE, &t);
  if (rc < 0) {
    return rc;
  }
  if (scn_parse_rate(t->text, &nm->rate.bits_per_s) < 0) {
    return fail(p, t->col, U_RATE, "'%s': not a rate (bit, kbit, mbit, gbit, Kibit, ..., Bps, KBps, ...)", t->text);
  }
  int64_t v;
  if (next_is_number(p, true)) {
    t = &p->toks.tok[p->i++];
    if (scn_parse_signed(t->text, -65535, 65535, &v) < 0) {
      return fail(p, t->col, U_RATE, "'%s': the packet overhead must be a byte count from -65535 to 65535", t->text);
    }
    nm->rate.packet_overhead = (int32_t)v;
    if (next_is_number(p, false)) {
      uint64_t cell;
      rc = read_count(p, "the cell size", U_RATE, 0, 65535, &cell);
      if (rc < 0) {
        return rc;
      }
      nm->rate.cell_size = (uint32_t)cell;
      if (next_is_number(p, true)) {
        t = &p->toks.tok[p->i++];
        if (scn_parse_signed(t->text, -65535, 65535, &v) < 0) {
          return fail(p, t->col, U_RATE, "'%s': the cell overhead must be a byte count from -65535 to 65535", t->text);
        }
        nm->rate.cell_overhead = (int32_t)v;
      }
    }
  }
  return 0;
}

static int parse_slot(struct parser *p, scn_netem *nm)
{
  int rc = read_time(p, "the slot's shortest time", U_SLOT, &nm->slot.min_ns);
  nm->slot.max_ns = nm->slot.min_ns;
  if (rc == 0 && next_is_number(p, false)) {
    const scn_token *t = peek(p);
    rc = read_time(p, "the slot's longest time", U_SLOT, &nm->slot.max_ns);
    if (rc == 0 && nm->slot.max_ns < nm->slot.min_ns) {
      return fail(p, t->col, U_SLOT, "'%s': the longest slot is shorter than the shortest", t->text);
    }
  }
  while (rc == 0 && (peek_is(p, "packets") || peek_is(p, "bytes"))) {
    bool packets = peek_is(p, "packets");
    p->i++;
    if (packets) {
      uint64_t v;
      rc = read_count(p, "the packets per slot", U_SLOT, 1, INT32_MAX, &v);
      nm->slot.packets = (uint32_t)v;
    } else {
      const scn_token *t;
      rc = next(p, "the bytes per slot", U_SLOT, &t);
      if (rc == 0 && (scn_parse_size(t->text, &nm->slot.bytes) < 0 || nm->slot.bytes == 0 ||
                      nm->slot.bytes > INT32_MAX)) {
        return fail(p, t->col, U_SLOT, "'%s': the bytes per slot must be a size from 1 byte to 2gb", t->text);
      }
    }
  }
  return rc;
}

/* One netem word and its values; false in *known if t is none. */
static int parse_netem_word(struct parser *p, const scn_token *t, scn_netem *nm, unsigned *kind)
{
  static const struct {
    const char *word;
    unsigned kind;
  } words[] = {
    { "delay", SCN_NM_DELAY }, { "latency", SCN_NM_DELAY }, { "loss", SCN_NM_LOSS },
    { "duplicate", SCN_NM_DUPLICATE }, { "corrupt", SCN_NM_CORRUPT }, { "reorder", SCN_NM_REORDER },
    { "rate", SCN_NM_RATE }, { "limit", SCN_NM_LIMIT }, { "slot", SCN_NM_SLOT }, { "mtu", SCN_NM_MTU },
    { "blackhole", SCN_NM_BLACKHOLE },
  };
  *kind = 0;
  for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
    if (strcmp(t->text, words[i].word) == 0) {
      *kind = words[i].kind;
    }
  }
  if (*kind == 0) {
    return 0;
  }
  if (nm->set & *kind) {
    return fail(p, t->col, NULL, "'%s' given twice on one line", t->text);
  }
  nm->set |= *kind;
  uint64_t v;
  int rc = 0;
  switch (*kind) {
  case SCN_NM_DELAY:
    return parse_delay(p, nm);
  case SCN_NM_LOSS:
    return parse_loss(p, nm);
  case SCN_NM_DUPLICATE:
    return read_chance(p, "the duplicate probability", U_DUP, &nm->duplicate);
  case SCN_NM_CORRUPT:
    return read_chance(p, "the corrupt probability", U_CORRUPT, &nm->corrupt);
  case SCN_NM_REORDER:
    if (nm->reorder.gap == 0) {
      nm->reorder.gap = 1;
    }
    return read_chance(p, "the reorder probability", U_REORDER, &nm->reorder.chance);
  case SCN_NM_RATE:
    return parse_rate(p, nm);
  case SCN_NM_LIMIT:
    rc = read_count(p, "the queue limit", U_LIMIT, 0, UINT32_MAX, &v);
    nm->limit = (uint32_t)v;
    return rc;
  case SCN_NM_SLOT:
    return parse_slot(p, nm);
  case SCN_NM_MTU:
    rc = read_count(p, "the MTU", U_MTU, 0, 65535, &v);
    nm->mtu = (uint32_t)v;
    return rc;
  default: /* SCN_NM_BLACKHOLE: no values */
    return 0;
  }
}

/* IMPAIRMENT...: netem's words until the end of the line. */
static int parse_impair(struct parser *p, scn_step *step)
{
  scn_netem *nm = &step->netem;
  const scn_token *gap = NULL, *dist = NULL, *reorder = NULL;
  while (p->i < p->toks.n) {
    const scn_token *t = &p->toks.tok[p->i++];
    if (t->quoted) {
      return fail(p, t->col, U_LINE, "a string here? (a match comes before the impairments)");
    }
    unsigned kind;
    int rc;
    if (strcmp(t->text, "gap") == 0) {
      uint64_t v;
      if (gap != NULL) {
        return fail(p, t->col, NULL, "'gap' given twice on one line");
      }
      gap = t;
      rc = read_count(p, "the reorder gap", U_REORDER, 1, UINT32_MAX, &v);
      nm->reorder.gap = (uint32_t)v;
    } else if (strcmp(t->text, "distribution") == 0) {
      dist = t;
      rc = parse_distribution(p, nm);
    } else {
      rc = parse_netem_word(p, t, nm, &kind);
      if (rc == 0 && kind == 0) {
        return fail(p, t->col, U_LINE, "'%s': unknown impairment (%s)", t->text, U_WORDS);
      }
      if (kind == SCN_NM_REORDER) {
        reorder = t;
      }
    }
    if (rc < 0) {
      return rc;
    }
  }
  /* tc/q_netem.c: "gap specified without reorder probability" */
  if (gap != NULL && (reorder == NULL || nm->reorder.chance.pct == 0)) {
    return fail(p, gap->col, U_REORDER, "'gap' without a reorder probability above 0%% on the same line");
  }
  /* tc/q_netem.c: "distribution specified but no latency and jitter values" */
  if (dist != NULL && (!(nm->set & SCN_NM_DELAY) || nm->delay.time_ns == 0 || nm->delay.jitter_ns == 0)) {
    return fail(p, dist->col, U_DELAY, "'distribution' without a delay and a jitter on the same line");
  }
  /* tc: "reordering not possible without specifying some delay" */
  for (unsigned d = SCN_EGRESS; d <= SCN_INGRESS; d++) {
    if (!(step->dir & d)) {
      continue;
    }
    bool *has = &p->has_delay[step->match + 1][d - 1];
    if (nm->set & SCN_NM_DELAY) {
      *has = nm->delay.time_ns > 0;  /* tc: "reordering not possible without specifying some delay" */
    }
    if (reorder != NULL && !*has && nm->reorder.chance.pct > 0) {
      return fail(p, reorder->col, U_REORDER, "reordering needs a delay for the frames it does not send early "
                  "(a delay on this line, or one in force for this direction and match)");
    }
  }
  return 0;
}

/* ---- the other directives ----------------------------------------------- */

/* A pool's name: letters, digits and '_'. */
static int read_pool_name(struct parser *p, const char *usage, scn_step *step)
{
  const scn_token *t;
  int rc = next(p, "a pool name", usage, &t);
  if (rc < 0) {
    return rc;
  }
  size_t n = strlen(t->text);
  bool ok = n > 0 && n < SCN_POOL_NAME_MAX;
  for (size_t i = 0; ok && i < n; i++) {
    char c = t->text[i];
    ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  }
  if (!ok) {
    return fail(p, t->col, usage, "'%s': not a pool name", t->text);
  }
  memcpy(step->pool.name, t->text, n + 1);
  step->pool.col = t->col;
  return 0;
}

static int expect_word(struct parser *p, const char *word, const char *usage)
{
  const scn_token *t;
  int rc = next(p, word, usage, &t);
  if (rc == 0 && strcmp(t->text, word) != 0) {
    return fail(p, t->col, usage, "'%s': '%s' expected", t->text, word);
  }
  return rc;
}

static int parse_pool(struct parser *p, const scn_token *t)
{
  bool exhaust = strcmp(t->text, "pool") == 0;
  const char *usage = exhaust ? U_POOL : U_FAIL;
  scn_step *step = new_step(p, exhaust ? SCN_STEP_POOL_EXHAUST : SCN_STEP_POOL_FAIL);
  if (step == NULL) {
    return -ENOMEM;
  }
  int rc = read_pool_name(p, usage, step);
  if (rc < 0) {
    return rc;
  }
  if (exhaust && strcmp(step->pool.name, "heap") == 0) {
    return fail(p, step->pool.col, usage, "the heap cannot be held, only failed (fail heap next N)");
  }
  rc = expect_word(p, exhaust ? "exhaust" : "next", usage);
  if (rc < 0) {
    return rc;
  }
  if (exhaust) {
    return read_percent(p, "the share to hold", usage, &step->pool.share_pct);
  }
  uint64_t v;
  rc = read_count(p, "the number of allocations to fail", usage, 1, UINT32_MAX, &v);
  step->pool.next = (uint32_t)v;
  return rc;
}

/* Qualifiers before the body: a direction, a match, a selector. */
struct quals {
  const scn_token *dir, *match, *select;
  unsigned dirv;
  int matchv;
  enum scn_select sel;
  uint32_t n;
};

static int parse_quals(struct parser *p, struct quals *q)
{
  static const char *const dirs[] = { NULL, "egress", "ingress", "both" };
  static const char *const sels[] = { "nth", "first", "every" };
  q->dirv = SCN_BOTH;
  q->matchv = -1;
  for (;;) {
    const scn_token *t = peek(p);
    if (t == NULL || t->quoted) {
      return 0;
    }
    bool found = false;
    for (unsigned d = SCN_EGRESS; d <= SCN_BOTH && !found; d++) {
      if (strcmp(t->text, dirs[d]) == 0) {
        if (q->dir != NULL) {
          return fail(p, t->col, U_LINE, "'%s': a second direction (the first was '%s')", t->text, q->dir->text);
        }
        q->dir = t;
        q->dirv = d;
        found = true;
      }
    }
    for (size_t k = 0; k < 3 && !found; k++) {
      if (strcmp(t->text, sels[k]) == 0) {
        if (q->select != NULL) {
          return fail(p, t->col, U_AIM, "'%s': a second selector (the first was '%s')", t->text, q->select->text);
        }
        q->select = t;
        q->sel = (enum scn_select)k;
        p->i++;
        uint64_t v;
        int rc = read_count(p, "the frame count", U_AIM, 1, UINT32_MAX, &v);
        if (rc < 0) {
          return rc;
        }
        q->n = (uint32_t)v;
        found = true;
      }
    }
    if (found && q->select == t) {
      continue; /* the selector and its count are read */
    }
    if (!found && strcmp(t->text, "match") == 0) {
      if (q->match != NULL) {
        return fail(p, t->col, U_LINE, "a second match on one line");
      }
      p->i++;
      const scn_token *f = peek(p);
      if (f == NULL || !f->quoted) {
        return fail(p, f != NULL ? f->col : end_col(p), "match \"FILTER\" (a libpcap filter, pcap-filter(7))",
                    "match needs a filter in double quotes");
      }
      q->match = f;
      int rc = find_match(p, f, &q->matchv);
      if (rc < 0) {
        return rc;
      }
      found = true;
    }
    if (!found) {
      return 0;
    }
    p->i++;
  }
}

/* The one-shot action of an aim: drop | corrupt | duplicate | delay TIME. */
static int parse_aim(struct parser *p, const struct quals *q)
{
  scn_step *step = new_step(p, SCN_STEP_AIM);
  if (step == NULL) {
    return -ENOMEM;
  }
  step->dir = q->dirv;
  step->match = q->matchv;
  step->aim.select = q->sel;
  step->aim.n = q->n;
  const scn_token *t;
  int rc = next(p, "an action (drop, corrupt, duplicate or delay TIME)", U_AIM, &t);
  if (rc < 0) {
    return rc;
  }
  static const char *const acts[] = { "drop", "corrupt", "duplicate", "delay" };
  size_t k = 0;
  while (k < 4 && strcmp(t->text, acts[k]) != 0) {
    k++;
  }
  if (k == 4) {
    return fail(p, t->col, U_AIM, "'%s': not an action for the frames '%s' picks (drop, corrupt, duplicate or "
                "delay TIME)", t->text, q->select->text);
  }
  step->aim.action = (enum scn_action)k;
  if (step->aim.action == SCN_ACT_DELAY) {
    rc = read_time(p, "the delay", U_AIM, &step->aim.delay_ns);
  }
  return rc;
}

/* A directive that takes no qualifier: reject one that was given. */
static int no_quals(struct parser *p, const struct quals *q, const scn_token *t, const char *usage)
{
  const scn_token *bad = q->dir != NULL ? q->dir : q->match != NULL ? q->match : q->select;
  if (bad != NULL) {
    return fail(p, bad->col, usage, "'%s' takes no direction, match or selector", t->text);
  }
  return 0;
}

static int parse_body(struct parser *p, const struct quals *q)
{
  if (q->select != NULL) {
    return parse_aim(p, q);
  }
  const scn_token *t;
  int rc = next(p, "a directive", U_LINE, &t);
  if (rc < 0) {
    return rc;
  }
  const char *w = t->text;
  if (strcmp(w, "link") == 0) {
    if ((rc = no_quals(p, q, t, U_LINK)) < 0 || (rc = next(p, "down or up", U_LINK, &t)) < 0) {
      return rc;
    }
    if (strcmp(t->text, "down") != 0 && strcmp(t->text, "up") != 0) {
      return fail(p, t->col, U_LINK, "'%s': 'down' or 'up' expected", t->text);
    }
    scn_step *step = new_step(p, SCN_STEP_LINK);
    if (step == NULL) {
      return -ENOMEM;
    }
    step->up = strcmp(t->text, "up") == 0;
    return 0;
  }
  if (strcmp(w, "clear") == 0) {
    if (peek_is(p, "pools")) {
      p->i++;
      if ((rc = no_quals(p, q, t, "clear pools")) < 0) {
        return rc;
      }
      return new_step(p, SCN_STEP_CLEAR_POOLS) != NULL ? 0 : -ENOMEM;
    }
    scn_step *step = new_step(p, SCN_STEP_CLEAR);
    if (step == NULL) {
      return -ENOMEM;
    }
    step->dir = q->dirv;
    step->match = q->matchv;
    step->match_all_clear = q->match == NULL;
    for (unsigned d = SCN_EGRESS; d <= SCN_INGRESS; d++) {
      for (size_t m = 0; m <= p->s->n_matches; m++) {
        if ((step->dir & d) && (step->match_all_clear || (int)m == step->match + 1)) {
          p->has_delay[m][d - 1] = false;
        }
      }
    }
    return 0;
  }
  if (strcmp(w, "end") == 0) {
    if ((rc = no_quals(p, q, t, "end")) < 0) {
      return rc;
    }
    p->end_line = p->line;
    return new_step(p, SCN_STEP_END) != NULL ? 0 : -ENOMEM;
  }
  if (strcmp(w, "pool") == 0 || strcmp(w, "fail") == 0) {
    if ((rc = no_quals(p, q, t, strcmp(w, "pool") == 0 ? U_POOL : U_FAIL)) < 0) {
      return rc;
    }
    return parse_pool(p, t);
  }
  if (strcmp(w, "drop") == 0) {
    return fail(p, t->col, U_AIM, "'drop' needs a selector (nth N, first N or every N); netem's drop rate is "
                "'loss P'");
  }
  p->i--;
  scn_step *step = new_step(p, SCN_STEP_IMPAIR);
  if (step == NULL) {
    return -ENOMEM;
  }
  step->dir = q->dirv;
  step->match = q->matchv;
  return parse_impair(p, step);
}

/* One line's directive. */
static int parse_line(struct parser *p)
{
  const scn_token *t = peek(p);
  if (t == NULL) {
    return 0;
  }
  if (peek_is(p, "seed")) {
    p->i++;
    uint64_t v;
    int rc = read_count(p, "the seed", "seed N", 0, UINT64_MAX, &v);
    if (rc < 0) {
      return rc;
    }
    if (p->i < p->toks.n) {
      return fail(p, p->toks.tok[p->i].col, "seed N", "'%s': nothing may follow the seed", p->toks.tok[p->i].text);
    }
    if (p->s->seed_given) {
      return fail(p, t->col, "seed N", "a second seed (one per scenario)");
    }
    p->s->seed_given = true;
    p->s->seed = v;
    return 0;
  }
  if (peek_is(p, "at") || peek_is(p, "after")) {
    bool at = peek_is(p, "at");
    p->i++;
    const scn_token *tt = peek(p);
    uint64_t ns;
    int rc = read_time(p, "the time", U_TIME, &ns);
    if (rc < 0) {
      return rc;
    }
    if (at && ns < p->now_ns) {
      char prev[32];
      scn_format_time(prev, sizeof(prev), p->now_ns);
      return fail(p, tt->col, U_TIME, "'%s': time goes back (the directive before is at %s)", tt->text, prev);
    }
    if (!at && ns > SCN_TIME_MAX_NS - p->now_ns) {
      return fail(p, tt->col, U_TIME, "'%s': too far (a scenario lasts at most 292 years)", tt->text);
    }
    p->now_ns = at ? ns : p->now_ns + ns;
    if (p->i == p->toks.n) {
      return fail(p, end_col(p), U_LINE, "a directive expected after the time");
    }
  }
  if (p->end_line != 0) {
    const scn_token *first = &p->toks.tok[0];
    return fail(p, first->col, NULL, "'%s': nothing happens after the scenario's end (line %u)", first->text,
                p->end_line);
  }
  struct quals q;
  memset(&q, 0, sizeof(q));
  int rc = parse_quals(p, &q);
  if (rc == 0) {
    rc = parse_body(p, &q);
  }
  if (rc == 0 && p->i < p->toks.n) {
    const scn_token *extra = &p->toks.tok[p->i];
    rc = fail(p, extra->col, U_LINE, "'%s': unexpected here", extra->text);
  }
  return rc;
}

/* ---- the file ---------------------------------------------------------------- */

/* The longest line read: room for the longest filter printed back with its
 * escapes (twice SCN_FILTER_MAX) and the rest of its line. */
#define SCN_LINE_MAX 16384

int scn_parse(const char *path, const char *text, size_t len, scn_scenario *out, char err[SCN_ERRLEN])
{
  memset(out, 0, sizeof(*out));
  err[0] = '\0';
  struct parser p = { .path = path, .s = out, .err = err };
  out->path = strdup(path);
  p.has_delay = calloc(1, sizeof(*p.has_delay));
  char *buf = malloc(SCN_LINE_MAX + 1);
  int rc = out->path == NULL || p.has_delay == NULL || buf == NULL ? -ENOMEM : 0;
  size_t pos = 0;
  while (rc == 0 && pos < len) {
    p.line++;
    size_t start = pos;
    while (pos < len && text[pos] != '\n') {
      pos++;
    }
    size_t n = pos - start;
    pos += pos < len; /* the newline */
    if (n > SCN_LINE_MAX) {
      rc = fail(&p, SCN_LINE_MAX + 1, NULL, "line longer than %d bytes", SCN_LINE_MAX);
      break;
    }
    memcpy(buf, text + start, n);
    buf[n] = '\0';
    const char *nul = memchr(buf, '\0', n);
    if (nul != NULL) {
      rc = fail(&p, (unsigned)(nul - buf) + 1, NULL, "a NUL byte (is this a text file?)");
      break;
    }
    unsigned col;
    const char *why;
    if (scn_lex_line(buf, &p.toks, &col, &why) < 0) {
      rc = fail(&p, col, NULL, "%s", why);
      break;
    }
    p.i = 0;
    rc = parse_line(&p);
  }
  free(buf);
  free(p.has_delay);
  if (rc < 0) {
    if (rc == -ENOMEM && err[0] == '\0') {
      snprintf(err, SCN_ERRLEN, "%s: out of memory", path);
    }
    scn_free(out);
  }
  return rc;
}

int scn_load(const char *path, scn_scenario *out, char err[SCN_ERRLEN])
{
  memset(out, 0, sizeof(*out));
  FILE *f = fopen(path, "r");
  if (f == NULL) {
    int e = errno;
    snprintf(err, SCN_ERRLEN, "%s: %s", path, strerror(e));
    return -e;
  }
  char *text = NULL;
  size_t len = 0, cap = 0;
  int rc = 0;
  for (;;) {
    if (len == cap) {
      cap = cap ? 2 * cap : 4096;
      if (cap > (64u << 20)) {
        snprintf(err, SCN_ERRLEN, "%s: larger than 64 MiB: not a scenario", path);
        rc = -EFBIG;
        break;
      }
      char *grown = realloc(text, cap);
      if (grown == NULL) {
        snprintf(err, SCN_ERRLEN, "%s: out of memory", path);
        rc = -ENOMEM;
        break;
      }
      text = grown;
    }
    size_t got = fread(text + len, 1, cap - len, f);
    len += got;
    if (got == 0) {
      if (ferror(f)) {
        rc = -EIO;
        snprintf(err, SCN_ERRLEN, "%s: read error", path);
      }
      break;
    }
  }
  fclose(f);
  if (rc == 0) {
    rc = scn_parse(path, text, len, out, err);
  }
  free(text);
  return rc;
}

void scn_free(scn_scenario *s)
{
  for (size_t i = 0; i < s->n_matches; i++) {
    pcap_freecode(&s->matches[i].prog);
    free(s->matches[i].filter);
  }
  free(s->matches);
  free(s->steps);
  free(s->path);
  memset(s, 0, sizeof(*s));
}

const char *scn_dir_name(unsigned dir)
{
  return dir == SCN_EGRESS ? "egress" : dir == SCN_INGRESS ? "ingress" : "both";
}

bool scn_holds_frames(const scn_scenario *s, unsigned dir)
{
  for (size_t i = 0; i < s->n_steps; i++) {
    const scn_step *st = &s->steps[i];
    if (!(st->dir & dir)) {
      continue;
    }
    if (st->kind == SCN_STEP_IMPAIR && (st->netem.set & (SCN_NM_DELAY | SCN_NM_RATE | SCN_NM_SLOT))) {
      return true;
    }
    if (st->kind == SCN_STEP_AIM && st->aim.action == SCN_ACT_DELAY) {
      return true;
    }
  }
  return false;
}
