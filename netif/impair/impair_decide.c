/*
 * The impairment stage's decisions (impair_stage.h): the rules a scenario's
 * steps set, what happens to one frame under them (netem_enqueue()'s
 * order), and which held frames are due (netem_dequeue()'s, with slots).
 */
#include "impair_stage.h"
#include "bn_hash.h"
#include "scn_units.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

const char *const bn_impair_side_name[2] = { "egress", "ingress" };

/* tc's default netem queue limit (iproute2 tc/q_netem.c: opt.limit = 1000). */
#define DEFAULT_LIMIT 1000

/* ---- the decision log ------------------------------------------------------ */

/* Keeps a line's frame in the log's index (the hash is set once the
 * decision is complete: bn_impair_decide()). */
static void keep_line(impair *im, int d, uint64_t now, uint64_t frame_no, bool drop)
{
  bn_impair_log_index *ix = im->log_index;
  if (ix == NULL) {
    return;
  }
  if (ix->n == ix->cap) {
    size_t cap = ix->cap ? 2 * ix->cap : 256;
    bn_impair_logged *grown = realloc(ix->v, cap * sizeof(*grown));
    if (grown == NULL) {
      im->log_index = NULL; /* the lines from here on have no numbers; those before keep theirs */
      return;
    }
    ix->v = grown;
    ix->cap = cap;
  }
  ix->v[ix->n++] = (bn_impair_logged){ .frame_no = frame_no, .now_ns = now, .dir = (uint8_t)d, .drop = drop };
}

void bn_impair_log_decision(impair *im, int d, uint64_t now, uint64_t frame_no, size_t rule, const char *fmt, ...)
{
  if (im->decisions == NULL) {
    return;
  }
  uint64_t t = now > im->t0 ? now - im->t0 : 0;
  fprintf(im->decisions, "%" PRIu64 ".%06" PRIu64 " %s %" PRIu64 " ", t / 1000000000u, t % 1000000000u / 1000u,
          bn_impair_side_name[d], frame_no);
  if (rule == 0) {
    fputc('*', im->decisions);
  } else {
    fputc('"', im->decisions);
    for (const char *c = im->s->matches[rule - 1].filter; *c != '\0'; c++) {
      if (*c == '"' || *c == '\\') {
        fputc('\\', im->decisions);
      }
      fputc(*c, im->decisions);
    }
    fputc('"', im->decisions);
  }
  fputc(' ', im->decisions);
  va_list ap;
  va_start(ap, fmt);
  vfprintf(im->decisions, fmt, ap);
  va_end(ap);
  fputc('\n', im->decisions);
  keep_line(im, d, now, frame_no, strncmp(fmt, "drop", 4) == 0);
}


/* ---- the rules ------------------------------------------------------------------- */

static void slot_open_next(struct rule *r, uint64_t now)
{
  uint64_t len;
  if (r->nm.slot.dist_set) {
    bn_impair_corr uncorrelated = { 0 }; /* netem's tabledist() of a slot has no correlation state */
    len = bn_impair_delay_draw(&r->slot_rng, &uncorrelated, r->nm.slot.delay_ns, r->nm.slot.jitter_ns, 0,
                               r->nm.slot.dist);
  } else {
    uint64_t span = r->nm.slot.max_ns - r->nm.slot.min_ns;
    len = r->nm.slot.min_ns + (span ? (uint64_t)(bn_rng_unit(&r->slot_rng) * (double)span) : 0);
  }
  r->slot_next = bn_clock_add_ns(now, len);
  r->slot_packets = r->nm.slot.packets ? r->nm.slot.packets : INT32_MAX;
  r->slot_bytes = r->nm.slot.bytes ? r->nm.slot.bytes : INT32_MAX;
}

/* A correlated draw's memory starts at a random value (netem's
 * init_crandom()), so that the first draws are not biased low. */
static void corr_start(struct rule *r, bn_impair_corr *c)
{
  c->last = bn_rng_unit(&r->rng);
}

/* Each kind the step sets replaces that kind of the rule's settings (and
 * restarts its state, as netem's change does). */
static void merge_netem(struct rule *r, const bn_scn_netem *nm, uint64_t now)
{
  bn_scn_netem *cur = &r->nm;
  if (nm->set & BN_SCN_NM_DELAY) {
    cur->delay = nm->delay;
    corr_start(r, &r->delay_c);
  }
  if (nm->set & BN_SCN_NM_LOSS) {
    cur->loss = nm->loss;
    memset(&r->loss, 0, sizeof(r->loss));
    corr_start(r, &r->loss.corr);
  }
  if (nm->set & BN_SCN_NM_DUPLICATE) {
    cur->duplicate = nm->duplicate;
    corr_start(r, &r->dup_c);
  }
  if (nm->set & BN_SCN_NM_CORRUPT) {
    cur->corrupt = nm->corrupt;
    corr_start(r, &r->corrupt_c);
  }
  if (nm->set & BN_SCN_NM_REORDER) {
    cur->reorder = nm->reorder;
    r->reorder_count = 0;
    corr_start(r, &r->reorder_c);
  }
  if (nm->set & BN_SCN_NM_RATE) {
    cur->rate = nm->rate;
  }
  if (nm->set & BN_SCN_NM_LIMIT) {
    cur->limit = nm->limit;
  }
  if (nm->set & BN_SCN_NM_SLOT) {
    cur->slot = nm->slot;
    r->slot_next = now;  /* the first slot is open now */
    r->slot_packets = nm->slot.packets ? nm->slot.packets : INT32_MAX;
    r->slot_bytes = nm->slot.bytes ? nm->slot.bytes : INT32_MAX;
  }
  if (nm->set & BN_SCN_NM_MTU) {
    cur->mtu = nm->mtu;
  }
  cur->set |= nm->set;
  r->active = true;
}

static void clear_rule(struct rule *r)
{
  r->nm.set = 0;
  r->slot_next = 0;
  bn_impair_aims_clear(r);
  r->active = false;
}

/* Applies step (under the lock). */
void bn_impair_apply_step(impair *im, const bn_scn_step *st, uint64_t now)
{
  for (int d = EGRESS; d <= INGRESS; d++) {
    if (!(st->dir & (1u << d))) {
      continue;
    }
    struct side *sd = &im->side[d];
    struct rule *r = &sd->rules[st->match + 1];
    switch (st->kind) {
    case BN_SCN_STEP_IMPAIR:
      merge_netem(r, &st->netem, now);
      break;
    case BN_SCN_STEP_AIM:
      bn_impair_aim_add(im, r, st);  /* one more: the rule's aims add up */
      break;
    case BN_SCN_STEP_CLEAR:
      for (size_t k = 0; k < im->n_rules; k++) {
        if (st->match_all_clear || k == (size_t)(st->match + 1)) {
          clear_rule(&sd->rules[k]);
        }
      }
      break;
    case BN_SCN_STEP_END:
      for (size_t k = 0; k < im->n_rules; k++) {
        clear_rule(&sd->rules[k]);
      }
      break;
    default:
      break;
    }
  }
  if (st->kind == BN_SCN_STEP_LINK) {
    im->scn_up = st->up;
  }
  if (st->kind == BN_SCN_STEP_END) {
    im->ended = true;
  }
  im->step_line = st->line;
  if (im->decisions != NULL) {
    char text[512];
    uint64_t t = now > im->t0 ? now - im->t0 : 0;
    bn_scn_step_format(im->s, st, text, sizeof(text));
    fprintf(im->decisions, "# %" PRIu64 ".%06" PRIu64 " step line %u: %s\n", t / 1000000000u,
            t % 1000000000u / 1000u, st->line, text);
  }
}

/* The rule for a frame: the first match rule in force whose filter it passes. */
static size_t pick_rule(impair *im, struct side *sd, const uint8_t *frame, size_t len)
{
  struct pcap_pkthdr h = { .caplen = (bpf_u_int32)len, .len = (bpf_u_int32)len };
  size_t pick = 0;
  for (size_t k = 1; k < im->n_rules; k++) {
    sd->matched[k] = sd->rules[k].active && pcap_offline_filter(&im->s->matches[k - 1].prog, &h, frame) != 0;
    if (pick == 0 && sd->matched[k] && sd->rules[k].nm.set != 0) {
      pick = k;
    }
  }
  return pick;
}

/* The IP packet's size: the frame less its Ethernet header (and a VLAN tag). */
static size_t ip_size(const uint8_t *frame, size_t len)
{
  size_t hdr = len >= 18 && frame[12] == 0x81 && frame[13] == 0x00 ? 18 : 14;
  return len > hdr ? len - hdr : 0;
}

/* When a copy of a frame leaves under rule r (netem_enqueue()'s order). */
static uint64_t release_time(impair *im, struct side *sd, struct rule *r, size_t k, uint64_t frame_no,
                             size_t len, uint64_t now, uint64_t extra_ns)
{
  const bn_scn_netem *nm = &r->nm;
  int d = (int)(sd - im->side);
  if ((nm->set & BN_SCN_NM_REORDER) && nm->reorder.gap > 0 && r->reorder_count + 1 >= nm->reorder.gap &&
      bn_impair_chance(&r->rng, &r->reorder_c, &nm->reorder.chance)) {
    /* "put one out of N packets at the front of the queue" */
    r->reorder_count = 0;
    sd->st.reordered++;
    bn_impair_log_decision(im, d, now, frame_no, k, "reorder");
    return bn_clock_add_ns(now, extra_ns);
  }
  uint64_t delay = 0;
  if (nm->set & BN_SCN_NM_DELAY) {
    delay = bn_impair_delay_draw(&r->rng, &r->delay_c, nm->delay.time_ns, nm->delay.jitter_ns, nm->delay.corr_pct,
                              nm->delay.dist);
    r->reorder_count++;
  }
  uint64_t base = now;
  uint64_t tx = bn_impair_serialisation_ns(nm, len);
  if (tx != 0 && r->q.n > 0 && r->tail_ns > now) {
    /* the last frame queued is the reference: its wait counts towards this one's delay */
    uint64_t ahead = r->tail_ns - now;
    delay = delay > ahead ? delay - ahead : 0;
    base = r->tail_ns;
  }
  uint64_t at = bn_clock_add_ns(bn_clock_add_ns(bn_clock_add_ns(base, delay), tx), extra_ns);
  if (at > now) {
    sd->st.delayed++;
    char t[32];
    bn_scn_format_time_approx(t, sizeof(t), at - now);
    bn_impair_log_decision(im, d, now, frame_no, k, "delay %s", t);
  }
  return at;
}

/*
 * Decides a frame's fate (under the lock): the copies that leave now go
 * into outs[] (a corrupted one lives in the side's copy buffer), the others
 * into their rule's queue (*queued set). Returns how many leave now.
 */
static int decide_frame(impair *im, int d, const uint8_t *frame, size_t len, uint64_t now,
                        struct bn_impair_out outs[2], bool *queued)
{
  struct side *sd = &im->side[d];
  /* counted from the scenario's time 0, as an aim at 0s counts (link_impair.h) */
  uint64_t no = im->started ? ++sd->frame_no : 0;
  sd->st.frames++;
  sd->st.bytes += len;
  size_t k = pick_rule(im, sd, frame, len);
  struct rule *r = &sd->rules[k];
  const bn_scn_netem *nm = &r->nm;
  /* every aim whose filter the frame passes counts it, whatever then happens to it */
  struct bn_impair_hits aim;
  bn_impair_aims_count(im, sd, &aim);
  if (!im->scn_up) {
    sd->st.link_down++;
    bn_impair_log_decision(im, d, now, no, 0, "drop link");
    return 0;
  }
  if ((nm->set & BN_SCN_NM_MTU) && ip_size(frame, len) > nm->mtu) {
    sd->st.too_big++;
    bn_impair_log_decision(im, d, now, no, k, "drop mtu");
    return 0;
  }
  if (nm->set & BN_SCN_NM_BLACKHOLE) {
    sd->st.blackholed++;
    bn_impair_log_decision(im, d, now, no, k, "drop blackhole");
    return 0;
  }
  if (aim.drop) {
    sd->st.aimed++;
    bn_impair_log_decision(im, d, now, no, aim.drop_rule, "drop aim");
    return 0;
  }
  /* netem_enqueue(): a duplicate is drawn, then a loss; count = 1 + dup - loss */
  bool dup = aim.duplicate || ((nm->set & BN_SCN_NM_DUPLICATE) && bn_impair_chance(&r->rng, &r->dup_c, &nm->duplicate));
  bool lost = (nm->set & BN_SCN_NM_LOSS) && bn_impair_loss_next(&r->rng, &r->loss, nm);
  int copies = 1 + dup - lost;
  if (copies == 0) {
    sd->st.lost++;
    bn_impair_log_decision(im, d, now, no, k, "drop loss");
    return 0;
  }
  if (copies == 2) {
    sd->st.duplicated++;
    bn_impair_log_decision(im, d, now, no, aim.duplicate ? aim.dup_rule : k, "duplicate");
  }
  const uint8_t *first = frame;
  if (aim.corrupt || ((nm->set & BN_SCN_NM_CORRUPT) && bn_impair_chance(&r->rng, &r->corrupt_c, &nm->corrupt))) {
    /* netem: one random bit of one copy; an aim's exact place, if it is in the frame */
    uint32_t byte, bit;
    if (aim.exact != NULL) {
      byte = aim.exact->aim.byte;
      bit = aim.exact->aim.bit;
    } else {
      byte = bn_rng_u32(&r->rng) % (uint32_t)len;
      bit = bn_rng_u32(&r->rng) % 8;
    }
    if (byte < len) {
      memcpy(sd->copy, frame, len);
      sd->copy[byte] ^= (uint8_t)(1u << bit);
      first = sd->copy;
      sd->st.corrupted++;
      bn_impair_log_decision(im, d, now, no, aim.corrupt ? aim.corrupt_rule : k, "corrupt byte %" PRIu32 " bit %" PRIu32,
                             byte, bit);
    }
  }
  int n_now = 0;
  bool timed = (nm->set & (BN_SCN_NM_DELAY | BN_SCN_NM_RATE | BN_SCN_NM_REORDER)) || aim.delay_ns != 0;
  uint32_t limit = (nm->set & BN_SCN_NM_LIMIT) ? nm->limit : DEFAULT_LIMIT;
  for (int c = 0; c < copies; c++) {
    const uint8_t *data = c == 0 ? first : frame;
    if (r->q.n >= limit) {  /* netem: the queue is full, whatever the frame's delay */
      sd->st.limited++;
      bn_impair_log_decision(im, d, now, no, k, "drop limit");
      continue;
    }
    uint64_t at = timed ? release_time(im, sd, r, k, no, len, now, aim.delay_ns) : now;
    if (at <= now && !sd->held && !(nm->set & BN_SCN_NM_SLOT)) {
      outs[n_now].data = data;
      outs[n_now++].len = len;
      sd->st.passed++;  /* handed on by the caller, as take_due() counts the held ones */
      sd->st.passed_bytes += len;
      continue;
    }
    if (bn_impair_queue_push(&r->q, data, len, at, no) < 0) {
      sd->st.limited++;
      bn_impair_log_decision(im, d, now, no, k, "drop limit");
      continue;
    }
    if (at > r->tail_ns) {
      r->tail_ns = at;
    }
    sd->st.queued++;
    *queued = true;
  }
  return n_now;
}

int bn_impair_decide(impair *im, int d, const uint8_t *frame, size_t len, uint64_t now, struct bn_impair_out outs[2],
                     bool *queued)
{
  size_t first = im->log_index != NULL ? im->log_index->n : 0;
  uint64_t corrupted = im->side[d].st.corrupted;
  int n = decide_frame(im, d, frame, len, now, outs, queued);
  if (im->log_index != NULL && im->log_index->n > first) {
    /* The frame as the wire has it: on egress the corrupted copy, if any. */
    bool copy = d == EGRESS && im->side[d].st.corrupted != corrupted;
    uint64_t h = bn_hash_fnv1a64(copy ? im->side[d].copy : frame, len);
    for (size_t i = first; i < im->log_index->n; i++) {
      im->log_index->v[i].hash = h;
    }
  }
  return n;
}

/* ---- releasing held frames --------------------------------------------------- */

/* When rule r's head may leave (BN_LINK_FOREVER when empty); with a slot,
 * netem's dequeue: a head due after the slot opened waits for a new one. */
static uint64_t rule_due(struct rule *r, uint64_t now)
{
  const bn_impair_item *h = bn_impair_queue_head(&r->q);
  if (h == NULL) {
    return BN_LINK_FOREVER;
  }
  if (!(r->nm.set & BN_SCN_NM_SLOT)) {
    return h->release_ns;
  }
  if (r->slot_next < h->release_ns) {
    slot_open_next(r, now);
  }
  return h->release_ns > r->slot_next ? h->release_ns : r->slot_next;
}

/* Takes up to max frames of direction d that are due (under the lock). */
size_t bn_impair_take_due(impair *im, int d, uint64_t now, bn_impair_item **items, size_t max)
{
  struct side *sd = &im->side[d];
  size_t n = 0;
  while (n < max) {
    struct rule *best = NULL;
    for (size_t k = 0; k < im->n_rules; k++) {
      struct rule *r = &sd->rules[k];
      if (rule_due(r, now) <= now &&
          (best == NULL || bn_impair_queue_head(&r->q)->release_ns < bn_impair_queue_head(&best->q)->release_ns)) {
        best = r;
      }
    }
    if (best == NULL) {
      break;
    }
    bn_impair_item *it = bn_impair_queue_pop(&best->q);
    if (best->nm.set & BN_SCN_NM_SLOT) {
      best->slot_packets--;
      best->slot_bytes -= (int64_t)it->len;
      if (best->slot_packets <= 0 || best->slot_bytes <= 0) {
        slot_open_next(best, now);
      }
    }
    if (best->q.n == 0) {
      best->tail_ns = 0;
    }
    sd->st.queued--;
    if (!im->scn_up) {
      sd->st.link_down++;
      bn_impair_log_decision(im, d, now, it->frame_no, 0, "drop link");
      free(it);
      continue;
    }
    sd->st.passed++;
    sd->st.passed_bytes += it->len;
    items[n++] = it;
  }
  return n;
}

/* The earliest time a held frame of direction d may leave. */
uint64_t bn_impair_side_due(impair *im, int d, uint64_t now)
{
  uint64_t due = BN_LINK_FOREVER;
  for (size_t k = 0; k < im->n_rules; k++) {
    uint64_t t = rule_due(&im->side[d].rules[k], now);
    due = t < due ? t : due;
  }
  return due;
}

