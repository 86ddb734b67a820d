/*
 * A capture file read with libpcap, every frame made an Ethernet frame
 * (pcap_source.h): the link-layer header of cooked (SLL, SLL2), raw IPv4 and
 * loopback captures is replaced by an Ethernet header, VLAN tags are taken
 * off, and each frame that cannot be replayed gets its skip reason.
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
#define ETHERTYPE_VLAN 0x8100   /* 802.1Q */
#define ETHERTYPE_QINQ 0x88a8   /* 802.1ad */
#define ETHERTYPE_QINQ_OLD 0x9100
#define VLAN_TAG_LEN 4
/* The address families of IPv6 in a BSD loopback header (Linux, the BSDs, macOS). */
#define LOOP_AF_IPV6(af) ((af) == 10 || (af) == 24 || (af) == 28 || (af) == 30)
#define FRAME_ROOM BN_PCAP_FRAME_MAX
/* The packet types of a cooked header (packet(7)). */
#define SLL_OUTGOING 4
/* The stdio buffer the capture is read through. */
#define READ_BUFFER (1 << 20)

struct bn_pcap_source {
  pcap_t *p;
  int dlt;
  int vlan;                 /* BN_PCAP_ANY_VLAN, or the one to keep */
  struct bpf_program prog;
  bool filtering;
  bool ended;
  uint64_t count;
  const uint64_t *numbers;  /* the frames' numbers in the file they came from, or NULL */
  size_t nnumbers;
  char error[BN_PCAP_ERRLEN];   /* libpcap's, when it ended the file early */
  uint8_t frame[FRAME_ROOM];
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

int bn_pcap_source_open(const char *path, const char *filter, int vlan, bn_pcap_source **out,
                        char err[BN_PCAP_ERRLEN])
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
  s->vlan = vlan;
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
 * hlen bytes (as much of it as there is). */
static void rebuild(bn_pcap_source *s, const u_char *data, size_t caplen, size_t hlen, const uint8_t *src_mac,
                    uint16_t type, bn_pcap_frame *f)
{
  size_t payload = caplen > hlen ? caplen - hlen : 0;
  if (payload > FRAME_ROOM - BN_RP_ETH_HLEN) {
    payload = FRAME_ROOM - BN_RP_ETH_HLEN;
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
}

/* Takes the 802.1Q / 802.1ad tags off the frame in s->frame, keeping the
 * outer one's VLAN id; false if a tag is cut short. */
static bool untag(bn_pcap_source *s, bn_pcap_frame *f)
{
  uint8_t *e = s->frame;
  while (f->len >= BN_RP_ETH_HLEN) {
    uint16_t type = (uint16_t)(e[12] << 8 | e[13]);
    if (type != ETHERTYPE_VLAN && type != ETHERTYPE_QINQ && type != ETHERTYPE_QINQ_OLD) {
      return true;
    }
    if (f->len < BN_RP_ETH_HLEN + VLAN_TAG_LEN) {
      return false;
    }
    if (f->vlan == 0) {
      f->vlan = (uint16_t)((e[14] << 8 | e[15]) & 0x0fff);
    }
    memmove(e + 12, e + 12 + VLAN_TAG_LEN, f->len - 12 - VLAN_TAG_LEN);
    f->len -= VLAN_TAG_LEN;
  }
  return false;
}

/* Why an Ethernet frame (tags off) cannot be replayed at this level, or -1. */
static int ethernet_reason(const bn_pcap_source *s, const bn_pcap_frame *f, size_t wire_len)
{
  uint16_t type = (uint16_t)(f->data[12] << 8 | f->data[13]);
  if (s->vlan != BN_PCAP_ANY_VLAN && f->vlan != s->vlan) {
    return BN_SKIP_OTHER_VLAN;
  }
  if (type == BN_RP_ETHERTYPE_IPV6) {
    return BN_SKIP_IPV6;
  }
  if (wire_len > BN_LINK_MAX_FRAME) {
    /* A TCP super-frame (whole IPv4 header, not a fragment) is the replay's
     * to cut into segments; anything else this long cannot be a frame. */
    const uint8_t *ip = f->data + BN_RP_ETH_HLEN;
    bool tcp = type == BN_RP_ETHERTYPE_IPV4 && f->len >= BN_RP_ETH_HLEN + 20 && ip[9] == BN_RP_PROTO_TCP &&
               (bn_rp_get16(ip + 6) & 0x3fff) == 0 && wire_len <= BN_PCAP_FRAME_MAX;
    return tcp ? -1 : BN_SKIP_TOO_LONG;
  }
  return -1;
}

/* The frame as Ethernet into s->frame (as much of it as was captured); a
 * skip reason (>= 0) if it cannot be replayed, -1 if fine. */
static int normalise(bn_pcap_source *s, const struct pcap_pkthdr *h, const u_char *data, bn_pcap_frame *f)
{
  size_t caplen = h->caplen;
  f->macs_synthesised = false;
  f->outgoing = false;
  f->cut = 0;
  f->vlan = 0;
  f->data = s->frame;
  f->len = 0;
  long added = 0;            /* bytes the Ethernet form adds to the captured frame (a link header's difference) */
  switch (s->dlt) {
  case DLT_EN10MB:
    f->len = caplen < FRAME_ROOM ? caplen : FRAME_ROOM;
    memcpy(s->frame, data, f->len);
    if (caplen < BN_RP_ETH_HLEN) {
      return BN_SKIP_LINK_HEADER;
    }
    break;
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
    rebuild(s, data, caplen, hlen, hatype == ARPHRD_ETHER && alen == 6 ? addr : NULL, proto, f);
    added = (long)BN_RP_ETH_HLEN - (long)hlen;
    break;
  }
  case DLT_RAW:
  case DLT_IPV4:
    rebuild(s, data, caplen, 0, NULL, caplen > 0 && (data[0] >> 4) == 6 ? BN_RP_ETHERTYPE_IPV6 : BN_RP_ETHERTYPE_IPV4, f);
    if (caplen == 0 || ((data[0] >> 4) != 4 && (data[0] >> 4) != 6)) {
      return BN_SKIP_ETHERTYPE;
    }
    added = BN_RP_ETH_HLEN;
    break;
  case DLT_NULL:
  case DLT_LOOP: {
    if (caplen < 4) {
      return BN_SKIP_LINK_HEADER;
    }
    /* The address family: in the capturing host's byte order for DLT_NULL,
     * network order for DLT_LOOP; AF_INET is 2 everywhere. */
    uint32_t le = (uint32_t)data[0] | (uint32_t)data[1] << 8 | (uint32_t)data[2] << 16 | (uint32_t)data[3] << 24;
    uint32_t be = (uint32_t)data[3] | (uint32_t)data[2] << 8 | (uint32_t)data[1] << 16 | (uint32_t)data[0] << 24;
    bool v6 = LOOP_AF_IPV6(le) || LOOP_AF_IPV6(be);
    rebuild(s, data, caplen, 4, NULL, v6 ? BN_RP_ETHERTYPE_IPV6 : BN_RP_ETHERTYPE_IPV4, f);
    if (le != 2 && be != 2 && !v6) {
      return BN_SKIP_ETHERTYPE; /* another family */
    }
    added = BN_RP_ETH_HLEN - 4;
    break;
  }
  default:
    return BN_SKIP_LINK_HEADER;
  }
  size_t tagged = f->len;
  if (!untag(s, f)) {
    return BN_SKIP_LINK_HEADER;
  }
  /* Its length on the wire, as Ethernet without tags (h->len: as captured). */
  long wire = (long)h->len + added - (long)(tagged - f->len);
  size_t wire_len = wire > 0 ? (size_t)wire : 0;
  return ethernet_reason(s, f, wire_len);
}

/* Frame n's number (1 first), as the file it was taken from counts it. */
static uint64_t number(const bn_pcap_source *s, uint64_t n)
{
  return s->numbers != NULL && n <= s->nnumbers ? s->numbers[n - 1] : n;
}

void bn_pcap_source_set_numbers(bn_pcap_source *s, const uint64_t *numbers, size_t n)
{
  s->numbers = numbers;
  s->nnumbers = n;
}

int bn_pcap_source_next_any(bn_pcap_source *s, bn_pcap_frame *f)
{
  if (s->ended) {
    return 0;
  }
  struct pcap_pkthdr *h;
  const u_char *data;
  int rc = pcap_next_ex(s->p, &h, &data);
  if (rc == PCAP_ERROR_BREAK) {
    s->ended = true;
    return 0;
  }
  if (rc != 1) {
    /* PCAP_ERROR: the rest is unreadable. A file cut off inside a frame is
     * "truncated dump file ..." (pcap) or "truncated pcapng dump file ..."
     * (pcapng); anything else is libpcap's reason, kept word for word. */
    const char *why = pcap_geterr(s->p);
    if (strstr(why, "truncated") == NULL) {
      snprintf(s->error, sizeof(s->error), "%s", why);
    }
    s->ended = true;
    *f = (bn_pcap_frame){ .number = number(s, s->count + 1), .data = s->frame, .skip = BN_SKIP_FILE_TRUNCATED };
    return s->error[0] ? 0 : 1;
  }
  s->count++;
  f->number = number(s, s->count);
  f->ts_ns = (uint64_t)h->ts.tv_sec * 1000000000u + (uint64_t)h->ts.tv_usec; /* nanosecond handle */
  int reason = normalise(s, h, data, f);
  if (h->len == 0 || h->caplen == 0) {
    reason = BN_SKIP_EMPTY;
  } else if (s->filtering && pcap_offline_filter(&s->prog, h, data) == 0) {
    reason = BN_SKIP_FILTERED;
  } else if (reason < 0 && h->caplen < h->len) {
    /* Cut by the snaplen: the bytes that exist, and zeros for the rest, so
     * that lengths and sequence numbers hold; f->cut says how many are not
     * the capture's (replay_plan.c leaves out a frame cut inside its
     * headers). */
    size_t missing = h->len - h->caplen;
    if (f->len + missing <= FRAME_ROOM) {
      memset(s->frame + f->len, 0, missing);
      f->len += missing;
      f->cut = missing;
    } else {
      reason = BN_SKIP_CUT;
    }
  }
  f->skip = reason;
  return 1;
}

int bn_pcap_source_next(bn_pcap_source *s, bn_pcap_frame *f, uint64_t skipped[BN_SKIP_COUNT])
{
  while (bn_pcap_source_next_any(s, f) == 1) {
    if (f->skip < 0) {
      return 1;
    }
    skipped[f->skip]++;
  }
  return 0;
}

const char *bn_pcap_source_error(const bn_pcap_source *s)
{
  return s->error[0] ? s->error : NULL;
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
