/*
 * boardnet run: boots the board on a TAP interface (static address or DHCP),
 * optionally recording its wire, runs the requested apps as the board's
 * program (on the runner every board program runs on, board_runner.h), and
 * serves until SIGINT/SIGTERM, --exit-after, a scenario's end or the TAP's
 * deletion, then stops cleanly and prints a one-line summary.
 */
#define _GNU_SOURCE
#include "cli.h"
#include "app_options.h"
#include "board_options.h"
#include "board.h"
#include "board_runner.h"
#include "privileges.h"
#include "bn_board.h"
#include "bn_clock.h"
#include "bn_config.h"
#include "run_report.h"
#include "board_apps.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_NAMES 4   /* --resolve */

static const char run_usage_head[] =
  "Usage: boardnet [--board NAME] run --tap NAME [OPTIONS]\n"
  "\n"
  "Boots the board on TAP interface NAME and runs until SIGINT or SIGTERM\n"
  "(Ctrl-C), then prints a summary. The TAP is attached if it exists (see\n"
  "'ip tuntap add'), created otherwise (needs CAP_NET_ADMIN). Started with\n"
  "sudo, boardnet drops back to the invoking user once the TAP is open (a\n"
  "recording then belongs to that user).\n"
  "\n";

static const char run_usage_tail[] =
  "\n"
  "Apps (repeatable; default: none):\n"
  "  --app NAME           run app NAME: echo (port 7), discard (9),\n"
  "                       chargen (19), http (80)\n"
  "  --port N             port of the last --app given instead of its default\n"
  "  --backlog N          listen backlog of the apps (1..255, default 5, as\n"
  "                       MicroPython's examples). Connections waiting for\n"
  "                       accept and half-open ones (SYN received, no ACK\n"
  "                       yet) both count: a backlog full of half-open\n"
  "                       connections refuses new ones until lwIP drops them\n"
  "                       (SYN_RCVD timeout, 20 s), as on a real board.\n"
  "                       Beyond the profile's TCP pcbs (MEMP_NUM_TCP_PCB in\n"
  "                       'boardnet info') lwIP drops new SYNs too.\n"
  "  --nodelay            the apps set TCP_NODELAY on every connection they\n"
  "                       accept (setsockopt(IPPROTO_TCP, TCP_NODELAY, 1)).\n"
  "                       Without it they keep lwIP's default, Nagle's\n"
  "                       algorithm, as MicroPython's sockets do: a reply of\n"
  "                       more than one segment holds its short last segment\n"
  "                       until the peer acknowledges the full ones.\n"
  "\n"
  "Other:\n"
  "  --resolve NAME       once up, look NAME up with the board's DNS resolver\n"
  "                       and print the answer (repeatable)\n"
  "  --user NAME          once the TAP is open, run as user NAME (a name or a\n"
  "                       uid; its primary group and its groups) instead of\n"
  "                       sudo's invoking user (SUDO_UID, SUDO_GID). Run as\n"
  "                       root without sudo or --user, the board stays root.\n"
  "  --exit-after SEC     stop by itself after SEC seconds\n"
  "  -q, --quiet          print errors only\n"
  "  -h, --help           print this help\n"
  "\n"
  "Exit status: 0 after a clean stop, 1 if the board could not start (TAP,\n"
  "DHCP, recording file) or its TAP was deleted while it ran, 2 on bad usage\n"
  "(an error in the --scenario file included).\n"
  "\n"
  "Examples (TAP bn0 addressed 192.0.2.1/24 on the kernel side):\n"
  "  boardnet run --tap bn0 --ip 192.0.2.2/24 --gw 192.0.2.1 --app http --app echo\n"
  "  boardnet run --tap bn0 --app http --record run.pcap --record-filter 'tcp port 80'\n"
  "  boardnet run --tap bn0 --app echo --record - | tshark -r -\n"
  "  boardnet run --tap bn0 --app http --scenario scenarios/wifi-weak.scn --stats 1s\n";

struct run_options {
  bn_board_options board;
  unsigned exit_after_s;
  bool quiet;
  bn_app_options apps;
  const char *names[MAX_NAMES];
  int name_count;
  int backlog;
  bool nodelay;
  const char *user;
};

enum { OPT_APP = 256, OPT_PORT, OPT_BACKLOG, OPT_NODELAY, OPT_EXIT_AFTER, OPT_RESOLVE, OPT_USER };

static const struct option run_own_options[] = {
  { "app", required_argument, NULL, OPT_APP },
  { "port", required_argument, NULL, OPT_PORT },
  { "backlog", required_argument, NULL, OPT_BACKLOG },
  { "nodelay", no_argument, NULL, OPT_NODELAY },
  { "exit-after", required_argument, NULL, OPT_EXIT_AFTER },
  { "resolve", required_argument, NULL, OPT_RESOLVE },
  { "user", required_argument, NULL, OPT_USER },
  { "quiet", no_argument, NULL, 'q' },
  { "help", no_argument, NULL, 'h' },
};
#define RUN_OWN (sizeof(run_own_options) / sizeof(run_own_options[0]))

/* Parses one option of run's own; 0, or an exit code (-1: help printed). */
static int parse_own(void *ctx, int c, const char *arg)
{
  struct run_options *o = ctx;
  uint64_t v;
  switch (c) {
  case OPT_APP:
    return bn_app_options_add(&o->apps, arg);
  case OPT_PORT:
    return bn_app_options_port(&o->apps, arg);
  case OPT_BACKLOG:
    if (bn_parse_number_option("--backlog", arg, 1, BN_APP_BACKLOG_MAX, &v) != 0) {
      return BN_EXIT_USAGE;
    }
    o->backlog = (int)v;
    return 0;
  case OPT_NODELAY:
    o->nodelay = true;
    return 0;
  case OPT_EXIT_AFTER:
    if (bn_parse_number_option("--exit-after", arg, 1, 86400, &v) != 0) {
      return BN_EXIT_USAGE;
    }
    o->exit_after_s = (unsigned)v;
    return 0;
  case OPT_RESOLVE:
    if (o->name_count == MAX_NAMES || arg[0] == '\0' || strlen(arg) > 253) {
      return bn_fail(BN_EXIT_USAGE, "--resolve: at most %d names of 1..253 characters", MAX_NAMES);
    }
    o->names[o->name_count++] = arg;
    return 0;
  case OPT_USER: {
    o->user = arg;
    return bn_check_user(arg); /* a bad name is a usage error now */
  }
  case 'q':
    o->quiet = true;
    return 0;
  case 'h':
    bn_board_options_usage(stdout, run_usage_head, run_usage_tail);
    return -1;
  default:
    return bn_fail(BN_EXIT_USAGE, "run: unknown option (boardnet run --help)");
  }
}

/* Parses argv into o; returns 0, or an exit code (-1 for "help printed"). */
static int parse_run_options(int argc, char **argv, struct run_options *o)
{
  int rc = bn_board_options_parse_argv(&o->board, argc, argv, "boardnet run", run_own_options, RUN_OWN, parse_own, o);
  if (rc != 0) {
    return rc;
  }
  if (optind < argc) {
    return bn_fail(BN_EXIT_USAGE, "run: unexpected argument '%s'", argv[optind]);
  }
  return bn_board_options_finish(&o->board);
}

/* The board's program: the --app servers, and the --resolve answers. */
static struct run_options *run;

static int run_apps(int argc, char **argv)
{
  (void)argc;
  (void)argv;
  FILE *out = run->quiet ? NULL : bn_report_stream();
  bn_app_env env = { .backlog = run->backlog, .nodelay = run->nodelay };
  if (bn_app_options_start(&run->apps, &env, out) != 0) {
    return BN_EXIT_FAIL;
  }
  board_ready(); /* the scenario's time 0: the apps listen */
  if (out != NULL) {
    bn_report_status("tap", run->board.pipeline.tap); /* the apps listen, the scenario runs */
    bn_report_link_changes(run->board.pipeline.tap);
  }
  bn_report_resolve(run->names, run->name_count);
  board_wait_stop(-1);
  return BN_EXIT_OK;
}

int bn_cmd_run(int argc, char **argv)
{
  static struct run_options o;
  int rc = parse_run_options(argc, argv, &o);
  if (rc != 0) {
    return rc < 0 ? BN_EXIT_OK : rc;
  }
  const char *tap = o.board.pipeline.tap;
  const char *record = o.board.pipeline.record.path;
  /* The recording on stdout: every message goes to stderr. */
  bn_report_set_stream(record != NULL && strcmp(record, "-") == 0 ? stderr : stdout);
  FILE *out = bn_report_stream();
  bn_runner r = { .board = &o.board, .user = o.user, .exit_after_s = o.exit_after_s, .quiet = o.quiet, .out = out };
  if (!o.quiet) {
    bn_report_seed(&o.board);
  }
  if (o.board.cfg.dhcp && !o.quiet) {
    fprintf(out, "boardnet: board %s on tap %s: waiting for a DHCP lease...\n", bn_board_name(), tap);
    fflush(out);
  }
  if ((rc = bn_runner_boot(&r)) != 0) {
    return rc;
  }
  run = &o;
  static char *no_args[] = { "boardnet run", NULL };
  bn_run_end end = bn_runner_run(&r, run_apps, 1, no_args);
  if (end == BN_END_FAILED || (end == BN_END_RETURNED && r.status != 0)) {
    return BN_EXIT_FAIL; /* the scenario or an app could not start: said why */
  }
  double secs = (double)(bn_clock_now_ns() - r.started_ns) / 1e9;
  bn_report_summary(end == BN_END_RETURNED ? "the apps ended" : bn_runner_end_reason(&r, end), secs, &r.last, record != NULL ? &o.board.record_stats : NULL, record);
  if (r.scenario_rc != 0) {
    return BN_EXIT_FAIL;
  }
  if (end == BN_END_LINK) {
    return bn_fail(BN_EXIT_FAIL, "tap %s: %s", tap,
                        r.link_error == -ENODEV ? "the TAP device was deleted" : strerror(-r.link_error));
  }
  return BN_EXIT_OK;
}
