/*
 * A capture file read with libpcap, every frame made an Ethernet frame
 * (pcap_source.h): the link-layer header of cooked (SLL, SLL2), raw IPv4 and
 * loopback captures is replaced by an Ethernet header.
 */
#include "pcap_source.h"
#include "replay_headers.h"

#include <errno.h>
#include <pcap/pcap.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SLL_HLEN 16
#define SLL2_HLEN 20
#define ARPHRD_ETHER 1
#define ARPHRD_LOOPBACK 772
/* The packet types of a cooked header (packet(7)). */
#define SLL_OUTGOING 4
/* The stdio buffer the capture is read through. */
#define READ_BUFFER (1 << 20)

struct bn_pcap_source {
  pcap_t *p;
  int dlt;
  struct bpf_program prog;
  bool filtering;
  bool ended;
  uint64_t count;
  uint8_t frame[BN_LINK_MAX_FRAME];
};

static int fail(char err[BN_PCAP_ERRLEN], int rc, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err, BN_PCAP_ERRLEN, fmt, ap);
  va_end(ap);
  return rc;
}

static bool known_linktype(int dlt)
{
  switch (dlt) {
  case DLT_EN10MB:
  case DLT_LINUX_SLL:
  case DLT_LINUX_SLL2:
  case DLT_RAW:
  case DLT_IPV4:
  case DLT_NULL:
  case DLT_LOOP:
    return true;
  default:
    return false;
  }
}

int bn_pcap_source_open(const char *path, const char *filter, bn_pcap_source **out, char err[BN_PCAP_ERRLEN])
{
  char perr[PCAP_ERRBUF_SIZE] = "";
  FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
  if (f == NULL) {
    int rc = -errno;
    return fail(err, rc, "%s: %s", path, strerror(-rc));
  }
  setvbuf(f, NULL, _IOFBF, READ_BUFFER); /* libpcap reads through stdio: a few large reads */
  pcap_t *p = pcap_fopen_offline_with_tstamp_precision(f, PCAP_TSTAMP_PRECISION_NANO, perr);
  if (p == NULL) {
    fclose(f);
    return fail(err, -EINVAL, "%s: not a capture libpcap reads (%s)", path, perr);
  }
  int dlt = pcap_datalink(p);
  if (!known_linktype(dlt)) {
    const char *name = pcap_datalink_val_to_name(dlt);
    pcap_close(p);
    return fail(err, -EINVAL,
                "%s: link type %s (%d) cannot be replayed (Ethernet, Linux cooked v1/v2, raw IPv4 and "
                "loopback captures can)", path, name ? name : "unknown", dlt);
  }
  bn_pcap_source *s = calloc(1, sizeof(*s));
  if (s == NULL) {
    pcap_close(p);
    return fail(err, -ENOMEM, "out of memory");
  }
  s->p = p;
  s->dlt = dlt;
  if (filter != NULL) {
    if (pcap_compile(p, &s->prog, filter, 1, PCAP_NETMASK_UNKNOWN) != 0) {
      fail(err, -EINVAL, "bad filter '%s': %s", filter, pcap_geterr(p));
      pcap_close(p);
      free(s);
      return -EINVAL;
    }
    s->filtering = true;
  }
  *out = s;
  return 0;
}

const char *bn_pcap_source_linktype(const bn_pcap_source *s)
{
  const char *name = pcap_datalink_val_to_name(s->dlt);
  return name != NULL ? name : "unknown";
}

/* An Ethernet header for a frame without one (dst may be NULL: all zero,
 * for the replayer to fill in from the destination address). */
static void put_eth(uint8_t *out, const uint8_t *dst, const uint8_t *src, uint16_t type)
{
  if (dst != NULL) {
    memcpy(out, dst, 6);
  } else {
    memset(out, 0, 6);
  }
  memcpy(out + 6, src, 6);
  out[12] = (uint8_t)(type >> 8);
  out[13] = (uint8_t)type;
}

/* A locally administered MAC made of an IPv4 source address (raw IP,
 * loopback), so that each host keeps one. */
static void synth_mac(const uint8_t *ip_packet, size_t len, uint8_t mac[6])
{
  mac[0] = BN_PCAP_SYNTH_MAC_0;
  mac[1] = BN_PCAP_SYNTH_MAC_1;
  if (len >= 20) {
    memcpy(mac + 2, ip_packet + 12, 4);
  } else {
    memset(mac + 2, 0, 4);
  }
}

/* Ethernet from a payload of the given ethertype after a link header of
 * hlen bytes; false if it does not fit. */
static bool rebuild(bn_pcap_source *s, const u_char *data, size_t caplen, size_t hlen, const uint8_t *src_mac,
                    uint16_t type, bn_pcap_frame *f)
{
  if (caplen < hlen) {
    return false;
  }
  size_t payload = caplen - hlen;
  if (payload > BN_LINK_MAX_FRAME - BN_RP_ETH_HLEN) {
    return false;
  }
  uint8_t mac[6];
  if (src_mac == NULL) {
    synth_mac(data + hlen, payload, mac);
    src_mac = mac;
  }
  put_eth(s->frame, NULL, src_mac, type);
  memcpy(s->frame + BN_RP_ETH_HLEN, data + hlen, payload);
  f->data = s->frame;
  f->len = BN_RP_ETH_HLEN + payload;
  f->macs_synthesised = true;
  return true;
}

/* The frame as Ethernet; a skip reason (>= 0) if it cannot be one, -1 if fine. */
static int normalise(bn_pcap_source *s, const struct pcap_pkthdr *h, const u_char *data, bn_pcap_frame *f)
{
  size_t caplen = h->caplen;
  f->macs_synthesised = false;
  f->outgoing = false;
  switch (s->dlt) {
  case DLT_EN10MB:
    if (caplen < BN_RP_ETH_HLEN) {
      return BN_SKIP_LINK_HEADER;
    }
    if (caplen > BN_LINK_MAX_FRAME) {
      return BN_SKIP_TOO_LONG;
    }
    memcpy(s->frame, data, caplen);
    f->data = s->frame;
    f->len = caplen;
    return -1;
  case DLT_LINUX_SLL:
  case DLT_LINUX_SLL2: {
    bool v2 = s->dlt == DLT_LINUX_SLL2;
    size_t hlen = v2 ? SLL2_HLEN : SLL_HLEN;
    if (caplen < hlen) {
      return BN_SKIP_LINK_HEADER;
    }
    uint16_t pkttype = v2 ? data[10] : (uint16_t)(data[0] << 8 | data[1]);
    uint16_t hatype = v2 ? (uint16_t)(data[8] << 8 | data[9]) : (uint16_t)(data[2] << 8 | data[3]);
    uint16_t alen = v2 ? data[11] : (uint16_t)(data[4] << 8 | data[5]);
    const uint8_t *addr = data + (v2 ? 12 : 6);
    uint16_t proto = v2 ? (uint16_t)(data[0] << 8 | data[1]) : (uint16_t)(data[14] << 8 | data[15]);
    if (hatype != ARPHRD_ETHER && hatype != ARPHRD_LOOPBACK) {
      return BN_SKIP_LINK_HEADER;
    }
    f->outgoing = pkttype == SLL_OUTGOING;
    const uint8_t *src = hatype == ARPHRD_ETHER && alen == 6 ? addr : NULL;
    if (!rebuild(s, data, caplen, hlen, src, proto, f)) {
      return caplen - hlen > BN_LINK_MAX_FRAME - BN_RP_ETH_HLEN ? BN_SKIP_TOO_LONG : BN_SKIP_LINK_HEADER;
    }
    return -1;
  }
  case DLT_RAW:
  case DLT_IPV4:
    if (caplen == 0 || (data[0] >> 4) != 4) {
      return BN_SKIP_ETHERTYPE; /* raw IPv6, or nothing */
    }
    if (!rebuild(s, data, caplen, 0, NULL, BN_RP_ETHERTYPE_IPV4, f)) {
      return BN_SKIP_TOO_LONG;
    }
    return -1;
  case DLT_NULL:
  case DLT_LOOP: {
    if (caplen < 4) {
      return BN_SKIP_LINK_HEADER;
    }
    /* The address family: in the capturing host's byte order for DLT_NULL,
     * network order for DLT_LOOP; AF_INET is 2 everywhere. */
    uint32_t le = (uint32_t)data[0] | (uint32_t)data[1] << 8 | (uint32_t)data[2] << 16 | (uint32_t)data[3] << 24;
    uint32_t be = (uint32_t)data[3] | (uint32_t)data[2] << 8 | (uint32_t)data[1] << 16 | (uint32_t)data[0] << 24;
    if (le != 2 && be != 2) {
      return BN_SKIP_ETHERTYPE; /* IPv6 or another family */
    }
    if (!rebuild(s, data, caplen, 4, NULL, BN_RP_ETHERTYPE_IPV4, f)) {
      return BN_SKIP_TOO_LONG;
    }
    return -1;
  }
  default:
    return BN_SKIP_LINK_HEADER;
  }
}

int bn_pcap_source_next(bn_pcap_source *s, bn_pcap_frame *f, uint64_t skipped[BN_SKIP_COUNT])
{
  while (!s->ended) {
    struct pcap_pkthdr *h;
    const u_char *data;
    int rc = pcap_next_ex(s->p, &h, &data);
    if (rc == PCAP_ERROR_BREAK) {
      s->ended = true;
      break;
    }
    if (rc != 1) {
      /* PCAP_ERROR: "truncated dump file" and the like: the rest is unreadable. */
      skipped[BN_SKIP_FILE_TRUNCATED]++;
      s->ended = true;
      break;
    }
    s->count++;
    f->number = s->count;
    f->ts_ns = (uint64_t)h->ts.tv_sec * 1000000000u + (uint64_t)h->ts.tv_usec; /* nanosecond handle */
    int reason;
    if (h->len == 0 || h->caplen == 0) {
      reason = BN_SKIP_EMPTY;
    } else if (h->caplen < h->len) {
      reason = BN_SKIP_CUT;
    } else if (s->filtering && pcap_offline_filter(&s->prog, h, data) == 0) {
      reason = BN_SKIP_FILTERED;
    } else {
      reason = normalise(s, h, data, f);
    }
    if (reason < 0) {
      return 1;
    }
    skipped[reason]++;
  }
  return 0;
}

uint64_t bn_pcap_source_count(const bn_pcap_source *s)
{
  return s->count;
}

void bn_pcap_source_close(bn_pcap_source *s)
{
  if (s != NULL) {
    if (s->filtering) {
      pcap_freecode(&s->prog);
    }
    pcap_close(s->p);
    free(s);
  }
}
