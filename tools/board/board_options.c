/*
 * The board options table (board_options.h): each option's name, argument,
 * help and parser in one row; getopt entries and help are made from it.
 */
#include "board_options.h"
#include "bn_config.h"
#include "bn_random.h"
#include "exit_status.h"
#include "scn_units.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

enum board_opt {
  OPT_TAP = BN_BOARD_OPT_FIRST, OPT_IP, OPT_GW, OPT_DHCP, OPT_DHCP_TIMEOUT, OPT_DNS, OPT_MAC,
  OPT_HOSTNAME, OPT_SEED, OPT_RECORD, OPT_RECORD_FILTER, OPT_RECORD_SIZE, OPT_SCENARIO, OPT_STATS,
  OPT_STATS_JSON, OPT_DECISIONS, OPT_LINK, OPT_RECORD_BOARD, OPT_TX_INLINE, OPT_CLOCK, OPT_SCHED_SEED,
  OPT_CLOCK_STALL, OPT_CLOCK_STATS, OPT_EPOCH, OPT_ARTIFACT, OPT_ARTIFACT_ALWAYS, OPT_ARTIFACT_COPY_INPUT,
};

/* One row: the option, its argument's name (NULL: none), its group and help
 * (lines of at most 52 columns, joined by \n). */
struct row {
  enum board_opt id;
  const char *name;
  const char *arg;
  const char *group;
  const char *help;
};

static const struct row rows[] = {
  { OPT_TAP, "tap", "NAME", "Wire",
    "the TAP interface to attach to; created if it does\n"
    "not exist (needs CAP_NET_ADMIN). Its up/down state\n"
    "is the board's carrier; deleting it ends the board" },
  { OPT_IP, "ip", "A.B.C.D[/N]", "Addressing (default: --ip 192.0.2.2/24, no gateway)",
    "static IPv4 address and prefix length (N: 1..32,\n"
    "default 24)" },
  { OPT_GW, "gw", "A.B.C.D", NULL, "default gateway (must be in the --ip subnet)" },
  { OPT_DHCP, "dhcp", NULL, NULL, "get the address by DHCP instead" },
  { OPT_DHCP_TIMEOUT, "dhcp-timeout", "SEC", NULL, "give up on DHCP after SEC seconds (default 10)" },
  { OPT_DNS, "dns", "A.B.C.D", NULL, "DNS server (up to 2; DHCP may supply them too)" },
  { OPT_MAC, "mac", "XX:XX:XX:XX:XX:XX", NULL,
    "MAC address (default: the board's vendor OUI\n"
    "followed by bytes derived from the TAP name)" },
  { OPT_HOSTNAME, "hostname", "NAME", NULL, "hostname sent with DHCP (default: the board's)" },
  { OPT_SEED, "seed", "N", "Reproducibility",
    "seed of every random choice: lwIP's ephemeral\n"
    "ports, DHCP and DNS ids, TCP initial sequence\n"
    "numbers. The same seed gives the same numbers in\n"
    "the same order. Without it a fresh seed is taken\n"
    "and printed at start" },
  { OPT_RECORD, "record", "FILE", "Recording",
    "write every frame on the wire, both ways, to FILE\n"
    "as pcap (nanosecond timestamps) for Wireshark or\n"
    "tcpdump -r; '-' writes to standard output (status\n"
    "messages go to stderr): boardnet run ... --record -\n"
    "| tshark -r -. Flushed every second and at exit.\n"
    "Frames of the two directions can be out of order\n"
    "by microseconds (two threads write them). It is\n"
    "the wire: after a scenario's faults on egress,\n"
    "before those on ingress (a frame it drops on the\n"
    "way in is there, though the board never got it)" },
  { OPT_RECORD_FILTER, "record-filter", "EXPR", NULL,
    "record only the frames matching the libpcap filter\n"
    "EXPR (tcpdump's syntax, e.g. \"tcp port 80\")" },
  { OPT_RECORD_SIZE, "record-size", "MB", NULL,
    "go on in a new file once one holds MB million bytes:\n"
    "FILE, FILE1, FILE2, ... (tcpdump -C)" },
  { OPT_RECORD_BOARD, "record-board", "FILE", NULL,
    "also record the board's side of the scenario's\n"
    "faults to FILE: what lwIP sent (a frame dropped on\n"
    "egress is there, absent from --record's) and what\n"
    "it was given. Open both side by side" },
  { OPT_SCENARIO, "scenario", "FILE", "Faults (scenarios/*.scn; boardnet check FILE)",
    "run the scenario FILE on the wire: netem's delay,\n"
    "loss, duplicate, corrupt, reorder, rate, limit,\n"
    "slot per direction and flow, link down/up,\n"
    "blackholes, per-packet aim and pool faults on a\n"
    "timeline whose time 0 is when the board is up and\n"
    "its apps listen. Its `seed N` seeds the run unless\n"
    "--seed is given. With --record, each step is marked\n"
    "in the capture (a frame of EtherType 0x88b5 with the\n"
    "step as text: eth.type == 0x88b5 in Wireshark) and\n"
    "listed in FILE.events with the capture's timestamps" },
  { OPT_LINK, "link", "board", NULL,
    "run the board profile's own link character instead\n"
    "of a scenario: its link.scn (the rate and delay of\n"
    "the board's WiFi or Ethernet, each figure cited;\n"
    "boardnet info --link prints it). Real boards are\n"
    "slower than a TAP: this is for testing timeouts.\n"
    "With --scenario, the link's lines come first and the\n"
    "scenario's replace those of the same direction and\n"
    "impairment, as later lines do (boardnet check --link\n"
    "board FILE prints the merge)" },
  { OPT_STATS, "stats", "INTERVAL", NULL,
    "print the scenario's counters every INTERVAL (1s,\n"
    "500ms: frames and bytes per direction, drops by\n"
    "reason, duplicated, corrupted, reordered, delayed,\n"
    "queued, the step in force) and a summary at exit" },
  { OPT_STATS_JSON, "stats-json", "FILE", NULL,
    "write the counters (each interval and the total) to\n"
    "FILE as JSON at exit" },
  { OPT_DECISIONS, "decisions", "FILE", NULL,
    "log every decision to FILE ('-': stderr), one line\n"
    "each: seconds, direction, frame number in that\n"
    "direction, rule, action (drop loss, delay 23.456ms,\n"
    "corrupt byte B bit K ...). With --record FILE (one\n"
    "file), each line ends with the frame's number in the\n"
    "recording, as Wireshark numbers it (capture 123), or\n"
    "'capture - (never on the wire)' for an egress drop;\n"
    "added when the run ends" },
  { OPT_CLOCK, "clock", "real|virtual", "Time",
    "real (default): the board lives in the host's time.\n"
    "virtual (a capture or memory link, never a TAP):\n"
    "the board's threads run one at a time and its\n"
    "clock jumps to the next deadline (a timer, a\n"
    "timeout, a paced frame, a delay, a scenario step,\n"
    "a sleep) when all of them wait: the same inputs\n"
    "give the same bytes out, on any machine under any\n"
    "load, and idle time costs nothing (10 minutes of a\n"
    "scenario in seconds). Output timestamps start at\n"
    "the epoch. Every duration is board time. Without\n"
    "--clock, BOARDNET_CLOCK=virtual in the environment\n"
    "makes it the default of runs without a TAP" },
  { OPT_SCHED_SEED, "sched-seed", "N", NULL,
    "virtual clock: pick the next thread to run from a\n"
    "stream seeded with N instead of in wake order: a\n"
    "race in a program shows under some seed, then again\n"
    "under that seed every time" },
  { OPT_CLOCK_STALL, "clock-stall", "SEC", NULL,
    "virtual clock: a thread that runs SEC seconds of\n"
    "wall time without blocking (a busy loop) ends the\n"
    "run with exit 1, named (default 10)" },
  { OPT_CLOCK_STATS, "clock-stats", NULL, NULL,
    "virtual clock: print board seconds, wall seconds,\n"
    "their ratio, switches and jumps at exit (stderr)" },
  { OPT_EPOCH, "epoch", "SEC", NULL,
    "virtual clock: the wall time (seconds since 1970)\n"
    "of the board's time 0 in output timestamps (default:\n"
    "the capture's first frame's)" },
  { OPT_ARTIFACT, "artifact", "DIR", "Failures kept (virtual clock, on a capture)",
    "when the run fails (a divergence, the program's\n"
    "non-zero exit, an lwIP assertion, a stall) keep in\n"
    "DIR what it takes to run it again byte for byte:\n"
    "the command line, the seeds, the profile and\n"
    "version, the scenario, the input capture's path and\n"
    "sha256, the outputs (the recording, decisions,\n"
    "report, counters: in DIR/out/ unless named).\n"
    "boardnet rerun DIR runs it again and compares" },
  { OPT_ARTIFACT_ALWAYS, "artifact-always", NULL, NULL, "keep DIR after a run that passed too" },
  { OPT_ARTIFACT_COPY_INPUT, "artifact-copy-input", NULL, NULL,
    "copy the input capture into DIR (default: its path\n"
    "and sha256 only)" },
  { OPT_TX_INLINE, "tx-inline", "on|off", "Data path (for measurements: README, Performance)",
    "on (default): the board's thread that sent a small\n"
    "reply (one or two frames) hands it to the wire\n"
    "itself; off: every frame goes through the netif's\n"
    "transmit thread, one more thread wake-up per reply.\n"
    "The frames and their order are the same" },
};

#define ROWS (sizeof(rows) / sizeof(rows[0]))
_Static_assert(ROWS <= BN_BOARD_OPTIONS_MAX, "BN_BOARD_OPTIONS_MAX is too small");

static const char default_ip[] = "192.0.2.2/24";

void bn_board_options_init(bn_board_options *o)
{
  memset(o, 0, sizeof(*o));
  o->default_ip = default_ip;
}

size_t bn_board_options_getopt(struct option *opts)
{
  for (size_t i = 0; i < ROWS; i++) {
    opts[i] = (struct option){ rows[i].name, rows[i].arg ? required_argument : no_argument, NULL,
                               (int)rows[i].id };
  }
  return ROWS;
}

static void record_notice(void *arg, const char *message)
{
  (void)arg;
  bn_fail(0, "%s", message);
}

int bn_board_options_parse(bn_board_options *o, int id, const char *arg)
{
  char err[BN_CONFIG_ERRLEN];
  int rc = 0;
  uint64_t v;
  switch (id) {
  case OPT_TAP:
    o->pipeline.tap = arg;
    return 0;
  case OPT_IP:
    rc = bn_config_parse_ip4_prefix(arg, &o->cfg.ip, &o->cfg.netmask, err);
    o->ip_given = true;
    break;
  case OPT_GW:
    rc = bn_config_parse_ip4(arg, &o->cfg.gw, err);
    break;
  case OPT_DHCP:
    o->cfg.dhcp = true;
    return 0;
  case OPT_DHCP_TIMEOUT:
    if (bn_parse_number_option("--dhcp-timeout", arg, 1, 86400, &v) != 0) {
      return BN_EXIT_USAGE;
    }
    o->cfg.dhcp_timeout_ms = (unsigned)v * 1000u;
    return 0;
  case OPT_DNS:
    if (o->cfg.dns_count == BN_STACK_MAX_DNS) {
      return bn_fail(BN_EXIT_USAGE, "--dns: at most %d servers", BN_STACK_MAX_DNS);
    }
    rc = bn_config_parse_ip4(arg, &o->cfg.dns[o->cfg.dns_count++], err);
    break;
  case OPT_MAC:
    rc = bn_config_parse_mac(arg, o->cfg.mac, err);
    o->cfg.mac_set = true;
    break;
  case OPT_HOSTNAME:
    if (arg[0] == '\0' || strlen(arg) > 63) {
      return bn_fail(BN_EXIT_USAGE, "--hostname: 1..63 characters");
    }
    o->cfg.hostname = arg;
    return 0;
  case OPT_SEED:
    if (bn_parse_number_option("--seed", arg, 0, UINT64_MAX, &o->cfg.seed) != 0) {
      return BN_EXIT_USAGE;
    }
    o->seed_given = true;
    return 0;
  case OPT_RECORD:
    if (arg[0] == '\0') {
      return bn_fail(BN_EXIT_USAGE, "--record needs a file name (or '-')");
    }
    o->pipeline.record.path = arg;
    o->pipeline.record.notice = record_notice;
    o->pipeline.record.final_stats = &o->record_stats;
    return 0;
  case OPT_RECORD_BOARD:
    if (arg[0] == '\0' || strcmp(arg, "-") == 0) {
      return bn_fail(BN_EXIT_USAGE, "--record-board needs a file name (not standard output)");
    }
    o->pipeline.record_board.path = arg;
    o->pipeline.record_board.notice = record_notice;
    return 0;
  case OPT_RECORD_FILTER:
    o->pipeline.record.filter = arg;
    return 0;
  case OPT_RECORD_SIZE:
    if (bn_parse_number_option("--record-size", arg, 1, 1000000, &v) != 0) {
      return BN_EXIT_USAGE;
    }
    o->pipeline.record.rotate_bytes = v * 1000000u;
    return 0;
  case OPT_SCENARIO:
    o->scenario.path = arg;
    return 0;
  case OPT_TX_INLINE:
    if (strcmp(arg, "on") != 0 && strcmp(arg, "off") != 0) {
      return bn_fail(BN_EXIT_USAGE, "--tx-inline '%s': on or off", arg);
    }
    o->cfg.tuning.tx_inline_off = strcmp(arg, "off") == 0;
    return 0;
  case OPT_LINK:
    if (strcmp(arg, "board") != 0) {
      return bn_fail(BN_EXIT_USAGE, "--link '%s': only 'board' (the profile's link.scn)", arg);
    }
    o->scenario.board_link = true;
    return 0;
  case OPT_STATS:
    if (bn_scn_parse_time(arg, &v) < 0 || v < 1000000u) {
      return bn_fail(BN_EXIT_USAGE, "--stats '%s': an interval of at least 1ms, with its unit (1s, 500ms)", arg);
    }
    o->scenario.stats_interval_ns = v;
    return 0;
  case OPT_STATS_JSON:
    o->scenario.stats_json = arg;
    return 0;
  case OPT_DECISIONS:
    o->scenario.decisions_path = arg;
    return 0;
  case OPT_CLOCK:
    return bn_clock_options_parse_clock(&o->clock, arg);
  case OPT_SCHED_SEED:
    return bn_clock_options_parse_sched_seed(&o->clock, arg);
  case OPT_CLOCK_STALL:
    return bn_clock_options_parse_stall(&o->clock, arg);
  case OPT_CLOCK_STATS:
    o->clock.stats = true;
    return 0;
  case OPT_EPOCH:
    return bn_clock_options_parse_epoch(&o->clock, arg);
  case OPT_ARTIFACT:
    if (arg[0] == '\0') {
      return bn_fail(BN_EXIT_USAGE, "--artifact needs a directory");
    }
    o->artifact.dir = arg;
    return 0;
  case OPT_ARTIFACT_ALWAYS:
    o->artifact.always = true;
    return 0;
  case OPT_ARTIFACT_COPY_INPUT:
    o->artifact.copy_input = true;
    return 0;
  default:
    return -1;
  }
  return rc < 0 ? bn_fail(BN_EXIT_USAGE, "%s", err) : 0;
}

int bn_board_options_finish(bn_board_options *o)
{
  char err[BN_RECORD_ERRLEN];
  if (o->pipeline.tap == NULL && o->pipeline.link == NULL && o->pipeline.pcap == NULL) {
    return bn_fail(BN_EXIT_USAGE, "--tap NAME is required");
  }
  if (o->pipeline.tap != NULL && o->pipeline.pcap != NULL) {
    return bn_fail(BN_EXIT_USAGE, "--tap: a replay's wire is its capture, not a TAP");
  }
  int rc = bn_clock_options_check(&o->clock, o->pipeline.tap != NULL);
  if (rc == 0) {
    rc = bn_artifact_check(&o->artifact, o, o->pipeline.pcap != NULL);
  }
  if (rc != 0) {
    return rc;
  }
  bn_artifact_outputs(&o->artifact, o);
  if (o->cfg.dhcp && (o->ip_given || !ip4_addr_isany_val(o->cfg.gw))) {
    return bn_fail(BN_EXIT_USAGE, "--dhcp cannot be combined with --ip or --gw");
  }
  if (!o->cfg.dhcp) {
    if (!o->ip_given) {
      bn_config_parse_ip4_prefix(o->default_ip, &o->cfg.ip, &o->cfg.netmask, err);
    }
    if (bn_config_check_ip4(&o->cfg.ip, &o->cfg.netmask, &o->cfg.gw, err) < 0) {
      return bn_fail(BN_EXIT_USAGE, "%s", err);
    }
  }
  const bn_record_options *r = &o->pipeline.record;
  if (r->path == NULL && (r->filter != NULL || r->rotate_bytes != 0)) {
    return bn_fail(BN_EXIT_USAGE, "--record-filter and --record-size need --record FILE");
  }
  if (r->path != NULL && strcmp(r->path, "-") == 0 && r->rotate_bytes != 0) {
    return bn_fail(BN_EXIT_USAGE, "--record-size: standard output (--record -) cannot be rotated");
  }
  if (r->filter != NULL && bn_link_record_check_filter(r->filter, err) < 0) {
    return bn_fail(BN_EXIT_USAGE, "--record-filter: %s", err);
  }
  if (r->path != NULL && strcmp(r->path, "-") != 0 && r->rotate_bytes == 0) {
    o->scenario.record_path = r->path; /* the decision lines can be numbered in it */
  }
  rc = bn_scenario_run_prepare(&o->scenario, r->path);
  if (rc != 0) {
    return rc;
  }
  if (!o->seed_given && o->scenario.loaded && o->scenario.scn.seed_given) {
    o->cfg.seed = o->scenario.scn.seed;
    o->seed_given = true;
  }
  if (!o->seed_given) {
    o->cfg.seed = bn_random_fresh_seed();
  }
  o->pipeline.impair = bn_scenario_run_stage(&o->scenario, o->cfg.seed);
  return 0;
}

int bn_board_options_open(bn_board_options *o, int (*backend_opened)(void *), void *arg)
{
  char err[BN_PIPELINE_ERRLEN];
  o->pipeline.backend_opened = backend_opened;
  o->pipeline.backend_opened_arg = arg;
  int rc = bn_pipeline_open(&o->pipeline, &o->cfg.link, err);
  if (rc != 0) {
    o->pipeline.link = NULL; /* closed by bn_pipeline_open() */
    return err[0] != '\0' ? bn_fail(BN_EXIT_FAIL, "%s", err) : BN_EXIT_FAIL;
  }
  return 0;
}

void bn_board_options_help(FILE *out)
{
  for (size_t i = 0; i < ROWS; i++) {
    if (rows[i].group != NULL) {
      fprintf(out, "%s%s:\n", i > 0 ? "\n" : "", rows[i].group);
    }
    char head[64];
    snprintf(head, sizeof(head), "  --%s%s%s", rows[i].name, rows[i].arg ? " " : "",
             rows[i].arg ? rows[i].arg : "");
    const char *line = rows[i].help;
    bool first = true;
    while (*line != '\0') {
      const char *nl = strchr(line, '\n');
      int n = nl ? (int)(nl - line) : (int)strlen(line);
      if (first && strlen(head) < 23) {
        fprintf(out, "%-23s%.*s\n", head, n, line);
      } else {
        if (first) {
          fprintf(out, "%s\n", head);
        }
        fprintf(out, "%23s%.*s\n", "", n, line);
      }
      first = false;
      line += n + (nl ? 1 : 0);
    }
  }
}

int bn_board_options_parse_argv(bn_board_options *o, int argc, char **argv, const char *cmd,
                                const struct option *own, size_t n_own, int (*own_fn)(void *, int, const char *),
                                void *ctx)
{
  struct option opts[BN_OWN_OPTIONS_MAX + BN_BOARD_OPTIONS_MAX + 1];
  if (n_own > BN_OWN_OPTIONS_MAX) {
    return bn_fail(BN_EXIT_FAIL, "%s: too many options", cmd);
  }
  memcpy(opts, own, n_own * sizeof(*own));
  size_t n = n_own + bn_board_options_getopt(opts + n_own);
  opts[n] = (struct option){ NULL, 0, NULL, 0 };
  bn_board_options_init(o);
  int c;
  opterr = 0;
  optind = 1;
  while ((c = getopt_long(argc, argv, ":qhV", opts, NULL)) != -1) {
    if (c == ':') {
      return bn_fail(BN_EXIT_USAGE, "%s needs a value (%s --help)", argv[optind - 1], cmd);
    }
    if (c == '?') {
      return bn_fail(BN_EXIT_USAGE, "unknown option '%s' (%s --help)", argv[optind - 1], cmd);
    }
    if (optarg != NULL && optarg == argv[optind - 1] && optarg[0] == '-' && optarg[1] != '\0') {
      /* "--tap -q": the value forgotten, the next option taken for it. */
      return bn_fail(BN_EXIT_USAGE, "%s: '%s' looks like an option, not its value (if it is the value: %s=%s)",
                     argv[optind - 2], optarg, argv[optind - 2], optarg);
    }
    int rc = bn_board_options_parse(o, c, optarg);
    if (rc == -1) {
      rc = own_fn(ctx, c, optarg);
    }
    if (rc != 0) {
      return rc;
    }
  }
  return 0;
}

void bn_board_options_usage(FILE *out, const char *head, const char *tail)
{
  fputs(head, out);
  bn_board_options_help(out);
  fputs(tail, out);
}
