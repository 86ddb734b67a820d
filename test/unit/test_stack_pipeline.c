/*
 * The stack on a pipeline (bn_pipeline.h) over a memory link: a record stage
 * does not change the board's MAC (it comes from the backend's name);
 * carrier changes reach lwIP (the netif's link flag; a DHCP client restarts
 * with a new transaction id when the link comes back); the same seed gives
 * the same TCP initial sequence numbers and ephemeral ports whatever the
 * timing, and another seed other ones.
 */
#include "bn_test.h"
#include "bn_clock.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bn_config.h"
#include "bn_pipeline.h"
#include "bn_stack.h"
#include "frames.h"
#include "link_memory.h"
#include "link_poll.h"
#include "lwip/api.h"
#include "lwip/dhcp.h"
#include "lwip/netifapi.h"
#include "lwip/tcpip.h"

static const struct frame_host peer = { { 0x02, 0x00, 0x5e, 0xaa, 0xbb, 0xcc }, { 192, 0, 2, 1 } };
static bn_link *wire;

static char dir[] = "/tmp/bn-pipeline-XXXXXX";
static char record_path[300];

/* Starts the board on backend -> record (a file in a fresh directory); the
 * outermost stage renamed to outer_name if given. */
static void start_board_named(uint64_t seed, bool record, const char *outer_name)
{
  bn_link *end;
  ck_assert_int_eq(bn_link_memory_pair(64, &end, &wire), 0);
  bn_pipeline_desc d;
  memset(&d, 0, sizeof(d));
  d.link = end;
  if (record) {
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(record_path, sizeof(record_path), "%s/board.pcap", dir);
    d.record.path = record_path;
  }
  bn_config cfg;
  memset(&cfg, 0, sizeof(cfg));
  char err[BN_PIPELINE_ERRLEN];
  ck_assert_msg(bn_pipeline_open(&d, &cfg.link, err) == 0, "%s", err);
  if (record) {
    ck_assert_str_eq(cfg.link->ops->kind, "record");
    ck_assert_ptr_eq(bn_link_backend(cfg.link), end);
  }
  if (outer_name != NULL) {
    snprintf(cfg.link->name, sizeof(cfg.link->name), "%s", outer_name);
  }
  IP4_ADDR(&cfg.ip, 192, 0, 2, 2);
  IP4_ADDR(&cfg.netmask, 255, 255, 255, 0);
  cfg.seed = seed;
  ck_assert_int_eq(bn_stack_start(&cfg), 0);
}

static void start_board(uint64_t seed, bool record)
{
  start_board_named(seed, record, NULL);
}

static void stop_board(void)
{
  if (wire != NULL) {
    bn_stack_stop();
    bn_link_close(wire);
    wire = NULL;
  }
  if (record_path[0] != '\0') {
    unlink(record_path);
    rmdir(dir);
  }
}

/* Even a stage named otherwise does not change the board's MAC: it comes
 * from the backend's name (bn_link_backend()). */
START_TEST(pipeline_record_stage_keeps_the_backends_mac)
{
  start_board_named(1, true, "outer");
  bn_stack_status st;
  ck_assert_int_eq(bn_stack_status_get(&st), 0);
  uint8_t want[6], outer[6];
  bn_config_default_mac("mem0", want); /* the memory backend's name */
  bn_config_default_mac("outer", outer);
  ck_assert_mem_ne(want, outer, 6);
  ck_assert_mem_eq(st.mac, want, 6);
}
END_TEST

static bool link_up(void)
{
  bn_stack_status st;
  ck_assert_int_eq(bn_stack_status_get(&st), 0);
  return st.link_up;
}

/* Waits (bounded) until lwIP's link flag is up. */
static void wait_link(bool up)
{
  for (int i = 0; i < 500 && link_up() != up; i++) {
    bn_clock_sleep_ms(10); /* the board's clock: virtual too */
  }
  ck_assert_int_eq(link_up(), up);
}

START_TEST(pipeline_carrier_reaches_lwip)
{
  start_board(2, true);
  wait_link(true);
  ck_assert_int_eq(bn_link_memory_set_carrier(wire, false), 0);
  wait_link(false);
  ck_assert_int_eq(bn_link_memory_set_carrier(wire, true), 0);
  wait_link(true);
  bn_stack_status st;
  ck_assert_int_eq(bn_stack_status_get(&st), 0);
  ck_assert_int_eq(st.link_error, 0);
}
END_TEST

/* The xid of a DHCPDISCOVER frame, or 0 if frame is none. */
static uint32_t discover_xid(const uint8_t *f, size_t len)
{
  size_t udp = FRAME_ETH_HLEN + FRAME_IP_HLEN, bootp = udp + 8;
  if (len < bootp + 240 || frame_get16(f + FRAME_OFF_ETH_TYPE) != FRAME_ETHERTYPE_IP ||
      f[FRAME_OFF_IP + 9] != 17 || frame_get16(f + udp + 2) != 67 || f[bootp] != 1) {
    return 0;
  }
  return (uint32_t)f[bootp + 4] << 24 | (uint32_t)f[bootp + 5] << 16 | (uint32_t)f[bootp + 6] << 8 |
         f[bootp + 7];
}

static void keep_xid(void *arg, const uint8_t *frame, size_t len, uint64_t ts_ns)
{
  (void)ts_ns;
  uint32_t xid = discover_xid(frame, len);
  if (xid != 0) {
    *(uint32_t *)arg = xid;
  }
}

/* The xid of the next DHCPDISCOVER on the wire (bounded wait). */
static uint32_t next_discover(void)
{
  uint32_t xid = 0;
  for (int i = 0; i < 100 && xid == 0; i++) {
    ck_assert_int_ge(poll_ms(wire, keep_xid, &xid, 100), 0);
  }
  ck_assert_uint_ne(xid, 0);
  return xid;
}

START_TEST(pipeline_carrier_back_restarts_dhcp)
{
  start_board(3, true);
  struct netif *netif = bn_netif_lwip(bn_stack_netif());
  ck_assert_int_eq(netifapi_dhcp_start(netif), ERR_OK);
  uint32_t first = next_discover();
  /* a retransmission (no server answers) keeps the transaction: same xid */
  ck_assert_uint_eq(next_discover(), first);
  ck_assert_int_eq(bn_link_memory_set_carrier(wire, false), 0);
  wait_link(false);
  ck_assert_int_eq(bn_link_memory_set_carrier(wire, true), 0);
  wait_link(true);
  /* the link came back: lwIP's DHCP starts over, with a new transaction */
  ck_assert_uint_ne(next_discover(), first);
  netifapi_dhcp_release_and_stop(netif);
}
END_TEST

/* ---- the same seed, the same numbers ------------------------------------------ */

struct syn {
  uint16_t sport;
  uint32_t seq;
};

/* The peer's side: answers ARP for 192.0.2.1 and catches the board's SYN. */
static void catch_syn(void *arg, const uint8_t *f, size_t len, uint64_t ts_ns)
{
  (void)ts_ns;
  struct syn *s = arg;
  if (frame_is_arp(f, len, FRAME_ARP_REQUEST)) {
    struct frame_host asker;
    memcpy(asker.mac, f + FRAME_ETH_HLEN + 8, 6);
    memcpy(asker.ip, f + FRAME_ETH_HLEN + 14, 4);
    uint8_t reply[FRAME_ARP_LEN];
    bn_link_send(wire, reply, frame_arp(reply, FRAME_ARP_REPLY, &peer, &asker), 0);
    return;
  }
  size_t tcp = FRAME_ETH_HLEN + FRAME_IP_HLEN;
  if (len >= tcp + 20 && frame_get16(f + FRAME_OFF_ETH_TYPE) == FRAME_ETHERTYPE_IP &&
      f[FRAME_OFF_IP + 9] == 6 && (f[tcp + 13] & 0x12) == 0x02 && s->seq == 0) {
    s->sport = frame_get16(f + tcp);
    s->seq = (uint32_t)frame_get16(f + tcp + 4) << 16 | frame_get16(f + tcp + 6);
  }
}

/* In a child process: a board seeded with seed connects twice to the peer,
 * after delay_ms; writes the two SYNs' (port, seq) to fd. */
static void board_child(uint64_t seed, unsigned delay_ms, int fd)
{
  start_board(seed, false);
  bn_clock_sleep_ms(delay_ms);
  struct syn syns[2];
  memset(syns, 0, sizeof(syns));
  for (int k = 0; k < 2; k++) {
    struct netconn *nc = netconn_new(NETCONN_TCP);
    netconn_set_nonblocking(nc, 1);
    ip_addr_t ip;
    IP_ADDR4(&ip, 192, 0, 2, 1);
    netconn_connect(nc, &ip, 80);
    for (int i = 0; i < 100 && syns[k].seq == 0; i++) {
      poll_ms(wire, catch_syn, &syns[k], 100);
    }
    netconn_delete(nc);
    bn_clock_sleep_ms(delay_ms);
  }
  _exit(write(fd, syns, sizeof(syns)) == (ssize_t)sizeof(syns) ? 0 : 1);
}

static void run_child(uint64_t seed, unsigned delay_ms, struct syn out[2])
{
  int fds[2];
  ck_assert_int_eq(pipe(fds), 0);
  pid_t pid = fork();
  ck_assert_int_ge(pid, 0);
  if (pid == 0) {
    close(fds[0]);
    board_child(seed, delay_ms, fds[1]);
  }
  close(fds[1]);
  ck_assert_int_eq(read(fds[0], out, 2 * sizeof(*out)), (ssize_t)(2 * sizeof(*out)));
  close(fds[0]);
  int status;
  ck_assert_int_eq(waitpid(pid, &status, 0), pid);
  ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  ck_assert_uint_ne(out[0].seq, 0);
  ck_assert_uint_ne(out[1].seq, 0);
}

START_TEST(pipeline_same_seed_same_isns_and_ports_whatever_the_timing)
{
  struct syn a[2], b[2], c[2];
  run_child(42, 0, a);
  run_child(42, 700, b); /* more than a TCP slow tick later: lwIP's own ISN would differ */
  run_child(43, 0, c);
  for (int k = 0; k < 2; k++) {
    ck_assert_uint_eq(a[k].seq, b[k].seq);
    ck_assert_uint_eq(a[k].sport, b[k].sport);
  }
  ck_assert_uint_ne(a[0].seq, a[1].seq);
  ck_assert_uint_ne(a[0].seq, c[0].seq);
  ck_assert(a[0].sport != c[0].sport || a[1].sport != c[1].sport);
}
END_TEST

Suite *bn_test_suite(void)
{
  Suite *s = suite_create("stack_pipeline");
  TCase *tc = tcase_create("stack_pipeline");
  tcase_set_timeout(tc, 60);
  tcase_add_checked_fixture(tc, NULL, stop_board);
  tcase_add_test(tc, pipeline_record_stage_keeps_the_backends_mac);
  tcase_add_test(tc, pipeline_carrier_reaches_lwip);
  tcase_add_test(tc, pipeline_carrier_back_restarts_dhcp);
  tcase_add_test(tc, pipeline_same_seed_same_isns_and_ports_whatever_the_timing);
  suite_add_tcase(s, tc);
  return s;
}
