/*
 * Ingress faults aimed by flow (shrink_faults.h, bn_shrink_aim_by_flow):
 * each frame of the run's recording (read with libpcap) gets a libpcap
 * filter that passes it and the frames like it (its addresses, protocol,
 * ports and SYN/FIN/RST flags; ARP: its operation and target), and a
 * count per filter; a fault on recorded frame N becomes "match FILTER
 * ingress nth K", K being N's count under its filter.
 */
#define _GNU_SOURCE
#include "shrink_faults.h"
#include "bn_hash.h"

#include <errno.h>
#include <inttypes.h>
#include <pcap/pcap.h>
#include <stdlib.h>
#include <string.h>

static uint16_t get16(const uint8_t *p)
{
  return (uint16_t)(p[0] << 8 | p[1]);
}

static void ip_text(const uint8_t *p, char *out, size_t size)
{
  snprintf(out, size, "%u.%u.%u.%u", p[0], p[1], p[2], p[3]);
}

/* The filter that passes frame f[0..len) and those like it, into out; false if none is made (not IPv4 or ARP). */
static bool filter_of(const uint8_t *f, size_t len, char *out, size_t size)
{
  if (len < 14) {
    return false;
  }
  uint16_t type = get16(f + 12);
  if (type == 0x0806 && len >= 14 + 28) {
    const uint8_t *a = f + 14;
    snprintf(out, size, "arp and arp[6:2] == %u and arp[24:4] == 0x%02x%02x%02x%02x", get16(a + 6), a[24], a[25],
             a[26], a[27]);
    return true;
  }
  if (type != 0x0800 || len < 14 + 20) {
    return false;
  }
  const uint8_t *ip = f + 14;
  size_t ihl = (size_t)(ip[0] & 0x0f) * 4;
  char src[16], dst[16];
  ip_text(ip + 12, src, sizeof(src));
  ip_text(ip + 16, dst, sizeof(dst));
  const uint8_t *l4 = ip + ihl;
  bool first = (get16(ip + 6) & 0x1fff) == 0; /* ports only in a datagram's first fragment */
  size_t l4len = len > 14 + ihl ? len - 14 - ihl : 0;
  switch (ip[9]) {
  case 6:
    if (first && l4len >= 14) {
      static const char *const names[] = { "0", "tcp-fin", "tcp-syn", "tcp-syn|tcp-fin", "tcp-rst", "tcp-rst|tcp-fin",
                                           "tcp-rst|tcp-syn", "tcp-rst|tcp-syn|tcp-fin" };
      snprintf(out, size, "tcp and src host %s and dst host %s and src port %u and dst port %u and "
               "tcp[tcpflags] & (tcp-syn|tcp-fin|tcp-rst) == %s", src, dst, get16(l4), get16(l4 + 2),
               names[l4[13] & 0x07]);
      return true;
    }
    break;
  case 17:
    if (first && l4len >= 4) {
      snprintf(out, size, "udp and src host %s and dst host %s and src port %u and dst port %u", src, dst, get16(l4),
               get16(l4 + 2));
      return true;
    }
    break;
  case 1:
    if (first && l4len >= 1) {
      snprintf(out, size, "icmp and src host %s and dst host %s and icmp[icmptype] == %u", src, dst, l4[0]);
      return true;
    }
    break;
  default:
    break;
  }
  snprintf(out, size, "ip proto %u and src host %s and dst host %s", ip[9], src, dst);
  return true;
}

/* Counts per filter, by the filter's hash (open addressing; 0 is free). */
struct counts {
  uint64_t *key;
  uint64_t *n;
  size_t cap, used;
};

static uint64_t *count_of(struct counts *c, uint64_t key)
{
  key |= 1; /* never 0 */
  if (2 * (c->used + 1) > c->cap) {
    size_t cap = c->cap ? 2 * c->cap : 1024;
    uint64_t *k = calloc(cap, sizeof(*k)), *n = calloc(cap, sizeof(*n));
    if (k == NULL || n == NULL) {
      free(k);
      free(n);
      return NULL;
    }
    for (size_t i = 0; i < c->cap; i++) {
      if (c->key[i] != 0) {
        size_t j = c->key[i] % cap;
        while (k[j] != 0) {
          j = (j + 1) % cap;
        }
        k[j] = c->key[i];
        n[j] = c->n[i];
      }
    }
    free(c->key);
    free(c->n);
    c->key = k;
    c->n = n;
    c->cap = cap;
  }
  size_t j = key % c->cap;
  while (c->key[j] != 0 && c->key[j] != key) {
    j = (j + 1) % c->cap;
  }
  if (c->key[j] == 0) {
    c->key[j] = key;
    c->used++;
  }
  return &c->n[j];
}

static int by_capture(const void *a, const void *b)
{
  const bn_shrink_fault *x = *(bn_shrink_fault *const *)a, *y = *(bn_shrink_fault *const *)b;
  return x->capture < y->capture ? -1 : x->capture > y->capture;
}

int bn_shrink_aim_by_flow(bn_shrink_faults *f, const char *record_path, char *err, size_t errlen)
{
  /* The ingress faults whose recorded frame is known, in the recording's order. */
  bn_shrink_fault **todo = malloc((f->n ? f->n : 1) * sizeof(*todo));
  if (todo == NULL) {
    return -ENOMEM;
  }
  size_t ntodo = 0;
  for (size_t i = 0; i < f->n; i++) {
    if (!f->v[i].step && f->v[i].ingress && f->v[i].capture > 0) {
      todo[ntodo++] = &f->v[i];
    }
  }
  qsort(todo, ntodo, sizeof(*todo), by_capture);
  char perr[PCAP_ERRBUF_SIZE];
  pcap_t *p = ntodo > 0 ? pcap_open_offline(record_path, perr) : NULL;
  if (ntodo > 0 && p == NULL) {
    snprintf(err, errlen, "%s", perr);
    free(todo);
    return -EIO;
  }
  struct counts c = { 0 };
  size_t next = 0;
  int aimed = 0;
  struct pcap_pkthdr *h;
  const u_char *data;
  for (uint64_t no = 1; next < ntodo && pcap_next_ex(p, &h, &data) == 1; no++) {
    char filter[300];
    if (!filter_of(data, h->caplen, filter, sizeof(filter))) {
      continue;
    }
    uint64_t *n = count_of(&c, bn_hash_fnv1a64((const uint8_t *)filter, strlen(filter)));
    if (n == NULL) {
      aimed = -ENOMEM;
      break;
    }
    ++*n;
    for (; next < ntodo && todo[next]->capture == no; next++) {
      bn_shrink_fault *x = todo[next];
      snprintf(x->line, sizeof(x->line), "match \"%s\" ingress nth %" PRIu64 " %s", filter, *n, x->action);
      aimed++;
    }
    while (next < ntodo && todo[next]->capture < no) {
      next++; /* a frame without a filter (not IPv4 or ARP): it keeps its count over the direction */
    }
  }
  if (p != NULL) {
    pcap_close(p);
  }
  free(c.key);
  free(c.n);
  free(todo);
  return aimed;
}
