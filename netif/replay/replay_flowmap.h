/*
 * Flows by their exact addresses and ports, for the replay: one keymap per
 * kind of key, so that no two conversations share one (TCP and UDP keys are
 * the whole peer address and both ports, 64 bits; the others fit beside
 * their kind). Zero-initialise; bn_rp_flowmap_free() when done.
 */
#ifndef BN_REPLAY_FLOWMAP_H
#define BN_REPLAY_FLOWMAP_H

#include "replay_headers.h"
#include "replay_keymap.h"
#include "replay_plan.h"

typedef struct bn_rp_flowmap {
  bn_rp_keymap tcp, udp, other;
} bn_rp_flowmap;

static inline bn_rp_keymap *bn_rp_flowmap_of(bn_rp_flowmap *m, bn_rp_flow_kind kind, uint64_t *key, uint32_t peer_ip,
                                       uint16_t peer_port, uint16_t board_port)
{
  uint64_t tuple = (uint64_t)peer_ip << 32 | (uint64_t)peer_port << 16 | board_port;
  if (kind == BN_RP_FLOW_TCP || kind == BN_RP_FLOW_UDP) {
    *key = tuple;
    return kind == BN_RP_FLOW_TCP ? &m->tcp : &m->udp;
  }
  *key = (uint64_t)kind << 48 | (uint64_t)peer_ip << 16 | peer_port; /* ICMP/IP: the protocol as port */
  return &m->other;
}

/** Maps the flow of (kind, peer, ports) to val. @return 0, -ENOMEM. */
static inline int bn_rp_flowmap_put(bn_rp_flowmap *m, bn_rp_flow_kind kind, uint32_t peer_ip, uint16_t peer_port,
                                 uint16_t board_port, uint32_t val)
{
  uint64_t key;
  bn_rp_keymap *k = bn_rp_flowmap_of(m, kind, &key, peer_ip, peer_port, board_port);
  return bn_rp_keymap_put(k, key, val);
}

/** The flow mapped for (kind, peer, ports), into *val. */
static inline bool bn_rp_flowmap_get(bn_rp_flowmap *m, bn_rp_flow_kind kind, uint32_t peer_ip, uint16_t peer_port,
                                  uint16_t board_port, uint32_t *val)
{
  uint64_t key;
  bn_rp_keymap *k = bn_rp_flowmap_of(m, kind, &key, peer_ip, peer_port, board_port);
  return bn_rp_keymap_get(k, key, val);
}

/** The UDP flow in m that f, an ICMP error the board at board_ip sent, is
 *  about (port unreachable ...: the datagram it quotes), into *val. */
static inline bool bn_rp_flowmap_icmp_error(bn_rp_flowmap *m, const bn_rp_frame *f, uint32_t board_ip, uint32_t *val)
{
  uint32_t src, dst;
  uint16_t sport, dport;
  return bn_rp_icmp_error_about_udp(f, &src, &dst, &sport, &dport) && dst == board_ip &&
         bn_rp_flowmap_get(m, BN_RP_FLOW_UDP, src, sport, dport, val);
}

static inline void bn_rp_flowmap_free(bn_rp_flowmap *m)
{
  bn_rp_keymap_free(&m->tcp);
  bn_rp_keymap_free(&m->udp);
  bn_rp_keymap_free(&m->other);
}

#endif /* BN_REPLAY_FLOWMAP_H */
