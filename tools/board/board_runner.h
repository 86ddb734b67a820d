/*
 * Runs a board and its program, the one way every board program runs: a
 * user's (board_main(), board_main.c's main()) and `boardnet run`'s (its
 * --app servers). Boots the board on its wire, runs the program on a board
 * thread of its own ("board_main"), waits for the end (the program's
 * return, a replay's end, a stop signal, --exit-after, a scenario's end, the
 * end of the TAP), tells the program to stop (board_wait_stop() returns 1)
 * and gives it a grace to return, and stops the board; a program that
 * ended by itself first has its last frames leave (bn_stack_settle()). Also holds the calls of board.h.
 */
#ifndef BN_BOARD_RUNNER_H
#define BN_BOARD_RUNNER_H

#include <stdbool.h>
#include <stdio.h>

#include "board_options.h"
#include "bn_stack.h"
#include "replay_session.h"

/** How long the program may take to return once it is told to stop. */
#define BN_RUNNER_GRACE_MS 5000

/** Why the board stopped. */
typedef enum bn_run_end {
  BN_END_RETURNED,    /**< the program returned (on a capture: with a non-zero value) */
  BN_END_REPLAYED,    /**< the replay ended (on a capture) */
  BN_END_SIGNAL,      /**< SIGINT, SIGTERM or SIGHUP (bn_runner.sig) */
  BN_END_LINK,        /**< the TAP ended (bn_runner.link_error) */
  BN_END_EXIT_AFTER,  /**< --exit-after */
  BN_END_SCENARIO,    /**< the scenario's `end` */
  BN_END_FAILED,      /**< the board thread or the scenario could not start (printed) */
} bn_run_end;

/** A board to run. Zero-initialise, then fill in the first part. */
typedef struct bn_runner {
  bn_board_options *board;    /**< parsed and finished */
  bn_replay_session *replay;  /**< the wire is its capture (planned, begun), or NULL */
  const char *user;           /**< --user (NULL: sudo's invoking user, if any) */
  unsigned exit_after_s;      /**< 0: none */
  bool quiet;
  FILE *out;                  /**< where the scenario's lines go (NULL: stderr) */

  /* Results, from bn_runner_run(). */
  int sig;                    /**< BN_END_SIGNAL: the signal */
  int link_error;             /**< BN_END_LINK: the link's error (-ENODEV: the TAP was deleted) */
  bool returned;              /**< the program returned (else it was left running) */
  int status;                 /**< its return value, if it returned */
  int scenario_rc;            /**< the scenario's result: 0, or BN_EXIT_FAIL (printed) */
  uint64_t started_ns;        /**< when the board was up */
  bn_stack_status last;       /**< the board's status just before it stopped */
} bn_runner;

/**
 * Blocks the stop signals (in every thread to come: only the runner takes
 * them), ignores SIGPIPE, opens the wire (dropping privileges to r->user
 * once a TAP is open) and starts the stack, waiting for its address.
 * @return 0, or BN_EXIT_FAIL after printing why (the board is not running).
 */
int bn_runner_boot(bn_runner *r);

/**
 * Once booted: runs program(argc, argv) on the board thread; once it is
 * ready (board_ready(), or it waits for the network, or it returns) starts
 * the scenario (its time 0) and releases a replay's peer frames; waits for
 * the end, stops the program (BN_RUNNER_GRACE_MS) and
 * the board (a recording flushed, a replay's comparison final). argv must
 * live until the process ends (the program may be left running).
 * @return why it stopped, the results in r.
 */
bn_run_end bn_runner_run(bn_runner *r, int (*program)(int, char **), int argc, char **argv);

/** Why a run stopped, in words for the summary ("Interrupt", "--exit-after", ...). */
const char *bn_runner_end_reason(const bn_runner *r, bn_run_end end);

/**
 * Why a replay was cut short, for its report ("Terminated", "--exit-after",
 * "the scenario's end", "the board's program failed"), or NULL when it
 * ended as it should (the replay's end).
 */
const char *bn_runner_cut_short(const bn_runner *r, bn_run_end end);

#endif /* BN_BOARD_RUNNER_H */
