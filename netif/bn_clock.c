/* The board's clock: CLOCK_MONOTONIC in nanoseconds (see bn_clock.h). */
#include "bn_clock.h"

#include <time.h>

uint64_t bn_clock_now_ns(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}
