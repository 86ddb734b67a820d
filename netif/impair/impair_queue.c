/* The frames an impairment rule holds, by release time (impair_queue.h). */
#include "impair_queue.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

static bool before(const bn_impair_item *a, const bn_impair_item *b)
{
  return a->release_ns < b->release_ns || (a->release_ns == b->release_ns && a->seq < b->seq);
}

int bn_impair_queue_push(bn_impair_queue *q, const uint8_t *frame, size_t len, uint64_t release_ns, uint64_t frame_no)
{
  if (q->n == q->cap) {
    size_t cap = q->cap ? 2 * q->cap : 64;
    bn_impair_item **grown = realloc(q->heap, cap * sizeof(*grown));
    if (grown == NULL) {
      return -ENOMEM;
    }
    q->heap = grown;
    q->cap = cap;
  }
  bn_impair_item *it = malloc(sizeof(*it) + len);
  if (it == NULL) {
    return -ENOMEM;
  }
  it->release_ns = release_ns;
  it->seq = q->next_seq++;
  it->frame_no = frame_no;
  it->len = len;
  memcpy(it->data, frame, len);
  size_t i = q->n++;
  while (i > 0 && before(it, q->heap[(i - 1) / 2])) {
    q->heap[i] = q->heap[(i - 1) / 2];
    i = (i - 1) / 2;
  }
  q->heap[i] = it;
  return 0;
}

bn_impair_item *bn_impair_queue_pop(bn_impair_queue *q)
{
  if (q->n == 0) {
    return NULL;
  }
  bn_impair_item *top = q->heap[0];
  bn_impair_item *last = q->heap[--q->n];
  size_t i = 0;
  for (;;) {
    size_t c = 2 * i + 1;
    if (c >= q->n) {
      break;
    }
    if (c + 1 < q->n && before(q->heap[c + 1], q->heap[c])) {
      c++;
    }
    if (!before(q->heap[c], last)) {
      break;
    }
    q->heap[i] = q->heap[c];
    i = c;
  }
  if (q->n > 0) {
    q->heap[i] = last;
  }
  return top;
}

void bn_impair_queue_free(bn_impair_queue *q)
{
  for (size_t i = 0; i < q->n; i++) {
    free(q->heap[i]);
  }
  free(q->heap);
  memset(q, 0, sizeof(*q));
}
