/*
 * bn_impair_queue: the frames an impairment rule holds, ordered by release
 * time on the board's clock (netem's tfifo: a frame whose delay is shorter
 * overtakes those queued before it; equal times keep their order). A
 * binary heap of copied frames.
 */
#ifndef BN_IMPAIR_QUEUE_H
#define BN_IMPAIR_QUEUE_H

#include <stddef.h>
#include <stdint.h>

/** One held frame. */
typedef struct bn_impair_item {
  uint64_t release_ns;  /**< when it leaves */
  uint64_t seq;         /**< arrival order, for ties */
  uint64_t frame_no;    /**< its number in its direction (for the decision log) */
  size_t len;
  uint8_t data[];
} bn_impair_item;

typedef struct bn_impair_queue {
  bn_impair_item **heap;
  size_t n, cap;
  uint64_t next_seq;
} bn_impair_queue;

/**
 * Copies frame[0..len) into the queue, to leave at release_ns.
 * @return 0, or -ENOMEM (nothing queued).
 */
int bn_impair_queue_push(bn_impair_queue *q, const uint8_t *frame, size_t len, uint64_t release_ns, uint64_t frame_no);

/** The frame that leaves first, or NULL when empty. */
static inline const bn_impair_item *bn_impair_queue_head(const bn_impair_queue *q)
{
  return q->n ? q->heap[0] : NULL;
}

/** Takes the head out; the caller frees it (free()). NULL when empty. */
bn_impair_item *bn_impair_queue_pop(bn_impair_queue *q);

/** Frees every held frame and the heap. */
void bn_impair_queue_free(bn_impair_queue *q);

#endif /* BN_IMPAIR_QUEUE_H */
