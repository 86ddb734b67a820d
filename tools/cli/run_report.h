/*
 * What `boardnet run` tells its user while the board runs: the status line
 * once it is up, carrier changes, the answers of --resolve, and the summary
 * when it stops. Everything goes to one stream (stdout, or stderr when the
 * recording itself goes to stdout).
 */
#ifndef BN_RUN_REPORT_H
#define BN_RUN_REPORT_H

#include <stdio.h>

#include "bn_stack.h"
#include "link_record.h"

/** Where the messages go (default stdout). Call before the board starts. */
void bn_report_set_stream(FILE *out);

/** The stream messages go to. */
FILE *bn_report_stream(void);

/** "boardnet: board B up on tap T: mac ..., ip .../N, gw ..., dns ... (DHCP lease ...)". */
void bn_report_status(const char *tap);

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
