/*
 * A tiny HTTP/1.0-style server: GET (or HEAD) "/" serves a page about the
 * board, "/bytes/N" serves N bytes of the chargen stream (bn_chargen_fill),
 * anything else 404. One request per connection. Written as MicroPython's
 * examples/network/http_server.py reads the request:
 *
 *     client.settimeout(30)
 *     f = client.makefile('rwb', 0)
 *     request = f.readline()
 *     while True:
 *         h = f.readline()
 *         if h == b'' or h == b'\r\n':
 *             break
 *     f.write(response)
 */
#include "board_apps.h"
#include "app_server.h"
#include "bn_board.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LINE_MAX_LEN  512
#define HEADERS_MAX   100                    /* header lines before we give up */
#define TIMEOUT_MS    30000                  /* per blocking call */
#define BYTES_MAX     (UINT64_C(1) << 40)    /* /bytes/N: N at most 1 TiB */
#define CHUNK         16384

/*
 * Reads the request line into line (NUL-terminated) and skips the header
 * lines up to the blank one. Returns 0, or -1 for a request that is cut
 * short, too long or times out.
 */
static int read_request(usocket *f, char *line, size_t cap)
{
  ssize_t n = usocket_readline(f, line, cap - 1);
  if (n <= 0 || line[n - 1] != '\n') {
    return -1;
  }
  line[n] = '\0';
  char header[LINE_MAX_LEN];
  for (int i = 0; i < HEADERS_MAX; i++) {
    n = usocket_readline(f, header, sizeof(header));
    if (n <= 0) {
      return -1;
    }
    if ((n == 2 && header[0] == '\r') || (n == 1 && header[0] == '\n')) {
      return 0;
    }
  }
  return -1;
}

static void respond(usocket *f, const char *status, const char *type,
                    uint64_t length, const char *body, bool head_only)
{
  char head[256];
  int n = snprintf(head, sizeof(head),
                   "HTTP/1.0 %s\r\nServer: boardnet/%s\r\nContent-Type: %s\r\n"
                   "Content-Length: %" PRIu64 "\r\nConnection: close\r\n\r\n",
                   status, bn_board_name(), type, length);
  if (usocket_write(f, head, (size_t)n) < 0) {
    return;
  }
  if (body != NULL && !head_only) {
    usocket_write(f, body, strlen(body));
  }
}

static void serve_bytes(usocket *f, uint64_t n, bool head_only)
{
  respond(f, "200 OK", "application/octet-stream", n, NULL, head_only);
  static __thread uint8_t chunk[CHUNK];
  for (uint64_t sent = 0; !head_only && sent < n;) {
    size_t len = n - sent < CHUNK ? (size_t)(n - sent) : CHUNK;
    bn_chargen_fill(chunk, len, sent);
    if (usocket_write(f, chunk, len) < 0) {
      return;
    }
    sent += len;
  }
}

static void serve_page(usocket *f, bool head_only)
{
  char page[512];
  snprintf(page, sizeof(page),
           "<!DOCTYPE html>\n<html><head><title>boardnet</title></head><body>\n"
           "<h1>Hello from a boardnet board</h1>\n"
           "<p>Board profile <b>%s</b>: %s. lwIP %s.</p>\n"
           "<p><a href=\"/bytes/1000\">/bytes/N</a> serves N bytes of the chargen stream.</p>\n"
           "</body></html>\n",
           bn_board_name(), bn_board_description(), bn_board_lwip_version());
  respond(f, "200 OK", "text/html; charset=utf-8", strlen(page), page, head_only);
}

static void respond_error(usocket *f, const char *status)
{
  char body[64];
  snprintf(body, sizeof(body), "%s\n", status);
  respond(f, status, "text/plain", strlen(body), body, false);
}

void bn_app_http(usocket *client);

void bn_app_http(usocket *client)
{
  usocket *f;
  char line[LINE_MAX_LEN];
  char method[8], path[256];
  if (usocket_settimeout(client, TIMEOUT_MS) < 0 || usocket_makefile(client, "rwb", &f) < 0) {
    return;
  }
  if (read_request(f, line, sizeof(line)) < 0 ||
      sscanf(line, "%7s %255s HTTP/%*d.%*d", method, path) != 2) {
    respond_error(f, "400 Bad Request");
    return;
  }
  bool head_only = strcmp(method, "HEAD") == 0;
  if (!head_only && strcmp(method, "GET") != 0) {
    respond_error(f, "405 Method Not Allowed");
    return;
  }
  if (strcmp(path, "/") == 0 || strcmp(path, "/index.html") == 0) {
    serve_page(f, head_only);
    return;
  }
  if (strncmp(path, "/bytes/", 7) == 0) {
    char *end;
    const char *digits = path + 7;
    unsigned long long n = strtoull(digits, &end, 10);
    if (*digits >= '0' && *digits <= '9' && *end == '\0' && n <= BYTES_MAX) {
      serve_bytes(f, n, head_only);
      return;
    }
  }
  respond_error(f, "404 Not Found");
}
