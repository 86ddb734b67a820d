/*
 * A listener's accept queue under trouble: connections reset before accept()
 * and the entries lwIP queues for connections it aborted when it ran out of
 * pcbs (accept_function() posts an ERR_ABRT marker for each refused SYN). As
 * modlwip's queue (its _lwip_tcp_err_unaccepted() removes such a connection),
 * they disappear completely: poll reports POLLIN on the listener only for a
 * live connection, and one accept() returns the next live one.
 */
#include "bn_test.h"
#include "bn_clock.h"

#include <stdlib.h>

#include "lwip/stats.h"
#include "usocket_fixture.h"

START_TEST(accept_queue_connection_reset_before_accept_disappears)
{
  start_stack();
  usocket *l = listener_at(LOOP, 7201, 4);
  struct netconn *doomed = raw_client(7201);
  ck_assert_uint_eq(poll1(l, USOCKET_POLLIN, 5000), USOCKET_POLLIN);
  raw_reset(doomed);
  /* once the RST has arrived (bounded wait) the reset one is gone: no POLLIN */
  for (int i = 0; i < 250 && poll1(l, USOCKET_POLLIN, 0) != 0; i++) {
    bn_clock_sleep_ms(20); /* the board's clock: virtual too */
  }
  ck_assert_uint_eq(poll1(l, USOCKET_POLLIN, 0), 0);
  usocket *good = tcp();
  usocket_addr a = addr(LOOP, 7201);
  ck_assert_int_eq(usocket_connect(good, &a), 0);
  ck_assert_int_eq(usocket_send(good, "B", 1), 1);
  usocket *c = NULL;
  ck_assert_int_eq(usocket_settimeout(l, 5000), 0);
  ck_assert_int_eq(usocket_accept(l, &c, NULL), 0);
  char buf[4];
  ck_assert_int_eq(usocket_recv(c, buf, 4, 0), 1);
  ck_assert_int_eq(buf[0], 'B');
  usocket *none = NULL;
  ck_assert_int_eq(usocket_setblocking(l, false), 0);
  ck_assert_int_eq(usocket_accept(l, &none, NULL), -USOCKET_EAGAIN);
  usocket_free(c);
  usocket_free(good);
  usocket_free(l);
}
END_TEST

/* What holds every TCP pcb left: sockets (each unconnected one holds a
 * pcb), then, on a board with fewer sockets than TCP pcbs (esp32), bare
 * pcbs of lwIP's raw API for the rest. */
typedef struct fillers {
  usocket *s[MEMP_NUM_TCP_PCB];
  int n;
  struct tcp_pcb *raw[MEMP_NUM_TCP_PCB];
  int n_raw;
} fillers;

static void fill_pcbs(fillers *f)
{
  f->n = 0;
  while (f->n < MEMP_NUM_TCP_PCB &&
         usocket_socket(USOCKET_AF_INET, USOCKET_SOCK_STREAM, 0, &f->s[f->n]) == 0) {
    f->n++;
  }
  usocket *more = NULL;
  ck_assert_int_eq(usocket_socket(USOCKET_AF_INET, USOCKET_SOCK_STREAM, 0, &more), -USOCKET_ENOMEM);
  f->n_raw = 0;
  LOCK_TCPIP_CORE();
  while (f->n_raw < MEMP_NUM_TCP_PCB && (f->raw[f->n_raw] = tcp_new()) != NULL) {
    f->n_raw++;
  }
  UNLOCK_TCPIP_CORE();
}

/* Frees count of them: sockets first (each gives back a pcb and a socket). */
static void free_fillers(fillers *f, int count)
{
  for (; count > 0 && f->n > 0; count--) {
    usocket_free(f->s[--f->n]);
  }
  LOCK_TCPIP_CORE();
  for (; count > 0 && f->n_raw > 0; count--) {
    tcp_abort(f->raw[--f->n_raw]);
  }
  UNLOCK_TCPIP_CORE();
}

#define VICTIMS 3

/* VICTIMS non-blocking connects to port while no pcb is left for the
 * listener's side: lwIP refuses each SYN and queues an aborted marker. */
static void refused_connects(uint16_t port, usocket *victims[VICTIMS], fillers *f)
{
  for (int i = 0; i < VICTIMS; i++) {
    victims[i] = tcp();
    ck_assert_int_eq(usocket_setblocking(victims[i], false), 0);
  }
  fill_pcbs(f);
#if LWIP_STATS && MEMP_STATS
  u16_t refused_before = lwip_stats.memp[MEMP_TCP_PCB]->err;
#endif
  usocket_addr a = addr(LOOP, port);
  for (int i = 0; i < VICTIMS; i++) {
    ck_assert_int_eq(usocket_connect(victims[i], &a), -USOCKET_EINPROGRESS);
  }
  lwip_sync(); /* the SYNs went over lwIP's loopback and were refused */
#if LWIP_STATS && MEMP_STATS
  ck_assert_int_ge(lwip_stats.memp[MEMP_TCP_PCB]->err - refused_before, VICTIMS);
#endif
}

static void free_all(usocket *victims[VICTIMS], fillers *f)
{
  for (int i = 0; i < VICTIMS; i++) {
    usocket_free(victims[i]);
  }
  free_fillers(f, f->n + f->n_raw);
}

START_TEST(accept_queue_aborted_entries_give_no_pollin)
{
  start_stack();
  usocket *l = listener_at(LOOP, 7202, 8);
  usocket *victims[VICTIMS];
  fillers f;
  refused_connects(7202, victims, &f);
  /* every marker was dropped: the listener never became readable */
  ck_assert_uint_eq(poll1(l, USOCKET_POLLIN, 500), 0);
  usocket *c = NULL;
  ck_assert_int_eq(usocket_setblocking(l, false), 0);
  ck_assert_int_eq(usocket_accept(l, &c, NULL), -USOCKET_EAGAIN);
  free_all(victims, &f);
  usocket_free(l);
}
END_TEST

START_TEST(accept_queue_one_accept_skips_every_aborted_entry)
{
  start_stack();
  usocket *l = listener_at(LOOP, 7203, 8);
  usocket *victims[VICTIMS];
  fillers f;
  refused_connects(7203, victims, &f);
  /* room for one connection (its two ends), queued behind the markers */
  free_fillers(&f, 2);
  usocket *good = tcp();
  usocket_addr a = addr(LOOP, 7203);
  ck_assert_int_eq(usocket_settimeout(good, 5000), 0);
  ck_assert_int_eq(usocket_connect(good, &a), 0);
  ck_assert_int_eq(usocket_send(good, "G", 1), 1);
  /* one non-blocking accept returns it */
  usocket *c = NULL;
  usocket_addr peer;
  ck_assert_int_eq(usocket_setblocking(l, false), 0);
  ck_assert_int_eq(usocket_accept(l, &c, &peer), 0);
  ck_assert_str_eq(peer.ip, LOOP);
  char buf[2];
  ck_assert_int_eq(usocket_settimeout(c, 5000), 0);
  ck_assert_int_eq(usocket_recv(c, buf, sizeof(buf), 0), 1);
  ck_assert_int_eq(buf[0], 'G');
  usocket_free(c);
  usocket_free(good);
  free_all(victims, &f);
  usocket_free(l);
}
END_TEST

/* Closing a listener resets the connection poll had already taken off
 * lwIP's queue for the next accept(), like the ones still queued. */
START_TEST(accept_queue_close_resets_the_polled_connection)
{
  start_stack();
  usocket *l = listener_at(LOOP, 7204, 2);
  usocket *c = tcp();
  usocket_addr a = addr(LOOP, 7204);
  ck_assert_int_eq(usocket_settimeout(c, 5000), 0);
  ck_assert_int_eq(usocket_connect(c, &a), 0);
  ck_assert_uint_eq(poll1(l, USOCKET_POLLIN, 5000), USOCKET_POLLIN);
  usocket_free(l);
  char buf[4];
  ck_assert_int_eq(usocket_recv(c, buf, sizeof(buf), 0), -USOCKET_ECONNRESET);
  usocket_free(c);
}
END_TEST

/* The connection poll holds for accept() keeps its place in the backlog. */
START_TEST(accept_queue_polled_connection_counts_in_the_backlog)
{
  start_stack();
  usocket *l = listener_at(LOOP, 7205, 1);
  usocket *c1 = tcp(), *c2 = tcp();
  usocket_addr a = addr(LOOP, 7205);
  ck_assert_int_eq(usocket_settimeout(c1, 5000), 0);
  ck_assert_int_eq(usocket_connect(c1, &a), 0);
  ck_assert_uint_eq(poll1(l, USOCKET_POLLIN, 5000), USOCKET_POLLIN);
  /* backlog 1 is taken: the second connect is not answered */
  ck_assert_int_eq(usocket_settimeout(c2, 1500), 0);
  ck_assert_int_eq(usocket_connect(c2, &a), -USOCKET_ETIMEDOUT);
  usocket *s = NULL;
  ck_assert_int_eq(usocket_accept(l, &s, NULL), 0);
  usocket_free(s);
  usocket_free(c1);
  usocket_free(c2);
  usocket_free(l);
}
END_TEST

Suite *bn_test_suite(void)
{
  Suite *s = suite_create("usocket_accept_queue");
  TCase *tc = tcase_create("accept_queue");
  tcase_set_timeout(tc, 30);
  tcase_add_checked_fixture(tc, NULL, stop_stack);
  tcase_add_test(tc, accept_queue_connection_reset_before_accept_disappears);
  tcase_add_test(tc, accept_queue_aborted_entries_give_no_pollin);
  tcase_add_test(tc, accept_queue_one_accept_skips_every_aborted_entry);
  tcase_add_test(tc, accept_queue_close_resets_the_polled_connection);
  tcase_add_test(tc, accept_queue_polled_connection_counts_in_the_backlog);
  suite_add_tcase(s, tc);
  return s;
}
