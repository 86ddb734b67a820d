/*
 * The netif's transmit ring (netif/bn_netif.c): lwIP's linkoutput copies each
 * frame into a ring whose frames go to the link in order, sent by the thread
 * that queued one or two of them (inline) or by the bn-tx thread. With the tx
 * thread alone (inline transmit off), a burst of UDP datagrams larger than
 * the ring, sent while the link holds the tx thread, reaches the wire whole
 * and in order, and what is queued when bn_stack_stop() is called is on the
 * wire when it returns. With inline transmit, two senders whose frames go out
 * both ways, through a full ring, keep each one's order, and never meet on
 * the link at once. The link is a memory pair behind a "gate" stage that
 * holds every send while it is closed.
 */
#include "bn_test.h"

#include <errno.h>
#include <pthread.h>

#include "bn_sched.h"
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "bn_stack.h"
#include "frames.h"
#include "link_memory.h"
#include "link_poll.h"
#include "usocket.h"

#define PORT 7777
/* Frames the wire end holds: every frame of a test, none dropped. */
#define WIRE_CAPACITY 4096

static const uint8_t board_ip[4] = { 192, 0, 2, 2 };
static const uint8_t bcast_ip[4] = { 192, 0, 2, 255 };

/* ---- the gate: a link stage that holds sends while closed ------------------- */

struct gate {
  bn_link link;     /* first: a bn_link * is a struct gate * */
  bn_mutex_t mu;
  bn_cond_t cv;
  bool open;
  int waiting;      /* senders held at the gate now */
};

static struct gate *gate_of(bn_link *link)
{
  return (struct gate *)link;
}

static void gate_pass(struct gate *g)
{
  bn_mutex_lock(&g->mu);
  g->waiting++;
  while (!g->open) {
    bn_cond_wait(&g->cv, &g->mu, BN_CLOCK_FOREVER);
  }
  g->waiting--;
  bn_mutex_unlock(&g->mu);
}

static size_t gate_send_batch(bn_link *link, bn_link_frame *frames, size_t n)
{
  gate_pass(gate_of(link));
  return bn_link_send_batch(link->inner, frames, n);
}

static void gate_close(bn_link *link)
{
  struct gate *g = gate_of(link);
  bn_cond_destroy(&g->cv);
  bn_mutex_destroy(&g->mu);
}

/* Only send_batch is its own: bn_link_send() comes through it, poll and wake
 * go to the inner link (bn_link_stage_init()). */
static const struct bn_link_ops gate_ops = {
  .kind = "gate",
  .send_batch = gate_send_batch,
  .close = gate_close,
};

static struct gate gate;  /* one stack per test process */

static void gate_set(bool open)
{
  bn_mutex_lock(&gate.mu);
  gate.open = open;
  bn_cond_broadcast(&gate.cv);
  bn_mutex_unlock(&gate.mu);
}

/* ---- the board and the wire ------------------------------------------------- */

static bn_link *wire;  /* the peer's end of the memory pair */

/* Starts the board on the gate; tx_inline false: every frame goes through
 * the tx thread (a sender never waits at the gate itself). */
static void start_board(bool tx_inline)
{
  bn_link *end;
  ck_assert_int_eq(bn_link_memory_pair(WIRE_CAPACITY, &end, &wire), 0);
  bn_link_stage_init(&gate.link, &gate_ops, end);
  gate.open = true;
  bn_mutex_init(&gate.mu);
  bn_cond_init(&gate.cv);
  bn_config cfg;
  memset(&cfg, 0, sizeof(cfg));
  cfg.link = &gate.link;
  cfg.tuning.tx_inline_off = !tx_inline;
  IP4_ADDR(&cfg.ip, 192, 0, 2, 2);
  IP4_ADDR(&cfg.netmask, 255, 255, 255, 0);
  ck_assert_int_eq(bn_stack_start(&cfg), 0);
}

/* A UDP socket that may send to the subnet's broadcast address (an Ethernet
 * broadcast: no ARP, so every datagram is one frame right away). */
static usocket *broadcast_socket(void)
{
  usocket *s = NULL;
  ck_assert_int_eq(usocket_socket(USOCKET_AF_INET, USOCKET_SOCK_DGRAM, 0, &s), 0);
  int one = 1;
  ck_assert_int_eq(usocket_setsockopt(s, USOCKET_SOL_SOCKET, USOCKET_SO_BROADCAST, &one, sizeof(one)), 0);
  return s;
}

/* Datagram seq: its number (big-endian) then bytes that depend on it; the
 * length varies with it too. Returns the length. */
static size_t datagram(uint8_t *buf, uint32_t seq)
{
  size_t len = 4 + 16 + (seq % 7) * 200;
  buf[0] = (uint8_t)(seq >> 24);
  buf[1] = (uint8_t)(seq >> 16);
  buf[2] = (uint8_t)(seq >> 8);
  buf[3] = (uint8_t)seq;
  for (size_t k = 4; k < len; k++) {
    buf[k] = (uint8_t)(seq * 13u + k);
  }
  return len;
}

static void send_datagram(usocket *s, uint32_t seq)
{
  uint8_t buf[1500];
  size_t len = datagram(buf, seq);
  usocket_addr to;
  memset(&to, 0, sizeof(to));
  strcpy(to.ip, "192.0.2.255");
  to.port = PORT;
  ck_assert_int_eq(usocket_sendto(s, buf, len, &to), (ssize_t)len);
}

/* What the wire saw: our datagrams, checked as they come. A datagram's
 * number is its sender's (top byte) and its place in that sender's stream. */
struct seen {
  uint32_t next[2];  /* per sender: the number expected next */
};

static void on_wire(void *arg, const uint8_t *frame, size_t len, uint64_t ts_ns)
{
  (void)ts_ns;
  struct seen *s = arg;
  const uint8_t *ip = frame + FRAME_OFF_IP;
  if (len < FRAME_OFF_ICMP + 8 || frame_get16(frame + FRAME_OFF_ETH_TYPE) != FRAME_ETHERTYPE_IP ||
      ip[0] != 0x45 || ip[9] != 17 /* IPv4, no options, UDP */) {
    return; /* ARP and the like */
  }
  const uint8_t *udp = ip + FRAME_IP_HLEN;
  if (frame_get16(udp + 2) != PORT) {
    return;
  }
  ck_assert_mem_eq(frame + FRAME_OFF_ETH_DST, frame_broadcast_mac, 6);
  ck_assert_mem_eq(ip + 12, board_ip, 4);
  ck_assert_mem_eq(ip + 16, bcast_ip, 4);
  /* the number first, so that a frame out of order says which it is */
  ck_assert_uint_ge(len, (size_t)(udp + 12 - frame));
  uint32_t seq = (uint32_t)udp[8] << 24 | (uint32_t)udp[9] << 16 | (uint32_t)udp[10] << 8 | udp[11];
  uint32_t sender = seq >> 24;
  ck_assert_uint_lt(sender, 2);
  ck_assert_uint_eq(seq & 0xffffff, s->next[sender]);
  uint8_t want[1500];
  size_t want_len = datagram(want, seq);
  ck_assert_uint_eq(frame_get16(udp + 4), 8 + want_len);
  ck_assert_uint_ge(len, (size_t)(udp + 8 - frame) + want_len);
  ck_assert_mem_eq(udp + 8, want, want_len);
  s->next[sender]++;
}

/* After bn_stack_stop(): reads everything the board put on the wire until
 * the link's end (the board's end is closed). */
static void drain_wire(struct seen *s)
{
  int rc;
  int rounds = 0;
  while ((rc = poll_ms(wire, on_wire, s, 0)) > 0) {
    ck_assert_int_lt(++rounds, WIRE_CAPACITY);
  }
  ck_assert_int_eq(rc, -ENODATA);
  bn_link_close(wire);
  wire = NULL;
}

static void sleep_ms(long ms)
{
  struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
  nanosleep(&ts, NULL);
}

/* ---- a burst larger than the ring ------------------------------------------ */

#define BURST 1000 /* about four times the ring's 256 slots */

struct sender {
  usocket *sock;
  uint32_t id;    /* 0 or 1: the top byte of its datagrams' numbers */
  uint32_t done;  /* atomic: datagrams sent so far */
};

static void *send_burst(void *arg)
{
  struct sender *snd = arg;
  for (uint32_t n = 0; n < BURST; n++) {
    send_datagram(snd->sock, snd->id << 24 | n);
    __atomic_store_n(&snd->done, n + 1, __ATOMIC_RELEASE);
  }
  return NULL;
}

/* Waits (at most 10 s) until snd has sent at least one datagram and then
 * stopped moving: it waits for room in a full ring. */
static void wait_until_stuck(struct sender *snd)
{
  uint32_t last = 0;
  for (int i = 0; i < 200; i++) {
    sleep_ms(50);
    uint32_t now = __atomic_load_n(&snd->done, __ATOMIC_ACQUIRE);
    if (now > 0 && now == last) {
      break;
    }
    last = now;
  }
}

/* The gate holds the tx thread, so the ring fills and lwIP's sends wait for
 * room (the sender stops short of the burst); once the gate opens, every
 * datagram reaches the wire, whole and in the order sent. */
START_TEST(burst_larger_than_the_ring_arrives_in_order)
{
  start_board(false);
  struct sender snd = { .sock = broadcast_socket(), .done = 0 };
  gate_set(false);
  pthread_t t;
  ck_assert_int_eq(pthread_create(&t, NULL, send_burst, &snd), 0);
  wait_until_stuck(&snd); /* the ring is full */
  /* Nothing can leave while the gate is closed: the ring holds fewer. */
  ck_assert_uint_lt(__atomic_load_n(&snd.done, __ATOMIC_ACQUIRE), BURST);
  gate_set(true);
  ck_assert_int_eq(pthread_join(t, NULL), 0);
  ck_assert_uint_eq(snd.done, BURST);
  usocket_free(snd.sock);
  ck_assert_int_eq(bn_stack_stop(), 0);
  struct seen s = { { 0 } };
  drain_wire(&s);
  ck_assert_uint_eq(s.next[0], BURST);
}
END_TEST

/* ---- stop drains the ring ---------------------------------------------------- */

#define QUEUED 200 /* fewer than the ring's slots: sending never waits */

static void *open_gate_later(void *arg)
{
  (void)arg;
  sleep_ms(100); /* bn_stack_stop() is waiting for the tx thread by then */
  gate_set(true);
  return NULL;
}

/* Frames queued in the ring (the gate holds them) when bn_stack_stop() is
 * called are all on the wire, in order, when it returns. */
START_TEST(stop_returns_after_everything_queued_is_on_the_wire)
{
  start_board(false);
  usocket *s = broadcast_socket();
  gate_set(false);
  for (uint32_t seq = 0; seq < QUEUED; seq++) {
    send_datagram(s, seq);
  }
  usocket_free(s);
  pthread_t t;
  ck_assert_int_eq(pthread_create(&t, NULL, open_gate_later, NULL), 0);
  ck_assert_int_eq(bn_stack_stop(), 0);
  ck_assert_int_eq(pthread_join(t, NULL), 0);
  struct seen seen = { { 0 } };
  drain_wire(&seen);
  ck_assert_uint_eq(seen.next[0], QUEUED);
}
END_TEST

/* ---- inline senders and the tx thread -------------------------------------- */

/* Waits (at most 10 s) until n senders are held at the gate. */
static void wait_at_gate(int n)
{
  for (int i = 0; i < 1000; i++) {
    bn_mutex_lock(&gate.mu);
    int waiting = gate.waiting;
    bn_mutex_unlock(&gate.mu);
    if (waiting == n) {
      return;
    }
    sleep_ms(10);
  }
  ck_abort_msg("no sender reached the gate");
}

/* Sender 0's first datagram is sent by its own thread (inline), which the
 * closed gate holds with the transmit token; sender 1's burst then fills the
 * ring behind it (the tx thread waits for the token) and waits for room.
 * Once the gate opens, both bursts reach the wire whole, each in its order,
 * sent partly inline and partly by the tx thread, and no send ever met
 * another on the link (that would be -EBUSY: a drop). */
START_TEST(inline_senders_and_the_tx_thread_keep_ring_order_through_a_full_ring)
{
  start_board(true);
  struct sender a = { .sock = broadcast_socket(), .id = 0 };
  struct sender b = { .sock = broadcast_socket(), .id = 1 };
  gate_set(false);
  pthread_t ta, tb;
  ck_assert_int_eq(pthread_create(&ta, NULL, send_burst, &a), 0);
  wait_at_gate(1);
  ck_assert_uint_eq(__atomic_load_n(&a.done, __ATOMIC_ACQUIRE), 0); /* it sends the frame itself */
  ck_assert_int_eq(pthread_create(&tb, NULL, send_burst, &b), 0);
  wait_until_stuck(&b);
  ck_assert_uint_lt(__atomic_load_n(&b.done, __ATOMIC_ACQUIRE), BURST); /* the ring is full */
  gate_set(true);
  ck_assert_int_eq(pthread_join(ta, NULL), 0);
  ck_assert_int_eq(pthread_join(tb, NULL), 0);
  usocket_free(a.sock);
  usocket_free(b.sock);
  bn_stack_status st;
  for (int i = 0; i < 1000; i++) { /* the tx thread sends the last ones */
    ck_assert_int_eq(bn_stack_status_get(&st), 0);
    if (st.counters.tx_frames + st.counters.tx_dropped >= 2 * BURST) {
      break;
    }
    sleep_ms(10);
  }
  ck_assert_int_eq(bn_stack_stop(), 0);
  struct seen seen = { { 0 } };
  drain_wire(&seen);
  ck_assert_uint_eq(seen.next[0], BURST);
  ck_assert_uint_eq(seen.next[1], BURST);
  ck_assert_uint_eq(st.counters.tx_dropped, 0);
  ck_assert_uint_gt(st.counters.tx_inline, 0);
  ck_assert_uint_gt(st.counters.tx_frames - st.counters.tx_inline, 0);
}
END_TEST

Suite *bn_test_suite(void)
{
  Suite *s = suite_create("netif_tx_ring");
  TCase *tc = tcase_create("tx_ring");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, burst_larger_than_the_ring_arrives_in_order);
  tcase_add_test(tc, stop_returns_after_everything_queued_is_on_the_wire);
  tcase_add_test(tc, inline_senders_and_the_tx_thread_keep_ring_order_through_a_full_ring);
  suite_add_tcase(s, tc);
  return s;
}
