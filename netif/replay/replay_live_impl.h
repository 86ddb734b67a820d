/*
 * Shared by the three parts of the replay's live side, not part of its API
 * (replay_live.h): replay_live.c (binding, the live board's frames),
 * replay_inject.c (the peer side) and replay_compare.c (the comparison).
 */
#ifndef BN_REPLAY_LIVE_IMPL_H
#define BN_REPLAY_LIVE_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "bn_link.h"
#include "replay_headers.h"
#include "replay_live.h"

#define ETH_HLEN 14
#define BOOTP_XID 4
#define BOOTP_CHADDR 28

/* replay_live.c: maps the live board's frames of flow f (its board port
 * board_port) to flow index (replace: even if another flow had them).
 * @return 0, -ENOMEM. */
int rp_live_map(rp_live *l, const rp_flow *f, uint16_t board_port, uint32_t index, bool replace);

/* replay_inject.c */
/** Drops the first n pieces of peer data kept for sending again. */
void rp_free_pieces(rp_live_flow *lf, size_t n);
/** Takes an ACK of the live board's (its window, what it has of the peer's data). */
void rp_inject_board_ack(const rp_flow *f, rp_live_flow *lf, const rp_frame *pf);
/** The replay's ACK in the peer's name for len bytes of sequence space the
 *  live board sent (again: sent before), if one is due; its length or 0. */
size_t rp_inject_answer(const rp_flow *f, rp_live_flow *lf, uint32_t len, bool again, uint8_t *reply);

/* replay_compare.c */
/** Records the first divergence of a flow (later ones are ignored). */
void rp_diverge_set(rp_live_flow *lf, rp_diverge what, uint64_t number, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/** A SYN, FIN or RST of the live board's at stream position rel. */
void rp_compare_flags(const rp_flow *f, rp_live_flow *lf, uint8_t flags, uint32_t rel, const rp_frame *pf);
/** Stream bytes [rel - 1, + len) the live board sent. */
void rp_compare_stream(const rp_flow *f, rp_live_flow *lf, uint32_t rel, const uint8_t *data, size_t len);
/** An ICMP or UDP frame of the live board's, against the captured one's. */
void rp_compare_other(const rp_flow *f, rp_live_flow *lf, const rp_frame *pf);

#endif /* BN_REPLAY_LIVE_IMPL_H */
