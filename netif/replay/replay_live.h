/*
 * The live side of a replay: the state of each of the plan's flows
 * (replay_plan.h) on the live board -- which live connection it is bound to
 * (the live board's ports and initial sequence number), what the live board
 * sent in it, how it compares, and the peer's data in flight -- and the map
 * from the live board's addresses and ports to flows. The parts that work
 * on it (README.md draws the path):
 *   replay_rewrite.h     a peer frame rewritten for the live board
 *   replay_peer_tcp.h    the peer's TCP, where the replay stands in for it
 *   replay_board_frame.h a frame the live board sent: bound, learnt from, answered
 *   replay_compare.h     the comparison with the captured board
 * Not thread-safe: the replay backend (link_pcap.c) serialises calls.
 */
#ifndef BN_REPLAY_LIVE_H
#define BN_REPLAY_LIVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "replay_flowmap.h"
#include "replay_plan.h"
#include "replay_reassembly.h"

/** A class of difference between a flow of the live board and the captured one. */
typedef enum bn_rp_diverge {
  BN_RP_SAME,
  BN_RP_DIV_OPTIONS,    /**< a SYN's MSS or window-scale option */
  BN_RP_DIV_WINDOW,     /**< a SYN's window */
  BN_RP_DIV_FLAGS,      /**< SYN/FIN/RST at another point of the byte stream, or another one */
  BN_RP_DIV_PAYLOAD,    /**< a byte of the stream; a frame's size (ICMP, UDP) */
  BN_RP_DIV_MISSING,    /**< the live board sent less */
  BN_RP_DIV_EXTRA,      /**< the live board sent more */
  BN_RP_DIV_RECEIVED,   /**< the live board took in (acknowledged) less of the peer's stream */
  BN_RP_DIV_COUNT
} bn_rp_diverge;

/** The first difference of one class in a flow. */
typedef struct bn_rp_divergence {
  uint64_t number;           /**< the capture frame it is at (0: none of this class) */
  char text[160];            /**< one line saying what differs */
  bool noted;                /**< a note, not a divergence: its class ignored (--ignore), or found after a
                                  peer's zeros went in (zeros_in) */
} bn_rp_divergence;

/** Peer data injected and not yet acknowledged by the live board. */
typedef struct bn_rp_piece {
  uint32_t rel_end;          /**< the peer's sequence space up to its end (relative) */
  uint64_t sent_ns;          /**< when it last went in */
  unsigned tries;            /**< times sent again */
  bool syn;                  /**< the peer's SYN (sent again sooner, backing off: a full listen queue drains fast) */
  bool synack;               /**< the peer's SYN-ACK (sent again as a peer's TCP does, and when the board sends its SYN again) */
  size_t len;
  uint8_t *frame;
} bn_rp_piece;

typedef struct bn_rp_live_flow {
  /* binding to the live connection */
  bool bound;                /**< TCP/UDP: the live counterpart is known */
  uint16_t live_board_port;
  bool isn_known;
  uint32_t live_isn;
  uint32_t live_rel_end;     /**< sequence space (relative) the live board sent */
  uint32_t live_rel_next;    /**< of it, what the peer has in order (a segment lost on the way, a scenario's
                                  loss, leaves a hole): the most the replay acknowledges, as a peer that
                                  keeps no segment past a hole; the stream is compared in this order */
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
  /* Every class of difference found, the first of each; diverge is the
   * first found of those the replay does not ignore (bn_rp_live.ignore). */
  uint32_t classes;          /**< bit (1 << class) per class found */
  uint32_t ignore_classes;   /**< bn_rp_live.ignore, for bn_rp_diverge_set(); every class once zeros went in */
  bool zeros_in;             /**< peer data cut by the snaplen went in as zeros: what the board did after it
                                  is a note, not a divergence (the board answered bytes the capture lacks) */
  bn_rp_divergence found[BN_RP_DIV_COUNT];
  bn_rp_diverge diverge;
  uint64_t diverge_number;   /**< the capture frame where it diverged first */
  /* the peer side, kept from the last frame injected in this flow */
  uint32_t steps_left;
  bool started;              /**< its first frame went in */
  uint8_t tmpl[54];          /**< Ethernet + IPv4 + TCP headers of that frame */
  bool has_tmpl;
  uint32_t peer_next_seq;    /**< the sequence number after it */
  uint64_t synth_acks;       /**< pure ACKs the replay made for it */
  bool abandoned;            /**< its frames are no longer injected: see window_shut */
  bool window_shut;          /**< abandoned as the live board's window stayed shut (else: its connection never came) */
  uint64_t gave_up_number;   /**< abandoned: the capture frame of the step that waited too long, */
  uint64_t gave_up_waited_ns; /**< how long that step waited, */
  uint64_t gave_up_capture_ns; /**< of it, how long the capture itself waited before that frame, */
  uint64_t gave_up_ns;       /**< and when (bn_clock) */
  bool came_late;            /**< abandoned, and the live board sent in it after all, */
  uint64_t late_ns;          /**< this long after */
  bool not_compared;         /**< a pass after the first: the board keeps its lease (DHCP, not injected either)
                                  and its ARP cache (ARP) from the first */
  bool not_reached;          /**< the replay was stopped before this flow began (bn_rp_live_finish_early()) */
  bool hole_open;            /**< the replay ended waiting for the live board to send again what the peer
                                  lacks (a hole: bn_rp_live_owed_until()): its stream compared as far as it
                                  came in order, the rest not (incomplete, not missing) */
  /* the peer's data against the live board's window */
  int8_t live_ws;            /**< the live board's window-scale shift (-1: none) */
  bool board_ack_known;
  uint32_t board_ack_rel;    /**< the peer's stream the live board acknowledged (relative to the peer's ISN) */
  uint32_t board_wnd;        /**< the live board's receive window, bytes */
  unsigned dup_acks;          /**< duplicate ACKs in a row (3 or more: send the first piece again now) */
  bool recovering;           /**< a piece went again and the live board has not acknowledged all that was
                                  injected before it (recover): each ACK short of it sends the next again */
  uint32_t recover;          /**< the end of the peer's data injected when recovering began (relative) */
  size_t offset;             /**< payload of the head step already injected (a split) */
  bool blocked;              /**< the head step waits for the live board's window */
  uint64_t blocked_since;    /**< since when */
  uint64_t probe_ns;         /**< when the last window probe went in */
  uint64_t probes;           /**< window probes the replay sent (a peer's persist timer) */
  bn_rp_piece *unacked;
  size_t nunacked, cap_unacked;
  uint64_t peer_retrans;     /**< peer data the replay sent again */
  uint64_t splits;           /**< peer segments split to fit the window */
  uint64_t cut_super;        /**< peer super-frames of the capture (TSO, GSO, GRO) cut into segments */
} bn_rp_live_flow;

/** What the replay waited for while no peer frame was due (the report's
 *  "waited" line: wall time, each stretch put down to the step whose wait
 *  ended first). */
typedef enum bn_rp_wait {
  BN_RP_WAIT_HELD,           /**< the board program was not ready for its peers yet */
  BN_RP_WAIT_CAPTURE,        /**< the capture's own gaps (recorded pace; a new conversation's captured gap) */
  BN_RP_WAIT_BOARD,          /**< the live board's answers (reactive: what the capture shows it sent first) */
  BN_RP_WAIT_CONNECTION,     /**< a live connection not open yet (the board's SYN-ACK, its SYN) */
  BN_RP_WAIT_WINDOW,         /**< the live board's shut window */
  BN_RP_WAIT_COUNT
} bn_rp_wait;

/** "the capture's own gaps" ... for reports; "held" ... for JSON keys. */
const char *bn_rp_wait_text(bn_rp_wait w);
const char *bn_rp_wait_id(bn_rp_wait w);

typedef struct bn_rp_live {
  const bn_rp_plan *plan;
  bn_rp_live_flow *flows;
  uint32_t live_ip;          /**< host order */
  uint8_t live_mac[6];
  bn_rp_flowmap by_live;        /**< the live board's frames' addresses and ports -> flow */
  bn_rp_reassembly frags;    /**< the live board's fragmented datagrams, being put together */
  uint64_t board_frames;     /**< frames the live board sent */
  uint64_t unmatched;        /**< of them, in no flow of the capture */
  uint64_t injected;         /**< peer frames injected */
  uint64_t not_injected;     /**< peer frames given up on (a flow never bound) */
  uint64_t redundant;        /**< peer data left out: the live board had acknowledged it already */
  uint64_t arp_answers;      /**< ARP replies the replay made for the board */
  uint64_t timeouts;         /**< steps that waited their time out: injected without their cue, or their
                                  flow given up on */
  const char *cut_short;     /**< why the pass ended before its last step (the link closed first, the
                                  capture could not be read again to its end), or NULL */
  uint64_t waited_ns[BN_RP_WAIT_COUNT]; /**< wall time with no peer frame due, by what it waited for */
  uint64_t started_ns, ended_ns; /**< the board clock at the first injection, and at the last frame (either side) */
  uint32_t ignore;           /**< classes that are notes, not divergences (--ignore): bit (1 << class) */
  /* Read by other threads (--app mirror) while the backend runs; last, so
   * that setting up a pass does not zero them under a reader. */
  size_t head;               /**< atomic: the step the backend injects next (set by it) */
  int done;                  /**< atomic: the replay has ended (set by the backend) */
  unsigned pass;             /**< atomic: the pass over the capture (--loop), 0 first */
} bn_rp_live;

/** Starts the live side of plan for a board with this IP and MAC. @return 0, -ENOMEM. */
int bn_rp_live_init(bn_rp_live *l, const bn_rp_plan *plan, uint32_t live_ip, const uint8_t live_mac[6]);

/**
 * As bn_rp_live_init(), for pass number pass over the capture (--loop): the
 * peers' ports of the TCP connections they open move on, pass by pass, past
 * every port the capture's peers used (each pass is new connections, as
 * from a client that runs again; an old one may be in the board's
 * TIME_WAIT). @return 0, -ENOMEM.
 */
int bn_rp_live_init_pass(bn_rp_live *l, const bn_rp_plan *plan, uint32_t live_ip, const uint8_t live_mac[6], unsigned pass);

/**
 * Frees l and puts fresh (set up by bn_rp_live_init_pass()) in its place, so
 * that readers of its atomics (head, done, pass) never see them zeroed;
 * fresh must not be used or freed after.
 */
void bn_rp_live_replace(bn_rp_live *l, bn_rp_live *fresh);

/** The peer's port of flow f on the live side (bn_rp_live_init_pass()). */
uint16_t bn_rp_live_peer_port(const bn_rp_live *l, const bn_rp_flow *f);

/** Frees it (the plan stays). */
void bn_rp_live_free(bn_rp_live *l);

/**
 * Maps the live board's frames of flow f (its board port board_port) to
 * flow index (replace: even if another flow had them).
 * @return 0, -ENOMEM.
 */
int bn_rp_live_map(bn_rp_live *l, const bn_rp_flow *f, uint16_t board_port, uint32_t index, bool replace);

/** Drops the first n pieces of peer data kept for sending again. */
void bn_rp_live_free_pieces(bn_rp_live_flow *lf, size_t n);

/**
 * The classes of difference that are notes, not divergences (--ignore
 * window,options ...: bit 1 << class each), for every flow; a foreign
 * board's capture can then pass where it differs by design.
 */
void bn_rp_live_set_ignore(bn_rp_live *l, uint32_t classes);

/** How long a flow with a hole is waited for after the live board last sent in it: lwIP's
 *  retransmission timeouts from its initial 3 s, doubling (3, 6, 12 s: the same segment lost three
 *  times in a row). */
#define BN_RP_HOLE_WAIT_NS (15ull * 1000u * 1000u * 1000u)

/**
 * Until when the replay waits, once every step is done, for TCP streams
 * with a hole: a connection under way (not reset, not given up on) whose
 * board sent a segment the peer does not have in order (lost on the way, a
 * scenario's loss), which it sends again after its retransmission timeout.
 * Each such flow is waited for until wait_ns after it last sent.
 * @return that time, or 0 when no stream has a hole.
 */
uint64_t bn_rp_live_owed_until(const bn_rp_live *l, uint64_t wait_ns);

#endif /* BN_REPLAY_LIVE_H */
