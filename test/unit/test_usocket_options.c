/*
 * usocket's TCP sockets and their options and limits, with MicroPython's
 * lwIP semantics, over lwIP's loopback: bind and listen errors (a bound
 * socket stays bound, to any port), SO_REUSEADDR rebinding over TIME_WAIT,
 * TCP_NODELAY (on a listener too, which lwIP cannot take), and the
 * profile's limit of TCP sockets. One lwIP per test process.
 */
#include "usocket_fixture.h"

START_TEST(tcp_bind_listen_errors)
{
  start_stack();
  usocket *l = listener_at(LOOP, 7003, 1);
  usocket *s = tcp();
  usocket_addr a = addr(LOOP, 7003);
  ck_assert_int_eq(usocket_bind(s, &a), -USOCKET_EADDRINUSE);
  usocket_addr bad = addr("1.2.3.999", 1);
  ck_assert_int_eq(usocket_bind(s, &bad), -USOCKET_EINVAL);
  a.port = 7004;
  ck_assert_int_eq(usocket_bind(s, &a), 0);
  ck_assert_int_eq(usocket_bind(s, &a), -USOCKET_EADDRINUSE); /* already bound (lwIP) */
  /* To another port too: lwIP itself would link the pcb into its bound list
   * twice, and the next bind of any socket would loop for ever. */
  usocket_addr other = addr(LOOP, 7005);
  ck_assert_int_eq(usocket_bind(s, &other), -USOCKET_EADDRINUSE);
  usocket *fresh = tcp();
  usocket_addr next_port = addr(LOOP, 7006);
  ck_assert_int_eq(usocket_bind(fresh, &next_port), 0);
  usocket_free(fresh);
  char buf[4];
  ck_assert_int_eq(usocket_send(s, "x", 1), -USOCKET_ENOTCONN);
  ck_assert_int_eq(usocket_recv(s, buf, 4, 0), -USOCKET_ENOTCONN);
  usocket *c = NULL;
  ck_assert_int_eq(usocket_accept(s, &c, NULL), -USOCKET_EINVAL); /* not listening */
  ck_assert_int_eq(usocket_settimeout(s, -5), -USOCKET_EINVAL);
  usocket *u = NULL;
  ck_assert_int_eq(usocket_socket(USOCKET_AF_INET, USOCKET_SOCK_DGRAM, 0, &u), 0);
  ck_assert_int_eq(usocket_listen(u, 1), -USOCKET_EOPNOTSUPP);
  ck_assert_int_eq(usocket_accept(u, &c, NULL), -USOCKET_EOPNOTSUPP);
  ck_assert_int_eq(usocket_socket(USOCKET_AF_INET, 99, 0, &u), -USOCKET_EINVAL);
  ck_assert_int_eq(usocket_socket(77, USOCKET_SOCK_STREAM, 0, &u), -USOCKET_EINVAL);
  usocket_free(s);
  usocket_free(l);
}
END_TEST

START_TEST(tcp_reuseaddr_lets_a_server_rebind)
{
  start_stack();
  int one = 1;
  usocket *l = tcp();
  ck_assert_int_eq(usocket_setsockopt(l, USOCKET_SOL_SOCKET, USOCKET_SO_REUSEADDR, &one, sizeof(one)), 0);
  usocket_addr a = addr(LOOP, 7023);
  ck_assert_int_eq(usocket_bind(l, &a), 0);
  ck_assert_int_eq(usocket_listen(l, 1), 0);
  usocket *cli = tcp(), *srv = NULL;
  ck_assert_int_eq(usocket_connect(cli, &a), 0);
  ck_assert_int_eq(usocket_accept(l, &srv, NULL), 0);
  usocket_free(srv); /* the server closes first: its pcb stays in TIME_WAIT on 7023 */
  char buf[4];
  ck_assert_int_eq(usocket_recv(cli, buf, 4, 0), 0);
  usocket_free(cli);
  usocket_free(l);
  usocket *l2 = tcp();
  ck_assert_int_eq(usocket_bind(l2, &a), -USOCKET_EADDRINUSE);
  ck_assert_int_eq(usocket_setsockopt(l2, USOCKET_SOL_SOCKET, USOCKET_SO_REUSEADDR, &one, sizeof(one)), 0);
  ck_assert_int_eq(usocket_bind(l2, &a), 0);
  ck_assert_int_eq(usocket_listen(l2, USOCKET_BACKLOG_DEFAULT), 0);
  ck_assert_int_eq(usocket_setsockopt(l2, USOCKET_IPPROTO_TCP, USOCKET_TCP_NODELAY, &one, sizeof(one)), 0);
  ck_assert_int_eq(usocket_setsockopt(l2, USOCKET_SOL_SOCKET, 12345, &one, sizeof(one)), 0); /* unknown */
  ck_assert_int_eq(usocket_setsockopt(l2, USOCKET_SOL_SOCKET, USOCKET_SO_REUSEADDR, &one, 1), -USOCKET_EINVAL);
  usocket_free(l2);
}
END_TEST

/* TCP_NODELAY on listening sockets: accepted, and the listeners around them
 * in lwIP's pool stay intact (lwIP's tcp_nagle_disable() on a listening pcb
 * wrote past it, into the next one: found by fuzz-usocket). */
START_TEST(tcp_nodelay_on_listeners_leaves_them_intact)
{
  start_stack();
  enum { N = 4 };
  usocket *l[N];
  int one = 1;
  for (int i = 0; i < N; i++) {
    l[i] = listener_at(LOOP, (uint16_t)(7030 + i), 1);
    ck_assert_int_eq(usocket_setsockopt(l[i], USOCKET_IPPROTO_TCP, USOCKET_TCP_NODELAY, &one, sizeof(one)), 0);
  }
  for (int i = 0; i < N; i++) {
    usocket *cli = tcp(), *srv = NULL;
    usocket_addr a = addr(LOOP, (uint16_t)(7030 + i));
    ck_assert_int_eq(usocket_connect(cli, &a), 0);
    ck_assert_int_eq(usocket_accept(l[i], &srv, NULL), 0);
    ck_assert_int_eq(usocket_send(cli, "n", 1), 1);
    char c = 0;
    ck_assert_int_eq(usocket_recv(srv, &c, 1, 0), 1);
    ck_assert_int_eq(c, 'n');
    usocket_free(srv);
    usocket_free(cli);
  }
  for (int i = 0; i < N; i++) {
    usocket_free(l[i]);
  }
}
END_TEST

START_TEST(tcp_socket_exhaustion_is_enomem)
{
  start_stack();
  usocket *socks[MEMP_NUM_TCP_PCB + 1];
  int n = 0, rc = 0;
  while (n <= MEMP_NUM_TCP_PCB) {
    rc = usocket_socket(USOCKET_AF_INET, USOCKET_SOCK_STREAM, 0, &socks[n]);
    if (rc != 0) {
      break;
    }
    n++;
  }
  ck_assert_int_eq(rc, -USOCKET_ENOMEM);
  ck_assert_int_eq(n, TCP_SOCKETS_MAX); /* the board profile's limit */
  usocket_free(socks[0]);
  ck_assert_int_eq(usocket_socket(USOCKET_AF_INET, USOCKET_SOCK_STREAM, 0, &socks[0]), 0);
  for (int i = 0; i < n; i++) {
    usocket_free(socks[i]);
  }
}
END_TEST

Suite *bn_test_suite(void)
{
  Suite *s = suite_create("usocket_options");
  TCase *tc = tcase_create("options");
  tcase_set_timeout(tc, 60);
  tcase_add_checked_fixture(tc, NULL, stop_stack);
  tcase_add_test(tc, tcp_bind_listen_errors);
  tcase_add_test(tc, tcp_reuseaddr_lets_a_server_rebind);
  tcase_add_test(tc, tcp_nodelay_on_listeners_leaves_them_intact);
  tcase_add_test(tc, tcp_socket_exhaustion_is_enomem);
  suite_add_tcase(s, tc);
  return s;
}
