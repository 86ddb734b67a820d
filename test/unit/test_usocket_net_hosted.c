/*
 * C ports of MicroPython's single-board socket tests, tests/net_hosted/ in
 * the MicroPython repository: accept and connect in non-blocking, timeout
 * and blocking modes, and poll around a connect. Each test names its
 * original. Where the original talks to an internet host, the port talks to
 * a server on the same board over lwIP's loopback (127.0.0.1), or, for a
 * host that never answers, to 192.0.2.1 on the memory link (nothing reads
 * the link's other end, so ARP never resolves and a SYN is never answered).
 * Expected values are the originals' .exp files or, without one, what
 * MicroPython on lwIP (extmod/modlwip.c) prints.
 * The transfers of connect_nonblock_xfer.py, asyncio_*.py and poll_errors.py
 * are in test_usocket_net_hosted_xfer.c.
 */
#include "bn_test.h"

#include <string.h>

#include "usocket.h"
#include "usocket_fixture.h"

/* An address no one answers: on-link, but ARP for it is never answered. */
#define NOWHERE "192.0.2.1"

/* socket.getaddrinfo(host, port)[0][-1] */
static usocket_addr resolve(const char *host, uint16_t port)
{
  usocket_addrinfo *ai = NULL;
  ck_assert_int_eq(usocket_getaddrinfo(host, port, 0, 0, 0, 0, &ai), 0);
  ck_assert_ptr_nonnull(ai);
  usocket_addr a = ai->addr;
  usocket_freeaddrinfo(ai);
  return a;
}

static usocket *listener(uint16_t port, int backlog)
{
  usocket *s = tcp();
  usocket_addr a = resolve(LOOP, port);
  ck_assert_int_eq(usocket_bind(s, &a), 0);
  ck_assert_int_eq(usocket_listen(s, backlog), 0);
  return s;
}

/* The stand-in for the original's internet server accepts the connection
 * it holds and closes everything: closing a listener with a connection
 * still queued aborts the process (net_hosted_server_closed_with_pending). */
static void server_done(usocket *server)
{
  usocket *c = NULL;
  ck_assert_int_eq(usocket_settimeout(server, 5000), 0);
  ck_assert_int_eq(usocket_accept(server, &c, NULL), 0);
  usocket_free(c);
  usocket_free(server);
}

/*
 * tests/net_hosted/accept_nonblock.py
 * Checks: accept() on a non-blocking listening socket with nothing pending
 * raises EAGAIN (.exp-less; MicroPython prints True for errno == 11).
 * Port: unchanged (it binds 127.0.0.1:8123 on the board itself).
 */
START_TEST(net_hosted_accept_nonblock)
{
  start_stack();
  usocket *s = tcp();
  usocket_addr a = resolve(LOOP, 8123);
  ck_assert_int_eq(usocket_bind(s, &a), 0);
  ck_assert_int_eq(usocket_setblocking(s, false), 0);
  ck_assert_int_eq(usocket_listen(s, 1), 0);
  usocket *c = NULL;
  ck_assert_int_eq(usocket_accept(s, &c, NULL), -USOCKET_EAGAIN);
  ck_assert_int_eq(USOCKET_EAGAIN, 11);
  ck_assert_ptr_null(c);
  ck_assert_int_eq(usocket_close(s), 0);
  usocket_free(s);
}
END_TEST

/*
 * tests/net_hosted/accept_timeout.py
 * Checks: accept() on a listening socket with a 1 s timeout and nothing
 * pending raises ETIMEDOUT (prints True for errno == ETIMEDOUT, 110).
 * Port: unchanged; settimeout(1) is 1000 ms here.
 */
START_TEST(net_hosted_accept_timeout)
{
  start_stack();
  usocket *s = tcp();
  usocket_addr a = resolve(LOOP, 8123);
  ck_assert_int_eq(usocket_bind(s, &a), 0);
  ck_assert_int_eq(usocket_settimeout(s, 1000), 0);
  ck_assert_int_eq(usocket_listen(s, 1), 0);
  usocket *c = NULL;
  ck_assert_int_eq(usocket_accept(s, &c, NULL), -USOCKET_ETIMEDOUT);
  ck_assert_int_eq(USOCKET_ETIMEDOUT, 110);
  ck_assert_ptr_null(c);
  ck_assert_int_eq(usocket_close(s), 0);
  usocket_free(s);
}
END_TEST

/*
 * tests/net_hosted/connect_nonblock.py
 * Checks: connect() on a non-blocking socket raises EINPROGRESS (prints
 * True for errno == EINPROGRESS, 115), then close() works.
 * Port: the original connects to micropython.org:80; here the peer is a
 * listening socket on the same board (127.0.0.1:80) over lwIP's loopback.
 * lwIP queues the SYN for the loopback netif, so netconn_connect() returns
 * ERR_INPROGRESS like for a remote host (modlwip: EINPROGRESS). Before the
 * close the port waits (poll, bounded) until the connection is up, so that
 * the stand-in server's accept queue is in a known state for server_done().
 */
START_TEST(net_hosted_connect_nonblock)
{
  start_stack();
  usocket *server = listener(80, 1);
  usocket *s = tcp();
  ck_assert_int_eq(usocket_setblocking(s, false), 0);
  usocket_addr peer = resolve(LOOP, 80);
  ck_assert_int_eq(usocket_connect(s, &peer), -USOCKET_EINPROGRESS);
  ck_assert_int_eq(USOCKET_EINPROGRESS, 115);
  usocket_pollfd fd = { .sock = s, .events = USOCKET_POLLOUT, .revents = 0 };
  ck_assert_int_eq(usocket_poll(&fd, 1, 5000), 1);
  ck_assert_uint_eq(fd.revents, USOCKET_POLLOUT);
  ck_assert_int_eq(usocket_close(s), 0);
  usocket_free(s);
  server_done(server);
}
END_TEST

/*
 * tests/net_hosted/connect_timeout.py: test(addr, timeout, expected errno),
 * run with timeout 0 (EINPROGRESS) and 1 s (ETIMEDOUT, 110); each prints
 * True when connect() raises the expected errno.
 * Port: the original connects to port 8000 of a public internet host that
 * drops the SYN; here 192.0.2.1:8000 on the memory link, which never
 * answers ARP. MicroPython on lwIP raises ETIMEDOUT for a timeout > 0 since
 * micropython/micropython PR #15223 ("extmod/modlwip: Make socket.connect
 * raise ETIMEDOUT on non-zero timeout", 2024); before it, EINPROGRESS.
 */
static void connect_timeout_case(long timeout_ms, int expected_errno)
{
  start_stack();
  usocket *s = tcp();
  ck_assert_int_eq(usocket_settimeout(s, timeout_ms), 0);
  usocket_addr a = resolve(NOWHERE, 8000);
  ck_assert_int_eq(usocket_connect(s, &a), -expected_errno);
  ck_assert_int_eq(usocket_close(s), 0);
  usocket_free(s);
}

START_TEST(net_hosted_connect_timeout_zero)
{
  connect_timeout_case(0, USOCKET_EINPROGRESS);
}
END_TEST

START_TEST(net_hosted_connect_timeout_one_second)
{
  connect_timeout_case(1000, USOCKET_ETIMEDOUT);
}
END_TEST

/* poller.poll(timeout) on a poller holding s alone: the entry count, and
 * its revents in *ev (0 when nothing is ready). */
static int poll_one(usocket_poller *p, usocket *s, long timeout_ms, unsigned *ev)
{
  usocket_pollfd out[2];
  memset(out, 0, sizeof(out));
  int n = usocket_poller_poll(p, timeout_ms, out, 2);
  ck_assert_int_ge(n, 0);
  ck_assert_int_le(n, 1);
  if (n == 1) {
    ck_assert_ptr_eq(out[0].sock, s);
  }
  *ev = n == 1 ? out[0].revents : 0;
  return n;
}

/*
 * tests/net_hosted/connect_poll.py, first line of its .exp ("1 4")
 * Checks: poll(0) on a new, never connected TCP socket registered with the
 * default mask returns one entry whose revents & (POLLIN | POLLOUT) is
 * POLLOUT (4). The original masks POLLHUP out because CPython may add it;
 * modlwip.c's lwip_socket_ioctl() reports POLLOUT for any TCP pcb with
 * tcp_sndbuf() > 0 (a fresh pcb has all of TCP_SND_BUF) and adds POLLHUP
 * for STATE_NEW, so MicroPython gives POLLOUT | POLLHUP.
 * Port: unchanged (no peer is involved yet).
 */
START_TEST(net_hosted_connect_poll_before_connect)
{
  start_stack();
  usocket *s = tcp();
  usocket_poller *p = NULL;
  ck_assert_int_eq(usocket_poller_new(&p), 0);
  ck_assert_int_eq(usocket_poller_register(p, s, USOCKET_POLLIN | USOCKET_POLLOUT), 0);
  unsigned ev = 0;
  ck_assert_int_eq(poll_one(p, s, 0, &ev), 1);
  ck_assert_uint_eq(ev & (USOCKET_POLLIN | USOCKET_POLLOUT), USOCKET_POLLOUT);
  usocket_poller_free(p);
  usocket_free(s);
}
END_TEST

/*
 * tests/net_hosted/connect_poll.py, the rest of its .exp ("1 4", "1", "1 4")
 * Checks: poll(0) before connect() returns one entry; after a blocking
 * connect() poll(0) returns one entry; poll(1000) then returns one entry
 * with revents exactly POLLOUT (4).
 * Port: micropython.org:80 is replaced by a listening socket on the same
 * board (127.0.0.1:80, over lwIP's loopback); the blocking connect gets a
 * 5 s timeout so that it is bounded. The masked POLLOUT of the
 * first line is checked by net_hosted_connect_poll_before_connect.
 */
START_TEST(net_hosted_connect_poll)
{
  start_stack();
  usocket *server = listener(80, 1);
  usocket *s = tcp();
  usocket_poller *p = NULL;
  ck_assert_int_eq(usocket_poller_new(&p), 0);
  ck_assert_int_eq(usocket_poller_register(p, s, USOCKET_POLLIN | USOCKET_POLLOUT), 0);
  unsigned ev = 0;
  ck_assert_int_eq(poll_one(p, s, 0, &ev), 1); /* "1 4": the count */
  ck_assert_uint_eq(ev & USOCKET_POLLIN, 0);
  usocket_addr peer = resolve(LOOP, 80);
  ck_assert_int_eq(usocket_settimeout(s, 5000), 0); /* blocking, but bounded */
  ck_assert_int_eq(usocket_connect(s, &peer), 0);
  ck_assert_int_eq(poll_one(p, s, 0, &ev), 1);   /* "1" */
  ck_assert_int_eq(poll_one(p, s, 1000, &ev), 1); /* "1 4" */
  ck_assert_uint_eq(ev, USOCKET_POLLOUT);
  ck_assert_int_eq(usocket_close(s), 0);
  usocket_poller_free(p);
  usocket_free(s);
  server_done(server);
}
END_TEST

/*
 * Not a MicroPython test. Closing a listening socket while a connection
 * sits in its accept queue (connected, never accepted) must reset that
 * connection (usocket.h, usocket_close(); modlwip's
 * lwip_socket_free_incoming() aborts them; so does lwIP's netconn_delete()
 * of a listener, draining its accept queue).
 */
START_TEST(net_hosted_server_closed_with_pending)
{
  start_stack();
  usocket *server = listener(80, 1);
  usocket *c = tcp();
  usocket_addr a = resolve(LOOP, 80);
  ck_assert_int_eq(usocket_settimeout(c, 5000), 0);
  ck_assert_int_eq(usocket_connect(c, &a), 0);
  ck_assert_int_eq(usocket_close(server), 0);
  usocket_free(server);
  /* the queued connection was reset: the client sees it */
  char buf[4];
  ck_assert_int_eq(usocket_recv(c, buf, sizeof(buf), 0), -USOCKET_ECONNRESET);
  usocket_free(c);
}
END_TEST

Suite *bn_test_suite(void)
{
  Suite *s = suite_create("usocket_net_hosted");
  TCase *tc = tcase_create("net_hosted");
  tcase_set_timeout(tc, 30);
  tcase_add_checked_fixture(tc, NULL, stop_stack);
  tcase_add_test(tc, net_hosted_accept_nonblock);
  tcase_add_test(tc, net_hosted_accept_timeout);
  tcase_add_test(tc, net_hosted_connect_nonblock);
  tcase_add_test(tc, net_hosted_connect_timeout_zero);
  tcase_add_test(tc, net_hosted_connect_timeout_one_second);
  tcase_add_test(tc, net_hosted_connect_poll_before_connect);
  tcase_add_test(tc, net_hosted_connect_poll);
  tcase_add_test(tc, net_hosted_server_closed_with_pending);
  suite_add_tcase(s, tc);
  return s;
}
