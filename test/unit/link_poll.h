/*
 * Shared by the unit tests that poll a link themselves: bn_link_poll() with a
 * relative timeout and one frame callback, as the tests think of it.
 */
#ifndef BN_TEST_LINK_POLL_H
#define BN_TEST_LINK_POLL_H

#include "bn_clock.h"
#include "bn_link.h"

typedef void (*test_frame_fn)(void *arg, const uint8_t *frame, size_t len, uint64_t ts_ns);

/** Polls link for up to ms milliseconds (-1: forever, 0: no wait), frames to frame(arg, ...). */
static inline int poll_ms(bn_link *link, test_frame_fn frame, void *arg, long ms)
{
  bn_link_rx rx = { .frame = frame, .carrier = NULL, .arg = arg };
  return bn_link_poll(link, &rx, ms < 0 ? BN_LINK_FOREVER : ms == 0 ? BN_LINK_NOW : bn_clock_after_ms(ms));
}

#endif /* BN_TEST_LINK_POLL_H */
