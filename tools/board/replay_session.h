/*
 * A replay of a capture into a live board, as `boardnet replay CAPTURE` and
 * a board program's `--pcap CAPTURE` run one: the replay's options (one
 * table, one help text), the plan read from the capture, the board's
 * defaults taken from it (address, MAC, DHCP), progress, the passes of
 * --loop, and the report at the end. The caller boots the board and runs
 * its program between bn_replay_session_begin() and bn_replay_session_end().
 */
#ifndef BN_REPLAY_SESSION_H
#define BN_REPLAY_SESSION_H

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>

#include "board_options.h"
#include "capture_interfaces.h"
#include "link_pcap.h"
#include "replay_live.h"
#include "replay_plan.h"

/** getopt_long() values of the replay options (below BN_BOARD_OPT_FIRST). */
#define BN_REPLAY_OPT_FIRST 600

/** The replay options' getopt_long() entries, and how many. */
extern const struct option bn_replay_options[];
extern const size_t bn_replay_options_count;

/** Their help ("Replay:" and one entry per option), for a command's --help. */
extern const char bn_replay_options_help[];

/** A replay: its options, then its state. Static storage (it is large);
 *  zero-initialise, then bn_replay_session_init(). */
typedef struct bn_replay_session {
  bn_rp_plan_options read;       /**< the capture (read.path) and how to read it */
  const char *interface;      /**< --interface N|NAME, or NULL */
  const char *report;         /**< --report FILE, or NULL */
  const char *pace_text;
  bn_pace pace;
  double speed;
  uint64_t step_timeout_ns;
  unsigned loops;
  bool progress;              /**< --progress */
  bool quiet;                 /**< the caller's -q: the result line only */

  const char *capture;        /**< the capture as given (read.path may be one interface taken out of it) */
  int iface_fd;               /**< that interface's file (read.path: /proc/self/fd/N), or -1 */
  char iface_path[32];
  bn_capture_iface iface;     /**< which interface */
  unsigned interfaces;        /**< of how many */
  uint64_t other_frames;      /**< the others' frames, left out */
  uint64_t *numbers;          /**< read.numbers, owned */
  bool dhcp_from_capture;     /**< the live board takes its lease from the capture */
  bool planned;
  bn_rp_plan plan;
  bn_rp_live live;
  bn_pcap_options pcap;
  unsigned passes, passes_diverged, first_diverged, passes_incomplete;
  uint32_t ignore;              /**< --ignore: classes of difference that are notes */
  uint64_t t0;
  FILE *out;                  /**< the report's stream */
} bn_replay_session;

/** Sets the defaults (reactive pace, no report). */
void bn_replay_session_init(bn_replay_session *s);

/**
 * Parses the replay option whose getopt value is id (optarg arg).
 * @return 0 when parsed; -1 when id is no replay option; BN_EXIT_USAGE
 *         after printing why.
 */
int bn_replay_session_parse(bn_replay_session *s, int id, const char *arg);

/**
 * Once the options are parsed (s->read.path set): checks them against the
 * board's (no --tap), reads the capture into the plan and sets the board's
 * defaults from it, the pipeline's backend being the replay. Call before
 * bn_board_options_finish(board).
 * @return 0, or an exit code after printing why (2: bad usage, 1: a
 *         capture that cannot be read).
 */
int bn_replay_session_plan(bn_replay_session *s, bn_board_options *board);

/**
 * After bn_board_options_finish(board), before the board starts: the run's
 * artifact (--artifact, run_artifact.h) and the virtual clock (--clock
 * virtual), before any thread of the board; then the live board's address
 * and MAC for the rewriting, progress, and the replay's first line (unless
 * quiet) on out (the report's stream).
 * @return 0, or BN_EXIT_FAIL when the artifact cannot be written (said why).
 */
int bn_replay_session_begin(bn_replay_session *s, bn_board_options *board, FILE *out);

/** Whether every pass over the capture is done (the link ends after it). */
bool bn_replay_session_done(const bn_replay_session *s);

/**
 * After the board stopped (bn_stack_stop(): the comparison is final): the
 * report (text unless quiet, the JSON of --report), the stop's cause if
 * stopped is not NULL ("Terminated", "the scenario's end").
 * @return 0 the live board did what the captured board did (every frame for
 *         it replayed and compared), 3 it diverged, 4 incomplete (frames for
 *         the board left out, streams not compared whole, cut short), 1 a
 *         report that could not be written.
 */
int bn_replay_session_end(bn_replay_session *s, const char *stopped);

/** Frees the plan and the results; s can be initialised again. */
void bn_replay_session_free(bn_replay_session *s);

/** The exit status of a live board that diverged. */
#define BN_EXIT_DIVERGED 3
/** The exit status of a replay that did not replay or compare everything for the board. */
#define BN_EXIT_INCOMPLETE 4

#endif /* BN_REPLAY_SESSION_H */
