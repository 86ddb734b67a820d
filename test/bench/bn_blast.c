/*
 * bn-blast: the kernel side of the throughput benchmark (test/bench/throughput).
 * Moves bytes over one TCP connection as fast as plain sockets allow (large
 * socket buffers, 1 MiB reads and writes) and prints one machine-readable
 * result line, with the rate measured between the first and the last byte on
 * the monotonic clock. Every wait is bounded by --timeout.
 *
 *   bn-blast send HOST PORT BYTES   connect, write BYTES, shut down, wait for
 *                                   the peer's close (so every byte arrived)
 *   bn-blast recv HOST PORT BYTES   connect, read BYTES (or until EOF), close
 *   bn-blast sink PORT              listen, accept one, read until EOF
 *   bn-blast source PORT            listen, accept one, write until the peer closes
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netdb.h>
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

#define IO_CHUNK        (1024 * 1024)
#define DEFAULT_SOCKBUF (4 * 1024 * 1024)
#define DEFAULT_TIMEOUT 60

enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2, EXIT_TIMEOUT = 3 };

static const char usage[] =
  "Usage: bn-blast [OPTIONS] send HOST PORT BYTES\n"
  "       bn-blast [OPTIONS] recv HOST PORT BYTES\n"
  "       bn-blast [OPTIONS] sink PORT\n"
  "       bn-blast [OPTIONS] source PORT\n"
  "\n"
  "  send    connect, write BYTES, shut down the sending side, wait for the\n"
  "          peer to close (the time includes the last byte's arrival)\n"
  "  recv    connect, read until BYTES arrived or the peer closed, close\n"
  "  sink    listen on PORT (IPv4, any address), accept one connection,\n"
  "          read and discard until the peer closes\n"
  "  source  listen on PORT, accept one connection, write until the peer closes\n"
  "\n"
  "Options:\n"
  "  --timeout SEC   give up after SEC seconds in all (default 60)\n"
  "  --sockbuf BYTES SO_SNDBUF and SO_RCVBUF (default 4194304; 0: the kernel's\n"
  "                  autotuning)\n"
  "\n"
  "Prints one line: 'bn-blast mode=M status=S bytes=N seconds=T MBps=R' (MB =\n"
  "10^6 bytes; T from the first to the last byte). Exit status: 0 when all\n"
  "bytes moved (send, recv) or the peer closed (sink, source), 1 on a connection\n"
  "error or a short transfer, 2 on bad usage, 3 on timeout.\n";

struct blast {
  const char *mode;
  int sockbuf;
  struct timespec deadline;
  uint64_t bytes;        /* moved so far */
  struct timespec first; /* first byte moved */
  struct timespec last;  /* last byte moved */
  bool started;
};

static struct timespec now(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts;
}

static double seconds_between(struct timespec a, struct timespec b)
{
  return (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
}

/* Milliseconds left before the deadline (0 when past it). */
static int ms_left(const struct blast *b)
{
  double s = seconds_between(now(), b->deadline);
  return s <= 0 ? 0 : (int)(s * 1000.0) + 1;
}

static void moved(struct blast *b, size_t n)
{
  struct timespec t = now();
  if (!b->started) {
    b->first = t;
    b->started = true;
  }
  b->last = t;
  b->bytes += n;
}

static void report(const struct blast *b, const char *status)
{
  double secs = b->started ? seconds_between(b->first, b->last) : 0.0;
  double rate = secs > 0 ? (double)b->bytes / 1e6 / secs : 0.0;
  printf("bn-blast mode=%s status=%s bytes=%" PRIu64 " seconds=%.6f MBps=%.1f\n",
         b->mode, status, b->bytes, secs, rate);
  fflush(stdout);
}

/* Waits until fd is ready for events; 0, or -ETIMEDOUT at the deadline. */
static int wait_fd(const struct blast *b, int fd, short events)
{
  for (;;) {
    int left = ms_left(b);
    if (left == 0) {
      return -ETIMEDOUT;
    }
    struct pollfd p = { .fd = fd, .events = events };
    int rc = poll(&p, 1, left);
    if (rc > 0) {
      return 0;
    }
    if (rc < 0 && errno != EINTR) {
      return -errno;
    }
  }
}

/* A non-blocking TCP socket with the requested buffer sizes. */
static int make_socket(const struct blast *b, int family)
{
  int fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    return -errno;
  }
  if (b->sockbuf > 0) {
    /* FORCE variants exceed net.core.[rw]mem_max as root; else the plain ones. */
    if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &b->sockbuf, sizeof(b->sockbuf)) < 0) {
      setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &b->sockbuf, sizeof(b->sockbuf));
    }
    if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &b->sockbuf, sizeof(b->sockbuf)) < 0) {
      setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &b->sockbuf, sizeof(b->sockbuf));
    }
  }
  return fd;
}

static int connect_to(struct blast *b, const char *host, const char *port)
{
  struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                            .ai_flags = AI_NUMERICSERV };
  struct addrinfo *res;
  int rc = getaddrinfo(host, port, &hints, &res);
  if (rc != 0) {
    fprintf(stderr, "bn-blast: %s port %s: %s\n", host, port, gai_strerror(rc));
    return -EINVAL;
  }
  int fd = make_socket(b, res->ai_family);
  if (fd < 0) {
    freeaddrinfo(res);
    fprintf(stderr, "bn-blast: socket: %s\n", strerror(-fd));
    return fd;
  }
  rc = connect(fd, res->ai_addr, res->ai_addrlen);
  freeaddrinfo(res);
  if (rc < 0 && errno != EINPROGRESS) {
    rc = -errno;
  } else if (rc < 0) {
    rc = wait_fd(b, fd, POLLOUT);
    if (rc == 0) {
      int err = 0;
      socklen_t len = sizeof(err);
      getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
      rc = -err;
    }
  }
  if (rc < 0) {
    fprintf(stderr, "bn-blast: connect to %s port %s: %s\n", host, port, strerror(-rc));
    close(fd);
    return rc;
  }
  return fd;
}

static int accept_one(struct blast *b, const char *port_text)
{
  char *end;
  unsigned long port = strtoul(port_text, &end, 10);
  if (*end != '\0' || port == 0 || port > 65535) {
    fprintf(stderr, "bn-blast: '%s' is not a port (1..65535)\n", port_text);
    return -EINVAL;
  }
  int lfd = make_socket(b, AF_INET);
  if (lfd < 0) {
    fprintf(stderr, "bn-blast: socket: %s\n", strerror(-lfd));
    return lfd;
  }
  int one = 1;
  setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                             .sin_addr.s_addr = htonl(INADDR_ANY) };
  int rc = 0;
  if (bind(lfd, (struct sockaddr *)&sin, sizeof(sin)) < 0 || listen(lfd, 1) < 0) {
    rc = -errno;
    fprintf(stderr, "bn-blast: listen on port %lu: %s\n", port, strerror(-rc));
  }
  /* Tell a script it may connect now. */
  if (rc == 0) {
    fprintf(stderr, "bn-blast: listening on port %lu\n", port);
    rc = wait_fd(b, lfd, POLLIN);
    if (rc == -ETIMEDOUT) {
      fprintf(stderr, "bn-blast: nobody connected within the timeout\n");
    }
  }
  int fd = rc;
  if (rc == 0) {
    fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      fd = -errno;
      fprintf(stderr, "bn-blast: accept: %s\n", strerror(-fd));
    }
  }
  close(lfd);
  return fd;
}

/* Writes until limit bytes (UINT64_MAX: until the peer closes). Returns 0 when
 * all were written, 1 when the peer closed, or a negative errno. */
static int write_loop(struct blast *b, int fd, uint64_t limit, const uint8_t *buf)
{
  while (b->bytes < limit) {
    size_t want = limit - b->bytes < IO_CHUNK ? (size_t)(limit - b->bytes) : IO_CHUNK;
    ssize_t n = send(fd, buf, want, MSG_NOSIGNAL);
    if (n > 0) {
      moved(b, (size_t)n);
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
      int rc = wait_fd(b, fd, POLLOUT);
      if (rc < 0) {
        return rc;
      }
      continue;
    }
    if (n < 0 && (errno == EPIPE || errno == ECONNRESET)) {
      return 1;
    }
    return n < 0 ? -errno : -EIO;
  }
  return 0;
}

/* Reads until limit bytes (UINT64_MAX: until EOF), counting them if count.
 * Returns 0 when limit bytes arrived, 1 at EOF, or a negative errno. */
static int read_loop(struct blast *b, int fd, uint64_t limit, uint8_t *buf, bool count)
{
  uint64_t got = 0;
  while (got < limit) {
    size_t want = limit - got < IO_CHUNK ? (size_t)(limit - got) : IO_CHUNK;
    ssize_t n = recv(fd, buf, want, 0);
    if (n > 0) {
      got += (uint64_t)n;
      if (count) {
        moved(b, (size_t)n);
      }
      continue;
    }
    if (n == 0) {
      return 1;
    }
    if (errno == EAGAIN || errno == EINTR) {
      int rc = wait_fd(b, fd, POLLIN);
      if (rc < 0) {
        return rc;
      }
      continue;
    }
    return -errno;
  }
  return 0;
}

static int parse_bytes(const char *text, uint64_t *out)
{
  char *end;
  errno = 0;
  unsigned long long v = strtoull(text, &end, 10);
  if (errno != 0 || end == text || *end != '\0' || text[0] == '-' || v == 0) {
    fprintf(stderr, "bn-blast: '%s' is not a byte count (1 or more)\n", text);
    return -EINVAL;
  }
  *out = v;
  return 0;
}

/* Maps a loop's result to a status word and exit code, printing the error. */
static int finish(struct blast *b, int rc, bool eof_ok, uint64_t want)
{
  if (rc == -ETIMEDOUT) {
    fprintf(stderr, "bn-blast: %s: timed out after moving %" PRIu64 " bytes\n", b->mode, b->bytes);
    report(b, "timeout");
    return EXIT_TIMEOUT;
  }
  if (rc < 0) {
    fprintf(stderr, "bn-blast: %s: %s after %" PRIu64 " bytes\n", b->mode, strerror(-rc), b->bytes);
    report(b, "error");
    return EXIT_FAIL;
  }
  if (rc == 1 && !eof_ok) {
    fprintf(stderr, "bn-blast: %s: the peer closed after %" PRIu64 " of %" PRIu64 " bytes\n",
            b->mode, b->bytes, want);
    report(b, "short");
    return EXIT_FAIL;
  }
  report(b, "ok");
  return EXIT_OK;
}

static int run(struct blast *b, int argc, char **argv)
{
  static uint8_t buf[IO_CHUNK];
  const char *mode = argv[0];
  b->mode = mode;
  bool client = strcmp(mode, "send") == 0 || strcmp(mode, "recv") == 0;
  bool server = strcmp(mode, "sink") == 0 || strcmp(mode, "source") == 0;
  if ((client && argc != 4) || (server && argc != 2) || (!client && !server)) {
    fputs(usage, stderr);
    return EXIT_USAGE;
  }
  uint64_t want = UINT64_MAX;
  if (client && parse_bytes(argv[3], &want) < 0) {
    return EXIT_USAGE;
  }
  int fd = client ? connect_to(b, argv[1], argv[2]) : accept_one(b, argv[1]);
  if (fd == -ETIMEDOUT) {
    return EXIT_TIMEOUT;
  }
  if (fd < 0) {
    return fd == -EINVAL ? EXIT_USAGE : EXIT_FAIL;
  }
  int rc;
  if (strcmp(mode, "send") == 0 || strcmp(mode, "source") == 0) {
    for (size_t i = 0; i < sizeof(buf); i++) {
      buf[i] = (uint8_t)(' ' + i % 95);
    }
    rc = write_loop(b, fd, want, buf);
    if (rc == 0 && client) {
      /* All written: the last byte has arrived when the peer closes. */
      shutdown(fd, SHUT_WR);
      rc = read_loop(b, fd, UINT64_MAX, buf, false);
      if (rc == 1) {
        b->last = now();
        rc = 0;
      } else if (rc == 0) {
        rc = -EIO;
      }
    }
    rc = finish(b, rc, !client, want);
  } else {
    rc = read_loop(b, fd, want, buf, true);
    rc = finish(b, rc, !client, want);
  }
  close(fd);
  return rc;
}

int main(int argc, char **argv)
{
  struct blast b = { .sockbuf = DEFAULT_SOCKBUF };
  unsigned long timeout = DEFAULT_TIMEOUT;
  int i = 1;
  for (; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
    char *end;
    if (strcmp(argv[i], "--help") == 0) {
      fputs(usage, stdout);
      return EXIT_OK;
    }
    if (i + 1 == argc) {
      fprintf(stderr, "bn-blast: %s needs a value\n", argv[i]);
      return EXIT_USAGE;
    }
    const char *value = argv[++i];
    errno = 0;
    unsigned long v = strtoul(value, &end, 10);
    bool bad = errno != 0 || end == value || *end != '\0' || value[0] == '-';
    if (strcmp(argv[i - 1], "--timeout") == 0 && !bad && v >= 1 && v <= 86400) {
      timeout = v;
    } else if (strcmp(argv[i - 1], "--sockbuf") == 0 && !bad && v <= (1ul << 30)) {
      b.sockbuf = (int)v;
    } else {
      fprintf(stderr, "bn-blast: bad option %s %s (bn-blast --help)\n", argv[i - 1], value);
      return EXIT_USAGE;
    }
  }
  if (i == argc) {
    fputs(usage, stderr);
    return EXIT_USAGE;
  }
  b.deadline = now();
  b.deadline.tv_sec += (time_t)timeout;
  return run(&b, argc - i, argv + i);
}
