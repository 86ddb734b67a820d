/*
 * main() of a board program (board.h): parses the board options, boots the
 * board on its wire, runs the user's board_main() on a board thread of its
 * own, and stops the board when board_main() returns, on SIGINT/SIGTERM or
 * after --exit-after. Part of libboardnet-<board>.
 */
#define _GNU_SOURCE
#include "board.h"
#include "board_options.h"
#include "bn_board.h"
#include "bn_clock.h"
#include "bn_stack.h"
#include "cli_error.h"
#include "privileges.h"

#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* How long board_main() may take to return once the board is told to stop. */
#define STOP_GRACE_MS 5000

static const char usage_head[] =
  "Usage: PROGRAM --tap NAME [board options] [--user NAME] [--exit-after SEC] [-- ARGS...]\n"
  "\n"
  "A board program: its board_main() runs as the firmware of a board of this\n"
  "library's profile on TAP interface NAME, with ARGS. It stops when board_main()\n"
  "returns (its return value is the exit status), or on SIGINT/SIGTERM (exit\n"
  "status 128 + the signal) or --exit-after (0).\n"
  "\n";

static const char usage_tail[] =
  "\n"
  "Program options:\n"
  "  --user NAME          once the TAP is open, run as user NAME instead of sudo's\n"
  "                       invoking user (SUDO_UID); as root without either, stay root\n"
  "  --exit-after SEC     stop by itself after SEC seconds\n"
  "  -q, --quiet          print errors only\n"
  "  -h, --help           print this help\n";

struct program {
  bn_board_options board;
  const char *user;
  unsigned exit_after_s;
  bool quiet;
};

enum { OPT_USER = 256, OPT_EXIT_AFTER };

static const struct option own_options[] = {
  { "user", required_argument, NULL, OPT_USER },
  { "exit-after", required_argument, NULL, OPT_EXIT_AFTER },
  { "quiet", no_argument, NULL, 'q' },
  { "help", no_argument, NULL, 'h' },
};

static int parse_own(void *ctx, int c, const char *arg)
{
  struct program *p = ctx;
  uint64_t v;
  switch (c) {
  case OPT_USER:
    p->user = arg;
    return bn_check_user(arg);
  case OPT_EXIT_AFTER:
    if (bn_cli_parse_number("--exit-after", arg, 1, 86400, &v) != 0) {
      return BN_EXIT_USAGE;
    }
    p->exit_after_s = (unsigned)v;
    return 0;
  case 'q':
    p->quiet = true;
    return 0;
  case 'h':
    bn_board_options_usage(stdout, usage_head, usage_tail);
    return -1;
  default:
    return bn_cli_error(BN_EXIT_USAGE, "unknown option (--help lists them)");
  }
}

/* ---- the board thread and the stop --------------------------------------- */

static pthread_mutex_t stop_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t stop_cv;
static bool stopping;       /* under stop_mu: the board is told to stop */
static bool returned;       /* under stop_mu: board_main() returned */
static int main_status;     /* board_main()'s return value, once returned */

struct main_args {
  int argc;
  char **argv;
};

static void *board_thread(void *arg)
{
  struct main_args *a = arg;
  int status = board_main(a->argc, a->argv);
  pthread_mutex_lock(&stop_mu);
  returned = true;
  main_status = status;
  pthread_cond_broadcast(&stop_cv);
  pthread_mutex_unlock(&stop_mu);
  return NULL;
}

int board_wait_stop(long timeout_ms)
{
  uint64_t until = timeout_ms < 0 ? BN_CLOCK_FOREVER : bn_clock_after_ms(timeout_ms);
  pthread_mutex_lock(&stop_mu);
  while (!stopping && bn_clock_cond_wait(&stop_cv, &stop_mu, until) != ETIMEDOUT) {
  }
  int stop = stopping;
  pthread_mutex_unlock(&stop_mu);
  return stop;
}

const char *board_name(void)
{
  return bn_board_name();
}

int board_ip(char *buf, size_t size)
{
  bn_stack_status st;
  if (buf == NULL || size < IP4ADDR_STRLEN_MAX || bn_stack_status_get(&st) < 0 || ip4_addr_isany_val(st.ip)) {
    return -1;
  }
  ip4addr_ntoa_r(&st.ip, buf, (int)size);
  return 0;
}

bool board_link_up(void)
{
  bn_stack_status st;
  return bn_stack_status_get(&st) == 0 && st.link_up;
}

/* Waits for board_main() to return, a stop signal, the deadline or the end
 * of the link. Returns the exit status (-1: board_main returned). */
static int wait_for_end(const sigset_t *signals, unsigned exit_after_s)
{
  uint64_t deadline = exit_after_s ? bn_clock_after_ms((long)exit_after_s * 1000) : 0;
  struct timespec step = { .tv_nsec = 100 * 1000 * 1000 };
  for (;;) {
    pthread_mutex_lock(&stop_mu);
    bool done = returned;
    pthread_mutex_unlock(&stop_mu);
    if (done) {
      return -1;
    }
    int sig = sigtimedwait(signals, NULL, &step);
    if (sig > 0) {
      return 128 + sig;
    }
    int err = bn_stack_link_error();
    if (err != 0) {
      bn_cli_error(0, "the wire ended: %s", err == -ENODEV ? "the TAP device was deleted" : strerror(-err));
      return BN_EXIT_FAIL;
    }
    if (deadline != 0 && bn_clock_now_ns() >= deadline) {
      return BN_EXIT_OK;
    }
  }
}

/* Tells board_main() to stop and gives it STOP_GRACE_MS to return. */
static bool stop_board_main(void)
{
  uint64_t until = bn_clock_after_ms(STOP_GRACE_MS);
  pthread_mutex_lock(&stop_mu);
  stopping = true;
  pthread_cond_broadcast(&stop_cv);
  while (!returned && bn_clock_cond_wait(&stop_cv, &stop_mu, until) != ETIMEDOUT) {
  }
  bool done = returned;
  pthread_mutex_unlock(&stop_mu);
  return done;
}

int main(int argc, char **argv)
{
  struct program p;
  memset(&p, 0, sizeof(p)); /* the board options: bn_board_options_parse_argv() initialises them */
  const char *self = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
  int rc = bn_board_options_parse_argv(&p.board, argc, argv, self, own_options,
                                       sizeof(own_options) / sizeof(own_options[0]), parse_own, &p);
  if (rc != 0) {
    return rc < 0 ? BN_EXIT_OK : rc;
  }
  if ((rc = bn_board_options_finish(&p.board)) != 0) {
    return rc;
  }
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, NULL); /* every thread inherits it */
  signal(SIGPIPE, SIG_IGN);
  bn_clock_cond_init(&stop_cv);

  if ((rc = bn_board_options_open(&p.board, bn_drop_privileges, (void *)p.user)) != 0) {
    return rc;
  }
  rc = bn_stack_start(&p.board.cfg);
  if (rc < 0) {
    bn_link_close(p.board.cfg.link);
    return bn_cli_error(BN_EXIT_FAIL, "cannot start the board: %s", rc == -ETIMEDOUT ? "no DHCP lease" : strerror(-rc));
  }
  char ip[IP4ADDR_STRLEN_MAX] = "-";
  board_ip(ip, sizeof(ip));
  if (!p.quiet) {
    fprintf(stderr, "boardnet: board %s up on tap %s: ip %s\n", bn_board_name(), p.board.pipeline.tap, ip);
  }
  if (bn_scenario_run_start(&p.board.scenario, p.board.cfg.link, p.quiet ? NULL : stderr) != 0) {
    bn_stack_stop();
    bn_scenario_run_finish(&p.board.scenario);
    return BN_EXIT_FAIL;
  }

  /* board_main(argc, argv): the program's name, then the arguments the
   * board options left (after "--", or that are no option). */
  struct main_args args = { .argc = 1 + argc - optind, .argv = argv + optind - 1 };
  args.argv[0] = argv[0];
  pthread_t thread;
  if (pthread_create(&thread, NULL, board_thread, &args) != 0) {
    bn_stack_stop();
    return bn_cli_error(BN_EXIT_FAIL, "cannot start the board thread");
  }
  pthread_setname_np(thread, "board_main");
  int status = wait_for_end(&signals, p.exit_after_s);
  bool done = status == -1 || stop_board_main();
  if (!done && !p.quiet) {
    bn_cli_error(0, "board_main() did not return within %d s: stopping the board under it", STOP_GRACE_MS / 1000);
  }
  bn_scenario_run_stop(&p.board.scenario);
  bn_stack_stop(); /* a recording is flushed and closed */
  bn_scenario_run_finish(&p.board.scenario);
  if (status == -1) {
    pthread_join(thread, NULL);
    status = main_status;
  }
  if (!p.quiet) {
    fprintf(stderr, "boardnet: board %s stopped, exit status %d\n", bn_board_name(), status);
  }
  fflush(NULL);
  _exit(status); /* a board_main() still blocked in a call is not waited for */
}
