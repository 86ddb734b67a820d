/*
 * The lwIP netif on top of a bn_link: transmit through a ring, batched
 * receive, link state.
 *
 * Transmit works as an Ethernet MAC's descriptor ring does: linkoutput (lwIP,
 * under the core lock) copies the frame into the next slot and returns; the
 * slots are handed to the link in order, one send per frame, the frames
 * unchanged. Whoever holds the transmit token (tx_token) hands them over:
 * - the thread that queued a small reply (one or two frames in the ring), as
 *   soon as it has released the core lock: the app's thread after its send,
 *   the rx thread after lwIP's input, the tcpip thread after a timer. A
 *   round trip then costs no wake-up of another thread;
 * - the tx thread otherwise: bursts, and whenever the token was taken. It
 *   moves the cost of the link's send (for a TAP, the kernel's processing of
 *   the frames) off the threads that call lwIP, in batches.
 * A full ring makes linkoutput wait for a free slot (no sender ever needs
 * the core lock, so they always make progress): no frame is lost on the way.
 */
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

/* Transmit ring slots (a power of two): more than a 256 KiB window of
 * full-sized frames, so that a burst of lwIP's output rarely waits. */
#define TX_RING 256
/* Frames handed to the link in one bn_link_send_batch() call at most. */
#define TX_BATCH 32
/* At most this many frames in the ring are sent by the thread that queued
 * them (a reply and its ACK); more is a burst, for the tx thread. */
#define TX_INLINE_MAX 2

struct tx_slot {
  size_t len;
  uint8_t frame[BN_LINK_MAX_FRAME];
};

struct bn_netif {
  struct netif netif;
  bn_link *link;
  uint8_t mac[ETH_HWADDR_LEN];
  const char *hostname;
  bool tx_inline;                /* small replies sent by the thread that queued them */
  bn_thread_t rx_thread;
  int stop;                      /* atomic: set by bn_netif_remove() */
  int link_error;                /* atomic: the error that ended the link, 0 if none */
  int core_locked;               /* rx thread only: holds the core lock now */
  unsigned rx_polled;            /* rx thread only: frames received in this poll */
  bn_netif_counters counters;    /* atomic adds, relaxed */
  /* Transmit ring. Slots [tx_tail, tx_head) are queued; the producer is
   * linkoutput (one at a time: the core lock), the consumer whoever holds
   * tx_token. */
  struct tx_slot *tx_ring;
  uint32_t tx_head;              /* atomic; written by the producer */
  uint32_t tx_tail;              /* atomic; written by the holder of tx_token */
  int tx_token;                  /* atomic: 1 while a thread hands frames to the link */
  int tx_deferred;               /* atomic: threads yet to run tx_after_unlock() on this netif */
  int tx_idle;                   /* atomic: the tx thread sleeps (or is about to) */
  int tx_full;                   /* atomic: the producer waits for a free slot */
  int tx_stop;                   /* under tx_mu: drain the ring, then exit */
  bn_thread_t tx_thread;
  bn_mutex_t tx_mu;
  bn_cond_t tx_cv;          /* the tx thread waits for frames */
  bn_cond_t tx_space_cv;    /* the producer waits for a free slot */
};

static void count(uint64_t *counter, uint64_t n)
{
  __atomic_fetch_add(counter, n, __ATOMIC_RELAXED);
}

/* ---- transmit ----------------------------------------------------------- */

static uint32_t tx_queued(const bn_netif *bn)
{
  return __atomic_load_n(&bn->tx_head, __ATOMIC_SEQ_CST) - __atomic_load_n(&bn->tx_tail, __ATOMIC_SEQ_CST);
}

/* Wakes the tx thread if it sleeps. The seq_cst store of tx_head before and
 * the tx thread's seq_cst store of tx_idle before it re-reads tx_head make
 * sure that one of the two sees the other. */
static void tx_ring_doorbell(bn_netif *bn)
{
  if (__atomic_load_n(&bn->tx_idle, __ATOMIC_SEQ_CST)) {
    bn_mutex_lock(&bn->tx_mu);
    bn_cond_signal(&bn->tx_cv);
    bn_mutex_unlock(&bn->tx_mu);
  }
}

/* Hands the frames queued now, up to max (at most a batch), to the link in
 * one call, from the ring's tail. With tx_token held. They are stamped
 * now: when they go on the wire, as a MAC's DMA sends them. Returns how
 * many frames left the ring. */
static size_t tx_hand_over(bn_netif *bn, size_t max)
{
  uint32_t tail = __atomic_load_n(&bn->tx_tail, __ATOMIC_RELAXED);
  uint32_t head = __atomic_load_n(&bn->tx_head, __ATOMIC_ACQUIRE);
  bn_link_frame batch[TX_BATCH];
  uint64_t now = bn_clock_now_ns();
  size_t n = 0;
  uint64_t bytes = 0;
  for (; n < TX_BATCH && n < max && tail + n != head; n++) {
    const struct tx_slot *slot = &bn->tx_ring[(tail + n) % TX_RING];
    batch[n] = (bn_link_frame){ .data = slot->frame, .len = slot->len, .ts_ns = now };
    bytes += slot->len;
  }
  if (n == 0) {
    return 0;
  }
  /* Counted first, so that a peer that saw a frame also sees it counted. */
  count(&bn->counters.tx_frames, n);
  count(&bn->counters.tx_bytes, bytes);
  if (bn_link_send_batch(bn->link, batch, n) < n) {
    for (size_t i = 0; i < n; i++) {
      if (batch[i].result < 0) {
        /* A full wire drops, like a MAC; so does a device error. */
        __atomic_fetch_sub(&bn->counters.tx_frames, 1, __ATOMIC_RELAXED);
        __atomic_fetch_sub(&bn->counters.tx_bytes, batch[i].len, __ATOMIC_RELAXED);
        count(&bn->counters.tx_dropped, 1);
      }
    }
  }
  __atomic_store_n(&bn->tx_tail, tail + (uint32_t)n, __ATOMIC_SEQ_CST);
  if (__atomic_load_n(&bn->tx_full, __ATOMIC_SEQ_CST)) {
    bn_mutex_lock(&bn->tx_mu);
    bn_cond_signal(&bn->tx_space_cv);
    bn_mutex_unlock(&bn->tx_mu);
  }
  return n;
}

/* Takes the transmit token if nobody holds it. */
static bool tx_token_take(bn_netif *bn)
{
  int free_token = 0;
  return __atomic_compare_exchange_n(&bn->tx_token, &free_token, 1, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
}

/*
 * Sends what the ring holds while that is a small reply (one or two frames),
 * taking the token for each round; a burst is left to the tx thread. A
 * thread that finds the token taken leaves its frames to the holder, which
 * looks at the ring again after it gave the token back: the seq_cst store of
 * tx_head before the failed take, and the holder's seq_cst release of the
 * token before it reads tx_head again, make sure that one of the two sees
 * the frame. (The tx thread, as a holder, empties the ring before it sleeps.)
 */
static void tx_send_small(bn_netif *bn)
{
  for (;;) {
    uint32_t queued = tx_queued(bn);
    if (queued == 0) {
      return;
    }
    if (queued > TX_INLINE_MAX) {
      tx_ring_doorbell(bn); /* a burst: the tx thread's */
      return;
    }
    if (!tx_token_take(bn)) {
      return; /* the holder sends them */
    }
    size_t n = tx_queued(bn) <= TX_INLINE_MAX ? tx_hand_over(bn, TX_INLINE_MAX) : 0;
    count(&bn->counters.tx_inline, n);
    __atomic_store_n(&bn->tx_token, 0, __ATOMIC_SEQ_CST);
  }
}

/* Run by a thread that queued frames, once it released the core lock
 * (sys_defer_until_core_unlock()). */
static void tx_after_unlock(void *arg)
{
  bn_netif *bn = arg;
  tx_send_small(bn);
  __atomic_fetch_sub(&bn->tx_deferred, 1, __ATOMIC_RELEASE);
}

/* Whether frame is a TCP segment (IPv4, or IPv6 without extension headers);
 * if so, its payload's length and its flags. */
static bool tcp_segment(const uint8_t *f, size_t len, size_t *payload, uint8_t *flags)
{
  size_t seg_len, tcp_off;
  if (len >= 14 + 20 && f[12] == 0x08 && f[13] == 0x00) {
    size_t ihl = (size_t)(f[14] & 0x0f) * 4;
    size_t total = (size_t)f[16] << 8 | f[17];
    if (f[23] != 6 || ihl < 20 || total < ihl) {
      return false;
    }
    seg_len = total - ihl;
    tcp_off = 14 + ihl;
  } else if (len >= 14 + 40 && f[12] == 0x86 && f[13] == 0xdd && f[20] == 6) {
    seg_len = (size_t)f[18] << 8 | f[19];
    tcp_off = 14 + 40;
  } else {
    return false;
  }
  if (len < tcp_off + 20) {
    return false;
  }
  size_t header = (size_t)(f[tcp_off + 12] >> 4) * 4;
  *payload = seg_len > header ? seg_len - header : 0;
  *flags = f[tcp_off + 13];
  return true;
}

/* The netif whose rx thread this is (NULL in other threads). */
static _Thread_local const bn_netif *rx_thread_of;

/*
 * Whether the frame just queued is a small reply its thread should send
 * itself, once it released the core lock. Not so, and left to the tx thread
 * (whose wake-up nobody waits for), the frames of a bulk transfer: an ACK or
 * window update (no data, SYN, FIN or RST) sent by an app's thread or by the
 * rx thread amid a stream of frames, and TCP data lwIP sent from the rx
 * thread (the transfer's next segments, let go by an ACK). Sending them
 * inline would make the kernel's processing of the frame inside the TAP
 * write (the peer's ACK processing, or its receive and its reader's wake-up)
 * run in the thread that handles the transfer's next frames, not beside it.
 */
static bool tx_inline_fits(const bn_netif *bn, const uint8_t *frame, size_t len)
{
  size_t payload;
  uint8_t flags;
  if (!tcp_segment(frame, len, &payload, &flags)) {
    return true; /* ARP, ICMP, UDP: replies */
  }
  bool rx = rx_thread_of == bn;
  if (payload == 0 && (flags & 0x07) == 0) {
    return rx && bn->rx_polled <= TX_INLINE_MAX; /* an ACK: a handshake's last step */
  }
  return payload == 0 || !rx; /* SYN, FIN, RST; an app's data */
}

/* Called by lwIP with the core lock held. */
static err_t bn_netif_linkoutput(struct netif *netif, struct pbuf *p)
{
  bn_netif *bn = netif->state;
  if (p->tot_len > BN_LINK_MAX_FRAME) {
    count(&bn->counters.tx_dropped, 1);
    return ERR_IF;
  }
  uint32_t head = __atomic_load_n(&bn->tx_head, __ATOMIC_RELAXED);
  if (head - __atomic_load_n(&bn->tx_tail, __ATOMIC_ACQUIRE) == TX_RING) {
    /* Full: wait until a sender has sent one. */
    bn_mutex_lock(&bn->tx_mu);
    __atomic_store_n(&bn->tx_full, 1, __ATOMIC_SEQ_CST);
    while (head - __atomic_load_n(&bn->tx_tail, __ATOMIC_SEQ_CST) == TX_RING) {
      bn_cond_wait(&bn->tx_space_cv, &bn->tx_mu, BN_CLOCK_FOREVER);
    }
    __atomic_store_n(&bn->tx_full, 0, __ATOMIC_RELAXED);
    bn_mutex_unlock(&bn->tx_mu);
  }
  struct tx_slot *slot = &bn->tx_ring[head % TX_RING];
  pbuf_copy_partial(p, slot->frame, p->tot_len, 0);
  slot->len = p->tot_len;
  __atomic_store_n(&bn->tx_head, head + 1, __ATOMIC_SEQ_CST);
  if (bn->tx_inline && tx_queued(bn) <= TX_INLINE_MAX && tx_inline_fits(bn, slot->frame, slot->len)) {
    switch (sys_defer_until_core_unlock(tx_after_unlock, bn)) {
    case SYS_CORE_DEFERRED_ADDED:
      __atomic_fetch_add(&bn->tx_deferred, 1, __ATOMIC_RELAXED);
      return ERR_OK;
    case SYS_CORE_DEFERRED_ALREADY:
      return ERR_OK;
    case SYS_CORE_DEFERRED_REFUSED:
      break;
    }
  }
  tx_ring_doorbell(bn);
  return ERR_OK;
}

/* Whether the tx thread has nothing to do: an empty ring, or one whose
 * frames another thread is sending (it looks at the ring again once it
 * gave the token back, and rings the doorbell for a burst). */
static bool tx_nothing_to_do(bn_netif *bn)
{
  return tx_queued(bn) == 0 || __atomic_load_n(&bn->tx_token, __ATOMIC_SEQ_CST) != 0;
}

static void *bn_netif_tx_main(void *arg)
{
  bn_netif *bn = arg;
  for (;;) {
    if (tx_nothing_to_do(bn) || !tx_token_take(bn)) {
      bn_mutex_lock(&bn->tx_mu);
      __atomic_store_n(&bn->tx_idle, 1, __ATOMIC_SEQ_CST);
      while (tx_nothing_to_do(bn) && !bn->tx_stop) {
        bn_cond_wait(&bn->tx_cv, &bn->tx_mu, BN_CLOCK_FOREVER);
      }
      __atomic_store_n(&bn->tx_idle, 0, __ATOMIC_RELAXED);
      /* At the stop no other thread sends any more (bn_netif_remove()). */
      bool stop = bn->tx_stop && tx_queued(bn) == 0;
      bn_mutex_unlock(&bn->tx_mu);
      if (stop) {
        break;
      }
      continue;
    }
    /* One batch per turn of the token, so that a thread with a small reply
     * gets it between two batches of a burst. */
    tx_hand_over(bn, TX_BATCH);
    __atomic_store_n(&bn->tx_token, 0, __ATOMIC_SEQ_CST);
  }
  return NULL;
}

/* ---- receive (the rx thread) --------------------------------------------- */

/* Takes the core lock once per batch: bn_link_poll() never blocks after its
 * first delivery, so holding it across the batch is safe. */
static void rx_lock_core(bn_netif *bn)
{
  if (!bn->core_locked) {
    LOCK_TCPIP_CORE();
    bn->core_locked = 1;
  }
}

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
  rx_lock_core(bn);
  bn->rx_polled++;
  if (bn->netif.input(p, &bn->netif) != ERR_OK) {
    pbuf_free(p);
    count(&bn->counters.rx_dropped, 1);
    return;
  }
  count(&bn->counters.rx_frames, 1);
  count(&bn->counters.rx_bytes, len);
}

/* The link is about to read again (or return): other threads may have the
 * core lock meanwhile, and what lwIP sent goes out (tx_after_unlock()). */
static void bn_netif_rx_batch_end(void *arg)
{
  bn_netif *bn = arg;
  if (bn->core_locked) {
    bn->core_locked = 0;
    UNLOCK_TCPIP_CORE();
  }
}

/* A carrier change reported by any stage of the link: lwIP's link state
 * (DHCP restarts on link up, as on a board whose cable is plugged in). */
static void bn_netif_rx_carrier(void *arg, bool up)
{
  bn_netif *bn = arg;
  rx_lock_core(bn);
  if (up) {
    netif_set_link_up(&bn->netif);
  } else {
    netif_set_link_down(&bn->netif);
  }
}

static void *bn_netif_rx_main(void *arg)
{
  bn_netif *bn = arg;
  const bn_link_rx rx = { .frame = bn_netif_rx_frame, .carrier = bn_netif_rx_carrier,
                          .batch_end = bn_netif_rx_batch_end, .arg = bn };
  rx_thread_of = bn;
  while (!__atomic_load_n(&bn->stop, __ATOMIC_ACQUIRE)) {
    bn->rx_polled = 0;
    /* No deadline of its own: bn_netif_remove() wakes it. */
    int rc = bn_link_poll(bn->link, &rx, BN_LINK_FOREVER);
    bn_netif_rx_batch_end(bn);
    if (rc == -ENODATA) {
      break;  /* the link ended (a replay finished): nothing more will come */
    }
    if (rc < 0) {
      /* A fatal error (the TAP was deleted ...): the link is down for good. */
      __atomic_store_n(&bn->link_error, rc, __ATOMIC_RELEASE);
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

/* Stops the tx thread once the frames queued so far are sent. */
static void tx_stop(bn_netif *bn)
{
  bn_mutex_lock(&bn->tx_mu);
  bn->tx_stop = 1;
  bn_cond_signal(&bn->tx_cv);
  bn_mutex_unlock(&bn->tx_mu);
  bn_thread_join(bn->tx_thread, NULL);
}

static void bn_netif_free(bn_netif *bn)
{
  bn_cond_destroy(&bn->tx_space_cv);
  bn_cond_destroy(&bn->tx_cv);
  bn_mutex_destroy(&bn->tx_mu);
  free(bn->tx_ring);
  free(bn);
}

int bn_netif_add(bn_link *link, const uint8_t mac[6], const char *hostname,
                 const bn_netif_tuning *tuning, bn_netif **out)
{
  if (link == NULL || mac == NULL || out == NULL || (mac[0] & 1)) {
    return -EINVAL;
  }
  bn_netif *bn = calloc(1, sizeof(*bn));
  if (bn == NULL) {
    return -ENOMEM;
  }
  bn->tx_ring = calloc(TX_RING, sizeof(*bn->tx_ring));
  if (bn->tx_ring == NULL) {
    free(bn);
    return -ENOMEM;
  }
  bn->link = link;
  memcpy(bn->mac, mac, ETH_HWADDR_LEN);
  bn->hostname = hostname;
  bn->tx_inline = tuning == NULL || !tuning->tx_inline_off;
  bn_mutex_init(&bn->tx_mu);
  bn_cond_init(&bn->tx_cv);
  bn_cond_init(&bn->tx_space_cv);
  if (bn_thread_create(&bn->tx_thread, "bn-tx", bn_netif_tx_main, bn) != 0) {
    bn_netif_free(bn);
    return -EAGAIN;
  }
  /* ethernet_input, not tcpip_input: the rx thread already holds the core lock. */
  if (netifapi_netif_add(&bn->netif, NULL, NULL, NULL, bn, bn_netif_init, ethernet_input) != ERR_OK) {
    tx_stop(bn);
    bn_netif_free(bn);
    return -ENOMEM;
  }
  netifapi_netif_set_up(&bn->netif);
  netifapi_netif_set_link_up(&bn->netif);
  if (bn_thread_create(&bn->rx_thread, "bn-rx", bn_netif_rx_main, bn) != 0) {
    netifapi_netif_remove(&bn->netif);
    tx_stop(bn);
    bn_netif_free(bn);
    return -EAGAIN;
  }
  *out = bn;
  return 0;
}

struct netif *bn_netif_lwip(bn_netif *bn)
{
  return &bn->netif;
}

int bn_netif_link_error(const bn_netif *bn)
{
  return __atomic_load_n(&bn->link_error, __ATOMIC_ACQUIRE);
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
  bn_thread_join(bn->rx_thread, NULL);
  netifapi_netif_set_down(&bn->netif);
  netifapi_netif_remove(&bn->netif);
  /* A thread that queued a frame before the netif was removed may still be
   * in tx_after_unlock() (it released the core lock to get there), sending;
   * no new one can come (linkoutput needs the netif). */
  while (__atomic_load_n(&bn->tx_deferred, __ATOMIC_ACQUIRE) > 0) {
    bn_clock_sleep_ms(1);
  }
  tx_stop(bn); /* after the last linkoutput: what lwIP sent still goes out */
  bn_netif_free(bn);
}
