/*
 * The comparison of a replay (replay_compare.h): what the live board sends,
 * flow by flow, against what the captured board sent, and the first
 * divergence of each flow.
 */
#include "replay_compare.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const char *bn_rp_diverge_name(bn_rp_diverge d)
{
  switch (d) {
  case BN_RP_SAME:        return "none";
  case BN_RP_DIV_OPTIONS: return "options";
  case BN_RP_DIV_WINDOW:  return "window";
  case BN_RP_DIV_FLAGS:   return "flags";
  case BN_RP_DIV_PAYLOAD: return "payload";
  case BN_RP_DIV_MISSING: return "missing";
  case BN_RP_DIV_EXTRA:   return "extra";
  case BN_RP_DIV_RECEIVED: return "received";
  case BN_RP_DIV_COUNT:   break;
  }
  return "?";
}

int bn_rp_diverge_parse(const char *list, uint32_t *classes)
{
  *classes = 0;
  const char *p = list;
  while (*p != '\0') {
    size_t n = strcspn(p, ",");
    bn_rp_diverge d = BN_RP_DIV_OPTIONS;
    while (d < BN_RP_DIV_COUNT && (strlen(bn_rp_diverge_name(d)) != n || strncmp(p, bn_rp_diverge_name(d), n) != 0)) {
      d++;
    }
    if (d == BN_RP_DIV_COUNT) {
      return -EINVAL;
    }
    *classes |= 1u << d;
    p += n + (p[n] == ',');
  }
  return *classes != 0 ? 0 : -EINVAL;
}

/* The first difference of each class; the flow's headline is the first
 * found of the classes the replay does not ignore. */
void bn_rp_diverge_set(bn_rp_live_flow *lf, bn_rp_diverge what, uint64_t number, const char *fmt, ...)
{
  if (lf->classes & (1u << what)) {
    return;
  }
  lf->classes |= 1u << what;
  bn_rp_divergence *d = &lf->found[what];
  d->number = number;
  d->noted = (lf->ignore_classes & (1u << what)) != 0;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(d->text, sizeof(d->text), fmt, ap);
  va_end(ap);
  if (lf->diverge == BN_RP_SAME && !d->noted) {
    lf->diverge = what;
    lf->diverge_number = number;
  }
}

/* The captured board frame holding stream byte off (0-based), for reports. */
static uint64_t frame_of_offset(const bn_rp_flow *f, size_t off)
{
  uint64_t last = f->first_number;
  for (size_t i = 0; i < f->nbframes; i++) {
    const bn_rp_board_frame *b = &f->bframes[i];
    if (b->len > 0 && b->rel_seq - 1 <= off && off < (size_t)(b->rel_seq - 1) + b->len) {
      return b->number;
    }
    if (b->len > 0) {
      last = b->number;
    }
  }
  return last;
}

static const char *flag_word(uint8_t flags)
{
  return (flags & BN_RP_TCP_RST) ? "RST" : (flags & BN_RP_TCP_SYN) ? ((flags & BN_RP_TCP_ACK) ? "SYN-ACK" : "SYN") : "FIN";
}

/* The next SYN/FIN/RST of the captured board in flow f, from *k on. */
static const bn_rp_board_frame *next_flag_event(const bn_rp_flow *f, size_t *k)
{
  for (; *k < f->nbframes; (*k)++) {
    const bn_rp_board_frame *b = &f->bframes[*k];
    if (!b->retrans && (b->flags & (BN_RP_TCP_SYN | BN_RP_TCP_FIN | BN_RP_TCP_RST))) {
      return b;
    }
  }
  return NULL;
}

/* A live SYN/SYN-ACK/FIN/RST against the captured board's next one. */
void bn_rp_compare_flags(const bn_rp_flow *f, bn_rp_live_flow *lf, uint8_t flags, uint32_t rel, const bn_rp_frame *pf)
{
  size_t k = lf->flag_event;
  const bn_rp_board_frame *b = next_flag_event(f, &k);
  uint8_t mask = BN_RP_TCP_SYN | BN_RP_TCP_FIN | BN_RP_TCP_RST;
  if (b == NULL) {
    bn_rp_diverge_set(lf, BN_RP_DIV_FLAGS, f->bframes ? f->bframes[f->nbframes - 1].number : f->first_number,
            "the live board sent %s after %u bytes; the captured board sent no more SYN/FIN/RST",
            flag_word(flags), rel > 0 ? rel - 1 : 0);
    return;
  }
  lf->flag_event = k + 1;
  uint32_t captured_at = (b->flags & BN_RP_TCP_FIN) ? b->rel_seq + b->len : b->rel_seq;
  if ((b->flags & mask) != (flags & mask) || captured_at != rel) {
    bn_rp_diverge_set(lf, BN_RP_DIV_FLAGS, b->number, "the live board sent %s at stream byte %u, the captured board %s at %u",
            flag_word(flags), rel > 0 ? rel - 1 : 0, flag_word(b->flags), captured_at > 0 ? captured_at - 1 : 0);
    return;
  }
  if (flags & BN_RP_TCP_SYN) {
    uint16_t mss;
    int ws;
    bn_rp_tcp_syn_options(pf, &mss, &ws);
    bool wscale = ws >= 0;
    uint16_t window = bn_rp_get16(pf->eth + pf->l4 + 14);
    if (mss != b->mss || wscale != b->wscale) {
      bn_rp_diverge_set(lf, BN_RP_DIV_OPTIONS, b->number, "the live board's %s offers MSS %u%s, the captured board's MSS %u%s",
              flag_word(flags), mss, wscale ? " and window scaling" : "", b->mss,
              b->wscale ? " and window scaling" : "");
    } else if (window != b->window) {
      bn_rp_diverge_set(lf, BN_RP_DIV_WINDOW, b->number, "the live board's %s window is %u, the captured board's %u",
              flag_word(flags), window, b->window);
    }
  }
}

/* The live board's TCP payload against the captured board's stream. */
void bn_rp_compare_stream(const bn_rp_flow *f, bn_rp_live_flow *lf, uint32_t rel, const uint8_t *data, size_t len)
{
  size_t at = (size_t)(rel - 1);
  if (at + len <= lf->stream_live) {
    return; /* all sent before */
  }
  size_t skip = lf->stream_live > at ? lf->stream_live - at : 0;
  if (at > lf->stream_live) {
    return; /* out of order: cannot be on lwIP's output; ignored */
  }
  for (size_t i = skip; i < len; i++) {
    size_t off = at + i;
    if (f->stream_dropped || f->stream_gap) {
      break; /* the capture's stream is not kept whole: counts only */
    }
    if (off >= f->stream_len) {
      bn_rp_diverge_set(lf, BN_RP_DIV_EXTRA, f->nbframes ? f->bframes[f->nbframes - 1].number : f->first_number,
              "the live board sent more than the captured board's %zu bytes", f->stream_len);
      break;
    }
    if (f->stream[off] != data[i] && !bn_rp_flow_byte_unknown(f, off)) {
      bn_rp_diverge_set(lf, BN_RP_DIV_PAYLOAD, frame_of_offset(f, off),
              "stream byte %zu differs: the live board sent 0x%02x, the captured board 0x%02x", off, data[i],
              f->stream[off]);
      break;
    }
    lf->stream_matched = off + 1;
  }
  lf->stream_live = at + len;
}

/* ICMP/UDP/IP: the live board's k-th frame of a flow against the captured one's. */
void bn_rp_compare_other(const bn_rp_flow *f, bn_rp_live_flow *lf, const bn_rp_frame *pf)
{
  if (f->kind != BN_RP_FLOW_ICMP && f->kind != BN_RP_FLOW_UDP) {
    return;
  }
  if (lf->frame_index >= f->nbframes) {
    bn_rp_diverge_set(lf, BN_RP_DIV_EXTRA, f->nbframes ? f->bframes[f->nbframes - 1].number : f->first_number,
            "the live board sent more than the captured board's %zu frames", f->nbframes);
    return;
  }
  const bn_rp_board_frame *b = &f->bframes[lf->frame_index++];
  bool icmp = pf->proto == BN_RP_PROTO_ICMP && f->kind == BN_RP_FLOW_UDP;
  if (icmp != b->icmp_error) {
    bn_rp_diverge_set(lf, BN_RP_DIV_PAYLOAD, b->number, "frame %zu of the flow: the live board answered with %s, "
                      "the captured board with %s", lf->frame_index, icmp ? "an ICMP error" : "a datagram",
                      b->icmp_error ? "an ICMP error" : "a datagram");
  } else if (b->len != pf->len) {
    bn_rp_diverge_set(lf, BN_RP_DIV_PAYLOAD, b->number, "frame %zu of the flow is %zu bytes, the captured board's %u",
            lf->frame_index, pf->len, b->len);
  }
}

/* What the live board took in of the peer's stream (its last ACK) against
 * what the captured board did: a download cut short is a divergence too. */
static void received_check(const bn_rp_flow *f, bn_rp_live_flow *lf)
{
  if (!f->board_acked || !f->peer_isn_known) {
    return;
  }
  uint32_t live = lf->board_ack_known ? lf->board_ack_rel : 0;
  if ((int32_t)(live - f->board_acked_rel) < 0) {
    uint32_t cap = f->board_acked_rel;
    bool fin = f->peer_fin && (int32_t)(cap - f->peer_rel_end) >= 0;
    bn_rp_diverge_set(lf, BN_RP_DIV_RECEIVED, f->bframes[f->nbframes - 1].number,
                      "the live board acknowledged %u bytes of the peer's stream, the captured board %u%s",
                      live > 1 ? live - 1 : 0, cap - 1 - (fin ? 1 : 0), fin ? " and its FIN" : "");
  }
}

void bn_rp_live_finish_early(bn_rp_live *l)
{
  l->cut_short = l->cut_short != NULL ? l->cut_short : "the replay ended before the capture did";
  for (size_t i = 0; i < l->plan->nflows; i++) {
    bn_rp_live_flow *lf = &l->flows[i];
    lf->not_reached = !lf->started && lf->frames == 0 && !lf->not_compared;
  }
}

void bn_rp_live_finish(bn_rp_live *l)
{
  for (size_t i = 0; i < l->plan->nflows; i++) {
    const bn_rp_flow *f = &l->plan->flows[i];
    bn_rp_live_flow *lf = &l->flows[i];
    if (f->board_frames == 0 || lf->not_compared) {
      continue;
    }
    if (!lf->bound || lf->frames == 0) {
      bn_rp_diverge_set(lf, BN_RP_DIV_MISSING, f->bframes[0].number, "the live board sent nothing in this flow");
    } else if (f->kind == BN_RP_FLOW_TCP) {
      size_t k = lf->flag_event;
      const bn_rp_board_frame *b = next_flag_event(f, &k);
      lf->hole_open = (int32_t)(lf->live_rel_next - lf->live_rel_end) < 0 && lf->resets == 0 &&
                      lf->stream_live < f->stream_len;
      if (lf->hole_open) {
        /* the rest was sent but lost on the way, and not sent again in time: not compared */
      } else if (!f->stream_gap && !f->stream_dropped && lf->stream_live < f->stream_len) {
        bn_rp_diverge_set(lf, BN_RP_DIV_MISSING, frame_of_offset(f, lf->stream_live),
                "the live board sent %zu of the captured board's %zu bytes", lf->stream_live, f->stream_len);
      } else if (b != NULL) {
        bn_rp_diverge_set(lf, BN_RP_DIV_MISSING, b->number, "the live board never sent the captured board's %s",
                flag_word(b->flags));
      }
      received_check(f, lf);
    } else if ((f->kind == BN_RP_FLOW_ICMP || f->kind == BN_RP_FLOW_UDP) && lf->frame_index < f->nbframes) {
      bn_rp_diverge_set(lf, BN_RP_DIV_MISSING, f->bframes[lf->frame_index].number,
              "the live board sent %zu of the captured board's %zu frames", lf->frame_index, f->nbframes);
    }
  }
}
