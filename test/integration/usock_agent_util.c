/*
 * bn-usock-agent helpers: errno names, argument parsing, files, the
 * deterministic byte pattern and sockets with the agent's timeout.
 */
#include "usock_agent.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *ua_errname(long result)
{
  if (result >= 0) {
    return "OK";
  }
  if (result == USOCKET_NONE) {
    return "NONE";
  }
  switch (-result) {
  case USOCKET_EPERM:        return "EPERM";
  case USOCKET_ENOENT:       return "ENOENT";
  case USOCKET_EIO:          return "EIO";
  case USOCKET_EBADF:        return "EBADF";
  case USOCKET_EAGAIN:       return "EAGAIN";
  case USOCKET_ENOMEM:       return "ENOMEM";
  case USOCKET_EACCES:       return "EACCES";
  case USOCKET_EEXIST:       return "EEXIST";
  case USOCKET_ENODEV:       return "ENODEV";
  case USOCKET_EISDIR:       return "EISDIR";
  case USOCKET_EINVAL:       return "EINVAL";
  case USOCKET_EOPNOTSUPP:   return "EOPNOTSUPP";
  case USOCKET_EADDRINUSE:   return "EADDRINUSE";
  case USOCKET_ECONNABORTED: return "ECONNABORTED";
  case USOCKET_ECONNRESET:   return "ECONNRESET";
  case USOCKET_ENOBUFS:      return "ENOBUFS";
  case USOCKET_EISCONN:      return "EISCONN";
  case USOCKET_ENOTCONN:     return "ENOTCONN";
  case USOCKET_ETIMEDOUT:    return "ETIMEDOUT";
  case USOCKET_ECONNREFUSED: return "ECONNREFUSED";
  case USOCKET_EHOSTUNREACH: return "EHOSTUNREACH";
  case USOCKET_EALREADY:     return "EALREADY";
  case USOCKET_EINPROGRESS:  return "EINPROGRESS";
  default:                   return "E?";
  }
}

int ua_fail(const char *what, long result)
{
  fprintf(stderr, "FAIL: %s: %s (%ld)\n", what, ua_errname(result), result);
  return UA_FAIL;
}

void ua_say(const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  vprintf(fmt, ap);
  va_end(ap);
  putchar('\n');
  fflush(stdout);
}

int ua_parse_count(const char *what, const char *text, long max, long *out)
{
  char *end;
  errno = 0;
  long v = strtol(text, &end, 10);
  if (errno != 0 || end == text || *end != '\0' || v < 1 || v > max) {
    fprintf(stderr, "usage: %s: '%s' is not a number 1..%ld\n", what, text, max);
    return -1;
  }
  *out = v;
  return 0;
}

int ua_parse_addr(const char *ip, const char *port, usocket_addr *out)
{
  long p;
  if (strlen(ip) >= sizeof(out->ip)) {
    fprintf(stderr, "usage: address '%s' too long\n", ip);
    return -1;
  }
  if (ua_parse_count("port", port, 65535, &p) < 0) {
    return -1;
  }
  memset(out, 0, sizeof(*out));
  strcpy(out->ip, ip);
  out->port = (uint16_t)p;
  return 0;
}

int ua_read_file(const char *path, uint8_t **data, size_t *len)
{
  FILE *f = fopen(path, "rb");
  if (f == NULL) {
    fprintf(stderr, "FAIL: %s: %s\n", path, strerror(errno));
    return -1;
  }
  size_t cap = 1 << 16, n = 0;
  uint8_t *buf = malloc(cap);
  while (buf != NULL) {
    n += fread(buf + n, 1, cap - n, f);
    if (n < cap) {
      break;
    }
    uint8_t *bigger = realloc(buf, cap * 2);
    if (bigger == NULL) {
      free(buf);
      buf = NULL;
      break;
    }
    buf = bigger;
    cap *= 2;
  }
  bool bad = buf == NULL || ferror(f);
  fclose(f);
  if (bad) {
    free(buf);
    fprintf(stderr, "FAIL: cannot read %s\n", path);
    return -1;
  }
  *data = buf;
  *len = n;
  return 0;
}

void *ua_open_out(const char *path)
{
  FILE *f = fopen(path, "wb");
  if (f == NULL) {
    fprintf(stderr, "FAIL: %s: %s\n", path, strerror(errno));
  }
  return f;
}

void ua_fill(uint8_t *buf, size_t len, uint32_t seed)
{
  uint32_t x = seed * 2654435761u + 1u;
  for (size_t i = 0; i < len; i++) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    buf[i] = (uint8_t)x;
  }
}

int ua_socket(int type, usocket **out)
{
  int rc = usocket_socket(USOCKET_AF_INET, type, 0, out);
  if (rc < 0) {
    return rc;
  }
  rc = usocket_settimeout(*out, UA_TIMEOUT_MS);
  if (rc < 0) {
    usocket_free(*out);
    *out = NULL;
  }
  return rc;
}
