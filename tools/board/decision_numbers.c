/* The decision log's lines given their frames' numbers in the recording (decision_numbers.h). */
#include "decision_numbers.h"
#include "bn_clock.h"
#include "bn_hash.h"
#include "link_record.h"

#include <errno.h>
#include <inttypes.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A frame of the recording. */
struct wire_frame {
  uint64_t number;  /* as Wireshark numbers it, from 1 */
  uint64_t ts_ns;   /* wall clock */
  uint64_t hash;
  bool taken;       /* an egress frame already given to a line's frame */
};

/* The recording's frames of one direction. */
struct wire_side {
  struct wire_frame *v;
  size_t n, cap;
  size_t from;      /* the lines come in time order: frames before from are too early for the next */
};

/* Reads the recording into its two directions (marks left out). */
static int read_recording(const char *path, const uint8_t mac[6], struct wire_side side[2],
                          char err[BN_DECISION_NUMBERS_ERRLEN])
{
  char perr[PCAP_ERRBUF_SIZE];
  pcap_t *p = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, perr);
  if (p == NULL) {
    snprintf(err, BN_DECISION_NUMBERS_ERRLEN, "%.120s: %.120s", path, perr);
    return -EINVAL;
  }
  struct pcap_pkthdr *h;
  const u_char *data;
  uint64_t number = 0;
  int rc;
  while ((rc = pcap_next_ex(p, &h, &data)) == 1) {
    number++;
    if (h->caplen < 14 || (data[12] == (BN_RECORD_MARK_ETHERTYPE >> 8) && data[13] == (BN_RECORD_MARK_ETHERTYPE & 0xff))) {
      continue;
    }
    struct wire_side *s = &side[memcmp(data + 6, mac, 6) == 0 ? 0 : 1];
    if (s->n == s->cap) {
      size_t cap = s->cap ? 2 * s->cap : 1024;
      struct wire_frame *grown = realloc(s->v, cap * sizeof(*grown));
      if (grown == NULL) {
        pcap_close(p);
        snprintf(err, BN_DECISION_NUMBERS_ERRLEN, "out of memory");
        return -ENOMEM;
      }
      s->v = grown;
      s->cap = cap;
    }
    s->v[s->n++] = (struct wire_frame){ .number = number,
                                        .ts_ns = (uint64_t)h->ts.tv_sec * 1000000000u + (uint64_t)h->ts.tv_usec,
                                        .hash = bn_hash_fnv1a64(data, h->caplen) };
  }
  if (rc == PCAP_ERROR) {
    snprintf(err, BN_DECISION_NUMBERS_ERRLEN, "%.120s: %.120s", path, pcap_geterr(p));
  }
  pcap_close(p);
  return rc == PCAP_ERROR ? -EIO : 0;
}

/* The line that decided on line k's frame as it came: k itself, or for a
 * held frame dropped as it left (its hash not taken then), the frame's
 * first line, which has the hash. */
static size_t origin_of(const bn_impair_log_index *ix, size_t k)
{
  for (size_t i = k + 1; i-- > 0;) {
    const bn_impair_logged *e = &ix->v[i];
    if (e->dir == ix->v[k].dir && e->frame_no == ix->v[k].frame_no && e->hash != 0) {
      return i;
    }
  }
  return k;
}

/* The number of line k's frame in the recording, 0 if it is not there:
 * egress, the first not yet taken sent at or after the decision; ingress,
 * the last received at or before it. A direction's lines come in time
 * order, so each search starts where the recording reaches the line's
 * time (less the slack) and ends soon: a frame is recorded a moment before
 * an ingress decision, or once its egress delay is over. */
static uint64_t number_of(const bn_impair_log_index *ix, size_t k, struct wire_side side[2])
{
  const bn_impair_logged *e = &ix->v[origin_of(ix, k)];
  uint64_t hash = e->hash, at = bn_clock_wall_ns(e->now_ns);
  struct wire_side *s = &side[e->dir];
  /* The recording stamps a frame with the time it was handed on, which may
   * be a moment before the decision's clock was read. */
  uint64_t slack = 50u * 1000u * 1000u;
  while (s->from < s->n && s->v[s->from].ts_ns + slack < at) {
    s->from++;
  }
  /* A frame's later line (a held one dropped as it left) looks from the start. */
  size_t start = e == &ix->v[k] ? s->from : 0;
  if (e->dir == 0) {
    for (size_t i = start; i < s->n; i++) {
      if (!s->v[i].taken && s->v[i].hash == hash) {
        s->v[i].taken = true;
        return s->v[i].number;
      }
    }
    return 0;
  }
  uint64_t found = 0;
  for (size_t i = start; i < s->n && s->v[i].ts_ns <= at + slack; i++) {
    if (s->v[i].hash == hash) {
      found = s->v[i].number;
    }
  }
  return found;
}

int bn_decisions_number(const char *decisions_path, const char *record_path, const uint8_t board_mac[6],
                        const bn_impair_log_index *ix, char err[BN_DECISION_NUMBERS_ERRLEN])
{
  struct wire_side side[2] = { { 0 } };
  uint64_t *numbers = calloc(ix->n ? ix->n : 1, sizeof(*numbers));
  int rc = numbers == NULL ? -ENOMEM : read_recording(record_path, board_mac, side, err);
  if (numbers == NULL) {
    snprintf(err, BN_DECISION_NUMBERS_ERRLEN, "out of memory");
  }
  /* Each frame once: the later lines of a frame share the first's number
   * (FRAME is its direction's count from the scenario's time 0; a frame
   * before it is 0, which only an egress drop logs: never numbered). */
  for (size_t k = 0; rc == 0 && k < ix->n; k++) {
    bool shared = false;
    for (size_t j = k; j-- > 0 && k - j <= 64 && !shared;) {
      if (ix->v[j].dir == ix->v[k].dir && ix->v[j].frame_no == ix->v[k].frame_no) {
        numbers[k] = numbers[j];
        shared = true;
      }
    }
    if (!shared) {
      numbers[k] = number_of(ix, k, side);
    }
  }
  free(side[0].v);
  free(side[1].v);
  FILE *in = rc == 0 ? fopen(decisions_path, "r") : NULL;
  char tmp[4096];
  snprintf(tmp, sizeof(tmp), "%s.numbering", decisions_path);
  FILE *out = in != NULL ? fopen(tmp, "w") : NULL;
  if (rc == 0 && out == NULL) {
    rc = -errno;
    snprintf(err, BN_DECISION_NUMBERS_ERRLEN, "%.160s: %.80s", in == NULL ? decisions_path : tmp, strerror(-rc));
  }
  char *line = NULL;
  size_t cap = 0, k = 0;
  ssize_t len;
  while (rc == 0 && (len = getline(&line, &cap, in)) > 0) {
    if (line[len - 1] == '\n') {
      line[--len] = '\0';
    }
    if (line[0] == '#') {
      fprintf(out, "%s\n", line); /* a step */
      continue;
    }
    if (k == ix->n) {
      rc = -EPROTO;
      snprintf(err, BN_DECISION_NUMBERS_ERRLEN, "%.160s: more lines than decisions kept", decisions_path);
      break;
    }
    const bn_impair_logged *e = &ix->v[k];
    if (e->dir == 0 && e->drop) {
      fprintf(out, "%s capture - (never on the wire)\n", line);
    } else if (numbers[k] == 0) {
      fprintf(out, "%s capture ?\n", line);
    } else {
      fprintf(out, "%s capture %" PRIu64 "\n", line, numbers[k]);
    }
    k++;
  }
  free(line);
  free(numbers);
  if (in != NULL) {
    fclose(in);
  }
  if (out != NULL && (fclose(out) != 0 || rc != 0)) {
    rc = rc != 0 ? rc : -EIO;
    if (err[0] == '\0') {
      snprintf(err, BN_DECISION_NUMBERS_ERRLEN, "%.160s: cannot be written", tmp);
    }
    remove(tmp);
    return rc;
  }
  if (rc == 0 && rename(tmp, decisions_path) != 0) {
    rc = -errno;
    snprintf(err, BN_DECISION_NUMBERS_ERRLEN, "%.160s: %.80s", decisions_path, strerror(-rc));
    remove(tmp);
  }
  return rc;
}
