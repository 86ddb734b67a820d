/* The board apps' TCP server skeleton on lwIP's netconn API. */
#define _GNU_SOURCE
#include "app_server.h"

#include "lwip/ip.h"
#include "lwip/tcpip.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

struct server {
  struct netconn *listener;
  bn_app_handler handler;
  char name[16];
};

struct connection {
  struct netconn *conn;
  bn_app_handler handler;
};

static void *connection_main(void *arg)
{
  struct connection c = *(struct connection *)arg;
  free(arg);
  c.handler(c.conn);
  netconn_close(c.conn);
  netconn_delete(c.conn);
  return NULL;
}

static void *accept_main(void *arg)
{
  struct server *s = arg;
  for (;;) {
    struct netconn *conn;
    err_t err = netconn_accept(s->listener, &conn);
    if (err != ERR_OK) {
      if (err == ERR_MEM || err == ERR_BUF || err == ERR_ABRT || err == ERR_RST) {
        continue;  /* that connection failed; the listener is fine */
      }
      break;
    }
    struct connection *c = malloc(sizeof(*c));
    pthread_t thread;
    if (c == NULL) {
      netconn_delete(conn);
      continue;
    }
    c->conn = conn;
    c->handler = s->handler;
    if (pthread_create(&thread, NULL, connection_main, c) != 0) {
      free(c);
      netconn_delete(conn);
      continue;
    }
    pthread_setname_np(thread, s->name);
    pthread_detach(thread);
  }
  netconn_delete(s->listener);
  free(s);
  return NULL;
}

int bn_app_serve(const char *name, uint16_t port, bn_app_handler handler)
{
  struct server *s = calloc(1, sizeof(*s));
  if (s == NULL) {
    return -ENOMEM;
  }
  snprintf(s->name, sizeof(s->name), "bn-%s", name);
  s->handler = handler;
  s->listener = netconn_new(NETCONN_TCP);
  if (s->listener == NULL) {
    free(s);
    return -ENOMEM;
  }
  LOCK_TCPIP_CORE();
  ip_set_option(s->listener->pcb.ip, SOF_REUSEADDR);
  UNLOCK_TCPIP_CORE();
  err_t err = netconn_bind(s->listener, IP_ADDR_ANY, port);
  if (err == ERR_OK) {
    err = netconn_listen(s->listener);
  }
  pthread_t thread;
  if (err != ERR_OK || pthread_create(&thread, NULL, accept_main, s) != 0) {
    netconn_delete(s->listener);
    free(s);
    return err == ERR_USE ? -EADDRINUSE : -ENOMEM;
  }
  pthread_setname_np(thread, s->name);
  pthread_detach(thread);
  return 0;
}
