/*
 * usocket's connection methods: bind, listen, accept, connect and setsockopt,
 * with MicroPython's lwIP semantics (modlwip.c) on non-blocking netconns.
 */
#include "usocket_internal.h"

#include <string.h>

#include "lwip/igmp.h"
#include "lwip/ip.h"
#include "lwip/tcp.h"
#include "lwip/tcpip.h"

/* Enters s (bn_us_enter) and parses addr; if parsing fails, leaves s again.
 * Returns 0 (call bn_us_leave() when done) or a negative errno. */
static int enter_with_addr(usocket *s, const usocket_addr *addr, ip_addr_t *ip, u16_t *port)
{
  int rc = bn_us_enter(s);
  if (rc < 0) {
    return rc;
  }
  rc = bn_us_addr_parse(addr, ip, port);
  if (rc < 0) {
    bn_us_leave(s);
  }
  return rc;
}

/* Serialises the binds of TCP sockets: the bound-already check and the bind
 * are one step, also when two threads bind one socket at once. */
static bn_mutex_t bind_mu = BN_MUTEX_INITIALIZER;

/* 1 if s is a TCP socket whose pcb has a local port (bound, explicitly or by
 * a connect). lwIP's tcp_bind() accepts such a pcb again (its state is still
 * CLOSED) and links it into tcp_bound_pcbs a second time, a cycle in that
 * list: every later bind on the board then loops for ever (found by
 * fuzz-usocket). */
static bool tcp_bound_already(usocket *s)
{
  if (s->type != USOCKET_SOCK_STREAM) {
    return false; /* udp_bind() rebinds a bound pcb correctly */
  }
  LOCK_TCPIP_CORE();
  bool bound = s->conn->pcb.tcp != NULL && s->conn->pcb.tcp->local_port != 0;
  UNLOCK_TCPIP_CORE();
  return bound;
}

int usocket_bind(usocket *s, const usocket_addr *addr)
{
  ip_addr_t ip;
  u16_t port;
  int rc = enter_with_addr(s, addr, &ip, &port);
  if (rc < 0) {
    return rc;
  }
  bn_mutex_lock(&bind_mu);
  rc = tcp_bound_already(s) ? -USOCKET_EADDRINUSE : bn_us_err(netconn_bind(s->conn, &ip, port));
  bn_mutex_unlock(&bind_mu);
  bn_us_leave(s);
  return rc;
}

int usocket_listen(usocket *s, int backlog)
{
  int rc = bn_us_enter(s);
  if (rc < 0) {
    return rc;
  }
  if (backlog == USOCKET_BACKLOG_DEFAULT) {
    backlog = USOCKET_BACKLOG_DEFAULT_VALUE;
  }
  if (backlog < 0) {
    backlog = 0;
  }
  if (backlog > 255) {
    backlog = 255;
  }
  if (s->type != USOCKET_SOCK_STREAM) {
    rc = -USOCKET_EOPNOTSUPP;
  } else {
    bn_mutex_lock(&bn_us_mu);
    bn_us_state st = s->state;
    bn_mutex_unlock(&bn_us_mu);
    if (st != BN_US_NEW && st != BN_US_LISTENING) {
      rc = -USOCKET_EINVAL;
    } else {
      err_t err = netconn_listen_with_backlog(s->conn, (u8_t)backlog);
      /* A pcb pool without a free listening pcb shows as ERR_MEM. */
      rc = bn_us_err(err);
      if (rc == 0) {
        bn_mutex_lock(&bn_us_mu);
        s->state = BN_US_LISTENING;
        bn_mutex_unlock(&bn_us_mu);
      }
    }
  }
  bn_us_leave(s);
  return rc;
}

/* 1 if a connection taken off lwIP's accept queue is still alive; then it
 * keeps (again) its place in the listener's backlog, which netconn_accept()
 * gave up, so that the backlog counts it until accept() returns it. */
static bool hold_unaccepted(struct netconn *nc)
{
  LOCK_TCPIP_CORE();
  bool alive = nc->pcb.tcp != NULL;
  if (alive) {
    tcp_backlog_delayed(nc->pcb.tcp);
  }
  UNLOCK_TCPIP_CORE();
  return alive;
}

int bn_us_accept_fill_locked(usocket *s)
{
  for (;;) {
    if (s->acc_nc != NULL) {
      LOCK_TCPIP_CORE();
      bool alive = s->acc_nc->pcb.tcp != NULL;
      UNLOCK_TCPIP_CORE();
      if (alive) {
        return 1;
      }
      netconn_delete(s->acc_nc); /* reset by the peer while it waited */
      s->acc_nc = NULL;
    }
    struct netconn *nc = NULL;
    err_t err = netconn_accept(s->conn, &nc);
    if (err == ERR_WOULDBLOCK) {
      return 0;
    }
    if (err == ERR_ABRT || err == ERR_MEM || err == ERR_RST) {
      continue; /* the marker of a connection lwIP aborted (out of pcbs or netconns) */
    }
    if (err == ERR_CLSD) {
      return -USOCKET_EINVAL;
    }
    if (err != ERR_OK) {
      return bn_us_err(err);
    }
    if (hold_unaccepted(nc)) {
      s->acc_nc = nc;
    } else {
      netconn_delete(nc); /* reset (or aborted) before accept: never returned */
    }
  }
}

/* Takes the next live connection off the accept queue. 1: got one (*out
 * set), 0: nothing queued, < 0: error. */
static int accept_one(usocket *s, usocket **out, usocket_addr *peer)
{
  bn_mutex_lock(&s->rx_mu);
  int rc = bn_us_accept_fill_locked(s);
  struct netconn *nc = s->acc_nc;
  s->acc_nc = NULL;
  bn_mutex_unlock(&s->rx_mu);
  if (rc <= 0) {
    return rc;
  }
  usocket *c = bn_us_wrap(nc, s->af, USOCKET_SOCK_STREAM, BN_US_CONNECTED);
  if (c == NULL) {
    bn_us_reset_unaccepted(nc);
    return -USOCKET_ENOMEM;
  }
  /* Registered first, so a reset from now on is seen by the callback; one
   * that came since the fill left the netconn without a pcb: then the socket
   * is returned and reports the reset, as modlwip's accepted socket does. */
  ip_addr_t ip;
  u16_t port = 0;
  ip_addr_set_zero(&ip);
  LOCK_TCPIP_CORE();
  if (nc->pcb.tcp != NULL) {
    tcp_backlog_accepted(nc->pcb.tcp);
    ip_addr_copy(ip, nc->pcb.tcp->remote_ip);
    port = nc->pcb.tcp->remote_port;
  }
  err_t pending = nc->pending_err;
  UNLOCK_TCPIP_CORE();
  bn_mutex_lock(&bn_us_mu);
  c->timeout_ms = s->timeout_ms;
  bn_us_addr_format(&ip, port, &c->peer);
  if (pending != ERR_OK) {
    bn_us_set_conn_err_locked(c, -bn_us_err(pending));
  }
  bn_mutex_unlock(&bn_us_mu);
  if (peer != NULL) {
    *peer = c->peer;
  }
  *out = c;
  return 1;
}

int usocket_accept(usocket *s, usocket **client, usocket_addr *peer)
{
  if (client == NULL) {
    return -USOCKET_EINVAL;
  }
  *client = NULL;
  int rc = bn_us_enter(s);
  if (rc < 0) {
    return rc;
  }
  if (s->type != USOCKET_SOCK_STREAM) {
    bn_us_leave(s);
    return -USOCKET_EOPNOTSUPP;
  }
  bn_mutex_lock(&bn_us_mu);
  bool listening = s->state == BN_US_LISTENING;
  bn_mutex_unlock(&bn_us_mu);
  if (!listening) {
    bn_us_leave(s);
    return -USOCKET_EINVAL;
  }
  long timeout = bn_us_timeout(s);
  bn_us_deadline d;
  bn_us_deadline_set(&d, timeout);
  for (;;) {
    uint64_t gen = bn_us_generation();
    rc = accept_one(s, client, peer);
    if (rc != 0) {
      break;
    }
    if (timeout == 0) {
      rc = -USOCKET_EAGAIN;
      break;
    }
    rc = bn_us_wait(s, BN_US_WAIT_RECV, gen, &d);
    if (rc < 0) {
      break;
    }
  }
  bn_us_leave(s);
  return rc > 0 ? 0 : rc;
}

static int stream_connect(usocket *s, const ip_addr_t *ip, u16_t port)
{
  bn_us_state st = bn_us_refresh_state(s);
  if (st == BN_US_CONNECTED) {
    return -USOCKET_EISCONN;
  }
  if (st != BN_US_NEW) {
    return -USOCKET_EALREADY; /* connecting, listening or failed: as modlwip */
  }
  bn_mutex_lock(&bn_us_mu);
  s->state = BN_US_CONNECTING;
  bn_us_addr_format(ip, port, &s->peer);
  bn_mutex_unlock(&bn_us_mu);
  err_t err = netconn_connect(s->conn, ip, port);
  if (err != ERR_INPROGRESS && err != ERR_OK) {
    bn_mutex_lock(&bn_us_mu);
    if (s->state == BN_US_CONNECTING) {
      s->state = BN_US_NEW;
    }
    bn_mutex_unlock(&bn_us_mu);
    return bn_us_err(err);
  }
  long timeout = bn_us_timeout(s);
  if (timeout == 0 && err == ERR_INPROGRESS) {
    return -USOCKET_EINPROGRESS; /* even if loopback already completed it */
  }
  bn_us_deadline d;
  bn_us_deadline_set(&d, timeout);
  for (;;) {
    uint64_t gen = bn_us_generation();
    st = bn_us_refresh_state(s);
    if (st == BN_US_CONNECTED) {
      return 0;
    }
    if (st == BN_US_FAILED) {
      return -bn_us_conn_err(s);
    }
    if (timeout == 0) {
      return -USOCKET_EINPROGRESS;
    }
    int rc = bn_us_wait(s, BN_US_WAIT_SEND, gen, &d);
    if (rc == -USOCKET_ETIMEDOUT) {
      return -USOCKET_ETIMEDOUT; /* modlwip (PR #15223); the connect goes on */
    }
    if (rc < 0) {
      return rc;
    }
  }
}

int usocket_connect(usocket *s, const usocket_addr *addr)
{
  ip_addr_t ip;
  u16_t port;
  int rc = enter_with_addr(s, addr, &ip, &port);
  if (rc < 0) {
    return rc;
  }
  if (s->type == USOCKET_SOCK_STREAM) {
    rc = stream_connect(s, &ip, port);
  } else {
    rc = bn_us_err(netconn_connect(s->conn, &ip, port));
    if (rc == 0) {
      bn_mutex_lock(&bn_us_mu);
      bn_us_addr_format(&ip, port, &s->peer);
      bn_mutex_unlock(&bn_us_mu);
    }
  }
  bn_us_leave(s);
  return rc;
}

static int membership(int optname, const void *value, size_t len)
{
  if (len != 8) {
    return -USOCKET_EINVAL; /* MicroPython: ValueError */
  }
  ip4_addr_t group, iface;
  memcpy(&group.addr, value, 4);
  memcpy(&iface.addr, (const char *)value + 4, 4);
  LOCK_TCPIP_CORE();
  err_t err = optname == USOCKET_IP_ADD_MEMBERSHIP ? igmp_joingroup(&iface, &group)
                                                   : igmp_leavegroup(&iface, &group);
  UNLOCK_TCPIP_CORE();
  return bn_us_err(err);
}

int usocket_setsockopt(usocket *s, int level, int optname, const void *value, size_t len)
{
  (void)level; /* ignored, as MicroPython on lwIP: option numbers are distinct */
  int rc = bn_us_enter(s);
  if (rc < 0) {
    return rc;
  }
  if (value == NULL) {
    bn_us_leave(s);
    return -USOCKET_EINVAL;
  }
  int ival = 0;
  switch (optname) {
  case USOCKET_SO_REUSEADDR:
  case USOCKET_SO_BROADCAST:
  case USOCKET_TCP_NODELAY:
    if (len != sizeof(int)) {
      rc = -USOCKET_EINVAL;
      break;
    }
    memcpy(&ival, value, sizeof(int));
    LOCK_TCPIP_CORE();
    if (s->conn->pcb.ip == NULL) {
      /* the connection failed: nothing to set */
    } else if (optname == USOCKET_TCP_NODELAY) {
      /* Not on a listener: a tcp_pcb_listen has no flags (lwIP's
       * tcp_nagle_disable() would write past it, into the next pcb of the
       * pool: found by fuzz-usocket), and accepted pcbs do not inherit
       * them. Accepted without effect, as Linux accepts it. */
      if (s->type == USOCKET_SOCK_STREAM && s->conn->pcb.tcp->state != LISTEN) {
        if (ival) {
          tcp_nagle_disable(s->conn->pcb.tcp);
        } else {
          tcp_nagle_enable(s->conn->pcb.tcp);
        }
      }
    } else if (ival) {
      ip_set_option(s->conn->pcb.ip, (u8_t)optname);
    } else {
      ip_reset_option(s->conn->pcb.ip, (u8_t)optname);
    }
    UNLOCK_TCPIP_CORE();
    break;
  case USOCKET_IP_ADD_MEMBERSHIP:
  case USOCKET_IP_DROP_MEMBERSHIP:
    rc = membership(optname, value, len);
    break;
  default:
    break; /* MicroPython: "setsockopt() not implemented" warning, no error */
  }
  bn_us_leave(s);
  return rc;
}
