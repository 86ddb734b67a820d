/*
 * boardnet run: boots the board on a TAP interface (static address or DHCP),
 * starts the requested apps, and serves until SIGINT/SIGTERM or --exit-after,
 * then stops cleanly and prints a one-line summary.
 */
#define _GNU_SOURCE
#include "cli.h"
#include "bn_board.h"
#include "bn_config.h"
#include "bn_stack.h"
#include "link_tap.h"
#include "apps/board_apps.h"

#include "lwip/api.h"

#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_APPS 4

static const char run_usage[] =
  "Usage: boardnet [--board NAME] run --tap NAME [OPTIONS]\n"
  "\n"
  "Boots the board on TAP interface NAME and runs until SIGINT or SIGTERM\n"
  "(Ctrl-C), then prints a summary. The TAP is attached if it exists (see\n"
  "'ip tuntap add'), created otherwise (needs CAP_NET_ADMIN). Started with\n"
  "sudo, boardnet drops back to the invoking user once the TAP is open.\n"
  "\n"
  "Addressing (default: --ip 192.0.2.2/24, no gateway):\n"
  "  --ip A.B.C.D[/N]     static IPv4 address and prefix length (N: 1..32,\n"
  "                       default 24)\n"
  "  --gw A.B.C.D         default gateway (must be in the --ip subnet)\n"
  "  --dhcp               get the address by DHCP instead\n"
  "  --dhcp-timeout SEC   give up on DHCP after SEC seconds (default 10)\n"
  "  --dns A.B.C.D        DNS server (up to 2; DHCP may supply them too)\n"
  "  --mac XX:XX:XX:XX:XX:XX  MAC address (default: the board's vendor OUI\n"
  "                       followed by bytes derived from the TAP name)\n"
  "  --hostname NAME      hostname sent with DHCP (default: the board's)\n"
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
  "\n"
  "Other:\n"
  "  --resolve NAME       once up, look NAME up with the board's DNS resolver\n"
  "                       and print the answer (repeatable)\n"
  "  --exit-after SEC     stop by itself after SEC seconds\n"
  "  -q, --quiet          print errors only\n"
  "  -h, --help           print this help\n"
  "\n"
  "Exit status: 0 after a clean stop, 1 if the board could not start\n"
  "(TAP, DHCP), 2 on bad usage.\n"
  "\n"
  "Example (TAP bn0 addressed 192.0.2.1/24 on the kernel side):\n"
  "  boardnet run --tap bn0 --ip 192.0.2.2/24 --gw 192.0.2.1 --app http --app echo\n";

struct run_options {
  const char *tap;
  bn_config cfg;
  bool ip_given;
  unsigned exit_after_s;
  bool quiet;
  const char *apps[MAX_APPS];
  uint16_t ports[MAX_APPS];
  int app_count;
  const char *names[MAX_APPS];
  int name_count;
  int backlog;
};

enum { OPT_IP = 256, OPT_GW, OPT_DHCP, OPT_DHCP_TIMEOUT, OPT_DNS, OPT_MAC, OPT_HOSTNAME,
       OPT_APP, OPT_PORT, OPT_BACKLOG, OPT_TAP, OPT_EXIT_AFTER, OPT_RESOLVE };

static const struct option run_long_options[] = {
  { "tap", required_argument, NULL, OPT_TAP },
  { "ip", required_argument, NULL, OPT_IP },
  { "gw", required_argument, NULL, OPT_GW },
  { "dhcp", no_argument, NULL, OPT_DHCP },
  { "dhcp-timeout", required_argument, NULL, OPT_DHCP_TIMEOUT },
  { "dns", required_argument, NULL, OPT_DNS },
  { "mac", required_argument, NULL, OPT_MAC },
  { "hostname", required_argument, NULL, OPT_HOSTNAME },
  { "app", required_argument, NULL, OPT_APP },
  { "port", required_argument, NULL, OPT_PORT },
  { "backlog", required_argument, NULL, OPT_BACKLOG },
  { "exit-after", required_argument, NULL, OPT_EXIT_AFTER },
  { "resolve", required_argument, NULL, OPT_RESOLVE },
  { "quiet", no_argument, NULL, 'q' },
  { "help", no_argument, NULL, 'h' },
  { NULL, 0, NULL, 0 },
};

static int parse_seconds(const char *opt, const char *text, unsigned *out)
{
  char *end;
  errno = 0;
  unsigned long v = strtoul(text, &end, 10);
  if (errno != 0 || end == text || *end != '\0' || v == 0 || v > 86400 || text[0] == '-') {
    return bn_cli_error(BN_EXIT_USAGE, "%s: '%s' is not a number of seconds (1..86400)", opt, text);
  }
  *out = (unsigned)v;
  return 0;
}

/* Parses argv into o; returns 0, or an exit code (-1 for "help printed"). */
static int parse_run_options(int argc, char **argv, struct run_options *o)
{
  char err[BN_CONFIG_ERRLEN];
  int c;
  opterr = 0;
  optind = 1;
  while ((c = getopt_long(argc, argv, ":qh", run_long_options, NULL)) != -1) {
    int rc = 0;
    switch (c) {
    case OPT_TAP: o->tap = optarg; break;
    case OPT_IP:
      rc = bn_config_parse_ip4_prefix(optarg, &o->cfg.ip, &o->cfg.netmask, err);
      o->ip_given = true;
      break;
    case OPT_GW: rc = bn_config_parse_ip4(optarg, &o->cfg.gw, err); break;
    case OPT_DHCP: o->cfg.dhcp = true; break;
    case OPT_DHCP_TIMEOUT: {
      unsigned s = 0;
      if (parse_seconds("--dhcp-timeout", optarg, &s) != 0) {
        return BN_EXIT_USAGE;
      }
      o->cfg.dhcp_timeout_ms = s * 1000u;
      break;
    }
    case OPT_DNS:
      if (o->cfg.dns_count == BN_STACK_MAX_DNS) {
        return bn_cli_error(BN_EXIT_USAGE, "--dns: at most %d servers", BN_STACK_MAX_DNS);
      }
      rc = bn_config_parse_ip4(optarg, &o->cfg.dns[o->cfg.dns_count++], err);
      break;
    case OPT_MAC:
      rc = bn_config_parse_mac(optarg, o->cfg.mac, err);
      o->cfg.mac_set = true;
      break;
    case OPT_HOSTNAME:
      if (optarg[0] == '\0' || strlen(optarg) > 63) {
        return bn_cli_error(BN_EXIT_USAGE, "--hostname: 1..63 characters");
      }
      o->cfg.hostname = optarg;
      break;
    case OPT_APP:
      if (bn_app_find(optarg) == NULL) {
        return bn_cli_error(BN_EXIT_USAGE, "--app: unknown app '%s' (echo, discard, chargen, http)", optarg);
      }
      if (o->app_count == MAX_APPS) {
        return bn_cli_error(BN_EXIT_USAGE, "--app: at most %d apps", MAX_APPS);
      }
      o->apps[o->app_count++] = optarg;
      break;
    case OPT_PORT:
      if (o->app_count == 0) {
        return bn_cli_error(BN_EXIT_USAGE, "--port comes after the --app it applies to");
      }
      rc = bn_config_parse_port(optarg, &o->ports[o->app_count - 1], err);
      break;
    case OPT_BACKLOG: {
      char *end;
      errno = 0;
      long v = strtol(optarg, &end, 10);
      if (errno != 0 || end == optarg || *end != '\0' || v < 1 || v > BN_APP_BACKLOG_MAX) {
        return bn_cli_error(BN_EXIT_USAGE, "--backlog: '%s' is not a backlog (1..%d)", optarg,
                            BN_APP_BACKLOG_MAX);
      }
      o->backlog = (int)v;
      break;
    }
    case OPT_EXIT_AFTER:
      if (parse_seconds("--exit-after", optarg, &o->exit_after_s) != 0) {
        return BN_EXIT_USAGE;
      }
      break;
    case OPT_RESOLVE:
      if (o->name_count == MAX_APPS || optarg[0] == '\0' || strlen(optarg) > 253) {
        return bn_cli_error(BN_EXIT_USAGE, "--resolve: at most %d names of 1..253 characters", MAX_APPS);
      }
      o->names[o->name_count++] = optarg;
      break;
    case 'q': o->quiet = true; break;
    case 'h': fputs(run_usage, stdout); return -1;
    case ':': return bn_cli_error(BN_EXIT_USAGE, "%s needs a value (boardnet run --help)", argv[optind - 1]);
    default:  return bn_cli_error(BN_EXIT_USAGE, "run: unknown option '%s' (boardnet run --help)", argv[optind - 1]);
    }
    if (rc < 0) {
      return bn_cli_error(BN_EXIT_USAGE, "%s", err);
    }
  }
  if (optind < argc) {
    return bn_cli_error(BN_EXIT_USAGE, "run: unexpected argument '%s'", argv[optind]);
  }
  if (o->tap == NULL) {
    return bn_cli_error(BN_EXIT_USAGE, "run: --tap NAME is required (boardnet run --help)");
  }
  if (o->cfg.dhcp && (o->ip_given || !ip4_addr_isany_val(o->cfg.gw))) {
    return bn_cli_error(BN_EXIT_USAGE, "--dhcp cannot be combined with --ip or --gw");
  }
  if (!o->cfg.dhcp) {
    if (!o->ip_given) {
      bn_config_parse_ip4_prefix("192.0.2.2/24", &o->cfg.ip, &o->cfg.netmask, err);
    }
    if (bn_config_check_ip4(&o->cfg.ip, &o->cfg.netmask, &o->cfg.gw, err) < 0) {
      return bn_cli_error(BN_EXIT_USAGE, "%s", err);
    }
  }
  return 0;
}

/* Started by sudo as root: become the invoking user again (the TAP stays open). */
static int drop_privileges(void)
{
  const char *uid = getenv("SUDO_UID"), *gid = getenv("SUDO_GID");
  if (geteuid() != 0 || uid == NULL || gid == NULL) {
    return 0;
  }
  uid_t u = (uid_t)strtoul(uid, NULL, 10);
  gid_t g = (gid_t)strtoul(gid, NULL, 10);
  if (u == 0) {
    return 0;
  }
  if (setgroups(0, NULL) != 0 || setgid(g) != 0 || setuid(u) != 0) {
    return bn_cli_error(BN_EXIT_FAIL, "cannot drop privileges to uid %u: %s", (unsigned)u, strerror(errno));
  }
  return 0;
}

static void print_status(const char *tap)
{
  bn_stack_status st;
  if (bn_stack_status_get(&st) < 0) {
    return;
  }
  char ip[IP4ADDR_STRLEN_MAX], gw[IP4ADDR_STRLEN_MAX], dns[IP4ADDR_STRLEN_MAX];
  ip4addr_ntoa_r(&st.ip, ip, sizeof(ip));
  ip4addr_ntoa_r(&st.gw, gw, sizeof(gw));
  ip4addr_ntoa_r(&st.dns[0], dns, sizeof(dns));
  int prefix = __builtin_popcount(ip4_addr_get_u32(&st.netmask));
  printf("boardnet: board %s up on tap %s: mac %02x:%02x:%02x:%02x:%02x:%02x, ip %s/%d",
         bn_board_name(), tap, st.mac[0], st.mac[1], st.mac[2], st.mac[3], st.mac[4], st.mac[5],
         ip, prefix);
  if (!ip4_addr_isany_val(st.gw)) {
    printf(", gw %s", gw);
  }
  if (!ip4_addr_isany_val(st.dns[0])) {
    printf(", dns %s", dns);
  }
  if (st.lease_s != 0) {
    char server[IP4ADDR_STRLEN_MAX];
    ip4addr_ntoa_r(&st.dhcp_server, server, sizeof(server));
    printf(" (DHCP lease %" PRIu32 " s from %s)", st.lease_s, server);
  }
  printf("\n");
}

/* Why netconn_gethostbyname() failed, in words (lwip_strerr() is "" unless LWIP_DEBUG). */
static const char *resolve_strerror(err_t err)
{
  switch (err) {
  case ERR_VAL: return "no address (no DNS server set, the server has no such name or refused, or no answer)";
  case ERR_ARG: return "invalid name";
  case ERR_MEM: return "out of memory";
  default:      return "lwIP error";
  }
}

/* Looks each --resolve name up with lwIP's resolver; 0 if all resolved. */
static int resolve_names(const struct run_options *o)
{
  int failures = 0;
  for (int i = 0; i < o->name_count; i++) {
    ip_addr_t addr;
    err_t err = netconn_gethostbyname(o->names[i], &addr);
    if (err == ERR_OK) {
      char text[IPADDR_STRLEN_MAX];
      ipaddr_ntoa_r(&addr, text, sizeof(text));
      printf("boardnet: resolved %s to %s\n", o->names[i], text);
    } else {
      fprintf(stderr, "boardnet: cannot resolve %s: %s\n", o->names[i], resolve_strerror(err));
      failures++;
    }
  }
  fflush(stdout);
  return failures;
}

/* Waits for SIGINT/SIGTERM/SIGHUP (blocked in every thread) or the deadline. */
static const char *wait_for_stop(const sigset_t *signals, unsigned exit_after_s)
{
  struct timespec step = { .tv_sec = 1 };
  time_t deadline = exit_after_s ? time(NULL) + (time_t)exit_after_s : 0;
  for (;;) {
    int sig = sigtimedwait(signals, NULL, &step);
    if (sig > 0) {
      return strsignal(sig);
    }
    if (deadline != 0 && time(NULL) >= deadline) {
      return "--exit-after";
    }
  }
}

int bn_cmd_run(int argc, char **argv)
{
  struct run_options o;
  memset(&o, 0, sizeof(o));
  int rc = parse_run_options(argc, argv, &o);
  if (rc != 0) {
    return rc < 0 ? BN_EXIT_OK : rc;
  }
  /* Block the stop signals before any thread starts, so all inherit the mask
   * and only wait_for_stop() receives them. */
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, NULL);
  signal(SIGPIPE, SIG_IGN);

  rc = bn_link_tap_open(o.tap, 0, &o.cfg.link);
  if (rc < 0) {
    return bn_cli_error(BN_EXIT_FAIL, "tap %s: %s", o.tap, bn_link_tap_strerror(rc));
  }
  if (drop_privileges() != 0) {
    bn_link_close(o.cfg.link);
    return BN_EXIT_FAIL;
  }
  struct timespec t0;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  if (o.cfg.dhcp && !o.quiet) {
    printf("boardnet: board %s on tap %s: waiting for a DHCP lease...\n", bn_board_name(), o.tap);
    fflush(stdout);
  }
  rc = bn_stack_start(&o.cfg);
  if (rc < 0) {
    bn_link_close(o.cfg.link);
    if (rc == -ETIMEDOUT) {
      return bn_cli_error(BN_EXIT_FAIL, "no DHCP lease on tap %s within %u s", o.tap,
                          (o.cfg.dhcp_timeout_ms ? o.cfg.dhcp_timeout_ms : 10000) / 1000);
    }
    return bn_cli_error(BN_EXIT_FAIL, "cannot start the stack: %s", strerror(-rc));
  }
  if (!o.quiet) {
    print_status(o.tap);
  }
  for (int i = 0; i < o.app_count; i++) {
    const bn_app_info *app = bn_app_find(o.apps[i]);
    uint16_t port = o.ports[i] ? o.ports[i] : app->default_port;
    rc = bn_app_start(app->name, port, o.backlog);
    if (rc < 0) {
      bn_stack_stop();
      return bn_cli_error(BN_EXIT_FAIL, "app %s on port %u: %s", app->name, port, strerror(-rc));
    }
    if (!o.quiet) {
      printf("boardnet: app %s listening on port %u\n", app->name, port);
    }
  }
  fflush(stdout);
  resolve_names(&o);

  const char *why = wait_for_stop(&signals, o.exit_after_s);
  bn_stack_status st;
  bn_stack_status_get(&st);
  bn_stack_stop();
  struct timespec t1;
  clock_gettime(CLOCK_MONOTONIC, &t1);
  double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
  const bn_netif_counters *c = &st.counters;
  printf("boardnet: stopped (%s) after %.1f s: rx %" PRIu64 " frames %" PRIu64 " bytes, "
         "tx %" PRIu64 " frames %" PRIu64 " bytes, dropped rx %" PRIu64 " tx %" PRIu64 "\n",
         why, secs, c->rx_frames, c->rx_bytes, c->tx_frames, c->tx_bytes, c->rx_dropped, c->tx_dropped);
  return BN_EXIT_OK;
}
