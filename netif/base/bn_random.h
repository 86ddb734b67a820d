/*
 * Seeded, local pseudo-random streams. Every random decision in a board
 * process (lwIP's LWIP_RAND, TCP initial sequence numbers, every impairment)
 * comes from a stream of its own, derived from the board's one seed and the
 * stream's name, so that the same seed repeats a run decision for decision,
 * and a new stream (a new scenario rule, say) changes no other stream.
 * Like bn_clock, it sits at the bottom of the dependency chain (netif/).
 *
 * The generator is xoshiro256** (Blackman and Vigna), seeded through
 * splitmix64; streams are not for cryptography.
 */
#ifndef BN_RANDOM_H
#define BN_RANDOM_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** One stream. Not thread-safe: one user at a time (or a lock around it). */
typedef struct bn_rng {
  uint64_t s[4];
} bn_rng;

/**
 * Seeds r as the stream called name of the run seeded with seed: the same
 * (seed, name) always gives the same sequence; different names give
 * independent ones. name may be NULL (the same as "").
 */
void bn_rng_seed(bn_rng *r, uint64_t seed, const char *name);

/** The next 64 random bits. */
uint64_t bn_rng_u64(bn_rng *r);

/** The next 32 random bits. */
uint32_t bn_rng_u32(bn_rng *r);

/** A uniform number in [0, 1) with 53 random bits. */
double bn_rng_unit(bn_rng *r);

/** A seed for a run whose seed was not given: from the kernel's getrandom(). */
uint64_t bn_random_fresh_seed(void);

#ifdef __cplusplus
}
#endif

#endif /* BN_RANDOM_H */
