/*
 * A map of 64-bit keys to 32-bit indexes for the replay (flows by their
 * addresses and ports): open addressing, doubling as it fills. Zero-
 * initialise; bn_rp_keymap_free() when done. Keys are below UINT64_MAX.
 */
#ifndef BN_REPLAY_KEYMAP_H
#define BN_REPLAY_KEYMAP_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

typedef struct bn_rp_keymap {
  uint64_t *keys;   /* key + 1; 0 is an empty slot */
  uint32_t *vals;
  size_t cap, used;
} bn_rp_keymap;

static inline size_t bn_rp_keymap_slot(uint64_t key, size_t cap)
{
  key ^= key >> 33;
  key *= 0xff51afd7ed558ccdu;
  key ^= key >> 33;
  return (size_t)key & (cap - 1);
}

static inline int bn_rp_keymap_put(bn_rp_keymap *m, uint64_t key, uint32_t val);

static inline int bn_rp_keymap_grow(bn_rp_keymap *m)
{
  bn_rp_keymap bigger = { calloc(m->cap ? m->cap * 2 : 1024, sizeof(uint64_t)),
                    calloc(m->cap ? m->cap * 2 : 1024, sizeof(uint32_t)), m->cap ? m->cap * 2 : 1024, 0 };
  if (bigger.keys == NULL || bigger.vals == NULL) {
    free(bigger.keys);
    free(bigger.vals);
    return -ENOMEM;
  }
  for (size_t i = 0; i < m->cap; i++) {
    if (m->keys[i] != 0) {
      bn_rp_keymap_put(&bigger, m->keys[i] - 1, m->vals[i]);
    }
  }
  free(m->keys);
  free(m->vals);
  *m = bigger;
  return 0;
}

static inline int bn_rp_keymap_put(bn_rp_keymap *m, uint64_t key, uint32_t val)
{
  if ((m->used + 1) * 2 > m->cap && bn_rp_keymap_grow(m) < 0) {
    return -ENOMEM;
  }
  size_t i = bn_rp_keymap_slot(key, m->cap);
  while (m->keys[i] != 0 && m->keys[i] != key + 1) {
    i = (i + 1) & (m->cap - 1);
  }
  if (m->keys[i] == 0) {
    m->used++;
  }
  m->keys[i] = key + 1;
  m->vals[i] = val;
  return 0;
}

static inline bool bn_rp_keymap_get(const bn_rp_keymap *m, uint64_t key, uint32_t *val)
{
  if (m->cap == 0) {
    return false;
  }
  for (size_t i = bn_rp_keymap_slot(key, m->cap); m->keys[i] != 0; i = (i + 1) & (m->cap - 1)) {
    if (m->keys[i] == key + 1) {
      *val = m->vals[i];
      return true;
    }
  }
  return false;
}

static inline void bn_rp_keymap_free(bn_rp_keymap *m)
{
  free(m->keys);
  free(m->vals);
}

#endif /* BN_REPLAY_KEYMAP_H */
