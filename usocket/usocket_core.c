/*
 * usocket's core: the registry of live sockets, the netconn event callback
 * (which hands the wake-ups to usocket_wait.c), the life cycle of a socket
 * (create, close from any thread, free), lwIP error mapping and the trivial
 * per-socket setters (settimeout, setblocking, makefile).
 */
#include "usocket_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lwip/netbuf.h"
#include "lwip/pbuf.h"
#include "lwip/tcp.h"
#include "lwip/tcpip.h"

bn_mutex_t bn_us_mu = BN_MUTEX_INITIALIZER;
uint64_t bn_us_gen;

/* Live sockets, so the callback can find a netconn's socket. At most one per
 * netconn, and lwIP has at most MEMP_NUM_NETCONN of those. */
static usocket *registry[MEMP_NUM_NETCONN];

static usocket *lookup_locked(struct netconn *conn)
{
  for (size_t i = 0; i < MEMP_NUM_NETCONN; i++) {
    if (registry[i] != NULL && registry[i]->conn == conn) {
      return registry[i];
    }
  }
  return NULL;
}

void bn_us_event(struct netconn *conn, enum netconn_evt evt, u16_t len)
{
  LWIP_UNUSED_ARG(len);
  err_t pending = ERR_OK;
  if (evt == NETCONN_EVT_ERROR) {
    /* err_tcp() stored the error before signalling; netconn_err() in an
     * application thread takes it under SYS_ARCH_PROTECT, so read it so. */
    SYS_ARCH_DECL_PROTECT(lev);
    SYS_ARCH_PROTECT(lev);
    pending = conn->pending_err;
    SYS_ARCH_UNPROTECT(lev);
  }
  bn_mutex_lock(&bn_us_mu);
  usocket *s = lookup_locked(conn);
  if (s != NULL && pending != ERR_OK) {
    /* remember it for send/recv/connect/poll */
    bn_us_set_conn_err_locked(s, -bn_us_err(pending));
  }
  if (evt == NETCONN_EVT_RCVMINUS || evt == NETCONN_EVT_SENDMINUS) {
    bn_mutex_unlock(&bn_us_mu);
    return; /* caused by our own calls; nothing became ready */
  }
  bn_us_gen++;
  bn_us_wake_event_locked(s, evt);
  bn_mutex_unlock(&bn_us_mu);
}

void bn_us_set_conn_err_locked(usocket *s, int err)
{
  if (s->conn_err == 0 && err > 0) {
    s->conn_err = err;
    if (s->state == BN_US_CONNECTING || s->state == BN_US_CONNECTED || s->state == BN_US_NEW) {
      s->state = BN_US_FAILED;
    }
  }
}

int bn_us_conn_err(usocket *s)
{
  bn_mutex_lock(&bn_us_mu);
  int err = s->conn_err;
  bn_mutex_unlock(&bn_us_mu);
  return err;
}

int bn_us_conn_err_reported(usocket *s, bn_us_reported *reported)
{
  bn_mutex_lock(&bn_us_mu);
  int err = s->conn_err;
  *reported = s->reported;
  bn_mutex_unlock(&bn_us_mu);
  return err;
}

int bn_us_report_err(usocket *s, int err)
{
  bn_mutex_lock(&bn_us_mu);
  s->reported = BN_US_REPORTED_BADF;
  bn_mutex_unlock(&bn_us_mu);
  return -err;
}

/* netconn_set_nonblocking() under the core lock: conn->flags is one byte
 * whose other bits the tcpip thread changes (api_msg.c's sent_tcp(),
 * err_tcp() ...) with the core lock held, so an unlocked read-modify-write
 * here could undo one of them. */
static void set_nonblocking(struct netconn *conn, int on)
{
  LOCK_TCPIP_CORE();
  netconn_set_nonblocking(conn, on);
  UNLOCK_TCPIP_CORE();
}

usocket *bn_us_wrap(struct netconn *conn, int af, int type, bn_us_state state)
{
  usocket *s = calloc(1, sizeof(*s));
  if (s == NULL) {
    return NULL;
  }
  s->af = af;
  s->type = type;
  s->conn = conn;
  s->state = state;
  s->timeout_ms = USOCKET_TIMEOUT_NONE;
  bn_mutex_init(&s->rx_mu);
  bn_mutex_init(&s->tx_mu);
  set_nonblocking(conn, 1);

  bn_mutex_lock(&bn_us_mu);
  size_t i = 0;
  while (i < MEMP_NUM_NETCONN && registry[i] != NULL) {
    i++;
  }
  if (i == MEMP_NUM_NETCONN) { /* cannot happen: one netconn per entry */
    bn_mutex_unlock(&bn_us_mu);
    bn_mutex_destroy(&s->rx_mu);
    bn_mutex_destroy(&s->tx_mu);
    free(s);
    return NULL;
  }
  registry[i] = s;
  bn_mutex_unlock(&bn_us_mu);
  return s;
}

/* Takes the netconn and the buffered data away from a closed socket that has
 * no users left (under bn_us_mu); the caller releases them outside the lock. */
static struct netconn *detach_locked(usocket *s)
{
  for (size_t i = 0; i < MEMP_NUM_NETCONN; i++) {
    if (registry[i] == s) {
      registry[i] = NULL;
    }
  }
  struct netconn *conn = s->conn;
  s->conn = NULL;
  return conn;
}

void bn_us_reset_unaccepted(struct netconn *nc)
{
  LOCK_TCPIP_CORE();
  if (nc->pcb.tcp != NULL) {
    tcp_abort(nc->pcb.tcp); /* err_tcp() clears nc->pcb.tcp */
  }
  UNLOCK_TCPIP_CORE();
  netconn_delete(nc);
}

static void release_conn(usocket *s, struct netconn *conn)
{
  /* No user is left, so nobody else touches the buffers. */
  if (s->rx_p != NULL) {
    pbuf_free(s->rx_p);
    s->rx_p = NULL;
  }
  if (s->rx_nb != NULL) {
    netbuf_delete(s->rx_nb);
    s->rx_nb = NULL;
  }
  if (s->acc_nc != NULL) {
    /* Like the connections still in lwIP's accept queue, which
     * netconn_delete() resets (modlwip's lwip_socket_free_incoming() aborts
     * its queued ones too). */
    bn_us_reset_unaccepted(s->acc_nc);
    s->acc_nc = NULL;
  }
  if (conn != NULL) {
    /* A blocking close lets lwIP finish it (FIN, or RST if data is unread). */
    set_nonblocking(conn, 0);
    netconn_delete(conn);
  }
}

static void destroy(usocket *s)
{
  bn_mutex_destroy(&s->rx_mu);
  bn_mutex_destroy(&s->tx_mu);
  free(s);
}

int bn_us_enter(usocket *s)
{
  if (s == NULL) {
    return -USOCKET_EINVAL;
  }
  bn_mutex_lock(&bn_us_mu);
  if (s->closed || s->reported == BN_US_REPORTED_BADF) {
    bn_mutex_unlock(&bn_us_mu);
    return -USOCKET_EBADF;
  }
  s->users++;
  bn_mutex_unlock(&bn_us_mu);
  return 0;
}

void bn_us_leave(usocket *s)
{
  struct netconn *conn = NULL;
  bool last, do_free;
  bn_mutex_lock(&bn_us_mu);
  s->users--;
  last = s->users == 0 && s->closed && s->conn != NULL;
  if (last) {
    conn = detach_locked(s);
  }
  do_free = s->users == 0 && s->freed;
  bn_mutex_unlock(&bn_us_mu);
  if (last) {
    release_conn(s, conn);
  }
  if (do_free) {
    destroy(s);
  }
}

int usocket_close(usocket *s)
{
  if (s == NULL) {
    return -USOCKET_EINVAL;
  }
  struct netconn *conn = NULL;
  bool now = false;
  bn_mutex_lock(&bn_us_mu);
  if (!s->closed) {
    s->closed = true;
    now = s->users == 0 && s->conn != NULL;
    if (now) {
      conn = detach_locked(s);
    }
    bn_us_gen++;
    bn_us_wake_locked(s, BN_US_WAIT_ANY);
  }
  bn_mutex_unlock(&bn_us_mu);
  if (now) {
    release_conn(s, conn);
  }
  return 0;
}

void usocket_free(usocket *s)
{
  if (s == NULL) {
    return;
  }
  usocket_close(s);
  bn_mutex_lock(&bn_us_mu);
  s->freed = true;
  bool now = s->users == 0;
  bn_mutex_unlock(&bn_us_mu);
  if (now) {
    destroy(s);
  }
}

int usocket_socket(int af, int type, int proto, usocket **out)
{
  if (out == NULL) {
    return -USOCKET_EINVAL;
  }
  *out = NULL;
  if (af != USOCKET_AF_INET && af != USOCKET_AF_INET6) {
    return -USOCKET_EINVAL;
  }
  enum netconn_type nt;
  bn_us_state state = BN_US_DGRAM;
  switch (type) {
  case USOCKET_SOCK_STREAM:
    nt = NETCONN_TCP;
    state = BN_US_NEW;
    break;
  case USOCKET_SOCK_DGRAM:
    nt = NETCONN_UDP;
    break;
  case USOCKET_SOCK_RAW:
    if (proto < 0 || proto > 255) {
      return -USOCKET_EINVAL;
    }
    nt = NETCONN_RAW;
    break;
  default:
    return -USOCKET_EINVAL;
  }
  struct netconn *conn = netconn_new_with_proto_and_callback(nt, (u8_t)proto, bn_us_event);
  if (conn == NULL) {
    return -USOCKET_ENOMEM;
  }
  usocket *s = bn_us_wrap(conn, af, type, state);
  if (s == NULL) {
    netconn_delete(conn);
    return -USOCKET_ENOMEM;
  }
  *out = s;
  return 0;
}

long bn_us_timeout(usocket *s)
{
  bn_mutex_lock(&bn_us_mu);
  long t = s->timeout_ms;
  bn_mutex_unlock(&bn_us_mu);
  return t;
}

int bn_us_err(err_t err)
{
  switch (err) {
  case ERR_OK:         return 0;
  case ERR_MEM:        return -USOCKET_ENOMEM;
  case ERR_BUF:        return -USOCKET_ENOBUFS;
  case ERR_TIMEOUT:    return -USOCKET_EAGAIN;
  case ERR_RTE:        return -USOCKET_EHOSTUNREACH;
  case ERR_INPROGRESS: return -USOCKET_EINPROGRESS;
  case ERR_VAL:        return -USOCKET_EINVAL;
  case ERR_WOULDBLOCK: return -USOCKET_EAGAIN;
  case ERR_USE:        return -USOCKET_EADDRINUSE;
  case ERR_ALREADY:    return -USOCKET_EALREADY;
  case ERR_ISCONN:     return -USOCKET_EALREADY;
  case ERR_CONN:       return -USOCKET_ENOTCONN;
  case ERR_ABRT:       return -USOCKET_ECONNABORTED;
  case ERR_RST:        return -USOCKET_ECONNRESET;
  case ERR_CLSD:       return -USOCKET_ENOTCONN;
  case ERR_ARG:        return -USOCKET_EIO;
  default:             return -USOCKET_EIO; /* ERR_IF: MicroPython has -1 here */
  }
}

int bn_us_addr_parse(const usocket_addr *a, ip_addr_t *ip, u16_t *port)
{
  if (a == NULL || memchr(a->ip, '\0', sizeof(a->ip)) == NULL) {
    return -USOCKET_EINVAL;
  }
  if (a->ip[0] == '\0') {
    ip_addr_set_any(0, ip);
  } else if (!ipaddr_aton(a->ip, ip)) {
    return -USOCKET_EINVAL;
  }
  *port = a->port;
  return 0;
}

void bn_us_addr_format(const ip_addr_t *ip, u16_t port, usocket_addr *out)
{
  memset(out, 0, sizeof(*out));
  ipaddr_ntoa_r(ip, out->ip, sizeof(out->ip));
  out->port = port;
}

bn_us_state bn_us_refresh_state(usocket *s)
{
  bn_mutex_lock(&bn_us_mu);
  bn_us_state st = s->state;
  bn_mutex_unlock(&bn_us_mu);
  if (st != BN_US_CONNECTING) {
    return st;
  }
  LOCK_TCPIP_CORE();
  bool done = s->conn->state != NETCONN_CONNECT;
  bool ok = s->conn->pcb.tcp != NULL && s->conn->pcb.tcp->state >= ESTABLISHED;
  err_t pending = s->conn->pending_err;
  UNLOCK_TCPIP_CORE();
  if (done) {
    bn_mutex_lock(&bn_us_mu);
    if (s->state == BN_US_CONNECTING) {
      if (ok) {
        s->state = BN_US_CONNECTED;
      } else {
        bn_us_set_conn_err_locked(s, pending != ERR_OK ? -bn_us_err(pending) : USOCKET_ECONNABORTED);
      }
    }
    st = s->state;
    bn_mutex_unlock(&bn_us_mu);
  }
  return st;
}

int usocket_settimeout(usocket *s, long timeout_ms)
{
  int rc = bn_us_enter(s);
  if (rc < 0) {
    return rc;
  }
  if (timeout_ms < 0 && timeout_ms != USOCKET_TIMEOUT_NONE) {
    rc = -USOCKET_EINVAL;
  } else {
    bn_mutex_lock(&bn_us_mu);
    s->timeout_ms = timeout_ms;
    bn_mutex_unlock(&bn_us_mu);
  }
  bn_us_leave(s);
  return rc;
}

int usocket_setblocking(usocket *s, bool blocking)
{
  return usocket_settimeout(s, blocking ? USOCKET_TIMEOUT_NONE : 0);
}

int usocket_makefile(usocket *s, const char *mode, usocket **file)
{
  (void)mode;
  if (file == NULL) {
    return -USOCKET_EINVAL;
  }
  int rc = bn_us_enter(s);
  if (rc < 0) {
    return rc;
  }
  *file = s;
  bn_us_leave(s);
  return 0;
}
