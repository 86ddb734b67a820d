/*
 * The board apps' TCP server skeleton, written as MicroPython board code on
 * usocket would be (a thread that served a connection serves the next one
 * if it comes within WORKER_IDLE_MS, instead of ending):
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
#include "bn_clock.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

/* A thread that served a connection waits this long for the next one
 * before it ends: a stream of short connections then costs a wake-up per
 * connection, not a thread's start and end (as a MicroPython board's
 * _thread would: what its code does is the same). */
#define WORKER_IDLE_MS 2000

struct server {
  usocket *listener;
  bn_app_handler handler;
  bool nodelay;
  char name[16];
  pthread_mutex_t mu;
  pthread_cond_t cv;        /* idle workers wait for `next` */
  usocket *next;            /* a connection handed to an idle worker */
  int idle;                 /* workers waiting for one */
  int refs;                 /* the accept thread and the workers */
  bool closing;             /* the listener is gone: idle workers end */
};

static void server_release_locked(struct server *s)
{
  if (--s->refs > 0) {
    pthread_mutex_unlock(&s->mu);
    return;
  }
  pthread_mutex_unlock(&s->mu);
  pthread_cond_destroy(&s->cv);
  pthread_mutex_destroy(&s->mu);
  free(s);
}

struct worker_start {
  struct server *server;
  usocket *client;
};

/* Serves connections until none comes for WORKER_IDLE_MS. */
static void *worker_main(void *arg)
{
  struct worker_start start = *(struct worker_start *)arg;
  free(arg);
  struct server *s = start.server;
  usocket *client = start.client;
  while (client != NULL) {
    s->handler(client);
    usocket_free(client);
    pthread_mutex_lock(&s->mu);
    s->idle++;
    uint64_t until = bn_clock_after_ms(WORKER_IDLE_MS);
    while (s->next == NULL && !s->closing && bn_clock_cond_wait(&s->cv, &s->mu, until) == 0) {
    }
    client = s->next; /* taken even if it came at the deadline */
    s->next = NULL;
    s->idle--;
    if (client == NULL) {
      server_release_locked(s);
      return NULL;
    }
    pthread_mutex_unlock(&s->mu);
  }
  return NULL;
}

/* Hands client to an idle worker, or starts one; frees client if that fails. */
static void start_connection(struct server *s, usocket *client)
{
  pthread_mutex_lock(&s->mu);
  if (s->idle > 0 && s->next == NULL) {
    s->next = client;
    pthread_cond_signal(&s->cv);
    pthread_mutex_unlock(&s->mu);
    return;
  }
  s->refs++;
  pthread_mutex_unlock(&s->mu);
  struct worker_start *w = malloc(sizeof(*w));
  pthread_t thread;
  if (w != NULL) {
    *w = (struct worker_start){ .server = s, .client = client };
  }
  if (w == NULL || pthread_create(&thread, NULL, worker_main, w) != 0) {
    free(w);
    usocket_free(client);
    pthread_mutex_lock(&s->mu);
    server_release_locked(s);
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
  pthread_mutex_lock(&s->mu);
  s->closing = true;
  pthread_cond_broadcast(&s->cv);
  server_release_locked(s);
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
  s->refs = 1; /* the accept thread's */
  pthread_mutex_init(&s->mu, NULL);
  bn_clock_cond_init(&s->cv);
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
    pthread_cond_destroy(&s->cv);
    pthread_mutex_destroy(&s->mu);
    free(s);
    return rc == -USOCKET_EADDRINUSE ? -EADDRINUSE : -ENOMEM;
  }
  pthread_setname_np(thread, s->name);
  pthread_detach(thread);
  return 0;
}
