/*
 * Running a sweep's cells (boardnet sweep): each cell is one process, a
 * virtual-clock run of boardnet-<board> replay or of the user's board
 * program on the cell's capture, scenario and seed, with --artifact
 * OUT/fail/<id> (kept when it fails); up to --jobs at once; a progress line;
 * stops early on --max-failures, --time-budget or SIGINT/SIGTERM (the cells
 * not run are said so, never passed). Runs on the host's clock: the sweep
 * is not a board.
 */
#ifndef BN_SWEEP_RUN_H
#define BN_SWEEP_RUN_H

#include <stdbool.h>
#include <stdint.h>

#include "sweep_matrix.h"
#include "sweep_results.h"

/** How to run. */
typedef struct bn_sweep_run_options {
  const char *out;             /**< the --out directory (exists) */
  const char *self_dir;        /**< where boardnet-<board> binaries are */
  unsigned jobs;               /**< cells at once, >= 1 */
  unsigned shard_k, shard_n;   /**< this shard (1/1: all) */
  uint64_t max_failures;       /**< stop once this many cells failed (0: never) */
  double time_budget_s;        /**< stop starting cells, and end those running, after this (0: none) */
  double cell_timeout_s;       /**< a cell running longer (wall time) is ended: stalled */
  bool progress_tty;           /**< a progress line rewritten in place on stderr (else a line every 10 s) */
  bool pin;                    /**< each cell on one CPU: the slot's (its threads run one at a time) */
} bn_sweep_run_options;

/**
 * Checks that every cell's program exists: boardnet-<board> for each board,
 * or the program (each {board} substituted).
 * @return 0, or BN_EXIT_USAGE (said which is missing).
 */
int bn_sweep_check_programs(const bn_sweep_matrix *m, const char *self_dir);

/**
 * Runs the shard's cells of m, in canonical order, and appends a result
 * for every one of them (run or not) to rs.
 * @return 0; BN_EXIT_USAGE when a cell's command was refused as bad usage
 *         (exit 2: the option set or the program's arguments; said, with
 *         the cell's own message); BN_EXIT_FAIL on an error of the
 *         sweep's own (said); 128 + signal when interrupted (the results
 *         hold what was done).
 */
int bn_sweep_run(const bn_sweep_matrix *m, const bn_sweep_run_options *o, bn_sweep_results *rs);

#endif /* BN_SWEEP_RUN_H */
