/*
 * A sweep's shard: --shard K/N, or --shard auto from the variables the
 * schedulers that run N copies of a command set: GitLab's parallel jobs
 * (CI_NODE_INDEX/CI_NODE_TOTAL), a Kubernetes Indexed Job
 * (JOB_COMPLETION_INDEX, with --shards N), a Slurm job array
 * (SLURM_ARRAY_TASK_ID/SLURM_ARRAY_TASK_COUNT, from SLURM_ARRAY_TASK_MIN)
 * and GNU parallel (PARALLEL_SEQ, with --shards N). boardnet brings no
 * scheduler of its own.
 */
#ifndef BN_SWEEP_SHARD_H
#define BN_SWEEP_SHARD_H

#include <stddef.h>

/**
 * Reads the shard: text "K/N" (1 <= K <= N) or "auto"; shards is --shards N
 * (0: not given), which auto needs where the scheduler does not say the
 * count. With auto, how it was found goes into said ("GitLab:
 * CI_NODE_INDEX=3 CI_NODE_TOTAL=16").
 * @return 0 with *k and *n; BN_EXIT_USAGE (said why: which variables were
 *         looked for).
 */
int bn_sweep_shard_parse(const char *text, unsigned shards, unsigned *k, unsigned *n, char *said, size_t size);

#endif /* BN_SWEEP_SHARD_H */
