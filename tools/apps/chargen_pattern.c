/* The RFC 864 character generator stream, shared by chargen and /bytes/N. */
#include "board_apps.h"

#define FIRST_CHAR 32   /* ' ' */
#define NUM_CHARS  95   /* ' ' .. '~' */
#define LINE_CHARS 72
#define LINE_LEN   (LINE_CHARS + 2)

void bn_chargen_fill(uint8_t *buf, size_t len, uint64_t offset)
{
  for (size_t i = 0; i < len; i++) {
    uint64_t pos = offset + i;
    uint64_t line = pos / LINE_LEN;
    unsigned col = (unsigned)(pos % LINE_LEN);
    if (col == LINE_CHARS) {
      buf[i] = '\r';
    } else if (col == LINE_CHARS + 1) {
      buf[i] = '\n';
    } else {
      buf[i] = (uint8_t)(FIRST_CHAR + (line + col) % NUM_CHARS);
    }
  }
}
