/*
 * How boardnet's programs end and complain: the exit codes, and the one-line
 * "boardnet: <message>" on stderr. Shared by the CLI's commands, the board
 * options (board_options.h) and the test and benchmark boards.
 */
#ifndef BN_EXIT_STATUS_H
#define BN_EXIT_STATUS_H

#include <stdint.h>

/** Exit codes: 0 ok, 1 runtime failure, 2 bad usage (as getopt tools do). */
enum { BN_EXIT_OK = 0, BN_EXIT_FAIL = 1, BN_EXIT_USAGE = 2 };

/** Prints "boardnet: <message>" to stderr; returns code. */
int bn_cli_error(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/**
 * A decimal number in min..max for option opt ("--loop"): 0 with *out set,
 * or BN_EXIT_USAGE after printing "boardnet: --loop: 'x' is not a number in
 * 1..1000000".
 */
int bn_cli_parse_number(const char *opt, const char *text, uint64_t min, uint64_t max, uint64_t *out);

#endif /* BN_EXIT_STATUS_H */
