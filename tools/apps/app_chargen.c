/*
 * chargen (RFC 864): the character stream, sent until the peer closes.
 *
 *     while True:
 *         client.sendall(PATTERN)
 */
#include "board_apps.h"
#include "app_server.h"

#include <pthread.h>

/* 16 whole cycles of the stream (95 lines of 74 bytes each), so each write
 * continues the stream exactly where the previous one ended. */
#define CYCLE_BYTES (95 * 74)
static uint8_t pattern[16 * CYCLE_BYTES];
static pthread_once_t pattern_once = PTHREAD_ONCE_INIT;

static void make_pattern(void)
{
  bn_chargen_fill(pattern, sizeof(pattern), 0);
}

void bn_app_chargen(usocket *client);

void bn_app_chargen(usocket *client)
{
  pthread_once(&pattern_once, make_pattern);
  while (usocket_sendall(client, pattern, sizeof(pattern)) == 0) {
  }
}
