/*
 * socket.getaddrinfo for usocket: the board's lwIP resolver, called as
 * MicroPython's modlwip calls it (dns_gethostbyname_addrtype() with a
 * callback), answering with its single (AF_INET, SOCK_STREAM, 0, "",
 * (ip, port)) tuple and its negative lwIP error numbers.
 */
#include "usocket_internal.h"

#include <stdlib.h>

#include "lwip/dns.h"
#include "lwip/tcpip.h"

/* One lookup in progress; status is modlwip's: 0 waiting, 1 found, < 0 failed. */
typedef struct lookup {
  int status;
  ip_addr_t ip;
} lookup;

/* lwIP's resolver callback (tcpip thread, core locked). */
static void found(const char *name, const ip_addr_t *ip, void *arg)
{
  LWIP_UNUSED_ARG(name);
  lookup *l = arg;
  bn_mutex_lock(&bn_us_mu);
  if (ip != NULL) {
    l->ip = *ip;
    l->status = 1;
  } else {
    l->status = USOCKET_GAI_NONAME; /* no answer, NXDOMAIN or a server error */
  }
  bn_mutex_unlock(&bn_us_mu);
  bn_us_wake_all();
}

/* modlwip's choice of address type for the family asked for. */
static u8_t addrtype(int af)
{
#if LWIP_IPV4 && LWIP_IPV6
  if (af == USOCKET_AF_INET) {
    return LWIP_DNS_ADDRTYPE_IPV4;
  }
  if (af == USOCKET_AF_INET6) {
    return LWIP_DNS_ADDRTYPE_IPV6;
  }
  return LWIP_DNS_ADDRTYPE_IPV4_IPV6;
#else
  LWIP_UNUSED_ARG(af);
  return LWIP_DNS_ADDRTYPE_DEFAULT;
#endif
}

int usocket_getaddrinfo(const char *host, int port, int af, int type, int proto, int flags,
                        usocket_addrinfo **res)
{
  (void)type; /* MicroPython warns about unsupported constraints, then ignores them */
  (void)proto;
  (void)flags;
  if (res == NULL) {
    return -USOCKET_EINVAL;
  }
  *res = NULL;
  if (host == NULL || port < 0 || port > 65535) {
    return -USOCKET_EINVAL;
  }
  lookup l = { .status = 0 };
  LOCK_TCPIP_CORE();
  err_t err = dns_gethostbyname_addrtype(host, &l.ip, found, &l, addrtype(af));
  UNLOCK_TCPIP_CORE();
  if (err == ERR_OK) {
    l.status = 1; /* an address literal, or cached */
  } else if (err == ERR_INPROGRESS) {
    /* lwIP's resolver always calls back in the end: its retries and
     * timeouts bound the wait (DNS_MAX_RETRIES). */
    bn_us_deadline forever;
    bn_us_deadline_set(&forever, USOCKET_TIMEOUT_NONE);
    for (;;) {
      uint64_t gen = bn_us_generation();
      bn_mutex_lock(&bn_us_mu);
      int status = l.status;
      bn_mutex_unlock(&bn_us_mu);
      if (status != 0) {
        break;
      }
      bn_us_wait(NULL, BN_US_WAIT_ANY, gen, &forever);
    }
  } else {
    /* ERR_VAL: no DNS server set; ERR_ARG: empty or over-long name;
     * ERR_MEM: no room for the query. As modlwip, the lwIP number. */
    l.status = err;
  }
  if (l.status < 0) {
    return l.status;
  }
  usocket_addrinfo *ai = calloc(1, sizeof(*ai));
  if (ai == NULL) {
    return -USOCKET_ENOMEM;
  }
  ai->family = USOCKET_AF_INET;
  ai->type = USOCKET_SOCK_STREAM;
  ai->proto = 0;
  bn_us_addr_format(&l.ip, (u16_t)port, &ai->addr);
  *res = ai;
  return 0;
}

void usocket_freeaddrinfo(usocket_addrinfo *res)
{
  while (res != NULL) {
    usocket_addrinfo *next = res->next;
    free(res);
    res = next;
  }
}
