/*
 * The memory backend (netif/backend/link_memory.h): order, timestamps and bytes of
 * frames in both directions, capacity, frame size limits, poll timeouts,
 * bn_link_wake(), the end of the link when the peer closes, argument errors,
 * and bn_link_send_batch() on a link without a send_batch op.
 */
#define _GNU_SOURCE /* pthread_timedjoin_np */
#include "bn_test.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <time.h>

#include "link_memory.h"
#include "link_poll.h"

#define MAX_SEEN 16

/* What an rx callback saw, frame by frame. */
struct seen {
  int n;
  size_t len[MAX_SEEN];
  uint64_t ts[MAX_SEEN];
  uint8_t data[MAX_SEEN][BN_LINK_MAX_FRAME];
};

static void record(void *arg, const uint8_t *frame, size_t len, uint64_t ts_ns)
{
  struct seen *s = arg;
  ck_assert_int_lt(s->n, MAX_SEEN);
  ck_assert_uint_ge(len, 1);
  ck_assert_uint_le(len, BN_LINK_MAX_FRAME);
  s->len[s->n] = len;
  s->ts[s->n] = ts_ns;
  memcpy(s->data[s->n], frame, len);
  s->n++;
}

/* A frame of len bytes whose content depends on tag and position. */
static void fill(uint8_t *buf, size_t len, unsigned tag)
{
  for (size_t i = 0; i < len; i++) {
    buf[i] = (uint8_t)(tag * 31u + i * 7u);
  }
}

static struct seen *seen_new(void)
{
  static struct seen s;  /* large: keep it off the stack; one test per process */
  memset(&s, 0, sizeof(s));
  return &s;
}

START_TEST(frames_arrive_in_order_with_timestamps_and_bytes)
{
  bn_link *a, *b;
  ck_assert_int_eq(bn_link_memory_pair(8, &a, &b), 0);
  ck_assert_str_eq(a->ops->kind, "memory");
  static const size_t lens[] = { 1, 60, 1500, BN_LINK_MAX_FRAME };
  uint8_t frame[BN_LINK_MAX_FRAME];
  for (unsigned i = 0; i < 4; i++) {
    fill(frame, lens[i], i);
    ck_assert_int_eq(bn_link_send(a, frame, lens[i], 1000u + i * 17u), 0);
  }
  /* nothing comes back to the sender */
  struct seen *s = seen_new();
  ck_assert_int_eq(poll_ms(a, record, s, 0), 0);
  ck_assert_int_eq(s->n, 0);
  /* one poll hands over all four, in order */
  ck_assert_int_eq(poll_ms(b, record, s, 0), 4);
  ck_assert_int_eq(s->n, 4);
  for (unsigned i = 0; i < 4; i++) {
    fill(frame, lens[i], i);
    ck_assert_uint_eq(s->len[i], lens[i]);
    ck_assert_uint_eq(s->ts[i], 1000u + i * 17u);
    ck_assert_mem_eq(s->data[i], frame, lens[i]);
  }
  ck_assert_int_eq(poll_ms(b, record, s, 0), 0);
  ck_assert_int_eq(s->n, 4);
  bn_link_close(a);
  bn_link_close(b);
}
END_TEST

START_TEST(both_directions_are_independent)
{
  bn_link *a, *b;
  ck_assert_int_eq(bn_link_memory_pair(4, &a, &b), 0);
  uint8_t fa[100], fb[200];
  fill(fa, sizeof(fa), 1);
  fill(fb, sizeof(fb), 2);
  ck_assert_int_eq(bn_link_send(a, fa, sizeof(fa), 11), 0);
  ck_assert_int_eq(bn_link_send(b, fb, sizeof(fb), 22), 0);
  ck_assert_int_eq(bn_link_send(b, fb, 50, UINT64_MAX), 0);

  struct seen *s = seen_new();
  ck_assert_int_eq(poll_ms(a, record, s, 0), 2);
  ck_assert_uint_eq(s->len[0], sizeof(fb));
  ck_assert_uint_eq(s->ts[0], 22);
  ck_assert_mem_eq(s->data[0], fb, sizeof(fb));
  ck_assert_uint_eq(s->len[1], 50);
  ck_assert_uint_eq(s->ts[1], UINT64_MAX);
  ck_assert_mem_eq(s->data[1], fb, 50);

  s->n = 0;
  ck_assert_int_eq(poll_ms(b, record, s, 100), 1);
  ck_assert_uint_eq(s->len[0], sizeof(fa));
  ck_assert_uint_eq(s->ts[0], 11);
  ck_assert_mem_eq(s->data[0], fa, sizeof(fa));
  bn_link_close(b);
  bn_link_close(a);
}
END_TEST

START_TEST(full_queue_reports_enobufs_and_drops)
{
  bn_link *a, *b;
  ck_assert_int_eq(bn_link_memory_pair(3, &a, &b), 0);
  uint8_t frame[64];
  for (unsigned i = 0; i < 3; i++) {
    fill(frame, sizeof(frame), i);
    ck_assert_int_eq(bn_link_send(a, frame, sizeof(frame), i), 0);
  }
  fill(frame, sizeof(frame), 3);
  ck_assert_int_eq(bn_link_send(a, frame, sizeof(frame), 3), -ENOBUFS);
  ck_assert_int_eq(bn_link_send(a, frame, sizeof(frame), 4), -ENOBUFS);
  /* the other direction is not affected */
  ck_assert_int_eq(bn_link_send(b, frame, sizeof(frame), 5), 0);

  struct seen *s = seen_new();
  ck_assert_int_eq(poll_ms(b, record, s, 0), 3);
  for (unsigned i = 0; i < 3; i++) {
    fill(frame, sizeof(frame), i);
    ck_assert_uint_eq(s->ts[i], i);
    ck_assert_mem_eq(s->data[i], frame, sizeof(frame));
  }
  ck_assert_int_eq(poll_ms(b, record, s, 0), 0);
  /* drained: room again, and the dropped frames never show up */
  fill(frame, sizeof(frame), 9);
  ck_assert_int_eq(bn_link_send(a, frame, sizeof(frame), 9), 0);
  s->n = 0;
  ck_assert_int_eq(poll_ms(b, record, s, 0), 1);
  ck_assert_uint_eq(s->ts[0], 9);
  ck_assert_mem_eq(s->data[0], frame, sizeof(frame));
  bn_link_close(a);
  bn_link_close(b);
}
END_TEST

START_TEST(frame_size_limits)
{
  bn_link *a, *b;
  ck_assert_int_eq(bn_link_memory_pair(4, &a, &b), 0);
  static uint8_t big[BN_LINK_MAX_FRAME + 1];
  ck_assert_int_eq(bn_link_send(a, big, 0, 0), -EMSGSIZE);
  ck_assert_int_eq(bn_link_send(a, big, BN_LINK_MAX_FRAME + 1, 0), -EMSGSIZE);
  ck_assert_int_eq(bn_link_send(a, big, SIZE_MAX, 0), -EMSGSIZE);
  struct seen *s = seen_new();
  ck_assert_int_eq(poll_ms(b, record, s, 0), 0);
  ck_assert_int_eq(s->n, 0);
  ck_assert_int_eq(bn_link_send(a, big, BN_LINK_MAX_FRAME, 0), 0);
  ck_assert_int_eq(poll_ms(b, record, s, 0), 1);
  ck_assert_uint_eq(s->len[0], BN_LINK_MAX_FRAME);
  bn_link_close(a);
  bn_link_close(b);
}
END_TEST

/* The frames of a batch: frames[i] holds lens[i] bytes filled with tag i,
 * timestamp i, and a result no call gives. */
static uint8_t batch_data[MAX_SEEN][BN_LINK_MAX_FRAME + 1];

static void make_batch(bn_link_frame *frames, const size_t *lens, size_t n)
{
  ck_assert_uint_le(n, MAX_SEEN);
  for (size_t i = 0; i < n; i++) {
    fill(batch_data[i], lens[i], (unsigned)i);
    frames[i] = (bn_link_frame){ .data = batch_data[i], .len = lens[i], .ts_ns = i, .result = 12345 };
  }
}

/* The k-th frame the receiver saw is f: bytes and timestamp. */
static void expect_seen(const struct seen *s, int k, const bn_link_frame *f)
{
  ck_assert_uint_eq(s->len[k], f->len);
  ck_assert_uint_eq(s->ts[k], f->ts_ns);
  ck_assert_mem_eq(s->data[k], f->data, f->len);
}

/* bn_link_send_batch() on a link without a send_batch op (the memory link):
 * one bn_link_send() per frame, in order, one result per frame. */
START_TEST(send_batch_without_op_sends_every_frame_in_order)
{
  bn_link *a, *b;
  ck_assert_int_eq(bn_link_memory_pair(16, &a, &b), 0);
  ck_assert_ptr_null(a->ops->send_batch);
  static const size_t lens[] = { 1, 161, 262, 363, 60, 1500, 14, 999, 1024, BN_LINK_MAX_FRAME };
  enum { N = sizeof(lens) / sizeof(lens[0]) };
  bn_link_frame frames[N];
  make_batch(frames, lens, N);
  ck_assert_uint_eq(bn_link_send_batch(a, frames, N), N);
  struct seen *s = seen_new();
  ck_assert_int_eq(poll_ms(b, record, s, 0), N);
  for (int i = 0; i < N; i++) {
    ck_assert_int_eq(frames[i].result, 0);
    expect_seen(s, i, &frames[i]);
  }
  /* an empty batch sends nothing */
  ck_assert_uint_eq(bn_link_send_batch(a, frames, 0), 0);
  ck_assert_int_eq(poll_ms(b, record, s, 0), 0);
  bn_link_close(a);
  bn_link_close(b);
}
END_TEST

/* A 0-length or oversize frame in the middle of a batch gets -EMSGSIZE; the
 * frames around it go out, in order. */
START_TEST(send_batch_bad_frame_sizes_fail_alone)
{
  bn_link *a, *b;
  ck_assert_int_eq(bn_link_memory_pair(16, &a, &b), 0);
  static const size_t lens[] = { 100, 0, 1500, BN_LINK_MAX_FRAME + 1, 42 };
  bn_link_frame frames[5];
  make_batch(frames, lens, 5);
  ck_assert_uint_eq(bn_link_send_batch(a, frames, 5), 3);
  ck_assert_int_eq(frames[0].result, 0);
  ck_assert_int_eq(frames[1].result, -EMSGSIZE);
  ck_assert_int_eq(frames[2].result, 0);
  ck_assert_int_eq(frames[3].result, -EMSGSIZE);
  ck_assert_int_eq(frames[4].result, 0);
  struct seen *s = seen_new();
  ck_assert_int_eq(poll_ms(b, record, s, 0), 3);
  expect_seen(s, 0, &frames[0]);
  expect_seen(s, 1, &frames[2]);
  expect_seen(s, 2, &frames[4]);
  bn_link_close(a);
  bn_link_close(b);
}
END_TEST

/* A batch larger than the room left: the frames that fit go out, the rest
 * get -ENOBUFS each (dropped), as n bn_link_send() calls would. */
START_TEST(send_batch_full_queue_drops_the_rest)
{
  bn_link *a, *b;
  ck_assert_int_eq(bn_link_memory_pair(3, &a, &b), 0);
  static const size_t lens[] = { 64, 64, 64, 64, 64 };
  bn_link_frame frames[5];
  make_batch(frames, lens, 5);
  ck_assert_uint_eq(bn_link_send_batch(a, frames, 5), 3);
  struct seen *s = seen_new();
  ck_assert_int_eq(poll_ms(b, record, s, 0), 3);
  for (int i = 0; i < 5; i++) {
    ck_assert_int_eq(frames[i].result, i < 3 ? 0 : -ENOBUFS);
    if (i < 3) {
      expect_seen(s, i, &frames[i]);
    }
  }
  bn_link_close(a);
  bn_link_close(b);
}
END_TEST

START_TEST(poll_times_out_empty)
{
  bn_link *a, *b;
  ck_assert_int_eq(bn_link_memory_pair(1, &a, &b), 0);
  struct seen *s = seen_new();
  ck_assert_int_eq(poll_ms(b, record, s, 0), 0);
  ck_assert_int_eq(poll_ms(b, record, s, 20), 0);
  ck_assert_int_eq(poll_ms(a, record, s, 0), 0);
  ck_assert_int_eq(s->n, 0);
  bn_link_close(a);
  bn_link_close(b);
}
END_TEST

START_TEST(wake_before_poll_makes_the_next_poll_return)
{
  bn_link *a, *b;
  ck_assert_int_eq(bn_link_memory_pair(2, &a, &b), 0);
  struct seen *s = seen_new();
  bn_link_wake(b);
  ck_assert_int_eq(poll_ms(b, record, s, -1), 0);  /* would block forever otherwise */
  ck_assert_int_eq(s->n, 0);
  /* the wake is consumed */
  ck_assert_int_eq(poll_ms(b, record, s, 0), 0);
  bn_link_close(a);
  bn_link_close(b);
}
END_TEST

struct poller {
  bn_link *link;
  struct seen *seen;
  int started;  /* atomic */
  int rc;
};

static void *poll_forever(void *arg)
{
  struct poller *p = arg;
  __atomic_store_n(&p->started, 1, __ATOMIC_RELEASE);
  p->rc = poll_ms(p->link, record, p->seen, -1);
  return NULL;
}

static void sleep_ms(long ms)
{
  struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };
  nanosleep(&ts, NULL);
}

/* Starts a thread polling link forever into p; returns once it is (most
 * likely) blocked in the poll. Either way, the poll must return when poked. */
static pthread_t start_poller(struct poller *p, bn_link *link)
{
  p->link = link;
  p->seen = seen_new();
  p->started = 0;
  p->rc = 12345;
  pthread_t t;
  ck_assert_int_eq(pthread_create(&t, NULL, poll_forever, p), 0);
  while (!__atomic_load_n(&p->started, __ATOMIC_ACQUIRE)) {
    sleep_ms(1);
  }
  sleep_ms(50);
  return t;
}

/* Joins t, failing the test (rather than hanging) if it does not end within ~10 s. */
static void join_bounded(pthread_t t)
{
  struct timespec deadline;
  clock_gettime(CLOCK_REALTIME, &deadline);
  deadline.tv_sec += 10;
  ck_assert_int_eq(pthread_timedjoin_np(t, NULL, &deadline), 0);
}

START_TEST(wake_ends_a_blocked_poll_in_another_thread)
{
  bn_link *a, *b;
  ck_assert_int_eq(bn_link_memory_pair(2, &a, &b), 0);
  struct poller p;
  pthread_t t = start_poller(&p, b);
  bn_link_wake(b);
  join_bounded(t);
  ck_assert_int_eq(p.rc, 0);
  ck_assert_int_eq(p.seen->n, 0);
  bn_link_close(a);
  bn_link_close(b);
}
END_TEST

START_TEST(send_ends_a_blocked_poll_in_another_thread)
{
  bn_link *a, *b;
  ck_assert_int_eq(bn_link_memory_pair(2, &a, &b), 0);
  struct poller p;
  pthread_t t = start_poller(&p, b);
  const uint8_t frame[3] = { 1, 2, 3 };
  ck_assert_int_eq(bn_link_send(a, frame, sizeof(frame), 77), 0);
  join_bounded(t);
  ck_assert_int_eq(p.rc, 1);
  ck_assert_uint_eq(p.seen->len[0], 3);
  ck_assert_uint_eq(p.seen->ts[0], 77);
  ck_assert_mem_eq(p.seen->data[0], frame, 3);
  bn_link_close(a);
  bn_link_close(b);
}
END_TEST

START_TEST(peer_close_drains_then_ends)
{
  bn_link *a, *b;
  ck_assert_int_eq(bn_link_memory_pair(4, &a, &b), 0);
  const uint8_t f1[2] = { 0xaa, 0xbb }, f2[1] = { 0xcc };
  ck_assert_int_eq(bn_link_send(a, f1, sizeof(f1), 1), 0);
  ck_assert_int_eq(bn_link_send(a, f2, sizeof(f2), 2), 0);
  bn_link_close(a);

  struct seen *s = seen_new();
  ck_assert_int_eq(poll_ms(b, record, s, -1), 2);  /* queued frames still arrive */
  ck_assert_mem_eq(s->data[0], f1, sizeof(f1));
  ck_assert_mem_eq(s->data[1], f2, sizeof(f2));
  ck_assert_int_eq(poll_ms(b, record, s, -1), -ENODATA);  /* never blocks */
  ck_assert_int_eq(poll_ms(b, record, s, 0), -ENODATA);
  ck_assert_int_eq(bn_link_send(b, f1, sizeof(f1), 3), -ENOTCONN);
  ck_assert_int_eq(s->n, 2);
  bn_link_close(b);
}
END_TEST

START_TEST(peer_close_ends_a_blocked_poll)
{
  bn_link *a, *b;
  ck_assert_int_eq(bn_link_memory_pair(2, &a, &b), 0);
  struct poller p;
  pthread_t t = start_poller(&p, b);
  bn_link_close(a);
  join_bounded(t);
  ck_assert_int_eq(p.rc, -ENODATA);
  bn_link_close(b);
}
END_TEST

START_TEST(pair_argument_errors)
{
  bn_link *a = NULL, *b = NULL;
  ck_assert_int_eq(bn_link_memory_pair(0, &a, &b), -EINVAL);
  ck_assert_int_eq(bn_link_memory_pair(65537, &a, &b), -EINVAL);
  ck_assert_int_eq(bn_link_memory_pair(SIZE_MAX, &a, &b), -EINVAL);
  ck_assert_int_eq(bn_link_memory_pair(4, NULL, &b), -EINVAL);
  ck_assert_int_eq(bn_link_memory_pair(4, &a, NULL), -EINVAL);
  ck_assert_ptr_null(a);
  ck_assert_ptr_null(b);
  /* the two ends are distinct and closable in either order; NULL is ignored */
  ck_assert_int_eq(bn_link_memory_pair(1, &a, &b), 0);
  ck_assert_ptr_nonnull(a);
  ck_assert_ptr_nonnull(b);
  ck_assert_ptr_ne(a, b);
  ck_assert_str_ne(a->name, b->name);
  bn_link_close(b);
  bn_link_close(a);
  bn_link_close(NULL);
}
END_TEST

Suite *bn_test_suite(void)
{
  Suite *s = suite_create("link_memory");
  TCase *tc = tcase_create("memory");
  tcase_set_timeout(tc, 30);
  tcase_add_test(tc, frames_arrive_in_order_with_timestamps_and_bytes);
  tcase_add_test(tc, both_directions_are_independent);
  tcase_add_test(tc, full_queue_reports_enobufs_and_drops);
  tcase_add_test(tc, frame_size_limits);
  tcase_add_test(tc, send_batch_without_op_sends_every_frame_in_order);
  tcase_add_test(tc, send_batch_bad_frame_sizes_fail_alone);
  tcase_add_test(tc, send_batch_full_queue_drops_the_rest);
  tcase_add_test(tc, poll_times_out_empty);
  tcase_add_test(tc, wake_before_poll_makes_the_next_poll_return);
  tcase_add_test(tc, wake_ends_a_blocked_poll_in_another_thread);
  tcase_add_test(tc, send_ends_a_blocked_poll_in_another_thread);
  tcase_add_test(tc, peer_close_drains_then_ends);
  tcase_add_test(tc, peer_close_ends_a_blocked_poll);
  tcase_add_test(tc, pair_argument_errors);
  suite_add_tcase(s, tc);
  return s;
}
