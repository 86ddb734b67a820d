/* Memory backend: a pair of bn_link ends joined by bounded in-process queues. */
#include "link_memory.h"

#include <errno.h>
#include "bn_sched.h" /* netif/base: the board's threads and locks */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct frame_slot {
  uint64_t ts_ns;
  size_t len;
  uint8_t data[BN_LINK_MAX_FRAME];
};

/* Frames travelling towards one end. */
struct frame_queue {
  struct frame_slot *slots;
  size_t first, count;
  int woken;          /* bn_link_wake() called since the last poll returned */
  int peer_closed;    /* the sending end is gone */
  int carrier_seen;   /* the carrier state this end's poller last reported */
  int read_error;     /* bn_link_memory_fail_reads(): polls fail with it once drained */
};

struct pipe {
  bn_mutex_t lock;
  bn_cond_t changed;
  size_t capacity;
  int ends_open;
  int carrier;        /* 1 up, 0 down: a cable both ends share */
  struct frame_queue toward[2];
};

struct memory_end {
  bn_link link;      /* first: a bn_link * is a struct memory_end * */
  struct pipe *pipe;
  int side;          /* 0 or 1: this end receives toward[side] */
};

static const struct bn_link_ops memory_ops;

static struct memory_end *end_of(bn_link *link)
{
  return (struct memory_end *)link;
}

static int memory_send(bn_link *link, const uint8_t *frame, size_t len, uint64_t ts_ns)
{
  struct memory_end *end = end_of(link);
  struct pipe *p = end->pipe;
  if (len == 0 || len > BN_LINK_MAX_FRAME) {
    return -EMSGSIZE;
  }
  int rc = 0;
  bn_mutex_lock(&p->lock);
  struct frame_queue *q = &p->toward[!end->side];
  if (p->ends_open < 2) {
    rc = -ENOTCONN;
  } else if (!p->carrier) {
    rc = -ENETDOWN;
  } else if (q->count == p->capacity) {
    rc = -ENOBUFS;
  } else {
    struct frame_slot *s = &q->slots[(q->first + q->count) % p->capacity];
    memcpy(s->data, frame, len);
    s->len = len;
    s->ts_ns = ts_ns;
    q->count++;
    bn_cond_broadcast(&p->changed);
  }
  bn_mutex_unlock(&p->lock);
  return rc;
}

static int memory_poll(bn_link *link, const bn_link_rx *rx, uint64_t until_ns)
{
  struct memory_end *end = end_of(link);
  struct pipe *p = end->pipe;
  struct frame_queue *q = &p->toward[end->side];

  bn_mutex_lock(&p->lock);
  while (q->count == 0 && !q->woken && !q->peer_closed && q->carrier_seen == p->carrier &&
         q->read_error == 0) {
    if (bn_cond_wait(&p->changed, &p->lock, until_ns) == ETIMEDOUT) {
      break;
    }
  }
  q->woken = 0;
  if (q->carrier_seen != p->carrier) {
    q->carrier_seen = p->carrier;
    int up = p->carrier;
    bn_mutex_unlock(&p->lock);
    if (rx->carrier != NULL) {
      rx->carrier(rx->arg, up);
    }
    bn_mutex_lock(&p->lock);
  }
  int delivered = 0;
  /* Deliver what is queued now (not what a busy sender adds meanwhile: the
   * call stays bounded); rx runs without the pipe's lock held, so it may
   * send on either end. */
  size_t queued = q->count;
  while (q->count > 0 && (size_t)delivered < queued) {
    struct frame_slot slot;
    memcpy(&slot, &q->slots[q->first], sizeof(slot));
    q->first = (q->first + 1) % p->capacity;
    q->count--;
    bn_mutex_unlock(&p->lock);
    rx->frame(rx->arg, slot.data, slot.len, slot.ts_ns);
    delivered++;
    bn_mutex_lock(&p->lock);
  }
  int failed = delivered == 0 ? q->read_error : 0;
  int ended = q->peer_closed && delivered == 0;
  bn_mutex_unlock(&p->lock);
  return failed != 0 ? failed : ended ? -ENODATA : delivered;
}

static void memory_wake(bn_link *link)
{
  struct memory_end *end = end_of(link);
  bn_mutex_lock(&end->pipe->lock);
  end->pipe->toward[end->side].woken = 1;
  bn_cond_broadcast(&end->pipe->changed);
  bn_mutex_unlock(&end->pipe->lock);
}

int bn_link_memory_set_carrier(bn_link *link, bool up)
{
  if (link == NULL || link->ops != &memory_ops) {
    return -EINVAL;
  }
  struct pipe *p = end_of(link)->pipe;
  bn_mutex_lock(&p->lock);
  p->carrier = up;
  bn_cond_broadcast(&p->changed);
  bn_mutex_unlock(&p->lock);
  return 0;
}

int bn_link_memory_fail_reads(bn_link *link, int err)
{
  if (link == NULL || link->ops != &memory_ops || err > 0) {
    return -EINVAL;
  }
  struct memory_end *end = end_of(link);
  bn_mutex_lock(&end->pipe->lock);
  end->pipe->toward[end->side].read_error = err;
  bn_cond_broadcast(&end->pipe->changed);
  bn_mutex_unlock(&end->pipe->lock);
  return 0;
}

static void free_pipe(struct pipe *p)
{
  free(p->toward[0].slots);
  free(p->toward[1].slots);
  bn_cond_destroy(&p->changed);
  bn_mutex_destroy(&p->lock);
  free(p);
}

static void memory_close(bn_link *link)
{
  struct memory_end *end = end_of(link);
  struct pipe *p = end->pipe;
  bn_mutex_lock(&p->lock);
  int last = --p->ends_open == 0;
  p->toward[!end->side].peer_closed = 1;
  bn_cond_broadcast(&p->changed);
  bn_mutex_unlock(&p->lock);
  free(end);
  if (last) {
    free_pipe(p);
  }
}

static const struct bn_link_ops memory_ops = {
  .kind = "memory",
  .send = memory_send,
  .poll = memory_poll,
  .wake = memory_wake,
  .close = memory_close,
};

int bn_link_memory_pair(size_t capacity, bn_link **a, bn_link **b)
{
  if (a == NULL || b == NULL || capacity == 0 || capacity > 65536) {
    return -EINVAL;
  }
  struct pipe *p = calloc(1, sizeof(*p));
  struct memory_end *ends[2] = { calloc(1, sizeof(**ends)), calloc(1, sizeof(**ends)) };
  if (p != NULL) {
    p->toward[0].slots = calloc(capacity, sizeof(struct frame_slot));
    p->toward[1].slots = calloc(capacity, sizeof(struct frame_slot));
  }
  if (p == NULL || ends[0] == NULL || ends[1] == NULL ||
      p->toward[0].slots == NULL || p->toward[1].slots == NULL) {
    if (p != NULL) {
      free(p->toward[0].slots);
      free(p->toward[1].slots);
    }
    free(p);
    free(ends[0]);
    free(ends[1]);
    return -ENOMEM;
  }
  bn_mutex_init(&p->lock);
  bn_cond_init(&p->changed);
  p->capacity = capacity;
  p->ends_open = 2;
  p->carrier = 1;
  for (int side = 0; side < 2; side++) {
    bn_link_stage_init(&ends[side]->link, &memory_ops, NULL);
    p->toward[side].carrier_seen = 1;
    snprintf(ends[side]->link.name, sizeof(ends[side]->link.name), "mem%d", side);
    ends[side]->pipe = p;
    ends[side]->side = side;
  }
  *a = &ends[0]->link;
  *b = &ends[1]->link;
  return 0;
}
