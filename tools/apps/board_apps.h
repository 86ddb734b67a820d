/*
 * Example board programs, each a small TCP server running on the board's
 * stack: echo (port 7), discard (9), chargen (19) and a tiny HTTP server (80)
 * that serves a page and /bytes/N. They are what firmware would run, written
 * on the board's socket API, and what the demo and the tests talk to.
 */
#ifndef BN_BOARD_APPS_H
#define BN_BOARD_APPS_H

#include <stddef.h>
#include <stdint.h>

/** An app's name and default port; the table ends with name == NULL. */
typedef struct bn_app_info {
  const char *name;
  uint16_t default_port;
  const char *summary;
} bn_app_info;

/** The apps known to bn_app_start(). */
extern const bn_app_info bn_apps[];

/** The entry of `name` in bn_apps, or NULL. */
const bn_app_info *bn_app_find(const char *name);

/** The apps' listen backlog unless told otherwise, as MicroPython's
 * examples/network/http_server*.py (s.listen(5)). */
#define BN_APP_BACKLOG 5
/** The largest backlog lwIP takes (tcp_listen_with_backlog(): a u8_t). */
#define BN_APP_BACKLOG_MAX 255

/**
 * Starts app `name` listening on port (0: its default) on the running stack,
 * with listen backlog `backlog` (0: BN_APP_BACKLOG). Connections waiting for
 * accept and half-open ones (SYN received, handshake not finished) both count
 * against it: a backlog full of half-open connections refuses new ones until
 * lwIP drops them (TCP_SYN_RCVD_TIMEOUT, 20 s), as on a board.
 * Returns at once; the app serves in its own threads until the process ends.
 * @return 0, -ENOENT for an unknown app, -EINVAL for a backlog outside
 *   0..BN_APP_BACKLOG_MAX, -EADDRINUSE, -ENOMEM.
 */
int bn_app_start(const char *name, uint16_t port, int backlog);

/**
 * Fills buf with len bytes of the chargen stream (RFC 864: lines of 72
 * printable ASCII characters, each starting one character later, CRLF)
 * beginning at stream offset `offset`. /bytes/N serves this stream too.
 */
void bn_chargen_fill(uint8_t *buf, size_t len, uint64_t offset);

#endif /* BN_BOARD_APPS_H */
