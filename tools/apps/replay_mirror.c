/*
 * --app mirror (replay_mirror.h): one thread per listening port and one that
 * opens the captured board's own connections, each connection re-enacted in
 * a (detached) thread of its own. Every socket in use is registered, so that
 * stopping closes them all (which wakes whatever waits on them) and waits
 * for every thread before the plan they read goes.
 */
#define _GNU_SOURCE
#include "replay_mirror.h"

#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bn_clock.h"
#include "replay_headers.h"
#include "usocket.h"

#define MAX_THREADS 256            /* listening ports, and the opener */
#define MAX_SOCKETS 256
#define BACKLOG_MIN 8               /* lwIP's listen backlog is a u8_t: at most 255 */
#define BACKLOG_MAX 255
#define HEAD_POLL_MS 5

static struct mirror {
  bn_mutex_t mu;
  const bn_rp_plan *plan;
  const bn_rp_live *live;
  long io_timeout_ms;
  bool stop;
  bool *taken;                 /* flows already matched to a live connection */
  unsigned taken_pass;         /* the pass (--loop) taken is about */
  usocket *sockets[MAX_SOCKETS];
  bn_thread_t threads[MAX_THREADS]; /* the listeners and the opener: joined at stop */
  size_t nthreads;
  unsigned conversations;      /* running (detached): stop waits for none */
  unsigned owing;              /* atomic: conversations with a close of the capture still to make */
  bn_cond_t ended;        /* a conversation ended */
  bool running;
} m = { .mu = BN_MUTEX_INITIALIZER, .ended = BN_COND_INITIALIZER };

/* Registers s so that stopping closes it; false (s freed) when stopping. */
static bool hold_socket(usocket *s)
{
  bn_mutex_lock(&m.mu);
  for (size_t i = 0; !m.stop && i < MAX_SOCKETS; i++) {
    if (m.sockets[i] == NULL) {
      m.sockets[i] = s;
      bn_mutex_unlock(&m.mu);
      return true;
    }
  }
  bn_mutex_unlock(&m.mu);
  usocket_free(s);
  return false;
}

static void drop_socket(usocket *s)
{
  bn_mutex_lock(&m.mu);
  for (size_t i = 0; i < MAX_SOCKETS; i++) {
    if (m.sockets[i] == s) {
      m.sockets[i] = NULL;
    }
  }
  bn_mutex_unlock(&m.mu);
  usocket_free(s);
}

static bool stopping(void)
{
  bn_mutex_lock(&m.mu);
  bool stop = m.stop;
  bn_mutex_unlock(&m.mu);
  return stop;
}

/* Starts fn(arg) in a joinable thread; false (nothing started) if it cannot. */
static bool start_thread(void *(*fn)(void *), void *arg, const char *name)
{
  bn_mutex_lock(&m.mu);
  bool ok = !m.stop && m.nthreads < MAX_THREADS && bn_thread_create(&m.threads[m.nthreads], name, fn, arg) == 0;
  if (ok) {
    m.nthreads++;
  }
  bn_mutex_unlock(&m.mu);
  return ok;
}

/* ---- one connection ------------------------------------------------------------ */

struct conversation {
  usocket *s;
  const bn_rp_flow *f;
  size_t got;     /* bytes of the peer's stream received */
  bool eof;
  bool owes;      /* counted in m.owing */
};

/* Receives until the peer's first `need` bytes are in (or its end). */
static void receive_until(struct conversation *c, size_t need)
{
  uint8_t buf[4096];
  while (!c->eof && c->got < need) {
    ssize_t n = usocket_recv(c->s, buf, sizeof(buf), 0);
    if (n <= 0) {
      c->eof = true; /* EOF, a reset, a timeout, or the mirror stopping */
    } else {
      c->got += (size_t)n;
    }
  }
}

/* The peer's stream before a board frame that acknowledged up to ack_rel
 * (the SYN takes sequence number 0, a FIN one more after the data). */
static size_t peer_bytes_before(const bn_rp_flow *f, uint32_t ack_rel)
{
  size_t data = f->peer_rel_end > 0 ? f->peer_rel_end - 1 - (f->peer_fin ? 1 : 0) : 0;
  size_t had = ack_rel > 0 ? ack_rel - 1 : 0;
  return had < data ? had : data;
}

/* The conversation has made the last of the captured board's frames (or never will). */
static void owe_nothing(struct conversation *c)
{
  if (c->owes) {
    c->owes = false;
    __atomic_sub_fetch(&m.owing, 1, __ATOMIC_RELEASE);
  }
}

/* The captured board's side of flow f on connected socket s. */
static void converse(struct conversation *c)
{
  const bn_rp_flow *f = c->f;
  bool kept = !f->stream_gap && !f->stream_dropped;
  size_t sent = 0;
  for (size_t k = 0; k < f->nbframes && !stopping(); k++) {
    const bn_rp_board_frame *b = &f->bframes[k];
    if (b->flags & BN_RP_TCP_RST) {
      receive_until(c, peer_bytes_before(f, b->ack_rel));
      return; /* the captured board reset it: closing is the nearest usocket has */
    }
    size_t end = b->rel_seq > 0 ? (size_t)b->rel_seq - 1 + b->len : 0;
    if (b->len > 0 && end > sent && kept && end <= f->stream_len) {
      receive_until(c, peer_bytes_before(f, b->ack_rel));
      if (usocket_sendall(c->s, f->stream + sent, end - sent) < 0) {
        return;
      }
      sent = end;
    }
    if (b->flags & BN_RP_TCP_FIN) {
      /* First take in the peer's data the captured board took in, by the
       * end of the capture: closing on unread data is a reset in lwIP (a
       * client would cut its own download), and a board that half-closed
       * (FIN, then read on) is one usocket cannot be, so the data comes
       * before the FIN; after the peer's FIN (acknowledged), read to its end. */
      receive_until(c, f->peer_fin && (int32_t)(b->ack_rel - f->peer_rel_end) >= 0
                         ? SIZE_MAX : peer_bytes_before(f, f->board_acked ? f->board_acked_rel : b->ack_rel));
      return;
    }
  }
  owe_nothing(c); /* no FIN in the capture: nothing more of the board's to come */
  receive_until(c, SIZE_MAX); /* until the peer's end */
}

static void *conversation_main(void *arg)
{
  struct conversation c = *(struct conversation *)arg;
  free(arg);
  converse(&c);
  drop_socket(c.s); /* close: FIN */
  owe_nothing(&c);
  bn_mutex_lock(&m.mu);
  m.conversations--;
  bn_cond_broadcast(&m.ended);
  bn_mutex_unlock(&m.mu);
  return NULL;
}

/* Re-enacts f on connected socket s in a detached thread of its own (as
 * many as there are connections at once); frees s if it cannot. */
static void start_conversation(usocket *s, const bn_rp_flow *f)
{
  struct conversation *c = calloc(1, sizeof(*c));
  bn_thread_t thread;
  if (c == NULL) {
    free(c);
    drop_socket(s);
    return;
  }
  c->s = s;
  c->f = f;
  usocket_settimeout(s, m.io_timeout_ms);
  bn_mutex_lock(&m.mu);
  c->owes = true;
  __atomic_add_fetch(&m.owing, 1, __ATOMIC_ACQ_REL); /* before the thread can owe nothing */
  bool ok = !m.stop && bn_thread_create(&thread, "bn-mirror", conversation_main, c) == 0;
  if (!ok) {
    __atomic_sub_fetch(&m.owing, 1, __ATOMIC_RELEASE);
  }
  if (ok) {
    m.conversations++;
    bn_thread_detach(thread);
  }
  bn_mutex_unlock(&m.mu);
  if (!ok) {
    free(c);
    drop_socket(s);
  }
}

/* ---- connections the peers opened ---------------------------------------------------- */

/* The captured flow (not matched yet) of a connection from peer ip:port to the board's port. */
static const bn_rp_flow *flow_of_peer(const usocket_addr *peer, uint16_t board_port)
{
  struct in_addr a;
  if (inet_pton(AF_INET, peer->ip, &a) != 1) {
    return NULL;
  }
  uint32_t ip = ntohl(a.s_addr);
  const bn_rp_flow *found = NULL;
  bn_mutex_lock(&m.mu);
  unsigned pass = __atomic_load_n(&m.live->pass, __ATOMIC_ACQUIRE);
  if (pass != m.taken_pass) {
    memset(m.taken, 0, m.plan->nflows * sizeof(*m.taken)); /* a new pass: the same flows again */
    m.taken_pass = pass;
  }
  for (size_t i = 0; i < m.plan->nflows && found == NULL; i++) {
    const bn_rp_flow *f = &m.plan->flows[i];
    if (f->kind == BN_RP_FLOW_TCP && !f->board_opened && !m.taken[i] && f->peer_ip == ip &&
        bn_rp_live_peer_port(m.live, f) == peer->port && f->board_port == board_port) {
      m.taken[i] = true;
      found = f;
    }
  }
  bn_mutex_unlock(&m.mu);
  return found;
}

struct listener {
  usocket *s;
  uint16_t port;
};

static void *listener_main(void *arg)
{
  struct listener l = *(struct listener *)arg;
  free(arg);
  while (!stopping()) {
    usocket *client;
    usocket_addr peer;
    int rc = usocket_accept(l.s, &client, &peer);
    if (rc == -USOCKET_EBADF || rc == -USOCKET_EINVAL) {
      break; /* closed: the mirror stops */
    }
    if (rc != 0 || !hold_socket(client)) {
      continue;
    }
    const bn_rp_flow *f = flow_of_peer(&peer, l.port);
    if (f == NULL) {
      drop_socket(client); /* no such connection in the capture */
    } else {
      start_conversation(client, f);
    }
  }
  drop_socket(l.s);
  return NULL;
}

static int listen_on(uint16_t port, int backlog, char err[BN_MIRROR_ERRLEN])
{
  usocket *s;
  int one = 1;
  usocket_addr any = { .ip = "", .port = port };
  int rc = usocket_socket(USOCKET_AF_INET, USOCKET_SOCK_STREAM, 0, &s);
  if (rc == 0) {
    usocket_setsockopt(s, USOCKET_SOL_SOCKET, USOCKET_SO_REUSEADDR, &one, sizeof(one));
    rc = usocket_bind(s, &any);
    if (rc == 0) {
      rc = usocket_listen(s, backlog);
    }
    if (rc != 0) {
      usocket_free(s);
    }
  }
  if (rc != 0) {
    snprintf(err, BN_MIRROR_ERRLEN, "--app mirror: cannot listen on port %u: %s", port,
             rc == -USOCKET_EADDRINUSE ? "another --app has it" : "out of sockets");
    return rc == -USOCKET_EADDRINUSE ? -EADDRINUSE : -ENOMEM;
  }
  struct listener *l = malloc(sizeof(*l));
  if (l == NULL || !hold_socket(s)) {
    free(l);
    snprintf(err, BN_MIRROR_ERRLEN, "--app mirror: out of memory");
    return -ENOMEM;
  }
  *l = (struct listener){ .s = s, .port = port };
  if (!start_thread(listener_main, l, "bn-mirror-l")) {
    free(l);
    drop_socket(s);
    snprintf(err, BN_MIRROR_ERRLEN, "--app mirror: cannot start a thread");
    return -ENOMEM;
  }
  return 0;
}

/* ---- connections the captured board opened ------------------------------------------------ */

/* The first step after the captured board's SYN of f: the replay has got
 * there when the live board should open it. */
static size_t open_at(const bn_rp_plan *plan, const bn_rp_flow *f)
{
  size_t i = 0;
  while (i < plan->nsteps && plan->steps[i].number < f->first_number) {
    i++;
  }
  return i;
}

/* Opens the captured board's connection f, then re-enacts it. The opener
 * connects one at a time, in the capture's order: the replay binds each
 * live SYN to the next connection the captured board opened to that peer. */
static void open_connection(const bn_rp_flow *f)
{
  usocket *s;
  if (usocket_socket(USOCKET_AF_INET, USOCKET_SOCK_STREAM, 0, &s) != 0 || !hold_socket(s)) {
    return;
  }
  usocket_addr to = { .port = f->peer_port };
  bn_rp_ip_text(f->peer_ip, to.ip, sizeof(to.ip));
  usocket_settimeout(s, m.io_timeout_ms);
  if (usocket_connect(s, &to) != 0) {
    drop_socket(s);
    return;
  }
  start_conversation(s, f);
}

/* Waits until the replay, in this pass, has got to step at; false if it
 * is past this pass (or ended, or the mirror stops). */
static bool wait_for_step(unsigned pass, size_t at)
{
  for (;;) {
    if (stopping() || __atomic_load_n(&m.live->done, __ATOMIC_ACQUIRE) ||
        __atomic_load_n(&m.live->pass, __ATOMIC_ACQUIRE) != pass) {
      return false;
    }
    if (__atomic_load_n(&m.live->head, __ATOMIC_ACQUIRE) >= at) {
      return true;
    }
    bn_clock_sleep_ms(HEAD_POLL_MS);
  }
}

static void *opener_main(void *arg)
{
  (void)arg;
  const bn_rp_plan *plan = m.plan;
  for (unsigned pass = 0; !stopping() && !__atomic_load_n(&m.live->done, __ATOMIC_ACQUIRE); pass++) {
    while (!stopping() && !__atomic_load_n(&m.live->done, __ATOMIC_ACQUIRE) &&
           __atomic_load_n(&m.live->pass, __ATOMIC_ACQUIRE) < pass) {
      bn_clock_sleep_ms(HEAD_POLL_MS); /* the next pass (--loop) */
    }
    for (size_t i = 0; i < plan->nflows; i++) {
      const bn_rp_flow *f = &plan->flows[i];
      if (f->kind == BN_RP_FLOW_TCP && f->board_opened && f->has_syn && wait_for_step(pass, open_at(plan, f))) {
        open_connection(f);
      }
    }
  }
  return NULL;
}


/* The largest number of connections the peers had open at once to the
 * captured board's port: the listen backlog that accepts as many (a burst of
 * SYNs the captured board took must not find the queue full). */
static int backlog_of(const bn_rp_plan *plan, uint16_t port)
{
  uint64_t *last = calloc(plan->nflows ? plan->nflows : 1, sizeof(*last));
  if (last == NULL) {
    return BACKLOG_MIN;
  }
  for (size_t i = 0; i < plan->nsteps; i++) {
    last[plan->steps[i].flow] = plan->steps[i].number;
  }
  int peak = 0;
  for (size_t i = 0; i < plan->nflows; i++) {
    const bn_rp_flow *f = &plan->flows[i];
    if (f->kind != BN_RP_FLOW_TCP || f->board_opened || !f->has_syn || f->board_port != port) {
      continue;
    }
    int open = 0;  /* the flows on the port open when f's SYN came */
    for (size_t k = 0; k < plan->nflows; k++) {
      const bn_rp_flow *g = &plan->flows[k];
      open += g->kind == BN_RP_FLOW_TCP && !g->board_opened && g->has_syn && g->board_port == port &&
              g->first_number <= f->first_number && last[k] >= f->first_number;
    }
    peak = open > peak ? open : peak;
  }
  free(last);
  return peak < BACKLOG_MIN ? BACKLOG_MIN : peak > BACKLOG_MAX ? BACKLOG_MAX : peak;
}

int bn_replay_mirror_start(const bn_rp_plan *plan, const bn_rp_live *live, long io_timeout_ms,
                           char err[BN_MIRROR_ERRLEN])
{
  m.plan = plan;
  m.live = live;
  m.io_timeout_ms = io_timeout_ms;
  m.stop = false;
  m.taken = calloc(plan->nflows ? plan->nflows : 1, sizeof(*m.taken));
  if (m.taken == NULL) {
    snprintf(err, BN_MIRROR_ERRLEN, "--app mirror: out of memory");
    return -ENOMEM;
  }
  m.running = true;
  int count = 0;
  for (size_t i = 0; i < plan->nflows; i++) {
    const bn_rp_flow *f = &plan->flows[i];
    if (f->kind != BN_RP_FLOW_TCP || !f->has_syn) {
      continue;
    }
    count++;
    bool first_on_port = !f->board_opened;
    for (size_t k = 0; k < i && first_on_port; k++) {
      const bn_rp_flow *g = &plan->flows[k];
      first_on_port = !(g->kind == BN_RP_FLOW_TCP && g->has_syn && !g->board_opened && g->board_port == f->board_port);
    }
    if (first_on_port) {
      int rc = listen_on(f->board_port, backlog_of(plan, f->board_port), err);
      if (rc < 0) {
        return rc;
      }
    }
  }
  if (!start_thread(opener_main, NULL, "bn-mirror-o")) {
    snprintf(err, BN_MIRROR_ERRLEN, "--app mirror: cannot start a thread");
    return -ENOMEM;
  }
  return count;
}

bool bn_replay_mirror_busy(void *arg)
{
  (void)arg;
  return __atomic_load_n(&m.owing, __ATOMIC_ACQUIRE) > 0;
}

void bn_replay_mirror_stop(void)
{
  bn_mutex_lock(&m.mu);
  if (!m.running) {
    bn_mutex_unlock(&m.mu);
    return;
  }
  m.stop = true;
  for (size_t i = 0; i < MAX_SOCKETS; i++) {
    if (m.sockets[i] != NULL) {
      usocket_close(m.sockets[i]); /* wakes its waiter; its thread frees it */
    }
  }
  bn_mutex_unlock(&m.mu);
  /* No thread starts once stop is set: nthreads is final. */
  for (size_t i = 0; i < m.nthreads; i++) {
    bn_thread_join(m.threads[i], NULL);
  }
  bn_mutex_lock(&m.mu);
  while (m.conversations > 0) {
    bn_cond_wait(&m.ended, &m.mu, BN_CLOCK_FOREVER); /* their sockets are closed: they end */
  }
  m.nthreads = 0;
  m.running = false;
  free(m.taken);
  m.taken = NULL;
  bn_mutex_unlock(&m.mu);
}
