/*
 * main() of a board program (board.h): parses the board options, boots the
 * board on its wire (a TAP, or a capture replayed into it: --pcap), runs
 * the user's board_main() on a board thread of its own, and stops the board
 * when board_main() returns (or the replay ends), on SIGINT/SIGTERM or after
 * --exit-after. Part of libboardnet-<board>.
 */
#define _GNU_SOURCE
#include "board.h"
#include "board_options.h"
#include "bn_board.h"
#include "bn_clock.h"
#include "bn_stack.h"
#include "cli_error.h"
#include "privileges.h"
#include "replay_session.h"

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
  "Usage: PROGRAM --tap NAME [board options] [program options] [-- ARGS...]\n"
  "       PROGRAM --pcap CAPTURE [replay options] [board options] [-- ARGS...]\n"
  "\n"
  "A board program: its board_main() runs as the firmware of a board of this\n"
  "library's profile, with ARGS, on TAP interface NAME, or on a capture whose\n"
  "peers' side is replayed into it (as 'boardnet replay CAPTURE' replays it\n"
  "into a bundled app: no TAP, no privileges; the report compares the board's\n"
  "answers with the captured board's). A --scenario applies on either wire.\n"
  "\n"
  "On a TAP the program stops when board_main() returns (its return value is\n"
  "the exit status), on SIGINT/SIGTERM (128 + the signal), after --exit-after\n"
  "or a scenario's 'end' (0). On a capture the peers' frames wait until\n"
  "board_main() waits for the network (or calls board_ready()); the board stops\n"
  "when the replay has ended, board_wait_stop() telling the program: exit\n"
  "status board_main()'s return value if not 0, else 0 the board answered as\n"
  "the captured one, 3 it diverged, 1 the replay was cut short, 128 + the\n"
  "signal after one. Bad options: 2; a board that cannot start: 1.\n"
  "\n"
  "Program options:\n"
  "  --pcap CAPTURE       the wire is CAPTURE (pcap or pcapng), replayed\n"
  "  --user NAME          once the TAP is open, run as user NAME instead of sudo's\n"
  "                       invoking user (SUDO_UID); as root without either, stay root\n"
  "  --exit-after SEC     stop by itself after SEC seconds\n"
  "  -q, --quiet          print errors only (a replay: its result line)\n"
  "  -h, --help           print this help\n"
  "\n";

static const char usage_board[] =
  "\n"
  "The board (on a capture, the default is the captured board's address and\n"
  "MAC, and DHCP if the capture holds its lease):\n";

static const char usage_tail[] =
  "\n"
  "Examples:\n"
  "  sudo ./prog --tap bn0 --ip 192.0.2.2/24 --gw 192.0.2.1 --record run.pcap -- ARGS\n"
  "  ./prog --pcap run.pcap -- ARGS                  # the same session, replayed\n"
  "  ./prog --pcap run.pcap --scenario wifi-weak.scn --report out.json -- ARGS\n";

struct program {
  bn_board_options board;
  const char *user;
  unsigned exit_after_s;
  bool quiet;
  const char *replay_option;  /* a replay option given (it needs --pcap) */
};

/* --pcap: the replay (static: its results are large). */
static bn_replay_session replay;

enum { OPT_USER = 256, OPT_EXIT_AFTER, OPT_PCAP };

static const struct option own_options[] = {
  { "pcap", required_argument, NULL, OPT_PCAP },
  { "user", required_argument, NULL, OPT_USER },
  { "exit-after", required_argument, NULL, OPT_EXIT_AFTER },
  { "quiet", no_argument, NULL, 'q' },
  { "help", no_argument, NULL, 'h' },
};

static int parse_own(void *ctx, int c, const char *arg)
{
  struct program *p = ctx;
  uint64_t v;
  int rc = bn_replay_session_parse(&replay, c, arg);
  if (rc >= 0) {
    for (size_t i = 0; i < bn_replay_options_count; i++) {
      p->replay_option = bn_replay_options[i].val == c ? bn_replay_options[i].name : p->replay_option;
    }
    return rc;
  }
  switch (c) {
  case OPT_PCAP:
    replay.read.path = arg;
    return 0;
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
    replay.quiet = true;
    return 0;
  case 'h':
    fputs(usage_head, stdout);
    fputs(bn_replay_options_help, stdout);
    bn_board_options_usage(stdout, usage_board, usage_tail);
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
static bool ready;          /* atomic: board_ready() was called */

struct main_args {
  int argc;
  char **argv;
};

static void *board_thread(void *arg)
{
  struct main_args *a = arg;
  bn_clock_watch_waits(); /* a replay starts once the program waits */
  int status = board_main(a->argc, a->argv);
  pthread_mutex_lock(&stop_mu);
  returned = true;
  main_status = status;
  pthread_cond_broadcast(&stop_cv);
  pthread_mutex_unlock(&stop_mu);
  return NULL;
}

static bool main_returned(void)
{
  pthread_mutex_lock(&stop_mu);
  bool done = returned;
  pthread_mutex_unlock(&stop_mu);
  return done;
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

void board_ready(void)
{
  __atomic_store_n(&ready, true, __ATOMIC_RELEASE);
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

/* Whether board_main() is ready for a replay's peers: it called
 * board_ready(), returned, or has been in one wait since the last look
 * (*waits, *waiting: what that look saw). */
static bool program_ready(uint64_t *waits, bool *waiting)
{
  bool now_waiting;
  uint64_t now_waits = bn_clock_watched_waits(&now_waiting);
  bool same_wait = *waiting && now_waiting && now_waits == *waits;
  *waits = now_waits;
  *waiting = now_waiting;
  return same_wait || __atomic_load_n(&ready, __ATOMIC_ACQUIRE) || main_returned();
}

/* Why the board stops. */
enum end { END_RETURNED, END_REPLAYED, END_SIGNAL, END_LINK, END_EXIT_AFTER, END_SCENARIO };

/*
 * Waits for the end: board_main()'s return (on a TAP) or the replay's, a
 * stop signal (*sig), --exit-after, a scenario's end, the end of the TAP.
 * A replay's peer frames are released once the program is ready.
 */
static enum end wait_for_end(struct program *p, const sigset_t *signals, int *sig)
{
  uint64_t deadline = p->exit_after_s ? bn_clock_after_ms((long)p->exit_after_s * 1000) : 0;
  struct timespec step = { .tv_nsec = 20 * 1000 * 1000 };
  bool held = replay.planned, waiting = false;
  uint64_t waits = 0;
  for (;;) {
    if (held && program_ready(&waits, &waiting)) {
      bn_link_pcap_release(p->board.cfg.link);
      held = false;
    }
    if (replay.planned ? bn_replay_session_done(&replay) : main_returned()) {
      return replay.planned ? END_REPLAYED : END_RETURNED;
    }
    if ((*sig = sigtimedwait(signals, NULL, &step)) > 0) {
      return END_SIGNAL;
    }
    int err = bn_stack_link_error();
    if (err != 0 && replay.planned) {
      return END_REPLAYED; /* the capture's end */
    }
    if (err != 0) {
      bn_cli_error(0, "the wire ended: %s", err == -ENODEV ? "the TAP device was deleted" : strerror(-err));
      return END_LINK;
    }
    if (deadline != 0 && bn_clock_now_ns() >= deadline) {
      return END_EXIT_AFTER;
    }
    if (bn_scenario_run_ended(&p->board.scenario)) {
      return END_SCENARIO;
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

/* The exit status, once the board stopped (done: board_main() returned). */
static int exit_status(enum end end, int sig, bool done, int scenario_rc)
{
  const char *early = end == END_SIGNAL ? strsignal(sig) : end == END_EXIT_AFTER ? "--exit-after"
                      : end == END_SCENARIO ? "the scenario's end" : NULL;
  int verdict = replay.planned ? bn_replay_session_end(&replay, early) : BN_EXIT_OK;
  switch (end) {
  case END_SIGNAL:
    return 128 + sig;
  case END_LINK:
    return BN_EXIT_FAIL;
  case END_RETURNED:
    return main_status;
  default:
    if (done && main_status != 0) {
      return main_status;
    }
    return scenario_rc != 0 ? BN_EXIT_FAIL : verdict;
  }
}

/* Parses the options; 0, or the exit status (-1: help printed). */
static int parse_program(struct program *p, int argc, char **argv)
{
  const char *self = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
  bn_replay_session_init(&replay);
  struct option own[BN_OWN_OPTIONS_MAX];
  size_t n_own = sizeof(own_options) / sizeof(own_options[0]);
  memcpy(own, own_options, sizeof(own_options));
  memcpy(own + n_own, bn_replay_options, bn_replay_options_count * sizeof(own[0]));
  int rc = bn_board_options_parse_argv(&p->board, argc, argv, self, own, n_own + bn_replay_options_count,
                                       parse_own, p);
  if (rc != 0) {
    return rc;
  }
  if (replay.read.path == NULL && p->replay_option != NULL) {
    return bn_cli_error(BN_EXIT_USAGE, "--%s: a replay option, for --pcap CAPTURE (%s --help)", p->replay_option,
                        self);
  }
  if (replay.read.path == NULL && p->board.pipeline.tap == NULL) {
    return bn_cli_error(BN_EXIT_USAGE, "the wire: --tap NAME or --pcap CAPTURE (%s --help)", self);
  }
  if (replay.read.path != NULL && (rc = bn_replay_session_plan(&replay, &p->board)) != 0) {
    return rc;
  }
  return bn_board_options_finish(&p->board);
}

int main(int argc, char **argv)
{
  struct program p;
  memset(&p, 0, sizeof(p)); /* the board options: bn_board_options_parse_argv() initialises them */
  int rc = parse_program(&p, argc, argv);
  if (rc != 0) {
    bn_replay_session_free(&replay);
    return rc < 0 ? BN_EXIT_OK : rc;
  }
  const char *record = p.board.pipeline.record.path;
  FILE *out = record != NULL && strcmp(record, "-") == 0 ? stderr : stdout; /* a replay's report */
  if (replay.planned) {
    bn_replay_session_begin(&replay, &p.board, out);
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
    bn_replay_session_free(&replay);
    return rc;
  }
  rc = bn_stack_start(&p.board.cfg);
  if (rc < 0) {
    bn_link_close(p.board.cfg.link);
    bn_replay_session_free(&replay);
    return bn_cli_error(BN_EXIT_FAIL, "cannot start the board: %s",
                        rc != -ETIMEDOUT ? strerror(-rc) : replay.planned ? "no DHCP lease from the capture" : "no DHCP lease");
  }
  char ip[IP4ADDR_STRLEN_MAX] = "-";
  board_ip(ip, sizeof(ip));
  if (!p.quiet) {
    fprintf(stderr, "boardnet: board %s up on %s %s: ip %s\n", bn_board_name(), replay.planned ? "capture" : "tap",
            replay.planned ? replay.read.path : p.board.pipeline.tap, ip);
  }
  if (bn_scenario_run_start(&p.board.scenario, p.board.cfg.link, p.quiet ? NULL : stderr) != 0) {
    bn_stack_stop();
    bn_scenario_run_finish(&p.board.scenario);
    bn_replay_session_free(&replay);
    return BN_EXIT_FAIL;
  }

  /* board_main(argc, argv): the program's name, then the arguments the
   * board options left (after "--", or that are no option). */
  struct main_args args = { .argc = 1 + argc - optind, .argv = argv + optind - 1 };
  args.argv[0] = argv[0];
  pthread_t thread;
  if (pthread_create(&thread, NULL, board_thread, &args) != 0) {
    bn_stack_stop();
    bn_replay_session_free(&replay);
    return bn_cli_error(BN_EXIT_FAIL, "cannot start the board thread");
  }
  pthread_setname_np(thread, "board_main");
  int sig = 0;
  enum end end = wait_for_end(&p, &signals, &sig);
  bool done = end == END_RETURNED || stop_board_main();
  if (!done && !p.quiet) {
    bn_cli_error(0, "board_main() did not return within %d s: stopping the board under it", STOP_GRACE_MS / 1000);
  }
  if (done && end != END_SIGNAL && !replay.planned) {
    bn_stack_settle(STOP_GRACE_MS); /* a last response on its way (a FIN, a delayed frame) */
  }
  bn_scenario_run_stop(&p.board.scenario);
  bn_stack_stop(); /* a recording is flushed and closed; a replay's comparison is final */
  int scenario_rc = bn_scenario_run_finish(&p.board.scenario);
  if (done) {
    pthread_join(thread, NULL);
  }
  int status = exit_status(end, sig, done, scenario_rc);
  bn_replay_session_free(&replay);
  if (!p.quiet) {
    fprintf(stderr, "boardnet: board %s stopped, exit status %d\n", bn_board_name(), status);
  }
  fflush(NULL);
  _exit(status); /* a board_main() still blocked in a call is not waited for */
}
