/*
 * Board profile "generic": a roomy board with no real counterpart, sized so
 * that the link, not lwIP's configuration, limits a transfer on a laptop.
 * Large windows with window scaling, many sockets, generous pools. Values are
 * boardnet's own choices; each says why.
 */
#ifndef BN_BOARD_GENERIC_LWIPOPTS_H
#define BN_BOARD_GENERIC_LWIPOPTS_H

#define BN_BOARD_NAME          "generic"
#define BN_BOARD_DESCRIPTION   "roomy generic board: 256 KiB windows, window scaling, 64 sockets (at most 32 TCP connections)"
/* Locally administered unicast prefix 02:b0:4e (boardnet's own, not an IEEE OUI). */
#define BN_BOARD_OUI           0x02b04eUL
#define BN_BOARD_HOSTNAME      "boardnet"

/* Heap for TCP send data and PBUF_RAM: 2 MiB covers several full send buffers. */
#define MEM_ALIGNMENT          8
#define MEM_SIZE               (2 * 1024 * 1024)

/* Ethernet MTU 1500: MSS 1460. */
#define TCP_MSS                1460
/* 256 KiB windows need window scaling (TCP_RCV_SCALE 3: 8 KiB * 2^3 units). */
#define LWIP_WND_SCALE         1
#define TCP_RCV_SCALE          3
#define TCP_WND                (256 * 1024)
#define TCP_SND_BUF            (256 * 1024)
/* Announce a reopened window once a quarter of it is free again, not every
 * 4 MSS (lwIP's default caps TCP_WND / 4 at 4 * TCP_MSS, sized for small
 * windows): with 256 KiB the window hardly ever limits the sender, so
 * frequent window updates only cost frames on both sides. A roomy board with
 * this window would set it alike (Linux, too, reopens in large steps). */
#define TCP_WND_UPDATE_THRESHOLD (TCP_WND / 4)
/* init.c's sanity check fails on the default with TCP_SND_BUF >= 128 KiB. */
#define TCP_SNDLOWAT           (0xFFFF - 4 * TCP_MSS - 1)
#define TCP_SND_QUEUELEN       (4 * TCP_SND_BUF / TCP_MSS)
#define MEMP_NUM_TCP_SEG       (2 * TCP_SND_QUEUELEN)
#define TCP_QUEUE_OOSEQ        1
#define LWIP_TCP_SACK_OUT      1
#define TCP_OVERSIZE           TCP_MSS
#define TCP_LISTEN_BACKLOG     1

/* Receive pool: a full window of MSS-sized frames, twice over (ooseq + queued). */
#define PBUF_POOL_SIZE         512
#define PBUF_POOL_BUFSIZE      LWIP_MEM_ALIGN_SIZE(TCP_MSS + 40 + PBUF_LINK_ENCAPSULATION_HLEN + PBUF_LINK_HLEN)

/* 64 sockets (netconns) of any kind, within these pcb pools: at most 32 TCP
 * connections, 16 listeners, 16 UDP and 4 raw sockets. */
#define MEMP_NUM_TCP_PCB        32
#define MEMP_NUM_TCP_PCB_LISTEN 16
#define MEMP_NUM_UDP_PCB        16
#define MEMP_NUM_RAW_PCB        4
#define MEMP_NUM_NETCONN        64
#define MEMP_NUM_NETBUF         128
#define MEMP_NUM_PBUF           256
#define MEMP_NUM_REASSDATA      8
#define MEMP_NUM_ARP_QUEUE      64
#define MEMP_NUM_IGMP_GROUP     16

/* Mailboxes sized to a window of segments: with boardnet's own sys_arch these
 * sizes are honoured (the unix port's fixes all at 128, see LWIP-NOTES.md). */
#define TCPIP_MBOX_SIZE             1024
#define MEMP_NUM_TCPIP_MSG_INPKT    1024
#define MEMP_NUM_TCPIP_MSG_API      64
#define DEFAULT_TCP_RECVMBOX_SIZE   1024
#define DEFAULT_UDP_RECVMBOX_SIZE   128
#define DEFAULT_RAW_RECVMBOX_SIZE   32
/* A listener's queue holds at most one entry per TCP pcb (the backlog is
 * capped by the pool), plus the markers lwIP posts for connections it had to
 * abort (out of pcbs): room for as many again, so that a flood of refused SYNs
 * does not make lwIP reset the next real connection. */
#define DEFAULT_ACCEPTMBOX_SIZE     (2 * MEMP_NUM_TCP_PCB)

#define LWIP_IPV4              1
#define LWIP_IPV6              0
#define LWIP_ARP               1
#define ARP_TABLE_SIZE         32
#define ARP_QUEUEING           1
#define LWIP_ICMP              1
#define LWIP_UDP               1
#define LWIP_TCP               1
#define LWIP_IGMP              1
#define LWIP_DHCP              1
#define LWIP_DHCP_DOES_ACD_CHECK 0
#define LWIP_DNS               1
#define DNS_MAX_SERVERS        2
#define DNS_TABLE_SIZE         8
#define IP_REASSEMBLY          1
#define IP_FRAG                1
#define LWIP_CHECKSUM_ON_COPY  1

#include "../bn_lwipopts_runtime.h"

#endif /* BN_BOARD_GENERIC_LWIPOPTS_H */
