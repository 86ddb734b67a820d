/* The boardnet command line: shared declarations of the subcommands. */
#ifndef BN_CLI_H
#define BN_CLI_H

#include <stdio.h>

/** Exit codes: 0 ok, 1 runtime failure, 2 bad usage (as getopt tools do). */
enum { BN_EXIT_OK = 0, BN_EXIT_FAIL = 1, BN_EXIT_USAGE = 2 };

/** boardnet run ...: boots the board on a TAP and serves until stopped. */
int bn_cmd_run(int argc, char **argv);

/** boardnet info: prints the board profile in effect. */
int bn_cmd_info(int argc, char **argv);

/** Prints "boardnet: <message>" to stderr; returns code. */
int bn_cli_error(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif /* BN_CLI_H */
