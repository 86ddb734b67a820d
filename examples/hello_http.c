/*
 * hello_http: a board program (boardnet/board.h) on usocket, written as
 * MicroPython board code would be: an HTTP server that answers every
 * request with a line naming its board, and returns after COUNT requests.
 *
 *   cc hello_http.c $(pkg-config --cflags --libs boardnet-rp2-pico-w) -o hello_http
 *   sudo ./hello_http --tap bn0 --ip 192.0.2.2/24 -- 3     # serves 3 requests, exit 0
 *
 * Exit status: 0 after COUNT requests, 2 for a bad COUNT, 3 if the socket
 * could not be set up; 143 if stopped by SIGTERM first.
 */
#include <boardnet/board.h>
#include <boardnet/usocket.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int board_main(int argc, char **argv)
{
  long count = argc > 1 ? strtol(argv[1], NULL, 10) : 1;
  if (count < 1) {
    fprintf(stderr, "usage: %s [board options] -- COUNT\n", argv[0]);
    return 2;
  }
  usocket *s;
  usocket_addr any = { .ip = "", .port = 80 };
  int one = 1;
  if (usocket_socket(USOCKET_AF_INET, USOCKET_SOCK_STREAM, 0, &s) < 0 ||
      usocket_setsockopt(s, USOCKET_SOL_SOCKET, USOCKET_SO_REUSEADDR, &one, sizeof(one)) < 0 ||
      usocket_bind(s, &any) < 0 || usocket_listen(s, 2) < 0) {
    return 3;
  }
  char ip[16] = "?";
  board_ip(ip, sizeof(ip));
  printf("hello_http: board %s at %s, serving %ld requests on port 80\n", board_name(), ip, count);
  fflush(stdout);
  for (long served = 0; served < count;) {
    usocket *client;
    if (usocket_accept(s, &client, NULL) < 0) {
      continue;
    }
    char line[256];
    usocket_settimeout(client, 5000);
    while (usocket_readline(client, line, sizeof(line)) > 2) {
      /* the request line and headers, up to the blank line */
    }
    char body[128];
    int n = snprintf(body, sizeof(body), "hello from board %s at %s\n", board_name(), ip);
    char head[128];
    int h = snprintf(head, sizeof(head), "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n\r\n", n);
    usocket_sendall(client, head, (size_t)h);
    usocket_sendall(client, body, (size_t)n);
    usocket_free(client);
    served++;
  }
  usocket_free(s);
  return 0;
}
