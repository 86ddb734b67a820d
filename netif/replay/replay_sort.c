/*
 * The plan's second pass (replay_sort.h): each frame of the capture sorted
 * into the board's side and the peers', flow by flow, as flows, steps, the
 * captured board's frames and its TCP streams.
 */
#include "replay_sort.h"
#include "replay_flowmap.h"
#include "replay_grow.h"
#include "replay_headers.h"
#include "replay_reassembly.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct bn_rp_sorter {
  bn_rp_plan *plan;
  bn_rp_flowmap flow_of;    /* flow addresses -> the latest flow with them */
  size_t cap_flows, cap_steps;
  size_t streams_total;
  uint32_t dep_flow, dep_before; /* the board's last frame so far: its flow, and that flow's measure after it */
  /* IPv4 fragments: datagrams being put together, and the one at hand
   * (its frames become the steps of a peer's datagram). */
  bn_rp_reassembly frags;
  const bn_rp_datagram *datagram;
  uint8_t *whole;           /* a datagram as one frame (BN_PCAP_FRAME_MAX) */
  bool steps_unsorted;      /* a datagram's steps came in after later frames' */
  uint64_t lease_number;    /* the frame of the capture's DHCPACK for the board */
};

static int new_flow(bn_rp_sorter *b, bn_rp_flow_kind kind, uint32_t peer_ip, uint16_t peer_port, uint16_t board_port,
                    uint64_t number, uint32_t *index)
{
  bn_rp_plan *p = b->plan;
  void *grown = bn_rp_room_for_one(p->flows, p->nflows, &b->cap_flows, sizeof(*p->flows), 64);
  if (grown == NULL) {
    return -ENOMEM;
  }
  p->flows = grown;
  bn_rp_flow *f = &p->flows[p->nflows];
  memset(f, 0, sizeof(*f));
  f->kind = kind;
  f->peer_ip = peer_ip;
  f->peer_port = peer_port;
  f->board_port = board_port;
  f->first_number = number;
  f->peer_ws = -1;
  f->board_ws = -1;
  *index = (uint32_t)p->nflows++;
  return bn_rp_flowmap_put(&b->flow_of, kind, peer_ip, peer_port, board_port, *index);
}

static int add_one_step(bn_rp_sorter *b, uint64_t number, uint64_t ts_ns, uint32_t flow, uint32_t before)
{
  bn_rp_plan *p = b->plan;
  void *grown = bn_rp_room_for_one(p->steps, p->nsteps, &b->cap_steps, sizeof(*p->steps), 1024);
  if (grown == NULL) {
    return -ENOMEM;
  }
  p->steps = grown;
  if (p->nsteps > 0 && p->steps[p->nsteps - 1].number > number) {
    b->steps_unsorted = true;
  }
  p->steps[p->nsteps++] = (bn_rp_step){ .number = number, .ts_ns = ts_ns, .flow = flow, .board_before = before,
                                     .dep_flow = b->dep_flow, .dep_before = b->dep_before };
  return 0;
}

/* The step of a peer's frame; of a peer's fragmented datagram, one step per
 * fragment (each is injected as captured). */
static int add_step(bn_rp_sorter *b, const bn_pcap_frame *pf, uint32_t flow, uint32_t before)
{
  if (b->datagram == NULL) {
    int rc = add_one_step(b, pf->number, pf->ts_ns, flow, before);
    if (rc == 0) {
      b->plan->steps[b->plan->nsteps - 1].cut = pf->cut > 0;
    }
    return rc;
  }
  for (size_t i = 0; i < b->datagram->nnumbers; i++) {
    int rc = add_one_step(b, b->datagram->numbers[i], b->datagram->times[i], flow, before);
    if (rc < 0) {
      return rc;
    }
  }
  return 0;
}

/* The frames of the capture the frame at hand stands for: a datagram's pieces. */
static uint64_t frames_of(const bn_rp_sorter *b)
{
  return b->datagram != NULL ? b->datagram->nnumbers : 1;
}

/* One of the captured board's frames in flow fl. */
/* Room in fl's stream for need bytes (and in its map of unknown bytes). */
static int grow_stream(bn_rp_flow *fl, size_t need)
{
  size_t cap = fl->stream_cap ? fl->stream_cap * 2 : 4096;
  while (cap < need) {
    cap *= 2;
  }
  uint8_t *ns = realloc(fl->stream, cap);
  if (ns == NULL) {
    return -ENOMEM;
  }
  fl->stream = ns;
  if (fl->stream_unknown != NULL) {
    uint8_t *nu = realloc(fl->stream_unknown, cap / 8);
    if (nu == NULL) {
      return -ENOMEM;
    }
    memset(nu + fl->stream_cap / 8, 0, (cap - fl->stream_cap) / 8);
    fl->stream_unknown = nu;
  }
  fl->stream_cap = cap;
  return 0;
}

/* Stream byte off (< stream_cap) is not the capture's. */
static int mark_unknown(bn_rp_flow *fl, size_t off)
{
  if (fl->stream_unknown == NULL && (fl->stream_unknown = calloc(fl->stream_cap / 8, 1)) == NULL) {
    return -ENOMEM;
  }
  fl->stream_unknown[off / 8] |= (uint8_t)(1u << (off % 8));
  return 0;
}

bool bn_rp_flow_byte_unknown(const bn_rp_flow *f, size_t off)
{
  return f->stream_unknown != NULL && off < f->stream_cap && (f->stream_unknown[off / 8] >> (off % 8)) & 1;
}

/* The bytes of f's payload the capture kept (all but the snaplen's cut). */
static size_t captured_payload(const bn_pcap_frame *pf, const bn_rp_frame *f)
{
  size_t start = (size_t)(bn_rp_payload(f) - f->eth), kept = pf->len - pf->cut;
  size_t known = kept > start ? kept - start : 0;
  return known < f->payload_len ? known : f->payload_len;
}

static int board_frame(bn_rp_sorter *b, bn_rp_flow *fl, const bn_pcap_frame *pf, const bn_rp_frame *f)
{
  fl->board_frames++;
  b->plan->board_frames += frames_of(b);
  bn_rp_board_frame bf = { .number = pf->number, .len = (uint16_t)(fl->kind == BN_RP_FLOW_TCP ? f->payload_len : pf->len),
                           .icmp_error = fl->kind == BN_RP_FLOW_UDP && f->proto == BN_RP_PROTO_ICMP };
  if (fl->kind == BN_RP_FLOW_TCP) {
    uint8_t flags = bn_rp_tcp_flags(f);
    uint32_t rel = bn_rp_tcp_seq(f) - fl->board_isn;
    uint32_t end = rel + bn_rp_tcp_seq_len(f);
    bf.rel_seq = rel;
    if ((flags & BN_RP_TCP_ACK) && fl->peer_isn_known) {
      bf.ack_rel = bn_rp_tcp_ack(f) - fl->peer_isn;
      if (!fl->board_acked || (int32_t)(bf.ack_rel - fl->board_acked_rel) > 0) {
        fl->board_acked_rel = bf.ack_rel;
        fl->board_acked = true;
      }
    }
    bf.window = bn_rp_get16(f->eth + f->l4 + 14);
    bf.flags = flags;
    if (flags & BN_RP_TCP_SYN) {
      int ws;
      bn_rp_tcp_syn_options(f, &bf.mss, &ws);
      bf.wscale = ws >= 0;
      fl->board_ws = (int8_t)ws;
      fl->board_mss = bf.mss;
    }
    if (flags & BN_RP_TCP_RST) {
      fl->board_resets++;
    }
    if (bn_rp_tcp_seq_len(f) > 0 && (int32_t)(end - fl->board_rel_end) <= 0 && fl->board_rel_end != 0) {
      fl->board_retrans++;
      bf.retrans = true;
    } else if ((int32_t)(end - fl->board_rel_end) > 0) {
      fl->board_rel_end = end;
    }
    fl->board_bytes += f->payload_len;
    /* The byte stream: payload at rel - 1 (the SYN takes sequence number 0). */
    if (f->payload_len > 0 && !fl->stream_gap && !fl->stream_dropped) {
      size_t at = (size_t)(rel - 1);
      if (at > fl->stream_len) {
        fl->stream_gap = true; /* a segment the capture missed */
      } else if (at + f->payload_len > fl->stream_len) {
        size_t skip = fl->stream_len - at, add = f->payload_len - skip;
        if (b->streams_total + add > BN_RP_STREAMS_MAX) {
          fl->stream_dropped = true;
        } else {
          if (fl->stream_len + add > fl->stream_cap && grow_stream(fl, fl->stream_len + add) < 0) {
            return -ENOMEM;
          }
          memcpy(fl->stream + fl->stream_len, bn_rp_payload(f) + skip, add);
          /* The payload's bytes past the snaplen: zeros here, not compared. */
          size_t known = captured_payload(pf, f);
          for (size_t i = known > skip ? known : skip; i < f->payload_len; i++) {
            if (mark_unknown(fl, at + i) < 0) {
              return -ENOMEM;
            }
          }
          fl->stream_len += add;
          b->streams_total += add;
        }
      }
    }
  } else {
    fl->board_bytes += pf->len;
  }
  void *grown = bn_rp_room_for_one(fl->bframes, fl->nbframes, &fl->cap_bframes, sizeof(*fl->bframes), 16);
  if (grown == NULL) {
    return -ENOMEM;
  }
  fl->bframes = grown;
  fl->bframes[fl->nbframes++] = bf;
  b->dep_flow = (uint32_t)(fl - b->plan->flows);
  b->dep_before = fl->kind == BN_RP_FLOW_TCP ? fl->board_rel_end : (uint32_t)fl->board_frames;
  return 0;
}

/* One of the peers' frames in flow fl: a step to inject. */
static int peer_frame(bn_rp_sorter *b, bn_rp_flow *fl, uint32_t index, const bn_pcap_frame *pf, const bn_rp_frame *f)
{
  fl->peer_frames++;
  uint32_t before = fl->kind == BN_RP_FLOW_TCP ? fl->board_rel_end : (uint32_t)fl->board_frames;
  if (fl->kind == BN_RP_FLOW_TCP) {
    uint8_t flags = bn_rp_tcp_flags(f);
    fl->peer_bytes += f->payload_len;
    if (flags & BN_RP_TCP_RST) {
      fl->peer_resets++;
    }
    if (fl->peer_isn_known) {
      uint32_t end = bn_rp_tcp_seq(f) + bn_rp_tcp_seq_len(f) - fl->peer_isn;
      if ((int32_t)(end - fl->peer_rel_end) > 0) {
        fl->peer_rel_end = end;
      }
    }
    fl->peer_fin |= (flags & BN_RP_TCP_FIN) != 0;
    if ((flags & BN_RP_TCP_ACK) && fl->board_isn_known) {
      uint32_t acked = bn_rp_tcp_ack(f) - fl->board_isn;
      if ((int32_t)(acked - fl->peer_acked_rel) > 0) {
        fl->peer_acked_rel = acked;
      }
    }
  } else {
    fl->peer_bytes += pf->len;
  }
  return add_step(b, pf, index, before);
}

/* The flow of a frame between the board and peer_ip; TCP SYNs start flows. */
static int tcp_flow(bn_rp_sorter *b, const bn_pcap_frame *pf, const bn_rp_frame *f, bool from_board, uint32_t peer_ip,
                    uint16_t peer_port, uint16_t board_port, uint32_t *index, int *skip)
{
  uint8_t flags = bn_rp_tcp_flags(f);
  bool found = bn_rp_flowmap_get(&b->flow_of, BN_RP_FLOW_TCP, peer_ip, peer_port, board_port, index);
  /* A SYN with another initial sequence number than the flow's: the same
   * ports used again, a new connection. */
  if (found && (flags & BN_RP_TCP_SYN)) {
    const bn_rp_flow *old = &b->plan->flows[*index];
    bool known = from_board ? old->board_isn_known : old->peer_isn_known;
    uint32_t isn = from_board ? old->board_isn : old->peer_isn;
    found = !(known && isn != bn_rp_tcp_seq(f));
  }
  if (!found) {
    int rc = new_flow(b, BN_RP_FLOW_TCP, peer_ip, peer_port, board_port, pf->number, index);
    if (rc < 0) {
      return rc;
    }
  }
  bn_rp_flow *fl = &b->plan->flows[*index];
  if (!fl->has_syn && !(flags & BN_RP_TCP_SYN)) {
    *skip = BN_SKIP_NO_SYN; /* it began before the capture */
    return 0;
  }
  if (flags & BN_RP_TCP_SYN) {
    fl->has_syn = true;
    if (from_board) {
      fl->board_isn = bn_rp_tcp_seq(f);
      fl->board_isn_known = true;
      fl->board_opened = !(flags & BN_RP_TCP_ACK);
    } else {
      fl->peer_isn = bn_rp_tcp_seq(f);
      fl->peer_isn_known = true;
      bn_rp_plan *p = b->plan;
      bool opens = !(flags & BN_RP_TCP_ACK) && peer_port >= 1024; /* the peer's SYN, from a client port */
      if (opens && (p->peer_port_min == 0 || peer_port < p->peer_port_min)) {
        p->peer_port_min = peer_port;
      }
      if (opens && peer_port > p->peer_port_max) {
        p->peer_port_max = peer_port;
      }
      uint16_t mss;
      int ws;
      bn_rp_tcp_syn_options(f, &mss, &ws);
      fl->peer_ws = (int8_t)ws;
    }
  }
  return 0;
}

/* Whether a frame (data[0..len): its Ethernet form as far as it could be
 * read) was sent by the board or to it, unicast; true when its addresses
 * cannot be read (it may have been). */
static bool concerns_board(const bn_rp_plan *p, const uint8_t *data, size_t len, bool macs_synthesised)
{
  if (len < BN_RP_ETH_HLEN) {
    return true;
  }
  bool by_mac = p->board_mac_known && !macs_synthesised;
  bool mac_is_board = by_mac && (memcmp(data, p->board_mac, 6) == 0 || memcmp(data + 6, p->board_mac, 6) == 0);
  switch (bn_rp_get16(data + 12)) {
  case BN_RP_ETHERTYPE_IPV4:
    if (len < BN_RP_ETH_HLEN + 20) {
      return true;
    }
    return bn_rp_get32(data + BN_RP_ETH_HLEN + 12) == p->board_ip || bn_rp_get32(data + BN_RP_ETH_HLEN + 16) == p->board_ip;
  case BN_RP_ETHERTYPE_ARP:
    if (len < BN_RP_ETH_HLEN + 28) {
      return true;
    }
    return bn_rp_get32(data + BN_RP_ETH_HLEN + 14) == p->board_ip || bn_rp_get32(data + BN_RP_ETH_HLEN + 24) == p->board_ip;
  default: /* IPv6 and the rest: by the board's MAC, when the capture has one */
    return by_mac ? mac_is_board : bn_rp_get16(data + 12) == BN_RP_ETHERTYPE_IPV6;
  }
}

/* Counts a frame left out, and whether the board lost it (skipped_board). */
void bn_rp_plan_skip(bn_rp_plan *p, const bn_pcap_frame *pf, const uint8_t *data, size_t len, int reason)
{
  p->skipped[reason]++;
  bool chosen = reason == BN_SKIP_FILTERED || reason == BN_SKIP_BEFORE_START || reason == BN_SKIP_OTHER_VLAN ||
                reason == BN_SKIP_NOT_BOARD || reason == BN_SKIP_EMPTY;
  if (!chosen && concerns_board(p, data, len, pf->macs_synthesised)) {
    p->skipped_board[reason]++;
  }
}

/* Sorts one parsed frame (or a datagram put together) into the plan. */
static int classify_parsed(bn_rp_sorter *b, const bn_pcap_frame *pf, uint8_t *data, bn_rp_frame f)
{
  bn_rp_plan *p = b->plan;
  int skip = -1;
  const uint8_t *src_mac = data + 6, *dst_mac = data;
  bool mac_is_board = p->board_mac_known && !pf->macs_synthesised && memcmp(src_mac, p->board_mac, 6) == 0;
  bool from_board, to_board;
  uint32_t peer_ip;
  if (f.arp) {
    const uint8_t *a = data + f.arp;
    uint32_t sender = bn_rp_get32(a + 14), target = bn_rp_get32(a + 24);
    from_board = sender == p->board_ip || mac_is_board;
    to_board = target == p->board_ip;
    peer_ip = from_board ? target : sender;
  } else {
    uint32_t src = bn_rp_ip_src(&f), dst = bn_rp_ip_dst(&f);
    from_board = src == p->board_ip || mac_is_board;
    to_board = dst == p->board_ip || bn_rp_ip_is_group(dst) || (!pf->macs_synthesised && (dst_mac[0] & 1));
    peer_ip = from_board ? dst : src;
  }
  if (!from_board && !to_board) {
    p->skipped[BN_SKIP_NOT_BOARD] += frames_of(b);
    return 0;
  }
  uint32_t index;
  int rc;
  if (f.arp) {
    rc = bn_rp_flowmap_get(&b->flow_of, BN_RP_FLOW_ARP, 0, 0, 0, &index)
           ? 0 : new_flow(b, BN_RP_FLOW_ARP, 0, 0, 0, pf->number, &index);
  } else if (f.proto == BN_RP_PROTO_UDP && ((bn_rp_sport(&f) == 68 && bn_rp_dport(&f) == 67) ||
                                         (bn_rp_sport(&f) == 67 && bn_rp_dport(&f) == 68))) {
    if (p->board_mac_known && !bn_rp_dhcp_chaddr_is(&f, p->board_mac)) {
      p->skipped[BN_SKIP_NOT_BOARD] += frames_of(b); /* another client's DHCP */
      return 0;
    }
    rc = bn_rp_flowmap_get(&b->flow_of, BN_RP_FLOW_DHCP, 0, 0, 0, &index)
           ? 0 : new_flow(b, BN_RP_FLOW_DHCP, 0, 0, 0, pf->number, &index);
    if (rc == 0 && !from_board && !p->lease_known && bn_rp_dhcp_ack_yiaddr(&f) == p->board_ip) {
      p->lease_known = true;
      p->lease_step = p->nsteps; /* the step about to be added */
      b->lease_number = pf->number;
    }
  } else if (f.proto == BN_RP_PROTO_TCP) {
    uint16_t peer_port = from_board ? bn_rp_dport(&f) : bn_rp_sport(&f);
    uint16_t board_port = from_board ? bn_rp_sport(&f) : bn_rp_dport(&f);
    rc = tcp_flow(b, pf, &f, from_board, peer_ip, peer_port, board_port, &index, &skip);
    if (rc == 0 && skip >= 0) {
      for (uint64_t k = 0; k < frames_of(b); k++) {
        bn_rp_plan_skip(p, pf, data, pf->len, skip);
      }
      return 0;
    }
  } else if (from_board && bn_rp_flowmap_icmp_error(&b->flow_of, &f, b->plan->board_ip, &index)) {
    rc = 0; /* the board's ICMP error belongs to the UDP flow that caused it */
  } else {
    bn_rp_flow_kind kind = f.proto == BN_RP_PROTO_UDP ? BN_RP_FLOW_UDP : f.proto == BN_RP_PROTO_ICMP ? BN_RP_FLOW_ICMP : BN_RP_FLOW_IP;
    uint16_t peer_port = kind == BN_RP_FLOW_UDP ? (from_board ? bn_rp_dport(&f) : bn_rp_sport(&f)) : f.proto;
    uint16_t board_port = kind == BN_RP_FLOW_UDP ? (from_board ? bn_rp_sport(&f) : bn_rp_dport(&f)) : 0;
    rc = bn_rp_flowmap_get(&b->flow_of, kind, peer_ip, peer_port, board_port, &index) ? 0 : new_flow(b, kind, peer_ip, peer_port, board_port, pf->number, &index);
  }
  if (rc < 0) {
    return rc;
  }
  p->frames_used += frames_of(b);
  bn_rp_flow *fl = &p->flows[index];
  fl->cut_frames += pf->cut > 0;
  fl->cut_bytes += pf->cut;
  if (fl->board_frames + fl->peer_frames == 0) {
    fl->board_first = from_board;
  }
  return from_board ? board_frame(b, fl, pf, &f) : peer_frame(b, fl, index, pf, &f);
}

/* A fragment of a UDP or ICMP datagram: once its last piece is in, the
 * datagram is sorted in whole (the board's: compared as one; a peer's: its
 * fragments injected as captured). TCP is never fragmented by a sane peer:
 * its fragments are left out (the verdict says so). */
static int fragment(bn_rp_sorter *b, const bn_pcap_frame *pf, uint8_t *data, const bn_rp_frame *f)
{
  if (f->proto != BN_RP_PROTO_UDP && f->proto != BN_RP_PROTO_ICMP) {
    bn_rp_plan_skip(b->plan, pf, data, pf->len, BN_SKIP_FRAGMENT);
    return 0;
  }
  bn_rp_datagram *d;
  int rc = bn_rp_reassembly_add(&b->frags, f, pf->number, pf->ts_ns, &d);
  if (rc <= 0) {
    return rc;
  }
  bn_rp_reassembly_take(&b->frags, d);
  bn_pcap_frame whole = *pf;
  whole.len = bn_rp_datagram_frame(d, b->whole, BN_PCAP_FRAME_MAX);
  whole.data = b->whole;
  bn_rp_frame wf;
  if (whole.len == 0 || bn_rp_parse(b->whole, whole.len, &wf) >= 0) {
    for (size_t i = 0; i < d->nnumbers; i++) {
      bn_rp_plan_skip(b->plan, pf, data, pf->len, BN_SKIP_FRAGMENT); /* pieces that lie about their lengths */
    }
    bn_rp_datagram_free(d);
    return 0;
  }
  b->datagram = d;
  rc = classify_parsed(b, &whole, b->whole, wf);
  b->datagram = NULL;
  bn_rp_datagram_free(d);
  return rc;
}

/* Whether a frame the snaplen cut short can go on with zeros for the rest:
 * its headers whole, and it is none whose payload the replay reads (ARP,
 * DHCP) or puts together (a fragment). */
static bool cut_in_payload(const bn_pcap_frame *pf, const bn_rp_frame *f)
{
  if (f->arp || f->fragment || f->l4 == 0) {
    return false;
  }
  bool dhcp = f->proto == BN_RP_PROTO_UDP && (bn_rp_sport(f) == 67 || bn_rp_sport(f) == 68);
  return !dhcp && pf->len - pf->cut >= f->l4 + f->l4_hlen;
}

int bn_rp_sorter_frame(bn_rp_sorter *b, const bn_pcap_frame *pf, uint8_t *data)
{
  bn_rp_frame f;
  int skip = bn_rp_parse(data, pf->len, &f);
  if (skip < 0 && pf->cut > 0 && !cut_in_payload(pf, &f)) {
    skip = BN_SKIP_CUT;
  }
  if (skip >= 0) {
    bn_rp_plan_skip(b->plan, pf, data, pf->len - pf->cut, skip); /* whose it is: from the bytes captured */
    return 0;
  }
  return f.fragment ? fragment(b, pf, data, &f) : classify_parsed(b, pf, data, f);
}

/* The pieces of datagrams that never came whole: left out, counted. */
static void incomplete_datagrams(bn_rp_sorter *b)
{
  bn_rp_plan *p = b->plan;
  for (size_t i = 0; i < b->frags.n; i++) {
    const bn_rp_datagram *d = b->frags.d[i];
    p->skipped[BN_SKIP_FRAGMENT] += d->nnumbers;
    if (d->src == p->board_ip || d->dst == p->board_ip) {
      p->skipped_board[BN_SKIP_FRAGMENT] += d->nnumbers;
    }
  }
  bn_rp_reassembly_free(&b->frags);
}

static int by_number(const void *a, const void *b)
{
  uint64_t x = ((const bn_rp_step *)a)->number, y = ((const bn_rp_step *)b)->number;
  return x < y ? -1 : x > y;
}

/* The steps in the capture's order (a datagram's came in at its last piece). */
static void sort_steps(bn_rp_sorter *b)
{
  bn_rp_plan *p = b->plan;
  if (!b->steps_unsorted) {
    return;
  }
  qsort(p->steps, p->nsteps, sizeof(*p->steps), by_number);
  for (size_t i = 0; p->lease_known && i < p->nsteps; i++) {
    if (p->steps[i].number == b->lease_number) {
      p->lease_step = i;
    }
  }
}

bn_rp_sorter *bn_rp_sorter_new(bn_rp_plan *plan)
{
  bn_rp_sorter *b = calloc(1, sizeof(*b));
  if (b == NULL || (b->whole = malloc(BN_PCAP_FRAME_MAX)) == NULL) {
    free(b);
    return NULL;
  }
  b->plan = plan;
  b->dep_flow = BN_RP_NO_FLOW;
  return b;
}

void bn_rp_sorter_end(bn_rp_sorter *b)
{
  if (b == NULL) {
    return;
  }
  incomplete_datagrams(b);
  sort_steps(b);
  free(b->whole);
  bn_rp_flowmap_free(&b->flow_of);
  free(b);
}
