/*
 * Shared by the usocket unit tests: a stack per test process on one end of a
 * memory link (static 192.0.2.2/24), sockets talking over lwIP's loopback.
 */
#ifndef BN_USOCKET_FIXTURE_H
#define BN_USOCKET_FIXTURE_H

#include <string.h>
#include <unistd.h>

#include "bn_test.h"
#include "bn_stack.h"
#include "link_memory.h"
#include "lwip/api.h"
#include "lwip/tcp.h"
#include "lwip/tcpip.h"
#include "usocket.h"

#define LOOP "127.0.0.1"

/* TCP sockets the board allows at once: one TCP pcb and one netconn each,
 * so the fewer of the two (esp32: 10 sockets, 12 TCP pcbs). */
#define TCP_SOCKETS_MAX LWIP_MIN(MEMP_NUM_TCP_PCB, MEMP_NUM_NETCONN)

static bn_link *peer_end;

static inline void start_stack(void)
{
  bn_link *a;
  ck_assert_int_eq(bn_link_memory_pair(64, &a, &peer_end), 0);
  bn_config cfg;
  memset(&cfg, 0, sizeof(cfg));
  cfg.link = a;
  IP4_ADDR(&cfg.ip, 192, 0, 2, 2);
  IP4_ADDR(&cfg.netmask, 255, 255, 255, 0);
  ck_assert_int_eq(bn_stack_start(&cfg), 0);
}

/* Checked teardown (in the test's process): stack and both link ends go. */
static inline void stop_stack(void)
{
  if (peer_end != NULL) {
    bn_stack_stop();
    bn_link_close(peer_end);
    peer_end = NULL;
  }
}

static inline usocket_addr addr(const char *ip, uint16_t port)
{
  usocket_addr a;
  memset(&a, 0, sizeof(a));
  strncpy(a.ip, ip, sizeof(a.ip) - 1);
  a.port = port;
  return a;
}

/** A new blocking TCP socket. */
static inline usocket *tcp(void)
{
  usocket *s = NULL;
  ck_assert_int_eq(usocket_socket(USOCKET_AF_INET, USOCKET_SOCK_STREAM, 0, &s), 0);
  ck_assert_ptr_nonnull(s);
  return s;
}

/** A TCP socket bound to (ip, port) and listening with backlog. */
static inline usocket *listener_at(const char *ip, uint16_t port, int backlog)
{
  usocket *s = tcp();
  usocket_addr a = addr(ip, port);
  ck_assert_int_eq(usocket_bind(s, &a), 0);
  ck_assert_int_eq(usocket_listen(s, backlog), 0);
  return s;
}

/** usocket_poll() of one socket; returns its revents. */
static inline unsigned poll1(usocket *s, unsigned events, long timeout_ms)
{
  usocket_pollfd fd = { .sock = s, .events = events, .revents = 0 };
  int n = usocket_poll(&fd, 1, timeout_ms);
  ck_assert_int_ge(n, 0);
  return fd.revents;
}

static inline void lwip_sync_done(void *arg)
{
  sys_sem_signal((sys_sem_t *)arg);
}

/** Returns once the tcpip thread has run everything queued to it before (a
 * loopback frame sent before this call has been delivered). */
static inline void lwip_sync(void)
{
  sys_sem_t sem;
  ck_assert_int_eq(sys_sem_new(&sem, 0), ERR_OK);
  for (int i = 0; i < 2; i++) { /* the loop netif may schedule its poll once more */
    ck_assert_int_eq(tcpip_callback(lwip_sync_done, &sem), ERR_OK);
    sys_arch_sem_wait(&sem, 0);
  }
  sys_sem_free(&sem);
}

/** Polls until flag shows up (poll may return at once for other flags: at
 * most 250 rounds, 20 ms apart); returns revents. */
static inline unsigned poll_for(usocket *s, unsigned events, unsigned flag)
{
  unsigned ev = poll1(s, events, 100);
  for (int i = 0; i < 250 && !(ev & flag); i++) {
    usleep(20 * 1000);
    ev = poll1(s, events, 100);
  }
  return ev;
}

/** A raw netconn client connected to 127.0.0.1:port, so that a test can
 * reset it (raw_reset()), as a peer closing with SO_LINGER {1, 0} does. */
static inline struct netconn *raw_client(uint16_t port)
{
  struct netconn *nc = netconn_new(NETCONN_TCP);
  ck_assert_ptr_nonnull(nc);
  ip_addr_t ip;
  IP_ADDR4(&ip, 127, 0, 0, 1);
  ck_assert_int_eq(netconn_connect(nc, &ip, port), ERR_OK);
  return nc;
}

/** Resets a raw client's connection (an RST to its peer) and frees it. */
static inline void raw_reset(struct netconn *nc)
{
  LOCK_TCPIP_CORE();
  if (nc->pcb.tcp != NULL) {
    tcp_abort(nc->pcb.tcp);
  }
  UNLOCK_TCPIP_CORE();
  netconn_delete(nc);
}

#endif /* BN_USOCKET_FIXTURE_H */
