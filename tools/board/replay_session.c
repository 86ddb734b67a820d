/*
 * A replay of a capture into a live board (replay_session.h): the replay
 * options, the plan and the board's defaults from the capture, progress,
 * the passes of --loop and the report, for `boardnet replay` and board
 * programs alike.
 */
#define _GNU_SOURCE
#include "replay_session.h"
#include "bn_board.h"
#include "bn_clock.h"
#include "bn_config.h"
#include "capture_interfaces.h"
#include "exit_status.h"
#include "replay_compare.h"
#include "replay_headers.h"
#include "replay_report.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { OPT_BOARD_IP = BN_REPLAY_OPT_FIRST, OPT_PACE, OPT_STEP_TIMEOUT, OPT_FILTER, OPT_START_AT, OPT_LIMIT, OPT_LOOP,
       OPT_REPORT, OPT_PROGRESS, OPT_VLAN, OPT_IGNORE, OPT_INTERFACE };

const struct option bn_replay_options[] = {
  { "board-ip", required_argument, NULL, OPT_BOARD_IP },
  { "pace", required_argument, NULL, OPT_PACE },
  { "step-timeout", required_argument, NULL, OPT_STEP_TIMEOUT },
  { "filter", required_argument, NULL, OPT_FILTER },
  { "start-at", required_argument, NULL, OPT_START_AT },
  { "limit", required_argument, NULL, OPT_LIMIT },
  { "loop", required_argument, NULL, OPT_LOOP },
  { "report", required_argument, NULL, OPT_REPORT },
  { "progress", no_argument, NULL, OPT_PROGRESS },
  { "vlan", required_argument, NULL, OPT_VLAN },
  { "ignore", required_argument, NULL, OPT_IGNORE },
  { "interface", required_argument, NULL, OPT_INTERFACE },
};
const size_t bn_replay_options_count = sizeof(bn_replay_options) / sizeof(bn_replay_options[0]);

const char bn_replay_options_help[] =
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
  "  --step-timeout SEC   how much longer than the capture a peer frame waits\n"
  "                       for the board (default 2; fractions allowed): a\n"
  "                       frame the capture shows after 5 s of quiet (an\n"
  "                       outage, a SYN sent again) waits up to 5 s + SEC\n"
  "  --filter EXPR        replay only the frames matching the libpcap filter\n"
  "  --vlan ID            the board's VLAN (1..4094), when the capture holds\n"
  "                       several: frames of other VLANs and untagged ones are\n"
  "                       left out (default: every 802.1Q/QinQ tag is taken\n"
  "                       off and every frame kept)\n"
  "  --interface N|NAME   the board's wire, when the capture is a pcapng of\n"
  "                       several interfaces (dumpcap -i eth0 -i lo): its\n"
  "                       number or name as capinfos -I lists them; the\n"
  "                       others' frames are left out. Such a capture is\n"
  "                       refused without it (needs capinfos and tshark)\n"
  "  --start-at SEC       skip the capture's first SEC seconds\n"
  "  --limit N            read only the capture's first N frames\n"
  "  --loop N             replay the capture N times into the same board;\n"
  "                       each pass after the first is new connections (the\n"
  "                       peers' ports of those they open move on by one)\n"
  "  --report FILE        also write the report as JSON to FILE\n"
  "  --ignore CLASSES     report these classes of difference as notes, not\n"
  "                       divergences (comma-separated: options, window,\n"
  "                       flags, payload, missing, extra, received): e.g.\n"
  "                       --ignore options,window for another board's\n"
  "                       capture, whose SYNs differ by design\n"
  "  --progress           show progress even when stderr is no terminal\n";

void bn_replay_session_init(bn_replay_session *s)
{
  s->pace = BN_PACE_REACTIVE;
  s->pace_text = "reactive";
  s->iface_fd = -1;
}

/* Seconds as a decimal fraction ("2", "0.5") into nanoseconds. */
static int parse_seconds(const char *opt, const char *text, uint64_t max_s, uint64_t *ns)
{
  double v;
  int rc = bn_parse_seconds_option(opt, text, 0, (double)max_s, &v);
  if (rc == 0) {
    *ns = (uint64_t)(v * 1e9);
  }
  return rc;
}

static int parse_pace(bn_replay_session *s, const char *text)
{
  s->pace_text = text;
  if (strcmp(text, "reactive") == 0) {
    s->pace = BN_PACE_REACTIVE;
  } else if (strcmp(text, "recorded") == 0) {
    s->pace = BN_PACE_RECORDED;
    s->speed = 1;
  } else if (strcmp(text, "top") == 0) {
    s->pace = BN_PACE_TOP;
  } else if (text[0] == 'x') {
    char *end;
    errno = 0;
    double v = strtod(text + 1, &end);
    if (errno != 0 || end == text + 1 || *end != '\0' || !(v > 0) || v > 1e6) {
      return bn_fail(BN_EXIT_USAGE, "--pace: '%s' is not a speed (x0.5, x2, x10 ...)", text);
    }
    s->pace = BN_PACE_RECORDED;
    s->speed = v;
  } else {
    return bn_fail(BN_EXIT_USAGE, "--pace: '%s' is none of reactive, recorded, xN, top", text);
  }
  return 0;
}

int bn_replay_session_parse(bn_replay_session *s, int id, const char *arg)
{
  char err[BN_CONFIG_ERRLEN];
  switch (id) {
  case OPT_BOARD_IP: {
    ip4_addr_t ip;
    if (bn_config_parse_ip4(arg, &ip, err) < 0) {
      return bn_fail(BN_EXIT_USAGE, "--board-ip: %s", err);
    }
    s->read.board_ip = lwip_ntohl(ip4_addr_get_u32(&ip));
    return 0;
  }
  case OPT_PACE:
    return parse_pace(s, arg);
  case OPT_STEP_TIMEOUT:
    if (parse_seconds("--step-timeout", arg, 3600, &s->step_timeout_ns) != 0) {
      return BN_EXIT_USAGE;
    }
    if (s->step_timeout_ns == 0) {
      return bn_fail(BN_EXIT_USAGE, "--step-timeout: must be more than 0");
    }
    return 0;
  case OPT_FILTER:
    s->read.filter = arg;
    return 0;
  case OPT_START_AT:
    return parse_seconds("--start-at", arg, 86400 * 365, &s->read.start_at_ns) != 0 ? BN_EXIT_USAGE : 0;
  case OPT_LIMIT:
    return bn_parse_number_option("--limit", arg, 1, UINT64_MAX, &s->read.limit);
  case OPT_LOOP: {
    uint64_t n;
    int rc = bn_parse_number_option("--loop", arg, 1, 1000000, &n);
    s->loops = (unsigned)n;
    return rc;
  }
  case OPT_REPORT:
    s->report = arg;
    return 0;
  case OPT_PROGRESS:
    s->progress = true;
    return 0;
  case OPT_IGNORE:
    if (bn_rp_diverge_parse(arg, &s->ignore) < 0) {
      return bn_fail(BN_EXIT_USAGE, "--ignore: '%s' is not a list of %s", arg, BN_RP_DIVERGE_NAMES);
    }
    return 0;
  case OPT_INTERFACE:
    s->interface = arg;
    return 0;
  case OPT_VLAN: {
    uint64_t id;
    int rc = bn_parse_number_option("--vlan", arg, 1, 4094, &id);
    s->read.vlan = (int)id;
    return rc;
  }
  default:
    return -1;
  }
}

/* The shortest prefix that holds the board and every peer of the capture
 * (so that the live board reaches them all on its link), 1..30. */
static int common_prefix(const bn_rp_plan *plan)
{
  int prefix = 30;
  for (size_t i = 0; i < plan->nflows; i++) {
    uint32_t peer = plan->flows[i].peer_ip;
    if (peer == 0 || bn_rp_ip_is_group(peer)) {
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
static void board_defaults(bn_replay_session *s, bn_board_options *board)
{
  const bn_rp_plan *plan = &s->plan;
  bn_config *cfg = &board->cfg;
  if (!board->ip_given && !cfg->dhcp && ip4_addr_isany_val(cfg->gw) && plan->lease_known) {
    cfg->dhcp = true;
    s->dhcp_from_capture = true;
  }
  if (!board->ip_given && !cfg->dhcp) {
    static char default_ip[32];
    char ip[16];
    bn_rp_ip_text(plan->board_ip, ip, sizeof(ip));
    snprintf(default_ip, sizeof(default_ip), "%s/%d", ip, common_prefix(plan));
    board->default_ip = default_ip;
  }
  if (!cfg->mac_set && plan->board_mac_known) {
    memcpy(cfg->mac, plan->board_mac, 6);
    cfg->mac_set = (plan->board_mac[0] & 1) == 0;
  }
}

/* Counts a pass over the capture: diverged, and (one before the last)
 * incomplete. */
static void count_pass(bn_replay_session *s, const bn_rp_live *live, bool last)
{
  bn_rp_outcome o;
  bn_rp_outcome_of(&s->plan, live, NULL, &o);
  s->passes++;
  if (o.diverged) {
    s->passes_diverged++;
    s->first_diverged = s->first_diverged ? s->first_diverged : s->passes;
  }
  s->passes_incomplete += !last && o.incomplete;
}

/* The end of each pass but the last (the pump's callback). */
static void earlier_pass_done(void *arg, const bn_rp_live *live)
{
  count_pass(arg, live, false);
}

/* Whether --report FILE can be written, before the replay runs. */
static int check_report_path(const char *path)
{
  char dir[4096];
  snprintf(dir, sizeof(dir), "%s", path);
  char *slash = strrchr(dir, '/');
  if (slash == NULL) {
    snprintf(dir, sizeof(dir), ".");
  } else {
    slash[slash == dir] = '\0'; /* "/x.json": the root */
  }
  if (access(dir, W_OK | X_OK) != 0) {
    return bn_fail(BN_EXIT_USAGE, "--report %s: %s: %s", path, dir, strerror(errno));
  }
  if (access(path, F_OK) == 0 && access(path, W_OK) != 0) {
    return bn_fail(BN_EXIT_USAGE, "--report %s: %s", path, strerror(errno));
  }
  return 0;
}

/* A pcapng of several interfaces: --interface picks the board's wire,
 * taken out into a file of its own (capture_interfaces.h), which s->read
 * then reads, with the frames' numbers in the original. */
static int pick_interface(bn_replay_session *s)
{
  const char *path = s->capture;
  if (strcmp(path, "-") == 0) {
    return s->interface == NULL ? 0
                                : bn_fail(BN_EXIT_USAGE, "--interface: needs a file, not standard input (tshark -r - "
                                          "-Y 'frame.interface_id == N' -w - | boardnet replay - takes one out)");
  }
  int pcapng = bn_capture_is_pcapng(path);
  if (pcapng <= 0) { /* pcap: one interface; unreadable: the plan says why */
    return s->interface == NULL || pcapng < 0
             ? 0 : bn_fail(BN_EXIT_USAGE, "--interface: %s is a pcap file, of one interface", path);
  }
  static bn_capture_iface ifs[BN_IFACE_MAX];
  char err[BN_IFACE_ERRLEN];
  int n = bn_capture_interfaces(path, ifs, BN_IFACE_MAX, err);
  if (n < 0) {
    if (s->interface != NULL) {
      return bn_fail(BN_EXIT_FAIL, "--interface: cannot list the interfaces of %s: %s", path, err);
    }
    fprintf(stderr, "boardnet: note: cannot list the interfaces of %s (%s): the frames of every interface it "
            "holds are replayed as one wire\n", path, err);
    return 0;
  }
  size_t listed = (size_t)n < BN_IFACE_MAX ? (size_t)n : BN_IFACE_MAX;
  char list[BN_IFACE_MAX * 100];
  bn_capture_interfaces_text(ifs, listed, list, sizeof(list));
  size_t end = strlen(list);
  list[end > 0 ? end - 1 : 0] = '\0'; /* bn_fail() ends the line */
  if (s->interface == NULL) {
    if (n <= 1) {
      return 0;
    }
    return bn_fail(BN_EXIT_USAGE, "%s holds %d interfaces, and only one is the board's wire: pick it with "
                   "--interface N|NAME\n%s", path, n, list);
  }
  int i = bn_capture_interface_find(ifs, listed, s->interface);
  if (i < 0) {
    return bn_fail(BN_EXIT_USAGE, "--interface: %s has no interface '%s'; it holds:\n%s", path, s->interface, list);
  }
  if (n == 1) {
    return 0; /* the whole file is that interface's: nothing to take out */
  }
  int fd;
  if (bn_capture_interface_extract(path, &ifs[i], &fd, &s->numbers, &s->read.nnumbers, err) < 0) {
    return bn_fail(BN_EXIT_FAIL, "--interface %s: %s", s->interface, err);
  }
  s->iface_fd = fd;
  s->read.numbers = s->numbers;
  snprintf(s->iface_path, sizeof(s->iface_path), "/proc/self/fd/%d", fd);
  s->read.path = s->iface_path;
  s->read.name = s->capture;
  s->iface = ifs[i];
  s->interfaces = (unsigned)n;
  for (size_t k = 0; k < listed; k++) {
    s->other_frames += k == (size_t)i ? 0 : ifs[k].frames;
  }
  return 0;
}

int bn_replay_session_plan(bn_replay_session *s, bn_board_options *board)
{
  if (board->pipeline.tap != NULL) {
    return bn_fail(BN_EXIT_USAGE, "--tap: a replay's wire is its capture, not a TAP");
  }
  if (s->report != NULL && check_report_path(s->report) != 0) {
    return BN_EXIT_USAGE;
  }
  if (s->read.filter != NULL) {
    char err[BN_RECORD_ERRLEN];
    if (bn_link_record_check_filter(s->read.filter, err) < 0) {
      return bn_fail(BN_EXIT_USAGE, "--filter: %s", err);
    }
  }
  s->capture = s->read.path;
  int rc = pick_interface(s);
  if (rc != 0) {
    return rc;
  }
  char err[BN_RP_ERRLEN];
  if (bn_rp_plan_build(&s->read, &s->plan, err) < 0) {
    return bn_fail(BN_EXIT_FAIL, "%s", err);
  }
  s->planned = true;
  s->pcap = (bn_pcap_options){ .plan = &s->plan, .read = &s->read, .live = &s->live, .pace = s->pace,
                               .speed = s->speed, .step_timeout_ns = s->step_timeout_ns, .hold = true,
                               .loops = s->loops, .pass_done = earlier_pass_done, .pass_arg = s,
                               .ignore = s->ignore };
  board_defaults(s, board);
  board->pipeline.pcap = &s->pcap;
  return 0;
}

static void show_progress(void *arg, uint64_t done, uint64_t total)
{
  const bn_replay_session *s = arg;
  double secs = (double)(bn_clock_now_ns() - s->t0) / 1e9;
  double rate = secs > 0 ? (double)done / secs : 0;
  double eta = rate > 0 ? (double)(total - done) / rate : 0;
  fprintf(stderr, "\rboardnet: replay %llu/%llu peer frames (%.0f%%), %.0f frames/s, %.0f s to go   ",
          (unsigned long long)done, (unsigned long long)total, total ? 100.0 * (double)done / (double)total : 100.0,
          rate, eta);
  if (done == total) {
    fputc('\n', stderr);
  }
}

int bn_replay_session_begin(bn_replay_session *s, bn_board_options *board, FILE *out)
{
  int rc = bn_artifact_begin(&board->artifact, board, s->capture, &s->report);
  if (rc != 0) {
    return rc;
  }
  bn_clock_options_start(&board->clock, s->plan.first_ts_ns); /* before any thread, before t0 below */
  s->out = out;
  const bn_config *cfg = &board->cfg;
  s->pcap.live_ip = cfg->dhcp ? s->plan.board_ip : lwip_ntohl(ip4_addr_get_u32(&cfg->ip));
  if (cfg->mac_set) {
    memcpy(s->pcap.live_mac, cfg->mac, 6);
  } else {
    bn_config_default_mac("pcap", s->pcap.live_mac); /* the backend's name, as bn_stack_start() will */
  }
  s->t0 = bn_clock_now_ns();
  if (s->progress || (!s->quiet && isatty(STDERR_FILENO))) {
    s->pcap.progress = show_progress;
    s->pcap.progress_arg = s;
  }
  if (!s->quiet) {
    fprintf(out, "boardnet: replaying %s: %zu peer frames in %zu flows; board %s%s\n", s->capture, s->plan.nsteps,
            s->plan.nflows, s->plan.board_reason,
            s->dhcp_from_capture ? "; the live board takes its lease from the capture (DHCP)" : "");
    fflush(out);
  }
  return 0;
}

bool bn_replay_session_done(const bn_replay_session *s)
{
  return __atomic_load_n(&s->live.done, __ATOMIC_ACQUIRE);
}

int bn_replay_session_end(bn_replay_session *s, const char *stopped)
{
  if (stopped != NULL) {
    fprintf(stderr, "boardnet: replay stopped early (%s): the report covers what was replayed\n", stopped);
  }
  count_pass(s, &s->live, true);
  bn_rp_report_info info = { .capture = s->capture, .interface_name = s->iface_fd >= 0 ? s->iface.name : NULL,
                          .interface_id = s->iface.id, .interfaces = s->interfaces,
                          .other_interfaces_frames = s->other_frames, .board = bn_board_name(), .pace = s->pace_text,
                          .live_ip = s->pcap.live_ip, .live_mac = s->pcap.live_mac, .passes = s->passes,
                          .passes_diverged = s->passes_diverged, .first_diverged_pass = s->first_diverged,
                          .passes_incomplete = s->passes_incomplete, .stopped = stopped };
  bn_rp_outcome outcome;
  bn_rp_report_outcome(&info, &s->plan, &s->live, &outcome);
  if (!s->quiet) {
    bn_rp_report_text(s->out, &info, &s->plan, &s->live, &outcome);
  } else {
    const char *why = outcome.verdict == BN_RP_VERDICT_SAME ? "no divergence, every frame for the board compared"
                      : outcome.verdict == BN_RP_VERDICT_DIVERGED ? "the live board diverged"
                                                                  : outcome.reasons[0];
    fprintf(s->out, "boardnet: replay of %s: %s: %s\n", s->capture, bn_rp_verdict_name(outcome.verdict), why);
  }
  int rc = outcome.verdict == BN_RP_VERDICT_DIVERGED     ? BN_EXIT_DIVERGED
           : outcome.verdict == BN_RP_VERDICT_INCOMPLETE ? BN_EXIT_INCOMPLETE
                                                         : BN_EXIT_OK;
  if (s->report != NULL) {
    int jrc = bn_rp_report_json(s->report, &info, &s->plan, &s->live, &outcome);
    if (jrc < 0) {
      rc = bn_fail(BN_EXIT_FAIL, "--report %s: %s", s->report, strerror(-jrc));
    }
  }
  fflush(s->out);
  return rc;
}

void bn_replay_session_free(bn_replay_session *s)
{
  bn_rp_live_free(&s->live);
  if (s->planned) {
    bn_rp_plan_free(&s->plan);
    s->planned = false;
  }
  if (s->iface_fd >= 0) {
    close(s->iface_fd);
    s->iface_fd = -1;
  }
  free(s->numbers);
  s->numbers = NULL;
}
