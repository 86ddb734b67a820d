/*
 * Record stage of the link pipeline: writes every frame that passes it, in
 * both directions, to a pcap file that Wireshark and tcpdump read (libpcap's
 * pcap_dump, nanosecond timestamps, link type Ethernet), full length, each
 * with its own timestamp as wall-clock time. It sits next to the backend, so
 * the file shows the wire: frames the board sends once the wire took them,
 * frames it receives as they came off the wire (on the wire's side of any
 * impairment stage).
 *
 * Two threads reach it (the netif's transmit thread sends, its receive
 * thread polls): writes are serialised, each direction in order, and a sent
 * frame is written before anything received after it (a peer's answer never
 * precedes what it answers, so Wireshark's TCP analysis reads the file
 * right). Timestamps are the frames' own: across the two directions one can
 * be a few microseconds earlier than the frame written before it (between
 * one thread taking the time and writing), as in a capture taken on several
 * CPUs.
 *
 * Nothing is lost: the file is flushed at least once a second (from the
 * stage's poll, the pipeline's pump) and when the stage closes; a write
 * error (a full disk, a closed pipe) stops the recording with one notice,
 * and the board runs on. A file that cannot take the frames as fast as the
 * wire brings them slows the board down, for at most RECORD_WAIT_MS at a
 * time (record_writer.h); then the recording stops with a notice, never
 * the board.
 */
#ifndef BN_LINK_RECORD_H
#define BN_LINK_RECORD_H

#include <stdint.h>

#include "bn_link.h"

/** Room for any error message of this stage. */
#define BN_RECORD_ERRLEN 256

/** What to record and where. Zero-initialise, then fill in. */
typedef struct bn_record_options {
  const char *path;        /**< the file; "-" is standard output */
  const char *filter;      /**< a libpcap filter: record only matching frames (NULL: all) */
  uint64_t rotate_bytes;   /**< 0: one file; else, once a file holds this many
                                bytes, go on in PATH1, PATH2, ... (tcpdump -C) */
  /** Called (from a board thread) with a one-line message when recording
   *  stops on an error; may be NULL. */
  void (*notice)(void *arg, const char *message);
  void *notice_arg;
  /** If not NULL, the stage's counters are copied here when it closes (the
   *  frames of the board's shutdown and any error at the last write count). */
  struct bn_record_stats *final_stats;
} bn_record_options;

/** What a record stage has done so far. */
typedef struct bn_record_stats bn_record_stats;
struct bn_record_stats {
  uint64_t frames;         /**< frames written */
  uint64_t bytes;          /**< their bytes */
  uint64_t filtered;       /**< frames the filter left out */
  unsigned files;          /**< files written (more than 1 when rotating) */
  int error;               /**< 0, or the -errno that stopped recording */
};

/**
 * Checks a libpcap filter expression as the stage would compile it (for
 * Ethernet frames), so that a bad one is a usage error before anything runs.
 * @return 0, or -EINVAL with the reason in err.
 */
int bn_link_record_check_filter(const char *filter, char err[BN_RECORD_ERRLEN]);

/**
 * Wraps inner in a record stage writing to o->path (created or truncated).
 * @param out receives the stage; closing it closes inner too
 * @return 0, or -EINVAL (NULL argument, bad filter, rotation of standard
 *   output), -errno opening the file (-EACCES, -ENOENT, ...) or -ENOMEM, with
 *   the reason in err; on failure inner stays the caller's.
 */
int bn_link_record_open(bn_link *inner, const bn_record_options *o, bn_link **out,
                        char err[BN_RECORD_ERRLEN]);

/**
 * The stage's counters; record is a record stage (bn_link_find(link,
 * "record") finds it in a chain). Thread-safe.
 * @return 0, or -EINVAL if record is not a record stage.
 */
int bn_link_record_stats(bn_link *record, bn_record_stats *out);

/** The EtherType of a mark: IEEE 802's Local Experimental EtherType 1. */
#define BN_RECORD_MARK_ETHERTYPE 0x88b5

/** The source and destination of a mark: 00-00-5E-00-53-00, the MAC
 *  address for documentation (RFC 7042): no device has it. */
static const uint8_t bn_record_mark_mac[6] = { 0x00, 0x00, 0x5e, 0x00, 0x53, 0x00 };

/**
 * Writes a mark into the recording of every record stage in the chain from
 * link (link may be the outermost link): an Ethernet frame of EtherType
 * BN_RECORD_MARK_ETHERTYPE between bn_record_mark_mac and itself, whose
 * payload is text (ASCII, cut to fit one frame), at ts_ns, in order with
 * the frames around it. Wireshark shows it in the timeline
 * (`eth.type == 0x88b5`, the text in its data); it never reaches the wire.
 * The scenario's steps are marked this way. Thread-safe. A filter given
 * with --record-filter applies to marks too.
 * @return 0, or -ENOENT when the chain has no record stage.
 */
int bn_link_record_mark(bn_link *link, uint64_t ts_ns, const char *text);

#endif /* BN_LINK_RECORD_H */
