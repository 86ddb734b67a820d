/*
 * The unix port's arch/cc.h, with two changes:
 * - LWIP_RAND() is the board's seeded stream (stack/port/bn_lwip_random.c)
 *   instead of the C library's rand(), so that a board's ephemeral ports,
 *   DHCP transaction ids and DNS query ids repeat with its --seed;
 * - LWIP_CHKSUM is the port's bn_chksum() (stack/port/bn_chksum.c): the same
 *   sums as lwIP's LWIP_CHKSUM_ALGORITHM 1, 2 or 3, four bytes at a time
 *   (a profile's LWIP_CHKSUM_ALGORITHM then changes nothing observable).
 * This directory comes before the port's include directory on lwIP's
 * include path; #include_next finds the port's file.
 */
#ifndef BN_ARCH_CC_H
#define BN_ARCH_CC_H

#include_next <arch/cc.h>

#include <stdint.h>

uint32_t bn_lwip_rand(void);

#undef LWIP_RAND
#define LWIP_RAND() ((u32_t)bn_lwip_rand())

/** The Internet checksum's sum of dataptr[0..len), as lwip_standard_chksum(). */
uint16_t bn_chksum(const void *dataptr, int len);
#define LWIP_CHKSUM bn_chksum

#endif /* BN_ARCH_CC_H */
