/*
 * Batched io_uring frame I/O (netif/backend/tap_uring.h) on a SOCK_SEQPACKET socket
 * pair, which keeps frame boundaries as a TAP does (no root, no device):
 * batches written whole and in order, one result per frame when the peer
 * is gone, reads of a partly filled queue, argument errors. Where the
 * kernel or a seccomp filter refuses io_uring, only that is checked (the TAP
 * link then reads and writes one frame per system call).
 */
#include "bn_test.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tap_uring.h"

#define BUF_SIZE 2048

/* A frame of len bytes whose content depends on tag and position. */
static void fill(uint8_t *buf, size_t len, unsigned tag)
{
  for (size_t i = 0; i < len; i++) {
    buf[i] = (uint8_t)(tag * 37u + i * 11u + 1u);
  }
}

static int fds[2];  /* fds[0]: the ring's side, fds[1]: the peer's */

/* A ring and a non-blocking socket pair; NULL if io_uring is refused here. */
static bn_tap_uring *setup(void)
{
  ck_assert_int_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds), 0);
  bn_tap_uring *r = NULL;
  int rc = bn_tap_uring_open(&r);
  if (rc == -ENOSYS || rc == -EPERM) {
    ck_assert_ptr_null(r);
    fprintf(stderr, "tap_uring: io_uring refused here (%s): not tested\n", strerror(-rc));
    return NULL;
  }
  ck_assert_int_eq(rc, 0);
  ck_assert_ptr_nonnull(r);
  return r;
}

static void teardown(bn_tap_uring *r)
{
  bn_tap_uring_close(r);
  close(fds[0]);
  close(fds[1]);
}

static uint8_t data[TAP_URING_BATCH][BN_LINK_MAX_FRAME];

/* frames[i]: data[i], lens 1 .. BN_LINK_MAX_FRAME, result preset to garbage. */
static void make_frames(bn_link_frame *frames, size_t n)
{
  for (size_t i = 0; i < n; i++) {
    size_t len = i == 0 ? 1 : i == n - 1 ? BN_LINK_MAX_FRAME : 14 + i * 47;
    fill(data[i], len, (unsigned)i);
    frames[i] = (bn_link_frame){ .data = data[i], .len = len, .ts_ns = i, .result = 12345 };
  }
}

START_TEST(write_batch_arrives_whole_and_in_order)
{
  bn_tap_uring *r = setup();
  if (r == NULL) {
    return;
  }
  bn_link_frame frames[TAP_URING_BATCH];
  make_frames(frames, TAP_URING_BATCH);
  for (size_t round = 0; round < 3; round++) { /* the ring is reused */
    ck_assert_int_eq(bn_tap_uring_write(r, fds[0], frames, TAP_URING_BATCH), TAP_URING_BATCH);
    for (size_t i = 0; i < TAP_URING_BATCH; i++) {
      ck_assert_int_eq(frames[i].result, 0);
      uint8_t got[BUF_SIZE];
      ck_assert_int_eq(read(fds[1], got, sizeof(got)), (ssize_t)frames[i].len);
      ck_assert_mem_eq(got, data[i], frames[i].len);
    }
    uint8_t extra;
    ck_assert_int_eq(read(fds[1], &extra, 1), -1);
    ck_assert_int_eq(errno, EAGAIN);
  }
  /* a batch of one */
  ck_assert_int_eq(bn_tap_uring_write(r, fds[0], &frames[5], 1), 1);
  uint8_t got[BUF_SIZE];
  ck_assert_int_eq(read(fds[1], got, sizeof(got)), (ssize_t)frames[5].len);
  ck_assert_mem_eq(got, data[5], frames[5].len);
  teardown(r);
}
END_TEST

/* A device error fails its frame with the errno; the rest are cancelled. */
START_TEST(write_to_a_closed_peer_fails_each_frame)
{
  bn_tap_uring *r = setup();
  if (r == NULL) {
    return;
  }
  signal(SIGPIPE, SIG_IGN);
  close(fds[1]);
  fds[1] = socket(AF_UNIX, SOCK_SEQPACKET, 0); /* for teardown() */
  bn_link_frame frames[4];
  make_frames(frames, 4);
  ck_assert_int_eq(bn_tap_uring_write(r, fds[0], frames, 4), 0);
  ck_assert_int_eq(frames[0].result, -EPIPE);
  for (size_t i = 1; i < 4; i++) {
    ck_assert_int_eq(frames[i].result, -ECANCELED);
  }
  teardown(r);
}
END_TEST

static uint8_t bufs[TAP_URING_BATCH][BUF_SIZE];

/* 20 queued frames: one batch of reads gets them all, in order, byte for
 * byte; the reads after them find the queue empty. */
START_TEST(read_batch_gets_what_is_queued_in_order)
{
  bn_tap_uring *r = setup();
  if (r == NULL) {
    return;
  }
  enum { QUEUED = 20 };
  bn_link_frame frames[TAP_URING_BATCH];
  make_frames(frames, TAP_URING_BATCH);
  for (size_t i = 0; i < QUEUED; i++) {
    ck_assert_int_eq(write(fds[1], frames[i].data, frames[i].len), (ssize_t)frames[i].len);
  }
  int32_t lens[TAP_URING_BATCH];
  ck_assert_int_eq(bn_tap_uring_read(r, fds[0], &bufs[0][0], BUF_SIZE, TAP_URING_BATCH, lens), QUEUED);
  for (size_t i = 0; i < TAP_URING_BATCH; i++) {
    if (i < QUEUED) {
      ck_assert_int_eq(lens[i], (int32_t)frames[i].len);
      ck_assert_mem_eq(bufs[i], data[i], frames[i].len);
    } else {
      ck_assert_int_eq(lens[i], -EAGAIN);
    }
  }
  /* empty now; a smaller batch reads the next frames, and only n of them */
  ck_assert_int_eq(bn_tap_uring_read(r, fds[0], &bufs[0][0], BUF_SIZE, 4, lens), 0);
  for (size_t i = 0; i < 4; i++) {
    ck_assert_int_eq(lens[i], -EAGAIN);
  }
  for (size_t i = 0; i < 6; i++) {
    ck_assert_int_eq(write(fds[1], frames[i].data, frames[i].len), (ssize_t)frames[i].len);
  }
  ck_assert_int_eq(bn_tap_uring_read(r, fds[0], &bufs[0][0], BUF_SIZE, 4, lens), 4);
  ck_assert_int_eq(bn_tap_uring_read(r, fds[0], &bufs[0][0], BUF_SIZE, 4, lens), 2);
  ck_assert_int_eq(lens[0], (int32_t)frames[4].len);
  ck_assert_mem_eq(bufs[0], data[4], frames[4].len);
  ck_assert_int_eq(lens[1], (int32_t)frames[5].len);
  ck_assert_mem_eq(bufs[1], data[5], frames[5].len);
  ck_assert_int_eq(lens[2], -EAGAIN);
  teardown(r);
}
END_TEST

START_TEST(argument_errors)
{
  bn_tap_uring *r = setup();
  if (r == NULL) {
    return;
  }
  bn_link_frame frames[TAP_URING_BATCH + 1];
  make_frames(frames, TAP_URING_BATCH);
  frames[TAP_URING_BATCH] = frames[0];
  int32_t lens[TAP_URING_BATCH + 1];
  ck_assert_int_eq(bn_tap_uring_write(r, fds[0], frames, 0), -EINVAL);
  ck_assert_int_eq(bn_tap_uring_write(r, fds[0], frames, TAP_URING_BATCH + 1), -EINVAL);
  ck_assert_int_eq(bn_tap_uring_read(r, fds[0], &bufs[0][0], BUF_SIZE, 0, lens), -EINVAL);
  ck_assert_int_eq(bn_tap_uring_read(r, fds[0], &bufs[0][0], BUF_SIZE, TAP_URING_BATCH + 1, lens), -EINVAL);
  ck_assert_int_eq(bn_tap_uring_read(r, fds[0], &bufs[0][0], 0, 1, lens), -EINVAL);
  /* nothing was sent; the ring still works */
  uint8_t extra;
  ck_assert_int_eq(read(fds[1], &extra, 1), -1);
  ck_assert_int_eq(errno, EAGAIN);
  ck_assert_int_eq(bn_tap_uring_write(r, fds[0], frames, 2), 2);
  bn_tap_uring_close(NULL);
  teardown(r);
}
END_TEST

Suite *bn_test_suite(void)
{
  Suite *s = suite_create("tap_uring");
  TCase *tc = tcase_create("tap_uring");
  tcase_set_timeout(tc, 30);
  tcase_add_test(tc, write_batch_arrives_whole_and_in_order);
  tcase_add_test(tc, write_to_a_closed_peer_fails_each_frame);
  tcase_add_test(tc, read_batch_gets_what_is_queued_in_order);
  tcase_add_test(tc, argument_errors);
  suite_add_tcase(s, tc);
  return s;
}
