/*
 * The first pass of a replay's plan: which address of the capture is the
 * board (replay_plan.h), and the MACs of the hosts. Internal to the plan.
 */
#ifndef BN_REPLAY_CENSUS_H
#define BN_REPLAY_CENSUS_H

#include <stdbool.h>

#include "pcap_source.h"
#include "replay_headers.h"
#include "replay_plan.h"

typedef struct bn_rp_census bn_rp_census;

/** A new, empty census (free() it); NULL without memory. */
bn_rp_census *bn_rp_census_new(void);

/** Counts one parsed frame of the capture. */
void bn_rp_census_frame(bn_rp_census *c, const bn_pcap_frame *pf, const bn_rp_frame *f);

/**
 * Sets plan->board_ip (unless given), board_reason, board_mac and hosts.
 * @return 0, or -EINVAL (no IPv4 traffic), -ENXIO (two addresses as likely),
 *         -ENOMEM, with the reason in err.
 */
int bn_rp_census_decide(bn_rp_census *c, bn_rp_plan *plan, bool given, char err[BN_RP_ERRLEN]);

#endif /* BN_REPLAY_CENSUS_H */
