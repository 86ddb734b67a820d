/*
 * Impairment stage of the link pipeline (link_impair.h): a scenario's
 * rules, queues and timeline on the frames of both directions.
 */
#include "link_impair.h"
#include "bn_random.h"
#include "impair_models.h"
#include "impair_queue.h"
#include "scn_units.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

enum { EGRESS = 0, INGRESS = 1 };

/* tc's default netem queue limit (iproute2 tc/q_netem.c: opt.limit = 1000). */
#define DEFAULT_LIMIT 1000

/* One (direction, match) rule: netem's settings in force and their state. */
struct rule {
  bool active;              /* settings or an aim in force: its filter is worth running */
  scn_netem nm;
  bn_rng rng;
  bn_rng slot_rng;          /* the slots' own stream: how often the pump looks must not shift the rest */
  impair_corr delay_c, dup_c, corrupt_c, reorder_c;
  impair_loss loss;
  uint32_t reorder_count;
  uint64_t slot_next;       /* when the next slot opens (0: no slot in force) */
  int64_t slot_packets, slot_bytes;
  impair_queue q;
  uint64_t tail_ns;         /* release time of the latest frame queued: rate's reference */
  bool aim_on;
  enum scn_select sel;
  uint32_t aim_n;
  enum scn_action act;
  uint64_t aim_delay_ns, aim_count;
};

/* One direction. */
struct side {
  struct rule *rules;       /* [0]: every frame; [k + 1]: the scenario's match k */
  bool *matched;            /* scratch: the frame at hand passes match k's filter */
  uint64_t frame_no;
  bn_impair_dir_stats st;
  bool held;                /* queued by send(), released by poll() (egress); ingress always from poll */
  uint8_t copy[BN_LINK_MAX_FRAME]; /* a corrupted copy (one thread per direction) */
};

typedef struct impair {
  bn_link link;
  pthread_mutex_t lock;
  const scn_scenario *s;
  size_t n_rules;
  struct side side[2];
  size_t next_step;         /* the next step to apply */
  size_t next_hook;         /* the next applied step whose hook has not run */
  uint64_t t0;
  bool started;             /* the timeline runs (bn_link_impair_start()) */
  bool scn_up, inner_up, reported_up;
  unsigned carrier_changes; /* reported to the stage above so far */
  bool wire_ended;          /* the inner link returned -ENODATA (a replay's end) */
  bool woken;               /* bn_link_wake() while the pump waits on cond */
  pthread_cond_t cond;
  bool ended;
  unsigned step_line;
  FILE *decisions;
  bn_impair_step_fn on_step;
  void *on_step_arg;
  bn_impair_stats *final_stats;
  const bn_link_rx *outer;  /* during a poll: where ingress frames go */
  int delivered;
} impair;

static const char *const side_name[2] = { "egress", "ingress" };

/* ---- the decision log ------------------------------------------------------ */

static void log_decision(impair *im, int d, uint64_t now, uint64_t frame_no, size_t rule, const char *fmt, ...)
  __attribute__((format(printf, 6, 7)));

static void log_decision(impair *im, int d, uint64_t now, uint64_t frame_no, size_t rule, const char *fmt, ...)
{
  if (im->decisions == NULL) {
    return;
  }
  uint64_t t = now > im->t0 ? now - im->t0 : 0;
  fprintf(im->decisions, "%" PRIu64 ".%06" PRIu64 " %s %" PRIu64 " ", t / 1000000000u, t % 1000000000u / 1000u,
          side_name[d], frame_no);
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
}

/* ---- the timeline ------------------------------------------------------------- */

static void slot_open_next(struct rule *r, uint64_t now)
{
  uint64_t span = r->nm.slot.max_ns - r->nm.slot.min_ns;
  uint64_t len = r->nm.slot.min_ns + (span ? (uint64_t)(bn_rng_unit(&r->slot_rng) * (double)span) : 0);
  r->slot_next = bn_clock_add_ns(now, len);
  r->slot_packets = r->nm.slot.packets ? r->nm.slot.packets : INT32_MAX;
  r->slot_bytes = r->nm.slot.bytes ? r->nm.slot.bytes : INT32_MAX;
}

/* A correlated draw's memory starts at a random value (netem's
 * init_crandom()), so that the first draws are not biased low. */
static void corr_start(struct rule *r, impair_corr *c)
{
  c->last = bn_rng_unit(&r->rng);
}

/* Each kind the step sets replaces that kind of the rule's settings (and
 * restarts its state, as netem's change does). */
static void merge_netem(struct rule *r, const scn_netem *nm, uint64_t now)
{
  scn_netem *cur = &r->nm;
  if (nm->set & SCN_NM_DELAY) {
    cur->delay = nm->delay;
    corr_start(r, &r->delay_c);
  }
  if (nm->set & SCN_NM_LOSS) {
    cur->loss = nm->loss;
    memset(&r->loss, 0, sizeof(r->loss));
    corr_start(r, &r->loss.corr);
  }
  if (nm->set & SCN_NM_DUPLICATE) {
    cur->duplicate = nm->duplicate;
    corr_start(r, &r->dup_c);
  }
  if (nm->set & SCN_NM_CORRUPT) {
    cur->corrupt = nm->corrupt;
    corr_start(r, &r->corrupt_c);
  }
  if (nm->set & SCN_NM_REORDER) {
    cur->reorder = nm->reorder;
    r->reorder_count = 0;
    corr_start(r, &r->reorder_c);
  }
  if (nm->set & SCN_NM_RATE) {
    cur->rate = nm->rate;
  }
  if (nm->set & SCN_NM_LIMIT) {
    cur->limit = nm->limit;
  }
  if (nm->set & SCN_NM_SLOT) {
    cur->slot = nm->slot;
    r->slot_next = now;  /* the first slot is open now */
    r->slot_packets = nm->slot.packets ? nm->slot.packets : INT32_MAX;
    r->slot_bytes = nm->slot.bytes ? nm->slot.bytes : INT32_MAX;
  }
  if (nm->set & SCN_NM_MTU) {
    cur->mtu = nm->mtu;
  }
  cur->set |= nm->set;
  r->active = true;
}

static void clear_rule(struct rule *r)
{
  r->nm.set = 0;
  r->slot_next = 0;
  r->aim_on = false;
  r->active = false;
}

/* Applies step (under the lock). */
static void apply_step(impair *im, const scn_step *st, uint64_t now)
{
  for (int d = EGRESS; d <= INGRESS; d++) {
    if (!(st->dir & (1u << d))) {
      continue;
    }
    struct side *sd = &im->side[d];
    struct rule *r = &sd->rules[st->match + 1];
    switch (st->kind) {
    case SCN_STEP_IMPAIR:
      merge_netem(r, &st->netem, now);
      break;
    case SCN_STEP_AIM:
      r->aim_on = true;
      r->sel = st->aim.select;
      r->aim_n = st->aim.n;
      r->act = st->aim.action;
      r->aim_delay_ns = st->aim.delay_ns;
      r->aim_count = 0;
      r->active = true;
      break;
    case SCN_STEP_CLEAR:
      for (size_t k = 0; k < im->n_rules; k++) {
        if (st->match_all_clear || k == (size_t)(st->match + 1)) {
          clear_rule(&sd->rules[k]);
        }
      }
      break;
    case SCN_STEP_END:
      for (size_t k = 0; k < im->n_rules; k++) {
        clear_rule(&sd->rules[k]);
      }
      break;
    default:
      break;
    }
  }
  if (st->kind == SCN_STEP_LINK) {
    im->scn_up = st->up;
  }
  if (st->kind == SCN_STEP_END) {
    im->ended = true;
  }
  im->step_line = st->line;
  if (im->decisions != NULL) {
    char text[512];
    uint64_t t = now > im->t0 ? now - im->t0 : 0;
    scn_step_format(im->s, st, text, sizeof(text));
    fprintf(im->decisions, "# %" PRIu64 ".%06" PRIu64 " step line %u: %s\n", t / 1000000000u,
            t % 1000000000u / 1000u, st->line, text);
  }
}

/* The time of the next step, or BN_LINK_FOREVER. */
static uint64_t next_step_ns(const impair *im)
{
  if (!im->started || im->next_step == im->s->n_steps) {
    return BN_LINK_FOREVER;
  }
  return im->t0 + im->s->steps[im->next_step].at_ns;
}

/* Applies the steps that are due (under the lock). */
static void apply_due(impair *im, uint64_t now)
{
  while (im->started && im->next_step < im->s->n_steps && next_step_ns(im) <= now) {
    apply_step(im, &im->s->steps[im->next_step++], now);
  }
}

static void report_carrier(impair *im);

/* Applies the steps that are due one by one: the hook of each (with the
 * stage's lock released) and, after a link step, the carrier, so that a
 * flap shorter than the pump's round still reaches the stage above. Only
 * the pump (poll) calls it; the receiver's carrier callback is set. */
static void advance(impair *im, uint64_t now)
{
  for (;;) {
    pthread_mutex_lock(&im->lock);
    if (im->next_hook == im->next_step) {
      if (!im->started || im->next_step == im->s->n_steps || next_step_ns(im) > now) {
        pthread_mutex_unlock(&im->lock);
        return;
      }
      apply_step(im, &im->s->steps[im->next_step++], now);
    }
    const scn_step *st = &im->s->steps[im->next_hook++];
    pthread_mutex_unlock(&im->lock);
    if (im->on_step != NULL) {
      im->on_step(im->on_step_arg, im->s, st);
    }
    if (st->kind == SCN_STEP_LINK) {
      report_carrier(im);
    }
  }
}

/* ---- one frame ------------------------------------------------------------------ */

/* A copy of the frame leaving the stage now. */
struct out {
  const uint8_t *data;
  size_t len;
};

/* Frames per bn_link_send_batch() or delivery round. */
#define BATCH 32

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

/* Whether an aim hits this frame (counting it). */
static bool aim_hits(struct rule *r)
{
  uint64_t c = ++r->aim_count;
  switch (r->sel) {
  case SCN_SEL_NTH:
    return c == r->aim_n;
  case SCN_SEL_FIRST:
    return c <= r->aim_n;
  default:
    return c % r->aim_n == 0;
  }
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
  const scn_netem *nm = &r->nm;
  int d = (int)(sd - im->side);
  if ((nm->set & SCN_NM_REORDER) && nm->reorder.gap > 0 && r->reorder_count + 1 >= nm->reorder.gap &&
      impair_chance(&r->rng, &r->reorder_c, &nm->reorder.chance)) {
    /* "put one out of N packets at the front of the queue" */
    r->reorder_count = 0;
    sd->st.reordered++;
    log_decision(im, d, now, frame_no, k, "reorder");
    return bn_clock_add_ns(now, extra_ns);
  }
  uint64_t delay = 0;
  if (nm->set & SCN_NM_DELAY) {
    delay = impair_delay_draw(&r->rng, &r->delay_c, nm->delay.time_ns, nm->delay.jitter_ns, nm->delay.corr_pct,
                              nm->delay.dist);
    r->reorder_count++;
  }
  uint64_t base = now;
  uint64_t tx = impair_serialisation_ns(nm, len);
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
    scn_format_time_approx(t, sizeof(t), at - now);
    log_decision(im, d, now, frame_no, k, "delay %s", t);
  }
  return at;
}

/*
 * Decides a frame's fate (under the lock): the copies that leave now go
 * into outs[] (a corrupted one lives in the side's copy buffer), the others
 * into their rule's queue (*queued set). Returns how many leave now.
 */
static int decide(impair *im, int d, const uint8_t *frame, size_t len, uint64_t now, struct out outs[2],
                  bool *queued)
{
  struct side *sd = &im->side[d];
  uint64_t no = ++sd->frame_no;
  sd->st.frames++;
  sd->st.bytes += len;
  if (!im->scn_up) {
    sd->st.link_down++;
    log_decision(im, d, now, no, 0, "drop link");
    return 0;
  }
  size_t k = pick_rule(im, sd, frame, len);
  struct rule *r = &sd->rules[k];
  const scn_netem *nm = &r->nm;
  /* every aim whose filter the frame passes counts it */
  bool aim_drop = false, aim_corrupt = false, aim_dup = false;
  uint64_t aim_delay = 0;
  size_t aim_rule = 0;
  for (size_t a = 0; a < im->n_rules; a++) {
    struct rule *ar = &sd->rules[a];
    if (!ar->aim_on || (a > 0 && !sd->matched[a]) || !aim_hits(ar)) {
      continue;
    }
    aim_rule = a;
    aim_drop |= ar->act == SCN_ACT_DROP;
    aim_corrupt |= ar->act == SCN_ACT_CORRUPT;
    aim_dup |= ar->act == SCN_ACT_DUPLICATE;
    if (ar->act == SCN_ACT_DELAY && ar->aim_delay_ns > aim_delay) {
      aim_delay = ar->aim_delay_ns;
    }
  }
  if ((nm->set & SCN_NM_MTU) && ip_size(frame, len) > nm->mtu) {
    sd->st.too_big++;
    log_decision(im, d, now, no, k, "drop mtu");
    return 0;
  }
  if (nm->set & SCN_NM_BLACKHOLE) {
    sd->st.blackholed++;
    log_decision(im, d, now, no, k, "drop blackhole");
    return 0;
  }
  if (aim_drop) {
    sd->st.aimed++;
    log_decision(im, d, now, no, aim_rule, "drop aim");
    return 0;
  }
  /* netem_enqueue(): a duplicate is drawn, then a loss; count = 1 + dup - loss */
  bool dup = aim_dup || ((nm->set & SCN_NM_DUPLICATE) && impair_chance(&r->rng, &r->dup_c, &nm->duplicate));
  bool lost = (nm->set & SCN_NM_LOSS) && impair_loss_next(&r->rng, &r->loss, nm);
  int copies = 1 + dup - lost;
  if (copies == 0) {
    sd->st.lost++;
    log_decision(im, d, now, no, k, "drop loss");
    return 0;
  }
  if (copies == 2) {
    sd->st.duplicated++;
    log_decision(im, d, now, no, aim_dup ? aim_rule : k, "duplicate");
  }
  const uint8_t *first = frame;
  if (aim_corrupt || ((nm->set & SCN_NM_CORRUPT) && impair_chance(&r->rng, &r->corrupt_c, &nm->corrupt))) {
    /* netem: one random bit of one copy */
    memcpy(sd->copy, frame, len);
    uint32_t byte = bn_rng_u32(&r->rng) % (uint32_t)len, bit = bn_rng_u32(&r->rng) % 8;
    sd->copy[byte] ^= (uint8_t)(1u << bit);
    first = sd->copy;
    sd->st.corrupted++;
    log_decision(im, d, now, no, aim_corrupt ? aim_rule : k, "corrupt byte %" PRIu32 " bit %" PRIu32, byte, bit);
  }
  int n_now = 0;
  bool timed = (nm->set & (SCN_NM_DELAY | SCN_NM_RATE | SCN_NM_REORDER)) || aim_delay != 0;
  uint32_t limit = (nm->set & SCN_NM_LIMIT) ? nm->limit : DEFAULT_LIMIT;
  for (int c = 0; c < copies; c++) {
    const uint8_t *data = c == 0 ? first : frame;
    if (r->q.n >= limit) {  /* netem: the queue is full, whatever the frame's delay */
      sd->st.limited++;
      log_decision(im, d, now, no, k, "drop limit");
      continue;
    }
    uint64_t at = timed ? release_time(im, sd, r, k, no, len, now, aim_delay) : now;
    if (at <= now && !sd->held && !(nm->set & SCN_NM_SLOT)) {
      outs[n_now].data = data;
      outs[n_now++].len = len;
      continue;
    }
    if (impair_queue_push(&r->q, data, len, at, no) < 0) {
      sd->st.limited++;
      log_decision(im, d, now, no, k, "drop limit");
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

/* ---- releasing held frames --------------------------------------------------- */

/* When rule r's head may leave (BN_LINK_FOREVER when empty); with a slot,
 * netem's dequeue: a head due after the slot opened waits for a new one. */
static uint64_t rule_due(struct rule *r, uint64_t now)
{
  const impair_item *h = impair_queue_head(&r->q);
  if (h == NULL) {
    return BN_LINK_FOREVER;
  }
  if (!(r->nm.set & SCN_NM_SLOT)) {
    return h->release_ns;
  }
  if (r->slot_next < h->release_ns) {
    slot_open_next(r, now);
  }
  return h->release_ns > r->slot_next ? h->release_ns : r->slot_next;
}

/* Takes up to max frames of direction d that are due (under the lock). */
static size_t take_due(impair *im, int d, uint64_t now, impair_item **items, size_t max)
{
  struct side *sd = &im->side[d];
  size_t n = 0;
  while (n < max) {
    struct rule *best = NULL;
    for (size_t k = 0; k < im->n_rules; k++) {
      struct rule *r = &sd->rules[k];
      if (rule_due(r, now) <= now &&
          (best == NULL || impair_queue_head(&r->q)->release_ns < impair_queue_head(&best->q)->release_ns)) {
        best = r;
      }
    }
    if (best == NULL) {
      break;
    }
    impair_item *it = impair_queue_pop(&best->q);
    if (best->nm.set & SCN_NM_SLOT) {
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
      log_decision(im, d, now, it->frame_no, 0, "drop link");
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
static uint64_t side_due(impair *im, int d, uint64_t now)
{
  uint64_t due = BN_LINK_FOREVER;
  for (size_t k = 0; k < im->n_rules; k++) {
    uint64_t t = rule_due(&im->side[d].rules[k], now);
    due = t < due ? t : due;
  }
  return due;
}

/* Hands on every held frame that is due: egress to the inner link, ingress to the receiver. */
static void release_due(impair *im, uint64_t now)
{
  impair_item *items[BATCH];
  for (int d = EGRESS; d <= INGRESS; d++) {
    for (;;) {
      pthread_mutex_lock(&im->lock);
      size_t n = take_due(im, d, now, items, BATCH);
      pthread_mutex_unlock(&im->lock);
      if (n == 0) {
        break;
      }
      if (d == EGRESS) {
        bn_link_frame frames[BATCH];
        for (size_t i = 0; i < n; i++) {
          frames[i] = (bn_link_frame){ .data = items[i]->data, .len = items[i]->len, .ts_ns = now };
        }
        bn_link_send_batch(im->link.inner, frames, n);
      } else {
        for (size_t i = 0; i < n; i++) {
          im->outer->frame(im->outer->arg, items[i]->data, items[i]->len, now);
          im->delivered++;
        }
      }
      for (size_t i = 0; i < n; i++) {
        free(items[i]);
      }
    }
  }
}

/* ---- the link's operations ------------------------------------------------ */

static void note_passed(impair *im, int d, const struct out *outs, int n)
{
  if (n == 0) {
    return;
  }
  pthread_mutex_lock(&im->lock);
  for (int i = 0; i < n; i++) {
    im->side[d].st.passed++;
    im->side[d].st.passed_bytes += outs[i].len;
  }
  pthread_mutex_unlock(&im->lock);
}

static int impair_send(bn_link *link, const uint8_t *frame, size_t len, uint64_t ts_ns)
{
  impair *im = (impair *)link;
  if (len == 0 || len > BN_LINK_MAX_FRAME) {
    return -EMSGSIZE;
  }
  struct out outs[2];
  bool queued = false;
  pthread_mutex_lock(&im->lock);
  int n = decide(im, EGRESS, frame, len, bn_clock_now_ns(), outs, &queued);
  pthread_mutex_unlock(&im->lock);
  if (queued) {
    bn_link_wake(im->link.inner);  /* the pump releases it */
  }
  int rc = 0;
  for (int i = 0; i < n; i++) {
    int r = bn_link_send(im->link.inner, outs[i].data, outs[i].len, ts_ns);
    rc = i == 0 ? r : rc;
  }
  note_passed(im, EGRESS, outs, n);
  return rc;
}

/* The carrier the stage above sees: the wire's and the scenario's. */
static void report_carrier(impair *im)
{
  pthread_mutex_lock(&im->lock);
  bool up = im->scn_up && im->inner_up;
  bool changed = up != im->reported_up;
  im->reported_up = up;
  im->carrier_changes += changed;
  pthread_mutex_unlock(&im->lock);
  if (changed) {
    if (im->outer->carrier != NULL) {
      im->outer->carrier(im->outer->arg, up);
    }
  }
}

static void inner_frame(void *arg, const uint8_t *frame, size_t len, uint64_t ts_ns)
{
  impair *im = arg;
  struct out outs[2];
  bool queued = false;
  pthread_mutex_lock(&im->lock);
  int n = decide(im, INGRESS, frame, len, bn_clock_now_ns(), outs, &queued);
  pthread_mutex_unlock(&im->lock);
  for (int i = 0; i < n; i++) {
    im->outer->frame(im->outer->arg, outs[i].data, outs[i].len, ts_ns);
    im->delivered++;
  }
  note_passed(im, INGRESS, outs, n);
}

static void inner_carrier(void *arg, bool up)
{
  impair *im = arg;
  pthread_mutex_lock(&im->lock);
  im->inner_up = up;
  pthread_mutex_unlock(&im->lock);
  report_carrier(im);
}

static uint64_t min_ns(uint64_t a, uint64_t b)
{
  return a < b ? a : b;
}

static int impair_poll(bn_link *link, const bn_link_rx *rx, uint64_t until_ns)
{
  impair *im = (impair *)link;
  im->outer = rx;
  im->delivered = 0;
  unsigned changes = im->carrier_changes;
  uint64_t now = bn_clock_now_ns();
  advance(im, now);
  report_carrier(im);
  release_due(im, now);
  uint64_t deadline = BN_LINK_NOW;  /* something was handed up: do not block */
  pthread_mutex_lock(&im->lock);
  if (im->delivered == 0 && changes == im->carrier_changes) {
    deadline = min_ns(until_ns, min_ns(next_step_ns(im), min_ns(side_due(im, EGRESS, now), side_due(im, INGRESS, now))));
  }
  pthread_mutex_unlock(&im->lock);
  int rc = -ENODATA;
  if (!im->wire_ended) {
    const bn_link_rx inner_rx = { .frame = inner_frame, .carrier = inner_carrier, .arg = im };
    rc = bn_link_poll(im->link.inner, &inner_rx, deadline);
    im->wire_ended = rc == -ENODATA;
  } else {
    /* the wire has ended with frames still held for the board: wait for
     * the next one to be due, or a wake */
    pthread_mutex_lock(&im->lock);
    while (!im->woken && bn_clock_cond_wait(&im->cond, &im->lock, deadline) == 0) {
    }
    im->woken = false;
    pthread_mutex_unlock(&im->lock);
  }
  now = bn_clock_now_ns();
  advance(im, now);
  report_carrier(im);
  release_due(im, now);
  pthread_mutex_lock(&im->lock);
  bool held = im->side[INGRESS].st.queued > 0;
  pthread_mutex_unlock(&im->lock);
  if (rc < 0 && !(rc == -ENODATA && held)) {
    return rc;  /* a fatal error, or the wire's end once nothing is held for the board */
  }
  return im->delivered;
}

static void impair_wake(bn_link *link)
{
  impair *im = (impair *)link;
  pthread_mutex_lock(&im->lock);
  im->woken = true;
  pthread_cond_signal(&im->cond);
  pthread_mutex_unlock(&im->lock);
  bn_link_wake(im->link.inner);
}

static void copy_stats(impair *im, bn_impair_stats *st)
{
  st->egress = im->side[EGRESS].st;
  st->ingress = im->side[INGRESS].st;
  st->elapsed_ns = bn_clock_now_ns() - im->t0;
  st->steps_done = im->next_step;
  st->step_line = im->step_line;
  st->link_up = im->scn_up;
  st->ended = im->ended;
}

static void impair_close(bn_link *link)
{
  impair *im = (impair *)link;
  if (im->final_stats != NULL) {
    copy_stats(im, im->final_stats);
  }
  for (int d = EGRESS; d <= INGRESS; d++) {
    for (size_t k = 0; im->side[d].rules != NULL && k < im->n_rules; k++) {
      impair_queue_free(&im->side[d].rules[k].q);
    }
    free(im->side[d].rules);
    free(im->side[d].matched);
  }
  if (im->decisions != NULL) {
    fflush(im->decisions);
  }
  pthread_cond_destroy(&im->cond);
  pthread_mutex_destroy(&im->lock);
  free(im);
}

static const struct bn_link_ops impair_ops = {
  .kind = "impair",
  .send = impair_send,
  .poll = impair_poll,
  .wake = impair_wake,
  .close = impair_close,
};

int bn_link_impair_open(bn_link *inner, const bn_impair_options *o, bn_link **out)
{
  if (o->scenario == NULL) {
    bn_link_close(inner);
    return -EINVAL;
  }
  impair *im = calloc(1, sizeof(*im));
  if (im == NULL) {
    bn_link_close(inner);
    return -ENOMEM;
  }
  bn_link_stage_init(&im->link, &impair_ops, inner);
  pthread_mutex_init(&im->lock, NULL);
  bn_clock_cond_init(&im->cond);
  im->s = o->scenario;
  im->n_rules = o->scenario->n_matches + 1;
  im->decisions = o->decisions;
  im->on_step = o->on_step;
  im->on_step_arg = o->on_step_arg;
  im->final_stats = o->final_stats;
  im->scn_up = im->inner_up = im->reported_up = true;
  for (int d = EGRESS; d <= INGRESS; d++) {
    struct side *sd = &im->side[d];
    sd->rules = calloc(im->n_rules, sizeof(*sd->rules));
    sd->matched = calloc(im->n_rules, sizeof(*sd->matched));
    if (sd->rules == NULL || sd->matched == NULL) {
      im->link.inner = NULL;
      im->final_stats = NULL;
      impair_close(&im->link);
      bn_link_close(inner);
      return -ENOMEM;
    }
    sd->held = d == EGRESS && scn_holds_frames(o->scenario, SCN_EGRESS);
    for (size_t k = 0; k < im->n_rules; k++) {
      /* one stream per direction and rule, named after them */
      char name[64 + 1024];
      snprintf(name, sizeof(name), "impair/%s/%s", side_name[d],
               k == 0 ? "*" : o->scenario->matches[k - 1].filter);
      bn_rng_seed(&sd->rules[k].rng, o->seed, name);
      strncat(name, "/slot", sizeof(name) - strlen(name) - 1);
      bn_rng_seed(&sd->rules[k].slot_rng, o->seed, name);
    }
  }
  im->t0 = bn_clock_now_ns();
  *out = &im->link;
  if (!o->start_later) {
    bn_link_impair_start(&im->link);
  }
  return 0;
}

int bn_link_impair_start(bn_link *link)
{
  bn_link *found = bn_link_find(link, "impair");
  if (found == NULL) {
    return -ENOENT;
  }
  impair *im = (impair *)found;
  pthread_mutex_lock(&im->lock);
  bool was = im->started;
  if (!was) {
    /* the steps at 0 hold for the next frame already; their hooks run on
     * the pump's next round */
    im->started = true;
    im->t0 = bn_clock_now_ns();
    apply_due(im, im->t0);
  }
  pthread_mutex_unlock(&im->lock);
  if (!was) {
    bn_link_wake(im->link.inner);
  }
  return 0;
}

int bn_link_impair_stats(bn_link *link, bn_impair_stats *st)
{
  bn_link *found = bn_link_find(link, "impair");
  if (found == NULL) {
    return -ENOENT;
  }
  impair *im = (impair *)found;
  pthread_mutex_lock(&im->lock);
  copy_stats(im, st);
  pthread_mutex_unlock(&im->lock);
  return 0;
}
