/*
 * Shared by the netif's unit suites (test_netif_stack.c: frames;
 * test_netif_lifecycle.c: start, stop, errors): the stack over a memory
 * link, with the test playing the kernel's side of the wire by hand.
 */
#ifndef BN_TEST_NETIF_WIRE_H
#define BN_TEST_NETIF_WIRE_H

#include "bn_test.h"

#include <errno.h>
#include <string.h>

#include "bn_config.h"
#include "bn_stack.h"
#include "frames.h"
#include "link_memory.h"
#include "link_poll.h"

/* Every wait on the wire is at most WAIT_POLLS polls of POLL_MS. */
#define POLL_MS    100
#define WAIT_POLLS 50
#define QUEUE_MAX  64

static const struct frame_host board = { { 0x02, 0xb0, 0x4e, 0x12, 0x34, 0x56 }, { 192, 0, 2, 2 } };
static const struct frame_host peer = { { 0x02, 0x00, 0x5e, 0xaa, 0xbb, 0xcc }, { 192, 0, 2, 1 } };
static const struct frame_host stranger = { { 0x02, 0x00, 0x5e, 0x11, 0x22, 0x33 }, { 192, 0, 2, 99 } };

/* ---- the kernel's side of the wire ------------------------------------------ */

static bn_link *wire;  /* the peer's end of the memory pair */

/* Frames the board sent that no wait has looked at yet, oldest first. */
static struct {
  int first, count;
  size_t len[QUEUE_MAX];
  uint8_t data[QUEUE_MAX][BN_LINK_MAX_FRAME];
} queue;

/* The peer answers the board's ARP requests for its address, like a kernel. */
static inline void answer_arp(const uint8_t *frame, size_t len)
{
  if (frame_is_arp(frame, len, FRAME_ARP_REQUEST) &&
      memcmp(frame + FRAME_ETH_HLEN + 24, peer.ip, 4) == 0) {
    struct frame_host asker;
    memcpy(asker.mac, frame + FRAME_ETH_HLEN + 8, 6);
    memcpy(asker.ip, frame + FRAME_ETH_HLEN + 14, 4);
    uint8_t reply[FRAME_ARP_LEN];
    ck_assert_int_eq(bn_link_send(wire, reply, frame_arp(reply, FRAME_ARP_REPLY, &peer, &asker), 0), 0);
  }
}

static inline void on_wire(void *arg, const uint8_t *frame, size_t len, uint64_t ts_ns)
{
  (void)arg;
  (void)ts_ns;
  answer_arp(frame, len);
  ck_assert_msg(queue.count < QUEUE_MAX, "the board sent more than %d frames at once", QUEUE_MAX);
  int slot = (queue.first + queue.count) % QUEUE_MAX;
  queue.len[slot] = len;
  memcpy(queue.data[slot], frame, len);
  queue.count++;
}

/* Sends one frame from the peer's side. */
static inline void send_frame(const uint8_t *frame, size_t len)
{
  ck_assert_int_eq(bn_link_send(wire, frame, len, 0), 0);
}

typedef int (*frame_match)(const uint8_t *frame, size_t len);

/*
 * Waits (at most polls * POLL_MS) for the first frame from the board that
 * match accepts, skipping (and dropping) the others. Copies it to out.
 * @return its length, or 0 if none came
 */
static inline size_t wait_frame(frame_match match, uint8_t out[BN_LINK_MAX_FRAME], int polls)
{
  for (int i = 0; i <= polls; i++) {
    while (queue.count > 0) {
      size_t len = queue.len[queue.first];
      const uint8_t *frame = queue.data[queue.first];
      queue.first = (queue.first + 1) % QUEUE_MAX;
      queue.count--;
      if (match(frame, len)) {
        memcpy(out, frame, len);
        return len;
      }
    }
    if (i < polls) {
      ck_assert_int_ge(poll_ms(wire, on_wire, NULL, POLL_MS), 0);
    }
  }
  return 0;
}

static inline int is_arp_reply(const uint8_t *frame, size_t len)
{
  return frame_is_arp(frame, len, FRAME_ARP_REPLY);
}

static inline int is_echo_reply(const uint8_t *frame, size_t len)
{
  return frame_is_icmp(frame, len, FRAME_ICMP_ECHO_REPLY);
}

/* ---- the board ---------------------------------------------------------------- */

static inline void board_config(bn_config *cfg, bn_link *link)
{
  memset(cfg, 0, sizeof(*cfg));
  cfg->link = link;
  IP4_ADDR(&cfg->ip, 192, 0, 2, 2);
  IP4_ADDR(&cfg->netmask, 255, 255, 255, 0);
  IP4_ADDR(&cfg->gw, 192, 0, 2, 1);
  memcpy(cfg->mac, board.mac, 6);
  cfg->mac_set = true;
}

static inline void start_board(void)
{
  bn_link *end;
  ck_assert_int_eq(bn_link_memory_pair(QUEUE_MAX, &end, &wire), 0);
  bn_config cfg;
  board_config(&cfg, end);
  ck_assert_int_eq(bn_stack_start(&cfg), 0);
}

/* Checked teardown: the stack (if it still runs) and the peer's end go. */
static inline void stop_board(void)
{
  bn_stack_stop();
  bn_link_close(wire);
  wire = NULL;
}

static const uint8_t ping_data[] = "boardnet echo payload, 0123456789abcdefghijklmnopqrstuvwxyz!";

static inline void send_ping(const struct frame_host *to, uint16_t seq)
{
  uint8_t frame[BN_LINK_MAX_FRAME];
  send_frame(frame, frame_icmp_echo(frame, FRAME_ICMP_ECHO_REQUEST, &peer, to, 0xbeef, seq, ping_data,
                                    sizeof(ping_data)));
}

/* Checks an echo reply from the board to the peer, id 0xbeef, field by field. */
static inline void assert_echo_reply_data(const uint8_t *f, size_t len, uint16_t seq, const uint8_t *data,
                                   size_t data_len)
{
  const size_t ip_len = FRAME_IP_HLEN + FRAME_ICMP_HLEN + data_len;
  ck_assert_uint_eq(len, FRAME_ETH_HLEN + ip_len);
  ck_assert_mem_eq(f + FRAME_OFF_ETH_DST, peer.mac, 6);
  ck_assert_mem_eq(f + FRAME_OFF_ETH_SRC, board.mac, 6);
  ck_assert_uint_eq(frame_get16(f + FRAME_OFF_ETH_TYPE), FRAME_ETHERTYPE_IP);
  const uint8_t *ip = f + FRAME_OFF_IP;
  ck_assert_uint_eq(ip[0], 0x45);
  ck_assert_uint_eq(frame_get16(ip + 2), ip_len);
  ck_assert_uint_eq(frame_get16(ip + 6) & 0x3fff, 0);  /* not a fragment */
  ck_assert_uint_gt(ip[8], 0);                           /* TTL */
  ck_assert_uint_eq(ip[9], 1);                           /* ICMP */
  ck_assert_mem_eq(ip + 12, board.ip, 4);                /* addresses swapped */
  ck_assert_mem_eq(ip + 16, peer.ip, 4);
  ck_assert_uint_eq(frame_inet_checksum(ip, FRAME_IP_HLEN), 0);
  const uint8_t *icmp = f + FRAME_OFF_ICMP;
  ck_assert_uint_eq(icmp[0], FRAME_ICMP_ECHO_REPLY);
  ck_assert_uint_eq(icmp[1], 0);
  ck_assert_uint_eq(frame_get16(icmp + 4), 0xbeef);
  ck_assert_uint_eq(frame_get16(icmp + 6), seq);
  ck_assert_mem_eq(icmp + FRAME_ICMP_HLEN, data, data_len);
  ck_assert_uint_eq(frame_inet_checksum(icmp, ip_len - FRAME_IP_HLEN), 0);
}

/* Checks an echo reply to send_ping(&board, seq). */
static inline void assert_echo_reply(const uint8_t *f, size_t len, uint16_t seq)
{
  assert_echo_reply_data(f, len, seq, ping_data, sizeof(ping_data));
}

#endif /* BN_TEST_NETIF_WIRE_H */
