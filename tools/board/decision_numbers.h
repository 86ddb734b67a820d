/*
 * --decisions with --record: once the run is over, each line of the
 * decision log is given the number of its frame in the recording, as
 * Wireshark and tshark number frames ("capture 123"), or "capture - (never
 * on the wire)" for a frame dropped on its way out. The stage's per-direction
 * FRAME count cannot find a frame in Wireshark; this can.
 */
#ifndef BN_DECISION_NUMBERS_H
#define BN_DECISION_NUMBERS_H

#include <stdint.h>

#include "link_impair.h"

/** Room for bn_decisions_number()'s message. */
#define BN_DECISION_NUMBERS_ERRLEN 256

/**
 * Rewrites the decision log at decisions_path with each decision line's
 * frame number in the recording at record_path (one pcap file: not '-', not
 * rotated), found by the frame's fingerprint (ix, the stage's index of the
 * same lines, in order), its direction (the board's MAC as source: egress)
 * and time: an egress frame is the first of its bytes the board sent at or
 * after the decision, an ingress one the last received at or before it.
 * A frame not in the recording (--record-filter) gets "capture ?".
 * @return 0; -errno with a one-line reason in err (the log is left as it
 *         was): the recording or the log cannot be read, the log cannot be
 *         written, its lines and ix disagree.
 */
int bn_decisions_number(const char *decisions_path, const char *record_path, const uint8_t board_mac[6],
                        const bn_impair_log_index *ix, char err[BN_DECISION_NUMBERS_ERRLEN]);

#endif /* BN_DECISION_NUMBERS_H */
