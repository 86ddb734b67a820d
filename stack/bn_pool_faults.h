/*
 * Faults of the board's own memory, on a scenario's timeline: hold a share
 * of an lwIP memp pool (`pool PBUF_POOL exhaust 90%`), fail the next N
 * allocations from a pool or from lwIP's heap (`fail TCP_PCB next 2`,
 * `fail heap next 1`), and give everything back (`clear pools`). lwIP's
 * memp_malloc() and mem_malloc() are wrapped at link time (ld --wrap, set
 * on the lwip_<board> library), so lwIP's own code meets the failure where
 * a real board would: a refused connection, ENOMEM from a socket call, a
 * dropped frame, never a crash. ld --wrap reaches calls between lwIP's
 * files, not within one: pbuf_alloc()'s PBUF_RAM (pbuf.c -> mem_malloc())
 * and every memp_malloc() fail; mem_calloc(), whose mem_malloc() call is
 * inside mem.c, does not. lwIP
 * often asks again after a failure (tcp_alloc() up to 5 times, freeing
 * TIME_WAIT and closing pcbs in between), as on a board: `fail TCP_PCB
 * next 5` refuses one pcb.
 *
 * Thread-safe: held elements are taken and given back under lwIP's
 * SYS_ARCH_PROTECT, as memp_malloc() itself does.
 */
#ifndef BN_POOL_FAULTS_H
#define BN_POOL_FAULTS_H

#include <stddef.h>
#include <stdint.h>

/** Whether name is a memp pool of this board (MEMP_<name>), or "heap" (with heap_ok). */
int bn_pool_faults_known(const char *name, int heap_ok);

/** The names of this board's pools, comma-separated, into buf (for messages). */
void bn_pool_faults_names(char *buf, size_t size);

/**
 * Holds share_pct percent of pool name's elements (as many as are free, at
 * most that many), on top of what it holds already.
 * @return the number of elements now held from it, or -ENOENT for no such pool.
 */
int bn_pool_faults_exhaust(const char *name, double share_pct);

/**
 * Makes the next n allocations from pool name (or "heap") fail.
 * @return 0, or -ENOENT.
 */
int bn_pool_faults_fail_next(const char *name, uint32_t n);

/** Gives back every held element and cancels pending failures. */
void bn_pool_faults_clear(void);

/** How many allocations a failure has refused so far (every pool and the heap). */
uint64_t bn_pool_faults_refused(void);

#endif /* BN_POOL_FAULTS_H */
