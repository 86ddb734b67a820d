/*
 * usocket after a peer's reset, as MicroPython on lwIP (extmod/modlwip.c:
 * lwip_socket_ioctl(), lwip_tcp_receive(), lwip_socket_check_connected()):
 * the poll values while the reset is unreported (ERR_RST) and after recv
 * raised it (STATE_PEER_RST_HANDLED), the port of multi_net/tcp_client_rst.py's
 * server side, what send/write/read do after a reset, and a refused
 * non-blocking connect. Poll bits: IN 1, OUT 4, ERR 8, HUP 16, NVAL 32.
 */
#include "bn_test.h"

#include "usocket_fixture.h"

/* A socket accepted on port from a raw client (*peer), whose peer then sent
 * data (may be NULL) and reset the connection; returns once the socket
 * reports the reset (poll HUP). */
static usocket *reset_after(uint16_t port, const char *data)
{
  usocket *l = listener_at(LOOP, port, 2);
  struct netconn *peer = raw_client(port);
  usocket *c = NULL;
  ck_assert_int_eq(usocket_settimeout(l, 5000), 0);
  ck_assert_int_eq(usocket_accept(l, &c, NULL), 0);
  usocket_free(l);
  if (data != NULL) {
    ck_assert_int_eq(netconn_write(peer, data, strlen(data), NETCONN_COPY), ERR_OK);
    /* the original sleeps 0.2 s so that the data is there before the RST */
    ck_assert_uint_eq(poll1(c, USOCKET_POLLIN, 5000), USOCKET_POLLIN);
  }
  raw_reset(peer);
  ck_assert_uint_ne(poll_for(c, 0, USOCKET_POLLHUP) & USOCKET_POLLHUP, 0);
  return c;
}

START_TEST(reset_unreported_polls_err_hup_and_the_mask)
{
  start_stack();
  usocket *c = reset_after(7101, NULL);
  ck_assert_uint_eq(poll1(c, USOCKET_POLLIN, 0), 25);
  ck_assert_uint_eq(poll1(c, USOCKET_POLLIN | USOCKET_POLLOUT, 0), 29);
  ck_assert_uint_eq(poll1(c, USOCKET_POLLOUT, 0), 28);
  ck_assert_uint_eq(poll1(c, 0, 0), 24);
  /* the same while data that came before the reset is still queued */
  usocket_free(c);
  c = reset_after(7102, "queued");
  ck_assert_uint_eq(poll1(c, USOCKET_POLLIN, 0), 25);
  ck_assert_uint_eq(poll1(c, USOCKET_POLLIN | USOCKET_POLLOUT, 0), 29);
  ck_assert_uint_eq(poll1(c, USOCKET_POLLOUT, 0), 28);
  ck_assert_uint_eq(poll1(c, 0, 0), 24);
  usocket_free(c);
}
END_TEST

/* The values one poller.poll(1000) reports for the socket (0 if none). */
static unsigned poller_once(usocket_poller *p)
{
  usocket_pollfd out[1];
  int n = usocket_poller_poll(p, 1000, out, 1);
  ck_assert_int_ge(n, 0);
  return n == 1 ? out[0].revents : 0;
}

/*
 * tests/multi_net/tcp_client_rst.py, server side (instance0), both
 * iterations. The client connects, sends b"GET / HTTP/1.0\r\n\r\n" and
 * closes with SO_LINGER {1, 0} (an RST); here a raw netconn of the same
 * board does that (tcp_abort()). The server's expected output
 * (tcp_client_rst.py.exp):
 *   iteration 0: [25], close, [32], EBADF, [32]
 *   iteration 1: [25], b'GET / HTTP', [25], b'/1.0\r\n\r\n', [25],
 *                ECONNRESET, [17], b'', [17], b'', [17], close, [32], EBADF, [32]
 * Port: the original's "for _ in range(10): poll; sleep(0.1)" wait for
 * [25] is the same bounded wait; its print()s are assertions.
 */
START_TEST(reset_tcp_client_rst_server_side)
{
  start_stack();
  for (int iteration = 0; iteration < 2; iteration++) {
    usocket *s2 = reset_after((uint16_t)(7103 + iteration), "GET / HTTP/1.0\r\n\r\n");
    ck_assert_int_eq(usocket_setblocking(s2, false), 0);
    usocket_poller *poll = NULL;
    ck_assert_int_eq(usocket_poller_new(&poll), 0);
    ck_assert_int_eq(usocket_poller_register(poll, s2, USOCKET_POLLIN), 0);
    ck_assert_uint_eq(poller_once(poll), USOCKET_POLLIN | USOCKET_POLLERR | USOCKET_POLLHUP);
    if (iteration == 1) {
      static const struct { ssize_t n; const char *data; unsigned ev; } expect[5] = {
        { 10, "GET / HTTP", 25 },
        { 8, "/1.0\r\n\r\n", 25 },
        { -USOCKET_ECONNRESET, NULL, 17 },
        { 0, NULL, 17 },
        { 0, NULL, 17 },
      };
      for (int i = 0; i < 5; i++) {
        char buf[10];
        ck_assert_int_eq(usocket_recv(s2, buf, sizeof(buf), 0), expect[i].n);
        if (expect[i].data != NULL) {
          ck_assert_mem_eq(buf, expect[i].data, (size_t)expect[i].n);
        }
        ck_assert_uint_eq(poller_once(poll), expect[i].ev);
      }
    }
    ck_assert_int_eq(usocket_close(s2), 0);
    ck_assert_uint_eq(poller_once(poll), USOCKET_POLLNVAL);
    char buf[10];
    ck_assert_int_eq(usocket_recv(s2, buf, sizeof(buf), 0), -USOCKET_EBADF);
    ck_assert_uint_eq(poller_once(poll), USOCKET_POLLNVAL);
    usocket_poller_free(poll);
    usocket_free(s2);
  }
}
END_TEST

START_TEST(reset_data_before_it_stays_readable)
{
  start_stack();
  usocket *c = reset_after(7109, "hello");
  char buf[16];
  ck_assert_int_eq(usocket_recv(c, buf, 2, 0), 2);
  ck_assert_mem_eq(buf, "he", 2);
  ck_assert_int_eq(usocket_recv(c, buf, sizeof(buf), USOCKET_MSG_PEEK), 3);
  ck_assert_int_eq(usocket_recv(c, buf, sizeof(buf), 0), 3);
  ck_assert_mem_eq(buf, "llo", 3);
  ck_assert_uint_eq(poll1(c, USOCKET_POLLIN, 0), 25); /* drained, not yet reported */
  ck_assert_int_eq(usocket_recv(c, buf, sizeof(buf), 0), -USOCKET_ECONNRESET);
  ck_assert_int_eq(usocket_recv(c, buf, sizeof(buf), 0), 0);
  usocket_free(c);
}
END_TEST

START_TEST(reset_reported_by_recv_gives_eof_blocking_or_not)
{
  start_stack();
  usocket *c = reset_after(7110, "abc");
  char buf[8];
  ck_assert_int_eq(usocket_recv(c, buf, sizeof(buf), 0), 3); /* blocking (timeout None) */
  ck_assert_int_eq(usocket_recv(c, buf, sizeof(buf), 0), -USOCKET_ECONNRESET);
  ck_assert_int_eq(usocket_recv(c, buf, sizeof(buf), 0), 0);  /* blocking: EOF at once */
  ck_assert_int_eq(usocket_recv(c, buf, sizeof(buf), USOCKET_MSG_DONTWAIT), 0);
  ck_assert_int_eq(usocket_settimeout(c, 0), 0);
  ck_assert_int_eq(usocket_recv(c, buf, sizeof(buf), 0), 0);
  usocket_addr from;
  ck_assert_int_eq(usocket_recvfrom(c, buf, sizeof(buf), 0, &from), 0);
  ck_assert_uint_eq(poll1(c, USOCKET_POLLIN, 0), 17);
  ck_assert_uint_eq(poll1(c, USOCKET_POLLIN | USOCKET_POLLOUT, 0), 17);
  ck_assert_uint_eq(poll1(c, 0, 0), USOCKET_POLLHUP);
  usocket_free(c);
}
END_TEST

/* The stream methods read through the same lwip_tcp_receive(). */
START_TEST(reset_stream_read_raises_once_then_eof)
{
  start_stack();
  usocket *c = reset_after(7111, "12345");
  char buf[8];
  /* read(8) gets 5 bytes, then the reset: as py/stream.c, the bytes of the
   * failing call are lost and the error is raised */
  ck_assert_int_eq(usocket_read(c, buf, sizeof(buf)), -USOCKET_ECONNRESET);
  ck_assert_int_eq(usocket_read(c, buf, sizeof(buf)), 0);
  ck_assert_int_eq(usocket_readline(c, buf, sizeof(buf)), 0);
  void *all = NULL;
  ck_assert_int_eq(usocket_readall(c, &all), 0);
  ck_assert_ptr_null(all);
  usocket_free(c);
}
END_TEST

START_TEST(reset_send_raises_once_then_ebadf)
{
  start_stack();
  usocket *c = reset_after(7112, NULL);
  ck_assert_int_eq(usocket_send(c, "x", 1), -USOCKET_ECONNRESET);
  /* lwip_socket_check_connected(): the socket is done */
  ck_assert_int_eq(usocket_send(c, "x", 1), -USOCKET_EBADF);
  ck_assert_uint_eq(poll1(c, USOCKET_POLLIN | USOCKET_POLLOUT, 0), USOCKET_POLLNVAL);
  char buf[4];
  ck_assert_int_eq(usocket_recv(c, buf, sizeof(buf), 0), -USOCKET_EBADF);
  usocket_free(c);

  c = reset_after(7113, NULL);
  ck_assert_int_eq(usocket_sendall(c, "xy", 2), -USOCKET_ECONNRESET);
  ck_assert_int_eq(usocket_sendall(c, "xy", 2), -USOCKET_EBADF);
  usocket_free(c);
}
END_TEST

/* usocket.h's one deviation here: modlwip looks up outside its errno table. */
START_TEST(reset_send_after_recv_reported_it)
{
  start_stack();
  usocket *c = reset_after(7114, NULL);
  char buf[4];
  ck_assert_int_eq(usocket_recv(c, buf, sizeof(buf), 0), -USOCKET_ECONNRESET);
  ck_assert_int_eq(usocket_send(c, "x", 1), -USOCKET_ECONNRESET);
  ck_assert_int_eq(usocket_send(c, "x", 1), -USOCKET_EBADF);
  usocket_free(c);
}
END_TEST

/* stream write is lwip_tcp_send() alone: the error every time, no state change. */
START_TEST(reset_stream_write_raises_every_time)
{
  start_stack();
  usocket *c = reset_after(7115, NULL);
  ck_assert_int_eq(usocket_write(c, "x", 1), -USOCKET_ECONNRESET);
  ck_assert_int_eq(usocket_write(c, "x", 1), -USOCKET_ECONNRESET);
  ck_assert_uint_eq(poll1(c, USOCKET_POLLIN | USOCKET_POLLOUT, 0), 29);
  char buf[4];
  ck_assert_int_eq(usocket_recv(c, buf, sizeof(buf), 0), -USOCKET_ECONNRESET);
  ck_assert_int_eq(usocket_recv(c, buf, sizeof(buf), 0), 0);
  usocket_free(c);
}
END_TEST

/* lwIP reports the RST answering the SYN through the error callback as
 * ERR_RST: the socket is a reset one like any other. */
START_TEST(reset_refused_nonblocking_connect)
{
  start_stack();
  usocket *s = tcp();
  ck_assert_int_eq(usocket_setblocking(s, false), 0);
  usocket_addr a = addr(LOOP, 7116); /* nobody listens */
  ck_assert_int_eq(usocket_connect(s, &a), -USOCKET_EINPROGRESS);
  ck_assert_uint_eq(poll_for(s, USOCKET_POLLIN | USOCKET_POLLOUT, USOCKET_POLLERR), 29);
  ck_assert_uint_eq(poll1(s, USOCKET_POLLIN, 0), 25);
  ck_assert_int_eq(usocket_connect(s, &a), -USOCKET_EALREADY);
  char buf[4];
  ck_assert_int_eq(usocket_recv(s, buf, sizeof(buf), 0), -USOCKET_ECONNRESET);
  ck_assert_int_eq(usocket_recv(s, buf, sizeof(buf), 0), 0);
  ck_assert_uint_eq(poll1(s, USOCKET_POLLIN, 0), 17);
  usocket_free(s);
}
END_TEST

Suite *bn_test_suite(void)
{
  Suite *s = suite_create("usocket_reset");
  TCase *tc = tcase_create("reset");
  tcase_set_timeout(tc, 30);
  tcase_add_checked_fixture(tc, NULL, stop_stack);
  tcase_add_test(tc, reset_unreported_polls_err_hup_and_the_mask);
  tcase_add_test(tc, reset_tcp_client_rst_server_side);
  tcase_add_test(tc, reset_data_before_it_stays_readable);
  tcase_add_test(tc, reset_reported_by_recv_gives_eof_blocking_or_not);
  tcase_add_test(tc, reset_stream_read_raises_once_then_eof);
  tcase_add_test(tc, reset_send_raises_once_then_ebadf);
  tcase_add_test(tc, reset_send_after_recv_reported_it);
  tcase_add_test(tc, reset_stream_write_raises_every_time);
  tcase_add_test(tc, reset_refused_nonblocking_connect);
  suite_add_tcase(s, tc);
  return s;
}
