/*
 * Frames for the unit tests, built and read byte by byte: Ethernet, ARP,
 * IPv4 and ICMP echo, so a test can play the kernel's side of a wire without
 * trusting the stack's own encoders. Header-only (static functions), so any
 * test_<name>.c can include it without a build change.
 */
#ifndef BN_TEST_FRAMES_H
#define BN_TEST_FRAMES_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define FRAME_ETH_HLEN     14
#define FRAME_ARP_LEN      (FRAME_ETH_HLEN + 28)
#define FRAME_IP_HLEN      20
#define FRAME_ICMP_HLEN    8
#define FRAME_ETHERTYPE_IP  0x0800
#define FRAME_ETHERTYPE_ARP 0x0806
#define FRAME_ARP_REQUEST  1
#define FRAME_ARP_REPLY    2
#define FRAME_ICMP_ECHO_REPLY   0
#define FRAME_ICMP_ECHO_REQUEST 8
#define FRAME_IP_MF        0x2000  /* more fragments */

/* Offsets in an Ethernet frame. */
#define FRAME_OFF_ETH_DST   0
#define FRAME_OFF_ETH_SRC   6
#define FRAME_OFF_ETH_TYPE  12
#define FRAME_OFF_IP        FRAME_ETH_HLEN
#define FRAME_OFF_ICMP      (FRAME_ETH_HLEN + FRAME_IP_HLEN)  /* with a 20-byte IP header */

/** A host on the wire: its MAC and IPv4 address (network byte order, as bytes). */
struct frame_host {
  uint8_t mac[6];
  uint8_t ip[4];
};

static const uint8_t frame_broadcast_mac[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

/** Reads a big-endian 16-bit field. */
static inline uint16_t frame_get16(const uint8_t *p)
{
  return (uint16_t)(p[0] << 8 | p[1]);
}

/** Writes a big-endian 16-bit field. */
static inline void frame_put16(uint8_t *p, uint16_t v)
{
  p[0] = (uint8_t)(v >> 8);
  p[1] = (uint8_t)v;
}

/**
 * The Internet checksum (RFC 1071) of len bytes: the value to store in a
 * checksum field that is zero in data. Over data that already holds a correct
 * checksum it returns 0.
 */
static inline uint16_t frame_inet_checksum(const uint8_t *data, size_t len)
{
  uint32_t sum = 0;
  for (size_t i = 0; i + 1 < len; i += 2) {
    sum += frame_get16(data + i);
  }
  if (len & 1) {
    sum += (uint32_t)data[len - 1] << 8;
  }
  while (sum >> 16) {
    sum = (sum & 0xffff) + (sum >> 16);
  }
  return (uint16_t)~sum;
}

/** Writes an Ethernet header; returns its length. */
static inline size_t frame_eth(uint8_t *buf, const uint8_t dst[6], const uint8_t src[6], uint16_t type)
{
  memcpy(buf + FRAME_OFF_ETH_DST, dst, 6);
  memcpy(buf + FRAME_OFF_ETH_SRC, src, 6);
  frame_put16(buf + FRAME_OFF_ETH_TYPE, type);
  return FRAME_ETH_HLEN;
}

/**
 * An ARP frame (Ethernet/IPv4) from sender: a request (target MAC zero,
 * Ethernet broadcast) or a reply to target.
 * @return the frame's length, FRAME_ARP_LEN; buf needs that much room
 */
static inline size_t frame_arp(uint8_t *buf, uint16_t op, const struct frame_host *sender,
                               const struct frame_host *target)
{
  static const uint8_t zero_mac[6] = { 0 };
  int request = op == FRAME_ARP_REQUEST;
  uint8_t *a = buf + frame_eth(buf, request ? frame_broadcast_mac : target->mac, sender->mac,
                               FRAME_ETHERTYPE_ARP);
  frame_put16(a + 0, 1);                      /* hardware: Ethernet */
  frame_put16(a + 2, FRAME_ETHERTYPE_IP);     /* protocol: IPv4 */
  a[4] = 6;
  a[5] = 4;
  frame_put16(a + 6, op);
  memcpy(a + 8, sender->mac, 6);
  memcpy(a + 14, sender->ip, 4);
  memcpy(a + 18, request ? zero_mac : target->mac, 6);
  memcpy(a + 24, target->ip, 4);
  return FRAME_ARP_LEN;
}

/**
 * An IPv4 packet (or fragment) with a 20-byte header around payload (correct
 * header checksum, TTL 64), in an Ethernet frame from src to dst.
 * @param frag  the flags/fragment offset field: 0, or FRAME_IP_MF | offset/8
 * @return the frame's length; buf needs FRAME_OFF_ICMP + payload_len bytes
 */
static inline size_t frame_ip4_fragment(uint8_t *buf, const struct frame_host *src,
                                        const struct frame_host *dst, uint8_t protocol, uint16_t ip_id,
                                        uint16_t frag, const uint8_t *payload, size_t payload_len)
{
  uint8_t *ip = buf + frame_eth(buf, dst->mac, src->mac, FRAME_ETHERTYPE_IP);
  ip[0] = 0x45;
  ip[1] = 0;
  frame_put16(ip + 2, (uint16_t)(FRAME_IP_HLEN + payload_len));
  frame_put16(ip + 4, ip_id);
  frame_put16(ip + 6, frag);
  ip[8] = 64;
  ip[9] = protocol;
  frame_put16(ip + 10, 0);
  memcpy(ip + 12, src->ip, 4);
  memcpy(ip + 16, dst->ip, 4);
  frame_put16(ip + 10, frame_inet_checksum(ip, FRAME_IP_HLEN));
  if (payload_len > 0) {
    memmove(ip + FRAME_IP_HLEN, payload, payload_len);
  }
  return FRAME_ETH_HLEN + FRAME_IP_HLEN + payload_len;
}

/** A whole (unfragmented) IPv4 packet: frame_ip4_fragment() with frag 0. */
static inline size_t frame_ip4(uint8_t *buf, const struct frame_host *src, const struct frame_host *dst,
                               uint8_t protocol, uint16_t ip_id, const uint8_t *payload, size_t payload_len)
{
  return frame_ip4_fragment(buf, src, dst, protocol, ip_id, 0, payload, payload_len);
}

/**
 * An ICMP echo message (request or reply) with a correct checksum, in IPv4
 * in Ethernet.
 * @return the frame's length; buf needs FRAME_OFF_ICMP + 8 + data_len bytes
 */
static inline size_t frame_icmp_echo(uint8_t *buf, uint8_t type, const struct frame_host *src,
                                     const struct frame_host *dst, uint16_t id, uint16_t seq,
                                     const uint8_t *data, size_t data_len)
{
  uint8_t *icmp = buf + FRAME_OFF_ICMP;
  icmp[0] = type;
  icmp[1] = 0;
  frame_put16(icmp + 2, 0);
  frame_put16(icmp + 4, id);
  frame_put16(icmp + 6, seq);
  if (data_len > 0) {
    memmove(icmp + FRAME_ICMP_HLEN, data, data_len);
  }
  frame_put16(icmp + 2, frame_inet_checksum(icmp, FRAME_ICMP_HLEN + data_len));
  return frame_ip4(buf, src, dst, 1, (uint16_t)(0x4200 + seq), icmp, FRAME_ICMP_HLEN + data_len);
}

/** Whether frame is an ARP frame with this opcode (and long enough to be one). */
static inline int frame_is_arp(const uint8_t *frame, size_t len, uint16_t op)
{
  return len >= FRAME_ARP_LEN && frame_get16(frame + FRAME_OFF_ETH_TYPE) == FRAME_ETHERTYPE_ARP &&
         frame_get16(frame + FRAME_ETH_HLEN + 6) == op;
}

/** Whether frame is IPv4 (20-byte header) carrying ICMP of this type. */
static inline int frame_is_icmp(const uint8_t *frame, size_t len, uint8_t type)
{
  return len >= FRAME_OFF_ICMP + FRAME_ICMP_HLEN &&
         frame_get16(frame + FRAME_OFF_ETH_TYPE) == FRAME_ETHERTYPE_IP &&
         frame[FRAME_OFF_IP] == 0x45 && frame[FRAME_OFF_IP + 9] == 1 && frame[FRAME_OFF_ICMP] == type;
}

#endif /* BN_TEST_FRAMES_H */
