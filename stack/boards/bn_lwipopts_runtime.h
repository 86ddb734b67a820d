/*
 * The part of every board profile that comes from boardnet, not from the board:
 * lwIP runs in a Linux process with a tcpip thread, core locking and the
 * sequential (netconn) API. Each boards/<board>/lwipopts.h sets the board's own
 * values first and includes this file last; options set here are the ones a
 * hosted lwIP needs whatever board it emulates.
 */
#ifndef BN_LWIPOPTS_RUNTIME_H
#define BN_LWIPOPTS_RUNTIME_H

/* An OS with threads: the tcpip thread plus the application's threads. */
#define NO_SYS                          0
#define LWIP_TCPIP_CORE_LOCKING         1
/* Received frames are fed to lwIP under the core lock by the netif's rx thread
 * (in batches), never through the tcpip thread's mailbox. */
#define LWIP_TCPIP_CORE_LOCKING_INPUT   1
#define LWIP_NETCONN                    1
#define LWIP_SOCKET                     0
#define LWIP_NETIF_API                  1
#define LWIP_NETIF_STATUS_CALLBACK      1
#define LWIP_NETIF_LINK_CALLBACK        1
#define LWIP_NETIF_HOSTNAME             1
#define LWIP_SO_RCVTIMEO                1
#define LWIP_SO_SNDTIMEO                1
#define LWIP_SO_RCVBUF                  1
#define LWIP_SO_LINGER                  0
#define LWIP_TCP_KEEPALIVE              1
#define LWIP_RAW                        1
#ifndef SO_REUSE
#define SO_REUSE                        1
#endif

/* No LWIP_NETCONN_FULLDUPLEX. It lets threads block inside one netconn's
 * mailboxes while another closes it; usocket never blocks inside lwIP (every
 * netconn is non-blocking, its waits are its own) and closes a netconn only
 * once no call is in progress on it, so it does not need it. And lwIP 2.1.3
 * (and upstream master, 2026) with full duplex asserts "netconn marked
 * closed" in netconn_drain() when accept_function() finds a listener's accept
 * mailbox full and frees the new netconn: a connection flood against a full
 * board aborted the process (test_flood.sh). Without it that path frees the
 * netconn cleanly and lwIP resets the connection.
 * A semaphore per thread (stack/port/bn_thread_sem.c) keeps API calls of
 * different threads on one netconn from sharing its op_completed semaphore. */
#define LWIP_NETCONN_FULLDUPLEX         0
#define LWIP_NETCONN_SEM_PER_THREAD     1
#ifndef __ASSEMBLER__
struct sys_sem;
struct sys_sem **bn_thread_sem_get(void);
void bn_thread_sem_alloc(void);
void bn_thread_sem_free(void);
#endif
#define LWIP_NETCONN_THREAD_SEM_GET()   bn_thread_sem_get()
#define LWIP_NETCONN_THREAD_SEM_ALLOC() bn_thread_sem_alloc()
#define LWIP_NETCONN_THREAD_SEM_FREE()  bn_thread_sem_free()

/* Let lwIP assert who holds the core (functions of the sys_arch in use). */
#ifndef __ASSEMBLER__
void sys_check_core_locking(void);
void sys_mark_tcpip_thread(void);
void sys_lock_tcpip_core(void);
void sys_unlock_tcpip_core(void);
#endif
/* Work a thread leaves for itself until it releases the core lock (the
 * netif hands a small reply to the wire there, stack/port/bn_sys_arch.c). */
#ifndef __ASSEMBLER__
typedef enum sys_core_deferred {
  SYS_CORE_DEFERRED_ADDED,    /* fn(arg) runs at this thread's next unlock */
  SYS_CORE_DEFERRED_ALREADY,  /* it was already waiting for it: runs once */
  SYS_CORE_DEFERRED_REFUSED   /* the caller does not hold the core lock, or
                                 no room: it does the work otherwise */
} sys_core_deferred;
sys_core_deferred sys_defer_until_core_unlock(void (*fn)(void *arg), void *arg);
#endif
#define LWIP_ASSERT_CORE_LOCKED()       sys_check_core_locking()
#define LWIP_MARK_TCPIP_THREAD()        sys_mark_tcpip_thread()
#define LOCK_TCPIP_CORE()               sys_lock_tcpip_core()
#define UNLOCK_TCPIP_CORE()             sys_unlock_tcpip_core()

/* Threads are pthreads: stack sizes and priorities are the OS's business. */
#define TCPIP_THREAD_NAME               "bn-tcpip"
#define TCPIP_THREAD_STACKSIZE          0
#define TCPIP_THREAD_PRIO               1
#define DEFAULT_THREAD_STACKSIZE        0
#define DEFAULT_THREAD_PRIO             1

/* The unit tests talk to the stack over lwIP's own loopback interface. */
#define LWIP_NETIF_LOOPBACK             1
#define LWIP_HAVE_LOOPIF                1
#define LWIP_LOOPBACK_MAX_PBUFS         0

#define LWIP_ETHERNET                   1
#define ETH_PAD_SIZE                    0
#ifndef LWIP_STATS  /* a board may turn statistics off, as MicroPython does */
#define LWIP_STATS                      1
#endif
#define LWIP_STATS_DISPLAY              0
#define MEMP_NUM_SYS_TIMEOUT            (LWIP_NUM_SYS_TIMEOUT_INTERNAL + 8)

/* Randomness from the board's seed (stack/port/bn_lwip_random.c): LWIP_RAND()
 * (overridden in stack/port/arch/cc.h) and TCP initial sequence numbers from
 * a stream of their own, instead of lwIP 2.1.3's tcp_next_iss(), which mixes
 * in tcp_ticks (time). */
#ifndef __ASSEMBLER__
#include <stdint.h>
uint32_t bn_lwip_tcp_isn(void);
#endif
#define LWIP_HOOK_TCP_ISN(local_ip, local_port, remote_ip, remote_port) bn_lwip_tcp_isn()

#endif /* BN_LWIPOPTS_RUNTIME_H */
