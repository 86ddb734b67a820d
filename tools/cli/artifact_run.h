/*
 * Running a kept run again (an --artifact DIR: tools/board/run_artifact.h):
 * its command line, from the directory it ran in, with its seed, its input
 * capture (the copy, or the path if its sha256 is unchanged), its outputs
 * pointed into another directory, and its scenario as kept or one given in
 * its place. For `boardnet rerun` (the same run, compared) and `boardnet
 * shrink` (the same run under fewer faults).
 */
#ifndef BN_ARTIFACT_RUN_H
#define BN_ARTIFACT_RUN_H

#include <stdbool.h>
#include <stddef.h>

#define BN_AR_PATH_LEN 4096
#define BN_AR_DIR_LEN 1024 /* DIR, so that DIR/anything fits BN_AR_PATH_LEN */
#define BN_AR_MAX_ARGS 256
#define BN_AR_OUTPUTS 4    /* --record, --decisions, --report, --stats-json */

/** A path substitution for comparing texts: the rerun's name, the run's. */
typedef struct bn_ar_rename {
  char from[BN_AR_PATH_LEN];
  char to[BN_AR_PATH_LEN];
} bn_ar_rename;

/** A kept run, loaded; its argument vector once built. Large: allocate it. */
typedef struct bn_artifact_run {
  char dir[BN_AR_DIR_LEN];          /**< absolute */
  char exe[BN_AR_PATH_LEN], seed[64], capture[BN_AR_PATH_LEN], input[BN_AR_PATH_LEN], copy[BN_AR_PATH_LEN];
  char scenario[BN_AR_PATH_LEN];    /**< DIR/scenario.scn (may not exist) */
  char *command;                    /**< DIR/command as read */
  char *work;                       /**< the copy the argument vector points into */
  char *args[BN_AR_MAX_ARGS + 16];
  size_t nargs;
  char storage[BN_AR_OUTPUTS + 4][BN_AR_PATH_LEN];
  bn_ar_rename renames[BN_AR_OUTPUTS + 2];
  size_t nrenames;
} bn_artifact_run;

/** The outputs a run may name, with their file names in DIR/out/. */
extern const struct bn_ar_output {
  const char *option;
  const char *file;
} bn_ar_outputs[BN_AR_OUTPUTS];

/**
 * Loads the artifact at dir and enters the directory the run ran in (its
 * relative paths are from there). who ("rerun") starts the messages.
 * @return 0; BN_EXIT_FAIL (said why: no artifact, the input capture
 *         changed); BN_EXIT_USAGE (a name too long).
 */
int bn_artifact_run_load(const char *dir, const char *who, bn_artifact_run *r);

/**
 * Builds the argument vector into r->args: the command with its artifact
 * options out, every output into out_dir/<file>, the seed, and the
 * scenario: the given path if scenario is not NULL, else the kept one
 * (says so when the original changed). r->renames lists the paths that
 * differ from the run's.
 * @return 0, or BN_EXIT_FAIL (said why).
 */
int bn_artifact_run_argv(bn_artifact_run *r, const char *who, const char *out_dir, const char *scenario);

/**
 * Runs r->args with standard output and error into out_dir/stdout and
 * out_dir/stderr. @return its exit status (128 + N for signal N), or -1.
 */
int bn_artifact_run_exec(const bn_artifact_run *r, const char *out_dir);

/** Frees what load and argv allocated (not r). */
void bn_artifact_run_free(bn_artifact_run *r);

/** DIR/name's first line into out; false if there is none. */
bool bn_ar_read_line(const char *dir, const char *name, char *out, size_t len);

/** The whole of file path (NUL-terminated; *len its length), or NULL. */
char *bn_ar_slurp(const char *path, size_t *len);

#endif /* BN_ARTIFACT_RUN_H */
