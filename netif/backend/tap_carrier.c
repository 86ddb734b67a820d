/* A TAP device's administrative state and existence from rtnetlink (tap_carrier.h). */
#include "tap_carrier.h"

#include <errno.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

/* IFF_UP of the device now, from SIOCGIFFLAGS; -ENODEV if it is gone. */
static int read_flags(const char *ifname, bool *up)
{
  int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0) {
    return -errno;
  }
  struct ifreq ifr;
  memset(&ifr, 0, sizeof(ifr));
  memcpy(ifr.ifr_name, ifname, strnlen(ifname, IFNAMSIZ - 1));
  int rc = ioctl(s, SIOCGIFFLAGS, &ifr) == 0 ? 0 : -errno;
  close(s);
  if (rc == 0) {
    *up = (ifr.ifr_flags & IFF_UP) != 0;
  }
  return rc == -ENXIO ? -ENODEV : rc;
}

/* The device's state now, by its index: -ENODEV once it is gone. */
static int reread(bn_tap_carrier *c)
{
  char name[IF_NAMESIZE];
  if (if_indextoname((unsigned)c->ifindex, name) == NULL) {
    return -ENODEV;
  }
  return read_flags(name, &c->up);
}

int bn_tap_carrier_open(bn_tap_carrier *c, const char *ifname)
{
  c->fd = -1;
  c->up = true;
  c->ifindex = (int)if_nametoindex(ifname);
  if (c->ifindex == 0) {
    return -ENODEV;
  }
  /* Subscribed first, then the state read: no change falls in between. */
  int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (fd >= 0) {
    struct sockaddr_nl sa = { .nl_family = AF_NETLINK, .nl_groups = RTMGRP_LINK };
    if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
      c->fd = fd;
    } else {
      close(fd); /* no notifications: the state stays as read now */
    }
  }
  int rc = reread(c);
  if (rc < 0) {
    bn_tap_carrier_close(c);
  }
  return rc;
}

/* NLMSG_OK() and NLMSG_NEXT() with unsigned lengths (the macros compare a
 * __u32 with an int, which clang's -Wsign-compare rejects). */
static bool message_fits(const struct nlmsghdr *h, size_t left)
{
  return left >= sizeof(*h) && h->nlmsg_len >= sizeof(*h) && h->nlmsg_len <= left;
}

static struct nlmsghdr *next_message(struct nlmsghdr *h, size_t *left)
{
  size_t step = NLMSG_ALIGN(h->nlmsg_len);
  *left = step < *left ? *left - step : 0;
  return (struct nlmsghdr *)((char *)h + step);
}

int bn_tap_carrier_read(bn_tap_carrier *c)
{
  if (c->fd < 0) {
    return 0;
  }
  char buf[8192] __attribute__((aligned(NLMSG_ALIGNTO)));
  for (;;) {
    int n = (int)recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      if (errno == ENOBUFS) {
        return reread(c); /* notifications were lost: ask the device itself */
      }
      return 0; /* EAGAIN: all read */
    }
    size_t left = (size_t)n;
    for (struct nlmsghdr *h = (struct nlmsghdr *)buf; message_fits(h, left); h = next_message(h, &left)) {
      if (h->nlmsg_type != RTM_NEWLINK && h->nlmsg_type != RTM_DELLINK) {
        continue;
      }
      if (h->nlmsg_len < NLMSG_LENGTH(sizeof(struct ifinfomsg))) {
        continue;
      }
      const struct ifinfomsg *ifi = NLMSG_DATA(h);
      /* AF_BRIDGE messages are about bridge ports (a DELLINK when the TAP
       * leaves a bridge), not the device itself. */
      if (ifi->ifi_index != c->ifindex || ifi->ifi_family != AF_UNSPEC) {
        continue;
      }
      if (h->nlmsg_type == RTM_DELLINK) {
        return reread(c) == -ENODEV ? -ENODEV : 0;
      }
      c->up = (ifi->ifi_flags & IFF_UP) != 0;
    }
  }
}

void bn_tap_carrier_close(bn_tap_carrier *c)
{
  if (c->fd >= 0) {
    close(c->fd);
    c->fd = -1;
  }
}
