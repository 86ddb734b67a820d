/*
 * The configuration parsers and checks (stack/bn_config.h): IPv4 addresses
 * and prefixes, MAC addresses, ports, static address sanity, default MACs.
 * Every rejection must be -EINVAL with a non-empty one-line message.
 */
#include "bn_test.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "bn_config.h"
#include "lwip/opt.h"  /* the board profile: BN_BOARD_OUI */

/* The message of a failed call: non-empty, one line, NUL-terminated in the buffer. */
static void assert_message(const char err[BN_CONFIG_ERRLEN])
{
  ck_assert_ptr_nonnull(memchr(err, '\0', BN_CONFIG_ERRLEN));
  ck_assert_uint_gt(strlen(err), 0);
  ck_assert_ptr_null(strchr(err, '\n'));
}

static ip4_addr_t ip(uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
  ip4_addr_t addr;
  IP4_ADDR(&addr, a, b, c, d);
  return addr;
}

static int same(ip4_addr_t x, ip4_addr_t y)
{
  return ip4_addr_get_u32(&x) == ip4_addr_get_u32(&y);
}

/* ---- IPv4 addresses ------------------------------------------------------- */

static void assert_ip4_ok(const char *text, uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
  char err[BN_CONFIG_ERRLEN] = "";
  ip4_addr_t addr;
  ip4_addr_set_u32(&addr, 0x12345678);
  ck_assert_msg(bn_config_parse_ip4(text, &addr, err) == 0, "'%s' rejected: %s", text, err);
  ip4_addr_t want = ip(a, b, c, d);
  ck_assert_msg(same(addr, want), "'%s' parsed wrong", text);
}

static void assert_ip4_bad(const char *text)
{
  char err[BN_CONFIG_ERRLEN] = "";
  ip4_addr_t addr;
  ck_assert_msg(bn_config_parse_ip4(text, &addr, err) == -EINVAL, "'%s' accepted", text ? text : "NULL");
  assert_message(err);
}

START_TEST(ip4_valid)
{
  assert_ip4_ok("192.0.2.2", 192, 0, 2, 2);
  assert_ip4_ok("0.0.0.0", 0, 0, 0, 0);
  assert_ip4_ok("255.255.255.255", 255, 255, 255, 255);
  assert_ip4_ok("198.18.0.1", 198, 18, 0, 1);
  assert_ip4_ok("198.19.3.99", 198, 19, 3, 99);
}
END_TEST

START_TEST(ip4_invalid)
{
  assert_ip4_bad("192.0.2");
  assert_ip4_bad("256.1.1.1");
  assert_ip4_bad("1.2.3.256");
  assert_ip4_bad("1.2.3.4.5");
  assert_ip4_bad("");
  assert_ip4_bad("01234.1.1.1");
  assert_ip4_bad(" 1.2.3.4");
  assert_ip4_bad("1.2.3.4 ");
  assert_ip4_bad("1.2.3.4/24");
  assert_ip4_bad("1..2.3");
  assert_ip4_bad("1.2.3.");
  assert_ip4_bad(".1.2.3");
  assert_ip4_bad("-1.2.3.4");
  assert_ip4_bad("+1.2.3.4");
  assert_ip4_bad("0x7f.0.0.1");
  assert_ip4_bad("a.b.c.d");
  assert_ip4_bad("4294967296.1.1.1");
  assert_ip4_bad(NULL);
  /* no message buffer: still -EINVAL, no crash */
  ip4_addr_t addr;
  ck_assert_int_eq(bn_config_parse_ip4("1.2.3", &addr, NULL), -EINVAL);
}
END_TEST

/* ---- prefixes ------------------------------------------------------------- */

static void assert_prefix_ok(const char *text, ip4_addr_t want_addr, ip4_addr_t want_mask)
{
  char err[BN_CONFIG_ERRLEN] = "";
  ip4_addr_t addr, mask;
  ck_assert_msg(bn_config_parse_ip4_prefix(text, &addr, &mask, err) == 0, "'%s' rejected: %s", text, err);
  ck_assert_msg(same(addr, want_addr), "'%s': wrong address", text);
  ck_assert_msg(same(mask, want_mask), "'%s': wrong netmask %08x", text,
                (unsigned)lwip_ntohl(ip4_addr_get_u32(&mask)));
}

static void assert_prefix_bad(const char *text)
{
  char err[BN_CONFIG_ERRLEN] = "";
  ip4_addr_t addr, mask;
  ck_assert_msg(bn_config_parse_ip4_prefix(text, &addr, &mask, err) == -EINVAL, "'%s' accepted",
                text ? text : "NULL");
  assert_message(err);
}

START_TEST(prefix_valid)
{
  assert_prefix_ok("192.0.2.2/24", ip(192, 0, 2, 2), ip(255, 255, 255, 0));
  assert_prefix_ok("192.0.2.2", ip(192, 0, 2, 2), ip(255, 255, 255, 0));  /* default /24 */
  assert_prefix_ok("198.18.0.1/15", ip(198, 18, 0, 1), ip(255, 254, 0, 0));
  assert_prefix_ok("192.0.2.2/32", ip(192, 0, 2, 2), ip(255, 255, 255, 255));
  assert_prefix_ok("192.0.2.2/31", ip(192, 0, 2, 2), ip(255, 255, 255, 254));
  assert_prefix_ok("198.18.0.1/1", ip(198, 18, 0, 1), ip(128, 0, 0, 0));
  assert_prefix_ok("198.18.0.1/8", ip(198, 18, 0, 1), ip(255, 0, 0, 0));
}
END_TEST

START_TEST(prefix_invalid)
{
  assert_prefix_bad("192.0.2.2/0");
  assert_prefix_bad("192.0.2.2/33");
  assert_prefix_bad("192.0.2.2/x");
  assert_prefix_bad("192.0.2.2/");
  assert_prefix_bad("192.0.2.2/24x");
  assert_prefix_bad("192.0.2.2/-1");
  assert_prefix_bad("192.0.2.2/ 24");
  assert_prefix_bad("192.0.2.2/100");
  assert_prefix_bad("192.0.2.2//24");
  assert_prefix_bad("192.0.2.2 /24");
  assert_prefix_bad("192.0.2/24");
  assert_prefix_bad("256.0.2.2/24");
  assert_prefix_bad("/24");
  assert_prefix_bad("");
  assert_prefix_bad(NULL);
}
END_TEST

/* ---- MAC addresses -------------------------------------------------------- */

static void assert_mac_ok(const char *text, const uint8_t want[6])
{
  char err[BN_CONFIG_ERRLEN] = "";
  uint8_t mac[6] = { 0 };
  ck_assert_msg(bn_config_parse_mac(text, mac, err) == 0, "'%s' rejected: %s", text, err);
  ck_assert_mem_eq(mac, want, 6);
}

static void assert_mac_bad(const char *text)
{
  char err[BN_CONFIG_ERRLEN] = "";
  uint8_t mac[6];
  ck_assert_msg(bn_config_parse_mac(text, mac, err) == -EINVAL, "'%s' accepted", text ? text : "NULL");
  assert_message(err);
}

START_TEST(mac_valid)
{
  static const uint8_t board[6] = { 0x02, 0xb0, 0x4e, 0x00, 0x00, 0x01 };
  static const uint8_t mixed[6] = { 0x28, 0xcd, 0xc1, 0xab, 0xcd, 0xef };
  assert_mac_ok("02:b0:4e:00:00:01", board);
  assert_mac_ok("02-b0-4e-00-00-01", board);
  assert_mac_ok("02:B0:4E:00:00:01", board);
  assert_mac_ok("28-CD-c1-Ab-cD-eF", mixed);
}
END_TEST

START_TEST(mac_invalid)
{
  assert_mac_bad("02:b0-4e:00:00:01");   /* mixed separators */
  assert_mac_bad("02-b0-4e-00-00:01");
  assert_mac_bad("01:00:5e:00:00:01");   /* multicast */
  assert_mac_bad("ff:ff:ff:ff:ff:ff");   /* broadcast */
  assert_mac_bad("00:00:00:00:00:00");   /* no address at all */
  assert_mac_bad("00-00-00-00-00-00");
  assert_mac_bad("03:b0:4e:00:00:01");
  assert_mac_bad("02:b0:4e:00:00");      /* wrong length */
  assert_mac_bad("02:b0:4e:00:00:01:02");
  assert_mac_bad("02:b0:4e:00:00:1");
  assert_mac_bad("2:b0:4e:00:00:01:");
  assert_mac_bad("02:b0:4e:00:00:0g");   /* not hex */
  assert_mac_bad("02.b0.4e.00.00.01");   /* unknown separator */
  assert_mac_bad("02 b0 4e 00 00 01");
  assert_mac_bad("02b04e000001xxxxx");
  assert_mac_bad("02:b0:4e:00:00:01 ");
  assert_mac_bad("");
  assert_mac_bad(NULL);
}
END_TEST

/* ---- ports ---------------------------------------------------------------- */

static void assert_port_ok(const char *text, uint16_t want)
{
  char err[BN_CONFIG_ERRLEN] = "";
  uint16_t port = 0;
  ck_assert_msg(bn_config_parse_port(text, &port, err) == 0, "'%s' rejected: %s", text, err);
  ck_assert_uint_eq(port, want);
}

static void assert_port_bad(const char *text)
{
  char err[BN_CONFIG_ERRLEN] = "";
  uint16_t port;
  ck_assert_msg(bn_config_parse_port(text, &port, err) == -EINVAL, "'%s' accepted", text ? text : "NULL");
  assert_message(err);
}

START_TEST(port_valid)
{
  assert_port_ok("1", 1);
  assert_port_ok("80", 80);
  assert_port_ok("8080", 8080);
  assert_port_ok("65535", 65535);
}
END_TEST

START_TEST(port_invalid)
{
  assert_port_bad("0");
  assert_port_bad("65536");
  assert_port_bad("99999");
  assert_port_bad("4294967297");
  assert_port_bad("-1");
  assert_port_bad("+80");
  assert_port_bad("12a");
  assert_port_bad(" 80");
  assert_port_bad("80 ");
  assert_port_bad("0x50");
  assert_port_bad("");
  assert_port_bad(NULL);
}
END_TEST

/* ---- static configuration ------------------------------------------------- */

static int check(ip4_addr_t addr, ip4_addr_t mask, ip4_addr_t gw, char err[BN_CONFIG_ERRLEN])
{
  err[0] = '\0';
  return bn_config_check_ip4(&addr, &mask, &gw, err);
}

static void assert_check_ok(ip4_addr_t addr, ip4_addr_t mask, ip4_addr_t gw)
{
  char err[BN_CONFIG_ERRLEN];
  int rc = check(addr, mask, gw, err);
  ck_assert_msg(rc == 0, "rejected: %s", err);
}

static void assert_check_bad(ip4_addr_t addr, ip4_addr_t mask, ip4_addr_t gw)
{
  char err[BN_CONFIG_ERRLEN];
  ck_assert_int_eq(check(addr, mask, gw, err), -EINVAL);
  assert_message(err);
}

START_TEST(check_ip4_valid)
{
  ip4_addr_t none = ip(0, 0, 0, 0);
  assert_check_ok(ip(192, 0, 2, 2), ip(255, 255, 255, 0), ip(192, 0, 2, 1));
  assert_check_ok(ip(192, 0, 2, 2), ip(255, 255, 255, 0), none);
  assert_check_ok(ip(192, 0, 2, 254), ip(255, 255, 255, 0), ip(192, 0, 2, 1));
  assert_check_ok(ip(198, 18, 0, 1), ip(255, 254, 0, 0), none);
  assert_check_ok(ip(198, 19, 255, 254), ip(255, 254, 0, 0), ip(198, 18, 0, 1));
  /* /31 (RFC 3021): both addresses are hosts */
  assert_check_ok(ip(192, 0, 2, 0), ip(255, 255, 255, 254), ip(192, 0, 2, 1));
  assert_check_ok(ip(192, 0, 2, 1), ip(255, 255, 255, 254), ip(192, 0, 2, 0));
  /* /32: a single host */
  assert_check_ok(ip(192, 0, 2, 0), ip(255, 255, 255, 255), none);
  assert_check_ok(ip(192, 0, 2, 255), ip(255, 255, 255, 255), none);
  /* /30: the two middle addresses */
  assert_check_ok(ip(192, 0, 2, 5), ip(255, 255, 255, 252), ip(192, 0, 2, 6));
  /* no gateway pointer at all */
  ip4_addr_t a = ip(192, 0, 2, 2), m = ip(255, 255, 255, 0);
  ck_assert_int_eq(bn_config_check_ip4(&a, &m, NULL, NULL), 0);
}
END_TEST

START_TEST(check_ip4_invalid)
{
  ip4_addr_t none = ip(0, 0, 0, 0);
  ip4_addr_t m24 = ip(255, 255, 255, 0);
  /* netmask not contiguous, or empty */
  assert_check_bad(ip(192, 0, 2, 2), ip(255, 255, 0, 255), none);
  assert_check_bad(ip(192, 0, 2, 2), ip(255, 0, 255, 0), none);
  assert_check_bad(ip(192, 0, 2, 2), ip(0, 255, 255, 255), none);
  assert_check_bad(ip(192, 0, 2, 2), ip(255, 255, 255, 253), none);
  assert_check_bad(ip(192, 0, 2, 2), none, none);
  /* network and broadcast addresses */
  assert_check_bad(ip(192, 0, 2, 0), m24, none);
  assert_check_bad(ip(192, 0, 2, 255), m24, none);
  assert_check_bad(ip(192, 0, 2, 4), ip(255, 255, 255, 252), none);
  assert_check_bad(ip(192, 0, 2, 7), ip(255, 255, 255, 252), none);
  assert_check_bad(ip(198, 19, 255, 255), ip(255, 254, 0, 0), none);
  /* gateway outside the subnet, or the board itself */
  assert_check_bad(ip(192, 0, 2, 2), m24, ip(198, 18, 0, 1));
  assert_check_bad(ip(192, 0, 2, 2), m24, ip(192, 0, 3, 1));
  assert_check_bad(ip(192, 0, 2, 2), m24, ip(192, 0, 2, 2));
  assert_check_bad(ip(192, 0, 2, 2), ip(255, 255, 255, 255), ip(192, 0, 2, 1));
  /* not a host address at all */
  assert_check_bad(none, m24, none);
  assert_check_bad(ip(127, 0, 0, 1), ip(255, 0, 0, 0), none);
  assert_check_bad(ip(224, 0, 0, 1), m24, none);
  assert_check_bad(ip(255, 255, 255, 255), ip(255, 255, 255, 255), none);
  /* no message buffer: still -EINVAL */
  ip4_addr_t a = ip(192, 0, 2, 0);
  ck_assert_int_eq(bn_config_check_ip4(&a, &m24, NULL, NULL), -EINVAL);
}
END_TEST

/*
 * Was a bug, fixed (stack/bn_config.c, bn_config_check_ip4): a
 * gateway that is its subnet's network or broadcast address is accepted, so
 * `--gw 192.0.2.255` starts a board whose off-link traffic goes nowhere.
 */
START_TEST(check_ip4_gateway_must_be_a_host)
{
  ip4_addr_t m24 = ip(255, 255, 255, 0);
  assert_check_bad(ip(192, 0, 2, 2), m24, ip(192, 0, 2, 255));
  assert_check_bad(ip(192, 0, 2, 2), m24, ip(192, 0, 2, 0));
  assert_check_bad(ip(192, 0, 2, 5), ip(255, 255, 255, 252), ip(192, 0, 2, 7));
}
END_TEST

/* ---- default MAC ---------------------------------------------------------- */

START_TEST(default_mac_is_the_boards_and_stable)
{
#ifndef BN_BOARD_MAC_LAA_INDEX
  const uint8_t oui[3] = { (uint8_t)((BN_BOARD_OUI >> 16) & 0xfe), (uint8_t)(BN_BOARD_OUI >> 8),
                           (uint8_t)BN_BOARD_OUI };
#endif
  static const char *const seeds[] = { "tap0", "tap1", "bn0", "", "a-rather-long-interface-name" };
  uint8_t macs[5][6];
  for (int i = 0; i < 5; i++) {
    memset(macs[i], 0xff, 6);
    bn_config_default_mac(seeds[i], macs[i]);
    ck_assert_uint_eq(macs[i][0] & 1, 0);  /* unicast */
#ifdef BN_BOARD_MAC_LAA_INDEX
    ck_assert_uint_eq(macs[i][0], 0x02);  /* locally administered, as the board's */
    ck_assert_uint_eq(macs[i][5] & 3, BN_BOARD_MAC_LAA_INDEX);
#else
    ck_assert_mem_eq(macs[i], oui, 3);    /* the vendor's OUI */
#endif
    /* a valid board MAC by the parser's rules too */
    char text[18], err[BN_CONFIG_ERRLEN] = "";
    uint8_t back[6];
    snprintf(text, sizeof(text), "%02x:%02x:%02x:%02x:%02x:%02x", macs[i][0], macs[i][1], macs[i][2],
             macs[i][3], macs[i][4], macs[i][5]);
    ck_assert_msg(bn_config_parse_mac(text, back, err) == 0, "%s: %s", text, err);
    ck_assert_mem_eq(back, macs[i], 6);
  }
  /* same seed, same MAC */
  uint8_t again[6];
  bn_config_default_mac("tap0", again);
  ck_assert_mem_eq(again, macs[0], 6);
  /* different seeds, different MACs */
  for (int i = 0; i < 5; i++) {
    for (int j = i + 1; j < 5; j++) {
      ck_assert_msg(memcmp(macs[i], macs[j], 6) != 0, "'%s' and '%s' share a MAC", seeds[i], seeds[j]);
    }
  }
  /* NULL seed is the empty seed */
  bn_config_default_mac(NULL, again);
  ck_assert_mem_eq(again, macs[3], 6);
}
END_TEST

Suite *bn_test_suite(void)
{
  Suite *s = suite_create("config");
  TCase *tc = tcase_create("parsers");
  tcase_add_test(tc, ip4_valid);
  tcase_add_test(tc, ip4_invalid);
  tcase_add_test(tc, prefix_valid);
  tcase_add_test(tc, prefix_invalid);
  tcase_add_test(tc, mac_valid);
  tcase_add_test(tc, mac_invalid);
  tcase_add_test(tc, port_valid);
  tcase_add_test(tc, port_invalid);
  tcase_add_test(tc, check_ip4_valid);
  tcase_add_test(tc, check_ip4_invalid);
  tcase_add_test(tc, check_ip4_gateway_must_be_a_host);
  tcase_add_test(tc, default_mac_is_the_boards_and_stable);
  suite_add_tcase(s, tc);
  return s;
}
