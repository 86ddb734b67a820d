/*
 * TAP backend: the board's wire is a Linux TAP interface, so the kernel (and
 * every tool on it: ping, curl, tcpdump) is the board's peer. Replaces lwIP
 * contrib's tapif.c: no exit() on errors, several frames per wakeup, a wake
 * for clean shutdown, and clear errors.
 */
#ifndef BN_LINK_TAP_H
#define BN_LINK_TAP_H

#include "bn_link.h"

/** Flags for bn_link_tap_open(). */
enum {
  /** Fail with -ENODEV instead of creating the device when it does not exist. */
  BN_LINK_TAP_NO_CREATE = 1 << 0,
};

/**
 * Attaches to the TAP device `name`, or creates it (non-persistent: it goes
 * away on close) when it does not exist and the process may (CAP_NET_ADMIN).
 * The kernel side of the device is left as it is (the caller's tooling sets
 * it up and addresses it).
 *
 * @param name  interface name, 1..15 characters
 * @param flags BN_LINK_TAP_* flags
 * @param out   receives the link
 * @return 0, or
 *   -EINVAL      bad name,
 *   -ENODEV      no such device (and BN_LINK_TAP_NO_CREATE),
 *   -EMEDIUMTYPE the device exists but is not a TAP (lo, a veth, a tun ...),
 *   -ENOENT      /dev/net/tun is missing (no tun driver),
 *   -EACCES/-EPERM no permission to open /dev/net/tun or to attach/create the device,
 *   -EBUSY       another process is attached to the device,
 *   -ENOMEM, or another negative errno from the kernel.
 */
int bn_link_tap_open(const char *name, unsigned flags, bn_link **out);

/** A one-line human explanation of an error of bn_link_tap_open(). */
const char *bn_link_tap_strerror(int err);

#endif /* BN_LINK_TAP_H */
