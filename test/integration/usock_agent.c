/*
 * bn-usock-agent: boots a board on a TAP (as `boardnet run` does) and runs
 * ONE usocket scenario written like MicroPython board code, printing its
 * results as greppable "key=value" lines. The integration tests
 * test/integration/test_usocket_*.sh run it in a network namespace with
 * kernel peers (socat, python3).
 *
 *   bn-usock-agent --tap NAME [board options] [--hold SEC] SCENARIO ARGS...
 *
 * The board options are boardnet run's (tools/board/board_options.h).
 *
 * --hold SEC keeps the board up after a successful scenario until SIGTERM/
 * SIGINT or SEC seconds, so that lwIP can deliver what a closed socket still
 * had queued.
 * Exit status: 0 scenario passed, 1 failed (a "FAIL: ..." line on stderr),
 * 2 bad usage.
 */
#define _GNU_SOURCE
#include "usock_agent.h"

#include "board_options.h"
#include "bn_stack.h"

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
  fprintf(out, "Usage: bn-usock-agent --tap NAME [board options] [--hold SEC] SCENARIO ARGS...\n"
               "\n"
               "  --hold SEC           keep the board up after a successful scenario\n\n");
  bn_board_options_help(out);
  fprintf(out, "\nScenarios:\n");
  for (size_t i = 0; i < sizeof(scenarios) / sizeof(scenarios[0]); i++) {
    fprintf(out, "  %-16s %s\n", scenarios[i].name, scenarios[i].args);
  }
}

enum { OPT_HOLD = 256 };

/* Parses the board options into o; returns optind of the scenario, or -1. */
static int parse_options(int argc, char **argv, bn_board_options *o, long *hold_s)
{
  struct option opts[2 + BN_BOARD_OPTIONS_MAX + 1] = {
    { "hold", required_argument, NULL, OPT_HOLD },
    { "help", no_argument, NULL, 'h' },
  };
  opts[2 + bn_board_options_getopt(opts + 2)] = (struct option){ NULL, 0, NULL, 0 };
  bn_board_options_init(o);
  int c;
  opterr = 0;
  /* "+": stop at the scenario name, its arguments are its own. */
  while ((c = getopt_long(argc, argv, "+:h", opts, NULL)) != -1) {
    if (c == 'h') {
      usage(stdout);
      exit(UA_OK);
    }
    if (c == OPT_HOLD) {
      if (ua_parse_count("--hold", optarg, 3600, hold_s) < 0) {
        return -1;
      }
      continue;
    }
    int rc = (c == ':' || c == '?') ? -1 : bn_board_options_parse(o, c, optarg);
    if (rc == -1) {
      fprintf(stderr, "usage: unknown option or missing value: %s\n", argv[optind - 1]);
      usage(stderr);
      return -1;
    }
    if (rc != 0) {
      return -1;
    }
  }
  if (optind >= argc) {
    usage(stderr);
    return -1;
  }
  return bn_board_options_finish(o) == 0 ? optind : -1;
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
  bn_board_options o;
  long hold_s = 0;
  int first = parse_options(argc, argv, &o, &hold_s);
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

  if (bn_board_options_open(&o, NULL, NULL) != 0) {
    return UA_FAIL;
  }
  int rc = bn_stack_start(&o.cfg);
  if (rc < 0) {
    bn_link_close(o.cfg.link);
    fprintf(stderr, "FAIL: cannot start the stack: %s\n", strerror(-rc));
    return UA_FAIL;
  }
  if (bn_scenario_run_start(&o.scenario, o.cfg.link, NULL) != 0) {  /* --scenario, quietly */
    bn_stack_stop();
    return UA_FAIL;
  }
  ip4addr_ntoa_r(&o.cfg.ip, ua_board_ip, sizeof(ua_board_ip));
  ua_say("agent: up on tap %s ip %s scenario %s", o.pipeline.tap, ua_board_ip, sc->name);

  int result = sc->run(&argv[first + 1]);
  ua_say("agent: scenario %s %s", sc->name, result == UA_OK ? "done" : "failed");

  if (hold_s > 0 && result == UA_OK) {
    struct timespec limit = { .tv_sec = hold_s };
    sigtimedwait(&signals, NULL, &limit);
  }
  bn_scenario_run_stop(&o.scenario);
  bn_stack_stop();
  bn_scenario_run_finish(&o.scenario);
  return result;
}
