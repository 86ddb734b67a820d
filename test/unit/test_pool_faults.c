/*
 * Faults of the board's own memory (stack/bn_pool_faults.h) on a running
 * stack: a failed allocation from an lwIP pool reaches the board's code as
 * ENOMEM, never a crash; a held pool refuses until it is given back; and
 * `clear pools` restores full capacity. The timeline drives the same calls
 * (tools/board/scenario_run.c); test_scenario_aim.sh shows a refused connection.
 */
#include "usocket_fixture.h"

#include "bn_pool_faults.h"
#include "frames.h"
#include "link_poll.h"
#include "lwip/memp.h"
#include "lwip/priv/memp_priv.h"

/* lwIP's tcp_alloc() asks MEMP_TCP_PCB up to 5 times (src/core/tcp.c),
 * freeing TIME_WAIT and closing pcbs between the tries, as on a real board:
 * one failure is absorbed, five refuse one pcb. */
#define TCP_ALLOC_TRIES 5

START_TEST(a_failed_pcb_allocation_is_enomem_once)
{
  start_stack();
  uint64_t refused = bn_pool_faults_refused();
  ck_assert_int_eq(bn_pool_faults_fail_next("TCP_PCB", 1), 0);
  usocket *s = tcp();  /* lwIP tried again */
  usocket_free(s);
  ck_assert_uint_eq(bn_pool_faults_refused(), refused + 1);
  ck_assert_int_eq(bn_pool_faults_fail_next("TCP_PCB", TCP_ALLOC_TRIES), 0);
  s = NULL;
  ck_assert_int_eq(usocket_socket(USOCKET_AF_INET, USOCKET_SOCK_STREAM, 0, &s), -USOCKET_ENOMEM);
  ck_assert_ptr_null(s);
  ck_assert_uint_eq(bn_pool_faults_refused(), refused + 1 + TCP_ALLOC_TRIES);
  s = tcp();  /* only those failed */
  usocket_free(s);
  stop_stack();
}
END_TEST

START_TEST(an_exhausted_pool_refuses_until_cleared)
{
  start_stack();
  int held = bn_pool_faults_exhaust("TCP_PCB", 100);
  ck_assert_int_eq(held, memp_pools[MEMP_TCP_PCB]->num);
  usocket *s = NULL;
  ck_assert_int_eq(usocket_socket(USOCKET_AF_INET, USOCKET_SOCK_STREAM, 0, &s), -USOCKET_ENOMEM);
  /* UDP has pcbs of its own: the board still works where it can */
  ck_assert_int_eq(usocket_socket(USOCKET_AF_INET, USOCKET_SOCK_DGRAM, 0, &s), 0);
  usocket_free(s);
  bn_pool_faults_clear();
  /* full capacity back: every TCP socket of the profile at once */
  int n = TCP_SOCKETS_MAX;
  usocket **all = calloc((size_t)n, sizeof(*all));
  for (int i = 0; i < n; i++) {
    all[i] = tcp();
  }
  for (int i = 0; i < n; i++) {
    usocket_free(all[i]);
  }
  free(all);
  stop_stack();
}
END_TEST

START_TEST(a_share_holds_that_many_elements)
{
  start_stack();
  int num = memp_pools[MEMP_PBUF_POOL]->num;
  int held = bn_pool_faults_exhaust("PBUF_POOL", 50);
  ck_assert_int_eq(held, (num + 1) / 2);
  bn_pool_faults_clear();
  stop_stack();
}
END_TEST

START_TEST(a_failed_heap_allocation_is_an_error_not_a_crash)
{
  start_stack();
  usocket *srv = listener_at(LOOP, 7000, 2);
  usocket *c = tcp();
  usocket_addr a = addr(LOOP, 7000);
  ck_assert_int_eq(usocket_connect(c, &a), 0);
  usocket *peer = NULL;
  ck_assert_int_eq(usocket_accept(srv, &peer, NULL), 0);
  ck_assert_int_eq(bn_pool_faults_fail_next("heap", 1), 0);
  /* the first send may meet the failure (lwIP queues nothing then) */
  ssize_t sent = usocket_send(c, "hello", 5);
  ck_assert(sent == 5 || sent == -USOCKET_ENOMEM);
  if (sent < 0) {
    ck_assert_int_eq(usocket_send(c, "hello", 5), 5);
  }
  char buf[8];
  usocket_settimeout(peer, 5000);
  ck_assert_int_eq(usocket_recv(peer, buf, sizeof(buf), 0), 5);
  ck_assert(memcmp(buf, "hello", 5) == 0);
  usocket_free(peer);
  usocket_free(c);
  usocket_free(srv);
  bn_pool_faults_clear();
  stop_stack();
}
END_TEST

/* Counts ARP replies arriving on the wire. */
static void count_arp_reply(void *arg, const uint8_t *frame, size_t len, uint64_t ts_ns)
{
  (void)ts_ns;
  if (len >= FRAME_ARP_LEN && frame_get16(frame + FRAME_OFF_ETH_TYPE) == FRAME_ETHERTYPE_ARP &&
      frame_get16(frame + FRAME_ETH_HLEN + 6) == FRAME_ARP_REPLY) {
    ++*(int *)arg;
  }
}

/* ARP replies to one request for the board, within ms. */
static int arp_replies(long ms)
{
  static const struct frame_host peer = { { 0x02, 0, 0, 0, 0, 1 }, { 192, 0, 2, 1 } };
  static const struct frame_host board = { { 0 }, { 192, 0, 2, 2 } };
  uint8_t f[FRAME_ARP_LEN];
  ck_assert_int_eq(bn_link_send(peer_end, f, frame_arp(f, FRAME_ARP_REQUEST, &peer, &board), 0), 0);
  int replies = 0;
  uint64_t until = bn_clock_after_ms(ms);
  while (replies == 0 && bn_clock_now_ns() < until) {
    poll_ms(peer_end, count_arp_reply, &replies, 50);
  }
  return replies;
}

START_TEST(an_exhausted_pbuf_pool_drops_what_the_board_receives)
{
  start_stack();
  ck_assert_int_eq(arp_replies(2000), 1);
  bn_stack_status st;
  ck_assert_int_eq(bn_stack_status_get(&st), 0);
  uint64_t dropped = st.counters.rx_dropped;
  ck_assert_int_gt(bn_pool_faults_exhaust("PBUF_POOL", 100), 0);
  ck_assert_int_eq(arp_replies(300), 0);  /* no pbuf for the frame: dropped, as a board's MAC would */
  ck_assert_int_eq(bn_stack_status_get(&st), 0);
  ck_assert_uint_gt(st.counters.rx_dropped, dropped);
  bn_pool_faults_clear();
  ck_assert_int_eq(arp_replies(2000), 1);
  stop_stack();
}
END_TEST

START_TEST(unknown_pools_are_enoent)
{
  ck_assert_int_eq(bn_pool_faults_exhaust("NO_SUCH_POOL", 10), -ENOENT);
  ck_assert_int_eq(bn_pool_faults_fail_next("NO_SUCH_POOL", 1), -ENOENT);
  ck_assert(bn_pool_faults_known("TCP_PCB", 0));
  ck_assert(!bn_pool_faults_known("heap", 0));
  ck_assert(bn_pool_faults_known("heap", 1));
  char names[1024];
  bn_pool_faults_names(names, sizeof(names));
  ck_assert_ptr_nonnull(strstr(names, "PBUF_POOL"));
}
END_TEST

Suite *bn_test_suite(void)
{
  Suite *s = suite_create("pool_faults");
  TCase *tc = tcase_create("memory");
  tcase_set_timeout(tc, 30);
  tcase_add_test(tc, a_failed_pcb_allocation_is_enomem_once);
  tcase_add_test(tc, an_exhausted_pool_refuses_until_cleared);
  tcase_add_test(tc, a_share_holds_that_many_elements);
  tcase_add_test(tc, a_failed_heap_allocation_is_an_error_not_a_crash);
  tcase_add_test(tc, an_exhausted_pbuf_pool_drops_what_the_board_receives);
  tcase_add_test(tc, unknown_pools_are_enoent);
  suite_add_tcase(s, tc);
  return s;
}
