/*
 * The peer's frames for the live board: each step of the plan (a frame a
 * peer sent the captured board) rewritten so that the live board takes it
 * as the captured one did -- its address and MAC, the ports of connections
 * it opened (and, on a later pass, the peers'), TCP ACK numbers and SACK
 * blocks shifted from the captured board's initial sequence number to the
 * live one's and never past what the live board sent, the peer's window
 * rescaled, DHCP to the live xid and chaddr. Peer data the live board's
 * window cannot take whole goes in as it fits (replay_peer_tcp.h).
 */
#ifndef BN_REPLAY_REWRITE_H
#define BN_REPLAY_REWRITE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "replay_live.h"

/**
 * Whether step s can be injected now: its flow's live connection is known
 * where it must be (a TCP connection the board opens: its SYN; an ACK: the
 * live board's ISN), and the live board has sent at least what the captured
 * one had before it in that flow, and in the flow of the captured board's
 * last frame before it (progress; reactive pacing waits for it).
 * @param progress receives whether that last condition holds
 * @return whether the frame can be rewritten at all now
 */
bool bn_rp_live_can_rewrite(const bn_rp_live *l, const bn_rp_step *s, const uint8_t *frame, size_t len, bool *progress);

/**
 * The next frame of step s for the live board (call only when
 * bn_rp_live_can_rewrite() said so): the capture's frame (frame[0..len))
 * rewritten into out (BN_LINK_MAX_FRAME bytes); for TCP data the live
 * board's window cannot take whole, the part that fits (the rest comes with
 * later calls), or while its window is shut an ACK the replay makes in the
 * peer's name; peer data the live board acknowledged already, nothing.
 * @param done set when the step is finished
 * @return 1 with *out_len set, or 0: nothing to inject now
 */
int bn_rp_live_next_frame(bn_rp_live *l, const bn_rp_step *s, const uint8_t *frame, size_t len, uint8_t *out,
                       size_t *out_len, bool *done);

#endif /* BN_REPLAY_REWRITE_H */
