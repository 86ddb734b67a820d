/* The "boardnet: <message>" line on stderr, and option numbers (exit_status.h). */
#include "exit_status.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

int bn_fail(int code, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  fputs("boardnet: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  return code;
}

int bn_parse_number_option(const char *opt, const char *text, uint64_t min, uint64_t max, uint64_t *out)
{
  char *end;
  errno = 0;
  unsigned long long v = strtoull(text, &end, 10);
  if (errno != 0 || end == text || *end != '\0' || text[0] == '-' || text[0] == '+' || v < min || v > max) {
    return bn_fail(BN_EXIT_USAGE, "%s: '%s' is not a number in %" PRIu64 "..%" PRIu64, opt, text, min, max);
  }
  *out = v;
  return 0;
}

int bn_parse_seconds_option(const char *opt, const char *text, double min, double max, double *out)
{
  char *end;
  errno = 0;
  double v = strtod(text, &end);
  if (errno != 0 || end == text || *end != '\0' || !(v >= min) || v > max) {
    return bn_fail(BN_EXIT_USAGE, "%s: '%s' is not a number of seconds (%.15g..%.15g)", opt, text, min, max);
  }
  *out = v;
  return 0;
}
