/*
 * Board profile "stm32": lwIP configured as MicroPython's stm32 port
 * configures it on an STM32 board with Ethernet, the NUCLEO-F767ZI (STM32F767,
 * RMII to a LAN8742 PHY), so that a boardnet process has the board's memory,
 * pools, windows and socket limits.
 *
 * Sources (repository micropython/micropython, read at v1.28.0 and master
 * 1c3c2011, which agree on every value here, unless stated otherwise):
 *   ports/stm32/lwip_inc/lwipopts.h         the port's lwIP options; it includes
 *   extmod/lwip-include/lwipopts_common.h   options shared by MicroPython ports
 *                                           (../micropython_lwipopts_common.h)
 *   ports/stm32/eth.c                       the Ethernet netif and its DMA rings
 *   ports/stm32/mpconfigport.h              the default hostname
 *   ports/stm32/mphalport.c                 the MAC address
 *   ports/stm32/boards/NUCLEO_F767ZI/       the board (MICROPY_PY_LWIP 1, RMII pins)
 * MicroPython builds lwIP 2.2.1 (lib/lwip at STABLE-2_2_1_RELEASE); an option
 * it leaves alone takes lwIP's default, the same in 2.1.3 for every option
 * here, cited as lwIP's src/include/lwip/opt.h.
 *
 * Lines marked "boardnet:" differ from the board: boardnet runs lwIP 2.1.3 in
 * a Linux process (contrib unix port, a tcpip thread, core locking, the
 * netconn API), where the board runs lwIP bare-metal (NO_SYS 1, raw API,
 * lwIP's timers from the SysTick's PendSV dispatch every 128 ms: ports/stm32/
 * mpnetworkport.c). Not mirrored: the DNS server 8.8.8.8 eth.c sets until
 * DHCP gives one (a board in boardnet only talks to the addresses it is
 * given).
 */
#ifndef BN_BOARD_STM32_LWIPOPTS_H
#define BN_BOARD_STM32_LWIPOPTS_H

/* ---- boardnet identity ----------------------------------------------------- */

#define BN_BOARD_NAME          "stm32"
#define BN_BOARD_DESCRIPTION   "NUCLEO-F767ZI Ethernet (MicroPython stm32 port, LAN8742 PHY)"
/* ports/stm32/mphalport.c mp_hal_generate_laa_mac(): a locally administered
 * address, 0x02 then five bytes from the chip's 96-bit unique ID, the last
 * one's low two bits the interface index (MP_HAL_MAC_ETH0 = 3). boardnet
 * derives the five bytes from the TAP's name instead (stack/bn_config.c). */
#define BN_BOARD_MAC_LAA_INDEX 3
/* ports/stm32/mpconfigport.h: MICROPY_PY_NETWORK_HOSTNAME_DEFAULT "mpy-stm32"
 * (the NUCLEO-F767ZI sets none of its own; the PYBD boards say "PYBD"). */
#define BN_BOARD_HOSTNAME      "mpy-stm32"

/* ---- memory ------------------------------------------------------------------ */

/* MEM_ALIGNMENT, MEM_SIZE 8000, TCP_MSS 800, TCP_WND and TCP_SND_BUF 6400,
 * MEMP_NUM_TCP_SEG 32, MEMP_NUM_UDP_PCB 5, DHCP, DNS, IGMP, checksums
 * (algorithm 3): extmod/lwip-include/lwipopts_common.h. */
#include "../micropython_lwipopts_common.h"

/* Receive pool: eth.c copies every received frame into PBUF_POOL pbufs
 * (pbuf_alloc(PBUF_RAW, len, PBUF_POOL)); MicroPython sets neither value, so
 * both are lwIP's defaults: 16 pbufs of TCP_MSS + 20 + 20 + 14 bytes
 * (IPv4 only), a full frame taking two. */
#define PBUF_POOL_SIZE                  16  /* lwIP default, src/include/lwip/opt.h */
#define PBUF_POOL_BUFSIZE               LWIP_MEM_ALIGN_SIZE(TCP_MSS + 20 + 20 + PBUF_LINK_ENCAPSULATION_HLEN + PBUF_LINK_HLEN)

/* ---- sockets (pcbs) ------------------------------------------------------------ */

/* MicroPython's sockets are raw-API pcbs (extmod/modlwip.c), so the pcb
 * pools are the board's socket limits; MicroPython sets none but UDP's. */
#define MEMP_NUM_TCP_PCB                5   /* lwIP default, src/include/lwip/opt.h */
#define MEMP_NUM_TCP_PCB_LISTEN         8   /* lwIP default, src/include/lwip/opt.h */
#define MEMP_NUM_RAW_PCB                4   /* lwIP default, src/include/lwip/opt.h */
/* boardnet: one netconn per socket, as many sockets as pcbs (5 + 8 + 5 + 4). */
#define MEMP_NUM_NETCONN                (MEMP_NUM_TCP_PCB + MEMP_NUM_TCP_PCB_LISTEN + MEMP_NUM_UDP_PCB + MEMP_NUM_RAW_PCB)
/* boardnet: netbufs carry received UDP/raw datagrams to netconns; one per pool pbuf. */
#define MEMP_NUM_NETBUF                 PBUF_POOL_SIZE

/* ---- protocols ------------------------------------------------------------------ */

#define LWIP_IPV4                       1   /* lwIP default */
/* IPv4 only: lwIP's default (v1.28.0's ports/stm32/lwip_inc/lwipopts.h said
 * so explicitly, LWIP_IPV6 0; master drops the redundant line). */
#define LWIP_IPV6                       0
#define LWIP_ICMP                       1   /* lwIP default; boardnet: required */
#define LWIP_UDP                        1   /* lwIP default; boardnet: required */
#define LWIP_TCP                        1   /* lwIP default; boardnet: required */
#define IP_REASSEMBLY                   1   /* lwIP default, src/include/lwip/opt.h */
#define IP_FRAG                         1   /* lwIP default */
#define IP_REASS_MAX_PBUFS              10  /* lwIP default (below PBUF_POOL_SIZE) */
#define IP_DEFAULT_TTL                  255 /* lwIP default */
#define ARP_TABLE_SIZE                  10  /* lwIP default */
#define TCP_QUEUE_OOSEQ                 1   /* lwIP default (LWIP_TCP) */
#define LWIP_TCP_SACK_OUT               0   /* lwIP default */
#define TCP_MAXRTX                      12  /* lwIP default */
#define TCP_SYNMAXRTX                   6   /* lwIP default */
#define DNS_MAX_SERVERS                 2   /* lwIP default */
#define DNS_TABLE_SIZE                  4   /* lwIP default */

/* ---- checksums --------------------------------------------------------------------- */

/* eth.c keeps only the receive checks on for its netif
 * (NETIF_SET_CHECKSUM_CTRL(netif, NETIF_CHECKSUM_CHECK_IP | ..._UDP | ..._TCP
 * | ..._ICMP | ..._ICMP6): "Checksums only need to be checked on incoming
 * frames, not computed on outgoing frames"): the F767's Ethernet MAC inserts
 * outgoing checksums in hardware. boardnet: lwIP computes them (the same
 * bytes on the wire); every check is made as on the board. */
#define CHECKSUM_GEN_IP                 1
#define CHECKSUM_GEN_UDP                1
#define CHECKSUM_GEN_TCP                1
#define CHECKSUM_GEN_ICMP               1
#define CHECKSUM_CHECK_IP               1
#define CHECKSUM_CHECK_UDP              1
#define CHECKSUM_CHECK_TCP              1
#define CHECKSUM_CHECK_ICMP             1

/* ---- netif --------------------------------------------------------------------------- */

#define LWIP_NETIF_EXT_STATUS_CALLBACK  1   /* ports/stm32/lwip_inc/lwipopts.h */

/* ---- boardnet: the hosted runtime ------------------------------------------------------- */

/* boardnet: mailboxes of the tcpip thread and of netconns (boardnet's
 * sys_arch gives each the size asked for): what the board's pools could
 * fill, 8 segments per window, 16 pool pbufs. */
#define TCPIP_MBOX_SIZE                 128
#define MEMP_NUM_TCPIP_MSG_INPKT        128
#define DEFAULT_TCP_RECVMBOX_SIZE       16
#define DEFAULT_UDP_RECVMBOX_SIZE       16
#define DEFAULT_RAW_RECVMBOX_SIZE       16
#define DEFAULT_ACCEPTMBOX_SIZE         16

/* boardnet: lwIP's keepalive (0 on the board), loopback (0 on the board:
 * the unit tests run over it), LWIP_RAND() seeded by --seed (the board:
 * mp_hal_get_hw_random_u32(), the RNG) come from ../bn_lwipopts_runtime.h. */
#include "../bn_lwipopts_runtime.h"

#endif /* BN_BOARD_STM32_LWIPOPTS_H */
