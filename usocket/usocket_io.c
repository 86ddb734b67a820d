/*
 * usocket's data methods: send, sendall, recv, sendto, recvfrom, and the
 * receive/send primitives the stream methods share. TCP data and datagrams
 * are fetched from the netconn without blocking and kept in the socket until
 * the application has taken them (so MSG_PEEK and poll can look at them).
 * TCP data is fetched without lwIP's automatic window update: a receive call
 * returns what is queued up to its length, and then tells lwIP once about the
 * segments it used up (as MicroPython's modlwip calls tcp_recved() for what
 * the application consumed), so the receive window reopens as the
 * application reads, with one core-lock round trip per call, not per segment.
 */
#include "usocket_internal.h"

#include <string.h>

#include "lwip/netbuf.h"
#include "lwip/pbuf.h"
#include "lwip/tcp.h"
#include "lwip/tcpip.h"

/* TCP: records an error lwIP returned for the connection (once). */
static void record_conn_err(usocket *s, int err)
{
  bn_mutex_lock(&bn_us_mu);
  bn_us_set_conn_err_locked(s, err);
  bn_mutex_unlock(&bn_us_mu);
}

/* Fills the receive buffer if it is empty (under rx_mu). Returns 0 when
 * something is there to report: data, EOF, or an error (in *err; for TCP it
 * is also the recorded connection error). -EAGAIN when lwIP has nothing. */
static int rx_fill_locked(usocket *s, int *err)
{
  *err = 0;
  if (s->type == USOCKET_SOCK_STREAM) {
    if (s->rx_p != NULL) {
      return 0;
    }
    if (!s->rx_eof) {
      struct pbuf *p = NULL;
      err_t e = netconn_recv_tcp_pbuf_flags(s->conn, &p, NETCONN_DONTBLOCK | NETCONN_NOAUTORCVD);
      if (e == ERR_OK && p != NULL) {
        s->rx_p = p;
        s->rx_off = 0;
        return 0;
      }
      if (e == ERR_CLSD || (e == ERR_OK && p == NULL)) {
        s->rx_eof = true;
      } else if (e != ERR_WOULDBLOCK) {
        /* lwIP's pending error (ERR_RST ...), handed out once; after it
         * ERR_CONN (kept only if nothing was recorded before). */
        record_conn_err(s, -bn_us_err(e));
      }
    }
    /* A reset after the FIN still counts (modlwip: state ERR_RST). */
    *err = bn_us_conn_err(s);
    return (*err != 0 || s->rx_eof) ? 0 : -USOCKET_EAGAIN;
  }
  if (s->rx_nb != NULL) {
    return 0;
  }
  struct netbuf *nb = NULL;
  err_t e = netconn_recv_udp_raw_netbuf_flags(s->conn, &nb, NETCONN_DONTBLOCK);
  if (e == ERR_OK && nb != NULL) {
    s->rx_nb = nb;
    return 0;
  }
  if (e == ERR_WOULDBLOCK) {
    return -USOCKET_EAGAIN;
  }
  *err = -bn_us_err(e);
  return 0;
}

/* Copies from the receive buffer (under rx_mu, after rx_fill_locked()). TCP:
 * without MSG_PEEK, goes on with the segments lwIP has queued (without
 * waiting) until len is reached, and adds the bytes of the segments it used
 * up to *done, for the caller to hand to netconn_tcp_recvd(). */
static ssize_t rx_take_locked(usocket *s, void *buf, size_t len, int flags, usocket_addr *from,
                              size_t *done)
{
  bool peek = (flags & USOCKET_MSG_PEEK) != 0;
  if (s->type == USOCKET_SOCK_STREAM) {
    if (s->rx_p == NULL) {
      return 0; /* EOF */
    }
    size_t n = 0;
    for (;;) {
      size_t avail = s->rx_p->tot_len - s->rx_off;
      size_t k = len - n < avail ? len - n : avail;
      pbuf_copy_partial(s->rx_p, (uint8_t *)buf + n, (u16_t)k, s->rx_off);
      n += k;
      if (peek) {
        break;
      }
      s->rx_off = (uint16_t)(s->rx_off + k);
      if (s->rx_off < s->rx_p->tot_len) {
        break; /* len reached inside this segment */
      }
      *done += s->rx_p->tot_len;
      pbuf_free(s->rx_p);
      s->rx_p = NULL;
      s->rx_off = 0;
      int err;
      /* EOF or an error found here stays recorded for the next call. */
      if (n == len || rx_fill_locked(s, &err) < 0 || s->rx_p == NULL) {
        break;
      }
    }
    if (from != NULL) {
      bn_mutex_lock(&bn_us_mu);
      *from = s->peer;
      bn_mutex_unlock(&bn_us_mu);
    }
    return (ssize_t)n;
  }
  struct netbuf *nb = s->rx_nb;
  size_t total = netbuf_len(nb);
  size_t n = len < total ? len : total;
  netbuf_copy(nb, buf, (u16_t)n);
  if (from != NULL) {
    bn_us_addr_format(netbuf_fromaddr(nb), netbuf_fromport(nb), from);
  }
  if (!peek) {
    netbuf_delete(nb); /* the rest of a long datagram is discarded */
    s->rx_nb = NULL;
  }
  return (ssize_t)n;
}

/* TCP, nothing queued: what a receive gives at the end of the data, as
 * modlwip's lwip_tcp_receive(): a connection error once (ECONNRESET leaves
 * the socket at EOF, STATE_PEER_RST_HANDLED; any other error makes it EBADF),
 * else EOF once the peer closed or the reset was reported. */
static ssize_t tcp_end(usocket *s, int err)
{
  bn_mutex_lock(&bn_us_mu);
  ssize_t n = 0;
  if (err != 0 && s->reported == BN_US_REPORTED_NOT) {
    s->reported = err == USOCKET_ECONNRESET ? BN_US_REPORTED_RST_HANDLED : BN_US_REPORTED_BADF;
    n = -err;
  }
  bn_mutex_unlock(&bn_us_mu);
  return n;
}

ssize_t bn_us_recv_once(usocket *s, void *buf, size_t len, int flags, usocket_addr *from,
                     bool dontwait)
{
  if (buf == NULL && len > 0) {
    return -USOCKET_EINVAL;
  }
  long timeout = bn_us_timeout(s);
  if (timeout == 0 || (flags & USOCKET_MSG_DONTWAIT)) {
    dontwait = true;
  }
  if (s->type == USOCKET_SOCK_STREAM) {
    bn_us_state st = bn_us_refresh_state(s);
    if (st == BN_US_LISTENING || ((st == BN_US_NEW || st == BN_US_CONNECTING) && !dontwait)) {
      return -USOCKET_ENOTCONN;
    }
    if (st == BN_US_NEW || st == BN_US_CONNECTING) {
      return -USOCKET_EAGAIN; /* modlwip lwip_tcp_receive(): nothing received yet */
    }
  }
  bn_us_deadline d;
  bn_us_deadline_set(&d, timeout);
  for (;;) {
    uint64_t gen = bn_us_generation();
    int err = 0;
    ssize_t n;
    size_t done = 0;
    bn_mutex_lock(&s->rx_mu);
    int rc = rx_fill_locked(s, &err);
    if (rc < 0) {
      n = rc;
    } else if (s->type == USOCKET_SOCK_STREAM) {
      n = s->rx_p != NULL ? rx_take_locked(s, buf, len, flags, from, &done) : tcp_end(s, err);
    } else {
      n = err == 0 ? rx_take_locked(s, buf, len, flags, from, &done) : -err;
    }
    bn_mutex_unlock(&s->rx_mu);
    if (done > 0) {
      netconn_tcp_recvd(s->conn, done); /* reopens the window by what was used up */
    }
    if (n != -USOCKET_EAGAIN || dontwait) {
      return n;
    }
    rc = bn_us_wait(s, BN_US_WAIT_RECV, gen, &d);
    if (rc < 0) {
      return rc;
    }
  }
}

ssize_t usocket_recv(usocket *s, void *buf, size_t len, int flags)
{
  return usocket_recvfrom(s, buf, len, flags, NULL);
}

ssize_t usocket_recvfrom(usocket *s, void *buf, size_t len, int flags, usocket_addr *from)
{
  int rc = bn_us_enter(s);
  if (rc < 0) {
    return rc;
  }
  ssize_t n = bn_us_recv_once(s, buf, len, flags, from, false);
  bn_us_leave(s);
  return n;
}

/* TCP: one non-blocking write of what fits. */
static ssize_t tcp_write_now(usocket *s, const void *buf, size_t len)
{
  size_t written = 0;
  bn_mutex_lock(&s->tx_mu);
  err_t err = netconn_write_partly(s->conn, buf, len, NETCONN_COPY | NETCONN_DONTBLOCK, &written);
  if (err == ERR_WOULDBLOCK) {
    /* Ask lwIP for a SENDPLUS event once there is room again. */
    LOCK_TCPIP_CORE();
    netconn_set_flags(s->conn, NETCONN_FLAG_CHECK_WRITESPACE);
    UNLOCK_TCPIP_CORE();
  }
  bn_mutex_unlock(&s->tx_mu);
  if (err == ERR_OK) {
    return (ssize_t)written;
  }
  if (err == ERR_WOULDBLOCK) {
    return -USOCKET_EAGAIN;
  }
  int cerr = bn_us_conn_err(s);
  return cerr != 0 ? -cerr : bn_us_err(err);
}

ssize_t bn_us_tcp_send_once(usocket *s, const void *buf, size_t len, bool dontwait)
{
  if (buf == NULL && len > 0) {
    return -USOCKET_EINVAL;
  }
  long timeout = bn_us_timeout(s);
  if (timeout == 0) {
    dontwait = true;
  }
  bn_us_deadline d;
  bn_us_deadline_set(&d, timeout);
  for (;;) {
    uint64_t gen = bn_us_generation();
    bn_us_state st = bn_us_refresh_state(s);
    ssize_t n;
    if (st == BN_US_FAILED) {
      n = -bn_us_conn_err(s);
    } else if (st == BN_US_NEW || st == BN_US_LISTENING) {
      n = -USOCKET_ENOTCONN;
    } else if (st == BN_US_CONNECTING) {
      n = -USOCKET_EAGAIN;
    } else if (len == 0) {
      n = 0;
    } else {
      n = tcp_write_now(s, buf, len);
    }
    if (n != -USOCKET_EAGAIN || dontwait) {
      return n;
    }
    int rc = bn_us_wait(s, BN_US_WAIT_SEND, gen, &d);
    if (rc < 0) {
      return rc;
    }
  }
}

ssize_t bn_us_dgram_send(usocket *s, const void *buf, size_t len, const ip_addr_t *to, u16_t port)
{
  if (buf == NULL && len > 0) {
    return -USOCKET_EINVAL;
  }
  if (len > 0xffff) {
    len = 0xffff; /* as MicroPython */
  }
  struct netbuf *nb = netbuf_new();
  if (nb == NULL) {
    return -USOCKET_ENOMEM;
  }
  void *data = netbuf_alloc(nb, (u16_t)len);
  if (data == NULL) {
    netbuf_delete(nb);
    return -USOCKET_ENOMEM;
  }
  memcpy(data, buf, len);
  err_t err = to != NULL ? netconn_sendto(s->conn, nb, to, port) : netconn_send(s->conn, nb);
  netbuf_delete(nb);
  return err == ERR_OK ? (ssize_t)len : bn_us_err(err);
}

ssize_t usocket_send(usocket *s, const void *buf, size_t len)
{
  int rc = bn_us_enter(s);
  if (rc < 0) {
    return rc;
  }
  ssize_t n;
  if (s->type == USOCKET_SOCK_STREAM) {
    n = bn_us_tcp_send_once(s, buf, len, false);
    if (n < 0 && bn_us_conn_err(s) == -n) {
      n = bn_us_report_err(s, (int)-n);
    }
  } else {
    n = bn_us_dgram_send(s, buf, len, NULL, 0);
  }
  bn_us_leave(s);
  return n;
}

int usocket_sendall(usocket *s, const void *buf, size_t len)
{
  int rc = bn_us_enter(s);
  if (rc < 0) {
    return rc;
  }
  if (s->type != USOCKET_SOCK_STREAM) {
    bn_us_leave(s);
    return -USOCKET_EOPNOTSUPP; /* MicroPython: NotImplementedError */
  }
  if (buf == NULL && len > 0) {
    bn_us_leave(s);
    return -USOCKET_EINVAL;
  }
  if (bn_us_timeout(s) == 0 && bn_us_refresh_state(s) == BN_US_CONNECTED) {
    /* modlwip: all or nothing when non-blocking. */
    LOCK_TCPIP_CORE();
    size_t room = s->conn->pcb.tcp != NULL ? tcp_sndbuf(s->conn->pcb.tcp) : 0;
    UNLOCK_TCPIP_CORE();
    if (len > room) {
      bn_us_leave(s);
      return -USOCKET_EAGAIN;
    }
  }
  const char *p = buf;
  while (len > 0) {
    ssize_t n = bn_us_tcp_send_once(s, p, len, false);
    if (n < 0) {
      if (bn_us_conn_err(s) == -n) {
        n = bn_us_report_err(s, (int)-n);
      }
      rc = (int)n;
      break;
    }
    p += n;
    len -= (size_t)n;
  }
  bn_us_leave(s);
  return rc;
}

ssize_t usocket_sendto(usocket *s, const void *buf, size_t len, const usocket_addr *to)
{
  ip_addr_t ip;
  u16_t port;
  int rc = bn_us_enter(s);
  if (rc < 0) {
    return rc;
  }
  ssize_t n = bn_us_addr_parse(to, &ip, &port);
  if (n == 0) {
    if (s->type == USOCKET_SOCK_STREAM) {
      n = bn_us_tcp_send_once(s, buf, len, false); /* modlwip: address ignored */
    } else {
      n = bn_us_dgram_send(s, buf, len, &ip, port);
    }
  }
  bn_us_leave(s);
  return n;
}

/* A connected (or failed) TCP socket's readiness, modlwip's
 * lwip_socket_ioctl(MP_STREAM_POLL) state by state:
 * - reset, not yet reported (ERR_RST): POLLERR|POLLHUP, and POLLIN and POLLOUT
 *   if asked (a recv returns queued data or raises; a send raises);
 * - reset reported by a receive (STATE_PEER_RST_HANDLED): POLLHUP, and
 *   POLLIN if asked (a recv gives EOF);
 * - another error: POLLERR, and POLLIN if data is still queued;
 * - the peer closed (STATE_PEER_CLOSED): POLLIN and POLLOUT if asked;
 * - else POLLIN if data is queued, POLLOUT if the send buffer has room. */
static unsigned tcp_poll_connected(usocket *s, unsigned events)
{
  int err = 0;
  bool data = false, eof = false;
  bn_mutex_lock(&s->rx_mu);
  if (rx_fill_locked(s, &err) == 0) {
    data = s->rx_p != NULL;
    eof = s->rx_eof;
  }
  bn_mutex_unlock(&s->rx_mu);
  bn_us_reported reported;
  err = bn_us_conn_err_reported(s, &reported);
  bool reset = err == USOCKET_ECONNRESET;
  unsigned ready = 0;
  if (data || reset || (eof && err == 0)) {
    ready |= events & USOCKET_POLLIN;
  }
  if (reset && reported == BN_US_REPORTED_RST_HANDLED) {
    ready |= USOCKET_POLLHUP;
  } else if (reset) {
    ready |= (events & USOCKET_POLLOUT) | USOCKET_POLLERR | USOCKET_POLLHUP;
  } else if (err != 0) {
    ready |= USOCKET_POLLERR;
  } else if (eof) {
    ready |= events & USOCKET_POLLOUT; /* modlwip: the peer closed reads and writes */
  } else if (events & USOCKET_POLLOUT) {
    LOCK_TCPIP_CORE();
    bool room = s->conn->pcb.tcp != NULL && tcp_sndbuf(s->conn->pcb.tcp) > 0;
    if (!room) {
      netconn_set_flags(s->conn, NETCONN_FLAG_CHECK_WRITESPACE);
    }
    UNLOCK_TCPIP_CORE();
    if (room) {
      ready |= USOCKET_POLLOUT;
    }
  }
  return ready;
}

unsigned bn_us_poll_one(usocket *s, unsigned events)
{
  if (bn_us_enter(s) < 0) {
    return USOCKET_POLLNVAL;
  }
  unsigned ready = 0;
  if (s->type != USOCKET_SOCK_STREAM) {
    if (events & USOCKET_POLLIN) {
      int err;
      bn_mutex_lock(&s->rx_mu);
      if (rx_fill_locked(s, &err) == 0) {
        ready |= err == 0 ? USOCKET_POLLIN : USOCKET_POLLERR;
      }
      bn_mutex_unlock(&s->rx_mu);
    }
    ready |= events & USOCKET_POLLOUT;
    bn_us_leave(s);
    return ready;
  }
  bn_us_state st = bn_us_refresh_state(s);
  switch (st) {
  case BN_US_NEW:
    /* modlwip: a fresh pcb has tcp_sndbuf() > 0, and HUP for STATE_NEW */
    ready |= USOCKET_POLLHUP | (events & USOCKET_POLLOUT);
    break;
  case BN_US_LISTENING:
    if (events & USOCKET_POLLIN) {
      bn_mutex_lock(&s->rx_mu);
      if (bn_us_accept_fill_locked(s) > 0) {
        ready |= USOCKET_POLLIN; /* a live connection, not the marker of an aborted one */
      }
      bn_mutex_unlock(&s->rx_mu);
    }
    break;
  case BN_US_CONNECTING:
    break;
  case BN_US_CONNECTED:
  case BN_US_FAILED:
    ready |= tcp_poll_connected(s, events);
    break;
    default:
    break;
  }
  bn_us_leave(s);
  return ready;
}
