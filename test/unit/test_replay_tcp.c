/*
 * The TCP side of a replay (netif/replay/replay_live.h) on synthetic flows, no
 * stack involved: the test plays the live board's frames itself. Two
 * interleaved connections, one whose captured ISN makes its stream cross
 * 2^32: every peer frame goes to the live board's address and MAC with its
 * own sequence numbers kept and its ACK numbers and SACK blocks shifted by
 * (live ISN - captured ISN) of its own connection, never beyond what the
 * live board sent; checksums hold. Pure ACKs are made once the capture's run
 * out; peer data is split to fit the live board's window and sent again when
 * not acknowledged; the comparison finds an identical stream, a missing one,
 * a changed byte and other SYN options, each at the right capture frame. A
 * SYN-ACK or a segment of the board's lost on the way (a scenario's loss)
 * is sent again or waited for as a peer's TCP does.
 */
#include "bn_test.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "bn_clock.h"
#include "bn_link.h"
#include "capture.h"
#include "pcap_source.h"
#include "replay_headers.h"
#include "replay_board_frame.h"
#include "replay_compare.h"
#include "replay_live.h"
#include "replay_pace.h"
#include "replay_peer_tcp.h"
#include "replay_rewrite.h"

#define T0 1700000000000000000ull
#define MS 1000000ull
#define ISN_A 0xfffffff0u   /* the captured board's, connection A: crosses 2^32 */
#define ISN_B 0x00007000u   /* connection B */
#define LIVE_A 0x00000010u  /* the live board's */
#define LIVE_B 0x90000000u
#define LIVE_IP 0xc0000209u

static const struct frame_host peer = { { 2, 0, 0, 0, 0, 1 }, { 192, 0, 2, 1 } };
static const struct frame_host board = { { 2, 0, 0, 0, 0, 2 }, { 192, 0, 2, 2 } };
static const struct frame_host live_board = { { 2, 0, 0, 0, 0, 9 }, { 192, 0, 2, 9 } };
static const uint8_t hello[] = "hello world";  /* 12 bytes with its NUL */
static const uint8_t sack_option[12] = { 1, 1, 5, 10 };  /* NOP NOP SACK: one block, filled in */

static struct capture cap;
static bn_rp_plan plan;
static bn_rp_live live;

static void teardown(void)
{
  bn_rp_live_free(&live);
  bn_rp_plan_free(&plan);
  unlink(cap.path);
}

static void syn(uint64_t ts, uint16_t port, uint32_t isn)
{
  struct frame_tcp_seg t = { .sport = port, .dport = 7, .seq = isn, .flags = FRAME_TCP_SYN, .window = 64240,
                             .options = capture_syn_options, .options_len = sizeof(capture_syn_options) };
  capture_tcp(&cap, ts, &peer, &board, &t);
}

static void syn_ack(uint64_t ts, const struct frame_host *from, uint16_t port, uint32_t isn, uint32_t ack,
                    uint16_t window)
{
  struct frame_tcp_seg t = { .sport = 7, .dport = port, .seq = isn, .ack = ack, .window = window,
                             .flags = FRAME_TCP_SYN | FRAME_TCP_ACK, .options = capture_syn_options,
                             .options_len = sizeof(capture_syn_options) };
  capture_tcp(&cap, ts, from, &peer, &t);
}

static void peer_segment(uint64_t ts, uint16_t port, uint32_t seq, uint32_t ack, const uint8_t *data, size_t len,
                         const uint8_t *options)
{
  struct frame_tcp_seg t = { .sport = port, .dport = 7, .seq = seq, .ack = ack, .window = 502,
                             .flags = FRAME_TCP_ACK | (len ? FRAME_TCP_PSH : 0), .payload = data,
                             .payload_len = len, .options = options, .options_len = options ? 12 : 0 };
  capture_tcp(&cap, ts, &peer, &board, &t);
}

static void board_segment(uint64_t ts, uint16_t port, uint32_t seq, uint32_t ack, const uint8_t *data, size_t len)
{
  struct frame_tcp_seg t = { .sport = 7, .dport = port, .seq = seq, .ack = ack, .window = 512,
                             .flags = FRAME_TCP_ACK | FRAME_TCP_PSH, .payload = data, .payload_len = len };
  capture_tcp(&cap, ts, &board, &peer, &t);
}

/*
 * Two connections from 192.0.2.1 to the board's echo port, interleaved:
 *   1 A SYN   2 B SYN   3 A SYN-ACK   4 B SYN-ACK   5 A ACK   6 B ACK
 *   7 A data  8 B data  9 A echo     10 B echo     11 A ACK (4 bytes, SACK 8..12)  12 B ACK (all)
 */
static void two_connections(void)
{
  uint8_t sack[12];
  memcpy(sack, sack_option, 4);
  frame_put32(sack + 4, ISN_A + 1 + 8);
  frame_put32(sack + 8, ISN_A + 1 + 12);
  capture_open(&cap, DLT_EN10MB);
  syn(T0, 40000, 1000);
  syn(T0 + 1 * MS, 40001, 2000);
  syn_ack(T0 + 2 * MS, &board, 40000, ISN_A, 1001, 65535);
  syn_ack(T0 + 3 * MS, &board, 40001, ISN_B, 2001, 65535);
  peer_segment(T0 + 4 * MS, 40000, 1001, ISN_A + 1, NULL, 0, NULL);
  peer_segment(T0 + 5 * MS, 40001, 2001, ISN_B + 1, NULL, 0, NULL);
  peer_segment(T0 + 6 * MS, 40000, 1001, ISN_A + 1, hello, sizeof(hello), NULL);
  peer_segment(T0 + 7 * MS, 40001, 2001, ISN_B + 1, hello, sizeof(hello), NULL);
  board_segment(T0 + 8 * MS, 40000, ISN_A + 1, 1013, hello, sizeof(hello));
  board_segment(T0 + 9 * MS, 40001, ISN_B + 1, 2013, hello, sizeof(hello));
  peer_segment(T0 + 10 * MS, 40000, 1013, ISN_A + 1 + 4, NULL, 0, sack);
  peer_segment(T0 + 11 * MS, 40001, 2013, ISN_B + 13, NULL, 0, NULL);
  capture_close(&cap);
  char err[BN_RP_ERRLEN] = "";
  bn_rp_plan_options o = { .path = cap.path };
  ck_assert_msg(bn_rp_plan_build(&o, &plan, err) == 0, "%s", err);
  ck_assert_uint_eq(plan.nsteps, 8);
  ck_assert_int_eq(bn_rp_live_init(&live, &plan, LIVE_IP, live_board.mac), 0);
}

/* A peer frame for the live board, as the replay makes it. */
struct injected {
  uint8_t frame[BN_LINK_MAX_FRAME];
  size_t len;
  bn_rp_frame f;
};

/* Step i, injected whole; fails the test if the replay holds it back. */
static void inject(size_t i, struct injected *out)
{
  const bn_rp_step *s = &plan.steps[i];
  uint8_t frame[BN_LINK_MAX_FRAME];
  size_t len = 0;
  /* The step's frame from the capture, by its number. */
  pcap_t *p = pcap_open_offline(cap.path, NULL);
  ck_assert_ptr_nonnull(p);
  struct pcap_pkthdr *h;
  const u_char *data;
  for (uint64_t n = 1; pcap_next_ex(p, &h, &data) == 1; n++) {
    if (n == s->number) {
      memcpy(frame, data, h->caplen);
      len = h->caplen;
    }
  }
  pcap_close(p);
  ck_assert_uint_gt(len, 0);
  bool progress;
  ck_assert_msg(bn_rp_live_can_rewrite(&live, s, frame, len, &progress), "step %zu cannot be rewritten", i);
  bool done = false;
  ck_assert_int_eq(bn_rp_live_next_frame(&live, s, frame, len, out->frame, &out->len, &done), 1);
  ck_assert(done);
  ck_assert_int_lt(bn_rp_parse(out->frame, out->len, &out->f), 0);
  ck_assert(frame_checksums_ok(out->frame, out->len));
  ck_assert_mem_eq(out->frame, live_board.mac, 6);
  ck_assert_uint_eq(bn_rp_ip_dst(&out->f), LIVE_IP);
  ck_assert_uint_eq(bn_rp_ip_src(&out->f), 0xc0000201u);
}

/* A frame of the live board's; returns the replay's answer's length (reply). */
static size_t live_sends(const struct frame_tcp_seg *t, uint8_t *reply)
{
  uint8_t buf[BN_LINK_MAX_FRAME];
  size_t len = frame_tcp(buf, &live_board, &peer, t);
  return bn_rp_live_board_frame(&live, buf, len, bn_clock_now_ns(), reply);
}

static void live_syn_ack(uint16_t port, uint32_t isn, uint32_t ack, uint16_t mss, uint16_t window)
{
  uint8_t options[12];
  memcpy(options, capture_syn_options, sizeof(options));
  frame_put16(options + 2, mss);
  struct frame_tcp_seg t = { .sport = 7, .dport = port, .seq = isn, .ack = ack, .window = window,
                             .flags = FRAME_TCP_SYN | FRAME_TCP_ACK, .options = options,
                             .options_len = sizeof(options) };
  uint8_t reply[BN_LINK_MAX_FRAME];
  ck_assert_uint_eq(live_sends(&t, reply), 0);
}

static size_t live_data(uint16_t port, uint32_t seq, uint32_t ack, const uint8_t *data, size_t len, uint8_t *reply)
{
  struct frame_tcp_seg t = { .sport = 7, .dport = port, .seq = seq, .ack = ack, .window = 512,
                             .flags = FRAME_TCP_ACK | FRAME_TCP_PSH, .payload = data, .payload_len = len };
  return live_sends(&t, reply);
}

static const bn_rp_live_flow *live_flow(uint16_t peer_port)
{
  for (size_t i = 0; i < plan.nflows; i++) {
    if (plan.flows[i].peer_port == peer_port) {
      return &live.flows[i];
    }
  }
  ck_abort_msg("no flow from port %u", peer_port);
  return NULL;
}

START_TEST(tcp_acks_and_sack_shift_per_connection_across_2_32_never_past_what_was_sent)
{
  two_connections();
  struct injected in;
  inject(0, &in); /* A SYN: the peer's own numbers */
  ck_assert_uint_eq(bn_rp_tcp_seq(&in.f), 1000);
  ck_assert_uint_eq(bn_rp_tcp_flags(&in.f), BN_RP_TCP_SYN);
  inject(1, &in);
  ck_assert_uint_eq(bn_rp_tcp_seq(&in.f), 2000);
  live_syn_ack(40000, LIVE_A, 1001, 1460, 65535);
  live_syn_ack(40001, LIVE_B, 2001, 1460, 65535);
  inject(2, &in); /* A ACK */
  ck_assert_uint_eq(bn_rp_dport(&in.f), 7);
  ck_assert_uint_eq(bn_rp_sport(&in.f), 40000);
  ck_assert_uint_eq(bn_rp_tcp_seq(&in.f), 1001);
  ck_assert_uint_eq(bn_rp_tcp_ack(&in.f), LIVE_A + 1);
  inject(3, &in); /* B ACK: its own shift */
  ck_assert_uint_eq(bn_rp_tcp_ack(&in.f), LIVE_B + 1);
  inject(4, &in); /* A data */
  ck_assert_uint_eq(in.f.payload_len, sizeof(hello));
  ck_assert_mem_eq(bn_rp_payload(&in.f), hello, sizeof(hello));
  ck_assert_uint_eq(bn_rp_tcp_ack(&in.f), LIVE_A + 1);
  inject(5, &in);
  uint8_t reply[BN_LINK_MAX_FRAME];
  ck_assert_uint_eq(live_data(40000, LIVE_A + 1, 1013, hello, sizeof(hello), reply), 0);
  inject(6, &in); /* A: ACK of 4 bytes, SACK of 8..12, shifted */
  ck_assert_uint_eq(bn_rp_tcp_ack(&in.f), LIVE_A + 1 + 4);
  const uint8_t *sack = in.frame + in.f.l4 + 20;
  ck_assert_uint_eq(sack[2], 5);
  ck_assert_uint_eq(bn_rp_get32(sack + 4), LIVE_A + 1 + 8);
  ck_assert_uint_eq(bn_rp_get32(sack + 8), LIVE_A + 1 + 12);
  inject(7, &in); /* B: the capture acknowledges 12 bytes the live board has not sent */
  ck_assert_uint_eq(bn_rp_tcp_ack(&in.f), LIVE_B + 1);
  bn_rp_live_finish(&live);
  const bn_rp_live_flow *a = live_flow(40000), *b = live_flow(40001);
  ck_assert_int_eq(a->diverge, BN_RP_SAME);
  ck_assert_uint_eq(a->stream_live, sizeof(hello));
  ck_assert_uint_eq(a->stream_matched, sizeof(hello));
  ck_assert_int_eq(b->diverge, BN_RP_DIV_MISSING);
  ck_assert_uint_eq(b->diverge_number, 10); /* the captured board's echo it did not send */
  ck_assert_uint_eq(live.injected, 8);
}
END_TEST

START_TEST(tcp_a_segment_lost_on_the_way_is_a_hole_the_peer_acknowledges_up_to_and_waits_for)
{
  two_connections();
  struct injected in;
  for (size_t i = 0; i < 6; i++) {
    inject(i, &in);
    if (i == 1) { /* both SYNs in: the live board answers them */
      live_syn_ack(40000, LIVE_A, 1001, 1460, 65535);
      live_syn_ack(40001, LIVE_B, 2001, 1460, 65535);
    }
  }
  /* A's echo in two segments; the first is lost on its way (an egress loss): the
   * peer has nothing of it in order, and its ACK claims none of it. */
  uint8_t reply[BN_LINK_MAX_FRAME];
  ck_assert_uint_eq(live_data(40000, LIVE_A + 1 + 6, 1013, hello + 6, 6, reply), 0);
  ck_assert_uint_eq(bn_rp_live_owed_until(&live, 1000 * MS), bn_clock_add_ns(live_flow(40000)->last_ns, 1000 * MS));
  inject(6, &in); /* the capture's ACK of 4 bytes and SACK of 8..12: up to the hole only */
  ck_assert_uint_eq(bn_rp_tcp_ack(&in.f), LIVE_A + 1);
  const uint8_t *sack = in.frame + in.f.l4 + 20;
  ck_assert_uint_eq(bn_rp_get32(sack + 4), LIVE_A + 1);
  ck_assert_uint_eq(bn_rp_get32(sack + 8), LIVE_A + 1);
  ck_assert_uint_eq(live_flow(40000)->stream_live, 0);
  /* lwIP sends it all again from the hole: compared in order, the stream is the captured one. */
  size_t n = live_data(40000, LIVE_A + 1, 1013, hello, 6, reply);
  bn_rp_frame r;
  ck_assert_uint_gt(n, 0); /* the capture's ACKs are used up: one in the captured peer's name, */
  ck_assert_int_lt(bn_rp_parse(reply, n, &r), 0);
  ck_assert_uint_eq(bn_rp_tcp_ack(&r), LIVE_A + 1 + 4); /* as far as that peer acknowledged */
  live_data(40000, LIVE_A + 1 + 6, 1013, hello + 6, 6, reply);
  ck_assert_uint_eq(bn_rp_live_owed_until(&live, 1000 * MS), 0);
  inject(7, &in);
  bn_rp_live_finish(&live);
  const bn_rp_live_flow *a = live_flow(40000);
  ck_assert_int_eq(a->diverge, BN_RP_SAME);
  ck_assert_uint_eq(a->stream_matched, sizeof(hello));
  ck_assert_uint_eq(a->retrans, 2); /* both sent again, from the hole */
}
END_TEST

START_TEST(tcp_acks_are_made_for_data_the_captured_peer_acknowledged_once_the_capture_s_run_out)
{
  two_connections();
  struct injected in;
  inject(0, &in);
  inject(1, &in);
  live_syn_ack(40000, LIVE_A, 1001, 1460, 65535);
  live_syn_ack(40001, LIVE_B, 2001, 1460, 65535);
  for (size_t i = 2; i < 8; i++) {
    inject(i, &in);
  }
  /* B's echo comes after the capture's last ACK for B: the replay acknowledges it. */
  uint8_t reply[BN_LINK_MAX_FRAME];
  size_t n = live_data(40001, LIVE_B + 1, 2013, hello, sizeof(hello), reply);
  ck_assert_uint_gt(n, 0);
  bn_rp_frame f;
  ck_assert_int_lt(bn_rp_parse(reply, n, &f), 0);
  ck_assert(frame_checksums_ok(reply, n));
  ck_assert_uint_eq(bn_rp_tcp_flags(&f), BN_RP_TCP_ACK);
  ck_assert_uint_eq(bn_rp_tcp_ack(&f), LIVE_B + 13);
  ck_assert_uint_eq(bn_rp_tcp_seq(&f), 2013);
  ck_assert_uint_eq(bn_rp_ip_dst(&f), LIVE_IP);
  ck_assert_uint_eq(f.payload_len, 0);
  /* The same data again (its ACK lost?) is acknowledged again, no further. */
  n = live_data(40001, LIVE_B + 1, 2013, hello, sizeof(hello), reply);
  ck_assert_uint_gt(n, 0);
  ck_assert_int_lt(bn_rp_parse(reply, n, &f), 0);
  ck_assert_uint_eq(bn_rp_tcp_ack(&f), LIVE_B + 13);
  bn_rp_live_finish(&live);
  ck_assert_int_eq(live_flow(40001)->diverge, BN_RP_SAME);
  ck_assert_uint_eq(live_flow(40001)->synth_acks, 2);
  ck_assert_uint_eq(live_flow(40001)->retrans, 1);
}
END_TEST

/* The capture's frame 7 (A's 12 bytes), by hand, into frame; its length. */
static size_t hello_frame(uint8_t *frame)
{
  struct frame_tcp_seg t = { .sport = 40000, .dport = 7, .seq = 1001, .ack = ISN_A + 1, .window = 502,
                             .flags = FRAME_TCP_ACK | FRAME_TCP_PSH, .payload = hello,
                             .payload_len = sizeof(hello) };
  return frame_tcp(frame, &peer, &board, &t);
}

START_TEST(tcp_peer_data_is_split_to_the_live_window_and_sent_again_when_not_acknowledged)
{
  two_connections();
  struct injected in;
  inject(0, &in);
  live_syn_ack(40000, LIVE_A, 1001, 1460, 5); /* a 5-byte window */
  inject(1, &in);
  live_syn_ack(40001, LIVE_B, 2001, 1460, 65535); /* B's SYN answered: not kept to send again */
  inject(2, &in);
  const bn_rp_step *data_step = &plan.steps[4];
  uint8_t frame[BN_LINK_MAX_FRAME], out[BN_LINK_MAX_FRAME];
  size_t len = hello_frame(frame), out_len;
  bool done;
  ck_assert_int_eq(bn_rp_live_next_frame(&live, data_step, frame, len, out, &out_len, &done), 1);
  ck_assert(!done);
  bn_rp_frame f;
  ck_assert_int_lt(bn_rp_parse(out, out_len, &f), 0);
  ck_assert(frame_checksums_ok(out, out_len));
  ck_assert_uint_eq(bn_rp_tcp_seq(&f), 1001);
  ck_assert_uint_eq(f.payload_len, 5);
  ck_assert_mem_eq(bn_rp_payload(&f), hello, 5);
  ck_assert(!(bn_rp_tcp_flags(&f) & BN_RP_TCP_PSH)); /* PSH goes with the last byte */
  uint8_t piece[BN_LINK_MAX_FRAME];
  size_t piece_len = out_len;
  memcpy(piece, out, out_len);
  /* The window is full: nothing until the board reads. */
  ck_assert_int_eq(bn_rp_live_next_frame(&live, data_step, frame, len, out, &out_len, &done), 0);
  ck_assert(!done);
  /* Not acknowledged within the replay's RTO: the piece again, as it was. */
  uint8_t again[BN_LINK_MAX_FRAME];
  ck_assert_uint_eq(bn_rp_live_retransmit(&live, bn_clock_now_ns(), again), 0);
  size_t n = bn_rp_live_retransmit(&live, bn_clock_add_ns(bn_clock_now_ns(), BN_RP_RTO_NS), again);
  ck_assert_uint_eq(n, piece_len);
  ck_assert_mem_eq(again, piece, n);
  /* The board takes the 5 bytes and opens its window (5 << 7 once scaled): the other 7. */
  struct frame_tcp_seg ack = { .sport = 7, .dport = 40000, .seq = LIVE_A + 1, .ack = 1006, .window = 5,
                               .flags = FRAME_TCP_ACK };
  uint8_t reply[BN_LINK_MAX_FRAME];
  live_sends(&ack, reply);
  ck_assert_uint_eq(bn_rp_live_next_retransmit(&live), BN_CLOCK_FOREVER); /* acknowledged: nothing kept */
  ck_assert_int_eq(bn_rp_live_next_frame(&live, data_step, frame, len, out, &out_len, &done), 1);
  ck_assert(done);
  ck_assert_int_lt(bn_rp_parse(out, out_len, &f), 0);
  ck_assert(frame_checksums_ok(out, out_len));
  ck_assert_uint_eq(bn_rp_tcp_seq(&f), 1006);
  ck_assert_uint_eq(f.payload_len, 7);
  ck_assert_mem_eq(bn_rp_payload(&f), hello + 5, 7);
  ck_assert(bn_rp_tcp_flags(&f) & BN_RP_TCP_PSH);
  ck_assert_uint_eq(live_flow(40000)->splits, 1);
  ck_assert_uint_eq(live_flow(40000)->peer_retrans, 1);
}
END_TEST

START_TEST(tcp_a_shut_window_is_probed_every_rto_and_the_data_goes_on_once_it_opens)
{
  bn_clock_manual_start(bn_clock_now_ns());
  two_connections();
  struct injected in;
  inject(0, &in);
  live_syn_ack(40000, LIVE_A, 1001, 1460, 5); /* a 5-byte window */
  const bn_rp_step *data_step = &plan.steps[4];
  uint8_t frame[BN_LINK_MAX_FRAME], out[BN_LINK_MAX_FRAME];
  size_t len = hello_frame(frame), out_len;
  bool done;
  ck_assert_int_eq(bn_rp_live_next_frame(&live, data_step, frame, len, out, &out_len, &done), 1);
  /* The board takes the 5 bytes and shuts its window; its window update is lost. */
  struct frame_tcp_seg shut = { .sport = 7, .dport = 40000, .seq = LIVE_A + 1, .ack = 1006, .window = 0,
                                .flags = FRAME_TCP_ACK };
  uint8_t reply[BN_LINK_MAX_FRAME];
  live_sends(&shut, reply);
  ck_assert_int_eq(bn_rp_live_next_frame(&live, data_step, frame, len, out, &out_len, &done), 0);
  bn_clock_manual_advance(BN_RP_RTO_NS - 1);
  ck_assert_int_eq(bn_rp_live_next_frame(&live, data_step, frame, len, out, &out_len, &done), 0);
  for (unsigned probe = 1; probe <= 2; probe++) { /* one RTO on, then every RTO: a probe */
    bn_clock_manual_advance(probe == 1 ? 1 : BN_RP_RTO_NS);
    ck_assert_int_eq(bn_rp_live_next_frame(&live, data_step, frame, len, out, &out_len, &done), 1);
    ck_assert(!done);
    bn_rp_frame f;
    ck_assert_int_lt(bn_rp_parse(out, out_len, &f), 0);
    ck_assert(frame_checksums_ok(out, out_len));
    ck_assert_uint_eq(f.payload_len, 0);
    ck_assert_uint_eq(bn_rp_tcp_seq(&f), 1005); /* one byte behind: the board answers with its window */
    ck_assert_uint_eq(bn_rp_tcp_flags(&f), BN_RP_TCP_ACK);
    ck_assert_uint_eq(live_flow(40000)->probes, probe);
    ck_assert_int_eq(bn_rp_live_next_frame(&live, data_step, frame, len, out, &out_len, &done), 0);
  }
  /* The probe's answer opens the window: the other 7 bytes. */
  struct frame_tcp_seg open = { .sport = 7, .dport = 40000, .seq = LIVE_A + 1, .ack = 1006, .window = 64,
                                .flags = FRAME_TCP_ACK };
  live_sends(&open, reply);
  ck_assert_int_eq(bn_rp_live_next_frame(&live, data_step, frame, len, out, &out_len, &done), 1);
  ck_assert(done);
  bn_rp_frame f;
  ck_assert_int_lt(bn_rp_parse(out, out_len, &f), 0);
  ck_assert_uint_eq(bn_rp_tcp_seq(&f), 1006);
  ck_assert_uint_eq(f.payload_len, 7);
  bn_clock_manual_stop();
}
END_TEST

START_TEST(tcp_comparison_names_a_changed_byte_and_other_syn_options_at_their_frames)
{
  two_connections();
  struct injected in;
  inject(0, &in);
  inject(1, &in);
  live_syn_ack(40000, LIVE_A, 1001, 1460, 65535);
  live_syn_ack(40001, LIVE_B, 2001, 800, 65535); /* B: another MSS */
  for (size_t i = 2; i < 6; i++) {
    inject(i, &in);
  }
  uint8_t changed[sizeof(hello)], reply[BN_LINK_MAX_FRAME];
  memcpy(changed, hello, sizeof(hello));
  changed[6] = 'W';
  live_data(40000, LIVE_A + 1, 1013, changed, sizeof(changed), reply);
  live_data(40001, LIVE_B + 1, 2013, hello, sizeof(hello), reply);
  bn_rp_live_finish(&live);
  const bn_rp_live_flow *a = live_flow(40000), *b = live_flow(40001);
  ck_assert_int_eq(a->diverge, BN_RP_DIV_PAYLOAD);
  ck_assert_uint_eq(a->diverge_number, 9);
  ck_assert_uint_eq(a->stream_matched, 6);
  ck_assert_msg(strstr(a->found[a->diverge].text, "byte 6") != NULL, "%s", a->found[a->diverge].text);
  ck_assert_int_eq(b->diverge, BN_RP_DIV_OPTIONS);
  ck_assert_uint_eq(b->diverge_number, 4);
  ck_assert_msg(strstr(b->found[b->diverge].text, "MSS 800") != NULL && strstr(b->found[b->diverge].text, "MSS 1460") != NULL, "%s",
                b->found[b->diverge].text);
  ck_assert_uint_eq(b->stream_matched, sizeof(hello)); /* the stream itself is the same */
}
END_TEST

START_TEST(tcp_a_super_frame_is_cut_at_the_captured_mss_fin_and_psh_on_the_last_piece)
{
  /* The peer connects (SYN), the board answers offering MSS 1460 (the
   * capture's SYN options), the peer sends 4000 bytes and its FIN in one
   * TSO/GRO super-frame, as tcpdump on a Linux host with offloads shows. */
  static uint8_t big[4000], frame[BN_PCAP_FRAME_MAX];
  for (size_t i = 0; i < sizeof(big); i++) {
    big[i] = (uint8_t)(i * 7);
  }
  capture_open(&cap, DLT_EN10MB);
  syn(T0, 40000, 1000);
  syn_ack(T0 + MS, &board, 40000, ISN_A, 1001, 65535);
  peer_segment(T0 + 2 * MS, 40000, 1001, ISN_A + 1, NULL, 0, NULL);
  struct frame_tcp_seg t = { .sport = 40000, .dport = 7, .seq = 1001, .ack = ISN_A + 1, .window = 502,
                             .flags = FRAME_TCP_ACK | FRAME_TCP_PSH | FRAME_TCP_FIN, .payload = big,
                             .payload_len = sizeof(big) };
  size_t len = frame_tcp(frame, &peer, &board, &t);
  capture_add(&cap, T0 + 3 * MS, frame, len);
  capture_close(&cap);
  char err[BN_RP_ERRLEN] = "";
  bn_rp_plan_options o = { .path = cap.path };
  ck_assert_msg(bn_rp_plan_build(&o, &plan, err) == 0, "%s", err);
  ck_assert_uint_eq(plan.nsteps, 3);                       /* not skipped as too long */
  ck_assert_uint_eq(plan.flows[0].board_mss, 1460);
  ck_assert_int_eq(bn_rp_live_init(&live, &plan, LIVE_IP, live_board.mac), 0);
  struct injected in;
  inject(0, &in);
  live_syn_ack(40000, LIVE_A, 1001, 1460, 65535);
  inject(1, &in);
  static const size_t sizes[] = { 1460, 1460, 1080 };
  uint32_t seq = 1001;
  for (size_t k = 0; k < 3; k++) {
    bool progress, done = false;
    uint8_t out[BN_LINK_MAX_FRAME];
    size_t out_len;
    ck_assert(bn_rp_live_can_rewrite(&live, &plan.steps[2], frame, len, &progress));
    ck_assert_int_eq(bn_rp_live_next_frame(&live, &plan.steps[2], frame, len, out, &out_len, &done), 1);
    ck_assert(done == (k == 2));
    bn_rp_frame f;
    ck_assert_int_lt(bn_rp_parse(out, out_len, &f), 0);
    ck_assert(frame_checksums_ok(out, out_len));
    ck_assert_uint_eq(f.payload_len, sizes[k]);
    ck_assert_uint_eq(bn_rp_tcp_seq(&f), seq);
    ck_assert_mem_eq(bn_rp_payload(&f), big + (seq - 1001), sizes[k]);
    uint8_t last = FRAME_TCP_FIN | FRAME_TCP_PSH;
    ck_assert_uint_eq(bn_rp_tcp_flags(&f) & last, k == 2 ? last : 0);   /* FIN and PSH on the last piece only */
    ck_assert_uint_eq(bn_rp_tcp_ack(&f), LIVE_A + 1);
    seq += (uint32_t)sizes[k];
  }
  ck_assert_uint_eq(live.flows[0].cut_super, 1);
  ck_assert_uint_eq(live.flows[0].splits, 0);
}
END_TEST

START_TEST(tcp_an_unanswered_peer_syn_is_sent_again_and_an_answered_one_is_not)
{
  two_connections();
  struct injected in;
  inject(0, &in);                                  /* A's SYN: no answer (a full listen queue drops it) */
  uint8_t again[BN_LINK_MAX_FRAME];
  uint64_t later = bn_clock_add_ns(bn_clock_now_ns(), BN_RP_RTO_NS);
  size_t n = bn_rp_live_retransmit(&live, later, again);
  ck_assert_uint_eq(n, in.len);
  ck_assert_mem_eq(again, in.frame, n);            /* the same SYN, rewritten as it went in */
  live_syn_ack(40000, LIVE_A, 1001, 1460, 65535);  /* answered */
  ck_assert_uint_eq(bn_rp_live_next_retransmit(&live), BN_CLOCK_FOREVER);
  inject(1, &in);                                  /* B's SYN, refused: RST */
  struct frame_tcp_seg rst = { .sport = 7, .dport = 40001, .seq = 0, .ack = 2001,
                               .flags = FRAME_TCP_RST | FRAME_TCP_ACK };
  uint8_t reply[BN_LINK_MAX_FRAME];
  live_sends(&rst, reply);
  ck_assert_uint_eq(bn_rp_live_next_retransmit(&live), BN_CLOCK_FOREVER); /* a refused SYN is not sent again */
  ck_assert_uint_eq(live_flow(40001)->resets, 1);
}
END_TEST

START_TEST(pace_a_flow_that_waits_for_the_board_does_not_hold_another_back)
{
  two_connections();  /* A and B interleaved: SYN A, SYN B, ACK A, ACK B, data A, data B ... */
  bn_rp_plan_options read = { .path = cap.path };
  bn_rp_pace_options o = { .pace = BN_PACE_TOP, .step_timeout_ns = 3000 * MS };
  bn_rp_pacer *pc;
  char err[BN_PCAP_ERRLEN];
  uint64_t now = bn_clock_now_ns(), wake;
  ck_assert_int_eq(bn_rp_pacer_new(&plan, &live, &read, &o, 0, false, now, &pc, err), 0);
  uint8_t out[BN_LINK_MAX_FRAME];
  size_t len;
  bn_rp_frame f;
  uint16_t ports[2];
  for (int i = 0; i < 2; i++) {   /* both SYNs go: new conversations, in the capture's order */
    ck_assert_int_eq(bn_rp_pacer_take(pc, now, out, &len, &wake), 1);
    ck_assert_int_lt(bn_rp_parse(out, len, &f), 0);
    ports[i] = bn_rp_sport(&f);
  }
  ck_assert_uint_eq(ports[0], 40000);
  ck_assert_uint_eq(ports[1], 40001);
  live_syn_ack(40001, LIVE_B, 2001, 1460, 65535);  /* the live board answers B only */
  /* A's ACK needs A's live ISN: it waits, and B's ACK and data go past it. */
  for (int i = 0; i < 2; i++) {
    ck_assert_int_eq(bn_rp_pacer_take(pc, now, out, &len, &wake), 1);
    ck_assert_int_lt(bn_rp_parse(out, len, &f), 0);
    ck_assert_uint_eq(bn_rp_sport(&f), 40001);
  }
  ck_assert_uint_eq(live.head, 2);  /* every step before A's ACK is done, A's ACK is not */
  /* A is given up on at its own --step-timeout, not one after another's,
   * counted from when it could go (after B's SYN) and longer by what the
   * capture itself waited from there (B's SYN at 1 ms, A's ACK at 4 ms). */
  uint64_t later = bn_clock_add_ns(now, o.step_timeout_ns);
  while (bn_rp_pacer_take(pc, later, out, &len, &wake) == 1) {
  }
  ck_assert(!live_flow(40000)->abandoned);
  later = bn_clock_add_ns(later, 3 * MS);
  while (bn_rp_pacer_take(pc, later, out, &len, &wake) == 1) {
  }
  ck_assert(live_flow(40000)->abandoned);
  ck_assert_uint_eq(live_flow(40000)->gave_up_number, 5);
  ck_assert_uint_eq(live_flow(40000)->gave_up_capture_ns, 3 * MS);
  ck_assert_uint_eq(live_flow(40000)->gave_up_waited_ns, o.step_timeout_ns + 3 * MS);
  ck_assert_uint_eq(live.timeouts, 1);
  ck_assert(!live_flow(40001)->abandoned);
  bn_rp_pacer_free(pc);
}
END_TEST

/*
 * The board opens a connection to the peer's port 80 and the peer sends
 * three segments of 12 bytes:
 *   1 board SYN   2 peer SYN-ACK   3 board ACK   4, 5, 6 peer data   7 board ACK (all)
 */
static void board_opened_connection(void)
{
  capture_open(&cap, DLT_EN10MB);
  struct frame_tcp_seg t = { .sport = 50000, .dport = 80, .seq = ISN_B, .flags = FRAME_TCP_SYN, .window = 6400,
                             .options = capture_syn_options, .options_len = sizeof(capture_syn_options) };
  capture_tcp(&cap, T0, &board, &peer, &t);
  t = (struct frame_tcp_seg){ .sport = 80, .dport = 50000, .seq = 5000, .ack = ISN_B + 1, .window = 64240,
                              .flags = FRAME_TCP_SYN | FRAME_TCP_ACK, .options = capture_syn_options,
                              .options_len = sizeof(capture_syn_options) };
  capture_tcp(&cap, T0 + MS, &peer, &board, &t);
  t = (struct frame_tcp_seg){ .sport = 50000, .dport = 80, .seq = ISN_B + 1, .ack = 5001, .window = 6400,
                              .flags = FRAME_TCP_ACK };
  capture_tcp(&cap, T0 + 2 * MS, &board, &peer, &t);
  for (uint32_t k = 0; k < 3; k++) {
    t = (struct frame_tcp_seg){ .sport = 80, .dport = 50000, .seq = 5001 + 12 * k, .ack = ISN_B + 1,
                                .window = 502, .flags = FRAME_TCP_ACK, .payload = hello,
                                .payload_len = sizeof(hello) };
    capture_tcp(&cap, T0 + (3 + k) * MS, &peer, &board, &t);
  }
  t = (struct frame_tcp_seg){ .sport = 50000, .dport = 80, .seq = ISN_B + 1, .ack = 5037, .window = 6400,
                              .flags = FRAME_TCP_ACK };
  capture_tcp(&cap, T0 + 6 * MS, &board, &peer, &t);
  capture_close(&cap);
  char err[BN_RP_ERRLEN] = "";
  bn_rp_plan_options o = { .path = cap.path, .board_ip = 0xc0000202u };
  ck_assert_msg(bn_rp_plan_build(&o, &plan, err) == 0, "%s", err);
  ck_assert_uint_eq(plan.nsteps, 4);
  ck_assert(plan.flows[plan.steps[0].flow].board_opened);
  ck_assert_int_eq(bn_rp_live_init(&live, &plan, LIVE_IP, live_board.mac), 0);
}

/* The live board's pure segment on its connection to port 80 (no options:
 * its window is never scaled). */
static void live_to_80(uint8_t flags, uint32_t seq, uint32_t ack, uint16_t window)
{
  struct frame_tcp_seg t = { .sport = 50007, .dport = 80, .seq = seq, .ack = ack, .window = window,
                             .flags = flags };
  uint8_t reply[BN_LINK_MAX_FRAME];
  live_sends(&t, reply);
}

/* The peer's frame the pacer gives at now: its sequence number (0: none). */
static uint32_t take_seq(bn_rp_pacer *pc, uint64_t now)
{
  uint8_t out[BN_LINK_MAX_FRAME];
  size_t len;
  uint64_t wake;
  if (bn_rp_pacer_take(pc, now, out, &len, &wake) != 1) {
    return 0;
  }
  bn_rp_frame f;
  ck_assert_int_lt(bn_rp_parse(out, len, &f), 0);
  ck_assert_uint_eq(bn_rp_dport(&f), 50007);
  return bn_rp_tcp_seq(&f);
}

/* On the manual clock: board_opened_connection() paced by pace, the live
 * board's SYN sent and the peer's SYN-ACK taken. */
static bn_rp_pacer *board_opened_pacer(bn_pace pace)
{
  bn_clock_manual_start(bn_clock_now_ns());
  board_opened_connection();
  bn_rp_plan_options read = { .path = cap.path };
  bn_rp_pace_options o = { .pace = pace, .step_timeout_ns = 2000 * MS };
  bn_rp_pacer *pc;
  char err[BN_PCAP_ERRLEN];
  ck_assert_int_eq(bn_rp_pacer_new(&plan, &live, &read, &o, 0, false, bn_clock_now_ns(), &pc, err), 0);
  live_to_80(FRAME_TCP_SYN, LIVE_B, 0, 6400);
  ck_assert_uint_eq(take_seq(pc, bn_clock_now_ns()), 5000);
  return pc;
}

START_TEST(tcp_peer_data_waits_for_the_live_board_s_first_ack_however_late)
{
  bn_rp_pacer *pc = board_opened_pacer(BN_PACE_REACTIVE); /* the SYN-ACK went in */
  /* The board's ACK is late (a loaded machine): its window is unknown, so
   * the data waits for it, long past a quiet moment (reactive's 20 ms). */
  bn_clock_manual_advance(500 * MS);
  ck_assert_uint_eq(take_seq(pc, bn_clock_now_ns()), 0);
  live_to_80(FRAME_TCP_ACK, LIVE_B + 1, 5001, 6400);
  for (uint32_t k = 0; k < 3; k++) {
    ck_assert_uint_eq(take_seq(pc, bn_clock_now_ns()), 5001 + 12 * k);
  }
  bn_rp_pacer_free(pc);
  bn_clock_manual_stop();
}
END_TEST

/* The peer's segment bn_rp_live_retransmit() gives at now: its TCP flags (0: none). */
static uint8_t again_flags(uint64_t now, uint32_t *seq)
{
  uint8_t out[BN_LINK_MAX_FRAME];
  size_t len = bn_rp_live_retransmit(&live, now, out);
  if (len == 0) {
    return 0;
  }
  bn_rp_frame f;
  ck_assert_int_lt(bn_rp_parse(out, len, &f), 0);
  *seq = bn_rp_tcp_seq(&f);
  return bn_rp_tcp_flags(&f);
}

START_TEST(tcp_a_lost_syn_ack_is_sent_again_and_the_flow_waits_for_the_handshake)
{
  bn_rp_pacer *pc = board_opened_pacer(BN_PACE_REACTIVE); /* the SYN-ACK went in, and was lost */
  uint32_t seq = 0;
  uint8_t synack = FRAME_TCP_SYN | FRAME_TCP_ACK;
  bn_clock_manual_advance(BN_RP_SYNACK_RTO_NS - MS);
  ck_assert_uint_eq(again_flags(bn_clock_now_ns(), &seq), 0);
  bn_clock_manual_advance(MS);                             /* 1 s: a peer's TCP sends it again */
  ck_assert_uint_eq(again_flags(bn_clock_now_ns(), &seq), synack);
  ck_assert_uint_eq(seq, 5000);
  /* Past the step timeout (2 s) the flow still waits: the peer keeps trying,
   * and nothing of it goes in before the handshake is done (the board, in
   * SYN-SENT, would reset a plain ACK). */
  bn_clock_manual_advance(1500 * MS);
  ck_assert_uint_eq(take_seq(pc, bn_clock_now_ns()), 0);
  ck_assert(!live.flows[plan.steps[0].flow].abandoned);
  ck_assert_uint_eq(again_flags(bn_clock_now_ns(), &seq), 0); /* its next turn is 2 s after the last */
  live_to_80(FRAME_TCP_SYN, LIVE_B, 0, 6400);              /* the board sends its SYN again: answered at once */
  ck_assert_uint_eq(again_flags(bn_clock_now_ns(), &seq), synack);
  live_to_80(FRAME_TCP_ACK, LIVE_B + 1, 5001, 6400);       /* the handshake is done */
  ck_assert_uint_eq(bn_rp_live_next_retransmit(&live), BN_CLOCK_FOREVER);
  for (uint32_t k = 0; k < 3; k++) {
    ck_assert_uint_eq(take_seq(pc, bn_clock_now_ns()), 5001 + 12 * k);
  }
  ck_assert_uint_eq(live.flows[plan.steps[0].flow].peer_retrans, 2);
  bn_rp_pacer_free(pc);
  bn_clock_manual_stop();
}
END_TEST

START_TEST(tcp_a_partial_ack_after_a_retransmission_sends_the_next_hole_at_once)
{
  bn_rp_pacer *pc = board_opened_pacer(BN_PACE_TOP);
  live_to_80(FRAME_TCP_ACK, LIVE_B + 1, 5001, 6400);
  for (uint32_t k = 0; k < 3; k++) {
    ck_assert_uint_eq(take_seq(pc, bn_clock_now_ns()), 5001 + 12 * k);
  }
  /* The board lost all three: after the RTO the first goes again. */
  uint8_t again[BN_LINK_MAX_FRAME];
  bn_rp_frame f;
  ck_assert_uint_eq(bn_rp_live_retransmit(&live, bn_clock_now_ns(), again), 0);
  bn_clock_manual_advance(BN_RP_RTO_NS);
  size_t n = bn_rp_live_retransmit(&live, bn_clock_now_ns(), again);
  ck_assert_int_lt(bn_rp_parse(again, n, &f), 0);
  ck_assert_uint_eq(bn_rp_tcp_seq(&f), 5001);
  /* Its ACK covers it alone: the second goes at once, not an RTO later. */
  live_to_80(FRAME_TCP_ACK, LIVE_B + 1, 5013, 6400);
  ck_assert_uint_eq(bn_rp_live_next_retransmit(&live), 0);
  n = bn_rp_live_retransmit(&live, bn_clock_now_ns(), again);
  ck_assert_int_lt(bn_rp_parse(again, n, &f), 0);
  ck_assert_uint_eq(bn_rp_tcp_seq(&f), 5013);
  live_to_80(FRAME_TCP_ACK, LIVE_B + 1, 5025, 6400);
  n = bn_rp_live_retransmit(&live, bn_clock_now_ns(), again);
  ck_assert_int_lt(bn_rp_parse(again, n, &f), 0);
  ck_assert_uint_eq(bn_rp_tcp_seq(&f), 5025);
  /* All of it in: recovery ends, nothing is kept. */
  live_to_80(FRAME_TCP_ACK, LIVE_B + 1, 5037, 6400);
  ck_assert_uint_eq(bn_rp_live_next_retransmit(&live), BN_CLOCK_FOREVER);
  ck_assert(!live.flows[plan.steps[0].flow].recovering);
  ck_assert_uint_eq(live.flows[plan.steps[0].flow].peer_retrans, 3);
  bn_rp_pacer_free(pc);
  bn_clock_manual_stop();
}
END_TEST

START_TEST(tcp_every_class_of_difference_is_kept_and_ignored_ones_are_notes)
{
  two_connections();
  bn_rp_live_set_ignore(&live, 1u << BN_RP_DIV_OPTIONS);
  struct injected in;
  inject(0, &in);
  inject(1, &in);
  live_syn_ack(40000, LIVE_A, 1001, 1460, 65535);
  live_syn_ack(40001, LIVE_B, 2001, 800, 65535); /* B: another MSS (ignored) */
  for (size_t i = 2; i < 6; i++) {
    inject(i, &in);
  }
  uint8_t changed[sizeof(hello)], reply[BN_LINK_MAX_FRAME];
  memcpy(changed, hello, sizeof(hello));
  changed[3] = 'W';
  live_data(40001, LIVE_B + 1, 2013, changed, sizeof(changed), reply); /* B: and a byte changed */
  bn_rp_live_finish(&live);
  const bn_rp_live_flow *b = live_flow(40001);
  ck_assert_uint_eq(b->classes & (1u << BN_RP_DIV_OPTIONS | 1u << BN_RP_DIV_PAYLOAD),
                    1u << BN_RP_DIV_OPTIONS | 1u << BN_RP_DIV_PAYLOAD); /* both kept */
  ck_assert_int_eq(b->diverge, BN_RP_DIV_PAYLOAD);  /* the headline: the first that counts */
  ck_assert_uint_eq(b->found[BN_RP_DIV_OPTIONS].number, 4);
  ck_assert_msg(strstr(b->found[BN_RP_DIV_PAYLOAD].text, "byte 3") != NULL, "%s", b->found[BN_RP_DIV_PAYLOAD].text);

  uint32_t classes;
  ck_assert_int_eq(bn_rp_diverge_parse("window,options", &classes), 0);
  ck_assert_uint_eq(classes, 1u << BN_RP_DIV_WINDOW | 1u << BN_RP_DIV_OPTIONS);
  ck_assert_int_eq(bn_rp_diverge_parse("received", &classes), 0);
  ck_assert_int_eq(bn_rp_diverge_parse("window,banana", &classes), -EINVAL);
  ck_assert_int_eq(bn_rp_diverge_parse("", &classes), -EINVAL);
  ck_assert_int_eq(bn_rp_diverge_parse("none", &classes), -EINVAL);
}
END_TEST

Suite *bn_test_suite(void)
{
  Suite *s = suite_create("replay_tcp");
  TCase *tc = tcase_create("core");
  tcase_add_checked_fixture(tc, NULL, teardown);
  tcase_add_test(tc, tcp_acks_and_sack_shift_per_connection_across_2_32_never_past_what_was_sent);
  tcase_add_test(tc, tcp_acks_are_made_for_data_the_captured_peer_acknowledged_once_the_capture_s_run_out);
  tcase_add_test(tc, tcp_peer_data_is_split_to_the_live_window_and_sent_again_when_not_acknowledged);
  tcase_add_test(tc, tcp_a_shut_window_is_probed_every_rto_and_the_data_goes_on_once_it_opens);
  tcase_add_test(tc, tcp_comparison_names_a_changed_byte_and_other_syn_options_at_their_frames);
  tcase_add_test(tc, tcp_every_class_of_difference_is_kept_and_ignored_ones_are_notes);
  tcase_add_test(tc, tcp_a_super_frame_is_cut_at_the_captured_mss_fin_and_psh_on_the_last_piece);
  tcase_add_test(tc, tcp_an_unanswered_peer_syn_is_sent_again_and_an_answered_one_is_not);
  tcase_add_test(tc, tcp_a_lost_syn_ack_is_sent_again_and_the_flow_waits_for_the_handshake);
  tcase_add_test(tc, tcp_a_segment_lost_on_the_way_is_a_hole_the_peer_acknowledges_up_to_and_waits_for);
  tcase_add_test(tc, pace_a_flow_that_waits_for_the_board_does_not_hold_another_back);
  tcase_add_test(tc, tcp_peer_data_waits_for_the_live_board_s_first_ack_however_late);
  tcase_add_test(tc, tcp_a_partial_ack_after_a_retransmission_sends_the_next_hole_at_once);
  suite_add_tcase(s, tc);
  return s;
}
