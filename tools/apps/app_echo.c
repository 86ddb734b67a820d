/*
 * echo (RFC 862), over TCP and UDP: every byte received is sent back.
 *
 *     while True:                          # TCP, a thread per connection
 *         data = client.recv(BUF)
 *         if not data:
 *             break
 *         client.sendall(data)
 *
 *     s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)     # UDP
 *     s.bind(('', port))
 *     while True:
 *         data, addr = s.recvfrom(BUF)
 *         s.sendto(data, addr)
 */
#define _GNU_SOURCE
#include "board_apps.h"
#include "app_server.h"

#include <errno.h>
#include "bn_sched.h" /* netif/base: the board's threads and locks */

#define BUF 4096

void bn_app_echo(usocket *client);
int bn_app_echo_udp_start(uint16_t port);

void bn_app_echo(usocket *client)
{
  uint8_t data[BUF];
  ssize_t n;
  while ((n = usocket_recv(client, data, sizeof(data), 0)) > 0) {
    if (usocket_sendall(client, data, (size_t)n) < 0) {
      break;
    }
  }
}

static void *udp_echo_main(void *arg)
{
  usocket *s = arg;
  uint8_t data[BUF];
  for (;;) {
    usocket_addr from;
    ssize_t n = usocket_recvfrom(s, data, sizeof(data), 0, &from);
    if (n == -USOCKET_EBADF) {
      break;
    }
    if (n >= 0) {
      (void)usocket_sendto(s, data, (size_t)n, &from); /* a full queue drops it, as UDP may */
    }
  }
  usocket_free(s);
  return NULL;
}

/* Starts the UDP half on port. @return 0, -EADDRINUSE, -ENOMEM. */
int bn_app_echo_udp_start(uint16_t port)
{
  usocket *s = NULL;
  usocket_addr any = { .ip = "", .port = port };
  int rc = usocket_socket(USOCKET_AF_INET, USOCKET_SOCK_DGRAM, 0, &s);
  if (rc == 0) {
    rc = usocket_bind(s, &any);
  }
  bn_thread_t thread;
  if (rc == 0 && bn_thread_create(&thread, "bn-echo-udp", udp_echo_main, s) != 0) {
    rc = -USOCKET_ENOMEM;
  }
  if (rc != 0) {
    usocket_free(s);
    return rc == -USOCKET_EADDRINUSE ? -EADDRINUSE : -ENOMEM;
  }
  bn_thread_detach(thread);
  return 0;
}
