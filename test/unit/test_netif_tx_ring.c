/*
 * The netif's transmit ring (netif/bn_netif.c): lwIP's linkoutput copies each
 * frame into a ring that the bn-tx thread hands to the link. A burst of UDP
 * datagrams larger than the ring, sent while the link holds the tx thread,
 * reaches the wire whole and in order; what is queued when bn_stack_stop()
 * is called is on the wire when it returns. The link is a memory pair behind
 * a "gate" stage that holds every send while it is closed.
 */
#include "bn_test.h"

#include <errno.h>
#include <pthread.h>
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
  pthread_mutex_t mu;
  pthread_cond_t cv;
  bool open;
};

static struct gate *gate_of(bn_link *link)
{
  return (struct gate *)link;
}

static void gate_pass(struct gate *g)
{
  pthread_mutex_lock(&g->mu);
  while (!g->open) {
    pthread_cond_wait(&g->cv, &g->mu);
  }
  pthread_mutex_unlock(&g->mu);
}

static size_t gate_send_batch(bn_link *link, bn_link_frame *frames, size_t n)
{
  gate_pass(gate_of(link));
  return bn_link_send_batch(link->inner, frames, n);
}

static void gate_close(bn_link *link)
{
  struct gate *g = gate_of(link);
  pthread_cond_destroy(&g->cv);
  pthread_mutex_destroy(&g->mu);
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
  pthread_mutex_lock(&gate.mu);
  gate.open = open;
  pthread_cond_broadcast(&gate.cv);
  pthread_mutex_unlock(&gate.mu);
}

/* ---- the board and the wire ------------------------------------------------- */

static bn_link *wire;  /* the peer's end of the memory pair */

static void start_board(void)
{
  bn_link *end;
  ck_assert_int_eq(bn_link_memory_pair(WIRE_CAPACITY, &end, &wire), 0);
  bn_link_stage_init(&gate.link, &gate_ops, end);
  gate.open = true;
  pthread_mutex_init(&gate.mu, NULL);
  pthread_cond_init(&gate.cv, NULL);
  bn_config cfg;
  memset(&cfg, 0, sizeof(cfg));
  cfg.link = &gate.link;
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

/* What the wire saw: our datagrams, checked as they come. */
struct seen {
  uint32_t next;  /* the sequence number expected next */
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
  ck_assert_uint_eq(seq, s->next);
  uint8_t want[1500];
  size_t want_len = datagram(want, seq);
  ck_assert_uint_eq(frame_get16(udp + 4), 8 + want_len);
  ck_assert_uint_ge(len, (size_t)(udp + 8 - frame) + want_len);
  ck_assert_mem_eq(udp + 8, want, want_len);
  s->next++;
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
  uint32_t done;  /* atomic: datagrams sent so far */
};

static void *send_burst(void *arg)
{
  struct sender *snd = arg;
  for (uint32_t seq = 0; seq < BURST; seq++) {
    send_datagram(snd->sock, seq);
    __atomic_store_n(&snd->done, seq + 1, __ATOMIC_RELEASE);
  }
  return NULL;
}

/* The gate holds the tx thread, so the ring fills and lwIP's sends wait for
 * room (the sender stops short of the burst); once the gate opens, every
 * datagram reaches the wire, whole and in the order sent. */
START_TEST(burst_larger_than_the_ring_arrives_in_order)
{
  start_board();
  struct sender snd = { .sock = broadcast_socket(), .done = 0 };
  gate_set(false);
  pthread_t t;
  ck_assert_int_eq(pthread_create(&t, NULL, send_burst, &snd), 0);
  /* Wait (at most 10 s) until the sender has stopped moving: the ring is full. */
  uint32_t last = 0;
  for (int i = 0; i < 200; i++) {
    sleep_ms(50);
    uint32_t now = __atomic_load_n(&snd.done, __ATOMIC_ACQUIRE);
    if (now > 0 && now == last) {
      break;
    }
    last = now;
  }
  /* Nothing can leave while the gate is closed: the ring holds fewer. */
  ck_assert_uint_lt(__atomic_load_n(&snd.done, __ATOMIC_ACQUIRE), BURST);
  gate_set(true);
  ck_assert_int_eq(pthread_join(t, NULL), 0);
  ck_assert_uint_eq(snd.done, BURST);
  usocket_free(snd.sock);
  ck_assert_int_eq(bn_stack_stop(), 0);
  struct seen s = { 0 };
  drain_wire(&s);
  ck_assert_uint_eq(s.next, BURST);
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
  start_board();
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
  struct seen seen = { 0 };
  drain_wire(&seen);
  ck_assert_uint_eq(seen.next, QUEUED);
}
END_TEST

Suite *bn_test_suite(void)
{
  Suite *s = suite_create("netif_tx_ring");
  TCase *tc = tcase_create("tx_ring");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, burst_larger_than_the_ring_arrives_in_order);
  tcase_add_test(tc, stop_returns_after_everything_queued_is_on_the_wire);
  suite_add_tcase(s, tc);
  return s;
}
