/*
 * The replay's growing arrays: room for one more element, doubling.
 */
#ifndef BN_REPLAY_GROW_H
#define BN_REPLAY_GROW_H

#include <stddef.h>
#include <stdlib.h>

/**
 * arr (n used of *cap elements of elem bytes) with room for one more:
 * doubled when full, from first elements.
 * @return it (maybe moved; *cap updated), or NULL without memory (arr and
 *         *cap are then unchanged).
 */
static inline void *bn_rp_room_for_one(void *arr, size_t n, size_t *cap, size_t elem, size_t first)
{
  if (n < *cap) {
    return arr;
  }
  size_t bigger = *cap ? *cap * 2 : first;
  void *grown = realloc(arr, bigger * elem);
  if (grown != NULL) {
    *cap = bigger;
  }
  return grown;
}

#endif /* BN_REPLAY_GROW_H */
