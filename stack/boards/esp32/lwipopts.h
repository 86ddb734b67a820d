/*
 * Board profile "esp32": lwIP configured as ESP-IDF configures it by default
 * for an ESP32 WiFi station, in the build MicroPython's esp32 port makes
 * (board ESP32_GENERIC), so that a boardnet process has the board's windows,
 * MSS, socket and pcb limits, mailboxes, timers and checks.
 *
 * Sources:
 *   K  espressif/esp-idf v5.5.2 components/lwip/Kconfig (CONFIG_LWIP_* defaults)
 *   O  espressif/esp-idf v5.5.2 components/lwip/port/include/lwipopts.h
 *      (how each CONFIG_LWIP_* becomes an lwIP option)
 *   B  micropython/micropython ports/esp32/boards/sdkconfig.base (the
 *      port's overrides; ESP32_GENERIC adds sdkconfig.ble and .csi, which set
 *      no lwIP option)
 *   W  espressif/esp-idf v5.5.2 components/esp_wifi/Kconfig (WiFi driver buffers)
 *   N  espressif/esp-idf v5.5.2 components/esp_netif/lwip/netif/wlanif.c
 *   opt.h  lwIP's src/include/lwip/opt.h: options neither IDF nor MicroPython
 *      sets (lwIP 2.1.3, 2.2.0 and 2.2.1 agree on every one used here)
 * ESP-IDF v5.5.2 is what MicroPython's esp32 port builds with
 * (ports/esp32/README.md: "current recommended version of ESP-IDF for
 * MicroPython is v5.5.2"; .github/workflows/ports_esp32.yml IDF_NEWEST_VER);
 * v5.5.1 differs only in an IPv6 router-information option.
 *
 * Lines marked "boardnet:" differ from the board. ESP-IDF runs Espressif's
 * fork of lwIP 2.2.0 (esp-lwip) on FreeRTOS, with the BSD socket API on
 * netconns (MicroPython's ports/esp32/modsocket.c calls lwip_socket(),
 * lwip_recvfrom() ...); boardnet runs lwIP 2.1.3 with its own netconn-based
 * usocket. Not mirrored, as lwIP 2.1.3 has no such option: the initial
 * retransmission timeout (CONFIG_LWIP_TCP_RTO_TIME 1500 ms on the board,
 * fixed at 3000 ms in lwIP 2.1.3's tcp_alloc()), esp-lwip's DHCP retry
 * sequence (O: DHCP_REQUEST_BACKOFF_SEQUENCE, 0.5/1/2/4 s), its gratuitous
 * ARP every 60 s (CONFIG_LWIP_ESP_GRATUITOUS_ARP) and its on-demand timers.
 */
#ifndef BN_BOARD_ESP32_LWIPOPTS_H
#define BN_BOARD_ESP32_LWIPOPTS_H

/* ---- boardnet identity ----------------------------------------------------- */

#define BN_BOARD_NAME          "esp32"
#define BN_BOARD_DESCRIPTION   "ESP32 WiFi station (MicroPython esp32 port, ESP-IDF v5.5.2 lwIP defaults)"
/* 24:0A:C4 is one of the MA-L blocks registered to Espressif Inc. in the IEEE
 * registry (https://standards-oui.ieee.org/oui/oui.txt); ESP-IDF's own
 * example boot log shows an ESP32 station MAC under it
 * (docs/en/get-started/esp32_output_log.inc: "MAC: 24:0a:c4:05:b9:14").
 * The board's MAC is factory-programmed in eFuse. */
#define BN_BOARD_OUI           0x240ac4UL
/* micropython ports/esp32/mpconfigport.h: MICROPY_PY_NETWORK_HOSTNAME_DEFAULT
 * "mpy-esp32", set on the station interface at connect()
 * (ports/esp32/network_wlan.c); ESP-IDF's own default, K
 * CONFIG_LWIP_LOCAL_HOSTNAME "espressif", is replaced by it. */
#define BN_BOARD_HOSTNAME      "mpy-esp32"

/* ---- memory ------------------------------------------------------------------ */

/* boardnet: 8-byte pointers on the host (the ESP32's Xtensa LX6 is 32-bit,
 * MEM_ALIGNMENT 4 in O). */
#if defined(__SIZEOF_POINTER__) && __SIZEOF_POINTER__ > 4
#define MEM_ALIGNMENT                   8
#else
#define MEM_ALIGNMENT                   4   /* O */
#endif
/* lwIP's heap is the C library's (O: MEM_LIBC_MALLOC 1): TCP send data and
 * PBUF_RAM come from the ESP32's heap, with no MEM_SIZE of lwIP's own. */
#define MEM_LIBC_MALLOC                 1   /* O */
/* The board allocates its pools from the heap too (O: MEMP_MEM_MALLOC 1),
 * with two hard limits: sockets (a static table of CONFIG_LWIP_MAX_SOCKETS)
 * and active TCP pcbs (K: LWIP_MAX_ACTIVE_TCP "except for preventing new TCP
 * connections after the limit is reached"). boardnet: static pools with
 * those limits and the Kconfig counts (so that exhausting a pool, and
 * boardnet's pool faults, behave as on a board with fixed pools); pools the
 * board sizes by its heap alone are sized to never run out first. */
#define MEMP_MEM_MALLOC                 0

/* Receive: the WiFi netif hands lwIP pbufs that wrap the driver's receive
 * buffers, a whole frame each (N: esp_pbuf_allocate(); no copy unless
 * CONFIG_LWIP_L2_TO_L3_COPY, default n in K); the driver has
 * ESP_WIFI_DYNAMIC_RX_BUFFER_NUM 32 of them (W), so at most 32 received
 * frames are held at once. boardnet: 32 pool pbufs of a full frame each. */
#define PBUF_POOL_SIZE                  32  /* W: ESP_WIFI_DYNAMIC_RX_BUFFER_NUM */
#define PBUF_POOL_BUFSIZE               LWIP_MEM_ALIGN_SIZE(1536)

/* ---- TCP --------------------------------------------------------------------- */

#define TCP_MSS                         1440   /* O: CONFIG_LWIP_TCP_MSS, K default 1440 */
#define TCP_WND                         5760   /* O: CONFIG_LWIP_TCP_WND_DEFAULT, K default 5760 */
#define TCP_SND_BUF                     5760   /* O: CONFIG_LWIP_TCP_SND_BUF_DEFAULT, K default 5760 */
#define LWIP_WND_SCALE                  0      /* O, K: LWIP_WND_SCALE needs PSRAM allocation */
/* Not set by IDF: lwIP's formula (opt.h), (4 * 5760 + 1439) / 1440 = 16. */
#define TCP_SND_QUEUELEN                ((4 * (TCP_SND_BUF) + (TCP_MSS - 1)) / (TCP_MSS))
#define TCP_QUEUE_OOSEQ                 1      /* O: CONFIG_LWIP_TCP_QUEUE_OOSEQ, K default y */
#define TCP_OOSEQ_MAX_PBUFS             4      /* O: CONFIG_LWIP_TCP_OOSEQ_MAX_PBUFS, K default 4 */
#define LWIP_TCP_SACK_OUT               0      /* O: CONFIG_LWIP_TCP_SACK_OUT, K default n */
#define TCP_MAXRTX                      12     /* O: CONFIG_LWIP_TCP_MAXRTX, K default 12 */
/* K: default 12 with CONFIG_LWIP_TCP_HIGH_SPEED_RETRANSMISSION, itself default y. */
#define TCP_SYNMAXRTX                   12     /* O: CONFIG_LWIP_TCP_SYNMAXRTX */
#define TCP_MSL                         60000UL /* O: CONFIG_LWIP_TCP_MSL, K default 60000: TIME_WAIT 120 s */
/* O: CONFIG_LWIP_TCP_FIN_WAIT_TIMEOUT, K default 20000 ms, and esp-lwip's
 * TCP_OOSEQ_TIMEOUT 6 RTOs: lwIP 2.1.3's fixed values (tcp_priv.h) are the same. */
#define TCP_TMR_INTERVAL                250    /* O: CONFIG_LWIP_TCP_TMR_INTERVAL, K default 250 */
#define TCP_OVERSIZE                    TCP_MSS /* O, K: choice LWIP_TCP_OVERSIZE_MSS */
#define TCP_LISTEN_BACKLOG              1      /* O */
/* boardnet: segments come from the board's heap (MEMP_MEM_MALLOC); a pool
 * holding every connection's send queue and out-of-order pbufs at once. */
#define MEMP_NUM_TCP_SEG                (MEMP_NUM_TCP_PCB * (TCP_SND_QUEUELEN + TCP_OOSEQ_MAX_PBUFS))

/* ---- sockets (pcbs) ------------------------------------------------------------ */

/* MicroPython's sockets are lwIP sockets, one netconn each, at most
 * CONFIG_LWIP_MAX_SOCKETS of them (lwIP's static sockets[NUM_SOCKETS]). */
#define MEMP_NUM_NETCONN                10  /* O: CONFIG_LWIP_MAX_SOCKETS, K default 10 */
/* B: CONFIG_LWIP_MAX_ACTIVE_TCP=12 ("Further limit total sockets in
 * TIME-WAIT when there are many short-lived connections"; K default 16). */
#define MEMP_NUM_TCP_PCB                12
#define MEMP_NUM_TCP_PCB_LISTEN         16  /* O: CONFIG_LWIP_MAX_LISTENING_TCP, K default 16 */
#define MEMP_NUM_UDP_PCB                16  /* O: CONFIG_LWIP_MAX_UDP_PCBS, K default 16 */
#define MEMP_NUM_RAW_PCB                16  /* O: CONFIG_LWIP_MAX_RAW_PCBS, K default 16 */
/* boardnet: netbufs carry received UDP/raw datagrams to netconns: one per
 * receive buffer; pbufs referencing data (PBUF_REF/ROM), heap-allocated on
 * the board: room for every connection's send queue. */
#define MEMP_NUM_NETBUF                 PBUF_POOL_SIZE
#define MEMP_NUM_PBUF                   (MEMP_NUM_TCP_PCB * TCP_SND_QUEUELEN)
#define SO_REUSE                        1   /* O: CONFIG_LWIP_SO_REUSE, K default y */
#define SO_REUSE_RXTOALL                1   /* O: CONFIG_LWIP_SO_REUSE_RXTOALL, K default y */

/* Mailboxes (boardnet's sys_arch gives each the size asked for). */
#define TCPIP_MBOX_SIZE                 32  /* O: CONFIG_LWIP_TCPIP_RECVMBOX_SIZE, K default 32 */
#define DEFAULT_TCP_RECVMBOX_SIZE       6   /* O: CONFIG_LWIP_TCP_RECVMBOX_SIZE, K default 6 */
#define DEFAULT_UDP_RECVMBOX_SIZE       6   /* O: CONFIG_LWIP_UDP_RECVMBOX_SIZE, K default 6 */
#define DEFAULT_RAW_RECVMBOX_SIZE       6   /* O */
#define DEFAULT_ACCEPTMBOX_SIZE         6   /* O: CONFIG_LWIP_TCP_ACCEPTMBOX_SIZE, K default 6 */
/* boardnet: frames are fed to lwIP under the core lock, not through the
 * tcpip mailbox; these messages carry the application's API calls. */
#define MEMP_NUM_TCPIP_MSG_INPKT        TCPIP_MBOX_SIZE

/* ---- protocols ------------------------------------------------------------------ */

#define LWIP_IPV4                       1   /* O, K: CONFIG_LWIP_IPV4 default y */
/* K: CONFIG_LWIP_IPV6 default y, not changed by MicroPython; boardnet's
 * addressing and tests are IPv4 (the board sends its link-local traffic). */
#define LWIP_IPV6                       1
#define LWIP_IPV6_NUM_ADDRESSES         3   /* O: CONFIG_LWIP_IPV6_NUM_ADDRESSES, K default 3 */
#define IP_FRAG                         1   /* O: CONFIG_LWIP_IP4_FRAG, K default y */
/* The board does not reassemble IPv4 fragments: a fragmented datagram is
 * dropped (K: CONFIG_LWIP_IP4_REASSEMBLY default n). */
#define IP_REASSEMBLY                   0
#define IP_DEFAULT_TTL                  64  /* O: CONFIG_LWIP_IP_DEFAULT_TTL, K default 64 */
#define LWIP_ARP                        1
#define ARP_TABLE_SIZE                  10  /* opt.h default (IDF leaves it) */
#define ARP_QUEUEING                    1   /* O */
#define LWIP_ICMP                       1
#define LWIP_UDP                        1
#define LWIP_TCP                        1
#define LWIP_IGMP                       1   /* O */
#define LWIP_DHCP                       1   /* O (with IPv4) */
/* K: choice LWIP_DHCP_CHECKS_OFFERED_ADDRESS, default LWIP_DHCP_DOES_ARP_CHECK:
 * the board probes an offered address with ARP before it takes it ("lasts 1 -
 * 2 seconds"). lwIP 2.1.3's option of that name does the same. */
#define DHCP_DOES_ARP_CHECK             1
#define LWIP_DHCP_GET_NTP_SRV           0   /* O: CONFIG_LWIP_DHCP_GET_NTP_SRV, K default n */
#define LWIP_DNS                        1   /* O */
#define DNS_MAX_SERVERS                 3   /* O: CONFIG_LWIP_DNS_MAX_SERVERS, K default 3 */
#define DNS_TABLE_SIZE                  4   /* opt.h default (IDF leaves it) */
#define LWIP_DNS_SUPPORT_MDNS_QUERIES   1   /* O: CONFIG_LWIP_DNS_SUPPORT_MDNS_QUERIES, K default y */

/* ---- checksums --------------------------------------------------------------------- */

/* IDF checks received IP and UDP checksums only when asked (K:
 * CONFIG_LWIP_CHECKSUM_CHECK_IP and _UDP default n, _ICMP default y; TCP is
 * lwIP's default, checked). Every outgoing checksum is computed. */
#define CHECKSUM_CHECK_IP               0
#define CHECKSUM_CHECK_UDP              0
#define CHECKSUM_CHECK_ICMP             1
#define CHECKSUM_CHECK_TCP              1
#define CHECKSUM_GEN_IP                 1
#define CHECKSUM_GEN_UDP                1
#define CHECKSUM_GEN_TCP                1
#define CHECKSUM_GEN_ICMP               1

/* ---- netif ------------------------------------------------------------------------------ */

#define LWIP_NETIF_HOSTNAME             1   /* O */
#define LWIP_NETIF_TX_SINGLE_PBUF       1   /* O */
/* O: LWIP_NETIF_LOOPBACK and LWIP_HAVE_LOOPIF 1 (K CONFIG_LWIP_NETIF_LOOPBACK
 * default y), LWIP_LOOPBACK_MAX_PBUFS 8 (K default 8). boardnet: an unbounded
 * loopback queue (0), as every profile (the unit tests run over loopback). */
#define LWIP_NETIF_LOOPBACK             1
#define LWIP_HAVE_LOOPIF                1

/* ---- boardnet: the hosted runtime ------------------------------------------------------- */

/* boardnet: the board's tcpip thread is FreeRTOS task "tiT" (priority 18,
 * 3072-byte stack) without core locking (O: LWIP_TCPIP_CORE_LOCKING 0);
 * boardnet's is a pthread with core locking (../bn_lwipopts_runtime.h). The
 * board's LWIP_RAND() is esp_random(); boardnet's is seeded (--seed). */

#include "../bn_lwipopts_runtime.h"

#endif /* BN_BOARD_ESP32_LWIPOPTS_H */
