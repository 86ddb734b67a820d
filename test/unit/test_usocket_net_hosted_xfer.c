/*
 * C ports of MicroPython's single-board socket tests, tests/net_hosted/ in
 * the MicroPython repository, part 2: transfers right after a non-blocking
 * connect, a loopback echo, servers on one address, and poll around errors.
 * Each test names its original. Internet hosts are replaced by a server on
 * the same board over lwIP's loopback (127.0.0.1); a host that never answers
 * is 192.0.2.1 on the memory link (its ARP is never answered). Expected
 * values are the originals' .exp files or, without one, what MicroPython on
 * lwIP (extmod/modlwip.c) prints. Part 1: test_usocket_net_hosted.c.
 */
#include "bn_test.h"
#include "bn_clock.h"

#include <string.h>
#include <unistd.h>

#include "usocket.h"
#include "usocket_fixture.h"

#define NOWHERE "192.0.2.1"

/* Blocking connect, bounded by a 5 s timeout. */
static usocket *connected(uint16_t port)
{
  usocket *c = tcp();
  usocket_addr a = addr(LOOP, port);
  ck_assert_int_eq(usocket_settimeout(c, 5000), 0);
  ck_assert_int_eq(usocket_connect(c, &a), 0);
  return c;
}

/* Accepts one connection (bounded by a 5 s timeout). */
static usocket *accepted(usocket *server)
{
  usocket *c = NULL;
  ck_assert_int_eq(usocket_settimeout(server, 5000), 0);
  ck_assert_int_eq(usocket_accept(server, &c, NULL), 0);
  ck_assert_ptr_nonnull(c);
  return c;
}

/* poll.poll(timeout) with s registered alone: the count, revents in *ev. */
static int poll_one(usocket *s, unsigned events, long timeout_ms, unsigned *ev)
{
  usocket_poller *p = NULL;
  ck_assert_int_eq(usocket_poller_new(&p), 0);
  ck_assert_int_eq(usocket_poller_register(p, s, events), 0);
  usocket_pollfd out[1];
  memset(out, 0, sizeof(out));
  int n = usocket_poller_poll(p, timeout_ms, out, 1);
  usocket_poller_free(p);
  ck_assert_int_ge(n, 0);
  *ev = n == 1 ? out[0].revents : 0;
  return n;
}

/* ---- tests/net_hosted/connect_nonblock_xfer.py ---- */

/* The peers of the two plain-socket runs of the original. */
enum { PEER_NOWHERE, PEER_BUSY_SERVER };

struct xfer {
  usocket *s;          /* the socket under test */
  usocket *server;     /* PEER_BUSY_SERVER: the listener ... */
  usocket *filler;     /* ... and the connection that fills its backlog */
};

/*
 * do_connect(peer_addr, tls=False, handshake=False) and poll(s) of the
 * original: a non-blocking connect gives EINPROGRESS ("connect:
 * EINPROGRESS") and poll(0) with the default mask gives nothing ("poll:
 * []"). PEER_NOWHERE is the original's 192.0.2.1:80. PEER_BUSY_SERVER
 * replaces micropython.org:80 (a host that answers, but not yet): a server
 * on this board whose backlog (1) is filled by another connection, so lwIP
 * drops our SYN (tcp_listen_input(): "listen backlog exceeded") and the
 * connect stays in progress however fast the loopback is.
 */
static void xfer_connect(int peer, struct xfer *x)
{
  memset(x, 0, sizeof(*x));
  usocket_addr to = addr(NOWHERE, 80);
  if (peer == PEER_BUSY_SERVER) {
    x->server = listener_at(LOOP, 80, 1);
    x->filler = connected(80);
    to = addr(LOOP, 80);
  }
  x->s = tcp();
  ck_assert_int_eq(usocket_setblocking(x->s, false), 0);
  ck_assert_int_eq(usocket_connect(x->s, &to), -USOCKET_EINPROGRESS);
  unsigned ev = 0;
  ck_assert_int_eq(poll_one(x->s, USOCKET_POLLIN | USOCKET_POLLOUT, 0, &ev), 0);
}

static void xfer_close(struct xfer *x)
{
  ck_assert_int_eq(usocket_close(x->s), 0);
  usocket_free(x->s);
  if (x->server != NULL) {
    /* accept the filler before closing the listener (see
     * net_hosted_server_closed_with_pending in test_usocket_net_hosted.c) */
    usocket_free(accepted(x->server));
    usocket_free(x->filler);
    usocket_free(x->server);
  }
}

/*
 * tests/net_hosted/connect_nonblock_xfer.py, "connect + send" of the plain
 * sockets (loop: _i 0 = "to nowhere", 1 = "Plain sockets").
 * Checks (.exp): connect: EINPROGRESS, poll: [], send er: EAGAIN.
 * Port: the SSL runs are left out (usocket has no TLS); peers as above.
 */
START_TEST(net_hosted_connect_nonblock_xfer_send)
{
  start_stack();
  struct xfer x;
  xfer_connect(_i, &x);
  ck_assert_int_eq(usocket_send(x.s, "1234", 4), -USOCKET_EAGAIN);
  xfer_close(&x);
}
END_TEST

/*
 * tests/net_hosted/connect_nonblock_xfer.py, "connect + write".
 * Checks (.exp): connect: EINPROGRESS, poll: [], write: None.
 */
START_TEST(net_hosted_connect_nonblock_xfer_write)
{
  start_stack();
  struct xfer x;
  xfer_connect(_i, &x);
  ck_assert_int_eq(usocket_write(x.s, "1234", 4), USOCKET_NONE);
  xfer_close(&x);
}
END_TEST

/*
 * tests/net_hosted/connect_nonblock_xfer.py, "connect + recv".
 * Checks (.exp): connect: EINPROGRESS, poll: [], recv er: EAGAIN.
 * modlwip's lwip_tcp_receive() gives EAGAIN on a non-blocking socket with
 * nothing received, whatever the state but LISTENING.
 */
START_TEST(net_hosted_connect_nonblock_xfer_recv)
{
  start_stack();
  struct xfer x;
  xfer_connect(_i, &x);
  char buf[10];
  ck_assert_int_eq(usocket_recv(x.s, buf, sizeof(buf), 0), -USOCKET_EAGAIN);
  xfer_close(&x);
}
END_TEST

/*
 * tests/net_hosted/connect_nonblock_xfer.py, "connect + read".
 * Checks (.exp): connect: EINPROGRESS, poll: [], read: None.
 * As recv: EAGAIN underneath, which read reports as None.
 */
START_TEST(net_hosted_connect_nonblock_xfer_read)
{
  start_stack();
  struct xfer x;
  xfer_connect(_i, &x);
  char buf[10];
  ck_assert_int_eq(usocket_read(x.s, buf, sizeof(buf)), USOCKET_NONE);
  xfer_close(&x);
}
END_TEST

/*
 * tests/net_hosted/asyncio_loopback.py
 * Checks (.exp): a server on 0.0.0.0:8080 and a client connected to
 * 127.0.0.1:8080 on the same board: the client writes 100 bytes b"A", the
 * handler reads exactly 100 ("handler got 100 bytes") and writes them back,
 * the client reads exactly 100 equal bytes ("client got 100 bytes"), both
 * close, the server closes.
 * Port: asyncio is MicroPython's scheduler over select.poll; here the same
 * socket calls run in the order the .exp shows, in one thread, with the
 * stream methods (read = readexactly, write + drain = write on a blocking
 * socket), each bounded by a 5 s timeout. 100 bytes fit every profile's
 * buffers, so the order cannot block.
 */
START_TEST(net_hosted_asyncio_loopback)
{
  start_stack();
  usocket *server = listener_at("0.0.0.0", 8080, 5);
  usocket *client = connected(8080);
  char data_in[100], data[100], back[100];
  memset(data_in, 'A', sizeof(data_in));
  ck_assert_int_eq(usocket_write(client, data_in, sizeof(data_in)), 100);
  usocket *handler = accepted(server);
  ck_assert_int_eq(usocket_read(handler, data, sizeof(data)), 100);
  ck_assert_int_eq(usocket_write(handler, data, sizeof(data)), 100);
  ck_assert_int_eq(usocket_close(handler), 0);
  ck_assert_int_eq(usocket_read(client, back, sizeof(back)), 100);
  ck_assert_mem_eq(back, data_in, sizeof(data_in));
  ck_assert_int_eq(usocket_read(client, back, sizeof(back)), 0); /* EOF */
  ck_assert_int_eq(usocket_close(client), 0);
  ck_assert_int_eq(usocket_close(server), 0);
  usocket_free(handler);
  usocket_free(client);
  usocket_free(server);
}
END_TEST

/* The socket calls of asyncio.start_server(cb, host, port) (MicroPython's
 * extmod/asyncio/stream.py): socket, setblocking(False),
 * setsockopt(SOL_SOCKET, SO_REUSEADDR, 1), bind, listen(5). Returns the
 * first error, or 0 and the socket in *out. */
static int start_server(const char *host, uint16_t port, usocket **out)
{
  usocket *s = tcp();
  usocket_addr a = addr(host, port);
  int one = 1;
  int rc = usocket_setblocking(s, false);
  if (rc == 0) {
    rc = usocket_setsockopt(s, USOCKET_SOL_SOCKET, USOCKET_SO_REUSEADDR, &one, sizeof(one));
  }
  if (rc == 0) {
    rc = usocket_bind(s, &a);
  }
  if (rc == 0) {
    rc = usocket_listen(s, 5);
  }
  if (rc != 0) {
    usocket_free(s);
    s = NULL;
  }
  *out = s;
  return rc;
}

/*
 * tests/net_hosted/asyncio_start_server.py (and its former name
 * tests/net_hosted/uasyncio_start_server.py)
 * Checks (.exp): a second server on 0.0.0.0:8000 while the first listens
 * raises OSError; after the first is closed, servers on the same address
 * start again (server3, server4 and the four task servers: six in a row,
 * each closed before the next).
 * Port: the asyncio layer is replaced by the socket calls start_server()
 * makes; the task cancellation cases are asyncio-only and left out. Both
 * sockets have SO_REUSEADDR, so lwIP's tcp_bind() lets the second bind
 * through and tcp_listen() refuses the port (ERR_USE): EADDRINUSE.
 */
START_TEST(net_hosted_asyncio_start_server)
{
  start_stack();
  usocket *server1 = NULL, *server2 = NULL;
  ck_assert_int_eq(start_server("0.0.0.0", 8000, &server1), 0);
  ck_assert_int_eq(start_server("0.0.0.0", 8000, &server2), -USOCKET_EADDRINUSE);
  ck_assert_ptr_null(server2);
  ck_assert_int_eq(usocket_close(server1), 0);
  usocket_free(server1);
  for (int i = 0; i < 6; i++) {
    usocket *again = NULL;
    ck_assert_int_eq(start_server("0.0.0.0", 8000, &again), 0);
    ck_assert_int_eq(usocket_close(again), 0);
    usocket_free(again);
  }
}
END_TEST

/* Polls s (POLLIN | POLLOUT) until flag shows up: at most 250 rounds of
 * 20 ms (POLLOUT is ready at once, so poll itself cannot wait for it). */
static unsigned poll_until(usocket *s, unsigned flag)
{
  unsigned ev = 0;
  poll_one(s, USOCKET_POLLIN | USOCKET_POLLOUT, 0, &ev);
  for (int i = 0; i < 250 && !(ev & flag); i++) {
    bn_clock_sleep_ms(20); /* the board's clock: virtual too */
    poll_one(s, USOCKET_POLLIN | USOCKET_POLLOUT, 0, &ev);
  }
  return ev;
}

/*
 * tests/net_hosted/poll_errors.py (an early test without .exp: it prints
 * poll results and errors around a connection that the server closes)
 * Checks, with MicroPython-on-lwIP values (modlwip.c lwip_socket_ioctl(),
 * lwip_tcp_send(), lwip_tcp_receive()): poll before connect has POLLHUP;
 * send before connect raises ENOTCONN (tcp_write() on a closed pcb:
 * ERR_CONN); after connect poll gives POLLOUT; send(b"1234") gives 4; the
 * reply is read 10 bytes at a time, POLLIN | POLLOUT while data or the EOF
 * is pending, then b"" at EOF (STATE_PEER_CLOSED: POLLIN | POLLOUT); the
 * first send after it is accepted (3); the peer, closed, answers with RST:
 * poll gives POLLIN | POLLOUT | POLLERR | POLLHUP (29: ERR_RST, the mask
 * asked for plus ERR and HUP), the next send ECONNRESET, then the socket is
 * done (EBADF, poll POLLNVAL).
 * Port: micropython.org:80 is replaced by a server on this board that reads
 * the 4 bytes, answers a 26-byte "HTTP/1.1 400 Bad Request\r\n" and closes.
 * The original's sleeps become bounded waits for the state they wait for.
 * The POLLOUT that modlwip adds before connect is checked by
 * net_hosted_connect_poll_before_connect and left out here.
 */
START_TEST(net_hosted_poll_errors)
{
  static const char reply[] = "HTTP/1.1 400 Bad Request\r\n";
  start_stack();
  usocket *server = listener_at(LOOP, 80, 1);
  usocket *s = tcp();
  unsigned ev = 0;
  ck_assert_int_eq(poll_one(s, USOCKET_POLLIN | USOCKET_POLLOUT, 0, &ev), 1);
  ck_assert_uint_ne(ev & USOCKET_POLLHUP, 0);
  ck_assert_int_eq(usocket_send(s, "123", 3), -USOCKET_ENOTCONN);
  usocket_addr a = addr(LOOP, 80);
  ck_assert_int_eq(usocket_settimeout(s, 5000), 0);
  ck_assert_int_eq(usocket_connect(s, &a), 0);
  ck_assert_int_eq(poll_one(s, USOCKET_POLLIN | USOCKET_POLLOUT, 0, &ev), 1);
  ck_assert_uint_eq(ev, USOCKET_POLLOUT);
  ck_assert_int_eq(usocket_send(s, "1234", 4), 4);
  /* the server's side */
  usocket *peer = accepted(server);
  char req[4];
  ck_assert_int_eq(usocket_settimeout(peer, 5000), 0);
  ck_assert_int_eq(usocket_read(peer, req, sizeof(req)), 4);
  ck_assert_mem_eq(req, "1234", 4);
  ck_assert_int_eq(usocket_sendall(peer, reply, 26), 0);
  ck_assert_int_eq(usocket_close(peer), 0);
  usocket_free(peer);
  /* the client reads the reply 10 bytes at a time */
  char buf[10];
  ck_assert_int_eq(usocket_recv(s, buf, 10, 0), 10);
  ck_assert_mem_eq(buf, "HTTP/1.1 4", 10);
  ck_assert_int_eq(poll_one(s, USOCKET_POLLIN | USOCKET_POLLOUT, 0, &ev), 1);
  ck_assert_uint_eq(ev, USOCKET_POLLIN | USOCKET_POLLOUT);
  ck_assert_int_eq(usocket_recv(s, buf, 10, 0), 10);
  ck_assert_mem_eq(buf, "00 Bad Req", 10);
  ck_assert_int_eq(usocket_recv(s, buf, 10, 0), 6);
  ck_assert_mem_eq(buf, "uest\r\n", 6);
  ck_assert_int_eq(poll_one(s, USOCKET_POLLIN, 5000, &ev), 1); /* the EOF is there */
  ck_assert_uint_eq(ev, USOCKET_POLLIN);
  ck_assert_int_eq(usocket_recv(s, buf, 10, 0), 0);
  ck_assert_int_eq(poll_one(s, USOCKET_POLLIN | USOCKET_POLLOUT, 0, &ev), 1);
  ck_assert_uint_eq(ev, USOCKET_POLLIN | USOCKET_POLLOUT);
  /* sends after the peer closed: accepted once, then the peer's RST */
  ck_assert_int_eq(usocket_send(s, "456", 3), 3);
  unsigned reset_ev = poll_until(s, USOCKET_POLLHUP);
  ck_assert_int_eq(usocket_send(s, "456", 3), -USOCKET_ECONNRESET);
  ck_assert_int_eq(poll_one(s, USOCKET_POLLIN | USOCKET_POLLOUT, 0, &ev), 1);
  ck_assert_uint_eq(ev, USOCKET_POLLNVAL);
  ck_assert_int_eq(usocket_send(s, "456", 3), -USOCKET_EBADF);
  ck_assert_int_eq(usocket_close(s), 0);
  usocket_free(s);
  usocket_free(server);
  /* After the RST modlwip's state is ERR_RST: the socket is readable (a
   * recv raises), writable (a send raises), POLLERR and POLLHUP. */
  ck_assert_uint_eq(reset_ev, USOCKET_POLLIN | USOCKET_POLLOUT | USOCKET_POLLERR | USOCKET_POLLHUP);
  ck_assert_uint_eq(reset_ev, 29);
}
END_TEST

Suite *bn_test_suite(void)
{
  Suite *s = suite_create("usocket_net_hosted_xfer");
  TCase *tc = tcase_create("net_hosted_xfer");
  tcase_set_timeout(tc, 30);
  tcase_add_checked_fixture(tc, NULL, stop_stack);
  tcase_add_loop_test(tc, net_hosted_connect_nonblock_xfer_send, PEER_NOWHERE, PEER_BUSY_SERVER + 1);
  tcase_add_loop_test(tc, net_hosted_connect_nonblock_xfer_write, PEER_NOWHERE, PEER_BUSY_SERVER + 1);
  tcase_add_loop_test(tc, net_hosted_connect_nonblock_xfer_recv, PEER_NOWHERE, PEER_BUSY_SERVER + 1);
  tcase_add_loop_test(tc, net_hosted_connect_nonblock_xfer_read, PEER_NOWHERE, PEER_BUSY_SERVER + 1);
  tcase_add_test(tc, net_hosted_asyncio_loopback);
  tcase_add_test(tc, net_hosted_asyncio_start_server);
  tcase_add_test(tc, net_hosted_poll_errors);
  suite_add_tcase(s, tc);
  return s;
}
