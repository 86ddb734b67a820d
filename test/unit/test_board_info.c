/*
 * The board profile as `boardnet info` reports it: its one-line description
 * must not promise other limits than its lwipopts.h sets (the socket count,
 * the TCP connections), and the report shows both.
 */
#include "bn_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bn_board.h"
#include "lwip/opt.h"

/* The number written just before `word` in text (e.g. "64 sockets"), or -1. */
static long number_before(const char *text, const char *word)
{
  const char *at = strstr(text, word);
  if (at == NULL) {
    return -1;
  }
  const char *p = at;
  while (p > text && p[-1] == ' ') {
    p--;
  }
  while (p > text && p[-1] >= '0' && p[-1] <= '9') {
    p--;
  }
  return p < at && *p >= '0' && *p <= '9' ? strtol(p, NULL, 10) : -1;
}

START_TEST(board_description_agrees_with_its_limits)
{
  const char *d = bn_board_description();
  long sockets = number_before(d, " sockets");
  if (sockets >= 0) {
    ck_assert_int_eq(sockets, MEMP_NUM_NETCONN);
    /* a socket count beyond the TCP pcbs must say how many of them can be TCP connections */
    if (sockets > MEMP_NUM_TCP_PCB) {
      ck_assert_int_eq(number_before(d, " TCP connections"), MEMP_NUM_TCP_PCB);
    }
  }
  long conns = number_before(d, " TCP connections");
  if (conns >= 0) {
    ck_assert_int_eq(conns, MEMP_NUM_TCP_PCB);
  }
}
END_TEST

START_TEST(board_info_shows_sockets_and_tcp_connections)
{
  char *text = NULL;
  size_t len = 0;
  FILE *out = open_memstream(&text, &len);
  ck_assert_ptr_nonnull(out);
  bn_board_print_info(out);
  fclose(out);
  char want[128];
  snprintf(want, sizeof(want), "sockets:                %d (TCP connections %d,", MEMP_NUM_NETCONN,
           MEMP_NUM_TCP_PCB);
  ck_assert_ptr_nonnull(strstr(text, want));
  snprintf(want, sizeof(want), "MEMP_NUM_TCP_PCB:       %d\n", MEMP_NUM_TCP_PCB);
  ck_assert_ptr_nonnull(strstr(text, want));
  free(text);
}
END_TEST

Suite *bn_test_suite(void)
{
  Suite *s = suite_create("board_info");
  TCase *tc = tcase_create("board_info");
  tcase_add_test(tc, board_description_agrees_with_its_limits);
  tcase_add_test(tc, board_info_shows_sockets_and_tcp_connections);
  suite_add_tcase(s, tc);
  return s;
}
