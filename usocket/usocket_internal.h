/*
 * usocket's internals, shared by its source files (not installed): the socket
 * object, the one lock that guards socket state and waits, and the helpers
 * every method uses (reference counting, deadlines, waiting, lwIP error
 * mapping, addresses).
 *
 * Concurrency model: every netconn is non-blocking; usocket never blocks
 * inside lwIP. A blocking method tries its operation, and if it would block
 * sleeps in bn_us_wait() on a condition variable of its own until lwIP reports
 * an event on that socket of the kind it waits for (the netconn callback bumps
 * bn_us_gen and wakes the threads waiting for that socket and that kind, and
 * those polling any), the socket is
 * closed, or its deadline passes; then it tries again. Lock order: a socket's rx/tx mutex,
 * then lwIP's core lock, then bn_us_mu (the netconn callback runs under the core
 * lock and takes bn_us_mu); nothing calls lwIP while holding bn_us_mu.
 */
#ifndef USOCKET_INTERNAL_H
#define USOCKET_INTERNAL_H

#include "bn_sched.h" /* netif/base: the board's threads and locks */
#include <stdbool.h>
#include <stdint.h>

#include "bn_clock.h"
#include "lwip/api.h"
#include "lwip/ip_addr.h"
#include "usocket.h"

/** A TCP socket's life as MicroPython's modlwip tracks it. */
typedef enum bn_us_state {
  BN_US_NEW,          /**< TCP, never connected nor listening */
  BN_US_LISTENING,
  BN_US_CONNECTING,
  BN_US_CONNECTED,    /**< also after the peer's FIN (EOF is in rx_eof) */
  BN_US_FAILED,       /**< the connection failed; the error is in conn_err */
  BN_US_DGRAM,        /**< UDP or RAW */
} bn_us_state;

/**
 * How far a TCP connection's error has been reported, as modlwip's state
 * after an error: not yet (its state is the lwIP error), ECONNRESET raised by
 * a receive (STATE_PEER_RST_HANDLED: reads give EOF from then on), or raised
 * otherwise (_ERR_BADF: every call gives EBADF, poll POLLNVAL).
 */
typedef enum bn_us_reported {
  BN_US_REPORTED_NOT,
  BN_US_REPORTED_RST_HANDLED,
  BN_US_REPORTED_BADF,
} bn_us_reported;

struct usocket {
  /* Set at creation, then read-only. */
  int af, type;
  /* Owned by the socket until the last user leaves a closed socket. */
  struct netconn *conn;
  /* Receive side: the datagram or the TCP data fetched from lwIP but not yet
   * handed to the application. Guarded by rx_mu. */
  bn_mutex_t rx_mu;
  struct pbuf *rx_p;        /* TCP: data, consumed from rx_off on */
  uint16_t rx_off;
  struct netbuf *rx_nb;     /* UDP/RAW: one datagram */
  bool rx_eof;              /* TCP: the peer's FIN was reached */
  /* Listener: the next connection, taken off lwIP's accept queue (which also
   * holds markers of connections lwIP aborted) and alive when last looked at;
   * it keeps its place in the backlog until accept() returns it. */
  struct netconn *acc_nc;
  /* Send side: one writer at a time on the netconn. */
  bn_mutex_t tx_mu;
  /* Guarded by bn_us_mu. */
  bn_us_state state;
  long timeout_ms;          /* USOCKET_TIMEOUT_NONE, 0 or > 0 */
  int conn_err;             /* errno of a failed connection, 0 if none */
  bn_us_reported reported;     /* how far conn_err has been reported */
  usocket_addr peer;        /* TCP: the connected peer */
  int users;                /* calls in progress on the socket */
  bool closed;              /* usocket_close() was called */
  bool freed;               /* usocket_free() was called */
};

/* The lock of socket state and of all waits, and the event generation. */
extern bn_mutex_t bn_us_mu;
extern uint64_t bn_us_gen;

/** The netconn callback every usocket netconn is created with. */
void bn_us_event(struct netconn *conn, enum netconn_evt evt, u16_t len);

/** Wraps a netconn into a new socket (registered, non-blocking); NULL on ENOMEM. */
usocket *bn_us_wrap(struct netconn *conn, int af, int type, bn_us_state state);

/**
 * Enters a method: -USOCKET_EBADF if s is closed (or its connection error was
 * already reported), -USOCKET_EINVAL if s is NULL, else 0 and the socket's
 * netconn stays valid until bn_us_leave().
 */
int bn_us_enter(usocket *s);
/** Leaves a method; the last user of a closed socket releases it. */
void bn_us_leave(usocket *s);

/** The current event generation (read before trying an operation). */
uint64_t bn_us_generation(void);

/** An absolute deadline on the board's clock (BN_CLOCK_FOREVER: none). */
typedef struct bn_us_deadline {
  uint64_t at;
} bn_us_deadline;
/** The deadline timeout_ms from now; none when timeout_ms < 0. */
void bn_us_deadline_set(bn_us_deadline *d, long timeout_ms);

/** What a waiting thread waits for (bn_us_wait()); errors and closes wake both. */
enum {
  BN_US_WAIT_RECV = 1, /**< data, a peer's FIN, a connection to accept (lwIP's RCVPLUS) */
  BN_US_WAIT_SEND = 2, /**< room to send, a connect that completed (lwIP's SENDPLUS) */
  BN_US_WAIT_ANY = BN_US_WAIT_RECV | BN_US_WAIT_SEND,
};

/**
 * Sleeps until an event of a kind in `events` newer than gen, s closed (s
 * may be NULL: an event on any socket), or the deadline. An event of another
 * kind (the ACK of sent data, for a receiver) does not wake the thread; one
 * that came between reading gen and this call makes it return at once (it
 * tries again). Returns 0 to try again, -USOCKET_ETIMEDOUT, -USOCKET_EBADF.
 * Wakes at least every 100 ms to re-check, so a missed event costs latency,
 * never a hang.
 */
int bn_us_wait(usocket *s, unsigned events, uint64_t gen, const bn_us_deadline *d);

/** What the waits have done so far (for tests: who an event woke). */
typedef struct bn_us_wait_counts {
  uint64_t send_events;  /**< lwIP's SENDPLUS events (room to send, an ACK) */
  uint64_t recv_events;  /**< lwIP's RCVPLUS events */
  uint64_t wakeups;      /**< waiting threads signalled */
  unsigned waiting;      /**< threads waiting now */
} bn_us_wait_counts;
/** Copies the counts, under the lock. */
void bn_us_wait_counts_get(bn_us_wait_counts *out);

/** The socket's timeout, read under the lock. */
long bn_us_timeout(usocket *s);

/** MicroPython's err_t -> errno table (modlwip.c, lwIP 2.x), negated. */
int bn_us_err(err_t err);

/** (ip, port) -> lwIP address; "" is any. -USOCKET_EINVAL if malformed. */
int bn_us_addr_parse(const usocket_addr *a, ip_addr_t *ip, u16_t *port);
/** lwIP address -> (ip, port). */
void bn_us_addr_format(const ip_addr_t *ip, u16_t port, usocket_addr *out);

/** Records a connection error (positive errno) once; under bn_us_mu. */
void bn_us_set_conn_err_locked(usocket *s, int err);
/** The recorded connection error (positive errno, 0 if none). */
int bn_us_conn_err(usocket *s);
/** The recorded connection error and how far it has been reported. */
int bn_us_conn_err_reported(usocket *s, bn_us_reported *reported);
/** Reports a connection error as send()/sendall()/sendto() do (modlwip's
 * lwip_socket_check_connected()): this once, then EBADF. Returns -err. */
int bn_us_report_err(usocket *s, int err);

/** TCP: refreshes BN_US_CONNECTING from lwIP; returns the state after. */
bn_us_state bn_us_refresh_state(usocket *s);

/**
 * Receives once (internal to recv/recvfrom/read...): waits per the socket's
 * timeout unless dontwait. Returns bytes (> 0), 0 at EOF, -USOCKET_EAGAIN
 * when it would block, or another negative errno. TCP, as modlwip's
 * lwip_tcp_receive(): data queued before a connection error is returned
 * first; then the error, once (ECONNRESET leaves the socket giving EOF, any
 * other error EBADF).
 */
ssize_t bn_us_recv_once(usocket *s, void *buf, size_t len, int flags, usocket_addr *from,
                     bool dontwait);

/** TCP: sends once (maybe short), waiting per the timeout unless dontwait. */
ssize_t bn_us_tcp_send_once(usocket *s, const void *buf, size_t len, bool dontwait);

/** UDP/RAW: sends one datagram (to the connected peer when to is NULL). */
ssize_t bn_us_dgram_send(usocket *s, const void *buf, size_t len, const ip_addr_t *to, u16_t port);

/** Readiness of s for poll (revents, ERR/HUP/NVAL included). */
unsigned bn_us_poll_one(usocket *s, unsigned events);

/**
 * Listener: makes s->acc_nc the next live connection lwIP has queued, if any,
 * dropping the markers of aborted connections and connections reset before
 * accept (under rx_mu). Returns 1 if s->acc_nc is set, 0 if nothing is
 * queued, or a negative errno.
 */
int bn_us_accept_fill_locked(usocket *s);

/** Resets a connection lwIP queued on a listener that will never be
 * accepted, and frees its netconn. */
void bn_us_reset_unaccepted(struct netconn *nc);

/** Wakes every thread waiting in bn_us_wait() (an event not tied to a socket). */
void bn_us_wake_all(void);

/** Wakes the threads waiting for s and one of events (BN_US_WAIT_*), and
 *  those waiting for any socket and one of them; s NULL and events 0 wake
 *  everyone. Under bn_us_mu. */
void bn_us_wake_locked(const usocket *s, unsigned events);

/** Wakes the threads an lwIP event on s (NULL: a netconn with no socket
 *  yet) concerns, once the core lock is released when the caller holds it
 *  (at once otherwise). Under bn_us_mu, after bumping bn_us_gen. */
void bn_us_wake_event_locked(const usocket *s, enum netconn_evt evt);

#endif /* USOCKET_INTERNAL_H */
