/*
 * netconn_echo: a board program (boardnet/board.h) on lwIP's netconn API:
 * echoes one TCP connection on port 7 and returns when the peer closes.
 *
 *   cc netconn_echo.c $(pkg-config --cflags --libs boardnet-esp32) -o netconn_echo
 *   sudo ./netconn_echo --tap bn0 --ip 192.0.2.2/24
 *
 * Exit status: 0 after an echoed connection, 3 if it could not listen.
 */
#include <boardnet/board.h>

#include "lwip/api.h"

int board_main(int argc, char **argv)
{
  (void)argc, (void)argv;
  struct netconn *l = netconn_new(NETCONN_TCP), *c;
  if (l == NULL || netconn_bind(l, IP4_ADDR_ANY, 7) != ERR_OK || netconn_listen(l) != ERR_OK ||
      netconn_accept(l, &c) != ERR_OK) {
    return 3;
  }
  struct netbuf *buf;
  while (netconn_recv(c, &buf) == ERR_OK) {
    do {
      void *data;
      u16_t len;
      netbuf_data(buf, &data, &len);
      netconn_write(c, data, len, NETCONN_COPY);
    } while (netbuf_next(buf) >= 0);
    netbuf_delete(buf);
  }
  netconn_close(c);
  netconn_delete(c);
  netconn_delete(l);
  return 0;
}
