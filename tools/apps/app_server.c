/*
 * The board apps' TCP server skeleton, written as MicroPython board code on
 * usocket would be:
 *
 *     s = socket.socket()
 *     s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
 *     s.bind(('', port))
 *     s.listen(backlog)
 *     while True:
 *         client, addr = s.accept()
 *         # with nodelay: client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
 *         _thread.start_new_thread(serve, (client,))
 */
#define _GNU_SOURCE
#include "app_server.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

struct server {
  usocket *listener;
  bn_app_handler handler;
  bool nodelay;
  char name[16];
};

struct connection {
  usocket *client;
  bn_app_handler handler;
};

static void *connection_main(void *arg)
{
  struct connection c = *(struct connection *)arg;
  free(arg);
  c.handler(c.client);
  usocket_free(c.client);
  return NULL;
}

/* Starts serving client in a detached thread; frees it if that fails. */
static void start_connection(struct server *s, usocket *client)
{
  struct connection *c = malloc(sizeof(*c));
  pthread_t thread;
  if (c == NULL) {
    usocket_free(client);
    return;
  }
  c->client = client;
  c->handler = s->handler;
  if (pthread_create(&thread, NULL, connection_main, c) != 0) {
    free(c);
    usocket_free(client);
    return;
  }
  pthread_setname_np(thread, s->name);
  pthread_detach(thread);
}

static void *accept_main(void *arg)
{
  struct server *s = arg;
  for (;;) {
    usocket *client;
    int rc = usocket_accept(s->listener, &client, NULL);
    if (rc == -USOCKET_EBADF || rc == -USOCKET_EINVAL) {
      break;  /* the listener is gone */
    }
    if (rc == 0) {
      if (s->nodelay) {
        int one = 1;
        (void)usocket_setsockopt(client, USOCKET_IPPROTO_TCP, USOCKET_TCP_NODELAY, &one, sizeof(one));
      }
      start_connection(s, client);
    }
    /* Other errors (ENOMEM, ECONNABORTED) concern one connection only. */
  }
  usocket_free(s->listener);
  free(s);
  return NULL;
}

int bn_app_serve(const char *name, uint16_t port, int backlog, bool nodelay, bn_app_handler handler)
{
  struct server *s = calloc(1, sizeof(*s));
  if (s == NULL) {
    return -ENOMEM;
  }
  snprintf(s->name, sizeof(s->name), "bn-%s", name);
  s->handler = handler;
  s->nodelay = nodelay;
  int one = 1;
  usocket_addr any = { .ip = "", .port = port };
  int rc = usocket_socket(USOCKET_AF_INET, USOCKET_SOCK_STREAM, 0, &s->listener);
  if (rc == 0) {
    rc = usocket_setsockopt(s->listener, USOCKET_SOL_SOCKET, USOCKET_SO_REUSEADDR,
                            &one, sizeof(one));
  }
  if (rc == 0) {
    rc = usocket_bind(s->listener, &any);
  }
  if (rc == 0) {
    rc = usocket_listen(s->listener, backlog);
  }
  pthread_t thread;
  if (rc == 0 && pthread_create(&thread, NULL, accept_main, s) != 0) {
    rc = -USOCKET_ENOMEM;
  }
  if (rc != 0) {
    usocket_free(s->listener);
    free(s);
    return rc == -USOCKET_EADDRINUSE ? -EADDRINUSE : -ENOMEM;
  }
  pthread_setname_np(thread, s->name);
  pthread_detach(thread);
  return 0;
}
