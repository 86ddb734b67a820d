/*
 * What a sweep found, cell by cell, and the files it leaves in its --out
 * directory: cells.tsv (one line per cell of the shard, what `sweep merge`
 * reads back), matrix.json (the matrix, the same in every shard), shard
 * ("K/N"), and from the cells: summary.json, table.txt and JUnit XML
 * (sweep_report.c). Nothing in summary.json, the table or the JUnit XML
 * depends on how the cells were run (-j, shards, the machine, the time):
 * the same matrix gives the same bytes.
 */
#ifndef BN_SWEEP_RESULTS_H
#define BN_SWEEP_RESULTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "sweep_matrix.h"

/** A cell's outcome. */
enum bn_sweep_status {
  BN_SWEEP_SAME,        /**< exit 0: every frame compared, the board did what the captured one did */
  BN_SWEEP_DIVERGED,    /**< exit 3: it did something else */
  BN_SWEEP_INCOMPLETE,  /**< exit 4: the same in what was compared, not everything was */
  BN_SWEEP_FAILED,      /**< any other exit status, or a signal: an error, a crash, the program's own failure */
  BN_SWEEP_STALLED,     /**< the virtual clock's deadlock or stall report, or the sweep's --cell-timeout */
  BN_SWEEP_NOT_RUN,     /**< --max-failures, --time-budget or an interrupt came first */
  BN_SWEEP_STATUSES
};

/** "same", "diverged", "incomplete", "failed", "stalled", "not run". */
const char *bn_sweep_status_name(enum bn_sweep_status s);

/** Whether a status fails the sweep (diverged, failed, stalled). */
bool bn_sweep_status_fails(enum bn_sweep_status s);

/** One cell's result: the cell (by name, so that it can be read back without the matrix) and its outcome. */
typedef struct bn_sweep_result {
  uint64_t index;              /**< canonical order */
  char *id;
  size_t capture, scenario, board, optset; /**< indexes into the matrix's dimensions */
  uint64_t seed;
  char *scenario_name, *board_name;
  enum bn_sweep_status status;
  int exit_status;             /**< as a shell says it: 128 + N for signal N; -1 not run */
  bool artifact;               /**< its artifact is kept in fail/<id>/ */
  char *message;               /**< one line: the result line, the error, why not run */
} bn_sweep_result;

/** A growable list of results. */
typedef struct bn_sweep_results {
  bn_sweep_result *v;
  size_t n, cap;
} bn_sweep_results;

/** The sweep's exit status from its results: 3 any cell failed, 4 else any incomplete or not run, else 0. */
int bn_sweep_exit_status(const bn_sweep_results *rs);

/** Fills r's cell fields from the matrix's cell c (strings copied). @return 0 or -ENOMEM. */
int bn_sweep_result_init(bn_sweep_result *r, const bn_sweep_matrix *m, const bn_sweep_cell *c);

/** Appends r (taken over). @return 0 or -ENOMEM. */
int bn_sweep_results_add(bn_sweep_results *rs, bn_sweep_result *r);

/** Sorts by canonical index. */
void bn_sweep_results_sort(bn_sweep_results *rs);

/** Frees every result and the list. */
void bn_sweep_results_free(bn_sweep_results *rs);

/** Writes rs as cells.tsv at path. @return 0 or -errno. */
int bn_sweep_results_write(const bn_sweep_results *rs, const char *path);

/**
 * Appends the results of the cells.tsv at path.
 * @return 0; -EINVAL a line that is not one of ours (*line set); -errno.
 */
int bn_sweep_results_read(bn_sweep_results *rs, const char *path, unsigned *line);

/** Writes the matrix as JSON (captures and scenarios with their sha256) into out. @return 0 or BN_EXIT_FAIL. */
int bn_sweep_matrix_json(const bn_sweep_matrix *m, FILE *out);

/**
 * Writes summary.json, table.txt and (junit not NULL) the JUnit XML from the
 * results (sorted) and the matrix's JSON text, into dir; prints the table
 * to out.
 * @return 0, or BN_EXIT_FAIL (said which file could not be written).
 */
int bn_sweep_report(const bn_sweep_results *rs, const char *matrix_json, const char *dir, const char *junit,
                    FILE *out);

/** Writes the JUnit XML of the results at path. @return 0 or -errno. */
int bn_sweep_junit(const bn_sweep_results *rs, const char *path);

/** --out DIR: created, or one that exists and is empty. @return 0, BN_EXIT_USAGE (not empty) or BN_EXIT_FAIL (said). */
int bn_sweep_out_dir(const char *dir);

/** Writes text to DIR/name. @return 0 or BN_EXIT_FAIL (said). */
int bn_sweep_write_text(const char *dir, const char *name, const char *text);

#endif /* BN_SWEEP_RESULTS_H */
