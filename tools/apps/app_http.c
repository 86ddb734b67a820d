/*
 * A tiny HTTP/1.0-style server: GET (or HEAD) "/" serves a page about the
 * board, "/bytes/N" serves N bytes of the chargen stream (bn_chargen_fill),
 * anything else 404. One request per connection.
 */
#include "board_apps.h"
#include "app_server.h"
#include "bn_board.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REQUEST_MAX 2048
#define BYTES_MAX   (UINT64_C(1) << 40)  /* /bytes/N: N at most 1 TiB */
#define CHUNK       16384

/* Reads until the end of the request head; returns its length or -1. */
static int read_request(struct netconn *conn, char *req, size_t cap)
{
  size_t used = 0;
  struct netbuf *buf;
  while (used < cap - 1 && netconn_recv(conn, &buf) == ERR_OK) {
    used += netbuf_copy(buf, req + used, (u16_t)(cap - 1 - used));
    netbuf_delete(buf);
    req[used] = '\0';
    if (strstr(req, "\r\n\r\n") != NULL || strstr(req, "\n\n") != NULL) {
      return (int)used;
    }
  }
  return -1;
}

static void send_text(struct netconn *conn, const char *text)
{
  netconn_write(conn, text, strlen(text), NETCONN_COPY);
}

static void respond(struct netconn *conn, const char *status, const char *type,
                    uint64_t length, const char *body, bool head_only)
{
  char head[256];
  snprintf(head, sizeof(head),
           "HTTP/1.0 %s\r\nServer: boardnet/%s\r\nContent-Type: %s\r\n"
           "Content-Length: %" PRIu64 "\r\nConnection: close\r\n\r\n",
           status, bn_board_name(), type, length);
  send_text(conn, head);
  if (body != NULL && !head_only) {
    send_text(conn, body);
  }
}

static void serve_bytes(struct netconn *conn, uint64_t n, bool head_only)
{
  respond(conn, "200 OK", "application/octet-stream", n, NULL, head_only);
  static __thread uint8_t chunk[CHUNK];
  for (uint64_t sent = 0; !head_only && sent < n;) {
    size_t len = n - sent < CHUNK ? (size_t)(n - sent) : CHUNK;
    bn_chargen_fill(chunk, len, sent);
    if (netconn_write(conn, chunk, len, NETCONN_COPY) != ERR_OK) {
      return;
    }
    sent += len;
  }
}

static void serve_page(struct netconn *conn, bool head_only)
{
  char page[512];
  snprintf(page, sizeof(page),
           "<!DOCTYPE html>\n<html><head><title>boardnet</title></head><body>\n"
           "<h1>Hello from a boardnet board</h1>\n"
           "<p>Board profile <b>%s</b>: %s. lwIP %s.</p>\n"
           "<p><a href=\"/bytes/1000\">/bytes/N</a> serves N bytes of the chargen stream.</p>\n"
           "</body></html>\n",
           bn_board_name(), bn_board_description(), bn_board_lwip_version());
  respond(conn, "200 OK", "text/html; charset=utf-8", strlen(page), page, head_only);
}

static void respond_error(struct netconn *conn, const char *status)
{
  char body[64];
  snprintf(body, sizeof(body), "%s\n", status);
  respond(conn, status, "text/plain", strlen(body), body, false);
}

void bn_app_http(struct netconn *conn);

void bn_app_http(struct netconn *conn)
{
  char req[REQUEST_MAX];
  char method[8], path[256];
  if (read_request(conn, req, sizeof(req)) < 0 ||
      sscanf(req, "%7s %255s HTTP/%*d.%*d", method, path) != 2) {
    respond_error(conn, "400 Bad Request");
    return;
  }
  bool head_only = strcmp(method, "HEAD") == 0;
  if (!head_only && strcmp(method, "GET") != 0) {
    respond_error(conn, "405 Method Not Allowed");
    return;
  }
  if (strcmp(path, "/") == 0 || strcmp(path, "/index.html") == 0) {
    serve_page(conn, head_only);
    return;
  }
  if (strncmp(path, "/bytes/", 7) == 0) {
    char *end;
    const char *digits = path + 7;
    unsigned long long n = strtoull(digits, &end, 10);
    if (*digits >= '0' && *digits <= '9' && *end == '\0' && n <= BYTES_MAX) {
      serve_bytes(conn, n, head_only);
      return;
    }
  }
  respond_error(conn, "404 Not Found");
}
