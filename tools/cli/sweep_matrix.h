/*
 * The matrix of a sweep (boardnet sweep): captures x scenarios x board
 * profiles x option sets x seeds, each cell one virtual-time run. Holds the
 * dimensions as the user gave them (globs expanded, sorted), names every
 * cell (its id: "esp32-wifi-weak-seed-417", unique in the matrix, the one
 * thing its shard depends on) and enumerates the cells in one canonical
 * order (capture, scenario, board, option set, seed), so that every output
 * of a sweep is the same however it was run.
 */
#ifndef BN_SWEEP_MATRIX_H
#define BN_SWEEP_MATRIX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** Most values in one dimension other than seeds, most cells in a matrix. */
#define BN_SWEEP_DIM_MAX 1024
#define BN_SWEEP_CELLS_MAX 10000000u
/** Room for a cell's id. */
#define BN_SWEEP_ID_MAX 256

/** An input file (a capture or a scenario): its path as given, the stem naming its cells. */
typedef struct bn_sweep_input {
  char *path;
  char *stem;       /**< the file name without directory and extension; "none" for no scenario */
  char sha256[65];  /**< its contents' (hashed once, when added) */
  unsigned long long size, mtime_ns; /**< when hashed */
} bn_sweep_input;

/** A range of seeds, first..last. */
typedef struct bn_sweep_seeds {
  uint64_t first, last;
} bn_sweep_seeds;

/** The matrix. Zero-initialise, fill with bn_sweep_matrix_add_*(), then bn_sweep_matrix_finish(). */
typedef struct bn_sweep_matrix {
  bn_sweep_input *captures;
  size_t ncaptures;
  bn_sweep_input *scenarios;  /**< a path of NULL: the cells without a scenario */
  size_t nscenarios;
  char **boards;
  size_t nboards;
  char **optsets;             /**< each an option string as given ("--pace top"); none: one empty set */
  size_t noptsets;
  bn_sweep_seeds *seeds;
  size_t nseedranges;
  uint64_t nseeds;            /**< seeds in all */
  /* what each cell runs: the bundled apps (boardnet replay --app ...) or a board program */
  char **apps;                /**< --app NAME, in order ("mirror", "http") */
  size_t napps;
  char *program;              /**< --program PATH: "{board}" in it is each profile's name */
  char **program_args;        /**< after "--": the program's own arguments */
  size_t nprogram_args;
  uint64_t ncells;            /**< set by bn_sweep_matrix_finish() */
} bn_sweep_matrix;

/** One cell: indexes into the matrix's dimensions, and its seed. */
typedef struct bn_sweep_cell {
  uint64_t index;             /**< in the canonical order, from 0 */
  size_t capture, scenario, board, optset;
  uint64_t seed;
  char id[BN_SWEEP_ID_MAX];
} bn_sweep_cell;

/**
 * Adds the captures or scenarios a pattern names (glob(7); a pattern that
 * matches nothing is an error, a plain path must exist). scenario: the
 * word "none" adds the column of cells without a scenario.
 * @return 0, or BN_EXIT_USAGE (said why).
 */
int bn_sweep_matrix_add_files(bn_sweep_matrix *m, const char *pattern, bool scenario);

/**
 * Adds seeds: "1-1000", "7", "1-10,20,30-32".
 * @return 0, or BN_EXIT_USAGE (said why).
 */
int bn_sweep_matrix_add_seeds(bn_sweep_matrix *m, const char *list);

/**
 * Adds board profiles, comma-separated ("esp32,rp2-pico-w").
 * @return 0, or BN_EXIT_USAGE (said why: a bad name, one given twice).
 */
int bn_sweep_matrix_add_boards(bn_sweep_matrix *m, const char *list);

/**
 * Splits an option set into words as a shell would split it without
 * expanding anything: blanks separate, '...' and "..." quote, a backslash
 * escapes the next character.
 * @return 0 with *words (n of them; free each and the array); -EINVAL
 *         (unterminated quote); -ENOMEM.
 */
int bn_sweep_split_words(const char *s, char ***words, size_t *n);

/** Adds a string to a list (an option set, an app, a program argument). @return 0 or -ENOMEM. */
int bn_sweep_list_add(char ***list, size_t *n, const char *s);

/**
 * Checks the matrix whole and counts its cells: a capture, one of --app and
 * --program, cell ids unique (two inputs of the same stem are refused),
 * seeds not given twice; fills the defaults (seed 1, no scenario, board
 * default_board).
 * @return 0, or BN_EXIT_USAGE (said why).
 */
int bn_sweep_matrix_finish(bn_sweep_matrix *m, const char *default_board);

/** The cell of canonical index i (< m->ncells), its id filled in. */
void bn_sweep_matrix_cell(const bn_sweep_matrix *m, uint64_t i, bn_sweep_cell *c);

/** Whether shard k of n (1 <= k <= n) holds cell c: by a hash of its id alone. */
bool bn_sweep_in_shard(const bn_sweep_cell *c, unsigned k, unsigned n);

/** Seeds as the user can read them back: "1-20,33". Into buf. */
void bn_sweep_seeds_text(const bn_sweep_matrix *m, char *buf, size_t size);

/** Frees what the matrix holds. */
void bn_sweep_matrix_free(bn_sweep_matrix *m);

#endif /* BN_SWEEP_MATRIX_H */
