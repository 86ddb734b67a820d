/*
 * The TAP backend's view of its device's state, from rtnetlink (RTMGRP_LINK):
 * whether the interface is administratively up (`ip link set DEV up|down`,
 * which a TAP's file descriptor does not report: reads just stop and writes
 * fail with EIO) and whether it still exists (`ip link del DEV`).
 */
#ifndef BN_TAP_CARRIER_H
#define BN_TAP_CARRIER_H

#include <stdbool.h>

typedef struct bn_tap_carrier {
  int fd;          /**< the netlink socket, or -1 if none could be opened */
  int ifindex;     /**< the device's index */
  bool up;         /**< IFF_UP as last seen */
} bn_tap_carrier;

/**
 * Starts watching the device `ifname`: reads its current state, opens the
 * netlink socket. Without netlink (fd -1) the state stays as read at open.
 * @return 0, or -ENODEV if the device does not exist.
 */
int bn_tap_carrier_open(bn_tap_carrier *c, const char *ifname);

/**
 * Reads the pending notifications (non-blocking; call when c->fd is readable).
 * @return 0 (c->up is the device's state now), or -ENODEV once the device has
 *         been deleted.
 */
int bn_tap_carrier_read(bn_tap_carrier *c);

/** Stops watching. */
void bn_tap_carrier_close(bn_tap_carrier *c);

#endif /* BN_TAP_CARRIER_H */
