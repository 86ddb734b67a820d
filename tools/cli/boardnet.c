/*
 * boardnet: the command line. Dispatches to the subcommands (run, replay,
 * rerun, sweep, shrink, check, info, boards: cli.h), prints help and version, and switches board
 * profile (--board) by running the boardnet-<board> binary built next to
 * this one. The command is a board program like any other: its subcommands
 * boot boards with the board library (tools/board/) and run the bundled
 * apps (tools/apps/) as their programs.
 */
#define _GNU_SOURCE
#include "cli.h"
#include "bn_board.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef BN_VERSION
#define BN_VERSION "0.0.0"
#endif

static const char usage[] =
  "Usage: boardnet [--board NAME] COMMAND [OPTIONS]\n"
  "       boardnet --help | --version\n"
  "\n"
  "Runs a real embedded TCP/IP stack (lwIP) in this process, configured as a\n"
  "board profile, with a TAP interface or a capture as its wire.\n"
  "\n"
  "Commands:\n"
  "  run      boot the board on a TAP interface and run an app until stopped\n"
  "           (boardnet run --help for its options)\n"
  "  replay   play a capture's peers into a live board and report how it\n"
  "           answers compared with the captured board (boardnet replay --help)\n"
  "  rerun    run again a run kept by --artifact DIR (virtual clock) and say\n"
  "           whether its outputs are byte-identical (boardnet rerun --help)\n"
  "  sweep    run a matrix of virtual-time replays (captures x scenarios x\n"
  "           seeds x boards) on every core or as shards of a cluster job,\n"
  "           and report them as a table, JSON and JUnit (boardnet sweep --help)\n"
  "  shrink   the fewest of a failed run's injected faults that still make\n"
  "           it fail, written as a scenario (boardnet shrink --help)\n"
  "  check    validate scenario files and print the timeline understood\n"
  "           (boardnet check --help)\n"
  "  info     print the board profile in effect: lwIP options and version\n"
  "           (info --compare A,B side by side; info --link its link.scn)\n"
  "  boards   list the board profiles built, one line each\n"
  "\n"
  "Options:\n"
  "  --board NAME   use board profile NAME (default: the one this binary was\n"
  "                 built with); runs boardnet-NAME from the same directory\n"
  "  -h, --help     print this help\n"
  "  -V, --version  print the version\n"
  "\n"
  "Exit status: 0 on success, 1 when the board fails, 2 on bad usage.\n";

/* Replaces this process with boardnet-<board> from our own directory. */
static int exec_board(const char *board, char **argv)
{
  char self[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
  if (n < 0) {
    return bn_fail(BN_EXIT_FAIL, "cannot find my own binary: %s", strerror(errno));
  }
  self[n] = '\0';
  char *slash = strrchr(self, '/');
  char path[PATH_MAX];
  snprintf(path, sizeof(path), "%.*s/boardnet-%s", (int)(slash - self), self, board);
  if (strchr(board, '/') != NULL || access(path, X_OK) != 0) {
    return bn_fail(BN_EXIT_USAGE,
                        "unknown board '%s' (not built: add it to -DBOARDS=... at cmake time)", board);
  }
  setenv("BOARDNET_BOARD_EXEC", board, 1);
  execv(path, argv);
  return bn_fail(BN_EXIT_FAIL, "cannot run %s: %s", path, strerror(errno));
}

int main(int argc, char **argv)
{
  int i = 1;
  for (; i < argc && argv[i][0] == '-'; i++) {
    const char *a = argv[i];
    if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
      fputs(usage, stdout);
      return BN_EXIT_OK;
    }
    if (strcmp(a, "-V") == 0 || strcmp(a, "--version") == 0) {
      printf("boardnet %s (board %s, lwIP %s)\n", BN_VERSION, bn_board_name(), bn_board_lwip_version());
      return BN_EXIT_OK;
    }
    if (strcmp(a, "--board") == 0 || strncmp(a, "--board=", 8) == 0) {
      const char *board = a[7] == '=' ? a + 8 : (i + 1 < argc ? argv[++i] : NULL);
      if (board == NULL || *board == '\0') {
        return bn_fail(BN_EXIT_USAGE, "--board needs a board name");
      }
      if (strcmp(board, bn_board_name()) != 0) {
        const char *already = getenv("BOARDNET_BOARD_EXEC");
        if (already != NULL && strcmp(already, board) == 0) {
          return bn_fail(BN_EXIT_FAIL, "boardnet-%s is built for board %s", board, bn_board_name());
        }
        return exec_board(board, argv);
      }
      continue;
    }
    return bn_fail(BN_EXIT_USAGE, "unknown option '%s' (boardnet --help)", a);
  }
  if (i == argc) {
    fputs(usage, stderr);
    return BN_EXIT_USAGE;
  }
  const char *cmd = argv[i];
  if (strcmp(cmd, "run") == 0) {
    return bn_cmd_run(argc - i, argv + i);
  }
  if (strcmp(cmd, "replay") == 0) {
    return bn_cmd_replay(argc - i, argv + i);
  }
  if (strcmp(cmd, "rerun") == 0) {
    return bn_cmd_rerun(argc - i, argv + i);
  }
  if (strcmp(cmd, "sweep") == 0) {
    return bn_cmd_sweep(argc - i, argv + i);
  }
  if (strcmp(cmd, "shrink") == 0) {
    return bn_cmd_shrink(argc - i, argv + i);
  }
  if (strcmp(cmd, "check") == 0) {
    return bn_cmd_check(argc - i, argv + i);
  }
  if (strcmp(cmd, "info") == 0) {
    return bn_cmd_info(argc - i, argv + i);
  }
  if (strcmp(cmd, "boards") == 0) {
    return bn_cmd_boards(argc - i, argv + i);
  }
  if (strcmp(cmd, "help") == 0) {
    fputs(usage, stdout);
    return BN_EXIT_OK;
  }
  return bn_fail(BN_EXIT_USAGE, "unknown command '%s' (boardnet --help)", cmd);
}
