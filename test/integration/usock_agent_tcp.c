/*
 * bn-usock-agent TCP scenarios: the board as client and as server moving
 * files byte for byte, a non-blocking connect to a closed port, and resets by
 * the peer while receiving and while sending. Written as MicroPython board
 * code would be (one usocket call per socket method), every call bounded by
 * UA_TIMEOUT_MS.
 */
#include "usock_agent.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define UA_CHUNK (64 * 1024)

/* s = socket(); s.settimeout(T); s.connect((host, port)) */
static int connect_to(const char *host, const char *port, usocket **out)
{
  usocket_addr addr;
  if (ua_parse_addr(host, port, &addr) < 0) {
    return UA_USAGE;
  }
  int rc = ua_socket(USOCKET_SOCK_STREAM, out);
  if (rc < 0) {
    return ua_fail("socket", rc);
  }
  rc = usocket_connect(*out, &addr);
  if (rc < 0) {
    usocket_free(*out);
    return ua_fail("connect", rc);
  }
  return UA_OK;
}

/* data = open(path).read(); s = connect((host, port)) */
static int connect_with_data(const char *host, const char *port, const char *path,
                             uint8_t **data, size_t *len, usocket **s)
{
  if (ua_read_file(path, data, len) < 0) {
    return UA_FAIL;
  }
  int rc = connect_to(host, port, s);
  if (rc != UA_OK) {
    free(*data);
  }
  return rc;
}

/* out = open(path, "wb"); s = connect((host, port)) */
static int connect_with_output(const char *host, const char *port, const char *path,
                               FILE **out, usocket **s)
{
  *out = ua_open_out(path);
  if (*out == NULL) {
    return UA_FAIL;
  }
  int rc = connect_to(host, port, s);
  if (rc != UA_OK) {
    fclose(*out);
  }
  return rc;
}

/* s = socket(); s.setsockopt(SO_REUSEADDR); s.bind(("", port)); s.listen(1); c = s.accept() */
static int accept_one(const char *port, usocket **client)
{
  usocket_addr addr, peer;
  if (ua_parse_addr("", port, &addr) < 0) {
    return UA_USAGE;
  }
  usocket *s;
  int one = 1;
  int rc = ua_socket(USOCKET_SOCK_STREAM, &s);
  if (rc < 0) {
    return ua_fail("socket", rc);
  }
  const char *what = "setsockopt SO_REUSEADDR";
  rc = usocket_setsockopt(s, USOCKET_SOL_SOCKET, USOCKET_SO_REUSEADDR, &one, sizeof(one));
  if (rc == 0) {
    what = "bind";
    rc = usocket_bind(s, &addr);
  }
  if (rc == 0) {
    what = "listen";
    rc = usocket_listen(s, 1);
  }
  if (rc == 0) {
    ua_say("listening port=%u", addr.port);
    what = "accept";
    rc = usocket_accept(s, client, &peer);
  }
  usocket_free(s);
  if (rc < 0) {
    return ua_fail(what, rc);
  }
  ua_say("accepted from=%s:%u", peer.ip, peer.port);
  return UA_OK;
}

/* Writes data to s with sendall() in board-sized chunks. */
static int send_file(usocket *s, const uint8_t *data, size_t len, long *err)
{
  for (size_t off = 0; off < len; off += UA_CHUNK) {
    size_t n = len - off < UA_CHUNK ? len - off : UA_CHUNK;
    int rc = usocket_sendall(s, data + off, n);
    if (rc < 0) {
      *err = rc;
      return -1;
    }
  }
  return 0;
}

/* Reads s to its end with recv() (or stream read()) into out; returns the
 * byte count, *end the result that ended it (0 = EOF, or an error). */
static size_t recv_to_end(usocket *s, FILE *out, bool stream_read, long *end)
{
  static uint8_t buf[UA_CHUNK];
  size_t total = 0;
  for (;;) {
    ssize_t n = stream_read ? usocket_read(s, buf, sizeof(buf)) : usocket_recv(s, buf, sizeof(buf), 0);
    if (n > 0 && out != NULL) {
      fwrite(buf, 1, (size_t)n, out);
    }
    if (n > 0) {
      total += (size_t)n;
    }
    /* read() is only short at EOF: a short read is followed by 0 */
    if (n <= 0) {
      *end = n;
      return total;
    }
  }
}

int ua_tcp_client_send(char **argv)
{
  uint8_t *data;
  size_t len;
  usocket *s;
  int rc = connect_with_data(argv[0], argv[1], argv[2], &data, &len, &s);
  if (rc != UA_OK) {
    return rc;
  }
  long err = 0;
  rc = send_file(s, data, len, &err);
  free(data);
  usocket_free(s);
  if (rc < 0) {
    return ua_fail("sendall", err);
  }
  ua_say("sent bytes=%zu", len);
  return UA_OK;
}

int ua_tcp_client_recv(char **argv)
{
  FILE *out;
  usocket *s;
  int rc = connect_with_output(argv[0], argv[1], argv[2], &out, &s);
  if (rc != UA_OK) {
    return rc;
  }
  long end;
  size_t total = recv_to_end(s, out, false, &end);
  usocket_free(s);
  if (fclose(out) != 0) {
    return ua_fail("writing the output file", -USOCKET_EIO);
  }
  ua_say("received bytes=%zu end=%s", total, end == 0 ? "EOF" : ua_errname(end));
  return end == 0 ? UA_OK : ua_fail("recv", end);
}

int ua_tcp_server_sink(char **argv)
{
  FILE *out = ua_open_out(argv[1]);
  if (out == NULL) {
    return UA_FAIL;
  }
  usocket *c;
  int rc = accept_one(argv[0], &c);
  if (rc != UA_OK) {
    fclose(out);
    return rc;
  }
  /* f = c.makefile(); f.read(N) until b"": the stream method, never short but at EOF */
  usocket *f;
  long end = usocket_makefile(c, "rb", &f);
  size_t total = 0;
  if (end == 0) {
    total = recv_to_end(f, out, true, &end);
  }
  usocket_free(c);
  if (fclose(out) != 0) {
    return ua_fail("writing the output file", -USOCKET_EIO);
  }
  ua_say("received bytes=%zu end=%s", total, end == 0 ? "EOF" : ua_errname(end));
  return end == 0 ? UA_OK : ua_fail("read", end);
}

int ua_tcp_server_echo(char **argv)
{
  static uint8_t buf[UA_CHUNK];
  usocket *c;
  int rc = accept_one(argv[0], &c);
  if (rc != UA_OK) {
    return rc;
  }
  size_t total = 0;
  long err = 0;
  for (;;) {
    ssize_t n = usocket_recv(c, buf, sizeof(buf), 0);
    if (n <= 0) {
      err = n;
      break;
    }
    rc = usocket_sendall(c, buf, (size_t)n);
    if (rc < 0) {
      err = rc;
      break;
    }
    total += (size_t)n;
  }
  usocket_free(c);
  ua_say("echoed bytes=%zu end=%s", total, err == 0 ? "EOF" : ua_errname(err));
  return err == 0 ? UA_OK : ua_fail("echo", err);
}

/* Names the bits of a poll result: "HUP|ERR", or "none". */
static const char *revents_name(unsigned ev, char *buf, size_t size)
{
  static const struct { unsigned bit; const char *name; } bits[] = {
    { USOCKET_POLLIN, "IN" }, { USOCKET_POLLOUT, "OUT" }, { USOCKET_POLLERR, "ERR" },
    { USOCKET_POLLHUP, "HUP" }, { USOCKET_POLLNVAL, "NVAL" },
  };
  buf[0] = '\0';
  for (size_t i = 0; i < sizeof(bits) / sizeof(bits[0]); i++) {
    if (ev & bits[i].bit) {
      snprintf(buf + strlen(buf), size - strlen(buf), "%s%s", buf[0] ? "|" : "", bits[i].name);
    }
  }
  if (buf[0] == '\0') {
    snprintf(buf, size, "none");
  }
  return buf;
}

int ua_connect_closed(char **argv)
{
  usocket_addr addr;
  if (ua_parse_addr(argv[0], argv[1], &addr) < 0) {
    return UA_USAGE;
  }
  usocket *s;
  int rc = ua_socket(USOCKET_SOCK_STREAM, &s);
  if (rc < 0) {
    return ua_fail("socket", rc);
  }
  /* s.setblocking(False); s.connect(addr) -> OSError(EINPROGRESS) */
  usocket_setblocking(s, false);
  rc = usocket_connect(s, &addr);
  ua_say("connect=%s", ua_errname(rc));
  /* poll.register(s, POLLOUT); poll.poll(T): the refusal shows as HUP/ERR */
  usocket_pollfd pfd = { .sock = s, .events = USOCKET_POLLOUT };
  char names[32];
  rc = usocket_poll(&pfd, 1, UA_TIMEOUT_MS);
  ua_say("poll=%d revents=%s", rc, revents_name(pfd.revents, names, sizeof(names)));
  /* what the failed socket answers next, in this order */
  rc = usocket_connect(s, &addr);
  ua_say("connect2=%s", ua_errname(rc));
  ssize_t n = usocket_send(s, "x", 1);
  ua_say("send=%s", ua_errname(n));
  char b;
  n = usocket_recv(s, &b, 1, 0);
  ua_say("recv=%s", ua_errname(n));
  usocket_free(s);
  return UA_OK;
}

int ua_recv_reset(char **argv)
{
  bool wait = strcmp(argv[2], "wait") == 0;
  if (!wait && strcmp(argv[2], "read") != 0) {
    fprintf(stderr, "usage: recv-reset mode is wait or read, not '%s'\n", argv[2]);
    return UA_USAGE;
  }
  FILE *out;
  usocket *s;
  int rc = connect_with_output(argv[0], argv[1], argv[3], &out, &s);
  if (rc != UA_OK) {
    return rc;
  }
  ua_say("connected");
  if (wait) {
    /* Read nothing until the reset has arrived: everything sent before it
     * must still be readable afterwards. */
    usocket_pollfd pfd = { .sock = s, .events = 0 };
    char names[32];
    rc = usocket_poll(&pfd, 1, UA_TIMEOUT_MS);
    ua_say("poll=%d revents=%s", rc, revents_name(pfd.revents, names, sizeof(names)));
  }
  long end;
  size_t total = recv_to_end(s, out, false, &end);
  char b;
  ssize_t then = usocket_recv(s, &b, 1, 0);
  usocket_free(s);
  if (fclose(out) != 0) {
    return ua_fail("writing the output file", -USOCKET_EIO);
  }
  ua_say("received bytes=%zu end=%s then=%s", total, end == 0 ? "EOF" : ua_errname(end),
         then == 0 ? "EOF" : ua_errname(then));
  return UA_OK;
}

int ua_send_reset(char **argv)
{
  uint8_t *data;
  size_t len;
  usocket *s;
  int rc = connect_with_data(argv[0], argv[1], argv[2], &data, &len, &s);
  if (rc != UA_OK) {
    return rc;
  }
  ua_say("connected");
  /* The peer resets after reading a part: sendall fails at some point of
   * these (bounded) repetitions. */
  long err = 0;
  size_t sent = 0;
  for (int i = 0; i < 100 && err == 0; i++) {
    if (send_file(s, data, len, &err) == 0) {
      sent += len;
    }
  }
  ssize_t then = usocket_send(s, data, 1);
  free(data);
  usocket_free(s);
  ua_say("sent files=%zu end=%s then=%s", len ? sent / len : 0, ua_errname(err), ua_errname(then));
  return UA_OK;
}
