/*
 * Impairment stage of the link pipeline: runs a scenario (scenarios/scn.h)
 * on the frames that pass it, both directions, on the board's clock. What
 * netem does to one interface's egress, this does to egress (what the board
 * sends) and ingress (what it receives), per flow (a scenario's match
 * rules), with per-packet aim, link faults and a timeline:
 *
 * - Each (direction, match) pair is a rule with netem's settings, its own
 *   queue and its own random stream, named after the direction and the
 *   filter and seeded from the run's seed: adding a rule for one flow
 *   changes no decision for another. A frame goes to the first match rule
 *   (in order of the scenario's matches) whose filter it passes and that has
 *   settings in force, else to the rule for every frame.
 * - Aims add up: each aim step adds one to its rule (impair_aim.c), which
 *   counts the frames its filter passes from its own step on, those the
 *   link drops while down included (as the log's FRAME does); `clear` and
 *   `end` remove them. When several hit one frame: a drop wins, the longest
 *   delay counts, a duplicate, one corruption (an exact `byte B bit K`, the
 *   earliest step's, over a random bit; a frame of B bytes or fewer passes
 *   uncorrupted).
 *   Room for every aim step is made when the stage opens.
 * - In a rule, as netem: mtu, blackhole, loss, duplicate, corrupt (one
 *   random bit of one copy), limit (of its queue; tc's default 1000), then
 *   the frame's release time: delay and jitter (or sent early by reorder),
 *   rate by serialisation time after the frames queued before it; slot
 *   gates the queue's output. Frames leave in release-time order (tfifo).
 * - `link down` reports carrier loss to the stage above (the netif: lwIP
 *   sees NETIF_FLAG_LINK_UP go) and drops every frame while down;
 *   `blackhole` drops silently with the carrier up.
 *
 * Threading (bn_link.h): a direction whose frames a scenario never holds
 * (no delay, rate, slot or delay aim in it, bn_scn_holds_frames()) is decided
 * and handed on in the caller's thread; one that is held is queued by
 * send() and released by poll(), the pipeline's pump, which also applies
 * the timeline's steps as their times come. One lock guards the rules.
 */
#ifndef BN_LINK_IMPAIR_H
#define BN_LINK_IMPAIR_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "bn_link.h"
#include "scn.h"

/** What one direction saw. */
typedef struct bn_impair_dir_stats {
  uint64_t frames, bytes;      /**< that reached the stage */
  uint64_t passed, passed_bytes; /**< that it handed on (towards the wire, or to the board) */
  uint64_t lost;               /**< dropped by loss */
  uint64_t blackholed;         /**< dropped by blackhole */
  uint64_t limited;            /**< dropped because the rule's queue was full (limit) */
  uint64_t too_big;            /**< dropped by mtu */
  uint64_t link_down;          /**< dropped while the link was down */
  uint64_t aimed;              /**< dropped by an aim (nth/first/every ... drop) */
  uint64_t duplicated, corrupted, reordered, delayed;
  uint64_t queued;             /**< held right now */
} bn_impair_dir_stats;

/** What the stage has done so far. */
typedef struct bn_impair_stats bn_impair_stats;
struct bn_impair_stats {
  bn_impair_dir_stats egress, ingress;
  uint64_t elapsed_ns;         /**< since the scenario's time 0 (bn_link_impair_start()) */
  size_t steps_done;           /**< steps of the timeline applied */
  unsigned step_line;          /**< the line of the last one (0: none yet) */
  bool link_up;                /**< the scenario's carrier (link down|up) */
  bool ended;                  /**< an `end` step was reached */
};

/**
 * Called as each step takes effect, from the pump's thread (the netif's
 * receive thread), without the stage's lock, but possibly while that thread
 * holds lwIP's core lock (it takes it across a batch of frames): a hook must
 * not take the core lock itself (LOCK_TCPIP_CORE, netifapi_*); lwIP's
 * SYS_ARCH_PROTECT and tcpip_callback() are fine.
 */
typedef void (*bn_impair_step_fn)(void *arg, const bn_scn_scenario *s, const bn_scn_step *step);

/** One line of the decision log, kept so that the line can be given its
 *  frame's number in the recording once the run is over. */
typedef struct bn_impair_logged {
  uint64_t frame_no;           /**< the line's FRAME: its direction's count from time 0 (0: before it) */
  uint64_t now_ns;             /**< the board's clock at the decision */
  uint64_t hash;               /**< FNV-1a (64 bits) of the frame as the wire has it: as received
                                    (ingress), as sent, corrupted or not (egress) */
  uint8_t dir;                 /**< 0 egress, 1 ingress */
  bool drop;                   /**< the line drops it (on egress: it never reaches the wire) */
} bn_impair_logged;

/** The decision log's lines, in order (bn_impair_options.log_index). */
typedef struct bn_impair_log_index {
  bn_impair_logged *v;         /**< the caller frees it */
  size_t n, cap;
} bn_impair_log_index;

/** Zero-initialise, then fill in. */
typedef struct bn_impair_options {
  const bn_scn_scenario *scenario; /**< borrowed: it must outlive the stage */
  uint64_t seed;                /**< the run's seed (a scenario's own `seed` is the caller's to apply) */
  FILE *decisions;              /**< if not NULL, one line per decision and per step (see below) */
  bn_impair_log_index *log_index; /**< with decisions, if not NULL: each decision line's frame, appended
                                     (a line that cannot be kept, out of memory, stops the appending) */
  bn_impair_step_fn on_step;    /**< may be NULL */
  void *on_step_arg;
  /** Start with the timeline stopped (frames pass untouched) until
   *  bn_link_impair_start(): e.g. until the board is up and its apps listen,
   *  so that the scenario's time 0 is the same for every run. */
  bool start_later;
  /** If not NULL, the stage's counters are copied here when it closes. */
  struct bn_impair_stats *final_stats;
} bn_impair_options;

/*
 * The decision log, one line each:
 *   SECONDS DIRECTION FRAME RULE ACTION
 *   12.345678 egress 17 "tcp port 80" drop loss
 *   12.345701 ingress 9 * delay 23.456ms
 *   12.400000 egress 31 * corrupt byte 40 bit 3
 *   # 10.000000 step line 7: link down
 * FRAME counts the direction's frames from the scenario's time 0
 * (bn_link_impair_start(), later with start_later), from 1: frame N is the
 * one that `at 0s DIRECTION nth N ACTION` (every frame, no match) would hit,
 * so that a line can be written back as an aim (boardnet shrink); a frame
 * that came before time 0 is 0 (its only line: an egress frame held then
 * and dropped by `link down` as it leaves). RULE is the match's filter or `*`; ACTIONs:
 * drop loss|blackhole|limit|mtu|link|aim, duplicate, corrupt byte B bit K
 * (B from 0, K 0..7: 1 << K of the frame's byte B flips), reorder, delay
 * TIME. The stage writes the lines as it decides; with log_index, the caller
 * can add each frame's number in the recording once the run is over
 * (tools/board/decision_numbers.h).
 */

/**
 * Opens the stage over inner (which it owns from now on); the scenario's
 * time 0 is now, or bn_link_impair_start()'s call with o->start_later.
 * @return 0 with *out set; -EINVAL (no scenario), -ENOMEM (also: no room for
 *         the scenario's aims); inner is closed on failure.
 */
int bn_link_impair_open(bn_link *inner, const bn_impair_options *o, bn_link **out);

/**
 * Starts the timeline of the impairment stage in the chain from link: its
 * time 0 is now. Does nothing if it runs already.
 * @return 0, or -ENOENT when the chain has no impairment stage.
 */
int bn_link_impair_start(bn_link *link);

/**
 * Copies the counters of the impairment stage in the chain from link
 * towards the wire (link may be the outermost link).
 * @return 0, or -ENOENT when the chain has no impairment stage.
 */
int bn_link_impair_stats(bn_link *link, bn_impair_stats *st);

#endif /* BN_LINK_IMPAIR_H */
