/*
 * Reading captures for replay (netif/replay/pcap_source.h) from small files the
 * tests write with libpcap: every accepted link type comes out as Ethernet
 * with the IPv4 packet unchanged (and the MAC a cooked header gave, or one
 * made from the address), an unknown link type and a file that is not a
 * capture are refused with one line naming the problem, and each frame that
 * cannot be replayed at this level is skipped under its reason.
 */
#include "bn_test.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "capture.h"
#include "pcap_source.h"

static const struct frame_host peer = { { 2, 0, 0, 0, 0, 1 }, { 192, 0, 2, 1 } };
static const struct frame_host board = { { 2, 0, 0, 0, 0, 2 }, { 192, 0, 2, 2 } };

static struct capture cap;

static void remove_capture(void)
{
  unlink(cap.path);
}

/* An ICMP echo request from peer to board, as Ethernet (ip_len: its IPv4 part). */
static size_t ping_frame(uint8_t *buf, size_t *ip_len)
{
  uint8_t data[32];
  memset(data, 0xa5, sizeof(data));
  size_t len = frame_icmp_echo(buf, FRAME_ICMP_ECHO_REQUEST, &peer, &board, 7, 1, data, sizeof(data));
  *ip_len = len - FRAME_ETH_HLEN;
  return len;
}

/* The link-layer header of linktype for an IPv4 packet from peer, into out. */
static size_t link_header(int linktype, uint8_t *out)
{
  switch (linktype) {
  case DLT_LINUX_SLL:
    memset(out, 0, 16);
    frame_put16(out, 0);             /* to us */
    frame_put16(out + 2, 1);         /* ARPHRD_ETHER */
    frame_put16(out + 4, 6);
    memcpy(out + 6, peer.mac, 6);
    frame_put16(out + 14, FRAME_ETHERTYPE_IP);
    return 16;
  case DLT_LINUX_SLL2:
    memset(out, 0, 20);
    frame_put16(out, FRAME_ETHERTYPE_IP);
    frame_put32(out + 4, 3);         /* ifindex */
    frame_put16(out + 8, 1);         /* ARPHRD_ETHER */
    out[10] = 0;
    out[11] = 6;
    memcpy(out + 12, peer.mac, 6);
    return 20;
  case DLT_NULL: {
    uint32_t af = 2;                 /* AF_INET, in this host's order */
    memcpy(out, &af, 4);
    return 4;
  }
  case DLT_LOOP:
    frame_put32(out, 2);             /* AF_INET, network order */
    return 4;
  default:
    return 0;                        /* DLT_RAW, DLT_IPV4 */
  }
}

/* Opens cap.path; the test fails with bn_pcap_source's message if it cannot. */
static bn_pcap_source *open_capture(const char *filter)
{
  bn_pcap_source *s = NULL;
  char err[BN_PCAP_ERRLEN] = "";
  int rc = bn_pcap_source_open(cap.path, filter, BN_PCAP_ANY_VLAN, &s, err);
  ck_assert_msg(rc == 0, "open: %d %s", rc, err);
  return s;
}

START_TEST(source_every_link_type_becomes_ethernet_with_the_packet_unchanged)
{
  static const int types[] = { DLT_EN10MB, DLT_LINUX_SLL, DLT_LINUX_SLL2, DLT_RAW, DLT_IPV4, DLT_NULL, DLT_LOOP };
  static const char *const names[] = { "EN10MB", "LINUX_SLL", "LINUX_SLL2", "RAW", "IPV4", "NULL", "LOOP" };
  int linktype = types[_i];
  uint8_t eth[128], rec[160];
  size_t ip_len, eth_len = ping_frame(eth, &ip_len);
  size_t len;
  if (linktype == DLT_EN10MB) {
    memcpy(rec, eth, eth_len);
    len = eth_len;
  } else {
    size_t h = link_header(linktype, rec);
    memcpy(rec + h, eth + FRAME_ETH_HLEN, ip_len);
    len = h + ip_len;
  }
  capture_open(&cap, linktype);
  capture_add(&cap, 1500000000123456789ull, rec, len);
  capture_close(&cap);

  bn_pcap_source *s = open_capture(NULL);
  ck_assert_str_eq(bn_pcap_source_linktype(s), names[_i]);
  bn_pcap_frame f;
  uint64_t skipped[BN_SKIP_COUNT] = { 0 };
  ck_assert_int_eq(bn_pcap_source_next(s, &f, skipped), 1);
  ck_assert_uint_eq(f.number, 1);
  ck_assert_uint_eq(f.ts_ns, 1500000000123456789ull); /* nanoseconds kept */
  ck_assert_uint_eq(f.len, eth_len);
  ck_assert_uint_eq(frame_get16(f.data + FRAME_OFF_ETH_TYPE), FRAME_ETHERTYPE_IP);
  ck_assert_mem_eq(f.data + FRAME_ETH_HLEN, eth + FRAME_ETH_HLEN, ip_len);
  if (linktype == DLT_EN10MB) {
    ck_assert_mem_eq(f.data, eth, FRAME_ETH_HLEN);
    ck_assert(!f.macs_synthesised);
  } else if (linktype == DLT_LINUX_SLL || linktype == DLT_LINUX_SLL2) {
    ck_assert_mem_eq(f.data + FRAME_OFF_ETH_SRC, peer.mac, 6); /* the cooked header's address */
    ck_assert(f.macs_synthesised);
  } else {
    const uint8_t made[6] = { BN_PCAP_SYNTH_MAC_0, BN_PCAP_SYNTH_MAC_1, 192, 0, 2, 1 };
    ck_assert_mem_eq(f.data + FRAME_OFF_ETH_SRC, made, 6);
    ck_assert(f.macs_synthesised);
  }
  ck_assert_int_eq(bn_pcap_source_next(s, &f, skipped), 0);
  for (int i = 0; i < BN_SKIP_COUNT; i++) {
    ck_assert_uint_eq(skipped[i], 0);
  }
  bn_pcap_source_close(s);
}
END_TEST

START_TEST(source_cooked_outgoing_frames_are_marked)
{
  uint8_t eth[128], rec[160];
  size_t ip_len;
  ping_frame(eth, &ip_len);
  size_t h = link_header(DLT_LINUX_SLL2, rec);
  rec[10] = 4; /* PACKET_OUTGOING */
  memcpy(rec + h, eth + FRAME_ETH_HLEN, ip_len);
  capture_open(&cap, DLT_LINUX_SLL2);
  capture_add(&cap, 1000, rec, h + ip_len);
  capture_close(&cap);
  bn_pcap_source *s = open_capture(NULL);
  bn_pcap_frame f;
  uint64_t skipped[BN_SKIP_COUNT] = { 0 };
  ck_assert_int_eq(bn_pcap_source_next(s, &f, skipped), 1);
  ck_assert(f.outgoing);
  bn_pcap_source_close(s);
}
END_TEST

START_TEST(source_frames_take_the_numbers_of_the_file_they_came_from)
{
  uint8_t eth[128];
  size_t ip_len, len = ping_frame(eth, &ip_len);
  capture_open(&cap, DLT_EN10MB);
  for (int i = 0; i < 3; i++) {
    capture_add(&cap, 1000 + (uint64_t)i, eth, len);
  }
  capture_close(&cap);
  static const uint64_t numbers[] = { 5, 9 }; /* frames 1 and 2 of a pcapng's interface */
  bn_pcap_source *s = open_capture(NULL);
  bn_pcap_source_set_numbers(s, numbers, 2);
  bn_pcap_frame f;
  uint64_t skipped[BN_SKIP_COUNT] = { 0 };
  ck_assert_int_eq(bn_pcap_source_next(s, &f, skipped), 1);
  ck_assert_uint_eq(f.number, 5);
  ck_assert_int_eq(bn_pcap_source_next(s, &f, skipped), 1);
  ck_assert_uint_eq(f.number, 9);
  ck_assert_int_eq(bn_pcap_source_next(s, &f, skipped), 1);
  ck_assert_uint_eq(f.number, 3); /* past the numbers given: its own */
  ck_assert_uint_eq(bn_pcap_source_count(s), 3);
  bn_pcap_source_close(s);
}
END_TEST

START_TEST(source_refuses_an_unknown_link_type_naming_it)
{
  uint8_t rec[64] = { 0 };
  capture_open(&cap, DLT_IEEE802_11);
  capture_add(&cap, 1000, rec, sizeof(rec));
  capture_close(&cap);
  bn_pcap_source *s = NULL;
  char err[BN_PCAP_ERRLEN] = "";
  ck_assert_int_eq(bn_pcap_source_open(cap.path, NULL, BN_PCAP_ANY_VLAN, &s, err), -EINVAL);
  ck_assert_ptr_null(s);
  ck_assert_msg(strstr(err, "IEEE802_11") != NULL && strstr(err, cap.path) != NULL, "%s", err);
}
END_TEST

START_TEST(source_refuses_what_is_not_a_capture)
{
  capture_open(&cap, DLT_EN10MB); /* for the file name */
  capture_close(&cap);
  FILE *f = fopen(cap.path, "wb");
  ck_assert_ptr_nonnull(f);
  fputs("GET / HTTP/1.1\r\nHost: 192.0.2.2\r\n\r\n", f);
  fclose(f);
  bn_pcap_source *s = NULL;
  char err[BN_PCAP_ERRLEN] = "";
  ck_assert_int_eq(bn_pcap_source_open(cap.path, NULL, BN_PCAP_ANY_VLAN, &s, err), -EINVAL);
  ck_assert_msg(strstr(err, "not a capture") != NULL, "%s", err);
  ck_assert_int_eq(bn_pcap_source_open("/nonexistent/x.pcap", NULL, BN_PCAP_ANY_VLAN, &s, err), -ENOENT);
  ck_assert_msg(strstr(err, "/nonexistent/x.pcap") != NULL, "%s", err);
}
END_TEST

START_TEST(source_refuses_a_bad_filter)
{
  capture_open(&cap, DLT_EN10MB);
  capture_close(&cap);
  bn_pcap_source *s = NULL;
  char err[BN_PCAP_ERRLEN] = "";
  ck_assert_int_eq(bn_pcap_source_open(cap.path, "tcp port banana", BN_PCAP_ANY_VLAN, &s, err), -EINVAL);
  ck_assert_msg(strstr(err, "bad filter") != NULL, "%s", err);
}
END_TEST

/* Reads the whole file: the frames returned, and the skips in skipped. */
static int read_all(const char *filter, uint64_t skipped[BN_SKIP_COUNT])
{
  bn_pcap_source *s = open_capture(filter);
  bn_pcap_frame f;
  int n = 0;
  memset(skipped, 0, BN_SKIP_COUNT * sizeof(uint64_t));
  while (bn_pcap_source_next(s, &f, skipped) == 1) {
    n++;
  }
  bn_pcap_source_close(s);
  return n;
}

START_TEST(source_skips_each_bad_frame_under_its_reason)
{
  uint8_t eth[128], big[BN_LINK_MAX_FRAME + 100];
  size_t ip_len, len = ping_frame(eth, &ip_len);
  memset(big, 0, sizeof(big));
  memcpy(big, eth, len);
  capture_open(&cap, DLT_EN10MB);
  capture_add(&cap, 1000, eth, len);                 /* fine */
  capture_cut(&cap, 2000, eth, 0, 0);                /* empty */
  capture_cut(&cap, 3000, eth, 40, len);             /* snaplen: handed over with zeros (the plan judges it) */
  capture_add(&cap, 4000, big, sizeof(big));         /* too long */
  capture_add(&cap, 5000, eth, 10);                  /* no room for an Ethernet header */
  capture_add(&cap, 6000, eth, len);                 /* fine */
  capture_close(&cap);
  uint64_t skipped[BN_SKIP_COUNT];
  ck_assert_int_eq(read_all(NULL, skipped), 3);
  ck_assert_uint_eq(skipped[BN_SKIP_EMPTY], 1);
  ck_assert_uint_eq(skipped[BN_SKIP_CUT], 0);
  ck_assert_uint_eq(skipped[BN_SKIP_TOO_LONG], 1);
  ck_assert_uint_eq(skipped[BN_SKIP_LINK_HEADER], 1);
  ck_assert_uint_eq(skipped[BN_SKIP_FILE_TRUNCATED], 0);
}
END_TEST

START_TEST(source_skips_short_cooked_headers_and_raw_ipv6)
{
  uint8_t eth[128], rec[160];
  size_t ip_len;
  ping_frame(eth, &ip_len);
  capture_open(&cap, DLT_LINUX_SLL);
  size_t h = link_header(DLT_LINUX_SLL, rec);
  capture_add(&cap, 1000, rec, 10);                  /* half a cooked header */
  frame_put16(rec + 2, 24);                          /* ARPHRD_IEEE1394: no Ethernet in it */
  memcpy(rec + h, eth + FRAME_ETH_HLEN, ip_len);
  capture_add(&cap, 2000, rec, h + ip_len);
  capture_close(&cap);
  uint64_t skipped[BN_SKIP_COUNT];
  ck_assert_int_eq(read_all(NULL, skipped), 0);
  ck_assert_uint_eq(skipped[BN_SKIP_LINK_HEADER], 2);

  unlink(cap.path);
  capture_open(&cap, DLT_RAW);
  uint8_t v6[40] = { 0x60 };
  capture_add(&cap, 1000, v6, sizeof(v6));
  capture_close(&cap);
  ck_assert_int_eq(read_all(NULL, skipped), 0);
  ck_assert_uint_eq(skipped[BN_SKIP_IPV6], 1); /* named, not "neither IPv4 nor ARP" */
}
END_TEST

START_TEST(source_a_file_cut_off_mid_frame_ends_there_once)
{
  uint8_t eth[128];
  size_t ip_len, len = ping_frame(eth, &ip_len);
  capture_open(&cap, DLT_EN10MB);
  for (int i = 0; i < 3; i++) {
    capture_add(&cap, 1000u * (unsigned)(i + 1), eth, len);
  }
  capture_close(&cap);
  FILE *f = fopen(cap.path, "rb+");
  ck_assert_ptr_nonnull(f);
  fseek(f, 0, SEEK_END);
  long size = ftell(f);
  fclose(f);
  ck_assert_int_eq(truncate(cap.path, size - 20), 0); /* into the last frame's bytes */
  uint64_t skipped[BN_SKIP_COUNT];
  ck_assert_int_eq(read_all(NULL, skipped), 2);
  ck_assert_uint_eq(skipped[BN_SKIP_FILE_TRUNCATED], 1);
}
END_TEST

START_TEST(source_filter_leaves_out_what_does_not_match)
{
  uint8_t eth[128], udp[128];
  size_t ip_len, len = ping_frame(eth, &ip_len);
  const uint8_t hello[] = "hello";
  size_t ulen = frame_udp(udp, &peer, &board, 5000, 7, hello, sizeof(hello));
  capture_open(&cap, DLT_EN10MB);
  capture_add(&cap, 1000, eth, len);
  capture_add(&cap, 2000, udp, ulen);
  capture_add(&cap, 3000, eth, len);
  capture_close(&cap);
  uint64_t skipped[BN_SKIP_COUNT];
  ck_assert_int_eq(read_all("udp port 7", skipped), 1);
  ck_assert_uint_eq(skipped[BN_SKIP_FILTERED], 2);
}
END_TEST

/* eth with an 802.1Q tag of vlan after its MACs (tpid: 0x8100, or 0x88a8 for QinQ's outer tag). */
static size_t tagged(uint8_t *out, const uint8_t *eth, size_t len, uint16_t tpid, uint16_t vlan)
{
  memcpy(out, eth, 12);
  frame_put16(out + 12, tpid);
  frame_put16(out + 14, (uint16_t)(0x2000 | vlan)); /* priority 1: not part of the id */
  memcpy(out + 16, eth + 12, len - 12);
  return len + 4;
}

START_TEST(source_vlan_tags_come_off_and_vlan_picks_one)
{
  uint8_t eth[128], one[160], two[160];
  size_t ip_len, len = ping_frame(eth, &ip_len);
  size_t n1 = tagged(one, eth, len, 0x8100, 10);         /* 802.1Q, VLAN 10 */
  size_t inner = tagged(two, eth, len, 0x8100, 30);
  uint8_t qinq[200];
  size_t n2 = tagged(qinq, two, inner, 0x88a8, 20);      /* QinQ: outer 20, inner 30 */
  capture_open(&cap, DLT_EN10MB);
  capture_add(&cap, 1000, one, n1);
  capture_add(&cap, 2000, qinq, n2);
  capture_add(&cap, 3000, eth, len);                     /* untagged */
  capture_add(&cap, 4000, one, 15);                      /* a tag cut short */
  capture_close(&cap);

  bn_pcap_source *s = open_capture(NULL);
  bn_pcap_frame f;
  static const uint16_t vlans[] = { 10, 20, 0 };
  for (int i = 0; i < 3; i++) {
    ck_assert_int_eq(bn_pcap_source_next_any(s, &f), 1);
    ck_assert_int_eq(f.skip, -1);
    ck_assert_uint_eq(f.vlan, vlans[i]);
    ck_assert_uint_eq(f.len, len);                        /* every tag off: the frame as sent untagged */
    ck_assert_mem_eq(f.data, eth, len);
  }
  ck_assert_int_eq(bn_pcap_source_next_any(s, &f), 1);
  ck_assert_int_eq(f.skip, BN_SKIP_LINK_HEADER);
  ck_assert_int_eq(bn_pcap_source_next_any(s, &f), 0);
  bn_pcap_source_close(s);

  char err[BN_PCAP_ERRLEN];
  ck_assert_int_eq(bn_pcap_source_open(cap.path, NULL, 20, &s, err), 0);
  uint64_t skipped[BN_SKIP_COUNT] = { 0 };
  ck_assert_int_eq(bn_pcap_source_next(s, &f, skipped), 1);
  ck_assert_uint_eq(f.number, 2);                         /* VLAN 20 only */
  ck_assert_int_eq(bn_pcap_source_next(s, &f, skipped), 0);
  ck_assert_uint_eq(skipped[BN_SKIP_OTHER_VLAN], 2);      /* VLAN 10, and the untagged one */
  bn_pcap_source_close(s);
}
END_TEST

START_TEST(source_a_frame_cut_by_the_snaplen_comes_at_its_length_with_zeros)
{
  uint8_t eth[128], zeros[128] = { 0 };
  size_t ip_len, len = ping_frame(eth, &ip_len);
  capture_open(&cap, DLT_EN10MB);
  capture_cut(&cap, 1000, eth, 30, len);                 /* snaplen 30 */
  capture_close(&cap);
  bn_pcap_source *s = open_capture(NULL);
  bn_pcap_frame f;
  ck_assert_int_eq(bn_pcap_source_next_any(s, &f), 1);
  ck_assert_int_eq(f.skip, -1);                           /* the plan tells whether its headers are whole */
  ck_assert_uint_eq(f.len, len);
  ck_assert_uint_eq(f.cut, len - 30);
  ck_assert_mem_eq(f.data, eth, 30);                      /* what there is */
  ck_assert_mem_eq(f.data + 30, zeros, len - 30);         /* and zeros for the rest */
  bn_pcap_source_close(s);
}
END_TEST

Suite *bn_test_suite(void)
{
  Suite *s = suite_create("replay_source");
  TCase *tc = tcase_create("core");
  tcase_add_checked_fixture(tc, NULL, remove_capture);
  tcase_add_loop_test(tc, source_every_link_type_becomes_ethernet_with_the_packet_unchanged, 0, 7);
  tcase_add_test(tc, source_cooked_outgoing_frames_are_marked);
  tcase_add_test(tc, source_refuses_an_unknown_link_type_naming_it);
  tcase_add_test(tc, source_refuses_what_is_not_a_capture);
  tcase_add_test(tc, source_refuses_a_bad_filter);
  tcase_add_test(tc, source_skips_each_bad_frame_under_its_reason);
  tcase_add_test(tc, source_skips_short_cooked_headers_and_raw_ipv6);
  tcase_add_test(tc, source_a_file_cut_off_mid_frame_ends_there_once);
  tcase_add_test(tc, source_filter_leaves_out_what_does_not_match);
  tcase_add_test(tc, source_vlan_tags_come_off_and_vlan_picks_one);
  tcase_add_test(tc, source_a_frame_cut_by_the_snaplen_comes_at_its_length_with_zeros);
  tcase_add_test(tc, source_frames_take_the_numbers_of_the_file_they_came_from);
  suite_add_tcase(s, tc);
  return s;
}
