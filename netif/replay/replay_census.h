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

typedef struct rp_census rp_census;

/** A new, empty census (free() it); NULL without memory. */
rp_census *rp_census_new(void);

/** Counts one parsed frame of the capture. */
void rp_census_frame(rp_census *c, const pcap_frame *pf, const rp_frame *f);

/**
 * Sets plan->board_ip (unless given), board_reason, board_mac and hosts.
 * @return 0, or -EINVAL (no IPv4 traffic), -ENOMEM, with the reason in err.
 */
int rp_census_decide(rp_census *c, rp_plan *plan, bool given, char err[RP_ERRLEN]);

#endif /* BN_REPLAY_CENSUS_H */
