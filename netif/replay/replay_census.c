/*
 * Telling the board in a capture (replay_census.h): every unicast IPv4
 * address counted with the first MAC it was seen with, the first DHCP lease
 * (DHCPACK's yiaddr), the first address announced by gratuitous ARP and
 * the address that answered the first SYN; then the board is the leased
 * address, or the announced one (if it is one of the two most frequent),
 * or the most frequent one (the one that answered the first connection when
 * the two most frequent are within 5%).
 */
#include "replay_census.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Distinct addresses the census counts at most (more are ignored). */
#define COUNT_SLOTS 8192

struct bn_rp_census {
  uint32_t ip[COUNT_SLOTS];
  uint64_t frames[COUNT_SLOTS];
  uint8_t mac[COUNT_SLOTS][6];
  bool has_mac[COUNT_SLOTS];
  size_t n;
  uint64_t ipv4_frames;
  uint32_t dhcp_yiaddr;
  uint64_t dhcp_frame;
  uint32_t syn_from, syn_to, syn_answerer;
  uint16_t syn_sport, syn_dport;
  uint64_t syn_frame;
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

static void census_count(bn_rp_census *c, uint32_t ip, const uint8_t *mac)
{
  if (!unicast(ip)) {
    return;
  }
  size_t i = census_slot(c, ip);
  if (i < COUNT_SLOTS) {
    c->frames[i]++;
    if (mac != NULL && !c->has_mac[i]) {
      memcpy(c->mac[i], mac, 6);
      c->has_mac[i] = true;
    }
  }
}

void bn_rp_census_frame(bn_rp_census *c, const bn_pcap_frame *pf, const bn_rp_frame *f)
{
  const uint8_t *src_mac = pf->macs_synthesised ? NULL : f->eth + 6;
  if (f->arp) {
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
  census_count(c, bn_rp_ip_src(f), src_mac);
  census_count(c, bn_rp_ip_dst(f), NULL);
  uint32_t yi = bn_rp_dhcp_ack_yiaddr(f);
  if (yi != 0 && c->dhcp_yiaddr == 0) {
    c->dhcp_yiaddr = yi;
    c->dhcp_frame = pf->number;
  }
  uint8_t fl = bn_rp_tcp_flags(f);
  if (f->proto == BN_RP_PROTO_TCP && f->l4) {
    if ((fl & (BN_RP_TCP_SYN | BN_RP_TCP_ACK)) == BN_RP_TCP_SYN && c->syn_frame == 0) {
      c->syn_from = bn_rp_ip_src(f);
      c->syn_to = bn_rp_ip_dst(f);
      c->syn_sport = bn_rp_sport(f);
      c->syn_dport = bn_rp_dport(f);
      c->syn_frame = pf->number;
    } else if ((fl & (BN_RP_TCP_SYN | BN_RP_TCP_ACK)) == (BN_RP_TCP_SYN | BN_RP_TCP_ACK) && c->syn_frame != 0 &&
               c->syn_answerer == 0 && bn_rp_ip_src(f) == c->syn_to && bn_rp_ip_dst(f) == c->syn_from &&
               bn_rp_sport(f) == c->syn_dport && bn_rp_dport(f) == c->syn_sport) {
      c->syn_answerer = c->syn_to;
    }
  }
}

/* Picks the board from the census (plan->board_ip if given) and its MAC. */
int bn_rp_census_decide(bn_rp_census *c, bn_rp_plan *plan, bool given, char err[BN_RP_ERRLEN])
{
  char text[16];
  if (!given) {
    size_t top = COUNT_SLOTS, second = COUNT_SLOTS;
    for (size_t i = 0; i < c->n; i++) {
      if (top == COUNT_SLOTS || c->frames[i] > c->frames[top]) {
        second = top;
        top = i;
      } else if (second == COUNT_SLOTS || c->frames[i] > c->frames[second]) {
        second = i;
      }
    }
    if (top == COUNT_SLOTS) {
      snprintf(err, BN_RP_ERRLEN, "no IPv4 traffic in the capture to tell the board by (give --board-ip)");
      return -EINVAL;
    }
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
    } else if (second != COUNT_SLOTS && c->frames[top] * 20 <= c->frames[second] * 21 && c->syn_answerer != 0 &&
               (c->syn_answerer == c->ip[top] || c->syn_answerer == c->ip[second])) {
      plan->board_ip = c->syn_answerer;
      bn_rp_ip_text(plan->board_ip, text, sizeof(text));
      snprintf(plan->board_reason, sizeof(plan->board_reason),
               "%s: it answers the capture's first connection (SYN in frame %llu)", text,
               (unsigned long long)c->syn_frame);
    } else {
      plan->board_ip = c->ip[top];
      bn_rp_ip_text(plan->board_ip, text, sizeof(text));
      snprintf(plan->board_reason, sizeof(plan->board_reason),
               "%s: the most frequent address (in %llu of %llu IPv4 frames)", text,
               (unsigned long long)c->frames[top], (unsigned long long)c->ipv4_frames);
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
