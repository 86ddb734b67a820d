/*
 * usocket's stream methods (read, readall, readinto, readline, write), with
 * the semantics of MicroPython's py/stream.c over modlwip: blocking calls
 * never transfer short except at EOF; when a non-blocking call would block it
 * returns the count transferred so far, or None (USOCKET_NONE) if nothing was;
 * other errors are returned as they are, every time.
 */
#include "usocket_internal.h"

#include <stdlib.h>
#include <string.h>

/* Reads until size bytes, EOF or an error (mp_stream_rw). */
static ssize_t read_exactly(usocket *s, char *buf, size_t size)
{
  size_t done = 0;
  while (done < size) {
    ssize_t n = bn_us_recv_once(s, buf + done, size - done, 0, NULL, false);
    if (n == 0) {
      break;
    }
    if (n < 0) {
      if (n == -USOCKET_EAGAIN) {
        return done > 0 ? (ssize_t)done : USOCKET_NONE;
      }
      return n; /* as MicroPython: bytes read before the error are lost */
    }
    done += (size_t)n;
  }
  return (ssize_t)done;
}

ssize_t usocket_read(usocket *s, void *buf, size_t size)
{
  int rc = bn_us_enter(s);
  if (rc < 0) {
    return rc;
  }
  ssize_t n = (buf == NULL && size > 0) ? -USOCKET_EINVAL : read_exactly(s, buf, size);
  bn_us_leave(s);
  return n;
}

ssize_t usocket_readinto(usocket *s, void *buf, size_t nbytes)
{
  return usocket_read(s, buf, nbytes);
}

ssize_t usocket_readall(usocket *s, void **data)
{
  if (data == NULL) {
    return -USOCKET_EINVAL;
  }
  *data = NULL;
  int rc = bn_us_enter(s);
  if (rc < 0) {
    return rc;
  }
  size_t cap = 0, len = 0;
  char *out = NULL;
  ssize_t result;
  for (;;) {
    if (cap - len < 256) {
      size_t ncap = cap ? cap * 2 : 1024;
      char *p = realloc(out, ncap);
      if (p == NULL) {
        result = -USOCKET_ENOMEM;
        break;
      }
      out = p;
      cap = ncap;
    }
    ssize_t n = bn_us_recv_once(s, out + len, cap - len, 0, NULL, false);
    if (n == 0) {
      result = (ssize_t)len;
      break;
    }
    if (n < 0) {
      result = n == -USOCKET_EAGAIN ? (len > 0 ? (ssize_t)len : USOCKET_NONE) : n;
      break;
    }
    len += (size_t)n;
  }
  bn_us_leave(s);
  if (result > 0) {
    *data = out;
  } else {
    free(out);
  }
  return result;
}

ssize_t usocket_readline(usocket *s, void *buf, size_t limit)
{
  int rc = bn_us_enter(s);
  if (rc < 0) {
    return rc;
  }
  char *p = buf;
  size_t len = 0;
  ssize_t result = 0;
  if (p == NULL && limit > 0) {
    result = -USOCKET_EINVAL;
    limit = 0;
  }
  while (len < limit) {
    /* One byte at a time, as MicroPython's unbuffered readline: nothing
     * after the '\n' is consumed. */
    ssize_t n = bn_us_recv_once(s, p + len, 1, 0, NULL, false);
    if (n == 0) {
      break;
    }
    if (n < 0) {
      if (n == -USOCKET_EAGAIN) {
        result = len > 0 ? (ssize_t)len : USOCKET_NONE;
      } else {
        result = n;
      }
      len = 0;
      break;
    }
    len++;
    if (p[len - 1] == '\n') {
      break;
    }
  }
  bn_us_leave(s);
  return len > 0 ? (ssize_t)len : result;
}

ssize_t usocket_write(usocket *s, const void *buf, size_t len)
{
  int rc = bn_us_enter(s);
  if (rc < 0) {
    return rc;
  }
  ssize_t result;
  if (buf == NULL && len > 0) {
    result = -USOCKET_EINVAL;
  } else if (s->type != USOCKET_SOCK_STREAM) {
    result = bn_us_dgram_send(s, buf, len, NULL, 0);
  } else {
    const char *p = buf;
    size_t done = 0;
    result = 0;
    while (done < len) {
      ssize_t n = bn_us_tcp_send_once(s, p + done, len - done, false);
      if (n == 0) {
        break;
      }
      if (n < 0) {
        if (n == -USOCKET_EAGAIN) {
          result = done > 0 ? (ssize_t)done : USOCKET_NONE;
        } else {
          result = n;
        }
        done = 0;
        break;
      }
      done += (size_t)n;
    }
    if (done > 0 || result == 0) {
      result = (ssize_t)done;
    }
  }
  bn_us_leave(s);
  return result;
}
