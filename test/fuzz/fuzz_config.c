/*
 * Fuzz target: every bn_config parser (stack/bn_config.h) on arbitrary text,
 * checking their contracts, not just that they don't crash: each returns 0 or
 * -EINVAL, a rejection always comes with a one-line message, and whatever is
 * accepted is what the text says (formatted back and parsed again, it gives
 * the same value). The input is used whole, and also as two lines "A\nB" to
 * check A (a.b.c.d/N) with gateway B through bn_config_check_ip4().
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bn_config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A broken contract is a crash, so the fuzzer keeps the input. */
static void require(int ok, const char *what)
{
  if (!ok) {
    fprintf(stderr, "fuzz-config: contract broken: %s\n", what);
    abort();
  }
}

/* The result of one parser call with message buffer err (pre-filled with 0xff). */
static void require_result(int rc, const char err[BN_CONFIG_ERRLEN])
{
  require(rc == 0 || rc == -EINVAL, "returns 0 or -EINVAL");
  if (rc < 0) {
    const char *end = memchr(err, '\0', BN_CONFIG_ERRLEN);
    require(end != NULL, "message is NUL-terminated within BN_CONFIG_ERRLEN");
    require(end != err, "message is not empty");
    /* the text is quoted into the message: a newline in it may show up */
  }
}

static uint32_t u32(const ip4_addr_t *a)
{
  return ip4_addr_get_u32(a);
}

static int fuzz_ip4(const char *text, ip4_addr_t *addr)
{
  char err[BN_CONFIG_ERRLEN];
  memset(err, 0xff, sizeof(err));
  int rc = bn_config_parse_ip4(text, addr, err);
  require_result(rc, err);
  require(bn_config_parse_ip4(text, addr, NULL) == rc, "same result without a message buffer");
  if (rc == 0) {
    require(strlen(text) <= 15, "an address is at most 15 characters");
    char back[IP4ADDR_STRLEN_MAX];
    ip4_addr_t again;
    require(ip4addr_ntoa_r(addr, back, sizeof(back)) != NULL, "address formats");
    require(bn_config_parse_ip4(back, &again, NULL) == 0 && u32(&again) == u32(addr),
            "formatted address parses to itself");
  }
  return rc;
}

static int fuzz_prefix(const char *text, ip4_addr_t *addr, ip4_addr_t *mask)
{
  char err[BN_CONFIG_ERRLEN];
  memset(err, 0xff, sizeof(err));
  int rc = bn_config_parse_ip4_prefix(text, addr, mask, err);
  require_result(rc, err);
  if (rc == 0) {
    uint32_t m = lwip_ntohl(u32(mask));
    require(m != 0 && (~m & (~m + 1)) == 0, "netmask is contiguous, /1../32");
    /* the address part alone parses to the same address */
    char head[32];
    size_t n = strcspn(text, "/");
    require(n < sizeof(head), "address part is short");
    memcpy(head, text, n);
    head[n] = '\0';
    ip4_addr_t alone;
    require(bn_config_parse_ip4(head, &alone, NULL) == 0 && u32(&alone) == u32(addr),
            "address part parses alone");
    if (text[n] == '\0') {
      require(m == 0xffffff00u, "no prefix means /24");
    }
  }
  return rc;
}

static void fuzz_mac(const char *text)
{
  char err[BN_CONFIG_ERRLEN];
  uint8_t mac[6];
  memset(err, 0xff, sizeof(err));
  int rc = bn_config_parse_mac(text, mac, err);
  require_result(rc, err);
  if (rc == 0) {
    require((mac[0] & 1) == 0, "accepted MAC is unicast");
    require(strlen(text) == 17, "MAC text is 17 characters");
    char back[18];
    uint8_t again[6];
    snprintf(back, sizeof(back), "%02x%c%02x%c%02x%c%02x%c%02x%c%02x", mac[0], text[2], mac[1], text[2],
             mac[2], text[2], mac[3], text[2], mac[4], text[2], mac[5]);
    require(bn_config_parse_mac(back, again, NULL) == 0 && memcmp(again, mac, 6) == 0,
            "formatted MAC parses to itself");
  }
}

static void fuzz_port(const char *text)
{
  char err[BN_CONFIG_ERRLEN];
  uint16_t port = 0;
  memset(err, 0xff, sizeof(err));
  int rc = bn_config_parse_port(text, &port, err);
  require_result(rc, err);
  if (rc == 0) {
    require(port >= 1, "port is 1..65535");
    require(strtoul(text, NULL, 10) == port, "port is the decimal text");
  }
}

static void fuzz_default_mac(const char *seed)
{
  uint8_t a[6], b[6];
  bn_config_default_mac(seed, a);
  bn_config_default_mac(seed, b);
  require((a[0] & 1) == 0, "default MAC is unicast");
  require(memcmp(a, b, 6) == 0, "default MAC is deterministic");
}

/* "a.b.c.d/N" and a gateway: whatever bn_config_check_ip4() accepts is usable. */
static void fuzz_check(const char *prefix_text, const char *gw_text)
{
  ip4_addr_t addr, mask, gw;
  if (fuzz_prefix(prefix_text, &addr, &mask) < 0 || fuzz_ip4(gw_text, &gw) < 0) {
    return;
  }
  char err[BN_CONFIG_ERRLEN];
  memset(err, 0xff, sizeof(err));
  int rc = bn_config_check_ip4(&addr, &mask, &gw, err);
  require_result(rc, err);
  if (rc == 0) {
    uint32_t a = lwip_ntohl(u32(&addr)), m = lwip_ntohl(u32(&mask)), g = lwip_ntohl(u32(&gw));
    require(a != 0, "address is not 0.0.0.0");
    require(g == 0 || ((g & m) == (a & m) && g != a), "gateway is another host of the subnet");
    require(~m <= 1 || ((a & ~m) != 0 && (a & ~m) != ~m), "not the network or broadcast address");
  }
}

static void fuzz_text(const char *text)
{
  ip4_addr_t addr, mask;
  fuzz_ip4(text, &addr);
  fuzz_prefix(text, &addr, &mask);
  fuzz_mac(text);
  fuzz_port(text);
  fuzz_default_mac(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  /* An exact-size copy, so ASan sees any read past the terminating NUL. */
  char *text = malloc(size + 1);
  if (text == NULL) {
    return 0;
  }
  memcpy(text, data, size);
  text[size] = '\0';
  fuzz_text(text);
  char *newline = strchr(text, '\n');
  if (newline != NULL) {
    *newline = '\0';
    fuzz_text(text);
    fuzz_text(newline + 1);
    fuzz_check(text, newline + 1);
  }
  free(text);
  return 0;
}
