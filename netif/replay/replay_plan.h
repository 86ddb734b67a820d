/*
 * The plan of a replay, made in one pass over the capture before anything
 * is injected: which address is the board (given, or detected with the
 * reason), the board's MAC and every peer's, the conversations (flows) with
 * the board, each frame to inject (a "step": the peer side) with what the
 * capture shows the board had sent in that flow before it, and what the
 * captured board sent in each flow (frames, bytes, its TCP byte streams),
 * which the live board is compared with. Frames that cannot be replayed are
 * counted by reason.
 */
#ifndef BN_REPLAY_PLAN_H
#define BN_REPLAY_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pcap_source.h"
#include "replay_skip.h"

#define BN_RP_ERRLEN 256

typedef enum bn_rp_flow_kind {
  BN_RP_FLOW_TCP,
  BN_RP_FLOW_UDP,
  BN_RP_FLOW_ICMP,
  BN_RP_FLOW_ARP,
  BN_RP_FLOW_DHCP,
  BN_RP_FLOW_IP,      /**< IPv4 of another protocol */
} bn_rp_flow_kind;

/** One of the board's captured frames in a flow, as the comparison needs it. */
typedef struct bn_rp_board_frame {
  uint64_t number;       /**< frame number in the capture */
  uint32_t rel_seq;      /**< TCP: sequence number relative to the board's ISN */
  uint32_t ack_rel;      /**< TCP: its ACK relative to the peer's ISN (the peer's stream it had), 0 if none */
  uint16_t len;          /**< TCP: payload bytes; others: frame length */
  uint16_t window;       /**< TCP window field */
  uint16_t mss;          /**< TCP: the MSS option (SYN), 0 if none */
  uint8_t flags;         /**< TCP flags */
  bool wscale;           /**< TCP: a window-scale option (SYN) */
  bool retrans;          /**< TCP: it sends sequence space sent before */
  bool icmp_error;       /**< UDP flow: an ICMP error the board sent about it (port unreachable ...) */
} bn_rp_board_frame;

/** A conversation with the board, in the capture's addresses. */
typedef struct bn_rp_flow {
  bn_rp_flow_kind kind;
  uint32_t peer_ip;
  uint16_t peer_port, board_port;   /**< TCP/UDP; 0 otherwise */
  uint64_t first_number;            /**< its first frame */
  bool board_first;                 /**< the board sent that first frame */
  /* TCP */
  bool has_syn;            /**< its SYN is in the capture (else its frames are skipped) */
  bool board_opened;       /**< the board sent the first SYN (board as client) */
  bool board_isn_known, peer_isn_known;
  uint32_t board_isn, peer_isn;
  uint32_t board_rel_end;  /**< sequence space the captured board used (relative) */
  uint32_t peer_acked_rel; /**< the most of it the captured peer acknowledged */
  uint32_t board_acked_rel; /**< the most of the peer's stream the captured board acknowledged (relative to the peer's ISN) */
  bool board_acked;        /**< the captured board acknowledged any of it */
  uint32_t peer_rel_end;   /**< sequence space the captured peer used (relative to its ISN) */
  bool peer_fin;           /**< the captured peer sent a FIN */
  int8_t peer_ws, board_ws; /**< window-scale shifts of the two SYNs (-1: none) */
  uint16_t board_mss;      /**< the MSS the captured board's SYN offered (0: none): super-frames are cut to it */
  /* what the captured board sent, and the peer */
  uint64_t board_frames, board_bytes, board_retrans, board_resets;
  uint64_t peer_frames, peer_bytes, peer_retrans, peer_resets;
  bn_rp_board_frame *bframes; /**< the board's frames, in order */
  size_t nbframes, cap_bframes;
  uint8_t *stream;         /**< TCP: the board's payload in sequence order */
  size_t stream_len, stream_cap;
  uint8_t *stream_unknown; /**< TCP: a bit per stream byte the capture cut off (snaplen), or NULL: none */
  uint64_t cut_frames;     /**< frames of the flow cut short by the capture's snaplen (zeros in their place) */
  uint64_t cut_bytes;      /**< bytes they lack: the peers' go in as zeros, the board's are not compared */
  bool stream_gap;         /**< a hole: data after it is not kept */
  bool stream_dropped;     /**< over the memory bound: not kept */
} bn_rp_flow;

/** A peer frame to inject. */
typedef struct bn_rp_step {
  uint64_t number;         /**< frame number in the capture */
  uint64_t ts_ns;          /**< its capture time */
  uint32_t flow;           /**< index in flows */
  uint32_t board_before;   /**< TCP: board_rel_end before it; others: board frames of the flow before it */
  /** The captured board's last frame before it, in any flow (what the
   *  peer may have waited for: a board announcing its new address before
   *  it is pinged): that frame's flow (BN_RP_NO_FLOW: none) and the flow's
   *  board_before measure just after it. */
  uint32_t dep_flow, dep_before;
  bool cut;                /**< cut short by the snaplen: zeros in place of what the capture lacks */
} bn_rp_step;

#define BN_RP_NO_FLOW UINT32_MAX

/** A peer's MAC, as its frames showed it. */
typedef struct bn_rp_host {
  uint32_t ip;
  uint8_t mac[6];
} bn_rp_host;

typedef struct bn_rp_plan {
  uint32_t board_ip;         /**< host order */
  uint8_t board_mac[6];
  bool board_mac_known;
  char board_reason[160];    /**< why this address is the board */
  bn_rp_flow *flows;
  size_t nflows;
  bn_rp_step *steps;
  size_t nsteps;
  bn_rp_host *hosts;
  size_t nhosts;
  uint64_t frames_read;      /**< frames of the file, skipped ones included */
  uint64_t frames_used;      /**< frames the plan uses (steps and board frames) */
  uint64_t board_frames;     /**< the captured board's frames */
  uint64_t skipped[BN_SKIP_COUNT];
  /** Of the skipped frames, those sent by the board or addressed to it
   *  (unicast), or whose addresses could not be read: each makes the
   *  replay incomplete. Frames left out by the user's choice (--filter,
   *  --start-at, --vlan) and frames of other hosts never count here. */
  uint64_t skipped_board[BN_SKIP_COUNT];
  uint64_t first_ts_ns, last_ts_ns;  /**< the earliest and latest capture time */
  uint64_t time_steps_back;  /**< frames captured earlier than the frame before them (files joined?) */
  uint16_t vlans[4];         /**< VLAN ids of the tags taken off (the first four seen) */
  size_t nvlans;
  char linktype[32];
  uint16_t peer_port_min, peer_port_max; /**< the ports (>= 1024) of TCP connections peers opened */
  bool lease_known;          /**< the capture's DHCP server leased the board its address */
  size_t lease_step;         /**< the step of that DHCPACK (the board's start ends there) */
} bn_rp_plan;

/** What to read, and how. Zero-initialise, then fill in. */
typedef struct bn_rp_plan_options {
  const char *path;          /**< the capture ("-": standard input, read once) */
  const char *name;          /**< how messages name it (NULL: path), when path is one interface taken out */
  const char *filter;        /**< libpcap filter on the capture, or NULL */
  uint32_t board_ip;         /**< the board's address in the capture (host order); 0: detect */
  uint64_t start_at_ns;      /**< skip frames earlier than this after the first frame */
  uint64_t limit;            /**< read at most this many frames (0: all) */
  int vlan;                  /**< the VLAN the board is on (--vlan, 1..4094); 0: any, every tag taken off */
  const uint64_t *numbers;   /**< path's frames' numbers in the capture they were taken from (--interface), */
  size_t nnumbers;           /**< or NULL: their own (bn_pcap_source_set_numbers()) */
} bn_rp_plan_options;

/**
 * Opens the capture as o says (path, filter, vlan, numbers).
 * @return as bn_pcap_source_open().
 */
int bn_rp_plan_open_source(const bn_rp_plan_options *o, bn_pcap_source **out, char err[BN_PCAP_ERRLEN]);

/**
 * Reads the capture and makes the plan.
 * @return 0; -EINVAL (not a capture, an unknown link type, a bad filter, no
 *         IPv4 traffic to tell the board by, no frame to or from the board,
 *         libpcap cannot read the file to its end), -ENXIO (two addresses
 *         are as likely to be the board: give board_ip), -ENOENT/-EACCES,
 *         -ENOMEM, with the reason in err.
 */
int bn_rp_plan_build(const bn_rp_plan_options *o, bn_rp_plan *plan, char err[BN_RP_ERRLEN]);

/** Whether byte off of f's captured stream was cut off by the snaplen (not compared). */
bool bn_rp_flow_byte_unknown(const bn_rp_flow *f, size_t off);

/** Frees what bn_rp_plan_build() allocated. */
void bn_rp_plan_free(bn_rp_plan *plan);

/** The MAC the capture shows for peer ip; NULL if none. */
const uint8_t *bn_rp_plan_host_mac(const bn_rp_plan *plan, uint32_t ip);

/** "tcp 192.0.2.1:5000 -> board:80" and the like, for reports. */
void bn_rp_flow_name(const bn_rp_plan *plan, const bn_rp_flow *f, char *out, size_t size);

/** The memory bound on the captured TCP streams kept for comparison, in all. */
#define BN_RP_STREAMS_MAX (256u * 1024u * 1024u)

#endif /* BN_REPLAY_PLAN_H */
