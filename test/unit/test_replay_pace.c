/*
 * The replay backend's pacing (netif/replay/link_pcap.h), polled by the test as the
 * netif would, with no stack: --pace top injects every peer frame in one
 * poll; --pace recorded (and xN) never injects a frame before its captured
 * offset from the first, divided by the speed, on the board's clock; the
 * reactive pace holds a frame until the live board has sent what the
 * captured board sent before it, and the replay ends (-ENODATA) once the steps
 * are done and the board is quiet. Frames the board sends faster than the
 * pump polls are all taken, in order.
 */
#include "bn_test.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "capture.h"
#include "link_pcap.h"
#include "replay_compare.h"
#include "link_poll.h"

#define T0 1700000000000000000ull
#define MS 1000000ull
#define PINGS 5
#define BOARD_IP 0xc0000202u

static const struct frame_host peer = { { 2, 0, 0, 0, 0, 1 }, { 192, 0, 2, 1 } };
static const struct frame_host board = { { 2, 0, 0, 0, 0, 2 }, { 192, 0, 2, 2 } };

/* The captured offsets of the peer's pings. */
static const uint64_t offsets_ns[PINGS] = { 0, 40 * MS, 90 * MS, 100 * MS, 180 * MS };

static struct capture cap;
static bn_rp_plan plan;
static bn_rp_plan_options read_opts;
static bn_rp_live live;
static bn_link *replay;

struct seen {
  size_t n;
  uint64_t ts[PINGS + 4];
};

static void on_frame(void *arg, const uint8_t *frame, size_t len, uint64_t ts_ns)
{
  (void)frame;
  (void)len;
  struct seen *s = arg;
  if (s->n < sizeof(s->ts) / sizeof(s->ts[0])) {
    s->ts[s->n] = ts_ns;
  }
  s->n++;
}

static void teardown(void)
{
  if (replay != NULL) {
    bn_link_close(replay);
    replay = NULL;
  }
  bn_rp_live_free(&live);
  bn_rp_plan_free(&plan);
  unlink(cap.path);
}

/* The pings (and, with replies, the board's answers 1 ms after each). */
static void open_replay(bn_pace pace, double speed, bool replies)
{
  capture_open(&cap, DLT_EN10MB);
  uint8_t buf[128], data[16] = { 0 };
  for (int i = 0; i < PINGS; i++) {
    uint64_t ts = T0 + offsets_ns[i];
    capture_add(&cap, ts, buf, frame_icmp_echo(buf, FRAME_ICMP_ECHO_REQUEST, &peer, &board, 9, (uint16_t)i, data, 16));
    if (replies) {
      capture_add(&cap, ts + MS, buf, frame_icmp_echo(buf, FRAME_ICMP_ECHO_REPLY, &board, &peer, 9, (uint16_t)i,
                                                      data, 16));
    }
  }
  capture_close(&cap);
  char err[BN_RP_ERRLEN] = "";
  read_opts = (bn_rp_plan_options){ .path = cap.path, .board_ip = BOARD_IP };
  ck_assert_msg(bn_rp_plan_build(&read_opts, &plan, err) == 0, "%s", err);
  ck_assert_uint_eq(plan.nsteps, PINGS);
  bn_pcap_options o = { .plan = &plan, .read = &read_opts, .live = &live, .live_ip = BOARD_IP, .pace = pace,
                        .speed = speed, .step_timeout_ns = 60000 * MS, .settle_ns = 10 * MS };
  memcpy(o.live_mac, board.mac, 6);
  char perr[BN_PCAP_ERRLEN] = "";
  ck_assert_msg(bn_link_pcap_open(&o, &replay, perr) == 0, "%s", perr);
}

/* Polls until the replay ends; every frame into seen. */
static void run_to_end(struct seen *seen)
{
  for (int polls = 0; polls < 10000; polls++) {
    int rc = poll_ms(replay, on_frame, seen, 1000);
    if (rc == -ENODATA) {
      return;
    }
    ck_assert_int_ge(rc, 0);
  }
  ck_abort_msg("the replay did not end");
}

START_TEST(pace_top_injects_every_frame_in_one_poll)
{
  open_replay(BN_PACE_TOP, 0, false);
  struct seen seen = { 0 };
  ck_assert_int_eq(poll_ms(replay, on_frame, &seen, 1000), PINGS);
  run_to_end(&seen);
  ck_assert_uint_eq(seen.n, PINGS);
  ck_assert_uint_eq(live.injected, PINGS);
}
END_TEST

START_TEST(pace_recorded_never_injects_before_the_captured_offset)
{
  double speed = _i == 0 ? 1.0 : 2.0;
  open_replay(BN_PACE_RECORDED, speed, false);
  struct seen seen = { 0 };
  /* The first frame at once, alone: the second is not due yet. */
  ck_assert_int_eq(poll_ms(replay, on_frame, &seen, 1000), 1);
  run_to_end(&seen);
  ck_assert_uint_eq(seen.n, PINGS);
  ck_assert_uint_eq(seen.ts[0], live.started_ns);
  for (int i = 1; i < PINGS; i++) {
    uint64_t due = live.started_ns + (uint64_t)((double)offsets_ns[i] / speed);
    ck_assert_msg(seen.ts[i] >= due, "frame %d at +%llu ns, due at +%llu", i,
                  (unsigned long long)(seen.ts[i] - live.started_ns), (unsigned long long)(due - live.started_ns));
    ck_assert_uint_ge(seen.ts[i], seen.ts[i - 1]);
  }
  /* Between the frames it waited for the capture's gaps, and for nothing else. */
  ck_assert_uint_gt(live.waited_ns[BN_RP_WAIT_CAPTURE], 0);
  ck_assert_uint_le(live.waited_ns[BN_RP_WAIT_CAPTURE], seen.ts[PINGS - 1] - live.started_ns);
  ck_assert_uint_eq(live.waited_ns[BN_RP_WAIT_BOARD], 0);
  ck_assert_uint_eq(live.waited_ns[BN_RP_WAIT_CONNECTION], 0);
  ck_assert_uint_eq(live.waited_ns[BN_RP_WAIT_WINDOW], 0);
}
END_TEST

START_TEST(pace_reactive_waits_for_the_board_s_answer)
{
  open_replay(BN_PACE_REACTIVE, 0, true);
  struct seen seen = { 0 };
  ck_assert_int_eq(poll_ms(replay, on_frame, &seen, 1000), 1);
  /* The captured board answered before the next ping: without an answer it
   * waits (here for the step timeout, a minute). */
  ck_assert_int_eq(poll_ms(replay, on_frame, &seen, 0), 0);
  uint8_t reply[128], data[16] = { 0 };
  for (int i = 0; i < PINGS; i++) {
    size_t n = frame_icmp_echo(reply, FRAME_ICMP_ECHO_REPLY, &board, &peer, 9, (uint16_t)i, data, 16);
    ck_assert_int_eq(bn_link_send(replay, reply, n, bn_clock_now_ns()), 0);
    if (i + 1 < PINGS) {
      ck_assert_int_eq(poll_ms(replay, on_frame, &seen, 1000), 1);
    }
  }
  run_to_end(&seen);
  ck_assert_uint_eq(seen.n, PINGS);
  ck_assert_uint_eq(live.timeouts, 0);
  ck_assert_uint_gt(live.waited_ns[BN_RP_WAIT_BOARD], 0); /* for the answers */
  bn_rp_live_finish(&live);
  for (size_t i = 0; i < plan.nflows; i++) {
    ck_assert_int_eq(live.flows[i].diverge, BN_RP_SAME);
  }
}
END_TEST

START_TEST(pace_board_frames_sent_faster_than_polled_are_all_taken)
{
  open_replay(BN_PACE_TOP, 0, true);
  /* More than the backend's inbox holds, before any poll. */
  enum { SENT = 600 };
  uint8_t reply[128], data[16] = { 0 };
  for (int i = 0; i < SENT; i++) {
    size_t n = frame_icmp_echo(reply, FRAME_ICMP_ECHO_REPLY, &board, &peer, 9, (uint16_t)i, data, 16);
    ck_assert_int_eq(bn_link_send(replay, reply, n, bn_clock_now_ns()), 0);
  }
  struct seen seen = { 0 };
  run_to_end(&seen);
  ck_assert_uint_eq(live.board_frames, SENT);
  size_t icmp = plan.steps[0].flow;
  ck_assert_uint_eq(live.flows[icmp].frames, SENT);
  ck_assert_int_eq(live.flows[icmp].diverge, BN_RP_DIV_EXTRA); /* the capture has 5 */
}
END_TEST

Suite *bn_test_suite(void)
{
  Suite *s = suite_create("replay_pace");
  TCase *tc = tcase_create("core");
  tcase_add_checked_fixture(tc, NULL, teardown);
  tcase_add_test(tc, pace_top_injects_every_frame_in_one_poll);
  tcase_add_loop_test(tc, pace_recorded_never_injects_before_the_captured_offset, 0, 2);
  tcase_add_test(tc, pace_reactive_waits_for_the_board_s_answer);
  tcase_add_test(tc, pace_board_frames_sent_faster_than_polled_are_all_taken);
  suite_add_tcase(s, tc);
  return s;
}
