/*
 * Reads the scenario language into a timeline (scn.h): one directive per
 * line, each token checked as it is read, every error reported as
 * "file:line:col: message" naming the token, with the directive's usage.
 * netem's words are scn_netem_words.c's, the pool faults' scn_pool_words.c's,
 * the token readers scn_reader.c's.
 */
#include "scn.h"
#include "scn_reader.h"
#include "scn_units.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- growing the scenario ------------------------------------------------ */

static bn_scn_step *new_step(struct parser *p, enum bn_scn_kind kind)
{
  bn_scn_scenario *s = p->s;
  if (s->n_steps == p->cap_steps) {
    size_t cap = p->cap_steps ? 2 * p->cap_steps : 16;
    bn_scn_step *grown = realloc(s->steps, cap * sizeof(*grown));
    if (grown == NULL) {
      return NULL;
    }
    s->steps = grown;
    p->cap_steps = cap;
  }
  bn_scn_step *step = &s->steps[s->n_steps++];
  memset(step, 0, sizeof(*step));
  step->at_ns = p->now_ns;
  step->line = p->line;
  step->kind = kind;
  step->dir = BN_SCN_BOTH;
  step->match = -1;
  return step;
}

/* The index of filter in the scenario's matches, compiled on first sight. */
static int find_match(struct parser *p, const bn_scn_token *t, int *index)
{
  bn_scn_scenario *s = p->s;
  if (strlen(t->text) > BN_SCN_FILTER_MAX) {
    return bn_scn_fail(p, t->col, NULL, "a filter longer than %d bytes", BN_SCN_FILTER_MAX);
  }
  for (size_t i = 0; i < s->n_matches; i++) {
    if (strcmp(s->matches[i].filter, t->text) == 0) {
      *index = (int)i;
      return 0;
    }
  }
  if (s->n_matches == p->cap_matches) {
    size_t cap = p->cap_matches ? 2 * p->cap_matches : 4;
    bn_scn_match *grown = realloc(s->matches, cap * sizeof(*grown));
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
  bn_scn_match *m = &s->matches[s->n_matches];
  memset(m, 0, sizeof(*m));
  if (pcap_compile(dead, &m->prog, t->text, 1, PCAP_NETMASK_UNKNOWN) != 0) {
    int rc = bn_scn_fail(p, t->col, "match \"FILTER\" (a libpcap filter, pcap-filter(7))", "match \"%s\": %s", t->text,
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

/* ---- the other directives ----------------------------------------------- */

static int parse_pool(struct parser *p, const bn_scn_token *t)
{
  bool exhaust = strcmp(t->text, "pool") == 0;
  bn_scn_step *step = new_step(p, exhaust ? BN_SCN_STEP_POOL_EXHAUST : BN_SCN_STEP_POOL_FAIL);
  return step != NULL ? bn_scn_parse_pool(p, step) : -ENOMEM;
}

/* Qualifiers before the body: a direction, a match, a selector. */
struct quals {
  const bn_scn_token *dir, *match, *select;
  unsigned dirv;
  int matchv;
  enum bn_scn_select sel;
  uint32_t n;
};

static int parse_quals(struct parser *p, struct quals *q)
{
  static const char *const dirs[] = { NULL, "egress", "ingress", "both" };
  static const char *const sels[] = { "nth", "first", "every" };
  q->dirv = BN_SCN_BOTH;
  q->matchv = -1;
  for (;;) {
    const bn_scn_token *t = bn_scn_peek(p);
    if (t == NULL || t->quoted) {
      return 0;
    }
    bool found = false;
    for (unsigned d = BN_SCN_EGRESS; d <= BN_SCN_BOTH && !found; d++) {
      if (strcmp(t->text, dirs[d]) == 0) {
        if (q->dir != NULL) {
          return bn_scn_fail(p, t->col, U_LINE, "'%s': a second direction (the first was '%s')", t->text, q->dir->text);
        }
        q->dir = t;
        q->dirv = d;
        found = true;
      }
    }
    for (size_t k = 0; k < 3 && !found; k++) {
      if (strcmp(t->text, sels[k]) == 0) {
        if (q->select != NULL) {
          return bn_scn_fail(p, t->col, U_AIM, "'%s': a second selector (the first was '%s')", t->text, q->select->text);
        }
        q->select = t;
        q->sel = (enum bn_scn_select)k;
        p->i++;
        uint64_t v;
        int rc = bn_scn_read_count(p, "the frame count", U_AIM, 1, UINT32_MAX, &v);
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
        return bn_scn_fail(p, t->col, U_LINE, "a second match on one line");
      }
      p->i++;
      const bn_scn_token *f = bn_scn_peek(p);
      if (f == NULL || !f->quoted) {
        return bn_scn_fail(p, f != NULL ? f->col : bn_scn_end_col(p), "match \"FILTER\" (a libpcap filter, pcap-filter(7))",
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

/* corrupt's optional place: byte B bit K (the decision log's words). */
static int parse_corrupt_place(struct parser *p, bn_scn_step *step)
{
  if (bn_scn_peek_is(p, "bit")) {
    return bn_scn_fail(p, bn_scn_peek(p)->col, U_AIM, "'bit' without 'byte' (corrupt byte B bit K)");
  }
  if (!bn_scn_peek_is(p, "byte")) {
    return 0; /* a random bit, as netem */
  }
  const bn_scn_token *byte = &p->toks.tok[p->i++];
  uint64_t b, k;
  int rc = bn_scn_read_count(p, "the byte", U_AIM, 0, UINT16_MAX, &b);
  if (rc < 0) {
    return rc;
  }
  if (!bn_scn_peek_is(p, "bit")) {
    const bn_scn_token *t = bn_scn_peek(p);
    if (t == NULL) {
      return bn_scn_fail(p, bn_scn_end_col(p), U_AIM, "'byte %s' needs its bit: 'bit K' expected at the end of the line",
                         p->toks.tok[p->i - 1].text);
    }
    return bn_scn_fail(p, t->col, U_AIM, "'%s': 'bit K' expected after '%s %s'", t->text, byte->text,
                       p->toks.tok[p->i - 1].text);
  }
  p->i++;
  rc = bn_scn_read_count(p, "the bit", U_AIM, 0, 7, &k);
  if (rc < 0) {
    return rc;
  }
  step->aim.exact = true;
  step->aim.byte = (uint16_t)b;
  step->aim.bit = (uint8_t)k;
  return 0;
}

/* The action of an aim: drop | corrupt [byte B bit K] | duplicate | delay TIME. */
static int parse_aim(struct parser *p, const struct quals *q)
{
  bn_scn_step *step = new_step(p, BN_SCN_STEP_AIM);
  if (step == NULL) {
    return -ENOMEM;
  }
  step->dir = q->dirv;
  step->match = q->matchv;
  step->aim.select = q->sel;
  step->aim.n = q->n;
  const bn_scn_token *t;
  int rc = bn_scn_next(p, "an action (drop, corrupt, duplicate or delay TIME)", U_AIM, &t);
  if (rc < 0) {
    return rc;
  }
  static const char *const acts[] = { "drop", "corrupt", "duplicate", "delay" };
  size_t k = 0;
  while (k < 4 && strcmp(t->text, acts[k]) != 0) {
    k++;
  }
  if (k == 4) {
    return bn_scn_fail(p, t->col, U_AIM, "'%s': not an action for the frames '%s' picks (drop, corrupt, duplicate or "
                "delay TIME)", t->text, q->select->text);
  }
  step->aim.action = (enum bn_scn_action)k;
  if (step->aim.action == BN_SCN_ACT_DELAY) {
    rc = bn_scn_read_time(p, "the delay", U_AIM, &step->aim.delay_ns);
  } else if (step->aim.action == BN_SCN_ACT_CORRUPT) {
    rc = parse_corrupt_place(p, step);
  }
  return rc;
}

/* A directive that takes no qualifier: reject one that was given. */
static int no_quals(struct parser *p, const struct quals *q, const bn_scn_token *t, const char *usage)
{
  const bn_scn_token *bad = q->dir != NULL ? q->dir : q->match != NULL ? q->match : q->select;
  if (bad != NULL) {
    return bn_scn_fail(p, bad->col, usage, "'%s' takes no direction, match or selector", t->text);
  }
  return 0;
}

static int parse_body(struct parser *p, const struct quals *q)
{
  if (q->select != NULL) {
    return parse_aim(p, q);
  }
  const bn_scn_token *t;
  int rc = bn_scn_next(p, "a directive", U_LINE, &t);
  if (rc < 0) {
    return rc;
  }
  const char *w = t->text;
  if (strcmp(w, "link") == 0) {
    if ((rc = no_quals(p, q, t, U_LINK)) < 0 || (rc = bn_scn_next(p, "down or up", U_LINK, &t)) < 0) {
      return rc;
    }
    if (strcmp(t->text, "down") != 0 && strcmp(t->text, "up") != 0) {
      char hint[64];
      return bn_scn_fail(p, t->col, U_LINK, "'%s': 'down' or 'up' expected%s", t->text,
                         bn_scn_did_you_mean(t->text, hint, sizeof(hint)));
    }
    bn_scn_step *step = new_step(p, BN_SCN_STEP_LINK);
    if (step == NULL) {
      return -ENOMEM;
    }
    step->up = strcmp(t->text, "up") == 0;
    return 0;
  }
  if (strcmp(w, "clear") == 0) {
    if (bn_scn_peek_is(p, "pools")) {
      p->i++;
      if ((rc = no_quals(p, q, t, "clear pools")) < 0) {
        return rc;
      }
      return new_step(p, BN_SCN_STEP_CLEAR_POOLS) != NULL ? 0 : -ENOMEM;
    }
    bn_scn_step *step = new_step(p, BN_SCN_STEP_CLEAR);
    if (step == NULL) {
      return -ENOMEM;
    }
    step->dir = q->dirv;
    step->match = q->matchv;
    step->match_all_clear = q->match == NULL;
    for (unsigned d = BN_SCN_EGRESS; d <= BN_SCN_INGRESS; d++) {
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
    return new_step(p, BN_SCN_STEP_END) != NULL ? 0 : -ENOMEM;
  }
  if (strcmp(w, "pool") == 0 || strcmp(w, "fail") == 0) {
    if ((rc = no_quals(p, q, t, strcmp(w, "pool") == 0 ? U_POOL : U_FAIL)) < 0) {
      return rc;
    }
    return parse_pool(p, t);
  }
  if (strcmp(w, "drop") == 0) {
    return bn_scn_fail(p, t->col, U_AIM, "'drop' needs a selector (nth N, first N or every N); netem's drop rate is "
                "'loss P'");
  }
  p->i--;
  bn_scn_step *step = new_step(p, BN_SCN_STEP_IMPAIR);
  if (step == NULL) {
    return -ENOMEM;
  }
  step->dir = q->dirv;
  step->match = q->matchv;
  return bn_scn_parse_impair(p, step);
}

/* One line's directive. */
static int parse_line(struct parser *p)
{
  const bn_scn_token *t = bn_scn_peek(p);
  if (t == NULL) {
    return 0;
  }
  if (bn_scn_peek_is(p, "seed")) {
    p->i++;
    uint64_t v;
    int rc = bn_scn_read_count(p, "the seed", "seed N", 0, UINT64_MAX, &v);
    if (rc < 0) {
      return rc;
    }
    if (p->i < p->toks.n) {
      return bn_scn_fail(p, p->toks.tok[p->i].col, "seed N", "'%s': nothing may follow the seed", p->toks.tok[p->i].text);
    }
    if (p->s->seed_given) {
      return bn_scn_fail(p, t->col, "seed N", "a second seed (one per scenario)");
    }
    p->s->seed_given = true;
    p->s->seed = v;
    return 0;
  }
  if (bn_scn_peek_is(p, "at") || bn_scn_peek_is(p, "after")) {
    bool at = bn_scn_peek_is(p, "at");
    p->i++;
    const bn_scn_token *tt = bn_scn_peek(p);
    uint64_t ns;
    int rc = bn_scn_read_time(p, "the time", U_TIME, &ns);
    if (rc < 0) {
      return rc;
    }
    if (at && ns < p->now_ns) {
      char prev[32];
      bn_scn_format_time(prev, sizeof(prev), p->now_ns);
      return bn_scn_fail(p, tt->col, U_TIME, "'%s': time goes back (the directive before is at %s)", tt->text, prev);
    }
    if (!at && ns > BN_SCN_TIME_MAX_NS - p->now_ns) {
      return bn_scn_fail(p, tt->col, U_TIME, "'%s': too far (a scenario lasts at most 292 years)", tt->text);
    }
    p->now_ns = at ? ns : p->now_ns + ns;
    if (p->i == p->toks.n) {
      return bn_scn_fail(p, bn_scn_end_col(p), U_LINE, "a directive expected after the time");
    }
  }
  if (p->end_line != 0) {
    const bn_scn_token *first = &p->toks.tok[0];
    return bn_scn_fail(p, first->col, NULL, "'%s': nothing happens after the scenario's end (line %u)", first->text,
                p->end_line);
  }
  struct quals q;
  memset(&q, 0, sizeof(q));
  int rc = parse_quals(p, &q);
  if (rc == 0) {
    rc = parse_body(p, &q);
  }
  if (rc == 0 && p->i < p->toks.n) {
    const bn_scn_token *extra = &p->toks.tok[p->i];
    char hint[64];
    rc = bn_scn_fail(p, extra->col, U_LINE, "'%s': unexpected here%s", extra->text,
                     bn_scn_did_you_mean(extra->text, hint, sizeof(hint)));
  }
  return rc;
}

/* ---- the file ---------------------------------------------------------------- */

/* The longest line read: room for the longest filter printed back with its
 * escapes (twice BN_SCN_FILTER_MAX) and the rest of its line. */
#define BN_SCN_LINE_MAX 16384

/* Parses text; each error goes to each(arg, message) and the parse goes on
 * with the next line, up to max errors (each NULL: stops at the first). */
static int parse_text(const char *path, const char *text, size_t len, bn_scn_scenario *out, unsigned max,
                      bn_scn_error_fn each, void *arg, char err[BN_SCN_ERRLEN])
{
  memset(out, 0, sizeof(*out));
  err[0] = '\0';
  char first[BN_SCN_ERRLEN] = "";
  unsigned errors = 0;
  struct parser p = { .path = path, .s = out, .err = err };
  out->path = strdup(path);
  p.has_delay = calloc(1, sizeof(*p.has_delay));
  char *buf = malloc(BN_SCN_LINE_MAX + 1);
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
    if (n > BN_SCN_LINE_MAX) {
      rc = bn_scn_fail(&p, BN_SCN_LINE_MAX + 1, NULL, "line longer than %d bytes", BN_SCN_LINE_MAX);
      break;
    }
    memcpy(buf, text + start, n);
    buf[n] = '\0';
    const char *nul = memchr(buf, '\0', n);
    if (nul != NULL) {
      rc = bn_scn_fail(&p, (unsigned)(nul - buf) + 1, NULL, "a NUL byte (is this a text file?)");
      break;
    }
    unsigned col;
    const char *why;
    if (bn_scn_lex_line(buf, &p.toks, &col, &why) < 0) {
      rc = bn_scn_fail(&p, col, NULL, "%s", why);
    } else {
      p.i = 0;
      rc = parse_line(&p);
    }
    if (rc == -EINVAL && each != NULL) {
      each(arg, err);
      if (errors++ == 0) {
        memcpy(first, err, sizeof(first));
      }
      rc = errors < max ? 0 : rc; /* the next line, while the limit allows */
    }
  }
  free(buf);
  free(p.has_delay);
  if (errors > 0) {
    memcpy(err, first, BN_SCN_ERRLEN);
    rc = rc == -ENOMEM ? rc : -EINVAL;
  }
  if (rc < 0) {
    if (rc == -ENOMEM && err[0] == '\0') {
      snprintf(err, BN_SCN_ERRLEN, "%s: out of memory", path);
    }
    bn_scn_free(out);
  }
  return rc;
}

int bn_scn_parse(const char *path, const char *text, size_t len, bn_scn_scenario *out, char err[BN_SCN_ERRLEN])
{
  return parse_text(path, text, len, out, 1, NULL, NULL, err);
}

int bn_scn_load(const char *path, bn_scn_scenario *out, char err[BN_SCN_ERRLEN])
{
  return bn_scn_load_each(path, out, 1, NULL, NULL, err);
}

int bn_scn_load_each(const char *path, bn_scn_scenario *out, unsigned max, bn_scn_error_fn each, void *arg,
                     char err[BN_SCN_ERRLEN])
{
  memset(out, 0, sizeof(*out));
  FILE *f = fopen(path, "r");
  if (f == NULL) {
    int e = errno;
    snprintf(err, BN_SCN_ERRLEN, "%s: %s", path, strerror(e));
    return -e;
  }
  char *text = NULL;
  size_t len = 0, cap = 0;
  int rc = 0;
  for (;;) {
    if (len == cap) {
      cap = cap ? 2 * cap : 4096;
      if (cap > (64u << 20)) {
        snprintf(err, BN_SCN_ERRLEN, "%s: larger than 64 MiB: not a scenario", path);
        rc = -EFBIG;
        break;
      }
      char *grown = realloc(text, cap);
      if (grown == NULL) {
        snprintf(err, BN_SCN_ERRLEN, "%s: out of memory", path);
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
        snprintf(err, BN_SCN_ERRLEN, "%s: read error", path);
      }
      break;
    }
  }
  fclose(f);
  if (rc == 0) {
    rc = parse_text(path, text, len, out, max, each, arg, err);
  }
  free(text);
  return rc;
}

void bn_scn_free(bn_scn_scenario *s)
{
  for (size_t i = 0; i < s->n_matches; i++) {
    pcap_freecode(&s->matches[i].prog);
    free(s->matches[i].filter);
  }
  free(s->matches);
  free(s->steps);
  free(s->path);
  free(s->base_path);
  memset(s, 0, sizeof(*s));
}

const char *bn_scn_dir_name(unsigned dir)
{
  return dir == BN_SCN_EGRESS ? "egress" : dir == BN_SCN_INGRESS ? "ingress" : "both";
}

const char *bn_scn_dist_name(enum bn_scn_dist dist)
{
  static const char *const names[] = { "uniform", "normal", "pareto", "paretonormal" };
  return (unsigned)dist < sizeof(names) / sizeof(names[0]) ? names[dist] : "?";
}

bool bn_scn_holds_frames(const bn_scn_scenario *s, unsigned dir)
{
  for (size_t i = 0; i < s->n_steps; i++) {
    const bn_scn_step *st = &s->steps[i];
    if (!(st->dir & dir)) {
      continue;
    }
    if (st->kind == BN_SCN_STEP_IMPAIR && (st->netem.set & (BN_SCN_NM_DELAY | BN_SCN_NM_RATE | BN_SCN_NM_SLOT))) {
      return true;
    }
    if (st->kind == BN_SCN_STEP_AIM && st->aim.action == BN_SCN_ACT_DELAY) {
      return true;
    }
  }
  return false;
}
