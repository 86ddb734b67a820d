/*
 * bench-tapif-baseline: the board the throughput benchmark compares boardnet
 * against. It is lwIP's own unix port, as shipped: port/netif/tapif.c (one rx
 * thread, one read() per select(), tcpip_input) and port/sys_arch.c (fixed
 * 128-entry mailboxes), with boardnet's generic board profile and the same
 * board apps (discard on 9 and chargen on 19 by default). Static address
 * 192.0.2.2/24; the TAP must exist and be configured (tapif opens the device
 * named by PRECONFIGURED_TAPIF, which --tap sets).
 */
#define _GNU_SOURCE
#include "board_apps.h"
#include "bn_board.h"

#include "lwip/netif.h"
#include "lwip/stats.h"
#include "lwip/tcpip.h"
#include "netif/tapif.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifndef BENCH_VARIANT
#define BENCH_VARIANT "stock"
#endif

/* usocket wakes its waiters once the thread that saw the event released
 * the core lock, through boardnet's sys_arch (stack/port/bn_sys_arch.c).
 * The stock port has no such hook: they are woken at once, as there. */
sys_core_deferred sys_defer_until_core_unlock(void (*fn)(void *arg), void *arg)
{
  (void)fn;
  (void)arg;
  return SYS_CORE_DEFERRED_REFUSED;
}

static const char usage[] =
  "Usage: bench-tapif-baseline --tap NAME [--exit-after SEC] [--app NAME]...\n"
  "\n"
  "Runs lwIP's unix port (tapif.c, sys_arch.c) with the generic profile on the\n"
  "existing, configured TAP NAME as 192.0.2.2/24 (MAC 02:12:34:56:78:ab, set\n"
  "by tapif.c), serving the board apps (default: discard and chargen) until\n"
  "SIGINT/SIGTERM or SEC seconds (default 600), then prints lwIP's counters.\n";

static int parse_args(int argc, char **argv, unsigned *exit_after, const char **apps, int *napps)
{
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
      fputs(usage, stdout);
      return -1;
    }
    if (i + 1 == argc) {
      fprintf(stderr, "bench-tapif-baseline: %s needs a value\n%s", argv[i], usage);
      return 2;
    }
    const char *value = argv[++i];
    if (strcmp(argv[i - 1], "--tap") == 0) {
      /* tapif.c takes the device's name from the environment only. */
      setenv("PRECONFIGURED_TAPIF", value, 1);
    } else if (strcmp(argv[i - 1], "--exit-after") == 0) {
      char *end;
      unsigned long v = strtoul(value, &end, 10);
      if (*end != '\0' || v == 0 || v > 86400 || value[0] == '-') {
        fprintf(stderr, "bench-tapif-baseline: --exit-after: '%s' is not 1..86400\n", value);
        return 2;
      }
      *exit_after = (unsigned)v;
    } else if (strcmp(argv[i - 1], "--app") == 0 && *napps < 4 && bn_app_find(value) != NULL) {
      apps[(*napps)++] = value;
    } else {
      fprintf(stderr, "bench-tapif-baseline: bad option %s %s\n%s", argv[i - 1], value, usage);
      return 2;
    }
  }
  const char *tap = getenv("PRECONFIGURED_TAPIF");
  if (tap == NULL || tap[0] == '\0') {
    /* Without it tapif.c would run "/sbin/ifconfig tap0 ..." by itself. */
    fprintf(stderr, "bench-tapif-baseline: --tap NAME is required\n%s", usage);
    return 2;
  }
  return 0;
}

static void print_counters(const char *why, double secs)
{
#if LWIP_STATS
  LOCK_TCPIP_CORE();
  struct stats_ lw = lwip_stats;
  unsigned long pool_err = lwip_stats.memp[MEMP_PBUF_POOL]->err;
  unsigned long pool_max = lwip_stats.memp[MEMP_PBUF_POOL]->max;
  UNLOCK_TCPIP_CORE();
  printf("bench-tapif-baseline: stopped (%s) after %.1f s: ip rx %lu tx %lu drop %lu, "
         "tcp rx %lu tx %lu drop %lu memerr %lu, pbuf pool max %lu/%d err %lu (lwIP stats, 16-bit)\n",
         why, secs, (unsigned long)lw.ip.recv, (unsigned long)lw.ip.xmit,
         (unsigned long)lw.ip.drop, (unsigned long)lw.tcp.recv, (unsigned long)lw.tcp.xmit,
         (unsigned long)lw.tcp.drop, (unsigned long)lw.tcp.memerr, pool_max, PBUF_POOL_SIZE, pool_err);
#else
  printf("bench-tapif-baseline: stopped (%s) after %.1f s\n", why, secs);
#endif
}

int main(int argc, char **argv)
{
  unsigned exit_after = 600;
  const char *apps[4];
  int napps = 0;
  int rc = parse_args(argc, argv, &exit_after, apps, &napps);
  if (rc != 0) {
    return rc < 0 ? 0 : rc;
  }
  if (napps == 0) {
    apps[napps++] = "discard";
    apps[napps++] = "chargen";
  }
  /* Only the main thread takes the stop signals: block them before any
   * thread starts so every thread inherits the mask. */
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, NULL);
  signal(SIGPIPE, SIG_IGN);

  srand((unsigned)time(NULL));
  tcpip_init(NULL, NULL);

  static struct netif netif;
  ip4_addr_t ip, mask, gw;
  IP4_ADDR(&ip, 192, 0, 2, 2);
  IP4_ADDR(&mask, 255, 255, 255, 0);
  IP4_ADDR(&gw, 0, 0, 0, 0);
  LOCK_TCPIP_CORE();
  /* tapif_init opens the TAP (exit(1) on failure, that is tapif.c's way) and
   * starts its rx thread. */
  struct netif *added = netif_add(&netif, &ip, &mask, &gw, NULL, tapif_init, tcpip_input);
  if (added != NULL) {
    netif_set_default(&netif);
    netif_set_up(&netif);
  }
  UNLOCK_TCPIP_CORE();
  if (added == NULL) {
    fprintf(stderr, "bench-tapif-baseline: netif_add failed\n");
    return 1;
  }
  printf("bench-tapif-baseline: board %s (lwIP %s, unix port %s, %s input) up on tap %s: "
         "ip 192.0.2.2/24\n", bn_board_name(), bn_board_lwip_version(), BENCH_VARIANT,
         LWIP_TCPIP_CORE_LOCKING_INPUT ? "core-locked" : "mailbox", getenv("PRECONFIGURED_TAPIF"));
  for (int i = 0; i < napps; i++) {
    rc = bn_app_start(apps[i], 0, 0);
    if (rc < 0) {
      fprintf(stderr, "bench-tapif-baseline: app %s: %s\n", apps[i], strerror(-rc));
      return 1;
    }
    printf("bench-tapif-baseline: app %s listening on port %u\n", apps[i],
           bn_app_find(apps[i])->default_port);
  }
  fflush(stdout);

  struct timespec t0, t1, step = { .tv_sec = 1 };
  clock_gettime(CLOCK_MONOTONIC, &t0);
  const char *why = "--exit-after";
  for (;;) {
    int sig = sigtimedwait(&signals, NULL, &step);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (sig > 0) {
      why = strsignal(sig);
      break;
    }
    if (t1.tv_sec - t0.tv_sec >= (time_t)exit_after) {
      break;
    }
  }
  print_counters(why, (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
  fflush(stdout);
  /* tapif.c has no way to stop its thread: leave without tearing lwIP down. */
  _Exit(0);
}
