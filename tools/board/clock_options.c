/*
 * The board options of time (clock_options.h).
 */
#include "clock_options.h"
#include "bn_clock.h"
#include "exit_status.h"

#include <stdlib.h>
#include <string.h>

/* Wall seconds a thread may run without blocking on the virtual clock. */
#define STALL_DEFAULT_S 10.0

int bn_clock_options_parse_clock(bn_clock_options *c, const char *arg)
{
  if (strcmp(arg, "virtual") != 0 && strcmp(arg, "real") != 0) {
    return bn_fail(BN_EXIT_USAGE, "--clock '%s': real or virtual", arg);
  }
  c->virtual_clock = strcmp(arg, "virtual") == 0;
  c->given = true;
  return 0;
}

int bn_clock_options_parse_sched_seed(bn_clock_options *c, const char *arg)
{
  if (bn_parse_number_option("--sched-seed", arg, 1, UINT64_MAX, &c->sched_seed) != 0) {
    return BN_EXIT_USAGE;
  }
  c->sched_seed_given = true;
  return 0;
}

int bn_clock_options_parse_stall(bn_clock_options *c, const char *arg)
{
  if (bn_parse_seconds_option("--clock-stall", arg, 0.1, 86400, &c->stall_s) != 0) {
    return BN_EXIT_USAGE;
  }
  c->stall_given = true;
  return 0;
}

int bn_clock_options_parse_epoch(bn_clock_options *c, const char *arg)
{
  double s;
  if (bn_parse_seconds_option("--epoch", arg, 0, 4e9, &s) != 0) {
    return BN_EXIT_USAGE;
  }
  c->epoch_ns = (uint64_t)(s * 1e9 + 0.5);
  c->epoch_given = true;
  return 0;
}

int bn_clock_options_check(bn_clock_options *c, bool on_tap)
{
  const char *env = getenv("BOARDNET_CLOCK");
  if (!c->given && !on_tap && env != NULL && strcmp(env, "virtual") == 0) {
    c->virtual_clock = true; /* the default of runs without a TAP, from the environment */
  }
  if (c->virtual_clock && on_tap) {
    return bn_fail(BN_EXIT_USAGE, "--clock virtual: not on a TAP: the kernel's peers live in real time "
                                  "(a capture replayed, --pcap, can run on it)");
  }
  const char *needs = c->sched_seed_given ? "--sched-seed"
                      : c->stall_given    ? "--clock-stall"
                      : c->stats          ? "--clock-stats"
                      : c->epoch_given    ? "--epoch"
                                          : NULL;
  if (!c->virtual_clock && needs != NULL) {
    return bn_fail(BN_EXIT_USAGE, "%s: an option of the virtual clock (--clock virtual)", needs);
  }
  return 0;
}

void bn_clock_options_start(bn_clock_options *c, uint64_t default_epoch_ns)
{
  if (!c->virtual_clock || c->started) {
    return;
  }
  struct bn_clock_virtual v = {
    .epoch_ns = c->epoch_given ? c->epoch_ns : default_epoch_ns,
    .sched_seed = c->sched_seed,
    .stall_wall_s = c->stall_given ? c->stall_s : STALL_DEFAULT_S,
    .first_thread = "main",
  };
  bn_clock_virtual_start(&v);
  c->started = true;
}

void bn_clock_options_report(const bn_clock_options *c, FILE *out)
{
  if (!c->stats || !c->started) {
    return;
  }
  struct bn_sched_stats st;
  bn_sched_stats_get(&st);
  double board = (double)(bn_clock_now_ns() - BN_CLOCK_VIRTUAL_ORIGIN_NS) / 1e9;
  double wall = (double)st.wall_ns / 1e9;
  fprintf(out, "boardnet: clock: %.3f board seconds in %.3f wall seconds (%.1fx), %llu switches, %llu jumps, "
               "%llu threads\n",
          board, wall, wall > 0 ? board / wall : 0.0, (unsigned long long)st.switches,
          (unsigned long long)st.jumps, (unsigned long long)st.threads);
}
