/*
 * usocket_getaddrinfo() as MicroPython's modlwip lwip_getaddrinfo(): the
 * (AF_INET, SOCK_STREAM, 0, "", (ip, port)) tuple, and lwIP's negative error
 * numbers: -6 (ERR_VAL) at once without a DNS server, -2 for a name that
 * does not resolve (NXDOMAIN, or no answer after lwIP's retries), -16
 * (ERR_ARG) for an empty name. The DNS server is a usocket UDP socket on
 * 127.0.0.1:53 of the same board, answering in a thread of its own.
 */
#include "bn_test.h"

#include <pthread.h>

#include "lwip/dns.h"
#include "usocket_fixture.h"

START_TEST(getaddrinfo_returns_micropython_tuple)
{
  start_stack();
  usocket_addrinfo *ai = NULL;
  ck_assert_int_eq(usocket_getaddrinfo("192.0.2.1", 80, 0, 0, 0, 0, &ai), 0);
  ck_assert_ptr_nonnull(ai);
  ck_assert_int_eq(ai->family, USOCKET_AF_INET);
  ck_assert_int_eq(ai->type, USOCKET_SOCK_STREAM);
  ck_assert_int_eq(ai->proto, 0);
  ck_assert_str_eq(ai->canonname, "");
  ck_assert_str_eq(ai->addr.ip, "192.0.2.1");
  ck_assert_uint_eq(ai->addr.port, 80);
  ck_assert_ptr_null(ai->next);
  usocket_freeaddrinfo(ai);
  ck_assert_int_eq(usocket_getaddrinfo("192.0.2.1", 70000, 0, 0, 0, 0, &ai), -USOCKET_EINVAL);
  ck_assert_int_eq(usocket_getaddrinfo(NULL, 80, 0, 0, 0, 0, &ai), -USOCKET_EINVAL);
  ck_assert_int_eq(usocket_getaddrinfo("", 80, 0, 0, 0, 0, &ai), USOCKET_GAI_ARG);
  ck_assert_ptr_null(ai);
  usocket_freeaddrinfo(NULL);
}
END_TEST

START_TEST(getaddrinfo_without_dns_server_is_err_val)
{
  start_stack();
  usocket_addrinfo *ai = NULL;
  ck_assert_int_eq(usocket_getaddrinfo("board.example", 80, USOCKET_AF_INET, USOCKET_SOCK_STREAM, 0, 0, &ai),
                   USOCKET_GAI_NOSERVER);
  ck_assert_int_eq(USOCKET_GAI_NOSERVER, -6);
  ck_assert_ptr_null(ai);
}
END_TEST

/* A DNS server on 127.0.0.1:53: answers every query with rcode NXDOMAIN, or
 * reads and never answers. It stops when its socket is closed. */
typedef struct dns_server {
  usocket *s;
  bool answer;
  int queries;
  pthread_t thread;
} dns_server;

static void *serve_dns(void *arg)
{
  dns_server *d = arg;
  uint8_t q[512];
  usocket_addr from;
  ssize_t n;
  while ((n = usocket_recvfrom(d->s, q, sizeof(q), 0, &from)) >= 12) {
    d->queries++;
    if (d->answer) {
      q[2] = 0x81; /* QR, opcode 0, RD */
      q[3] = 0x83; /* RA, rcode 3: NXDOMAIN */
      usocket_sendto(d->s, q, (size_t)n, &from);
    }
  }
  return NULL;
}

static void start_dns(dns_server *d, bool answer)
{
  d->s = NULL;
  d->answer = answer;
  d->queries = 0;
  ck_assert_int_eq(usocket_socket(USOCKET_AF_INET, USOCKET_SOCK_DGRAM, 0, &d->s), 0);
  usocket_addr a = addr(LOOP, 53);
  ck_assert_int_eq(usocket_bind(d->s, &a), 0);
  ck_assert_int_eq(pthread_create(&d->thread, NULL, serve_dns, d), 0);
  ip_addr_t server;
  IP_ADDR4(&server, 127, 0, 0, 1);
  LOCK_TCPIP_CORE();
  dns_setserver(0, &server);
  UNLOCK_TCPIP_CORE();
}

static void stop_dns(dns_server *d)
{
  usocket_close(d->s);
  pthread_join(d->thread, NULL);
  usocket_free(d->s);
}

START_TEST(getaddrinfo_nxdomain_is_minus_two)
{
  start_stack();
  dns_server d;
  start_dns(&d, true);
  usocket_addrinfo *ai = NULL;
  ck_assert_int_eq(usocket_getaddrinfo("nothing.invalid", 80, 0, 0, 0, 0, &ai), USOCKET_GAI_NONAME);
  ck_assert_int_eq(USOCKET_GAI_NONAME, -2);
  ck_assert_ptr_null(ai);
  stop_dns(&d);
  ck_assert_int_ge(d.queries, 1);
}
END_TEST

START_TEST(getaddrinfo_no_answer_is_minus_two)
{
  start_stack();
  dns_server d;
  start_dns(&d, false);
  usocket_addrinfo *ai = NULL;
  /* lwIP asks DNS_MAX_RETRIES times, then gives up (about 7 s) */
  ck_assert_int_eq(usocket_getaddrinfo("silent.invalid", 80, 0, 0, 0, 0, &ai), USOCKET_GAI_NONAME);
  ck_assert_ptr_null(ai);
  stop_dns(&d);
  ck_assert_int_ge(d.queries, 2);
}
END_TEST

Suite *bn_test_suite(void)
{
  Suite *s = suite_create("usocket_dns");
  TCase *tc = tcase_create("dns");
  tcase_set_timeout(tc, 60);
  tcase_add_checked_fixture(tc, NULL, stop_stack);
  tcase_add_test(tc, getaddrinfo_returns_micropython_tuple);
  tcase_add_test(tc, getaddrinfo_without_dns_server_is_err_val);
  tcase_add_test(tc, getaddrinfo_nxdomain_is_minus_two);
  tcase_add_test(tc, getaddrinfo_no_answer_is_minus_two);
  suite_add_tcase(s, tc);
  return s;
}
