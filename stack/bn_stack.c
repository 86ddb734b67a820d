/* Lifecycle of the board's lwIP instance: start, address configuration, stop. */
#include "bn_stack.h"
#include "bn_clock.h"
#include "bn_config.h"
#include "bn_lwip_random.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lwip/dhcp.h"
#include "lwip/dns.h"
#include "lwip/netifapi.h"
#include "lwip/prot/dhcp.h"
#include "lwip/priv/tcp_priv.h"
#include "lwip/tcpip.h"

#define DHCP_DEFAULT_TIMEOUT_MS 10000
#define DHCP_POLL_MS 20
#define SETTLE_POLL_MS 10

static struct {
  int started;        /* tcpip_init() ran (lwIP cannot be initialised twice) */
  bn_netif *netif;    /* non-NULL while a stack runs */
  bn_link *link;
  bool dhcp;
} stack;

static bool dhcp_bound(struct netif *netif)
{
  LOCK_TCPIP_CORE();
  bool bound = dhcp_supplied_address(netif) != 0;
  UNLOCK_TCPIP_CORE();
  return bound;
}

/* Starts DHCP and waits (bounded) for a lease. */
static int wait_for_lease(struct netif *netif, unsigned timeout_ms)
{
  if (netifapi_dhcp_start(netif) != ERR_OK) {
    return -ENOMEM;
  }
  uint64_t deadline = bn_clock_after_ms((long)timeout_ms);
  while (bn_clock_now_ns() < deadline) {
    if (dhcp_bound(netif)) {
      return 0;
    }
    bn_clock_sleep_ms(DHCP_POLL_MS);
  }
  if (dhcp_bound(netif)) {
    return 0;
  }
  netifapi_dhcp_release_and_stop(netif);
  return -ETIMEDOUT;
}

static int check_config(const bn_config *cfg)
{
  if (cfg == NULL || cfg->link == NULL || cfg->dns_count < 0 || cfg->dns_count > BN_STACK_MAX_DNS) {
    return -EINVAL;
  }
  if (cfg->mac_set && (cfg->mac[0] & 1)) {
    return -EINVAL;
  }
  if (!cfg->dhcp && !ip4_addr_isany_val(cfg->ip) &&
      bn_config_check_ip4(&cfg->ip, &cfg->netmask, &cfg->gw, NULL) < 0) {
    return -EINVAL;
  }
  return 0;
}

int bn_stack_start(const bn_config *cfg)
{
  if (stack.netif != NULL || stack.started) {
    return -EALREADY;
  }
  int rc = check_config(cfg);
  if (rc < 0) {
    return rc;
  }
  /* Before lwIP starts: tcp_init() takes the first ephemeral port from it. */
  bn_lwip_random_seed(cfg->seed);
  tcpip_init(NULL, NULL);
  stack.started = 1;

  uint8_t mac[6];
  if (cfg->mac_set) {
    memcpy(mac, cfg->mac, sizeof(mac));
  } else {
    /* The backend's name: stages on top of it must not change the board's MAC. */
    bn_config_default_mac(bn_link_backend(cfg->link)->name, mac);
  }
  const char *hostname = cfg->hostname ? cfg->hostname : BN_BOARD_HOSTNAME;
  bn_netif *bn;
  rc = bn_netif_add(cfg->link, mac, hostname, &cfg->tuning, &bn);
  if (rc < 0) {
    return rc;
  }
  struct netif *netif = bn_netif_lwip(bn);
  netifapi_netif_set_default(netif);

  LOCK_TCPIP_CORE();
  for (int i = 0; i < cfg->dns_count; i++) {
    ip_addr_t server;
    ip_addr_copy_from_ip4(server, cfg->dns[i]);
    dns_setserver((u8_t)i, &server);
  }
  UNLOCK_TCPIP_CORE();

  if (cfg->dhcp) {
    rc = wait_for_lease(netif, cfg->dhcp_timeout_ms ? cfg->dhcp_timeout_ms : DHCP_DEFAULT_TIMEOUT_MS);
    if (rc < 0) {
      bn_netif_remove(bn);
      return rc;
    }
  } else {
    netifapi_netif_set_addr(netif, &cfg->ip, &cfg->netmask, &cfg->gw);
  }
  stack.netif = bn;
  stack.link = cfg->link;
  stack.dhcp = cfg->dhcp;
  return 0;
}

bn_netif *bn_stack_netif(void)
{
  return stack.netif;
}

int bn_stack_link_error(void)
{
  return stack.netif != NULL ? bn_netif_link_error(stack.netif) : 0;
}

int bn_stack_status_get(bn_stack_status *out)
{
  if (stack.netif == NULL) {
    return -ENOTCONN;
  }
  memset(out, 0, sizeof(*out));
  struct netif *netif = bn_netif_lwip(stack.netif);
  LOCK_TCPIP_CORE();
  ip4_addr_copy(out->ip, *netif_ip4_addr(netif));
  ip4_addr_copy(out->netmask, *netif_ip4_netmask(netif));
  ip4_addr_copy(out->gw, *netif_ip4_gw(netif));
  for (int i = 0; i < BN_STACK_MAX_DNS && i < DNS_MAX_SERVERS; i++) {
    ip4_addr_copy(out->dns[i], *ip_2_ip4(dns_getserver((u8_t)i)));
  }
  struct dhcp *dhcp = netif_dhcp_data(netif);
  if (stack.dhcp && dhcp != NULL) {
    ip4_addr_copy(out->dhcp_server, *ip_2_ip4(&dhcp->server_ip_addr));
    out->lease_s = dhcp->offered_t0_lease;
  }
  memcpy(out->mac, netif->hwaddr, sizeof(out->mac));
  out->link_up = netif_is_link_up(netif);
  UNLOCK_TCPIP_CORE();
  out->link_error = bn_netif_link_error(stack.netif);
  bn_netif_get_counters(stack.netif, &out->counters);
  return 0;
}

/* Whether a TCP connection still has data or a FIN on its way (under the core lock). */
static bool tcp_sending(void)
{
  for (const struct tcp_pcb *pcb = tcp_active_pcbs; pcb != NULL; pcb = pcb->next) {
    if (pcb->unsent != NULL || pcb->unacked != NULL || pcb->state == FIN_WAIT_1 || pcb->state == CLOSING ||
        pcb->state == LAST_ACK) {
      return true;
    }
  }
  return false;
}

static bool stack_settled(void)
{
  LOCK_TCPIP_CORE();
  bool sending = tcp_sending();
  UNLOCK_TCPIP_CORE();
  return !sending && bn_link_egress_held(stack.link) == 0;
}

int bn_stack_settle(long max_ms)
{
  if (stack.netif == NULL) {
    return -ENOTCONN;
  }
  uint64_t deadline = bn_clock_after_ms(max_ms);
  while (!stack_settled()) {
    if (bn_clock_now_ns() >= deadline) {
      return -ETIMEDOUT;
    }
    bn_clock_sleep_ms(SETTLE_POLL_MS);
  }
  return 0;
}

int bn_stack_stop(void)
{
  if (stack.netif == NULL) {
    return -ENOTCONN;
  }
  struct netif *netif = bn_netif_lwip(stack.netif);
  if (stack.dhcp) {
    netifapi_dhcp_release_and_stop(netif);
  }
  bn_netif_remove(stack.netif);
  bn_link_close(stack.link);
  stack.netif = NULL;
  stack.link = NULL;
  return 0;
}
