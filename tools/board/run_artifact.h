/*
 * A failure that replays itself: --artifact DIR keeps what it takes to run a
 * virtual-clock run again byte for byte (the exact command line, the seeds,
 * the profile and version, the scenario, the input capture or its sha256,
 * the outputs) and `boardnet rerun DIR` (tools/cli/cmd_rerun.c) runs it
 * again and compares.
 *
 * The directory is written when the run starts (so that a run that ends
 * abruptly, an lwIP assertion or a stall, still leaves it), its outputs go
 * to DIR/out/ (a --record, --decisions, --report, --stats-json the user
 * named are copied there at the end), and it is removed at the end of a
 * run that passed, unless --artifact-always.
 *
 * DIR holds: command (the argument vector, one per line), exe (the
 * program), cwd (where it ran: its relative paths), seed, sched-seed, profile, version, scenario.scn (a copy),
 * input (the capture's path and sha256), input.pcap with
 * --artifact-copy-input, out/, README.
 */
#ifndef BN_RUN_ARTIFACT_H
#define BN_RUN_ARTIFACT_H

#include <stdbool.h>
#include <stdint.h>

struct bn_board_options;

/** The artifact options of a board. */
typedef struct bn_artifact_options {
  const char *dir;      /**< --artifact DIR, or NULL */
  bool always;          /**< --artifact-always: keep it after a run that passed */
  bool copy_input;      /**< --artifact-copy-input */
  bool begun;
} bn_artifact_options;

/** The outputs a run may write, by file name in DIR/out/ (and rerun/). */
#define BN_ARTIFACT_RECORD "record.pcap"
#define BN_ARTIFACT_DECISIONS "decisions.log"
#define BN_ARTIFACT_REPORT "report.json"
#define BN_ARTIFACT_STATS "stats.json"

/**
 * Checks the options (an artifact needs the virtual clock and a capture,
 * replay: the board's wire is one).
 * @return 0, or BN_EXIT_USAGE (said why).
 */
int bn_artifact_check(const bn_artifact_options *a, const struct bn_board_options *board, bool replay);

/**
 * Points the outputs the user did not name into DIR/out/ (the recording;
 * with a scenario, the decision log and the counters): from
 * bn_board_options_finish(), before the outputs are opened.
 */
void bn_artifact_outputs(const bn_artifact_options *a, struct bn_board_options *board);

/**
 * Writes DIR as the run starts, once the options are final (the seed
 * chosen); *report is the replay's --report, which the caller owns, pointed
 * into DIR/out/ when not given (report may be NULL). The command line is
 * the process's own (/proc/self/cmdline).
 * @return 0, or BN_EXIT_FAIL (said why: DIR cannot be written).
 */
int bn_artifact_begin(bn_artifact_options *a, struct bn_board_options *board, const char *capture,
                      const char **report);

/** The sha256 of file path (by sha256sum(1)) as hex into hex[65]. @return 0, or -1 (unreadable). */
int bn_artifact_sha256(const char *path, char hex[65]);

/**
 * The environment variable by which a caller that hashed an input already
 * (boardnet sweep, once per capture for all its cells) hands the hash on:
 * "SIZE MTIME_NS SHA256 PATH". It is taken only for that PATH, as given,
 * while the file's size and modification time are still those.
 */
#define BN_ARTIFACT_SHA256_ENV "BOARDNET_INPUT_SHA256"

/** The input capture's sha256: from BN_ARTIFACT_SHA256_ENV if it holds, else bn_artifact_sha256(). */
int bn_artifact_input_sha256(const char *path, char hex[65]);

/**
 * At the end, with the run's exit status: when it failed (any status but 0
 * and 4, incomplete) or with --artifact-always, copies the outputs the user
 * named into DIR/out/, writes DIR/status and says where the artifact is;
 * otherwise removes DIR.
 */
void bn_artifact_end(bn_artifact_options *a, const struct bn_board_options *board, const char *report, int status);

#endif /* BN_RUN_ARTIFACT_H */
