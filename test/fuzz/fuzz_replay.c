/*
 * Fuzz target: arbitrary bytes as a capture file through the replayer: the
 * plan (libpcap reads it: pcap or pcapng, any link type), then the live side
 * driven by the capture itself (every peer frame rewritten, split and sent
 * again as the live side decides; every captured board frame given back as
 * if the live board sent it), the comparison and both reports. Contracts
 * checked, not just the absence of a crash: a refused file comes with a
 * one-line message and a negative errno; an accepted one accounts for every
 * frame (used by the plan, or skipped under a reason); nothing written is
 * longer than a frame; a replay of the captured board against itself does
 * not diverge in payload.
 */
#define _GNU_SOURCE /* memfd_create */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "bn_clock.h"
#include "pcap_source.h"
#include "replay_board_frame.h"
#include "replay_compare.h"
#include "replay_live.h"
#include "replay_peer_tcp.h"
#include "replay_plan.h"
#include "replay_report.h"
#include "replay_rewrite.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void require(int ok, const char *what)
{
  if (!ok) {
    fprintf(stderr, "fuzz-replay: contract broken: %s\n", what);
    abort();
  }
}

/* Which capture frames are the captured board's (by number). */
static bool *board_frames(const bn_rp_plan *plan)
{
  bool *is = calloc(plan->frames_read + 1, sizeof(*is));
  require(is != NULL, "memory");
  for (size_t i = 0; i < plan->nflows; i++) {
    for (size_t k = 0; k < plan->flows[i].nbframes; k++) {
      uint64_t n = plan->flows[i].bframes[k].number;
      require(n >= 1 && n <= plan->frames_read, "a board frame's number is in the capture");
      is[n] = true;
    }
  }
  return is;
}

/* Every frame of the plan's capture: the peer's through the rewrite, the
 * board's back in as the live board's. */
static void drive(const char *path, const bn_rp_plan *plan, bn_rp_live *live)
{
  bool *from_board = board_frames(plan);
  bn_pcap_source *s;
  char err[BN_PCAP_ERRLEN];
  require(bn_pcap_source_open(path, NULL, BN_PCAP_ANY_VLAN, &s, err) == 0, "a capture the plan read opens again");
  uint64_t skipped[BN_SKIP_COUNT] = { 0 };
  uint8_t out[BN_LINK_MAX_FRAME];
  bn_pcap_frame f;
  size_t next = 0;
  uint64_t now = bn_clock_now_ns();
  while (bn_pcap_source_next(s, &f, skipped) == 1) {
    if (next < plan->nsteps && plan->steps[next].number == f.number) {
      const bn_rp_step *st = &plan->steps[next++];
      bool progress;
      if (!bn_rp_live_can_rewrite(live, st, f.data, f.len, &progress)) {
        continue;
      }
      bool done = false;
      for (int piece = 0; piece < 64 && !done; piece++) {
        size_t len = 0;
        if (!bn_rp_live_next_frame(live, st, f.data, f.len, out, &len, &done)) {
          break;
        }
        require(len > 0 && len <= BN_LINK_MAX_FRAME, "an injected frame fits a frame");
      }
    } else if (f.number <= plan->frames_read && from_board[f.number]) {
      size_t len = bn_rp_live_board_frame(live, f.data, f.len, now, out);
      require(len <= BN_LINK_MAX_FRAME, "a reply fits a frame");
    }
    now = bn_clock_add_ns(now, BN_RP_RTO_NS);
    size_t len = bn_rp_live_retransmit(live, now, out);
    require(len <= BN_LINK_MAX_FRAME, "a retransmission fits a frame");
  }
  bn_pcap_source_close(s);
  free(from_board);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  int fd = memfd_create("fuzz-replay", 0);
  require(fd >= 0, "memfd_create");
  require(write(fd, data, size) == (ssize_t)size, "write the input");
  char path[64];
  snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
  bn_rp_plan plan;
  char err[BN_RP_ERRLEN];
  memset(err, 0xff, sizeof(err));
  bn_rp_plan_options o = { .path = path };
  int rc = bn_rp_plan_build(&o, &plan, err);
  if (rc < 0) {
    require(rc == -EINVAL || rc == -ENXIO || rc == -ENOMEM, "a refused capture: -EINVAL, -ENXIO (or -ENOMEM)");
    const char *end = memchr(err, '\0', sizeof(err));
    require(end != NULL && end != err, "a refusal says why, in one NUL-terminated message");
    require(memchr(err, '\n', (size_t)(end - err)) == NULL, "the message is one line");
    close(fd);
    return 0;
  }
  uint64_t skipped = 0;
  for (int i = 0; i < BN_SKIP_COUNT; i++) {
    skipped += i == BN_SKIP_FILE_TRUNCATED ? 0 : plan.skipped[i];
  }
  require(plan.frames_used + skipped == plan.frames_read, "every frame is used or skipped for a reason");
  require(plan.nsteps + plan.board_frames == plan.frames_used, "every used frame is a step or the board's");
  bn_rp_live live;
  const uint8_t mac[6] = { 2, 0, 0, 0, 0, 9 };
  if (bn_rp_live_init(&live, &plan, plan.board_ip, mac) == 0) {
    drive(path, &plan, &live);
    bn_rp_live_finish(&live);
    bn_rp_report_info info = { .capture = path, .board = "generic", .pace = "top", .live_ip = plan.board_ip,
                            .live_mac = mac };
    bn_rp_outcome outcome;
    bn_rp_report_outcome(&info, &plan, &live, &outcome);
    for (size_t i = 0; i < plan.nflows; i++) {
      if (live.flows[i].diverge == BN_RP_DIV_PAYLOAD) {
        bn_rp_report_text(stderr, &info, &plan, &live, &outcome);
        require(0, "the captured board does not diverge from itself in payload");
      }
    }
    require(live.injected <= plan.nsteps, "no step is injected twice");
    FILE *null = fopen("/dev/null", "w");
    bn_rp_report_text(null, &info, &plan, &live, &outcome);
    fclose(null);
    require(bn_rp_report_json("/dev/null", &info, &plan, &live, &outcome) == 0, "the JSON report is written");
  }
  bn_rp_live_free(&live);
  bn_rp_plan_free(&plan);
  close(fd);
  return 0;
}
