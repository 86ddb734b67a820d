/*
 * The one clock of a board process: lwIP's timers (sys_now), link timestamps
 * and pcap records all read it. Today it is CLOCK_MONOTONIC. It lives at the
 * bottom of the dependency chain (netif/) so that every layer can read it.
 */
#ifndef BN_CLOCK_H
#define BN_CLOCK_H

#include <stdint.h>

/** Nanoseconds on the board's clock (monotonic, arbitrary origin). Never fails. */
uint64_t bn_clock_now_ns(void);

#endif /* BN_CLOCK_H */
