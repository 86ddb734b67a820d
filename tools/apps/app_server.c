/*
 * The board apps' TCP server skeleton on usocket. What it does is what this
 * MicroPython board code does (which of its threads runs the loop is told
 * at struct server):
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

/* A thread that served a connection waits this long to accept the next
 * one before it ends (while another thread accepts). */
#define IDLE_MS 2000

/*
 * The server's threads take turns: one waits in accept(); when a connection
 * comes, it hands the accepting to an idle thread (or starts one, when none
 * is idle) and serves the connection itself, so a connection waits for one
 * thread's wake-up, not two, and a stream of short connections starts no
 * thread per connection. What each thread runs is the MicroPython loop
 * above; which thread runs it is the skeleton's business.
 */
struct server {
  usocket *listener;
  bn_app_handler handler;
  bool nodelay;
  char name[16];
  bn_mutex_t mu;
  bn_cond_t cv;        /* idle threads wait for their turn to accept */
  bool accepting;           /* a thread is in accept() (or about to be) */
  int idle;                 /* threads waiting for their turn */
  int threads;              /* the server's threads */
  bool closing;             /* the listener is gone: every thread ends */
};

static void *server_main(void *arg);

/* Starts one more thread of s (under s->mu); false if it cannot. */
static bool start_thread_locked(struct server *s)
{
  bn_thread_t thread;
  if (bn_thread_create(&thread, s->name, server_main, s) != 0) {
    return false;
  }
  bn_thread_detach(thread);
  s->threads++;
  return true;
}

/* Under s->mu: waits for this thread's turn to accept. false: it is to end
 * (the listener is gone, or another thread accepts and none came for it). */
static bool wait_for_turn_locked(struct server *s)
{
  uint64_t until = bn_clock_after_ms(IDLE_MS);
  s->idle++;
  while (s->accepting && !s->closing) {
    if (bn_cond_wait(&s->cv, &s->mu, until) == ETIMEDOUT) {
      break;
    }
  }
  s->idle--;
  if (s->closing || s->accepting) {
    return false;
  }
  s->accepting = true;
  return true;
}

static void *server_main(void *arg)
{
  struct server *s = arg;
  bn_mutex_lock(&s->mu);
  while (wait_for_turn_locked(s)) {
    bn_mutex_unlock(&s->mu);
    usocket *client;
    int rc = usocket_accept(s->listener, &client, NULL);
    bn_mutex_lock(&s->mu);
    s->accepting = false;
    if (rc == -USOCKET_EBADF || rc == -USOCKET_EINVAL) {
      s->closing = true; /* the listener is gone */
      bn_cond_broadcast(&s->cv);
      break;
    }
    if (rc != 0) {
      continue; /* ENOMEM, ECONNABORTED: one connection only */
    }
    /* The next accept is another thread's; this one serves. Without a
     * thread to take it, this one accepts again once it served. */
    if (s->idle > 0) {
      bn_cond_signal(&s->cv);
    } else {
      (void)start_thread_locked(s);
    }
    bn_mutex_unlock(&s->mu);
    if (s->nodelay) {
      int one = 1;
      (void)usocket_setsockopt(client, USOCKET_IPPROTO_TCP, USOCKET_TCP_NODELAY, &one, sizeof(one));
    }
    s->handler(client);
    usocket_free(client);
    bn_mutex_lock(&s->mu);
  }
  bool last = --s->threads == 0;
  bn_mutex_unlock(&s->mu);
  if (last) { /* only once closing: an accepting thread never ends otherwise */
    usocket_free(s->listener);
    bn_cond_destroy(&s->cv);
    bn_mutex_destroy(&s->mu);
    free(s);
  }
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
  bn_mutex_init(&s->mu);
  bn_cond_init(&s->cv);
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
  if (rc == 0) {
    bn_mutex_lock(&s->mu);
    if (!start_thread_locked(s)) {
      rc = -USOCKET_ENOMEM;
    }
    bn_mutex_unlock(&s->mu);
  }
  if (rc != 0) {
    usocket_free(s->listener);
    bn_cond_destroy(&s->cv);
    bn_mutex_destroy(&s->mu);
    free(s);
    return rc == -USOCKET_EADDRINUSE ? -EADDRINUSE : -ENOMEM;
  }
  return 0;
}
