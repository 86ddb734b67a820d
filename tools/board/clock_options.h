/*
 * The board options of time (--clock, --sched-seed, --clock-stall,
 * --clock-stats, --epoch): parsed with the other board options
 * (board_options.c), checked against the wire (a virtual clock needs a
 * capture or a memory link: a TAP's kernel peers live in real time), and
 * started before the board's first thread.
 */
#ifndef BN_CLOCK_OPTIONS_H
#define BN_CLOCK_OPTIONS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/** The time options of a board. */
typedef struct bn_clock_options {
  bool virtual_clock;     /**< --clock virtual */
  bool given;             /**< --clock given at all */
  uint64_t sched_seed;    /**< --sched-seed N (0: wake order) */
  bool sched_seed_given;
  double stall_s;         /**< --clock-stall SEC (default 10) */
  bool stall_given;
  bool stats;             /**< --clock-stats */
  uint64_t epoch_ns;      /**< --epoch SEC, as nanoseconds since the UNIX epoch */
  bool epoch_given;
  bool started;
} bn_clock_options;

/** Parses --clock MODE. @return 0, or BN_EXIT_USAGE (said why). */
int bn_clock_options_parse_clock(bn_clock_options *c, const char *arg);

/** Parses --sched-seed N. @return 0, or BN_EXIT_USAGE. */
int bn_clock_options_parse_sched_seed(bn_clock_options *c, const char *arg);

/** Parses --clock-stall SEC. @return 0, or BN_EXIT_USAGE. */
int bn_clock_options_parse_stall(bn_clock_options *c, const char *arg);

/** Parses --epoch SEC (seconds since 1970, fractions allowed). @return 0, or BN_EXIT_USAGE. */
int bn_clock_options_parse_epoch(bn_clock_options *c, const char *arg);

/**
 * Checks the time options against the wire: --clock virtual with a TAP is
 * refused, the options of the virtual clock without it too. Without
 * --clock, a run without a TAP takes the environment's BOARDNET_CLOCK
 * (virtual: the virtual clock; anything else: the real one), so that a
 * test suite can run every replay of its own on the virtual clock.
 * @return 0, or BN_EXIT_USAGE (one line said why).
 */
int bn_clock_options_check(bn_clock_options *c, bool on_tap);

/**
 * Starts the virtual clock if asked, the calling thread (the program's
 * main thread) its first thread; before any thread of the board starts.
 * default_epoch_ns is the epoch without --epoch (a capture's first
 * timestamp; 0 for none).
 */
void bn_clock_options_start(bn_clock_options *c, uint64_t default_epoch_ns);

/** With --clock-stats: prints board seconds, wall seconds, their ratio, switches and jumps to out. */
void bn_clock_options_report(const bn_clock_options *c, FILE *out);

#endif /* BN_CLOCK_OPTIONS_H */
