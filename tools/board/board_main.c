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
#include "board_runner.h"
#include "bn_board.h"
#include "bn_clock.h"
#include "bn_stack.h"
#include "exit_status.h"
#include "privileges.h"
#include "replay_session.h"
#include "run_report.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* After "Usage: PROGRAM ..." (usage()). */
static const char usage_head[] =
  "\n"
  "A board program: its board_main() runs as the firmware of a board of that\n"
  "profile, with ARGS, on TAP interface NAME, or on CAPTURE, whose\n"
  "peers' side is replayed into it as 'boardnet replay' replays it (no TAP, no\n"
  "privileges; the report compares the board's answers with the captured\n"
  "board's). A scenario's time 0, and on a capture the peers' first frames,\n"
  "wait until board_main() waits for the network or calls board_ready().\n"
  "\n"
  "Exit status, on a TAP: board_main()'s return value; 128 + the signal after\n"
  "SIGINT or SIGTERM; 0 after --exit-after or a scenario's 'end'. On a capture\n"
  "the board stops when the replay ends (board_wait_stop() tells the program):\n"
  "board_main()'s return value if not 0, else 0 the board answered as the\n"
  "captured one did, 3 it diverged, 4 incomplete (frames for the board left\n"
  "out, or the replay cut short by --exit-after or a scenario's 'end');\n"
  "128 + the signal after one. On either: 1 the board could not start, 2 bad\n"
  "options.\n"
  "\n"
  "Program options:\n"
  "  --pcap CAPTURE       the wire is CAPTURE (pcap or pcapng), replayed\n"
  "  --user NAME          once the TAP is open, run as user NAME instead of\n"
  "                       sudo's invoking user (SUDO_UID); as root without\n"
  "                       either, stay root\n"
  "  --exit-after SEC     stop by itself after SEC seconds\n"
  "  -q, --quiet          print errors only (a replay: its result line)\n"
  "  -V, --version        print boardnet's version, the profile and lwIP's\n"
  "  -h, --help           print this help\n"
  "\n"
  "boardnet's messages go to stderr, the program's own output to stdout; with\n"
  "--record - the capture takes stdout, and the program's output goes to\n"
  "stderr with boardnet's.\n"
  "\n";

static const char usage_board[] =
  "\n"
  "The board (on a capture, the default is the captured board's address and\n"
  "MAC, and DHCP if the capture holds its lease):\n";

static const char usage_tail[] =
  "\n"
  "Examples:\n"
  "  sudo ./prog --tap bn0 --ip 192.0.2.2/24 --record run.pcap -- ARGS\n"
  "  ./prog --pcap run.pcap -- ARGS            # the same session, replayed\n"
  "  ./prog --pcap run.pcap --scenario wifi-weak.scn --report out.json -- ARGS\n";

struct program {
  bn_board_options board;
  const char *user;
  unsigned exit_after_s;
  bool quiet;
  const char *replay_option;  /* a replay option given (it needs --pcap) */
  const char *self;           /* the program's name, for messages and --help */
};

/* --pcap: the replay (static: its results are large). */
static bn_replay_session replay;

enum { OPT_USER = 256, OPT_EXIT_AFTER, OPT_PCAP };

static const struct option own_options[] = {
  { "pcap", required_argument, NULL, OPT_PCAP },
  { "user", required_argument, NULL, OPT_USER },
  { "exit-after", required_argument, NULL, OPT_EXIT_AFTER },
  { "quiet", no_argument, NULL, 'q' },
  { "version", no_argument, NULL, 'V' },
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
    if (bn_parse_number_option("--exit-after", arg, 1, 86400, &v) != 0) {
      return BN_EXIT_USAGE;
    }
    p->exit_after_s = (unsigned)v;
    return 0;
  case 'q':
    p->quiet = true;
    replay.quiet = true;
    return 0;
  case 'V':
    printf("%s: boardnet %s (board %s, lwIP %s)\n", p->self, BN_VERSION, bn_board_name(), bn_board_lwip_version());
    return -1;
  case 'h':
    printf("Usage: %s --tap NAME [options] [-- ARGS...]\n"
           "       %s --pcap CAPTURE [options] [-- ARGS...]\n"
           "\n"
           "Board profile: %s (its lwIP options: boardnet --board %s info)\n",
           p->self, p->self, bn_board_name(), bn_board_name());
    fputs(usage_head, stdout);
    fputs(bn_replay_options_help, stdout);
    bn_board_options_usage(stdout, usage_board, usage_tail);
    return -1;
  default:
    return bn_fail(BN_EXIT_USAGE, "unknown option (--help lists them)");
  }
}

/* The exit status, once the board stopped. */
static int exit_status(const bn_runner *r, bn_run_end end)
{
  int verdict = replay.planned ? bn_replay_session_end(&replay, bn_runner_cut_short(r, end)) : BN_EXIT_OK;
  switch (end) {
  case BN_END_SIGNAL:
    return 128 + r->sig;
  case BN_END_LINK:
    bn_fail(0, "the wire ended: %s",
                 r->link_error == -ENODEV ? "the TAP device was deleted" : strerror(-r->link_error));
    return BN_EXIT_FAIL;
  case BN_END_FAILED:
    return BN_EXIT_FAIL;
  case BN_END_RETURNED:
    return r->status;
  default:
    if (r->returned && r->status != 0) {
      return r->status;
    }
    return r->scenario_rc != 0 ? BN_EXIT_FAIL : verdict;
  }
}

/* Parses the options; 0, or the exit status (-1: help printed). */
static int parse_program(struct program *p, int argc, char **argv)
{
  const char *self = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
  p->self = self;
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
    return bn_fail(BN_EXIT_USAGE, "--%s: a replay option, for --pcap CAPTURE (%s --help)", p->replay_option,
                        self);
  }
  if (replay.read.path == NULL && p->board.pipeline.tap == NULL) {
    return bn_fail(BN_EXIT_USAGE, "the wire: --tap NAME or --pcap CAPTURE (%s --help)", self);
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
  bool record_stdout = record != NULL && strcmp(record, "-") == 0;
  bn_report_set_stream(stderr); /* the program's stdout is its own */
  if (replay.planned && (rc = bn_replay_session_begin(&replay, &p.board, record_stdout ? stderr : stdout)) != 0) {
    bn_replay_session_free(&replay); /* stdout or stderr: the report: its result */
    return rc;
  }
  bn_runner r = { .board = &p.board, .replay = replay.planned ? &replay : NULL, .user = p.user,
                  .exit_after_s = p.exit_after_s, .quiet = p.quiet, .out = stderr };
  if (!p.quiet) {
    bn_report_seed(&p.board);
  }
  if ((rc = bn_runner_boot(&r)) != 0) {
    bn_replay_session_free(&replay);
    return rc;
  }
  if (record_stdout) {
    /* The recording holds its own copy of stdout: the program's printf()s
     * go to stderr from now on, never into the capture. */
    fflush(stdout);
    dup2(STDERR_FILENO, STDOUT_FILENO);
  }
  const char *wire = replay.planned ? replay.capture : p.board.pipeline.tap;
  if (!p.quiet) {
    bn_report_status(replay.planned ? "capture" : "tap", wire);
    if (!replay.planned) {
      bn_report_link_changes(wire);
    }
  }
  /* board_main(argc, argv): the program's name, then the arguments the
   * board options left (after "--", or that are no option). */
  argv[optind - 1] = argv[0];
  bn_run_end end = bn_runner_run(&r, board_main, 1 + argc - optind, argv + optind - 1);
  int status = exit_status(&r, end);
  bn_artifact_end(&p.board.artifact, &p.board, replay.report, status);
  bn_replay_session_free(&replay);
  if (!p.quiet) {
    bn_report_summary(bn_runner_end_reason(&r, end), (double)(bn_clock_now_ns() - r.started_ns) / 1e9, &r.last,
                      record != NULL ? &p.board.record_stats : NULL, record);
    fprintf(stderr, "boardnet: board %s stopped, exit status %d\n", bn_board_name(), status);
  }
  bn_clock_options_report(&p.board.clock, stderr);
  fflush(NULL);
  _exit(status); /* a board_main() still blocked in a call is not waited for */
}
