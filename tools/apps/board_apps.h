/*
 * The bundled board programs, in one table: small TCP servers running on
 * the board's stack -- echo (port 7, and UDP), discard (9), chargen (19), a
 * tiny HTTP server (80) that serves a page and /bytes/N -- and the replay's
 * mirror, which re-enacts the captured board's side of every TCP connection
 * (replay_mirror.h). They are what firmware would run, written on the
 * board's socket API (usocket), and what the demo and the tests talk to;
 * boardnet run and boardnet replay start them with --app NAME.
 */
#ifndef BN_BOARD_APPS_H
#define BN_BOARD_APPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "app_server.h"
#include "replay_live.h"
#include "replay_plan.h"

/** Room for any error message of an app's start. */
#define BN_APP_ERRLEN 160

/** The apps' listen backlog unless told otherwise, as MicroPython's
 * examples/network/http_server*.py (s.listen(5)). */
#define BN_APP_BACKLOG 5
/** The largest backlog lwIP takes (tcp_listen_with_backlog(): a u8_t). */
#define BN_APP_BACKLOG_MAX 255

/** Where an app runs. Zero-initialise, then fill in. */
typedef struct bn_app_env {
  /** The servers' listen backlog (0: BN_APP_BACKLOG). Connections waiting
   *  for accept and half-open ones (SYN received, handshake not finished)
   *  both count against it: a backlog full of half-open connections refuses
   *  new ones until lwIP drops them (TCP_SYN_RCVD_TIMEOUT, 20 s), as on a
   *  board. */
  int backlog;
  /** The servers set TCP_NODELAY on every connection they accept (Nagle's
   *  algorithm off; it is on by default, as on the board). */
  bool nodelay;
  /** On a replay (boardnet replay): its plan and live side, which outlive
   *  the app; NULL on a TAP. */
  const bn_rp_plan *plan;
  const bn_rp_live *live;
} bn_app_env;

typedef struct bn_app_info bn_app_info;

/** An app; the table (bn_apps) ends with name == NULL. */
struct bn_app_info {
  const char *name;
  uint16_t default_port;     /**< 0: it takes no --port (it listens where the capture says) */
  const char *summary;
  bool replay_only;          /**< it re-enacts a capture: only on a replay */
  bn_app_handler serve;      /**< a server: serves each connection it accepts; NULL for the others */
  /**
   * Starts it on the running stack (port: the one to listen on, its default
   * if 0). Returns at once: it serves in threads of its own.
   * @return 0, or a negative errno (-EADDRINUSE, -ENOMEM, -EINVAL: a
   *         replay-only app without a replay) with the reason in err.
   */
  int (*start)(const bn_app_info *app, uint16_t port, const bn_app_env *env, char err[BN_APP_ERRLEN]);
  /** Stops it before the stack stops (closes its sockets, joins its
   *  threads); NULL: its threads end with the process. */
  void (*stop)(void);
  /** Whether it still owes frames the capture shows (a replay's pass does
   *  not end before: bn_pcap_options.busy); NULL: never. Lock-free. */
  bool (*busy)(void *arg);
};

/** The apps, in the order --help lists them. */
extern const bn_app_info bn_apps[];

/** The entry of `name` in bn_apps, or NULL. */
const bn_app_info *bn_app_find(const char *name);

/**
 * Starts server app `name` (not a replay-only one) on port (0: its default)
 * with listen backlog `backlog` (0: BN_APP_BACKLOG).
 * @return 0, -ENOENT for an unknown or replay-only app, -EINVAL for a
 *   backlog outside 0..BN_APP_BACKLOG_MAX, -EADDRINUSE, -ENOMEM.
 */
int bn_app_start(const char *name, uint16_t port, int backlog);

/**
 * Fills buf with len bytes of the chargen stream (RFC 864: lines of 72
 * printable ASCII characters, each starting one character later, CRLF)
 * beginning at stream offset `offset`. /bytes/N serves this stream too.
 */
void bn_chargen_fill(uint8_t *buf, size_t len, uint64_t offset);

#endif /* BN_BOARD_APPS_H */
