/*
 * The record stage (link_record.h): libpcap's dumper behind a lock (frames
 * received during a send wait for it, for causal order in the file), the
 * filter compiled once and applied per frame with pcap_offline_filter(),
 * rotation by size, a flush at least once a second driven by the stage's
 * poll, and recording stopped (not the board) by a write error.
 */
#include "link_record.h"
#include "bn_clock.h"
#include "record_writer.h"

#include <errno.h>
#include <fcntl.h>
#include <pcap/pcap.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* How often a file is flushed at least (a pipe to a live viewer: faster). */
#define FLUSH_FILE_NS (1000u * 1000u * 1000u)
#define FLUSH_PIPE_NS (100u * 1000u * 1000u)
/* The snapshot length in the file's header: every frame is written whole. */
#define SNAPLEN 65535

struct record_link {
  bn_link link;            /* first: a bn_link * is a struct record_link * */
  bn_mutex_t mu;      /* everything below */
  pcap_t *dead;            /* the handle the dumper and the filter belong to */
  pcap_dumper_t *dumper;   /* NULL once recording stopped */
  bn_record_writer *writer;   /* puts the dumper's bytes in the file (its own thread) */
  struct bpf_program prog;
  bool filtering;
  char *path;
  uint64_t rotate_bytes;
  uint64_t file_bytes;     /* bytes in the current file */
  uint64_t flush_every_ns;
  uint64_t flush_at;       /* BN_CLOCK_FOREVER: nothing unflushed */
  bn_record_stats stats;
  void (*notice)(void *arg, const char *message);
  void *notice_arg;
  bn_record_stats *final_stats;  /* filled in at close, if given */
  int live;                      /* atomic: set up completely (writer_failed may wake it) */
  /* Causal order without holding the lock across a send: while a send is in
   * progress (sending), frames received meanwhile -- answers to it, maybe --
   * wait in deferred, and the sender writes them after its own. */
  bool sending;
  bn_cond_t sent;     /* sending went false */
  struct deferred_frame *deferred;
  size_t deferred_count;
};

/* A received frame waiting for a send in progress to be written first. */
struct deferred_frame {
  uint64_t ts_ns;
  size_t len;
  uint8_t data[BN_LINK_MAX_FRAME];
};
/* Frames a receiver may put aside during one send (then it waits). */
#define DEFERRED_MAX 64

static struct record_link *record_of(bn_link *link)
{
  return (struct record_link *)link;
}

static int fail(char err[BN_RECORD_ERRLEN], int rc, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err, BN_RECORD_ERRLEN, fmt, ap);
  va_end(ap);
  return rc;
}

static const char *file_name(const struct record_link *r)
{
  return strcmp(r->path, "-") == 0 ? "standard output" : r->path;
}

/* PATH, PATH1, PATH2 ...: the name of the file number index (0 first). */
static void rotated_name(const char *path, unsigned index, char *out, size_t size)
{
  if (index == 0) {
    snprintf(out, size, "%s", path);
  } else {
    snprintf(out, size, "%s%u", path, index);
  }
}

/* Opens file number index (under mu, or before the stage is shared): its
 * descriptor behind the writer's FILE, handed to libpcap's dumper. */
static int open_file(struct record_link *r, unsigned index, char err[BN_RECORD_ERRLEN])
{
  char name[4096];
  rotated_name(r->path, index, name, sizeof(name));
  bool to_stdout = strcmp(name, "-") == 0;
  int fd = to_stdout ? fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 0)
                     : open(name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
  FILE *f = fd >= 0 ? bn_record_writer_fopen(r->writer, fd) : NULL;
  if (f == NULL) {
    int rc = -errno;
    if (fd >= 0) {
      close(fd);
    }
    return fail(err, rc, "cannot record to %s: %s", to_stdout ? "standard output" : name, strerror(-rc));
  }
  r->dumper = pcap_dump_fopen(r->dead, f);
  if (r->dumper == NULL) {
    /* libpcap closed f if it could not write the header; else f stays
     * open (a link type it cannot map, not ours): a leak, never a double close. */
    return fail(err, -EIO, "cannot record to %s: %s", to_stdout ? "standard output" : name,
                pcap_geterr(r->dead));
  }
  r->file_bytes = 24; /* the file header */
  r->stats.files++;
  return 0;
}

/* Stops recording after a write error (under mu): one notice, the board runs on. */
static void stop_on_error(struct record_link *r, int rc)
{
  pcap_dump_close(r->dumper);
  r->dumper = NULL;
  r->stats.error = rc;
  r->flush_at = BN_CLOCK_FOREVER;
  if (r->notice != NULL) {
    char msg[BN_RECORD_ERRLEN];
    snprintf(msg, sizeof(msg), "recording to %s stopped: %s (%llu frames recorded)", file_name(r),
             rc == -ETIMEDOUT ? "it does not take the frames as fast as the wire brings them"
                              : strerror(-rc), (unsigned long long)r->stats.frames);
    r->notice(r->notice_arg, msg);
  }
}

/* Flushes into the writer and has it write out (under mu); a failure,
 * now or earlier in the writer's thread, stops recording. */
static void flush_locked(struct record_link *r)
{
  if (r->dumper == NULL) {
    r->flush_at = BN_CLOCK_FOREVER;
    return;
  }
  errno = 0;
  int rc = pcap_dump_flush(r->dumper) != 0 || ferror(pcap_dump_file(r->dumper)) ? (errno ? -errno : -EIO) : 0;
  if (rc == 0) {
    bn_record_writer_flush(r->writer);
    rc = bn_record_writer_error(r->writer);
  }
  if (rc != 0) {
    stop_on_error(r, rc);
    return;
  }
  r->flush_at = BN_CLOCK_FOREVER;
}

/* Writes one frame (under mu). Returns true when it is the first frame not
 * flushed yet: then the poller must learn of the new flush deadline. */
static bool write_locked(struct record_link *r, const uint8_t *frame, size_t len, uint64_t ts_ns)
{
  if (r->dumper == NULL) {
    return false;
  }
  uint64_t wall = bn_clock_wall_ns(ts_ns);
  struct pcap_pkthdr hdr;
  hdr.ts.tv_sec = (time_t)(wall / 1000000000u);
  hdr.ts.tv_usec = (suseconds_t)(wall % 1000000000u); /* nanoseconds: the handle's precision */
  hdr.caplen = (bpf_u_int32)len;
  hdr.len = (bpf_u_int32)len;
  if (r->filtering && pcap_offline_filter(&r->prog, &hdr, frame) == 0) {
    r->stats.filtered++;
    return false;
  }
  if (r->rotate_bytes != 0 && r->file_bytes + 16 + len > r->rotate_bytes && r->file_bytes > 24) {
    char err[BN_RECORD_ERRLEN];
    errno = 0;
    pcap_dump_close(r->dumper); /* flushes */
    r->dumper = NULL;
    int rc = open_file(r, r->stats.files, err);
    if (rc < 0) {
      r->dumper = NULL;
      r->stats.error = rc;
      r->flush_at = BN_CLOCK_FOREVER; /* nothing more to flush: no busy pump */
      if (r->notice != NULL) {
        r->notice(r->notice_arg, err);
      }
      return false;
    }
  }
  errno = 0;
  pcap_dump((u_char *)r->dumper, &hdr, frame);
  if (ferror(pcap_dump_file(r->dumper))) {
    stop_on_error(r, errno != 0 ? -errno : -EIO); /* the failing write's errno */
    return false;
  }
  r->file_bytes += 16 + len;
  r->stats.frames++;
  r->stats.bytes += len;
  if (r->flush_at != BN_CLOCK_FOREVER) {
    return false;
  }
  r->flush_at = bn_clock_add_ns(bn_clock_now_ns(), r->flush_every_ns);
  return true;
}

/* Egress, step 1 (under mu): the frames about to be sent will be written
 * before anything received from now on. */
static void begin_send(struct record_link *r)
{
  bn_mutex_lock(&r->mu);
  r->sending = true;
  bn_mutex_unlock(&r->mu);
}

/* Egress, step 2 (mu held by the caller): after the sent frames, the frames
 * received during the send, in order; receivers may write again. */
static bool end_send_locked(struct record_link *r)
{
  bool armed = false;
  for (size_t i = 0; i < r->deferred_count; i++) {
    armed |= write_locked(r, r->deferred[i].data, r->deferred[i].len, r->deferred[i].ts_ns);
  }
  r->deferred_count = 0;
  r->sending = false;
  bn_cond_broadcast(&r->sent);
  return armed;
}

static int record_send(bn_link *link, const uint8_t *frame, size_t len, uint64_t ts_ns)
{
  struct record_link *r = record_of(link);
  begin_send(r);
  int rc = bn_link_send(link->inner, frame, len, ts_ns);
  bn_mutex_lock(&r->mu);
  bool armed = rc == 0 && write_locked(r, frame, len, ts_ns); /* only what the wire took */
  armed |= end_send_locked(r);
  bn_mutex_unlock(&r->mu);
  if (armed) {
    bn_link_wake(link); /* the pump flushes it within the second */
  }
  return rc;
}

static size_t record_send_batch(bn_link *link, bn_link_frame *frames, size_t n)
{
  struct record_link *r = record_of(link);
  begin_send(r);
  size_t sent = bn_link_send_batch(link->inner, frames, n);
  bool armed = false;
  bn_mutex_lock(&r->mu);
  for (size_t i = 0; i < n && sent > 0; i++) {
    if (frames[i].result == 0) {
      armed |= write_locked(r, frames[i].data, frames[i].len, frames[i].ts_ns);
    }
  }
  armed |= end_send_locked(r);
  bn_mutex_unlock(&r->mu);
  if (armed) {
    bn_link_wake(link); /* the pump flushes them within the second */
  }
  return sent;
}

/* The receiver of one poll: records each frame, then hands it on. */
struct record_rx {
  struct record_link *r;
  const bn_link_rx *up;
};

/* A frame not sent by the board (received, or a mark): written now, or
 * after the send in progress (under mu). Returns write_locked()'s answer. */
static bool write_incoming_locked(struct record_link *r, const uint8_t *frame, size_t len, uint64_t ts_ns)
{
  /* The send in progress lasts no longer than the writer's bounded wait. */
  while (r->sending && r->deferred_count == DEFERRED_MAX) {
    bn_cond_wait(&r->sent, &r->mu, BN_CLOCK_FOREVER);
  }
  if (!r->sending) {
    return write_locked(r, frame, len, ts_ns);
  }
  struct deferred_frame *d = &r->deferred[r->deferred_count++];
  d->ts_ns = ts_ns;
  d->len = len;
  memcpy(d->data, frame, len);
  return false;  /* the sender arms the flush */
}

static void record_rx_frame(void *arg, const uint8_t *frame, size_t len, uint64_t ts_ns)
{
  struct record_link *r = ((struct record_rx *)arg)->r;
  const bn_link_rx *up = ((struct record_rx *)arg)->up;
  bn_mutex_lock(&r->mu);
  (void)write_incoming_locked(r, frame, len, ts_ns); /* the pump itself: it sees flush_at next */
  bn_mutex_unlock(&r->mu);
  up->frame(up->arg, frame, len, ts_ns);
}

static void record_rx_carrier(void *arg, bool up)
{
  struct record_rx *x = arg;
  if (x->up->carrier != NULL) {
    x->up->carrier(x->up->arg, up);
  }
}

static void record_rx_batch_end(void *arg)
{
  bn_link_rx_batch_end(((struct record_rx *)arg)->up);
}

static int record_poll(bn_link *link, const bn_link_rx *rx, uint64_t until_ns)
{
  struct record_link *r = record_of(link);
  bn_mutex_lock(&r->mu);
  uint64_t flush_at = r->flush_at;
  bn_mutex_unlock(&r->mu);
  /* The pump: wake up for the next flush if that comes first. */
  struct record_rx x = { .r = r, .up = rx };
  const bn_link_rx mine = { .frame = record_rx_frame, .carrier = record_rx_carrier,
                            .batch_end = record_rx_batch_end, .arg = &x };
  int rc = bn_link_poll(link->inner, &mine, flush_at < until_ns ? flush_at : until_ns);
  bn_mutex_lock(&r->mu);
  if (bn_clock_now_ns() >= r->flush_at || (r->dumper != NULL && bn_record_writer_error(r->writer) != 0)) {
    flush_locked(r); /* due, or the writer failed: then this stops the recording */
  }
  bn_mutex_unlock(&r->mu);
  return rc;
}

static void record_close(bn_link *link)
{
  struct record_link *r = record_of(link);
  bool recording = r->dumper != NULL;
  if (recording) {
    pcap_dump_close(r->dumper); /* flushes: SIGINT/SIGTERM lose nothing */
    r->dumper = NULL;
  }
  int rc = bn_record_writer_close(r->writer); /* everything written, the thread gone */
  if (recording && rc != 0) {
    r->dumper = NULL;
    r->stats.error = rc;
    if (r->notice != NULL) {
      char msg[BN_RECORD_ERRLEN];
      snprintf(msg, sizeof(msg), "recording to %s: the last frames were lost: %s", file_name(r), strerror(-rc));
      r->notice(r->notice_arg, msg);
    }
  }
  if (r->final_stats != NULL) {
    *r->final_stats = r->stats;
  }
  if (r->filtering) {
    pcap_freecode(&r->prog);
  }
  pcap_close(r->dead);
  bn_cond_destroy(&r->sent);
  bn_mutex_destroy(&r->mu);
  free(r->deferred);
  free(r->path);
  free(r);
}

static const struct bn_link_ops record_ops = {
  .kind = "record",
  .send = record_send,
  .send_batch = record_send_batch,
  .poll = record_poll,
  .close = record_close,
};

/* The writer's thread failed to write: the pump stops the recording. */
static void writer_failed(void *arg)
{
  struct record_link *r = arg;
  if (__atomic_load_n(&r->live, __ATOMIC_ACQUIRE)) {
    bn_link_wake(&r->link);
  }
}

/* A dead Ethernet handle with nanosecond timestamps, and the filter on it. */
static pcap_t *open_dead(const char *filter, struct bpf_program *prog, char err[BN_RECORD_ERRLEN],
                         int *rc)
{
  pcap_t *dead = pcap_open_dead_with_tstamp_precision(DLT_EN10MB, SNAPLEN, PCAP_TSTAMP_PRECISION_NANO);
  if (dead == NULL) {
    *rc = fail(err, -ENOMEM, "cannot record: out of memory");
    return NULL;
  }
  if (filter != NULL && pcap_compile(dead, prog, filter, 1, PCAP_NETMASK_UNKNOWN) != 0) {
    *rc = fail(err, -EINVAL, "bad filter '%s': %s", filter, pcap_geterr(dead));
    pcap_close(dead);
    return NULL;
  }
  *rc = 0;
  return dead;
}

int bn_link_record_check_filter(const char *filter, char err[BN_RECORD_ERRLEN])
{
  struct bpf_program prog;
  int rc;
  pcap_t *dead = open_dead(filter, &prog, err, &rc);
  if (dead != NULL) {
    if (filter != NULL) {
      pcap_freecode(&prog);
    }
    pcap_close(dead);
  }
  return rc;
}

/* Frees what bn_link_record_open() set up of r so far (not yet shared). */
static void free_unopened(struct record_link *r)
{
  if (r->writer != NULL) {
    bn_record_writer_close(r->writer);
  }
  if (r->dead != NULL) {
    if (r->filtering) {
      pcap_freecode(&r->prog);
    }
    pcap_close(r->dead);
  }
  free(r->deferred);
  free(r->path);
  free(r);
}

int bn_link_record_open(bn_link *inner, const bn_record_options *o, bn_link **out,
                        char err[BN_RECORD_ERRLEN])
{
  if (inner == NULL || o == NULL || o->path == NULL || o->path[0] == '\0' || out == NULL) {
    return fail(err, -EINVAL, "record: no file given");
  }
  bool to_stdout = strcmp(o->path, "-") == 0;
  if (to_stdout && o->rotate_bytes != 0) {
    return fail(err, -EINVAL, "record: standard output cannot be rotated");
  }
  struct record_link *r = calloc(1, sizeof(*r));
  if (r == NULL) {
    return fail(err, -ENOMEM, "cannot record: out of memory");
  }
  r->path = strdup(o->path);
  r->deferred = calloc(DEFERRED_MAX, sizeof(*r->deferred));
  if (r->path == NULL || r->deferred == NULL) {
    free_unopened(r);
    return fail(err, -ENOMEM, "cannot record: out of memory");
  }
  int rc;
  r->dead = open_dead(o->filter, &r->prog, err, &rc);
  r->filtering = r->dead != NULL && o->filter != NULL;
  if (rc == 0) {
    rc = bn_record_writer_open(&r->writer, writer_failed, r);
    if (rc < 0) {
      r->writer = NULL;
      fail(err, rc, "cannot record: %s", strerror(-rc));
    }
  }
  if (rc == 0) {
    r->rotate_bytes = o->rotate_bytes;
    r->flush_every_ns = to_stdout ? FLUSH_PIPE_NS : FLUSH_FILE_NS;
    r->flush_at = BN_CLOCK_FOREVER;
    r->notice = o->notice;
    r->notice_arg = o->notice_arg;
    r->final_stats = o->final_stats;
    rc = open_file(r, 0, err);
  }
  if (rc < 0) {
    free_unopened(r);
    return rc;
  }
  bn_mutex_init(&r->mu);
  bn_cond_init(&r->sent);
  bn_link_stage_init(&r->link, &record_ops, inner);
  __atomic_store_n(&r->live, 1, __ATOMIC_RELEASE);
  *out = &r->link;
  return 0;
}

int bn_link_record_stats(bn_link *record, bn_record_stats *out)
{
  if (record == NULL || record->ops != &record_ops || out == NULL) {
    return -EINVAL;
  }
  struct record_link *r = record_of(record);
  bn_mutex_lock(&r->mu);
  *out = r->stats;
  bn_mutex_unlock(&r->mu);
  return 0;
}

/* Writes the mark frame into one record stage. */
static void mark_stage(bn_link *stage, const uint8_t *frame, size_t len, uint64_t ts_ns)
{
  struct record_link *r = record_of(stage);
  bn_mutex_lock(&r->mu);
  bool armed = write_incoming_locked(r, frame, len, ts_ns);
  bn_mutex_unlock(&r->mu);
  if (armed) {
    bn_link_wake(stage);
  }
}

int bn_link_record_mark(bn_link *link, uint64_t ts_ns, const char *text)
{
  bn_link *found = bn_link_find(link, "record");
  if (found == NULL) {
    return -ENOENT;
  }
  uint8_t frame[BN_LINK_MAX_FRAME];
  memcpy(frame, bn_record_mark_mac, 6);
  memcpy(frame + 6, bn_record_mark_mac, 6);
  frame[12] = (uint8_t)(BN_RECORD_MARK_ETHERTYPE >> 8);
  frame[13] = (uint8_t)BN_RECORD_MARK_ETHERTYPE;
  size_t n = strlen(text);
  n = n > sizeof(frame) - 14 ? sizeof(frame) - 14 : n;
  memcpy(frame + 14, text, n);
  size_t len = 14 + n < 60 ? 60 : 14 + n;  /* Ethernet's minimum, padded with zeros */
  memset(frame + 14 + n, 0, len - 14 - n);
  for (; found != NULL; found = bn_link_find(found->inner, "record")) {
    mark_stage(found, frame, len, ts_ns); /* the wire's recording, and the board's side (--record-board) */
  }
  return 0;
}
