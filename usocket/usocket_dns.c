/*
 * socket.getaddrinfo for usocket: the board's lwIP resolver through the
 * netconn API, answering with MicroPython's single (AF_INET, SOCK_STREAM, 0,
 * "", (ip, port)) tuple and its negative failure numbers.
 */
#include "usocket_internal.h"

#include <stdlib.h>

int usocket_getaddrinfo(const char *host, int port, int af, int type, int proto, int flags,
                        usocket_addrinfo **res)
{
  (void)af; /* MicroPython warns about unsupported constraints, then ignores them */
  (void)type;
  (void)proto;
  (void)flags;
  if (res == NULL) {
    return -USOCKET_EINVAL;
  }
  *res = NULL;
  if (host == NULL || port < 0 || port > 65535) {
    return -USOCKET_EINVAL;
  }
  ip_addr_t ip;
  err_t err = netconn_gethostbyname(host, &ip);
  switch (err) {
  case ERR_OK:
    break;
  case ERR_VAL: /* the resolver's callback reported no address */
    return USOCKET_GAI_NONAME;
  case ERR_MEM:
    return USOCKET_GAI_MEM;
  case ERR_ARG:
    return USOCKET_GAI_ARG;
  default:
    return (int)err; /* lwIP's err_t, as MicroPython raises it */
  }
  usocket_addrinfo *ai = calloc(1, sizeof(*ai));
  if (ai == NULL) {
    return -USOCKET_ENOMEM;
  }
  ai->family = USOCKET_AF_INET;
  ai->type = USOCKET_SOCK_STREAM;
  ai->proto = 0;
  us_addr_format(&ip, (u16_t)port, &ai->addr);
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
