/*
 * usocket over UDP, and setsockopt: one lwIP per test process
 * (Check fork mode) on a memory link, sockets talking over lwIP's loopback.
 */
#include "bn_test.h"

#include <stdlib.h>
#include <string.h>

#include "bn_stack.h"
#include "link_memory.h"
#include "lwip/opt.h"
#include "usocket.h"
#include "usocket_fixture.h"

static usocket *udp(uint16_t port)
{
  usocket *s = NULL;
  ck_assert_int_eq(usocket_socket(USOCKET_AF_INET, USOCKET_SOCK_DGRAM, 0, &s), 0);
  if (port != 0) {
    usocket_addr a = addr(LOOP, port);
    ck_assert_int_eq(usocket_bind(s, &a), 0);
  }
  return s;
}

START_TEST(udp_sendto_recvfrom_with_addresses)
{
  start_stack();
  usocket *a = udp(8001), *b = udp(8002);
  usocket_addr to = addr(LOOP, 8002), from;
  ck_assert_int_eq(usocket_sendto(a, "ping", 4, &to), 4);
  char buf[16];
  ck_assert_int_eq(usocket_recvfrom(b, buf, sizeof(buf), 0, &from), 4);
  ck_assert_mem_eq(buf, "ping", 4);
  ck_assert_str_eq(from.ip, LOOP);
  ck_assert_uint_eq(from.port, 8001);
  ck_assert_int_eq(usocket_sendto(b, "pong", 4, &from), 4);
  ck_assert_int_eq(usocket_recv(a, buf, sizeof(buf), 0), 4);
  ck_assert_mem_eq(buf, "pong", 4);
  usocket_addr bad = addr("300.1.1.1", 1);
  ck_assert_int_eq(usocket_sendto(a, "x", 1, &bad), -USOCKET_EINVAL);
  ck_assert_int_eq(usocket_sendall(a, "x", 1), -USOCKET_EOPNOTSUPP);
  usocket_free(a);
  usocket_free(b);
}
END_TEST

START_TEST(udp_long_datagram_is_truncated)
{
  start_stack();
  usocket *a = udp(8003), *b = udp(8004);
  usocket_addr to = addr(LOOP, 8004);
  char big[100];
  for (int i = 0; i < 100; i++) {
    big[i] = (char)i;
  }
  ck_assert_int_eq(usocket_sendto(a, big, 100, &to), 100);
  ck_assert_int_eq(usocket_sendto(a, "next", 4, &to), 4);
  char buf[10];
  ck_assert_int_eq(usocket_recv(b, buf, 10, USOCKET_MSG_PEEK), 10); /* peek keeps it */
  ck_assert_int_eq(usocket_recv(b, buf, 10, 0), 10);
  ck_assert_mem_eq(buf, big, 10);
  /* the rest of the long datagram is gone: the next one follows */
  ck_assert_int_eq(usocket_recv(b, buf, 10, 0), 4);
  ck_assert_mem_eq(buf, "next", 4);
  usocket_free(a);
  usocket_free(b);
}
END_TEST

START_TEST(udp_blocking_timeout_nonblocking)
{
  start_stack();
  usocket *b = udp(8005);
  char buf[8];
  ck_assert_int_eq(usocket_setblocking(b, false), 0);
  ck_assert_int_eq(usocket_recv(b, buf, 8, 0), -USOCKET_EAGAIN);
  ck_assert_int_eq(usocket_read(b, buf, 8), USOCKET_NONE);
  ck_assert_int_eq(usocket_settimeout(b, 100), 0);
  ck_assert_int_eq(usocket_recvfrom(b, buf, 8, 0, NULL), -USOCKET_ETIMEDOUT);
  ck_assert_int_eq(usocket_setblocking(b, true), 0);
  ck_assert_int_eq(usocket_recv(b, buf, 8, USOCKET_MSG_DONTWAIT), -USOCKET_EAGAIN);
  usocket_free(b);
}
END_TEST

START_TEST(udp_connect_send_write_read_and_poll)
{
  start_stack();
  usocket *a = udp(8006), *b = udp(8007);
  ck_assert_uint_eq(poll1(b, USOCKET_POLLIN | USOCKET_POLLOUT, 0), USOCKET_POLLOUT);
  usocket_addr to = addr(LOOP, 8007);
  ck_assert_int_eq(usocket_connect(a, &to), 0);
  ck_assert_int_eq(usocket_send(a, "one", 3), 3);
  ck_assert_int_eq(usocket_write(a, "two", 3), 3);
  ck_assert_uint_eq(poll1(b, USOCKET_POLLIN, 5000), USOCKET_POLLIN);
  char buf[8];
  /* as py/stream.c, read(n) fills n bytes (here: one datagram of n) */
  ck_assert_int_eq(usocket_read(b, buf, 3), 3);
  ck_assert_mem_eq(buf, "one", 3);
  ck_assert_int_eq(usocket_readinto(b, buf, 3), 3);
  ck_assert_mem_eq(buf, "two", 3);
  ck_assert_int_eq(usocket_close(b), 0);
  ck_assert_uint_eq(poll1(b, USOCKET_POLLIN, 0), USOCKET_POLLNVAL);
  usocket_free(a);
  usocket_free(b);
}
END_TEST

START_TEST(udp_setsockopt_int_buffer_and_unknown)
{
  start_stack();
  usocket *a = udp(8008);
  int one = 1;
  ck_assert_int_eq(usocket_setsockopt(a, USOCKET_SOL_SOCKET, USOCKET_SO_BROADCAST, &one, sizeof(one)), 0);
  ck_assert_int_eq(usocket_setsockopt(a, USOCKET_SOL_SOCKET, USOCKET_SO_REUSEADDR, &one, sizeof(one)), 0);
  unsigned char mreq[8] = { 239, 1, 2, 3, 0, 0, 0, 0 }; /* group, any interface */
  ck_assert_int_eq(usocket_setsockopt(a, USOCKET_IPPROTO_IP, USOCKET_IP_ADD_MEMBERSHIP, mreq, 8), 0);
  ck_assert_int_eq(usocket_setsockopt(a, USOCKET_IPPROTO_IP, USOCKET_IP_DROP_MEMBERSHIP, mreq, 8), 0);
  ck_assert_int_eq(usocket_setsockopt(a, USOCKET_IPPROTO_IP, USOCKET_IP_ADD_MEMBERSHIP, mreq, 4),
                   -USOCKET_EINVAL);
  ck_assert_int_eq(usocket_setsockopt(a, USOCKET_SOL_SOCKET, 0x7777, &one, sizeof(one)), 0);
  ck_assert_int_eq(usocket_setsockopt(a, USOCKET_SOL_SOCKET, USOCKET_SO_BROADCAST, NULL, 0),
                   -USOCKET_EINVAL);
  usocket_free(a);
}
END_TEST

START_TEST(udp_resource_exhaustion)
{
  start_stack();
  usocket *socks[MEMP_NUM_UDP_PCB + 1];
  int n = 0, rc = 0;
  while (n <= MEMP_NUM_UDP_PCB) {
    rc = usocket_socket(USOCKET_AF_INET, USOCKET_SOCK_DGRAM, 0, &socks[n]);
    if (rc != 0) {
      break;
    }
    n++;
  }
  ck_assert_int_eq(rc, -USOCKET_ENOMEM);
  ck_assert_int_gt(n, 0);
  ck_assert_int_le(n, MEMP_NUM_UDP_PCB); /* lwIP's DNS holds one too */
  for (int i = 0; i < n; i++) {
    usocket_free(socks[i]);
  }
  /* a datagram lwIP cannot build is an error, not a crash */
  usocket *a = udp(8009);
  usocket_addr to = addr(LOOP, 8010);
  size_t len = 70000;
  char *big = calloc(1, len);
  ssize_t r = usocket_sendto(a, big, len, &to);
  ck_assert(r == -USOCKET_ENOMEM || r == -USOCKET_ENOBUFS || r == -USOCKET_EINVAL);
  free(big);
  usocket_free(a);
}
END_TEST

Suite *bn_test_suite(void)
{
  Suite *s = suite_create("usocket_udp");
  TCase *tc = tcase_create("udp");
  tcase_set_timeout(tc, 60);
  tcase_add_checked_fixture(tc, NULL, stop_stack);
  tcase_add_test(tc, udp_sendto_recvfrom_with_addresses);
  tcase_add_test(tc, udp_long_datagram_is_truncated);
  tcase_add_test(tc, udp_blocking_timeout_nonblocking);
  tcase_add_test(tc, udp_connect_send_write_read_and_poll);
  tcase_add_test(tc, udp_setsockopt_int_buffer_and_unknown);
  tcase_add_test(tc, udp_resource_exhaustion);
  suite_add_tcase(s, tc);
  return s;
}
