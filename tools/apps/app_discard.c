/*
 * discard (RFC 863): everything received is thrown away.
 *
 *     while client.recv(BUF):
 *         pass
 */
#include "board_apps.h"
#include "app_server.h"

#define BUF 4096

void bn_app_discard(usocket *client);

void bn_app_discard(usocket *client)
{
  uint8_t data[BUF];
  while (usocket_recv(client, data, sizeof(data), 0) > 0) {
  }
}
