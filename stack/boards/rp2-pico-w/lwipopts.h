/*
 * Board profile "rp2-pico-w": lwIP configured as MicroPython's rp2 port
 * configures it on a Raspberry Pi Pico W (RP2040 + CYW43439 WiFi), so that a
 * boardnet process has the board's memory, pools, windows and socket limits.
 *
 * Sources (repository micropython/micropython unless stated otherwise):
 *   ports/rp2/lwip_inc/lwipopts.h           the port's lwIP options; it sets a
 *                                           few itself and includes the next
 *   extmod/lwip-include/lwipopts_common.h   options shared by MicroPython ports
 *                                           (../micropython_lwipopts_common.h)
 *   ports/rp2/mpconfigport.h                ROM level, raw sockets
 *   ports/rp2/boards/RPI_PICO_W/mpconfigboard.h  default hostname
 *   georgerobotics/cyw43-driver src/cyw43_lwip.c the WiFi netif (rx into
 *                                           PBUF_POOL, MTU 1500, checksums
 *                                           left at netif_add's "all on")
 * An option that MicroPython leaves alone takes lwIP's default; where that
 * matters for the board it is spelled out below and cited as lwIP's
 * src/include/lwip/opt.h.
 *
 * Lines marked "boardnet:" differ from the board: boardnet runs lwIP 2.1.3 in
 * a Linux process (contrib unix port, a tcpip thread, core locking, the
 * netconn API), where the board runs lwIP bare-metal (NO_SYS 1, raw API).
 */
#ifndef BN_BOARD_RP2_PICO_W_LWIPOPTS_H
#define BN_BOARD_RP2_PICO_W_LWIPOPTS_H

/* ---- boardnet identity ----------------------------------------------------- */

#define BN_BOARD_NAME          "rp2-pico-w"
#define BN_BOARD_DESCRIPTION   "Raspberry Pi Pico W (MicroPython rp2 port, CYW43439 WiFi)"
/* 28:CD:C1 is registered to Raspberry Pi Trading Ltd in the IEEE MA-L (OUI)
 * registry (https://standards-oui.ieee.org/oui/oui.txt); Pico W boards carry
 * MAC addresses under it. */
#define BN_BOARD_OUI           0x28cdc1
/* ports/rp2/boards/RPI_PICO_W/mpconfigboard.h: MICROPY_PY_NETWORK_HOSTNAME_DEFAULT
 * (ports/rp2/mpconfigport.h's fallback "mpy-rp2" is for boards without one). */
#define BN_BOARD_HOSTNAME      "PicoW"

/* ---- memory ------------------------------------------------------------------ */

/* MEM_ALIGNMENT, MEM_SIZE 8000, TCP_MSS 800, TCP_WND and TCP_SND_BUF 6400,
 * MEMP_NUM_TCP_SEG 32, MEMP_NUM_UDP_PCB 5, DHCP, DNS, IGMP, checksums
 * (algorithm 3): extmod/lwip-include/lwipopts_common.h, in ../micropython_lwipopts_common.h. */
#include "../micropython_lwipopts_common.h"

/* Receive pool: the CYW43 driver copies every received frame into PBUF_POOL
 * pbufs (georgerobotics/cyw43-driver src/cyw43_lwip.c). MicroPython sets
 * neither value, so both are lwIP's defaults (src/include/lwip/opt.h). */
#define PBUF_POOL_SIZE                  16  /* lwIP default, src/include/lwip/opt.h */
/* lwIP's default formula, TCP_MSS + PBUF_IP_HLEN + PBUF_TRANSPORT_HLEN + link
 * headers, with IPv6 on (PBUF_IP_HLEN 40, PBUF_TRANSPORT_HLEN 20): 800 + 74.
 * Spelled out because PBUF_IP_HLEN lives in lwip/pbuf.h and stack/bn_board.c
 * prints PBUF_POOL_BUFSIZE with only lwip/opt.h included. */
#define PBUF_POOL_BUFSIZE               LWIP_MEM_ALIGN_SIZE(TCP_MSS + 40 + 20 + PBUF_LINK_ENCAPSULATION_HLEN + PBUF_LINK_HLEN)

/* ---- sockets (pcbs) ------------------------------------------------------------ */

/* MicroPython's sockets are raw-API pcbs, so the pcb pools are the board's
 * socket limits. */
#define MEMP_NUM_TCP_PCB                5   /* lwIP default, src/include/lwip/opt.h */
#define MEMP_NUM_TCP_PCB_LISTEN         8   /* lwIP default, src/include/lwip/opt.h */
/* Raw sockets exist on the board: ports/rp2/mpconfigport.h sets
 * MICROPY_PY_LWIP_SOCK_RAW; LWIP_RAW 1 is in lwipopts_common.h. */
#define MEMP_NUM_RAW_PCB                4   /* lwIP default, src/include/lwip/opt.h */
/* boardnet: one netconn per socket; every pcb can back one MicroPython socket
 * (TCP, listening TCP, UDP, raw), so the board allows as many sockets as pcbs:
 * 5 + 8 + 5 + 4 = 22 (init.c requires MEMP_NUM_NETCONN <= that sum). */
#define MEMP_NUM_NETCONN                (MEMP_NUM_TCP_PCB + MEMP_NUM_TCP_PCB_LISTEN + MEMP_NUM_UDP_PCB + MEMP_NUM_RAW_PCB)
/* boardnet: netbufs carry received UDP/raw datagrams to netconns (the board's
 * raw API has none); one per pool pbuf. */
#define MEMP_NUM_NETBUF                 PBUF_POOL_SIZE

/* ---- protocols ------------------------------------------------------------------ */

#define LWIP_IPV4                       1   /* ports/rp2/lwip_inc/lwipopts.h */
/* ports/rp2/lwip_inc/lwipopts.h set LWIP_IPV6 1 (MicroPython PR #15422,
 * "Enable ipv6 per default for rp2"); the newest version leaves it to
 * extmod/lwip-include/lwipopts_common.h, which enables it at ROM level
 * "extra features", the level ports/rp2/mpconfigport.h sets. */
#define LWIP_IPV6                       1
#define LWIP_IPV6_AUTOCONFIG            1   /* extmod/lwip-include/lwipopts_common.h */
#define LWIP_IPV6_MLD                   1   /* extmod/lwip-include/lwipopts_common.h */
#define LWIP_MULTICAST_PING             1   /* extmod/lwip-include/lwipopts_common.h */
#define LWIP_ND6_NUM_DESTINATIONS       4   /* ports/rp2/lwip_inc/lwipopts.h, lwipopts_common.h */
#define LWIP_ND6_QUEUEING               0   /* ports/rp2/lwip_inc/lwipopts.h, lwipopts_common.h */

#define ETH_PAD_SIZE                    0   /* lwIP default, src/include/lwip/opt.h; boardnet: required */
#define LWIP_ICMP                       1   /* lwIP default, src/include/lwip/opt.h; boardnet: required */
#define LWIP_UDP                        1   /* lwIP default, src/include/lwip/opt.h; boardnet: required */
#define LWIP_TCP                        1   /* lwIP default, src/include/lwip/opt.h; boardnet: required */


#define DNS_MAX_SERVERS                 2   /* lwIP default, src/include/lwip/opt.h */
#define DNS_TABLE_SIZE                  4   /* lwIP default, src/include/lwip/opt.h */

/* Not mirrored: LWIP_MDNS_RESPONDER 1 and LWIP_NUM_NETIF_CLIENT_DATA
 * (lwipopts_common.h) belong to lwIP's mDNS app, which boardnet does not build;
 * PPP is off on the Pico W (MICROPY_PY_NETWORK_PPP_LWIP 0). */

/* ---- checksums --------------------------------------------------------------------- */

/* The CYW43 netif keeps netif_add's NETIF_CHECKSUM_ENABLE_ALL
 * (georgerobotics/cyw43-driver src/cyw43_lwip.c): every checksum is made
 * and checked in software, as lwIP's defaults (src/include/lwip/opt.h) say. */
#define CHECKSUM_GEN_IP                 1
#define CHECKSUM_GEN_UDP                1
#define CHECKSUM_GEN_TCP                1
#define CHECKSUM_GEN_ICMP               1
#define CHECKSUM_GEN_ICMP6              1
#define CHECKSUM_CHECK_IP               1
#define CHECKSUM_CHECK_UDP              1
#define CHECKSUM_CHECK_TCP              1
#define CHECKSUM_CHECK_ICMP             1
#define CHECKSUM_CHECK_ICMP6            1

/* ---- netif --------------------------------------------------------------------------- */

#define LWIP_NETIF_EXT_STATUS_CALLBACK  1   /* ports/rp2/lwip_inc/lwipopts.h */
#define LWIP_NETIF_STATUS_CALLBACK      1   /* ports/rp2/lwip_inc/lwipopts.h */
#define LWIP_NETIF_LINK_CALLBACK        1   /* boardnet: required (the board keeps lwIP's default 0) */
#define LWIP_NETIF_API                  1   /* boardnet: netifapi_* from application threads */
/* boardnet: the unit tests talk to the stack over lwIP's loopback netif. */
#define LWIP_NETIF_LOOPBACK             1
#define LWIP_HAVE_LOOPIF                1
#define LWIP_LOOPBACK_MAX_PBUFS         0

/* ---- statistics and debugging --------------------------------------------------------- */

/* LWIP_DEBUG stays undefined (lwIP tests it with #ifdef, so even 0 would turn
 * debugging on); LWIP_NOASSERT stays undefined: assertions are kept. */

/* ---- boardnet: the hosted runtime ------------------------------------------------------- */

/* boardnet: the board runs lwIP bare-metal with NO_SYS 1, SYS_LIGHTWEIGHT_PROT
 * with no-op SYS_ARCH_PROTECT (extmod/lwip-include/lwipopts_common.h) and
 * LWIP_RAND() from the RP2040's hardware (ports/rp2/lwip_inc/lwipopts.h:
 * get_rand_32()). boardnet has an OS with threads: SYS_ARCH_PROTECT is
 * boardnet's sys_arch's lock, and LWIP_RAND() a PRNG seeded with the board's
 * --seed (stack/port/bn_lwip_random.c), so that runs repeat. */
#define NO_SYS                          0
#define LWIP_TCPIP_CORE_LOCKING         1
/* boardnet: the netif's rx thread feeds frames to lwIP under the core lock. */
#define LWIP_TCPIP_CORE_LOCKING_INPUT   1
/* boardnet: sockets are netconns (MicroPython uses the raw API directly). */
#define LWIP_NETCONN                    1
#define LWIP_SO_RCVTIMEO                1   /* boardnet: socket timeouts */
#define LWIP_SO_SNDTIMEO                1   /* boardnet: socket timeouts */
#define LWIP_SO_RCVBUF                  1   /* boardnet: SO_RCVBUF */
#define LWIP_TCP_KEEPALIVE              1   /* boardnet: SO_KEEPALIVE (lwIP default 0 on the board) */

/* boardnet: per-thread netconn semaphores, the core-locking hooks and the
 * seeded LWIP_RAND come from ../bn_lwipopts_runtime.h, included last. */

/* boardnet: mailboxes of the tcpip thread and of netconns (boardnet's
 * sys_arch gives each the size asked for); the sizes are what the board's
 * pools could fill: 8 segments per window, 16 pool pbufs. */
#define TCPIP_MBOX_SIZE                 128
#define MEMP_NUM_TCPIP_MSG_INPKT        128
#define DEFAULT_TCP_RECVMBOX_SIZE       16
#define DEFAULT_UDP_RECVMBOX_SIZE       16
#define DEFAULT_RAW_RECVMBOX_SIZE       16
#define DEFAULT_ACCEPTMBOX_SIZE         16

/* boardnet: threads are pthreads; stack sizes and priorities are the OS's. */
#define TCPIP_THREAD_NAME               "bn-tcpip"
#define TCPIP_THREAD_STACKSIZE          0
#define TCPIP_THREAD_PRIO               1
#define DEFAULT_THREAD_STACKSIZE        0
#define DEFAULT_THREAD_PRIO             1

/* boardnet: lwIP's own timeouts plus 8 for boardnet. The board has
 * LWIP_NUM_SYS_TIMEOUT_INTERNAL + 12 (extmod/lwip-include/lwipopts_common.h:
 * 2 + 5 per IP version for the mDNS responder, which boardnet does not run). */
#define MEMP_NUM_SYS_TIMEOUT            (LWIP_NUM_SYS_TIMEOUT_INTERNAL + 8)

#include "../bn_lwipopts_runtime.h"

#endif /* BN_BOARD_RP2_PICO_W_LWIPOPTS_H */
