/*
 * bn_link stages (netif/bn_link.h) on a memory backend: bn_link_stage_init()
 * makes an empty stage forward everything to its inner link and keeps the
 * backend's name; closing a stage closes the chain; bn_link_backend() and
 * bn_link_find(); the threading rule (one sender, one poller: -EBUSY); and
 * carrier events travelling up through a stage.
 */
#include "bn_test.h"

#include <pthread.h>

#include "bn_sched.h"
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "link_memory.h"
#include "link_poll.h"

/* A stage that does nothing of its own: every op is the inner link's. */
static int closed_count;

static void empty_close(bn_link *link)
{
  closed_count++;
  free(link);
}

static const struct bn_link_ops empty_ops = { .kind = "empty", .close = empty_close };

static bn_link *empty_stage(bn_link *inner)
{
  bn_link *s = calloc(1, sizeof(*s));
  ck_assert_ptr_nonnull(s);
  bn_link_stage_init(s, &empty_ops, inner);
  return s;
}

struct got {
  int frames;
  uint8_t last[64];
  size_t last_len;
  uint64_t last_ts;
  int carrier_downs, carrier_ups;
};

static void got_frame(void *arg, const uint8_t *frame, size_t len, uint64_t ts_ns)
{
  struct got *g = arg;
  g->frames++;
  g->last_len = len < sizeof(g->last) ? len : sizeof(g->last);
  memcpy(g->last, frame, g->last_len);
  g->last_ts = ts_ns;
}

static void got_carrier(void *arg, bool up)
{
  struct got *g = arg;
  if (up) {
    g->carrier_ups++;
  } else {
    g->carrier_downs++;
  }
}

START_TEST(stage_empty_forwards_everything_and_keeps_the_name)
{
  bn_link *a, *b;
  ck_assert_int_eq(bn_link_memory_pair(8, &a, &b), 0);
  bn_link *s1 = empty_stage(a);
  bn_link *s2 = empty_stage(s1);
  ck_assert_str_eq(s1->name, "mem0");
  ck_assert_str_eq(s2->name, "mem0");
  ck_assert_ptr_eq(bn_link_backend(s2), a);
  ck_assert_ptr_eq(bn_link_backend(a), a);
  ck_assert_ptr_eq(bn_link_find(s2, "memory"), a);
  ck_assert_ptr_eq(bn_link_find(s2, "empty"), s2);
  ck_assert_ptr_null(bn_link_find(s2, "record"));
  /* send, both ways of it */
  uint8_t f[3] = { 1, 2, 3 };
  ck_assert_int_eq(bn_link_send(s2, f, 3, 77), 0);
  bn_link_frame batch[2] = { { .data = f, .len = 2, .ts_ns = 78 }, { .data = f, .len = 0, .ts_ns = 79 } };
  ck_assert_uint_eq(bn_link_send_batch(s2, batch, 2), 1);
  ck_assert_int_eq(batch[0].result, 0);
  ck_assert_int_eq(batch[1].result, -EMSGSIZE);
  struct got g = { 0 };
  ck_assert_int_eq(poll_ms(b, got_frame, &g, 0), 2);
  ck_assert_uint_eq(g.last_len, 2);
  ck_assert_uint_eq(g.last_ts, 78);
  /* poll */
  ck_assert_int_eq(bn_link_send(b, f, 3, 90), 0);
  memset(&g, 0, sizeof(g));
  ck_assert_int_eq(poll_ms(s2, got_frame, &g, 0), 1);
  ck_assert_mem_eq(g.last, f, 3);
  ck_assert_uint_eq(g.last_ts, 90);
  /* wake: a forever poll returns */
  bn_link_wake(s2);
  ck_assert_int_eq(poll_ms(s2, got_frame, &g, -1), 0);
  /* close: the stages' own close, then the backend */
  bn_link_close(s2);
  ck_assert_int_eq(closed_count, 2);
  ck_assert_int_eq(poll_ms(b, got_frame, &g, -1), -ENODATA); /* a is closed too */
  bn_link_close(b);
}
END_TEST

START_TEST(stage_carrier_travels_up_through_stages)
{
  bn_link *a, *b;
  ck_assert_int_eq(bn_link_memory_pair(8, &a, &b), 0);
  bn_link *s = empty_stage(empty_stage(a));
  struct got g = { 0 };
  bn_link_rx rx = { .frame = got_frame, .carrier = got_carrier, .arg = &g };
  ck_assert_int_eq(bn_link_memory_set_carrier(b, false), 0);
  ck_assert_int_eq(bn_link_poll(s, &rx, BN_LINK_FOREVER), 0);
  ck_assert_int_eq(g.carrier_downs, 1);
  uint8_t f[1] = { 9 };
  ck_assert_int_eq(bn_link_send(s, f, 1, 0), -ENETDOWN);
  ck_assert_int_eq(bn_link_memory_set_carrier(a, true), 0);
  ck_assert_int_eq(bn_link_poll(s, &rx, BN_LINK_FOREVER), 0);
  ck_assert_int_eq(g.carrier_ups, 1);
  ck_assert_int_eq(bn_link_send(s, f, 1, 0), 0);
  /* once reported, no repeats */
  ck_assert_int_eq(bn_link_poll(s, &rx, BN_LINK_NOW), 0);
  ck_assert_int_eq(g.carrier_ups + g.carrier_downs, 2);
  ck_assert_int_eq(bn_link_memory_set_carrier(s, true), -EINVAL); /* not a memory end */
  bn_link_close(s);
  bn_link_close(b);
}
END_TEST

/* A stage whose send blocks until released, to hold a send in progress. */
struct held {
  bn_link link;
  bn_mutex_t mu;
  bn_cond_t cv;
  bool inside, release;
};

static int held_send(bn_link *link, const uint8_t *frame, size_t len, uint64_t ts_ns)
{
  struct held *h = (struct held *)link;
  bn_mutex_lock(&h->mu);
  h->inside = true;
  bn_cond_broadcast(&h->cv);
  while (!h->release) {
    bn_cond_wait(&h->cv, &h->mu, BN_CLOCK_FOREVER);
  }
  bn_mutex_unlock(&h->mu);
  return bn_link_send(link->inner, frame, len, ts_ns);
}

static const struct bn_link_ops held_ops = { .kind = "held", .send = held_send };

static void *send_one(void *arg)
{
  uint8_t f[1] = { 1 };
  return (void *)(intptr_t)bn_link_send(arg, f, 1, 0);
}

/* Polls until woken; tries again while the test's own polls hold the link. */
static void *poll_forever(void *arg)
{
  struct got g = { 0 };
  int rc;
  while ((rc = poll_ms(arg, got_frame, &g, -1)) == -EBUSY) {
  }
  return (void *)(intptr_t)rc;
}

START_TEST(stage_one_sender_and_one_poller_per_link)
{
  bn_link *a, *b;
  ck_assert_int_eq(bn_link_memory_pair(8, &a, &b), 0);
  struct held h = { .inside = false, .release = false };
  bn_mutex_init(&h.mu);
  bn_cond_init(&h.cv);
  bn_link_stage_init(&h.link, &held_ops, a);
  pthread_t t;
  ck_assert_int_eq(pthread_create(&t, NULL, send_one, &h.link), 0);
  bn_mutex_lock(&h.mu);
  while (!h.inside) {
    bn_cond_wait(&h.cv, &h.mu, BN_CLOCK_FOREVER);
  }
  bn_mutex_unlock(&h.mu);
  /* a second sender while the first is inside: refused, and so is a batch */
  uint8_t f[1] = { 2 };
  ck_assert_int_eq(bn_link_send(&h.link, f, 1, 0), -EBUSY);
  bn_link_frame one = { .data = f, .len = 1 };
  ck_assert_uint_eq(bn_link_send_batch(&h.link, &one, 1), 0);
  ck_assert_int_eq(one.result, -EBUSY);
  bn_mutex_lock(&h.mu);
  h.release = true;
  bn_cond_broadcast(&h.cv);
  bn_mutex_unlock(&h.mu);
  void *rc;
  pthread_join(t, &rc);
  ck_assert_int_eq((int)(intptr_t)rc, 0);
  ck_assert_int_eq(bn_link_send(&h.link, f, 1, 0), 0); /* one at a time is fine */

  /* a second poller while one waits: refused */
  struct got drained = { 0 };
  ck_assert_int_eq(poll_ms(b, got_frame, &drained, 0), 2);
  ck_assert_int_eq(pthread_create(&t, NULL, poll_forever, b), 0);
  int busy = 0;
  for (int i = 0; i < 500 && busy == 0; i++) {
    struct got g = { 0 };
    int n = poll_ms(b, got_frame, &g, 0);
    if (n == -EBUSY) {
      busy = 1;
    } else {
      usleep(2000); /* the thread has not entered its poll yet */
    }
  }
  ck_assert_int_eq(busy, 1);
  bn_link_wake(b);
  pthread_join(t, &rc);
  ck_assert_int_ge((int)(intptr_t)rc, 0);
  bn_link_close(&h.link);
  bn_link_close(b);
  bn_cond_destroy(&h.cv);
  bn_mutex_destroy(&h.mu);
}
END_TEST

Suite *bn_test_suite(void)
{
  Suite *s = suite_create("link_stage");
  TCase *tc = tcase_create("link_stage");
  tcase_add_test(tc, stage_empty_forwards_everything_and_keeps_the_name);
  tcase_add_test(tc, stage_carrier_travels_up_through_stages);
  tcase_add_test(tc, stage_one_sender_and_one_poller_per_link);
  suite_add_tcase(s, tc);
  return s;
}
