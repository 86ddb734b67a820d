/* discard (RFC 863): everything received is thrown away. */
#include "board_apps.h"
#include "app_server.h"

void bn_app_discard(struct netconn *conn);

void bn_app_discard(struct netconn *conn)
{
  struct pbuf *p;
  while (netconn_recv_tcp_pbuf(conn, &p) == ERR_OK) {
    pbuf_free(p);
  }
}
