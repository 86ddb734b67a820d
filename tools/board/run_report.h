/*
 * What a run tells its user, the same for `boardnet run` and every board
 * program (board_main.c): the seed it took, the status line once the board
 * is up, carrier changes, the answers of --resolve, why it stopped and the
 * summary. Everything goes to one stream (stdout, or stderr when the
 * recording itself goes to stdout; a board program's: stderr, its own
 * output being the program's).
 */
#ifndef BN_RUN_REPORT_H
#define BN_RUN_REPORT_H

#include <stdio.h>

#include "board_options.h"
#include "bn_stack.h"
#include "link_record.h"

/** Where the messages go (default stdout). Call before the board starts. */
void bn_report_set_stream(FILE *out);

/** The stream messages go to. */
FILE *bn_report_stream(void);

/**
 * "boardnet: seed N (...)" when the seed was not given (--seed or a
 * scenario's `seed`): what it repeats, and what it cannot on a TAP.
 */
void bn_report_seed(const bn_board_options *o);

/**
 * "boardnet: board B up on WIRE NAME: mac ..., ip .../N, gw ..., dns ...
 * (DHCP lease ...)"; wire is "tap" or "capture".
 */
void bn_report_status(const char *wire, const char *name);

/** From now on, prints "boardnet: link down|up on tap T" when lwIP's link changes. */
void bn_report_link_changes(const char *tap);

/** Looks each name up with lwIP's resolver and prints the answer; returns the failures. */
int bn_report_resolve(const char *const *names, int count);

/**
 * The one-line summary of a stopped board: why, how long, frames and bytes
 * each way, drops, and the recording's frames (rec may be NULL).
 */
void bn_report_summary(const char *why, double seconds, const bn_stack_status *st,
                       const bn_record_stats *rec, const char *record_path);

#endif /* BN_RUN_REPORT_H */
