/*
 * The board apps' TCP server skeleton on usocket: listen, accept, serve each
 * connection in a thread of its own (MicroPython's _thread).
 */
#ifndef BN_APP_SERVER_H
#define BN_APP_SERVER_H

#include <stdbool.h>
#include <stdint.h>

#include "usocket.h"

/** Serves one connection; the server closes and frees `client` afterwards. */
typedef void (*bn_app_handler)(usocket *client);

/**
 * Listens on port (all addresses, SO_REUSEADDR, listen(backlog)) and serves
 * every connection with handler in a thread of its own. Returns at once.
 * nodelay: every accepted connection gets TCP_NODELAY (lwIP's default, and
 * MicroPython's, is Nagle's algorithm on).
 * @return 0, or a negative errno: -EADDRINUSE, -ENOMEM.
 */
int bn_app_serve(const char *name, uint16_t port, int backlog, bool nodelay, bn_app_handler handler);

#endif /* BN_APP_SERVER_H */
