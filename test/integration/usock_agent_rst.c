/*
 * bn-usock-agent scenario tcp-client-rst: the server side (instance0) of
 * MicroPython's tests/multi_net/tcp_client_rst.py, line for line on usocket,
 * printing what the original prints (poll lists as "[25]", received bytes as
 * Python's repr, "ECONNRESET: True", "EBADF: True"), so that the test can
 * compare the output with the sequence MicroPython on lwIP gives.
 */
#include "usock_agent.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* print(data) of a bytes object: b'...' with Python's escapes. */
static void print_bytes(const uint8_t *data, size_t n)
{
  char out[4 * 16 + 4];
  size_t k = 0;
  out[k++] = 'b';
  out[k++] = '\'';
  for (size_t i = 0; i < n && k < sizeof(out) - 6; i++) {
    uint8_t c = data[i];
    if (c == '\r' || c == '\n' || c == '\t') {
      k += (size_t)snprintf(out + k, sizeof(out) - k, "\\%c", c == '\r' ? 'r' : c == '\n' ? 'n' : 't');
    } else if (c == '\\' || c == '\'') {
      k += (size_t)snprintf(out + k, sizeof(out) - k, "\\%c", c);
    } else if (c >= 0x20 && c < 0x7f) {
      out[k++] = (char)c;
    } else {
      k += (size_t)snprintf(out + k, sizeof(out) - k, "\\x%02x", c);
    }
  }
  out[k++] = '\'';
  out[k] = '\0';
  ua_say("%s", out);
}

/* print(convert_poll_list(poll.poll(1000))): "[25]", or "[]". */
static unsigned print_poll(usocket_poller *poll)
{
  usocket_pollfd ready[1];
  int n = usocket_poller_poll(poll, 1000, ready, 1);
  if (n == 1) {
    ua_say("[%u]", ready[0].revents);
    return ready[0].revents;
  }
  ua_say("[]");
  return 0;
}

int ua_tcp_client_rst(char **argv)
{
  usocket_addr any;
  if (ua_parse_addr("", argv[0], &any) < 0) {
    return UA_USAGE;
  }
  /* s = socket.socket(); s.setsockopt(SOL_SOCKET, SO_REUSEADDR, 1);
   * s.bind(...); s.listen(1) */
  usocket *s;
  int one = 1;
  int rc = ua_socket(USOCKET_SOCK_STREAM, &s);
  if (rc == 0) {
    rc = usocket_setsockopt(s, USOCKET_SOL_SOCKET, USOCKET_SO_REUSEADDR, &one, sizeof(one));
  }
  if (rc == 0) {
    rc = usocket_bind(s, &any);
  }
  if (rc == 0) {
    rc = usocket_listen(s, 1);
  }
  if (rc < 0) {
    usocket_free(s);
    return ua_fail("listen", rc);
  }
  ua_say("listening port=%u", any.port);
  for (int iteration = 0; iteration < 2; iteration++) {
    ua_say("server iteration %d", iteration);
    usocket *s2;
    rc = usocket_accept(s, &s2, NULL);
    if (rc < 0) {
      usocket_free(s);
      return ua_fail("accept", rc);
    }
    usocket_setblocking(s2, false);
    usocket_poller *poll;
    if (usocket_poller_new(&poll) < 0 || usocket_poller_register(poll, s2, USOCKET_POLLIN) < 0) {
      usocket_free(s2);
      usocket_free(s);
      return ua_fail("poll", -USOCKET_ENOMEM);
    }
    /* Wait for the client to send data and issue a TCP RST. */
    for (int i = 0; i < 10; i++) {
      usocket_pollfd ready[1];
      if (usocket_poller_poll(poll, 1000, ready, 1) == 1 &&
          ready[0].revents == (USOCKET_POLLIN | USOCKET_POLLERR | USOCKET_POLLHUP)) {
        break;
      }
      usleep(100 * 1000);
    }
    print_poll(poll);
    /* On the second test, drain the incoming data. */
    if (iteration == 1) {
      for (int i = 0; i < 5; i++) {
        uint8_t buf[10];
        ssize_t n = usocket_recv(s2, buf, sizeof(buf), 0);
        if (n >= 0) {
          print_bytes(buf, (size_t)n);
        } else {
          /* This error should only happen on the 3rd recv. */
          ua_say("ECONNRESET: %s", n == -USOCKET_ECONNRESET ? "True" : "False");
        }
        print_poll(poll);
      }
    }
    /* Close the connection to the client. */
    usocket_close(s2);
    print_poll(poll);
    /* Try to read more data from the closed socket. */
    uint8_t buf[10];
    ssize_t n = usocket_recv(s2, buf, sizeof(buf), 0);
    if (n >= 0) {
      print_bytes(buf, (size_t)n);
    } else {
      ua_say("EBADF: %s", n == -USOCKET_EBADF ? "True" : "False");
    }
    print_poll(poll);
    usocket_poller_free(poll);
    usocket_free(s2);
  }
  usocket_free(s);
  return UA_OK;
}
