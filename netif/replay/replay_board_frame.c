/*
 * A frame the live board sent, taken by the replay (replay_board_frame.h):
 * its flow found (a connection the live board opens is bound to its
 * captured flow by its SYN), its ISN, ports and DHCP xid learnt, its ARP
 * requests for peers answered with their captured MACs, its ACKs passed to
 * the peer's TCP (replay_peer_tcp.c) and what it sent to the comparison
 * (replay_compare.c).
 */
#include "replay_board_frame.h"

#include <stdlib.h>
#include <string.h>

#include "bn_link.h"
#include "replay_compare.h"
#include "replay_headers.h"
#include "replay_peer_tcp.h"
#include "replay_reassembly.h"

/* An ARP reply from peer ip (its captured MAC) to the live board. */
static size_t arp_reply(const bn_rp_live *l, const uint8_t *req, uint8_t *out)
{
  uint32_t target = bn_rp_get32(req + BN_RP_ETH_HLEN + 24);
  const uint8_t *mac = bn_rp_plan_host_mac(l->plan, target);
  uint8_t synth[6] = { 0x02, 0x00, (uint8_t)(target >> 24), (uint8_t)(target >> 16), (uint8_t)(target >> 8),
                       (uint8_t)target };
  if (mac == NULL) {
    mac = synth; /* a raw-IP capture: the same MAC its frames were given */
  }
  memcpy(out, req + 6, 6);
  memcpy(out + 6, mac, 6);
  bn_rp_put16(out + 12, BN_RP_ETHERTYPE_ARP);
  uint8_t *a = out + BN_RP_ETH_HLEN;
  bn_rp_put16(a, 1);
  bn_rp_put16(a + 2, 0x0800);
  a[4] = 6;
  a[5] = 4;
  bn_rp_put16(a + 6, 2); /* reply */
  memcpy(a + 8, mac, 6);
  bn_rp_put32(a + 14, target);
  memcpy(a + 18, req + BN_RP_ETH_HLEN + 8, 6);
  memcpy(a + 24, req + BN_RP_ETH_HLEN + 14, 4);
  return BN_RP_ETH_HLEN + 28;
}

/* The flow of a frame the live board sent; binds a connection it opens. */
static bool find_flow(bn_rp_live *l, const bn_rp_frame *pf, uint32_t *index)
{
  const bn_rp_plan *p = l->plan;
  bn_rp_flow_kind kind;
  uint16_t peer_port = 0, board_port = 0;
  uint32_t peer = bn_rp_ip_dst(pf);
  if (pf->arp) {
    kind = BN_RP_FLOW_ARP;
    peer = 0;
  } else if (pf->proto == BN_RP_PROTO_UDP && bn_rp_sport(pf) == 68 && bn_rp_dport(pf) == 67) {
    kind = BN_RP_FLOW_DHCP;
    peer = 0;
  } else if (pf->proto == BN_RP_PROTO_TCP || pf->proto == BN_RP_PROTO_UDP) {
    kind = pf->proto == BN_RP_PROTO_TCP ? BN_RP_FLOW_TCP : BN_RP_FLOW_UDP;
    peer_port = bn_rp_dport(pf);
    board_port = bn_rp_sport(pf);
  } else if (bn_rp_flowmap_icmp_error(&l->by_live, pf, l->live_ip, index)) {
    return true; /* an ICMP error about a peer's datagram: that flow's */
  } else {
    kind = pf->proto == BN_RP_PROTO_ICMP ? BN_RP_FLOW_ICMP : BN_RP_FLOW_IP;
    peer_port = pf->proto;
  }
  if (bn_rp_flowmap_get(&l->by_live, kind, peer, peer_port, board_port, index)) {
    return true;
  }
  bool opens = kind == BN_RP_FLOW_UDP || (bn_rp_tcp_flags(pf) & (BN_RP_TCP_SYN | BN_RP_TCP_ACK)) == BN_RP_TCP_SYN;
  if (!opens) {
    return false;
  }
  /* The first unbound flow the captured board opened to this peer endpoint. */
  for (size_t i = 0; i < p->nflows; i++) {
    const bn_rp_flow *f = &p->flows[i];
    if (f->kind == kind && f->peer_ip == peer && f->peer_port == peer_port && !l->flows[i].bound) {
      l->flows[i].bound = true;
      l->flows[i].live_board_port = board_port;
      *index = (uint32_t)i;
      return bn_rp_flowmap_put(&l->by_live, kind, peer, peer_port, board_port, (uint32_t)i) == 0;
    }
  }
  return false;
}

static size_t tcp_frame(bn_rp_live *l, uint32_t index, const bn_rp_frame *pf, uint8_t *reply)
{
  const bn_rp_flow *f = &l->plan->flows[index];
  bn_rp_live_flow *lf = &l->flows[index];
  uint8_t flags = bn_rp_tcp_flags(pf);
  bool syn_again = (flags & BN_RP_TCP_SYN) && lf->isn_known && bn_rp_tcp_seq(pf) == lf->live_isn;
  if ((flags & BN_RP_TCP_SYN) && !syn_again) {
    lf->live_isn = bn_rp_tcp_seq(pf);
    lf->isn_known = true;
    lf->live_rel_next = 0;
    uint16_t mss;
    int ws;
    bn_rp_tcp_syn_options(pf, &mss, &ws);
    lf->live_ws = (int8_t)ws;
  }
  if (!lf->isn_known) {
    if ((flags & BN_RP_TCP_RST) && lf->started) {
      /* It refused the peer's SYN: where the captured board answered it. */
      lf->resets++;
      bn_rp_compare_flags(f, lf, flags, 0, pf);
      bn_rp_live_free_pieces(lf, lf->nunacked); /* the SYN is not sent again */
    }
    return 0; /* not this connection's yet (an old one's ACK on its ports) */
  }
  bn_rp_peer_tcp_board_ack(f, lf, pf);
  if (syn_again) {
    bn_rp_peer_tcp_board_syn_again(lf);
  }
  uint32_t rel = bn_rp_tcp_seq(pf) - lf->live_isn, len = bn_rp_tcp_seq_len(pf);
  uint32_t end = rel + len;
  bool again = syn_again || (len > 0 && (int32_t)(end - lf->live_rel_end) <= 0 && !(flags & BN_RP_TCP_SYN));
  /* In order: it carries what the peer has not had yet and starts where the
   * peer's stream ends (a segment past a hole, one lost on the way, waits
   * for the board to send it again from the hole, as a peer without an
   * out-of-order queue would). */
  bool in_order = len > 0 && (int32_t)(rel - lf->live_rel_next) <= 0 && (int32_t)(end - lf->live_rel_next) > 0;
  if (again) {
    lf->retrans++;
  } else if ((int32_t)(end - lf->live_rel_end) > 0) {
    lf->live_rel_end = end;
  }
  if (in_order) {
    lf->live_rel_next = end;
  }
  if (flags & BN_RP_TCP_RST) {
    lf->resets++;
    bn_rp_live_free_pieces(lf, lf->nunacked); /* the connection is gone: the peer sends nothing again */
  }
  lf->bytes += pf->payload_len;
  if (pf->payload_len > lf->max_seg) {
    lf->max_seg = (uint16_t)pf->payload_len;
  }
  /* Compared once each, in the stream's order: a segment with sequence
   * space when it comes in order (a retransmission that fills a hole too),
   * a bare RST or ACK when it is new. */
  if (len > 0 ? in_order : !again) {
    if (flags & (BN_RP_TCP_SYN | BN_RP_TCP_FIN | BN_RP_TCP_RST)) {
      /* The FIN's own place is after the payload of its segment. */
      bn_rp_compare_flags(f, lf, flags, (flags & BN_RP_TCP_FIN) ? rel + (uint32_t)pf->payload_len : rel, pf);
    }
    if (pf->payload_len > 0) {
      bn_rp_compare_stream(f, lf, rel, bn_rp_payload(pf), pf->payload_len);
    }
  }
  return bn_rp_peer_tcp_answer(f, lf, len, again, reply);
}

/* ICMP/UDP/IP: counted, and compared frame by frame. */
static void other_frame(bn_rp_live *l, uint32_t index, const bn_rp_frame *pf)
{
  l->flows[index].bytes += pf->len;
  bn_rp_compare_other(&l->plan->flows[index], &l->flows[index], pf);
}

static size_t parsed_frame(bn_rp_live *l, uint8_t *copy, bn_rp_frame pf, uint64_t now, uint8_t *reply);

/* A fragment of the live board's: its datagram, once whole, goes on as one
 * frame (compared as the captured board's, put together the same way). */
static size_t fragment(bn_rp_live *l, const bn_rp_frame *pf, uint64_t now, uint8_t *reply)
{
  bn_rp_datagram *d;
  if (bn_rp_reassembly_add(&l->frags, pf, l->board_frames, now, &d) <= 0) {
    return 0; /* more to come (or no memory: the datagram stays unmatched) */
  }
  bn_rp_reassembly_take(&l->frags, d);
  uint8_t *whole = malloc(BN_RP_ETH_HLEN + 65535);
  size_t len = whole != NULL ? bn_rp_datagram_frame(d, whole, BN_RP_ETH_HLEN + 65535) : 0;
  bn_rp_datagram_free(d);
  bn_rp_frame wf;
  size_t out = 0;
  if (len == 0 || bn_rp_parse(whole, len, &wf) >= 0) {
    l->unmatched++;
  } else {
    out = parsed_frame(l, whole, wf, now, reply);
  }
  free(whole);
  return out;
}

size_t bn_rp_live_board_frame(bn_rp_live *l, const uint8_t *frame, size_t len, uint64_t now, uint8_t *reply)
{
  l->board_frames++;
  uint8_t copy[BN_LINK_MAX_FRAME];
  if (len > sizeof(copy)) {
    l->unmatched++;
    return 0;
  }
  memcpy(copy, frame, len);
  bn_rp_frame pf;
  if (bn_rp_parse(copy, len, &pf) >= 0) {
    l->unmatched++;
    return 0;
  }
  if (pf.fragment) {
    return fragment(l, &pf, now, reply);
  }
  return parsed_frame(l, copy, pf, now, reply);
}

/* A whole frame of the live board's, parsed. */
static size_t parsed_frame(bn_rp_live *l, uint8_t *copy, bn_rp_frame pf, uint64_t now, uint8_t *reply)
{
  size_t out = 0;
  if (pf.arp && bn_rp_get16(copy + pf.arp + 6) == 1 && bn_rp_get32(copy + pf.arp + 24) != l->live_ip) {
    out = arp_reply(l, copy, reply);
    l->arp_answers++;
  }
  uint32_t index;
  if (!find_flow(l, &pf, &index)) {
    l->unmatched++;
    return out;
  }
  bn_rp_live_flow *lf = &l->flows[index];
  lf->frames++;
  lf->last_ns = now;
  if (lf->abandoned && !lf->window_shut && !lf->came_late && lf->gave_up_number > 0) {
    lf->came_late = true; /* what the replay gave up waiting for (its report says how late) */
    lf->late_ns = now > lf->gave_up_ns ? now - lf->gave_up_ns : 0;
  }
  const bn_rp_flow *f = &l->plan->flows[index];
  if (f->kind == BN_RP_FLOW_TCP) {
    return tcp_frame(l, index, &pf, reply);
  }
  if (f->kind == BN_RP_FLOW_DHCP && pf.payload_len >= BN_RP_BOOTP_CHADDR + 6) {
    lf->dhcp_xid = bn_rp_get32(bn_rp_payload(&pf) + BN_RP_BOOTP_XID);
    lf->dhcp_xid_known = true;
  }
  other_frame(l, index, &pf);
  return out;
}
