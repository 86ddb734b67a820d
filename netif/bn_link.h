/*
 * bn_link: a frame pipe, the one interface of every stage of boardnet's link
 * pipeline (backend tap | pcap | memory, then optional impair and record
 * stages, then the lwIP netif on top). A stage that wraps another link is a
 * link itself, so stages compose and each one can be tested alone.
 *
 * A link moves whole Ethernet frames (no FCS), each with a timestamp in
 * nanoseconds on the board's clock (bn_clock_now_ns(), netif/bn_clock.h).
 *
 * Threading: one thread calls bn_link_poll() (the receiver), any thread may
 * call bn_link_send() (in practice one at a time: the netif's transmit
 * thread), and bn_link_wake() may be called from any thread at any time.
 * Every function returns 0 (or a count) on success and a negative errno value
 * on failure; none of them exits the process or prints.
 */
#ifndef BN_LINK_H
#define BN_LINK_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Largest frame a link carries: Ethernet header + 1500 MTU + one VLAN tag. */
#define BN_LINK_MAX_FRAME 1522

typedef struct bn_link bn_link;

/**
 * Called by bn_link_poll() once per received frame, in arrival order.
 * @param arg    the argument given to bn_link_poll()
 * @param frame  the frame; valid only during the call
 * @param len    its length in bytes, 1..BN_LINK_MAX_FRAME
 * @param ts_ns  when it arrived (bn_clock_now_ns() time base)
 */
typedef void (*bn_link_rx_fn)(void *arg, const uint8_t *frame, size_t len, uint64_t ts_ns);

/** One frame of a bn_link_send_batch() call. */
typedef struct bn_link_frame {
  const uint8_t *data;
  size_t len;
  uint64_t ts_ns;
  int result;        /**< set by the call: what bn_link_send() would return */
} bn_link_frame;

/** What every stage implements. Stages fill this in; users call bn_link_*(). */
struct bn_link_ops {
  const char *kind;  /**< "tap", "memory", ... */
  /** See bn_link_send(). */
  int (*send)(bn_link *link, const uint8_t *frame, size_t len, uint64_t ts_ns);
  /** Optional (NULL: one send per frame); see bn_link_send_batch(). */
  size_t (*send_batch)(bn_link *link, bn_link_frame *frames, size_t n);
  /** See bn_link_poll(). */
  int (*poll)(bn_link *link, bn_link_rx_fn rx, void *arg, int timeout_ms);
  /** See bn_link_wake(). */
  void (*wake)(bn_link *link);
  /** Releases the stage (and, for a wrapping stage, the link it wraps). */
  void (*close)(bn_link *link);
};

struct bn_link {
  const struct bn_link_ops *ops;
  char name[32];     /**< e.g. the TAP device's name; for messages */
};

/**
 * Transmits one frame.
 * @return 0 when the frame was handed to the wire (or deliberately dropped by
 *         a stage such as impairment), -EMSGSIZE if len is 0 or larger than
 *         BN_LINK_MAX_FRAME, -ENOBUFS if the wire cannot take it now (the frame
 *         is dropped, as a real MAC would), -EIO/-ENETDOWN/... on a device error.
 */
static inline int bn_link_send(bn_link *link, const uint8_t *frame, size_t len, uint64_t ts_ns)
{
  return link->ops->send(link, frame, len, ts_ns);
}

/**
 * Transmits frames[0..n) in this order, as n calls of bn_link_send() would
 * (a stage may hand them to its device in one go), and sets each frame's
 * result to what bn_link_send() would have returned for it.
 * @return how many of them were handed to the wire (result 0).
 */
static inline size_t bn_link_send_batch(bn_link *link, bn_link_frame *frames, size_t n)
{
  if (link->ops->send_batch != NULL) {
    return link->ops->send_batch(link, frames, n);
  }
  size_t sent = 0;
  for (size_t i = 0; i < n; i++) {
    frames[i].result = link->ops->send(link, frames[i].data, frames[i].len, frames[i].ts_ns);
    sent += frames[i].result == 0;
  }
  return sent;
}

/**
 * Waits up to timeout_ms (-1: forever, 0: don't wait) for frames and hands
 * every frame available at that point to rx, in order: several per call when
 * several are queued. After the first frame is handed over, the call never
 * blocks again, so a caller may hold a lock across the calls of rx.
 * @return the number of frames delivered (0 on timeout or after bn_link_wake()),
 *         -ENODATA when the link has ended for good (e.g. a replay finished),
 *         -EIO/-ENETDOWN/... on a device error.
 */
static inline int bn_link_poll(bn_link *link, bn_link_rx_fn rx, void *arg, int timeout_ms)
{
  return link->ops->poll(link, rx, arg, timeout_ms);
}

/** Makes a bn_link_poll() in progress (or the next one) return promptly. */
static inline void bn_link_wake(bn_link *link)
{
  link->ops->wake(link);
}

/** Closes the link; NULL is ignored. No other call may be in progress. */
static inline void bn_link_close(bn_link *link)
{
  if (link != NULL) {
    link->ops->close(link);
  }
}

#ifdef __cplusplus
}
#endif

#endif /* BN_LINK_H */
