/*
 * bn-tcpprobe: the kernel side of the round-trip and connection benchmarks
 * (test/bench/tcp): small TCP exchanges with an echo server, timed on the
 * monotonic clock, one machine-readable result line each. Every wait is
 * bounded by --timeout.
 *
 *   bn-tcpprobe rtt HOST PORT COUNT SIZE   one connection (TCP_NODELAY):
 *       COUNT round trips of SIZE bytes, each read back in full; prints the
 *       median and p99 in microseconds
 *   bn-tcpprobe conns HOST PORT N          N connections opened at once, each
 *       then exchanging 1 KB with the echo server and held until all are
 *       done; counts echoed, refused (RST instead of a SYN-ACK, or right
 *       after it, before any byte came back: lwIP out of sockets),
 *       unanswered (no SYN-ACK within the wait), failed (the exchange broke
 *       after bytes came back, or they differed)
 *   bn-tcpprobe rate HOST PORT N           N connections one after another:
 *       connect, 1 byte there and back, close; prints connections/s
 *   bn-tcpprobe echod PORT                 a kernel echo server (poll, any
 *       number of connections) until --timeout
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_CONNS   4096
#define XCHG_BYTES  1000

static int timeout_s = 30;
static double deadline;

static double now_s(void)
{
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int ms_left(void)
{
  double left = deadline - now_s();
  return left <= 0 ? 0 : (int)(left * 1000) + 1;
}

static void die(const char *what)
{
  fprintf(stderr, "bn-tcpprobe: %s: %s\n", what, strerror(errno));
  exit(1);
}

static struct sockaddr_in address(const char *host, const char *port)
{
  struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(port)) };
  if (inet_pton(AF_INET, host, &a.sin_addr) != 1) {
    fprintf(stderr, "bn-tcpprobe: '%s' is not an IPv4 address\n", host);
    exit(2);
  }
  return a;
}

/* Waits for events on fd until the deadline; 0 ready, -1 timed out. */
static int wait_fd(int fd, short events)
{
  struct pollfd p = { .fd = fd, .events = events };
  int n;
  while ((n = poll(&p, 1, ms_left())) < 0 && errno == EINTR) {
  }
  return n > 0 ? 0 : -1;
}

/* A blocking connection (connect bounded by the deadline), or -1. */
static int connect_blocking(const struct sockaddr_in *a)
{
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  if (fd < 0) {
    die("socket");
  }
  int err = 0;
  socklen_t len = sizeof(err);
  if (connect(fd, (const struct sockaddr *)a, sizeof(*a)) < 0 &&
      (errno != EINPROGRESS || wait_fd(fd, POLLOUT) < 0 ||
       getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0 || err != 0)) {
    close(fd);
    return -1;
  }
  fcntl(fd, F_SETFL, 0);
  struct timeval tv = { .tv_sec = timeout_s };
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  return fd;
}

/* Sends len bytes and reads len bytes back: 0 if they came back equal, 1 if
 * the peer reset the connection before any came back, -1 otherwise. */
static int exchange(int fd, const uint8_t *out, uint8_t *in, size_t len)
{
  if (send(fd, out, len, MSG_NOSIGNAL) != (ssize_t)len) {
    return errno == ECONNRESET || errno == EPIPE ? 1 : -1;
  }
  size_t got = 0;
  while (got < len) {
    ssize_t n = recv(fd, in + got, len - got, 0);
    if (n <= 0) {
      return n < 0 && errno == ECONNRESET && got == 0 ? 1 : -1;
    }
    got += (size_t)n;
  }
  return memcmp(out, in, len) == 0 ? 0 : -1;
}

static int cmp_double(const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static int run_rtt(const struct sockaddr_in *a, long count, long size)
{
  uint8_t out[65536], in[65536];
  double *us = malloc((size_t)count * sizeof(*us));
  int fd = connect_blocking(a);
  if (us == NULL || fd < 0) {
    fprintf(stderr, "bn-tcpprobe: rtt: cannot connect\n");
    return 1;
  }
  for (long i = 0; i < size; i++) {
    out[i] = (uint8_t)(i * 31 + 7);
  }
  for (long i = -100; i < count; i++) { /* 100 round trips of warm-up, not counted */
    double t0 = now_s();
    if (exchange(fd, out, in, (size_t)size) != 0) {
      fprintf(stderr, "bn-tcpprobe: rtt: round trip %ld failed or differed\n", i);
      return 1;
    }
    if (i >= 0) {
      us[i] = (now_s() - t0) * 1e6;
    }
    if (ms_left() == 0) {
      fprintf(stderr, "bn-tcpprobe: rtt: timed out after %ld round trips\n", i);
      return 3;
    }
  }
  close(fd);
  qsort(us, (size_t)count, sizeof(*us), cmp_double);
  printf("bn-tcpprobe mode=rtt count=%ld size=%ld median_us=%.1f p99_us=%.1f min_us=%.1f max_us=%.1f\n", count,
         size, us[count / 2], us[(count * 99) / 100], us[0], us[count - 1]);
  free(us);
  return 0;
}

static int run_conns(const struct sockaddr_in *a, long n)
{
  static int fds[MAX_CONNS];
  static struct pollfd p[MAX_CONNS];
  enum { PENDING, UP, REFUSED } state[MAX_CONNS];
  for (long i = 0; i < n; i++) {
    fds[i] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    if (fds[i] < 0) {
      die("socket");
    }
    state[i] = PENDING;
    if (connect(fds[i], (const struct sockaddr *)a, sizeof(*a)) < 0 && errno != EINPROGRESS) {
      state[i] = REFUSED;
    }
  }
  /* Connections the board does not take within 5 s stay unanswered (its SYN
   * queue full, or lwIP out of pcbs: the kernel keeps retrying the SYN). */
  double connect_deadline = now_s() + 5;
  long pending = n;
  while (pending > 0 && now_s() < connect_deadline) {
    long k = 0;
    for (long i = 0; i < n; i++) {
      if (state[i] == PENDING) {
        p[k++] = (struct pollfd){ .fd = fds[i], .events = POLLOUT };
      }
    }
    pending = k;
    if (k == 0 || poll(p, (nfds_t)k, 200) <= 0) {
      continue;
    }
    for (long j = 0; j < k; j++) {
      if (!(p[j].revents & (POLLOUT | POLLERR | POLLHUP))) {
        continue;
      }
      long i = 0;
      while (fds[i] != p[j].fd) {
        i++;
      }
      int err = 0;
      socklen_t len = sizeof(err);
      getsockopt(fds[i], SOL_SOCKET, SO_ERROR, &err, &len);
      state[i] = err == 0 ? UP : REFUSED;
    }
  }
  long echoed = 0, refused = 0, unanswered = 0, failed = 0;
  uint8_t out[XCHG_BYTES], in[XCHG_BYTES];
  for (size_t i = 0; i < sizeof(out); i++) {
    out[i] = (uint8_t)(i * 13 + 1);
  }
  for (long i = 0; i < n; i++) {
    if (state[i] == UP) {
      fcntl(fds[i], F_SETFL, 0);
      struct timeval tv = { .tv_sec = 10 };
      setsockopt(fds[i], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
      int rc = exchange(fds[i], out, in, sizeof(out));
      echoed += rc == 0;
      refused += rc == 1;
      failed += rc < 0;
    } else if (state[i] == REFUSED) {
      refused++;
    } else {
      unanswered++;
    }
  }
  for (long i = 0; i < n; i++) {
    close(fds[i]);
  }
  printf("bn-tcpprobe mode=conns n=%ld echoed=%ld refused=%ld unanswered=%ld failed=%ld\n", n, echoed, refused,
         unanswered, failed);
  return 0;
}

static int run_rate(const struct sockaddr_in *a, long n)
{
  double t0 = now_s();
  uint8_t in;
  for (long i = 0; i < n; i++) {
    int fd = connect_blocking(a);
    if (fd < 0 || exchange(fd, (const uint8_t *)"r", &in, 1) != 0) {
      fprintf(stderr, "bn-tcpprobe: rate: connection %ld failed\n", i);
      return 1;
    }
    close(fd);
    if (ms_left() == 0) {
      fprintf(stderr, "bn-tcpprobe: rate: timed out after %ld connections\n", i);
      return 3;
    }
  }
  double secs = now_s() - t0;
  printf("bn-tcpprobe mode=rate n=%ld seconds=%.3f conns_s=%.1f\n", n, secs, (double)n / secs);
  return 0;
}

static int run_echod(const char *port)
{
  int l = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0), one = 1;
  struct sockaddr_in any = { .sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(port)) };
  setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (l < 0 || bind(l, (struct sockaddr *)&any, sizeof(any)) < 0 || listen(l, 4096) < 0) {
    die("echod: listen");
  }
  printf("bn-tcpprobe: listening on port %s\n", port);
  fflush(stdout);
  static struct pollfd p[MAX_CONNS + 1];
  nfds_t n = 1;
  p[0] = (struct pollfd){ .fd = l, .events = POLLIN };
  while (ms_left() > 0) {
    if (poll(p, n, ms_left()) <= 0) {
      continue;
    }
    for (nfds_t i = n; i-- > 1;) {
      if (!p[i].revents) {
        continue;
      }
      uint8_t buf[65536];
      ssize_t got = recv(p[i].fd, buf, sizeof(buf), 0);
      if (got <= 0 || send(p[i].fd, buf, (size_t)got, MSG_NOSIGNAL) != got) {
        close(p[i].fd);
        p[i] = p[--n];
      }
    }
    if (p[0].revents & POLLIN) {
      int c;
      while (n <= MAX_CONNS && (c = accept4(l, NULL, NULL, 0)) >= 0) {
        setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        p[n++] = (struct pollfd){ .fd = c, .events = POLLIN };
      }
    }
  }
  return 0;
}

static long number(const char *text, long max)
{
  char *end;
  long v = strtol(text, &end, 10);
  if (*end != '\0' || v < 1 || v > max) {
    fprintf(stderr, "bn-tcpprobe: '%s' is not a number 1..%ld\n", text, max);
    exit(2);
  }
  return v;
}

int main(int argc, char **argv)
{
  int i = 1;
  if (argc > 2 && strcmp(argv[1], "--timeout") == 0) {
    timeout_s = (int)number(argv[2], 86400);
    i = 3;
  }
  deadline = now_s() + timeout_s;
  const char *mode = i < argc ? argv[i] : "";
  int rest = argc - i - 1;
  char **arg = argv + i + 1;
  if (strcmp(mode, "rtt") == 0 && rest == 4) {
    struct sockaddr_in a = address(arg[0], arg[1]);
    return run_rtt(&a, number(arg[2], 10000000), number(arg[3], 65536));
  }
  if (strcmp(mode, "conns") == 0 && rest == 3) {
    struct sockaddr_in a = address(arg[0], arg[1]);
    return run_conns(&a, number(arg[2], MAX_CONNS));
  }
  if (strcmp(mode, "rate") == 0 && rest == 3) {
    struct sockaddr_in a = address(arg[0], arg[1]);
    return run_rate(&a, number(arg[2], 10000000));
  }
  if (strcmp(mode, "echod") == 0 && rest == 1) {
    return run_echod(arg[0]);
  }
  fprintf(stderr, "Usage: bn-tcpprobe [--timeout SEC] rtt HOST PORT COUNT SIZE\n"
                  "       bn-tcpprobe [--timeout SEC] conns HOST PORT N\n"
                  "       bn-tcpprobe [--timeout SEC] rate HOST PORT N\n"
                  "       bn-tcpprobe [--timeout SEC] echod PORT\n");
  return 2;
}
