/* Reports the board profile (lwipopts.h) this library was built with. */
#include "bn_board.h"

#include "lwip/init.h"
#include "lwip/opt.h"

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
  fprintf(out, "MEM_SIZE:               %lu\n", (unsigned long)MEM_SIZE);
  fprintf(out, "PBUF_POOL_SIZE:         %lu\n", (unsigned long)PBUF_POOL_SIZE);
  fprintf(out, "PBUF_POOL_BUFSIZE:      %lu\n", (unsigned long)PBUF_POOL_BUFSIZE);
  fprintf(out, "TCP_MSS:                %lu\n", (unsigned long)TCP_MSS);
  fprintf(out, "TCP_WND:                %lu\n", (unsigned long)TCP_WND);
  fprintf(out, "LWIP_WND_SCALE:         %d\n", LWIP_WND_SCALE);
  fprintf(out, "TCP_SND_BUF:            %lu\n", (unsigned long)TCP_SND_BUF);
  fprintf(out, "TCP_SND_QUEUELEN:       %lu\n", (unsigned long)TCP_SND_QUEUELEN);
  fprintf(out, "sockets:                %d (TCP connections %d, TCP listeners %d, UDP %d, raw %d)\n",
          MEMP_NUM_NETCONN, MEMP_NUM_TCP_PCB, MEMP_NUM_TCP_PCB_LISTEN, MEMP_NUM_UDP_PCB,
          LWIP_RAW ? MEMP_NUM_RAW_PCB : 0);
  fprintf(out, "MEMP_NUM_TCP_PCB:       %d\n", MEMP_NUM_TCP_PCB);
  fprintf(out, "MEMP_NUM_TCP_PCB_LISTEN: %d\n", MEMP_NUM_TCP_PCB_LISTEN);
  fprintf(out, "MEMP_NUM_UDP_PCB:       %d\n", MEMP_NUM_UDP_PCB);
  fprintf(out, "MEMP_NUM_NETCONN:       %d\n", MEMP_NUM_NETCONN);
  fprintf(out, "IPv6:                   %s\n", LWIP_IPV6 ? "on" : "off");
  fprintf(out, "DHCP:                   %s\n", LWIP_DHCP ? "on" : "off");
  fprintf(out, "DNS:                    %s\n", LWIP_DNS ? "on" : "off");
  fprintf(out, "IGMP:                   %s\n", LWIP_IGMP ? "on" : "off");
}
