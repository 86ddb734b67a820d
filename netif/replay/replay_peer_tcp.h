/*
 * The peer's TCP, where the replay stands in for it: when the live board is
 * not the captured one (another profile, another window), the peer's data
 * goes in as the live board's window takes it, is kept until the live board
 * acknowledges it and sent again when it does not; and where the capture's
 * own ACKs cannot serve (the flow waits for the live board's window, or
 * they have run out), the replay acknowledges the live board's data in the
 * captured peer's name, as far as that peer did.
 */
#ifndef BN_REPLAY_PEER_TCP_H
#define BN_REPLAY_PEER_TCP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "replay_headers.h"
#include "replay_live.h"

/** The replay's retransmission timeout for peer data, and how often it
 *  sends a piece again before it gives up on it. A peer's SYN goes again
 *  after BN_RP_SYN_RTO_NS, doubled each time (a listen queue that was full
 *  has room again as soon as the board's program accepts). */
#define BN_RP_RTO_NS (200u * 1000u * 1000u)
#define BN_RP_SYN_RTO_NS (5u * 1000u * 1000u)
/** A peer's SYN-ACK goes again after BN_RP_SYNACK_RTO_NS, doubled each time
 *  (RFC 6298's initial RTO of 1 s, Linux's TCP_TIMEOUT_INIT), and at once
 *  when the live board sends its SYN again (a peer in SYN-RECEIVED answers a
 *  retransmitted SYN with its SYN-ACK). */
#define BN_RP_SYNACK_RTO_NS (1000u * 1000u * 1000u)
#define BN_RP_SYNACK_RETRIES 5 /* Linux's tcp_synack_retries */
#define BN_RP_RETRIES 8

/**
 * Takes an ACK of the live board's in flow f: how much of the peer's stream
 * it has (pieces it acknowledged are done), how much more its window takes,
 * duplicate ACKs.
 */
void bn_rp_peer_tcp_board_ack(const bn_rp_flow *f, bn_rp_live_flow *lf, const bn_rp_frame *pf);

/**
 * The replay's answer, in the peer's name, to len bytes of sequence space
 * the live board sent in flow f (again: sent before): an ACK where the
 * capture's own cannot come.
 * @return its length in reply (BN_LINK_MAX_FRAME bytes), or 0.
 */
size_t bn_rp_peer_tcp_answer(const bn_rp_flow *f, bn_rp_live_flow *lf, uint32_t len, bool again, uint8_t *reply);

/**
 * The head step's data does not fit the live board's window: the flow
 * waits (from now, unless it waited already), acknowledging what it may,
 * and probing the window every BN_RP_RTO_NS as a peer's persist timer does.
 * @return 1 with an ACK or a probe in out (*out_len), or 0.
 */
int bn_rp_peer_tcp_window_full(const bn_rp_flow *f, bn_rp_live_flow *lf, uint8_t *out, size_t *out_len);

/**
 * Keeps a copy of injected peer data (frame[0..len), up to the peer's
 * relative sequence number rel_end, injected at now) until the live board
 * acknowledges it. Without memory it is not kept (not sent again).
 */
void bn_rp_peer_tcp_keep(bn_rp_live_flow *lf, const uint8_t *frame, size_t len, uint32_t rel_end, uint64_t now);

/** The same for the peer's SYN or SYN-ACK (rel_end 1), sent again on its own timer. */
void bn_rp_peer_tcp_keep_syn(bn_rp_live_flow *lf, const uint8_t *frame, size_t len, bool synack, uint64_t now);

/** Whether the peer's SYN-ACK waits for the live board's ACK (and is sent again until it comes). */
bool bn_rp_peer_tcp_synack_pending(const bn_rp_live_flow *lf);

/** The live board sent its SYN again: the peer's SYN-ACK, if it waits for its ACK, goes again at once. */
void bn_rp_peer_tcp_board_syn_again(bn_rp_live_flow *lf);

/**
 * Peer data to send again: unacknowledged for BN_RP_RTO_NS, after three
 * duplicate ACKs, or, once one went again, after each ACK of the live
 * board's that still leaves data injected before it unacknowledged (a
 * partial ACK: NewReno, RFC 6582). @return its length in out, or 0.
 */
size_t bn_rp_live_retransmit(bn_rp_live *l, uint64_t now, uint8_t *out);

/** When bn_rp_live_retransmit() may next have something (BN_CLOCK_FOREVER: never). */
uint64_t bn_rp_live_next_retransmit(const bn_rp_live *l);

#endif /* BN_REPLAY_PEER_TCP_H */
