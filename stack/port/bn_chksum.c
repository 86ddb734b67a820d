/*
 * The port's LWIP_CHKSUM (stack/port/arch/cc.h): the Internet checksum's
 * 16-bit one's complement sum, as lwIP's lwip_standard_chksum() returns it
 * (not inverted, of the 16-bit words as they lie in memory from dataptr on,
 * a last odd byte padded with zero), for any alignment and length. The
 * same result, bit for bit, as lwIP's three algorithms; it adds 32-bit
 * words into a 64-bit sum (2^16 = 1 modulo 2^16 - 1, so the 16-bit halves
 * add up the same) and folds once at the end. The bulk transfer profile
 * showed lwIP's two-bytes-at-a-time loop at 6-7 % of the board's CPU.
 */
#include <arch/cc.h> /* by the include path: ours, which #include_next's the port's */

#include <stdint.h>
#include <string.h>

uint16_t bn_chksum(const void *dataptr, int len)
{
  const uint8_t *p = dataptr;
  size_t n = len > 0 ? (size_t)len : 0;
  uint64_t sum = 0;
  while (n >= 16) {
    uint32_t w[4];
    memcpy(w, p, sizeof(w));
    sum += (uint64_t)w[0] + w[1] + w[2] + w[3];
    p += 16;
    n -= 16;
  }
  while (n >= 4) {
    uint32_t w;
    memcpy(&w, p, sizeof(w));
    sum += w;
    p += 4;
    n -= 4;
  }
  uint16_t h = 0;
  if (n >= 2) {
    memcpy(&h, p, 2);
    sum += h;
    p += 2;
    n -= 2;
  }
  if (n == 1) {
    h = 0;
    memcpy(&h, p, 1); /* the byte first in memory, the other zero */
    sum += h;
  }
  while (sum >> 16) {
    sum = (sum & 0xffff) + (sum >> 16);
  }
  return (uint16_t)sum;
}
