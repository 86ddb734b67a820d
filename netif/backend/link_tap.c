/*
 * TAP backend of the link pipeline: frames to and from a Linux TAP device.
 * A lone frame is read with one read(); frames that keep coming are read,
 * and bursts written, in batches of one system call each with io_uring
 * (tap_uring.h) when the kernel offers it, else with one read() or write()
 * per frame. The device's up/down state is its carrier, and its
 * deletion ends the link (tap_carrier.h).
 */
#define _GNU_SOURCE
#include "link_tap.h"
#include "bn_clock.h"
#include "tap_carrier.h"
#include "tap_uring.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

/* Frames read per bn_link_poll() at most, so the receiver yields regularly
 * (the netif holds lwIP's core lock across one call): 256 full frames are
 * about 0.4 MB, well under a millisecond of lwIP's work. Larger batches mean
 * fewer lock hand-overs and wake-ups per frame (measured: 64 -> 256 raised
 * kernel->board by a fifth); the frames themselves are the same. */
#define TAP_BATCH 256

/* Room for a frame larger than the board takes, so it is seen and dropped. */
#define RX_BUF_SIZE (BN_LINK_MAX_FRAME + 64)

struct tap_link {
  bn_link link;      /* first: a bn_link * is a struct tap_link * */
  int fd;            /* the TAP, non-blocking */
  int wake_fd;       /* eventfd written by bn_link_wake() */
  bn_tap_uring *tx_ring; /* the sender's; NULL: write() per frame */
  bn_tap_uring *rx_ring; /* the receiver's; NULL: read() per frame */
  bn_tap_carrier carrier; /* the device's state, from rtnetlink */
  bool reported_up;  /* the carrier state the receiver last heard of */
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
    if (t->tx_ring != NULL && ok_len && k > 1) {
      rc = bn_tap_uring_write(t->tx_ring, t->fd, frames, k);
      if (rc < 0) {
        bn_tap_uring_close(t->tx_ring); /* nothing was written: write() from now on */
        t->tx_ring = NULL;
      }
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
static int read_one(struct tap_link *t, const bn_link_rx *rx)
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
      rx->frame(rx->arg, t->rxbuf[0], (size_t)n, bn_clock_now_ns());
    }
    return 1; /* nothing, or a frame too large for the board: dropped */
  }
}

/* Reads up to n (1..TAP_URING_BATCH) frames with the receiver's ring and
 * hands them over in order. Returns as read_one() does; if the ring cannot
 * be used, closes it and reads with read_one() from now on. */
static int read_batch(struct tap_link *t, const bn_link_rx *rx, size_t n)
{
  int32_t lens[TAP_URING_BATCH];
  int got = bn_tap_uring_read(t->rx_ring, t->fd, &t->rxbuf[0][0], RX_BUF_SIZE, n, lens);
  if (got < 0) {
    /* No non-blocking reads this way, or no ring: nothing was read. */
    bn_tap_uring_close(t->rx_ring);
    t->rx_ring = NULL;
    return read_one(t, rx);
  }
  int err = 0;
  for (size_t i = 0; i < n; i++) {
    if (lens[i] > 0) {
      if (lens[i] <= BN_LINK_MAX_FRAME) {
        rx->frame(rx->arg, t->rxbuf[i], (size_t)lens[i], bn_clock_now_ns());
      } /* else a frame too large for the board: dropped */
    } else if (lens[i] < 0 && lens[i] != -EAGAIN && lens[i] != -EINTR && err == 0) {
      err = lens[i];
    }
  }
  return got > 0 || err == 0 ? got : err;
}

/* Tells the receiver about a carrier change since it last heard; true if
 * it did (then the poll must not block: the receiver may hold a lock). */
static bool report_carrier(struct tap_link *t, const bn_link_rx *rx)
{
  if (t->carrier.up == t->reported_up) {
    return false;
  }
  t->reported_up = t->carrier.up;
  if (rx->carrier != NULL) {
    rx->carrier(rx->arg, t->reported_up);
  }
  return true;
}

static int tap_poll(bn_link *link, const bn_link_rx *rx, uint64_t until_ns)
{
  struct tap_link *t = tap_of(link);
  if (report_carrier(t, rx)) {
    return 0; /* a TAP that was down when attached */
  }
  struct pollfd fds[3] = {
    { .fd = t->fd, .events = POLLIN },
    { .fd = t->wake_fd, .events = POLLIN },
    { .fd = t->carrier.fd, .events = POLLIN },
  };
  struct timespec ts;
  int rc = ppoll(fds, t->carrier.fd >= 0 ? 3 : 2, bn_clock_timeout_timespec(until_ns, &ts), NULL);
  if (rc < 0) {
    return errno == EINTR ? 0 : -errno;
  }
  if (fds[1].revents & POLLIN) {
    uint64_t count;
    (void)!read(t->wake_fd, &count, sizeof(count));
  }
  if (fds[2].revents & POLLIN) {
    if (bn_tap_carrier_read(&t->carrier) < 0) {
      return -ENODEV; /* the device was deleted */
    }
    report_carrier(t, rx);
  }
  if (fds[0].revents & (POLLERR | POLLNVAL)) {
    return -ENODEV; /* detached: the device is gone (reads give EBADFD) */
  }
  if (!(fds[0].revents & POLLIN)) {
    return 0;
  }
  /* Frames one read() at a time: a small exchange's frame comes alone (or
   * two: an ACK and data, a FIN), and a batch would run empty reads before
   * lwIP saw it. Batches of reads only once four read()s in a row found a
   * frame: 4 reads, then twice as many after each batch that found a frame
   * for every read (TAP_URING_BATCH at most), so a bulk transfer soon reads
   * whole batches; a batch that found the queue empty ends the poll. The
   * receiver may release its lock before each further read (batch_end),
   * except between full batches: in a stream, the next read finds frames
   * at once, and a receiver woken per batch (the app's thread of a bulk
   * transfer) would take twice the wake-ups for the same bytes. */
  int delivered = 0;
  size_t reads = 4;
  bool streaming = false; /* the last batch found a frame for every read */
  while (delivered < TAP_BATCH) {
    if (delivered > 0 && !streaming) {
      bn_link_rx_batch_end(rx);
    }
    bool batch = t->rx_ring != NULL && delivered >= 4;
    int rc = batch ? read_batch(t, rx, reads) : read_one(t, rx);
    if (rc < 0) {
      return delivered > 0 ? delivered : (rc == -EBADFD ? -ENODEV : rc);
    }
    if (rc == 0) {
      break; /* the queue is empty */
    }
    delivered += rc;
    if (batch) {
      if ((size_t)rc < reads) {
        break; /* a read found the queue empty */
      }
      reads = reads * 2 < TAP_URING_BATCH ? reads * 2 : TAP_URING_BATCH;
      streaming = true;
    }
  }
  if (delivered > 0) {
    bn_link_rx_batch_end(rx);
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
  bn_tap_uring_close(t->tx_ring);
  bn_tap_uring_close(t->rx_ring);
  bn_tap_carrier_close(&t->carrier);
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
    /* An existing device of another kind (tun, veth, lo ...) answers EINVAL. */
    if (err == -EINVAL && exists) {
      err = -EMEDIUMTYPE;
    }
    goto fail;
  }
  t->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (t->wake_fd < 0) {
    err = -errno;
    goto fail;
  }
  /* Without io_uring (old kernel, kernel.io_uring_disabled, seccomp ...)
   * the rings stay NULL: one write() or read() per frame. */
  err = bn_tap_carrier_open(&t->carrier, ifr.ifr_name);
  if (err < 0) {
    goto fail;
  }
  t->reported_up = true; /* the netif starts with its link up */
  (void)bn_tap_uring_open(&t->tx_ring);
  (void)bn_tap_uring_open(&t->rx_ring);
  bn_link_stage_init(&t->link, &tap_ops, NULL);
  snprintf(t->link.name, sizeof(t->link.name), "%s", ifr.ifr_name);
  *out = &t->link;
  return 0;

fail:
  if (t->wake_fd >= 0) {
    close(t->wake_fd);
  }
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
  case -EMEDIUMTYPE: return "exists but is not a TAP device";
  case -ENOENT: return "/dev/net/tun is missing (is the tun driver loaded?)";
  case -EACCES:
  case -EPERM:  return "permission denied (need root or CAP_NET_ADMIN, or a TAP owned by this user)";
  case -EBUSY:  return "device busy (another process is attached to it)";
  default:      return strerror(-err);
  }
}
