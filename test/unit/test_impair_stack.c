/*
 * The impairment stage under a running lwIP (stack/bn_stack.h on a memory
 * link, the stage between): a scenario's `link down` reaches lwIP as the
 * netif's link going down (NETIF_FLAG_LINK_UP, what DHCP, ARP and TCP react
 * to), `link up` brings it back, and `blackhole` leaves it up.
 */
#include "bn_test.h"

#include <string.h>

#include "bn_stack.h"
#include "link_impair.h"
#include "link_memory.h"

static bn_link *wire, *stage;
static bn_scn_scenario scenario;

static void start(const char *text)
{
  char err[BN_SCN_ERRLEN];
  ck_assert_msg(bn_scn_parse("t.scn", text, strlen(text), &scenario, err) == 0, "%s", err);
  bn_link *end;
  ck_assert_int_eq(bn_link_memory_pair(64, &end, &wire), 0);
  bn_impair_options o = { .scenario = &scenario, .seed = 1 };
  ck_assert_int_eq(bn_link_impair_open(end, &o, &stage), 0);
  bn_config cfg;
  memset(&cfg, 0, sizeof(cfg));
  cfg.link = stage;
  IP4_ADDR(&cfg.ip, 192, 0, 2, 2);
  IP4_ADDR(&cfg.netmask, 255, 255, 255, 0);
  ck_assert_int_eq(bn_stack_start(&cfg), 0);
}

static void stop(void)
{
  bn_stack_stop();
  bn_link_close(wire);
  bn_scn_free(&scenario);
}

/* Waits (at most 5 s) until lwIP's link is up (or down); true if it got there. */
static bool wait_link(bool up)
{
  for (int i = 0; i < 500; i++) {
    bn_stack_status st;
    ck_assert_int_eq(bn_stack_status_get(&st), 0);
    if (st.link_up == up) {
      return true;
    }
    bn_clock_sleep_ms(10);
  }
  return false;
}

START_TEST(link_down_and_up_reach_lwip)
{
  start("at 1s link down\nat 2s link up\n");
  ck_assert(wait_link(true));
  bn_impair_stats st;
  ck_assert_int_eq(bn_link_impair_stats(stage, &st), 0);
  ck_assert_uint_eq(st.steps_done, 0);  /* up before the scenario took it down */
  ck_assert(wait_link(false));
  ck_assert_int_eq(bn_link_impair_stats(stage, &st), 0);
  ck_assert_uint_ge(st.steps_done, 1);
  ck_assert(wait_link(true));
  ck_assert_int_eq(bn_link_impair_stats(stage, &st), 0);
  ck_assert_uint_eq(st.steps_done, 2);
  stop();
}
END_TEST

START_TEST(blackhole_leaves_lwip_link_up)
{
  start("at 0s both blackhole\nat 1s link down\n");
  ck_assert(wait_link(true));
  bn_impair_stats st;
  ck_assert_int_eq(bn_link_impair_stats(stage, &st), 0);
  ck_assert_uint_eq(st.steps_done, 1);  /* the blackhole is in force, the link up */
  ck_assert(wait_link(false));  /* and the timeline goes on */
  stop();
}
END_TEST

Suite *bn_test_suite(void)
{
  Suite *s = suite_create("impair_stack");
  TCase *tc = tcase_create("carrier");
  tcase_set_timeout(tc, 30);
  tcase_add_test(tc, link_down_and_up_reach_lwip);
  tcase_add_test(tc, blackhole_leaves_lwip_link_up);
  suite_add_tcase(s, tc);
  return s;
}
