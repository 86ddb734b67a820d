/* Seeded pseudo-random streams (bn_random.h): xoshiro256** seeded by splitmix64. */
#include "bn_random.h"

#include <sys/random.h>

static uint64_t splitmix64(uint64_t *x)
{
  uint64_t z = (*x += 0x9e3779b97f4a7c15u);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
  return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k)
{
  return (x << k) | (x >> (64 - k));
}

void bn_rng_seed(bn_rng *r, uint64_t seed, const char *name)
{
  /* FNV-1a of the name, mixed with the seed, starts the splitmix sequence. */
  uint64_t h = 0xcbf29ce484222325u;
  for (const char *c = name ? name : ""; *c != '\0'; c++) {
    h = (h ^ (uint8_t)*c) * 0x100000001b3u;
  }
  uint64_t x = seed ^ h;
  for (int i = 0; i < 4; i++) {
    r->s[i] = splitmix64(&x);
  }
}

uint64_t bn_rng_u64(bn_rng *r)
{
  uint64_t *s = r->s;
  uint64_t result = rotl(s[1] * 5, 7) * 9;
  uint64_t t = s[1] << 17;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl(s[3], 45);
  return result;
}

uint32_t bn_rng_u32(bn_rng *r)
{
  return (uint32_t)(bn_rng_u64(r) >> 32);
}

double bn_rng_unit(bn_rng *r)
{
  return (double)(bn_rng_u64(r) >> 11) * 0x1.0p-53;
}

uint64_t bn_random_fresh_seed(void)
{
  uint64_t seed = 0;
  if (getrandom(&seed, sizeof(seed), 0) != (ssize_t)sizeof(seed)) {
    /* No getrandom (very old kernel): the address of a stack variable and a
     * counter are better than a constant. */
    static uint64_t calls;
    uint64_t x = (uint64_t)(uintptr_t)&seed ^ ++calls;
    seed = splitmix64(&x);
  }
  return seed;
}
