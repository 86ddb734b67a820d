/*
 * The generic board profile with one change, for the benchmark's second
 * baseline only: received frames are queued to the tcpip thread's mailbox
 * (tcpip_input posts a message) instead of being processed by the receiving
 * thread under the core lock. This is lwIP's default, and the configuration
 * in which the unix port's fixed 128-entry mailboxes limit a 256 KiB window
 * (see LWIP-NOTES.md).
 */
#ifndef BN_BENCH_MBOX_LWIPOPTS_H
#define BN_BENCH_MBOX_LWIPOPTS_H

#include "../../../stack/boards/generic/lwipopts.h"

#undef  LWIP_TCPIP_CORE_LOCKING_INPUT
#define LWIP_TCPIP_CORE_LOCKING_INPUT 0

#endif /* BN_BENCH_MBOX_LWIPOPTS_H */
