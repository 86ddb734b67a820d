/*
 * lwIP's randomness on a board, from the board's seed (bn_random.h): one
 * stream for LWIP_RAND() (ephemeral ports, DHCP xids, DNS ids: arch/cc.h)
 * and one for TCP initial sequence numbers (LWIP_HOOK_TCP_ISN, so that an ISN
 * depends on the seed and the number of connections before it, not on
 * lwIP's tcp_ticks: the same seed gives the same ISNs whatever the timing).
 */
#include "bn_lwip_random.h"
#include "bn_random.h"

#include "bn_sched.h" /* netif/base: the board's threads and locks */

static bn_mutex_t lock = BN_MUTEX_INITIALIZER;
static bn_rng rand_stream, isn_stream;
static int seeded;

void bn_lwip_random_seed(uint64_t seed)
{
  bn_mutex_lock(&lock);
  bn_rng_seed(&rand_stream, seed, "lwip-rand");
  bn_rng_seed(&isn_stream, seed, "lwip-tcp-isn");
  seeded = 1;
  bn_mutex_unlock(&lock);
}

/* Takes the next number of a stream; seeds with 0 if nothing was seeded. */
static uint32_t next(bn_rng *stream)
{
  bn_mutex_lock(&lock);
  if (!seeded) {
    bn_rng_seed(&rand_stream, 0, "lwip-rand");
    bn_rng_seed(&isn_stream, 0, "lwip-tcp-isn");
    seeded = 1;
  }
  uint32_t v = bn_rng_u32(stream);
  bn_mutex_unlock(&lock);
  return v;
}

uint32_t bn_lwip_rand(void)
{
  return next(&rand_stream);
}

uint32_t bn_lwip_tcp_isn(void)
{
  return next(&isn_stream);
}
