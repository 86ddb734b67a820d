/*
 * bn_hash: a frame's fingerprint (FNV-1a, 64 bits), the same wherever a
 * frame must be found again by its bytes (the decision log's lines in the
 * recording: netif/impair and tools/board/decision_numbers.c).
 */
#ifndef BN_HASH_H
#define BN_HASH_H

#include <stddef.h>
#include <stdint.h>

/** FNV-1a (64 bits) of len bytes at p. */
static inline uint64_t bn_hash_fnv1a64(const uint8_t *p, size_t len)
{
  uint64_t h = 0xcbf29ce484222325u;
  for (size_t i = 0; i < len; i++) {
    h = (h ^ p[i]) * 0x100000001b3u;
  }
  return h;
}

#endif /* BN_HASH_H */
