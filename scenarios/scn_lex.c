/* Splits a scenario line into tokens with their columns (scn_lex.h). */
#include "scn_lex.h"

#include <errno.h>

static bool blank(char c)
{
  return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

int bn_scn_lex_line(char *buf, bn_scn_line *out, unsigned *bad_col, const char **why)
{
  out->n = 0;
  char *p = buf;
  for (;;) {
    while (blank(*p)) {
      p++;
    }
    if (*p == '\0' || *p == '#') {
      return 0;
    }
    unsigned col = (unsigned)(p - buf) + 1;
    if (out->n == BN_SCN_LEX_MAX_TOKENS) {
      *bad_col = col;
      *why = "too many words on one line";
      return -EINVAL;
    }
    bn_scn_token *t = &out->tok[out->n++];
    t->col = col;
    t->quoted = *p == '"';
    if (t->quoted) {
      char *w = ++p;  /* the string is unescaped in place */
      t->text = w;
      for (;;) {
        if (*p == '\0') {
          *bad_col = col;
          *why = "unterminated string (a '\"' is missing)";
          return -EINVAL;
        }
        if (*p == '"') {
          break;
        }
        if (*p == '\\' && (p[1] == '"' || p[1] == '\\')) {
          p++;
        }
        *w++ = *p++;
      }
      p++;
      if (*p != '\0' && !blank(*p) && *p != '#') {
        *bad_col = (unsigned)(p - buf) + 1;
        *why = "a blank must follow a string";
        return -EINVAL;
      }
      *w = '\0';
      if (*p != '\0') {
        bool comment = *p == '#';
        *p++ = '\0';
        if (comment) {
          return 0;
        }
      }
      continue;
    }
    t->text = p;
    while (*p != '\0' && !blank(*p) && *p != '#' && *p != '"') {
      if ((unsigned char)*p < 0x20) {
        *bad_col = (unsigned)(p - buf) + 1;
        *why = "control character";
        return -EINVAL;
      }
      p++;
    }
    if (*p == '"') {
      *bad_col = (unsigned)(p - buf) + 1;
      *why = "a string must start a word";
      return -EINVAL;
    }
    if (*p == '#') {
      *p = '\0';
      return 0;
    }
    if (*p != '\0') {
      *p++ = '\0';
    }
  }
}
