/*
 * The board's program on the command line: --app NAME (repeatable) and
 * --port N for the last one given, as boardnet run and boardnet replay take
 * them, from the table of bundled apps (board_apps.h); starting those apps
 * once the stack is up, and stopping them before it stops.
 */
#ifndef BN_APP_OPTIONS_H
#define BN_APP_OPTIONS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "board_apps.h"

#define BN_APP_OPTIONS_MAX 4

typedef struct bn_app_options {
  bool on_replay;                       /**< set by the command: replay-only apps (the mirror) are allowed */
  const bn_app_info *apps[BN_APP_OPTIONS_MAX];
  uint16_t ports[BN_APP_OPTIONS_MAX];   /**< 0: the app's default port */
  int count;
} bn_app_options;

/**
 * --app NAME.
 * @return 0, or BN_EXIT_USAGE after printing why (an unknown app, naming the
 *         known ones; a replay-only app without a replay; too many).
 */
int bn_app_options_add(bn_app_options *a, const char *name);

/** --port N for the last --app. @return 0, or BN_EXIT_USAGE after printing why. */
int bn_app_options_port(bn_app_options *a, const char *arg);

/**
 * Starts every app in env (a replay's plan for the mirror), saying
 * "boardnet: app NAME listening on port N" on announce for each server
 * unless it is NULL. On failure, bn_app_options_stop() stops those started.
 * @return 0, or BN_EXIT_FAIL after printing which app could not start.
 */
int bn_app_options_start(const bn_app_options *a, const bn_app_env *env, FILE *announce);

/** Stops the apps that stop before the stack does (the mirror). */
void bn_app_options_stop(const bn_app_options *a);

/** Whether an app still owes frames the capture shows (bn_pcap_options.busy; arg: the bn_app_options). */
bool bn_app_options_busy(void *arg);

#endif /* BN_APP_OPTIONS_H */
