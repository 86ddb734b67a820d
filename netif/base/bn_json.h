/*
 * The one JSON string writer of boardnet's reports (the replay report,
 * the scenario's --stats-json): quotes, backslashes and control characters
 * escaped, everything else as it is (UTF-8 passes through).
 */
#ifndef BN_JSON_H
#define BN_JSON_H

#include <stdio.h>

/** Writes s to out as a JSON string, quotes included. */
static inline void bn_json_string(FILE *out, const char *s)
{
  fputc('"', out);
  for (; *s != '\0'; s++) {
    unsigned char c = (unsigned char)*s;
    if (c == '"' || c == '\\') {
      fprintf(out, "\\%c", c);
    } else if (c < 0x20) {
      fprintf(out, "\\u%04x", c);
    } else {
      fputc(c, out);
    }
  }
  fputc('"', out);
}

#endif /* BN_JSON_H */
