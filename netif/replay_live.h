/*
 * The live side of a replay: what the emulated board does, flow by flow,
 * against the plan (replay_plan.h). It rewrites each peer frame for the live
 * board (its IP and MAC, the ports of connections it opened, TCP ACK numbers
 * and SACK blocks shifted from the captured board's initial sequence number
 * to the live one and never beyond what the live board sent, DHCP
 * transactions to the live board's xid and chaddr), learns from every frame
 * the live board sends (its ISNs and ports, how far it got), answers its ARP
 * requests for peers with the captured MACs, makes the pure ACKs the capture
 * shows the peer would have sent once the captured ones run out (a board that
 * segments differently), and compares: frames, bytes, TCP byte streams, the
 * SYN options, and the first divergence in each flow.
 * Not thread-safe: the replay backend (link_pcap.c) serialises calls.
 */
#ifndef BN_REPLAY_LIVE_H
#define BN_REPLAY_LIVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "replay_keymap.h"
#include "replay_plan.h"

/** How a flow of the live board differed first from the captured one. */
typedef enum rp_diverge {
  RP_SAME,
  RP_DIV_OPTIONS,    /**< a SYN's MSS or window-scale option */
  RP_DIV_WINDOW,     /**< a SYN's window */
  RP_DIV_FLAGS,      /**< SYN/FIN/RST at another point of the byte stream */
  RP_DIV_PAYLOAD,    /**< a byte of the stream */
  RP_DIV_MISSING,    /**< the live board sent less */
  RP_DIV_EXTRA,      /**< the live board sent more */
} rp_diverge;

/** A name for a divergence field ("payload", "missing" ...). */
const char *rp_diverge_name(rp_diverge d);

typedef struct rp_live_flow {
  /* binding to the live connection */
  bool bound;                /**< TCP/UDP: the live counterpart is known */
  uint16_t live_board_port;
  bool isn_known;
  uint32_t live_isn;
  uint32_t live_rel_end;     /**< sequence space (relative) the live board sent */
  uint32_t acked_rel;        /**< the most of it the replay acknowledged */
  uint32_t dhcp_xid;         /**< DHCP: the live board's transaction */
  bool dhcp_xid_known;
  /* what the live board sent */
  uint64_t frames, bytes, retrans, resets;
  uint64_t last_ns;          /**< when it last sent in this flow */
  uint16_t max_seg;          /**< its largest TCP payload */
  size_t flag_event;         /**< captured SYN/FIN/RST frames matched so far */
  size_t frame_index;        /**< non-TCP: captured board frames compared so far */
  /* the comparison */
  size_t stream_matched;     /**< bytes of the captured stream the live board matched */
  size_t stream_live;        /**< bytes of stream the live board sent */
  rp_diverge diverge;
  uint64_t diverge_number;   /**< the capture frame where it diverged first */
  char diverge_text[200];
  /* the peer side, kept from the last frame injected in this flow */
  uint32_t steps_left;
  uint8_t tmpl[54];          /**< Ethernet + IPv4 + TCP headers of that frame */
  bool has_tmpl;
  uint32_t peer_next_seq;    /**< the sequence number after it */
  uint64_t synth_acks;       /**< pure ACKs the replay made for it */
  bool abandoned;            /**< its live connection never came: its frames are not injected */
} rp_live_flow;

typedef struct rp_live {
  const rp_plan *plan;
  rp_live_flow *flows;
  uint32_t live_ip;          /**< host order */
  uint8_t live_mac[6];
  rp_keymap by_live;         /**< live board frame key -> flow */
  uint64_t board_frames;     /**< frames the live board sent */
  uint64_t unmatched;        /**< of them, in no flow of the capture */
  uint64_t injected;         /**< peer frames injected */
  uint64_t not_injected;     /**< peer frames given up on (a flow never bound) */
  uint64_t arp_answers;      /**< ARP replies the replay made for the board */
  uint64_t timeouts;         /**< peer frames injected after --step-timeout, not on cue */
  uint64_t started_ns, ended_ns; /**< the board clock at the first injection and at the end */
  int done;                  /**< atomic: the replay has ended (set by the backend) */
} rp_live;

/** Starts the live side of plan for a board with this IP and MAC. @return 0, -ENOMEM. */
int rp_live_init(rp_live *l, const rp_plan *plan, uint32_t live_ip, const uint8_t live_mac[6]);

/** Frees it (the plan stays). */
void rp_live_free(rp_live *l);

/**
 * Whether step s can be injected now: its flow's live connection is known
 * where it must be (a TCP connection the board opens: its SYN; an ACK: the
 * live board's ISN), and the live board has sent at least what the captured
 * one had before it in that flow (progress; reactive pacing waits for it).
 * @param progress receives whether that last condition holds
 * @return whether the frame can be rewritten at all now
 */
bool rp_live_can_rewrite(const rp_live *l, const rp_step *s, const uint8_t *frame, size_t len, bool *progress);

/**
 * Rewrites the frame of step s (frame[0..len), the capture's) for the live
 * board, in place. Call only when rp_live_can_rewrite() said so.
 */
void rp_live_rewrite(rp_live *l, const rp_step *s, uint8_t *frame, size_t len);

/**
 * Takes a frame the live board sent (at time now). If it calls for an
 * answer from the replay (an ARP request for a peer; data the capture shows
 * the peer acknowledged, when its ACKs ran out), writes it to reply
 * (BN_LINK_MAX_FRAME bytes) and returns its length, else 0.
 */
size_t rp_live_board_frame(rp_live *l, const uint8_t *frame, size_t len, uint64_t now, uint8_t *reply);

/** Ends the comparison (after the replay): the missing and extra data. */
void rp_live_finish(rp_live *l);

#endif /* BN_REPLAY_LIVE_H */
