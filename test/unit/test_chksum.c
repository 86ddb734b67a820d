/*
 * The port's LWIP_CHKSUM (stack/port/bn_chksum.c) against the Internet checksum
 * by definition (RFC 1071: 16-bit words in memory order, a last odd byte
 * padded with zero, one's complement sum), for every length up to 2 KiB at
 * every alignment, long buffers, and the RFC's own example.
 */
#include "bn_test.h"

#include <stdlib.h>
#include <string.h>

uint16_t bn_chksum(const void *dataptr, int len);

/* The definition, two bytes at a time. */
static uint16_t reference(const uint8_t *p, int len)
{
  uint32_t sum = 0;
  for (int i = 0; i + 1 < len; i += 2) {
    uint16_t h;
    memcpy(&h, p + i, 2);
    sum += h;
    sum = (sum & 0xffff) + (sum >> 16);
  }
  if (len & 1) {
    uint16_t h = 0;
    memcpy(&h, p + len - 1, 1);
    sum += h;
  }
  while (sum >> 16) {
    sum = (sum & 0xffff) + (sum >> 16);
  }
  return (uint16_t)sum;
}

START_TEST(rfc1071_example)
{
  /* RFC 1071 section 3: 00 01 f2 03 f4 f5 f6 f7 sums to 0xddf2 (network order). */
  static const uint8_t data[8] = { 0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7 };
  uint16_t sum = bn_chksum(data, sizeof(data));
  uint8_t bytes[2];
  memcpy(bytes, &sum, 2);
  ck_assert_uint_eq(bytes[0], 0xdd);
  ck_assert_uint_eq(bytes[1], 0xf2);
}
END_TEST

START_TEST(a_correct_ipv4_header_sums_to_ffff)
{
  static const uint8_t ip[20] = { 0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
                                  0xb8, 0x61, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7 };
  ck_assert_uint_eq(bn_chksum(ip, sizeof(ip)), 0xffff);
}
END_TEST

START_TEST(every_length_and_alignment_matches_the_definition)
{
  enum { MAX = 2048 };
  static uint8_t buf[MAX + 16];
  srand(1071);
  for (size_t i = 0; i < sizeof(buf); i++) {
    buf[i] = (uint8_t)rand();
  }
  for (int off = 0; off < 8; off++) {
    for (int len = 0; len <= MAX; len++) {
      ck_assert_msg(bn_chksum(buf + off, len) == reference(buf + off, len), "offset %d length %d", off, len);
    }
  }
  ck_assert_uint_eq(bn_chksum(buf, -1), 0);
}
END_TEST

START_TEST(all_ones_and_long_buffers)
{
  /* Carries in every word: 0xffff words fold to 0xffff, never to 0. */
  enum { LONG = 70000 };
  uint8_t *big = malloc(LONG);
  ck_assert_ptr_nonnull(big);
  memset(big, 0xff, LONG);
  ck_assert_uint_eq(bn_chksum(big, LONG), 0xffff);
  ck_assert_uint_eq(bn_chksum(big, 3), reference(big, 3));
  memset(big, 0, LONG);
  ck_assert_uint_eq(bn_chksum(big, LONG), 0);
  for (int i = 0; i < LONG; i++) {
    big[i] = (uint8_t)(i * 7 + 3);
  }
  ck_assert_uint_eq(bn_chksum(big, LONG), reference(big, LONG));
  ck_assert_uint_eq(bn_chksum(big + 1, LONG - 1), reference(big + 1, LONG - 1));
  free(big);
}
END_TEST

Suite *bn_test_suite(void)
{
  Suite *s = suite_create("chksum");
  TCase *tc = tcase_create("sum");
  tcase_add_test(tc, rfc1071_example);
  tcase_add_test(tc, a_correct_ipv4_header_sums_to_ffff);
  tcase_add_test(tc, every_length_and_alignment_matches_the_definition);
  tcase_add_test(tc, all_ones_and_long_buffers);
  suite_add_tcase(s, tc);
  return s;
}
