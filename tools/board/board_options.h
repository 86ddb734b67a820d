/*
 * The options that describe a board, parsed in one place for every program
 * that boots one (boardnet run, bn-usock-agent, ...): its wire (--tap), its
 * addresses, MAC and hostname, its seed, its recording, its scenario. One table holds each
 * option's name, argument, help text and parser, so the help and the
 * behaviour cannot drift apart.
 *
 * A program adds the board options to its own getopt_long() table, hands
 * every option it does not know itself to bn_board_options_parse(), calls
 * bn_board_options_finish() after the loop, then bn_board_options_open() to
 * open the wire (the pipeline) before bn_stack_start(&o.cfg).
 */
#ifndef BN_BOARD_OPTIONS_H
#define BN_BOARD_OPTIONS_H

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>

#include "bn_pipeline.h"
#include "bn_stack.h"
#include "clock_options.h"
#include "run_artifact.h"
#include "scenario_run.h"

/** getopt_long() values of the board options start here; a program's own
 *  options use values below it (and above 255). */
#define BN_BOARD_OPT_FIRST 1000

/** Room a program's option table must leave for the board options. */
#define BN_BOARD_OPTIONS_MAX 32

/** A board's options, filled in by parsing. */
typedef struct bn_board_options {
  bn_config cfg;              /**< addresses, MAC, hostname, DNS, seed; cfg.link from open */
  bn_pipeline_desc pipeline;  /**< the wire and its stages */
  bool ip_given;
  bool seed_given;            /**< false: cfg.seed is a fresh one, to print */
  const char *default_ip;     /**< the address without --ip/--dhcp ("192.0.2.2/24") */
  bn_record_stats record_stats; /**< the recording's counters, once the stack stopped */
  bn_scenario_run scenario;   /**< --scenario and its options (scenario_run.h) */
  bn_clock_options clock;     /**< --clock and its options (clock_options.h) */
  bn_artifact_options artifact; /**< --artifact and its options (run_artifact.h) */
} bn_board_options;

/** Sets the defaults (no TAP yet, 192.0.2.2/24, no recording). */
void bn_board_options_init(bn_board_options *o);

/**
 * Copies the board options' getopt_long() entries into opts (room for
 * BN_BOARD_OPTIONS_MAX entries) and returns how many it wrote.
 */
size_t bn_board_options_getopt(struct option *opts);

/**
 * Parses the board option whose getopt value is id (optarg arg).
 * @return 0 when parsed; -1 when id is no board option; BN_EXIT_USAGE (2)
 *         after printing "boardnet: <why>" to stderr.
 */
int bn_board_options_parse(bn_board_options *o, int id, const char *arg);

/**
 * After parsing: the defaults for what was not given, and the checks that
 * need every option (a TAP is given, --dhcp without --ip, the address and
 * gateway fit, the record filter compiles, a seed is chosen).
 * @return 0, or BN_EXIT_USAGE after printing why.
 */
int bn_board_options_finish(bn_board_options *o);

/**
 * Opens the board's wire (bn_pipeline_open()) into o->cfg.link, calling
 * backend_opened (may be NULL) once the backend is open.
 * @return 0, or BN_EXIT_FAIL (1) after printing why.
 */
int bn_board_options_open(bn_board_options *o, int (*backend_opened)(void *), void *arg);

/** The most options of a command's own bn_board_options_parse_argv() takes. */
#define BN_OWN_OPTIONS_MAX 32

/**
 * Parses a command's argv (getopt_long, "-q" and "-h" short forms): the
 * board options into o (after bn_board_options_init()), every other option
 * of own[0..n_own) through own_fn(ctx, its getopt value, optarg). Messages
 * name the command as the user types it, cmd ("boardnet run", a board
 * program's name), for its --help. optind is then the first operand.
 * @return 0; an exit code (own_fn's, or BN_EXIT_USAGE after printing why:
 *         an unknown option, a missing value); -1 when own_fn printed help.
 */
int bn_board_options_parse_argv(bn_board_options *o, int argc, char **argv, const char *cmd,
                                const struct option *own, size_t n_own, int (*own_fn)(void *, int, const char *),
                                void *ctx);

/** Prints the board options' help, one section per group, to out. */
void bn_board_options_help(FILE *out);

/** A command's --help: head, the board options' help, tail. */
void bn_board_options_usage(FILE *out, const char *head, const char *tail);

#endif /* BN_BOARD_OPTIONS_H */
