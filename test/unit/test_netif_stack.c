/*
 * The stack over a memory link, with the test playing the kernel's side of
 * the wire by hand: ARP and ICMP echo answered byte for byte, traffic for
 * other hosts and malformed frames ignored, the start/stop contract and the
 * status report. One lwIP per test process (Check fork mode).
 */
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
static void answer_arp(const uint8_t *frame, size_t len)
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

static void on_wire(void *arg, const uint8_t *frame, size_t len, uint64_t ts_ns)
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
static void send_frame(const uint8_t *frame, size_t len)
{
  ck_assert_int_eq(bn_link_send(wire, frame, len, 0), 0);
}

typedef int (*frame_match)(const uint8_t *frame, size_t len);

/*
 * Waits (at most polls * POLL_MS) for the first frame from the board that
 * match accepts, skipping (and dropping) the others. Copies it to out.
 * @return its length, or 0 if none came
 */
static size_t wait_frame(frame_match match, uint8_t out[BN_LINK_MAX_FRAME], int polls)
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

static int is_arp_reply(const uint8_t *frame, size_t len)
{
  return frame_is_arp(frame, len, FRAME_ARP_REPLY);
}

static int is_echo_reply(const uint8_t *frame, size_t len)
{
  return frame_is_icmp(frame, len, FRAME_ICMP_ECHO_REPLY);
}

/* ---- the board ---------------------------------------------------------------- */

static void board_config(bn_config *cfg, bn_link *link)
{
  memset(cfg, 0, sizeof(*cfg));
  cfg->link = link;
  IP4_ADDR(&cfg->ip, 192, 0, 2, 2);
  IP4_ADDR(&cfg->netmask, 255, 255, 255, 0);
  IP4_ADDR(&cfg->gw, 192, 0, 2, 1);
  memcpy(cfg->mac, board.mac, 6);
  cfg->mac_set = true;
}

static void start_board(void)
{
  bn_link *end;
  ck_assert_int_eq(bn_link_memory_pair(QUEUE_MAX, &end, &wire), 0);
  bn_config cfg;
  board_config(&cfg, end);
  ck_assert_int_eq(bn_stack_start(&cfg), 0);
}

/* Checked teardown: the stack (if it still runs) and the peer's end go. */
static void stop_board(void)
{
  bn_stack_stop();
  bn_link_close(wire);
  wire = NULL;
}

static const uint8_t ping_data[] = "boardnet echo payload, 0123456789abcdefghijklmnopqrstuvwxyz!";

static void send_ping(const struct frame_host *to, uint16_t seq)
{
  uint8_t frame[BN_LINK_MAX_FRAME];
  send_frame(frame, frame_icmp_echo(frame, FRAME_ICMP_ECHO_REQUEST, &peer, to, 0xbeef, seq, ping_data,
                                    sizeof(ping_data)));
}

/* Checks an echo reply from the board to the peer, id 0xbeef, field by field. */
static void assert_echo_reply_data(const uint8_t *f, size_t len, uint16_t seq, const uint8_t *data,
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
static void assert_echo_reply(const uint8_t *f, size_t len, uint16_t seq)
{
  assert_echo_reply_data(f, len, seq, ping_data, sizeof(ping_data));
}

/* ---- tests -------------------------------------------------------------------- */

START_TEST(arp_request_gets_a_reply)
{
  start_board();
  uint8_t frame[BN_LINK_MAX_FRAME];
  send_frame(frame, frame_arp(frame, FRAME_ARP_REQUEST, &peer, &board));
  uint8_t reply[BN_LINK_MAX_FRAME];
  size_t len = wait_frame(is_arp_reply, reply, WAIT_POLLS);
  ck_assert_uint_eq(len, FRAME_ARP_LEN);
  /* byte by byte */
  static const uint8_t expected[FRAME_ARP_LEN] = {
    0x02, 0x00, 0x5e, 0xaa, 0xbb, 0xcc,   /* Ethernet dst: the asker */
    0x02, 0xb0, 0x4e, 0x12, 0x34, 0x56,   /* Ethernet src: the board */
    0x08, 0x06,                           /* ARP */
    0x00, 0x01, 0x08, 0x00, 6, 4,         /* Ethernet/IPv4 */
    0x00, 0x02,                           /* reply */
    0x02, 0xb0, 0x4e, 0x12, 0x34, 0x56,   /* sender: the board */
    192, 0, 2, 2,
    0x02, 0x00, 0x5e, 0xaa, 0xbb, 0xcc,   /* target: the asker */
    192, 0, 2, 1,
  };
  ck_assert_mem_eq(reply, expected, FRAME_ARP_LEN);
}
END_TEST

START_TEST(arp_request_for_another_address_is_ignored)
{
  start_board();
  uint8_t frame[BN_LINK_MAX_FRAME], reply[BN_LINK_MAX_FRAME];
  send_frame(frame, frame_arp(frame, FRAME_ARP_REQUEST, &peer, &stranger));
  ck_assert_uint_eq(wait_frame(is_arp_reply, reply, 5), 0);
  /* the board still answers for itself: the first reply is about 192.0.2.2 */
  send_frame(frame, frame_arp(frame, FRAME_ARP_REQUEST, &peer, &board));
  ck_assert_uint_eq(wait_frame(is_arp_reply, reply, WAIT_POLLS), FRAME_ARP_LEN);
  ck_assert_mem_eq(reply + FRAME_ETH_HLEN + 14, board.ip, 4);
}
END_TEST

START_TEST(echo_request_gets_an_echo_reply)
{
  start_board();
  send_ping(&board, 1);
  uint8_t reply[BN_LINK_MAX_FRAME];
  size_t len = wait_frame(is_echo_reply, reply, WAIT_POLLS);
  ck_assert_uint_gt(len, 0);
  assert_echo_reply(reply, len, 1);
  /* and again, now that the board knows the peer's MAC */
  send_ping(&board, 2);
  len = wait_frame(is_echo_reply, reply, WAIT_POLLS);
  ck_assert_uint_gt(len, 0);
  assert_echo_reply(reply, len, 2);
}
END_TEST

START_TEST(echo_request_in_a_padded_frame)
{
  start_board();
  /* A ping with no data is 42 bytes: Ethernet pads it to 60. */
  uint8_t frame[60];
  memset(frame, 0xee, sizeof(frame));
  size_t len = frame_icmp_echo(frame, FRAME_ICMP_ECHO_REQUEST, &peer, &board, 0x0101, 7, NULL, 0);
  ck_assert_uint_eq(len, 42);
  send_frame(frame, sizeof(frame));
  uint8_t reply[BN_LINK_MAX_FRAME];
  len = wait_frame(is_echo_reply, reply, WAIT_POLLS);
  ck_assert_uint_ge(len, 42);
  ck_assert_uint_eq(frame_get16(reply + FRAME_OFF_IP + 2), FRAME_IP_HLEN + FRAME_ICMP_HLEN);
  ck_assert_uint_eq(frame_get16(reply + FRAME_OFF_ICMP + 6), 7);
  ck_assert_uint_eq(frame_inet_checksum(reply + FRAME_OFF_ICMP, FRAME_ICMP_HLEN), 0);
}
END_TEST

START_TEST(largest_echo_request_gets_a_full_reply)
{
  start_board();
  /* 1472 bytes of data: a 1514-byte frame, more than one pool pbuf each way */
  static uint8_t data[1472];
  for (size_t i = 0; i < sizeof(data); i++) {
    data[i] = (uint8_t)(i * 13 + 5);
  }
  uint8_t frame[BN_LINK_MAX_FRAME];
  size_t len = frame_icmp_echo(frame, FRAME_ICMP_ECHO_REQUEST, &peer, &board, 0xbeef, 9, data, sizeof(data));
  ck_assert_uint_eq(len, 1514);
  send_frame(frame, len);
  uint8_t reply[BN_LINK_MAX_FRAME];
  len = wait_frame(is_echo_reply, reply, WAIT_POLLS);
  ck_assert_uint_gt(len, 0);
  assert_echo_reply_data(reply, len, 9, data, sizeof(data));
}
END_TEST

/* Reassembled and answered; or dropped, on a board without IPv4
 * reassembly (esp32: IP_REASSEMBLY 0, as ESP-IDF's default). */
START_TEST(fragmented_echo_request_is_reassembled_as_the_board_does)
{
  start_board();
  static uint8_t data[1000];
  for (size_t i = 0; i < sizeof(data); i++) {
    data[i] = (uint8_t)(i * 7 + 1);
  }
  /* the whole ICMP message, then cut into IP fragments of 512 + 496 bytes */
  uint8_t whole[BN_LINK_MAX_FRAME];
  size_t len = frame_icmp_echo(whole, FRAME_ICMP_ECHO_REQUEST, &peer, &board, 0xbeef, 10, data, sizeof(data));
  const uint8_t *icmp = whole + FRAME_OFF_ICMP;
  size_t icmp_len = len - FRAME_OFF_ICMP;
  uint8_t frag[BN_LINK_MAX_FRAME];
  /* the second half first: reassembly must not depend on order */
  send_frame(frag, frame_ip4_fragment(frag, &peer, &board, 1, 0x7777, 512 / 8, icmp + 512, icmp_len - 512));
  send_frame(frag, frame_ip4_fragment(frag, &peer, &board, 1, 0x7777, FRAME_IP_MF, icmp, 512));
  uint8_t reply[BN_LINK_MAX_FRAME];
#if IP_REASSEMBLY
  len = wait_frame(is_echo_reply, reply, WAIT_POLLS);
  ck_assert_uint_gt(len, 0);
  assert_echo_reply_data(reply, len, 10, data, sizeof(data));
#else
  ck_assert_uint_eq(wait_frame(is_echo_reply, reply, 5), 0);
  send_ping(&board, 11); /* the board still answers what is not fragmented */
  len = wait_frame(is_echo_reply, reply, WAIT_POLLS);
  ck_assert_uint_gt(len, 0);
  assert_echo_reply(reply, len, 11);
#endif
}
END_TEST

START_TEST(echo_request_to_another_address_gets_no_reply)
{
  start_board();
  send_ping(&stranger, 1);  /* sent to the board's MAC, but for 192.0.2.99 */
  uint8_t reply[BN_LINK_MAX_FRAME];
  ck_assert_uint_eq(wait_frame(is_echo_reply, reply, 5), 0);
  /* the first echo reply the board ever sends answers the second ping */
  send_ping(&board, 2);
  size_t len = wait_frame(is_echo_reply, reply, WAIT_POLLS);
  ck_assert_uint_gt(len, 0);
  assert_echo_reply(reply, len, 2);
}
END_TEST

/* A valid echo request to the board in buf, which the caller then damages. */
static size_t ping_frame(uint8_t *buf, uint16_t seq)
{
  memset(buf, 0, BN_LINK_MAX_FRAME);
  return frame_icmp_echo(buf, FRAME_ICMP_ECHO_REQUEST, &peer, &board, 0xbeef, seq, ping_data,
                         sizeof(ping_data));
}

/* Recomputes the IP header checksum after a deliberate change to the header. */
static void fix_ip_checksum(uint8_t *frame, size_t ihl_bytes)
{
  frame_put16(frame + FRAME_OFF_IP + 10, 0);
  frame_put16(frame + FRAME_OFF_IP + 10, frame_inet_checksum(frame + FRAME_OFF_IP, ihl_bytes));
}

START_TEST(malformed_frames_are_ignored)
{
  start_board();
  uint8_t f[BN_LINK_MAX_FRAME];
  size_t n;
  bn_stack_status before, after;
  ck_assert_int_eq(bn_stack_status_get(&before), 0);

  uint16_t seq = 100;
  n = ping_frame(f, seq++);
  send_frame(f, 1);                                      /* a single byte */
  send_frame(f, FRAME_ETH_HLEN - 1);                     /* a partial Ethernet header */
  send_frame(f, FRAME_ETH_HLEN);                         /* Ethernet header, no IP */
  send_frame(f, FRAME_ETH_HLEN + 10);                    /* half an IP header */
  send_frame(f, FRAME_OFF_ICMP + 4);                     /* half an ICMP header */
  send_frame(f, n - 10);                                 /* shorter than IP's total length */

  n = ping_frame(f, seq++);
  f[FRAME_OFF_ICMP + 3] ^= 0x01;                         /* bad ICMP checksum */
  send_frame(f, n);
  n = ping_frame(f, seq++);
  f[FRAME_OFF_IP] = 0x44;                                /* IHL 4 (< 5) */
  send_frame(f, n);
  n = ping_frame(f, seq++);
  f[FRAME_OFF_IP] = 0x4f;                                /* IHL 15: header beyond the packet */
  fix_ip_checksum(f, FRAME_IP_HLEN);
  send_frame(f, FRAME_OFF_ICMP);
  n = ping_frame(f, seq++);
  f[FRAME_OFF_IP] = 0x65;                                /* version 6 in an IPv4 frame */
  fix_ip_checksum(f, FRAME_IP_HLEN);
  send_frame(f, n);
  n = ping_frame(f, seq++);
  frame_put16(f + FRAME_OFF_IP + 2, 0xffff);             /* total length past the frame */
  fix_ip_checksum(f, FRAME_IP_HLEN);
  send_frame(f, n);
  n = ping_frame(f, seq++);
  frame_put16(f + FRAME_OFF_IP + 2, FRAME_IP_HLEN - 1);  /* total length inside the header */
  fix_ip_checksum(f, FRAME_IP_HLEN);
  send_frame(f, n);
  n = ping_frame(f, seq++);
  frame_put16(f + FRAME_OFF_IP + 2, FRAME_IP_HLEN + 4);  /* ICMP cut to 4 bytes by IP */
  fix_ip_checksum(f, FRAME_IP_HLEN);
  send_frame(f, n);
  n = ping_frame(f, seq++);
  memset(f + FRAME_OFF_IP + 16, 0xff, 4);               /* to 255.255.255.255 */
  fix_ip_checksum(f, FRAME_IP_HLEN);
  send_frame(f, n);

  n = frame_arp(f, FRAME_ARP_REQUEST, &peer, &board);
  send_frame(f, n - 1);                                  /* truncated ARP */
  f[FRAME_ETH_HLEN + 4] = 8;                             /* hardware address length 8 */
  send_frame(f, n);
  n = frame_arp(f, FRAME_ARP_REQUEST, &peer, &board);
  frame_put16(f + FRAME_ETH_HLEN, 6);                    /* hardware type IEEE 802 */
  send_frame(f, n);

  memset(f, 0xa5, sizeof(f));                            /* a maximal frame of noise */
  memcpy(f, board.mac, 6);
  frame_put16(f + FRAME_OFF_ETH_TYPE, FRAME_ETHERTYPE_IP);
  send_frame(f, BN_LINK_MAX_FRAME);
  frame_put16(f + FRAME_OFF_ETH_TYPE, 0x88b5);           /* local experimental ethertype */
  send_frame(f, 100);

  /* No echo reply to any of them: the first one answers this ping. */
  send_ping(&board, 1);
  uint8_t reply[BN_LINK_MAX_FRAME];
  size_t len = wait_frame(is_echo_reply, reply, WAIT_POLLS);
  ck_assert_uint_gt(len, 0);
  assert_echo_reply(reply, len, 1);

  ck_assert_int_eq(bn_stack_status_get(&after), 0);
  /* all 19 went to lwIP (or were dropped) before the ping that was answered */
  ck_assert_uint_ge(after.counters.rx_frames + after.counters.rx_dropped,
                    before.counters.rx_frames + before.counters.rx_dropped + 19);
}
END_TEST

/* A bad IP header checksum: dropped; or answered, on a board that does not
 * check it (esp32: ESP-IDF's CONFIG_LWIP_CHECKSUM_CHECK_IP default n). */
START_TEST(ip_header_checksum_is_checked_as_the_board_does)
{
  start_board();
  uint8_t f[BN_LINK_MAX_FRAME], reply[BN_LINK_MAX_FRAME];
  size_t n = ping_frame(f, 7);
  f[FRAME_OFF_IP + 10] ^= 0x40;
  send_frame(f, n);
#if CHECKSUM_CHECK_IP
  ck_assert_uint_eq(wait_frame(is_echo_reply, reply, 5), 0);
  send_ping(&board, 8);
  size_t len = wait_frame(is_echo_reply, reply, WAIT_POLLS);
  ck_assert_uint_gt(len, 0);
  assert_echo_reply(reply, len, 8);
#else
  size_t len = wait_frame(is_echo_reply, reply, WAIT_POLLS);
  ck_assert_uint_gt(len, 0);
  /* the reply has a correct checksum of its own */
  assert_echo_reply(reply, len, 7);
#endif
}
END_TEST

START_TEST(status_reports_address_mac_and_counters)
{
  start_board();
  bn_stack_status st;
  ck_assert_int_eq(bn_stack_status_get(&st), 0);
  ck_assert_uint_eq(ip4_addr_get_u32(&st.ip), PP_HTONL(LWIP_MAKEU32(192, 0, 2, 2)));
  ck_assert_uint_eq(ip4_addr_get_u32(&st.netmask), PP_HTONL(LWIP_MAKEU32(255, 255, 255, 0)));
  ck_assert_uint_eq(ip4_addr_get_u32(&st.gw), PP_HTONL(LWIP_MAKEU32(192, 0, 2, 1)));
  ck_assert_uint_eq(ip4_addr_get_u32(&st.dhcp_server), 0);
  ck_assert_uint_eq(st.lease_s, 0);
  ck_assert_mem_eq(st.mac, board.mac, 6);
  ck_assert(st.link_up);
  ck_assert_ptr_nonnull(bn_stack_netif());

  uint8_t frame[BN_LINK_MAX_FRAME], reply[BN_LINK_MAX_FRAME];
  send_frame(frame, frame_arp(frame, FRAME_ARP_REQUEST, &peer, &board));
  ck_assert_uint_eq(wait_frame(is_arp_reply, reply, WAIT_POLLS), FRAME_ARP_LEN);
  bn_stack_status later;
  ck_assert_int_eq(bn_stack_status_get(&later), 0);
  ck_assert_uint_ge(later.counters.rx_frames, st.counters.rx_frames + 1);
  ck_assert_uint_ge(later.counters.rx_bytes, st.counters.rx_bytes + FRAME_ARP_LEN);
  ck_assert_uint_ge(later.counters.tx_frames, st.counters.tx_frames + 1);
  ck_assert_uint_ge(later.counters.tx_bytes, st.counters.tx_bytes + FRAME_ARP_LEN);
  ck_assert_uint_eq(later.counters.tx_dropped, 0);
}
END_TEST

START_TEST(default_mac_comes_from_the_link_name)
{
  bn_link *end;
  ck_assert_int_eq(bn_link_memory_pair(QUEUE_MAX, &end, &wire), 0);
  bn_config cfg;
  board_config(&cfg, end);
  cfg.mac_set = false;
  uint8_t want[6];
  bn_config_default_mac(end->name, want);
  ck_assert_int_eq(bn_stack_start(&cfg), 0);
  bn_stack_status st;
  ck_assert_int_eq(bn_stack_status_get(&st), 0);
  ck_assert_mem_eq(st.mac, want, 6);
}
END_TEST

START_TEST(start_rejects_bad_configurations)
{
  bn_link *end;
  ck_assert_int_eq(bn_link_memory_pair(QUEUE_MAX, &end, &wire), 0);
  bn_config cfg;
  bn_stack_status st;
  ck_assert_int_eq(bn_stack_status_get(&st), -ENOTCONN);
  ck_assert_int_eq(bn_stack_stop(), -ENOTCONN);
  ck_assert_ptr_null(bn_stack_netif());

  ck_assert_int_eq(bn_stack_start(NULL), -EINVAL);
  board_config(&cfg, NULL);
  ck_assert_int_eq(bn_stack_start(&cfg), -EINVAL);                     /* no link */
  board_config(&cfg, end);
  IP4_ADDR(&cfg.ip, 192, 0, 2, 0);
  ck_assert_int_eq(bn_stack_start(&cfg), -EINVAL);                     /* network address */
  board_config(&cfg, end);
  IP4_ADDR(&cfg.ip, 192, 0, 2, 255);
  ck_assert_int_eq(bn_stack_start(&cfg), -EINVAL);                     /* broadcast address */
  board_config(&cfg, end);
  IP4_ADDR(&cfg.gw, 198, 18, 0, 1);
  ck_assert_int_eq(bn_stack_start(&cfg), -EINVAL);                     /* gateway elsewhere */
  board_config(&cfg, end);
  IP4_ADDR(&cfg.netmask, 255, 0, 255, 0);
  ck_assert_int_eq(bn_stack_start(&cfg), -EINVAL);                     /* mask with holes */
  board_config(&cfg, end);
  cfg.mac[0] = 0x01;
  ck_assert_int_eq(bn_stack_start(&cfg), -EINVAL);                     /* multicast MAC */
  board_config(&cfg, end);
  cfg.dns_count = BN_STACK_MAX_DNS + 1;
  ck_assert_int_eq(bn_stack_start(&cfg), -EINVAL);
  board_config(&cfg, end);
  cfg.dns_count = -1;
  ck_assert_int_eq(bn_stack_start(&cfg), -EINVAL);
  ck_assert_int_eq(bn_stack_status_get(&st), -ENOTCONN);

  /* none of that started anything: a good configuration still starts */
  board_config(&cfg, end);
  ck_assert_int_eq(bn_stack_start(&cfg), 0);
  ck_assert_int_eq(bn_stack_status_get(&st), 0);
  ck_assert_mem_eq(st.mac, board.mac, 6);
}
END_TEST

START_TEST(second_start_is_ealready)
{
  start_board();
  bn_link *a, *b;
  ck_assert_int_eq(bn_link_memory_pair(4, &a, &b), 0);
  bn_config cfg;
  board_config(&cfg, a);
  ck_assert_int_eq(bn_stack_start(&cfg), -EALREADY);
  /* the refused link is still the caller's, and untouched */
  uint8_t frame[FRAME_ARP_LEN];
  ck_assert_int_eq(bn_link_send(b, frame, frame_arp(frame, FRAME_ARP_REQUEST, &peer, &board), 0), 0);
  bn_link_close(a);
  bn_link_close(b);
  /* the running stack is unaffected */
  uint8_t reply[BN_LINK_MAX_FRAME];
  send_frame(frame, frame_arp(frame, FRAME_ARP_REQUEST, &peer, &board));
  ck_assert_uint_eq(wait_frame(is_arp_reply, reply, WAIT_POLLS), FRAME_ARP_LEN);
}
END_TEST

static int is_dhcp_discover(const uint8_t *f, size_t len)
{
  const size_t udp = FRAME_OFF_ICMP, bootp = udp + 8;
  return len >= bootp + 240 && memcmp(f, frame_broadcast_mac, 6) == 0 &&
         frame_get16(f + FRAME_OFF_ETH_TYPE) == FRAME_ETHERTYPE_IP && f[FRAME_OFF_IP] == 0x45 &&
         f[FRAME_OFF_IP + 9] == 17 && frame_get16(f + udp) == 68 && frame_get16(f + udp + 2) == 67 &&
         f[bootp] == 1;  /* BOOTREQUEST */
}

START_TEST(dhcp_without_a_server_times_out)
{
  bn_link *end;
  ck_assert_int_eq(bn_link_memory_pair(QUEUE_MAX, &end, &wire), 0);
  bn_config cfg;
  board_config(&cfg, end);
  cfg.dhcp = true;
  cfg.dhcp_timeout_ms = 300;
  ck_assert_int_eq(bn_stack_start(&cfg), -ETIMEDOUT);
  bn_stack_status st;
  ck_assert_int_eq(bn_stack_status_get(&st), -ENOTCONN);
  ck_assert_ptr_null(bn_stack_netif());
  /* the board did ask, from its MAC */
  uint8_t frame[BN_LINK_MAX_FRAME];
  size_t len = wait_frame(is_dhcp_discover, frame, WAIT_POLLS);
  ck_assert_uint_gt(len, 0);
  ck_assert_mem_eq(frame + FRAME_OFF_ETH_SRC, board.mac, 6);
  ck_assert_mem_eq(frame + FRAME_OFF_ICMP + 8 + 28, board.mac, 6);  /* chaddr */
  /* the link is still the caller's, open at both ends */
  ck_assert_int_eq(bn_link_send(wire, frame, len, 0), 0);
  bn_link_close(end);
}
END_TEST

static void ignore(void *arg, const uint8_t *frame, size_t len, uint64_t ts_ns)
{
  (void)arg;
  (void)frame;
  (void)len;
  (void)ts_ns;
}

/* The device fails (a TAP's read() returning EIO): the frames received
 * before are still answered, the netif reports the error and takes lwIP's
 * link down, the board stops cleanly. */
START_TEST(device_read_error_ends_the_link_after_what_was_received)
{
  bn_link *end;
  ck_assert_int_eq(bn_link_memory_pair(QUEUE_MAX, &end, &wire), 0);
  bn_config cfg;
  board_config(&cfg, end);
  ck_assert_int_eq(bn_stack_start(&cfg), 0);
  ck_assert_int_eq(bn_stack_link_error(), 0);
  uint8_t frame[BN_LINK_MAX_FRAME], reply[BN_LINK_MAX_FRAME];
  send_frame(frame, frame_arp(frame, FRAME_ARP_REQUEST, &peer, &board));
  send_ping(&board, 1);
  send_ping(&board, 2);
  ck_assert_int_eq(bn_link_memory_fail_reads(end, -EIO), 0);
  /* Both pings came before the failure: both are answered. */
  for (uint16_t seq = 1; seq <= 2; seq++) {
    size_t len = wait_frame(is_echo_reply, reply, WAIT_POLLS);
    ck_assert_uint_gt(len, 0);
    assert_echo_reply(reply, len, seq);
  }
  for (int i = 0; i < WAIT_POLLS && bn_stack_link_error() == 0; i++) {
    ck_assert_int_ge(poll_ms(wire, on_wire, NULL, POLL_MS), 0);
  }
  ck_assert_int_eq(bn_stack_link_error(), -EIO);
  bn_stack_status st;
  for (int i = 0; i < WAIT_POLLS; i++) {
    ck_assert_int_eq(bn_stack_status_get(&st), 0);
    if (!st.link_up) {
      break;
    }
    ck_assert_int_ge(poll_ms(wire, on_wire, NULL, POLL_MS), 0);
  }
  ck_assert(!st.link_up);
  /* Nothing after the failure is read: a ping now gets no answer. */
  send_ping(&board, 3);
  ck_assert_uint_eq(wait_frame(is_echo_reply, reply, 5), 0);
  ck_assert_int_eq(bn_stack_stop(), 0);
}
END_TEST

START_TEST(memory_fail_reads_rejects_bad_arguments)
{
  bn_link *a, *b;
  ck_assert_int_eq(bn_link_memory_pair(4, &a, &b), 0);
  ck_assert_int_eq(bn_link_memory_fail_reads(NULL, -EIO), -EINVAL);
  ck_assert_int_eq(bn_link_memory_fail_reads(a, EIO), -EINVAL);
  ck_assert_int_eq(bn_link_memory_fail_reads(a, -EIO), 0);
  ck_assert_int_eq(poll_ms(a, ignore, NULL, 10), -EIO);
  ck_assert_int_eq(bn_link_memory_fail_reads(a, 0), 0);
  ck_assert_int_eq(poll_ms(a, ignore, NULL, 10), 0);
  bn_link_close(a);
  bn_link_close(b);
}
END_TEST

START_TEST(stop_closes_the_link_once)
{
  start_board();
  ck_assert_int_eq(bn_stack_stop(), 0);
  ck_assert_int_eq(bn_stack_stop(), -ENOTCONN);
  bn_stack_status st;
  ck_assert_int_eq(bn_stack_status_get(&st), -ENOTCONN);
  ck_assert_ptr_null(bn_stack_netif());
  /* the stack closed its end of the wire: once drained, the wire has ended */
  int rc = 0;
  for (int i = 0; i < WAIT_POLLS && rc >= 0; i++) {
    rc = poll_ms(wire, ignore, NULL, POLL_MS);
  }
  ck_assert_int_eq(rc, -ENODATA);
  uint8_t frame[FRAME_ARP_LEN];
  ck_assert_int_eq(bn_link_send(wire, frame, frame_arp(frame, FRAME_ARP_REQUEST, &peer, &board), 0),
                   -ENOTCONN);
  /* one lwIP per process: no second start, even after a stop */
  bn_link *a, *b;
  ck_assert_int_eq(bn_link_memory_pair(4, &a, &b), 0);
  bn_config cfg;
  board_config(&cfg, a);
  ck_assert_int_eq(bn_stack_start(&cfg), -EALREADY);
  bn_link_close(a);
  bn_link_close(b);
}
END_TEST

Suite *bn_test_suite(void)
{
  Suite *s = suite_create("netif_stack");
  TCase *tc = tcase_create("wire");
  tcase_set_timeout(tc, 60);
  tcase_add_checked_fixture(tc, NULL, stop_board);
  tcase_add_test(tc, arp_request_gets_a_reply);
  tcase_add_test(tc, arp_request_for_another_address_is_ignored);
  tcase_add_test(tc, echo_request_gets_an_echo_reply);
  tcase_add_test(tc, echo_request_in_a_padded_frame);
  tcase_add_test(tc, largest_echo_request_gets_a_full_reply);
  tcase_add_test(tc, fragmented_echo_request_is_reassembled_as_the_board_does);
  tcase_add_test(tc, echo_request_to_another_address_gets_no_reply);
  tcase_add_test(tc, malformed_frames_are_ignored);
  tcase_add_test(tc, ip_header_checksum_is_checked_as_the_board_does);
  tcase_add_test(tc, status_reports_address_mac_and_counters);
  tcase_add_test(tc, default_mac_comes_from_the_link_name);
  tcase_add_test(tc, start_rejects_bad_configurations);
  tcase_add_test(tc, second_start_is_ealready);
  tcase_add_test(tc, stop_closes_the_link_once);
  tcase_add_test(tc, device_read_error_ends_the_link_after_what_was_received);
  tcase_add_test(tc, memory_fail_reads_rejects_bad_arguments);
  tcase_add_test(tc, dhcp_without_a_server_times_out);
  suite_add_tcase(s, tc);
  return s;
}
