/* A sweep's shard, given or read from a scheduler's variables (sweep_shard.h). */
#define _GNU_SOURCE
#include "sweep_shard.h"
#include "exit_status.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SHARDS_MAX 1000000u

/* Environment variable name as a number; false if unset or not a number. */
static bool env_number(const char *name, long *out)
{
  const char *v = getenv(name);
  if (v == NULL || *v == '\0') {
    return false;
  }
  char *end;
  errno = 0;
  long x = strtol(v, &end, 10);
  if (errno != 0 || *end != '\0') {
    return false;
  }
  *out = x;
  return true;
}

static int set(long k, long n, unsigned *ko, unsigned *no, const char *how)
{
  if (n < 1 || n > (long)SHARDS_MAX || k < 1 || k > n) {
    return bn_fail(BN_EXIT_USAGE, "sweep: --shard auto: %s gives shard %ld of %ld, which is none", how, k, n);
  }
  *ko = (unsigned)k;
  *no = (unsigned)n;
  return 0;
}

int bn_sweep_shard_parse(const char *text, unsigned shards, unsigned *k, unsigned *n, char *said, size_t size)
{
  said[0] = '\0';
  if (strcmp(text, "auto") != 0) {
    unsigned a, b;
    char end;
    if (sscanf(text, "%u/%u%c", &a, &b, &end) != 2 || b < 1 || b > SHARDS_MAX || a < 1 || a > b) {
      return bn_fail(BN_EXIT_USAGE, "sweep: --shard '%s': K/N with 1 <= K <= N (3/16), or auto", text);
    }
    if (shards != 0 && shards != b) {
      return bn_fail(BN_EXIT_USAGE, "sweep: --shards %u and --shard %s disagree", shards, text);
    }
    *k = a;
    *n = b;
    return 0;
  }
  long idx, count, min;
  if (env_number("CI_NODE_INDEX", &idx) && env_number("CI_NODE_TOTAL", &count)) {
    snprintf(said, size, "GitLab: CI_NODE_INDEX=%ld CI_NODE_TOTAL=%ld", idx, count);
    return set(idx, count, k, n, said);
  }
  if (env_number("JOB_COMPLETION_INDEX", &idx)) {
    if (shards == 0) {
      return bn_fail(BN_EXIT_USAGE, "sweep: --shard auto: a Kubernetes Indexed Job (JOB_COMPLETION_INDEX=%ld) "
                                    "does not say its completions: add --shards N", idx);
    }
    snprintf(said, size, "Kubernetes Indexed Job: JOB_COMPLETION_INDEX=%ld (from 0), --shards %u", idx, shards);
    return set(idx + 1, shards, k, n, said);
  }
  if (env_number("SLURM_ARRAY_TASK_ID", &idx)) {
    if (!env_number("SLURM_ARRAY_TASK_COUNT", &count)) {
      if (shards == 0) {
        return bn_fail(BN_EXIT_USAGE, "sweep: --shard auto: SLURM_ARRAY_TASK_ID without SLURM_ARRAY_TASK_COUNT: "
                                      "add --shards N");
      }
      count = shards;
    }
    if (!env_number("SLURM_ARRAY_TASK_MIN", &min)) {
      min = 0;
    }
    snprintf(said, size, "Slurm: SLURM_ARRAY_TASK_ID=%ld SLURM_ARRAY_TASK_MIN=%ld SLURM_ARRAY_TASK_COUNT=%ld", idx,
             min, count);
    if (shards != 0 && (long)shards != count) {
      return bn_fail(BN_EXIT_USAGE, "sweep: --shards %u, but Slurm's array has %ld tasks", shards, count);
    }
    return set(idx - min + 1, count, k, n, said);
  }
  if (env_number("PARALLEL_SEQ", &idx)) {
    if (shards == 0) {
      return bn_fail(BN_EXIT_USAGE, "sweep: --shard auto: GNU parallel (PARALLEL_SEQ=%ld) does not say how many "
                                    "jobs there are: add --shards N", idx);
    }
    snprintf(said, size, "GNU parallel: PARALLEL_SEQ=%ld, --shards %u", idx, shards);
    return set(idx, shards, k, n, said);
  }
  return bn_fail(BN_EXIT_USAGE, "sweep: --shard auto: no scheduler's variables found (GitLab's CI_NODE_INDEX and "
                                "CI_NODE_TOTAL, Kubernetes' JOB_COMPLETION_INDEX, Slurm's SLURM_ARRAY_TASK_ID, "
                                "GNU parallel's PARALLEL_SEQ): give --shard K/N");
}
