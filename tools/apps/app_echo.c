/* echo (RFC 862): every byte received is sent back. */
#include "board_apps.h"
#include "app_server.h"

void bn_app_echo(struct netconn *conn);

void bn_app_echo(struct netconn *conn)
{
  struct netbuf *buf;
  while (netconn_recv(conn, &buf) == ERR_OK) {
    err_t err = ERR_OK;
    do {
      void *data;
      u16_t len;
      netbuf_data(buf, &data, &len);
      err = netconn_write(conn, data, len, NETCONN_COPY);
    } while (err == ERR_OK && netbuf_next(buf) >= 0);
    netbuf_delete(buf);
    if (err != ERR_OK) {
      break;
    }
  }
}
