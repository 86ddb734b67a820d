/*
 * When each peer frame of a replay goes in: the capture read a second time
 * in step with the plan, a window of the steps read ahead, and the pace.
 * Flows are followed side by side: a step waits only for earlier steps of
 * its own flow, and for earlier steps of other flows only while those wait
 * for their time (recorded pacing, a captured gap); one that waits for the
 * live board (its SYN-ACK, its answer, its window) does not hold the others
 * back, and each step's --step-timeout runs from when it could first go,
 * all of them at once. The backend's pump (link_pcap.c) asks for the next
 * frame; replay_rewrite.h makes it.
 * Not thread-safe: the backend serialises calls.
 */
#ifndef BN_REPLAY_PACE_H
#define BN_REPLAY_PACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pcap_source.h"
#include "replay_live.h"
#include "replay_plan.h"

/** How the peer frames are timed. */
typedef enum bn_pace {
  /** Each peer frame once the live board has sent, in its flow, what the
   *  capture shows the board had sent before it (tcpliveplay's model, for
   *  every flow); or, when the board went quiet without it, after the
   *  frame's captured gap; --step-timeout bounds each wait. The default. */
  BN_PACE_REACTIVE,
  /** At the capture's times, from the first injected frame on (scheduled
   *  against that start, so it does not drift); speed scales them. */
  BN_PACE_RECORDED,
  /** One after the other, as fast as the board takes them. */
  BN_PACE_TOP,
} bn_pace;

typedef struct bn_rp_pacer bn_rp_pacer;

/** The pace, and how long a step may wait for the board. */
typedef struct bn_rp_pace_options {
  bn_pace pace;
  double speed;               /**< BN_PACE_RECORDED: 1 = as captured, 2 = twice as fast */
  uint64_t step_timeout_ns;   /**< > 0 */
} bn_rp_pace_options;

/**
 * A pacer for plan's steps into live, reading the capture as read says.
 * boot_steps: the steps of the board's start (up to its DHCP lease), which
 * later passes leave out; hold: keep the steps after them until
 * bn_rp_pacer_release().
 * @return 0, or -ENOENT/-EACCES/-EINVAL/-ENOMEM with the reason in err.
 */
int bn_rp_pacer_new(const bn_rp_plan *plan, bn_rp_live *live, const bn_rp_plan_options *read,
                    const bn_rp_pace_options *o, size_t boot_steps, bool hold, uint64_t now, bn_rp_pacer **out,
                    char err[BN_PCAP_ERRLEN]);

/** Frees it (and closes the capture); NULL is fine. */
void bn_rp_pacer_free(bn_rp_pacer *pc);

/**
 * The next peer frame due at now, rewritten for the live board.
 * @return 1 with it in out (BN_LINK_MAX_FRAME bytes) and *len set; 0 when
 *         none is due yet (*wake: when to look again, BN_CLOCK_FOREVER: on
 *         the live board's next frame or a release); -1 when every step of
 *         the pass is done (or the file ended early).
 */
int bn_rp_pacer_take(bn_rp_pacer *pc, uint64_t now, uint8_t *out, size_t *len, uint64_t *wake);

/** Lets the held steps go (their waits count from now). */
void bn_rp_pacer_release(bn_rp_pacer *pc, uint64_t now);

/**
 * Starts pass number pass over the capture (--loop): the capture read again
 * from its start, the board's start left out. @return 0, or -errno (the
 * file cannot be read again: nothing changed).
 */
int bn_rp_pacer_next_pass(bn_rp_pacer *pc, unsigned pass, uint64_t now);

/** Steps done in this pass (for progress). */
size_t bn_rp_pacer_done(const bn_rp_pacer *pc);

/** When a peer frame last went in (the time the pacer started, before any). */
uint64_t bn_rp_pacer_last_inject(const bn_rp_pacer *pc);

#endif /* BN_REPLAY_PACE_H */
