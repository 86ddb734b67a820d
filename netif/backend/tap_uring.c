/*
 * bn_tap_uring: batched, ordered frame I/O on one file descriptor with io_uring
 * through liburing (contracts in tap_uring.h): N linked writes, or N
 * hard-linked non-blocking reads, submitted and reaped in one system call.
 */
#define _GNU_SOURCE
#include "tap_uring.h"

#include <errno.h>
#include <liburing.h>
#include <linux/fs.h>
#include <stdbool.h>
#include <stdlib.h>

struct bn_tap_uring {
  struct io_uring ring;
  bool broken; /* a batch failed half-way: unusable, see run() */
};

int bn_tap_uring_open(bn_tap_uring **out)
{
  bn_tap_uring *r = calloc(1, sizeof(*r));
  if (r == NULL) {
    return -ENOMEM;
  }
  struct io_uring_params p = { 0 };
  int rc = -EINVAL;
#ifdef IORING_SETUP_SUBMIT_ALL
  /* Linux 5.18+: a request that fails at submission does not stop the ones
   * after it, so every batch is taken whole in one system call. */
  p.flags = IORING_SETUP_SUBMIT_ALL;
  rc = io_uring_queue_init_params(TAP_URING_BATCH, &r->ring, &p);
#endif
  if (rc == -EINVAL) {
    /* Older kernels: the rest of a batch is submitted by the next call. */
    p = (struct io_uring_params){ 0 };
    rc = io_uring_queue_init_params(TAP_URING_BATCH, &r->ring, &p);
  }
  if (rc < 0) {
    free(r);
    return rc;
  }
  if (p.sq_entries < TAP_URING_BATCH || p.cq_entries < TAP_URING_BATCH) {
    io_uring_queue_exit(&r->ring);
    free(r);
    return -ENOMEM;
  }
  *out = r;
  return 0;
}

void bn_tap_uring_close(bn_tap_uring *r)
{
  if (r != NULL) {
    io_uring_queue_exit(&r->ring);
    free(r);
  }
}

/* 0 if a batch of n requests can be prepared: a ring that is not broken
 * holds no request (run() takes and completes each batch whole). */
static int room_for(bn_tap_uring *r, size_t n)
{
  if (r->broken) {
    return -EIO;
  }
  return io_uring_sq_space_left(&r->ring) >= n ? 0 : -EBUSY;
}

/* The next SQE, with user data i (the request's index in its batch). The
 * caller made sure there is room (room_for()). */
static struct io_uring_sqe *next_sqe(bn_tap_uring *r, size_t i)
{
  struct io_uring_sqe *sqe = io_uring_get_sqe(&r->ring);
  io_uring_sqe_set_data(sqe, (void *)(uintptr_t)i);
  return sqe;
}

/* Submits the n prepared SQEs and waits for their n completions; res[i]
 * gets the result of the request with user data i. Returns 0, or a negative
 * errno if the ring failed before taking any of them. Either way after a
 * failure the ring is broken: it still holds the SQEs, or completions may
 * come later; the requests that did not complete get -EIO. */
static int run(bn_tap_uring *r, size_t n, int32_t *res)
{
  bool completed[TAP_URING_BATCH] = { false };
  size_t done = 0;
  int tries = 0;
  while (done < n) {
    /* Submits what has not been taken yet, then waits for the rest. */
    int rc = io_uring_submit_and_wait(&r->ring, (unsigned)(n - done));
    if (rc < 0) {
      if ((rc == -EINTR || rc == -EAGAIN || rc == -EBUSY) && ++tries < 1000) {
        continue;
      }
      r->broken = true;
      if (done == 0 && io_uring_sq_ready(&r->ring) == n) {
        return rc; /* nothing was taken */
      }
      for (size_t i = 0; i < n; i++) {
        res[i] = completed[i] ? res[i] : -EIO;
      }
      return 0;
    }
    unsigned head, seen = 0;
    struct io_uring_cqe *cqe;
    io_uring_for_each_cqe(&r->ring, head, cqe) {
      uintptr_t i = (uintptr_t)io_uring_cqe_get_data(cqe);
      if (i < n) {
        res[i] = cqe->res;
        completed[i] = true;
      }
      seen++;
    }
    io_uring_cq_advance(&r->ring, seen);
    done += seen;
  }
  return 0;
}

int bn_tap_uring_write(bn_tap_uring *r, int fd, bn_link_frame *frames, size_t n)
{
  if (n == 0 || n > TAP_URING_BATCH) {
    return -EINVAL;
  }
  int rc = room_for(r, n);
  if (rc < 0) {
    return rc;
  }
  for (size_t i = 0; i < n; i++) {
    struct io_uring_sqe *sqe = next_sqe(r, i);
    /* Offset -1: the file position, which a TAP does not have. */
    io_uring_prep_write(sqe, fd, frames[i].data, (unsigned)frames[i].len, (uint64_t)-1);
    /* Linked: starts once the one before it completed whole; a short or
     * failed write cancels the rest of the batch. */
    io_uring_sqe_set_flags(sqe, i + 1 < n ? IOSQE_IO_LINK : 0);
  }
  int32_t res[TAP_URING_BATCH];
  rc = run(r, n, res);
  if (rc < 0) {
    return rc;
  }
  int written = 0;
  for (size_t i = 0; i < n; i++) {
    int32_t v = res[i];
    frames[i].result = v == (int32_t)frames[i].len ? 0
                       : v == -EAGAIN              ? -ENOBUFS /* a full queue drops */
                       : v < 0                     ? v
                                                   : -EIO; /* short */
    written += frames[i].result == 0;
  }
  return written;
}

int bn_tap_uring_read(bn_tap_uring *r, int fd, uint8_t *bufs, size_t buf_size, size_t n,
                   int32_t *lens)
{
  if (n == 0 || n > TAP_URING_BATCH || buf_size == 0 || buf_size > INT32_MAX) {
    return -EINVAL;
  }
  int rc = room_for(r, n);
  if (rc < 0) {
    return rc;
  }
  for (size_t i = 0; i < n; i++) {
    struct io_uring_sqe *sqe = next_sqe(r, i);
    io_uring_prep_read(sqe, fd, bufs + i * buf_size, (unsigned)buf_size, (uint64_t)-1);
    sqe->rw_flags = RWF_NOWAIT; /* an empty queue answers -EAGAIN, never waits */
    /* A plain link would end the batch at the first short read: every
     * frame is one. A hard link goes on whatever the result. */
    io_uring_sqe_set_flags(sqe, i + 1 < n ? IOSQE_IO_HARDLINK : 0);
  }
  rc = run(r, n, lens);
  if (rc < 0) {
    return rc;
  }
  if (lens[0] == -EOPNOTSUPP || lens[0] == -EINVAL) {
    return -EOPNOTSUPP; /* no RWF_NOWAIT reads of this file */
  }
  int got = 0;
  for (size_t i = 0; i < n; i++) {
    got += lens[i] > 0;
  }
  return got;
}
