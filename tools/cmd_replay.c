/*
 * boardnet replay: plays the peers' side of a capture into a live board
 * (the capture is the board's wire: no TAP, no root), rewritten so that the
 * live stack accepts it, paced as asked, and reports how the live board's
 * answers compare with the captured board's.
 */
#define _GNU_SOURCE
#include "cli.h"
#include "app_options.h"
#include "board_options.h"
#include "bn_board.h"
#include "bn_clock.h"
#include "bn_config.h"
#include "replay_frame.h"
#include "replay_mirror.h"
#include "replay_report.h"
#include "run_report.h"
#include "apps/board_apps.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define EXIT_DIVERGED 3
/* How long one of the mirror's receives or sends may wait. */
#define MIRROR_IO_TIMEOUT_MS 30000

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
  "\n"
  "Replay:\n"
  "  --board-ip A.B.C.D   the captured board's address (default: detected,\n"
  "                       and the reason printed)\n"
  "  --pace MODE          reactive (default): each peer frame once the live\n"
  "                       board has sent what the capture shows it sent\n"
  "                       before it, or after its captured gap when the\n"
  "                       board went quiet without it; recorded: at the\n"
  "                       capture's times; xN: N times as fast (x0.5: half);\n"
  "                       top: as fast as the board takes them. Only\n"
  "                       reactive waits for the board: the others can\n"
  "                       outrun its own timers (lwIP checks a DHCP address\n"
  "                       for a second before it uses it)\n"
  "  --step-timeout SEC   the longest a peer frame waits for the board\n"
  "                       (default 2; fractions allowed)\n"
  "  --filter EXPR        replay only the frames matching the libpcap filter\n"
  "  --start-at SEC       skip the capture's first SEC seconds\n"
  "  --limit N            read only the capture's first N frames\n"
  "  --loop N             replay the capture N times into the same board;\n"
  "                       each pass after the first is new connections (the\n"
  "                       peers' ports of those they open move on by one)\n"
  "  --report FILE        also write the report as JSON to FILE\n"
  "  --progress           show progress even when stderr is no terminal\n"
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
  "Exit status: 0 the live board did what the captured board did, 3 it\n"
  "diverged (the report says where first), 1 the replay could not run (a\n"
  "capture it cannot read, a board that cannot start) or was stopped early\n"
  "(a signal; the report covers what was replayed), 2 bad usage.\n"
  "\n"
  "Examples:\n"
  "  boardnet run --tap bn0 --app http --record field.pcap     # capture a session\n"
  "  boardnet replay field.pcap --app http                     # replay it offline\n"
  "  boardnet --board rp2-pico-w replay field.pcap --app http  # on another profile\n"
  "  boardnet replay gw.pcap --board-ip 192.0.2.7 --pace x10 --report out.json\n"
  "  boardnet --board rp2-pico-w replay field.pcap --app mirror  # any board's capture\n";

struct replay_options {
  bn_board_options board;
  rp_plan_options read;
  const char *capture;
  const char *report;
  const char *pace_text;
  bn_pace pace;
  double speed;
  uint64_t step_timeout_ns;
  unsigned loops;
  bool quiet, progress;
  bool dhcp_from_capture;    /* --dhcp by default: the capture holds the board's lease */
  bool mirror;               /* --app mirror */
  bn_app_options apps;
};

enum { OPT_BOARD_IP = 256, OPT_PACE, OPT_STEP_TIMEOUT, OPT_FILTER, OPT_START_AT, OPT_LIMIT, OPT_LOOP, OPT_REPORT,
       OPT_PROGRESS, OPT_APP, OPT_PORT };

static const struct option replay_own_options[] = {
  { "board-ip", required_argument, NULL, OPT_BOARD_IP },
  { "pace", required_argument, NULL, OPT_PACE },
  { "step-timeout", required_argument, NULL, OPT_STEP_TIMEOUT },
  { "filter", required_argument, NULL, OPT_FILTER },
  { "start-at", required_argument, NULL, OPT_START_AT },
  { "limit", required_argument, NULL, OPT_LIMIT },
  { "loop", required_argument, NULL, OPT_LOOP },
  { "report", required_argument, NULL, OPT_REPORT },
  { "progress", no_argument, NULL, OPT_PROGRESS },
  { "app", required_argument, NULL, OPT_APP },
  { "port", required_argument, NULL, OPT_PORT },
  { "quiet", no_argument, NULL, 'q' },
  { "help", no_argument, NULL, 'h' },
};
#define REPLAY_OWN (sizeof(replay_own_options) / sizeof(replay_own_options[0]))

/* Seconds as a decimal fraction ("2", "0.5") into nanoseconds. */
static int parse_seconds(const char *opt, const char *text, uint64_t max_s, uint64_t *ns)
{
  char *end;
  errno = 0;
  double v = strtod(text, &end);
  if (errno != 0 || end == text || *end != '\0' || !(v >= 0) || v > (double)max_s) {
    return bn_cli_error(BN_EXIT_USAGE, "%s: '%s' is not a number of seconds (0..%llu)", opt, text,
                        (unsigned long long)max_s);
  }
  *ns = (uint64_t)(v * 1e9);
  return 0;
}

static int parse_pace(struct replay_options *o, const char *text)
{
  o->pace_text = text;
  if (strcmp(text, "reactive") == 0) {
    o->pace = BN_PACE_REACTIVE;
  } else if (strcmp(text, "recorded") == 0) {
    o->pace = BN_PACE_RECORDED;
    o->speed = 1;
  } else if (strcmp(text, "top") == 0) {
    o->pace = BN_PACE_TOP;
  } else if (text[0] == 'x') {
    char *end;
    errno = 0;
    double v = strtod(text + 1, &end);
    if (errno != 0 || end == text + 1 || *end != '\0' || !(v > 0) || v > 1e6) {
      return bn_cli_error(BN_EXIT_USAGE, "--pace: '%s' is not a speed (x0.5, x2, x10 ...)", text);
    }
    o->pace = BN_PACE_RECORDED;
    o->speed = v;
  } else {
    return bn_cli_error(BN_EXIT_USAGE, "--pace: '%s' is none of reactive, recorded, xN, top", text);
  }
  return 0;
}

/* One option of replay's own; 0, or an exit code (-1: help printed). */
static int parse_own(void *ctx, int c, const char *arg)
{
  struct replay_options *o = ctx;
  char err[BN_CONFIG_ERRLEN];
  switch (c) {
  case OPT_BOARD_IP: {
    ip4_addr_t ip;
    if (bn_config_parse_ip4(arg, &ip, err) < 0) {
      return bn_cli_error(BN_EXIT_USAGE, "--board-ip: %s", err);
    }
    o->read.board_ip = lwip_ntohl(ip4_addr_get_u32(&ip));
    return 0;
  }
  case OPT_PACE:
    return parse_pace(o, arg);
  case OPT_STEP_TIMEOUT:
    if (parse_seconds("--step-timeout", arg, 3600, &o->step_timeout_ns) != 0) {
      return BN_EXIT_USAGE;
    }
    if (o->step_timeout_ns == 0) {
      return bn_cli_error(BN_EXIT_USAGE, "--step-timeout: must be more than 0");
    }
    return 0;
  case OPT_FILTER:
    o->read.filter = arg;
    return 0;
  case OPT_START_AT:
    return parse_seconds("--start-at", arg, 86400 * 365, &o->read.start_at_ns) != 0 ? BN_EXIT_USAGE : 0;
  case OPT_LIMIT:
    return bn_cli_parse_number("--limit", arg, 1, UINT64_MAX, &o->read.limit);
  case OPT_LOOP: {
    uint64_t n;
    int rc = bn_cli_parse_number("--loop", arg, 1, 1000000, &n);
    o->loops = (unsigned)n;
    return rc;
  }
  case OPT_REPORT:
    o->report = arg;
    return 0;
  case OPT_PROGRESS:
    o->progress = true;
    return 0;
  case OPT_APP:
    if (strcmp(arg, "mirror") == 0) {
      o->mirror = true;
      o->apps.port_taken = true; /* --port cannot follow it */
      return 0;
    }
    return bn_app_options_add(&o->apps, arg, "mirror, ");
  case OPT_PORT:
    return bn_app_options_port(&o->apps, arg);
  case 'q':
    o->quiet = true;
    return 0;
  case 'h':
    bn_board_options_usage(stdout, replay_usage_head, replay_usage_tail);
    return -1;
  default:
    return bn_cli_error(BN_EXIT_USAGE, "replay: unknown option (boardnet replay --help)");
  }
}

static int parse_replay_options(int argc, char **argv, struct replay_options *o)
{
  o->pace = BN_PACE_REACTIVE;
  o->pace_text = "reactive";
  int rc = bn_board_options_parse_argv(&o->board, argc, argv, "boardnet replay", replay_own_options, REPLAY_OWN, parse_own, o);
  if (rc != 0) {
    return rc;
  }
  if (optind >= argc) {
    return bn_cli_error(BN_EXIT_USAGE, "replay: which capture? (boardnet replay --help)");
  }
  if (optind + 1 < argc) {
    return bn_cli_error(BN_EXIT_USAGE, "replay: unexpected argument '%s'", argv[optind + 1]);
  }
  o->capture = argv[optind];
  o->read.path = o->capture;
  if (o->board.pipeline.tap != NULL) {
    return bn_cli_error(BN_EXIT_USAGE, "--tap: a replay's wire is its capture, not a TAP");
  }
  if (o->read.filter != NULL) {
    char err[BN_RECORD_ERRLEN];
    if (bn_link_record_check_filter(o->read.filter, err) < 0) {
      return bn_cli_error(BN_EXIT_USAGE, "--filter: %s", err);
    }
  }
  return 0;
}

/* The shortest prefix that holds the board and every peer of the capture
 * (so that the live board reaches them all on its link), 1..30. */
static int common_prefix(const rp_plan *plan)
{
  int prefix = 30;
  for (size_t i = 0; i < plan->nflows; i++) {
    uint32_t peer = plan->flows[i].peer_ip;
    if (peer == 0 || rp_ip_is_group(peer)) {
      continue;
    }
    uint32_t diff = peer ^ plan->board_ip;
    int same = diff ? __builtin_clz(diff) : 32;
    if (same < prefix) {
      prefix = same;
    }
  }
  return prefix < 1 ? 1 : prefix;
}

/* The board's address and MAC from the capture where none were given: the
 * lease the capture shows (DHCP, as the captured board did), else its
 * address. */
static int board_defaults(struct replay_options *o, const rp_plan *plan)
{
  bn_config *cfg = &o->board.cfg;
  if (!o->board.ip_given && !cfg->dhcp && ip4_addr_isany_val(cfg->gw) && plan->lease_known) {
    cfg->dhcp = true;
    o->dhcp_from_capture = true;
  }
  if (!o->board.ip_given && !cfg->dhcp) {
    char text[32], ip[16];
    rp_ip_text(plan->board_ip, ip, sizeof(ip));
    snprintf(text, sizeof(text), "%s/%d", ip, common_prefix(plan));
    static char default_ip[32];
    snprintf(default_ip, sizeof(default_ip), "%s", text);
    o->board.default_ip = default_ip;
  }
  if (!cfg->mac_set && plan->board_mac_known) {
    memcpy(cfg->mac, plan->board_mac, 6);
    cfg->mac_set = (plan->board_mac[0] & 1) == 0;
  }
  return 0;
}

static void show_progress(void *arg, uint64_t done, uint64_t total)
{
  const uint64_t *t0 = arg;
  double secs = (double)(bn_clock_now_ns() - *t0) / 1e9;
  double rate = secs > 0 ? (double)done / secs : 0;
  double eta = rate > 0 ? (double)(total - done) / rate : 0;
  fprintf(stderr, "\rboardnet: replay %llu/%llu peer frames (%.0f%%), %.0f frames/s, %.0f s to go   ",
          (unsigned long long)done, (unsigned long long)total, total ? 100.0 * (double)done / (double)total : 100.0,
          rate, eta);
  if (done == total) {
    fputc('\n', stderr);
  }
}

/* The passes of --loop so far: how many diverged, the first that did. */
struct passes {
  const rp_plan *plan;
  unsigned done, diverged, first;
};

static void pass_done(void *arg, const rp_live *live)
{
  struct passes *ps = arg;
  ps->done++;
  if (rp_report_diverged(ps->plan, live)) {
    ps->diverged++;
    ps->first = ps->first ? ps->first : ps->done;
  }
}


/* Waits until the replay ends or a stop signal; returns the signal's name or NULL. */
static const char *wait_for_end(const sigset_t *signals, const rp_live *live, bn_scenario_run *scn)
{
  struct timespec step = { .tv_nsec = 50 * 1000 * 1000 };
  while (!__atomic_load_n(&live->done, __ATOMIC_ACQUIRE)) {
    int sig = sigtimedwait(signals, NULL, &step);
    if (sig > 0) {
      return strsignal(sig);
    }
    if (bn_stack_link_error() != 0) {
      break;
    }
    if (bn_scenario_run_ended(scn)) {
      return "the scenario's end";
    }
  }
  return NULL;
}

int bn_cmd_replay(int argc, char **argv)
{
  struct replay_options o;
  memset(&o, 0, sizeof(o));
  int rc = parse_replay_options(argc, argv, &o);
  if (rc != 0) {
    return rc < 0 ? BN_EXIT_OK : rc;
  }
  rp_plan plan;
  char err[RP_ERRLEN];
  rc = rp_plan_build(&o.read, &plan, err);
  if (rc < 0) {
    return bn_cli_error(BN_EXIT_FAIL, "%s", err);
  }
  static rp_live live;
  struct passes passes = { .plan = &plan };
  bn_pcap_options pcap = { .plan = &plan, .read = &o.read, .live = &live, .pace = o.pace, .speed = o.speed,
                           .step_timeout_ns = o.step_timeout_ns, .hold = true, .loops = o.loops,
                           .pass_done = pass_done, .pass_arg = &passes };
  board_defaults(&o, &plan);
  o.board.pipeline.pcap = &pcap;
  rc = bn_board_options_finish(&o.board);
  if (rc != 0) {
    rp_plan_free(&plan);
    return rc;
  }
  FILE *out = stdout;
  bn_report_set_stream(o.board.pipeline.record.path && strcmp(o.board.pipeline.record.path, "-") == 0 ? stderr : stdout);
  out = bn_report_stream();
  pcap.live_ip = o.board.cfg.dhcp ? plan.board_ip : lwip_ntohl(ip4_addr_get_u32(&o.board.cfg.ip));
  if (o.board.cfg.mac_set) {
    memcpy(pcap.live_mac, o.board.cfg.mac, 6);
  } else {
    bn_config_default_mac("pcap", pcap.live_mac); /* the backend's name, as bn_stack_start() will */
  }
  uint64_t t0 = bn_clock_now_ns();
  if (o.progress || (!o.quiet && isatty(STDERR_FILENO))) {
    pcap.progress = show_progress;
    pcap.progress_arg = &t0;
  }
  if (!o.quiet) {
    fprintf(out, "boardnet: replaying %s: %zu peer frames in %zu flows; board %s%s\n", o.capture, plan.nsteps,
            plan.nflows, plan.board_reason,
            o.dhcp_from_capture ? "; the live board takes its lease from the capture (DHCP)" : "");
    fflush(out);
  }
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, NULL);
  signal(SIGPIPE, SIG_IGN);
  rc = bn_board_options_open(&o.board, NULL, NULL);
  if (rc != 0) {
    rp_live_free(&live);
    rp_plan_free(&plan);
    return rc;
  }
  rc = bn_stack_start(&o.board.cfg);
  if (rc < 0) {
    bn_link_close(o.board.cfg.link);
    rp_live_free(&live);
    rp_plan_free(&plan);
    return bn_cli_error(BN_EXIT_FAIL, rc == -ETIMEDOUT ? "no DHCP lease from the capture" : "cannot start the stack: %s",
                        strerror(-rc));
  }
  if (bn_app_options_start(&o.apps, 0, NULL) != 0) {
    bn_stack_stop();
    rp_live_free(&live);
    rp_plan_free(&plan);
    return BN_EXIT_FAIL;
  }
  if (o.mirror) {
    char merr[BN_MIRROR_ERRLEN];
    int n = bn_replay_mirror_start(&plan, &live, MIRROR_IO_TIMEOUT_MS, merr);
    if (n < 0) {
      bn_replay_mirror_stop();
      bn_stack_stop();
      rp_live_free(&live);
      rp_plan_free(&plan);
      return bn_cli_error(BN_EXIT_FAIL, "%s", merr);
    }
  }
  if (bn_scenario_run_start(&o.board.scenario, o.board.cfg.link, o.quiet ? NULL : out) != 0) {
    bn_replay_mirror_stop();
    bn_stack_stop();
    bn_scenario_run_finish(&o.board.scenario);
    rp_live_free(&live);
    rp_plan_free(&plan);
    return BN_EXIT_FAIL;
  }
  bn_link_pcap_release(o.board.cfg.link); /* the apps listen: the replay may start */
  const char *stopped = wait_for_end(&signals, &live, &o.board.scenario);
  bn_replay_mirror_stop();
  bn_scenario_run_stop(&o.board.scenario);
  bn_stack_stop(); /* closes the backend: the comparison is final */
  int scenario_rc = bn_scenario_run_finish(&o.board.scenario);
  if (stopped != NULL) {
    fprintf(stderr, "boardnet: replay stopped early (%s): the report covers what was replayed\n", stopped);
  }
  pass_done(&passes, &live); /* the last pass */
  rp_report_info info = { .capture = o.capture, .board = bn_board_name(), .pace = o.pace_text,
                          .live_ip = pcap.live_ip, .live_mac = pcap.live_mac, .passes = passes.done,
                          .passes_diverged = passes.diverged, .first_diverged_pass = passes.first };
  if (!o.quiet) {
    rp_report_text(out, &info, &plan, &live);
  }
  bool diverged = passes.diverged > 0;
  if (o.quiet) {
    fprintf(out, "boardnet: replay of %s: %s\n", o.capture, diverged ? "the live board diverged" : "no divergence");
  }
  rc = stopped != NULL || scenario_rc != 0 ? BN_EXIT_FAIL : diverged ? EXIT_DIVERGED : BN_EXIT_OK; /* cut short: no verdict */
  if (o.report != NULL) {
    int jrc = rp_report_json(o.report, &info, &plan, &live);
    if (jrc < 0) {
      rc = bn_cli_error(BN_EXIT_FAIL, "--report %s: %s", o.report, strerror(-jrc));
    }
  }
  rp_live_free(&live);
  rp_plan_free(&plan);
  return rc;
}
