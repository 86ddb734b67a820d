/*
 * A board run's scenario (boardnet run|replay --scenario FILE): loads and
 * checks the file, opens what its options ask for (--decisions, the
 * recording's FILE.events), prints --stats lines while the board runs and
 * a summary at the end, writes --stats-json, and runs each step's side
 * effects outside the link (the events file, the board's pool faults).
 * board_options.c owns one and wires it into the pipeline.
 */
#ifndef BN_SCENARIO_RUN_H
#define BN_SCENARIO_RUN_H

#include "bn_sched.h" /* netif/base: the board's threads and locks */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "link_impair.h"
#include "scn.h"

/** Room for "<board>:link.scn". */
#define BN_SCENARIO_LINK_NAME 64

typedef struct bn_scenario_run {
  /* options */
  const char *path;             /**< --scenario FILE (NULL: none) */
  bool board_link;              /**< --link board: the profile's link.scn instead */
  uint64_t stats_interval_ns;   /**< --stats INTERVAL (0: none) */
  const char *stats_json;       /**< --stats-json FILE */
  const char *decisions_path;   /**< --decisions FILE ('-': standard error) */
  const char *record_path;      /**< --record FILE when the decision lines can be numbered in it (one
                                     file, not '-', not rotated): set before bn_scenario_run_prepare() */
  uint8_t board_mac[6];         /**< the board's MAC: set before bn_scenario_run_finish() */
  /* state */
  char link_name[BN_SCENARIO_LINK_NAME]; /**< "<board>:link.scn", the path of --link board */
  bn_scn_scenario scn;
  bool loaded;
  uint64_t seed;
  FILE *decisions, *events;
  bn_impair_log_index log_index; /**< the decision lines' frames, to number them in the recording */
  bn_impair_stats final;        /**< the stage's counters as it closed */
  bn_link *link;                /**< the board's outermost link, once it runs */
  FILE *out;                    /**< where --stats lines and the summary go */
  bn_thread_t thread;
  bool thread_running;
  bool print_lines;             /**< --stats given (not only --stats-json) */
  int stop;                     /**< atomic: the stats thread ends */
  char *json;                   /**< the intervals written so far (JSON objects, comma-separated) */
  size_t json_len, json_cap;
} bn_scenario_run;

/**
 * After the options were parsed: loads the scenario (errors as
 * file:line:col), checks its pool names against this board, and opens
 * --decisions and (with record_path) record_path.events.
 * @return 0, or BN_EXIT_USAGE / BN_EXIT_FAIL after printing why.
 */
int bn_scenario_run_prepare(bn_scenario_run *r, const char *record_path);

/**
 * --link board: parses the profile's link.scn into *out (named "<board>:link.scn"
 * in name) and, if over is not NULL, puts over on it (bn_scn_merge(): over's
 * lines replace the link's, as later lines do).
 * @return 0 (over freed); BN_EXIT_USAGE (the profile has no link.scn) or
 *         BN_EXIT_FAIL after printing why (over freed, *out empty).
 */
int bn_scenario_link(bn_scn_scenario *over, bn_scn_scenario *out, char name[BN_SCENARIO_LINK_NAME]);

/** The stage's options for the pipeline (scenario NULL when there is none). */
bn_impair_options bn_scenario_run_stage(bn_scenario_run *r, uint64_t seed);

/**
 * Once the board runs on link (up, its apps listening): starts the
 * scenario's timeline (its time 0 is now), prints its line to out, and
 * starts the --stats thread (lines to out).
 * @return 0, or BN_EXIT_FAIL after printing why.
 */
int bn_scenario_run_start(bn_scenario_run *r, bn_link *link, FILE *out);

/** Whether the scenario reached its `end`. */
bool bn_scenario_run_ended(bn_scenario_run *r);

/** Stops the stats thread (before the board stops; pool faults stay in force until then). */
void bn_scenario_run_stop(bn_scenario_run *r);

/**
 * After the board stopped (the stage closed), or after a failed start:
 * prints the summary to out, writes --stats-json, gives back held pool
 * elements, closes the files (with record_path, gives each line of
 * --decisions its frame's number in the recording: decision_numbers.h),
 * frees the scenario.
 * @return 0, or BN_EXIT_FAIL after printing why (--stats-json not written).
 */
int bn_scenario_run_finish(bn_scenario_run *r);

#endif /* BN_SCENARIO_RUN_H */
