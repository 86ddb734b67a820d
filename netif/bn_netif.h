/*
 * bn_netif: the lwIP network interface that sits on top of a bn_link
 * pipeline. lwIP's linkoutput queues each frame in a transmit ring whose
 * frames go to the link in order (as a MAC's DMA engine drains its
 * descriptor ring): a small reply from the thread that queued it, once it
 * released lwIP's core lock, a burst from a thread of the interface. A
 * receive thread polls the link and feeds frames to lwIP in batches under
 * the core lock (LWIP_TCPIP_CORE_LOCKING_INPUT), so input never queues in a
 * mailbox; it releases the lock before every further read of the link.
 */
#ifndef BN_NETIF_H
#define BN_NETIF_H

#include <stdbool.h>
#include <stdint.h>

#include "lwip/netif.h"
#include "bn_link.h"

typedef struct bn_netif bn_netif;

/** Counters of one interface, read with bn_netif_get_counters(). */
typedef struct bn_netif_counters {
  uint64_t rx_frames;   /**< frames handed to lwIP */
  uint64_t rx_bytes;
  uint64_t rx_dropped;  /**< no pbuf for the frame, or lwIP refused it */
  uint64_t tx_frames;   /**< frames the link took (or is taking now) */
  uint64_t tx_bytes;
  uint64_t tx_dropped;  /**< the link refused them (-ENOBUFS, device errors) */
  uint64_t tx_inline;   /**< frames handed to the link by the thread that
                             queued them (the others: by the tx thread) */
} bn_netif_counters;

/**
 * How the netif moves frames; zero-initialised is the default. A switch
 * per choice of the data path, so that one binary measures both sides
 * (test/bench/tcp); none changes which frames go out, or their order.
 */
typedef struct bn_netif_tuning {
  /** Every frame is handed to the link by the netif's tx thread (the data
   *  path before inline transmit): a reply costs a wake-up of that thread. */
  bool tx_inline_off;
} bn_netif_tuning;

/**
 * Adds an Ethernet netif on top of link and starts its transmit and receive
 * threads.
 * Call from an application thread (not holding the core lock) after
 * tcpip_init(). The interface is added administratively up with no address,
 * link up, and is not made the default: see bn_stack.h for that.
 *
 * @param link     the link; stays owned by the caller, who closes it after
 *                 bn_netif_remove()
 * @param mac      the interface's MAC address
 * @param hostname DHCP hostname (kept by reference; may be NULL)
 * @param tuning   the data path's switches (copied; NULL: the defaults)
 * @param out      receives the interface
 * @return 0, -EINVAL (NULL argument, multicast MAC), -ENOMEM, or -EAGAIN when
 *         a thread cannot be started.
 */
int bn_netif_add(bn_link *link, const uint8_t mac[6], const char *hostname,
                 const bn_netif_tuning *tuning, bn_netif **out);

/** The lwIP netif (for netif_* calls, under the core lock). */
struct netif *bn_netif_lwip(bn_netif *bn);

/**
 * The error that ended the link for good (a negative errno from
 * bn_link_poll(), e.g. -ENODEV: the TAP was deleted), or 0 while it works or
 * after it ended normally (-ENODATA, a replay finished, is not an error).
 * Once set, the netif's link is down and nothing more is received.
 * Thread-safe.
 */
int bn_netif_link_error(const bn_netif *bn);

/** Copies the counters; thread-safe. */
void bn_netif_get_counters(const bn_netif *bn, bn_netif_counters *out);

/**
 * Stops the receive thread, removes the netif from lwIP, lets the transmit
 * thread send what lwIP queued before, stops it, and frees bn.
 * The link is not closed. NULL is ignored. Call from an application thread.
 */
void bn_netif_remove(bn_netif *bn);

#endif /* BN_NETIF_H */
