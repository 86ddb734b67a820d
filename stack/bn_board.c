/* Reports the board profile (lwipopts.h) this library was built with. */
#include "bn_board.h"

#include "lwip/init.h"
#include "lwip/opt.h"
#include "lwip/priv/tcp_priv.h"

#ifndef BN_SYS_ARCH_NAME
#define BN_SYS_ARCH_NAME "unknown"
#endif

const char *bn_board_name(void)
{
  return BN_BOARD_NAME;
}

const char *bn_board_description(void)
{
  return BN_BOARD_DESCRIPTION;
}

const char *bn_board_lwip_version(void)
{
  return LWIP_VERSION_STRING;
}

void bn_board_print_info(FILE *out)
{
  fprintf(out, "board:                  %s\n", BN_BOARD_NAME);
  fprintf(out, "description:            %s\n", BN_BOARD_DESCRIPTION);
  fprintf(out, "lwip:                   %s\n", LWIP_VERSION_STRING);
  fprintf(out, "sys_arch:               %s\n", BN_SYS_ARCH_NAME);
  fprintf(out, "hostname:               %s\n", BN_BOARD_HOSTNAME);
#ifdef BN_BOARD_MAC_LAA_INDEX
  fprintf(out, "MAC:                    locally administered (02:...)\n");
#else
  fprintf(out, "MAC:                    OUI %02lx:%02lx:%02lx\n", (unsigned long)(BN_BOARD_OUI >> 16) & 0xff,
          (unsigned long)(BN_BOARD_OUI >> 8) & 0xff, (unsigned long)BN_BOARD_OUI & 0xff);
#endif
  fprintf(out, "MTU:                    1500\n");
  size_t link_len;
  fprintf(out, "link:                   %s\n", bn_board_link(&link_len) ? "link.scn" : "none");
#if MEM_LIBC_MALLOC
  fprintf(out, "MEM_SIZE:               libc\n");
#else
  fprintf(out, "MEM_SIZE:               %lu\n", (unsigned long)MEM_SIZE);
#endif
  fprintf(out, "PBUF_POOL_SIZE:         %lu\n", (unsigned long)PBUF_POOL_SIZE);
  fprintf(out, "PBUF_POOL_BUFSIZE:      %lu\n", (unsigned long)PBUF_POOL_BUFSIZE);
  fprintf(out, "TCP_MSS:                %lu\n", (unsigned long)TCP_MSS);
  fprintf(out, "TCP_WND:                %lu\n", (unsigned long)TCP_WND);
  fprintf(out, "LWIP_WND_SCALE:         %d\n", LWIP_WND_SCALE);
#if LWIP_WND_SCALE
  fprintf(out, "TCP_RCV_SCALE:          %d\n", TCP_RCV_SCALE);
#endif
  fprintf(out, "TCP_SND_BUF:            %lu\n", (unsigned long)TCP_SND_BUF);
  fprintf(out, "TCP_SND_QUEUELEN:       %lu\n", (unsigned long)TCP_SND_QUEUELEN);
  fprintf(out, "sockets:                %d (TCP connections %d, TCP listeners %d, UDP %d, raw %d)\n",
          MEMP_NUM_NETCONN, MEMP_NUM_TCP_PCB, MEMP_NUM_TCP_PCB_LISTEN, MEMP_NUM_UDP_PCB,
          LWIP_RAW ? MEMP_NUM_RAW_PCB : 0);
  fprintf(out, "MEMP_NUM_TCP_PCB:       %d\n", MEMP_NUM_TCP_PCB);
  fprintf(out, "MEMP_NUM_TCP_PCB_LISTEN: %d\n", MEMP_NUM_TCP_PCB_LISTEN);
  fprintf(out, "MEMP_NUM_UDP_PCB:       %d\n", MEMP_NUM_UDP_PCB);
  fprintf(out, "MEMP_NUM_NETCONN:       %d\n", MEMP_NUM_NETCONN);
  fprintf(out, "TCP_QUEUE_OOSEQ:        %d\n", TCP_QUEUE_OOSEQ);
  fprintf(out, "LWIP_TCP_SACK_OUT:      %d\n", LWIP_TCP_SACK_OUT);
  fprintf(out, "TCP_MAXRTX:             %d\n", TCP_MAXRTX);
  fprintf(out, "TCP_SYNMAXRTX:          %d\n", TCP_SYNMAXRTX);
  /* lwIP 2.1's tcp.c: tcp_alloc() sets rto = sv = 3000 ms / TCP_SLOW_INTERVAL;
   * tcp_slowtmr() backs it off (tcp_backoff[], up to << 7) except in
   * SYN_SENT, and removes a SYN_SENT pcb once nrtx >= TCP_SYNMAXRTX. */
  fprintf(out, "TCP initial RTO:        3 s\n");
  fprintf(out, "connect timeout:        %.1f s\n", TCP_SYNMAXRTX * 3.0 + TCP_SLOW_INTERVAL / 1000.0);
  fprintf(out, "keepalive:              off (idle %lu s, %lu x %lu s)\n", (unsigned long)(TCP_KEEPIDLE_DEFAULT / 1000),
          (unsigned long)TCP_KEEPCNT_DEFAULT, (unsigned long)(TCP_KEEPINTVL_DEFAULT / 1000));
  fprintf(out, "TIME_WAIT:              %lu s\n", (unsigned long)(2 * TCP_MSL / 1000));
  fprintf(out, "SYN_RCVD timeout:       %d s\n", TCP_SYN_RCVD_TIMEOUT / 1000);
  fprintf(out, "FIN_WAIT_2 timeout:     %d s\n", TCP_FIN_WAIT_TIMEOUT / 1000);
  fprintf(out, "TCPIP_MBOX_SIZE:        %d\n", TCPIP_MBOX_SIZE);
  fprintf(out, "TCP_RECVMBOX_SIZE:      %d\n", DEFAULT_TCP_RECVMBOX_SIZE);
  fprintf(out, "ACCEPTMBOX_SIZE:        %d\n", DEFAULT_ACCEPTMBOX_SIZE);
  fprintf(out, "IP_REASSEMBLY:          %d\n", IP_REASSEMBLY);
  fprintf(out, "IP_DEFAULT_TTL:         %d\n", IP_DEFAULT_TTL);
  fprintf(out, "IPv6:                   %s\n", LWIP_IPV6 ? "on" : "off");
  fprintf(out, "DHCP:                   %s\n", LWIP_DHCP ? "on" : "off");
  fprintf(out, "DHCP_DOES_ARP_CHECK:    %d\n", DHCP_DOES_ARP_CHECK);
  fprintf(out, "DNS:                    %s\n", LWIP_DNS ? "on" : "off");
  fprintf(out, "DNS_MAX_SERVERS:        %d\n", DNS_MAX_SERVERS);
  fprintf(out, "IGMP:                   %s\n", LWIP_IGMP ? "on" : "off");
}
