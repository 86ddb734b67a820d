/* Headers of a replayed frame: parse with bounds, edit, re-checksum (replay_headers.h). */
#include "replay_headers.h"

#include <stdio.h>
#include <string.h>

uint16_t bn_rp_get16(const uint8_t *p)
{
  return (uint16_t)(p[0] << 8 | p[1]);
}

uint32_t bn_rp_get32(const uint8_t *p)
{
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

void bn_rp_put16(uint8_t *p, uint16_t v)
{
  p[0] = (uint8_t)(v >> 8);
  p[1] = (uint8_t)v;
}

void bn_rp_put32(uint8_t *p, uint32_t v)
{
  p[0] = (uint8_t)(v >> 24);
  p[1] = (uint8_t)(v >> 16);
  p[2] = (uint8_t)(v >> 8);
  p[3] = (uint8_t)v;
}

static int parse_ip(uint8_t *frame, size_t len, bn_rp_frame *f)
{
  const uint8_t *ip = frame + BN_RP_ETH_HLEN;
  size_t room = len - BN_RP_ETH_HLEN;
  if (room < 20 || (ip[0] >> 4) != 4) {
    return BN_SKIP_BAD_IP;
  }
  size_t hlen = (size_t)(ip[0] & 0x0f) * 4;
  size_t total = bn_rp_get16(ip + 2);
  if (hlen < 20 || total < hlen || total > room) {
    return BN_SKIP_BAD_IP;
  }
  f->ip = BN_RP_ETH_HLEN;
  f->ip_hlen = hlen;
  f->ip_len = total;
  f->proto = ip[9];
  uint16_t frag = bn_rp_get16(ip + 6);
  f->fragment = (frag & 0x3fff) != 0; /* offset, or more fragments */
  if (f->fragment) {
    return -1; /* the caller decides (no L4 header to rely on) */
  }
  size_t l4 = BN_RP_ETH_HLEN + hlen, l4_room = total - hlen;
  switch (f->proto) {
  case BN_RP_PROTO_TCP: {
    if (l4_room < 20) {
      return BN_SKIP_BAD_L4;
    }
    size_t thlen = (size_t)(frame[l4 + 12] >> 4) * 4;
    if (thlen < 20 || thlen > l4_room) {
      return BN_SKIP_BAD_L4;
    }
    f->l4 = l4;
    f->l4_hlen = thlen;
    f->payload_len = l4_room - thlen;
    return -1;
  }
  case BN_RP_PROTO_UDP: {
    if (l4_room < 8) {
      return BN_SKIP_BAD_L4;
    }
    size_t ulen = bn_rp_get16(frame + l4 + 4);
    if (ulen < 8 || ulen > l4_room) {
      return BN_SKIP_BAD_L4;
    }
    f->l4 = l4;
    f->l4_hlen = 8;
    f->payload_len = ulen - 8;
    return -1;
  }
  case BN_RP_PROTO_ICMP:
    if (l4_room >= 8) {
      f->l4 = l4;
      f->l4_hlen = 8;
      f->payload_len = l4_room - 8;
    }
    return -1;
  default:
    return -1; /* IP as such: its header is all the replay touches */
  }
}

int bn_rp_parse(uint8_t *frame, size_t len, bn_rp_frame *f)
{
  memset(f, 0, sizeof(*f));
  f->eth = frame;
  f->len = len;
  if (len < BN_RP_ETH_HLEN) {
    return BN_SKIP_LINK_HEADER;
  }
  f->ethertype = bn_rp_get16(frame + 12);
  if (f->ethertype == BN_RP_ETHERTYPE_IPV4) {
    return parse_ip(frame, len, f);
  }
  if (f->ethertype == BN_RP_ETHERTYPE_ARP) {
    const uint8_t *a = frame + BN_RP_ETH_HLEN;
    /* Ethernet (1) / IPv4 (0x0800), 6- and 4-byte addresses: 28 bytes. */
    if (len < BN_RP_ETH_HLEN + 28 || bn_rp_get16(a) != 1 || bn_rp_get16(a + 2) != 0x0800 || a[4] != 6 || a[5] != 4) {
      return BN_SKIP_BAD_ARP;
    }
    f->arp = BN_RP_ETH_HLEN;
    return -1;
  }
  return BN_SKIP_ETHERTYPE;
}

uint32_t bn_rp_ip_src(const bn_rp_frame *f)
{
  return f->ip ? bn_rp_get32(f->eth + f->ip + 12) : 0;
}

uint32_t bn_rp_ip_dst(const bn_rp_frame *f)
{
  return f->ip ? bn_rp_get32(f->eth + f->ip + 16) : 0;
}

static bool has_ports(const bn_rp_frame *f)
{
  return f->l4 != 0 && (f->proto == BN_RP_PROTO_TCP || f->proto == BN_RP_PROTO_UDP);
}

uint16_t bn_rp_sport(const bn_rp_frame *f)
{
  return has_ports(f) ? bn_rp_get16(f->eth + f->l4) : 0;
}

uint16_t bn_rp_dport(const bn_rp_frame *f)
{
  return has_ports(f) ? bn_rp_get16(f->eth + f->l4 + 2) : 0;
}

static bool is_tcp(const bn_rp_frame *f)
{
  return f->l4 != 0 && f->proto == BN_RP_PROTO_TCP;
}

uint32_t bn_rp_tcp_seq(const bn_rp_frame *f)
{
  return is_tcp(f) ? bn_rp_get32(f->eth + f->l4 + 4) : 0;
}

uint32_t bn_rp_tcp_ack(const bn_rp_frame *f)
{
  return is_tcp(f) ? bn_rp_get32(f->eth + f->l4 + 8) : 0;
}

uint8_t bn_rp_tcp_flags(const bn_rp_frame *f)
{
  return is_tcp(f) ? f->eth[f->l4 + 13] : 0;
}

uint32_t bn_rp_tcp_seq_len(const bn_rp_frame *f)
{
  uint8_t fl = bn_rp_tcp_flags(f);
  return (uint32_t)f->payload_len + ((fl & BN_RP_TCP_SYN) ? 1 : 0) + ((fl & BN_RP_TCP_FIN) ? 1 : 0);
}

const uint8_t *bn_rp_payload(const bn_rp_frame *f)
{
  return f->eth + f->l4 + f->l4_hlen;
}

void bn_rp_ip_text(uint32_t ip, char *out, size_t size)
{
  snprintf(out, size, "%u.%u.%u.%u", ip >> 24, (ip >> 16) & 255, (ip >> 8) & 255, ip & 255);
}

bool bn_rp_ip_is_group(uint32_t ip)
{
  return ip == 0xffffffffu || (ip >> 28) == 0xe;
}

void bn_rp_tcp_each_sack(bn_rp_frame *f, void (*fn)(void *arg, uint32_t *left, uint32_t *right), void *arg)
{
  if (!is_tcp(f)) {
    return;
  }
  uint8_t *o = f->eth + f->l4 + 20, *end = f->eth + f->l4 + f->l4_hlen;
  while (o < end) {
    uint8_t kind = o[0];
    if (kind == 0) {
      break; /* end of options */
    }
    if (kind == 1) {
      o++; /* no-op */
      continue;
    }
    if (end - o < 2 || o[1] < 2 || o[1] > end - o) {
      break; /* a length that lies */
    }
    if (kind == 5) { /* SACK: blocks of 8 bytes */
      for (uint8_t *b = o + 2; b + 8 <= o + o[1]; b += 8) {
        uint32_t left = bn_rp_get32(b), right = bn_rp_get32(b + 4);
        fn(arg, &left, &right);
        bn_rp_put32(b, left);
        bn_rp_put32(b + 4, right);
      }
    }
    o += o[1];
  }
}

void bn_rp_tcp_syn_options(const bn_rp_frame *f, uint16_t *mss, int *wscale)
{
  *mss = 0;
  *wscale = -1;
  if (!is_tcp(f)) {
    return;
  }
  const uint8_t *o = f->eth + f->l4 + 20, *end = f->eth + f->l4 + f->l4_hlen;
  while (o < end && *o != 0) {
    if (*o == 1) {
      o++;
      continue;
    }
    if (end - o < 2 || o[1] < 2 || o[1] > end - o) {
      break; /* a length that lies */
    }
    if (o[0] == 2 && o[1] == 4) {
      *mss = bn_rp_get16(o + 2);
    } else if (o[0] == 3 && o[1] == 3) {
      *wscale = o[2] > 14 ? 14 : o[2];
    }
    o += o[1];
  }
}

/* The one's-complement sum of len bytes, folded into 16 bits later. */
static uint32_t sum16(const uint8_t *p, size_t len, uint32_t acc)
{
  for (; len > 1; p += 2, len -= 2) {
    acc += (uint32_t)(p[0] << 8 | p[1]);
  }
  if (len == 1) {
    acc += (uint32_t)(p[0] << 8);
  }
  return acc;
}

static uint16_t fold(uint32_t acc)
{
  while (acc >> 16) {
    acc = (acc & 0xffff) + (acc >> 16);
  }
  return (uint16_t)~acc;
}

bool bn_rp_icmp_error_about_udp(const bn_rp_frame *f, uint32_t *src, uint32_t *dst, uint16_t *sport, uint16_t *dport)
{
  if (f->proto != BN_RP_PROTO_ICMP || f->l4 == 0 || f->fragment) {
    return false;
  }
  const uint8_t *icmp = f->eth + f->l4, *end = f->eth + f->ip + f->ip_len;
  if (icmp[0] != 3 && icmp[0] != 11 && icmp[0] != 12) {
    return false;
  }
  const uint8_t *inner = icmp + 8;
  if (end - inner < 20 || (inner[0] >> 4) != 4) {
    return false;
  }
  size_t hlen = (size_t)(inner[0] & 0x0f) * 4;
  if (hlen < 20 || (size_t)(end - inner) < hlen + 4 || inner[9] != BN_RP_PROTO_UDP) {
    return false;
  }
  *src = bn_rp_get32(inner + 12);
  *dst = bn_rp_get32(inner + 16);
  *sport = bn_rp_get16(inner + hlen);
  *dport = bn_rp_get16(inner + hlen + 2);
  return true;
}

uint16_t bn_rp_csum_replace16(uint16_t csum, uint16_t old, uint16_t new)
{
  return fold((uint32_t)(uint16_t)~csum + (uint16_t)~old + new); /* RFC 1624, eqn. 3 */
}

uint16_t bn_rp_csum_replace32(uint16_t csum, uint32_t old, uint32_t new)
{
  csum = bn_rp_csum_replace16(csum, (uint16_t)(old >> 16), (uint16_t)(new >> 16));
  return bn_rp_csum_replace16(csum, (uint16_t)old, (uint16_t)new);
}

void bn_rp_fix_checksums(bn_rp_frame *f)
{
  if (f->ip == 0) {
    return;
  }
  uint8_t *ip = f->eth + f->ip;
  bn_rp_put16(ip + 10, 0);
  bn_rp_put16(ip + 10, fold(sum16(ip, f->ip_hlen, 0)));
  if (f->l4 == 0 || f->fragment) {
    return;
  }
  uint8_t *l4 = f->eth + f->l4;
  size_t l4_len = f->ip_len - f->ip_hlen;
  if (f->proto == BN_RP_PROTO_ICMP) {
    bn_rp_put16(l4 + 2, 0);
    bn_rp_put16(l4 + 2, fold(sum16(l4, l4_len, 0)));
    return;
  }
  size_t csum_at = f->proto == BN_RP_PROTO_TCP ? 16 : 6;
  size_t len = f->proto == BN_RP_PROTO_UDP ? f->l4_hlen + f->payload_len : l4_len;
  if (f->proto == BN_RP_PROTO_UDP && bn_rp_get16(l4 + 6) == 0) {
    return; /* UDP without a checksum stays without one */
  }
  uint32_t acc = sum16(ip + 12, 8, 0); /* the pseudo header: addresses */
  acc += f->proto;
  acc += (uint32_t)len;
  bn_rp_put16(l4 + csum_at, 0);
  uint16_t c = fold(sum16(l4, len, acc));
  if (f->proto == BN_RP_PROTO_UDP && c == 0) {
    c = 0xffff;
  }
  bn_rp_put16(l4 + csum_at, c);
}

/* The yiaddr of a DHCPACK (0 if the frame is none). */
uint32_t bn_rp_dhcp_ack_yiaddr(const bn_rp_frame *f)
{
  if (f->proto != BN_RP_PROTO_UDP || bn_rp_sport(f) != 67 || bn_rp_dport(f) != 68 || f->payload_len < 240) {
    return 0;
  }
  const uint8_t *b = bn_rp_payload(f), *end = b + f->payload_len;
  if (b[0] != 2 || bn_rp_get32(b + 236) != 0x63825363) {
    return 0;
  }
  for (const uint8_t *o = b + 240; o < end && *o != 255;) {
    if (*o == 0) {
      o++;
      continue;
    }
    if (end - o < 2 || o[1] > end - o - 2) {
      break;
    }
    if (o[0] == 53 && o[1] == 1 && o[2] == 5) {
      return bn_rp_get32(b + 16);
    }
    o += 2 + o[1];
  }
  return 0;
}

bool bn_rp_dhcp_chaddr_is(const bn_rp_frame *f, const uint8_t mac[6])
{
  return f->proto == BN_RP_PROTO_UDP && f->payload_len >= 28 + 6 && memcmp(bn_rp_payload(f) + 28, mac, 6) == 0;
}
