/*
 * The decision log written back as aims (what `boardnet shrink` does): a run
 * of random faults (loss, duplicate, corrupt; nothing queued) over frames of
 * both directions, on a hand-driven clock, logs its decisions; each line
 * becomes `at 0s DIR nth FRAME ACTION` (drop, duplicate, corrupt byte B bit
 * K); the same frames through a fresh stage with only those aims meet the
 * same fate, copy for copy and byte for byte; with the timeline started
 * after some frames passed (start_later) too.
 */
#define _GNU_SOURCE
#include "bn_test.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture.h"
#include "frames.h"
#include "link_impair.h"
#include "link_memory.h"
#include "scn.h"

#define FRAMES 600

static const struct frame_host peer = { { 0x02, 0, 0, 0, 0, 1 }, { 192, 0, 2, 1 } };
static const struct frame_host board = { { 0x02, 0, 0, 0, 0, 2 }, { 192, 0, 2, 2 } };

/* What became of one frame: the copies that left the stage, one after the other. */
struct fate {
  size_t copies;
  size_t len;                  /* of all copies together */
  uint8_t bytes[2 * BN_LINK_MAX_FRAME];
};

/* One run: the stage on one end of a memory link, the test on the other. */
struct run {
  bn_link *wire, *stage;
  bn_scn_scenario s;
  char *log;
  size_t log_len;
  FILE *log_file;
  struct fate *now;            /* the frame at hand's */
};

static void got(void *arg, const uint8_t *frame, size_t len, uint64_t ts_ns)
{
  (void)ts_ns;
  struct fate *f = ((struct run *)arg)->now;
  ck_assert_uint_le(f->len + len, sizeof(f->bytes));
  memcpy(f->bytes + f->len, frame, len);
  f->len += len;
  f->copies++;
}

static void run_open(struct run *r, const char *text, uint64_t seed, bool start_later)
{
  memset(r, 0, sizeof(*r));
  char err[BN_SCN_ERRLEN];
  ck_assert_msg(bn_scn_parse("test.scn", text, strlen(text), &r->s, err) == 0, "%s", err);
  bn_link *end;
  ck_assert_int_eq(bn_link_memory_pair(65536, &r->wire, &end), 0);
  r->log_file = open_memstream(&r->log, &r->log_len);
  bn_impair_options o = { .scenario = &r->s, .seed = seed, .decisions = r->log_file, .start_later = start_later };
  ck_assert_int_eq(bn_link_impair_open(end, &o, &r->stage), 0);
}

static void run_close(struct run *r)
{
  bn_link_close(r->stage);
  bn_link_close(r->wire);
  fclose(r->log_file);
  free(r->log);
  bn_scn_free(&r->s);
}

/* Frame i of the run: its direction (about half each way) and its bytes,
 * UDP of a varied length and content, the same every run. */
static size_t frame_of(uint32_t i, bool *egress, uint8_t *buf)
{
  uint32_t x = i * 2654435761u + 12345;
  x ^= x >> 15, x *= 2246822519u, x ^= x >> 13;
  *egress = x & 1;
  uint8_t payload[1400];
  size_t n = (x >> 1) % sizeof(payload);
  for (size_t k = 0; k < n; k++) {
    payload[k] = (uint8_t)(x >> (k % 24) ^ k);
  }
  const struct frame_host *src = *egress ? &board : &peer, *dst = *egress ? &peer : &board;
  return frame_udp(buf, src, dst, (uint16_t)(5000 + i % 7), (uint16_t)(7 + i % 3), payload, n);
}

/* Frames first..last-1 through the run, each one's fate into fates[i] (the
 * clock moves a little between them: no queue, so nothing waits). */
static void pass(struct run *r, uint32_t first, uint32_t last, struct fate *fates)
{
  bn_link_rx rx = { .frame = got, .arg = r };
  for (uint32_t i = first; i < last; i++) {
    uint8_t f[BN_LINK_MAX_FRAME];
    bool egress;
    size_t len = frame_of(i, &egress, f);
    r->now = &fates[i];
    r->now->copies = r->now->len = 0;
    /* egress: the board sends it, the wire gets it; ingress the other way */
    ck_assert_int_eq(bn_link_send(egress ? r->stage : r->wire, f, len, bn_clock_now_ns()), 0);
    while (bn_link_poll(egress ? r->wire : r->stage, &rx, BN_LINK_NOW) > 0) {
    }
    bn_clock_manual_advance(137000 + 1000 * (i % 11));
  }
}

/* The decision log of r as aims at 0s, one a line (any other action fails). */
static char *as_aims(struct run *r, size_t *lines)
{
  fflush(r->log_file);
  size_t cap = r->log_len + 64, n = 0;
  char *out = malloc(cap);
  *lines = 0;
  out[0] = '\0';
  for (char *line = strtok(r->log, "\n"); line != NULL; line = strtok(NULL, "\n")) {
    if (line[0] == '#') {
      continue;  /* a step */
    }
    char dir[16], rule[16], action[64];
    uint64_t frame;
    ck_assert_msg(sscanf(line, "%*s %15s %" SCNu64 " %15s %63[^\n]", dir, &frame, rule, action) == 4, "%s", line);
    ck_assert_str_eq(rule, "*");
    ck_assert_msg(strcmp(action, "drop loss") == 0 || strcmp(action, "duplicate") == 0 ||
                  strncmp(action, "corrupt byte ", 13) == 0, "not a fault an aim makes: %s", line);
    ck_assert_uint_ge(frame, 1);
    n += (size_t)snprintf(out + n, cap - n, "at 0s %s nth %" PRIu64 " %s\n", dir, frame,
                          strncmp(action, "drop", 4) == 0 ? "drop" : action);
    ck_assert_uint_lt(n, cap);
    (*lines)++;
  }
  return out;
}

/* The random run, then its log as aims over the same frames: the same fates. */
static void replay_as_aims(uint32_t before_start)
{
  static const char faults[] = "both loss 10% duplicate 5% corrupt 5%\n";
  struct fate *want = calloc(FRAMES, sizeof(*want)), *got_fates = calloc(FRAMES, sizeof(*got_fates));
  struct run r;
  bn_clock_manual_start(1000000000);
  run_open(&r, faults, 11, before_start > 0);
  pass(&r, 0, before_start, want);
  if (before_start > 0) {
    ck_assert_int_eq(bn_link_impair_start(r.stage), 0);
  }
  pass(&r, before_start, FRAMES, want);
  bn_impair_stats st;
  ck_assert_int_eq(bn_link_impair_stats(r.stage, &st), 0);
  size_t lines;
  char *aims = as_aims(&r, &lines);
  run_close(&r);
  /* every kind of fault, both ways, and each line one aim */
  for (int d = 0; d < 2; d++) {
    const bn_impair_dir_stats *s = d ? &st.ingress : &st.egress;
    ck_assert_msg(s->lost > 3 && s->duplicated > 3 && s->corrupted > 3, "%s: %" PRIu64 " lost, %" PRIu64
                  " duplicated, %" PRIu64 " corrupted", d ? "ingress" : "egress", s->lost, s->duplicated, s->corrupted);
  }
  ck_assert_uint_eq(lines, st.egress.lost + st.egress.duplicated + st.egress.corrupted + st.ingress.lost +
                    st.ingress.duplicated + st.ingress.corrupted);

  run_open(&r, aims, 99, before_start > 0);  /* another seed: aims draw nothing */
  pass(&r, 0, before_start, got_fates);
  if (before_start > 0) {
    ck_assert_int_eq(bn_link_impair_start(r.stage), 0);
  }
  pass(&r, before_start, FRAMES, got_fates);
  for (uint32_t i = 0; i < FRAMES; i++) {
    ck_assert_msg(want[i].copies == got_fates[i].copies, "frame %" PRIu32 ": %zu copies, the aims gave %zu", i,
                  want[i].copies, got_fates[i].copies);
    ck_assert_uint_eq(want[i].len, got_fates[i].len);
    ck_assert_msg(memcmp(want[i].bytes, got_fates[i].bytes, want[i].len) == 0, "frame %" PRIu32 ": other bytes", i);
  }
  bn_impair_stats aimed;
  ck_assert_int_eq(bn_link_impair_stats(r.stage, &aimed), 0);
  ck_assert_uint_eq(aimed.egress.aimed, st.egress.lost);
  ck_assert_uint_eq(aimed.ingress.aimed, st.ingress.lost);
  ck_assert_uint_eq(aimed.egress.corrupted + aimed.ingress.corrupted, st.egress.corrupted + st.ingress.corrupted);
  run_close(&r);
  free(aims);
  free(want), free(got_fates);
  bn_clock_manual_stop();
}

START_TEST(the_decision_log_as_aims_repeats_every_fate)
{
  replay_as_aims(0);
}
END_TEST

START_TEST(the_decision_log_as_aims_repeats_every_fate_after_a_late_start)
{
  replay_as_aims(97);
}
END_TEST

Suite *bn_test_suite(void)
{
  Suite *s = suite_create("impair_log_replay");
  TCase *tc = tcase_create("log_as_aims");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, the_decision_log_as_aims_repeats_every_fate);
  tcase_add_test(tc, the_decision_log_as_aims_repeats_every_fate_after_a_late_start);
  suite_add_tcase(s, tc);
  return s;
}
