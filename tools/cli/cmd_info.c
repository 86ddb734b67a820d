/*
 * boardnet info: the board profile in effect; --compare puts several
 * profiles side by side, --link prints the profile's link character.
 * boardnet boards: the profiles built, one line each.
 */
#include "cli.h"
#include "board_list.h"
#include "bn_board.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define INFO_MAX 8192
#define COMPARE_MAX 8

static const char info_usage[] =
  "Usage: boardnet [--board NAME] info\n"
  "       boardnet info --compare NAME,NAME[,...]\n"
  "       boardnet [--board NAME] info --link\n"
  "\n"
  "Prints the board profile this boardnet runs: its name, the lwIP version\n"
  "and the key options of its lwipopts.h (stack/boards/NAME/lwipopts.h),\n"
  "and the TCP timers they make (lwIP 2.1's tcp.c):\n"
  "  TCP initial RTO   3 s; doubled on each retry of data (up to 128x), but\n"
  "                    a SYN goes again every 3 s\n"
  "  connect timeout   a connect() to a silent peer fails after the SYN went\n"
  "                    TCP_SYNMAXRTX more times, 3 s apart (+ the 0.5 s slow\n"
  "                    timer)\n"
  "  keepalive         off unless SO_KEEPALIVE: then idle, then probes\n"
  "  TIME_WAIT         2 x TCP_MSL; SYN_RCVD and FIN_WAIT_2: lwIP drops such\n"
  "                    half-open and half-closed connections after them\n"
  "A scenario's `fail TCP_PCB next N` counts allocations: lwIP's tcp_alloc()\n"
  "asks the TCP_PCB pool up to 5 times (after each refusal it frees a\n"
  "TIME_WAIT, LAST_ACK, CLOSING or lower-priority connection), so `next 5`\n"
  "refuses one socket() or one peer's SYN, `next 10` two.\n"
  "\n"
  "  --compare A,B,...  the same for up to 8 built profiles, side by side\n"
  "                     (boardnet boards lists them)\n"
  "  --link             the profile's link character: its link.scn, what\n"
  "                     `run --link board` applies (exit 1 if it has none)\n";

/* Prints the info of each board in list (comma-separated) as columns. */
static int compare(const char *list)
{
  static char info[COMPARE_MAX][INFO_MAX];
  char names[COMPARE_MAX][BN_BOARD_NAME_MAX];
  int n = 0;
  for (const char *p = list; *p != '\0';) {
    size_t len = strcspn(p, ",");
    if (len == 0 || len >= BN_BOARD_NAME_MAX || n == COMPARE_MAX) {
      return bn_fail(BN_EXIT_USAGE, "--compare: up to %d board names, comma-separated", COMPARE_MAX);
    }
    snprintf(names[n], sizeof(names[n]), "%.*s", (int)len, p);
    int rc = bn_board_info_of(names[n], info[n], sizeof(info[n]));
    if (rc == -ENOENT) {
      return bn_fail(BN_EXIT_USAGE, "--compare: board '%s' is not built (boardnet boards lists them)", names[n]);
    }
    if (rc < 0) {
      return bn_fail(BN_EXIT_FAIL, "--compare: boardnet-%s info failed", names[n]);
    }
    n++;
    p += len + (p[len] == ',');
  }
  if (n < 2) {
    return bn_fail(BN_EXIT_USAGE, "--compare needs at least two boards (A,B)");
  }
  /* The rows of the first board's info, in its order; the description and
   * the sockets summary are too wide for columns. Each column as wide as
   * its widest value (the first pass), then the rows (the second). */
  int width[COMPARE_MAX];
  for (int i = 0; i < n; i++) {
    width[i] = (int)strlen(names[i]);
  }
  for (int pass = 0; pass < 2; pass++) {
    if (pass == 1) {
      printf("%-24s", "");
      for (int i = 0; i < n; i++) {
        printf(" %-*s", width[i], names[i]);
      }
      printf("\n");
    }
    for (const char *line = info[0]; *line != '\0';) {
      const char *nl = strchr(line, '\n');
      size_t len = nl ? (size_t)(nl - line) : strlen(line);
      const char *colon = memchr(line, ':', len);
      char key[64];
      if (colon != NULL && (size_t)(colon - line) < sizeof(key)) {
        snprintf(key, sizeof(key), "%.*s", (int)(colon - line), line);
        if (strcmp(key, "description") != 0 && strcmp(key, "sockets") != 0 && strcmp(key, "board") != 0) {
          if (pass == 1) {
            printf("%-24s", key);
          }
          for (int i = 0; i < n; i++) {
            char value[64];
            const char *v = bn_board_info_field(info[i], key, value, sizeof(value)) ? value : "-";
            if (pass == 0) {
              width[i] = (int)strlen(v) > width[i] ? (int)strlen(v) : width[i];
            } else {
              printf(" %-*s", width[i], v);
            }
          }
          if (pass == 1) {
            printf("\n");
          }
        }
      }
      line += len + (nl ? 1 : 0);
    }
  }
  return BN_EXIT_OK;
}

int bn_cmd_info(int argc, char **argv)
{
  if (argc == 1) {
    bn_board_print_info(stdout);
    return BN_EXIT_OK;
  }
  if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
    fputs(info_usage, stdout);
    return BN_EXIT_OK;
  }
  if (strcmp(argv[1], "--compare") == 0 && argc == 3) {
    return compare(argv[2]);
  }
  if (strcmp(argv[1], "--link") == 0 && argc == 2) {
    size_t len;
    const char *text = bn_board_link(&len);
    if (text == NULL) {
      return bn_fail(BN_EXIT_FAIL, "board %s has no link character (stack/boards/%s/link.scn)",
                          bn_board_name(), bn_board_name());
    }
    fwrite(text, 1, len, stdout);
    return BN_EXIT_OK;
  }
  return bn_fail(BN_EXIT_USAGE, "info: unexpected '%s' (boardnet info --help)", argv[1]);
}

int bn_cmd_boards(int argc, char **argv)
{
  if (argc > 1) {
    if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
      puts("Usage: boardnet boards\n\n"
           "Lists the board profiles built next to this boardnet (boardnet-NAME),\n"
           "one line each: name, TCP MSS and window, TCP connections, link, and\n"
           "what it emulates. '*' marks this binary's own profile.");
      return BN_EXIT_OK;
    }
    return bn_fail(BN_EXIT_USAGE, "boards takes no arguments ('%s')", argv[1]);
  }
  char names[BN_BOARDS_MAX][BN_BOARD_NAME_MAX];
  int n = bn_board_list(names, BN_BOARDS_MAX);
  if (n <= 0) {
    return bn_fail(BN_EXIT_FAIL, "no boardnet-NAME next to this binary");
  }
  printf("  %-12s %5s %7s %5s %-9s %s\n", "board", "MSS", "window", "TCP", "link", "emulates");
  for (int i = 0; i < n; i++) {
    static char info[INFO_MAX];
    char mss[16], wnd[16], pcbs[16], link[16], desc[160];
    if (bn_board_info_of(names[i], info, sizeof(info)) < 0) {
      printf("  %-12s (boardnet-%s info failed)\n", names[i], names[i]);
      continue;
    }
    printf("%c %-12s %5s %7s %5s %-9s %s\n", strcmp(names[i], bn_board_name()) == 0 ? '*' : ' ', names[i],
           bn_board_info_field(info, "TCP_MSS", mss, sizeof(mss)) ? mss : "-",
           bn_board_info_field(info, "TCP_WND", wnd, sizeof(wnd)) ? wnd : "-",
           bn_board_info_field(info, "MEMP_NUM_TCP_PCB", pcbs, sizeof(pcbs)) ? pcbs : "-",
           bn_board_info_field(info, "link", link, sizeof(link)) ? link : "-",
           bn_board_info_field(info, "description", desc, sizeof(desc)) ? desc : "");
  }
  return BN_EXIT_OK;
}
