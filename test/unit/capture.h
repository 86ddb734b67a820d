/*
 * Captures for the replay tests, written with libpcap (pcap_open_dead(),
 * pcap_dump()) into files the test names, and TCP/UDP frames built byte by
 * byte (frames.h style), so a test can make the capture it needs: any link
 * type, cut or lying frames, a flow without its SYN. Header-only.
 */
#ifndef BN_TEST_CAPTURE_H
#define BN_TEST_CAPTURE_H

#include <pcap/pcap.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "frames.h"

#define FRAME_TCP_HLEN 20
#define FRAME_UDP_HLEN 8
#define FRAME_TCP_FIN 0x01
#define FRAME_TCP_SYN 0x02
#define FRAME_TCP_RST 0x04
#define FRAME_TCP_PSH 0x08
#define FRAME_TCP_ACK 0x10

static inline void frame_put32(uint8_t *p, uint32_t v)
{
  frame_put16(p, (uint16_t)(v >> 16));
  frame_put16(p + 2, (uint16_t)v);
}

static inline uint32_t frame_get32(const uint8_t *p)
{
  return (uint32_t)frame_get16(p) << 16 | frame_get16(p + 2);
}

/* The checksum of a TCP or UDP segment (seg[0..len)) over the IPv4 pseudo
 * header: the value for its checksum field, which must be zero in seg. */
static inline uint16_t frame_l4_checksum(const uint8_t src[4], const uint8_t dst[4], uint8_t protocol,
                                         const uint8_t *seg, size_t len)
{
  uint8_t *tmp = malloc(12 + len);
  if (tmp == NULL) {
    abort();
  }
  memcpy(tmp, src, 4);
  memcpy(tmp + 4, dst, 4);
  tmp[8] = 0;
  tmp[9] = protocol;
  frame_put16(tmp + 10, (uint16_t)len);
  memcpy(tmp + 12, seg, len);
  uint16_t sum = frame_inet_checksum(tmp, 12 + len);
  free(tmp);
  return sum;
}

/** A TCP segment as its fields say. */
struct frame_tcp_seg {
  uint16_t sport, dport;
  uint32_t seq, ack;
  uint8_t flags;
  uint16_t window;
  const uint8_t *options;  /**< a multiple of 4 bytes, or NULL */
  size_t options_len;
  const uint8_t *payload;
  size_t payload_len;
};

/**
 * A TCP segment with correct checksums in IPv4 in Ethernet, from src to dst.
 * @return the frame's length; buf needs 54 + options + payload bytes (payload: at most 8000)
 */
static inline size_t frame_tcp(uint8_t *buf, const struct frame_host *src, const struct frame_host *dst,
                               const struct frame_tcp_seg *t)
{
  uint8_t seg[FRAME_TCP_HLEN + 40 + 8000]; /* payloads up to a small super-frame (TSO) */
  size_t hlen = FRAME_TCP_HLEN + t->options_len;
  memset(seg, 0, FRAME_TCP_HLEN);
  frame_put16(seg, t->sport);
  frame_put16(seg + 2, t->dport);
  frame_put32(seg + 4, t->seq);
  frame_put32(seg + 8, t->ack);
  seg[12] = (uint8_t)((hlen / 4) << 4);
  seg[13] = t->flags;
  frame_put16(seg + 14, t->window);
  if (t->options_len > 0) {
    memcpy(seg + FRAME_TCP_HLEN, t->options, t->options_len);
  }
  if (t->payload_len > 0) {
    memcpy(seg + hlen, t->payload, t->payload_len);
  }
  frame_put16(seg + 16, frame_l4_checksum(src->ip, dst->ip, 6, seg, hlen + t->payload_len));
  return frame_ip4(buf, src, dst, 6, (uint16_t)t->seq, seg, hlen + t->payload_len);
}

/** A UDP datagram with correct checksums in IPv4 in Ethernet. */
static inline size_t frame_udp(uint8_t *buf, const struct frame_host *src, const struct frame_host *dst,
                               uint16_t sport, uint16_t dport, const uint8_t *payload, size_t len)
{
  uint8_t seg[FRAME_UDP_HLEN + 1500];
  frame_put16(seg, sport);
  frame_put16(seg + 2, dport);
  frame_put16(seg + 4, (uint16_t)(FRAME_UDP_HLEN + len));
  frame_put16(seg + 6, 0);
  memcpy(seg + FRAME_UDP_HLEN, payload, len);
  uint16_t sum = frame_l4_checksum(src->ip, dst->ip, 17, seg, FRAME_UDP_HLEN + len);
  frame_put16(seg + 6, sum == 0 ? 0xffff : sum);
  return frame_ip4(buf, src, dst, 17, sport, seg, FRAME_UDP_HLEN + len);
}

/** Whether a frame's IPv4 header checksum and its TCP/UDP checksum hold. */
static inline bool frame_checksums_ok(const uint8_t *frame, size_t len)
{
  const uint8_t *ip = frame + FRAME_OFF_IP;
  size_t ihl = (size_t)(ip[0] & 15) * 4, total = frame_get16(ip + 2);
  if (len < FRAME_ETH_HLEN + total || frame_inet_checksum(ip, ihl) != 0) {
    return false;
  }
  if (ip[9] != 6 && ip[9] != 17) {
    return true;
  }
  return frame_l4_checksum(ip + 12, ip + 16, ip[9], ip + ihl, total - ihl) == 0;
}

/** A capture being written. */
struct capture {
  pcap_t *dead;
  pcap_dumper_t *dumper;
  char path[64];
};

/** Starts a capture of this link type in a new file (path in c->path). */
static inline void capture_open(struct capture *c, int linktype)
{
  strcpy(c->path, "/tmp/bn-test-capture-XXXXXX");
  int fd = mkstemp(c->path);
  if (fd < 0) {
    abort();
  }
  close(fd);
  c->dead = pcap_open_dead_with_tstamp_precision(linktype, 262144, PCAP_TSTAMP_PRECISION_NANO);
  c->dumper = c->dead != NULL ? pcap_dump_open(c->dead, c->path) : NULL;
  if (c->dumper == NULL) {
    abort();
  }
}

/** A record: caplen bytes of data kept of a frame that was len long, at ts_ns. */
static inline void capture_cut(struct capture *c, uint64_t ts_ns, const uint8_t *data, size_t caplen, size_t len)
{
  struct pcap_pkthdr h = { .caplen = (bpf_u_int32)caplen, .len = (bpf_u_int32)len };
  h.ts.tv_sec = (time_t)(ts_ns / 1000000000u);
  h.ts.tv_usec = (suseconds_t)(ts_ns % 1000000000u); /* nanoseconds: the file's precision */
  pcap_dump((u_char *)c->dumper, &h, data);
}

/** A whole frame at ts_ns. */
static inline void capture_add(struct capture *c, uint64_t ts_ns, const uint8_t *data, size_t len)
{
  capture_cut(c, ts_ns, data, len, len);
}

/** A TCP segment from src to dst at ts_ns (frame_tcp()). */
static inline void capture_tcp(struct capture *c, uint64_t ts_ns, const struct frame_host *src,
                               const struct frame_host *dst, const struct frame_tcp_seg *t)
{
  uint8_t buf[FRAME_ETH_HLEN + FRAME_IP_HLEN + FRAME_TCP_HLEN + 40 + 1500];
  capture_add(c, ts_ns, buf, frame_tcp(buf, src, dst, t));
}

/** The options of a SYN: MSS 1460, window scale 7, SACK permitted. */
static const uint8_t capture_syn_options[12] = { 2, 4, 0x05, 0xb4, 1, 3, 3, 7, 4, 2, 1, 1 };

/** Ends the file (it stays, for the test to read and remove). */
static inline void capture_close(struct capture *c)
{
  pcap_dump_close(c->dumper);
  pcap_close(c->dead);
}

#endif /* BN_TEST_CAPTURE_H */
