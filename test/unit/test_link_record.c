/*
 * The record stage (netif/record/link_record.h) over a memory pair, every file read
 * back with libpcap: frames of both directions in order with their bytes and
 * timestamps, the filter, a bad filter refused, rotation (FILE, FILE1 ...),
 * the flush within a second while nothing else happens, and a full disk
 * (/dev/full: ENOSPC) stopping the recording, not the link.
 */
#include "bn_test.h"

#include <dirent.h>
#include <errno.h>
#include <pcap/pcap.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "frames.h"
#include "link_memory.h"
#include "link_poll.h"
#include "link_record.h"

static char dir[] = "/tmp/bn-record-XXXXXX";

static void make_dir(void)
{
  ck_assert_ptr_nonnull(mkdtemp(dir));
}

/* Checked teardown: the test's files go with it. */
static void remove_dir(void)
{
  DIR *d = opendir(dir);
  if (d == NULL) {
    return;
  }
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
      char path[512];
      snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
      unlink(path);
    }
  }
  closedir(d);
  rmdir(dir);
}

static void path_in_dir(char *out, size_t size, const char *name)
{
  snprintf(out, size, "%s/%s", dir, name);
}

/* A frame with ethertype type and len bytes, its content from tag. */
static size_t test_frame(uint8_t *buf, size_t len, uint16_t type, unsigned tag)
{
  static const uint8_t a[6] = { 2, 0, 0, 0, 0, 1 }, b[6] = { 2, 0, 0, 0, 0, 2 };
  frame_eth(buf, a, b, type);
  for (size_t i = FRAME_ETH_HLEN; i < len; i++) {
    buf[i] = (uint8_t)(tag * 13u + i);
  }
  return len;
}

static void ignore(void *arg, const uint8_t *frame, size_t len, uint64_t ts_ns)
{
  (void)arg, (void)frame, (void)len, (void)ts_ns;
}

/* Every frame of a pcap file. */
struct capture {
  int n;
  size_t len[32];
  uint64_t ts[32];   /* nanoseconds since the epoch */
  uint8_t data[32][BN_LINK_MAX_FRAME];
};

static int read_capture(const char *path, struct capture *c)
{
  char err[PCAP_ERRBUF_SIZE];
  pcap_t *p = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, err);
  if (p == NULL) {
    return -1;
  }
  ck_assert_int_eq(pcap_datalink(p), DLT_EN10MB);
  memset(c, 0, sizeof(*c));
  struct pcap_pkthdr *h;
  const u_char *data;
  while (pcap_next_ex(p, &h, &data) == 1) {
    ck_assert_int_lt(c->n, 32);
    ck_assert_uint_eq(h->caplen, h->len);
    c->len[c->n] = h->caplen;
    c->ts[c->n] = (uint64_t)h->ts.tv_sec * 1000000000u + (uint64_t)h->ts.tv_usec;
    memcpy(c->data[c->n], data, h->caplen);
    c->n++;
  }
  pcap_close(p);
  return c->n;
}

static bn_link *record_on(bn_link *inner, const bn_record_options *o)
{
  char err[BN_RECORD_ERRLEN];
  bn_link *r = NULL;
  ck_assert_msg(bn_link_record_open(inner, o, &r, err) == 0, "%s", err);
  ck_assert_str_eq(r->name, inner->name); /* the backend's name, for the MAC */
  ck_assert_ptr_eq(bn_link_find(r, "record"), r);
  return r;
}

/* A memory pair whose end a records to file `name` in the test's directory
 * (its path in path, *b the other end); o may add to the options. */
static bn_link *record_pair(const char *name, size_t capacity, bn_record_options o, char path[256],
                            bn_link **b)
{
  make_dir();
  path_in_dir(path, 256, name);
  bn_link *a;
  ck_assert_int_eq(bn_link_memory_pair(capacity, &a, b), 0);
  o.path = path;
  return record_on(a, &o);
}

START_TEST(record_both_directions_in_order_with_bytes_and_timestamps)
{
  char path[256];
  bn_link *b;
  bn_link *r = record_pair("both.pcap", 16, (bn_record_options){ 0 }, path, &b);
  uint8_t f[BN_LINK_MAX_FRAME];
  uint64_t t0 = bn_clock_now_ns();
  /* egress: two sends and a batch; ingress: two frames, polled through r */
  ck_assert_int_eq(bn_link_send(r, f, test_frame(f, 60, 0x0800, 1), t0 + 1000), 0);
  ck_assert_int_eq(bn_link_send(b, f, test_frame(f, 1514, 0x0800, 2), t0 + 2000), 0);
  ck_assert_int_eq(poll_ms(r, ignore, NULL, 0), 1);
  uint8_t g[2][64];
  bn_link_frame batch[2] = {
    { .data = g[0], .len = test_frame(g[0], 64, 0x0806, 3), .ts_ns = t0 + 3000 },
    { .data = g[1], .len = test_frame(g[1], 42, 0x0806, 4), .ts_ns = t0 + 4000 },
  };
  ck_assert_uint_eq(bn_link_send_batch(r, batch, 2), 2);
  ck_assert_int_eq(bn_link_send(b, f, test_frame(f, BN_LINK_MAX_FRAME, 0x86dd, 5), t0 + 5000), 0);
  ck_assert_int_eq(poll_ms(r, ignore, NULL, 0), 1);
  bn_record_stats st;
  ck_assert_int_eq(bn_link_record_stats(r, &st), 0);
  ck_assert_uint_eq(st.frames, 5);
  ck_assert_uint_eq(st.bytes, 60 + 1514 + 64 + 42 + BN_LINK_MAX_FRAME);
  ck_assert_uint_eq(st.files, 1);
  ck_assert_int_eq(st.error, 0);
  bn_link_close(r);
  bn_link_close(b);

  static struct capture c;
  ck_assert_int_eq(read_capture(path, &c), 5);
  static const size_t lens[5] = { 60, 1514, 64, 42, BN_LINK_MAX_FRAME };
  static const uint16_t types[5] = { 0x0800, 0x0800, 0x0806, 0x0806, 0x86dd };
  for (int i = 0; i < 5; i++) {
    ck_assert_uint_eq(c.len[i], lens[i]);
    test_frame(f, lens[i], types[i], (unsigned)i + 1);
    ck_assert_mem_eq(c.data[i], f, lens[i]);
    /* the frame's own timestamp, as wall-clock time, to the nanosecond */
    ck_assert_uint_eq(c.ts[i], bn_clock_wall_ns(t0 + 1000u * (uint64_t)(i + 1)));
  }
}
END_TEST

START_TEST(record_mark_is_a_frame_in_the_timeline)
{
  char path[256];
  bn_link *b;
  bn_link *r = record_pair("mark.pcap", 16, (bn_record_options){ 0 }, path, &b);
  uint8_t f[BN_LINK_MAX_FRAME];
  uint64_t t0 = bn_clock_now_ns();
  ck_assert_int_eq(bn_link_send(r, f, test_frame(f, 60, 0x0800, 1), t0 + 1000), 0);
  ck_assert_int_eq(bn_link_record_mark(r, t0 + 2000, "step line 4: link down"), 0);
  ck_assert_int_eq(bn_link_send(r, f, test_frame(f, 60, 0x0800, 2), t0 + 3000), 0);
  ck_assert_int_eq(bn_link_record_mark(b, t0, "x"), -ENOENT);  /* no record stage there */
  ck_assert_int_eq(poll_ms(b, ignore, NULL, 0), 2);  /* the mark never reaches the wire */
  bn_link_close(r);
  bn_link_close(b);
  static struct capture c;
  ck_assert_int_eq(read_capture(path, &c), 3);
  ck_assert_uint_eq(c.len[1], 60);  /* padded to Ethernet's minimum */
  ck_assert_mem_eq(c.data[1], bn_record_mark_mac, 6);
  ck_assert_mem_eq(c.data[1] + 6, bn_record_mark_mac, 6);
  ck_assert_uint_eq(c.data[1][12] << 8 | c.data[1][13], BN_RECORD_MARK_ETHERTYPE);
  ck_assert_mem_eq(c.data[1] + 14, "step line 4: link down", 22);
  ck_assert_uint_eq(c.data[1][14 + 22], 0);
  ck_assert_uint_eq(c.ts[1], bn_clock_wall_ns(t0 + 2000));
}
END_TEST

START_TEST(record_filter_keeps_matching_frames_only)
{
  char path[256];
  bn_link *b;
  bn_link *r = record_pair("arp.pcap", 16, (bn_record_options){ .filter = "arp" }, path, &b);
  uint8_t f[128];
  for (unsigned i = 0; i < 6; i++) {
    ck_assert_int_eq(bn_link_send(r, f, test_frame(f, 60, i % 2 ? 0x0806 : 0x0800, i), 0), 0);
  }
  bn_record_stats st;
  ck_assert_int_eq(bn_link_record_stats(r, &st), 0);
  ck_assert_uint_eq(st.frames, 3);
  ck_assert_uint_eq(st.filtered, 3);
  /* every frame still went on: the filter is the recording's only */
  struct got { int n; } got = { 0 };
  ck_assert_int_eq(poll_ms(b, ignore, &got, 0), 6);
  bn_link_close(r);
  bn_link_close(b);
  static struct capture c;
  ck_assert_int_eq(read_capture(path, &c), 3);
  for (int i = 0; i < 3; i++) {
    ck_assert_uint_eq(frame_get16(c.data[i] + FRAME_OFF_ETH_TYPE), 0x0806);
  }
}
END_TEST

START_TEST(record_bad_filter_is_refused_and_the_link_stays_the_callers)
{
  char err[BN_RECORD_ERRLEN] = "";
  ck_assert_int_eq(bn_link_record_check_filter("tcp port", err), -EINVAL);
  ck_assert_ptr_nonnull(strstr(err, "tcp port"));
  ck_assert_int_eq(bn_link_record_check_filter("tcp port 80 and not arp", err), 0);
  bn_link *a, *b;
  ck_assert_int_eq(bn_link_memory_pair(4, &a, &b), 0);
  bn_record_options o = { .path = "/nonexistent-dir/x.pcap", .filter = "nonsense(" };
  bn_link *r = NULL;
  ck_assert_int_eq(bn_link_record_open(a, &o, &r, err), -EINVAL);
  o.filter = NULL;
  ck_assert_int_eq(bn_link_record_open(a, &o, &r, err), -ENOENT);
  ck_assert_ptr_nonnull(strstr(err, "/nonexistent-dir/x.pcap"));
  o.path = "-";
  o.rotate_bytes = 1000;
  ck_assert_int_eq(bn_link_record_open(a, &o, &r, err), -EINVAL);
  ck_assert_int_eq(bn_link_record_stats(a, &(bn_record_stats){ 0 }), -EINVAL);
  /* a is untouched and still works */
  uint8_t f[60];
  ck_assert_int_eq(bn_link_send(a, f, test_frame(f, 60, 0x0800, 0), 0), 0);
  ck_assert_int_eq(poll_ms(b, ignore, NULL, 0), 1);
  bn_link_close(a);
  bn_link_close(b);
}
END_TEST

START_TEST(record_rotates_by_size_as_tcpdump_C)
{
  char path[256], name[300];
  bn_link *b;
  /* 24-byte file header + 16 per record: three 100-byte frames fill 372 bytes */
  bn_link *r = record_pair("rot.pcap", 32, (bn_record_options){ .rotate_bytes = 372 }, path, &b);
  uint8_t f[100];
  for (unsigned i = 0; i < 8; i++) {
    ck_assert_int_eq(bn_link_send(r, f, test_frame(f, 100, 0x0800, i), 0), 0);
  }
  bn_record_stats st;
  ck_assert_int_eq(bn_link_record_stats(r, &st), 0);
  ck_assert_uint_eq(st.files, 3);
  bn_link_close(r);
  bn_link_close(b);
  static struct capture c;
  static const int expect[3] = { 3, 3, 2 };
  unsigned tag = 0;
  for (int k = 0; k < 3; k++) {
    if (k == 0) {
      snprintf(name, sizeof(name), "%s", path);
    } else {
      snprintf(name, sizeof(name), "%s%d", path, k);
    }
    ck_assert_int_eq(read_capture(name, &c), expect[k]);
    for (int i = 0; i < c.n; i++) {
      test_frame(f, 100, 0x0800, tag++);
      ck_assert_mem_eq(c.data[i], f, 100);
    }
  }
  snprintf(name, sizeof(name), "%s3", path);
  ck_assert_int_eq(access(name, F_OK), -1);
}
END_TEST

struct pump {
  bn_link *link;
  int stop;  /* atomic */
};

/* The netif's receive thread in miniature: polls forever, until told to stop. */
static void *pump_main(void *arg)
{
  struct pump *p = arg;
  while (!__atomic_load_n(&p->stop, __ATOMIC_ACQUIRE)) {
    ck_assert_int_ge(poll_ms(p->link, ignore, NULL, -1), 0);
  }
  return NULL;
}

START_TEST(record_flushes_within_a_second_while_idle)
{
  char path[256];
  bn_link *b;
  bn_link *r = record_pair("idle.pcap", 8, (bn_record_options){ 0 }, path, &b);
  struct pump p = { .link = r };
  pthread_t t;
  ck_assert_int_eq(pthread_create(&t, NULL, pump_main, &p), 0);
  uint8_t f[60];
  ck_assert_int_eq(bn_link_send(r, f, test_frame(f, 60, 0x0800, 7), 0), 0);
  /* nothing else happens: the pump flushes the frame by itself (bounded wait) */
  static struct capture c;
  int n = 0;
  for (int i = 0; i < 100 && n < 1; i++) {
    usleep(50 * 1000);
    n = read_capture(path, &c);
  }
  ck_assert_int_eq(n, 1);
  ck_assert_mem_eq(c.data[0], f, 60);
  __atomic_store_n(&p.stop, 1, __ATOMIC_RELEASE);
  bn_link_wake(r);
  pthread_join(t, NULL);
  bn_link_close(r);
  bn_link_close(b);
}
END_TEST

static int notices;
static char notice_text[BN_RECORD_ERRLEN];

static void on_notice(void *arg, const char *message)
{
  ck_assert_ptr_eq(arg, &notices);
  notices++;
  snprintf(notice_text, sizeof(notice_text), "%s", message);
}

START_TEST(record_disk_full_stops_recording_not_the_link)
{
  bn_link *a, *b;
  ck_assert_int_eq(bn_link_memory_pair(64, &a, &b), 0);
  bn_record_options o = { .path = "/dev/full", .notice = on_notice, .notice_arg = &notices };
  bn_link *r = record_on(a, &o);
  uint8_t f[BN_LINK_MAX_FRAME];
  /* More than the writer's buffers take, so that writes reach the device;
   * the pump (poll) notices the failure of the writer's thread. */
  int got = 0, sent = 0, n;
  bn_record_stats st = { 0 };
  for (unsigned i = 0; i < 5000 && st.error == 0; i++) {
    ck_assert_int_eq(bn_link_send(r, f, test_frame(f, 1500, 0x0800, i), 0), 0);
    sent++;
    ck_assert_int_eq(poll_ms(r, ignore, NULL, 0), 0);
    while ((n = poll_ms(b, ignore, NULL, 0)) > 0) {
      got += n;
    }
    ck_assert_int_eq(bn_link_record_stats(r, &st), 0);
    if (i >= 4000) {
      usleep(1000); /* bounded: the writer's thread may still be writing */
    }
  }
  ck_assert_int_eq(st.error, -ENOSPC);
  ck_assert_int_eq(notices, 1);
  ck_assert_ptr_nonnull(strstr(notice_text, "/dev/full"));
  ck_assert_ptr_nonnull(strstr(notice_text, strerror(ENOSPC)));
  /* the board's frames all went on, before and after */
  for (int i = 0; i < 5; i++) {
    ck_assert_int_eq(bn_link_send(r, f, test_frame(f, 60, 0x0800, 0), 0), 0);
    sent++;
  }
  while ((n = poll_ms(b, ignore, NULL, 0)) > 0) {
    got += n;
  }
  ck_assert_int_eq(got, sent);
  bn_link_close(r);
  ck_assert_int_eq(notices, 1);
  bn_link_close(b);
}
END_TEST

/* A reader that stops reading (a paused pipe) must not stop the board:
 * after the writer's bounded wait the recording stops, and closing does not
 * wait for the reader either. */
START_TEST(record_stalled_reader_stops_recording_not_the_board)
{
  int fds[2];
  ck_assert_int_eq(pipe(fds), 0);
  char path[64];
  snprintf(path, sizeof(path), "/dev/fd/%d", fds[1]);
  bn_link *a, *b;
  ck_assert_int_eq(bn_link_memory_pair(64, &a, &b), 0);
  bn_record_options o = { .path = path, .notice = on_notice, .notice_arg = &notices };
  bn_link *r = record_on(a, &o);
  close(fds[1]); /* the stage has its own descriptor of the pipe */
  uint8_t f[BN_LINK_MAX_FRAME];
  bn_record_stats st = { 0 };
  int sent = 0, got = 0, n;
  /* 4 MiB of buffers and a 64 KiB pipe hold less than 8000 frames */
  for (unsigned i = 0; i < 8000 && st.error == 0; i++) {
    ck_assert_int_eq(bn_link_send(r, f, test_frame(f, 1500, 0x0800, i), 0), 0);
    sent++;
    while ((n = poll_ms(b, ignore, NULL, 0)) > 0) {
      got += n;
    }
    ck_assert_int_eq(bn_link_record_stats(r, &st), 0);
  }
  ck_assert_int_eq(st.error, -ETIMEDOUT);
  ck_assert_int_eq(notices, 1);
  ck_assert_ptr_nonnull(strstr(notice_text, "as fast as the wire"));
  ck_assert_int_eq(got, sent); /* every frame went on */
  bn_link_close(r); /* returns although nobody reads the pipe */
  close(fds[0]);
  bn_link_close(b);
}
END_TEST

Suite *bn_test_suite(void)
{
  Suite *s = suite_create("link_record");
  TCase *tc = tcase_create("link_record");
  tcase_add_checked_fixture(tc, NULL, remove_dir);
  tcase_add_test(tc, record_both_directions_in_order_with_bytes_and_timestamps);
  tcase_add_test(tc, record_filter_keeps_matching_frames_only);
  tcase_add_test(tc, record_mark_is_a_frame_in_the_timeline);
  tcase_add_test(tc, record_bad_filter_is_refused_and_the_link_stays_the_callers);
  tcase_add_test(tc, record_rotates_by_size_as_tcpdump_C);
  tcase_add_test(tc, record_flushes_within_a_second_while_idle);
  tcase_add_test(tc, record_disk_full_stops_recording_not_the_link);
  tcase_add_test(tc, record_stalled_reader_stops_recording_not_the_board);
  suite_add_tcase(s, tc);
  return s;
}
