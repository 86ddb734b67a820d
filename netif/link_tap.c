/*
 * TAP backend of the link pipeline: frames to and from a Linux TAP device.
 * Frames are read and written in batches with io_uring (one linked request
 * per frame, so they move in the device's order, one system call per batch)
 * when the kernel offers it, else with one read() or write() per frame.
 */
#define _GNU_SOURCE
#include "link_tap.h"
#include "bn_clock.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <linux/io_uring.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Frames read per bn_link_poll() at most, so the receiver yields regularly
 * (the netif holds lwIP's core lock across one call): 256 full frames are
 * about 0.4 MB, well under a millisecond of lwIP's work. Larger batches mean
 * fewer lock hand-overs and wake-ups per frame (measured: 64 -> 256 raised
 * kernel->board by a fifth); the frames themselves are the same. */
#define TAP_BATCH 256

/* Frames read or written per io_uring submission at most (a ring's size). */
#define TAP_URING_BATCH 32
#define RX_BUF_SIZE (BN_LINK_MAX_FRAME + 64)

/* An io_uring used for batched writes (one sender at a time, bn_link.h). */
struct tap_uring {
  int fd;                          /* -1: not available, write() per frame */
  void *sq_map, *cq_map;           /* cq_map == sq_map with a single mmap */
  size_t sq_map_len, cq_map_len;
  struct io_uring_sqe *sqes;
  size_t sqes_len;
  unsigned *sq_tail, *sq_mask, *sq_array;
  unsigned *cq_head, *cq_tail, *cq_mask;
  struct io_uring_cqe *cqes;
};

struct tap_link {
  bn_link link;      /* first: a bn_link * is a struct tap_link * */
  int fd;            /* the TAP, non-blocking */
  int wake_fd;       /* eventfd written by bn_link_wake() */
  struct tap_uring ring;     /* the sender's */
  struct tap_uring rx_ring;  /* the receiver's */
  uint8_t rxbuf[TAP_URING_BATCH][RX_BUF_SIZE];
};

static struct tap_link *tap_of(bn_link *link)
{
  return (struct tap_link *)link;
}

static int tap_send(bn_link *link, const uint8_t *frame, size_t len, uint64_t ts_ns)
{
  (void)ts_ns;
  if (len == 0 || len > BN_LINK_MAX_FRAME) {
    return -EMSGSIZE;
  }
  for (;;) {
    ssize_t n = write(tap_of(link)->fd, frame, len);
    if (n == (ssize_t)len) {
      return 0;
    }
    if (n >= 0) {
      return -EIO;
    }
    if (errno == EINTR) {
      continue;
    }
    /* The kernel's queue is full: drop, as a real MAC would. */
    return errno == EAGAIN ? -ENOBUFS : -errno;
  }
}

/* ---- batched transmit with io_uring ---------------------------------------- */

static void uring_close(struct tap_uring *r)
{
  if (r->sqes != NULL && r->sqes != MAP_FAILED) {
    munmap(r->sqes, r->sqes_len);
  }
  if (r->cq_map != NULL && r->cq_map != MAP_FAILED && r->cq_map != r->sq_map) {
    munmap(r->cq_map, r->cq_map_len);
  }
  if (r->sq_map != NULL && r->sq_map != MAP_FAILED) {
    munmap(r->sq_map, r->sq_map_len);
  }
  if (r->fd >= 0) {
    close(r->fd);
  }
  memset(r, 0, sizeof(*r));
  r->fd = -1;
}

/* Sets up the ring; on any failure leaves r->fd -1 (write() per frame). */
static void uring_open(struct tap_uring *r)
{
  struct io_uring_params p;
  memset(r, 0, sizeof(*r));
  memset(&p, 0, sizeof(p));
  p.flags = IORING_SETUP_SUBMIT_ALL; /* Linux 5.18; older kernels: write() */
  r->fd = (int)syscall(__NR_io_uring_setup, TAP_URING_BATCH, &p);
  if (r->fd < 0) {
    r->fd = -1;
    return;
  }
  r->sq_map_len = p.sq_off.array + p.sq_entries * sizeof(unsigned);
  r->cq_map_len = p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe);
  bool single = (p.features & IORING_FEAT_SINGLE_MMAP) != 0;
  if (single && r->cq_map_len > r->sq_map_len) {
    r->sq_map_len = r->cq_map_len;
  }
  r->sq_map = mmap(NULL, r->sq_map_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE,
                   r->fd, IORING_OFF_SQ_RING);
  if (r->sq_map == MAP_FAILED) {
    uring_close(r);
    return;
  }
  r->cq_map = single ? r->sq_map
                     : mmap(NULL, r->cq_map_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE,
                            r->fd, IORING_OFF_CQ_RING);
  r->sqes_len = p.sq_entries * sizeof(struct io_uring_sqe);
  r->sqes = mmap(NULL, r->sqes_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, r->fd,
                 IORING_OFF_SQES);
  if (r->cq_map == MAP_FAILED || r->sqes == MAP_FAILED || p.sq_entries < TAP_URING_BATCH ||
      p.cq_entries < TAP_URING_BATCH) {
    uring_close(r);
    return;
  }
  uint8_t *sq = r->sq_map, *cq = r->cq_map;
  r->sq_tail = (unsigned *)(sq + p.sq_off.tail);
  r->sq_mask = (unsigned *)(sq + p.sq_off.ring_mask);
  r->sq_array = (unsigned *)(sq + p.sq_off.array);
  r->cq_head = (unsigned *)(cq + p.cq_off.head);
  r->cq_tail = (unsigned *)(cq + p.cq_off.tail);
  r->cq_mask = (unsigned *)(cq + p.cq_off.ring_mask);
  r->cqes = (struct io_uring_cqe *)(cq + p.cq_off.cqes);
}

/* The i-th SQE after the ring's tail, cleared, with user_data i. */
static struct io_uring_sqe *uring_sqe(struct tap_uring *r, size_t i)
{
  unsigned idx = (*r->sq_tail + (unsigned)i) & *r->sq_mask; /* only we write the tail */
  struct io_uring_sqe *sqe = &r->sqes[idx];
  memset(sqe, 0, sizeof(*sqe));
  sqe->user_data = i;
  r->sq_array[idx] = idx;
  return sqe;
}

/* Submits the n SQEs prepared with uring_sqe() in one system call and waits
 * for their n completions; res[i] gets the result of the i-th. Returns 0, or
 * -1 if nothing could be submitted (the SQEs are taken back). */
static int uring_run(struct tap_uring *r, size_t n, int32_t *res)
{
  unsigned tail = *r->sq_tail;
  for (size_t i = 0; i < n; i++) {
    res[i] = -ECANCELED; /* until its completion says otherwise */
  }
  __atomic_store_n(r->sq_tail, tail + (unsigned)n, __ATOMIC_RELEASE);
  /* SUBMIT_ALL: every SQE is taken and completes, so n completions come. */
  unsigned to_submit = (unsigned)n;
  size_t done = 0;
  for (int tries = 0; done < n;) {
    long rc = syscall(__NR_io_uring_enter, r->fd, to_submit, (unsigned)(n - done),
                      IORING_ENTER_GETEVENTS, NULL, 0);
    if (rc < 0) {
      bool transient = errno == EINTR || errno == EAGAIN || errno == EBUSY;
      if (transient && ++tries < 1000) {
        continue;
      }
      if (to_submit == (unsigned)n) {
        __atomic_store_n(r->sq_tail, tail, __ATOMIC_RELEASE); /* none taken */
        return -1;
      }
      break; /* cannot happen with SUBMIT_ALL; the rest stay -ECANCELED */
    }
    to_submit -= (unsigned)rc < to_submit ? (unsigned)rc : to_submit;
    unsigned head = *r->cq_head;
    unsigned ctail = __atomic_load_n(r->cq_tail, __ATOMIC_ACQUIRE);
    for (; head != ctail; head++) {
      const struct io_uring_cqe *cqe = &r->cqes[head & *r->cq_mask];
      if (cqe->user_data < n) {
        res[cqe->user_data] = cqe->res;
      }
      done++;
    }
    __atomic_store_n(r->cq_head, head, __ATOMIC_RELEASE);
  }
  return 0;
}

/* Writes frames[0..n), n <= TAP_URING_BATCH, as linked writes: each starts
 * after the one before it completed whole, so they reach the device in
 * order (a failed one cancels the rest). Sets each frame's result; returns
 * how many were written, or -1 if the ring failed (the caller falls back to
 * write()). */
static int uring_write(struct tap_uring *r, int fd, bn_link_frame *frames, size_t n)
{
  int32_t res[TAP_URING_BATCH];
  for (size_t i = 0; i < n; i++) {
    struct io_uring_sqe *sqe = uring_sqe(r, i);
    sqe->opcode = IORING_OP_WRITE;
    sqe->fd = fd;
    sqe->addr = (uint64_t)(uintptr_t)frames[i].data;
    sqe->len = (uint32_t)frames[i].len;
    sqe->off = (uint64_t)-1; /* the file position: a TAP has none */
    sqe->flags = i + 1 < n ? IOSQE_IO_LINK : 0;
  }
  if (uring_run(r, n, res) < 0) {
    return -1;
  }
  int written = 0;
  for (size_t i = 0; i < n; i++) {
    /* as tap_send(): a full queue drops, a short write is an error */
    int32_t v = res[i];
    frames[i].result = v == (int32_t)frames[i].len ? 0 : v == -EAGAIN ? -ENOBUFS : v < 0 ? v : -EIO;
    written += frames[i].result == 0;
  }
  return written;
}

static size_t tap_send_batch(bn_link *link, bn_link_frame *frames, size_t n)
{
  struct tap_link *t = tap_of(link);
  size_t sent = 0;
  while (n > 0) {
    size_t k = n < TAP_URING_BATCH ? n : TAP_URING_BATCH;
    int rc = -1;
    bool ok_len = true;
    for (size_t i = 0; i < k; i++) {
      ok_len = ok_len && frames[i].len > 0 && frames[i].len <= BN_LINK_MAX_FRAME;
    }
    if (t->ring.fd >= 0 && ok_len && k > 1) {
      rc = uring_write(&t->ring, t->fd, frames, k);
    }
    if (rc < 0) {
      rc = 0;
      for (size_t i = 0; i < k; i++) {
        frames[i].result = tap_send(link, frames[i].data, frames[i].len, frames[i].ts_ns);
        rc += frames[i].result == 0;
      }
    }
    sent += (size_t)rc;
    frames += k;
    n -= k;
  }
  return sent;
}

/* Reads one frame with read() and hands it over. Returns 1 when a frame was
 * read (or dropped as too large), 0 when the queue is empty, or -errno. */
static int read_one(struct tap_link *t, bn_link_rx_fn rx, void *arg)
{
  for (;;) {
    ssize_t n = read(t->fd, t->rxbuf[0], RX_BUF_SIZE);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      return errno == EAGAIN ? 0 : -errno;
    }
    if (n > 0 && n <= BN_LINK_MAX_FRAME) {
      rx(arg, t->rxbuf[0], (size_t)n, bn_clock_now_ns());
    }
    return 1; /* nothing, or a frame too large for the board: dropped */
  }
}

/* Reads up to TAP_URING_BATCH frames in one system call: hard-linked reads,
 * each started after the one before completed (whatever its length), so the
 * frames come in the device's order; a read that finds the queue empty
 * completes with -EAGAIN. Hands the frames over in order. Returns how many
 * reads got a frame (0: the queue was empty), -errno on a device error
 * before any frame, or -1 with errno untouched if the ring failed (the
 * caller falls back to read()). */
static int uring_read_batch(struct tap_link *t, bn_link_rx_fn rx, void *arg)
{
  int32_t res[TAP_URING_BATCH];
  for (size_t i = 0; i < TAP_URING_BATCH; i++) {
    struct io_uring_sqe *sqe = uring_sqe(&t->rx_ring, i);
    sqe->opcode = IORING_OP_READ;
    sqe->fd = t->fd;
    sqe->addr = (uint64_t)(uintptr_t)t->rxbuf[i];
    sqe->len = RX_BUF_SIZE;
    sqe->off = (uint64_t)-1;
    sqe->rw_flags = RWF_NOWAIT; /* an empty queue answers -EAGAIN, never waits */
    /* A plain link would break at the first short read: every frame is. */
    sqe->flags = i + 1 < TAP_URING_BATCH ? IOSQE_IO_HARDLINK : 0;
  }
  if (uring_run(&t->rx_ring, TAP_URING_BATCH, res) < 0) {
    return -1;
  }
  if (res[0] == -EOPNOTSUPP || res[0] == -EINVAL) {
    uring_close(&t->rx_ring); /* no non-blocking reads this way: read() from now on */
    return -1;
  }
  int got = 0, err = 0;
  for (size_t i = 0; i < TAP_URING_BATCH; i++) {
    if (res[i] > 0) {
      got++;
      if (res[i] <= BN_LINK_MAX_FRAME) {
        rx(arg, t->rxbuf[i], (size_t)res[i], bn_clock_now_ns());
      }
    } else if (res[i] < 0 && res[i] != -EAGAIN && res[i] != -EINTR && err == 0) {
      err = res[i];
    }
  }
  return got > 0 || err == 0 ? got : err;
}

static int tap_poll(bn_link *link, bn_link_rx_fn rx, void *arg, int timeout_ms)
{
  struct tap_link *t = tap_of(link);
  struct pollfd fds[2] = {
    { .fd = t->fd, .events = POLLIN },
    { .fd = t->wake_fd, .events = POLLIN },
  };
  int rc = poll(fds, 2, timeout_ms);
  if (rc < 0) {
    return errno == EINTR ? 0 : -errno;
  }
  if (fds[1].revents & POLLIN) {
    uint64_t count;
    (void)!read(t->wake_fd, &count, sizeof(count));
  }
  if (fds[0].revents & (POLLERR | POLLNVAL)) {
    return -EIO;
  }
  if (!(fds[0].revents & POLLIN)) {
    return 0;
  }
  int delivered = 0;
  while (delivered < TAP_BATCH) {
    int rc = t->rx_ring.fd >= 0 ? uring_read_batch(t, rx, arg) : -1;
    if (rc < 0) {
      rc = read_one(t, rx, arg);
    }
    if (rc < 0) {
      return delivered > 0 ? delivered : rc;
    }
    if (rc == 0) {
      break; /* the queue is empty */
    }
    delivered += rc;
  }
  return delivered;
}

static void tap_wake(bn_link *link)
{
  uint64_t one = 1;
  (void)!write(tap_of(link)->wake_fd, &one, sizeof(one));
}

static void tap_close(bn_link *link)
{
  struct tap_link *t = tap_of(link);
  uring_close(&t->ring);
  uring_close(&t->rx_ring);
  close(t->fd);
  close(t->wake_fd);
  free(t);
}

static const struct bn_link_ops tap_ops = {
  .kind = "tap",
  .send = tap_send,
  .send_batch = tap_send_batch,
  .poll = tap_poll,
  .wake = tap_wake,
  .close = tap_close,
};

/* 1 if /sys/class/net/<name> exists (in this network namespace's sysfs). */
static int device_exists(const char *name)
{
  char path[64];
  struct stat st;
  snprintf(path, sizeof(path), "/sys/class/net/%s", name);
  return stat(path, &st) == 0;
}

int bn_link_tap_open(const char *name, unsigned flags, bn_link **out)
{
  if (out == NULL || name == NULL || name[0] == '\0' || strlen(name) >= IFNAMSIZ ||
      strchr(name, '/') != NULL) {
    return -EINVAL;
  }
  int exists = device_exists(name);
  if (!exists && (flags & BN_LINK_TAP_NO_CREATE)) {
    return -ENODEV;
  }
  struct tap_link *t = calloc(1, sizeof(*t));
  if (t == NULL) {
    return -ENOMEM;
  }
  int err = 0;
  t->wake_fd = -1;
  t->ring.fd = -1;
  t->rx_ring.fd = -1;
  t->fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (t->fd < 0) {
    err = -errno;
    goto fail;
  }
  struct ifreq ifr;
  memset(&ifr, 0, sizeof(ifr));
  ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
  memcpy(ifr.ifr_name, name, strlen(name));
  if (ioctl(t->fd, TUNSETIFF, &ifr) < 0) {
    err = -errno;
    /* An existing device of another kind (tun, veth ...) answers EINVAL. */
    if (err == -EINVAL && exists) {
      err = -ENODEV;
    }
    goto fail;
  }
  t->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (t->wake_fd < 0) {
    err = -errno;
    goto fail;
  }
  uring_open(&t->ring);
  uring_open(&t->rx_ring);
  t->link.ops = &tap_ops;
  snprintf(t->link.name, sizeof(t->link.name), "%s", ifr.ifr_name);
  *out = &t->link;
  return 0;

fail:
  if (t->fd >= 0) {
    close(t->fd);
  }
  free(t);
  return err;
}

const char *bn_link_tap_strerror(int err)
{
  switch (err) {
  case -EINVAL: return "invalid TAP device name";
  case -ENODEV: return "no such TAP device";
  case -ENOENT: return "/dev/net/tun is missing (is the tun driver loaded?)";
  case -EACCES:
  case -EPERM:  return "permission denied (need root or CAP_NET_ADMIN, or a TAP owned by this user)";
  case -EBUSY:  return "device busy (another process is attached to it)";
  default:      return strerror(-err);
  }
}
