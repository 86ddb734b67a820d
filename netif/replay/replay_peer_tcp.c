/*
 * The peer's TCP, where the replay stands in for it (replay_peer_tcp.h): the
 * live board's ACKs read for what it has of the peer's stream and how much
 * more its window takes; the peer's data it has not acknowledged kept and
 * sent again (after BN_RP_RTO_NS, three duplicate ACKs, or an ACK that
 * leaves a later hole while recovering: NewReno); and the pure ACKs
 * the replay makes in the captured peer's name, while a flow waits for the
 * live board's window and once the capture's own ACKs have run out.
 */
#include "replay_peer_tcp.h"

#include <stdlib.h>
#include <string.h>

#include "bn_clock.h"
#include "replay_grow.h"
#include "replay_headers.h"

/* A pure segment for the live board, from the flow's last injected frame:
 * sequence number seq, acknowledging ack. */
static size_t pure_segment(const bn_rp_live_flow *lf, uint32_t seq, uint32_t ack, uint8_t *out)
{
  memcpy(out, lf->tmpl, sizeof(lf->tmpl));
  uint8_t *ip = out + BN_RP_ETH_HLEN, *tcp = ip + 20;
  bn_rp_put16(ip + 2, 40);
  bn_rp_put32(tcp + 4, seq);
  bn_rp_put32(tcp + 8, ack);
  tcp[12] = 5 << 4;
  tcp[13] = BN_RP_TCP_ACK;
  bn_rp_frame pf;
  bn_rp_parse(out, BN_RP_ETH_HLEN + 40, &pf);
  bn_rp_fix_checksums(&pf);
  return BN_RP_ETH_HLEN + 40;
}

/* A pure ACK in the captured peer's name. */
static size_t synth_ack(bn_rp_live_flow *lf, uint32_t ack, uint8_t *out)
{
  lf->synth_acks++;
  return pure_segment(lf, lf->peer_next_seq, ack, out);
}

/* While a flow waits for the live board's window: the live board's data, as
 * far as the captured peer acknowledged it in all (never beyond what the
 * live board sent), acknowledged in that peer's name. A board that waits
 * for ACKs before it reads more (an echo) opens its window only then, and
 * the capture's ACKs wait behind the data that does not fit.
 * @return the ACK's length in out, or 0. */
static size_t ack_as_peer(const bn_rp_flow *f, bn_rp_live_flow *lf, uint8_t *out)
{
  if (!lf->blocked || !lf->has_tmpl || !f->board_isn_known) {
    return 0;
  }
  uint32_t target = bn_rp_seq_min(f->peer_acked_rel, lf->live_rel_next);
  if ((int32_t)(target - lf->acked_rel) <= 0) {
    return 0;
  }
  lf->acked_rel = target;
  return synth_ack(lf, lf->live_isn + target, out);
}

/* A window probe, as a peer's persist timer sends one: a segment one byte
 * behind what the live board has, outside its window, which it answers at
 * once with an ACK carrying its window (lwIP's tcp_receive()); a window
 * update of the board's that did not come is then no longer waited for. */
static size_t window_probe(bn_rp_live_flow *lf, uint8_t *out)
{
  lf->probes++;
  return pure_segment(lf, lf->peer_next_seq - 1, lf->live_isn + lf->acked_rel, out);
}

int bn_rp_peer_tcp_window_full(const bn_rp_flow *f, bn_rp_live_flow *lf, uint8_t *out, size_t *out_len)
{
  uint64_t now = bn_clock_now_ns();
  if (!lf->blocked) {
    lf->blocked = true;
    lf->blocked_since = now;
    lf->probe_ns = now;
  }
  *out_len = ack_as_peer(f, lf, out);
  if (*out_len == 0 && lf->has_tmpl && lf->isn_known && now >= bn_clock_add_ns(lf->probe_ns, BN_RP_RTO_NS)) {
    lf->probe_ns = now;
    *out_len = window_probe(lf, out);
  }
  return *out_len > 0;
}

void bn_rp_peer_tcp_keep(bn_rp_live_flow *lf, const uint8_t *frame, size_t len, uint32_t rel_end, uint64_t now)
{
  bn_rp_piece *np = bn_rp_room_for_one(lf->unacked, lf->nunacked, &lf->cap_unacked, sizeof(*np), 16);
  if (np == NULL) {
    return; /* no copy: it will not be sent again */
  }
  lf->unacked = np;
  uint8_t *copy = malloc(len);
  if (copy == NULL) {
    return;
  }
  memcpy(copy, frame, len);
  lf->unacked[lf->nunacked++] = (bn_rp_piece){ .rel_end = rel_end, .sent_ns = now, .len = len, .frame = copy };
}

/* How long a piece waits for its ACK before it goes again. */
static uint64_t piece_rto(const bn_rp_piece *p)
{
  return p->synack ? (uint64_t)BN_RP_SYNACK_RTO_NS << p->tries
         : p->syn  ? (uint64_t)BN_RP_SYN_RTO_NS << p->tries
                   : BN_RP_RTO_NS;
}

void bn_rp_peer_tcp_keep_syn(bn_rp_live_flow *lf, const uint8_t *frame, size_t len, bool synack, uint64_t now)
{
  size_t before = lf->nunacked;
  bn_rp_peer_tcp_keep(lf, frame, len, 1, now);
  if (lf->nunacked > before) {
    lf->unacked[lf->nunacked - 1].syn = !synack;
    lf->unacked[lf->nunacked - 1].synack = synack;
  }
}

bool bn_rp_peer_tcp_synack_pending(const bn_rp_live_flow *lf)
{
  return lf->nunacked > 0 && lf->unacked[0].synack;
}

void bn_rp_peer_tcp_board_syn_again(bn_rp_live_flow *lf)
{
  if (bn_rp_peer_tcp_synack_pending(lf)) {
    lf->unacked[0].sent_ns = 0; /* due now */
  }
}

size_t bn_rp_live_retransmit(bn_rp_live *l, uint64_t now, uint8_t *out)
{
  for (size_t i = 0; i < l->plan->nflows; i++) {
    bn_rp_live_flow *lf = &l->flows[i];
    if (lf->nunacked == 0) {
      continue;
    }
    bn_rp_piece *p = &lf->unacked[0];
    if (lf->dup_acks >= 3 || now >= bn_clock_add_ns(p->sent_ns, piece_rto(p))) {
      if (p->tries == (p->synack ? BN_RP_SYNACK_RETRIES : BN_RP_RETRIES)) {
        bn_rp_live_free_pieces(lf, lf->nunacked); /* the board does not take them: give up */
        continue;
      }
      p->tries++;
      lf->dup_acks = 0;
      if (!lf->recovering) {
        lf->recovering = true;
        lf->recover = lf->unacked[lf->nunacked - 1].rel_end;
      }
      p->sent_ns = now;
      lf->peer_retrans++;
      memcpy(out, p->frame, p->len);
      return p->len;
    }
  }
  return 0;
}

uint64_t bn_rp_live_next_retransmit(const bn_rp_live *l)
{
  uint64_t next = BN_CLOCK_FOREVER;
  for (size_t i = 0; i < l->plan->nflows; i++) {
    const bn_rp_live_flow *lf = &l->flows[i];
    if (lf->nunacked > 0) {
      uint64_t t = lf->dup_acks >= 3 ? 0 : bn_clock_add_ns(lf->unacked[0].sent_ns, piece_rto(&lf->unacked[0]));
      next = t < next ? t : next;
    }
  }
  return next;
}

/* What an ACK of the live board's says for injecting: how much of the
 * peer's stream it has (pieces it acknowledged are done), how much more its
 * window takes, duplicate ACKs. */
void bn_rp_peer_tcp_board_ack(const bn_rp_flow *f, bn_rp_live_flow *lf, const bn_rp_frame *pf)
{
  uint8_t flags = bn_rp_tcp_flags(pf);
  if (!(flags & BN_RP_TCP_ACK) || !f->peer_isn_known) {
    return;
  }
  /* How much of the peer's stream it has, and how much more it takes. */
  uint32_t acked = bn_rp_tcp_ack(pf) - f->peer_isn;
  uint16_t field = bn_rp_get16(pf->eth + pf->l4 + 14);
  bool scaled = !(flags & BN_RP_TCP_SYN) && f->peer_ws >= 0 && lf->live_ws >= 0;
  uint32_t wnd = (uint32_t)field << (scaled ? lf->live_ws : 0);
  if (!lf->board_ack_known || (int32_t)(acked - lf->board_ack_rel) > 0) {
    lf->board_ack_rel = acked;
    lf->board_ack_known = true;
    lf->dup_acks = 0;
    size_t done = 0;
    while (done < lf->nunacked && (int32_t)(lf->unacked[done].rel_end - acked) <= 0) {
      done++;
    }
    bn_rp_live_free_pieces(lf, done);
    if (lf->recovering && lf->nunacked > 0 && (int32_t)(acked - lf->recover) < 0) {
      lf->dup_acks = 3; /* a partial ACK: the next hole goes again at once (NewReno, RFC 6582 3.2) */
    } else {
      lf->recovering = false;
    }
  } else if (acked == lf->board_ack_rel && pf->payload_len == 0 && !(flags & (BN_RP_TCP_SYN | BN_RP_TCP_FIN)) &&
             wnd == lf->board_wnd && lf->nunacked > 0) {
    lf->dup_acks++;
  }
  lf->board_wnd = wnd;
}

/* The replay's answer, in the peer's name, to len bytes of sequence space
 * the live board sent (again: sent before): an ACK where the capture's own
 * cannot come. @return its length in reply, or 0. */
size_t bn_rp_peer_tcp_answer(const bn_rp_flow *f, bn_rp_live_flow *lf, uint32_t len, bool again, uint8_t *reply)
{
  if (len > 0 && lf->blocked) {
    return ack_as_peer(f, lf, reply);
  }
  /* The capture's ACKs for this flow are used up, yet the live board sends
   * what the captured peer did acknowledge: acknowledge it as that peer;
   * data sent again is acknowledged again (the ACK may have been lost). */
  if (len > 0 && lf->steps_left == 0 && lf->has_tmpl && f->board_isn_known) {
    uint32_t target = bn_rp_seq_min(f->peer_acked_rel, lf->live_rel_next);
    if ((int32_t)(target - lf->acked_rel) > 0 || (again && lf->acked_rel > 0)) {
      lf->acked_rel = (int32_t)(target - lf->acked_rel) > 0 ? target : lf->acked_rel;
      return synth_ack(lf, lf->live_isn + lf->acked_rel, reply);
    }
  }
  return 0;
}
