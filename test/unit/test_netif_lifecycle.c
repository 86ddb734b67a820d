/*
 * The stack's life on a memory link (netif_wire.h): the status report and
 * its counters, the default MAC, the start/stop contract and its errors,
 * DHCP without a server, and a failing device (a read error): what was
 * received before is answered, the error reported, the link taken down.
 * One lwIP per test process (Check fork mode).
 */
#include "netif_wire.h"

START_TEST(status_reports_address_mac_and_counters)
{
  start_board();
  bn_stack_status st;
  ck_assert_int_eq(bn_stack_status_get(&st), 0);
  ck_assert_uint_eq(ip4_addr_get_u32(&st.ip), PP_HTONL(LWIP_MAKEU32(192, 0, 2, 2)));
  ck_assert_uint_eq(ip4_addr_get_u32(&st.netmask), PP_HTONL(LWIP_MAKEU32(255, 255, 255, 0)));
  ck_assert_uint_eq(ip4_addr_get_u32(&st.gw), PP_HTONL(LWIP_MAKEU32(192, 0, 2, 1)));
  ck_assert_uint_eq(ip4_addr_get_u32(&st.dhcp_server), 0);
  ck_assert_uint_eq(st.lease_s, 0);
  ck_assert_mem_eq(st.mac, board.mac, 6);
  ck_assert(st.link_up);
  ck_assert_ptr_nonnull(bn_stack_netif());

  uint8_t frame[BN_LINK_MAX_FRAME], reply[BN_LINK_MAX_FRAME];
  send_frame(frame, frame_arp(frame, FRAME_ARP_REQUEST, &peer, &board));
  ck_assert_uint_eq(wait_frame(is_arp_reply, reply, WAIT_POLLS), FRAME_ARP_LEN);
  bn_stack_status later;
  ck_assert_int_eq(bn_stack_status_get(&later), 0);
  ck_assert_uint_ge(later.counters.rx_frames, st.counters.rx_frames + 1);
  ck_assert_uint_ge(later.counters.rx_bytes, st.counters.rx_bytes + FRAME_ARP_LEN);
  ck_assert_uint_ge(later.counters.tx_frames, st.counters.tx_frames + 1);
  ck_assert_uint_ge(later.counters.tx_bytes, st.counters.tx_bytes + FRAME_ARP_LEN);
  ck_assert_uint_eq(later.counters.tx_dropped, 0);
}
END_TEST

START_TEST(default_mac_comes_from_the_link_name)
{
  bn_link *end;
  ck_assert_int_eq(bn_link_memory_pair(QUEUE_MAX, &end, &wire), 0);
  bn_config cfg;
  board_config(&cfg, end);
  cfg.mac_set = false;
  uint8_t want[6];
  bn_config_default_mac(end->name, want);
  ck_assert_int_eq(bn_stack_start(&cfg), 0);
  bn_stack_status st;
  ck_assert_int_eq(bn_stack_status_get(&st), 0);
  ck_assert_mem_eq(st.mac, want, 6);
}
END_TEST

START_TEST(start_rejects_bad_configurations)
{
  bn_link *end;
  ck_assert_int_eq(bn_link_memory_pair(QUEUE_MAX, &end, &wire), 0);
  bn_config cfg;
  bn_stack_status st;
  ck_assert_int_eq(bn_stack_status_get(&st), -ENOTCONN);
  ck_assert_int_eq(bn_stack_stop(), -ENOTCONN);
  ck_assert_ptr_null(bn_stack_netif());

  ck_assert_int_eq(bn_stack_start(NULL), -EINVAL);
  board_config(&cfg, NULL);
  ck_assert_int_eq(bn_stack_start(&cfg), -EINVAL);                     /* no link */
  board_config(&cfg, end);
  IP4_ADDR(&cfg.ip, 192, 0, 2, 0);
  ck_assert_int_eq(bn_stack_start(&cfg), -EINVAL);                     /* network address */
  board_config(&cfg, end);
  IP4_ADDR(&cfg.ip, 192, 0, 2, 255);
  ck_assert_int_eq(bn_stack_start(&cfg), -EINVAL);                     /* broadcast address */
  board_config(&cfg, end);
  IP4_ADDR(&cfg.gw, 198, 18, 0, 1);
  ck_assert_int_eq(bn_stack_start(&cfg), -EINVAL);                     /* gateway elsewhere */
  board_config(&cfg, end);
  IP4_ADDR(&cfg.netmask, 255, 0, 255, 0);
  ck_assert_int_eq(bn_stack_start(&cfg), -EINVAL);                     /* mask with holes */
  board_config(&cfg, end);
  cfg.mac[0] = 0x01;
  ck_assert_int_eq(bn_stack_start(&cfg), -EINVAL);                     /* multicast MAC */
  board_config(&cfg, end);
  cfg.dns_count = BN_STACK_MAX_DNS + 1;
  ck_assert_int_eq(bn_stack_start(&cfg), -EINVAL);
  board_config(&cfg, end);
  cfg.dns_count = -1;
  ck_assert_int_eq(bn_stack_start(&cfg), -EINVAL);
  ck_assert_int_eq(bn_stack_status_get(&st), -ENOTCONN);

  /* none of that started anything: a good configuration still starts */
  board_config(&cfg, end);
  ck_assert_int_eq(bn_stack_start(&cfg), 0);
  ck_assert_int_eq(bn_stack_status_get(&st), 0);
  ck_assert_mem_eq(st.mac, board.mac, 6);
}
END_TEST

START_TEST(second_start_is_ealready)
{
  start_board();
  bn_link *a, *b;
  ck_assert_int_eq(bn_link_memory_pair(4, &a, &b), 0);
  bn_config cfg;
  board_config(&cfg, a);
  ck_assert_int_eq(bn_stack_start(&cfg), -EALREADY);
  /* the refused link is still the caller's, and untouched */
  uint8_t frame[FRAME_ARP_LEN];
  ck_assert_int_eq(bn_link_send(b, frame, frame_arp(frame, FRAME_ARP_REQUEST, &peer, &board), 0), 0);
  bn_link_close(a);
  bn_link_close(b);
  /* the running stack is unaffected */
  uint8_t reply[BN_LINK_MAX_FRAME];
  send_frame(frame, frame_arp(frame, FRAME_ARP_REQUEST, &peer, &board));
  ck_assert_uint_eq(wait_frame(is_arp_reply, reply, WAIT_POLLS), FRAME_ARP_LEN);
}
END_TEST

static int is_dhcp_discover(const uint8_t *f, size_t len)
{
  const size_t udp = FRAME_OFF_ICMP, bootp = udp + 8;
  return len >= bootp + 240 && memcmp(f, frame_broadcast_mac, 6) == 0 &&
         frame_get16(f + FRAME_OFF_ETH_TYPE) == FRAME_ETHERTYPE_IP && f[FRAME_OFF_IP] == 0x45 &&
         f[FRAME_OFF_IP + 9] == 17 && frame_get16(f + udp) == 68 && frame_get16(f + udp + 2) == 67 &&
         f[bootp] == 1;  /* BOOTREQUEST */
}

START_TEST(dhcp_without_a_server_times_out)
{
  bn_link *end;
  ck_assert_int_eq(bn_link_memory_pair(QUEUE_MAX, &end, &wire), 0);
  bn_config cfg;
  board_config(&cfg, end);
  cfg.dhcp = true;
  cfg.dhcp_timeout_ms = 300;
  ck_assert_int_eq(bn_stack_start(&cfg), -ETIMEDOUT);
  bn_stack_status st;
  ck_assert_int_eq(bn_stack_status_get(&st), -ENOTCONN);
  ck_assert_ptr_null(bn_stack_netif());
  /* the board did ask, from its MAC */
  uint8_t frame[BN_LINK_MAX_FRAME];
  size_t len = wait_frame(is_dhcp_discover, frame, WAIT_POLLS);
  ck_assert_uint_gt(len, 0);
  ck_assert_mem_eq(frame + FRAME_OFF_ETH_SRC, board.mac, 6);
  ck_assert_mem_eq(frame + FRAME_OFF_ICMP + 8 + 28, board.mac, 6);  /* chaddr */
  /* the link is still the caller's, open at both ends */
  ck_assert_int_eq(bn_link_send(wire, frame, len, 0), 0);
  bn_link_close(end);
}
END_TEST

static void ignore(void *arg, const uint8_t *frame, size_t len, uint64_t ts_ns)
{
  (void)arg;
  (void)frame;
  (void)len;
  (void)ts_ns;
}

/* The device fails (a TAP's read() returning EIO): the frames received
 * before are still answered, the netif reports the error and takes lwIP's
 * link down, the board stops cleanly. */
START_TEST(device_read_error_ends_the_link_after_what_was_received)
{
  bn_link *end;
  ck_assert_int_eq(bn_link_memory_pair(QUEUE_MAX, &end, &wire), 0);
  bn_config cfg;
  board_config(&cfg, end);
  ck_assert_int_eq(bn_stack_start(&cfg), 0);
  ck_assert_int_eq(bn_stack_link_error(), 0);
  uint8_t frame[BN_LINK_MAX_FRAME], reply[BN_LINK_MAX_FRAME];
  send_frame(frame, frame_arp(frame, FRAME_ARP_REQUEST, &peer, &board));
  send_ping(&board, 1);
  send_ping(&board, 2);
  ck_assert_int_eq(bn_link_memory_fail_reads(end, -EIO), 0);
  /* Both pings came before the failure: both are answered. */
  for (uint16_t seq = 1; seq <= 2; seq++) {
    size_t len = wait_frame(is_echo_reply, reply, WAIT_POLLS);
    ck_assert_uint_gt(len, 0);
    assert_echo_reply(reply, len, seq);
  }
  for (int i = 0; i < WAIT_POLLS && bn_stack_link_error() == 0; i++) {
    ck_assert_int_ge(poll_ms(wire, on_wire, NULL, POLL_MS), 0);
  }
  ck_assert_int_eq(bn_stack_link_error(), -EIO);
  bn_stack_status st;
  for (int i = 0; i < WAIT_POLLS; i++) {
    ck_assert_int_eq(bn_stack_status_get(&st), 0);
    if (!st.link_up) {
      break;
    }
    ck_assert_int_ge(poll_ms(wire, on_wire, NULL, POLL_MS), 0);
  }
  ck_assert(!st.link_up);
  /* Nothing after the failure is read: a ping now gets no answer. */
  send_ping(&board, 3);
  ck_assert_uint_eq(wait_frame(is_echo_reply, reply, 5), 0);
  ck_assert_int_eq(bn_stack_stop(), 0);
}
END_TEST

START_TEST(memory_fail_reads_rejects_bad_arguments)
{
  bn_link *a, *b;
  ck_assert_int_eq(bn_link_memory_pair(4, &a, &b), 0);
  ck_assert_int_eq(bn_link_memory_fail_reads(NULL, -EIO), -EINVAL);
  ck_assert_int_eq(bn_link_memory_fail_reads(a, EIO), -EINVAL);
  ck_assert_int_eq(bn_link_memory_fail_reads(a, -EIO), 0);
  ck_assert_int_eq(poll_ms(a, ignore, NULL, 10), -EIO);
  ck_assert_int_eq(bn_link_memory_fail_reads(a, 0), 0);
  ck_assert_int_eq(poll_ms(a, ignore, NULL, 10), 0);
  bn_link_close(a);
  bn_link_close(b);
}
END_TEST

START_TEST(stop_closes_the_link_once)
{
  start_board();
  ck_assert_int_eq(bn_stack_stop(), 0);
  ck_assert_int_eq(bn_stack_stop(), -ENOTCONN);
  bn_stack_status st;
  ck_assert_int_eq(bn_stack_status_get(&st), -ENOTCONN);
  ck_assert_ptr_null(bn_stack_netif());
  /* the stack closed its end of the wire: once drained, the wire has ended */
  int rc = 0;
  for (int i = 0; i < WAIT_POLLS && rc >= 0; i++) {
    rc = poll_ms(wire, ignore, NULL, POLL_MS);
  }
  ck_assert_int_eq(rc, -ENODATA);
  uint8_t frame[FRAME_ARP_LEN];
  ck_assert_int_eq(bn_link_send(wire, frame, frame_arp(frame, FRAME_ARP_REQUEST, &peer, &board), 0),
                   -ENOTCONN);
  /* one lwIP per process: no second start, even after a stop */
  bn_link *a, *b;
  ck_assert_int_eq(bn_link_memory_pair(4, &a, &b), 0);
  bn_config cfg;
  board_config(&cfg, a);
  ck_assert_int_eq(bn_stack_start(&cfg), -EALREADY);
  bn_link_close(a);
  bn_link_close(b);
}
END_TEST

Suite *bn_test_suite(void)
{
  Suite *s = suite_create("netif_lifecycle");
  TCase *tc = tcase_create("life");
  tcase_set_timeout(tc, 60);
  tcase_add_checked_fixture(tc, NULL, stop_board);
  tcase_add_test(tc, status_reports_address_mac_and_counters);
  tcase_add_test(tc, default_mac_comes_from_the_link_name);
  tcase_add_test(tc, start_rejects_bad_configurations);
  tcase_add_test(tc, second_start_is_ealready);
  tcase_add_test(tc, stop_closes_the_link_once);
  tcase_add_test(tc, dhcp_without_a_server_times_out);
  tcase_add_test(tc, device_read_error_ends_the_link_after_what_was_received);
  tcase_add_test(tc, memory_fail_reads_rejects_bad_arguments);
  suite_add_tcase(s, tc);
  return s;
}
