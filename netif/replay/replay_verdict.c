/* A replay's verdict and the reasons it is incomplete (replay_verdict.h). */
#include "replay_verdict.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>

const char *bn_rp_verdict_name(bn_rp_verdict v)
{
  switch (v) {
  case BN_RP_VERDICT_SAME:       return "same";
  case BN_RP_VERDICT_DIVERGED:   return "diverged";
  case BN_RP_VERDICT_INCOMPLETE: return "incomplete";
  }
  return "?";
}

uint64_t bn_rp_plan_skipped_board(const bn_rp_plan *plan)
{
  uint64_t n = 0;
  for (int i = 0; i < BN_SKIP_COUNT; i++) {
    n += plan->skipped_board[i];
  }
  return n;
}

static void reason(bn_rp_outcome *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void reason(bn_rp_outcome *o, const char *fmt, ...)
{
  o->incomplete = true;
  if (o->nreasons == BN_RP_REASONS_MAX) {
    return;
  }
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(o->reasons[o->nreasons++], BN_RP_REASON_LEN, fmt, ap);
  va_end(ap);
}

/* "36 frames to or from the board were not replayed: 30 IPv4 fragment, 6 ..." */
static void skipped_reason(const bn_rp_plan *plan, bn_rp_outcome *o)
{
  uint64_t total = bn_rp_plan_skipped_board(plan);
  if (total == 0) {
    return;
  }
  char text[BN_RP_REASON_LEN];
  int n = snprintf(text, sizeof(text), "%" PRIu64 " frame%s to or from the board %s not replayed:", total,
                   total == 1 ? "" : "s", total == 1 ? "was" : "were");
  const char *sep = " ";
  for (int i = 0; i < BN_SKIP_COUNT && n > 0 && (size_t)n < sizeof(text); i++) {
    if (plan->skipped_board[i] > 0) {
      n += snprintf(text + n, sizeof(text) - (size_t)n, "%s%" PRIu64 " %s", sep, plan->skipped_board[i],
                    bn_replay_skip_name((bn_replay_skip)i));
      sep = ", ";
    }
  }
  reason(o, "%s", text);
}

void bn_rp_outcome_of(const bn_rp_plan *plan, const bn_rp_live *live, const char *stopped, bn_rp_outcome *out)
{
  *out = (bn_rp_outcome){ .verdict = BN_RP_VERDICT_SAME };
  size_t not_kept = 0, not_followed = 0, not_reached = 0, holes = 0;
  uint64_t cut_frames = 0, cut_bytes = 0;
  for (size_t i = 0; i < plan->nflows; i++) {
    const bn_rp_flow *f = &plan->flows[i];
    const bn_rp_live_flow *lf = &live->flows[i];
    out->diverged |= lf->diverge != BN_RP_SAME;
    if (lf->not_compared) {
      continue; /* a later pass: the board keeps its lease and ARP cache, as it should */
    }
    not_kept += f->kind == BN_RP_FLOW_TCP && (f->stream_gap || f->stream_dropped);
    cut_frames += f->cut_frames;
    cut_bytes += f->cut_bytes;
    not_reached += lf->not_reached;
    not_followed += lf->abandoned && lf->diverge == BN_RP_SAME && !lf->not_reached;
    holes += lf->hole_open;
  }
  skipped_reason(plan, out);
  if (not_kept > 0) {
    reason(out, "%zu TCP stream%s of the captured board could not be compared whole (a segment missing from the "
           "capture, or over the %u MiB bound)", not_kept, not_kept == 1 ? "" : "s", BN_RP_STREAMS_MAX >> 20);
  }
  if (cut_frames > 0) {
    reason(out, "%" PRIu64 " frame%s cut short by the capture's snaplen, %" PRIu64 " bytes not in it: the peers' "
           "went in as zeros, the captured board's were not compared", cut_frames, cut_frames == 1 ? "" : "s",
           cut_bytes);
  }
  if (holes > 0) {
    reason(out, "%zu TCP stream%s of the live board still had a hole when the replay stopped waiting (its "
           "segments lost on the way, a scenario's loss, not sent again within %llu s): compared as far as %s "
           "in order", holes, holes == 1 ? "" : "s", (unsigned long long)(BN_RP_HOLE_WAIT_NS / 1000000000u),
           holes == 1 ? "it came" : "they came");
  }
  if (not_followed > 0) {
    reason(out, "%zu flow%s could not be followed to the end", not_followed, not_followed == 1 ? "" : "s");
  }
  if (stopped != NULL) {
    reason(out, "the replay was stopped early (%s): %" PRIu64 " of %zu peer frames injected, %zu flow%s not reached",
           stopped, live->injected, plan->nsteps, not_reached, not_reached == 1 ? "" : "s");
  } else if (live->cut_short != NULL || not_reached > 0) {
    reason(out, "%s: %" PRIu64 " of %zu peer frames injected, %zu flow%s not reached",
           live->cut_short != NULL ? live->cut_short : "the replay ended early", live->injected, plan->nsteps,
           not_reached, not_reached == 1 ? "" : "s");
  }
  out->verdict = out->diverged ? BN_RP_VERDICT_DIVERGED : out->incomplete ? BN_RP_VERDICT_INCOMPLETE
                                                                          : BN_RP_VERDICT_SAME;
}
