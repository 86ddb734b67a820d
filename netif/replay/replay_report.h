/*
 * The divergence report of a replay (boardnet replay, or a program of its
 * own on the pcap backend): per flow and overall, what the captured board
 * sent and what the live board sent, whether the TCP byte streams are
 * identical, the first divergence with a one-line explanation,
 * retransmissions and resets on each side, and the capture frames skipped
 * and why; as text for people, as JSON (--report FILE.json) for tools.
 */
#ifndef BN_REPLAY_REPORT_H
#define BN_REPLAY_REPORT_H

#include <stdbool.h>
#include <stdio.h>

#include "replay_live.h"
#include "replay_plan.h"
#include "replay_verdict.h"

/** What the report describes besides plan and live. */
typedef struct bn_rp_report_info {
  const char *capture;     /**< its path */
  const char *interface_name;  /**< the interface of a pcapng replayed (--interface): its name ("": none);
                                    NULL: the whole file was */
  unsigned interface_id;   /**< its number in the file */
  unsigned interfaces;     /**< of how many in the file */
  uint64_t other_interfaces_frames;  /**< the other interfaces' frames, left out */
  const char *board;       /**< the live board's profile name */
  const char *pace;        /**< "reactive", "recorded", "x2", "top" */
  uint32_t live_ip;
  const uint8_t *live_mac;
  /* --loop: the passes over the capture (0 or 1: once), in how many the live
   * board diverged, and the first of those (1-based); the rest of the
   * report is the last pass's. */
  unsigned passes, passes_diverged, first_diverged_pass;
  unsigned passes_incomplete;  /**< passes before the last that were incomplete */
  const char *stopped;     /**< why the run was cut short ("Interrupt", "--exit-after"), or NULL */
} bn_rp_report_info;

/**
 * The verdict over every pass (replay_verdict.h): the last pass's outcome,
 * with the earlier passes' divergence and incompleteness added.
 */
void bn_rp_report_outcome(const bn_rp_report_info *info, const bn_rp_plan *plan, const bn_rp_live *live,
                          bn_rp_outcome *out);

/** Writes the text report, with outcome (bn_rp_report_outcome()) as its verdict. */
void bn_rp_report_text(FILE *out, const bn_rp_report_info *info, const bn_rp_plan *plan, const bn_rp_live *live,
                       const bn_rp_outcome *outcome);

/** Writes the JSON report, with outcome as its verdict. @return 0, or -errno when the file cannot be written. */
int bn_rp_report_json(const char *path, const bn_rp_report_info *info, const bn_rp_plan *plan, const bn_rp_live *live,
                      const bn_rp_outcome *outcome);

#endif /* BN_REPLAY_REPORT_H */
