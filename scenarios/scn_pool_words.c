/*
 * The faults of the board's own memory in the scenario language (scn.h):
 * `pool NAME exhaust P` and `fail NAME next N`, each read into its step
 * with its errors as "file:line:col: message" and the directive's usage
 * (scn_reader.h). scn_parse.c reads the rest of a line.
 */
#include "scn_reader.h"

#include <string.h>

/* A pool's name: letters, digits and '_'. */
static int read_pool_name(struct parser *p, const char *usage, bn_scn_step *step)
{
  const bn_scn_token *t;
  int rc = bn_scn_next(p, "a pool name", usage, &t);
  if (rc < 0) {
    return rc;
  }
  size_t n = strlen(t->text);
  bool ok = n > 0 && n < BN_SCN_POOL_NAME_MAX;
  for (size_t i = 0; ok && i < n; i++) {
    char c = t->text[i];
    ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  }
  if (!ok) {
    return bn_scn_fail(p, t->col, usage, "'%s': not a pool name", t->text);
  }
  memcpy(step->pool.name, t->text, n + 1);
  step->pool.col = t->col;
  return 0;
}


int bn_scn_parse_pool(struct parser *p, bn_scn_step *step)
{
  bool exhaust = step->kind == BN_SCN_STEP_POOL_EXHAUST;
  const char *usage = exhaust ? U_POOL : U_FAIL;
  int rc = read_pool_name(p, usage, step);
  if (rc < 0) {
    return rc;
  }
  if (exhaust && strcmp(step->pool.name, "heap") == 0) {
    return bn_scn_fail(p, step->pool.col, usage, "the heap cannot be held, only failed (fail heap next N)");
  }
  rc = bn_scn_expect_word(p, exhaust ? "exhaust" : "next", usage);
  if (rc < 0) {
    return rc;
  }
  if (exhaust) {
    return bn_scn_read_percent(p, "the share to hold", usage, &step->pool.share_pct);
  }
  uint64_t v;
  rc = bn_scn_read_count(p, "the number of allocations to fail", usage, 1, UINT32_MAX, &v);
  step->pool.next = (uint32_t)v;
  return rc;
}
