/*
 * bn_link: a frame pipe, the one interface of every stage of boardnet's link
 * pipeline. A backend (tap | pcap | memory) is a link; a stage (record,
 * impair ...) wraps the next link towards the wire (its `inner`) and is a
 * link itself, so stages compose and each can be tested alone on a memory
 * backend. The lwIP netif (bn_netif.h) sits on the outermost one;
 * bn_pipeline.h assembles the chain from a board's options.
 *
 * A link moves whole Ethernet frames (no FCS), each with a timestamp in
 * nanoseconds on the board's clock (bn_clock.h). Egress is what the board
 * sends (bn_link_send(), towards the wire), ingress what it receives
 * (bn_link_poll(), from the wire).
 *
 * Threading (checked: a call that breaks it fails with -EBUSY):
 * - Never two threads send on a link at once (bn_link_send/_send_batch), and
 *   never two poll it at once (bn_link_poll). The rule is mutual exclusion,
 *   not a fixed thread: the netif hands its frames over from whichever
 *   thread holds its one transmit token (its tx thread, or the thread that
 *   queued one or two frames, right after it released lwIP's core lock).
 *   A send and a poll may run at once, on two threads.
 *   bn_link_wake() may be called from any thread at any time.
 * - A stage that holds frames (delay, rate, reorder, replay pacing) never
 *   sends them from a thread of its own or by sleeping: its send() queues
 *   the frame with an absolute release time on the board's clock and calls
 *   bn_link_wake(stage); its poll() -- the pipeline's one pump, run by the
 *   netif's receive thread -- releases what is due and passes its next
 *   release time (or the caller's deadline, if sooner) to the inner poll.
 *   Such a stage sends every frame of that direction from its poll, so that
 *   its inner link still has one sender.
 * - Carrier (link up/down) changes travel up from any stage through the
 *   receiver's carrier callback; only a fatal error (a negative return from
 *   bn_link_poll()) ends a link.
 * Every function returns 0 (or a count) on success and a negative errno value
 * on failure; none of them exits the process or prints.
 *
 * netif/, one folder per job, from the wire up (none of it knows sockets):
 *   base/        the board's clock (bn_clock.h), seeded random streams
 *                (bn_random.h), JSON strings: the bottom, read by lwIP's port too
 *   backend/     TAP (link_tap.h: batched io_uring I/O, carrier from the
 *                TAP's state) and memory (link_memory.h, for tests)
 *   replay/      the pcap backend and the replay engine (link_pcap.h;
 *                replay/README.md follows one captured frame through it)
 *   record/      the record stage (link_record.h) and its pcap writer
 *   impair/      the impairment stage (link_impair.h): netem's models,
 *                the decisions, the release queue
 *   bn_pipeline.h  assembles backend -> record -> impair from a board's options
 *   bn_netif.h     the lwIP netif on the outermost link (rx pump, tx ring)
 */
#ifndef BN_LINK_H
#define BN_LINK_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bn_clock.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Largest frame a link carries: Ethernet header + 1500 MTU + one VLAN tag. */
#define BN_LINK_MAX_FRAME 1522

/** bn_link_poll() deadlines: wait as long as it takes / do not wait. */
#define BN_LINK_FOREVER BN_CLOCK_FOREVER
#define BN_LINK_NOW     0

typedef struct bn_link bn_link;

/** What bn_link_poll() hands its caller. */
typedef struct bn_link_rx {
  /**
   * Called once per received frame, in arrival order.
   * @param frame  the frame; valid only during the call
   * @param len    its length in bytes, 1..BN_LINK_MAX_FRAME
   * @param ts_ns  when it arrived (board clock)
   */
  void (*frame)(void *arg, const uint8_t *frame, size_t len, uint64_t ts_ns);
  /** Called when the carrier goes down or up (may be NULL: ignored). */
  void (*carrier)(void *arg, bool up);
  /**
   * May be NULL. Called after frames (or a carrier change) were handed over
   * and before the link does any more I/O on its device (a read that may
   * find more frames) or returns: the receiver may release here what it
   * holds across a batch (the netif: lwIP's core lock), so that other
   * threads do not wait on the link's system calls. More frames may follow
   * in the same poll; a backend calls it at least before each read after a
   * delivery, a stage passes it on.
   */
  void (*batch_end)(void *arg);
  void *arg;
} bn_link_rx;

/** Calls rx->batch_end if there is one. */
static inline void bn_link_rx_batch_end(const bn_link_rx *rx)
{
  if (rx->batch_end != NULL) {
    rx->batch_end(rx->arg);
  }
}

/** One frame of a bn_link_send_batch() call. */
typedef struct bn_link_frame {
  const uint8_t *data;
  size_t len;
  uint64_t ts_ns;
  int result;        /**< set by the call: what bn_link_send() would return */
} bn_link_frame;

/**
 * What every link implements. A backend fills in send, poll, wake and close.
 * A stage may leave any operation NULL: the call goes to its inner link
 * unchanged (send_batch NULL with send set: one send() per frame).
 */
struct bn_link_ops {
  const char *kind;  /**< "tap", "memory", "record", ... */
  /** See bn_link_send(). */
  int (*send)(bn_link *link, const uint8_t *frame, size_t len, uint64_t ts_ns);
  /** See bn_link_send_batch(). */
  size_t (*send_batch)(bn_link *link, bn_link_frame *frames, size_t n);
  /** See bn_link_poll(). */
  int (*poll)(bn_link *link, const bn_link_rx *rx, uint64_t until_ns);
  /** See bn_link_wake(). */
  void (*wake)(bn_link *link);
  /** Releases this link's own resources (not its inner link: bn_link_close() does). */
  void (*close)(bn_link *link);
  /** See bn_link_egress_held(): this stage's own count (NULL: it holds none). */
  size_t (*egress_held)(bn_link *link);
};

struct bn_link {
  const struct bn_link_ops *ops;
  bn_link *inner;    /**< the link this stage wraps (towards the wire); NULL for a backend */
  char name[32];     /**< the backend's name (e.g. the TAP device), for messages and the MAC */
  int sending;       /**< atomic: a send is in progress (the threading rule) */
  int polling;       /**< atomic: a poll is in progress */
};

/**
 * Makes stage a link wrapping inner (which it owns from now on: closing the
 * stage closes inner): sets its ops and inner link and copies inner's name,
 * so that the board's identity (default MAC, messages) stays the backend's.
 * For a backend, inner is NULL and the name is the caller's to set.
 */
static inline void bn_link_stage_init(bn_link *stage, const struct bn_link_ops *ops, bn_link *inner)
{
  stage->ops = ops;
  stage->inner = inner;
  stage->sending = 0;
  stage->polling = 0;
  size_t i = 0;
  if (inner != NULL) {
    for (; i + 1 < sizeof(stage->name) && inner->name[i] != '\0'; i++) {
      stage->name[i] = inner->name[i];
    }
  }
  stage->name[i] = '\0';
}

/** The innermost link of a chain: its backend. */
static inline bn_link *bn_link_backend(bn_link *link)
{
  while (link->inner != NULL) {
    link = link->inner;
  }
  return link;
}

/** The first link of kind `kind` from link towards the wire, or NULL. */
static inline bn_link *bn_link_find(bn_link *link, const char *kind)
{
  for (; link != NULL; link = link->inner) {
    const char *a = link->ops->kind, *b = kind;
    while (*a != '\0' && *a == *b) {
      a++, b++;
    }
    if (*a == *b) {
      return link;
    }
  }
  return NULL;
}

/* Takes a flag of the threading rule; false if another thread holds it. */
static inline bool bn_link_enter_(int *flag)
{
  return __atomic_exchange_n(flag, 1, __ATOMIC_ACQUIRE) == 0;
}

static inline void bn_link_leave_(int *flag)
{
  __atomic_store_n(flag, 0, __ATOMIC_RELEASE);
}

/**
 * Transmits frames[0..n) in this order, as n calls of bn_link_send() would
 * (a link may hand them to its device in one go), and sets each frame's
 * result to what bn_link_send() would have returned for it.
 * @return how many of them were handed on (result 0). A call made while
 *         another thread sends on the link sets every result to -EBUSY.
 */
static inline size_t bn_link_send_batch(bn_link *link, bn_link_frame *frames, size_t n)
{
  while (link->ops->send_batch == NULL && link->ops->send == NULL && link->inner != NULL) {
    link = link->inner;
  }
  if (!bn_link_enter_(&link->sending)) {
    for (size_t i = 0; i < n; i++) {
      frames[i].result = -EBUSY;
    }
    return 0;
  }
  size_t sent = 0;
  if (link->ops->send_batch != NULL) {
    sent = link->ops->send_batch(link, frames, n);
  } else {
    for (size_t i = 0; i < n; i++) {
      frames[i].result = link->ops->send(link, frames[i].data, frames[i].len, frames[i].ts_ns);
      sent += frames[i].result == 0;
    }
  }
  bn_link_leave_(&link->sending);
  return sent;
}

/**
 * Transmits one frame (towards the wire).
 * @return 0 when the frame was handed on (or deliberately dropped by a stage
 *         such as impairment), -EMSGSIZE if len is 0 or larger than
 *         BN_LINK_MAX_FRAME, -ENOBUFS if the wire cannot take it now (the frame
 *         is dropped, as a real MAC would), -EBUSY if another thread is
 *         sending on this link, -EIO/-ENETDOWN/... on a device error.
 */
static inline int bn_link_send(bn_link *link, const uint8_t *frame, size_t len, uint64_t ts_ns)
{
  while (link->ops->send == NULL && link->inner != NULL) {
    if (link->ops->send_batch != NULL) {
      bn_link_frame one = { .data = frame, .len = len, .ts_ns = ts_ns };
      bn_link_send_batch(link, &one, 1);
      return one.result;
    }
    link = link->inner;
  }
  if (!bn_link_enter_(&link->sending)) {
    return -EBUSY;
  }
  int rc = link->ops->send(link, frame, len, ts_ns);
  bn_link_leave_(&link->sending);
  return rc;
}

/**
 * Waits until until_ns on the board's clock (BN_LINK_FOREVER, BN_LINK_NOW, or
 * an absolute time) for frames, and hands every frame available at that
 * point to rx->frame, in order: several per call when several are queued;
 * carrier changes go to rx->carrier. After the first frame or carrier
 * change is handed over, the call never blocks again, so a caller may hold
 * a lock across the calls of rx (and release it in rx->batch_end).
 * @return the number of frames delivered (0 at the deadline, after a carrier
 *         change, or after bn_link_wake()), -EBUSY if another thread is
 *         polling this link, -ENODATA when the link has ended for good (e.g.
 *         a replay finished), -ENODEV/-EIO/... on a fatal device error.
 */
static inline int bn_link_poll(bn_link *link, const bn_link_rx *rx, uint64_t until_ns)
{
  while (link->ops->poll == NULL && link->inner != NULL) {
    link = link->inner;
  }
  if (!bn_link_enter_(&link->polling)) {
    return -EBUSY;
  }
  int rc = link->ops->poll(link, rx, until_ns);
  bn_link_leave_(&link->polling);
  return rc;
}

/**
 * How many frames the board sent that the chain still holds on their way to
 * the wire (a delay, a rate or a reorder queue): every stage's own count,
 * from link towards the wire; a stage that holds none adds nothing. 0 means
 * every frame sent so far has been handed to the backend. Any thread.
 */
static inline size_t bn_link_egress_held(bn_link *link)
{
  size_t held = 0;
  for (; link != NULL; link = link->inner) {
    if (link->ops->egress_held != NULL) {
      held += link->ops->egress_held(link);
    }
  }
  return held;
}

/** Makes a bn_link_poll() in progress (or the next one) return promptly. */
static inline void bn_link_wake(bn_link *link)
{
  while (link->ops->wake == NULL && link->inner != NULL) {
    link = link->inner;
  }
  link->ops->wake(link);
}

/**
 * Closes the link and, for a stage, every link it wraps; NULL is ignored.
 * No other call may be in progress on any of them.
 */
static inline void bn_link_close(bn_link *link)
{
  while (link != NULL) {
    bn_link *inner = link->inner;
    if (link->ops->close != NULL) {
      link->ops->close(link);
    }
    link = inner;
  }
}

#ifdef __cplusplus
}
#endif

#endif /* BN_LINK_H */
