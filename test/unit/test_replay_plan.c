/*
 * The plan of a replay (netif/replay/replay_plan.h) from captures the tests write:
 * which address is the board and why (a DHCP lease, the answerer of the
 * first SYN, the most frequent address, or given), the flows with their
 * sides, ISNs, window scaling and the captured board's byte stream, the
 * steps with what the board had sent before each, and every frame that
 * cannot be replayed counted under its reason, a TCP flow whose SYN is not
 * in the capture among them (reported, not a crash).
 */
#include "bn_test.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "capture.h"
#include "replay_compare.h"
#include "replay_live.h"
#include "replay_plan.h"
#include "replay_verdict.h"

#define T0 1700000000000000000ull
#define MS 1000000ull
#define BOARD_IP 0xc0000202u  /* 192.0.2.2 */
#define BOARD_ISN 0xfffffff0u /* its stream crosses 2^32 */

static const struct frame_host peer = { { 2, 0, 0, 0, 0, 1 }, { 192, 0, 2, 1 } };
static const struct frame_host board = { { 2, 0, 0, 0, 0, 2 }, { 192, 0, 2, 2 } };
static const struct frame_host other = { { 2, 0, 0, 0, 0, 3 }, { 192, 0, 2, 3 } };
static const struct frame_host third = { { 2, 0, 0, 0, 0, 4 }, { 192, 0, 2, 4 } };
static const uint8_t hello[] = "hello world"; /* 11 bytes and a NUL: 12 */

static struct capture cap;

static void remove_capture(void)
{
  unlink(cap.path);
}

static void ping(uint64_t ts, const struct frame_host *from, const struct frame_host *to, uint8_t type)
{
  uint8_t buf[128], data[16] = { 0 };
  capture_add(&cap, ts, buf, frame_icmp_echo(buf, type, from, to, 9, 1, data, sizeof(data)));
}

/* A connection 192.0.2.1:40000 -> board:7: handshake, 12 bytes each way, the
 * peer's last ACK. Frames n .. n+5. */
static void echo_connection(uint64_t ts)
{
  struct frame_tcp_seg t = { .sport = 40000, .dport = 7, .seq = 1000, .flags = FRAME_TCP_SYN, .window = 64240,
                             .options = capture_syn_options, .options_len = sizeof(capture_syn_options) };
  capture_tcp(&cap, ts, &peer, &board, &t);
  t = (struct frame_tcp_seg){ .sport = 7, .dport = 40000, .seq = BOARD_ISN, .ack = 1001,
                              .flags = FRAME_TCP_SYN | FRAME_TCP_ACK, .window = 65535,
                              .options = capture_syn_options, .options_len = sizeof(capture_syn_options) };
  capture_tcp(&cap, ts + 1 * MS, &board, &peer, &t);
  t = (struct frame_tcp_seg){ .sport = 40000, .dport = 7, .seq = 1001, .ack = BOARD_ISN + 1,
                              .flags = FRAME_TCP_ACK, .window = 502 };
  capture_tcp(&cap, ts + 2 * MS, &peer, &board, &t);
  t.flags |= FRAME_TCP_PSH;
  t.payload = hello;
  t.payload_len = sizeof(hello);
  capture_tcp(&cap, ts + 3 * MS, &peer, &board, &t);
  t = (struct frame_tcp_seg){ .sport = 7, .dport = 40000, .seq = BOARD_ISN + 1, .ack = 1001 + sizeof(hello),
                              .flags = FRAME_TCP_ACK | FRAME_TCP_PSH, .window = 512, .payload = hello,
                              .payload_len = sizeof(hello) };
  capture_tcp(&cap, ts + 4 * MS, &board, &peer, &t);
  t = (struct frame_tcp_seg){ .sport = 40000, .dport = 7, .seq = 1001 + sizeof(hello),
                              .ack = BOARD_ISN + 1 + sizeof(hello), .flags = FRAME_TCP_ACK, .window = 502 };
  capture_tcp(&cap, ts + 5 * MS, &peer, &board, &t);
}

static int build(bn_rp_plan *plan, uint32_t board_ip, uint64_t start_at_ns, uint64_t limit, char err[BN_RP_ERRLEN])
{
  bn_rp_plan_options o = { .path = cap.path, .board_ip = board_ip, .start_at_ns = start_at_ns, .limit = limit };
  return bn_rp_plan_build(&o, plan, err);
}

static const bn_rp_flow *flow_of_kind(const bn_rp_plan *plan, bn_rp_flow_kind kind, size_t *index)
{
  for (size_t i = 0; i < plan->nflows; i++) {
    if (plan->flows[i].kind == kind) {
      *index = i;
      return &plan->flows[i];
    }
  }
  ck_abort_msg("no flow of kind %d", kind);
  return NULL;
}

START_TEST(plan_tcp_flow_sides_isns_scaling_stream_and_steps)
{
  capture_open(&cap, DLT_EN10MB);
  echo_connection(T0);
  capture_close(&cap);
  bn_rp_plan plan;
  char err[BN_RP_ERRLEN] = "";
  ck_assert_int_eq(build(&plan, 0, 0, 0, err), 0);
  ck_assert_uint_eq(plan.board_ip, BOARD_IP);
  ck_assert_msg(strstr(plan.board_reason, "the server of the capture (it answers 0 echo requests, 1 SYNs") != NULL,
                "%s", plan.board_reason);
  ck_assert(plan.board_mac_known);
  ck_assert_mem_eq(plan.board_mac, board.mac, 6);
  ck_assert_mem_eq(bn_rp_plan_host_mac(&plan, 0xc0000201u), peer.mac, 6);
  ck_assert_uint_eq(plan.frames_read, 6);
  ck_assert_uint_eq(plan.nflows, 1);
  const bn_rp_flow *f = &plan.flows[0];
  ck_assert_int_eq(f->kind, BN_RP_FLOW_TCP);
  ck_assert(f->has_syn && !f->board_opened);
  ck_assert_uint_eq(f->peer_port, 40000);
  ck_assert_uint_eq(f->board_port, 7);
  ck_assert_uint_eq(f->peer_isn, 1000);
  ck_assert_uint_eq(f->board_isn, BOARD_ISN);
  ck_assert_int_eq(f->peer_ws, 7);
  ck_assert_int_eq(f->board_ws, 7);
  ck_assert_uint_eq(f->board_rel_end, 1 + sizeof(hello)); /* across 2^32 */
  ck_assert_uint_eq(f->peer_acked_rel, 1 + sizeof(hello));
  ck_assert_uint_eq(f->stream_len, sizeof(hello));
  ck_assert_mem_eq(f->stream, hello, sizeof(hello));
  ck_assert_uint_eq(f->board_frames, 2);
  ck_assert_uint_eq(f->board_bytes, sizeof(hello));
  /* The peer's four frames, each with what the board had sent before it. */
  ck_assert_uint_eq(plan.nsteps, 4);
  static const uint64_t numbers[] = { 1, 3, 4, 6 };
  static const uint32_t before[] = { 0, 1, 1, 1 + sizeof(hello) };
  for (size_t i = 0; i < 4; i++) {
    ck_assert_uint_eq(plan.steps[i].number, numbers[i]);
    ck_assert_uint_eq(plan.steps[i].board_before, before[i]);
    ck_assert_uint_eq(plan.steps[i].flow, 0);
  }
  ck_assert_uint_eq(plan.steps[3].ts_ns, T0 + 5 * MS);
  bn_rp_plan_free(&plan);
}
END_TEST

/* Writes a frame of each kind the plan skips. */
static void bad_frames(uint64_t ts)
{
  uint8_t buf[256], data[64] = { 0 };
  /* a connection that began before the capture: no SYN */
  struct frame_tcp_seg t = { .sport = 41000, .dport = 80, .seq = 5000, .ack = 7000, .flags = FRAME_TCP_ACK,
                             .window = 500, .payload = hello, .payload_len = sizeof(hello) };
  capture_tcp(&cap, ts, &other, &board, &t);
  /* IPv6 */
  size_t n = frame_eth(buf, board.mac, peer.mac, 0x86dd);
  memset(buf + n, 0x60, 40);
  capture_add(&cap, ts + 1, buf, n + 40);
  /* between two other hosts */
  ping(ts + 2, &other, &third, FRAME_ICMP_ECHO_REQUEST);
  /* a fragment */
  capture_add(&cap, ts + 3, buf, frame_ip4_fragment(buf, &peer, &board, 17, 77, FRAME_IP_MF, data, 32));
  /* an IPv4 header longer than the packet */
  n = frame_ip4(buf, &peer, &board, 17, 78, data, 8);
  buf[FRAME_OFF_IP] = 0x4f;
  capture_add(&cap, ts + 4, buf, n);
  /* a TCP header longer than the segment */
  t = (struct frame_tcp_seg){ .sport = 40001, .dport = 7, .seq = 1, .flags = FRAME_TCP_SYN, .window = 500 };
  n = frame_tcp(buf, &peer, &board, &t);
  buf[FRAME_OFF_IP + FRAME_IP_HLEN + 12] = 0xf0;
  capture_add(&cap, ts + 5, buf, n);
  /* ARP that is not Ethernet/IPv4 */
  n = frame_arp(buf, FRAME_ARP_REQUEST, &peer, &board);
  frame_put16(buf + FRAME_ETH_HLEN, 6);
  capture_add(&cap, ts + 6, buf, n);
}

START_TEST(plan_counts_each_frame_it_cannot_replay_under_its_reason)
{
  capture_open(&cap, DLT_EN10MB);
  bad_frames(T0);
  echo_connection(T0 + 10 * MS);
  capture_close(&cap);
  bn_rp_plan plan;
  char err[BN_RP_ERRLEN] = "";
  ck_assert_int_eq(build(&plan, BOARD_IP, 0, 0, err), 0);
  ck_assert_msg(strstr(plan.board_reason, "given (--board-ip)") != NULL, "%s", plan.board_reason);
  static const int reasons[] = { BN_SKIP_NO_SYN, BN_SKIP_IPV6, BN_SKIP_NOT_BOARD, BN_SKIP_FRAGMENT,
                                 BN_SKIP_BAD_IP, BN_SKIP_BAD_L4, BN_SKIP_BAD_ARP };
  uint64_t total = 0;
  for (size_t i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++) {
    ck_assert_msg(plan.skipped[reasons[i]] == 1, "%s: %llu", bn_replay_skip_name((bn_replay_skip)reasons[i]),
                  (unsigned long long)plan.skipped[reasons[i]]);
    /* Each was the board's (to it or from it) but the frame between two other hosts. */
    ck_assert_msg(plan.skipped_board[reasons[i]] == (reasons[i] != BN_SKIP_NOT_BOARD), "%s: %llu of the board's",
                  bn_replay_skip_name((bn_replay_skip)reasons[i]), (unsigned long long)plan.skipped_board[reasons[i]]);
  }
  for (int i = 0; i < BN_SKIP_COUNT; i++) {
    total += plan.skipped[i];
  }
  ck_assert_uint_eq(total, 7);
  /* The flow without its SYN is there (reported), with nothing to inject;
   * the connection with its SYN is replayed whole. */
  size_t steps_echo = 0;
  for (size_t i = 0; i < plan.nsteps; i++) {
    const bn_rp_flow *f = &plan.flows[plan.steps[i].flow];
    ck_assert_uint_eq(f->peer_port, 40000);
    steps_echo++;
  }
  ck_assert_uint_eq(steps_echo, 4);
  ck_assert_uint_eq(plan.frames_read, 13);
  bn_rp_plan_free(&plan);
}
END_TEST

/* A UDP datagram from peer to board's port 7 of len bytes (8-byte UDP header
 * in), as fragments of 24 bytes of payload each; pieces[] says which to
 * write, and in which order (indexes of the pieces). */
static void udp_fragments(uint64_t ts, uint16_t id, size_t len, const int *pieces, size_t npieces)
{
  uint8_t dgram[256] = { 0 }, buf[128];
  frame_put16(dgram, 5000);
  frame_put16(dgram + 2, 7);
  frame_put16(dgram + 4, (uint16_t)len);
  for (size_t i = 8; i < len; i++) {
    dgram[i] = (uint8_t)i;
  }
  for (size_t k = 0; k < npieces; k++) {
    size_t off = (size_t)pieces[k] * 24, n = len - off < 24 ? len - off : 24;
    uint16_t frag = (uint16_t)(off / 8) | (off + n < len ? FRAME_IP_MF : 0);
    capture_add(&cap, ts + k, buf, frame_ip4_fragment(buf, &peer, &board, 17, id, frag, dgram + off, n));
  }
}

START_TEST(plan_puts_fragments_together_injects_them_as_captured_and_counts_the_incomplete)
{
  capture_open(&cap, DLT_EN10MB);
  echo_connection(T0);                                   /* frames 1..6, the board known */
  static const int out_of_order[] = { 2, 1, 1, 0 };      /* the last first, a piece twice (an overlap) */
  udp_fragments(T0 + 20 * MS, 0x77, 60, out_of_order, 4);   /* frames 7..10 */
  static const int holed[] = { 0, 2 };                   /* the middle piece never comes */
  udp_fragments(T0 + 30 * MS, 0x78, 60, holed, 2);       /* frames 11, 12 */
  capture_close(&cap);
  bn_rp_plan plan;
  char err[BN_RP_ERRLEN] = "";
  ck_assert_int_eq(build(&plan, BOARD_IP, 0, 0, err), 0);
  size_t index;
  const bn_rp_flow *f = flow_of_kind(&plan, BN_RP_FLOW_UDP, &index);
  ck_assert_ptr_nonnull(f);
  ck_assert_uint_eq(f->board_port, 7);                   /* the first piece's ports */
  ck_assert_uint_eq(f->peer_frames, 1);                  /* one datagram */
  size_t steps = 0;
  for (size_t i = 0; i < plan.nsteps; i++) {
    ck_assert(i == 0 || plan.steps[i - 1].number < plan.steps[i].number); /* in the capture's order */
    if (plan.steps[i].flow == index) {
      ck_assert_uint_eq(plan.steps[i].number, 7 + steps); /* every piece injected as captured */
      steps++;
    }
  }
  ck_assert_uint_eq(steps, 4);
  ck_assert_uint_eq(plan.skipped[BN_SKIP_FRAGMENT], 2);  /* the datagram with a hole */
  ck_assert_uint_eq(plan.skipped_board[BN_SKIP_FRAGMENT], 2);
  bn_rp_plan_free(&plan);
}
END_TEST

START_TEST(plan_detects_the_board_as_the_server_of_the_capture)
{
  capture_open(&cap, DLT_EN10MB);
  for (int i = 0; i < 3; i++) {
    ping(T0 + (uint64_t)i * MS, i == 1 ? &other : &peer, &board, FRAME_ICMP_ECHO_REQUEST);
    ping(T0 + (uint64_t)i * MS + 1, &board, i == 1 ? &other : &peer, FRAME_ICMP_ECHO_REPLY);
  }
  capture_close(&cap);
  bn_rp_plan plan;
  char err[BN_RP_ERRLEN] = "";
  ck_assert_int_eq(build(&plan, 0, 0, 0, err), 0);
  ck_assert_uint_eq(plan.board_ip, BOARD_IP);
  ck_assert_msg(strstr(plan.board_reason, "the server of the capture (it answers 3 echo requests, 0 SYNs") != NULL,
                "%s", plan.board_reason);
  size_t index;
  const bn_rp_flow *f = flow_of_kind(&plan, BN_RP_FLOW_ICMP, &index);
  ck_assert_uint_eq(f->board_frames + f->peer_frames, 4); /* 192.0.2.1's; 192.0.2.3 has its own flow */
  ck_assert_uint_eq(plan.nflows, 2);
  bn_rp_plan_free(&plan);
}
END_TEST

/* UDP between high ports (no side a server): sender to receiver, n times. */
static void udp_between(uint64_t ts, const struct frame_host *from, const struct frame_host *to, int n)
{
  uint8_t buf[128], data[16] = { 0 };
  for (int i = 0; i < n; i++) {
    capture_add(&cap, ts + (uint64_t)i, buf, frame_udp(buf, from, to, 40000, 40001, data, sizeof(data)));
  }
}

START_TEST(plan_detects_the_board_by_frequency_without_roles)
{
  capture_open(&cap, DLT_EN10MB);
  udp_between(T0, &board, &peer, 2);
  udp_between(T0 + MS, &board, &other, 2);
  capture_close(&cap);
  bn_rp_plan plan;
  char err[BN_RP_ERRLEN] = "";
  ck_assert_int_eq(build(&plan, 0, 0, 0, err), 0);
  ck_assert_uint_eq(plan.board_ip, BOARD_IP);
  ck_assert_msg(strstr(plan.board_reason, "the most frequent address (in 4 of 4 IPv4 and ARP frames)") != NULL, "%s",
                plan.board_reason);
  bn_rp_plan_free(&plan);
}
END_TEST

START_TEST(plan_refuses_two_addresses_as_likely_naming_both)
{
  capture_open(&cap, DLT_EN10MB);
  udp_between(T0, &board, &peer, 3);
  udp_between(T0 + MS, &peer, &board, 3);
  capture_close(&cap);
  bn_rp_plan plan;
  char err[BN_RP_ERRLEN] = "";
  ck_assert_int_eq(build(&plan, 0, 0, 0, err), -ENXIO);
  ck_assert_msg(strstr(err, "cannot tell which address is the board") && strstr(err, "192.0.2.1") &&
                strstr(err, "192.0.2.2") && strstr(err, "give --board-ip"), "%s", err);
}
END_TEST

START_TEST(plan_detects_a_board_as_client_by_its_address_announcement)
{
  capture_open(&cap, DLT_EN10MB);
  uint8_t buf[64];
  capture_add(&cap, T0, buf, frame_arp(buf, FRAME_ARP_REQUEST, &board, &board)); /* gratuitous */
  /* The board connects to the peer: the peer answers the first SYN. */
  struct frame_tcp_seg t = { .sport = 50000, .dport = 80, .seq = 1, .flags = FRAME_TCP_SYN, .window = 500 };
  capture_tcp(&cap, T0 + MS, &board, &peer, &t);
  t = (struct frame_tcp_seg){ .sport = 80, .dport = 50000, .seq = 9, .ack = 2, .window = 500,
                              .flags = FRAME_TCP_SYN | FRAME_TCP_ACK };
  capture_tcp(&cap, T0 + 2 * MS, &peer, &board, &t);
  capture_close(&cap);
  bn_rp_plan plan;
  char err[BN_RP_ERRLEN] = "";
  ck_assert_int_eq(build(&plan, 0, 0, 0, err), 0);
  ck_assert_uint_eq(plan.board_ip, BOARD_IP);
  ck_assert_msg(strstr(plan.board_reason, "announces its address (gratuitous ARP, frame 1)") != NULL, "%s",
                plan.board_reason);
  size_t index;
  const bn_rp_flow *f = flow_of_kind(&plan, BN_RP_FLOW_TCP, &index);
  ck_assert(f->board_opened);
  ck_assert_uint_eq(f->board_port, 50000);
  ck_assert_uint_eq(f->peer_port, 80);
  bn_rp_plan_free(&plan);
}
END_TEST

/* A DHCPACK from the server (peer) leasing 192.0.2.2 to chaddr. */
static void dhcp_ack(uint64_t ts)
{
  uint8_t bootp[300] = { 0 }, buf[400];
  bootp[0] = 2;                       /* BOOTREPLY */
  bootp[1] = 1;
  bootp[2] = 6;
  frame_put32(bootp + 4, 0x12345678); /* xid */
  memcpy(bootp + 16, board.ip, 4);    /* yiaddr */
  memcpy(bootp + 28, board.mac, 6);   /* chaddr */
  frame_put32(bootp + 236, 0x63825363);
  const uint8_t options[] = { 53, 1, 5, 54, 4, 192, 0, 2, 1, 255 };
  memcpy(bootp + 240, options, sizeof(options));
  capture_add(&cap, ts, buf, frame_udp(buf, &peer, &board, 67, 68, bootp, 240 + sizeof(options)));
}

START_TEST(plan_detects_the_board_by_its_dhcp_lease)
{
  capture_open(&cap, DLT_EN10MB);
  /* 192.0.2.3 is the busiest, but the lease says who the board is. */
  for (int i = 0; i < 4; i++) {
    ping(T0 + (uint64_t)i, &other, &peer, FRAME_ICMP_ECHO_REQUEST);
  }
  dhcp_ack(T0 + 10 * MS);
  capture_close(&cap);
  bn_rp_plan plan;
  char err[BN_RP_ERRLEN] = "";
  ck_assert_int_eq(build(&plan, 0, 0, 0, err), 0);
  ck_assert_uint_eq(plan.board_ip, BOARD_IP);
  ck_assert_msg(strstr(plan.board_reason, "DHCP server leased (DHCPACK, frame 5)") != NULL, "%s", plan.board_reason);
  ck_assert(plan.lease_known);
  ck_assert_uint_eq(plan.steps[plan.lease_step].number, 5);
  size_t index;
  const bn_rp_flow *f = flow_of_kind(&plan, BN_RP_FLOW_DHCP, &index);
  ck_assert_uint_eq(f->peer_frames, 1);
  ck_assert_uint_eq(plan.skipped[BN_SKIP_NOT_BOARD], 4);
  bn_rp_plan_free(&plan);
}
END_TEST

START_TEST(plan_leaves_out_other_clients_dhcp)
{
  capture_open(&cap, DLT_EN10MB);
  ping(T0, &peer, &board, FRAME_ICMP_ECHO_REQUEST);
  ping(T0 + 1, &board, &peer, FRAME_ICMP_ECHO_REPLY); /* the board's MAC, from its own frame */
  /* A DHCPACK for another client (its chaddr), then the board's own. */
  uint8_t bootp[300] = { 0 }, buf[400];
  bootp[0] = 2;
  memcpy(bootp + 16, other.ip, 4);
  memcpy(bootp + 28, other.mac, 6);
  frame_put32(bootp + 236, 0x63825363);
  const uint8_t options[] = { 53, 1, 5, 255 };
  memcpy(bootp + 240, options, sizeof(options));
  static const struct frame_host everyone = { { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff }, { 255, 255, 255, 255 } };
  capture_add(&cap, T0 + 2, buf, frame_udp(buf, &peer, &everyone, 67, 68, bootp, 240 + sizeof(options)));
  capture_close(&cap);
  bn_rp_plan plan;
  char err[BN_RP_ERRLEN] = "";
  ck_assert_int_eq(build(&plan, BOARD_IP, 0, 0, err), 0);
  ck_assert(!plan.lease_known);
  ck_assert_uint_eq(plan.skipped[BN_SKIP_NOT_BOARD], 1);
  for (size_t i = 0; i < plan.nflows; i++) {
    ck_assert_int_ne(plan.flows[i].kind, BN_RP_FLOW_DHCP);
  }
  bn_rp_plan_free(&plan);
}
END_TEST

START_TEST(plan_refuses_a_capture_with_nothing_for_the_board_naming_why)
{
  capture_open(&cap, DLT_EN10MB);
  uint8_t buf[64];
  size_t n = frame_eth(buf, board.mac, peer.mac, 0x88cc); /* LLDP */
  memset(buf + n, 0, 40);
  capture_add(&cap, T0, buf, n + 40);
  capture_close(&cap);
  bn_rp_plan plan;
  char err[BN_RP_ERRLEN] = "";
  ck_assert_int_eq(build(&plan, 0, 0, 0, err), -EINVAL);
  ck_assert_msg(strstr(err, "--board-ip") != NULL, "%s", err);
  /* A board given that the capture never shows: nothing to replay. */
  unlink(cap.path);
  capture_open(&cap, DLT_EN10MB);
  ping(T0, &peer, &other, FRAME_ICMP_ECHO_REQUEST);
  capture_close(&cap);
  ck_assert_int_eq(build(&plan, BOARD_IP, 0, 0, err), -EINVAL);
  ck_assert_msg(strstr(err, "nothing to replay for board 192.0.2.2") != NULL &&
                strstr(err, "neither from nor to the board") != NULL, "%s", err);
  bn_rp_plan_options o = { .path = "-" };
  ck_assert_int_eq(bn_rp_plan_build(&o, &plan, err), -EINVAL); /* it reads the file twice */
}
END_TEST

START_TEST(verdict_a_pass_that_ended_early_is_incomplete_without_a_stop_reason)
{
  capture_open(&cap, DLT_EN10MB);
  echo_connection(T0);
  capture_close(&cap);
  bn_rp_plan plan;
  char err[BN_RP_ERRLEN] = "";
  ck_assert_msg(build(&plan, BOARD_IP, 0, 0, err) == 0, "%s", err);
  bn_rp_live live;
  ck_assert_int_eq(bn_rp_live_init(&live, &plan, BOARD_IP, board.mac), 0);
  /* Nothing went in, and the link closed (the board's program failed, its
   * link went): no stop reason, yet not "same". */
  bn_rp_live_finish_early(&live);
  bn_rp_outcome o;
  bn_rp_outcome_of(&plan, &live, NULL, &o);
  ck_assert_int_eq(o.verdict, BN_RP_VERDICT_INCOMPLETE);
  ck_assert_uint_eq(o.nreasons, 1);
  ck_assert_msg(strstr(o.reasons[0], "ended before the capture did") != NULL &&
                strstr(o.reasons[0], "1 flow not reached") != NULL, "%s", o.reasons[0]);
  bn_rp_live_free(&live);
  bn_rp_plan_free(&plan);
}
END_TEST

START_TEST(plan_start_at_and_limit_leave_frames_out)
{
  capture_open(&cap, DLT_EN10MB);
  for (int i = 0; i < 10; i++) {
    ping(T0 + (uint64_t)i * 100 * MS, &peer, &board, FRAME_ICMP_ECHO_REQUEST);
  }
  capture_close(&cap);
  bn_rp_plan plan;
  char err[BN_RP_ERRLEN] = "";
  ck_assert_int_eq(build(&plan, BOARD_IP, 350 * MS, 0, err), 0);
  ck_assert_uint_eq(plan.skipped[BN_SKIP_BEFORE_START], 4);
  ck_assert_uint_eq(plan.nsteps, 6);
  ck_assert_uint_eq(plan.steps[0].number, 5);
  bn_rp_plan_free(&plan);
  ck_assert_int_eq(build(&plan, BOARD_IP, 0, 3, err), 0);
  ck_assert_uint_eq(plan.nsteps, 3);
  ck_assert_uint_eq(plan.frames_read, 3);
  bn_rp_plan_free(&plan);
}
END_TEST

Suite *bn_test_suite(void)
{
  Suite *s = suite_create("replay_plan");
  TCase *tc = tcase_create("core");
  tcase_add_checked_fixture(tc, NULL, remove_capture);
  tcase_add_test(tc, plan_tcp_flow_sides_isns_scaling_stream_and_steps);
  tcase_add_test(tc, plan_counts_each_frame_it_cannot_replay_under_its_reason);
  tcase_add_test(tc, plan_detects_the_board_as_the_server_of_the_capture);
  tcase_add_test(tc, plan_puts_fragments_together_injects_them_as_captured_and_counts_the_incomplete);
  tcase_add_test(tc, plan_detects_the_board_by_frequency_without_roles);
  tcase_add_test(tc, plan_refuses_two_addresses_as_likely_naming_both);
  tcase_add_test(tc, plan_detects_the_board_by_its_dhcp_lease);
  tcase_add_test(tc, plan_detects_a_board_as_client_by_its_address_announcement);
  tcase_add_test(tc, plan_leaves_out_other_clients_dhcp);
  tcase_add_test(tc, plan_refuses_a_capture_with_nothing_for_the_board_naming_why);
  tcase_add_test(tc, plan_start_at_and_limit_leave_frames_out);
  tcase_add_test(tc, verdict_a_pass_that_ended_early_is_incomplete_without_a_stop_reason);
  suite_add_tcase(s, tc);
  return s;
}
