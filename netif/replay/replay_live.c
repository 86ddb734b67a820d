/*
 * The live side of a replay (replay_live.h): binding the capture's flows to
 * the live board's connections (by port, and by its SYNs for connections it
 * opens), and taking each frame the live board sends: learning its ISNs and
 * ports, answering its ARP requests for peers, passing its ACKs to the peer
 * side (replay_inject.c) and what it sent to the comparison
 * (replay_compare.c).
 */
#include "replay_live_impl.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>

uint16_t rp_live_peer_port(const rp_live *l, const rp_flow *f)
{
  unsigned pass = __atomic_load_n(&l->pass, __ATOMIC_RELAXED);
  if (pass == 0 || f->kind != RP_FLOW_TCP || f->board_opened || f->peer_port < 1024) {
    return f->peer_port;
  }
  /* Past every port the capture's peers used: a port of the pass before
   * may be in the board's TIME_WAIT still. */
  uint32_t span = (uint32_t)l->plan->peer_port_max - l->plan->peer_port_min + 1;
  return (uint16_t)(1024 + ((uint32_t)f->peer_port - 1024 + pass * span) % (65536 - 1024));
}

int rp_live_map(rp_live *l, const rp_flow *f, uint16_t board_port, uint32_t index, bool replace)
{
  bool ported = f->kind == RP_FLOW_TCP || f->kind == RP_FLOW_UDP;
  bool single = f->kind == RP_FLOW_ARP || f->kind == RP_FLOW_DHCP;
  uint32_t ip = single ? 0 : f->peer_ip, first;
  uint16_t peer_port = single ? 0 : rp_live_peer_port(l, f), port = ported ? board_port : 0;
  if (!replace && rp_flowmap_get(&l->by_live, f->kind, ip, peer_port, port, &first)) {
    return 0;
  }
  return rp_flowmap_put(&l->by_live, f->kind, ip, peer_port, port, index);
}

int rp_live_init(rp_live *l, const rp_plan *plan, uint32_t live_ip, const uint8_t live_mac[6])
{
  return rp_live_init_pass(l, plan, live_ip, live_mac, 0);
}

int rp_live_init_pass(rp_live *l, const rp_plan *plan, uint32_t live_ip, const uint8_t live_mac[6], unsigned pass)
{
  memset(l, 0, offsetof(rp_live, head));
  __atomic_store_n(&l->head, 0, __ATOMIC_RELAXED);
  __atomic_store_n(&l->done, 0, __ATOMIC_RELAXED);
  __atomic_store_n(&l->pass, pass, __ATOMIC_RELEASE); /* after head: a reader of the new pass sees head 0 */
  l->plan = plan;
  l->live_ip = live_ip;
  memcpy(l->live_mac, live_mac, 6);
  l->flows = calloc(plan->nflows ? plan->nflows : 1, sizeof(*l->flows));
  if (l->flows == NULL) {
    return -ENOMEM;
  }
  for (size_t i = 0; i < plan->nsteps; i++) {
    l->flows[plan->steps[i].flow].steps_left++;
  }
  for (size_t i = 0; i < plan->nflows; i++) {
    const rp_flow *f = &plan->flows[i];
    rp_live_flow *lf = &l->flows[i];
    lf->live_ws = -1;
    if (pass > 0 && (f->kind == RP_FLOW_DHCP || f->kind == RP_FLOW_ARP)) {
      lf->not_compared = true;
      lf->abandoned = f->kind == RP_FLOW_DHCP;
    }
    /* A connection the board opened gets its live port from the live SYN;
     * every other flow keeps the capture's ports. */
    bool later = (f->kind == RP_FLOW_TCP && f->board_opened) ||
                 (f->kind == RP_FLOW_UDP && f->board_first && f->board_port >= 1024);
    if (!later) {
      lf->bound = true;
      lf->live_board_port = f->board_port;
      /* The capture's first flow with these addresses and ports; a later
       * connection on the same ports takes them over with its SYN. */
      if (rp_live_map(l, f, f->board_port, (uint32_t)i, false) < 0) {
        rp_live_free(l);
        return -ENOMEM;
      }
    }
  }
  return 0;
}

void rp_live_replace(rp_live *l, rp_live *fresh)
{
  rp_live_free(l);
  memcpy(l, fresh, offsetof(rp_live, head)); /* the atomics stay in place, for their readers */
  __atomic_store_n(&l->head, 0, __ATOMIC_RELAXED);
  __atomic_store_n(&l->done, 0, __ATOMIC_RELAXED);
  __atomic_store_n(&l->pass, fresh->pass, __ATOMIC_RELEASE);
}

void rp_live_free(rp_live *l)
{
  if (l->flows != NULL) {
    for (size_t i = 0; i < l->plan->nflows; i++) {
      rp_free_pieces(&l->flows[i], l->flows[i].nunacked);
      free(l->flows[i].unacked);
    }
  }
  rp_flowmap_free(&l->by_live);
  free(l->flows);
  l->flows = NULL;
}

/* An ARP reply from peer ip (its captured MAC) to the live board. */
static size_t arp_reply(const rp_live *l, const uint8_t *req, uint8_t *out)
{
  uint32_t target = rp_get32(req + ETH_HLEN + 24);
  const uint8_t *mac = rp_plan_host_mac(l->plan, target);
  uint8_t synth[6] = { 0x02, 0x00, (uint8_t)(target >> 24), (uint8_t)(target >> 16), (uint8_t)(target >> 8),
                       (uint8_t)target };
  if (mac == NULL) {
    mac = synth; /* a raw-IP capture: the same MAC its frames were given */
  }
  memcpy(out, req + 6, 6);
  memcpy(out + 6, mac, 6);
  rp_put16(out + 12, RP_ETHERTYPE_ARP);
  uint8_t *a = out + ETH_HLEN;
  rp_put16(a, 1);
  rp_put16(a + 2, 0x0800);
  a[4] = 6;
  a[5] = 4;
  rp_put16(a + 6, 2); /* reply */
  memcpy(a + 8, mac, 6);
  rp_put32(a + 14, target);
  memcpy(a + 18, req + ETH_HLEN + 8, 6);
  memcpy(a + 24, req + ETH_HLEN + 14, 4);
  return ETH_HLEN + 28;
}

/* The flow of a frame the live board sent; binds a connection it opens. */
static bool find_flow(rp_live *l, const rp_frame *pf, uint32_t *index)
{
  const rp_plan *p = l->plan;
  rp_flow_kind kind;
  uint16_t peer_port = 0, board_port = 0;
  uint32_t peer = rp_ip_dst(pf);
  if (pf->arp) {
    kind = RP_FLOW_ARP;
    peer = 0;
  } else if (pf->proto == RP_PROTO_UDP && rp_sport(pf) == 68 && rp_dport(pf) == 67) {
    kind = RP_FLOW_DHCP;
    peer = 0;
  } else if (pf->proto == RP_PROTO_TCP || pf->proto == RP_PROTO_UDP) {
    kind = pf->proto == RP_PROTO_TCP ? RP_FLOW_TCP : RP_FLOW_UDP;
    peer_port = rp_dport(pf);
    board_port = rp_sport(pf);
  } else {
    kind = pf->proto == RP_PROTO_ICMP ? RP_FLOW_ICMP : RP_FLOW_IP;
    peer_port = pf->proto;
  }
  if (rp_flowmap_get(&l->by_live, kind, peer, peer_port, board_port, index)) {
    return true;
  }
  bool opens = kind == RP_FLOW_UDP || (rp_tcp_flags(pf) & (RP_TCP_SYN | RP_TCP_ACK)) == RP_TCP_SYN;
  if (!opens) {
    return false;
  }
  /* The first unbound flow the captured board opened to this peer endpoint. */
  for (size_t i = 0; i < p->nflows; i++) {
    const rp_flow *f = &p->flows[i];
    if (f->kind == kind && f->peer_ip == peer && f->peer_port == peer_port && !l->flows[i].bound) {
      l->flows[i].bound = true;
      l->flows[i].live_board_port = board_port;
      *index = (uint32_t)i;
      return rp_flowmap_put(&l->by_live, kind, peer, peer_port, board_port, (uint32_t)i) == 0;
    }
  }
  return false;
}

static size_t tcp_frame(rp_live *l, uint32_t index, const rp_frame *pf, uint8_t *reply)
{
  const rp_flow *f = &l->plan->flows[index];
  rp_live_flow *lf = &l->flows[index];
  uint8_t flags = rp_tcp_flags(pf);
  bool syn_again = (flags & RP_TCP_SYN) && lf->isn_known && rp_tcp_seq(pf) == lf->live_isn;
  if ((flags & RP_TCP_SYN) && !syn_again) {
    lf->live_isn = rp_tcp_seq(pf);
    lf->isn_known = true;
    uint16_t mss;
    int ws;
    rp_tcp_syn_options(pf, &mss, &ws);
    lf->live_ws = (int8_t)ws;
  }
  if (!lf->isn_known) {
    return 0; /* not this connection's yet (an old one's ACK on its ports) */
  }
  rp_inject_board_ack(f, lf, pf);
  uint32_t rel = rp_tcp_seq(pf) - lf->live_isn, len = rp_tcp_seq_len(pf);
  uint32_t end = rel + len;
  bool again = syn_again || (len > 0 && (int32_t)(end - lf->live_rel_end) <= 0 && !(flags & RP_TCP_SYN));
  if (again) {
    lf->retrans++;
  } else if ((int32_t)(end - lf->live_rel_end) > 0) {
    lf->live_rel_end = end;
  }
  if (flags & RP_TCP_RST) {
    lf->resets++;
  }
  lf->bytes += pf->payload_len;
  if (pf->payload_len > lf->max_seg) {
    lf->max_seg = (uint16_t)pf->payload_len;
  }
  if (!again) {
    if (flags & (RP_TCP_SYN | RP_TCP_FIN | RP_TCP_RST)) {
      /* The FIN's own place is after the payload of its segment. */
      rp_compare_flags(f, lf, flags, (flags & RP_TCP_FIN) ? rel + (uint32_t)pf->payload_len : rel, pf);
    }
    if (pf->payload_len > 0) {
      rp_compare_stream(f, lf, rel, rp_payload(pf), pf->payload_len);
    }
  }
  return rp_inject_answer(f, lf, len, again, reply);
}

/* ICMP/UDP/IP: counted, and compared frame by frame. */
static void other_frame(rp_live *l, uint32_t index, const rp_frame *pf)
{
  l->flows[index].bytes += pf->len;
  rp_compare_other(&l->plan->flows[index], &l->flows[index], pf);
}

size_t rp_live_board_frame(rp_live *l, const uint8_t *frame, size_t len, uint64_t now, uint8_t *reply)
{
  l->board_frames++;
  uint8_t copy[BN_LINK_MAX_FRAME];
  if (len > sizeof(copy)) {
    l->unmatched++;
    return 0;
  }
  memcpy(copy, frame, len);
  rp_frame pf;
  if (rp_parse(copy, len, &pf) >= 0 || pf.fragment) {
    l->unmatched++;
    return 0;
  }
  size_t out = 0;
  if (pf.arp && rp_get16(copy + pf.arp + 6) == 1 && rp_get32(copy + pf.arp + 24) != l->live_ip) {
    out = arp_reply(l, copy, reply);
    l->arp_answers++;
  }
  uint32_t index;
  if (!find_flow(l, &pf, &index)) {
    l->unmatched++;
    return out;
  }
  rp_live_flow *lf = &l->flows[index];
  lf->frames++;
  lf->last_ns = now;
  const rp_flow *f = &l->plan->flows[index];
  if (f->kind == RP_FLOW_TCP) {
    return tcp_frame(l, index, &pf, reply);
  }
  if (f->kind == RP_FLOW_DHCP && pf.payload_len >= BOOTP_CHADDR + 6) {
    lf->dhcp_xid = rp_get32(rp_payload(&pf) + BOOTP_XID);
    lf->dhcp_xid_known = true;
  }
  other_frame(l, index, &pf);
  return out;
}
