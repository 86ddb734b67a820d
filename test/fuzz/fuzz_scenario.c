/*
 * Fuzz target: arbitrary bytes as a scenario file (scenarios/scn.h). The
 * parser must return 0 or a negative errno, a rejection must come with a
 * "file:line:col: " message, and an accepted scenario must print in the
 * language and parse back to the same timeline (the contract of `boardnet
 * check`).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scn.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void require(int ok, const char *what)
{
  if (!ok) {
    fprintf(stderr, "fuzz-scenario: contract broken: %s\n", what);
    abort();
  }
}

static char *print_of(const bn_scn_scenario *s, size_t *len)
{
  char *buf = NULL;
  FILE *f = open_memstream(&buf, len);
  require(f != NULL, "open_memstream");
  require(bn_scn_print(s, f) == 0, "bn_scn_print succeeds");
  fclose(f);
  return buf;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  bn_scn_scenario s;
  char err[BN_SCN_ERRLEN];
  memset(err, 0xff, sizeof(err));
  int rc = bn_scn_parse("f.scn", (const char *)data, size, &s, err);
  require(rc == 0 || rc == -EINVAL || rc == -ENOMEM, "returns 0, -EINVAL or -ENOMEM");
  if (rc < 0) {
    require(memchr(err, '\0', sizeof(err)) != NULL, "message is NUL-terminated");
    require(rc == -ENOMEM || strncmp(err, "f.scn:", 6) == 0, "message starts with the file's name");
    require(s.steps == NULL && s.matches == NULL, "nothing is left allocated");
    return 0;
  }
  size_t la, lb;
  char *a = print_of(&s, &la);
  bn_scn_scenario t;
  rc = bn_scn_parse("g.scn", a, la, &t, err);
  if (rc != 0) {
    fprintf(stderr, "fuzz-scenario: %s\n--- printed:\n%s", err, a);
  }
  require(rc == 0, "the printed scenario parses");
  char *b = print_of(&t, &lb);
  require(la == lb && memcmp(a, b, la) == 0, "and prints the same");
  require(s.n_steps == t.n_steps && s.n_matches == t.n_matches, "the same timeline");
  for (size_t i = 0; i < s.n_steps; i++) {
    require(s.steps[i].at_ns == t.steps[i].at_ns && s.steps[i].kind == t.steps[i].kind, "the same steps");
  }
  free(a);
  free(b);
  bn_scn_free(&s);
  bn_scn_free(&t);
  return 0;
}
