/*
 * --app mirror: a board program that re-enacts the captured board's side of
 * every TCP connection through usocket, so that a capture of any board can
 * be replayed on both layers (the way to compare two profiles on the same
 * real traffic). Connections the peers opened are accepted on the captured
 * board's ports (each matched to its captured flow by the peer's address and
 * port); connections the captured board opened are opened when the replay
 * reaches them. In each, the board's captured bytes are sent as the capture
 * shows them sent: each piece once the live board has received as much of
 * the peer's stream as the captured board had acknowledged when it sent it;
 * the connection is closed where the captured board closed it (before the
 * peer's FIN, or after it).
 */
#ifndef BN_REPLAY_MIRROR_H
#define BN_REPLAY_MIRROR_H

#include <stdbool.h>

#include "replay_live.h"
#include "replay_plan.h"

#define BN_MIRROR_ERRLEN 160

/**
 * Starts the mirror for plan (which, like live, outlives it: the mirror's
 * threads end with the stack). Call after bn_stack_start() and before the
 * replay is released (bn_link_pcap_release()).
 * @param io_timeout_ms  how long one receive or send may wait
 * @return the number of connections it will re-enact (>= 0), or -EADDRINUSE
 *         (a port taken by another --app) / -ENOMEM with the reason in err.
 */
int bn_replay_mirror_start(const bn_rp_plan *plan, const bn_rp_live *live, long io_timeout_ms,
                           char err[BN_MIRROR_ERRLEN]);

/**
 * Whether a connection of the mirror still has the captured board's close
 * to make (bn_pcap_options.busy: a pass does not end before it). Lock-free.
 */
bool bn_replay_mirror_busy(void *arg);

/**
 * Stops the mirror: closes its sockets (FIN where still open) and waits for
 * its threads, so that the plan can go. Call before bn_stack_stop(). A
 * mirror never started is fine.
 */
void bn_replay_mirror_stop(void);

#endif /* BN_REPLAY_MIRROR_H */
