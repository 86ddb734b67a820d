/*
 * Memory backend: two bn_link ends joined by an in-process pipe. What one end
 * sends the other end receives, in order, with its timestamp; the pipe's
 * cable can be unplugged (carrier down). Used by the unit tests (no root, no
 * device) and to test pipeline stages alone.
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

/**
 * Plugs or unplugs the pair's cable (both ends share it; it starts plugged):
 * each end's poller reports the change to its receiver's carrier callback
 * once, and while unplugged every send on either end fails with -ENETDOWN.
 * Thread-safe.
 * @return 0, or -EINVAL if link is not a memory link end.
 */
int bn_link_memory_set_carrier(bn_link *link, bool up);

/**
 * Makes this end a failing device, as a TAP whose read() starts returning
 * EIO: once the frames queued toward it now are delivered (nothing already
 * received is lost), every poll on it returns err. Used to provoke the
 * receivers' error paths. Thread-safe; wakes a poller waiting on this end.
 * @param err a negative errno, or 0 to make the end healthy again
 * @return 0, or -EINVAL if link is not a memory link end or err > 0.
 */
int bn_link_memory_fail_reads(bn_link *link, int err);

#endif /* BN_LINK_MEMORY_H */
