/*
 * bn_stack: the lifecycle of the board's one lwIP instance. Starts the tcpip
 * thread, puts a netif on the given link, configures IPv4 statically or by
 * DHCP, DNS servers and hostname; stops it all again. One stack per process
 * (lwIP keeps global state): a second board is a second process.
 */
#ifndef BN_STACK_H
#define BN_STACK_H

#include <stdbool.h>
#include <stdint.h>

#include "lwip/ip4_addr.h"
#include "bn_link.h"
#include "bn_netif.h"

#define BN_STACK_MAX_DNS 2

/** How the board gets its address. Zero-initialise, then fill in. */
typedef struct bn_config {
  bn_link *link;             /**< the wire; owned by the stack from bn_stack_start() on */
  bool dhcp;                 /**< get the address by DHCP (ip/netmask/gw ignored) */
  ip4_addr_t ip;             /**< static address (when !dhcp); 0.0.0.0 = none */
  ip4_addr_t netmask;
  ip4_addr_t gw;             /**< 0.0.0.0 = no gateway */
  ip4_addr_t dns[BN_STACK_MAX_DNS];
  int dns_count;             /**< 0..BN_STACK_MAX_DNS; DHCP may add servers */
  uint8_t mac[6];
  bool mac_set;              /**< false: bn_config_default_mac() of the backend's name */
  const char *hostname;      /**< NULL: the board profile's BN_BOARD_HOSTNAME */
  unsigned dhcp_timeout_ms;  /**< 0: 10000 */
  uint64_t seed;             /**< seeds lwIP's LWIP_RAND (ports, DHCP xids, DNS
                                  ids) and TCP ISNs: the same seed, the same
                                  numbers in the same order (0 is a seed too) */
  bn_netif_tuning tuning;    /**< the data path's switches (bn_netif.h); zero: the defaults */
} bn_config;

/** What the stack is running with, for reports. */
typedef struct bn_stack_status {
  ip4_addr_t ip, netmask, gw;
  ip4_addr_t dns[BN_STACK_MAX_DNS];
  ip4_addr_t dhcp_server;    /**< 0.0.0.0 unless the address came by DHCP */
  uint32_t lease_s;          /**< DHCP lease time in seconds, 0 if static */
  uint8_t mac[6];
  bool link_up;
  int link_error;            /**< bn_netif_link_error(): 0, or why the link ended */
  bn_netif_counters counters;
} bn_stack_status;

/**
 * Starts lwIP on cfg->link and configures it. With DHCP, waits for a lease
 * for at most dhcp_timeout_ms. On success the link belongs to the stack.
 * @return 0, or
 *   -EINVAL    bad configuration (no link, netmask not contiguous, address
 *              is network/broadcast, gateway outside the subnet, ...),
 *   -EALREADY  a stack was already started in this process,
 *   -ETIMEDOUT no DHCP lease in time (the stack stays down, the link is
 *              still the caller's),
 *   -ENOMEM / -EAGAIN from bn_netif_add().
 * On failure the link stays the caller's.
 */
int bn_stack_start(const bn_config *cfg);

/** The board's interface (NULL before start / after stop). */
bn_netif *bn_stack_netif(void);

/** bn_netif_link_error() of the board's interface (0 if none runs); never
 *  waits for lwIP's core lock (a board thread may hold it for long). */
int bn_stack_link_error(void);

/** Fills in the status; -ENOTCONN when no stack runs. */
int bn_stack_status_get(bn_stack_status *out);

/**
 * Waits (at most max_ms) until what the board sent has left it: no TCP
 * connection holds unsent or unacknowledged data or an unacknowledged FIN,
 * and the pipeline's impairment stage (if any) holds no outgoing frame.
 * For a program that closes its sockets and ends: its last bytes reach the
 * peer before bn_stack_stop() takes the interface away.
 * @return 0, -ETIMEDOUT (still sending at max_ms), or -ENOTCONN (no stack).
 */
int bn_stack_settle(long max_ms);

/**
 * Releases the DHCP lease (if any), removes the interface and closes the link.
 * lwIP's tcpip thread keeps running (lwIP has no way to end it) but is idle.
 * @return 0, or -ENOTCONN when no stack runs.
 */
int bn_stack_stop(void);

#endif /* BN_STACK_H */
