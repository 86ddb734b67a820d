/*
 * netem's words in a scenario directive (tc-netem(8)): delay, loss and its
 * models, duplicate, corrupt, reorder and gap, rate, limit, slot, plus mtu
 * and blackhole, with tc's defaults and tc's checks between them.
 */
#include "scn_reader.h"
#include "scn_units.h"

#include <errno.h>
#include <string.h>

/* How tc reads a bare delay (iproute2 commit 9a6b231e, 6.9: get_time64()
 * instead of get_ticks()) and a bare slot time (always get_time64()). */
#define TC_DELAY_UNIT "as nanoseconds (as microseconds before iproute2 6.9)"
#define TC_SLOT_UNIT "as nanoseconds"

static int parse_delay(struct parser *p, bn_scn_netem *nm)
{
  int rc = bn_scn_read_tc_time(p, "the delay", U_DELAY, TC_DELAY_UNIT, &nm->delay.time_ns);
  if (rc == 0 && bn_scn_next_is_number(p, false)) {
    rc = bn_scn_read_tc_time(p, "the jitter", U_DELAY, TC_DELAY_UNIT, &nm->delay.jitter_ns);
    if (rc == 0 && bn_scn_next_is_number(p, false)) {
      rc = bn_scn_read_percent(p, "the delay correlation", U_DELAY, &nm->delay.corr_pct);
    }
  }
  return rc;
}


/* Up to max optional percentages into pct[first..]. */
static int optional_percents(struct parser *p, double *pct, size_t first, size_t max, const char *const names[])
{
  for (size_t i = first; i < max && bn_scn_next_is_number(p, false); i++) {
    int rc = bn_scn_read_percent(p, names[i], U_LOSS, &pct[i]);
    if (rc < 0) {
      return rc;
    }
  }
  return 0;
}

static int parse_loss(struct parser *p, bn_scn_netem *nm)
{
  static const char *const state_names[] = { "p13", "p31", "p32", "p23", "p14" };
  static const char *const ge_names[] = { "p", "r", "1-h", "1-k" };
  double *pct = nm->loss.pct;
  memset(nm->loss.pct, 0, sizeof(nm->loss.pct));
  if (bn_scn_next_is_number(p, false) || bn_scn_peek_is(p, "random")) {
    if (bn_scn_peek_is(p, "random")) {
      p->i++;
    }
    nm->loss.model = BN_SCN_LOSS_RANDOM;
    bn_scn_chance c;
    int rc = bn_scn_read_chance(p, "the loss probability", U_LOSS, &c);
    pct[0] = c.pct;
    pct[1] = c.corr_pct;
    return rc;
  }
  const bn_scn_token *t;
  int rc = bn_scn_next(p, "a loss model (random, state or gemodel)", U_LOSS, &t);
  if (rc < 0) {
    return rc;
  }
  if (strcmp(t->text, "state") == 0) {
    nm->loss.model = BN_SCN_LOSS_STATE;
    rc = bn_scn_read_percent(p, "p13", U_LOSS, &pct[0]);
    /* tc's defaults (iproute2 tc/q_netem.c) */
    pct[1] = 100 - pct[0];
    pct[2] = 0;
    pct[3] = 100;
    pct[4] = 0;
    return rc < 0 ? rc : optional_percents(p, pct, 1, 5, state_names);
  }
  if (strcmp(t->text, "gemodel") == 0) {
    nm->loss.model = BN_SCN_LOSS_GEMODEL;
    rc = bn_scn_read_percent(p, "p", U_LOSS, &pct[0]);
    pct[1] = 100 - pct[0];
    pct[2] = 100;
    pct[3] = 0;
    return rc < 0 ? rc : optional_percents(p, pct, 1, 4, ge_names);
  }
  return bn_scn_fail(p, t->col, U_LOSS, "'%s': unknown loss model (random, state or gemodel)", t->text);
}

static int parse_rate(struct parser *p, bn_scn_netem *nm)
{
  const bn_scn_token *t;
  int rc = bn_scn_next(p, "a rate", U_RATE, &t);
  if (rc < 0) {
    return rc;
  }
  if (bn_scn_parse_rate(t->text, &nm->rate.bits_per_s) < 0) {
    return bn_scn_fail(p, t->col, U_RATE, "'%s': not a rate (bit, kbit, mbit, gbit, Kibit, ..., Bps, KBps, ...)", t->text);
  }
  int64_t v;
  if (bn_scn_next_is_number(p, true)) {
    t = &p->toks.tok[p->i++];
    if (bn_scn_parse_signed(t->text, -65535, 65535, &v) < 0) {
      return bn_scn_fail(p, t->col, U_RATE, "'%s': the packet overhead must be a byte count from -65535 to 65535", t->text);
    }
    nm->rate.packet_overhead = (int32_t)v;
    if (bn_scn_next_is_number(p, false)) {
      uint64_t cell;
      rc = bn_scn_read_count(p, "the cell size", U_RATE, 0, 65535, &cell);
      if (rc < 0) {
        return rc;
      }
      nm->rate.cell_size = (uint32_t)cell;
      if (bn_scn_next_is_number(p, true)) {
        t = &p->toks.tok[p->i++];
        if (bn_scn_parse_signed(t->text, -65535, 65535, &v) < 0) {
          return bn_scn_fail(p, t->col, U_RATE, "'%s': the cell overhead must be a byte count from -65535 to 65535", t->text);
        }
        nm->rate.cell_overhead = (int32_t)v;
      }
    }
  }
  return 0;
}

/* slot distribution DIST DELAY JITTER (tc-netem(8)): each slot's time drawn
 * from the distribution, as netem's get_slot_next() does with tabledist(). */
static int parse_slot_distribution(struct parser *p, bn_scn_netem *nm)
{
  nm->slot.dist_set = true;
  int rc = bn_scn_read_dist(p, U_SLOT, &nm->slot.dist);
  if (rc == 0) {
    rc = bn_scn_read_tc_time(p, "the slot's delay", U_SLOT, TC_SLOT_UNIT, &nm->slot.delay_ns);
  }
  if (rc == 0) {
    const bn_scn_token *t = bn_scn_peek(p);
    rc = bn_scn_read_tc_time(p, "the slot's jitter", U_SLOT, TC_SLOT_UNIT, &nm->slot.jitter_ns);
    if (rc == 0 && nm->slot.jitter_ns == 0) {
      return bn_scn_fail(p, t->col, U_SLOT, "'%s': the slot's jitter must be more than 0 (tc: \"Non-positive jitter\")",
                         t->text);
    }
  }
  return rc;
}

static int parse_slot(struct parser *p, bn_scn_netem *nm)
{
  int rc;
  if (bn_scn_peek_is(p, "distribution")) {
    p->i++;
    rc = parse_slot_distribution(p, nm);
  } else {
    rc = bn_scn_read_tc_time(p, "the slot's shortest time", U_SLOT, TC_SLOT_UNIT, &nm->slot.min_ns);
    nm->slot.max_ns = nm->slot.min_ns;
    if (rc == 0 && bn_scn_next_is_number(p, false)) {
      const bn_scn_token *t = bn_scn_peek(p);
      rc = bn_scn_read_tc_time(p, "the slot's longest time", U_SLOT, TC_SLOT_UNIT, &nm->slot.max_ns);
      if (rc == 0 && nm->slot.max_ns < nm->slot.min_ns) {
        return bn_scn_fail(p, t->col, U_SLOT, "'%s': the longest slot is shorter than the shortest", t->text);
      }
    }
  }
  while (rc == 0 && (bn_scn_peek_is(p, "packets") || bn_scn_peek_is(p, "bytes"))) {
    bool packets = bn_scn_peek_is(p, "packets");
    p->i++;
    if (packets) {
      uint64_t v;
      rc = bn_scn_read_count(p, "the packets per slot", U_SLOT, 1, INT32_MAX, &v);
      nm->slot.packets = (uint32_t)v;
    } else {
      const bn_scn_token *t;
      rc = bn_scn_next(p, "the bytes per slot", U_SLOT, &t);
      if (rc == 0 && (bn_scn_parse_size(t->text, &nm->slot.bytes) < 0 || nm->slot.bytes == 0 ||
                      nm->slot.bytes > INT32_MAX)) {
        return bn_scn_fail(p, t->col, U_SLOT, "'%s': the bytes per slot must be a size from 1 byte to 2gb", t->text);
      }
    }
  }
  return rc;
}

/* One netem word and its values; false in *known if t is none. */
static int parse_netem_word(struct parser *p, const bn_scn_token *t, bn_scn_netem *nm, unsigned *kind)
{
  static const struct {
    const char *word;
    unsigned kind;
  } words[] = {
    { "delay", BN_SCN_NM_DELAY }, { "latency", BN_SCN_NM_DELAY }, { "loss", BN_SCN_NM_LOSS },
    { "duplicate", BN_SCN_NM_DUPLICATE }, { "corrupt", BN_SCN_NM_CORRUPT }, { "reorder", BN_SCN_NM_REORDER },
    { "rate", BN_SCN_NM_RATE }, { "limit", BN_SCN_NM_LIMIT }, { "slot", BN_SCN_NM_SLOT }, { "mtu", BN_SCN_NM_MTU },
    { "blackhole", BN_SCN_NM_BLACKHOLE },
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
    return bn_scn_fail(p, t->col, NULL, "'%s' given twice on one line", t->text);
  }
  nm->set |= *kind;
  uint64_t v;
  int rc = 0;
  switch (*kind) {
  case BN_SCN_NM_DELAY:
    return parse_delay(p, nm);
  case BN_SCN_NM_LOSS:
    return parse_loss(p, nm);
  case BN_SCN_NM_DUPLICATE:
    return bn_scn_read_chance(p, "the duplicate probability", U_DUP, &nm->duplicate);
  case BN_SCN_NM_CORRUPT:
    return bn_scn_read_chance(p, "the corrupt probability", U_CORRUPT, &nm->corrupt);
  case BN_SCN_NM_REORDER:
    if (nm->reorder.gap == 0) {
      nm->reorder.gap = 1;
    }
    return bn_scn_read_chance(p, "the reorder probability", U_REORDER, &nm->reorder.chance);
  case BN_SCN_NM_RATE:
    return parse_rate(p, nm);
  case BN_SCN_NM_LIMIT:
    rc = bn_scn_read_count(p, "the queue limit", U_LIMIT, 0, UINT32_MAX, &v);
    nm->limit = (uint32_t)v;
    return rc;
  case BN_SCN_NM_SLOT:
    return parse_slot(p, nm);
  case BN_SCN_NM_MTU:
    rc = bn_scn_read_count(p, "the MTU", U_MTU, 0, 65535, &v);
    nm->mtu = (uint32_t)v;
    return rc;
  default: /* BN_SCN_NM_BLACKHOLE: no values */
    return 0;
  }
}

/* IMPAIRMENT...: netem's words until the end of the line. */
int bn_scn_parse_impair(struct parser *p, bn_scn_step *step)
{
  bn_scn_netem *nm = &step->netem;
  const bn_scn_token *gap = NULL, *dist = NULL, *reorder = NULL;
  while (p->i < p->toks.n) {
    const bn_scn_token *t = &p->toks.tok[p->i++];
    if (t->quoted) {
      return bn_scn_fail(p, t->col, U_LINE, "a string here? (a match comes before the impairments)");
    }
    unsigned kind;
    int rc;
    if (strcmp(t->text, "gap") == 0) {
      uint64_t v;
      if (gap != NULL) {
        return bn_scn_fail(p, t->col, NULL, "'gap' given twice on one line");
      }
      gap = t;
      rc = bn_scn_read_count(p, "the reorder gap", U_REORDER, 1, UINT32_MAX, &v);
      nm->reorder.gap = (uint32_t)v;
    } else if (strcmp(t->text, "distribution") == 0) {
      dist = t;
      rc = bn_scn_read_dist(p, U_DELAY, &nm->delay.dist);
    } else {
      rc = parse_netem_word(p, t, nm, &kind);
      if (rc == 0 && kind == 0) {
        char hint[64];
        return bn_scn_fail(p, t->col, U_LINE, "'%s': unknown impairment (%s)%s", t->text, U_WORDS,
                           bn_scn_did_you_mean(t->text, hint, sizeof(hint)));
      }
      if (kind == BN_SCN_NM_REORDER) {
        reorder = t;
      }
    }
    if (rc < 0) {
      return rc;
    }
  }
  /* tc/q_netem.c: "gap specified without reorder probability" */
  if (gap != NULL && (reorder == NULL || nm->reorder.chance.pct == 0)) {
    return bn_scn_fail(p, gap->col, U_REORDER, "'gap' without a reorder probability above 0%% on the same line");
  }
  /* tc/q_netem.c: "distribution specified but no latency and jitter values" */
  if (dist != NULL && (!(nm->set & BN_SCN_NM_DELAY) || nm->delay.time_ns == 0 || nm->delay.jitter_ns == 0)) {
    return bn_scn_fail(p, dist->col, U_DELAY, "'distribution' without a delay and a jitter on the same line");
  }
  /* tc: "reordering not possible without specifying some delay" */
  for (unsigned d = BN_SCN_EGRESS; d <= BN_SCN_INGRESS; d++) {
    if (!(step->dir & d)) {
      continue;
    }
    bool *has = &p->has_delay[step->match + 1][d - 1];
    if (nm->set & BN_SCN_NM_DELAY) {
      *has = nm->delay.time_ns > 0;  /* tc: "reordering not possible without specifying some delay" */
    }
    if (reorder != NULL && !*has && nm->reorder.chance.pct > 0) {
      return bn_scn_fail(p, reorder->col, U_REORDER, "reordering needs a delay for the frames it does not send early "
                  "(a delay on this line, or one in force for this direction and match)");
    }
  }
  return 0;
}
