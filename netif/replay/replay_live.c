/*
 * The live flows of a replay (replay_live.h): set up for a pass over the
 * capture (connections the peers open bound by their captured ports, those
 * the board opens left for its SYN), the live board's addresses and ports
 * mapped to flows, and freed.
 */
#include "replay_live.h"
#include "bn_clock.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

uint16_t bn_rp_live_peer_port(const bn_rp_live *l, const bn_rp_flow *f)
{
  unsigned pass = __atomic_load_n(&l->pass, __ATOMIC_RELAXED);
  if (pass == 0 || f->kind != BN_RP_FLOW_TCP || f->board_opened || f->peer_port < 1024) {
    return f->peer_port;
  }
  /* Past every port the capture's peers used: a port of the pass before
   * may be in the board's TIME_WAIT still. */
  uint32_t span = (uint32_t)l->plan->peer_port_max - l->plan->peer_port_min + 1;
  return (uint16_t)(1024 + ((uint32_t)f->peer_port - 1024 + pass * span) % (65536 - 1024));
}

int bn_rp_live_map(bn_rp_live *l, const bn_rp_flow *f, uint16_t board_port, uint32_t index, bool replace)
{
  bool ported = f->kind == BN_RP_FLOW_TCP || f->kind == BN_RP_FLOW_UDP;
  bool single = f->kind == BN_RP_FLOW_ARP || f->kind == BN_RP_FLOW_DHCP;
  uint32_t ip = single ? 0 : f->peer_ip, first;
  uint16_t peer_port = single ? 0 : bn_rp_live_peer_port(l, f), port = ported ? board_port : 0;
  if (!replace && bn_rp_flowmap_get(&l->by_live, f->kind, ip, peer_port, port, &first)) {
    return 0;
  }
  return bn_rp_flowmap_put(&l->by_live, f->kind, ip, peer_port, port, index);
}

const char *bn_rp_wait_text(bn_rp_wait w)
{
  static const char *const texts[BN_RP_WAIT_COUNT] = {
    [BN_RP_WAIT_HELD] = "for the board program to be ready",
    [BN_RP_WAIT_CAPTURE] = "for the capture's own gaps",
    [BN_RP_WAIT_BOARD] = "for the live board's answers",
    [BN_RP_WAIT_CONNECTION] = "for live connections to open",
    [BN_RP_WAIT_WINDOW] = "for the live board's shut window",
  };
  return (unsigned)w < BN_RP_WAIT_COUNT ? texts[w] : "?";
}

const char *bn_rp_wait_id(bn_rp_wait w)
{
  static const char *const ids[BN_RP_WAIT_COUNT] = {
    [BN_RP_WAIT_HELD] = "program", [BN_RP_WAIT_CAPTURE] = "capture", [BN_RP_WAIT_BOARD] = "board",
    [BN_RP_WAIT_CONNECTION] = "connection", [BN_RP_WAIT_WINDOW] = "window",
  };
  return (unsigned)w < BN_RP_WAIT_COUNT ? ids[w] : "?";
}

int bn_rp_live_init(bn_rp_live *l, const bn_rp_plan *plan, uint32_t live_ip, const uint8_t live_mac[6])
{
  return bn_rp_live_init_pass(l, plan, live_ip, live_mac, 0);
}

int bn_rp_live_init_pass(bn_rp_live *l, const bn_rp_plan *plan, uint32_t live_ip, const uint8_t live_mac[6], unsigned pass)
{
  memset(l, 0, offsetof(bn_rp_live, head));
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
    const bn_rp_flow *f = &plan->flows[i];
    bn_rp_live_flow *lf = &l->flows[i];
    lf->live_ws = -1;
    if (pass > 0 && (f->kind == BN_RP_FLOW_DHCP || f->kind == BN_RP_FLOW_ARP)) {
      lf->not_compared = true;
      lf->abandoned = f->kind == BN_RP_FLOW_DHCP;
    }
    /* A connection the board opened gets its live port from the live SYN;
     * every other flow keeps the capture's ports. */
    bool later = (f->kind == BN_RP_FLOW_TCP && f->board_opened) ||
                 (f->kind == BN_RP_FLOW_UDP && f->board_first && f->board_port >= 1024);
    if (!later) {
      lf->bound = true;
      lf->live_board_port = f->board_port;
      /* The capture's first flow with these addresses and ports; a later
       * connection on the same ports takes them over with its SYN. */
      if (bn_rp_live_map(l, f, f->board_port, (uint32_t)i, false) < 0) {
        bn_rp_live_free(l);
        return -ENOMEM;
      }
    }
  }
  return 0;
}

void bn_rp_live_replace(bn_rp_live *l, bn_rp_live *fresh)
{
  bn_rp_live_free(l);
  memcpy(l, fresh, offsetof(bn_rp_live, head)); /* the atomics stay in place, for their readers */
  __atomic_store_n(&l->head, 0, __ATOMIC_RELAXED);
  __atomic_store_n(&l->done, 0, __ATOMIC_RELAXED);
  __atomic_store_n(&l->pass, fresh->pass, __ATOMIC_RELEASE);
}

void bn_rp_live_free_pieces(bn_rp_live_flow *lf, size_t n)
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

void bn_rp_live_set_ignore(bn_rp_live *l, uint32_t classes)
{
  l->ignore = classes;
  for (size_t i = 0; l->flows != NULL && i < l->plan->nflows; i++) {
    l->flows[i].ignore_classes = classes;
  }
}

uint64_t bn_rp_live_owed_until(const bn_rp_live *l, uint64_t wait_ns)
{
  uint64_t until = 0;
  for (size_t i = 0; l->flows != NULL && i < l->plan->nflows; i++) {
    const bn_rp_flow *f = &l->plan->flows[i];
    const bn_rp_live_flow *lf = &l->flows[i];
    if (f->kind != BN_RP_FLOW_TCP || !f->has_syn || !lf->started || !lf->isn_known || lf->abandoned ||
        lf->resets > 0 || lf->not_compared || (int32_t)(lf->live_rel_next - lf->live_rel_end) >= 0) {
      continue;
    }
    uint64_t t = bn_clock_add_ns(lf->last_ns, wait_ns);
    until = t > until ? t : until;
  }
  return until;
}

void bn_rp_live_free(bn_rp_live *l)
{
  if (l->flows != NULL) {
    for (size_t i = 0; i < l->plan->nflows; i++) {
      bn_rp_live_free_pieces(&l->flows[i], l->flows[i].nunacked);
      free(l->flows[i].unacked);
    }
  }
  bn_rp_flowmap_free(&l->by_live);
  bn_rp_reassembly_free(&l->frags);
  free(l->flows);
  l->flows = NULL;
}
