/*
 * When each peer frame of a replay goes in (replay_pace.h): a window of the
 * steps read ahead of the first one not done, scanned in the capture's
 * order each time the pump asks. A step may go when no earlier step of its
 * flow is pending and no earlier step of another flow waits for its time
 * (only for the live board); then its pace says when.
 */
#include "replay_pace.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bn_clock.h"
#include "replay_peer_tcp.h"
#include "replay_rewrite.h"

/* A flow the board went quiet in (its next step still waits for it). */
#define IDLE_NS (20u * 1000u * 1000u)
/* Steps read ahead at most (their frames are kept). */
#define WINDOW 1024

struct entry {
  size_t step;
  uint8_t *frame;
  size_t len;
  uint64_t free_ns;           /* when it could first go (0: not yet): its waits count from then, */
  uint64_t allow_ns;          /* for at most this long: --step-timeout, and as long as the capture waited */
  bool done;
};

struct bn_rp_pacer {
  const bn_rp_plan *plan;
  bn_rp_live *live;
  const bn_rp_plan_options *read;
  bn_rp_pace_options o;
  bn_pcap_source *src;
  struct entry window[WINDOW];
  size_t first, count;        /* the pending steps: window[first .. first + count) (a ring) */
  size_t next_read;           /* the next step to read into the window */
  size_t done;                /* steps done in this pass */
  size_t boot_steps;
  bool held;
  unsigned pass;
  uint64_t start_ns, start_ts; /* the first injection (recorded pacing counts from it), and its step's time */
  uint64_t last_inject_ns;
  uint64_t last_ts;           /* the capture's time of the last step injected (0: none yet) */
  uint32_t *lane;             /* per flow: the first flow with its addresses and ports (the ports used
                                 again make a new flow that must wait for the old one) */
  unsigned *lane_mark;        /* per lane: the scan that saw a pending step of it first */
  unsigned scan;
  bn_rp_wait wake_why;        /* what the step with the earliest wake waits for */
  uint64_t idle_since;        /* since when no step was due (0: one went in), */
  bn_rp_wait idle_why;        /* and for what it waited */
};

/* Each flow's lane: the first flow of the capture with the same kind,
 * addresses and ports. @return 0, -ENOMEM. */
static int lanes(const bn_rp_plan *plan, uint32_t *lane)
{
  bn_rp_flowmap first = { 0 };
  for (size_t i = 0; i < plan->nflows; i++) {
    const bn_rp_flow *f = &plan->flows[i];
    uint32_t found;
    if (bn_rp_flowmap_get(&first, f->kind, f->peer_ip, f->peer_port, f->board_port, &found)) {
      lane[i] = found;
    } else if (bn_rp_flowmap_put(&first, f->kind, f->peer_ip, f->peer_port, f->board_port, (uint32_t)i) < 0) {
      bn_rp_flowmap_free(&first);
      return -ENOMEM;
    } else {
      lane[i] = (uint32_t)i;
    }
  }
  bn_rp_flowmap_free(&first);
  return 0;
}

static struct entry *at(bn_rp_pacer *pc, size_t i)
{
  return &pc->window[(pc->first + i) % WINDOW];
}

int bn_rp_pacer_new(const bn_rp_plan *plan, bn_rp_live *live, const bn_rp_plan_options *read,
                    const bn_rp_pace_options *o, size_t boot_steps, bool hold, uint64_t now, bn_rp_pacer **out,
                    char err[BN_PCAP_ERRLEN])
{
  bn_rp_pacer *pc = calloc(1, sizeof(*pc));
  size_t n = plan->nflows ? plan->nflows : 1;
  if (pc == NULL || (pc->lane_mark = calloc(n, sizeof(*pc->lane_mark))) == NULL ||
      (pc->lane = calloc(n, sizeof(*pc->lane))) == NULL || lanes(plan, pc->lane) < 0) {
    bn_rp_pacer_free(pc);
    snprintf(err, BN_PCAP_ERRLEN, "out of memory");
    return -ENOMEM;
  }
  int rc = bn_rp_plan_open_source(read, &pc->src, err);
  if (rc < 0) {
    bn_rp_pacer_free(pc);
    return rc;
  }
  pc->plan = plan;
  pc->live = live;
  pc->read = read;
  pc->o = *o;
  pc->boot_steps = boot_steps;
  pc->held = hold;
  pc->last_inject_ns = now;
  *out = pc;
  return 0;
}

static void drop_window(bn_rp_pacer *pc)
{
  for (size_t i = 0; i < pc->count; i++) {
    free(at(pc, i)->frame);
  }
  pc->first = pc->count = 0;
}

void bn_rp_pacer_free(bn_rp_pacer *pc)
{
  if (pc != NULL) {
    drop_window(pc);
    bn_pcap_source_close(pc->src);
    free(pc->lane_mark);
    free(pc->lane);
    free(pc);
  }
}

/* The step that begins the pending ones: every step before it is done. */
static void publish_head(bn_rp_pacer *pc)
{
  size_t head = pc->count > 0 ? at(pc, 0)->step : pc->next_read;
  __atomic_store_n(&pc->live->head, head, __ATOMIC_RELEASE);
}

/* Drops the done steps at the front of the window. */
static void compact(bn_rp_pacer *pc)
{
  while (pc->count > 0 && at(pc, 0)->done) {
    free(at(pc, 0)->frame);
    at(pc, 0)->frame = NULL;
    pc->first = (pc->first + 1) % WINDOW;
    pc->count--;
  }
  publish_head(pc);
}

static void step_done(bn_rp_pacer *pc, struct entry *e)
{
  e->done = true;
  pc->done++;
}

/* Reads steps into the window; -1 if the file ended before a step's frame. */
static int fill(bn_rp_pacer *pc)
{
  const bn_rp_plan *plan = pc->plan;
  uint64_t skipped[BN_SKIP_COUNT] = { 0 }; /* the plan counted them */
  while (pc->count < WINDOW && pc->next_read < plan->nsteps) {
    if (pc->held && pc->next_read >= pc->boot_steps) {
      break; /* bn_rp_pacer_release() */
    }
    if (pc->pass > 0 && pc->next_read < pc->boot_steps) {
      pc->next_read++; /* a later pass: the board started in the first */
      pc->done++;
      continue;
    }
    const bn_rp_step *s = &plan->steps[pc->next_read];
    bn_pcap_frame f;
    int got;
    while ((got = bn_pcap_source_next(pc->src, &f, skipped)) == 1 && f.number != s->number) {
    }
    if (got != 1) {
      pc->live->cut_short = "the capture could not be read again to its end (changed since the plan?)";
      return -1;
    }
    uint8_t *copy = malloc(f.len);
    if (copy == NULL) {
      return pc->count > 0 ? 0 : -1; /* no memory: go on with what is read */
    }
    memcpy(copy, f.data, f.len);
    *at(pc, pc->count) = (struct entry){ .step = pc->next_read, .frame = copy, .len = f.len };
    pc->count++;
    pc->next_read++;
  }
  publish_head(pc);
  return 0;
}

/* When step s is due under the pace (BN_CLOCK_FOREVER: on an event). */
static uint64_t due_time(const bn_rp_pacer *pc, const struct entry *e, bool can, bool progress)
{
  const bn_rp_step *s = &pc->plan->steps[e->step];
  uint64_t timeout = bn_clock_add_ns(e->free_ns, e->allow_ns);
  switch (pc->o.pace) {
  case BN_PACE_TOP:
    return can ? 0 : timeout;
  case BN_PACE_RECORDED: {
    if (!can) {
      return timeout;
    }
    if (pc->start_ns == 0) {
      return 0;
    }
    uint64_t since_first = s->ts_ns > pc->start_ts ? s->ts_ns - pc->start_ts : 0;
    double offset = (double)since_first / (pc->o.speed > 0 ? pc->o.speed : 1.0);
    return bn_clock_add_ns(pc->start_ns, (uint64_t)offset);
  }
  case BN_PACE_REACTIVE:
  default: {
    uint64_t prev = e->step > 0 ? pc->plan->steps[e->step - 1].ts_ns : s->ts_ns;
    uint64_t gap = s->ts_ns > prev ? s->ts_ns - prev : 0; /* a capture's clock can step back */
    /* From the last frame in: new conversations keep the capture's spacing. */
    uint64_t from = e->free_ns > pc->last_inject_ns ? e->free_ns : pc->last_inject_ns;
    uint64_t after_gap = bn_clock_add_ns(from, gap);
    const bn_rp_live_flow *lf = &pc->live->flows[s->flow];
    if (can && progress) {
      /* Within a conversation the board's answers set the pace; a new one
       * starts after its captured gap (what it waited for is unknown: the
       * board's address, a user), at most the step timeout. */
      return lf->started ? 0 : after_gap < timeout ? after_gap : timeout;
    }
    if (!can) {
      return timeout;
    }
    /* The board went quiet short of what the capture shows: after the
     * frame's captured gap and a moment's quiet, it goes in anyway. */
    uint64_t quiet = bn_clock_add_ns(lf->last_ns > pc->last_inject_ns ? lf->last_ns : pc->last_inject_ns, IDLE_NS);
    uint64_t t = quiet > after_gap ? quiet : after_gap;
    return t < timeout ? t : timeout;
  }
  }
}

/* How long the capture itself waited from the last step injected to s: a
 * board the capture shows quiet that long (an outage, lwIP's 3 s SYN
 * retransmission) is waited for as long, and --step-timeout more. */
static uint64_t capture_wait(const bn_rp_pacer *pc, const bn_rp_step *s)
{
  return pc->last_ts != 0 && s->ts_ns > pc->last_ts ? s->ts_ns - pc->last_ts : 0;
}

/* Gives up on the flow of e at now: the rest of it cannot go in. */
static void abandon(bn_rp_pacer *pc, struct entry *e, bool window_shut, uint64_t now)
{
  const bn_rp_step *s = &pc->plan->steps[e->step];
  bn_rp_live_flow *lf = &pc->live->flows[s->flow];
  lf->abandoned = true;
  lf->window_shut = window_shut;
  lf->gave_up_number = s->number;
  lf->gave_up_waited_ns = now - e->free_ns;
  lf->gave_up_capture_ns = e->allow_ns - pc->o.step_timeout_ns;
  lf->gave_up_ns = now;
  pc->live->not_injected++;
  pc->live->timeouts++;
  step_done(pc, e);
}

/* A step waits until t, for what: the pacer looks again at the earliest
 * such t, and the wait until then is put down to that step's reason. */
static void wait_until(bn_rp_pacer *pc, uint64_t *wake, uint64_t t, bn_rp_wait why)
{
  if (t < *wake) {
    *wake = t;
    pc->wake_why = why;
  }
}

/* What one pending step does at now: 1 injected (out, len), 0 it waits
 * (*wake lowered; *on_time: for its time, so later steps of other flows wait
 * too), -1 it is done without a frame. */
static int try_step(bn_rp_pacer *pc, struct entry *e, uint64_t now, uint8_t *out, size_t *len, uint64_t *wake,
                    bool *on_time)
{
  const bn_rp_step *s = &pc->plan->steps[e->step];
  bn_rp_live_flow *lf = &pc->live->flows[s->flow];
  *on_time = false;
  if (lf->abandoned) {
    pc->live->not_injected += !lf->not_compared; /* a later pass leaves DHCP out on purpose */
    step_done(pc, e);
    return -1;
  }
  if (e->free_ns == 0) {
    e->free_ns = now;
    e->allow_ns = bn_clock_add_ns(pc->o.step_timeout_ns, capture_wait(pc, s));
  }
  bool progress, can = bn_rp_live_can_rewrite(pc->live, s, e->frame, e->len, &progress);
  uint64_t due = due_time(pc, e, can, progress);
  bool timed_out = now >= bn_clock_add_ns(e->free_ns, e->allow_ns);
  if (!can && timed_out && bn_rp_peer_tcp_synack_pending(lf)) {
    /* The peer's TCP is still at its handshake (its SYN-ACK lost on the
     * way, a scenario's loss, and sent again): the flow waits for it as
     * long as the peer keeps trying (replay_peer_tcp.h), not for the step
     * timeout. */
    wait_until(pc, wake, bn_rp_live_next_retransmit(pc->live), BN_RP_WAIT_CONNECTION);
    return 0;
  }
  if (!can && timed_out) {
    /* Its live connection never came (the board did not open it, or did
     * not answer the peer's SYN). */
    abandon(pc, e, false, now);
    return -1;
  }
  if (now < due) {
    *on_time = can && (progress || pc->o.pace != BN_PACE_REACTIVE);
    wait_until(pc, wake, due, !can ? BN_RP_WAIT_CONNECTION : *on_time ? BN_RP_WAIT_CAPTURE : BN_RP_WAIT_BOARD);
    return 0;
  }
  bool done;
  if (!bn_rp_live_next_frame(pc->live, s, e->frame, e->len, out, len, &done)) {
    if (done) {
      step_done(pc, e); /* nothing left of it to send */
      return -1;
    }
    /* The board's window is full: it reads, or its flow is given up on once
     * it has been silent in it for the step timeout. */
    uint64_t since = lf->last_ns > lf->blocked_since ? lf->last_ns : lf->blocked_since;
    uint64_t give_up = bn_clock_add_ns(since, pc->o.step_timeout_ns);
    if (now >= give_up || lf->resets > 0) {
      /* A board that reset the connection answers every probe with a RST:
       * its window will not open, and its answers must not keep the wait alive. */
      abandon(pc, e, lf->resets == 0, now);
      return -1;
    }
    uint64_t probe = bn_clock_add_ns(now, BN_RP_RTO_NS); /* the window probe's next turn */
    wait_until(pc, wake, probe < give_up ? probe : give_up, BN_RP_WAIT_WINDOW);
    return 0;
  }
  if (timed_out && pc->o.pace == BN_PACE_REACTIVE && !progress) {
    pc->live->timeouts++;
  }
  if (pc->start_ns == 0) {
    pc->start_ns = now;
    pc->start_ts = s->ts_ns;
    pc->live->started_ns = now;
  }
  pc->last_inject_ns = now;
  pc->last_ts = s->ts_ns;
  if (done) {
    step_done(pc, e);
  }
  return 1;
}

/* One scan of the window at now: 1 injected, 0 nothing now, -1 every step
 * done; *finished: steps ended without a frame (look again). */
static int scan_window(bn_rp_pacer *pc, uint64_t now, uint8_t *out, size_t *len, uint64_t *wake, bool *finished)
{
  *finished = false;
  compact(pc);
  if (fill(pc) < 0 && pc->count == 0) {
    return -1;
  }
  if (pc->count == 0) {
    return pc->next_read >= pc->plan->nsteps ? -1 : 0; /* held: bn_rp_pacer_release() wakes the poll */
  }
  pc->scan++;
  if (pc->scan == 0) { /* wrapped: the marks start over */
    memset(pc->lane_mark, 0, pc->plan->nflows * sizeof(*pc->lane_mark));
    pc->scan = 1;
  }
  bool passed = false; /* a step before this one waits: only conversations under way may go past it */
  for (size_t i = 0; i < pc->count; i++) {
    struct entry *e = at(pc, i);
    uint32_t flow = pc->plan->steps[e->step].flow, lane = pc->lane[flow];
    if (e->done || pc->lane_mark[lane] == pc->scan) {
      continue; /* an earlier step of its flow (or ports) is pending: it keeps its order */
    }
    pc->lane_mark[lane] = pc->scan;
    if (passed && !pc->live->flows[flow].started) {
      continue; /* new conversations start in the capture's order */
    }
    bool on_time;
    int rc = try_step(pc, e, now, out, len, wake, &on_time);
    if (rc == 1) {
      return 1;
    }
    if (rc < 0) {
      pc->lane_mark[lane] = 0; /* done without a frame: the next step of its lane may go in this scan */
      *finished = true;
      continue;
    }
    if (on_time) {
      break; /* a step that waits for its time holds the later ones of every flow */
    }
    passed = true;
  }
  return 0;
}

int bn_rp_pacer_take(bn_rp_pacer *pc, uint64_t now, uint8_t *out, size_t *len, uint64_t *wake)
{
  if (pc->idle_since != 0 && now > pc->idle_since) {
    pc->live->waited_ns[pc->idle_why] += now - pc->idle_since;
  }
  pc->idle_since = 0;
  *wake = BN_CLOCK_FOREVER;
  pc->wake_why = pc->held ? BN_RP_WAIT_HELD : BN_RP_WAIT_BOARD; /* no step to wait for: an event */
  bool finished;
  int rc;
  do {
    rc = scan_window(pc, now, out, len, wake, &finished);
  } while (rc == 0 && finished); /* steps ended: the window may hold more that can go, or be empty */
  if (rc == 0) {
    pc->idle_since = now;
    pc->idle_why = pc->wake_why;
  }
  return rc;
}

void bn_rp_pacer_release(bn_rp_pacer *pc, uint64_t now)
{
  if (pc->held) {
    pc->held = false;
    pc->last_inject_ns = now;
    pc->start_ns = 0; /* recorded pacing counts from the next step */
    for (size_t i = 0; i < pc->count; i++) {
      at(pc, i)->free_ns = 0; /* their waits count from now */
    }
  }
}

int bn_rp_pacer_next_pass(bn_rp_pacer *pc, unsigned pass, uint64_t now)
{
  char err[BN_PCAP_ERRLEN];
  bn_pcap_source *src;
  int rc = bn_rp_plan_open_source(pc->read, &src, err);
  if (rc < 0) {
    return rc;
  }
  drop_window(pc);
  bn_pcap_source_close(pc->src);
  pc->src = src;
  pc->pass = pass;
  pc->next_read = 0;
  pc->done = 0;
  pc->start_ns = 0;
  pc->last_inject_ns = now;
  pc->last_ts = 0;
  return 0; /* the head: the live side's new pass starts it at 0, fill() moves it on */
}

size_t bn_rp_pacer_done(const bn_rp_pacer *pc)
{
  return pc->done;
}

uint64_t bn_rp_pacer_last_inject(const bn_rp_pacer *pc)
{
  return pc->last_inject_ns;
}
