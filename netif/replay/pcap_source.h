/*
 * A capture file as a sequence of Ethernet frames, for replay: read with
 * libpcap (pcap_open_offline_with_tstamp_precision(), pcap_next_ex(): pcap
 * and pcapng), frames of other link types given the Ethernet header the
 * board's wire needs. Accepted link types: Ethernet (DLT_EN10MB), Linux
 * cooked v1 and v2 (tcpdump -i any: DLT_LINUX_SLL, DLT_LINUX_SLL2), raw IPv4
 * (DLT_RAW, DLT_IPV4) and BSD loopback (DLT_NULL, DLT_LOOP). 802.1Q and
 * 802.1ad (QinQ) tags are taken off (the outer VLAN id is kept; --vlan picks
 * one). A frame cut short by the snaplen is handed over at its full
 * length, zeros in place of what was not kept (bn_pcap_frame.cut). A frame
 * that cannot be replayed is skipped with its reason
 * (replay_skip.h), and bn_pcap_source_next_any() hands it over too, as far
 * as it could be read, so that a caller can tell whether it concerned the
 * board; a file that cannot be read at all is refused with one line saying
 * why, and libpcap's own error past the first frame is kept word for word
 * (bn_pcap_source_error()).
 */
#ifndef BN_PCAP_SOURCE_H
#define BN_PCAP_SOURCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bn_link.h"
#include "replay_skip.h"

/** Room for any error message of this module. */
#define BN_PCAP_ERRLEN 256

/** A MAC address the capture did not have (raw IP, loopback): synthesised
 *  from the IPv4 address as 02:00:a.b.c.d, locally administered. */
#define BN_PCAP_SYNTH_MAC_0 0x02
#define BN_PCAP_SYNTH_MAC_1 0x00

/** The longest frame a capture hands over: an IPv4 TCP super-frame (TSO or
 *  GSO on the capturing host's way out, GRO on its way in) of up to 64 KiB
 *  of IP packet, which the replay cuts into segments. */
#define BN_PCAP_FRAME_MAX (14 + 65535)

/** Any VLAN (bn_pcap_source_open()): every tag taken off, every frame kept.
 *  (VLAN id 0 is no VLAN in 802.1Q: a priority tag.) */
#define BN_PCAP_ANY_VLAN 0

typedef struct bn_pcap_source bn_pcap_source;

/** One frame of the capture, as Ethernet. */
typedef struct bn_pcap_frame {
  uint64_t number;          /**< its number in the file, 1 first (as Wireshark counts) */
  uint64_t ts_ns;           /**< capture time, nanoseconds since the epoch */
  const uint8_t *data;      /**< the Ethernet frame; valid until the next call */
  size_t len;               /**< 1..BN_LINK_MAX_FRAME; up to BN_PCAP_FRAME_MAX for an IPv4 TCP super-frame
                                 (a skipped frame: what could be read, maybe 0) */
  bool macs_synthesised;    /**< the link type had no (or no destination) MAC */
  bool outgoing;            /**< cooked capture: sent by the capturing host */
  uint16_t vlan;            /**< the VLAN id of its outer 802.1Q/802.1ad tag (taken off); 0: untagged */
  size_t cut;               /**< bytes at its end the capture did not keep (snaplen): zeros in data */
  int skip;                 /**< bn_pcap_source_next_any(): -1, or the bn_replay_skip reason it is left out for */
} bn_pcap_frame;

/**
 * Opens a capture ("-": standard input); filter (may be NULL) is a libpcap filter expression on
 * the capture's own link type: frames it rejects are skipped as
 * BN_SKIP_FILTERED. vlan: BN_PCAP_ANY_VLAN, or the one VLAN id (1..4094) to
 * keep: every other frame, untagged ones too, is skipped as
 * BN_SKIP_OTHER_VLAN.
 * @return 0, or -ENOENT/-EACCES/-EINVAL (not a capture, an unknown link
 *         type, a bad filter) with the reason in err.
 */
int bn_pcap_source_open(const char *path, const char *filter, int vlan, bn_pcap_source **out,
                        char err[BN_PCAP_ERRLEN]);

/**
 * The frames' numbers in another file, when this one holds some of its
 * frames (replay's --interface): the n-th frame read reports numbers[n-1]
 * as its number (frames past the n given: their own). numbers must outlive
 * s; NULL: their own numbers.
 */
void bn_pcap_source_set_numbers(bn_pcap_source *s, const uint64_t *numbers, size_t n);

/** The capture's link type, as libpcap names it ("EN10MB", "LINUX_SLL2" ...). */
const char *bn_pcap_source_linktype(const bn_pcap_source *s);

/**
 * The next frame. Frames that cannot be replayed are not returned: each
 * counts in skipped[] by reason (an array of BN_SKIP_COUNT counters).
 * @return 1 with *f set, 0 at the end of the file (a file cut off in the
 *         middle of a frame ends there: BN_SKIP_FILE_TRUNCATED counts once).
 */
int bn_pcap_source_next(bn_pcap_source *s, bn_pcap_frame *f, uint64_t skipped[BN_SKIP_COUNT]);

/**
 * The next frame of the file, replayable or not: f->skip says which (a
 * skipped frame's data is its Ethernet form as far as it could be read).
 * @return 1 with *f set, 0 at the end of the file (a file cut off in the
 *         middle of a frame ends with that frame, skipped as
 *         BN_SKIP_FILE_TRUNCATED and empty; another error of libpcap's ends
 *         it too: bn_pcap_source_error()).
 */
int bn_pcap_source_next_any(bn_pcap_source *s, bn_pcap_frame *f);

/**
 * libpcap's error that ended the file early, word for word (e.g. a pcapng
 * whose interfaces have different link types), or NULL: it ended at its
 * end, or in the middle of a frame (BN_SKIP_FILE_TRUNCATED).
 */
const char *bn_pcap_source_error(const bn_pcap_source *s);

/** Frames read so far, skipped ones included. */
uint64_t bn_pcap_source_count(const bn_pcap_source *s);

/** Closes the file. NULL is fine. */
void bn_pcap_source_close(bn_pcap_source *s);

#endif /* BN_PCAP_SOURCE_H */
