/* A TCP server skeleton for the board apps: listen, accept, one thread per connection. */
#ifndef BN_APP_SERVER_H
#define BN_APP_SERVER_H

#include <stdint.h>

#include "lwip/api.h"

/** Serves one connection; the server closes and deletes conn afterwards. */
typedef void (*bn_app_handler)(struct netconn *conn);

/**
 * Listens on port and serves every connection with handler in a thread of
 * its own. Returns at once.
 * @return 0, -EADDRINUSE, -ENOMEM.
 */
int bn_app_serve(const char *name, uint16_t port, bn_app_handler handler);

#endif /* BN_APP_SERVER_H */
