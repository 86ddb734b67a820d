/* The divergence report of a replay, as text and as JSON (replay_report.h). */
#include "replay_report.h"
#include "bn_json.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "replay_compare.h"
#include "replay_headers.h"

/* A flow the report shows: one the board took part in. */
static bool shown(const bn_rp_flow *f, const bn_rp_live_flow *lf)
{
  return f->board_frames > 0 || f->peer_frames > 0 || lf->frames > 0;
}

/* Why a flow was given up on: the step that waited, how long against the
 * capture's own wait there, and whether the live board came after all. */
static void given_up_why(const bn_rp_flow *f, const bn_rp_live_flow *lf, char *out, size_t size)
{
  if (lf->window_shut) {
    snprintf(out, size, "the live board's window stayed shut for --step-timeout");
    return;
  }
  if (f->kind == BN_RP_FLOW_DHCP) {
    snprintf(out, size, "the live board asked for no lease (it had --ip)");
    return;
  }
  if (f->kind == BN_RP_FLOW_TCP && lf->resets > 0) {
    snprintf(out, size, f->board_opened || lf->isn_known ? "the live board reset the connection (RST)"
                                                         : "the live board refused the peer's connection (RST)");
    return;
  }
  const char *what = f->kind != BN_RP_FLOW_TCP ? "the live board's frame"
                     : f->board_opened       ? "the live board to open this connection"
                                             : "the live board's answer to the peer's SYN";
  int n = snprintf(out, size, "waited %.1f s at capture frame %" PRIu64 " for %s (the capture waited %.1f s there); ",
                   (double)lf->gave_up_waited_ns / 1e9, lf->gave_up_number, what,
                   (double)lf->gave_up_capture_ns / 1e9);
  if (n < 0 || (size_t)n >= size) {
    return;
  }
  if (lf->came_late) {
    snprintf(out + n, size - (size_t)n, "it came %.1f s later: raise --step-timeout", (double)lf->late_ns / 1e9);
  } else {
    snprintf(out + n, size - (size_t)n, "it never came");
  }
}

/* The classes found in a flow that count ("window,payload"), or "none". */
static void classes_text(const bn_rp_live_flow *lf, char *out, size_t size)
{
  size_t n = 0;
  out[0] = '\0';
  for (bn_rp_diverge d = BN_RP_DIV_OPTIONS; d < BN_RP_DIV_COUNT && n < size; d++) {
    if ((lf->classes & (1u << d)) && !lf->found[d].noted) {
      n += (size_t)snprintf(out + n, size - n, "%s%s", n ? "," : "", bn_rp_diverge_name(d));
    }
  }
  if (n == 0) {
    snprintf(out, size, "none");
  }
}

static const char *stream_word(const bn_rp_flow *f, const bn_rp_live_flow *lf)
{
  if (f->kind != BN_RP_FLOW_TCP) {
    return "-";
  }
  if (f->stream_gap || f->stream_dropped) {
    return "not kept";
  }
  if (f->stream_unknown != NULL || lf->zeros_in) {
    return "cut"; /* the snaplen: bytes not in the capture, or zeros in their place went in */
  }
  if ((lf->classes & (1u << BN_RP_DIV_PAYLOAD | 1u << BN_RP_DIV_EXTRA)) ||
      ((lf->classes & (1u << BN_RP_DIV_MISSING)) && lf->stream_live < f->stream_len)) {
    return "differ";
  }
  return lf->stream_live == f->stream_len ? "identical" : "differ";
}

/* The flow that diverged first (by capture frame), or -1. */
static long first_divergence(const bn_rp_plan *plan, const bn_rp_live *live)
{
  long best = -1;
  for (size_t i = 0; i < plan->nflows; i++) {
    const bn_rp_live_flow *lf = &live->flows[i];
    if (lf->diverge != BN_RP_SAME && (best < 0 || lf->diverge_number < live->flows[best].diverge_number)) {
      best = (long)i;
    }
  }
  return best;
}

static uint64_t skipped_total(const bn_rp_plan *plan)
{
  uint64_t n = 0;
  for (int i = 0; i < BN_SKIP_COUNT; i++) {
    n += plan->skipped[i];
  }
  return n;
}

void bn_rp_report_outcome(const bn_rp_report_info *info, const bn_rp_plan *plan, const bn_rp_live *live,
                          bn_rp_outcome *out)
{
  bn_rp_outcome_of(plan, live, info->stopped, out);
  if (info->passes > 1 && info->passes_incomplete > 0 && out->nreasons < BN_RP_REASONS_MAX) {
    out->incomplete = true;
    snprintf(out->reasons[out->nreasons++], BN_RP_REASON_LEN, "%u of the %u passes before the last were incomplete",
             info->passes_incomplete, info->passes - 1);
  }
  out->diverged |= info->passes_diverged > 0;
  out->verdict = out->diverged ? BN_RP_VERDICT_DIVERGED : out->incomplete ? BN_RP_VERDICT_INCOMPLETE
                                                                          : BN_RP_VERDICT_SAME;
}

/* "waited 1.2 s in all: 0.8 s for the live board's answers, ...": the
 * wall time with no peer frame due, by what it waited for, longest first
 * (those under half a millisecond left out). */
static void waited_line(FILE *out, const bn_rp_live *live)
{
  uint64_t total = 0;
  for (int w = 0; w < BN_RP_WAIT_COUNT; w++) {
    total += live->waited_ns[w];
  }
  fprintf(out, "  waited %.3f s in all with no peer frame due", (double)total / 1e9);
  bool shown[BN_RP_WAIT_COUNT] = { false };
  for (int n = 0; n < BN_RP_WAIT_COUNT; n++) {
    int longest = -1;
    for (int w = 0; w < BN_RP_WAIT_COUNT; w++) {
      if (!shown[w] && live->waited_ns[w] >= 500000 && (longest < 0 || live->waited_ns[w] > live->waited_ns[longest])) {
        longest = w;
      }
    }
    if (longest < 0) {
      break;
    }
    shown[longest] = true;
    fprintf(out, "%s %.3f s %s", n == 0 ? ":" : ",", (double)live->waited_ns[longest] / 1e9,
            bn_rp_wait_text((bn_rp_wait)longest));
  }
  fputc('\n', out);
}

/* The verdict's lines, right under the report's header. */
static void verdict_lines(FILE *out, const bn_rp_outcome *o)
{
  fprintf(out, "  verdict: %s", bn_rp_verdict_name(o->verdict));
  if (o->verdict == BN_RP_VERDICT_SAME) {
    fprintf(out, ": every frame for the board was replayed and compared, and the live board did what the captured "
            "board did\n");
  } else if (o->verdict == BN_RP_VERDICT_DIVERGED) {
    fprintf(out, ": the live board did something else than the captured board (the result below says where "
            "first)%s\n", o->incomplete ? "; not everything was compared either:" : "");
  } else {
    fprintf(out, ": in what was compared the live board did what the captured board did, but not everything "
            "was:\n");
  }
  for (size_t i = 0; i < o->nreasons; i++) {
    fprintf(out, "    - %s\n", o->reasons[i]);
  }
}

void bn_rp_report_text(FILE *out, const bn_rp_report_info *info, const bn_rp_plan *plan, const bn_rp_live *live,
                       const bn_rp_outcome *outcome)
{
  char ip[16];
  bn_rp_ip_text(info->live_ip, ip, sizeof(ip));
  double span = (double)(plan->last_ts_ns - plan->first_ts_ns) / 1e9;
  double took = live->started_ns != 0 && live->ended_ns > live->started_ns
                  ? (double)(live->ended_ns - live->started_ns) / 1e9 : 0;
  fprintf(out, "replay of %s (%s, %" PRIu64 " frames over %.3f s)\n", info->capture, plan->linktype,
          plan->frames_read, span);
  verdict_lines(out, outcome);
  if (info->interface_name != NULL) {
    fprintf(out, "  interface %u%s%s%s of the %u in the capture (--interface): the other interfaces' %" PRIu64
            " frames left out; frame numbers are the capture's\n", info->interface_id,
            info->interface_name[0] ? " (" : "", info->interface_name, info->interface_name[0] ? ")" : "",
            info->interfaces, info->other_interfaces_frames);
  }
  if (plan->time_steps_back > 0) {
    fprintf(out, "  note: the capture's clock steps back %" PRIu64 " time%s (files joined?): frames are replayed in "
            "their order in the file, and each gap that goes back counts as none\n", plan->time_steps_back,
            plan->time_steps_back == 1 ? "" : "s");
  }
  if (plan->nvlans > 0) {
    fprintf(out, "  VLAN tags taken off: id");
    for (size_t i = 0; i < plan->nvlans; i++) {
      fprintf(out, "%s %u", i ? "," : "", plan->vlans[i]);
    }
    fprintf(out, "%s\n", plan->nvlans > 1 ? " (--vlan ID replays one)" : "");
  }
  fprintf(out, "  board in the capture: %s\n", plan->board_reason);
  fprintf(out, "  live board: %s at %s, %02x:%02x:%02x:%02x:%02x:%02x; pace %s; %.3f s\n", info->board, ip,
          info->live_mac[0], info->live_mac[1], info->live_mac[2], info->live_mac[3], info->live_mac[4],
          info->live_mac[5], info->pace, took);
  if (info->passes > 1) {
    fprintf(out, "  passes: %u (--loop); the live board diverged in %u", info->passes, info->passes_diverged);
    if (info->passes_diverged > 0) {
      fprintf(out, ", first in pass %u", info->first_diverged_pass);
    }
    fprintf(out, "; below: pass %u\n", info->passes);
  }
  waited_line(out, live);
  fprintf(out, "  peer frames injected: %" PRIu64 " of %zu", live->injected, plan->nsteps);
  if (live->not_injected > 0) {
    fprintf(out, " (%" PRIu64 " not: their flow was given up on, see below)", live->not_injected);
  }
  if (live->redundant > 0) {
    fprintf(out, "; %" PRIu64 " left out: data sent again in the capture that the live board had", live->redundant);
  }
  if (live->timeouts > 0) {
    fprintf(out, "; %" PRIu64 " timed out (--step-timeout past the capture's own wait)", live->timeouts);
  }
  fprintf(out, "\n  made for the board: %" PRIu64 " ARP answers", live->arp_answers);
  uint64_t acks = 0;
  for (size_t i = 0; i < plan->nflows; i++) {
    acks += live->flows[i].synth_acks;
  }
  fprintf(out, ", %" PRIu64 " ACKs in the captured peer's name (for data the live board sent otherwise)\n", acks);
  uint64_t skipped = skipped_total(plan);
  if (skipped > 0) {
    fprintf(out, "  capture frames skipped: %" PRIu64 " (of them to or from the board: %" PRIu64 ")\n", skipped,
            bn_rp_plan_skipped_board(plan));
    for (int i = 0; i < BN_SKIP_COUNT; i++) {
      if (plan->skipped[i] > 0) {
        fprintf(out, "    %8" PRIu64 "  %s", plan->skipped[i], bn_replay_skip_name((bn_replay_skip)i));
        if (plan->skipped_board[i] > 0) {
          fprintf(out, " (%" PRIu64 " to or from the board)", plan->skipped_board[i]);
        }
        fputc('\n', out);
      }
    }
  }
  int w = 36; /* the flow column: as wide as its longest name */
  for (size_t i = 0; i < plan->nflows; i++) {
    char name[64];
    if (shown(&plan->flows[i], &live->flows[i])) {
      bn_rp_flow_name(plan, &plan->flows[i], name, sizeof(name));
      w = (int)strlen(name) > w ? (int)strlen(name) : w;
    }
  }
  fprintf(out, "\n  %-*s %23s %23s  %-10s %s\n", w, "flow", "captured board", "live board", "stream", "divergence");
  size_t flows = 0, diverged = 0;
  for (size_t i = 0; i < plan->nflows; i++) {
    const bn_rp_flow *f = &plan->flows[i];
    const bn_rp_live_flow *lf = &live->flows[i];
    if (!shown(f, lf)) {
      continue;
    }
    flows++;
    diverged += lf->diverge != BN_RP_SAME;
    char name[64], cap[32], liv[32];
    bn_rp_flow_name(plan, f, name, sizeof(name));
    bool tcp = f->kind == BN_RP_FLOW_TCP;
    snprintf(cap, sizeof(cap), "%" PRIu64 " fr %" PRIu64 " B", f->board_frames, f->board_bytes);
    snprintf(liv, sizeof(liv), "%" PRIu64 " fr %" PRIu64 " B", lf->frames, lf->bytes);
    char classes[96];
    classes_text(lf, classes, sizeof(classes));
    fprintf(out, "  %-*s %23s %23s  %-10s %s\n", w, name, cap, liv, lf->not_reached ? "not reached" : stream_word(f, lf),
            classes);
    if (tcp && (f->board_retrans || lf->retrans || f->board_resets || lf->resets || f->peer_resets)) {
      fprintf(out, "  %-*s retransmissions %" PRIu64 " / %" PRIu64 ", resets by the board %" PRIu64 " / %" PRIu64
              ", by the peer %" PRIu64 "\n", w, "", f->board_retrans, lf->retrans, f->board_resets, lf->resets,
              f->peer_resets);
    }
    if (tcp && lf->max_seg > 0) {
      uint16_t cap_seg = 0;
      for (size_t k = 0; k < f->nbframes; k++) {
        cap_seg = f->bframes[k].len > cap_seg ? f->bframes[k].len : cap_seg;
      }
      if (cap_seg != lf->max_seg) {
        fprintf(out, "  %-*s segments of up to %u bytes, the captured board's up to %u\n", w, "", lf->max_seg, cap_seg);
      }
    }
    if (f->cut_frames > 0) {
      fprintf(out, "  %-*s %" PRIu64 " frames cut short by the snaplen: %" PRIu64 " bytes not in the capture (the "
              "peer's sent as zeros, the board's not compared)%s\n", w, "", f->cut_frames, f->cut_bytes,
              lf->zeros_in ? "; the board answered zeros: what it did after them is a note, not a divergence" : "");
    }
    if (tcp && lf->probes) {
      fprintf(out, "  %-*s the live board's window shut: %" PRIu64 " window probes\n", w, "", lf->probes);
    }
    if (tcp && (lf->splits || lf->peer_retrans || lf->cut_super)) {
      fprintf(out, "  %-*s peer data: %" PRIu64 " segments split to fit the live board's window, %" PRIu64
              " sent again, %" PRIu64 " super-frames of the capture (TSO/GRO) cut into segments (the captured "
              "board's MSS %u)\n", w, "", lf->splits, lf->peer_retrans, lf->cut_super, f->board_mss);
    }
    if (lf->not_compared) {
      fprintf(out, "  %-*s not compared after the first pass: the board keeps its %s\n", w, "",
              f->kind == BN_RP_FLOW_DHCP ? "lease (not replayed either)" : "ARP cache");
    } else if (lf->abandoned) {
      char why[200];
      given_up_why(f, lf, why, sizeof(why));
      fprintf(out, "  %-*s given up on: %s\n", w, "", why);
    }
    for (bn_rp_diverge d = BN_RP_DIV_OPTIONS; d < BN_RP_DIV_COUNT; d++) {
      if (lf->classes & (1u << d)) {
        fprintf(out, "  %-*s %s at capture frame %" PRIu64 " (%s): %s\n", w, "",
                !lf->found[d].noted ? "" : (live->ignore & (1u << d)) ? "note (--ignore):" : "note (after zeros):",
                lf->found[d].number, bn_rp_diverge_name(d),
                lf->found[d].text);
      }
    }
  }
  long first = first_divergence(plan, live);
  if (first < 0 && info->passes_diverged > 0) {
    fprintf(out, "\nresult: the live board diverged in %u of %u passes, first in pass %u; in the last, above, it did "
            "what the captured board did\n", info->passes_diverged, info->passes, info->first_diverged_pass);
  } else if (first < 0 && outcome->incomplete) {
    fprintf(out, "\nresult: incomplete: %s; in what was compared (%zu flows) the live board did what the captured "
            "board did\n", outcome->reasons[0], flows);
  } else if (first < 0) {
    fprintf(out, "\nresult: the live board did what the captured board did in all %zu flows%s\n", flows,
            info->passes > 1 ? ", in every pass" : "");
  } else {
    char name[64];
    bn_rp_flow_name(plan, &plan->flows[first], name, sizeof(name));
    const bn_rp_live_flow *lf = &live->flows[first];
    fprintf(out, "\nresult: the live board diverged in %zu of %zu flows; first at capture frame %" PRIu64
            " (%s, %s): %s\n", diverged, flows, lf->diverge_number, name, bn_rp_diverge_name(lf->diverge),
            lf->found[lf->diverge].text);
  }
}

int bn_rp_report_json(const char *path, const bn_rp_report_info *info, const bn_rp_plan *plan, const bn_rp_live *live,
                      const bn_rp_outcome *outcome)
{
  FILE *out = fopen(path, "w");
  if (out == NULL) {
    return -errno;
  }
  char ip[16];
  bn_rp_ip_text(info->live_ip, ip, sizeof(ip));
  fprintf(out, "{\n  \"capture\": ");
  bn_json_string(out, info->capture);
  if (info->interface_name != NULL) {
    fprintf(out, ",\n  \"interface\": {\"id\": %u, \"name\": ", info->interface_id);
    bn_json_string(out, info->interface_name);
    fprintf(out, ", \"interfaces\": %u, \"other_interfaces_frames\": %" PRIu64 "}", info->interfaces,
            info->other_interfaces_frames);
  } else {
    fprintf(out, ",\n  \"interface\": null");
  }
  fprintf(out, ",\n  \"linktype\": ");
  bn_json_string(out, plan->linktype);
  fprintf(out, ",\n  \"frames\": %" PRIu64 ",\n  \"board_reason\": ", plan->frames_read);
  bn_json_string(out, plan->board_reason);
  fprintf(out, ",\n  \"live\": {\"board\": ");
  bn_json_string(out, info->board);
  fprintf(out, ", \"ip\": \"%s\", \"pace\": ", ip);
  bn_json_string(out, info->pace);
  fprintf(out, "},\n  \"redundant\": %" PRIu64 ",\n  \"passes\": %u,\n  \"passes_diverged\": %u,", live->redundant,
          info->passes > 1 ? info->passes : 1, info->passes_diverged);
  fprintf(out, "\n  \"peer_frames\": %zu,\n  \"injected\": %" PRIu64 ",\n  \"not_injected\": %" PRIu64
          ",\n  \"timeouts\": %" PRIu64 ",\n  \"arp_answers\": %" PRIu64 ",\n  \"waited\": {",
          plan->nsteps, live->injected, live->not_injected, live->timeouts, live->arp_answers);
  for (int w = 0; w < BN_RP_WAIT_COUNT; w++) {
    fprintf(out, "%s\"%s\": %.6f", w ? ", " : "", bn_rp_wait_id((bn_rp_wait)w), (double)live->waited_ns[w] / 1e9);
  }
  fprintf(out, "},\n  \"skipped\": {");
  bool first = true;
  for (int i = 0; i < BN_SKIP_COUNT; i++) {
    if (plan->skipped[i] > 0) {
      fprintf(out, "%s\"%s\": %" PRIu64, first ? "" : ", ", bn_replay_skip_id((bn_replay_skip)i), plan->skipped[i]);
      first = false;
    }
  }
  fprintf(out, "},\n  \"skipped_board\": {");
  first = true;
  for (int i = 0; i < BN_SKIP_COUNT; i++) {
    if (plan->skipped_board[i] > 0) {
      fprintf(out, "%s\"%s\": %" PRIu64, first ? "" : ", ", bn_replay_skip_id((bn_replay_skip)i),
              plan->skipped_board[i]);
      first = false;
    }
  }
  fprintf(out, "},\n  \"time_steps_back\": %" PRIu64 ",\n  \"vlans\": [", plan->time_steps_back);
  for (size_t i = 0; i < plan->nvlans; i++) {
    fprintf(out, "%s%u", i ? ", " : "", plan->vlans[i]);
  }
  fprintf(out, "],\n  \"flows\": [");
  first = true;
  for (size_t i = 0; i < plan->nflows; i++) {
    const bn_rp_flow *f = &plan->flows[i];
    const bn_rp_live_flow *lf = &live->flows[i];
    if (!shown(f, lf)) {
      continue;
    }
    char name[64];
    bn_rp_flow_name(plan, f, name, sizeof(name));
    fprintf(out, "%s\n    {\"flow\": ", first ? "" : ",");
    bn_json_string(out, name);
    fprintf(out, ", \"captured\": {\"frames\": %" PRIu64 ", \"bytes\": %" PRIu64 ", \"retransmissions\": %" PRIu64
            ", \"resets\": %" PRIu64 "}, \"live\": {\"frames\": %" PRIu64 ", \"bytes\": %" PRIu64
            ", \"retransmissions\": %" PRIu64 ", \"resets\": %" PRIu64 "}, \"peer_resets\": %" PRIu64 ", \"stream\": ",
            f->board_frames, f->board_bytes, f->board_retrans, f->board_resets, lf->frames, lf->bytes, lf->retrans,
            lf->resets, f->peer_resets);
    bn_json_string(out, lf->not_reached ? "not reached" : stream_word(f, lf));
    fprintf(out, ", \"acks_made\": %" PRIu64 ", \"peer_splits\": %" PRIu64 ", \"peer_retransmissions\": %" PRIu64
            ", \"peer_super_frames_cut\": %" PRIu64 ", \"snaplen_cut_frames\": %" PRIu64
            ", \"snaplen_cut_bytes\": %" PRIu64 ", \"given_up\": ", lf->synth_acks, lf->splits,
            lf->peer_retrans, lf->cut_super, f->cut_frames, f->cut_bytes);
    if (lf->abandoned && !lf->not_compared) {
      char why[200];
      given_up_why(f, lf, why, sizeof(why));
      bn_json_string(out, why);
    } else {
      fputs("null", out);
    }
    fprintf(out, ", \"divergence\": ");
    if (lf->diverge == BN_RP_SAME) {
      fprintf(out, "null");
    } else {
      fprintf(out, "{\"field\": \"%s\", \"frame\": %" PRIu64 ", \"text\": ", bn_rp_diverge_name(lf->diverge),
              lf->diverge_number);
      bn_json_string(out, lf->found[lf->diverge].text);
      fprintf(out, "}");
    }
    fprintf(out, ", \"differences\": [");
    bool first_class = true;
    for (bn_rp_diverge d = BN_RP_DIV_OPTIONS; d < BN_RP_DIV_COUNT; d++) {
      if (lf->classes & (1u << d)) {
        fprintf(out, "%s{\"class\": \"%s\", \"frame\": %" PRIu64 ", \"ignored\": %s, \"text\": ",
                first_class ? "" : ", ", bn_rp_diverge_name(d), lf->found[d].number,
                lf->found[d].noted ? "true" : "false");
        bn_json_string(out, lf->found[d].text);
        fputc('}', out);
        first_class = false;
      }
    }
    fprintf(out, "]}");
    first = false;
  }
  long fd = first_divergence(plan, live);
  fprintf(out, "\n  ],\n  \"verdict\": \"%s\",\n  \"incomplete\": [", bn_rp_verdict_name(outcome->verdict));
  for (size_t i = 0; i < outcome->nreasons; i++) {
    fprintf(out, "%s", i ? ", " : "");
    bn_json_string(out, outcome->reasons[i]);
  }
  fprintf(out, "],\n  \"diverged\": %s", fd >= 0 || info->passes_diverged > 0 ? "true" : "false");
  if (fd >= 0) {
    fprintf(out, ",\n  \"first_divergence_frame\": %" PRIu64, live->flows[fd].diverge_number);
  }
  fprintf(out, "\n}\n");
  return fclose(out) == 0 ? 0 : -errno;
}
