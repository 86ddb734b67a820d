/*
 * The impairment stage (netif/impair/link_impair.h) over a memory link, on a
 * hand-driven clock (bn_clock_manual_*) and fixed seeds: netem's models
 * give their configured rates, queues release at the right times, per-packet
 * aim hits the right frames (aims add up, corrupt flips an exact bit, the
 * log's FRAME is what an aim counts), the carrier follows `link down|up`,
 * and the same seed repeats every decision while a new rule leaves other
 * flows' decisions alone. test_impair_log_replay.c replays a decision log as aims.
 */
#define _GNU_SOURCE
#include "bn_test.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture.h"
#include "frames.h"
#include "impair_models.h"
#include "link_impair.h"
#include "link_memory.h"
#include "scn.h"

static const struct frame_host peer_host = { { 0x02, 0, 0, 0, 0, 1 }, { 192, 0, 2, 1 } };
static const struct frame_host board_host = { { 0x02, 0, 0, 0, 0, 2 }, { 192, 0, 2, 2 } };

/* A memory link with the stage on one end; the test plays the wire on the other. */
struct rig {
  bn_link *wire, *stage;
  bn_scn_scenario s;
  char *log;
  size_t log_len;
  FILE *log_file;
  /* what came out of the stage's poll (ingress) */
  uint32_t seq[200000];
  size_t got;
  uint32_t last_seq;   /* of the last frame received in order */
  int corrupted_bits;  /* bits that differ from the frames sent, over every frame received in order */
  int downs, ups;
  uint8_t first[8][BN_LINK_MAX_FRAME]; /* the first frames received, as they came */
  size_t first_len[8];
};

static struct rig *rig;

/* With start_later: the timeline waits for bn_link_impair_start(). */
static void rig_open_later(const char *text, uint64_t seed, bool start_later)
{
  rig = calloc(1, sizeof(*rig));
  ck_assert_ptr_nonnull(rig);
  char err[BN_SCN_ERRLEN];
  ck_assert_msg(bn_scn_parse("test.scn", text, strlen(text), &rig->s, err) == 0, "%s", err);
  bn_link *end;
  ck_assert_int_eq(bn_link_memory_pair(65536, &rig->wire, &end), 0);
  rig->log_file = open_memstream(&rig->log, &rig->log_len);
  bn_impair_options o = { .scenario = &rig->s, .seed = seed, .decisions = rig->log_file, .start_later = start_later };
  ck_assert_int_eq(bn_link_impair_open(end, &o, &rig->stage), 0);
}

static void rig_open(const char *text, uint64_t seed)
{
  rig_open_later(text, seed, false);
}

static void rig_close(void)
{
  bn_link_close(rig->stage);
  bn_link_close(rig->wire);
  fclose(rig->log_file);
  free(rig->log);
  bn_scn_free(&rig->s);
  free(rig);
  bn_clock_manual_stop();
}

/* The UDP frame number seq of a flow to port dport, its payload 64 bytes. */
static size_t make_frame(uint8_t *buf, uint32_t seq, uint16_t dport)
{
  uint8_t payload[64];
  memset(payload, (int)(seq & 0xff), sizeof(payload));
  frame_put32(payload, seq);
  return frame_udp(buf, &peer_host, &board_host, 5000, dport, payload, sizeof(payload));
}

static void got_frame(void *arg, const uint8_t *frame, size_t len, uint64_t ts_ns)
{
  (void)arg, (void)ts_ns;
  /* In order, what arrives is the frame after the last one, or the last one
   * again (a duplicate): count the bits in which it differs from the closer. */
  uint8_t want[BN_LINK_MAX_FRAME];
  uint16_t dport = 7; /* not read from the frame: a flipped bit may be there */
  int best = -1;
  bool is_next = false;
  for (uint32_t k = 0; k < 2; k++) {
    int bits = 0;
    size_t n = make_frame(want, rig->last_seq + k, dport);
    for (size_t i = 0; i < len && i < n; i++) {
      bits += __builtin_popcount(want[i] ^ frame[i]);
    }
    if (n == len && (best < 0 || bits < best)) {
      best = bits;
      is_next = k == 1;
    }
  }
  rig->last_seq += is_next;
  rig->corrupted_bits += best < 0 ? 1000 : best;
  uint32_t seq = frame_get32(frame + FRAME_OFF_IP + FRAME_IP_HLEN + 8);
  if (rig->got < 8) {
    memcpy(rig->first[rig->got], frame, len);
    rig->first_len[rig->got] = len;
  }
  if (rig->got < sizeof(rig->seq) / sizeof(rig->seq[0])) {
    rig->seq[rig->got++] = seq;
  }
}

static void got_carrier(void *arg, bool up)
{
  (void)arg;
  *(up ? &rig->ups : &rig->downs) += 1;
}

/* Everything the stage hands the board now (the clock does not move). */
static void drain(void)
{
  bn_link_rx rx = { .frame = got_frame, .carrier = got_carrier };
  while (bn_link_poll(rig->stage, &rx, BN_LINK_NOW) > 0) {
  }
}

/* Frames first..first+n-1 to dport from the wire into the stage, drained as they go. */
static void send_frames(uint32_t first, uint32_t n, uint16_t dport)
{
  uint8_t f[BN_LINK_MAX_FRAME];
  for (uint32_t i = 0; i < n; i++) {
    size_t len = make_frame(f, first + i, dport);
    ck_assert_int_eq(bn_link_send(rig->wire, f, len, bn_clock_now_ns()), 0);
    if (i % 1024 == 1023) {
      drain();
    }
  }
  drain();
}

static bn_impair_stats stats(void)
{
  bn_impair_stats st;
  ck_assert_int_eq(bn_link_impair_stats(rig->stage, &st), 0);
  return st;
}

START_TEST(loss_random_10_percent_over_100k_frames)
{
  rig_open("ingress loss random 10%\n", 42);
  send_frames(1, 100000, 7);
  bn_impair_stats st = stats();
  ck_assert_uint_eq(st.ingress.frames, 100000);
  ck_assert_uint_eq(st.ingress.lost + st.ingress.passed, 100000);
  ck_assert_uint_eq(rig->got, st.ingress.passed);
  double rate = (double)st.ingress.lost / 1000.0;  /* percent */
  ck_assert_msg(fabs(rate - 10.0) <= 1.0, "loss %.2f%%", rate);
  rig_close();
}
END_TEST

START_TEST(loss_zero_percent_loses_nothing)
{
  rig_open("both loss 0%\n", 1);
  send_frames(1, 5000, 7);
  ck_assert_uint_eq(rig->got, 5000);
  ck_assert_uint_eq(stats().ingress.lost, 0);
  rig_close();
}
END_TEST

/* Lengths of runs of lost frames, from the sequence numbers received. */
static double mean_burst(uint32_t sent, double *loss_pct)
{
  size_t bursts = 0, lost = 0;
  uint32_t expect = 1;
  for (size_t i = 0; i <= rig->got; i++) {
    uint32_t next = i < rig->got ? rig->seq[i] : sent + 1;
    if (next > expect) {
      bursts++;
      lost += next - expect;
    }
    expect = next + 1;
  }
  *loss_pct = 100.0 * (double)lost / sent;
  return bursts ? (double)lost / (double)bursts : 0;
}

START_TEST(gilbert_elliott_gives_the_configured_burst_length)
{
  /* p 1%, r 25%: bursts last 1/r = 4 frames; the bad state loses all (1-h 100%), the good none. */
  rig_open("ingress loss gemodel 1% 25% 100% 0%\n", 7);
  send_frames(1, 100000, 7);
  double loss;
  double burst = mean_burst(100000, &loss);
  ck_assert_msg(fabs(burst - 4.0) <= 0.4, "mean burst %.2f", burst);
  /* in the bad state p / (p + r) of the time */
  ck_assert_msg(fabs(loss - 100.0 * 0.01 / 0.26) <= 0.6, "loss %.2f%%", loss);
  rig_close();
}
END_TEST

START_TEST(four_state_markov_loses_its_stationary_share)
{
  rig_open("ingress loss state 2% 30% 10% 20% 1%\n", 9);
  send_frames(1, 100000, 7);
  /* the chain of impair_models.c (netem's loss_4state()): 0 gap tx, 1 burst tx, 2 burst lost, 3 gap lost */
  const double p13 = 0.02, p31 = 0.30, p32 = 0.10, p23 = 0.20, p14 = 0.01;
  const double m[4][4] = {
    { 1 - p13 - p14, 0, p13, p14 },
    { 0, 1 - p23, p23, 0 },
    { p31, p32, 1 - p31 - p32, 0 },
    { 1, 0, 0, 0 },
  };
  double pi[4] = { 1, 0, 0, 0 };
  for (int it = 0; it < 10000; it++) {
    double nx[4] = { 0 };
    for (int i = 0; i < 4; i++) {
      for (int j = 0; j < 4; j++) {
        nx[j] += pi[i] * m[i][j];
      }
    }
    memcpy(pi, nx, sizeof(pi));
  }
  double want = 100.0 * (pi[2] + pi[3]);
  double got = 100.0 * (double)stats().ingress.lost / 100000.0;
  ck_assert_msg(fabs(got - want) <= 1.0, "loss %.2f%%, the chain says %.2f%%", got, want);
  rig_close();
}
END_TEST

START_TEST(duplicate_and_corrupt_counts_and_one_bit_each)
{
  rig_open("ingress duplicate 5% corrupt 1%\n", 3);
  send_frames(1, 100000, 7);
  bn_impair_stats st = stats();
  ck_assert_msg(fabs((double)st.ingress.duplicated / 1000.0 - 5.0) <= 0.5, "%" PRIu64 " duplicated",
                st.ingress.duplicated);
  ck_assert_msg(fabs((double)st.ingress.corrupted / 1000.0 - 1.0) <= 0.2, "%" PRIu64 " corrupted",
                st.ingress.corrupted);
  ck_assert_uint_eq(rig->got, 100000 + st.ingress.duplicated);
  /* each corrupted frame differs from its original in exactly one bit */
  ck_assert_int_eq(rig->corrupted_bits, (int)st.ingress.corrupted);
  rig_close();
}
END_TEST

START_TEST(reorder_with_gap_sends_every_fifth_frame_early)
{
  bn_clock_manual_start(1000000000);
  rig_open("ingress delay 10ms reorder 100% gap 5\n", 1);
  send_frames(1, 20, 7);
  ck_assert_uint_eq(rig->got, 4);
  for (size_t i = 0; i < 4; i++) {
    ck_assert_uint_eq(rig->seq[i], 5 * (i + 1));
  }
  bn_clock_manual_advance(10 * 1000000);
  drain();
  ck_assert_uint_eq(rig->got, 20);
  uint32_t prev = 0;
  for (size_t i = 4; i < 20; i++) {
    ck_assert_uint_ne(rig->seq[i] % 5, 0);
    ck_assert_uint_gt(rig->seq[i], prev);
    prev = rig->seq[i];
  }
  ck_assert_uint_eq(stats().ingress.reordered, 4);
  rig_close();
}
END_TEST

START_TEST(delay_releases_at_its_time_and_not_before)
{
  bn_clock_manual_start(1000000000);
  rig_open("ingress delay 50ms\n", 1);
  send_frames(1, 10, 7);
  ck_assert_uint_eq(rig->got, 0);
  ck_assert_uint_eq(stats().ingress.queued, 10);
  bn_clock_manual_advance(49999999);
  drain();
  ck_assert_uint_eq(rig->got, 0);
  bn_clock_manual_advance(1);
  drain();
  ck_assert_uint_eq(rig->got, 10);
  for (size_t i = 0; i < 10; i++) {
    ck_assert_uint_eq(rig->seq[i], i + 1);
  }
  rig_close();
}
END_TEST

START_TEST(rate_delivers_its_bytes_per_second_of_board_clock)
{
  bn_clock_manual_start(1000000000);
  /* 1000-byte frames (the packet overhead makes each 1000) at 8 Mbit/s: one per millisecond */
  uint8_t f[BN_LINK_MAX_FRAME];
  size_t len = make_frame(f, 0, 7);
  char text[128];
  snprintf(text, sizeof(text), "ingress rate 8mbit %d\n", (int)(1000 - len));
  rig_open(text, 1);
  send_frames(1, 100, 7);
  ck_assert_uint_eq(rig->got, 0);
  for (int ms = 1; ms <= 100; ms++) {
    bn_clock_manual_advance(1000000);
    drain();
    ck_assert_uint_eq(rig->got, (size_t)ms);
  }
  /* 100 frames of 1000 bytes in 100 ms: 1 MB/s */
  ck_assert_uint_eq(stats().ingress.queued, 0);
  rig_close();
}
END_TEST

START_TEST(limit_drops_what_the_queue_cannot_hold)
{
  bn_clock_manual_start(1000000000);
  rig_open("ingress delay 1s limit 10\n", 1);
  send_frames(1, 50, 7);
  bn_impair_stats st = stats();
  ck_assert_uint_eq(st.ingress.queued, 10);
  ck_assert_uint_eq(st.ingress.limited, 40);
  bn_clock_manual_advance(1000000000);
  drain();
  ck_assert_uint_eq(rig->got, 10);
  for (size_t i = 0; i < 10; i++) {
    ck_assert_uint_eq(rig->seq[i], i + 1);
  }
  rig_close();
}
END_TEST

START_TEST(slot_releases_bursts_of_its_packets)
{
  bn_clock_manual_start(1000000000);
  rig_open("ingress slot 10ms packets 3\n", 1);
  send_frames(1, 9, 7);
  ck_assert_uint_eq(rig->got, 3);
  bn_clock_manual_advance(5000000);
  drain();
  ck_assert_uint_eq(rig->got, 3);
  bn_clock_manual_advance(5000000);
  drain();
  ck_assert_uint_eq(rig->got, 6);
  bn_clock_manual_advance(10000000);
  drain();
  ck_assert_uint_eq(rig->got, 9);
  rig_close();
}
END_TEST

/* The times between the releases of n frames through a slot of one packet
 * each (text), on the clock stepped by 100 us: min, max, mean and stdev in ms. */
static void slot_gaps(const char *text, int n, double *min, double *max, double *mean, double *sd)
{
  bn_clock_manual_start(1000000000);
  rig_open(text, 3);
  send_frames(1, (uint32_t)n, 7);
  ck_assert_uint_eq(rig->got, 1); /* the first slot is open at once */
  uint64_t last = bn_clock_now_ns(), steps = 0;
  double sum = 0, sum2 = 0;
  *min = 1e9, *max = 0;
  while (rig->got < (size_t)n && steps++ < 1000000) {
    size_t before = rig->got;
    bn_clock_manual_advance(100000);
    drain();
    ck_assert_uint_le(rig->got, before + 1);
    if (rig->got > before) {
      double gap = (double)(bn_clock_now_ns() - last) / 1e6;
      last = bn_clock_now_ns();
      sum += gap, sum2 += gap * gap;
      *min = gap < *min ? gap : *min;
      *max = gap > *max ? gap : *max;
    }
  }
  ck_assert_uint_eq(rig->got, (size_t)n);
  *mean = sum / (n - 1);
  *sd = sqrt(sum2 / (n - 1) - *mean * *mean);
  rig_close();
}

START_TEST(slot_distribution_draws_each_slot_from_it)
{
  double min, max, mean, sd;
  /* uniform: 10 ms +- 4 ms, so every slot 6..14 ms (the clock steps 0.1 ms) */
  slot_gaps("ingress slot distribution uniform 10ms 4ms packets 1\n", 401, &min, &max, &mean, &sd);
  ck_assert_msg(min >= 6.0 && max <= 14.1, "slots from %.1f to %.1f ms", min, max);
  ck_assert_msg(fabs(mean - 10) < 0.5, "mean slot %.2f ms", mean);
  /* normal: mean 10 ms, standard deviation 2 ms */
  slot_gaps("ingress slot distribution normal 10ms 2ms packets 1\n", 401, &min, &max, &mean, &sd);
  ck_assert_msg(fabs(mean - 10) < 0.5 && fabs(sd - 2) < 0.4, "mean %.2f ms, stdev %.2f ms", mean, sd);
  ck_assert_msg(min < 7 && max > 13, "a normal spread reaches past 1.5 sigma: %.1f..%.1f ms", min, max);
}
END_TEST

START_TEST(mtu_drops_larger_packets)
{
  rig_open("ingress mtu 91\n", 1);
  send_frames(1, 3, 7); /* IP packets of 20 + 8 + 64 = 92 bytes */
  ck_assert_uint_eq(rig->got, 0);
  ck_assert_uint_eq(stats().ingress.too_big, 3);
  rig_close();
  rig_open("ingress mtu 92\n", 1);
  send_frames(1, 3, 7);
  ck_assert_uint_eq(rig->got, 3);
  rig_close();
}
END_TEST

/* Which of frames 1..n (to port 7, interleaved with port 9 frames) arrived. */
static void aim_case(const char *text, const uint32_t *dropped, size_t n_dropped)
{
  rig_open(text, 1);
  for (uint32_t i = 1; i <= 12; i++) {
    send_frames(i, 1, 7);
    send_frames(1000 + i, 1, 9);
  }
  size_t port7 = 0;
  for (size_t i = 0; i < rig->got; i++) {
    if (rig->seq[i] < 1000) {
      port7++;
      for (size_t k = 0; k < n_dropped; k++) {
        ck_assert_uint_ne(rig->seq[i], dropped[k]);
      }
    }
  }
  ck_assert_uint_eq(port7, 12 - n_dropped);
  ck_assert_uint_eq(rig->got - port7, 12); /* the other flow untouched */
  ck_assert_uint_eq(stats().ingress.aimed, n_dropped);
  rig_close();
}

START_TEST(nth_first_every_aim_at_their_frames)
{
  static const uint32_t nth[] = { 3 }, first[] = { 1, 2 }, every[] = { 4, 8, 12 };
  aim_case("match \"udp dst port 7\" nth 3 ingress drop\n", nth, 1);
  aim_case("match \"udp dst port 7\" first 2 ingress drop\n", first, 2);
  aim_case("match \"udp dst port 7\" every 4 ingress drop\n", every, 3);
}
END_TEST

/* The sequence numbers received, as "1 3 4 ..." */
static char *received(void)
{
  static char out[4096];
  size_t n = 0;
  out[0] = '\0';
  for (size_t i = 0; i < rig->got && n + 16 < sizeof(out); i++) {
    n += (size_t)snprintf(out + n, sizeof(out) - n, "%s%" PRIu32, i ? " " : "", rig->seq[i]);
  }
  return out;
}

START_TEST(aims_on_one_rule_add_up)
{
  rig_open("ingress nth 2 drop\ningress nth 5 drop\ningress nth 7 duplicate\n", 1);
  send_frames(1, 10, 7);
  ck_assert_str_eq(received(), "1 3 4 6 7 7 8 9 10");
  bn_impair_stats st = stats();
  ck_assert_uint_eq(st.ingress.aimed, 2);
  ck_assert_uint_eq(st.ingress.duplicated, 1);
  rig_close();
  /* each counts from its own step: the 2nd frame after 1s is the 5th */
  bn_clock_manual_start(1000000000);
  rig_open("at 0s ingress nth 2 drop\nat 1s ingress nth 2 drop\nat 1s match \"udp\" ingress nth 1 drop\n", 1);
  send_frames(1, 3, 7);
  bn_clock_manual_advance(1000000000);
  send_frames(4, 4, 7);
  ck_assert_str_eq(received(), "1 3 6 7");
  rig_close();
}
END_TEST

START_TEST(thousands_of_nth_aims_hit_exactly_their_frames)
{
  /* the lines boardnet shrink writes, in no particular order: every other frame of 8000 */
  size_t cap = 4000 * 40, n = 0;
  char *text = malloc(cap);
  for (uint32_t i = 4000; i >= 1; i--) {
    uint32_t f = 2 * (i * 7919 % 4000 + 1);  /* a shuffle of 2, 4 ... 8000 (7919 is prime) */
    n += (size_t)snprintf(text + n, cap - n, "at 0s ingress nth %" PRIu32 " drop\n", f);
  }
  rig_open(text, 1);
  free(text);
  send_frames(1, 8000, 7);
  ck_assert_uint_eq(rig->got, 4000);
  for (size_t i = 0; i < rig->got; i++) {
    ck_assert_uint_eq(rig->seq[i], 2 * i + 1);
  }
  ck_assert_uint_eq(stats().ingress.aimed, 4000);
  rig_close();
}
END_TEST

START_TEST(clear_removes_every_aim_of_its_rule)
{
  bn_clock_manual_start(1000000000);
  rig_open("at 0s ingress nth 3 drop\nat 0s ingress nth 6 drop\nat 0s ingress every 4 duplicate\n"
           "at 0s match \"udp\" ingress nth 7 drop\n"
           "at 1s ingress match \"udp\" clear\nat 2s ingress clear\n", 1);
  send_frames(1, 4, 7);      /* 3 dropped, 4 twice */
  bn_clock_manual_advance(1000000000);
  send_frames(5, 3, 7);      /* 6 dropped; the match's nth 7 is gone */
  bn_clock_manual_advance(1000000000);
  send_frames(8, 2, 7);      /* every 4 is gone too: 8 once */
  ck_assert_str_eq(received(), "1 2 4 4 5 7 8 9");
  rig_close();
}
END_TEST

START_TEST(an_exact_corrupt_flips_that_bit)
{
  rig_open("ingress nth 2 corrupt byte 40 bit 3\ningress nth 3 corrupt byte 5000 bit 1\n"
           "ingress nth 4 corrupt byte 0 bit 7\ningress nth 4 corrupt byte 1 bit 0\ningress nth 4 duplicate\n", 1);
  send_frames(1, 4, 7);
  ck_assert_uint_eq(rig->got, 5);
  uint8_t want[BN_LINK_MAX_FRAME];
  for (size_t i = 0; i < 5; i++) {
    uint32_t seq = i < 4 ? (uint32_t)i + 1 : 4;
    size_t n = make_frame(want, seq, 7);
    ck_assert_uint_eq(rig->first_len[i], n);
    if (i == 1) {
      want[40] ^= 1u << 3;
    }
    if (i == 3) {
      want[0] ^= 1u << 7;  /* the earlier step's place, in the first copy only */
    }
    ck_assert_msg(memcmp(rig->first[i], want, n) == 0, "frame %zu", i);
  }
  ck_assert_uint_eq(stats().ingress.corrupted, 2);  /* byte 5000 is past the frame's end: none */
  fflush(rig->log_file);
  ck_assert_msg(strstr(rig->log, " ingress 2 * corrupt byte 40 bit 3\n") != NULL, "%s", rig->log);
  ck_assert_msg(strstr(rig->log, " ingress 4 * corrupt byte 0 bit 7\n") != NULL, "%s", rig->log);
  rig_close();
}
END_TEST

START_TEST(frame_numbers_count_from_time_0_as_aims_do)
{
  /* frames before bn_link_impair_start() are not counted */
  rig_open_later("at 0s ingress nth 2 drop\n", 1, true);
  send_frames(1, 3, 7);
  ck_assert_int_eq(bn_link_impair_start(rig->stage), 0);
  send_frames(4, 3, 7);
  ck_assert_str_eq(received(), "1 2 3 4 6");
  fflush(rig->log_file);
  ck_assert_msg(strstr(rig->log, " ingress 2 * drop aim\n") != NULL, "%s", rig->log);
  rig_close();
  /* frames dropped while the link is down are counted by both */
  bn_clock_manual_start(1000000000);
  rig_open("at 0s link down\nat 0s ingress nth 4 drop\nat 1s link up\n", 1);
  drain();
  send_frames(1, 2, 7);
  bn_clock_manual_advance(1000000000);
  drain();
  send_frames(3, 3, 7);
  ck_assert_str_eq(received(), "3 5");
  fflush(rig->log_file);
  ck_assert_msg(strstr(rig->log, " ingress 2 * drop link\n") != NULL, "%s", rig->log);
  ck_assert_msg(strstr(rig->log, " ingress 4 * drop aim\n") != NULL, "%s", rig->log);
  rig_close();
}
END_TEST

START_TEST(link_down_reports_carrier_and_drops_until_up)
{
  bn_clock_manual_start(1000000000);
  rig_open("at 1s link down\nat 3s link up\n", 1);
  send_frames(1, 2, 7);
  ck_assert_uint_eq(rig->got, 2);
  bn_clock_manual_advance(1000000000);
  drain();
  ck_assert_int_eq(rig->downs, 1);
  ck_assert(!stats().link_up);
  send_frames(3, 2, 7);
  ck_assert_uint_eq(rig->got, 2);
  ck_assert_uint_eq(stats().ingress.link_down, 2);
  uint8_t f[BN_LINK_MAX_FRAME];
  size_t len = make_frame(f, 99, 7);
  ck_assert_int_eq(bn_link_send(rig->stage, f, len, 0), 0);  /* egress dropped too */
  ck_assert_uint_eq(stats().egress.link_down, 1);
  bn_clock_manual_advance(2000000000);
  drain();
  ck_assert_int_eq(rig->ups, 1);
  send_frames(5, 2, 7);
  ck_assert_uint_eq(rig->got, 4);
  rig_close();
}
END_TEST

START_TEST(blackhole_drops_with_the_carrier_up)
{
  rig_open("ingress blackhole\n", 1);
  send_frames(1, 5, 7);
  ck_assert_uint_eq(rig->got, 0);
  ck_assert_uint_eq(stats().ingress.blackholed, 5);
  ck_assert_int_eq(rig->downs, 0);
  rig_close();
}
END_TEST

START_TEST(egress_delay_is_released_by_the_poll)
{
  bn_clock_manual_start(1000000000);
  rig_open("egress delay 20ms loss 0%\n", 1);
  uint8_t f[BN_LINK_MAX_FRAME];
  for (uint32_t i = 1; i <= 3; i++) {
    size_t len = make_frame(f, i, 7);
    ck_assert_int_eq(bn_link_send(rig->stage, f, len, 0), 0);
  }
  struct rig *r = rig;
  bn_link_rx rx = { .frame = got_frame };
  ck_assert_uint_eq(bn_link_egress_held(r->stage), 3); /* what bn_stack_settle() waits for */
  ck_assert_uint_eq(bn_link_egress_held(r->wire), 0);
  drain();
  ck_assert_int_eq(bn_link_poll(r->wire, &rx, BN_LINK_NOW), 0);
  ck_assert_uint_eq(bn_link_egress_held(r->stage), 3);
  bn_clock_manual_advance(20000000);
  drain();
  ck_assert_uint_eq(bn_link_egress_held(r->stage), 0);
  ck_assert_int_eq(bn_link_poll(r->wire, &rx, BN_LINK_NOW), 3);
  ck_assert_uint_eq(r->got, 3);
  rig_close();
}
END_TEST

/* The decision log of a run of 5000 frames to each of ports 7 and 9, without its times. */
static char *decisions(const char *text, uint64_t seed)
{
  rig_open(text, seed);
  for (uint32_t i = 1; i <= 5000; i++) {
    send_frames(i, 1, 7);
    send_frames(100000 + i, 1, 9);
  }
  fflush(rig->log_file);
  char *out = malloc(rig->log_len + 1);
  size_t n = 0;
  for (char *line = strtok(rig->log, "\n"); line != NULL; line = strtok(NULL, "\n")) {
    const char *rest = line[0] == '#' ? line : strchr(line, ' ');
    n += (size_t)sprintf(out + n, "%s\n", rest);
  }
  out[n] = '\0';
  rig_close();
  return out;
}

START_TEST(same_seed_same_decisions)
{
  const char *text = "ingress delay 1ms 500us 25% loss 10% 25% duplicate 3% corrupt 2% reorder 5% gap 2\n";
  char *a = decisions(text, 77), *b = decisions(text, 77), *c = decisions(text, 78);
  ck_assert(strlen(a) > 1000);
  ck_assert(strcmp(a, b) == 0);
  ck_assert(strcmp(a, c) != 0);
  free(a), free(b), free(c);
}
END_TEST

/* The lines of log that name rule. */
static char *lines_of(const char *log, const char *rule)
{
  char *out = calloc(1, strlen(log) + 1);
  const char *p = log;
  while (*p != '\0') {
    const char *e = strchr(p, '\n');
    size_t n = (size_t)(e - p) + 1;
    if (memmem(p, n, rule, strlen(rule)) != NULL) {
      strncat(out, p, n);
    }
    p += n;
  }
  return out;
}

START_TEST(a_new_rule_for_another_flow_changes_no_decision_of_this_one)
{
  char *one = decisions("match \"udp dst port 7\" ingress loss 30% duplicate 10%\n", 5);
  char *two = decisions("match \"udp dst port 7\" ingress loss 30% duplicate 10%\n"
                        "match \"udp dst port 9\" ingress loss 50% corrupt 10%\n", 5);
  char *a = lines_of(one, "port 7"), *b = lines_of(two, "port 7"), *c = lines_of(two, "port 9");
  ck_assert(strlen(a) > 100);
  ck_assert(strlen(c) > 100);
  if (strcmp(a, b) != 0) {
    fprintf(stderr, "%.2000s\n----\n%.2000s\n", a, b);
  }
  ck_assert(strcmp(a, b) == 0);
  free(one), free(two), free(a), free(b), free(c);
}
END_TEST

START_TEST(a_later_directive_replaces_only_its_kind)
{
  bn_clock_manual_start(1000000000);
  rig_open("at 0s ingress delay 10ms loss 0%\nat 1s ingress loss 100%\nat 2s clear\n", 1);
  send_frames(1, 2, 7);
  bn_clock_manual_advance(1000000000);
  drain();
  ck_assert_uint_eq(rig->got, 2);  /* the delay held them 10 ms */
  send_frames(3, 2, 7);
  ck_assert_uint_eq(stats().ingress.lost, 2);
  bn_clock_manual_advance(1000000000);
  send_frames(5, 2, 7);
  ck_assert_uint_eq(rig->got, 4);  /* cleared: no delay, no loss */
  rig_close();
}
END_TEST

START_TEST(delay_distributions_have_their_mean_and_spread)
{
  static const enum bn_scn_dist dists[] = { BN_SCN_DIST_UNIFORM, BN_SCN_DIST_NORMAL, BN_SCN_DIST_PARETO, BN_SCN_DIST_PARETONORMAL };
  for (size_t d = 0; d < 4; d++) {
    bn_rng r;
    bn_rng_seed(&r, 1, "test");
    bn_impair_corr c = { 0 };
    double sum = 0, sq = 0;
    const int n = 200000;
    uint64_t lo = UINT64_MAX;
    for (int i = 0; i < n; i++) {
      double v = (double)bn_impair_delay_draw(&r, &c, 100000000, 10000000, 0, dists[d]) / 1e6;
      sum += v;
      sq += v * v;
      lo = v < lo ? (uint64_t)v : lo;
    }
    double mean = sum / n, sd = sqrt(sq / n - mean * mean);
    ck_assert_msg(fabs(mean - 100) < 0.5, "dist %zu: mean %.2f ms", d, mean);
    /* uniform +-10 ms has a deviation of 10/sqrt(3) ms; the others 10 ms */
    double want_sd = d == 0 ? 10 / sqrt(3) : 10;
    ck_assert_msg(fabs(sd - want_sd) < 0.6, "dist %zu: deviation %.2f ms", d, sd);
    if (d == 0) {
      ck_assert_uint_ge(lo, 90);
    }
  }
}
END_TEST

START_TEST(a_correlated_chance_starts_unbiased)
{
  /* netem seeds a correlation's memory at random: with loss 1% 99%, the
   * first frame of a run is lost about 1% of the time, not always */
  int first_lost = 0;
  for (uint64_t seed = 1; seed <= 200; seed++) {
    rig_open("ingress loss 1% 99%\n", seed);
    send_frames(1, 1, 7);
    first_lost += rig->got == 0;
    rig_close();
  }
  ck_assert_msg(first_lost <= 20, "the first frame was lost in %d of 200 runs", first_lost);
}
END_TEST

START_TEST(a_duplicated_frame_that_is_lost_goes_out_once)
{
  /* netem_enqueue(): count = 1 + duplicate - loss */
  rig_open("ingress loss 100% duplicate 100%\n", 1);
  send_frames(1, 50, 7);
  ck_assert_uint_eq(rig->got, 50);
  bn_impair_stats st = stats();
  ck_assert_uint_eq(st.ingress.lost, 0);
  ck_assert_uint_eq(st.ingress.duplicated, 0);
  rig_close();
}
END_TEST

START_TEST(limit_zero_drops_every_frame)
{
  rig_open("ingress limit 0\n", 1);
  send_frames(1, 5, 7);
  ck_assert_uint_eq(rig->got, 0);
  ck_assert_uint_eq(stats().ingress.limited, 5);
  rig_close();
}
END_TEST

START_TEST(a_flap_within_one_round_still_reports_down_and_up)
{
  bn_clock_manual_start(1000000000);
  rig_open("at 1s link down\nat 1s link up\n", 1);
  drain();
  bn_clock_manual_advance(1000000000);
  drain();
  ck_assert_int_eq(rig->downs, 1);
  ck_assert_int_eq(rig->ups, 1);
  rig_close();
}
END_TEST

Suite *bn_test_suite(void)
{
  Suite *s = suite_create("impair");
  TCase *tc = tcase_create("engine");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, loss_random_10_percent_over_100k_frames);
  tcase_add_test(tc, loss_zero_percent_loses_nothing);
  tcase_add_test(tc, gilbert_elliott_gives_the_configured_burst_length);
  tcase_add_test(tc, four_state_markov_loses_its_stationary_share);
  tcase_add_test(tc, duplicate_and_corrupt_counts_and_one_bit_each);
  tcase_add_test(tc, reorder_with_gap_sends_every_fifth_frame_early);
  tcase_add_test(tc, delay_releases_at_its_time_and_not_before);
  tcase_add_test(tc, rate_delivers_its_bytes_per_second_of_board_clock);
  tcase_add_test(tc, limit_drops_what_the_queue_cannot_hold);
  tcase_add_test(tc, slot_releases_bursts_of_its_packets);
  tcase_add_test(tc, slot_distribution_draws_each_slot_from_it);
  tcase_add_test(tc, mtu_drops_larger_packets);
  tcase_add_test(tc, nth_first_every_aim_at_their_frames);
  tcase_add_test(tc, aims_on_one_rule_add_up);
  tcase_add_test(tc, thousands_of_nth_aims_hit_exactly_their_frames);
  tcase_add_test(tc, clear_removes_every_aim_of_its_rule);
  tcase_add_test(tc, an_exact_corrupt_flips_that_bit);
  tcase_add_test(tc, frame_numbers_count_from_time_0_as_aims_do);
  tcase_add_test(tc, link_down_reports_carrier_and_drops_until_up);
  tcase_add_test(tc, blackhole_drops_with_the_carrier_up);
  tcase_add_test(tc, egress_delay_is_released_by_the_poll);
  tcase_add_test(tc, same_seed_same_decisions);
  tcase_add_test(tc, a_new_rule_for_another_flow_changes_no_decision_of_this_one);
  tcase_add_test(tc, a_later_directive_replaces_only_its_kind);
  tcase_add_test(tc, delay_distributions_have_their_mean_and_spread);
  tcase_add_test(tc, a_correlated_chance_starts_unbiased);
  tcase_add_test(tc, a_duplicated_frame_that_is_lost_goes_out_once);
  tcase_add_test(tc, limit_zero_drops_every_frame);
  tcase_add_test(tc, a_flap_within_one_round_still_reports_down_and_up);
  suite_add_tcase(s, tc);
  return s;
}
