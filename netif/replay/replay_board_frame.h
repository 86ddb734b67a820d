/*
 * The live board's frames, as the replay takes them: each one bound to its
 * flow of the capture (a connection the live board opens, by its SYN),
 * learnt from (its ISNs, ports, DHCP xid, how far it got), compared with
 * the captured board's (replay_compare.h), and answered where the replay
 * owes an answer: an ARP request for a peer (with the peer's captured MAC),
 * an ACK in the peer's name (replay_peer_tcp.h).
 */
#ifndef BN_REPLAY_BOARD_FRAME_H
#define BN_REPLAY_BOARD_FRAME_H

#include <stddef.h>
#include <stdint.h>

#include "replay_live.h"

/**
 * Takes a frame the live board sent (at time now). If it calls for an
 * answer from the replay (an ARP request for a peer; data the capture shows
 * the peer acknowledged, when its ACKs ran out), writes it to reply
 * (BN_LINK_MAX_FRAME bytes) and returns its length, else 0.
 */
size_t bn_rp_live_board_frame(bn_rp_live *l, const uint8_t *frame, size_t len, uint64_t now, uint8_t *reply);

#endif /* BN_REPLAY_BOARD_FRAME_H */
