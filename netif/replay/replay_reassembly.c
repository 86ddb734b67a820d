/* IPv4 datagrams from their fragments, for a replay (replay_reassembly.h). */
#include "replay_reassembly.h"
#include "replay_grow.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static bn_rp_datagram *find(bn_rp_reassembly *r, const bn_rp_frame *f, uint16_t id)
{
  uint32_t src = bn_rp_ip_src(f), dst = bn_rp_ip_dst(f);
  for (size_t i = 0; i < r->n; i++) {
    bn_rp_datagram *d = r->d[i];
    if (d->src == src && d->dst == dst && d->id == id && d->proto == f->proto) {
      return d;
    }
  }
  return NULL;
}

/* Adds payload bytes [from, to) to d's ranges, merging. */
static int add_range(bn_rp_datagram *d, uint32_t from, uint32_t to)
{
  for (size_t i = 0; i < d->nranges; i++) {
    if (from <= d->ranges[i].to && to >= d->ranges[i].from) {
      from = from < d->ranges[i].from ? from : d->ranges[i].from;
      to = to > d->ranges[i].to ? to : d->ranges[i].to;
      d->ranges[i] = d->ranges[--d->nranges];
      return add_range(d, from, to); /* it may reach another one now */
    }
  }
  void *p = bn_rp_room_for_one(d->ranges, d->nranges, &d->cap_ranges, sizeof(*d->ranges), 8);
  if (p == NULL) {
    return -ENOMEM;
  }
  d->ranges = p;
  d->ranges[d->nranges].from = from;
  d->ranges[d->nranges].to = to;
  d->nranges++;
  return 0;
}

int bn_rp_reassembly_add(bn_rp_reassembly *r, const bn_rp_frame *f, uint64_t number, uint64_t ts_ns,
                         bn_rp_datagram **whole)
{
  const uint8_t *ip = f->eth + f->ip;
  uint16_t frag = bn_rp_get16(ip + 6), id = bn_rp_get16(ip + 4);
  uint32_t offset = (uint32_t)(frag & 0x1fff) * 8, len = (uint32_t)(f->ip_len - f->ip_hlen);
  bn_rp_datagram *d = find(r, f, id);
  if (d == NULL) {
    void *p = bn_rp_room_for_one(r->d, r->n, &r->cap, sizeof(*r->d), 8);
    d = calloc(1, sizeof(*d));
    if (p == NULL || d == NULL) {
      free(d);
      r->d = p != NULL ? p : r->d;
      return -ENOMEM;
    }
    r->d = p;
    r->d[r->n++] = d;
    d->src = bn_rp_ip_src(f);
    d->dst = bn_rp_ip_dst(f);
    d->id = id;
    d->proto = f->proto;
    d->first_ts_ns = ts_ns;
  }
  if (d->nnumbers == d->cap_numbers) {
    size_t cap = d->cap_numbers ? d->cap_numbers * 2 : 8;
    uint64_t *numbers = realloc(d->numbers, cap * sizeof(*numbers));
    if (numbers == NULL) {
      return -ENOMEM;
    }
    d->numbers = numbers;
    uint64_t *times = realloc(d->times, cap * sizeof(*times));
    if (times == NULL) {
      return -ENOMEM;
    }
    d->times = times;
    d->cap_numbers = cap;
  }
  d->times[d->nnumbers] = ts_ns;
  d->numbers[d->nnumbers++] = number;
  if (offset == 0 && d->head_len == 0) {
    d->head_len = f->ip + f->ip_hlen + 8 <= f->len ? f->ip + f->ip_hlen + 8 : f->len;
    d->head_len = d->head_len < sizeof(d->head) ? d->head_len : sizeof(d->head);
    memcpy(d->head, f->eth, d->head_len);
  }
  if (!(frag & 0x2000)) {
    d->last_seen = true;
    d->total = offset + len;
  }
  if (len > 0 && add_range(d, offset, offset + len) < 0) {
    return -ENOMEM;
  }
  bool complete = d->last_seen && d->head_len > 0 && d->nranges == 1 && d->ranges[0].from == 0 &&
                  d->ranges[0].to >= d->total;
  *whole = complete ? d : NULL;
  return complete ? 1 : 0;
}

void bn_rp_reassembly_take(bn_rp_reassembly *r, bn_rp_datagram *d)
{
  for (size_t i = 0; i < r->n; i++) {
    if (r->d[i] == d) {
      r->d[i] = r->d[--r->n];
      return;
    }
  }
}

size_t bn_rp_datagram_frame(const bn_rp_datagram *d, uint8_t *out, size_t out_size)
{
  size_t ip_hlen = (size_t)(d->head[BN_RP_ETH_HLEN] & 0x0f) * 4;
  size_t len = BN_RP_ETH_HLEN + ip_hlen + d->total;
  if (d->head_len < BN_RP_ETH_HLEN + ip_hlen || len > out_size || ip_hlen + d->total > 0xffff) {
    return 0;
  }
  memset(out, 0, len);
  memcpy(out, d->head, d->head_len);
  uint8_t *ip = out + BN_RP_ETH_HLEN;
  bn_rp_put16(ip + 2, (uint16_t)(ip_hlen + d->total));
  bn_rp_put16(ip + 6, bn_rp_get16(ip + 6) & 0x4000); /* DF as it was; no offset, no "more" */
  return len;
}

void bn_rp_datagram_free(bn_rp_datagram *d)
{
  if (d != NULL) {
    free(d->numbers);
    free(d->times);
    free(d->ranges);
    free(d);
  }
}

void bn_rp_reassembly_free(bn_rp_reassembly *r)
{
  for (size_t i = 0; i < r->n; i++) {
    bn_rp_datagram_free(r->d[i]);
  }
  free(r->d);
  *r = (bn_rp_reassembly){ 0 };
}
