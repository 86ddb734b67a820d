/*
 * Flows by their exact addresses and ports, for the replay: one keymap per
 * kind of key, so that no two conversations share one (TCP and UDP keys are
 * the whole peer address and both ports, 64 bits; the others fit beside
 * their kind). Zero-initialise; rp_flowmap_free() when done.
 */
#ifndef BN_REPLAY_FLOWMAP_H
#define BN_REPLAY_FLOWMAP_H

#include "replay_keymap.h"
#include "replay_plan.h"

typedef struct rp_flowmap {
  rp_keymap tcp, udp, other;
} rp_flowmap;

static inline rp_keymap *rp_flowmap_of(rp_flowmap *m, rp_flow_kind kind, uint64_t *key, uint32_t peer_ip,
                                       uint16_t peer_port, uint16_t board_port)
{
  uint64_t tuple = (uint64_t)peer_ip << 32 | (uint64_t)peer_port << 16 | board_port;
  if (kind == RP_FLOW_TCP || kind == RP_FLOW_UDP) {
    *key = tuple;
    return kind == RP_FLOW_TCP ? &m->tcp : &m->udp;
  }
  *key = (uint64_t)kind << 48 | (uint64_t)peer_ip << 16 | peer_port; /* ICMP/IP: the protocol as port */
  return &m->other;
}

/** Maps the flow of (kind, peer, ports) to val. @return 0, -ENOMEM. */
static inline int rp_flowmap_put(rp_flowmap *m, rp_flow_kind kind, uint32_t peer_ip, uint16_t peer_port,
                                 uint16_t board_port, uint32_t val)
{
  uint64_t key;
  rp_keymap *k = rp_flowmap_of(m, kind, &key, peer_ip, peer_port, board_port);
  return rp_keymap_put(k, key, val);
}

/** The flow mapped for (kind, peer, ports), into *val. */
static inline bool rp_flowmap_get(rp_flowmap *m, rp_flow_kind kind, uint32_t peer_ip, uint16_t peer_port,
                                  uint16_t board_port, uint32_t *val)
{
  uint64_t key;
  rp_keymap *k = rp_flowmap_of(m, kind, &key, peer_ip, peer_port, board_port);
  return rp_keymap_get(k, key, val);
}

static inline void rp_flowmap_free(rp_flowmap *m)
{
  rp_keymap_free(&m->tcp);
  rp_keymap_free(&m->udp);
  rp_keymap_free(&m->other);
}

#endif /* BN_REPLAY_FLOWMAP_H */
