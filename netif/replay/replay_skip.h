/*
 * Why a replay left a frame of the capture out: every skipped frame counts
 * under one reason, and the divergence report lists them.
 */
#ifndef BN_REPLAY_SKIP_H
#define BN_REPLAY_SKIP_H

typedef enum bn_replay_skip {
  BN_SKIP_FILTERED,         /**< --filter rejected it */
  BN_SKIP_BEFORE_START,     /**< before --start-at */
  BN_SKIP_EMPTY,            /**< zero length */
  BN_SKIP_CUT,              /**< captured shorter than it was (caplen < len) */
  BN_SKIP_TOO_LONG,         /**< longer than a board's frame (BN_LINK_MAX_FRAME), and no TCP super-frame */
  BN_SKIP_LINK_HEADER,      /**< its cooked / loopback header is short or unknown */
  BN_SKIP_FILE_TRUNCATED,   /**< the file ends in the middle of it */
  BN_SKIP_ETHERTYPE,        /**< neither IPv4, IPv6 nor ARP (LLDP, STP, ...) */
  BN_SKIP_IPV6,             /**< IPv6: not replayed */
  BN_SKIP_OTHER_VLAN,       /**< tagged for another VLAN than --vlan, or untagged with --vlan */
  BN_SKIP_BAD_IP,           /**< an IPv4 header whose lengths lie, or a bad version */
  BN_SKIP_BAD_L4,           /**< a TCP or UDP header whose lengths lie */
  BN_SKIP_BAD_ARP,          /**< an ARP packet that is not Ethernet/IPv4 */
  BN_SKIP_NOT_BOARD,        /**< neither from nor to the board */
  BN_SKIP_NO_SYN,           /**< TCP: its connection's SYN is not in the capture */
  BN_SKIP_FRAGMENT,         /**< an IPv4 fragment (not replayed) */
  BN_SKIP_COUNT
} bn_replay_skip;

/** A short phrase for a reason ("captured shorter than it was"). */
static inline const char *bn_replay_skip_name(bn_replay_skip r)
{
  static const char *const names[BN_SKIP_COUNT] = {
    [BN_SKIP_FILTERED] = "left out by --filter",
    [BN_SKIP_BEFORE_START] = "before --start-at",
    [BN_SKIP_EMPTY] = "empty",
    [BN_SKIP_CUT] = "captured shorter than it was (snaplen)",
    [BN_SKIP_TOO_LONG] = "longer than a board's frame (not TCP)",
    [BN_SKIP_LINK_HEADER] = "bad link-layer header",
    [BN_SKIP_FILE_TRUNCATED] = "cut off by the end of the file",
    [BN_SKIP_ETHERTYPE] = "neither IPv4, IPv6 nor ARP",
    [BN_SKIP_IPV6] = "IPv6 (not replayed)",
    [BN_SKIP_OTHER_VLAN] = "on another VLAN than --vlan",
    [BN_SKIP_BAD_IP] = "IPv4 header lengths that lie",
    [BN_SKIP_BAD_L4] = "TCP/UDP header lengths that lie",
    [BN_SKIP_BAD_ARP] = "ARP that is not Ethernet/IPv4",
    [BN_SKIP_NOT_BOARD] = "neither from nor to the board",
    [BN_SKIP_NO_SYN] = "TCP connection whose SYN is not in the capture",
    [BN_SKIP_FRAGMENT] = "IPv4 fragment",
  };
  return (unsigned)r < BN_SKIP_COUNT ? names[r] : "?";
}

/** A stable identifier for JSON ("cut", "no_syn" ...). */
static inline const char *bn_replay_skip_id(bn_replay_skip r)
{
  static const char *const ids[BN_SKIP_COUNT] = {
    [BN_SKIP_FILTERED] = "filtered",
    [BN_SKIP_BEFORE_START] = "before_start",
    [BN_SKIP_EMPTY] = "empty",
    [BN_SKIP_CUT] = "cut",
    [BN_SKIP_TOO_LONG] = "too_long",
    [BN_SKIP_LINK_HEADER] = "link_header",
    [BN_SKIP_FILE_TRUNCATED] = "file_truncated",
    [BN_SKIP_ETHERTYPE] = "ethertype",
    [BN_SKIP_IPV6] = "ipv6",
    [BN_SKIP_OTHER_VLAN] = "other_vlan",
    [BN_SKIP_BAD_IP] = "bad_ip",
    [BN_SKIP_BAD_L4] = "bad_l4",
    [BN_SKIP_BAD_ARP] = "bad_arp",
    [BN_SKIP_NOT_BOARD] = "not_board",
    [BN_SKIP_NO_SYN] = "no_syn",
    [BN_SKIP_FRAGMENT] = "fragment",
  };
  return (unsigned)r < BN_SKIP_COUNT ? ids[r] : "?";
}

#endif /* BN_REPLAY_SKIP_H */
