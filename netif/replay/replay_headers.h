/*
 * Reading and editing the headers of an Ethernet frame for replay: IPv4,
 * TCP, UDP, ICMP and ARP fields in network order, lengths checked against
 * what the frame holds (a header that lies is a skip reason, never a read
 * past the end), and the checksums recomputed after an edit.
 */
#ifndef BN_REPLAY_HEADERS_H
#define BN_REPLAY_HEADERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "replay_skip.h"

#define BN_RP_ETH_HLEN 14
#define BN_RP_ETHERTYPE_IPV4 0x0800
#define BN_RP_ETHERTYPE_ARP  0x0806
#define BN_RP_ETHERTYPE_IPV6 0x86dd
#define BN_RP_PROTO_ICMP 1
#define BN_RP_PROTO_TCP  6
#define BN_RP_PROTO_UDP  17

#define BN_RP_TCP_FIN 0x01
#define BN_RP_TCP_SYN 0x02
#define BN_RP_TCP_RST 0x04
#define BN_RP_TCP_PSH 0x08
#define BN_RP_TCP_ACK 0x10

/* Offsets in a DHCP (BOOTP) message: the transaction id, the client's MAC. */
#define BN_RP_BOOTP_XID 4
#define BN_RP_BOOTP_CHADDR 28

/** A parsed frame: offsets into its bytes (which it does not own). */
typedef struct bn_rp_frame {
  uint8_t *eth;
  size_t len;            /**< the frame's length (an Ethernet pad may follow the IP packet) */
  uint16_t ethertype;
  size_t ip;             /**< offset of the IPv4 header (0: none) */
  size_t ip_hlen, ip_len;
  uint8_t proto;
  bool fragment;         /**< offset != 0 or more fragments */
  size_t l4;             /**< offset of the TCP/UDP/ICMP header (0: none) */
  size_t l4_hlen;        /**< TCP: data offset * 4; UDP 8; ICMP 8 */
  size_t payload_len;    /**< bytes after the L4 header, within the IP packet */
  size_t arp;            /**< offset of the ARP packet (0: none) */
} bn_rp_frame;

/**
 * Parses frame[0..len). @return -1 when it is IPv4 or ARP with sane headers
 * (TCP/UDP too), else the bn_replay_skip reason.
 */
int bn_rp_parse(uint8_t *frame, size_t len, bn_rp_frame *f);

/* Field access, network byte order in the frame, host order here. */
uint16_t bn_rp_get16(const uint8_t *p);
uint32_t bn_rp_get32(const uint8_t *p);
void bn_rp_put16(uint8_t *p, uint16_t v);
void bn_rp_put32(uint8_t *p, uint32_t v);

/** IPv4 source/destination (host order); 0 without IPv4. */
uint32_t bn_rp_ip_src(const bn_rp_frame *f);
uint32_t bn_rp_ip_dst(const bn_rp_frame *f);

/** TCP/UDP ports (0 without them). */
uint16_t bn_rp_sport(const bn_rp_frame *f);
uint16_t bn_rp_dport(const bn_rp_frame *f);

/** TCP fields (0 when not TCP). */
uint32_t bn_rp_tcp_seq(const bn_rp_frame *f);
uint32_t bn_rp_tcp_ack(const bn_rp_frame *f);
uint8_t bn_rp_tcp_flags(const bn_rp_frame *f);
/** Sequence space the segment takes: payload, +1 for SYN, +1 for FIN. */
uint32_t bn_rp_tcp_seq_len(const bn_rp_frame *f);
/** The TCP payload. */
const uint8_t *bn_rp_payload(const bn_rp_frame *f);

/** "192.0.2.1" of a host-order IPv4 address (out: 16 bytes). */
void bn_rp_ip_text(uint32_t ip, char *out, size_t size);

/** Whether an IPv4 destination is broadcast (limited, or given the netmask) or multicast. */
bool bn_rp_ip_is_group(uint32_t ip);

/** The address a DHCPACK (UDP 67 -> 68, option 53 = 5) leases; 0 if the frame is none. */
uint32_t bn_rp_dhcp_ack_yiaddr(const bn_rp_frame *f);

/** Whether a DHCP (BOOTP) frame's client hardware address is mac. */
bool bn_rp_dhcp_chaddr_is(const bn_rp_frame *f, const uint8_t mac[6]);

/**
 * Calls fn(arg, &left, &right) for every SACK block of a TCP segment's
 * options (the values in place, host order; fn may change them). Options
 * that lie about their length end the walk.
 */
void bn_rp_tcp_each_sack(bn_rp_frame *f, void (*fn)(void *arg, uint32_t *left, uint32_t *right), void *arg);

/**
 * Whether f is an ICMP error (destination unreachable, time exceeded,
 * parameter problem) about a UDP datagram, and that datagram's addresses
 * and ports (host order): the flow that caused it.
 */
bool bn_rp_icmp_error_about_udp(const bn_rp_frame *f, uint32_t *src, uint32_t *dst, uint16_t *sport, uint16_t *dport);

/** A TCP segment's MSS option (0 if none) and window-scale shift (-1 if none). */
void bn_rp_tcp_syn_options(const bn_rp_frame *f, uint16_t *mss, int *wscale);

/** v, or limit if v is beyond it in TCP sequence space (modulo 2^32). */
static inline uint32_t bn_rp_seq_min(uint32_t v, uint32_t limit)
{
  return (int32_t)(v - limit) > 0 ? limit : v;
}

/**
 * An Internet checksum with one 16-bit word of what it covers changed from
 * old to new, without the rest (RFC 1624, eqn. 3): for the first fragment
 * of a datagram, whose L4 checksum covers pieces not at hand.
 */
uint16_t bn_rp_csum_replace16(uint16_t csum, uint16_t old, uint16_t new);

/** The same for a 32-bit word (an IPv4 address in the pseudo header). */
uint16_t bn_rp_csum_replace32(uint16_t csum, uint32_t old, uint32_t new);

/** Recomputes the IPv4 header checksum and the TCP/UDP/ICMP checksum. */
void bn_rp_fix_checksums(bn_rp_frame *f);

#endif /* BN_REPLAY_HEADERS_H */
