/*
 * boardnet check FILE.scn...: validates scenario files and prints the
 * timeline each one was understood as, in the scenario language itself
 * (absolute times, canonical units), so that the output parses back to the
 * same timeline.
 */
#include "cli.h"
#include "scenario_run.h"
#include "scn.h"

#include <stdio.h>
#include <string.h>

static const char usage[] =
  "Usage: boardnet [--board NAME] check [-q] [--link board] FILE.scn...\n"
  "\n"
  "Checks each scenario file and prints the timeline it was understood as,\n"
  "in the same language: one directive per line with its absolute time, every\n"
  "value in its canonical unit (the output is itself a valid scenario that\n"
  "gives the same timeline). Errors are printed as FILE:LINE:COL: MESSAGE\n"
  "with the directive's usage (and the word meant, for a misspelt one),\n"
  "every error of a file up to 20, and nothing runs.\n"
  "\n"
  "  --link board  each file on top of the board profile's link character\n"
  "                (its link.scn, as run --link board --scenario FILE runs\n"
  "                it): the merged timeline, the link's lines marked\n"
  "  -q, --quiet   print nothing but errors\n"
  "  -h, --help    print this help\n"
  "\n"
  "Exit status: 0 when every file is valid, 1 when one is not (or cannot be\n"
  "read), 2 on bad usage.\n";

/* The most errors listed per file. */
#define MAX_ERRORS 20

static void print_error(void *arg, const char *message)
{
  (*(unsigned *)arg)++;
  fprintf(stderr, "boardnet: %s\n", message);
}

int bn_cmd_check(int argc, char **argv)
{
  bool quiet = false, link = false;
  int first = 1;
  for (; first < argc && argv[first][0] == '-' && argv[first][1] != '\0'; first++) {
    const char *a = argv[first];
    if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
      fputs(usage, stdout);
      return BN_EXIT_OK;
    }
    if (strcmp(a, "-q") == 0 || strcmp(a, "--quiet") == 0) {
      quiet = true;
      continue;
    }
    if (strcmp(a, "--link") == 0 || strcmp(a, "--link=board") == 0) {
      if (a[6] == '\0' && (first + 1 == argc || strcmp(argv[++first], "board") != 0)) {
        return bn_fail(BN_EXIT_USAGE, "check: --link takes 'board' (the profile's link.scn)");
      }
      link = true;
      continue;
    }
    if (strcmp(a, "--") == 0) {
      first++;
      break;
    }
    return bn_fail(BN_EXIT_USAGE, "check: unknown option '%s' (boardnet check --help)", a);
  }
  if (first == argc) {
    fputs(usage, stderr);
    return BN_EXIT_USAGE;
  }
  int status = BN_EXIT_OK;
  for (int i = first; i < argc; i++) {
    bn_scn_scenario s;
    char err[BN_SCN_ERRLEN];
    unsigned errors = 0;
    int rc = bn_scn_load_each(argv[i], &s, MAX_ERRORS, print_error, &errors, err);
    if (rc == 0 && link) {
      bn_scn_scenario own = s;
      char name[BN_SCENARIO_LINK_NAME];
      if ((rc = bn_scenario_link(&own, &s, name)) != 0) {
        return rc;
      }
    }
    if (rc < 0) {
      if (errors == 0) {
        fprintf(stderr, "boardnet: %s\n", err); /* cannot be read */
      } else if (errors > 1) {
        fprintf(stderr, "boardnet: %s: %u errors%s\n", argv[i], errors,
                errors == MAX_ERRORS ? " (the first ones: reading stopped there)" : "");
      }
      status = BN_EXIT_FAIL;
      continue;
    }
    if (!quiet) {
      if (argc - first > 1) {
        printf("# %s\n", argv[i]);
      }
      if (bn_scn_print(&s, stdout) < 0) {
        status = BN_EXIT_FAIL;
      }
    }
    bn_scn_free(&s);
  }
  return status;
}
