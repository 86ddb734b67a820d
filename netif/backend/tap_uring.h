/*
 * bn_tap_uring: batched, ordered frame I/O on one file descriptor with io_uring
 * (liburing). A batch of N frames is written, or up to N frames are read, in
 * one system call, in the descriptor's order. Used by the TAP link
 * (link_tap.c), which falls back to one read()/write() per frame when a ring
 * cannot be had. A ring is used by one thread at a time.
 */
#ifndef BN_TAP_URING_H
#define BN_TAP_URING_H

#include "bn_link.h"

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Requests per batch at most (the ring's size). */
#define TAP_URING_BATCH 32

typedef struct bn_tap_uring bn_tap_uring;

/**
 * Sets up a ring for batches of up to TAP_URING_BATCH requests.
 * @param out  receives the ring
 * @return 0, or a negative errno when io_uring cannot be used here: -ENOSYS
 *         (no io_uring, or filtered by seccomp), -EPERM (disabled with the
 *         sysctl kernel.io_uring_disabled), -ENOMEM, -EINVAL ...
 */
int bn_tap_uring_open(bn_tap_uring **out);

/** Releases the ring; NULL is ignored. No call may be in progress on it. */
void bn_tap_uring_close(bn_tap_uring *r);

/**
 * Writes frames[0..n) to fd in this order in one system call: linked writes,
 * each started only after the one before it was written whole, so the frames
 * reach the device in order; a failed write cancels the ones after it.
 * Sets each frame's result as bn_link_send() would: 0 written whole,
 * -ENOBUFS the device's queue was full (dropped; on a descriptor that can
 * report room, as a socket can, io_uring waits for room instead; a TAP's
 * writes never wait: its send buffer is unlimited unless TUNSETSNDBUF sets
 * one), -EIO a short write,
 * -ECANCELED not tried because an earlier frame of the batch failed,
 * another -errno from the device.
 * @param fd  a non-blocking descriptor that takes one frame per write (a TAP)
 * @param n   1..TAP_URING_BATCH; every frame's len must be 1..BN_LINK_MAX_FRAME
 * @return how many frames were written (result 0), or a negative errno if
 *         the ring cannot be used (nothing was written: close the ring and
 *         write otherwise). Should the ring fail after taking the batch (not
 *         seen in practice: a TAP write completes at once), the frames with
 *         no completion get -EIO and every later call returns -EIO.
 */
int bn_tap_uring_write(bn_tap_uring *r, int fd, bn_link_frame *frames, size_t n);

/**
 * Reads up to n frames from fd in one system call, in the descriptor's
 * order: n hard-linked non-blocking reads (RWF_NOWAIT), each started after
 * the one before it completed, whatever its length; a read that finds the
 * queue empty completes with -EAGAIN and takes nothing.
 * @param bufs      n buffers of buf_size bytes each, one after the other;
 *                  read i fills bufs + i * buf_size
 * @param buf_size  bytes per buffer (a frame larger than that is truncated)
 * @param n         1..TAP_URING_BATCH
 * @param lens      n results: lens[i] > 0 is the length of the frame read
 *                  into buffer i, 0 means end of file, -EAGAIN or -EINTR
 *                  nothing to read, another -errno a device error
 * @return how many reads got a frame (lens[i] > 0; 0: the queue was empty),
 *         -EOPNOTSUPP if the kernel cannot read fd without blocking this way,
 *         or another negative errno if the ring cannot be used; after a
 *         negative return nothing was read: close the ring and read
 *         otherwise. Should the ring fail after taking the batch (not seen in
 *         practice), the reads with no completion get -EIO and every later
 *         call returns -EIO.
 */
int bn_tap_uring_read(bn_tap_uring *r, int fd, uint8_t *bufs, size_t buf_size, size_t n,
                   int32_t *lens);

#ifdef __cplusplus
}
#endif

#endif /* BN_TAP_URING_H */
