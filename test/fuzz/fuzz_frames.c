/*
 * Fuzz target: raw Ethernet frames into a running board, through a memory
 * link into boardnet's netif and lwIP's whole input path (ARP, IPv4 and its
 * reassembly, ICMP, UDP, TCP against a listener and a bound UDP socket).
 * An input is a sequence of frames, each a 2-byte big-endian length and
 * that many bytes (a length past the input's end, or 0, ends it; at most
 * 64 frames). The board (generic profile, 192.0.2.2/24, MAC
 * 02:00:00:00:00:02, TCP listening and UDP bound on port 7) starts once per
 * process. The contract: nothing crashes, every frame is taken (counted as
 * received or dropped) within a bounded time, and after every input the
 * board still answers an ARP request.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bn_clock.h"
#include "bn_stack.h"
#include "link_memory.h"
#include "lwip/api.h"
#include "lwip/tcpip.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_FRAMES 64

static bn_link *wire;
static uint64_t sent_total;
static int arp_replies;  /* the board's ARP replies for 192.0.2.2 seen on the wire */

static void require(int ok, const char *what)
{
  if (!ok) {
    fprintf(stderr, "fuzz-frames: contract broken: %s\n", what);
    abort();
  }
}

static void start_board(void)
{
  bn_link *end;
  require(bn_link_memory_pair(MAX_FRAMES * 2, &end, &wire) == 0, "memory link");
  bn_config cfg;
  memset(&cfg, 0, sizeof(cfg));
  cfg.link = end;
  IP4_ADDR(&cfg.ip, 192, 0, 2, 2);
  IP4_ADDR(&cfg.netmask, 255, 255, 255, 0);
  static const uint8_t mac[6] = { 0x02, 0, 0, 0, 0, 0x02 };
  memcpy(cfg.mac, mac, 6);
  cfg.mac_set = true;
  cfg.seed = 1;
  require(bn_stack_start(&cfg) == 0, "the board starts");
  struct netconn *tcp = netconn_new(NETCONN_TCP), *udp = netconn_new(NETCONN_UDP);
  require(tcp != NULL && udp != NULL, "netconns");
  require(netconn_bind(tcp, IP4_ADDR_ANY, 7) == ERR_OK && netconn_listen_with_backlog(tcp, 4) == ERR_OK, "listen");
  require(netconn_bind(udp, IP4_ADDR_ANY, 7) == ERR_OK, "bind");
}

/* What the board sent: drained, counting its ARP replies. */
static void saw_frame(void *arg, const uint8_t *frame, size_t len, uint64_t ts_ns)
{
  (void)arg, (void)ts_ns;
  static const uint8_t board_ip[4] = { 192, 0, 2, 2 };
  if (len >= 42 && frame[12] == 0x08 && frame[13] == 0x06 && frame[20] == 0 && frame[21] == 2 &&
      memcmp(frame + 28, board_ip, 4) == 0) {
    arp_replies++;
  }
}

/* Drains the wire for up to ms milliseconds, or until an ARP reply was seen. */
static void drain(long ms)
{
  bn_link_rx rx = { .frame = saw_frame };
  uint64_t until = bn_clock_after_ms(ms);
  while (arp_replies == 0 && (bn_link_poll(wire, &rx, until) > 0 || bn_clock_now_ns() < until)) {
  }
}

/* Waits (at most 5 s) until the board has taken every frame sent so far. */
static void wait_taken(void)
{
  uint64_t until = bn_clock_after_ms(5000);
  for (;;) {
    bn_stack_status st;
    require(bn_stack_status_get(&st) == 0, "status");
    if (st.counters.rx_frames + st.counters.rx_dropped >= sent_total) {
      return;
    }
    require(bn_clock_now_ns() < until, "every frame is taken within 5 s");
    drain(1);
  }
}

static void send_frame(const uint8_t *frame, size_t len)
{
  int rc = bn_link_send(wire, frame, len, bn_clock_now_ns());
  require(rc == 0 || rc == -ENOBUFS || rc == -EMSGSIZE, "the link takes or refuses a frame");
  sent_total += rc == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  if (wire == NULL) {
    start_board();
  }
  size_t pos = 0;
  for (int n = 0; n < MAX_FRAMES && pos + 2 <= size; n++) {
    size_t len = (size_t)data[pos] << 8 | data[pos + 1];
    pos += 2;
    if (len == 0 || len > size - pos) {
      break;
    }
    send_frame(data + pos, len > BN_LINK_MAX_FRAME ? BN_LINK_MAX_FRAME : len);
    pos += len;
  }
  wait_taken();
  /* still alive: an ARP request from 192.0.2.1 for the board gets its reply */
  static const uint8_t arp[42] = {
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0, 0, 0, 0, 0x01, 0x08, 0x06,
    0, 1, 0x08, 0x00, 6, 4, 0, 1, 0x02, 0, 0, 0, 0, 0x01, 192, 0, 2, 1,
    0, 0, 0, 0, 0, 0, 192, 0, 2, 2,
  };
  int tries = 0;
  arp_replies = 0;
  do {
    send_frame(arp, sizeof(arp));
    wait_taken();
    drain(1000);
  } while (arp_replies == 0 && ++tries < 3);
  require(arp_replies > 0, "the board answers ARP after the input");
  return 0;
}
