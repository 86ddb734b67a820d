/*
 * boardnet replay: plays the peers' side of a capture into a live board
 * (the capture is the board's wire: no TAP, no root), rewritten so that the
 * live stack accepts it, paced as asked, and reports how the live board's
 * answers compare with the captured board's.
 */
#define _GNU_SOURCE
#include "cli.h"
#include "app_options.h"
#include "board.h"
#include "board_options.h"
#include "board_runner.h"
#include "bn_board.h"
#include "bn_clock.h"
#include "replay_session.h"
#include "run_report.h"
#include "board_apps.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static const char replay_usage_head[] =
  "Usage: boardnet [--board NAME] replay CAPTURE [OPTIONS]\n"
  "\n"
  "Replays the peers' side of CAPTURE (pcap or pcapng: Ethernet, Linux cooked\n"
  "v1/v2 as from tcpdump -i any, raw IPv4, loopback) into a live board, and\n"
  "reports how the live board's answers compare with the captured board's.\n"
  "The capture is the board's wire: no TAP and no privileges are needed.\n"
  "Frames from the captured board are what is expected, not injected;\n"
  "everything to it (and the broadcasts it would receive) is injected, its\n"
  "address and MAC rewritten to the live board's, checksums recomputed. TCP\n"
  "connections are followed one by one: the peers' ACK numbers and SACK\n"
  "blocks shift from the captured board's initial sequence numbers to the\n"
  "live board's (never beyond what it sent), and connections the board\n"
  "opened are replayed when the live board opens them (its program: --app).\n"
  "A DHCP exchange in the capture gives the live board its lease: without\n"
  "--ip, the live board uses DHCP as the captured one did.\n"
  "\n";

static const char replay_usage_board[] =
  "\n"
  "The board (as boardnet run; default: the captured board's address and MAC,\n"
  "on a subnet holding every peer of the capture):\n";

static const char replay_usage_tail[] =
  "\n"
  "Apps (the live board's program; repeatable):\n"
  "  --app mirror         re-enact the captured board's side of every TCP\n"
  "                       connection: accept those the peers opened, open\n"
  "                       those it opened, send the bytes it sent as it sent\n"
  "                       them, close where it closed: a capture of any\n"
  "                       board replays on both layers\n"
  "  --app NAME           run app NAME: echo (port 7), discard (9),\n"
  "                       chargen (19), http (80)\n"
  "  --port N             port of the last --app NAME given instead of its\n"
  "                       default\n"
  "\n"
  "Other:\n"
  "  -q, --quiet          print the result line only\n"
  "  -h, --help           print this help\n"
  "\n"
  "Exit status (the report's first lines say which, and why):\n"
  "  0  same: every frame of the capture for the board was replayed and\n"
  "     compared, and the live board did what the captured board did\n"
  "  3  diverged: it did something else (the report says where first)\n"
  "  4  incomplete: it did the same in what was compared, but not\n"
  "     everything was: frames to or from the board left out (IPv4\n"
  "     fragments, frames cut by the snaplen, IPv6 ...), streams the\n"
  "     capture does not hold whole, or the replay was stopped early (a\n"
  "     signal: the report covers what was replayed)\n"
  "  1  the replay could not run (a capture it cannot read, a board that\n"
  "     cannot start, a report it cannot write)\n"
  "  2  bad usage\n"
  "\n"
  "Examples:\n"
  "  boardnet run --tap bn0 --app http --record field.pcap     # capture a session\n"
  "  boardnet replay field.pcap --app http                     # replay it offline\n"
  "  boardnet --board rp2-pico-w replay field.pcap --app http  # on another profile\n"
  "  boardnet replay gw.pcap --board-ip 192.0.2.7 --pace x10 --report out.json\n"
  "  boardnet --board rp2-pico-w replay field.pcap --app mirror  # any board's capture\n";

struct replay_options {
  bn_board_options board;
  bn_replay_session replay;
  bn_app_options apps;
};

enum { OPT_APP = 256, OPT_PORT };

static const struct option replay_own_options[] = {
  { "app", required_argument, NULL, OPT_APP },
  { "port", required_argument, NULL, OPT_PORT },
  { "quiet", no_argument, NULL, 'q' },
  { "help", no_argument, NULL, 'h' },
};
#define REPLAY_OWN (sizeof(replay_own_options) / sizeof(replay_own_options[0]))

/* One option of replay's own; 0, or an exit code (-1: help printed). */
static int parse_own(void *ctx, int c, const char *arg)
{
  struct replay_options *o = ctx;
  int rc = bn_replay_session_parse(&o->replay, c, arg);
  if (rc >= 0) {
    return rc;
  }
  switch (c) {
  case OPT_APP:
    return bn_app_options_add(&o->apps, arg);
  case OPT_PORT:
    return bn_app_options_port(&o->apps, arg);
  case 'q':
    o->replay.quiet = true;
    return 0;
  case 'h':
    fputs(replay_usage_head, stdout);
    fputs(bn_replay_options_help, stdout);
    bn_board_options_usage(stdout, replay_usage_board, replay_usage_tail);
    return -1;
  default:
    return bn_fail(BN_EXIT_USAGE, "replay: unknown option (boardnet replay --help)");
  }
}

static int parse_replay_options(int argc, char **argv, struct replay_options *o)
{
  bn_replay_session_init(&o->replay);
  o->apps.on_replay = true;
  struct option own[REPLAY_OWN + BN_OWN_OPTIONS_MAX];
  memcpy(own, replay_own_options, sizeof(replay_own_options));
  memcpy(own + REPLAY_OWN, bn_replay_options, bn_replay_options_count * sizeof(own[0]));
  int rc = bn_board_options_parse_argv(&o->board, argc, argv, "boardnet replay", own,
                                       REPLAY_OWN + bn_replay_options_count, parse_own, o);
  if (rc != 0) {
    return rc;
  }
  if (optind >= argc) {
    return bn_fail(BN_EXIT_USAGE, "replay: which capture? (boardnet replay --help)");
  }
  if (optind + 1 < argc) {
    return bn_fail(BN_EXIT_USAGE, "replay: unexpected argument '%s'", argv[optind + 1]);
  }
  o->replay.read.path = argv[optind];
  return 0;
}

/* The live board's program: the --app servers and the mirror. */
static struct replay_options *rep;

static int replay_apps(int argc, char **argv)
{
  (void)argc;
  (void)argv;
  bn_app_env env = { .plan = &rep->replay.plan, .live = &rep->replay.live };
  if (bn_app_options_start(&rep->apps, &env, NULL) != 0) {
    bn_app_options_stop(&rep->apps);
    return BN_EXIT_FAIL;
  }
  board_ready(); /* the apps listen: the replay may start */
  board_wait_stop(-1);
  bn_app_options_stop(&rep->apps); /* before the stack stops: the mirror's sockets */
  return BN_EXIT_OK;
}

int bn_cmd_replay(int argc, char **argv)
{
  static struct replay_options o; /* the replay's results are large */
  int rc = parse_replay_options(argc, argv, &o);
  if (rc != 0) {
    return rc < 0 ? BN_EXIT_OK : rc;
  }
  bn_replay_session *replay = &o.replay;
  if ((rc = bn_replay_session_plan(replay, &o.board)) != 0 || (rc = bn_board_options_finish(&o.board)) != 0) {
    bn_replay_session_free(replay);
    return rc;
  }
  replay->pcap.busy = bn_app_options_busy; /* a pass ends once the mirror has closed where the capture did */
  replay->pcap.busy_arg = &o.apps;
  bn_report_set_stream(o.board.pipeline.record.path && strcmp(o.board.pipeline.record.path, "-") == 0 ? stderr : stdout);
  if ((rc = bn_replay_session_begin(replay, &o.board, bn_report_stream())) != 0) {
    bn_replay_session_free(replay);
    return rc;
  }
  bn_runner r = { .board = &o.board, .replay = replay, .quiet = replay->quiet, .out = bn_report_stream() };
  if ((rc = bn_runner_boot(&r)) != 0) {
    bn_replay_session_free(replay);
    return rc;
  }
  rep = &o;
  static char *no_args[] = { "boardnet replay", NULL };
  bn_run_end end = bn_runner_run(&r, replay_apps, 1, no_args);
  if (end == BN_END_FAILED || end == BN_END_RETURNED) {
    bn_artifact_end(&o.board.artifact, &o.board, replay->report, BN_EXIT_FAIL);
    bn_replay_session_free(replay);
    return BN_EXIT_FAIL; /* the scenario, an app or the mirror could not start: said why */
  }
  rc = bn_replay_session_end(replay, bn_runner_cut_short(&r, end));
  if (r.scenario_rc != 0) {
    rc = BN_EXIT_FAIL;
  }
  bn_artifact_end(&o.board.artifact, &o.board, replay->report, rc);
  bn_replay_session_free(replay);
  bn_clock_options_report(&o.board.clock, stderr);
  return rc;
}
