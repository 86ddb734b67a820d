/*
 * Memory backend: two bn_link ends joined by an in-process pipe. What one end
 * sends the other end receives, in order, with its timestamp. Used by the unit
 * tests (no root, no device) and to test pipeline stages alone.
 */
#ifndef BN_LINK_MEMORY_H
#define BN_LINK_MEMORY_H

#include "bn_link.h"

/**
 * Creates a connected pair of links.
 * @param capacity frames each direction holds before send() reports -ENOBUFS
 *                 (1..65536)
 * @param a,b      receive the two ends; close each with bn_link_close()
 *                 (in any order: the pipe is freed with the last end)
 * @return 0, -EINVAL for a bad argument, -ENOMEM.
 */
int bn_link_memory_pair(size_t capacity, bn_link **a, bn_link **b);

#endif /* BN_LINK_MEMORY_H */
