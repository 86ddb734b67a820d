/* The boardnet command line: the subcommands boardnet.c dispatches to. */
#ifndef BN_CLI_H
#define BN_CLI_H

#include "exit_status.h"

/** boardnet run ...: boots the board on a TAP and serves until stopped. */
int bn_cmd_run(int argc, char **argv);

/** boardnet replay CAPTURE ...: replays a capture into a live board and reports. */
int bn_cmd_replay(int argc, char **argv);

/** boardnet rerun DIR: runs a run kept by --artifact again and compares its outputs. */
int bn_cmd_rerun(int argc, char **argv);

/** boardnet sweep ...: runs a matrix of virtual-time runs (or a shard of it) and reports them. */
int bn_cmd_sweep(int argc, char **argv);

/** boardnet sweep merge DIR... --out DIR: joins the shards' results into one sweep's. */
int bn_cmd_sweep_merge(int argc, char **argv);

/** boardnet shrink DIR: the fewest of a failed run's faults that still make it fail. */
int bn_cmd_shrink(int argc, char **argv);

/** boardnet check FILE.scn...: validates scenarios and prints their timelines. */
int bn_cmd_check(int argc, char **argv);

/** boardnet info: prints the board profile in effect. */
int bn_cmd_info(int argc, char **argv);
/** boardnet boards: the profiles built, one line each. */
int bn_cmd_boards(int argc, char **argv);

#endif /* BN_CLI_H */
