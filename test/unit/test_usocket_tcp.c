/*
 * usocket over TCP: one lwIP per test process (Check fork mode) on a memory
 * link, client and server sockets in the same process talking over lwIP's
 * loopback (127.0.0.1). Connection set-up and errors, data transfer in
 * blocking, timeout and non-blocking modes, the stream methods, backlog,
 * threads (resets: test_usocket_reset.c; options and limits:
 * test_usocket_options.c).
 */
#include "bn_test.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bn_stack.h"
#include "link_memory.h"
#include "lwip/api.h"
#include "lwip/priv/tcp_priv.h" /* TCP_TMR_INTERVAL: the delayed ACKs' timer */
#include "lwip/tcp.h"
#include "lwip/tcpip.h"
#include "usocket.h"
#include "usocket_fixture.h"
#include "usocket_internal.h" /* the waits' counts: who an event woke */

/* A connected pair: *cli connected to *srv (accepted from a listener on port). */
static void pair(uint16_t port, usocket **cli, usocket **srv)
{
  usocket *l = listener_at(LOOP, port, USOCKET_BACKLOG_DEFAULT);
  *cli = tcp();
  usocket_addr a = addr(LOOP, port);
  ck_assert_int_eq(usocket_connect(*cli, &a), 0);
  usocket_addr peer;
  ck_assert_int_eq(usocket_accept(l, srv, &peer), 0);
  ck_assert_str_eq(peer.ip, LOOP);
  ck_assert_uint_ne(peer.port, 0);
  usocket_free(l);
}

START_TEST(tcp_connect_accept_send_recv_eof)
{
  start_stack();
  usocket *cli, *srv;
  pair(7001, &cli, &srv);
  ck_assert_int_eq(usocket_send(cli, "hello", 5), 5);
  char buf[16];
  ck_assert_int_eq(usocket_recv(srv, buf, sizeof(buf), 0), 5);
  ck_assert_mem_eq(buf, "hello", 5);
  usocket_addr from;
  ck_assert_int_eq(usocket_sendall(srv, "world!", 6), 0);
  ck_assert_int_eq(usocket_recvfrom(cli, buf, sizeof(buf), 0, &from), 6);
  ck_assert_mem_eq(buf, "world!", 6);
  ck_assert_str_eq(from.ip, LOOP);
  ck_assert_uint_eq(from.port, 7001);
  /* orderly close: EOF is 0 bytes, every time */
  ck_assert_int_eq(usocket_close(cli), 0);
  ck_assert_int_eq(usocket_recv(srv, buf, sizeof(buf), 0), 0);
  ck_assert_int_eq(usocket_recv(srv, buf, sizeof(buf), 0), 0);
  usocket_free(cli);
  usocket_free(srv);
}
END_TEST

START_TEST(tcp_closed_socket_is_ebadf_everywhere)
{
  start_stack();
  usocket *s = tcp();
  usocket *f = NULL;
  ck_assert_int_eq(usocket_makefile(s, "rb", &f), 0);
  ck_assert_ptr_eq(f, s);
  ck_assert_int_eq(usocket_close(f), 0); /* closing the file closes the socket */
  ck_assert_int_eq(usocket_close(s), 0); /* idempotent */
  usocket_addr a = addr(LOOP, 7002);
  char buf[4];
  usocket *c = NULL;
  int one = 1;
  void *all = NULL;
  ck_assert_int_eq(usocket_bind(s, &a), -USOCKET_EBADF);
  ck_assert_int_eq(usocket_listen(s, 1), -USOCKET_EBADF);
  ck_assert_int_eq(usocket_accept(s, &c, NULL), -USOCKET_EBADF);
  ck_assert_int_eq(usocket_connect(s, &a), -USOCKET_EBADF);
  ck_assert_int_eq(usocket_send(s, "x", 1), -USOCKET_EBADF);
  ck_assert_int_eq(usocket_sendall(s, "x", 1), -USOCKET_EBADF);
  ck_assert_int_eq(usocket_recv(s, buf, 4, 0), -USOCKET_EBADF);
  ck_assert_int_eq(usocket_sendto(s, "x", 1, &a), -USOCKET_EBADF);
  ck_assert_int_eq(usocket_recvfrom(s, buf, 4, 0, NULL), -USOCKET_EBADF);
  ck_assert_int_eq(usocket_setsockopt(s, USOCKET_SOL_SOCKET, USOCKET_SO_REUSEADDR, &one, sizeof(one)),
                   -USOCKET_EBADF);
  ck_assert_int_eq(usocket_settimeout(s, 10), -USOCKET_EBADF);
  ck_assert_int_eq(usocket_setblocking(s, false), -USOCKET_EBADF);
  ck_assert_int_eq(usocket_makefile(s, NULL, &f), -USOCKET_EBADF);
  ck_assert_int_eq(usocket_read(s, buf, 4), -USOCKET_EBADF);
  ck_assert_int_eq(usocket_readall(s, &all), -USOCKET_EBADF);
  ck_assert_int_eq(usocket_readinto(s, buf, 4), -USOCKET_EBADF);
  ck_assert_int_eq(usocket_readline(s, buf, 4), -USOCKET_EBADF);
  ck_assert_int_eq(usocket_write(s, "x", 1), -USOCKET_EBADF);
  ck_assert_uint_eq(poll1(s, USOCKET_POLLIN, 0), USOCKET_POLLNVAL);
  usocket_free(s);
}
END_TEST

START_TEST(tcp_connect_refused_is_econnreset)
{
  start_stack();
  usocket *s = tcp();
  usocket_addr a = addr(LOOP, 7010); /* nobody listens */
  ck_assert_int_eq(usocket_connect(s, &a), -USOCKET_ECONNRESET);
  /* as modlwip: the error is the socket's state, reported once by send */
  ck_assert_int_eq(usocket_send(s, "x", 1), -USOCKET_ECONNRESET);
  ck_assert_int_eq(usocket_send(s, "x", 1), -USOCKET_EBADF);
  usocket_free(s);

  /* non-blocking: EINPROGRESS, then poll reports the failure */
  s = tcp();
  ck_assert_int_eq(usocket_setblocking(s, false), 0);
  ck_assert_int_eq(usocket_connect(s, &a), -USOCKET_EINPROGRESS);
  unsigned ev = poll1(s, USOCKET_POLLIN, 5000);
  ck_assert_uint_ne(ev & (USOCKET_POLLHUP | USOCKET_POLLERR), 0);
  ck_assert_int_eq(usocket_connect(s, &a), -USOCKET_EALREADY);
  usocket_free(s);
}
END_TEST

START_TEST(tcp_nonblocking_connect_completes_in_background)
{
  start_stack();
  usocket *l = listener_at(LOOP, 7011, 2);
  usocket *s = tcp();
  /* new: HUP, and writable (modlwip: a fresh pcb has send buffer room) */
  ck_assert_uint_eq(poll1(s, USOCKET_POLLIN | USOCKET_POLLOUT, 0), USOCKET_POLLOUT | USOCKET_POLLHUP);
  ck_assert_int_eq(usocket_setblocking(s, false), 0);
  usocket_addr a = addr(LOOP, 7011);
  ck_assert_int_eq(usocket_connect(s, &a), -USOCKET_EINPROGRESS);
  ck_assert_uint_eq(poll1(s, USOCKET_POLLOUT, 5000), USOCKET_POLLOUT);
  ck_assert_int_eq(usocket_connect(s, &a), -USOCKET_EISCONN);
  ck_assert_uint_eq(poll1(l, USOCKET_POLLIN, 5000), USOCKET_POLLIN);
  usocket *c = NULL;
  ck_assert_int_eq(usocket_accept(l, &c, NULL), 0);
  ck_assert_int_eq(usocket_send(s, "ab", 2), 2);
  ck_assert_uint_eq(poll1(c, USOCKET_POLLIN, 5000), USOCKET_POLLIN);
  char buf[4];
  ck_assert_int_eq(usocket_recv(c, buf, 4, 0), 2);
  usocket_free(c);
  usocket_free(s);
  usocket_free(l);
}
END_TEST

/* A timeout > 0 gives ETIMEDOUT (modlwip since MicroPython PR #15223), and
 * the connection attempt goes on in the background. */
START_TEST(tcp_connect_timeout_is_etimedout)
{
  start_stack();
  usocket *s = tcp();
  ck_assert_int_eq(usocket_settimeout(s, 200), 0);
  usocket_addr a = addr("192.0.2.99", 80); /* on the link, never answers */
  ck_assert_int_eq(usocket_connect(s, &a), -USOCKET_ETIMEDOUT);
  ck_assert_int_eq(usocket_connect(s, &a), -USOCKET_EALREADY);
  ck_assert_uint_eq(poll1(s, USOCKET_POLLOUT, 100), 0);
  usocket_free(s);
}
END_TEST

START_TEST(tcp_accept_modes_and_inherited_timeout)
{
  start_stack();
  usocket *l = listener_at(LOOP, 7012, USOCKET_BACKLOG_DEFAULT);
  usocket *c = NULL;
  ck_assert_int_eq(usocket_setblocking(l, false), 0);
  ck_assert_int_eq(usocket_accept(l, &c, NULL), -USOCKET_EAGAIN);
  ck_assert_int_eq(usocket_settimeout(l, 100), 0);
  ck_assert_int_eq(usocket_accept(l, &c, NULL), -USOCKET_ETIMEDOUT);
  ck_assert_ptr_null(c);
  usocket *cli = tcp();
  usocket_addr a = addr(LOOP, 7012);
  ck_assert_int_eq(usocket_connect(cli, &a), 0);
  ck_assert_int_eq(usocket_settimeout(l, 0), 0);
  ck_assert_uint_eq(poll1(l, USOCKET_POLLIN, 5000), USOCKET_POLLIN);
  ck_assert_int_eq(usocket_accept(l, &c, NULL), 0);
  char buf[4];
  ck_assert_int_eq(usocket_recv(c, buf, 4, 0), -USOCKET_EAGAIN); /* inherited 0 */
  usocket_free(c);
  ck_assert_int_eq(usocket_settimeout(l, 150), 0);
  usocket *cli2 = tcp();
  ck_assert_int_eq(usocket_connect(cli2, &a), 0);
  ck_assert_int_eq(usocket_accept(l, &c, NULL), 0);
  ck_assert_int_eq(usocket_recv(c, buf, 4, 0), -USOCKET_ETIMEDOUT); /* inherited 150 ms */
  usocket_free(c);
  usocket_free(cli);
  usocket_free(cli2);
  usocket_free(l);
}
END_TEST

START_TEST(tcp_backlog_limits_connections)
{
  start_stack();
  usocket *l = listener_at(LOOP, 7013, 1);
  usocket_addr a = addr(LOOP, 7013);
  usocket *c1 = tcp(), *c2 = tcp();
  ck_assert_int_eq(usocket_connect(c1, &a), 0);
  ck_assert_int_eq(usocket_setblocking(c2, false), 0);
  ck_assert_int_eq(usocket_connect(c2, &a), -USOCKET_EINPROGRESS);
  /* the backlog (1) is full: c2's SYN is not answered */
  ck_assert_uint_eq(poll1(c2, USOCKET_POLLOUT, 500), 0);
  usocket *s1 = NULL, *s2 = NULL;
  ck_assert_int_eq(usocket_accept(l, &s1, NULL), 0);
  /* room again: c2's retransmitted SYN gets in */
  ck_assert_uint_eq(poll1(c2, USOCKET_POLLOUT, 15000), USOCKET_POLLOUT);
  ck_assert_int_eq(usocket_settimeout(l, 5000), 0);
  ck_assert_int_eq(usocket_accept(l, &s2, NULL), 0);
  usocket_free(s1);
  usocket_free(s2);
  usocket_free(c1);
  usocket_free(c2);
  usocket_free(l);
}
END_TEST

START_TEST(tcp_recv_modes_and_peek)
{
  start_stack();
  usocket *cli, *srv;
  pair(7016, &cli, &srv);
  char buf[16];
  ck_assert_int_eq(usocket_recv(srv, buf, 4, USOCKET_MSG_DONTWAIT), -USOCKET_EAGAIN);
  ck_assert_int_eq(usocket_settimeout(srv, 100), 0);
  ck_assert_int_eq(usocket_recv(srv, buf, 4, 0), -USOCKET_ETIMEDOUT);
  ck_assert_int_eq(usocket_setblocking(srv, false), 0);
  ck_assert_int_eq(usocket_recv(srv, buf, 4, 0), -USOCKET_EAGAIN);
  ck_assert_int_eq(usocket_sendall(cli, "abcdef", 6), 0);
  ck_assert_uint_eq(poll1(srv, USOCKET_POLLIN, 5000), USOCKET_POLLIN);
  ck_assert_int_eq(usocket_recv(srv, buf, 3, USOCKET_MSG_PEEK), 3);
  ck_assert_mem_eq(buf, "abc", 3);
  ck_assert_int_eq(usocket_recv(srv, buf, 3, 0), 3);
  ck_assert_mem_eq(buf, "abc", 3);
  ck_assert_int_eq(usocket_recv(srv, buf, 16, 0), 3);
  ck_assert_mem_eq(buf, "def", 3);
  usocket_free(cli);
  usocket_free(srv);
}
END_TEST

START_TEST(tcp_stream_methods)
{
  start_stack();
  usocket *cli, *srv;
  pair(7017, &cli, &srv);
  char buf[32];
  /* read(n) never short: n bytes arrive in two writes */
  ck_assert_int_eq(usocket_write(cli, "abc", 3), 3);
  ck_assert_int_eq(usocket_write(cli, "def", 3), 3);
  ck_assert_int_eq(usocket_read(srv, buf, 6), 6);
  ck_assert_mem_eq(buf, "abcdef", 6);
  /* readline stops after \n; non-blocking: partial line, then None */
  ck_assert_int_eq(usocket_sendall(cli, "one\ntwo\npart", 12), 0);
  ck_assert_int_eq(usocket_readline(srv, buf, sizeof(buf)), 4);
  ck_assert_mem_eq(buf, "one\n", 4);
  ck_assert_int_eq(usocket_readline(srv, buf, sizeof(buf)), 4);
  ck_assert_mem_eq(buf, "two\n", 4);
  ck_assert_int_eq(usocket_setblocking(srv, false), 0);
  ck_assert_int_eq(usocket_readline(srv, buf, sizeof(buf)), 4);
  ck_assert_mem_eq(buf, "part", 4);
  ck_assert_int_eq(usocket_readline(srv, buf, sizeof(buf)), USOCKET_NONE);
  ck_assert_int_eq(usocket_read(srv, buf, 5), USOCKET_NONE);
  ck_assert_int_eq(usocket_readinto(srv, buf, 5), USOCKET_NONE);
  void *all = NULL;
  ck_assert_int_eq(usocket_readall(srv, &all), USOCKET_NONE);
  /* non-blocking read returns the partial count */
  ck_assert_int_eq(usocket_sendall(cli, "xyz", 3), 0);
  ck_assert_uint_eq(poll1(srv, USOCKET_POLLIN, 5000), USOCKET_POLLIN);
  ck_assert_int_eq(usocket_readinto(srv, buf, 10), 3);
  ck_assert_mem_eq(buf, "xyz", 3);
  /* read() without size reads to EOF */
  ck_assert_int_eq(usocket_setblocking(srv, true), 0);
  ck_assert_int_eq(usocket_sendall(cli, "the rest", 8), 0);
  ck_assert_int_eq(usocket_close(cli), 0);
  ck_assert_int_eq(usocket_readall(srv, &all), 8);
  ck_assert_mem_eq(all, "the rest", 8);
  free(all);
  ck_assert_int_eq(usocket_read(srv, buf, 4), 0); /* EOF */
  ck_assert_int_eq(usocket_readline(srv, buf, 4), 0);
  usocket_free(cli);
  usocket_free(srv);
}
END_TEST

/*
 * A bulk transfer sized from the board profile. Over lwIP's loopback both
 * ends share the board's heap (MEM_SIZE): the sender's queued data and every
 * looped-back copy of it come from there (on a real link the receiver's
 * frames are pool pbufs). Where the heap holds four send buffers, four send
 * buffers (so that a send() is short), at most 1 MiB. On a small board
 * (rp2-pico-w: 6400-byte send buffer, 8000-byte heap) a full send buffer
 * leaves no room for the loopback copy of a retransmission and the
 * connection stalls (measured: 4800 bytes pass, 6400 do not); there, half
 * the heap, which a send takes whole.
 */
#define LOOPBACK_ROOMY (MEM_SIZE >= 4 * TCP_SND_BUF)
#define BIG (!LOOPBACK_ROOMY ? MEM_SIZE / 2 : 4 * TCP_SND_BUF < 1024 * 1024 ? 4 * TCP_SND_BUF : 1024 * 1024)
/* More than the send buffer takes at once, on every profile. */
#define OVER_SNDBUF (TCP_SND_BUF + 1)
#define BUFSIZE (BIG > OVER_SNDBUF ? BIG : OVER_SNDBUF)

static void fill(unsigned char *p, size_t n)
{
  for (size_t i = 0; i < n; i++) {
    p[i] = (unsigned char)(i * 7 + i / 251);
  }
}

typedef struct reader {
  usocket *s;
  size_t want;
  unsigned char *got;
  ssize_t n;
} reader;

static void *read_thread(void *arg)
{
  reader *r = arg;
  r->n = usocket_read(r->s, r->got, r->want);
  return NULL;
}

START_TEST(tcp_send_short_sendall_and_write_full)
{
  start_stack();
  usocket *cli, *srv;
  pair(7018, &cli, &srv);
  unsigned char *data = malloc(BUFSIZE), *got = malloc(BIG);
  fill(data, BUFSIZE);
  /* non-blocking sendall that cannot take it all sends nothing */
  ck_assert_int_eq(usocket_setblocking(cli, false), 0);
  ck_assert_int_eq(usocket_sendall(cli, data, OVER_SNDBUF), -USOCKET_EAGAIN);
  ck_assert_uint_eq(poll1(srv, USOCKET_POLLIN, 300), 0);
  /* send may be short: where the send buffer is smaller than BIG it is */
  ck_assert_int_eq(usocket_setblocking(cli, true), 0);
  ssize_t n = usocket_send(cli, data, BIG);
  ck_assert_int_gt(n, 0);
  if (BIG > TCP_SND_BUF) {
    ck_assert_int_lt(n, BIG);
  } else {
    ck_assert_int_eq(n, BIG);
  }
  reader r = { srv, (size_t)n, got, 0 };
  pthread_t t;
  pthread_create(&t, NULL, read_thread, &r);
  pthread_join(t, NULL);
  ck_assert_int_eq(r.n, n);
  ck_assert_mem_eq(got, data, (size_t)n);
  /* sendall and write never write short on a blocking socket */
  r.want = BIG;
  pthread_create(&t, NULL, read_thread, &r);
  ck_assert_int_eq(usocket_sendall(cli, data, BIG), 0);
  pthread_join(t, NULL);
  ck_assert_int_eq(r.n, BIG);
  ck_assert_int_eq(memcmp(got, data, BIG), 0);
  pthread_create(&t, NULL, read_thread, &r);
  ck_assert_int_eq(usocket_write(cli, data, BIG), BIG);
  pthread_join(t, NULL);
  ck_assert_int_eq(r.n, BIG);
  ck_assert_int_eq(memcmp(got, data, BIG), 0);
  free(data);
  free(got);
  usocket_free(cli);
  usocket_free(srv);
}
END_TEST

START_TEST(tcp_full_send_buffer_modes)
{
  start_stack();
  usocket *cli, *srv;
  pair(7019, &cli, &srv);
  unsigned char *data = malloc(BIG);
  fill(data, BIG);
  ck_assert_int_eq(usocket_setblocking(cli, false), 0);
  ssize_t n = 0;
  int rounds = 0;
  /* The peer reads nothing, so the window and the send buffer fill up. */
  while ((n = usocket_send(cli, data, BIG)) > 0 && rounds < 256) {
    rounds++;
  }
  ck_assert_int_eq(n, -USOCKET_EAGAIN);
  /* write(): a partial count while room trickles in, then None */
  rounds = 0;
  while ((n = usocket_write(cli, data, 100)) >= 0 && rounds < 100000) {
    rounds++;
  }
  ck_assert_int_eq(n, USOCKET_NONE);
  /* with a timeout: ETIMEDOUT once no room comes within it. The peer's
   * delayed ACKs of what is in flight free room for up to lwIP's fast timer
   * interval (TCP_TMR_INTERVAL, 250 ms) after the last send: a timeout
   * longer than that sees them all, and once the peer's window is shut no
   * more room can come. */
  ck_assert_int_eq(usocket_settimeout(cli, 2 * TCP_TMR_INTERVAL), 0);
  rounds = 0;
  while ((n = usocket_send(cli, data, BIG)) > 0 && rounds < 256) {
    rounds++;
  }
  ck_assert_int_eq(n, -USOCKET_ETIMEDOUT);
  ck_assert_int_eq(usocket_settimeout(cli, 100), 0);
  ck_assert_int_eq(usocket_write(cli, data, BIG), -USOCKET_ETIMEDOUT); /* BIG cannot fit */
  ck_assert_int_eq(usocket_sendall(cli, data, BIG), -USOCKET_ETIMEDOUT);
  free(data);
  usocket_free(cli);
  usocket_free(srv);
}
END_TEST

typedef struct echo_arg {
  usocket *s;
  size_t total;
  unsigned char *buf;
  int rc;
} echo_arg;

static void *echo_thread(void *arg)
{
  echo_arg *e = arg;
  unsigned char tmp[4096];
  size_t done = 0;
  while (done < e->total) {
    ssize_t n = usocket_recv(e->s, tmp, sizeof(tmp), 0);
    if (n <= 0) {
      e->rc = (int)n;
      return NULL;
    }
    if (usocket_sendall(e->s, tmp, (size_t)n) != 0) {
      e->rc = -1;
      return NULL;
    }
    done += (size_t)n;
  }
  return NULL;
}

static void *recv_all_thread(void *arg)
{
  echo_arg *e = arg;
  e->rc = (int)usocket_read(e->s, e->buf, e->total);
  return NULL;
}

START_TEST(tcp_one_thread_recvs_while_another_sends)
{
  start_stack();
  usocket *cli, *srv;
  pair(7020, &cli, &srv);
  size_t total = BIG / 2;
  unsigned char *data = malloc(total), *got = malloc(total);
  fill(data, total);
  echo_arg echo = { srv, total, NULL, 0 }, rx = { cli, total, got, 0 };
  pthread_t te, tr;
  pthread_create(&te, NULL, echo_thread, &echo);
  pthread_create(&tr, NULL, recv_all_thread, &rx);
  ck_assert_int_eq(usocket_sendall(cli, data, total), 0); /* while tr receives on cli */
  pthread_join(tr, NULL);
  pthread_join(te, NULL);
  ck_assert_int_eq(echo.rc, 0);
  ck_assert_int_eq(rx.rc, (int)total);
  ck_assert_int_eq(memcmp(got, data, total), 0);
  free(data);
  free(got);
  usocket_free(cli);
  usocket_free(srv);
}
END_TEST

typedef struct blocked {
  usocket *s;
  int which; /* 0 recv, 1 accept, 2 connect */
  int rc;
} blocked;

static void *block_thread(void *arg)
{
  blocked *b = arg;
  char buf[8];
  usocket *c = NULL;
  usocket_addr a = addr("192.0.2.99", 80);
  switch (b->which) {
  case 0: b->rc = (int)usocket_recv(b->s, buf, sizeof(buf), 0); break;
  case 1: b->rc = usocket_accept(b->s, &c, NULL); break;
  default: b->rc = usocket_connect(b->s, &a); break;
  }
  return NULL;
}

static void close_wakes(usocket *s, int which)
{
  blocked b = { s, which, 1 };
  pthread_t t;
  pthread_create(&t, NULL, block_thread, &b);
  usleep(100 * 1000); /* let it block (if it does not yet, it sees EBADF anyway) */
  ck_assert_int_eq(usocket_close(s), 0);
  pthread_join(t, NULL);
  ck_assert_int_eq(b.rc, -USOCKET_EBADF);
  usocket_free(s);
}

START_TEST(tcp_close_from_another_thread_wakes_blocked_calls)
{
  start_stack();
  usocket *cli, *srv;
  pair(7021, &cli, &srv);
  close_wakes(srv, 0);
  usocket_free(cli);
  close_wakes(listener_at(LOOP, 7022, 2), 1);
  close_wakes(tcp(), 2);
}
END_TEST

/* Waits (at most 10 s) until the waits' counts satisfy done(). */
static void wait_counts_until(bool (*done)(const bn_us_wait_counts *c, const bn_us_wait_counts *from),
                              const bn_us_wait_counts *from, bn_us_wait_counts *now)
{
  for (int i = 0; i < 1000; i++) {
    bn_us_wait_counts_get(now);
    if (done(now, from)) {
      return;
    }
    usleep(10 * 1000);
  }
  ck_abort_msg("the waits' counts never got there");
}

static bool one_waiting(const bn_us_wait_counts *c, const bn_us_wait_counts *from)
{
  return c->waiting == from->waiting + 1;
}

static usocket *acked_sock; /* acks_seen(): the socket whose data must be acknowledged */

static bool acks_seen(const bn_us_wait_counts *c, const bn_us_wait_counts *from)
{
  LOCK_TCPIP_CORE();
  const struct tcp_pcb *pcb = acked_sock->conn->pcb.tcp;
  bool all = pcb->unsent == NULL && pcb->unacked == NULL;
  UNLOCK_TCPIP_CORE();
  return all && c->send_events > from->send_events;
}

/* A thread blocked in recv() on a socket is not woken by the ACKs of what
 * another thread sends on that socket (lwIP's SENDPLUS events): only by
 * data (one wake-up for one segment). */
START_TEST(tcp_acks_of_sent_data_do_not_wake_a_receiver)
{
  start_stack();
  usocket *cli, *srv;
  pair(7023, &cli, &srv);
  bn_us_wait_counts before, now;
  bn_us_wait_counts_get(&before);
  blocked b = { cli, 0, 1 };
  pthread_t t;
  pthread_create(&t, NULL, block_thread, &b);
  wait_counts_until(one_waiting, &before, &now); /* it sleeps in recv() */
  bn_us_wait_counts waiting = now;
  char chunk[100] = { 0 };
  for (int i = 0; i < 10; i++) {
    ck_assert_int_eq(usocket_sendall(cli, chunk, sizeof(chunk)), 0);
  }
  acked_sock = cli;
  wait_counts_until(acks_seen, &waiting, &now); /* srv's lwIP acknowledged them all */
  ck_assert_uint_eq(now.wakeups, waiting.wakeups);
  ck_assert_uint_eq(now.waiting, waiting.waiting); /* still asleep */
  ck_assert_int_eq(usocket_send(srv, "x", 1), 1);
  pthread_join(t, NULL);
  ck_assert_int_eq(b.rc, 1);
  bn_us_wait_counts_get(&now);
  ck_assert_uint_eq(now.wakeups, waiting.wakeups + 1);
  usocket_free(cli);
  usocket_free(srv);
}
END_TEST

START_TEST(tcp_poller_register_modify_unregister)
{
  start_stack();
  usocket *cli, *srv;
  pair(7024, &cli, &srv);
  usocket_poller *p = NULL;
  ck_assert_int_eq(usocket_poller_new(&p), 0);
  usocket_pollfd out[4];
  ck_assert_int_eq(usocket_poller_modify(p, srv, USOCKET_POLLIN), -USOCKET_ENOENT);
  ck_assert_int_eq(usocket_poller_register(p, srv, USOCKET_POLLIN), 0);
  ck_assert_int_eq(usocket_poller_register(p, cli, USOCKET_POLLIN), 0);
  ck_assert_int_eq(usocket_poller_poll(p, 100, out, 4), 0); /* timeout */
  ck_assert_int_eq(usocket_send(cli, "z", 1), 1);
  ck_assert_int_eq(usocket_poller_poll(p, 5000, out, 4), 1);
  ck_assert_ptr_eq(out[0].sock, srv);
  ck_assert_uint_eq(out[0].revents, USOCKET_POLLIN);
  ck_assert_int_eq(usocket_poller_modify(p, cli, USOCKET_POLLIN | USOCKET_POLLOUT), 0);
  ck_assert_int_eq(usocket_poller_poll(p, 0, out, 4), 2);
  ck_assert_ptr_eq(out[1].sock, cli);
  ck_assert_uint_eq(out[1].revents, USOCKET_POLLOUT);
  ck_assert_int_eq(usocket_poller_unregister(p, srv), 0);
  ck_assert_int_eq(usocket_poller_unregister(p, srv), 0);
  ck_assert_int_eq(usocket_poller_poll(p, 0, out, 4), 1);
  ck_assert_ptr_eq(out[0].sock, cli);
  /* peer closed: readable (EOF) and writable, as modlwip. srv reads the "z"
   * first: closing with unread data would make lwIP reset the connection. */
  ck_assert_int_eq(usocket_poller_modify(p, cli, USOCKET_POLLIN), 0);
  char z;
  ck_assert_int_eq(usocket_recv(srv, &z, 1, 0), 1);
  ck_assert_int_eq(usocket_close(srv), 0);
  ck_assert_int_eq(usocket_poller_poll(p, 5000, out, 4), 1);
  ck_assert_uint_eq(out[0].revents, USOCKET_POLLIN);
  ck_assert_int_eq(usocket_poller_modify(p, cli, USOCKET_POLLIN | USOCKET_POLLOUT), 0);
  ck_assert_int_eq(usocket_poller_poll(p, 0, out, 4), 1);
  ck_assert_uint_eq(out[0].revents, USOCKET_POLLIN | USOCKET_POLLOUT);
  usocket_poller_free(p);
  usocket_free(cli);
  usocket_free(srv);
}
END_TEST

Suite *bn_test_suite(void)
{
  Suite *s = suite_create("usocket_tcp");
  TCase *tc = tcase_create("tcp");
  tcase_set_timeout(tc, 60);
  tcase_add_checked_fixture(tc, NULL, stop_stack);
  tcase_add_test(tc, tcp_connect_accept_send_recv_eof);
  tcase_add_test(tc, tcp_closed_socket_is_ebadf_everywhere);
  tcase_add_test(tc, tcp_connect_refused_is_econnreset);
  tcase_add_test(tc, tcp_nonblocking_connect_completes_in_background);
  tcase_add_test(tc, tcp_connect_timeout_is_etimedout);
  tcase_add_test(tc, tcp_accept_modes_and_inherited_timeout);
  tcase_add_test(tc, tcp_backlog_limits_connections);
  tcase_add_test(tc, tcp_recv_modes_and_peek);
  tcase_add_test(tc, tcp_stream_methods);
  tcase_add_test(tc, tcp_send_short_sendall_and_write_full);
  tcase_add_test(tc, tcp_full_send_buffer_modes);
  tcase_add_test(tc, tcp_one_thread_recvs_while_another_sends);
  tcase_add_test(tc, tcp_close_from_another_thread_wakes_blocked_calls);
  tcase_add_test(tc, tcp_acks_of_sent_data_do_not_wake_a_receiver);
  tcase_add_test(tc, tcp_poller_register_modify_unregister);
  suite_add_tcase(s, tc);
  return s;
}
