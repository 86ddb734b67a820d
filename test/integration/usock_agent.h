/*
 * bn-usock-agent: a board that runs one usocket scenario against kernel peers
 * (the integration tests test_usocket_*.sh drive it). Shared declarations of
 * the scenario files and the small helpers they use.
 */
#ifndef BN_USOCK_AGENT_H
#define BN_USOCK_AGENT_H

#include <stddef.h>
#include <stdint.h>

#include "usocket.h"

/** Bound of every blocking usocket call of a scenario, in milliseconds. */
#define UA_TIMEOUT_MS 10000L

/** Exit codes: success, scenario failed, bad usage. */
enum { UA_OK = 0, UA_FAIL = 1, UA_USAGE = 2 };

/** A scenario: runs with its own arguments, returns an exit code (UA_*). */
typedef struct ua_scenario {
  const char *name;
  const char *args;   /**< usage of its arguments */
  int argc;           /**< exact number of arguments */
  int (*run)(char **argv);
} ua_scenario;

/** The board's own address (from --ip), dotted. */
extern char ua_board_ip[USOCKET_IPSTRLEN];

/* TCP scenarios (usock_agent_tcp.c). */
int ua_tcp_client_send(char **argv);
int ua_tcp_client_recv(char **argv);
int ua_tcp_server_sink(char **argv);
int ua_tcp_server_echo(char **argv);
int ua_connect_closed(char **argv);
int ua_recv_reset(char **argv);
int ua_send_reset(char **argv);
int ua_tcp_client_rst(char **argv);

/* UDP scenarios (usock_agent_udp.c). */
int ua_udp_echo_server(char **argv);
int ua_udp_client(char **argv);
int ua_mcast_recv(char **argv);

/* Helpers (usock_agent_util.c). */

/** The name of a usocket result: "ECONNRESET" for -104, "NONE", "OK" for >= 0. */
const char *ua_errname(long result);

/** Prints "FAIL: <what>: <errname>" to stderr; returns UA_FAIL. */
int ua_fail(const char *what, long result);

/** Prints a line to stdout and flushes it (the tests read it while we run). */
void ua_say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/**
 * Parses ip and a port (1..65535) into an address.
 * @return 0, or -1 after printing why (usage error).
 */
int ua_parse_addr(const char *ip, const char *port, usocket_addr *out);

/** Parses a count 1..max. @return 0, or -1 after printing why. */
int ua_parse_count(const char *what, const char *text, long max, long *out);

/** Reads a whole file into a malloc()ed buffer. @return 0 or -1 after printing why. */
int ua_read_file(const char *path, uint8_t **data, size_t *len);

/** Opens path for writing (truncating). @return the FILE, or NULL after printing why. */
void *ua_open_out(const char *path);

/** Fills buf with bytes derived from seed (xorshift32), the same for the same seed. */
void ua_fill(uint8_t *buf, size_t len, uint32_t seed);

/** A new socket of type with timeout UA_TIMEOUT_MS. @return 0 or a usocket error. */
int ua_socket(int type, usocket **out);

#endif /* BN_USOCK_AGENT_H */
