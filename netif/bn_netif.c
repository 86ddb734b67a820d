/* The lwIP netif on top of a bn_link: transmit, batched receive, link state. */
#define _GNU_SOURCE /* pthread_setname_np */
#include "bn_netif.h"
#include "bn_clock.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "lwip/etharp.h"
#include "lwip/netifapi.h"
#include "lwip/pbuf.h"
#include "lwip/snmp.h"
#include "lwip/tcpip.h"
#include "netif/ethernet.h"

/* How long the receive thread waits before checking for a stop request. */
#define RX_POLL_MS 200

struct bn_netif {
  struct netif netif;
  bn_link *link;
  uint8_t mac[ETH_HWADDR_LEN];
  const char *hostname;
  pthread_t rx_thread;
  int stop;                      /* atomic: set by bn_netif_remove() */
  int core_locked;               /* rx thread only: holds the core lock now */
  bn_netif_counters counters;    /* atomic adds, relaxed */
  uint8_t txbuf[BN_LINK_MAX_FRAME]; /* linkoutput runs under the core lock: one user */
};

static void count(uint64_t *counter, uint64_t n)
{
  __atomic_fetch_add(counter, n, __ATOMIC_RELAXED);
}

/* ---- transmit (called by lwIP with the core lock held) ------------------- */

static err_t bn_netif_linkoutput(struct netif *netif, struct pbuf *p)
{
  bn_netif *bn = netif->state;
  const uint8_t *frame = p->payload;
  if (p->tot_len > BN_LINK_MAX_FRAME) {
    count(&bn->counters.tx_dropped, 1);
    return ERR_IF;
  }
  if (p->next != NULL) {
    pbuf_copy_partial(p, bn->txbuf, p->tot_len, 0);
    frame = bn->txbuf;
  }
  int rc = bn_link_send(bn->link, frame, p->tot_len, bn_clock_now_ns());
  if (rc < 0) {
    count(&bn->counters.tx_dropped, 1);
    return rc == -ENOBUFS ? ERR_OK : ERR_IF;  /* a full wire drops, like a MAC */
  }
  count(&bn->counters.tx_frames, 1);
  count(&bn->counters.tx_bytes, p->tot_len);
  return ERR_OK;
}

/* ---- receive (the rx thread) --------------------------------------------- */

static void bn_netif_rx_frame(void *arg, const uint8_t *frame, size_t len, uint64_t ts_ns)
{
  (void)ts_ns;
  bn_netif *bn = arg;
  struct pbuf *p = pbuf_alloc(PBUF_RAW, (u16_t)len, PBUF_POOL);
  if (p == NULL) {
    count(&bn->counters.rx_dropped, 1);
    return;
  }
  pbuf_take(p, frame, (u16_t)len);
  /* Take the core lock once per batch: bn_link_poll() never blocks after its
   * first delivery, so holding it across the batch is safe. */
  if (!bn->core_locked) {
    LOCK_TCPIP_CORE();
    bn->core_locked = 1;
  }
  if (bn->netif.input(p, &bn->netif) != ERR_OK) {
    pbuf_free(p);
    count(&bn->counters.rx_dropped, 1);
    return;
  }
  count(&bn->counters.rx_frames, 1);
  count(&bn->counters.rx_bytes, len);
}

static void *bn_netif_rx_main(void *arg)
{
  bn_netif *bn = arg;
  while (!__atomic_load_n(&bn->stop, __ATOMIC_ACQUIRE)) {
    int rc = bn_link_poll(bn->link, bn_netif_rx_frame, bn, RX_POLL_MS);
    if (bn->core_locked) {
      bn->core_locked = 0;
      UNLOCK_TCPIP_CORE();
    }
    if (rc == -ENODATA) {
      break;  /* the link ended (a replay finished): nothing more will come */
    }
    if (rc < 0) {
      /* A device error: take the link down rather than spin. */
      netifapi_netif_set_link_down(&bn->netif);
      break;
    }
  }
  return NULL;
}

/* ---- setup --------------------------------------------------------------- */

static err_t bn_netif_init(struct netif *netif)
{
  bn_netif *bn = netif->state;
  netif->name[0] = 'b';
  netif->name[1] = 'n';
  netif->hwaddr_len = ETH_HWADDR_LEN;
  memcpy(netif->hwaddr, bn->mac, ETH_HWADDR_LEN);
  netif->mtu = 1500;
  netif->flags = NETIF_FLAG_BROADCAST | NETIF_FLAG_ETHARP | NETIF_FLAG_ETHERNET | NETIF_FLAG_IGMP;
  netif->output = etharp_output;
  netif->linkoutput = bn_netif_linkoutput;
#if LWIP_NETIF_HOSTNAME
  netif->hostname = bn->hostname;
#endif
  MIB2_INIT_NETIF(netif, snmp_ifType_ethernet_csmacd, 0);
  return ERR_OK;
}

int bn_netif_add(bn_link *link, const uint8_t mac[6], const char *hostname, bn_netif **out)
{
  if (link == NULL || mac == NULL || out == NULL || (mac[0] & 1)) {
    return -EINVAL;
  }
  bn_netif *bn = calloc(1, sizeof(*bn));
  if (bn == NULL) {
    return -ENOMEM;
  }
  bn->link = link;
  memcpy(bn->mac, mac, ETH_HWADDR_LEN);
  bn->hostname = hostname;
  /* ethernet_input, not tcpip_input: the rx thread already holds the core lock. */
  if (netifapi_netif_add(&bn->netif, NULL, NULL, NULL, bn, bn_netif_init, ethernet_input) != ERR_OK) {
    free(bn);
    return -ENOMEM;
  }
  netifapi_netif_set_up(&bn->netif);
  netifapi_netif_set_link_up(&bn->netif);
  if (pthread_create(&bn->rx_thread, NULL, bn_netif_rx_main, bn) != 0) {
    netifapi_netif_remove(&bn->netif);
    free(bn);
    return -EAGAIN;
  }
  pthread_setname_np(bn->rx_thread, "bn-rx");
  *out = bn;
  return 0;
}

struct netif *bn_netif_lwip(bn_netif *bn)
{
  return &bn->netif;
}

void bn_netif_set_link(bn_netif *bn, bool up)
{
  if (up) {
    netifapi_netif_set_link_up(&bn->netif);
  } else {
    netifapi_netif_set_link_down(&bn->netif);
  }
}

void bn_netif_get_counters(const bn_netif *bn, bn_netif_counters *out)
{
  const uint64_t *src = (const uint64_t *)&bn->counters;
  uint64_t *dst = (uint64_t *)out;
  for (size_t i = 0; i < sizeof(*out) / sizeof(uint64_t); i++) {
    dst[i] = __atomic_load_n(&src[i], __ATOMIC_RELAXED);
  }
}

void bn_netif_remove(bn_netif *bn)
{
  if (bn == NULL) {
    return;
  }
  __atomic_store_n(&bn->stop, 1, __ATOMIC_RELEASE);
  bn_link_wake(bn->link);
  pthread_join(bn->rx_thread, NULL);
  netifapi_netif_set_down(&bn->netif);
  netifapi_netif_remove(&bn->netif);
  free(bn);
}
