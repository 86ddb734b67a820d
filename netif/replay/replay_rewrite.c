/*
 * A peer frame for the live board (replay_rewrite.h): whether it can go in
 * yet, and the frame rewritten -- its address and MAC, its ports, TCP ACK
 * numbers and SACK blocks shifted to the live ISN and never past what the
 * live board sent, the peer's window rescaled, DHCP to the live xid and
 * chaddr -- with peer data cut to the live board's window (the rest waits,
 * replay_peer_tcp.c keeps what went in until it is acknowledged).
 */
#include "replay_rewrite.h"

#include <string.h>

#include "bn_clock.h"
#include "bn_link.h"
#include "replay_headers.h"
#include "replay_peer_tcp.h"

typedef struct sack_shift {
  uint32_t delta, limit;   /* add delta; no further than limit */
} sack_shift;

/* Whether the live board sent, in flow index, what the captured board had
 * when its measure (TCP: sequence space; others: frames) was before. */
static bool sent_as_much(const bn_rp_live *l, uint32_t index, uint32_t before)
{
  const bn_rp_live_flow *lf = &l->flows[index];
  if (l->plan->flows[index].kind == BN_RP_FLOW_TCP) {
    return (int32_t)(lf->live_rel_end - before) >= 0;
  }
  return lf->frames >= before;
}

bool bn_rp_live_can_rewrite(const bn_rp_live *l, const bn_rp_step *s, const uint8_t *frame, size_t len, bool *progress)
{
  const bn_rp_flow *f = &l->plan->flows[s->flow];
  const bn_rp_live_flow *lf = &l->flows[s->flow];
  *progress = sent_as_much(l, s->flow, s->board_before) &&
              (s->dep_flow == BN_RP_NO_FLOW || s->dep_flow >= l->plan->nflows || sent_as_much(l, s->dep_flow, s->dep_before));
  if (f->kind == BN_RP_FLOW_DHCP) {
    return lf->dhcp_xid_known;
  }
  if (!lf->bound) {
    return false;
  }
  if (f->kind == BN_RP_FLOW_TCP) {
    bn_rp_frame pf;
    if (bn_rp_parse((uint8_t *)frame, len, &pf) < 0 && (bn_rp_tcp_flags(&pf) & BN_RP_TCP_ACK)) {
      if (!lf->isn_known) {
        return false; /* its ACK number needs the live board's ISN */
      }
      /* The peer's segments after its SYN-ACK wait for the live board's
       * first ACK, as a peer's TCP does: until it the handshake is not done
       * (its SYN-ACK may have been lost: the board, still in SYN-SENT,
       * would reset an ACK), and the board's window is unknown (data far
       * past it would be dropped). */
      if (f->has_syn && !(bn_rp_tcp_flags(&pf) & BN_RP_TCP_SYN) && !lf->board_ack_known) {
        return false;
      }
    }
  }
  return true;
}

static void shift_sack(void *arg, uint32_t *left, uint32_t *right)
{
  const sack_shift *sh = arg;
  *left = bn_rp_seq_min(*left + sh->delta, sh->limit);
  *right = bn_rp_seq_min(*right + sh->delta, sh->limit);
}

/* The peer's window for the live connection: in bytes as the capture meant
 * it (scaled if its two SYNs agreed on scaling), in the live connection's
 * units (scaled if the peer's SYN and the live board's agree). */
static uint16_t live_window(const bn_rp_flow *f, const bn_rp_live_flow *lf, uint16_t field)
{
  uint64_t bytes = (uint64_t)field << (f->peer_ws >= 0 && f->board_ws >= 0 ? f->peer_ws : 0);
  if (f->peer_ws >= 0 && lf->live_ws >= 0) {
    bytes >>= f->peer_ws;
  }
  return bytes > 0xffff ? 0xffff : (uint16_t)bytes;
}

static void rewrite_tcp(bn_rp_live *l, const bn_rp_flow *f, bn_rp_live_flow *lf, bn_rp_frame *pf)
{
  uint8_t *tcp = pf->eth + pf->l4;
  if (lf->live_board_port != f->board_port) {
    bn_rp_put16(tcp + 2, lf->live_board_port);
  }
  uint16_t peer_port = bn_rp_live_peer_port(l, f);
  if (peer_port != f->peer_port) {
    bn_rp_put16(tcp, peer_port); /* a later pass (--loop): a new connection */
  }
  uint8_t flags = bn_rp_tcp_flags(pf);
  if (!(flags & BN_RP_TCP_SYN)) {
    bn_rp_put16(tcp + 14, live_window(f, lf, bn_rp_get16(tcp + 14)));
  }
  if ((flags & BN_RP_TCP_ACK) && lf->isn_known) {
    uint32_t delta = lf->live_isn - f->board_isn;
    uint32_t sent = lf->live_isn + lf->live_rel_next; /* what the peer has of the live board's stream, in order */
    uint32_t ack = bn_rp_seq_min(bn_rp_tcp_ack(pf) + delta, sent);
    bn_rp_put32(tcp + 8, ack);
    uint32_t rel = ack - lf->live_isn;
    if ((int32_t)(rel - lf->acked_rel) > 0) {
      lf->acked_rel = rel;
    }
    sack_shift sh = { delta, sent };
    bn_rp_tcp_each_sack(pf, shift_sack, &sh);
  }
  lf->peer_next_seq = bn_rp_tcp_seq(pf) + bn_rp_tcp_seq_len(pf);
  if (pf->ip_hlen == 20) {
    memcpy(lf->tmpl, pf->eth, sizeof(lf->tmpl));
    lf->has_tmpl = true;
  }
}

/* A fragment for the live board: its destination; for the first piece of a
 * UDP datagram also the board's port, and the UDP checksum (it covers the
 * whole datagram) changed word by word. */
static void rewrite_fragment(const bn_rp_live *l, const bn_rp_flow *f, const bn_rp_live_flow *lf, bn_rp_frame *pf,
                             uint32_t old_dst)
{
  uint8_t *ip = pf->eth + pf->ip;
  uint32_t new_dst = bn_rp_get32(ip + 16);
  bool first = (bn_rp_get16(ip + 6) & 0x1fff) == 0;
  if (first && pf->proto == BN_RP_PROTO_UDP && pf->ip_len >= pf->ip_hlen + 8) {
    uint8_t *udp = ip + pf->ip_hlen;
    uint16_t csum = bn_rp_get16(udp + 6), port = bn_rp_get16(udp + 2);
    uint16_t live_port = f->kind == BN_RP_FLOW_UDP ? lf->live_board_port : port;
    if (csum != 0) { /* 0: sent without a checksum, stays so */
      csum = bn_rp_csum_replace32(csum, old_dst, new_dst);
      csum = bn_rp_csum_replace16(csum, port, live_port);
      bn_rp_put16(udp + 6, csum == 0 ? 0xffff : csum);
    }
    bn_rp_put16(udp + 2, live_port);
  }
  (void)l;
  bn_rp_fix_checksums(pf); /* a fragment's IPv4 header only */
}

/* Rewrites a frame of flow index for the live board, in place. */
static void rewrite(bn_rp_live *l, uint32_t index, uint8_t *frame, size_t len)
{
  const bn_rp_plan *p = l->plan;
  const bn_rp_flow *f = &p->flows[index];
  bn_rp_live_flow *lf = &l->flows[index];
  bn_rp_frame pf;
  if (bn_rp_parse(frame, len, &pf) >= 0) {
    return; /* the plan parsed it: cannot happen */
  }
  if (!(frame[0] & 1)) {
    memcpy(frame, l->live_mac, 6); /* unicast to the board */
  }
  if (pf.arp) {
    uint8_t *a = frame + pf.arp;
    if (bn_rp_get32(a + 24) == p->board_ip) {
      bn_rp_put32(a + 24, l->live_ip);
    }
    if (p->board_mac_known && memcmp(a + 18, p->board_mac, 6) == 0) {
      memcpy(a + 18, l->live_mac, 6);
    }
    return;
  }
  uint8_t *ip = frame + pf.ip;
  uint32_t dst = bn_rp_get32(ip + 16);
  if (dst == p->board_ip) {
    bn_rp_put32(ip + 16, l->live_ip);
  }
  if (pf.fragment) {
    rewrite_fragment(l, f, lf, &pf, dst);
    return;
  }
  if (f->kind == BN_RP_FLOW_TCP) {
    rewrite_tcp(l, f, lf, &pf);
  } else if (f->kind == BN_RP_FLOW_UDP && lf->live_board_port != f->board_port) {
    bn_rp_put16(frame + pf.l4 + 2, lf->live_board_port);
  } else if (f->kind == BN_RP_FLOW_DHCP && pf.payload_len >= BN_RP_BOOTP_CHADDR + 6) {
    uint8_t *bootp = frame + pf.l4 + pf.l4_hlen;
    bn_rp_put32(bootp + BN_RP_BOOTP_XID, lf->dhcp_xid);
    memcpy(bootp + BN_RP_BOOTP_CHADDR, l->live_mac, 6);
  }
  bn_rp_fix_checksums(&pf);
}

/* Bytes [off, off + n) of a TCP segment's payload as a segment of their own
 * (into out): sequence number moved on by off, FIN only with the last byte,
 * PSH too. Returns its length. */
static size_t piece_of(const bn_rp_frame *pf, size_t off, size_t n, uint8_t *out)
{
  size_t head = pf->l4 + pf->l4_hlen;
  memcpy(out, pf->eth, head);
  memcpy(out + head, pf->eth + head + off, n);
  uint8_t *ip = out + pf->ip, *tcp = out + pf->l4;
  bn_rp_put16(ip + 2, (uint16_t)(pf->ip_hlen + pf->l4_hlen + n));
  bn_rp_put32(tcp + 4, bn_rp_tcp_seq(pf) + (uint32_t)off);
  if (off + n < pf->payload_len) {
    tcp[13] &= (uint8_t)~(BN_RP_TCP_FIN | BN_RP_TCP_PSH);
  }
  return head + n;
}

/* The most TCP payload one frame of flow f may carry: a super-frame of the
 * capture (TSO, GSO, GRO) is cut at the MSS its board offered, and never
 * past a board's frame. */
static size_t segment_room(const bn_rp_flow *f, const bn_rp_frame *pf)
{
  size_t room = BN_LINK_MAX_FRAME - (pf->l4 + pf->l4_hlen);
  return f->board_mss > 0 && f->board_mss < room ? f->board_mss : room;
}

int bn_rp_live_next_frame(bn_rp_live *l, const bn_rp_step *s, const uint8_t *frame, size_t len, uint8_t *out,
                       size_t *out_len, bool *done)
{
  const bn_rp_flow *f = &l->plan->flows[s->flow];
  bn_rp_live_flow *lf = &l->flows[s->flow];
  *done = true;
  bn_rp_frame pf; /* the capture's frame, read in place: only ever copied from */
  if (bn_rp_parse((uint8_t *)frame, len, &pf) >= 0) {
    return 0;
  }
  bool data = f->kind == BN_RP_FLOW_TCP && bn_rp_tcp_seq_len(&pf) > 0 && !(bn_rp_tcp_flags(&pf) & BN_RP_TCP_SYN);
  uint32_t start = data ? bn_rp_tcp_seq(&pf) - f->peer_isn + (uint32_t)lf->offset : 0;
  size_t rest = pf.payload_len - lf->offset, n = rest;
  uint32_t end = start + (uint32_t)rest + ((bn_rp_tcp_flags(&pf) & BN_RP_TCP_FIN) ? 1 : 0);
  if (data && lf->board_ack_known) {
    if ((int32_t)(end - lf->board_ack_rel) <= 0) {
      lf->offset = 0; /* the live board has it already (the capture's peer sent it again) */
      lf->steps_left -= lf->steps_left > 0;
      l->redundant++;
      return 0;
    }
    uint32_t window_end = lf->board_ack_rel + lf->board_wnd;
    int32_t room = (int32_t)(window_end - start);
    if (rest > 0 && room <= 0) {
      *done = false; /* its window is full: wait for the board to read */
      return bn_rp_peer_tcp_window_full(f, lf, out, out_len);
    }
    if (rest > 0 && (size_t)room < rest) {
      n = (size_t)room;
    }
  }
  if (data && n > segment_room(f, &pf)) {
    if (lf->offset == 0) {
      lf->cut_super++; /* a super-frame of the capture */
    }
    n = segment_room(f, &pf);
  }
  uint64_t now = bn_clock_now_ns();
  lf->blocked = false;
  if (data && (lf->offset > 0 || n < rest)) {
    len = piece_of(&pf, lf->offset, n, out);
    lf->splits += lf->offset == 0 && pf.payload_len <= segment_room(f, &pf);
    end = start + (uint32_t)n + ((out[pf.l4 + 13] & BN_RP_TCP_FIN) ? 1 : 0);
  } else if (len > BN_LINK_MAX_FRAME) {
    return 0; /* cannot be: only TCP data comes this long */
  } else {
    memcpy(out, frame, len);
  }
  if (f->kind == BN_RP_FLOW_TCP && (bn_rp_tcp_flags(&pf) & (BN_RP_TCP_SYN | BN_RP_TCP_ACK)) == BN_RP_TCP_SYN) {
    /* A new connection on these ports: the live board's answers are its. */
    (void)bn_rp_live_map(l, f, lf->live_board_port, s->flow, true);
  }
  rewrite(l, s->flow, out, len);
  *out_len = len;
  lf->started = true;
  if (s->cut && !lf->zeros_in) {
    /* The capture's snaplen cut it: zeros went in where it lacks bytes, and
     * what the board does from now on in this flow answers them. */
    lf->zeros_in = true;
    lf->ignore_classes = UINT32_MAX;
  }
  if (f->kind == BN_RP_FLOW_TCP && (bn_rp_tcp_flags(&pf) & BN_RP_TCP_SYN)) {
    /* The peer's SYN, kept until the live board answers it: a listen queue
     * that was full drops it, and a peer sends it again; its SYN-ACK, kept
     * until the live board's ACK: a SYN-ACK lost on the way (a scenario's
     * loss) is sent again, as a peer's TCP does. */
    bn_rp_peer_tcp_keep_syn(lf, out, len, (bn_rp_tcp_flags(&pf) & BN_RP_TCP_ACK) != 0, now);
  }
  if (data) {
    lf->offset += n;
    *done = lf->offset >= pf.payload_len;
    if (*done) {
      lf->offset = 0;
    }
    bn_rp_peer_tcp_keep(lf, out, len, end, now);
  }
  if (*done) {
    if (lf->steps_left > 0) {
      lf->steps_left--;
    }
    l->injected++;
  }
  return 1;
}
