/*
 * The unix port's arch/cc.h, with one change: LWIP_RAND() is the board's
 * seeded stream (stack/bn_lwip_random.c) instead of the C library's rand(),
 * so that a board's ephemeral ports, DHCP transaction ids and DNS query ids
 * repeat with its --seed. This directory comes before the port's include
 * directory on lwIP's include path; #include_next finds the port's file.
 */
#ifndef BN_ARCH_CC_H
#define BN_ARCH_CC_H

#include_next <arch/cc.h>

#include <stdint.h>

uint32_t bn_lwip_rand(void);

#undef LWIP_RAND
#define LWIP_RAND() ((u32_t)bn_lwip_rand())

#endif /* BN_ARCH_CC_H */
