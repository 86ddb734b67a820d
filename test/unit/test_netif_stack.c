/*
 * The stack over a memory link, with the test playing the kernel's side of
 * the wire by hand (netif_wire.h): ARP and ICMP echo answered byte for byte,
 * fragments, traffic for other hosts and malformed frames ignored, each as
 * the board profile does it. One lwIP per test process (Check fork mode).
 */
#include "netif_wire.h"

START_TEST(arp_request_gets_a_reply)
{
  start_board();
  uint8_t frame[BN_LINK_MAX_FRAME];
  send_frame(frame, frame_arp(frame, FRAME_ARP_REQUEST, &peer, &board));
  uint8_t reply[BN_LINK_MAX_FRAME];
  size_t len = wait_frame(is_arp_reply, reply, WAIT_POLLS);
  ck_assert_uint_eq(len, FRAME_ARP_LEN);
  /* byte by byte */
  static const uint8_t expected[FRAME_ARP_LEN] = {
    0x02, 0x00, 0x5e, 0xaa, 0xbb, 0xcc,   /* Ethernet dst: the asker */
    0x02, 0xb0, 0x4e, 0x12, 0x34, 0x56,   /* Ethernet src: the board */
    0x08, 0x06,                           /* ARP */
    0x00, 0x01, 0x08, 0x00, 6, 4,         /* Ethernet/IPv4 */
    0x00, 0x02,                           /* reply */
    0x02, 0xb0, 0x4e, 0x12, 0x34, 0x56,   /* sender: the board */
    192, 0, 2, 2,
    0x02, 0x00, 0x5e, 0xaa, 0xbb, 0xcc,   /* target: the asker */
    192, 0, 2, 1,
  };
  ck_assert_mem_eq(reply, expected, FRAME_ARP_LEN);
}
END_TEST

START_TEST(arp_request_for_another_address_is_ignored)
{
  start_board();
  uint8_t frame[BN_LINK_MAX_FRAME], reply[BN_LINK_MAX_FRAME];
  send_frame(frame, frame_arp(frame, FRAME_ARP_REQUEST, &peer, &stranger));
  ck_assert_uint_eq(wait_frame(is_arp_reply, reply, 5), 0);
  /* the board still answers for itself: the first reply is about 192.0.2.2 */
  send_frame(frame, frame_arp(frame, FRAME_ARP_REQUEST, &peer, &board));
  ck_assert_uint_eq(wait_frame(is_arp_reply, reply, WAIT_POLLS), FRAME_ARP_LEN);
  ck_assert_mem_eq(reply + FRAME_ETH_HLEN + 14, board.ip, 4);
}
END_TEST

START_TEST(echo_request_gets_an_echo_reply)
{
  start_board();
  send_ping(&board, 1);
  uint8_t reply[BN_LINK_MAX_FRAME];
  size_t len = wait_frame(is_echo_reply, reply, WAIT_POLLS);
  ck_assert_uint_gt(len, 0);
  assert_echo_reply(reply, len, 1);
  /* and again, now that the board knows the peer's MAC */
  send_ping(&board, 2);
  len = wait_frame(is_echo_reply, reply, WAIT_POLLS);
  ck_assert_uint_gt(len, 0);
  assert_echo_reply(reply, len, 2);
}
END_TEST

START_TEST(echo_request_in_a_padded_frame)
{
  start_board();
  /* A ping with no data is 42 bytes: Ethernet pads it to 60. */
  uint8_t frame[60];
  memset(frame, 0xee, sizeof(frame));
  size_t len = frame_icmp_echo(frame, FRAME_ICMP_ECHO_REQUEST, &peer, &board, 0x0101, 7, NULL, 0);
  ck_assert_uint_eq(len, 42);
  send_frame(frame, sizeof(frame));
  uint8_t reply[BN_LINK_MAX_FRAME];
  len = wait_frame(is_echo_reply, reply, WAIT_POLLS);
  ck_assert_uint_ge(len, 42);
  ck_assert_uint_eq(frame_get16(reply + FRAME_OFF_IP + 2), FRAME_IP_HLEN + FRAME_ICMP_HLEN);
  ck_assert_uint_eq(frame_get16(reply + FRAME_OFF_ICMP + 6), 7);
  ck_assert_uint_eq(frame_inet_checksum(reply + FRAME_OFF_ICMP, FRAME_ICMP_HLEN), 0);
}
END_TEST

START_TEST(largest_echo_request_gets_a_full_reply)
{
  start_board();
  /* 1472 bytes of data: a 1514-byte frame, more than one pool pbuf each way */
  static uint8_t data[1472];
  for (size_t i = 0; i < sizeof(data); i++) {
    data[i] = (uint8_t)(i * 13 + 5);
  }
  uint8_t frame[BN_LINK_MAX_FRAME];
  size_t len = frame_icmp_echo(frame, FRAME_ICMP_ECHO_REQUEST, &peer, &board, 0xbeef, 9, data, sizeof(data));
  ck_assert_uint_eq(len, 1514);
  send_frame(frame, len);
  uint8_t reply[BN_LINK_MAX_FRAME];
  len = wait_frame(is_echo_reply, reply, WAIT_POLLS);
  ck_assert_uint_gt(len, 0);
  assert_echo_reply_data(reply, len, 9, data, sizeof(data));
}
END_TEST

/* Reassembled and answered; or dropped, on a board without IPv4
 * reassembly (esp32: IP_REASSEMBLY 0, as ESP-IDF's default). */
START_TEST(fragmented_echo_request_is_reassembled_as_the_board_does)
{
  start_board();
  static uint8_t data[1000];
  for (size_t i = 0; i < sizeof(data); i++) {
    data[i] = (uint8_t)(i * 7 + 1);
  }
  /* the whole ICMP message, then cut into IP fragments of 512 + 496 bytes */
  uint8_t whole[BN_LINK_MAX_FRAME];
  size_t len = frame_icmp_echo(whole, FRAME_ICMP_ECHO_REQUEST, &peer, &board, 0xbeef, 10, data, sizeof(data));
  const uint8_t *icmp = whole + FRAME_OFF_ICMP;
  size_t icmp_len = len - FRAME_OFF_ICMP;
  uint8_t frag[BN_LINK_MAX_FRAME];
  /* the second half first: reassembly must not depend on order */
  send_frame(frag, frame_ip4_fragment(frag, &peer, &board, 1, 0x7777, 512 / 8, icmp + 512, icmp_len - 512));
  send_frame(frag, frame_ip4_fragment(frag, &peer, &board, 1, 0x7777, FRAME_IP_MF, icmp, 512));
  uint8_t reply[BN_LINK_MAX_FRAME];
#if IP_REASSEMBLY
  len = wait_frame(is_echo_reply, reply, WAIT_POLLS);
  ck_assert_uint_gt(len, 0);
  assert_echo_reply_data(reply, len, 10, data, sizeof(data));
#else
  ck_assert_uint_eq(wait_frame(is_echo_reply, reply, 5), 0);
  send_ping(&board, 11); /* the board still answers what is not fragmented */
  len = wait_frame(is_echo_reply, reply, WAIT_POLLS);
  ck_assert_uint_gt(len, 0);
  assert_echo_reply(reply, len, 11);
#endif
}
END_TEST

START_TEST(echo_request_to_another_address_gets_no_reply)
{
  start_board();
  send_ping(&stranger, 1);  /* sent to the board's MAC, but for 192.0.2.99 */
  uint8_t reply[BN_LINK_MAX_FRAME];
  ck_assert_uint_eq(wait_frame(is_echo_reply, reply, 5), 0);
  /* the first echo reply the board ever sends answers the second ping */
  send_ping(&board, 2);
  size_t len = wait_frame(is_echo_reply, reply, WAIT_POLLS);
  ck_assert_uint_gt(len, 0);
  assert_echo_reply(reply, len, 2);
}
END_TEST

/* A valid echo request to the board in buf, which the caller then damages. */
static size_t ping_frame(uint8_t *buf, uint16_t seq)
{
  memset(buf, 0, BN_LINK_MAX_FRAME);
  return frame_icmp_echo(buf, FRAME_ICMP_ECHO_REQUEST, &peer, &board, 0xbeef, seq, ping_data,
                         sizeof(ping_data));
}

/* Recomputes the IP header checksum after a deliberate change to the header. */
static void fix_ip_checksum(uint8_t *frame, size_t ihl_bytes)
{
  frame_put16(frame + FRAME_OFF_IP + 10, 0);
  frame_put16(frame + FRAME_OFF_IP + 10, frame_inet_checksum(frame + FRAME_OFF_IP, ihl_bytes));
}

START_TEST(malformed_frames_are_ignored)
{
  start_board();
  uint8_t f[BN_LINK_MAX_FRAME];
  size_t n;
  bn_stack_status before, after;
  ck_assert_int_eq(bn_stack_status_get(&before), 0);

  uint16_t seq = 100;
  n = ping_frame(f, seq++);
  send_frame(f, 1);                                      /* a single byte */
  send_frame(f, FRAME_ETH_HLEN - 1);                     /* a partial Ethernet header */
  send_frame(f, FRAME_ETH_HLEN);                         /* Ethernet header, no IP */
  send_frame(f, FRAME_ETH_HLEN + 10);                    /* half an IP header */
  send_frame(f, FRAME_OFF_ICMP + 4);                     /* half an ICMP header */
  send_frame(f, n - 10);                                 /* shorter than IP's total length */

  n = ping_frame(f, seq++);
  f[FRAME_OFF_ICMP + 3] ^= 0x01;                         /* bad ICMP checksum */
  send_frame(f, n);
  n = ping_frame(f, seq++);
  f[FRAME_OFF_IP] = 0x44;                                /* IHL 4 (< 5) */
  send_frame(f, n);
  n = ping_frame(f, seq++);
  f[FRAME_OFF_IP] = 0x4f;                                /* IHL 15: header beyond the packet */
  fix_ip_checksum(f, FRAME_IP_HLEN);
  send_frame(f, FRAME_OFF_ICMP);
  n = ping_frame(f, seq++);
  f[FRAME_OFF_IP] = 0x65;                                /* version 6 in an IPv4 frame */
  fix_ip_checksum(f, FRAME_IP_HLEN);
  send_frame(f, n);
  n = ping_frame(f, seq++);
  frame_put16(f + FRAME_OFF_IP + 2, 0xffff);             /* total length past the frame */
  fix_ip_checksum(f, FRAME_IP_HLEN);
  send_frame(f, n);
  n = ping_frame(f, seq++);
  frame_put16(f + FRAME_OFF_IP + 2, FRAME_IP_HLEN - 1);  /* total length inside the header */
  fix_ip_checksum(f, FRAME_IP_HLEN);
  send_frame(f, n);
  n = ping_frame(f, seq++);
  frame_put16(f + FRAME_OFF_IP + 2, FRAME_IP_HLEN + 4);  /* ICMP cut to 4 bytes by IP */
  fix_ip_checksum(f, FRAME_IP_HLEN);
  send_frame(f, n);
  n = ping_frame(f, seq++);
  memset(f + FRAME_OFF_IP + 16, 0xff, 4);               /* to 255.255.255.255 */
  fix_ip_checksum(f, FRAME_IP_HLEN);
  send_frame(f, n);

  n = frame_arp(f, FRAME_ARP_REQUEST, &peer, &board);
  send_frame(f, n - 1);                                  /* truncated ARP */
  f[FRAME_ETH_HLEN + 4] = 8;                             /* hardware address length 8 */
  send_frame(f, n);
  n = frame_arp(f, FRAME_ARP_REQUEST, &peer, &board);
  frame_put16(f + FRAME_ETH_HLEN, 6);                    /* hardware type IEEE 802 */
  send_frame(f, n);

  memset(f, 0xa5, sizeof(f));                            /* a maximal frame of noise */
  memcpy(f, board.mac, 6);
  frame_put16(f + FRAME_OFF_ETH_TYPE, FRAME_ETHERTYPE_IP);
  send_frame(f, BN_LINK_MAX_FRAME);
  frame_put16(f + FRAME_OFF_ETH_TYPE, 0x88b5);           /* local experimental ethertype */
  send_frame(f, 100);

  /* No echo reply to any of them: the first one answers this ping. */
  send_ping(&board, 1);
  uint8_t reply[BN_LINK_MAX_FRAME];
  size_t len = wait_frame(is_echo_reply, reply, WAIT_POLLS);
  ck_assert_uint_gt(len, 0);
  assert_echo_reply(reply, len, 1);

  ck_assert_int_eq(bn_stack_status_get(&after), 0);
  /* all 19 went to lwIP (or were dropped) before the ping that was answered */
  ck_assert_uint_ge(after.counters.rx_frames + after.counters.rx_dropped,
                    before.counters.rx_frames + before.counters.rx_dropped + 19);
}
END_TEST

/* A bad IP header checksum: dropped; or answered, on a board that does not
 * check it (esp32: ESP-IDF's CONFIG_LWIP_CHECKSUM_CHECK_IP default n). */
START_TEST(ip_header_checksum_is_checked_as_the_board_does)
{
  start_board();
  uint8_t f[BN_LINK_MAX_FRAME], reply[BN_LINK_MAX_FRAME];
  size_t n = ping_frame(f, 7);
  f[FRAME_OFF_IP + 10] ^= 0x40;
  send_frame(f, n);
#if CHECKSUM_CHECK_IP
  ck_assert_uint_eq(wait_frame(is_echo_reply, reply, 5), 0);
  send_ping(&board, 8);
  size_t len = wait_frame(is_echo_reply, reply, WAIT_POLLS);
  ck_assert_uint_gt(len, 0);
  assert_echo_reply(reply, len, 8);
#else
  size_t len = wait_frame(is_echo_reply, reply, WAIT_POLLS);
  ck_assert_uint_gt(len, 0);
  /* the reply has a correct checksum of its own */
  assert_echo_reply(reply, len, 7);
#endif
}
END_TEST

Suite *bn_test_suite(void)
{
  Suite *s = suite_create("netif_stack");
  TCase *tc = tcase_create("wire");
  tcase_set_timeout(tc, 60);
  tcase_add_checked_fixture(tc, NULL, stop_board);
  tcase_add_test(tc, arp_request_gets_a_reply);
  tcase_add_test(tc, arp_request_for_another_address_is_ignored);
  tcase_add_test(tc, echo_request_gets_an_echo_reply);
  tcase_add_test(tc, echo_request_in_a_padded_frame);
  tcase_add_test(tc, largest_echo_request_gets_a_full_reply);
  tcase_add_test(tc, fragmented_echo_request_is_reassembled_as_the_board_does);
  tcase_add_test(tc, echo_request_to_another_address_gets_no_reply);
  tcase_add_test(tc, malformed_frames_are_ignored);
  tcase_add_test(tc, ip_header_checksum_is_checked_as_the_board_does);
  suite_add_tcase(s, tc);
  return s;
}
