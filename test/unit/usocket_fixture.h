/*
 * Shared by the usocket unit tests: a stack per test process on one end of a
 * memory link (static 192.0.2.2/24), sockets talking over lwIP's loopback.
 */
#ifndef BN_USOCKET_FIXTURE_H
#define BN_USOCKET_FIXTURE_H

#include <string.h>

#include "bn_test.h"
#include "bn_stack.h"
#include "link_memory.h"
#include "usocket.h"

#define LOOP "127.0.0.1"

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

#endif /* BN_USOCKET_FIXTURE_H */
