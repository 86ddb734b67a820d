/* netem's units: one parser and one printer per kind (scn_units.h). */
#include "scn_units.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct unit {
  const char *name;
  double scale;
};

/*
 * Reads the decimal number at the start of tok ("12", "2.5", ".5"; no sign,
 * exponent, hex, inf or nan, which strtod() would take) and points *rest at
 * what follows it.
 */
static int leading_number(const char *tok, double *v, const char **rest)
{
  const char *p = tok;
  size_t digits = 0;
  while (*p >= '0' && *p <= '9') {
    p++, digits++;
  }
  if (*p == '.') {
    p++;
    while (*p >= '0' && *p <= '9') {
      p++, digits++;
    }
  }
  if (digits == 0) {
    return -EINVAL;
  }
  char num[128];
  size_t n = (size_t)(p - tok);
  if (n >= sizeof(num) || n > BN_SCN_NUMBER_MAX) {
    return -EINVAL;
  }
  memcpy(num, tok, n);
  num[n] = '\0';
  *v = strtod(num, NULL);
  *rest = p;
  return 0;
}

/* The whole number at the start of tok, exactly (no '.'), into *n; false
 * if it has a fraction or does not fit. */
static bool exact_integer(const char *tok, uint64_t *n)
{
  uint64_t v = 0;
  const char *p = tok;
  for (; *p >= '0' && *p <= '9'; p++) {
    if (v > (UINT64_MAX - (uint64_t)(*p - '0')) / 10) {
      return false;
    }
    v = v * 10 + (uint64_t)(*p - '0');
  }
  *n = v;
  return p != tok && *p != '.';
}

/* number * the scale of its unit (one of units, case-insensitive; "" only if
 * bare_scale > 0), rounded to an integer no larger than max; a whole number
 * with a whole scale is computed exactly. */
static int scaled(const char *tok, const struct unit *units, double bare_scale, uint64_t max, uint64_t *out)
{
  double v;
  const char *unit;
  if (leading_number(tok, &v, &unit) < 0) {
    return -EINVAL;
  }
  double scale = bare_scale;
  if (*unit != '\0') {
    scale = 0;
    for (const struct unit *u = units; u->name != NULL; u++) {
      if (strcasecmp(u->name, unit) == 0) {
        scale = u->scale;
        break;
      }
    }
  }
  if (scale <= 0) {
    return -EINVAL;
  }
  uint64_t whole;
  if (exact_integer(tok, &whole) && scale == floor(scale) && scale < 1.8e19) {
    uint64_t s = (uint64_t)scale;
    if (whole != 0 && s > max / whole) {
      return -EINVAL;
    }
    *out = whole * s;
    return 0;
  }
  double r = nearbyint(v * scale);
  if (!(r <= (double)max) || r >= 1.8e19) {
    return -EINVAL;
  }
  *out = (uint64_t)r;
  return *out <= max ? 0 : -EINVAL;
}

static const struct unit time_units[] = {
  { "s", 1e9 }, { "sec", 1e9 }, { "secs", 1e9 },
  { "ms", 1e6 }, { "msec", 1e6 }, { "msecs", 1e6 },
  { "us", 1e3 }, { "usec", 1e3 }, { "usecs", 1e3 },
  { "ns", 1 }, { "nsec", 1 }, { "nsecs", 1 },
  { NULL, 0 },
};

int bn_scn_parse_time(const char *tok, uint64_t *ns)
{
  return scaled(tok, time_units, 0, BN_SCN_TIME_MAX_NS, ns);
}

/* tc's rate suffixes (iproute2 lib/utils_math.c), in bits per second. */
static const struct unit rate_units[] = {
  { "bit", 1 }, { "kibit", 1024. }, { "kbit", 1e3 }, { "mibit", 1024. * 1024 }, { "mbit", 1e6 },
  { "gibit", 1024. * 1024 * 1024 }, { "gbit", 1e9 }, { "tibit", 1024. * 1024 * 1024 * 1024 },
  { "tbit", 1e12 }, { "bps", 8 }, { "kibps", 8. * 1024 }, { "kbps", 8e3 },
  { "mibps", 8. * 1024 * 1024 }, { "mbps", 8e6 }, { "gibps", 8. * 1024 * 1024 * 1024 },
  { "gbps", 8e9 }, { "tibps", 8. * 1024 * 1024 * 1024 * 1024 }, { "tbps", 8e12 },
  { NULL, 0 },
};

int bn_scn_parse_rate(const char *tok, uint64_t *bits_per_s)
{
  return scaled(tok, rate_units, 1, UINT64_MAX / 2, bits_per_s);
}

int bn_scn_parse_percent(const char *tok, double *pct)
{
  double v;
  const char *rest;
  if (leading_number(tok, &v, &rest) < 0 || (*rest != '\0' && strcmp(rest, "%") != 0) || v > 100) {
    return -EINVAL;
  }
  *pct = v;
  return 0;
}

/* tc's get_size() suffixes (iproute2 lib/utils_math.c). */
static const struct unit size_units[] = {
  { "b", 1 }, { "k", 1024 }, { "kb", 1024 }, { "m", 1024 * 1024 }, { "mb", 1024 * 1024 },
  { "g", 1024. * 1024 * 1024 }, { "gb", 1024. * 1024 * 1024 }, { "kbit", 1024 / 8 },
  { "mbit", 1024 * 1024 / 8 }, { "gbit", 1024. * 1024 * 1024 / 8 },
  { NULL, 0 },
};

int bn_scn_parse_size(const char *tok, uint32_t *bytes)
{
  uint64_t v;
  if (scaled(tok, size_units, 1, UINT32_MAX, &v) < 0) {
    return -EINVAL;
  }
  *bytes = (uint32_t)v;
  return 0;
}

int bn_scn_parse_count(const char *tok, uint64_t min, uint64_t max, uint64_t *v)
{
  if (*tok == '\0' || strlen(tok) > 19) {
    return -EINVAL;
  }
  uint64_t n = 0;
  for (const char *p = tok; *p != '\0'; p++) {
    if (*p < '0' || *p > '9') {
      return -EINVAL;
    }
    n = n * 10 + (uint64_t)(*p - '0');
  }
  if (n < min || n > max) {
    return -EINVAL;
  }
  *v = n;
  return 0;
}

int bn_scn_parse_signed(const char *tok, int64_t min, int64_t max, int64_t *v)
{
  bool negative = *tok == '-';
  uint64_t n;
  if (bn_scn_parse_count(tok + negative, 0, (uint64_t)INT64_MAX, &n) < 0) {
    return -EINVAL;
  }
  int64_t s = negative ? -(int64_t)n : (int64_t)n;
  if (s < min || s > max) {
    return -EINVAL;
  }
  *v = s;
  return 0;
}

/* value in the largest of units[] (largest first) that divides it. */
static int format_exact(char *buf, size_t size, uint64_t value, const char *const names[],
                        const uint64_t scales[], size_t n)
{
  for (size_t i = 0; i + 1 < n; i++) {
    if (value != 0 && value % scales[i] == 0) {
      return snprintf(buf, size, "%" PRIu64 "%s", value / scales[i], names[i]);
    }
  }
  return snprintf(buf, size, "%" PRIu64 "%s", value / scales[n - 1], names[n - 1]);
}

int bn_scn_format_time(char *buf, size_t size, uint64_t ns)
{
  static const char *const names[] = { "s", "ms", "us", "ns" };
  static const uint64_t scales[] = { 1000000000, 1000000, 1000, 1 };
  if (ns == 0) {
    return snprintf(buf, size, "0s");
  }
  if (ns >= 1000000000u && ns % 1000000000u != 0 && ns < (UINT64_C(1) << 53)) {
    /* Seconds with the fewest decimals that are exact: 60.1s, not 60100ms
     * (below 2^53 ns, where bn_scn_parse_time()'s double reads it back exactly). */
    char frac[16];
    int n = snprintf(frac, sizeof(frac), "%09" PRIu64, ns % 1000000000u);
    while (n > 0 && frac[n - 1] == '0') {
      frac[--n] = '\0';
    }
    return snprintf(buf, size, "%" PRIu64 ".%ss", ns / 1000000000u, frac);
  }
  return format_exact(buf, size, ns, names, scales, 4);
}

int bn_scn_format_time_approx(char *buf, size_t size, uint64_t ns)
{
  if (ns >= 1000000000u) {
    return snprintf(buf, size, "%.3fs", (double)ns / 1e9);
  }
  if (ns >= 1000000u) {
    return snprintf(buf, size, "%.3fms", (double)ns / 1e6);
  }
  return snprintf(buf, size, "%.3fus", (double)ns / 1e3);
}

int bn_scn_format_rate(char *buf, size_t size, uint64_t bits_per_s)
{
  static const char *const names[] = { "gbit", "mbit", "kbit", "bit" };
  static const uint64_t scales[] = { 1000000000, 1000000, 1000, 1 };
  return format_exact(buf, size, bits_per_s, names, scales, 4);
}

int bn_scn_format_percent(char *buf, size_t size, double pct)
{
  /* the fewest decimals that read back to the same value: a parsed
   * percentage came from at most BN_SCN_NUMBER_MAX characters, so it has them */
  char tmp[BN_SCN_NUMBER_MAX + 32];
  for (int decimals = 0; decimals <= BN_SCN_NUMBER_MAX; decimals++) {
    snprintf(tmp, sizeof(tmp), "%.*f", decimals, pct);
    if (strtod(tmp, NULL) == pct) {
      break;
    }
  }
  return snprintf(buf, size, "%s%%", tmp);
}
