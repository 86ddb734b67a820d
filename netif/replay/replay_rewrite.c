/*
 * The peer side of a replay (replay_live.h): whether a peer frame can go in
 * yet, the frame rewritten for the live board (its address and MAC, its
 * ports, TCP ACK numbers and SACK blocks shifted to the live ISN and never
 * past what the live board sent, the peer's window rescaled, DHCP to the
 * live xid and chaddr), peer data cut to the live board's window and kept
 * until acknowledged, sent again when not, and the ACKs the replay makes in
 * the captured peer's name.
 */
#include "replay_live_impl.h"

#include <stdlib.h>

#include "bn_clock.h"

void rp_free_pieces(rp_live_flow *lf, size_t n)
{
  if (n == 0) {
    return;
  }
  for (size_t i = 0; i < n; i++) {
    free(lf->unacked[i].frame);
  }
  memmove(lf->unacked, lf->unacked + n, (lf->nunacked - n) * sizeof(*lf->unacked));
  lf->nunacked -= n;
}

/* ---- can a peer frame go in now? ------------------------------------------------- */

/* Whether the live board sent, in flow index, what the captured board had
 * when its measure (TCP: sequence space; others: frames) was before. */
static bool sent_as_much(const rp_live *l, uint32_t index, uint32_t before)
{
  const rp_live_flow *lf = &l->flows[index];
  if (l->plan->flows[index].kind == RP_FLOW_TCP) {
    return (int32_t)(lf->live_rel_end - before) >= 0;
  }
  return lf->frames >= before;
}

bool rp_live_can_rewrite(const rp_live *l, const rp_step *s, const uint8_t *frame, size_t len, bool *progress)
{
  const rp_flow *f = &l->plan->flows[s->flow];
  const rp_live_flow *lf = &l->flows[s->flow];
  *progress = sent_as_much(l, s->flow, s->board_before) &&
              (s->dep_flow == RP_NO_FLOW || s->dep_flow >= l->plan->nflows || sent_as_much(l, s->dep_flow, s->dep_before));
  if (f->kind == RP_FLOW_DHCP) {
    return lf->dhcp_xid_known;
  }
  if (!lf->bound) {
    return false;
  }
  if (f->kind == RP_FLOW_TCP && len <= BN_LINK_MAX_FRAME) {
    uint8_t copy[BN_LINK_MAX_FRAME];
    memcpy(copy, frame, len);
    rp_frame pf;
    if (rp_parse(copy, len, &pf) < 0 && (rp_tcp_flags(&pf) & RP_TCP_ACK) && !lf->isn_known) {
      return false; /* its ACK number needs the live board's ISN */
    }
  }
  return true;
}

/* ---- rewriting a peer frame --------------------------------------------------------- */

typedef struct sack_shift {
  uint32_t delta, limit;   /* add delta; no further than limit */
} sack_shift;


static uint32_t clamp_to(uint32_t v, uint32_t limit)
{
  return (int32_t)(v - limit) > 0 ? limit : v;
}

static void shift_sack(void *arg, uint32_t *left, uint32_t *right)
{
  const sack_shift *sh = arg;
  *left = clamp_to(*left + sh->delta, sh->limit);
  *right = clamp_to(*right + sh->delta, sh->limit);
}

/* The peer's window for the live connection: in bytes as the capture meant
 * it (scaled if its two SYNs agreed on scaling), in the live connection's
 * units (scaled if the peer's SYN and the live board's agree). */
static uint16_t live_window(const rp_flow *f, const rp_live_flow *lf, uint16_t field)
{
  uint64_t bytes = (uint64_t)field << (f->peer_ws >= 0 && f->board_ws >= 0 ? f->peer_ws : 0);
  if (f->peer_ws >= 0 && lf->live_ws >= 0) {
    bytes >>= f->peer_ws;
  }
  return bytes > 0xffff ? 0xffff : (uint16_t)bytes;
}

static void rewrite_tcp(rp_live *l, const rp_flow *f, rp_live_flow *lf, rp_frame *pf)
{
  uint8_t *tcp = pf->eth + pf->l4;
  if (lf->live_board_port != f->board_port) {
    rp_put16(tcp + 2, lf->live_board_port);
  }
  uint16_t peer_port = rp_live_peer_port(l, f);
  if (peer_port != f->peer_port) {
    rp_put16(tcp, peer_port); /* a later pass (--loop): a new connection */
  }
  uint8_t flags = rp_tcp_flags(pf);
  if (!(flags & RP_TCP_SYN)) {
    rp_put16(tcp + 14, live_window(f, lf, rp_get16(tcp + 14)));
  }
  if ((flags & RP_TCP_ACK) && lf->isn_known) {
    uint32_t delta = lf->live_isn - f->board_isn;
    uint32_t sent = lf->live_isn + lf->live_rel_end; /* the live board's snd_max */
    uint32_t ack = clamp_to(rp_tcp_ack(pf) + delta, sent);
    rp_put32(tcp + 8, ack);
    uint32_t rel = ack - lf->live_isn;
    if ((int32_t)(rel - lf->acked_rel) > 0) {
      lf->acked_rel = rel;
    }
    sack_shift sh = { delta, sent };
    rp_tcp_each_sack(pf, shift_sack, &sh);
  }
  lf->peer_next_seq = rp_tcp_seq(pf) + rp_tcp_seq_len(pf);
  if (pf->ip_hlen == 20) {
    memcpy(lf->tmpl, pf->eth, sizeof(lf->tmpl));
    lf->has_tmpl = true;
  }
}

/* Rewrites a frame of flow index for the live board, in place. */
static void rewrite(rp_live *l, uint32_t index, uint8_t *frame, size_t len)
{
  const rp_plan *p = l->plan;
  const rp_flow *f = &p->flows[index];
  rp_live_flow *lf = &l->flows[index];
  rp_frame pf;
  if (rp_parse(frame, len, &pf) >= 0) {
    return; /* the plan parsed it: cannot happen */
  }
  if (!(frame[0] & 1)) {
    memcpy(frame, l->live_mac, 6); /* unicast to the board */
  }
  if (pf.arp) {
    uint8_t *a = frame + pf.arp;
    if (rp_get32(a + 24) == p->board_ip) {
      rp_put32(a + 24, l->live_ip);
    }
    if (p->board_mac_known && memcmp(a + 18, p->board_mac, 6) == 0) {
      memcpy(a + 18, l->live_mac, 6);
    }
    return;
  }
  uint8_t *ip = frame + pf.ip;
  if (rp_get32(ip + 16) == p->board_ip) {
    rp_put32(ip + 16, l->live_ip);
  }
  if (f->kind == RP_FLOW_TCP) {
    rewrite_tcp(l, f, lf, &pf);
  } else if (f->kind == RP_FLOW_UDP && lf->live_board_port != f->board_port) {
    rp_put16(frame + pf.l4 + 2, lf->live_board_port);
  } else if (f->kind == RP_FLOW_DHCP && pf.payload_len >= BOOTP_CHADDR + 6) {
    uint8_t *bootp = frame + pf.l4 + pf.l4_hlen;
    rp_put32(bootp + BOOTP_XID, lf->dhcp_xid);
    memcpy(bootp + BOOTP_CHADDR, l->live_mac, 6);
  }
  rp_fix_checksums(&pf);
}

/* Bytes [off, off + n) of a TCP segment's payload as a segment of their own
 * (into out): sequence number moved on by off, FIN only with the last byte,
 * PSH too. Returns its length. */
static size_t piece_of(const rp_frame *pf, size_t off, size_t n, uint8_t *out)
{
  size_t head = pf->l4 + pf->l4_hlen;
  memcpy(out, pf->eth, head);
  memcpy(out + head, pf->eth + head + off, n);
  uint8_t *ip = out + pf->ip, *tcp = out + pf->l4;
  rp_put16(ip + 2, (uint16_t)(pf->ip_hlen + pf->l4_hlen + n));
  rp_put32(tcp + 4, rp_tcp_seq(pf) + (uint32_t)off);
  if (off + n < pf->payload_len) {
    tcp[13] &= (uint8_t)~(RP_TCP_FIN | RP_TCP_PSH);
  }
  return head + n;
}

/* A pure ACK for the live board, from the flow's last injected frame. */
static size_t synth_ack(rp_live_flow *lf, uint32_t ack, uint8_t *out)
{
  memcpy(out, lf->tmpl, sizeof(lf->tmpl));
  uint8_t *ip = out + ETH_HLEN, *tcp = ip + 20;
  rp_put16(ip + 2, 40);
  rp_put32(tcp + 4, lf->peer_next_seq);
  rp_put32(tcp + 8, ack);
  tcp[12] = 5 << 4;
  tcp[13] = RP_TCP_ACK;
  rp_frame pf;
  rp_parse(out, ETH_HLEN + 40, &pf);
  rp_fix_checksums(&pf);
  lf->synth_acks++;
  return ETH_HLEN + 40;
}

/* While a flow waits for the live board's window: the live board's data, as
 * far as the captured peer acknowledged it in all (never beyond what the
 * live board sent), acknowledged in that peer's name. A board that waits
 * for ACKs before it reads more (an echo) opens its window only then, and
 * the capture's ACKs wait behind the data that does not fit.
 * @return the ACK's length in out, or 0. */
static size_t ack_as_peer(const rp_flow *f, rp_live_flow *lf, uint8_t *out)
{
  if (!lf->blocked || !lf->has_tmpl || !f->board_isn_known) {
    return 0;
  }
  uint32_t target = clamp_to(f->peer_acked_rel, lf->live_rel_end);
  if ((int32_t)(target - lf->acked_rel) <= 0) {
    return 0;
  }
  lf->acked_rel = target;
  return synth_ack(lf, lf->live_isn + target, out);
}

/* The head step's data does not fit the live board's window: the flow waits
 * (from now, unless it waited already), acknowledging what it may. */
static int window_full(const rp_flow *f, rp_live_flow *lf, uint8_t *out, size_t *out_len)
{
  if (!lf->blocked) {
    lf->blocked = true;
    lf->blocked_since = bn_clock_now_ns();
  }
  *out_len = ack_as_peer(f, lf, out);
  return *out_len > 0;
}

/* Keeps a copy of injected peer data until the live board acknowledges it. */
static void keep_piece(rp_live_flow *lf, const uint8_t *frame, size_t len, uint32_t rel_end, uint64_t now)
{
  if (lf->nunacked == lf->cap_unacked) {
    size_t cap = lf->cap_unacked ? lf->cap_unacked * 2 : 16;
    rp_piece *np = realloc(lf->unacked, cap * sizeof(*np));
    if (np == NULL) {
      return; /* no copy: it will not be sent again */
    }
    lf->unacked = np;
    lf->cap_unacked = cap;
  }
  uint8_t *copy = malloc(len);
  if (copy == NULL) {
    return;
  }
  memcpy(copy, frame, len);
  lf->unacked[lf->nunacked++] = (rp_piece){ .rel_end = rel_end, .sent_ns = now, .len = len, .frame = copy };
}

int rp_live_next_frame(rp_live *l, const rp_step *s, const uint8_t *frame, size_t len, uint8_t *out,
                       size_t *out_len, bool *done)
{
  const rp_flow *f = &l->plan->flows[s->flow];
  rp_live_flow *lf = &l->flows[s->flow];
  *done = true;
  memcpy(out, frame, len);
  rp_frame pf;
  if (rp_parse(out, len, &pf) >= 0) {
    return 0;
  }
  bool data = f->kind == RP_FLOW_TCP && rp_tcp_seq_len(&pf) > 0 && !(rp_tcp_flags(&pf) & RP_TCP_SYN);
  uint32_t start = data ? rp_tcp_seq(&pf) - f->peer_isn + (uint32_t)lf->offset : 0;
  size_t rest = pf.payload_len - lf->offset, n = rest;
  uint32_t end = start + (uint32_t)rest + ((rp_tcp_flags(&pf) & RP_TCP_FIN) ? 1 : 0);
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
      return window_full(f, lf, out, out_len);
    }
    if (rest > 0 && (size_t)room < rest) {
      n = (size_t)room;
    }
  }
  uint64_t now = bn_clock_now_ns();
  lf->blocked = false;
  if (data && (lf->offset > 0 || n < rest)) {
    uint8_t whole[BN_LINK_MAX_FRAME];
    memcpy(whole, out, len);
    rp_frame wf;
    rp_parse(whole, len, &wf);
    len = piece_of(&wf, lf->offset, n, out);
    lf->splits += lf->offset == 0;
    end = start + (uint32_t)n + ((out[pf.l4 + 13] & RP_TCP_FIN) ? 1 : 0);
  }
  if (f->kind == RP_FLOW_TCP && (rp_tcp_flags(&pf) & (RP_TCP_SYN | RP_TCP_ACK)) == RP_TCP_SYN) {
    /* A new connection on these ports: the live board's answers are its. */
    (void)rp_live_map(l, f, lf->live_board_port, s->flow, true);
  }
  rewrite(l, s->flow, out, len);
  *out_len = len;
  lf->started = true;
  if (data) {
    lf->offset += n;
    *done = lf->offset >= pf.payload_len;
    if (*done) {
      lf->offset = 0;
    }
    keep_piece(lf, out, len, end, now);
  }
  if (*done) {
    if (lf->steps_left > 0) {
      lf->steps_left--;
    }
    l->injected++;
  }
  return 1;
}

size_t rp_live_retransmit(rp_live *l, uint64_t now, uint8_t *out)
{
  for (size_t i = 0; i < l->plan->nflows; i++) {
    rp_live_flow *lf = &l->flows[i];
    if (lf->nunacked == 0) {
      continue;
    }
    rp_piece *p = &lf->unacked[0];
    if (lf->dup_acks >= 3 || now >= bn_clock_add_ns(p->sent_ns, RP_RTO_NS)) {
      if (p->tries == RP_RETRIES) {
        rp_free_pieces(lf, lf->nunacked); /* the board does not take them: give up */
        continue;
      }
      p->tries++;
      lf->dup_acks = 0;
      p->sent_ns = now;
      lf->peer_retrans++;
      memcpy(out, p->frame, p->len);
      return p->len;
    }
  }
  return 0;
}

uint64_t rp_live_next_retransmit(const rp_live *l)
{
  uint64_t next = BN_CLOCK_FOREVER;
  for (size_t i = 0; i < l->plan->nflows; i++) {
    const rp_live_flow *lf = &l->flows[i];
    if (lf->nunacked > 0) {
      uint64_t t = lf->dup_acks >= 3 ? 0 : bn_clock_add_ns(lf->unacked[0].sent_ns, RP_RTO_NS);
      next = t < next ? t : next;
    }
  }
  return next;
}

/* ---- the live board's ACKs, and the replay's own ---------------------------------- */

/* What an ACK of the live board's says for injecting: how much of the
 * peer's stream it has (pieces it acknowledged are done), how much more its
 * window takes, duplicate ACKs. */
void rp_inject_board_ack(const rp_flow *f, rp_live_flow *lf, const rp_frame *pf)
{
  uint8_t flags = rp_tcp_flags(pf);
  if (!(flags & RP_TCP_ACK) || !f->peer_isn_known) {
    return;
  }
  /* How much of the peer's stream it has, and how much more it takes. */
  uint32_t acked = rp_tcp_ack(pf) - f->peer_isn;
  uint16_t field = rp_get16(pf->eth + pf->l4 + 14);
  bool scaled = !(flags & RP_TCP_SYN) && f->peer_ws >= 0 && lf->live_ws >= 0;
  uint32_t wnd = (uint32_t)field << (scaled ? lf->live_ws : 0);
  if (!lf->board_ack_known || (int32_t)(acked - lf->board_ack_rel) > 0) {
    lf->board_ack_rel = acked;
    lf->board_ack_known = true;
    lf->dup_acks = 0;
    size_t done = 0;
    while (done < lf->nunacked && (int32_t)(lf->unacked[done].rel_end - acked) <= 0) {
      done++;
    }
    rp_free_pieces(lf, done);
  } else if (acked == lf->board_ack_rel && pf->payload_len == 0 && !(flags & (RP_TCP_SYN | RP_TCP_FIN)) &&
             wnd == lf->board_wnd && lf->nunacked > 0) {
    lf->dup_acks++;
  }
  lf->board_wnd = wnd;
}

/* The replay's answer, in the peer's name, to len bytes of sequence space
 * the live board sent (again: sent before): an ACK where the capture's own
 * cannot come. @return its length in reply, or 0. */
size_t rp_inject_answer(const rp_flow *f, rp_live_flow *lf, uint32_t len, bool again, uint8_t *reply)
{
  if (len > 0 && lf->blocked) {
    return ack_as_peer(f, lf, reply);
  }
  /* The capture's ACKs for this flow are used up, yet the live board sends
   * what the captured peer did acknowledge: acknowledge it as that peer;
   * data sent again is acknowledged again (the ACK may have been lost). */
  if (len > 0 && lf->steps_left == 0 && lf->has_tmpl && f->board_isn_known) {
    uint32_t target = clamp_to(f->peer_acked_rel, lf->live_rel_end);
    if ((int32_t)(target - lf->acked_rel) > 0 || (again && lf->acked_rel > 0)) {
      lf->acked_rel = (int32_t)(target - lf->acked_rel) > 0 ? target : lf->acked_rel;
      return synth_ack(lf, lf->live_isn + lf->acked_rel, reply);
    }
  }
  return 0;
}

