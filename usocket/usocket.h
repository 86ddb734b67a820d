/*
 * usocket: MicroPython's socket (usocket) and select.poll modules as a C API,
 * on lwIP's sequential netconn API. Installed as <boardnet/usocket.h>.
 *
 * Board code written for MicroPython's socket module ports to this API one
 * call for one method, with the same behaviour as MicroPython's lwIP port
 * (extmod/modlwip.c): where that differs from BSD sockets, MicroPython wins.
 *
 * Conventions
 * - A socket is an opaque handle (usocket *). usocket_socket() and
 *   usocket_accept() create one; usocket_close() closes it (idempotent; the
 *   handle stays valid and every later call on it gives -USOCKET_EBADF);
 *   usocket_free() closes it if needed and releases the handle. Like a
 *   MicroPython object that is garbage-collected, a handle must not be used
 *   after usocket_free().
 * - Every function returns a non-negative result or a negative MicroPython
 *   errno (-USOCKET_E*, Linux numbering). usocket_getaddrinfo() alone reports
 *   resolver failures with its own negative numbers (USOCKET_GAI_*).
 * - MicroPython's stream methods (read, readinto, readline, write) return
 *   None instead of raising EAGAIN when a non-blocking socket would block
 *   before anything was transferred: here they return USOCKET_NONE, a
 *   negative value that is no errno. If some bytes were transferred before
 *   it would block, they return that partial count, as MicroPython does.
 * - An address is MicroPython's (ip, port) tuple: usocket_addr, a dotted IPv4
 *   string and a port. "" (empty string) in bind/connect means INADDR_ANY.
 * - Timeouts are milliseconds: USOCKET_TIMEOUT_NONE (MicroPython's None)
 *   blocks forever, 0 is non-blocking, t > 0 bounds each blocking call.
 * - Thread safety: several threads may use different sockets at once; on
 *   one TCP socket one thread may receive while another sends. A close from
 *   another thread wakes a thread blocked in that socket's recv/accept/
 *   connect/send/poll, which returns -USOCKET_EBADF.
 * - The stack must be running (bn_stack_start()) before any call.
 *
 * Where usocket deviates from modlwip on purpose, one line each:
 * - send()/sendall()/sendto() after recv() has raised ECONNRESET raise it once
 *   more, then EBADF (modlwip looks the errno up outside its table there).
 * - Blocking calls sleep until lwIP reports an event; modlwip polls every
 *   millisecond. Results are the same, only the latency differs.
 * - IPv4 only: AF_INET6 is accepted and stored, as on an IPv4-only port.
 */
#ifndef BOARDNET_USOCKET_H
#define BOARDNET_USOCKET_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- errors: MicroPython's errno values (Linux numbering), returned negated ---- */
#define USOCKET_EPERM         1
#define USOCKET_ENOENT        2
#define USOCKET_EIO           5
#define USOCKET_EBADF         9
#define USOCKET_EAGAIN        11
#define USOCKET_EWOULDBLOCK   USOCKET_EAGAIN
#define USOCKET_ENOMEM        12
#define USOCKET_EACCES        13
#define USOCKET_EEXIST        17
#define USOCKET_ENODEV        19
#define USOCKET_EISDIR        21
#define USOCKET_EINVAL        22
#define USOCKET_EOPNOTSUPP    95
#define USOCKET_EADDRINUSE    98
#define USOCKET_ECONNABORTED  103
#define USOCKET_ECONNRESET    104
#define USOCKET_ENOBUFS       105
#define USOCKET_EISCONN       106
#define USOCKET_ENOTCONN      107
#define USOCKET_ETIMEDOUT     110
#define USOCKET_ECONNREFUSED  111
#define USOCKET_EHOSTUNREACH  113
#define USOCKET_EALREADY      114
#define USOCKET_EINPROGRESS   115

/**
 * MicroPython's None result of a stream method (read/readinto/readline/
 * write) on a non-blocking socket that would block with nothing transferred.
 * Negative, and no errno: test for it before treating a result as -errno.
 */
#define USOCKET_NONE          (-10000)

/* ---- getaddrinfo failures: MicroPython raises OSError with these negative
 * numbers, lwIP's err_t values (modlwip's lwip_getaddrinfo()) ---- */
/** The name did not resolve: NXDOMAIN, a server error, or no answer after
 * lwIP's retries (modlwip's -2 from its resolver callback). */
#define USOCKET_GAI_NONAME    (-2)
/** lwIP's ERR_VAL: no DNS server is configured (returned at once). */
#define USOCKET_GAI_NOSERVER  (-6)
/** lwIP's ERR_ARG: empty or over-long name, or resolver not available. */
#define USOCKET_GAI_ARG       (-16)
/** lwIP's ERR_MEM: no resources for the query. */
#define USOCKET_GAI_MEM       (-1)

/* ---- constants, with MicroPython's values on lwIP ---- */
#define USOCKET_AF_INET            2
#define USOCKET_AF_INET6           10
#define USOCKET_SOCK_STREAM        1
#define USOCKET_SOCK_DGRAM         2
#define USOCKET_SOCK_RAW           3
#define USOCKET_SOL_SOCKET         1
#define USOCKET_SO_REUSEADDR       0x04    /* lwIP's SOF_REUSEADDR */
#define USOCKET_SO_BROADCAST       0x20    /* lwIP's SOF_BROADCAST */
#define USOCKET_IPPROTO_IP         0
#define USOCKET_IPPROTO_TCP        6
#define USOCKET_TCP_NODELAY        0x40    /* lwIP's TF_NODELAY */
#define USOCKET_IP_ADD_MEMBERSHIP  0x400
#define USOCKET_IP_DROP_MEMBERSHIP 0x401
/* recv flags: the values of lwIP's sockets.h, as MicroPython's lwIP-based
 * ports (esp32) expose them. */
#define USOCKET_MSG_PEEK           0x01
#define USOCKET_MSG_DONTWAIT       0x08

/* ---- select.poll event bits: MicroPython's values ---- */
#define USOCKET_POLLIN    0x0001
#define USOCKET_POLLOUT   0x0004
#define USOCKET_POLLERR   0x0008
#define USOCKET_POLLHUP   0x0010
#define USOCKET_POLLNVAL  0x0020

/** settimeout(None): block forever. */
#define USOCKET_TIMEOUT_NONE   (-1L)
/** listen() without argument: MicroPython's default backlog (2). */
#define USOCKET_BACKLOG_DEFAULT INT_MIN
/** The backlog MicroPython uses when listen() gets no argument. */
#define USOCKET_BACKLOG_DEFAULT_VALUE 2

/** Room for a dotted IPv4 (or IPv6) address and its NUL. */
#define USOCKET_IPSTRLEN 46

/** The opaque socket handle. */
typedef struct usocket usocket;

/** MicroPython's address tuple ('192.0.2.1', 80). */
typedef struct usocket_addr {
  char ip[USOCKET_IPSTRLEN];   /**< dotted IPv4, NUL-terminated; "" = any */
  uint16_t port;
} usocket_addr;

/** One 5-tuple of getaddrinfo: (family, type, proto, canonname, sockaddr). */
typedef struct usocket_addrinfo {
  int family;                      /**< USOCKET_AF_INET */
  int type;                        /**< USOCKET_SOCK_STREAM (as MicroPython) */
  int proto;                       /**< 0 */
  char canonname[1];               /**< "" (MicroPython never fills it) */
  usocket_addr addr;               /**< (ip, port) */
  struct usocket_addrinfo *next;   /**< next tuple, NULL at the end */
} usocket_addrinfo;

/* ======================================================================== */
/* module functions                                                         */
/* ======================================================================== */

/**
 * socket.socket(af, type, proto): a new socket, blocking (timeout None).
 * @param af    USOCKET_AF_INET or USOCKET_AF_INET6 (the address family is
 *              stored only, as in MicroPython; the stack is IPv4)
 * @param type  USOCKET_SOCK_STREAM, USOCKET_SOCK_DGRAM or USOCKET_SOCK_RAW
 * @param proto 0, or the IP protocol number for SOCK_RAW
 * @param out   receives the handle (set to NULL on error)
 * @return 0; -USOCKET_EINVAL bad af/type or out NULL; -USOCKET_ENOMEM no
 *         netconn/pcb/memory left (the board profile's MEMP_NUM_NETCONN,
 *         MEMP_NUM_TCP_PCB, MEMP_NUM_UDP_PCB, MEMP_NUM_RAW_PCB are the limits).
 */
int usocket_socket(int af, int type, int proto, usocket **out);

/**
 * socket.getaddrinfo(host, port, af, type, proto, flags). As MicroPython on
 * lwIP: resolves with the board's DNS resolver (a dotted IPv4 host needs no
 * DNS) and returns exactly one tuple (AF_INET, SOCK_STREAM, 0, "", (ip, port));
 * af/type/proto/flags are accepted and ignored (MicroPython only warns).
 * Blocks until lwIP's resolver answers or gives up (its own retries bound it).
 * @param res receives the list; free it with usocket_freeaddrinfo()
 * @return 0; USOCKET_GAI_NOSERVER (-6) at once when the board has no DNS
 *         server; USOCKET_GAI_NONAME (-2) when the name does not resolve;
 *         USOCKET_GAI_ARG, USOCKET_GAI_MEM (the negative numbers MicroPython
 *         raises); -USOCKET_EINVAL for a NULL host/res or a port outside
 *         0..65535; -USOCKET_ENOMEM.
 */
int usocket_getaddrinfo(const char *host, int port, int af, int type, int proto, int flags,
                        usocket_addrinfo **res);

/** Frees a getaddrinfo() result (NULL is fine). */
void usocket_freeaddrinfo(usocket_addrinfo *res);

/* ======================================================================== */
/* socket methods                                                           */
/* ======================================================================== */

/**
 * socket.close(). Idempotent: closing a closed socket returns 0. Threads
 * blocked on this socket wake and return -USOCKET_EBADF; the lwIP
 * connection is released when the last of them has left. A TCP connection
 * is closed gracefully (FIN) unless unread data forces lwIP to reset it.
 * Queued, not yet accepted connections of a listening socket are reset.
 * @return 0, or -USOCKET_EINVAL for a NULL handle.
 */
int usocket_close(usocket *s);

/**
 * Releases the handle (closing the socket first if needed). After this the
 * handle must not be used again, nor be registered in a poller. NULL is fine.
 */
void usocket_free(usocket *s);

/**
 * socket.bind(address).
 * @return 0; -USOCKET_EADDRINUSE the (ip, port) is taken, or a TCP socket
 *   is bound already, to any port (lwIP's tcp_bind() answers so for the same
 *   port; for another one it would link the pcb twice and corrupt lwIP's
 *   list of bound pcbs, as it does under MicroPython); SO_REUSEADDR
 *   lets a server rebind while the old connection is in TIME_WAIT;
 *   -USOCKET_EINVAL ip not a dotted IPv4; -USOCKET_EBADF closed.
 */
int usocket_bind(usocket *s, const usocket_addr *addr);

/**
 * socket.listen([backlog]). USOCKET_BACKLOG_DEFAULT = MicroPython's default
 * (2); a negative backlog counts as 0 (lwIP then allows 1); at most 255.
 * Connections beyond the backlog are not accepted by lwIP (their SYNs are
 * dropped until accept() makes room). Half-open connections (SYN received,
 * handshake not completed) count too: a backlog full of them refuses new
 * connections until lwIP's SYN_RCVD timeout (about 20 s) frees it, as on
 * the board.
 * @return 0; -USOCKET_EOPNOTSUPP not a TCP socket; -USOCKET_EINVAL already
 *   connected; -USOCKET_ENOMEM no listening pcb left; -USOCKET_EADDRINUSE;
 *   -USOCKET_EBADF closed.
 */
int usocket_listen(usocket *s, int backlog);

/**
 * socket.accept(). The new socket inherits the listener's timeout. A queued
 * connection that was reset before accept(), and the entries lwIP queues for
 * connections it aborted (out of pcbs or netconns), are dropped all at once
 * and never returned: accept() returns the next live connection, and poll
 * reports POLLIN on the listener only for one.
 * @param client receives the new socket (free it with usocket_free())
 * @param peer   receives the peer's (ip, port); may be NULL
 * @return 0; -USOCKET_EAGAIN non-blocking and nothing pending;
 *   -USOCKET_ETIMEDOUT timeout expired; -USOCKET_EINVAL not listening;
 *   -USOCKET_EOPNOTSUPP not a TCP socket; -USOCKET_ENOMEM; -USOCKET_EBADF
 *   closed (also when closed by another thread while waiting).
 */
int usocket_accept(usocket *s, usocket **client, usocket_addr *peer);

/**
 * socket.connect(address). TCP: blocking waits until connected; with a
 * timeout, when it expires -USOCKET_ETIMEDOUT is returned (MicroPython's
 * lwIP port since v1.23, PR #15223) and the connection attempt continues in
 * the background;
 * non-blocking returns -USOCKET_EINPROGRESS at once and completes in the
 * background (poll then reports POLLOUT when connected, POLLHUP/POLLERR when
 * refused). UDP/RAW: sets the default destination.
 * @return 0; -USOCKET_EINPROGRESS; -USOCKET_ETIMEDOUT; -USOCKET_EISCONN already connected;
 *   -USOCKET_EALREADY a connect is in progress; -USOCKET_ECONNRESET refused
 *   (lwIP reports the peer's RST through its error callback: ERR_RST);
 *   -USOCKET_ECONNABORTED; -USOCKET_EHOSTUNREACH no route;
 *   -USOCKET_EINVAL bad address; -USOCKET_EBADF closed. As modlwip, a
 *   listening or failed socket gives -USOCKET_EALREADY.
 */
int usocket_connect(usocket *s, const usocket_addr *addr);

/**
 * socket.send(bytes). TCP: may write fewer bytes than asked and returns the
 * count; blocking (or with a timeout) waits until the send buffer has room.
 * UDP/RAW: sends one datagram to the connected destination.
 * @return bytes queued; -USOCKET_EAGAIN non-blocking and no room;
 *   -USOCKET_ETIMEDOUT; -USOCKET_ENOTCONN not connected; -USOCKET_ECONNRESET
 *   / -USOCKET_ECONNABORTED connection failed (reported once, then
 *   -USOCKET_EBADF as MicroPython: the socket is done, poll gives
 *   POLLNVAL); -USOCKET_ENOMEM/-USOCKET_ENOBUFS no memory; -USOCKET_EBADF
 *   closed.
 */
ssize_t usocket_send(usocket *s, const void *buf, size_t len);

/**
 * socket.sendall(bytes). Blocking: never writes short (the timeout, if any,
 * bounds each wait for room, as MicroPython on lwIP). Non-blocking: if the
 * send buffer cannot take everything now, fails with -USOCKET_EAGAIN without
 * sending anything. TCP only (MicroPython raises NotImplementedError for UDP:
 * -USOCKET_EOPNOTSUPP).
 * @return 0, or the errors of usocket_send().
 */
int usocket_sendall(usocket *s, const void *buf, size_t len);

/**
 * socket.recv(bufsize[, flags]). TCP: returns what is available (at least 1
 * byte), 0 at the peer's orderly close (EOF). After a peer's reset, as
 * modlwip (since micropython #18547): the data that arrived before it stays
 * readable; once it is drained recv raises -USOCKET_ECONNRESET once, and
 * from then on returns 0 (EOF) every time, blocking or not (modlwip's
 * STATE_PEER_RST_HANDLED). Any other connection error is raised once, then
 * -USOCKET_EBADF. UDP: one datagram, truncated to bufsize.
 * flags: USOCKET_MSG_PEEK (leave the data queued), USOCKET_MSG_DONTWAIT
 * (this call is non-blocking).
 * @return bytes received; -USOCKET_EAGAIN non-blocking and nothing there
 *   (also a non-blocking TCP socket not connected yet, as modlwip);
 *   -USOCKET_ETIMEDOUT; -USOCKET_ENOTCONN a listener, or a blocking TCP
 *   socket not connected; -USOCKET_ECONNRESET; -USOCKET_EBADF closed.
 */
ssize_t usocket_recv(usocket *s, void *buf, size_t len, int flags);

/**
 * socket.sendto(bytes, address). UDP/RAW: one datagram to address (over
 * 65535 bytes is cut to 65535, as MicroPython). TCP: address is ignored and
 * it behaves as send().
 * @return bytes sent; -USOCKET_EINVAL bad address; -USOCKET_EHOSTUNREACH no
 *   route; -USOCKET_ENOMEM / -USOCKET_ENOBUFS no pbuf; -USOCKET_EBADF.
 */
ssize_t usocket_sendto(usocket *s, const void *buf, size_t len, const usocket_addr *to);

/**
 * socket.recvfrom(bufsize[, flags]). UDP: one datagram (truncated to bufsize,
 * the rest of it is discarded) and its sender. TCP: as recv(), the address is
 * the connected peer. Errors as usocket_recv().
 * @param from receives the sender; may be NULL
 */
ssize_t usocket_recvfrom(usocket *s, void *buf, size_t len, int flags, usocket_addr *from);

/**
 * socket.setsockopt(level, optname, value). As MicroPython on lwIP the level
 * is ignored (option numbers are distinct). value is an int (len ==
 * sizeof(int)) or a byte buffer:
 * - SO_REUSEADDR, SO_BROADCAST, TCP_NODELAY: int, non-zero sets.
 *   TCP_NODELAY on a listening socket does nothing (lwIP's listening pcb
 *   has no such flag; modlwip would write past it into another pcb).
 * - IP_ADD_MEMBERSHIP / IP_DROP_MEMBERSHIP: 8 bytes, group then interface
 *   address (network byte order, as struct ip_mreq); joins/leaves the group.
 * - Any other option: ignored and 0 returned (MicroPython prints a warning and
 *   does nothing).
 * @return 0; -USOCKET_EINVAL value of the wrong size (MicroPython's
 *   ValueError) or NULL; IGMP errors (-USOCKET_ENOMEM, -USOCKET_EINVAL ...);
 *   -USOCKET_EBADF closed.
 */
int usocket_setsockopt(usocket *s, int level, int optname, const void *value, size_t len);

/**
 * socket.settimeout(value), in milliseconds: USOCKET_TIMEOUT_NONE blocks
 * forever, 0 makes the socket non-blocking, t > 0 bounds each blocking call
 * (which then fails with -USOCKET_ETIMEDOUT).
 * @return 0; -USOCKET_EINVAL for other negative values; -USOCKET_EBADF.
 */
int usocket_settimeout(usocket *s, long timeout_ms);

/** socket.setblocking(flag): true = settimeout(None), false = settimeout(0). */
int usocket_setblocking(usocket *s, bool blocking);

/**
 * socket.makefile(mode='rb'): returns the socket itself (*file = s);
 * closing either closes the socket. mode is ignored (may be NULL).
 * @return 0; -USOCKET_EBADF closed; -USOCKET_EINVAL file NULL.
 */
int usocket_makefile(usocket *s, const char *mode, usocket **file);

/**
 * stream read(size): reads until size bytes or EOF; never short except at
 * EOF (returns the count, 0 at EOF). Non-blocking (or timeout of 0): returns
 * what was read before it would block, or USOCKET_NONE if nothing was.
 * A timeout or an error gives the negative errno, and the bytes read so far
 * by this call are lost (as py/stream.c). Errors as usocket_recv(), but a
 * connection error is reported on every call (MicroPython's stream methods).
 */
ssize_t usocket_read(usocket *s, void *buf, size_t size);

/**
 * stream read() without size: reads to EOF into a malloc()ed buffer (free()
 * it; NULL when the result is 0 bytes). Non-blocking: the data read before it
 * would block, or USOCKET_NONE if none.
 * @param data receives the buffer
 * @return bytes read; USOCKET_NONE; -USOCKET_ENOMEM; errors as usocket_read().
 */
ssize_t usocket_readall(usocket *s, void **data);

/**
 * stream readinto(buf[, nbytes]): as usocket_read() into buf (never short
 * except at EOF; USOCKET_NONE / partial count when non-blocking).
 */
ssize_t usocket_readinto(usocket *s, void *buf, size_t nbytes);

/**
 * stream readline([limit]): reads up to and including '\n', or limit bytes, or
 * to EOF. The line is not NUL-terminated. Non-blocking: the partial line, or
 * USOCKET_NONE if nothing was read.
 * @return bytes read (0 at EOF); USOCKET_NONE; errors as usocket_read().
 */
ssize_t usocket_readline(usocket *s, void *buf, size_t limit);

/**
 * stream write(buf): on a blocking socket writes everything (never short);
 * with a timeout, -USOCKET_ETIMEDOUT if no room came in time; non-blocking: the count written before it would block, or
 * USOCKET_NONE if none. UDP: one datagram to the connected destination.
 */
ssize_t usocket_write(usocket *s, const void *buf, size_t len);

/* ======================================================================== */
/* select.poll                                                              */
/* ======================================================================== */

/** One socket and its events, for usocket_poll(). */
typedef struct usocket_pollfd {
  usocket *sock;       /**< NULL entries are skipped (revents 0) */
  unsigned events;     /**< USOCKET_POLLIN | USOCKET_POLLOUT */
  unsigned revents;    /**< filled in: events & ready, plus ERR/HUP/NVAL */
} usocket_pollfd;

/**
 * Waits until one of the sockets is ready, as MicroPython's poll on lwIP
 * (modlwip's lwip_socket_ioctl()):
 * POLLIN  data or EOF to read, or a reset (a recv will not block); on a
 *         listener a live pending connection;
 * POLLOUT TCP connected with room in the send buffer, the peer closed, a
 *         reset not yet reported, or never connected (a fresh lwIP pcb has
 *         room, as modlwip reports); UDP always;
 * POLLHUP a TCP socket never connected (nor listening), or reset by the peer;
 * POLLERR the connection failed (a reset until recv or send has reported
 *         it); POLLNVAL the socket is closed, or done after an error.
 * POLLERR/POLLHUP/POLLNVAL are reported whatever events asks for. A socket
 * reset by the peer gives, for events IN, IN|OUT, OUT, 0: 25, 29, 28, 24
 * until recv has raised ECONNRESET, then POLLHUP plus POLLIN if asked (17).
 * @param timeout_ms -1 forever, 0 no wait, else the bound in ms
 * @return the number of entries with revents != 0 (0 on timeout);
 *   -USOCKET_EINVAL fds NULL with n > 0.
 */
int usocket_poll(usocket_pollfd *fds, size_t n, long timeout_ms);

/** select.poll() object. */
typedef struct usocket_poller usocket_poller;

/** select.poll(). @return 0, -USOCKET_EINVAL, -USOCKET_ENOMEM. */
int usocket_poller_new(usocket_poller **out);

/** Frees a poller (NULL is fine); the sockets stay as they are. */
void usocket_poller_free(usocket_poller *p);

/**
 * poll.register(obj[, eventmask]): adds s, or changes its mask if it is
 * already registered (as MicroPython).
 * @return 0; -USOCKET_EINVAL NULL; -USOCKET_ENOMEM.
 */
int usocket_poller_register(usocket_poller *p, usocket *s, unsigned events);

/** poll.modify(obj, eventmask). @return 0; -USOCKET_ENOENT not registered. */
int usocket_poller_modify(usocket_poller *p, usocket *s, unsigned events);

/** poll.unregister(obj). Unknown sockets are ignored. @return 0. */
int usocket_poller_unregister(usocket_poller *p, usocket *s);

/**
 * poll.poll([timeout]): fills out[] with up to max ready (socket, revents)
 * pairs, in registration order.
 * @return the number filled in (0 on timeout); -USOCKET_EINVAL.
 */
int usocket_poller_poll(usocket_poller *p, long timeout_ms, usocket_pollfd *out, size_t max);

#ifdef __cplusplus
}
#endif

#endif /* BOARDNET_USOCKET_H */
