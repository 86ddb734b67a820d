/*
 * Impairment stage of the link pipeline (link_impair.h): the link's
 * operations, the timeline and the pump; what happens to each frame is
 * impair_decide.c's.
 */
#include "impair_stage.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Frames per bn_link_send_batch() or delivery round. */
#define BATCH 32

/* ---- the timeline ------------------------------------------------------------- */

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
    bn_impair_apply_step(im, &im->s->steps[im->next_step++], now);
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
    bn_mutex_lock(&im->lock);
    if (im->next_hook == im->next_step) {
      if (!im->started || im->next_step == im->s->n_steps || next_step_ns(im) > now) {
        bn_mutex_unlock(&im->lock);
        return;
      }
      bn_impair_apply_step(im, &im->s->steps[im->next_step++], now);
    }
    const bn_scn_step *st = &im->s->steps[im->next_hook++];
    bn_mutex_unlock(&im->lock);
    if (im->on_step != NULL) {
      im->on_step(im->on_step_arg, im->s, st);
    }
    if (st->kind == BN_SCN_STEP_LINK) {
      report_carrier(im);
    }
  }
}


/* Hands on every held frame that is due: egress to the inner link, ingress to the receiver. */
static void release_due(impair *im, uint64_t now)
{
  bn_impair_item *items[BATCH];
  for (int d = EGRESS; d <= INGRESS; d++) {
    for (;;) {
      bn_mutex_lock(&im->lock);
      size_t n = bn_impair_take_due(im, d, now, items, BATCH);
      bn_mutex_unlock(&im->lock);
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

static int bn_impair_send(bn_link *link, const uint8_t *frame, size_t len, uint64_t ts_ns)
{
  impair *im = (impair *)link;
  if (len == 0 || len > BN_LINK_MAX_FRAME) {
    return -EMSGSIZE;
  }
  struct bn_impair_out outs[2];
  bool queued = false;
  bn_mutex_lock(&im->lock);
  int n = bn_impair_decide(im, EGRESS, frame, len, bn_clock_now_ns(), outs, &queued);
  bn_mutex_unlock(&im->lock);
  if (queued) {
    bn_link_wake(im->link.inner);  /* the pump releases it */
  }
  int rc = 0;
  for (int i = 0; i < n; i++) {
    int r = bn_link_send(im->link.inner, outs[i].data, outs[i].len, ts_ns);
    rc = i == 0 ? r : rc;
  }
  return rc;
}

/* The carrier the stage above sees: the wire's and the scenario's. */
static void report_carrier(impair *im)
{
  bn_mutex_lock(&im->lock);
  bool up = im->scn_up && im->inner_up;
  bool changed = up != im->reported_up;
  im->reported_up = up;
  im->carrier_changes += changed;
  bn_mutex_unlock(&im->lock);
  if (changed) {
    if (im->outer->carrier != NULL) {
      im->outer->carrier(im->outer->arg, up);
    }
  }
}

static void inner_frame(void *arg, const uint8_t *frame, size_t len, uint64_t ts_ns)
{
  impair *im = arg;
  struct bn_impair_out outs[2];
  bool queued = false;
  bn_mutex_lock(&im->lock);
  int n = bn_impair_decide(im, INGRESS, frame, len, bn_clock_now_ns(), outs, &queued);
  bn_mutex_unlock(&im->lock);
  for (int i = 0; i < n; i++) {
    im->outer->frame(im->outer->arg, outs[i].data, outs[i].len, ts_ns);
    im->delivered++;
  }
}

static void inner_batch_end(void *arg)
{
  impair *im = arg;
  bn_link_rx_batch_end(im->outer);
}

static void inner_carrier(void *arg, bool up)
{
  impair *im = arg;
  bn_mutex_lock(&im->lock);
  im->inner_up = up;
  bn_mutex_unlock(&im->lock);
  report_carrier(im);
}

static uint64_t min_ns(uint64_t a, uint64_t b)
{
  return a < b ? a : b;
}

static int bn_impair_poll(bn_link *link, const bn_link_rx *rx, uint64_t until_ns)
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
  bn_mutex_lock(&im->lock);
  if (im->delivered == 0 && changes == im->carrier_changes) {
    deadline = min_ns(until_ns, min_ns(next_step_ns(im), min_ns(bn_impair_side_due(im, EGRESS, now), bn_impair_side_due(im, INGRESS, now))));
  }
  bn_mutex_unlock(&im->lock);
  int rc = -ENODATA;
  if (!im->wire_ended) {
    const bn_link_rx inner_rx = { .frame = inner_frame, .carrier = inner_carrier,
                                  .batch_end = inner_batch_end, .arg = im };
    rc = bn_link_poll(im->link.inner, &inner_rx, deadline);
    im->wire_ended = rc == -ENODATA;
  } else {
    /* the wire has ended with frames still held for the board: wait for
     * the next one to be due, or a wake */
    bn_mutex_lock(&im->lock);
    while (!im->woken && bn_cond_wait(&im->cond, &im->lock, deadline) == 0) {
    }
    im->woken = false;
    bn_mutex_unlock(&im->lock);
  }
  now = bn_clock_now_ns();
  advance(im, now);
  report_carrier(im);
  release_due(im, now);
  bn_mutex_lock(&im->lock);
  bool held = im->side[INGRESS].st.queued > 0;
  bn_mutex_unlock(&im->lock);
  if (rc < 0 && !(rc == -ENODATA && held)) {
    return rc;  /* a fatal error, or the wire's end once nothing is held for the board */
  }
  return im->delivered;
}

static void bn_impair_wake(bn_link *link)
{
  impair *im = (impair *)link;
  bn_mutex_lock(&im->lock);
  im->woken = true;
  bn_cond_signal(&im->cond);
  bn_mutex_unlock(&im->lock);
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

static void bn_impair_close(bn_link *link)
{
  impair *im = (impair *)link;
  if (im->final_stats != NULL) {
    copy_stats(im, im->final_stats);
  }
  for (int d = EGRESS; d <= INGRESS; d++) {
    for (size_t k = 0; im->side[d].rules != NULL && k < im->n_rules; k++) {
      bn_impair_queue_free(&im->side[d].rules[k].q);
      bn_impair_aims_free(&im->side[d].rules[k]);
    }
    free(im->side[d].rules);
    free(im->side[d].matched);
  }
  if (im->decisions != NULL) {
    fflush(im->decisions);
  }
  bn_cond_destroy(&im->cond);
  bn_mutex_destroy(&im->lock);
  free(im);
}

/* Egress frames in the stage's queue (delay, rate, reorder, slot). */
static size_t bn_impair_egress_held(bn_link *link)
{
  impair *im = (impair *)link;
  bn_mutex_lock(&im->lock);
  size_t held = (size_t)im->side[EGRESS].st.queued;
  bn_mutex_unlock(&im->lock);
  return held;
}

static const struct bn_link_ops bn_impair_ops = {
  .kind = "impair",
  .send = bn_impair_send,
  .poll = bn_impair_poll,
  .wake = bn_impair_wake,
  .close = bn_impair_close,
  .egress_held = bn_impair_egress_held,
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
  bn_link_stage_init(&im->link, &bn_impair_ops, inner);
  bn_mutex_init(&im->lock);
  bn_cond_init(&im->cond);
  im->s = o->scenario;
  im->n_rules = o->scenario->n_matches + 1;
  im->decisions = o->decisions;
  im->log_index = o->decisions != NULL ? o->log_index : NULL;
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
      bn_impair_close(&im->link);
      bn_link_close(inner);
      return -ENOMEM;
    }
    sd->held = d == EGRESS && bn_scn_holds_frames(o->scenario, BN_SCN_EGRESS);
    for (size_t k = 0; k < im->n_rules; k++) {
      /* one stream per direction and rule, named after them */
      char name[64 + 1024];
      snprintf(name, sizeof(name), "impair/%s/%s", bn_impair_side_name[d],
               k == 0 ? "*" : o->scenario->matches[k - 1].filter);
      bn_rng_seed(&sd->rules[k].rng, o->seed, name);
      strncat(name, "/slot", sizeof(name) - strlen(name) - 1);
      bn_rng_seed(&sd->rules[k].slot_rng, o->seed, name);
    }
  }
  if (bn_impair_aims_alloc(im) < 0) {
    im->link.inner = NULL;
    im->final_stats = NULL;
    bn_impair_close(&im->link);
    bn_link_close(inner);
    return -ENOMEM;
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
  bn_mutex_lock(&im->lock);
  bool was = im->started;
  if (!was) {
    /* the steps at 0 hold for the next frame already; their hooks run on
     * the pump's next round */
    im->started = true;
    im->t0 = bn_clock_now_ns();
    apply_due(im, im->t0);
  }
  bn_mutex_unlock(&im->lock);
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
  bn_mutex_lock(&im->lock);
  copy_stats(im, st);
  bn_mutex_unlock(&im->lock);
  return 0;
}
