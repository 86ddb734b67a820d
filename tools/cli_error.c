/* The "boardnet: <message>" line on stderr (cli_error.h). */
#include "cli_error.h"

#include <stdarg.h>
#include <stdio.h>

int bn_cli_error(int code, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  fputs("boardnet: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  return code;
}
