/*
 * The plan's second pass (replay_plan.c walks the capture, this sorts each
 * frame): into the board's side and the peers', flow by flow. TCP
 * connections by their SYNs and initial sequence numbers (the same ports
 * with another ISN: a new flow), UDP and ICMP (an ICMP error of the
 * board's in the UDP flow it is about), ARP, DHCP; a peer's frame becomes
 * a step, a board's frame a bn_rp_board_frame and, for TCP, part of the
 * captured stream (bytes the snaplen cut marked unknown); IPv4 fragments
 * put together (replay_reassembly.h); every frame left out counted by
 * reason, and apart when it was the board's. Internal to netif/replay.
 */
#ifndef BN_REPLAY_SORT_H
#define BN_REPLAY_SORT_H

#include <stddef.h>
#include <stdint.h>

#include "pcap_source.h"
#include "replay_plan.h"

typedef struct bn_rp_sorter bn_rp_sorter;

/** A sorter filling plan (its board and hosts already known). @return it, or NULL without memory. */
bn_rp_sorter *bn_rp_sorter_new(bn_rp_plan *plan);

/**
 * Sorts one frame the capture could hand over (pf->skip < 0) into the plan;
 * data is its copy, which may be changed.
 * @return 0, or -ENOMEM.
 */
int bn_rp_sorter_frame(bn_rp_sorter *s, const bn_pcap_frame *pf, uint8_t *data);

/**
 * Ends the pass: the pieces of datagrams never whole are counted as left
 * out, the steps put in the capture's order; frees s (NULL is fine).
 */
void bn_rp_sorter_end(bn_rp_sorter *s);

/**
 * Counts a frame left out for reason, and in skipped_board too when it was
 * the board's (read from data[0..len), what the capture holds of it; a
 * frame whose addresses cannot be read counts as the board's). Reasons the
 * user chose (--filter, --start-at, --vlan) and frames of other hosts never
 * count as the board's.
 */
void bn_rp_plan_skip(bn_rp_plan *p, const bn_pcap_frame *pf, const uint8_t *data, size_t len, int reason);

#endif /* BN_REPLAY_SORT_H */
