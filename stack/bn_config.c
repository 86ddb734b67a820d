/* Parsing and checking of command-line configuration values (bn_config.h). */
#include "bn_config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lwip/opt.h"
#include "lwip/def.h"

static int fail(char err[BN_CONFIG_ERRLEN], const char *fmt, ...)
{
  if (err != NULL) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, BN_CONFIG_ERRLEN, fmt, ap);
    va_end(ap);
  }
  return -EINVAL;
}

/* Parses a decimal number of at most max_digits digits in [0, max]; end gets the rest. */
static int parse_decimal(const char *s, unsigned max_digits, unsigned long max,
                         unsigned long *value, const char **end)
{
  unsigned digits = 0;
  unsigned long v = 0;
  while (s[digits] >= '0' && s[digits] <= '9') {
    if (++digits > max_digits) {
      return -1;
    }
    v = v * 10 + (unsigned long)(s[digits - 1] - '0');
  }
  if (digits == 0 || v > max) {
    return -1;
  }
  *value = v;
  *end = s + digits;
  return 0;
}

/* Four octets, then stop at the first character not part of them. */
static int parse_octets(const char *text, uint32_t *host_order, const char **end)
{
  uint32_t a = 0;
  const char *s = text;
  for (int i = 0; i < 4; i++) {
    unsigned long octet;
    if (parse_decimal(s, 3, 255, &octet, &s) < 0) {
      return -1;
    }
    a = (a << 8) | (uint32_t)octet;
    if (i < 3) {
      if (*s != '.') {
        return -1;
      }
      s++;
    }
  }
  *host_order = a;
  *end = s;
  return 0;
}

int bn_config_parse_ip4(const char *text, ip4_addr_t *addr, char err[BN_CONFIG_ERRLEN])
{
  uint32_t a;
  const char *end;
  if (text == NULL || parse_octets(text, &a, &end) < 0 || *end != '\0') {
    return fail(err, "'%s' is not an IPv4 address (expected a.b.c.d)", text ? text : "");
  }
  ip4_addr_set_u32(addr, lwip_htonl(a));
  return 0;
}

int bn_config_parse_ip4_prefix(const char *text, ip4_addr_t *addr, ip4_addr_t *netmask,
                               char err[BN_CONFIG_ERRLEN])
{
  uint32_t a;
  const char *end;
  unsigned long prefix = 24;
  if (text == NULL || parse_octets(text, &a, &end) < 0) {
    return fail(err, "'%s' is not an IPv4 address (expected a.b.c.d/N)", text ? text : "");
  }
  if (*end == '/') {
    const char *rest;
    if (parse_decimal(end + 1, 2, 32, &prefix, &rest) < 0 || *rest != '\0' || prefix == 0) {
      return fail(err, "'%s': prefix length must be 1..32", text);
    }
  } else if (*end != '\0') {
    return fail(err, "'%s' is not an IPv4 address (expected a.b.c.d/N)", text);
  }
  ip4_addr_set_u32(addr, lwip_htonl(a));
  ip4_addr_set_u32(netmask, lwip_htonl(prefix == 32 ? 0xffffffffu : ~(0xffffffffu >> prefix)));
  return 0;
}

static int hex_digit(char c)
{
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

int bn_config_parse_mac(const char *text, uint8_t mac[6], char err[BN_CONFIG_ERRLEN])
{
  const char *s = text;
  if (s == NULL || strlen(s) != 17) {
    return fail(err, "'%s' is not a MAC address (expected xx:xx:xx:xx:xx:xx)", s ? s : "");
  }
  char sep = s[2];
  for (int i = 0; i < 6; i++, s += 3) {
    int hi = hex_digit(s[0]), lo = hex_digit(s[1]);
    if (hi < 0 || lo < 0 || (i < 5 && s[2] != sep) || (sep != ':' && sep != '-')) {
      return fail(err, "'%s' is not a MAC address (expected xx:xx:xx:xx:xx:xx)", text);
    }
    mac[i] = (uint8_t)(hi << 4 | lo);
  }
  if (mac[0] & 1) {
    return fail(err, "'%s' is a multicast MAC address; a board needs a unicast one", text);
  }
  static const uint8_t zero[6];
  if (memcmp(mac, zero, sizeof(zero)) == 0) {
    return fail(err, "'%s' is the all-zero MAC address; a board needs a unicast one", text);
  }
  return 0;
}

int bn_config_parse_port(const char *text, uint16_t *port, char err[BN_CONFIG_ERRLEN])
{
  unsigned long v;
  const char *end;
  if (text == NULL || parse_decimal(text, 5, 65535, &v, &end) < 0 || *end != '\0' || v == 0) {
    return fail(err, "'%s' is not a port number (1..65535)", text ? text : "");
  }
  *port = (uint16_t)v;
  return 0;
}

int bn_config_check_ip4(const ip4_addr_t *addr, const ip4_addr_t *netmask, const ip4_addr_t *gw,
                        char err[BN_CONFIG_ERRLEN])
{
  uint32_t a = lwip_ntohl(ip4_addr_get_u32(addr));
  uint32_t m = lwip_ntohl(ip4_addr_get_u32(netmask));
  uint32_t g = gw ? lwip_ntohl(ip4_addr_get_u32(gw)) : 0;
  char text[IP4ADDR_STRLEN_MAX];
  ip4addr_ntoa_r(addr, text, sizeof(text));
  if (m == 0 || (~m & (~m + 1)) != 0) {
    return fail(err, "netmask is not contiguous");
  }
  if (a == 0 || (a >> 24) == 127 || (a >> 28) >= 14) {
    return fail(err, "%s cannot be a board's address", text);
  }
  if (~m > 2 && ((a & ~m) == 0 || (a & ~m) == ~m)) {
    return fail(err, "%s is the network or broadcast address of its subnet", text);
  }
  if (g != 0 && ((g & m) != (a & m) || g == a || (~m > 2 && ((g & ~m) == 0 || (g & ~m) == ~m)))) {
    char gtext[IP4ADDR_STRLEN_MAX];
    ip4addr_ntoa_r(gw, gtext, sizeof(gtext));
    return fail(err, "gateway %s is not another host in %s's subnet", gtext, text);
  }
  return 0;
}

void bn_config_default_mac(const char *seed, uint8_t mac[6])
{
  /* FNV-1a of the seed picks the device part. */
  uint32_t h = 2166136261u;
  for (const char *s = seed ? seed : ""; *s; s++) {
    h = (h ^ (uint8_t)*s) * 16777619u;
  }
#ifdef BN_BOARD_MAC_LAA_INDEX
  /* A locally administered address as the board makes it: 0x02, then bytes
   * of the device's own (here: the seed's hash, with a second round for the
   * fifth byte), the interface index in the last one's low two bits. */
  uint32_t h2 = (h ^ 0x9e3779b9u) * 16777619u;
  mac[0] = 0x02;
  mac[1] = (uint8_t)(h >> 24);
  mac[2] = (uint8_t)(h >> 16);
  mac[3] = (uint8_t)(h >> 8);
  mac[4] = (uint8_t)h;
  mac[5] = (uint8_t)((h2 >> 8) << 2 | (BN_BOARD_MAC_LAA_INDEX & 3));
#else
  unsigned long oui = BN_BOARD_OUI;
  mac[0] = (uint8_t)(oui >> 16) & 0xfe;  /* never multicast */
  mac[1] = (uint8_t)(oui >> 8);
  mac[2] = (uint8_t)oui;
  mac[3] = (uint8_t)(h >> 16);
  mac[4] = (uint8_t)(h >> 8);
  mac[5] = (uint8_t)h;
#endif
}
