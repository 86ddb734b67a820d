/*
 * The pcap replay backend (link_pcap.h): the poll injects the peer frames
 * the pacer (replay_pace.c) says are due, the live board's frames are taken
 * by send, and the replies the replay owes the board (ARP answers, pure
 * ACKs, peer data sent again) go in with the next poll; a pass ends once
 * every step is done and the board is quiet, and --loop starts the next.
 * Locks: mu guards the replay's state; it is never held while a frame is
 * handed to the receiver (which runs lwIP, whose output reaches send from
 * another thread). send only copies the board's frames into an inbox (under
 * in_mu) for the poller to take in order, so that the board's transmit
 * thread does not wait for the pump; with the inbox full it takes them
 * itself, under mu.
 */
#include "link_pcap.h"
#include "bn_clock.h"
#include "replay_board_frame.h"
#include "replay_compare.h"
#include "replay_pace.h"
#include "replay_peer_tcp.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_STEP_TIMEOUT_NS (2000u * 1000u * 1000u)
#define DEFAULT_SETTLE_NS (500u * 1000u * 1000u)
#define SETTLE_MAX_NS (60ull * 1000u * 1000u * 1000u)
/* How often a pass whose board program is busy (o.busy) looks again. */
#define BUSY_POLL_NS (10u * 1000u * 1000u)
#define PROGRESS_EVERY_NS (250u * 1000u * 1000u)
/* Replies waiting for the next poll. */
#define REPLIES 512  /* more than a full inbox can call for */
/* Steps injected in one poll at most (the receiver holds lwIP's core lock). */
#define STEPS_PER_POLL 64

struct reply {
  size_t len;
  uint8_t data[BN_LINK_MAX_FRAME];
};

/* The live board's frames on their way from send to the poller. */
#define INBOX 256

struct board_frame {
  size_t len;
  uint64_t ts_ns;
  uint8_t data[BN_LINK_MAX_FRAME];
};

struct pcap_link {
  bn_link link;               /* first: a bn_link * is a struct pcap_link * */
  bn_mutex_t mu;
  bn_cond_t changed;     /* the live board sent, or a wake */
  bn_pcap_options o;
  bn_rp_live *live;
  bn_rp_pacer *pacer;         /* which peer frame goes in when (replay_pace.h) */
  uint64_t steps_done_ns;     /* when every step of the pass was done */
  uint64_t last_board_ns, last_progress_ns;
  struct reply replies[REPLIES];
  size_t nreplies;
  bool woken, ended;
  int waiting;                /* atomic: the poller waits on changed (a signal is needed) */
  /* The inbox: send copies the board's frames in (under in_mu, never mu,
   * so that it does not wait for the pump), the poller takes them out in
   * order; the slots [in_head, in_head + in_count) are full. */
  bn_mutex_t in_mu;
  struct board_frame inbox[INBOX];
  size_t in_head, in_count;   /* in_count: atomic, changed under in_mu */
  bool in_closed;             /* the replay ended: frames are not taken any more */
  unsigned pass;              /* the pass over the capture, 0 first */
};

static struct pcap_link *pcap_of(bn_link *link)
{
  return (struct pcap_link *)link;
}

/* Whether a and b are pure TCP ACKs of one connection (the later makes the
 * earlier needless: ACKs are cumulative). */
static bool same_pure_ack(const struct reply *a, const struct reply *b)
{
  enum { PURE_ACK_LEN = 14 + 20 + 20, ADDRS = 14 + 12, ADDRS_LEN = 12 /* IPs and ports */ };
  return a->len == PURE_ACK_LEN && b->len == PURE_ACK_LEN && a->data[14 + 9] == 6 &&
         memcmp(a->data + ADDRS, b->data + ADDRS, ADDRS_LEN) == 0 && a->data[14 + 20 + 13] == 0x10 &&
         b->data[14 + 20 + 13] == 0x10;
}

/* One of the live board's frames, in order (under mu): compared, and
 * answered where the replay owes an answer (ARP, ACKs). */
static void take_board_frame(struct pcap_link *p, const uint8_t *frame, size_t len, uint64_t ts_ns)
{
  uint64_t unmatched = p->live->unmatched;
  if (p->nreplies < REPLIES) {
    struct reply *r = &p->replies[p->nreplies];
    r->len = bn_rp_live_board_frame(p->live, frame, len, ts_ns, r->data);
    if (r->len > 0 && p->nreplies > 0 && same_pure_ack(&p->replies[p->nreplies - 1], r)) {
      p->replies[p->nreplies - 1] = *r; /* the newer ACK in place of the older */
    } else if (r->len > 0) {
      p->nreplies++;
    }
  } else {
    uint8_t scratch[BN_LINK_MAX_FRAME];
    (void)bn_rp_live_board_frame(p->live, frame, len, ts_ns, scratch); /* replies full: answer later ones */
  }
  if (p->live->unmatched == unmatched) {
    p->last_board_ns = ts_ns; /* a frame of the capture's flows: the board is not done */
  }
}

/* Takes what the inbox holds (under mu). */
static void drain_inbox(struct pcap_link *p)
{
  size_t n = __atomic_load_n(&p->in_count, __ATOMIC_ACQUIRE);
  if (n == 0) {
    return;
  }
  for (size_t k = 0; k < n; k++) {
    const struct board_frame *f = &p->inbox[(p->in_head + k) % INBOX];
    if (!p->ended) {
      take_board_frame(p, f->data, f->len, f->ts_ns);
    }
  }
  bn_mutex_lock(&p->in_mu);
  p->in_head = (p->in_head + n) % INBOX;
  __atomic_sub_fetch(&p->in_count, n, __ATOMIC_SEQ_CST);
  bn_mutex_unlock(&p->in_mu);
}

static int pcap_send(bn_link *link, const uint8_t *frame, size_t len, uint64_t ts_ns)
{
  (void)ts_ns;
  if (len == 0 || len > BN_LINK_MAX_FRAME) {
    return -EMSGSIZE;
  }
  struct pcap_link *p = pcap_of(link);
  uint64_t now = bn_clock_now_ns();
  bn_mutex_lock(&p->in_mu);
  if (p->in_closed) {
    bn_mutex_unlock(&p->in_mu);
    return 0; /* the report is final: what the board sends after the end is not in it */
  }
  if (p->in_count < INBOX) {
    struct board_frame *f = &p->inbox[(p->in_head + p->in_count) % INBOX];
    f->len = len;
    f->ts_ns = now;
    memcpy(f->data, frame, len);
    __atomic_add_fetch(&p->in_count, 1, __ATOMIC_SEQ_CST);
    bn_mutex_unlock(&p->in_mu);
    if (__atomic_load_n(&p->waiting, __ATOMIC_SEQ_CST)) {
      bn_mutex_lock(&p->mu);
      bn_cond_signal(&p->changed);
      bn_mutex_unlock(&p->mu);
    }
    return 0;
  }
  bn_mutex_unlock(&p->in_mu);
  /* Full: take it here, after those before it. Never waits for the poller
   * to drain (it may be waiting for this thread: lwIP's output). */
  bn_mutex_lock(&p->mu);
  drain_inbox(p);
  if (!p->ended) {
    take_board_frame(p, frame, len, now);
  }
  bn_mutex_unlock(&p->mu);
  return 0;
}

static void report_progress(struct pcap_link *p, uint64_t now, bool force)
{
  if (p->o.progress != NULL && (force || now >= bn_clock_add_ns(p->last_progress_ns, PROGRESS_EVERY_NS))) {
    p->last_progress_ns = now;
    uint64_t n = p->o.plan->nsteps, loops = p->o.loops > 1 ? p->o.loops : 1;
    p->o.progress(p->o.progress_arg, p->pass * n + bn_rp_pacer_done(p->pacer), loops * n);
  }
}

/* The end of a pass (under mu): true if another one has begun, with the
 * capture read again from its start and the live side set up anew. */
static bool next_pass(struct pcap_link *p, uint64_t now)
{
  if (p->pass + 1 >= p->o.loops) {
    return false;
  }
  bn_rp_live fresh;
  if (bn_rp_live_init_pass(&fresh, p->o.plan, p->o.live_ip, p->o.live_mac, p->pass + 1) < 0) {
    return false;
  }
  /* The capture first: if it is gone since, the replay ends with this
   * pass's results, not with an empty pass's. */
  if (bn_rp_pacer_next_pass(p->pacer, p->pass + 1, now) < 0) {
    bn_rp_live_free(&fresh);
    return false;
  }
  if (p->o.pass_done != NULL) {
    p->o.pass_done(p->o.pass_arg, p->live);
  }
  bn_rp_live_replace(p->live, &fresh);
  bn_rp_live_set_ignore(p->live, p->o.ignore);
  p->pass++;
  p->steps_done_ns = 0;
  return true;
}

static int pcap_poll(bn_link *link, const bn_link_rx *rx, uint64_t until_ns)
{
  struct pcap_link *p = pcap_of(link);
  uint8_t out[BN_LINK_MAX_FRAME];
  int delivered = 0, steps = 0;
  bn_mutex_lock(&p->mu);
  for (;;) {
    if (p->ended) {
      bn_mutex_unlock(&p->mu);
      return delivered > 0 ? delivered : -ENODATA;
    }
    drain_inbox(p);
    uint64_t now = bn_clock_now_ns();
    size_t len = 0;
    if (p->nreplies > 0) {
      len = p->replies[0].len;
      memcpy(out, p->replies[0].data, len);
      memmove(&p->replies[0], &p->replies[1], (p->nreplies - 1) * sizeof(p->replies[0]));
      p->nreplies--;
    } else if ((len = bn_rp_live_retransmit(p->live, now, out)) > 0) {
      /* peer data the live board did not acknowledge: again */
    } else {
      uint64_t wake = bn_rp_live_next_retransmit(p->live);
      uint64_t step_wake = BN_CLOCK_FOREVER;
      int rc = steps < STEPS_PER_POLL ? bn_rp_pacer_take(p->pacer, now, out, &len, &step_wake) : 0;
      wake = step_wake < wake ? step_wake : wake;
      if (rc == 1) {
        steps++;
      } else if (rc < 0) {
        /* Every step done: the replay ends once the board is quiet. */
        uint64_t last_inject_ns = bn_rp_pacer_last_inject(p->pacer);
        uint64_t quiet = p->last_board_ns > last_inject_ns ? p->last_board_ns : last_inject_ns;
        uint64_t end = bn_clock_add_ns(quiet, p->o.settle_ns);
        /* A stream with a hole (the live board's segment lost on the way, a
         * scenario's loss, comes again after its retransmission timeout) is
         * waited for, as long as lwIP's first timeouts take. */
        uint64_t owed = bn_rp_live_owed_until(p->live, p->o.step_timeout_ns > BN_RP_HOLE_WAIT_NS
                                                         ? p->o.step_timeout_ns : BN_RP_HOLE_WAIT_NS);
        end = owed > end ? owed : end;
        if (p->steps_done_ns == 0) {
          p->steps_done_ns = now;
        }
        /* A board that never goes quiet (it sends on its own, on a timer)
         * ends the replay at most SETTLE_MAX after the last step. */
        uint64_t latest = bn_clock_add_ns(p->steps_done_ns, p->o.settle_ns > SETTLE_MAX_NS ? p->o.settle_ns : SETTLE_MAX_NS);
        end = end < latest ? end : latest;
        if (now >= end && now < latest && p->o.busy != NULL && p->o.busy(p->o.busy_arg)) {
          end = bn_clock_add_ns(now, BUSY_POLL_NS); /* the program is not done: look again */
        }
        if (now >= end) {
          p->live->ended_ns = quiet; /* its last frame: the settling is not the replay's time */
          bn_rp_live_finish(p->live);
          if (next_pass(p, now)) {
            continue;
          }
          p->ended = true;
          bn_mutex_lock(&p->in_mu);
          p->in_closed = true;
          bn_mutex_unlock(&p->in_mu);
          report_progress(p, now, true);
          __atomic_store_n(&p->live->done, 1, __ATOMIC_RELEASE);
          continue;
        }
        wake = end < wake ? end : wake;
      }
      if (len == 0) {
        report_progress(p, now, false);
        if (delivered > 0 || p->woken || now >= until_ns || steps >= STEPS_PER_POLL) {
          p->woken = false;
          break;
        }
        __atomic_store_n(&p->waiting, 1, __ATOMIC_SEQ_CST);
        if (__atomic_load_n(&p->in_count, __ATOMIC_SEQ_CST) == 0) { /* else send did not signal */
          bn_cond_wait(&p->changed, &p->mu, wake < until_ns ? wake : until_ns);
        }
        __atomic_store_n(&p->waiting, 0, __ATOMIC_RELAXED);
        continue;
      }
    }
    bn_mutex_unlock(&p->mu);
    rx->frame(rx->arg, out, len, now); /* never under mu: lwIP's output comes back through send */
    delivered++;
    bn_mutex_lock(&p->mu);
  }
  bn_mutex_unlock(&p->mu);
  return delivered;
}

static void pcap_wake(bn_link *link)
{
  struct pcap_link *p = pcap_of(link);
  bn_mutex_lock(&p->mu);
  p->woken = true;
  bn_cond_signal(&p->changed);
  bn_mutex_unlock(&p->mu);
}

static void pcap_close(bn_link *link)
{
  struct pcap_link *p = pcap_of(link);
  if (!p->ended) {
    drain_inbox(p); /* nothing the board sent is lost */
    p->live->ended_ns = bn_clock_now_ns();
    bn_rp_live_finish_early(p->live); /* ended early: flows never reached marked, the pass cut short */
    __atomic_store_n(&p->live->done, 1, __ATOMIC_RELEASE);
  }
  bn_rp_pacer_free(p->pacer);
  bn_cond_destroy(&p->changed);
  bn_mutex_destroy(&p->in_mu);
  bn_mutex_destroy(&p->mu);
  free(p);
}

static const struct bn_link_ops pcap_ops = {
  .kind = "pcap",
  .send = pcap_send,
  .poll = pcap_poll,
  .wake = pcap_wake,
  .close = pcap_close,
};

int bn_link_pcap_open(const bn_pcap_options *o, bn_link **out, char err[BN_PCAP_ERRLEN])
{
  if (o == NULL || o->plan == NULL || o->read == NULL || o->live == NULL || out == NULL) {
    snprintf(err, BN_PCAP_ERRLEN, "replay: no plan");
    return -EINVAL;
  }
  struct pcap_link *p = calloc(1, sizeof(*p));
  if (p == NULL) {
    snprintf(err, BN_PCAP_ERRLEN, "out of memory");
    return -ENOMEM;
  }
  p->o = *o;
  if (p->o.step_timeout_ns == 0) {
    p->o.step_timeout_ns = DEFAULT_STEP_TIMEOUT_NS;
  }
  bn_rp_pace_options pace = { .pace = o->pace, .speed = o->speed, .step_timeout_ns = p->o.step_timeout_ns };
  size_t boot_steps = o->plan->lease_known ? o->plan->lease_step + 1 : 0; /* the lease, and what came before it */
  int rc = bn_rp_pacer_new(o->plan, o->live, o->read, &pace, boot_steps, o->hold, bn_clock_now_ns(), &p->pacer, err);
  if (rc == 0 && (rc = bn_rp_live_init(o->live, o->plan, o->live_ip, o->live_mac)) < 0) {
    snprintf(err, BN_PCAP_ERRLEN, "out of memory");
    bn_rp_pacer_free(p->pacer);
  }
  if (rc < 0) {
    free(p);
    return rc;
  }
  if (p->o.settle_ns == 0) {
    p->o.settle_ns = DEFAULT_SETTLE_NS;
  }
  p->live = o->live;
  bn_rp_live_set_ignore(p->live, o->ignore);
  bn_mutex_init(&p->mu);
  bn_mutex_init(&p->in_mu);
  bn_cond_init(&p->changed);
  bn_link_stage_init(&p->link, &pcap_ops, NULL);
  snprintf(p->link.name, sizeof(p->link.name), "pcap");
  *out = &p->link;
  return 0;
}

int bn_link_pcap_release(bn_link *link)
{
  bn_link *stage = bn_link_find(link, "pcap");
  if (stage == NULL) {
    return -ENOENT;
  }
  struct pcap_link *p = pcap_of(stage);
  bn_mutex_lock(&p->mu);
  bn_rp_pacer_release(p->pacer, bn_clock_now_ns());
  if (p->waiting) {
    bn_cond_signal(&p->changed); /* else it looks again before it waits */
  }
  bn_mutex_unlock(&p->mu);
  return 0;
}
