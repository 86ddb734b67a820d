/*
 * Telling the board in a capture (replay_census.h): every unicast IPv4
 * address counted with the first MAC it was seen with, the first DHCP lease
 * (DHCPACK's yiaddr), the first address announced by gratuitous ARP, and
 * each address's part as a server (echo replies, SYN-ACKs, UDP answers from
 * a well-known port to a client's). Then the board is the leased address;
 * or the announced one (if it is one of the two most frequent); or the one
 * that acts as the server, when it does at least twice as often as any
 * other; or the most frequent one, by more than 5 %. Otherwise the census
 * cannot tell, and says so with the two candidates (give --board-ip).
 */
#include "replay_census.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Distinct addresses the census counts at most (more are ignored). */
#define COUNT_SLOTS 8192

/* What an address did as a server. */
struct served {
  uint32_t echo_replies, syn_acks, udp_answers;
};

struct bn_rp_census {
  uint32_t ip[COUNT_SLOTS];
  uint64_t frames[COUNT_SLOTS];
  struct served served[COUNT_SLOTS];
  uint8_t mac[COUNT_SLOTS][6];
  bool has_mac[COUNT_SLOTS];
  size_t n;
  uint64_t ipv4_frames, arp_frames;
  uint32_t dhcp_yiaddr;
  uint64_t dhcp_frame;
  uint32_t garp_ip;          /* the first address announced by gratuitous ARP */
  uint64_t garp_frame;
};

static size_t census_slot(bn_rp_census *c, uint32_t ip)
{
  for (size_t i = 0; i < c->n; i++) {
    if (c->ip[i] == ip) {
      return i;
    }
  }
  if (c->n == COUNT_SLOTS) {
    return COUNT_SLOTS;
  }
  c->ip[c->n] = ip;
  return c->n++;
}

static bool unicast(uint32_t ip)
{
  return ip != 0 && !bn_rp_ip_is_group(ip) && (ip >> 24) != 127;
}

static size_t census_count(bn_rp_census *c, uint32_t ip, const uint8_t *mac)
{
  if (!unicast(ip)) {
    return COUNT_SLOTS;
  }
  size_t i = census_slot(c, ip);
  if (i < COUNT_SLOTS) {
    c->frames[i]++;
    if (mac != NULL && !c->has_mac[i]) {
      memcpy(c->mac[i], mac, 6);
      c->has_mac[i] = true;
    }
  }
  return i;
}

/* The L4 header (at least need bytes of it) of a whole packet or of a first
 * fragment, or NULL. */
static const uint8_t *first_l4(const bn_rp_frame *f, size_t need)
{
  const uint8_t *ip = f->eth + f->ip;
  if ((bn_rp_get16(ip + 6) & 0x1fff) != 0 || f->ip_len < f->ip_hlen + need) {
    return NULL;
  }
  return ip + f->ip_hlen;
}

/* What f shows its sender doing as a server. */
static void served_by(struct served *s, const bn_rp_frame *f)
{
  const uint8_t *l4 = first_l4(f, f->proto == BN_RP_PROTO_TCP ? 14 : 8);
  if (l4 == NULL) {
    return;
  }
  uint16_t sport = bn_rp_get16(l4), dport = bn_rp_get16(l4 + 2);
  if (f->proto == BN_RP_PROTO_ICMP && l4[0] == 0) {
    s->echo_replies++;
  } else if (f->proto == BN_RP_PROTO_TCP && (l4[13] & (BN_RP_TCP_SYN | BN_RP_TCP_ACK)) == (BN_RP_TCP_SYN | BN_RP_TCP_ACK)) {
    s->syn_acks++;
  } else if (f->proto == BN_RP_PROTO_UDP && sport < 1024 && dport >= 1024) {
    s->udp_answers++;
  }
}

static uint64_t served_total(const struct served *s)
{
  return (uint64_t)s->echo_replies + s->syn_acks + s->udp_answers;
}

void bn_rp_census_frame(bn_rp_census *c, const bn_pcap_frame *pf, const bn_rp_frame *f)
{
  const uint8_t *src_mac = pf->macs_synthesised ? NULL : f->eth + 6;
  if (f->arp) {
    c->arp_frames++;
    uint32_t sender = bn_rp_get32(f->eth + f->arp + 14);
    census_count(c, sender, src_mac);
    if (sender != 0 && sender == bn_rp_get32(f->eth + f->arp + 24) && c->garp_ip == 0) {
      c->garp_ip = sender; /* "I am sender": a host that just took its address */
      c->garp_frame = pf->number;
    }
    return;
  }
  if (!f->ip) {
    return;
  }
  c->ipv4_frames++;
  size_t src = census_count(c, bn_rp_ip_src(f), src_mac);
  census_count(c, bn_rp_ip_dst(f), NULL);
  if (src < COUNT_SLOTS) {
    served_by(&c->served[src], f);
  }
  uint32_t yi = bn_rp_dhcp_ack_yiaddr(f);
  if (yi != 0 && c->dhcp_yiaddr == 0) {
    c->dhcp_yiaddr = yi;
    c->dhcp_frame = pf->number;
  }
}

/* The two highest of value[0..n) (COUNT_SLOTS: none), into *top and *second. */
static void two_highest(const bn_rp_census *c, uint64_t (*value)(const bn_rp_census *, size_t), size_t *top,
                        size_t *second)
{
  *top = *second = COUNT_SLOTS;
  for (size_t i = 0; i < c->n; i++) {
    uint64_t v = value(c, i);
    if (*top == COUNT_SLOTS || v > value(c, *top)) {
      *second = *top;
      *top = i;
    } else if (*second == COUNT_SLOTS || v > value(c, *second)) {
      *second = i;
    }
  }
}

static uint64_t frames_of(const bn_rp_census *c, size_t i)
{
  return c->frames[i];
}

static uint64_t served_of(const bn_rp_census *c, size_t i)
{
  return served_total(&c->served[i]);
}

/* Picks the board from the census (plan->board_ip if given) and its MAC. */
int bn_rp_census_decide(bn_rp_census *c, bn_rp_plan *plan, bool given, char err[BN_RP_ERRLEN])
{
  char text[16];
  if (!given) {
    size_t top, second, server, next;
    two_highest(c, frames_of, &top, &second);
    two_highest(c, served_of, &server, &next);
    if (top == COUNT_SLOTS) {
      snprintf(err, BN_RP_ERRLEN, "no IPv4 traffic in the capture to tell the board by (give --board-ip)");
      return -EINVAL;
    }
    uint64_t best = served_of(c, server), other = next == COUNT_SLOTS ? 0 : served_of(c, next);
    if (c->dhcp_yiaddr != 0) {
      plan->board_ip = c->dhcp_yiaddr;
      bn_rp_ip_text(plan->board_ip, text, sizeof(text));
      snprintf(plan->board_reason, sizeof(plan->board_reason),
               "%s: the address the capture's DHCP server leased (DHCPACK, frame %llu)", text,
               (unsigned long long)c->dhcp_frame);
    } else if (c->garp_ip != 0 && (c->garp_ip == c->ip[top] || (second != COUNT_SLOTS && c->garp_ip == c->ip[second]))) {
      plan->board_ip = c->garp_ip;
      bn_rp_ip_text(plan->board_ip, text, sizeof(text));
      snprintf(plan->board_reason, sizeof(plan->board_reason),
               "%s: it announces its address (gratuitous ARP, frame %llu)", text,
               (unsigned long long)c->garp_frame);
    } else if (best > 0 && best >= 2 * other) {
      const struct served *s = &c->served[server];
      plan->board_ip = c->ip[server];
      bn_rp_ip_text(plan->board_ip, text, sizeof(text));
      snprintf(plan->board_reason, sizeof(plan->board_reason),
               "%s: the server of the capture (it answers %u echo requests, %u SYNs, %u UDP requests to a "
               "well-known port; the next address %llu)", text, s->echo_replies, s->syn_acks, s->udp_answers,
               (unsigned long long)other);
    } else if (second == COUNT_SLOTS || c->frames[top] * 20 > c->frames[second] * 21) {
      plan->board_ip = c->ip[top];
      bn_rp_ip_text(plan->board_ip, text, sizeof(text));
      snprintf(plan->board_reason, sizeof(plan->board_reason),
               "%s: the most frequent address (in %llu of %llu IPv4 and ARP frames)", text,
               (unsigned long long)c->frames[top], (unsigned long long)(c->ipv4_frames + c->arp_frames));
    } else {
      char a[16], b[16];
      bn_rp_ip_text(c->ip[top], a, sizeof(a));
      bn_rp_ip_text(c->ip[second], b, sizeof(b));
      snprintf(err, BN_RP_ERRLEN, "cannot tell which address is the board: %s and %s are in as many frames (%llu and "
               "%llu) and act as servers as often (%llu and %llu answers): give --board-ip", a, b,
               (unsigned long long)c->frames[top], (unsigned long long)c->frames[second],
               (unsigned long long)served_of(c, top), (unsigned long long)served_of(c, second));
      return -ENXIO;
    }
  } else {
    bn_rp_ip_text(plan->board_ip, text, sizeof(text));
    snprintf(plan->board_reason, sizeof(plan->board_reason), "%s: given (--board-ip)", text);
  }
  for (size_t i = 0; i < c->n; i++) {
    if (c->ip[i] == plan->board_ip && c->has_mac[i]) {
      memcpy(plan->board_mac, c->mac[i], 6);
      plan->board_mac_known = true;
    }
  }
  /* A MAC that tells the board's frames apart: not all zero (loopback), and
   * no other address's (one host with several addresses, a router). */
  static const uint8_t zero[6];
  for (size_t i = 0; plan->board_mac_known && i < c->n; i++) {
    if (memcmp(plan->board_mac, zero, 6) == 0 ||
        (c->ip[i] != plan->board_ip && c->has_mac[i] && memcmp(c->mac[i], plan->board_mac, 6) == 0)) {
      plan->board_mac_known = false;
    }
  }
  /* The peers' MACs, for answering the board's ARP requests. */
  plan->hosts = calloc(c->n ? c->n : 1, sizeof(*plan->hosts));
  if (plan->hosts == NULL) {
    snprintf(err, BN_RP_ERRLEN, "out of memory");
    return -ENOMEM;
  }
  for (size_t i = 0; i < c->n; i++) {
    if (c->has_mac[i] && c->ip[i] != plan->board_ip) {
      plan->hosts[plan->nhosts].ip = c->ip[i];
      memcpy(plan->hosts[plan->nhosts].mac, c->mac[i], 6);
      plan->nhosts++;
    }
  }
  return 0;
}


bn_rp_census *bn_rp_census_new(void)
{
  return calloc(1, sizeof(bn_rp_census));
}
