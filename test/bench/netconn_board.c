/*
 * bench-netconn-board: the discard (port 9) and chargen (port 19) apps of
 * `boardnet run`, written on lwIP's raw netconn API instead of usocket, on
 * the same board (boardnet's stack, pipeline and options). The throughput
 * bench runs both to show what the usocket facade costs on a bulk transfer.
 *
 *   bench-netconn-board --tap NAME [board options] [--exit-after SEC]
 *
 * Prints "listening on port N" per app once up; stops on SIGINT/SIGTERM or
 * after SEC seconds (default 600). One connection per app at a time, as the
 * bench needs.
 */
#define _GNU_SOURCE
#include "board_options.h"
#include "bn_stack.h"
#include "board_apps.h"
#include "lwip/api.h"

#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CYCLE_BYTES (95 * 74)           /* one cycle of the chargen stream */
static uint8_t pattern[16 * CYCLE_BYTES];

/* discard: every pbuf received is freed at once. */
static void serve_discard(struct netconn *c)
{
  struct pbuf *p;
  while (netconn_recv_tcp_pbuf(c, &p) == ERR_OK) {
    pbuf_free(p);
  }
}

/* chargen: the pattern written (copied into lwIP's buffers) until an error. */
static void serve_chargen(struct netconn *c)
{
  while (netconn_write(c, pattern, sizeof(pattern), NETCONN_COPY) == ERR_OK) {
  }
}

struct app {
  u16_t port;
  void (*serve)(struct netconn *c);
};

static void *app_main(void *arg)
{
  const struct app *a = arg;
  struct netconn *l = netconn_new(NETCONN_TCP);
  if (l == NULL || netconn_bind(l, IP4_ADDR_ANY, a->port) != ERR_OK || netconn_listen(l) != ERR_OK) {
    fprintf(stderr, "bench-netconn-board: cannot listen on port %u\n", a->port);
    exit(1);
  }
  printf("bench-netconn-board: listening on port %u\n", a->port);
  fflush(stdout);
  for (;;) {
    struct netconn *c;
    if (netconn_accept(l, &c) != ERR_OK) {
      continue;
    }
    a->serve(c);
    netconn_close(c);
    netconn_delete(c);
  }
  return NULL;
}

enum { OPT_EXIT_AFTER = 256 };

static const struct option own_options[] = {
  { "exit-after", required_argument, NULL, OPT_EXIT_AFTER },
  { "help", no_argument, NULL, 'h' },
};

static int parse_own(void *ctx, int c, const char *arg)
{
  long *exit_after = ctx;
  if (c == 'h') {
    bn_board_options_usage(stdout, "Usage: bench-netconn-board --tap NAME [board options] [--exit-after SEC]\n\n",
                           "");
    return -1;
  }
  char *end;
  *exit_after = strtol(arg, &end, 10);
  if (c != OPT_EXIT_AFTER || *end != '\0' || *exit_after < 1) {
    fprintf(stderr, "bench-netconn-board: --exit-after needs seconds\n");
    return 2;
  }
  return 0;
}

int main(int argc, char **argv)
{
  bn_board_options o;
  long exit_after = 600;
  int rc = bn_board_options_parse_argv(&o, argc, argv, "bench-netconn-board", own_options,
                                       sizeof(own_options) / sizeof(own_options[0]), parse_own, &exit_after);
  if (rc != 0) {
    return rc < 0 ? 0 : rc;
  }
  if (bn_board_options_finish(&o) != 0) {
    return 2;
  }
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, NULL);
  bn_chargen_fill(pattern, sizeof(pattern), 0);
  if (bn_board_options_open(&o, NULL, NULL) != 0) {
    return 1;
  }
  rc = bn_stack_start(&o.cfg);
  if (rc < 0) {
    bn_link_close(o.cfg.link);
    fprintf(stderr, "bench-netconn-board: cannot start the stack: %s\n", strerror(-rc));
    return 1;
  }
  static const struct app apps[] = { { 9, serve_discard }, { 19, serve_chargen } };
  for (size_t i = 0; i < 2; i++) {
    pthread_t t;
    if (pthread_create(&t, NULL, app_main, (void *)&apps[i]) != 0) {
      return 1;
    }
    pthread_detach(t);
  }
  struct timespec limit = { .tv_sec = exit_after };
  sigtimedwait(&signals, NULL, &limit);
  printf("bench-netconn-board: stopped\n");
  fflush(stdout);
  /* The app threads block in lwIP's calls: end the process without
   * stopping the stack under them (the bench only needs the figures). */
  _exit(0);
}
