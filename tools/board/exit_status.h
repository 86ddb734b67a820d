/*
 * How a board program ends and complains (the boardnet command is one too):
 * its exit codes, the one-line "boardnet: <message>" on stderr, and a
 * number option checked with the same line. Shared by the board options
 * (board_options.h), the runner, the CLI's commands and the test and
 * benchmark boards.
 */
#ifndef BN_EXIT_STATUS_H
#define BN_EXIT_STATUS_H

#include <stdint.h>

/** Exit codes: 0 ok, 1 runtime failure, 2 bad usage (as getopt tools do). */
enum { BN_EXIT_OK = 0, BN_EXIT_FAIL = 1, BN_EXIT_USAGE = 2 };

/** Prints "boardnet: <message>" to stderr; returns code (the exit status to end with). */
int bn_fail(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/**
 * A decimal number in min..max for option opt ("--loop"): 0 with *out set,
 * or BN_EXIT_USAGE after printing "boardnet: --loop: 'x' is not a number in
 * 1..1000000".
 */
int bn_parse_number_option(const char *opt, const char *text, uint64_t min, uint64_t max, uint64_t *out);

/**
 * A number of seconds, fractions allowed ("2", "0.5"), in min..max for
 * option opt: 0 with *out set, or BN_EXIT_USAGE after printing "boardnet:
 * --step-timeout: 'x' is not a number of seconds (0..3600)".
 */
int bn_parse_seconds_option(const char *opt, const char *text, double min, double max, double *out);

#endif /* BN_EXIT_STATUS_H */
