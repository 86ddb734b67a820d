/*
 * IPv4 datagrams from their fragments, for a replay: which frames of the
 * capture (or of the live board) make one datagram, and when the last piece
 * is in. The plan injects a peer's fragments as captured and compares the
 * board's datagrams whole; the live side puts the live board's fragments
 * together to compare them the same way. Only what the comparison needs is
 * kept: the first fragment's headers, the datagram's length and its frames'
 * numbers, not the payload. Overlapping pieces count once; a datagram whose
 * pieces never all come stays incomplete (the replay says so).
 * Not thread-safe.
 */
#ifndef BN_REPLAY_REASSEMBLY_H
#define BN_REPLAY_REASSEMBLY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "replay_headers.h"

/* The first fragment's headers kept: Ethernet, IPv4 with options, 8 bytes of L4. */
#define BN_RP_FRAG_HEAD (BN_RP_ETH_HLEN + 60 + 8)

/** A datagram being put together. */
typedef struct bn_rp_datagram {
  uint32_t src, dst;
  uint16_t id;
  uint8_t proto;
  bool last_seen;           /**< the piece without "more fragments" came: total is known */
  uint32_t total;           /**< its payload after the IPv4 header, in bytes (once last_seen) */
  uint8_t head[BN_RP_FRAG_HEAD]; /**< the first fragment's first bytes (head_len of them) */
  size_t head_len;          /**< 0 until the first fragment came */
  uint64_t first_ts_ns;
  uint64_t *numbers;        /**< its frames' numbers, in the order they came */
  uint64_t *times;          /**< and their capture times */
  size_t nnumbers, cap_numbers;
  struct { uint32_t from, to; } *ranges; /**< payload bytes in, merged */
  size_t nranges, cap_ranges;
} bn_rp_datagram;

typedef struct bn_rp_reassembly {
  bn_rp_datagram **d;
  size_t n, cap;
} bn_rp_reassembly;

/**
 * Adds fragment f (a parsed frame with f->fragment set; number: its frame,
 * ts_ns: its time).
 * @return 1 with *whole set when this piece completes the datagram (take it,
 *         then bn_rp_reassembly_take() it); 0 when more pieces are to come;
 *         -ENOMEM.
 */
int bn_rp_reassembly_add(bn_rp_reassembly *r, const bn_rp_frame *f, uint64_t number, uint64_t ts_ns,
                         bn_rp_datagram **whole);

/** Removes a complete datagram from r; the caller frees it (bn_rp_datagram_free()). */
void bn_rp_reassembly_take(bn_rp_reassembly *r, bn_rp_datagram *d);

/**
 * The datagram as one frame in out (BN_RP_ETH_HLEN + 20.. + total bytes,
 * out_size at least that): the first fragment's headers, the IPv4 total
 * length and fragment field set as one packet, the payload past the first
 * fragment's 8 L4 bytes zero (its length is what is compared).
 * @return its length, or 0 if it does not fit.
 */
size_t bn_rp_datagram_frame(const bn_rp_datagram *d, uint8_t *out, size_t out_size);

void bn_rp_datagram_free(bn_rp_datagram *d);

/** Frees every datagram still incomplete; r can be used again. */
void bn_rp_reassembly_free(bn_rp_reassembly *r);

#endif /* BN_REPLAY_REASSEMBLY_H */
