/*
 * Parsing and checking of a board's configuration values as given on a
 * command line: IPv4 addresses and prefixes, MAC addresses, ports. Each parser
 * returns 0 or -EINVAL and, on error, writes a one-line reason to err.
 */
#ifndef BN_CONFIG_H
#define BN_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "lwip/ip4_addr.h"

/** Room for any message of these functions. */
#define BN_CONFIG_ERRLEN 128

/** "192.0.2.2" → addr. -EINVAL for anything but four decimal octets. */
int bn_config_parse_ip4(const char *text, ip4_addr_t *addr, char err[BN_CONFIG_ERRLEN]);

/** "192.0.2.2/24" → addr and netmask (prefix 1..32; without /N: /24). */
int bn_config_parse_ip4_prefix(const char *text, ip4_addr_t *addr, ip4_addr_t *netmask,
                               char err[BN_CONFIG_ERRLEN]);

/** "02:b0:4e:00:00:01" (or '-' separated) → mac. Rejects multicast
 * addresses and 00:00:00:00:00:00. */
int bn_config_parse_mac(const char *text, uint8_t mac[6], char err[BN_CONFIG_ERRLEN]);

/** "80" → port 1..65535. */
int bn_config_parse_port(const char *text, uint16_t *port, char err[BN_CONFIG_ERRLEN]);

/**
 * Checks that addr/netmask/gw form a usable static configuration: netmask
 * contiguous, addr neither the network nor the broadcast address (for
 * prefixes up to /30), gw (if not 0.0.0.0) inside the subnet and not addr.
 */
int bn_config_check_ip4(const ip4_addr_t *addr, const ip4_addr_t *netmask, const ip4_addr_t *gw,
                        char err[BN_CONFIG_ERRLEN]);

/**
 * The board's default MAC: the profile's OUI (BN_BOARD_OUI) followed by
 * three bytes derived from seed (e.g. the TAP name), or, for a profile whose
 * board makes a locally administered address (BN_BOARD_MAC_LAA_INDEX), 0x02
 * and five such bytes with the index in the last one's low two bits; so a
 * board keeps its MAC from run to run. Always unicast.
 */
void bn_config_default_mac(const char *seed, uint8_t mac[6]);

#endif /* BN_CONFIG_H */
