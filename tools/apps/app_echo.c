/*
 * echo (RFC 862): every byte received is sent back.
 *
 *     while True:
 *         data = client.recv(BUF)
 *         if not data:
 *             break
 *         client.sendall(data)
 */
#include "board_apps.h"
#include "app_server.h"

#define BUF 4096

void bn_app_echo(usocket *client);

void bn_app_echo(usocket *client)
{
  uint8_t data[BUF];
  ssize_t n;
  while ((n = usocket_recv(client, data, sizeof(data), 0)) > 0) {
    if (usocket_sendall(client, data, (size_t)n) < 0) {
      break;
    }
  }
}
