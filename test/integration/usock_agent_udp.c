/*
 * bn-usock-agent UDP scenarios: the board as UDP echo server and as client of
 * a kernel echo server (datagrams of many sizes, fragmented ones included,
 * compared byte for byte), and a multicast group joined and left with
 * IP_ADD_MEMBERSHIP / IP_DROP_MEMBERSHIP.
 */
#include "usock_agent.h"
#include "lwip/opt.h" /* IP_REASSEMBLY: the profile's */

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

/* Datagram sizes to cycle through: tiny, one full Ethernet frame (1472),
 * one byte more (two IP fragments), multi-fragment ones, and an empty
 * datagram (MicroPython receives b"" for it); those the board can receive
 * (udp_sizes()). */
static const size_t udp_candidates[] = { 1, 64, 512, 1472, 1473, 4000, 8000, 0 };
#define N_CANDIDATES (sizeof(udp_candidates) / sizeof(udp_candidates[0]))
#define UDP_MAX 8192

/* 1 if the board takes a datagram of len bytes: one frame always; as IPv4
 * fragments of 1480 bytes only with reassembly (esp32: none) and within
 * IP_REASS_MAX_PBUFS pool pbufs (rp2-pico-w, stm32: a full frame takes two
 * of their pbufs, so 10 pbufs hold 5 fragments, 7392 bytes). */
static int receivable(size_t len)
{
  size_t ip_len = len + 8;
  if (ip_len + 20 <= 1500) {
    return 1;
  }
#if IP_REASSEMBLY
  size_t fragments = (ip_len + 1479) / 1480;
  size_t pbufs_each = (1514 + PBUF_POOL_BUFSIZE - 1) / PBUF_POOL_BUFSIZE;
  return fragments * pbufs_each <= IP_REASS_MAX_PBUFS;
#else
  return 0;
#endif
}

/* The sizes this board can take, into sizes; prints them ("sizes=1,64,..."). */
static size_t udp_sizes(size_t sizes[N_CANDIDATES])
{
  size_t n = 0;
  char list[128] = "";
  for (size_t i = 0; i < N_CANDIDATES; i++) {
    if (receivable(udp_candidates[i])) {
      sizes[n++] = udp_candidates[i];
      snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%zu", n > 1 ? "," : "", udp_candidates[i]);
    }
  }
  ua_say("sizes=%s", list);
  return n;
}

/* s = socket(AF_INET, SOCK_DGRAM); s.settimeout(T); s.bind(("", port)) */
static int udp_bound(const char *port, usocket **out, usocket_addr *addr)
{
  if (ua_parse_addr("", port, addr) < 0) {
    return UA_USAGE;
  }
  int rc = ua_socket(USOCKET_SOCK_DGRAM, out);
  if (rc < 0) {
    return ua_fail("socket", rc);
  }
  rc = usocket_bind(*out, addr);
  if (rc < 0) {
    usocket_free(*out);
    return ua_fail("bind", rc);
  }
  return UA_OK;
}

int ua_udp_echo_server(char **argv)
{
  static uint8_t buf[65535];
  long count;
  usocket *s;
  usocket_addr addr, from;
  if (ua_parse_count("COUNT", argv[1], 1000, &count) < 0) {
    return UA_USAGE;
  }
  int rc = udp_bound(argv[0], &s, &addr);
  if (rc != UA_OK) {
    return rc;
  }
  size_t sizes[N_CANDIDATES];
  (void)udp_sizes(sizes); /* for the kernel's client, which sends them */
  ua_say("listening port=%u", addr.port);
  size_t bytes = 0;
  long done = 0, err = 0;
  for (; done < count; done++) {
    ssize_t n = usocket_recvfrom(s, buf, sizeof(buf), 0, &from);
    if (n < 0) {
      err = n;
      break;
    }
    ssize_t m = usocket_sendto(s, buf, (size_t)n, &from);
    if (m != n) {
      err = m < 0 ? m : -USOCKET_EIO;
      break;
    }
    bytes += (size_t)n;
  }
  usocket_free(s);
  ua_say("echoed datagrams=%ld bytes=%zu", done, bytes);
  return err == 0 ? UA_OK : ua_fail("echo", err);
}

int ua_udp_client(char **argv)
{
  static uint8_t out[UDP_MAX], in[UDP_MAX + 1];
  long count;
  usocket_addr to, from;
  if (ua_parse_addr(argv[0], argv[1], &to) < 0 || ua_parse_count("COUNT", argv[2], 1000, &count) < 0) {
    return UA_USAGE;
  }
  usocket *s;
  int rc = ua_socket(USOCKET_SOCK_DGRAM, &s);
  if (rc < 0) {
    return ua_fail("socket", rc);
  }
  size_t sizes[N_CANDIDATES], n_sizes = udp_sizes(sizes);
  size_t bytes = 0;
  long done = 0, mismatches = 0, err = 0;
  for (; done < count; done++) {
    size_t len = sizes[done % n_sizes];
    ua_fill(out, len, (uint32_t)done + 1);
    ssize_t n = usocket_sendto(s, out, len, &to);
    if (n != (ssize_t)len) {
      err = n < 0 ? n : -USOCKET_EIO;
      break;
    }
    n = usocket_recvfrom(s, in, sizeof(in), 0, &from);
    if (n < 0) {
      err = n;
      break;
    }
    if ((size_t)n != len || memcmp(in, out, len) != 0 || strcmp(from.ip, to.ip) != 0 || from.port != to.port) {
      fprintf(stderr, "datagram %ld: sent %zu bytes, got %zd from %s:%u\n", done, len, n, from.ip, from.port);
      mismatches++;
    }
    bytes += len;
  }
  usocket_free(s);
  ua_say("udp-client datagrams=%ld bytes=%zu mismatches=%ld end=%s", done, bytes, mismatches, ua_errname(err));
  if (err != 0) {
    return ua_fail("udp", err);
  }
  return mismatches == 0 ? UA_OK : UA_FAIL;
}

/* Prints a received datagram as "<key> bytes=N from=IP:PORT data=HEX". */
static void say_datagram(const char *key, const uint8_t *buf, ssize_t n, const usocket_addr *from)
{
  char hex[2 * 64 + 1] = "";
  for (ssize_t i = 0; i < n && i < 64; i++) {
    snprintf(hex + 2 * i, 3, "%02x", buf[i]);
  }
  ua_say("%s bytes=%zd from=%s:%u data=%s", key, n, from->ip, from->port, hex);
}

int ua_mcast_recv(char **argv)
{
  uint8_t mreq[8], buf[256];
  usocket_addr addr, from;
  /* ip_mreq: the group, then the interface's address, network byte order */
  if (inet_pton(AF_INET, argv[0], mreq) != 1 || inet_pton(AF_INET, ua_board_ip, mreq + 4) != 1) {
    fprintf(stderr, "usage: '%s' is not a dotted IPv4 group\n", argv[0]);
    return UA_USAGE;
  }
  usocket *s;
  int rc = udp_bound(argv[1], &s, &addr);
  if (rc != UA_OK) {
    return rc;
  }
  rc = usocket_setsockopt(s, USOCKET_IPPROTO_IP, USOCKET_IP_ADD_MEMBERSHIP, mreq, sizeof(mreq));
  if (rc < 0) {
    usocket_free(s);
    return ua_fail("IP_ADD_MEMBERSHIP", rc);
  }
  ua_say("joined group=%s port=%u", argv[0], addr.port);
  ssize_t n = usocket_recvfrom(s, buf, sizeof(buf), 0, &from);
  if (n < 0) {
    usocket_free(s);
    return ua_fail("recvfrom (member)", n);
  }
  say_datagram("member", buf, n, &from);
  rc = usocket_setsockopt(s, USOCKET_IPPROTO_IP, USOCKET_IP_DROP_MEMBERSHIP, mreq, sizeof(mreq));
  if (rc < 0) {
    usocket_free(s);
    return ua_fail("IP_DROP_MEMBERSHIP", rc);
  }
  ua_say("dropped group=%s", argv[0]);
  /* The peer now sends to the group, then to our unicast address: only the
   * unicast one may arrive. */
  n = usocket_recvfrom(s, buf, sizeof(buf), 0, &from);
  usocket_free(s);
  if (n < 0) {
    return ua_fail("recvfrom (after leaving)", n);
  }
  say_datagram("after-drop", buf, n, &from);
  return UA_OK;
}
