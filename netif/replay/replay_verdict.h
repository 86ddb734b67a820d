/*
 * A replay's verdict, honest: "same" only when every frame of the capture
 * that concerned the board was replayed and compared and the live board did
 * what the captured one did; "diverged" when it did something else in what
 * was compared; "incomplete" when it did the same in what was compared but
 * not everything was: frames to or from the board left out (fragments,
 * frames cut by the snaplen, IPv6 ...), TCP streams the capture does not
 * hold whole, flows that could not be followed, a run cut short. Each
 * reason is named, with its count.
 */
#ifndef BN_REPLAY_VERDICT_H
#define BN_REPLAY_VERDICT_H

#include <stdbool.h>
#include <stddef.h>

#include "replay_live.h"
#include "replay_plan.h"

typedef enum bn_rp_verdict {
  BN_RP_VERDICT_SAME,
  BN_RP_VERDICT_DIVERGED,      /**< wins over incomplete: what was compared differs */
  BN_RP_VERDICT_INCOMPLETE,
} bn_rp_verdict;

#define BN_RP_REASONS_MAX 6
#define BN_RP_REASON_LEN 200

/** The verdict of a pass over the capture, and why. */
typedef struct bn_rp_outcome {
  bn_rp_verdict verdict;
  bool diverged;               /**< a flow diverged */
  bool incomplete;             /**< something for the board was not replayed or compared */
  size_t nreasons;             /**< why incomplete, one phrase each ("36 frames to or from the board ...") */
  char reasons[BN_RP_REASONS_MAX][BN_RP_REASON_LEN];
} bn_rp_outcome;

/**
 * The outcome of the live side against the plan (after bn_rp_live_finish()).
 * stopped: why the run was cut short ("Interrupt", "--exit-after"), or NULL.
 */
void bn_rp_outcome_of(const bn_rp_plan *plan, const bn_rp_live *live, const char *stopped, bn_rp_outcome *out);

/** "same", "diverged" or "incomplete". */
const char *bn_rp_verdict_name(bn_rp_verdict v);

/** The frames to or from the board the plan left out, in all. */
uint64_t bn_rp_plan_skipped_board(const bn_rp_plan *plan);

#endif /* BN_REPLAY_VERDICT_H */
