/*
 * The board's program on the command line: --app NAME (repeatable) and
 * --port N for the last one given, as boardnet run and boardnet replay take
 * them, and starting those apps once the stack is up.
 */
#ifndef BN_APP_OPTIONS_H
#define BN_APP_OPTIONS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define BN_APP_OPTIONS_MAX 4

typedef struct bn_app_options {
  const char *names[BN_APP_OPTIONS_MAX];
  uint16_t ports[BN_APP_OPTIONS_MAX];   /**< 0: the app's default port */
  int count;
  bool port_taken;                      /**< the last --app takes no --port (e.g. mirror) */
} bn_app_options;

/**
 * --app NAME. others names the command's apps of its own in the error
 * ("mirror, "), or is "".
 * @return 0, or BN_EXIT_USAGE after printing why (unknown app, too many).
 */
int bn_app_options_add(bn_app_options *a, const char *name, const char *others);

/** --port N for the last --app. @return 0, or BN_EXIT_USAGE after printing why. */
int bn_app_options_port(bn_app_options *a, const char *arg);

/**
 * Starts every app (backlog as bn_app_start() takes it), saying "boardnet:
 * app NAME listening on port N" on announce for each unless it is NULL.
 * @return 0, or BN_EXIT_FAIL after printing which app could not start.
 */
int bn_app_options_start(const bn_app_options *a, int backlog, FILE *announce);

#endif /* BN_APP_OPTIONS_H */
