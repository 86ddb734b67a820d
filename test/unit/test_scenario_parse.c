/*
 * The scenario language (scenarios/scn.h): netem's units, every directive
 * into the timeline, every error as file:line:col naming its token, and the
 * round trip through the printer (what `boardnet check` prints parses back
 * to the same timeline).
 */
#define _GNU_SOURCE
#include "bn_test.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "scn.h"
#include "scn_reader.h"
#include "scn_units.h"

START_TEST(times_take_netem_units_and_need_one)
{
  static const struct {
    const char *tok;
    uint64_t ns;
  } good[] = {
    { "2.5s", 2500000000u }, { "1500ms", 1500000000u }, { "20us", 20000 }, { "100ns", 100 }, { "1sec", 1000000000u },
    { "3secs", 3000000000u }, { "5msec", 5000000 }, { "7usecs", 7000 }, { "0s", 0 }, { ".5s", 500000000 },
    { "1MS", 1000000 },
  };
  for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
    uint64_t ns = 1;
    ck_assert_msg(bn_scn_parse_time(good[i].tok, &ns) == 0, "%s", good[i].tok);
    ck_assert_uint_eq(ns, good[i].ns);
  }
  static const char *const bad[] = { "5", "5m", "-1s", "1e3s", "inf", "nans", "0x10s", "s", "", "1.2.3s", "5 s" };
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    uint64_t ns;
    ck_assert_msg(bn_scn_parse_time(bad[i], &ns) == -EINVAL, "%s", bad[i]);
  }
}
END_TEST

START_TEST(rates_take_tc_units)
{
  static const struct {
    const char *tok;
    uint64_t bits;
  } good[] = {
    { "250kbit", 250000 }, { "1mbit", 1000000 }, { "1gbit", 1000000000 }, { "1Kibit", 1024 },
    { "1mibit", 1048576 }, { "10Mbps", 80000000 }, { "1kbps", 8000 }, { "1000", 1000 }, { "1bit", 1 },
    { "0bit", 0 }, { "1.5mbit", 1500000 },
  };
  for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
    uint64_t b = 1;
    ck_assert_msg(bn_scn_parse_rate(good[i].tok, &b) == 0, "%s", good[i].tok);
    ck_assert_uint_eq(b, good[i].bits);
  }
  uint64_t b;
  ck_assert_int_eq(bn_scn_parse_rate("10furlongs", &b), -EINVAL);
  ck_assert_int_eq(bn_scn_parse_rate("-1kbit", &b), -EINVAL);
}
END_TEST

START_TEST(percentages_sizes_and_counts)
{
  double p = -1;
  ck_assert_int_eq(bn_scn_parse_percent("25%", &p), 0);
  ck_assert(p == 25);
  ck_assert_int_eq(bn_scn_parse_percent("0.1%", &p), 0);
  ck_assert(p == 0.1);
  ck_assert_int_eq(bn_scn_parse_percent("25", &p), 0);  /* tc takes it without '%' too */
  ck_assert(p == 25);
  ck_assert_int_eq(bn_scn_parse_percent("100%", &p), 0);
  ck_assert_int_eq(bn_scn_parse_percent("0%", &p), 0);
  ck_assert(p == 0);
  static const char *const bad[] = { "101%", "25%%", "-1%", "%", "x%", "1e2%" };
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    ck_assert_msg(bn_scn_parse_percent(bad[i], &p) == -EINVAL, "%s", bad[i]);
  }
  uint32_t sz;
  ck_assert_int_eq(bn_scn_parse_size("64kb", &sz), 0);
  ck_assert_uint_eq(sz, 65536);
  ck_assert_int_eq(bn_scn_parse_size("1500", &sz), 0);
  ck_assert_uint_eq(sz, 1500);
  ck_assert_int_eq(bn_scn_parse_size("1mbit", &sz), 0);
  ck_assert_uint_eq(sz, 131072);
  ck_assert_int_eq(bn_scn_parse_size("5gb", &sz), -EINVAL);  /* more than 32 bits */
  uint64_t v;
  ck_assert_int_eq(bn_scn_parse_count("42", 1, 100, &v), 0);
  ck_assert_uint_eq(v, 42);
  ck_assert_int_eq(bn_scn_parse_count("0", 1, 100, &v), -EINVAL);
  ck_assert_int_eq(bn_scn_parse_count("4x", 0, 100, &v), -EINVAL);
  ck_assert_int_eq(bn_scn_parse_count("99999999999999999999", 0, UINT64_MAX, &v), -EINVAL);
  int64_t s;
  ck_assert_int_eq(bn_scn_parse_signed("-20", -100, 100, &s), 0);
  ck_assert_int_eq(s, -20);
}
END_TEST

START_TEST(printers_read_back_exactly)
{
  char buf[64];
  uint64_t ns;
  static const uint64_t times[] = { 0, 1, 999, 1000, 2500000000u, 1500000000u, 20000, 123456789, 60100000000u,
                                    1000000001u, (UINT64_C(1) << 53) - 1 };
  for (size_t i = 0; i < sizeof(times) / sizeof(times[0]); i++) {
    bn_scn_format_time(buf, sizeof(buf), times[i]);
    ck_assert_int_eq(bn_scn_parse_time(buf, &ns), 0);
    ck_assert_uint_eq(ns, times[i]);
  }
  bn_scn_format_time(buf, sizeof(buf), 2500000000u);
  ck_assert_str_eq(buf, "2.5s");  /* seconds with decimals, not 2500ms */
  bn_scn_format_time(buf, sizeof(buf), 60100000000u);
  ck_assert_str_eq(buf, "60.1s");
  bn_scn_format_time(buf, sizeof(buf), 250000000u);
  ck_assert_str_eq(buf, "250ms");
  bn_scn_format_rate(buf, sizeof(buf), 250000);
  ck_assert_str_eq(buf, "250kbit");
  static const double pcts[] = { 0, 0.1, 25, 33.333333333333336, 99.99, 1e-5 };
  for (size_t i = 0; i < sizeof(pcts) / sizeof(pcts[0]); i++) {
    double p;
    bn_scn_format_percent(buf, sizeof(buf), pcts[i]);
    ck_assert_int_eq(bn_scn_parse_percent(buf, &p), 0);
    ck_assert_msg(p == pcts[i], "%s", buf);
  }
}
END_TEST

static bn_scn_scenario parsed;

static const bn_scn_scenario *parse_ok(const char *text)
{
  char err[BN_SCN_ERRLEN];
  bn_scn_free(&parsed);
  ck_assert_msg(bn_scn_parse("t.scn", text, strlen(text), &parsed, err) == 0, "%s: %s", text, err);
  return &parsed;
}

START_TEST(every_directive_into_the_timeline)
{
  const bn_scn_scenario *s = parse_ok(
    "seed 42\n"
    "at 0s      both delay 20ms 5ms 25% distribution normal   # netem's words\n"
    "at 0s      egress loss gemodel 1% 10% 70% 0.1%\n"
    "at 10s     link down\n"
    "after 2s   link up\n"
    "at 15s     ingress blackhole\n"
    "at 20s     match \"tcp port 80\" egress reorder 25% 50% gap 5 delay 10ms\n"
    "at 25s     both rate 250kbit limit 50\n"
    "at 26s     match \"tcp port 80\" nth 3 egress drop\n"
    "at 27s     loss state 1% 2% 3% 4% 5% duplicate 1% corrupt 0.1% 30% mtu 576\n"
    "at 28s     slot 1ms 5ms packets 10 bytes 64kb\n"
    "at 28.5s   ingress slot distribution pareto 10ms 2ms packets 4\n"
    "at 29s     pool PBUF_POOL exhaust 90%\n"
    "           fail TCP_PCB next 2\n"
    "           fail heap next 1\n"
    "at 29.5s   clear pools\n"
    "at 30s     clear\n"
    "at 31s     match \"udp\" first 2 delay 5ms\n"
    "at 32s     egress clear\n"
    "at 40s     end\n");
  ck_assert(s->seed_given);
  ck_assert_uint_eq(s->seed, 42);
  ck_assert_uint_eq(s->n_steps, 19);
  ck_assert_uint_eq(s->n_matches, 2);
  const bn_scn_step *st = s->steps;
  ck_assert_int_eq(st[0].kind, BN_SCN_STEP_IMPAIR);
  ck_assert_uint_eq(st[0].dir, BN_SCN_BOTH);
  ck_assert_uint_eq(st[0].netem.set, BN_SCN_NM_DELAY);
  ck_assert_uint_eq(st[0].netem.delay.time_ns, 20000000);
  ck_assert_uint_eq(st[0].netem.delay.jitter_ns, 5000000);
  ck_assert(st[0].netem.delay.corr_pct == 25);
  ck_assert_int_eq(st[0].netem.delay.dist, BN_SCN_DIST_NORMAL);
  ck_assert_uint_eq(st[1].dir, BN_SCN_EGRESS);
  ck_assert_int_eq(st[1].netem.loss.model, BN_SCN_LOSS_GEMODEL);
  ck_assert(st[1].netem.loss.pct[0] == 1 && st[1].netem.loss.pct[1] == 10 && st[1].netem.loss.pct[2] == 70 &&
            st[1].netem.loss.pct[3] == 0.1);
  ck_assert_int_eq(st[2].kind, BN_SCN_STEP_LINK);
  ck_assert(!st[2].up);
  ck_assert_uint_eq(st[3].at_ns, 12000000000u);  /* after 2s */
  ck_assert(st[3].up);
  ck_assert_uint_eq(st[4].dir, BN_SCN_INGRESS);
  ck_assert_uint_eq(st[4].netem.set, BN_SCN_NM_BLACKHOLE);
  ck_assert_int_eq(st[5].match, 0);
  ck_assert_str_eq(s->matches[0].filter, "tcp port 80");
  ck_assert_uint_eq(st[5].netem.set, BN_SCN_NM_REORDER | BN_SCN_NM_DELAY);
  ck_assert_uint_eq(st[5].netem.reorder.gap, 5);
  ck_assert(st[5].netem.reorder.chance.pct == 25 && st[5].netem.reorder.chance.corr_pct == 50);
  ck_assert_uint_eq(st[6].netem.rate.bits_per_s, 250000);
  ck_assert_uint_eq(st[6].netem.limit, 50);
  ck_assert_int_eq(st[7].kind, BN_SCN_STEP_AIM);
  ck_assert_int_eq(st[7].match, 0);  /* the same filter, the same match */
  ck_assert_int_eq(st[7].aim.select, BN_SCN_SEL_NTH);
  ck_assert_uint_eq(st[7].aim.n, 3);
  ck_assert_int_eq(st[7].aim.action, BN_SCN_ACT_DROP);
  ck_assert_int_eq(st[8].netem.loss.model, BN_SCN_LOSS_STATE);
  ck_assert(st[8].netem.corrupt.pct == 0.1 && st[8].netem.corrupt.corr_pct == 30);
  ck_assert_uint_eq(st[8].netem.mtu, 576);
  ck_assert_uint_eq(st[9].netem.slot.min_ns, 1000000);
  ck_assert_uint_eq(st[9].netem.slot.max_ns, 5000000);
  ck_assert_uint_eq(st[9].netem.slot.packets, 10);
  ck_assert_uint_eq(st[9].netem.slot.bytes, 65536);
  ck_assert(!st[9].netem.slot.dist_set);
  ck_assert_uint_eq(st[10].netem.set, BN_SCN_NM_SLOT);   /* tc-netem's slot distribution */
  ck_assert(st[10].netem.slot.dist_set);
  ck_assert_int_eq(st[10].netem.slot.dist, BN_SCN_DIST_PARETO);
  ck_assert_uint_eq(st[10].netem.slot.delay_ns, 10000000);
  ck_assert_uint_eq(st[10].netem.slot.jitter_ns, 2000000);
  ck_assert_uint_eq(st[10].netem.slot.packets, 4);
  ck_assert_int_eq(st[11].kind, BN_SCN_STEP_POOL_EXHAUST);
  ck_assert_str_eq(st[11].pool.name, "PBUF_POOL");
  ck_assert(st[11].pool.share_pct == 90);
  ck_assert_int_eq(st[12].kind, BN_SCN_STEP_POOL_FAIL);
  ck_assert_uint_eq(st[12].at_ns, 29000000000u);  /* no time: the line before's */
  ck_assert_uint_eq(st[12].pool.next, 2);
  ck_assert_str_eq(st[13].pool.name, "heap");
  ck_assert_int_eq(st[14].kind, BN_SCN_STEP_CLEAR_POOLS);
  ck_assert_int_eq(st[15].kind, BN_SCN_STEP_CLEAR);
  ck_assert(st[15].match_all_clear);
  ck_assert_int_eq(st[16].aim.action, BN_SCN_ACT_DELAY);
  ck_assert_uint_eq(st[16].aim.delay_ns, 5000000);
  ck_assert_uint_eq(st[17].dir, BN_SCN_EGRESS);
  ck_assert_int_eq(st[18].kind, BN_SCN_STEP_END);
  ck_assert_uint_eq(st[18].line, 20);
  bn_scn_free(&parsed);
}
END_TEST

START_TEST(tc_defaults_for_loss_models_and_reorder)
{
  const bn_scn_scenario *s = parse_ok("loss state 5%\nloss gemodel 2%\ndelay 1ms reorder 10%\nloss 3%\n");
  const double *st = s->steps[0].netem.loss.pct;
  ck_assert(st[0] == 5 && st[1] == 95 && st[2] == 0 && st[3] == 100 && st[4] == 0);
  const double *ge = s->steps[1].netem.loss.pct;
  ck_assert(ge[0] == 2 && ge[1] == 98 && ge[2] == 100 && ge[3] == 0);
  ck_assert_uint_eq(s->steps[2].netem.reorder.gap, 1);
  ck_assert_int_eq(s->steps[3].netem.loss.model, BN_SCN_LOSS_RANDOM);  /* tc's old "loss P" */
  ck_assert(s->steps[3].netem.loss.pct[0] == 3);
  bn_scn_free(&parsed);
}
END_TEST

/* Each bad line: the message must start with its position and name the token. */
static const struct {
  const char *text, *where, *says;
} errors[] = {
  { "at 5s delai 10ms\n", "t.scn:1:7: ", "'delai': unknown impairment" },
  { "at 5 delay 10ms\n", "t.scn:1:4: ", "'5': the time needs a unit" },
  { "delay 10ms 5ms 101%\n", "t.scn:1:16: ", "'101%': the delay correlation must be a percentage" },
  { "delay ten\n", "t.scn:1:7: ", "'ten': the delay is not a time" },
  { "at 3s link sideways\n", "t.scn:1:12: ", "'sideways': 'down' or 'up' expected" },
  { "match \"tcp port\" delay 1ms\n", "t.scn:1:7: ", "match \"tcp port\": " },
  { "match tcp delay 1ms\n", "t.scn:1:7: ", "match needs a filter in double quotes" },
  { "match \"tcp\" nth 0 drop\n", "t.scn:1:17: ", "'0': the frame count must be a whole number" },
  { "reorder 25%\n", "t.scn:1:1: ", "reordering needs a delay" },
  { "egress ingress delay 1ms\n", "t.scn:1:8: ", "'ingress': a second direction" },
  { "loss gemodel\n", "t.scn:1:13: ", "p expected at the end of the line" },
  { "loss bursty 5%\n", "t.scn:1:6: ", "'bursty': unknown loss model" },
  { "rate 10furlongs\n", "t.scn:1:6: ", "'10furlongs': not a rate" },
  { "at 10s delay 1ms\nat 5s delay 2ms\n", "t.scn:2:4: ", "'5s': time goes back" },
  { "delay 1ms delay 2ms\n", "t.scn:1:11: ", "'delay' given twice" },
  { "match \"tcp nth 3 drop\n", "t.scn:1:7: ", "unterminated string" },
  { "link down egress\n", "t.scn:1:11: ", "'egress': unexpected here" },
  { "egress link down\n", "t.scn:1:1: ", "'link' takes no direction" },
  { "nth 3 loss 5%\n", "t.scn:1:7: ", "'loss': not an action" },
  { "gap 4 delay 1ms\n", "t.scn:1:1: ", "'gap' without a reorder probability" },
  { "delay 1ms reorder 0% gap 4\n", "t.scn:1:22: ", "'gap' without a reorder probability above 0%" },
  { "delay 1ms distribution normal\n", "t.scn:1:11: ", "'distribution' without a delay and a jitter" },
  { "delay 0ms 1ms reorder 5%\n", "t.scn:1:15: ", "reordering needs a delay" },
  { "at 1s end\nat 2s link up\n", "t.scn:2:1: ", "'at': nothing happens after the scenario's end (line 1)" },
  { "at 9000000000s link down\nafter 300000000s link up\n", "t.scn:2:7: ", "too far" },
  { "seed 1 2\n", "t.scn:1:8: ", "'2': nothing may follow the seed" },
  { "seed 1\nseed 2\n", "t.scn:2:1: ", "a second seed" },
  { "fail heap next 0\n", "t.scn:1:16: ", "'0': the number of allocations to fail" },
  { "pool heap exhaust 5%\n", "t.scn:1:6: ", "the heap cannot be held" },
  { "pool PBUF_POOL drain 5%\n", "t.scn:1:16: ", "'drain': 'exhaust' expected" },
  { "pool PBUF-POOL exhaust 5%\n", "t.scn:1:6: ", "'PBUF-POOL': not a pool name" },
  { "drop\n", "t.scn:1:1: ", "'drop' needs a selector" },
  { "x\"y\"\n", "t.scn:1:2: ", "a string must start a word" },
  { "\"x\"y\n", "t.scn:1:4: ", "a blank must follow a string" },
  { "at 1s\n", "t.scn:1:6: ", "a directive expected after the time" },
  { "distribution normal delay 1ms 1ms\ndistribution normal\n", "t.scn:2:1: ", "'distribution' without a delay and a jitter" },
  { "slot 5ms 1ms\n", "t.scn:1:10: ", "the longest slot is shorter" },
  /* A bare time is refused everywhere, saying how tc would have read it
   * (tc's reading of a bare delay changed with iproute2 6.9). */
  { "slot 10 200\n", "t.scn:1:6: ", "'10': the slot's shortest time needs a unit (s, ms, us or ns); tc would read it "
                                     "as nanoseconds" },
  { "delay 10\n", "t.scn:1:7: ", "'10': the delay needs a unit (s, ms, us or ns); tc would read it as nanoseconds "
                                  "(as microseconds before iproute2 6.9)" },
  { "slot distribution normal 10ms 2\n", "t.scn:1:31: ", "'2': the slot's jitter needs a unit" },
  { "slot distribution normal 10ms 0us\n", "t.scn:1:31: ", "'0us': the slot's jitter must be more than 0" },
  { "slot distribution gauss 1ms 1ms\n", "t.scn:1:19: ", "'gauss': unknown distribution" },
  { "mtu 70000\n", "t.scn:1:5: ", "'70000': the MTU must be a whole number" },
  { "\n\n   clear \"x\"\n", "t.scn:3:10: ", "'x': unexpected here" },
  { "delay 1ms\x01\n", "t.scn:1:10: ", "control character" },
  { "at 1s delay 1ms\nnth 2\n", "t.scn:2:6: ", "an action (drop, corrupt, duplicate or delay TIME) expected" },
  /* corrupt's exact place: byte B bit K */
  { "nth 3 corrupt byte 40 bit 8\n", "t.scn:1:27: ", "'8': the bit must be a whole number from 0 to 7" },
  { "nth 3 corrupt byte\n", "t.scn:1:19: ", "the byte expected at the end of the line" },
  { "nth 3 corrupt byte 4\n", "t.scn:1:21: ", "'byte 4' needs its bit: 'bit K' expected" },
  { "nth 3 corrupt byte 4 bat 1\n", "t.scn:1:22: ", "'bat': 'bit K' expected after 'byte 4'" },
  { "nth 3 corrupt byte 70000 bit 1\n", "t.scn:1:20: ", "'70000': the byte must be a whole number from 0 to 65535" },
  { "nth 3 corrupt bit 3\n", "t.scn:1:15: ", "'bit' without 'byte'" },
  { "nth 3 drop byte 4 bit 1\n", "t.scn:1:12: ", "'byte': unexpected here" },
  { "corrupt 5% byte 4 bit 1\n", "t.scn:1:12: ", "'byte': unknown impairment" },
};

START_TEST(every_error_names_its_place_and_token)
{
  for (size_t i = 0; i < sizeof(errors) / sizeof(errors[0]); i++) {
    bn_scn_scenario s;
    char err[BN_SCN_ERRLEN];
    int rc = bn_scn_parse("t.scn", errors[i].text, strlen(errors[i].text), &s, err);
    ck_assert_msg(rc == -EINVAL, "accepted: %s", errors[i].text);
    ck_assert_msg(strncmp(err, errors[i].where, strlen(errors[i].where)) == 0, "%s -> %s", errors[i].text, err);
    ck_assert_msg(strstr(err, errors[i].says) != NULL, "%s -> %s (not: %s)", errors[i].text, err, errors[i].says);
    ck_assert_ptr_null(s.steps);  /* nothing half-parsed is left */
  }
}
END_TEST

START_TEST(a_nul_byte_and_a_long_line_are_errors)
{
  bn_scn_scenario s;
  char err[BN_SCN_ERRLEN];
  static const char nul[] = "delay 1ms\n\0x\n";
  ck_assert_int_eq(bn_scn_parse("t.scn", nul, sizeof(nul) - 1, &s, err), -EINVAL);
  ck_assert_msg(strstr(err, "t.scn:2:1: a NUL byte") != NULL, "%s", err);
  size_t n = 20000;
  char *line = malloc(n + 1);
  memset(line, 'a', n);
  line[n] = '\0';
  ck_assert_int_eq(bn_scn_parse("t.scn", line, n, &s, err), -EINVAL);
  ck_assert_msg(strstr(err, "line longer than") != NULL, "%s", err);
  free(line);
}
END_TEST

static char *print_of(const bn_scn_scenario *s)
{
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  ck_assert_int_eq(bn_scn_print(s, f), 0);
  fclose(f);
  return buf;
}

START_TEST(check_output_parses_back_to_the_same_timeline)
{
  static const char text[] =
    "seed 9\n"
    "at 0s both delay 20ms 5ms 25% distribution paretonormal loss random 1% 25%\n"
    "at 1.5s egress match \"tcp[tcpflags] & tcp-syn != 0 and host \\\"x\\\" \" every 2 corrupt\n"
    "after 1us egress nth 4 corrupt byte 13 bit 0\n"
    "after 250ms ingress rate 1Mbps -4 48 5 limit 0 mtu 1500 duplicate 0% corrupt 1%\n"
    "after 1us slot 800us 10ms packets 64 bytes 65535 blackhole\n"
    "after 1us ingress slot distribution paretonormal 2ms 500us bytes 3000\n"
    "at 3s loss state 1% 2% 3% 4% 5% reorder 10% gap 3 delay 1ms\n"
    "at 3s egress match \"udp\" clear\n"
    "at 4s pool MEMP_NUM_X exhaust 33.3%\nfail heap next 7\nclear pools\nlink down\nlink up\nend\n";
  /* the filter with quotes in it does not compile: use a plain one for the round trip */
  char fixed[sizeof(text)];
  strcpy(fixed, text);
  char *q = strstr(fixed, " and host");
  memcpy(q, "         \\\" \\\" ", 15);
  memset(q, ' ', 15);
  bn_scn_scenario a, b;
  char err[BN_SCN_ERRLEN];
  ck_assert_msg(bn_scn_parse("a.scn", fixed, strlen(fixed), &a, err) == 0, "%s", err);
  char *pa = print_of(&a);
  ck_assert_msg(bn_scn_parse("b.scn", pa, strlen(pa), &b, err) == 0, "%s\n%s", err, pa);
  char *pb = print_of(&b);
  ck_assert_str_eq(pa, pb);
  ck_assert_uint_eq(a.n_steps, b.n_steps);
  ck_assert_uint_eq(a.n_matches, b.n_matches);
  for (size_t i = 0; i < a.n_steps; i++) {
    const bn_scn_step *x = &a.steps[i], *y = &b.steps[i];
    ck_assert_uint_eq(x->at_ns, y->at_ns);
    ck_assert_int_eq(x->kind, y->kind);
    ck_assert_uint_eq(x->dir, y->dir);
    ck_assert_int_eq(x->match, y->match);
    ck_assert_uint_eq(x->netem.set, y->netem.set);
    ck_assert(memcmp(&x->netem.delay, &y->netem.delay, sizeof(x->netem.delay)) == 0);
    ck_assert(memcmp(x->netem.loss.pct, y->netem.loss.pct, sizeof(x->netem.loss.pct)) == 0);
    ck_assert(x->netem.rate.bits_per_s == y->netem.rate.bits_per_s &&
              x->netem.rate.packet_overhead == y->netem.rate.packet_overhead &&
              x->netem.rate.cell_size == y->netem.rate.cell_size &&
              x->netem.rate.cell_overhead == y->netem.rate.cell_overhead);
    ck_assert(memcmp(&x->netem.slot, &y->netem.slot, sizeof(x->netem.slot)) == 0);
    ck_assert(x->aim.select == y->aim.select && x->aim.n == y->aim.n && x->aim.action == y->aim.action);
    ck_assert(x->aim.exact == y->aim.exact && x->aim.byte == y->aim.byte && x->aim.bit == y->aim.bit);
    ck_assert_str_eq(x->pool.name, y->pool.name);
  }
  ck_assert(b.seed_given && b.seed == 9);
  free(pa), free(pb);
  bn_scn_free(&a), bn_scn_free(&b);
}
END_TEST

START_TEST(long_times_and_tiny_percentages_round_trip)
{
  static const char text[] = "at 9007199254740993ns loss 0.0000000000000000001%\n"
                             "after 1ns delay 18446744073ms\n"
                             "at 9200000000s link down\n";
  bn_scn_scenario a, b;
  char err[BN_SCN_ERRLEN];
  ck_assert_msg(bn_scn_parse("a.scn", text, strlen(text), &a, err) == 0, "%s", err);
  ck_assert_uint_eq(a.steps[0].at_ns, UINT64_C(9007199254740993));  /* past 2^53: exact */
  ck_assert_uint_eq(a.steps[1].at_ns, UINT64_C(9007199254740994));
  char *pa = print_of(&a);
  ck_assert_msg(bn_scn_parse("b.scn", pa, strlen(pa), &b, err) == 0, "%s\n%s", err, pa);
  ck_assert_uint_eq(b.steps[0].at_ns, a.steps[0].at_ns);
  ck_assert_uint_eq(b.steps[1].at_ns, a.steps[1].at_ns);
  ck_assert(b.steps[0].netem.loss.pct[0] == a.steps[0].netem.loss.pct[0]);
  ck_assert(a.steps[0].netem.loss.pct[0] > 0);
  ck_assert_uint_eq(b.steps[1].netem.delay.time_ns, a.steps[1].netem.delay.time_ns);
  free(pa);
  bn_scn_free(&a), bn_scn_free(&b);
}
END_TEST

START_TEST(the_longest_filter_round_trips_and_a_longer_one_is_refused)
{
  /* a filter near BN_SCN_FILTER_MAX bytes, with a backslash in every term that
   * the printer writes back doubled: "ip proto \tcp or ip proto \tcp ..." */
  static const char term[] = "ip proto \\\\tcp or ";  /* in the file; 17 bytes of filter */
  size_t terms = (BN_SCN_FILTER_MAX - 13) / 17;
  char *text = malloc(terms * sizeof(term) + BN_SCN_FILTER_MAX + 64);
  size_t n = (size_t)sprintf(text, "match \"");
  for (size_t i = 0; i < terms; i++) {
    n += (size_t)sprintf(text + n, "%s", term);
  }
  sprintf(text + n, "ip proto \\\\tcp\" ingress loss 5%%\n");
  bn_scn_scenario a, b;
  char err[BN_SCN_ERRLEN];
  ck_assert_msg(bn_scn_parse("a.scn", text, strlen(text), &a, err) == 0, "%.200s", err);
  ck_assert_uint_le(strlen(a.matches[0].filter), BN_SCN_FILTER_MAX);
  ck_assert_uint_gt(strlen(a.matches[0].filter), BN_SCN_FILTER_MAX - 20);
  char *pa = print_of(&a);
  ck_assert_msg(bn_scn_parse("b.scn", pa, strlen(pa), &b, err) == 0, "%.200s", err);
  ck_assert_str_eq(a.matches[0].filter, b.matches[0].filter);
  free(pa);
  bn_scn_free(&a), bn_scn_free(&b);
  n = (size_t)sprintf(text, "match \"");
  memset(text + n, 'x', BN_SCN_FILTER_MAX + 1);
  sprintf(text + n + BN_SCN_FILTER_MAX + 1, "\" ingress loss 5%%\n");
  ck_assert_int_eq(bn_scn_parse("a.scn", text, strlen(text), &a, err), -EINVAL);
  ck_assert_msg(strstr(err, "a filter longer than 4096 bytes") != NULL, "%s", err);
  free(text);
}
END_TEST

START_TEST(a_filter_with_quotes_round_trips)
{
  bn_scn_scenario a, b;
  char err[BN_SCN_ERRLEN];
  static const char text[] = "match \"ether proto \\\\arp\" ingress loss 5%\n";
  ck_assert_msg(bn_scn_parse("a.scn", text, strlen(text), &a, err) == 0, "%s", err);
  ck_assert_str_eq(a.matches[0].filter, "ether proto \\arp");
  char *pa = print_of(&a);
  ck_assert_msg(bn_scn_parse("b.scn", pa, strlen(pa), &b, err) == 0, "%s", err);
  ck_assert_str_eq(b.matches[0].filter, a.matches[0].filter);
  free(pa);
  bn_scn_free(&a), bn_scn_free(&b);
}
END_TEST

START_TEST(aims_add_up_and_corrupt_takes_an_exact_bit)
{
  /* the lines `boardnet shrink` writes from a decision log: many aims on one rule */
  static const char text[] = "at 0s egress nth 17 drop\n"
                             "at 0s egress nth 31 corrupt byte 40 bit 3\n"
                             "at 0s ingress nth 9 delay 23.456ms\n"
                             "at 0s egress nth 5 duplicate\n"
                             "at 0s egress nth 5 corrupt\n"
                             "at 0s match \"udp\" every 2 ingress corrupt byte 0 bit 7\n";
  const bn_scn_scenario *s = parse_ok(text);
  ck_assert_uint_eq(s->n_steps, 6);
  const bn_scn_step *st = s->steps;
  for (size_t i = 0; i < 5; i++) {
    ck_assert_int_eq(st[i].kind, BN_SCN_STEP_AIM);
    ck_assert_int_eq(st[i].match, -1);
  }
  ck_assert_int_eq(st[1].aim.action, BN_SCN_ACT_CORRUPT);
  ck_assert(st[1].aim.exact);
  ck_assert_uint_eq(st[1].aim.byte, 40);
  ck_assert_uint_eq(st[1].aim.bit, 3);
  ck_assert_uint_eq(st[2].aim.delay_ns, 23456000);
  ck_assert(!st[4].aim.exact);  /* a random bit, as before */
  ck_assert(st[5].aim.exact && st[5].aim.byte == 0 && st[5].aim.bit == 7);
  ck_assert_int_eq(st[5].aim.select, BN_SCN_SEL_EVERY);
  /* `boardnet check` prints them back, and that parses to the same */
  char *pa = print_of(s);
  ck_assert_msg(strstr(pa, "egress nth 31 corrupt byte 40 bit 3\n") != NULL, "%s", pa);
  ck_assert_msg(strstr(pa, "egress nth 5 corrupt\n") != NULL, "%s", pa);
  ck_assert_msg(strstr(pa, "ingress match \"udp\" every 2 corrupt byte 0 bit 7\n") != NULL, "%s", pa);
  bn_scn_scenario b;
  char err[BN_SCN_ERRLEN];
  ck_assert_msg(bn_scn_parse("b.scn", pa, strlen(pa), &b, err) == 0, "%s\n%s", err, pa);
  char *pb = print_of(&b);
  ck_assert_str_eq(pa, pb);
  for (size_t i = 0; i < b.n_steps; i++) {
    ck_assert(memcmp(&b.steps[i].aim, &st[i].aim, sizeof(st[i].aim)) == 0);
  }
  char line[128];
  bn_scn_step_format(s, &st[1], line, sizeof(line));
  ck_assert_str_eq(line, "egress nth 31 corrupt byte 40 bit 3");
  free(pa), free(pb);
  bn_scn_free(&b);
  bn_scn_free(&parsed);
}
END_TEST

START_TEST(holds_frames_knows_which_directions_queue)
{
  const bn_scn_scenario *s = parse_ok("ingress delay 1ms\negress loss 5%\n");
  ck_assert(bn_scn_holds_frames(s, BN_SCN_INGRESS));
  ck_assert(!bn_scn_holds_frames(s, BN_SCN_EGRESS));
  s = parse_ok("match \"tcp\" first 1 egress delay 5ms\n");
  ck_assert(bn_scn_holds_frames(s, BN_SCN_EGRESS));
  bn_scn_free(&parsed);
}
END_TEST

START_TEST(load_reports_a_missing_file)
{
  bn_scn_scenario s;
  char err[BN_SCN_ERRLEN];
  ck_assert_int_eq(bn_scn_load("/nonexistent/x.scn", &s, err), -ENOENT);
  ck_assert_str_eq(err, "/nonexistent/x.scn: No such file or directory");
}
END_TEST

static void collect(void *arg, const char *message)
{
  char *all = arg;
  strncat(all, message, 4095 - strlen(all));
  strncat(all, "|", 4095 - strlen(all));
}

START_TEST(load_each_lists_every_error_and_names_the_word_meant)
{
  char path[] = "/tmp/bn-scn-XXXXXX";
  int fd = mkstemp(path);
  ck_assert_int_ge(fd, 0);
  static const char text[] = "at 1s ingres delay 5ms\nat 2s egress delay 5ms\nat 3s egress los 5%\nat 4s link dwn\n";
  ck_assert_int_eq(write(fd, text, sizeof(text) - 1), (ssize_t)(sizeof(text) - 1));
  close(fd);
  bn_scn_scenario s;
  char err[BN_SCN_ERRLEN], all[4096] = "";
  ck_assert_int_eq(bn_scn_load_each(path, &s, 20, collect, all, err), -EINVAL);
  ck_assert_msg(strstr(all, ":1:7: 'ingres': unknown impairment") && strstr(all, "did you mean 'ingress'?"), "%s", all);
  ck_assert_msg(strstr(all, ":3:14: 'los'") && strstr(all, "did you mean 'loss'?"), "%s", all);
  ck_assert_msg(strstr(all, ":4:12: 'dwn': 'down' or 'up' expected; did you mean 'down'?"), "%s", all);
  ck_assert_msg(strstr(err, ":1:7: 'ingres'") != NULL, "the first error in err: %s", err);
  /* Up to max: the first two only. */
  all[0] = '\0';
  ck_assert_int_eq(bn_scn_load_each(path, &s, 2, collect, all, err), -EINVAL);
  ck_assert_msg(strstr(all, ":3:14:") && !strstr(all, ":4:12:"), "%s", all);
  /* bn_scn_load() stops at the first. */
  ck_assert_int_eq(bn_scn_load(path, &s, err), -EINVAL);
  ck_assert_msg(strstr(err, ":1:7:") != NULL, "%s", err);
  unlink(path);
  ck_assert_ptr_null(bn_scn_nearest("x"));       /* too short to guess */
  ck_assert_ptr_null(bn_scn_nearest("delay"));   /* a word itself: no hint */
  ck_assert_ptr_null(bn_scn_nearest("bandwidth"));
}
END_TEST

START_TEST(merge_puts_the_scenario_on_the_base_one_flow_per_filter)
{
  static const char base_text[] = "at 0s both delay 1ms\n      match \"tcp port 80\" egress loss 1%\nat 5s link down\n";
  static const char own_text[] = "seed 9\nat 0s both delay 20ms\nat 1s match \"tcp port 80\" egress loss 50%\n"
                                 "at 2s match \"udp\" ingress loss 2%\n";
  bn_scn_scenario base, own;
  char err[BN_SCN_ERRLEN];
  ck_assert_msg(bn_scn_parse("b:link.scn", base_text, strlen(base_text), &base, err) == 0, "%s", err);
  ck_assert_msg(bn_scn_parse("own.scn", own_text, strlen(own_text), &own, err) == 0, "%s", err);
  ck_assert_int_eq(bn_scn_merge(&base, &own), 0);
  ck_assert_uint_eq(base.n_steps, 6);
  static const uint64_t at[] = { 0, 0, 0, 1000000000u, 2000000000u, 5000000000u };
  for (size_t i = 0; i < 6; i++) {
    ck_assert_uint_eq(base.steps[i].at_ns, at[i]);
  }
  /* At 0 s the base's two lines first, then the scenario's delay (it replaces the base's). */
  ck_assert_str_eq(base.steps[0].source, "b:link.scn");
  ck_assert_str_eq(base.steps[1].source, "b:link.scn");
  ck_assert_ptr_null(base.steps[2].source);
  ck_assert_uint_eq(base.steps[2].netem.delay.time_ns, 20000000u);
  /* "tcp port 80" is one flow of both; "udp" a new one. */
  ck_assert_uint_eq(base.n_matches, 2);
  ck_assert_int_eq(base.steps[1].match, base.steps[3].match);
  ck_assert_str_eq(base.matches[base.steps[4].match].filter, "udp");
  ck_assert_str_eq(base.path, "own.scn");
  ck_assert(base.seed_given && base.seed == 9);
  ck_assert_str_eq(base.steps[5].source, "b:link.scn");
  ck_assert_uint_eq(base.steps[5].line, 3);
  bn_scn_free(&base);
}
END_TEST

Suite *bn_test_suite(void)
{
  Suite *s = suite_create("scenario_parse");
  TCase *tc = tcase_create("language");
  tcase_add_test(tc, times_take_netem_units_and_need_one);
  tcase_add_test(tc, rates_take_tc_units);
  tcase_add_test(tc, percentages_sizes_and_counts);
  tcase_add_test(tc, printers_read_back_exactly);
  tcase_add_test(tc, every_directive_into_the_timeline);
  tcase_add_test(tc, tc_defaults_for_loss_models_and_reorder);
  tcase_add_test(tc, every_error_names_its_place_and_token);
  tcase_add_test(tc, a_nul_byte_and_a_long_line_are_errors);
  tcase_add_test(tc, check_output_parses_back_to_the_same_timeline);
  tcase_add_test(tc, a_filter_with_quotes_round_trips);
  tcase_add_test(tc, long_times_and_tiny_percentages_round_trip);
  tcase_add_test(tc, the_longest_filter_round_trips_and_a_longer_one_is_refused);
  tcase_add_test(tc, aims_add_up_and_corrupt_takes_an_exact_bit);
  tcase_add_test(tc, holds_frames_knows_which_directions_queue);
  tcase_add_test(tc, load_reports_a_missing_file);
  tcase_add_test(tc, load_each_lists_every_error_and_names_the_word_meant);
  tcase_add_test(tc, merge_puts_the_scenario_on_the_base_one_flow_per_filter);
  suite_add_tcase(s, tc);
  return s;
}
