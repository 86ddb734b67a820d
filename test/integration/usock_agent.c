/*
 * bn-usock-agent: boots a board on a TAP (as `boardnet run` does) and runs
 * ONE usocket scenario written like MicroPython board code, printing its
 * results as greppable "key=value" lines. The integration tests
 * test/integration/test_usocket_*.sh run it in a network namespace with
 * kernel peers (socat, python3).
 *
 *   bn-usock-agent --tap NAME [--ip A/N] [--gw A] [--hold SEC] SCENARIO ARGS...
 *
 * --hold SEC keeps the board up after a successful scenario until SIGTERM/
 * SIGINT or SEC seconds, so that lwIP can deliver what a closed socket still
 * had queued.
 * Exit status: 0 scenario passed, 1 failed (a "FAIL: ..." line on stderr),
 * 2 bad usage.
 */
#define _GNU_SOURCE
#include "usock_agent.h"

#include "bn_config.h"
#include "bn_stack.h"
#include "link_tap.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

char ua_board_ip[USOCKET_IPSTRLEN];

static const ua_scenario scenarios[] = {
  { "tcp-client-send", "HOST PORT FILE   connect, sendall FILE, close", 3, ua_tcp_client_send },
  { "tcp-client-recv", "HOST PORT FILE   connect, recv to EOF into FILE", 3, ua_tcp_client_recv },
  { "tcp-server-sink", "PORT FILE        accept one, recv to EOF into FILE", 2, ua_tcp_server_sink },
  { "tcp-server-echo", "PORT             accept one, echo to EOF, close", 1, ua_tcp_server_echo },
  { "connect-closed", "HOST PORT        non-blocking connect to a port without listener", 2, ua_connect_closed },
  { "recv-reset", "HOST PORT wait|read FILE  recv until the peer's reset", 4, ua_recv_reset },
  { "send-reset", "HOST PORT FILE   sendall FILE (repeated) until the peer's reset", 3, ua_send_reset },
  { "tcp-client-rst", "PORT             multi_net/tcp_client_rst.py's server side", 1, ua_tcp_client_rst },
  { "udp-echo-server", "PORT COUNT       echo COUNT datagrams back to their senders", 2, ua_udp_echo_server },
  { "udp-client", "HOST PORT COUNT  send COUNT datagrams, check each echo", 3, ua_udp_client },
  { "mcast-recv", "GROUP PORT       join, receive one datagram, leave, receive one unicast", 2, ua_mcast_recv },
};

static void usage(FILE *out)
{
  fprintf(out, "Usage: bn-usock-agent --tap NAME [--ip A.B.C.D/N] [--gw A.B.C.D] [--hold SEC] SCENARIO ARGS...\n"
               "Scenarios:\n");
  for (size_t i = 0; i < sizeof(scenarios) / sizeof(scenarios[0]); i++) {
    fprintf(out, "  %-16s %s\n", scenarios[i].name, scenarios[i].args);
  }
}

/* Parses the board options into cfg; returns optind of the scenario, or -1. */
static int parse_options(int argc, char **argv, const char **tap, bn_config *cfg, long *hold_s)
{
  static const struct option opts[] = {
    { "tap", required_argument, NULL, 't' },
    { "ip", required_argument, NULL, 'i' },
    { "gw", required_argument, NULL, 'g' },
    { "hold", required_argument, NULL, 'H' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  char err[BN_CONFIG_ERRLEN];
  bool ip_given = false;
  int c;
  opterr = 0;
  /* "+": stop at the scenario name, its arguments are its own. */
  while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
    int rc = 0;
    switch (c) {
    case 't': *tap = optarg; break;
    case 'i': rc = bn_config_parse_ip4_prefix(optarg, &cfg->ip, &cfg->netmask, err); ip_given = true; break;
    case 'g': rc = bn_config_parse_ip4(optarg, &cfg->gw, err); break;
    case 'H':
      if (ua_parse_count("--hold", optarg, 3600, hold_s) < 0) {
        return -1;
      }
      break;
    case 'h': usage(stdout); exit(UA_OK);
    default:
      fprintf(stderr, "usage: unknown option or missing value: %s\n", argv[optind - 1]);
      usage(stderr);
      return -1;
    }
    if (rc < 0) {
      fprintf(stderr, "usage: %s\n", err);
      return -1;
    }
  }
  if (*tap == NULL || optind >= argc) {
    usage(stderr);
    return -1;
  }
  if (!ip_given) {
    bn_config_parse_ip4_prefix("192.0.2.2/24", &cfg->ip, &cfg->netmask, err);
  }
  if (bn_config_check_ip4(&cfg->ip, &cfg->netmask, &cfg->gw, err) < 0) {
    fprintf(stderr, "usage: %s\n", err);
    return -1;
  }
  return optind;
}

static const ua_scenario *find_scenario(const char *name)
{
  for (size_t i = 0; i < sizeof(scenarios) / sizeof(scenarios[0]); i++) {
    if (strcmp(scenarios[i].name, name) == 0) {
      return &scenarios[i];
    }
  }
  return NULL;
}

int main(int argc, char **argv)
{
  const char *tap = NULL;
  bn_config cfg;
  long hold_s = 0;
  memset(&cfg, 0, sizeof(cfg));
  int first = parse_options(argc, argv, &tap, &cfg, &hold_s);
  if (first < 0) {
    return UA_USAGE;
  }
  const ua_scenario *sc = find_scenario(argv[first]);
  if (sc == NULL || argc - first - 1 != sc->argc) {
    fprintf(stderr, "usage: %s '%s'\n", sc == NULL ? "unknown scenario" : "wrong arguments for", argv[first]);
    usage(stderr);
    return UA_USAGE;
  }

  /* The stop signals are taken by sigtimedwait() in the hold phase only: block
   * them before any thread starts so that every thread inherits the mask. */
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, NULL);
  signal(SIGPIPE, SIG_IGN);

  int rc = bn_link_tap_open(tap, 0, &cfg.link);
  if (rc < 0) {
    fprintf(stderr, "FAIL: tap %s: %s\n", tap, bn_link_tap_strerror(rc));
    return UA_FAIL;
  }
  rc = bn_stack_start(&cfg);
  if (rc < 0) {
    bn_link_close(cfg.link);
    fprintf(stderr, "FAIL: cannot start the stack: %s\n", strerror(-rc));
    return UA_FAIL;
  }
  ip4addr_ntoa_r(&cfg.ip, ua_board_ip, sizeof(ua_board_ip));
  ua_say("agent: up on tap %s ip %s scenario %s", tap, ua_board_ip, sc->name);

  int result = sc->run(&argv[first + 1]);
  ua_say("agent: scenario %s %s", sc->name, result == UA_OK ? "done" : "failed");

  if (hold_s > 0 && result == UA_OK) {
    struct timespec limit = { .tv_sec = hold_s };
    sigtimedwait(&signals, NULL, &limit);
  }
  bn_stack_stop();
  return result;
}
