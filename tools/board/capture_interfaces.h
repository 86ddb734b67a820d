/*
 * The interfaces of a pcapng capture, and one of them taken out, for
 * replay's --interface. libpcap (1.10) reads a pcapng of several interfaces
 * as one stream and hands no frame's interface over, so this asks
 * Wireshark's tools: capinfos lists the interfaces, tshark writes one
 * interface's frames to a file of its own (pcap, nanoseconds: one link
 * type) along with their numbers in the original, so that a report still
 * cites the frames Wireshark shows. Neither tool is needed for a pcap file
 * or a single-interface pcapng.
 */
#ifndef BN_CAPTURE_INTERFACES_H
#define BN_CAPTURE_INTERFACES_H

#include <stddef.h>
#include <stdint.h>

/** Room for any error message of this module. */
#define BN_IFACE_ERRLEN 320

/** The most interfaces listed. */
#define BN_IFACE_MAX 64

/** One interface of a capture, as capinfos describes it. */
typedef struct bn_capture_iface {
  unsigned id;            /**< its number in the file, 0 first (frame.interface_id) */
  char name[64];          /**< "eth0", or "" when the file names none */
  char encap[64];         /**< "Ethernet", "Linux cooked-mode capture v1" ... */
  char encap_short[32];   /**< Wireshark's short name of it: "ether", "linux-sll", "rawip" ... */
  uint64_t frames;        /**< its frames in the file */
} bn_capture_iface;

/**
 * Whether path is a pcapng file (its first block is a section header).
 * @return 1, 0 (pcap, or anything else: libpcap will say), or -errno when
 *         it cannot be read.
 */
int bn_capture_is_pcapng(const char *path);

/**
 * Lists the interfaces of a pcapng file (capinfos -I -M).
 * @return how many (up to max are filled in), or -ENOENT (capinfos is not
 *         installed) or -EIO (capinfos failed), with the reason in err.
 */
int bn_capture_interfaces(const char *path, bn_capture_iface *out, size_t max, char err[BN_IFACE_ERRLEN]);

/**
 * One line per interface ("  0 lo (Ethernet, 4 frames)\n" ...) into buf,
 * for a message that asks the user to pick one.
 */
void bn_capture_interfaces_text(const bn_capture_iface *ifs, size_t n, char *buf, size_t size);

/**
 * Which of ifs[0..n) text names: its number ("1") or its name ("eth0").
 * @return its index, or -1.
 */
int bn_capture_interface_find(const bn_capture_iface *ifs, size_t n, const char *text);

/**
 * Takes iface's frames out of path (tshark -Y frame.interface_id == id,
 * then editcap -T its link type) into an unnamed pcap file, left open as
 * *fd (its path: /proc/self/fd/N; nothing stays on disk once it is closed,
 * however the process ends), and their numbers in path into *numbers
 * (malloc'd, *count of them).
 * @return 0, or -ENOENT (tshark or editcap is not installed), -EIO (one
 *         failed), -ENOMEM, -errno (no temporary file), with the reason in
 *         err.
 */
int bn_capture_interface_extract(const char *path, const bn_capture_iface *iface, int *fd, uint64_t **numbers,
                                 size_t *count, char err[BN_IFACE_ERRLEN]);

#endif /* BN_CAPTURE_INTERFACES_H */
