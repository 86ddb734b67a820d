/*
 * Fuzz target: usocket call sequences over lwIP's loopback, on two threads.
 * The input is two programs of calls (the first byte splits the rest in
 * two), one per thread, run at once on a shared table of sockets:
 * socket, bind, listen, connect, accept, send, sendall, recv, sendto,
 * recvfrom, poll, settimeout, setblocking(False), setsockopt and close, in
 * any order and on sockets in any state (a close of a socket the other
 * thread is blocked on included). Each call is one opcode byte and the
 * argument bytes it reads (missing bytes read as 0); at most 64 calls per
 * thread. Every socket gets a timeout of at most 20 ms before it is shared,
 * so no call blocks for long; handles are freed once both threads are done.
 *
 * The contract: nothing crashes, every call returns a documented result (a
 * count within its bounds, or a negative MicroPython errno of usocket.h),
 * and after every input the stack still carries a fresh TCP connection
 * byte for byte over loopback.
 */
#include <pthread.h>

#include "bn_sched.h"
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bn_stack.h"
#include "link_memory.h"
#include "usocket.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_CALLS   64
#define MAX_SOCKETS 24
#define BUF_MAX     3000
#define CHECK_PORT  7999   /* the liveness check's; the programs use 7000..7003 */

static void require(int ok, const char *what)
{
  if (!ok) {
    fprintf(stderr, "fuzz-usocket: contract broken: %s\n", what);
    abort();
  }
}

/* ---- the sockets both programs share ------------------------------------- */

static bn_mutex_t table_lock = BN_MUTEX_INITIALIZER;
static usocket *table[MAX_SOCKETS];
static size_t table_n;

/* Adds a new socket (its timeout set first); beyond the table's room it is
 * freed at once. */
static void share(usocket *s, long timeout_ms)
{
  require(usocket_settimeout(s, timeout_ms) == 0, "settimeout on a fresh socket");
  bn_mutex_lock(&table_lock);
  if (table_n < MAX_SOCKETS) {
    table[table_n++] = s;
    s = NULL;
  }
  bn_mutex_unlock(&table_lock);
  usocket_free(s);
}

/* The socket a byte names, or NULL while there is none. */
static usocket *pick(uint8_t b)
{
  bn_mutex_lock(&table_lock);
  usocket *s = table_n > 0 ? table[b % table_n] : NULL;
  bn_mutex_unlock(&table_lock);
  return s;
}

/* ---- decoding -------------------------------------------------------------- */

struct program {
  const uint8_t *p, *end;
};

static uint8_t next(struct program *pr)
{
  return pr->p < pr->end ? *pr->p++ : 0;
}

static long timeout_of(uint8_t b)
{
  static const long choices[] = { 0, 1, 5, 20 };
  return choices[b % 4];
}

static usocket_addr addr_of(uint8_t b)
{
  static const char *ips[] = { "127.0.0.1", "", "192.0.2.2", "127.0.0.2", "256.1.1.1", "x" };
  usocket_addr a;
  memset(&a, 0, sizeof(a));
  snprintf(a.ip, sizeof(a.ip), "%s", ips[(b >> 2) % 6]);
  a.port = (uint16_t)(7000 + (b & 3));
  if (b >= 0xf8) {
    a.port = 0;
  }
  return a;
}

static size_t len_of(uint8_t hi, uint8_t lo)
{
  return ((size_t)hi << 8 | lo) % (BUF_MAX + 1);
}

/* ---- the contract ---------------------------------------------------------- */

/* 1 if rc is a negative errno usocket.h documents. */
static int documented_errno(long rc)
{
  static const int known[] = {
    USOCKET_EPERM, USOCKET_ENOENT, USOCKET_EIO, USOCKET_EBADF, USOCKET_EAGAIN, USOCKET_ENOMEM,
    USOCKET_EACCES, USOCKET_EEXIST, USOCKET_ENODEV, USOCKET_EISDIR, USOCKET_EINVAL, USOCKET_EOPNOTSUPP,
    USOCKET_EADDRINUSE, USOCKET_ECONNABORTED, USOCKET_ECONNRESET, USOCKET_ENOBUFS, USOCKET_EISCONN,
    USOCKET_ENOTCONN, USOCKET_ETIMEDOUT, USOCKET_ECONNREFUSED, USOCKET_EHOSTUNREACH, USOCKET_EALREADY,
    USOCKET_EINPROGRESS,
  };
  for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
    if (rc == -known[i]) {
      return 1;
    }
  }
  return 0;
}

/* A call's result: 0..max, or a documented errno. */
static void check(long rc, long max, const char *call)
{
  if (rc >= 0 && rc <= max) {
    return;
  }
  if (rc < 0 && documented_errno(rc)) {
    return;
  }
  fprintf(stderr, "fuzz-usocket: %s returned %ld (max %ld)\n", call, rc, max);
  require(0, "every call returns a documented result");
}

/* ---- the calls ------------------------------------------------------------- */

static void call_socket(struct program *pr)
{
  uint8_t b = next(pr);
  usocket *s;
  int rc = usocket_socket(USOCKET_AF_INET, b & 1 ? USOCKET_SOCK_DGRAM : USOCKET_SOCK_STREAM, 0, &s);
  check(rc, 0, "socket");
  if (rc == 0) {
    share(s, timeout_of(b >> 1));
  }
}

static void call_accept(usocket *s, uint8_t b)
{
  usocket *client = NULL;
  usocket_addr peer;
  int rc = usocket_accept(s, &client, &peer);
  check(rc, 0, "accept");
  if (rc == 0) {
    require(client != NULL, "accept gives a socket");
    share(client, timeout_of(b));
  }
}

static void call_poll(struct program *pr)
{
  usocket_pollfd fds[3];
  size_t n = 1 + next(pr) % 3;
  for (size_t i = 0; i < n; i++) {
    uint8_t b = next(pr);
    fds[i] = (usocket_pollfd){ .sock = pick(b), .events = (b & 1 ? USOCKET_POLLIN : 0) | (b & 2 ? USOCKET_POLLOUT : 0) };
  }
  check(usocket_poll(fds, n, timeout_of(next(pr)) / 4), (long)n, "poll");
}

/* Runs one call on a socket; s may be NULL (no socket yet): then nothing. */
static void call_on(usocket *s, uint8_t op, struct program *pr, uint8_t *buf)
{
  uint8_t a = next(pr), b = next(pr);
  if (s == NULL) {
    return;
  }
  usocket_addr where = addr_of(a);
  size_t len = len_of(b, next(pr));
  switch (op) {
  case 1: check(usocket_bind(s, &where), 0, "bind"); break;
  case 2: check(usocket_listen(s, a % 5 == 4 ? USOCKET_BACKLOG_DEFAULT : a % 5), 0, "listen"); break;
  case 3: check(usocket_connect(s, &where), 0, "connect"); break;
  case 4: call_accept(s, a); break;
  case 5: check(usocket_send(s, buf, len), (long)len, "send"); break;
  case 6: check(usocket_sendall(s, buf, len), 0, "sendall"); break;
  case 7: {
    int flags = (a & 1 ? USOCKET_MSG_PEEK : 0) | (a & 2 ? USOCKET_MSG_DONTWAIT : 0);
    check(usocket_recv(s, buf, len, flags), (long)len, "recv");
    break;
  }
  case 8: check(usocket_sendto(s, buf, len, &where), (long)len, "sendto"); break;
  case 9: {
    usocket_addr from;
    check(usocket_recvfrom(s, buf, len, 0, &from), (long)len, "recvfrom");
    break;
  }
  case 10: check(usocket_settimeout(s, timeout_of(a)), 0, "settimeout"); break;
  case 11: check(usocket_setblocking(s, false), 0, "setblocking"); break;
  case 12: {
    int one = a & 1;
    check(usocket_setsockopt(s, a & 2 ? USOCKET_IPPROTO_TCP : USOCKET_SOL_SOCKET,
                             a & 2 ? USOCKET_TCP_NODELAY : USOCKET_SO_REUSEADDR, &one, sizeof(one)),
          0, "setsockopt");
    break;
  }
  default: check(usocket_close(s), 0, "close"); break;
  }
}

static void *run_program(void *arg)
{
  struct program *pr = arg;
  static _Thread_local uint8_t buf[BUF_MAX];
  for (size_t i = 0; i < BUF_MAX; i++) {
    buf[i] = (uint8_t)i;
  }
  for (int n = 0; n < MAX_CALLS && pr->p < pr->end; n++) {
    uint8_t op = next(pr) % 16;
    if (op == 0) {
      call_socket(pr);
    } else if (op == 14) {
      call_poll(pr);
    } else {
      call_on(pick(next(pr)), op, pr, buf);
    }
  }
  return NULL;
}

/* ---- the board and its liveness check ---------------------------------------- */

static usocket *check_listener;
static bn_link *wire;  /* the memory link's other end: nobody is there */

static void start_board(void)
{
  bn_link *end;
  require(bn_link_memory_pair(64, &end, &wire) == 0, "memory link");
  bn_config cfg;
  memset(&cfg, 0, sizeof(cfg));
  cfg.link = end;
  IP4_ADDR(&cfg.ip, 192, 0, 2, 2);
  IP4_ADDR(&cfg.netmask, 255, 255, 255, 0);
  cfg.seed = 1;
  require(bn_stack_start(&cfg) == 0, "the board starts");
  usocket_addr a = { .ip = "127.0.0.1", .port = CHECK_PORT };
  require(usocket_socket(USOCKET_AF_INET, USOCKET_SOCK_STREAM, 0, &check_listener) == 0 &&
            usocket_bind(check_listener, &a) == 0 && usocket_listen(check_listener, 2) == 0 &&
            usocket_settimeout(check_listener, 2000) == 0,
          "the check's listener");
}

/* A fresh connection carries 1000 bytes intact (bounded: 2 s per call). */
static void check_alive(void)
{
  usocket *c = NULL, *server = NULL;
  usocket_addr a = { .ip = "127.0.0.1", .port = CHECK_PORT }, peer;
  static uint8_t out[1000], in[1000];
  for (size_t i = 0; i < sizeof(out); i++) {
    out[i] = (uint8_t)(i * 7 + 3);
  }
  require(usocket_socket(USOCKET_AF_INET, USOCKET_SOCK_STREAM, 0, &c) == 0, "the check's socket");
  require(usocket_settimeout(c, 2000) == 0 && usocket_connect(c, &a) == 0, "the check connects");
  require(usocket_accept(check_listener, &server, &peer) == 0, "the check is accepted");
  require(usocket_settimeout(server, 2000) == 0 && usocket_sendall(c, out, sizeof(out)) == 0, "the check sends");
  size_t got = 0;
  while (got < sizeof(in)) {
    ssize_t n = usocket_recv(server, in + got, sizeof(in) - got, 0);
    require(n > 0, "the check receives");
    got += (size_t)n;
  }
  require(memcmp(in, out, sizeof(in)) == 0, "the check's bytes arrive intact");
  usocket_free(c);
  usocket_free(server);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  if (check_listener == NULL) {
    start_board();
  }
  if (size < 1) {
    return 0;
  }
  size_t split = 1 + (size_t)data[0] * (size - 1) / 256;
  struct program a = { data + 1, data + split }, b = { data + split, data + size };
  pthread_t other;
  require(pthread_create(&other, NULL, run_program, &b) == 0, "a second thread");
  run_program(&a);
  pthread_join(other, NULL);
  for (size_t i = 0; i < table_n; i++) {
    usocket_free(table[i]);
  }
  table_n = 0;
  check_alive();
  return 0;
}
