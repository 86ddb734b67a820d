/*
 * sensor_post: a board program (boardnet/board.h) on usocket, the client of
 * a sensor node as IoT firmware writes one: every PERIOD_MS it opens a TCP
 * connection to an HTTP server, POSTs one reading and reads the status
 * line. A connection that fails or times out is tried again after a
 * backoff (PERIOD_MS doubled on each failure in a row, at most 8 s), so an
 * outage delays the readings but loses none.
 *
 *   cc sensor_post.c $(pkg-config --cflags --libs boardnet-esp32) -o sensor_post
 *   sudo ./sensor_post --tap bn0 --ip 192.0.2.2/24 --record s.pcap -- 192.0.2.1 8080 10
 *   ./sensor_post --pcap s.pcap -- 192.0.2.1 8080 10     # the session replayed
 *
 * Arguments: HOST PORT COUNT [PERIOD_MS] (default 1000).
 * Exit status: 0 every reading posted (status 2xx), 2 bad arguments, 3 the
 * board stopped first, 4 the server answered a reading with another status.
 */
#include <boardnet/board.h>
#include <boardnet/usocket.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define IO_TIMEOUT_MS 2000
#define BACKOFF_MAX_MS 8000

/* Posts reading k; its HTTP status (> 0), or a negative usocket error. */
static int post(const usocket_addr *server, long k)
{
  usocket *s;
  int rc = usocket_socket(USOCKET_AF_INET, USOCKET_SOCK_STREAM, 0, &s);
  if (rc < 0) {
    return rc;
  }
  char body[32], request[256], reply[64];
  int body_len = snprintf(body, sizeof(body), "temperature=%ld.%ld\n", 20 + k / 10, k % 10);
  int len = snprintf(request, sizeof(request),
                     "POST /reading HTTP/1.0\r\nHost: %s\r\nContent-Type: text/plain\r\n"
                     "Content-Length: %d\r\n\r\n%s",
                     server->ip, body_len, body);
  usocket_settimeout(s, IO_TIMEOUT_MS);
  rc = usocket_connect(s, server);
  if (rc == 0) {
    rc = usocket_sendall(s, request, (size_t)len) < 0 ? -USOCKET_ETIMEDOUT : 0;
  }
  /* The status line is kept; the rest is read to the server's close
   * (HTTP/1.0), as closing on unread data would reset the connection. */
  size_t got = 0;
  while (rc == 0) {
    char rest[256];
    bool room = got < sizeof(reply) - 1;
    ssize_t n = usocket_recv(s, room ? reply + got : rest, room ? sizeof(reply) - 1 - got : sizeof(rest), 0);
    if (n <= 0) {
      rc = n < 0 ? (int)n : 0;
      break;
    }
    got += room ? (size_t)n : 0;
  }
  usocket_close(s);
  usocket_free(s);
  reply[got] = '\0';
  int status;
  if (rc < 0) {
    return rc;
  }
  return sscanf(reply, "HTTP/1.%*d %d", &status) == 1 ? status : -USOCKET_ECONNRESET;
}

int board_main(int argc, char **argv)
{
  if (argc < 4 || argc > 5) {
    fprintf(stderr, "usage: %s [board options] -- HOST PORT COUNT [PERIOD_MS]\n", argv[0]);
    return 2;
  }
  usocket_addr server = { .port = 0 };
  long port = strtol(argv[2], NULL, 10), count = strtol(argv[3], NULL, 10);
  long period = argc > 4 ? strtol(argv[4], NULL, 10) : 1000;
  if (strlen(argv[1]) >= sizeof(server.ip) || port < 1 || port > 65535 || count < 1 || period < 1) {
    fprintf(stderr, "%s: bad HOST, PORT (1..65535), COUNT or PERIOD_MS (> 0)\n", argv[0]);
    return 2;
  }
  strcpy(server.ip, argv[1]);
  server.port = (uint16_t)port;
  printf("sensor_post on board %s: %ld readings to %s:%ld, one every %ld ms\n", board_name(), count, server.ip,
         port, period);
  fflush(stdout);
  long k = 0, wait = period;
  while (k < count) {
    int status = post(&server, k);
    if (status >= 200 && status < 300) {
      printf("reading %ld posted: %d\n", k, status);
      k++;
      wait = period;
    } else if (status > 0) {
      printf("reading %ld: the server answered %d\n", k, status);
      return 4;
    } else {
      printf("reading %ld: %s; again in %ld ms\n", k, strerror(-status), wait);
    }
    fflush(stdout);
    if (k < count && board_wait_stop(wait) == 1) {
      return 3;
    }
    if (status < 0) {
      wait = wait * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : wait * 2;
    }
  }
  return 0;
}
