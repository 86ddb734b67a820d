/*
 * The lwIP options every MicroPython port on lwIP's raw API shares:
 * micropython/micropython extmod/lwip-include/lwipopts_common.h, which the
 * ports' own lwip_inc/lwipopts.h include (read at v1.28.0 and master
 * 1c3c2011, where the values below are the same). Included by the profiles
 * of boards running MicroPython on that file (rp2-pico-w, stm32) after
 * their own options, and before ../bn_lwipopts_runtime.h. What a port sets
 * itself, and what lwIP's defaults give, stays in the board's lwipopts.h.
 *
 * Not mirrored: NO_SYS 1, SYS_LIGHTWEIGHT_PROT with empty SYS_ARCH_PROTECT,
 * LWIP_NETCONN 0 (boardnet runs lwIP hosted, on netconns:
 * ../bn_lwipopts_runtime.h), LWIP_MDNS_RESPONDER 1 and
 * LWIP_NUM_NETIF_CLIENT_DATA (lwIP's mDNS app, which boardnet does not
 * build), PPP, LWIP_TESTMODE.
 */
#ifndef BN_MICROPYTHON_LWIPOPTS_COMMON_H
#define BN_MICROPYTHON_LWIPOPTS_COMMON_H

/* MEM_ALIGNMENT 4 (MicroPython's boards are 32-bit). boardnet: on a 64-bit
 * host, pbufs and pool elements hold 8-byte pointers, so 4-byte alignment
 * would be undefined behaviour (and trips -fsanitize=alignment); use the
 * pointer size there. */
#if defined(__SIZEOF_POINTER__) && __SIZEOF_POINTER__ > 4
#define MEM_ALIGNMENT                   8
#else
#define MEM_ALIGNMENT                   4
#endif

/* The "#if 1" block ("lwIP takes 26700 bytes; TCP dl/ul are around 750/600
 * k/s on local network"). The heap (PBUF_RAM: TCP send data, ARP queues):
 * over lwIP's loopback netif, each delivered packet is also a PBUF_RAM copy
 * from it (a board receives into PBUF_POOL) and both endpoints share it, so
 * loopback transfers run short of heap long before a real link would. */
#define MEM_SIZE                        (8000)
#define TCP_MSS                         (800)
#define TCP_WND                         (8 * TCP_MSS)
#define TCP_SND_BUF                     (8 * TCP_MSS)
#define MEMP_NUM_TCP_SEG                (32)
/* Not set by MicroPython: lwIP's default formula (src/include/lwip/opt.h),
 * (4 * 6400 + 799) / 800 = 32. init.c's checks hold with these values:
 * 32 >= 2 * (6400 / 800), MEMP_NUM_TCP_SEG 32 >= 32, TCP_WND 6400 <= 0xffff,
 * and the default TCP_SNDLOWAT (3200) < TCP_SND_BUF and TCP_SNDQUEUELOWAT
 * (16) < 32. */
#define TCP_SND_QUEUELEN                ((4 * (TCP_SND_BUF) + (TCP_MSS - 1)) / (TCP_MSS))
#define TCP_LISTEN_BACKLOG              1
#define SO_REUSE                        1   /* boardnet needs it too */

/* (4 + LWIP_MDNS_RESPONDER), the responder being on (1). boardnet does not
 * build lwIP's mDNS app, so that pcb is free here; DHCP and DNS each take
 * one UDP pcb on both. */
#define MEMP_NUM_UDP_PCB                (4 + 1)

#define LWIP_ARP                        1
#define LWIP_ETHERNET                   1
#define LWIP_RAW                        1
#define LWIP_IGMP                       1
#define LWIP_DHCP                       1
/* lwIP 2.2 options MicroPython sets; 2.1.3 does not know them (no effect). */
#define LWIP_DHCP_CHECK_LINK_UP         1
#define LWIP_DHCP_DOES_ACD_CHECK        0   /* "to speed DHCP up" */
/* boardnet: lwIP 2.1.3's name for that address-conflict check. */
#define DHCP_DOES_ARP_CHECK             0
#define LWIP_DNS                        1
#define LWIP_DNS_SUPPORT_MDNS_QUERIES   1

#define LWIP_CHKSUM_ALGORITHM           3
#define LWIP_CHECKSUM_CTRL_PER_NETIF    1
#define LWIP_NETIF_HOSTNAME             1
#define LWIP_STATS                      0
#define LWIP_SOCKET                     0

#endif /* BN_MICROPYTHON_LWIPOPTS_COMMON_H */
