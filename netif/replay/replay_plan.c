/*
 * Making a replay's plan (replay_plan.h): a first pass over the capture to
 * tell the board (address counts, a DHCP lease, the first answered SYN) and
 * the hosts' MACs (replay_census.c), a second to sort every frame into the
 * board's side and the peers', flow by flow (replay_sort.c).
 */
#include "replay_plan.h"
#include "pcap_source.h"
#include "replay_census.h"
#include "replay_headers.h"
#include "replay_sort.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Writes a plan error's one line into err; returns rc. */
static int plan_error(char err[BN_RP_ERRLEN], int rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int plan_error(char err[BN_RP_ERRLEN], int rc, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err, BN_RP_ERRLEN, fmt, ap);
  va_end(ap);
  return rc;
}

/* The capture's times and VLANs, from the second pass. */
static void note_frame(bn_rp_plan *p, const bn_pcap_frame *pf, uint64_t *prev_ts)
{
  if (pf->number == 1 || pf->ts_ns < p->first_ts_ns) {
    p->first_ts_ns = pf->ts_ns;
  }
  if (pf->ts_ns > p->last_ts_ns) {
    p->last_ts_ns = pf->ts_ns;
  }
  if (pf->number > 1 && pf->ts_ns < *prev_ts) {
    p->time_steps_back++;
  }
  *prev_ts = pf->ts_ns;
  bool seen = pf->vlan == 0;
  for (size_t i = 0; i < p->nvlans && !seen; i++) {
    seen = p->vlans[i] == pf->vlan;
  }
  if (!seen && p->nvlans < sizeof(p->vlans) / sizeof(p->vlans[0])) {
    p->vlans[p->nvlans++] = pf->vlan;
  }
}

/* How messages name the capture. */
static const char *shown(const bn_rp_plan_options *o)
{
  return o->name != NULL ? o->name : o->path;
}

int bn_rp_plan_open_source(const bn_rp_plan_options *o, bn_pcap_source **out, char err[BN_PCAP_ERRLEN])
{
  int rc = bn_pcap_source_open(o->path, o->filter, o->vlan, out, err);
  if (rc == 0 && o->numbers != NULL) {
    bn_pcap_source_set_numbers(*out, o->numbers, o->nnumbers);
  }
  return rc;
}

/* Walks the capture, calling fn for every frame it can replay (pass 1 or
 * 2); the second pass (classifying) also counts the frames left out. */
static int walk(const bn_rp_plan_options *o, bn_rp_plan *plan, int (*fn)(void *arg, const bn_pcap_frame *pf, uint8_t *data),
                void *arg, bool classifying, char err[BN_RP_ERRLEN])
{
  bn_pcap_source *s;
  char perr[BN_PCAP_ERRLEN];
  int rc = bn_rp_plan_open_source(o, &s, perr);
  if (rc < 0) {
    return plan_error(err, rc, "%s", perr);
  }
  snprintf(plan->linktype, sizeof(plan->linktype), "%s", bn_pcap_source_linktype(s));
  bn_pcap_frame pf;
  uint64_t first_ts = 0, prev_ts = 0;
  uint8_t *copy = malloc(BN_PCAP_FRAME_MAX); /* a TCP super-frame fits */
  if (copy == NULL) {
    bn_pcap_source_close(s);
    return plan_error(err, -ENOMEM, "out of memory");
  }
  while ((o->limit == 0 || bn_pcap_source_count(s) < o->limit) && bn_pcap_source_next_any(s, &pf) == 1) {
    if (pf.number == 1) {
      first_ts = pf.ts_ns;
    }
    if (classifying && pf.skip != BN_SKIP_FILE_TRUNCATED) {
      note_frame(plan, &pf, &prev_ts);
    }
    if (pf.skip < 0 && pf.ts_ns - first_ts < o->start_at_ns) {
      pf.skip = BN_SKIP_BEFORE_START;
    }
    size_t len = pf.len < BN_PCAP_FRAME_MAX ? pf.len : BN_PCAP_FRAME_MAX;
    memcpy(copy, pf.data, len);
    if (pf.skip >= 0) {
      if (classifying) {
        bn_rp_plan_skip(plan, &pf, copy, len, pf.skip);
      } else {
        plan->skipped[pf.skip]++; /* the census's count, for its refusal; the second pass counts anew */
      }
      continue;
    }
    rc = fn(arg, &pf, copy);
    if (rc < 0) {
      free(copy);
      bn_pcap_source_close(s);
      return plan_error(err, rc, "out of memory reading %s", shown(o));
    }
  }
  free(copy);
  plan->frames_read = bn_pcap_source_count(s);
  if (bn_pcap_source_error(s) != NULL) {
    /* libpcap cannot go on (e.g. a pcapng whose interfaces have different
     * link types): its words, and where. */
    rc = plan_error(err, -EINVAL, "%s: libpcap cannot read frame %llu: %s", shown(o),
                    (unsigned long long)plan->frames_read + 1, bn_pcap_source_error(s));
  }
  bn_pcap_source_close(s);
  return rc;
}

static int census_fn(void *arg, const bn_pcap_frame *pf, uint8_t *data)
{
  bn_rp_frame f;
  if (bn_rp_parse(data, pf->len, &f) < 0) {
    bn_rp_census_frame(arg, pf, &f);
  }
  return 0;
}

static int sort_fn(void *arg, const bn_pcap_frame *pf, uint8_t *data)
{
  return bn_rp_sorter_frame(arg, pf, data);
}

/* A capture with no frame to or from the board: refused, naming the reason
 * most of its frames were skipped for. */
static int nothing_to_replay(const bn_rp_plan_options *o, const bn_rp_plan *plan, char err[BN_RP_ERRLEN])
{
  int most = -1;
  for (int i = 0; i < BN_SKIP_COUNT; i++) {
    if (plan->skipped[i] > 0 && (most < 0 || plan->skipped[i] > plan->skipped[most])) {
      most = i;
    }
  }
  char ip[16];
  bn_rp_ip_text(plan->board_ip, ip, sizeof(ip));
  if (plan->board_ip == 0) { /* the census found no IPv4 to tell the board by */
    if (most < 0) {
      return -EINVAL; /* its own message stands */
    }
    return plan_error(err, -EINVAL, "%s: no IPv4 traffic to tell the board by: of %llu frames, %llu %s (give "
                      "--board-ip)", shown(o), (unsigned long long)plan->frames_read,
                      (unsigned long long)plan->skipped[most], bn_replay_skip_name((bn_replay_skip)most));
  }
  if (most < 0) {
    return plan_error(err, -EINVAL, "%s: no frames to replay", shown(o));
  }
  return plan_error(err, -EINVAL, "%s: nothing to replay for board %s: of %llu frames, %llu %s", shown(o), ip,
              (unsigned long long)plan->frames_read, (unsigned long long)plan->skipped[most],
              bn_replay_skip_name((bn_replay_skip)most));
}

int bn_rp_plan_build(const bn_rp_plan_options *o, bn_rp_plan *plan, char err[BN_RP_ERRLEN])
{
  memset(plan, 0, sizeof(*plan));
  if (o->path == NULL || strcmp(o->path, "-") == 0) {
    return plan_error(err, -EINVAL, "a replay reads its capture twice: give a file, not standard input");
  }
  struct stat st;
  if (stat(o->path, &st) == 0 && !S_ISREG(st.st_mode)) {
    return plan_error(err, -EINVAL, "%s: a replay reads its capture more than once: give a regular file, not a pipe "
                "or a device", shown(o));
  }
  bn_rp_census *c = bn_rp_census_new();
  if (c == NULL) {
    return plan_error(err, -ENOMEM, "out of memory");
  }
  plan->board_ip = o->board_ip;
  int rc = walk(o, plan, census_fn, c, false, err);
  if (rc == 0) {
    rc = bn_rp_census_decide(c, plan, o->board_ip != 0, err);
    if (rc == -EINVAL) {
      rc = nothing_to_replay(o, plan, err); /* no IPv4 at all: say what there was */
    }
  }
  free(c);
  memset(plan->skipped, 0, sizeof(plan->skipped));
  if (rc == 0) {
    bn_rp_sorter *sorter = bn_rp_sorter_new(plan);
    rc = sorter != NULL ? walk(o, plan, sort_fn, sorter, true, err) : plan_error(err, -ENOMEM, "out of memory");
    bn_rp_sorter_end(sorter);
    if (rc == 0 && plan->frames_used == 0) {
      rc = nothing_to_replay(o, plan, err);
    }
  }
  if (rc < 0) {
    bn_rp_plan_free(plan);
  }
  return rc;
}

void bn_rp_plan_free(bn_rp_plan *plan)
{
  for (size_t i = 0; i < plan->nflows; i++) {
    free(plan->flows[i].bframes);
    free(plan->flows[i].stream);
    free(plan->flows[i].stream_unknown);
  }
  free(plan->flows);
  free(plan->steps);
  free(plan->hosts);
  memset(plan, 0, sizeof(*plan));
}

const uint8_t *bn_rp_plan_host_mac(const bn_rp_plan *plan, uint32_t ip)
{
  for (size_t i = 0; i < plan->nhosts; i++) {
    if (plan->hosts[i].ip == ip) {
      return plan->hosts[i].mac;
    }
  }
  return NULL;
}

void bn_rp_flow_name(const bn_rp_plan *plan, const bn_rp_flow *f, char *out, size_t size)
{
  (void)plan;
  char peer[16];
  bn_rp_ip_text(f->peer_ip, peer, sizeof(peer));
  switch (f->kind) {
  case BN_RP_FLOW_TCP:
    if (f->board_opened) {
      snprintf(out, size, "tcp board:%u -> %s:%u", f->board_port, peer, f->peer_port);
    } else {
      snprintf(out, size, "tcp %s:%u -> board:%u", peer, f->peer_port, f->board_port);
    }
    break;
  case BN_RP_FLOW_UDP:
    snprintf(out, size, "udp %s:%u <-> board:%u", peer, f->peer_port, f->board_port);
    break;
  case BN_RP_FLOW_ICMP:
    snprintf(out, size, "icmp %s <-> board", peer);
    break;
  case BN_RP_FLOW_ARP:
    snprintf(out, size, "arp");
    break;
  case BN_RP_FLOW_DHCP:
    snprintf(out, size, "dhcp");
    break;
  case BN_RP_FLOW_IP:
    snprintf(out, size, "ip proto %u %s <-> board", f->peer_port, peer);
    break;
  }
}
