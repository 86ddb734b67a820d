/*
 * lwIP's random numbers on a board (stack/port/bn_lwip_random.c): LWIP_RAND() and
 * the TCP ISN hook read seeded streams, seeded by bn_stack_start().
 * Also declared in bn_lwipopts_runtime.h and arch/cc.h for lwIP's own files.
 */
#ifndef BN_LWIP_RANDOM_H
#define BN_LWIP_RANDOM_H

#include <stdint.h>

/** Seeds both streams from the board's seed (before lwIP starts). */
void bn_lwip_random_seed(uint64_t seed);

/** LWIP_RAND(): the next number of the "lwip-rand" stream. */
uint32_t bn_lwip_rand(void);

/** LWIP_HOOK_TCP_ISN: the next number of the "lwip-tcp-isn" stream. */
uint32_t bn_lwip_tcp_isn(void);

#endif /* BN_LWIP_RANDOM_H */
