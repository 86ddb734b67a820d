/* TAP backend of the link pipeline: frames to and from a Linux TAP device. */
#define _GNU_SOURCE
#include "link_tap.h"
#include "bn_clock.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

/* Frames read per bn_link_poll() at most, so the receiver yields regularly. */
#define TAP_BATCH 64

struct tap_link {
  bn_link link;      /* first: a bn_link * is a struct tap_link * */
  int fd;            /* the TAP, non-blocking */
  int wake_fd;       /* eventfd written by bn_link_wake() */
  uint8_t rxbuf[BN_LINK_MAX_FRAME + 64];
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
    ssize_t n = read(t->fd, t->rxbuf, sizeof(t->rxbuf));
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      if (errno == EAGAIN) {
        break;
      }
      return delivered > 0 ? delivered : -errno;
    }
    if (n == 0 || n > BN_LINK_MAX_FRAME) {
      continue;  /* nothing, or a frame too large for the board: dropped */
    }
    rx(arg, t->rxbuf, (size_t)n, bn_clock_now_ns());
    delivered++;
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
  close(t->fd);
  close(t->wake_fd);
  free(t);
}

static const struct bn_link_ops tap_ops = {
  .kind = "tap",
  .send = tap_send,
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
