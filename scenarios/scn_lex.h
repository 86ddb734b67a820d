/*
 * bn_scn_lex: splits one line of a scenario into its tokens, each with its
 * column: words separated by blanks, "quoted strings" (a libpcap filter;
 * \" and \\ inside), and a '#' outside quotes ends the line.
 */
#ifndef BN_SCN_LEX_H
#define BN_SCN_LEX_H

#include <stdbool.h>
#include <stddef.h>

/** The most tokens a line may hold. */
#define BN_SCN_LEX_MAX_TOKENS 64

typedef struct bn_scn_token {
  const char *text;  /**< NUL-terminated, in the line's buffer; a string without its quotes */
  unsigned col;      /**< 1-based byte column of its first character (a string's opening quote) */
  bool quoted;
} bn_scn_token;

typedef struct bn_scn_line {
  bn_scn_token tok[BN_SCN_LEX_MAX_TOKENS];
  size_t n;
} bn_scn_line;

/**
 * Tokenises buf (one line, NUL-terminated, modified in place: the tokens
 * point into it).
 * @return 0; or -EINVAL with *bad_col and *why set: an unterminated string,
 *         a string glued to a word, a control character, too many tokens.
 */
int bn_scn_lex_line(char *buf, bn_scn_line *out, unsigned *bad_col, const char **why);

#endif /* BN_SCN_LEX_H */
