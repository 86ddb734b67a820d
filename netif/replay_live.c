/*
 * The live side of a replay (replay_live.h): binding the capture's flows to
 * the live board's connections, rewriting the peer frames for it, and
 * comparing what it sends with what the captured board sent.
 */
#include "replay_live.h"
#include "bn_link.h"
#include "replay_frame.h"

#include "bn_clock.h"

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#define ETH_HLEN 14
#define BOOTP_XID 4
#define BOOTP_CHADDR 28

const char *rp_diverge_name(rp_diverge d)
{
  switch (d) {
  case RP_SAME:        return "none";
  case RP_DIV_OPTIONS: return "options";
  case RP_DIV_WINDOW:  return "window";
  case RP_DIV_FLAGS:   return "flags";
  case RP_DIV_PAYLOAD: return "payload";
  case RP_DIV_MISSING: return "missing";
  case RP_DIV_EXTRA:   return "extra";
  }
  return "?";
}

static uint64_t live_key(rp_flow_kind kind, uint32_t peer_ip, uint16_t peer_port, uint16_t board_port)
{
  return (uint64_t)kind << 58 ^ (uint64_t)peer_ip << 26 ^ (uint64_t)peer_port << 10 ^ board_port;
}

uint16_t rp_live_peer_port(const rp_live *l, const rp_flow *f)
{
  if (__atomic_load_n(&l->pass, __ATOMIC_RELAXED) == 0 || f->kind != RP_FLOW_TCP || f->board_opened || f->peer_port < 1024) {
    return f->peer_port;
  }
  return (uint16_t)(1024 + ((uint32_t)f->peer_port - 1024 + __atomic_load_n(&l->pass, __ATOMIC_RELAXED)) % (65536 - 1024));
}

static uint64_t key_of(const rp_live *l, const rp_flow *f, uint16_t board_port)
{
  bool ported = f->kind == RP_FLOW_TCP || f->kind == RP_FLOW_UDP;
  bool single = f->kind == RP_FLOW_ARP || f->kind == RP_FLOW_DHCP;
  return live_key(f->kind, single ? 0 : f->peer_ip, single ? 0 : rp_live_peer_port(l, f), ported ? board_port : 0);
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
      uint32_t first;
      if (!rp_keymap_get(&l->by_live, key_of(l, f, f->board_port), &first) &&
          rp_keymap_put(&l->by_live, key_of(l, f, f->board_port), (uint32_t)i) < 0) {
        return -ENOMEM;
      }
    }
  }
  return 0;
}

static void free_pieces(rp_live_flow *lf, size_t n)
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

void rp_live_free(rp_live *l)
{
  if (l->flows != NULL) {
    for (size_t i = 0; i < l->plan->nflows; i++) {
      free_pieces(&l->flows[i], l->flows[i].nunacked);
      free(l->flows[i].unacked);
    }
  }
  rp_keymap_free(&l->by_live);
  free(l->flows);
  l->flows = NULL;
}

/* The first divergence of a flow, once. */
static void diverge(rp_live_flow *lf, rp_diverge what, uint64_t number, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void diverge(rp_live_flow *lf, rp_diverge what, uint64_t number, const char *fmt, ...)
{
  if (lf->diverge != RP_SAME) {
    return;
  }
  lf->diverge = what;
  lf->diverge_number = number;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(lf->diverge_text, sizeof(lf->diverge_text), fmt, ap);
  va_end(ap);
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
      lf->offset = 0; /* the live board has it already */
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
    (void)rp_keymap_put(&l->by_live, key_of(l, f, lf->live_board_port), s->flow);
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
        free_pieces(lf, lf->nunacked); /* the board does not take them: give up */
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

/* ---- the live board's frames ---------------------------------------------------------- */

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
  if (rp_keymap_get(&l->by_live, live_key(kind, peer, peer_port, board_port), index)) {
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
      return rp_keymap_put(&l->by_live, live_key(kind, peer, peer_port, board_port), (uint32_t)i) == 0;
    }
  }
  return false;
}

/* The captured board frame holding stream byte off (0-based), for reports. */
static uint64_t frame_of_offset(const rp_flow *f, size_t off)
{
  uint64_t last = f->first_number;
  for (size_t i = 0; i < f->nbframes; i++) {
    const rp_board_frame *b = &f->bframes[i];
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
  return (flags & RP_TCP_RST) ? "RST" : (flags & RP_TCP_SYN) ? ((flags & RP_TCP_ACK) ? "SYN-ACK" : "SYN") : "FIN";
}

/* The next SYN/FIN/RST of the captured board in flow f, from *k on. */
static const rp_board_frame *next_flag_event(const rp_flow *f, size_t *k)
{
  for (; *k < f->nbframes; (*k)++) {
    const rp_board_frame *b = &f->bframes[*k];
    if (!b->retrans && (b->flags & (RP_TCP_SYN | RP_TCP_FIN | RP_TCP_RST))) {
      return b;
    }
  }
  return NULL;
}

/* A live SYN/SYN-ACK/FIN/RST against the captured board's next one. */
static void compare_flag_event(const rp_flow *f, rp_live_flow *lf, uint8_t flags, uint32_t rel, const rp_frame *pf)
{
  size_t k = lf->flag_event;
  const rp_board_frame *b = next_flag_event(f, &k);
  uint8_t mask = RP_TCP_SYN | RP_TCP_FIN | RP_TCP_RST;
  if (b == NULL) {
    diverge(lf, RP_DIV_FLAGS, f->bframes ? f->bframes[f->nbframes - 1].number : f->first_number,
            "the live board sent %s after %u bytes; the captured board sent no more SYN/FIN/RST",
            flag_word(flags), rel > 0 ? rel - 1 : 0);
    return;
  }
  lf->flag_event = k + 1;
  uint32_t captured_at = (b->flags & RP_TCP_FIN) ? b->rel_seq + b->len : b->rel_seq;
  if ((b->flags & mask) != (flags & mask) || captured_at != rel) {
    diverge(lf, RP_DIV_FLAGS, b->number, "the live board sent %s at stream byte %u, the captured board %s at %u",
            flag_word(flags), rel > 0 ? rel - 1 : 0, flag_word(b->flags), captured_at > 0 ? captured_at - 1 : 0);
    return;
  }
  if (flags & RP_TCP_SYN) {
    uint16_t mss;
    int ws;
    rp_tcp_syn_options(pf, &mss, &ws);
    bool wscale = ws >= 0;
    uint16_t window = rp_get16(pf->eth + pf->l4 + 14);
    if (mss != b->mss || wscale != b->wscale) {
      diverge(lf, RP_DIV_OPTIONS, b->number, "the live board's %s offers MSS %u%s, the captured board's MSS %u%s",
              flag_word(flags), mss, wscale ? " and window scaling" : "", b->mss,
              b->wscale ? " and window scaling" : "");
    } else if (window != b->window) {
      diverge(lf, RP_DIV_WINDOW, b->number, "the live board's %s window is %u, the captured board's %u",
              flag_word(flags), window, b->window);
    }
  }
}

/* The live board's TCP payload against the captured board's stream. */
static void compare_stream(const rp_flow *f, rp_live_flow *lf, uint32_t rel, const uint8_t *data, size_t len)
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
      diverge(lf, RP_DIV_EXTRA, f->nbframes ? f->bframes[f->nbframes - 1].number : f->first_number,
              "the live board sent more than the captured board's %zu bytes", f->stream_len);
      break;
    }
    if (f->stream[off] != data[i]) {
      diverge(lf, RP_DIV_PAYLOAD, frame_of_offset(f, off),
              "stream byte %zu differs: the live board sent 0x%02x, the captured board 0x%02x", off, data[i],
              f->stream[off]);
      break;
    }
    lf->stream_matched = off + 1;
  }
  lf->stream_live = at + len;
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
  if ((flags & RP_TCP_ACK) && f->peer_isn_known) {
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
      free_pieces(lf, done);
    } else if (acked == lf->board_ack_rel && pf->payload_len == 0 && !(flags & (RP_TCP_SYN | RP_TCP_FIN)) &&
               wnd == lf->board_wnd && lf->nunacked > 0) {
      lf->dup_acks++;
    }
    lf->board_wnd = wnd;
  }
  if (!lf->isn_known) {
    return 0;
  }
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
      compare_flag_event(f, lf, flags, (flags & RP_TCP_FIN) ? rel + (uint32_t)pf->payload_len : rel, pf);
    }
    if (pf->payload_len > 0) {
      compare_stream(f, lf, rel, rp_payload(pf), pf->payload_len);
    }
  }
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

/* ICMP/UDP/IP: the live board's k-th frame of a flow against the captured one's. */
static void other_frame(rp_live *l, uint32_t index, const rp_frame *pf)
{
  const rp_flow *f = &l->plan->flows[index];
  rp_live_flow *lf = &l->flows[index];
  lf->bytes += pf->len;
  if (f->kind != RP_FLOW_ICMP && f->kind != RP_FLOW_UDP) {
    return;
  }
  if (lf->frame_index >= f->nbframes) {
    diverge(lf, RP_DIV_EXTRA, f->nbframes ? f->bframes[f->nbframes - 1].number : f->first_number,
            "the live board sent more than the captured board's %zu frames", f->nbframes);
    return;
  }
  const rp_board_frame *b = &f->bframes[lf->frame_index++];
  if (b->len != pf->len) {
    diverge(lf, RP_DIV_PAYLOAD, b->number, "frame %zu of the flow is %zu bytes, the captured board's %u",
            lf->frame_index, pf->len, b->len);
  }
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

void rp_live_finish(rp_live *l)
{
  for (size_t i = 0; i < l->plan->nflows; i++) {
    const rp_flow *f = &l->plan->flows[i];
    rp_live_flow *lf = &l->flows[i];
    if (f->board_frames == 0 || lf->diverge != RP_SAME || lf->not_compared) {
      continue;
    }
    if (!lf->bound || lf->frames == 0) {
      diverge(lf, RP_DIV_MISSING, f->bframes[0].number, "the live board sent nothing in this flow");
    } else if (f->kind == RP_FLOW_TCP) {
      size_t k = lf->flag_event;
      const rp_board_frame *b = next_flag_event(f, &k);
      if (!f->stream_gap && !f->stream_dropped && lf->stream_live < f->stream_len) {
        diverge(lf, RP_DIV_MISSING, frame_of_offset(f, lf->stream_live),
                "the live board sent %zu of the captured board's %zu bytes", lf->stream_live, f->stream_len);
      } else if (b != NULL) {
        diverge(lf, RP_DIV_MISSING, b->number, "the live board never sent the captured board's %s",
                flag_word(b->flags));
      }
    } else if ((f->kind == RP_FLOW_ICMP || f->kind == RP_FLOW_UDP) && lf->frame_index < f->nbframes) {
      diverge(lf, RP_DIV_MISSING, f->bframes[lf->frame_index].number,
              "the live board sent %zu of the captured board's %zu frames", lf->frame_index, f->nbframes);
    }
  }
}
