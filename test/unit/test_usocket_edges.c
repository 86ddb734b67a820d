/*
 * usocket's less travelled paths: SOCK_RAW, SO_BROADCAST on the wire, no
 * route to a host, a close from another thread waking a blocked send or
 * poll, recv across several queued segments, and closing after EOF with a
 * FIN (not a reset).
 */
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include "frames.h"
#include "lwip/tcp.h"
#include "lwip/tcpip.h"
#include "link_poll.h"
#include "usocket_fixture.h"
#include "usocket_internal.h" /* the socket's netconn, to see lwIP's window */

#define POLL_MS 2000
#define RAW_PROTO 253  /* RFC 3692: for experimentation and testing */

static usocket *sock(int type, int proto)
{
  usocket *s = NULL;
  ck_assert_int_eq(usocket_socket(USOCKET_AF_INET, type, proto, &s), 0);
  ck_assert_int_eq(usocket_settimeout(s, POLL_MS), 0);
  return s;
}

/* A raw socket gets whole IPv4 datagrams of its protocol, header included
 * (lwIP's raw_input hands the pbuf over at the IP header). */
START_TEST(raw_socket_sends_and_receives_ip_datagrams)
{
  start_stack();
  usocket *rx = sock(USOCKET_SOCK_RAW, RAW_PROTO), *tx = sock(USOCKET_SOCK_RAW, RAW_PROTO);
  usocket *other = sock(USOCKET_SOCK_RAW, RAW_PROTO + 1);
  usocket_addr loop = addr(LOOP, 0), from;
  const char payload[] = "raw payload";
  ck_assert_int_eq(usocket_sendto(tx, payload, sizeof(payload), &loop), sizeof(payload));

  uint8_t buf[256];
  ssize_t n = usocket_recvfrom(rx, buf, sizeof(buf), 0, &from);
  ck_assert_int_eq(n, FRAME_IP_HLEN + sizeof(payload));
  ck_assert_int_eq(buf[0], 0x45);                /* IPv4, 20-byte header */
  ck_assert_int_eq(buf[9], RAW_PROTO);
  ck_assert_int_eq(frame_get16(buf + 2), n);     /* total length */
  ck_assert_mem_eq(buf + FRAME_IP_HLEN, payload, sizeof(payload));
  ck_assert_str_eq(from.ip, LOOP);
  /* Another protocol's raw socket sees nothing. */
  ck_assert_int_eq(usocket_recv(other, buf, sizeof(buf), USOCKET_MSG_DONTWAIT), -USOCKET_EAGAIN);
  usocket_free(other);
  usocket_free(tx);
  usocket_free(rx);
}
END_TEST

typedef struct wire_udp {
  int frames;
  uint8_t dst_mac[6];
  uint8_t dst_ip[4];
  uint16_t dst_port;
  uint8_t payload[64];
  size_t payload_len;
} wire_udp;

/* Keeps the first UDP datagram seen on the wire. */
static void on_wire(void *arg, const uint8_t *f, size_t len, uint64_t ts_ns)
{
  (void)ts_ns;
  wire_udp *w = arg;
  size_t udp = FRAME_OFF_IP + FRAME_IP_HLEN;
  if (w->frames > 0 || len < udp + 8 || frame_get16(f + FRAME_OFF_ETH_TYPE) != FRAME_ETHERTYPE_IP ||
      f[FRAME_OFF_IP + 9] != 17) {
    return;
  }
  w->frames++;
  memcpy(w->dst_mac, f + FRAME_OFF_ETH_DST, 6);
  memcpy(w->dst_ip, f + FRAME_OFF_IP + 16, 4);
  w->dst_port = frame_get16(f + udp + 2);
  w->payload_len = frame_get16(f + udp + 4) - 8u;
  ck_assert_uint_le(w->payload_len, sizeof(w->payload));
  memcpy(w->payload, f + udp + 8, w->payload_len);
}

static void expect_broadcast(usocket *s, const char *to, const uint8_t ip[4])
{
  const char msg[] = "anyone?";
  usocket_addr dst = addr(to, 6789);
  ck_assert_int_eq(usocket_sendto(s, msg, sizeof(msg), &dst), sizeof(msg));
  wire_udp w;
  memset(&w, 0, sizeof(w));
  for (int i = 0; i < 10 && w.frames == 0; i++) {
    ck_assert_int_ge(poll_ms(peer_end, on_wire, &w, POLL_MS / 10), 0);
  }
  ck_assert_int_eq(w.frames, 1);
  ck_assert_mem_eq(w.dst_mac, frame_broadcast_mac, 6);
  ck_assert_mem_eq(w.dst_ip, ip, 4);
  ck_assert_int_eq(w.dst_port, 6789);
  ck_assert_uint_eq(w.payload_len, sizeof(msg));
  ck_assert_mem_eq(w.payload, msg, sizeof(msg));
}

/* With SO_BROADCAST a datagram to the subnet's or the limited broadcast
 * address leaves as an Ethernet broadcast (no ARP needed). */
START_TEST(udp_broadcast_reaches_the_wire)
{
  start_stack();
  usocket *s = sock(USOCKET_SOCK_DGRAM, 0);
  int one = 1;
  ck_assert_int_eq(usocket_setsockopt(s, USOCKET_SOL_SOCKET, USOCKET_SO_BROADCAST, &one, sizeof(one)), 0);
  expect_broadcast(s, "192.0.2.255", (const uint8_t[]){ 192, 0, 2, 255 });
  expect_broadcast(s, "255.255.255.255", (const uint8_t[]){ 255, 255, 255, 255 });
  usocket_free(s);
}
END_TEST

/* The board has 192.0.2.2/24 and no gateway: a datagram to 198.18.0.1 has
 * no router to go to (etharp_output()'s ERR_RTE, EHOSTUNREACH in modlwip's
 * table). A TCP connect there is not refused at once: lwIP routes it to the
 * default netif, its SYNs fail the same way and are retried, so the connect
 * times out, as on a board. */
START_TEST(no_route_is_ehostunreach)
{
  start_stack();
  usocket_addr far = addr("198.18.0.1", 9);
  usocket *u = sock(USOCKET_SOCK_DGRAM, 0);
  ck_assert_int_eq(usocket_sendto(u, "x", 1, &far), -USOCKET_EHOSTUNREACH);
  usocket_free(u);
  usocket *t = sock(USOCKET_SOCK_STREAM, 0);
  ck_assert_int_eq(usocket_settimeout(t, 300), 0);
  ck_assert_int_eq(usocket_connect(t, &far), -USOCKET_ETIMEDOUT);
  usocket_free(t);
}
END_TEST

/* A connected pair over loopback, both with the POLL_MS timeout. */
static void connected_pair(uint16_t port, usocket **cli, usocket **srv)
{
  usocket *l = listener_at(LOOP, port, 1);
  usocket_addr a = addr(LOOP, port);
  *cli = sock(USOCKET_SOCK_STREAM, 0);
  ck_assert_int_eq(usocket_connect(*cli, &a), 0);
  ck_assert_int_eq(usocket_accept(l, srv, NULL), 0);
  ck_assert_int_eq(usocket_settimeout(*srv, POLL_MS), 0);
  usocket_free(l);
}

/* Three segments queued at the receiver come back from one recv() (the
 * application's buffer, not lwIP's segmentation, bounds a read). */
START_TEST(recv_takes_several_queued_segments)
{
  start_stack();
  usocket *cli, *srv;
  connected_pair(7032, &cli, &srv);
  int one = 1;
  ck_assert_int_eq(usocket_setsockopt(cli, USOCKET_IPPROTO_TCP, USOCKET_TCP_NODELAY, &one, sizeof(one)), 0);
  char seg[100];
  for (int i = 0; i < 3; i++) {
    memset(seg, 'a' + i, sizeof(seg));
    ck_assert_int_eq(usocket_sendall(cli, seg, sizeof(seg)), 0);
  }
  /* Wait (bounded) until lwIP has taken all 300 bytes in for srv: its
   * receive window shrank by 300 (nothing was given back yet). */
  u32_t queued = 0;
  for (int i = 0; i < 500 && queued < 300; i++) {
    LOCK_TCPIP_CORE();
    struct tcp_pcb *pcb = srv->conn->pcb.tcp;
    queued = pcb != NULL ? TCP_WND_MAX(pcb) - pcb->rcv_wnd : 0;
    UNLOCK_TCPIP_CORE();
    if (queued < 300) {
      usleep(10 * 1000);
    }
  }
  ck_assert_uint_eq(queued, 300);
  char buf[1000];
  ck_assert_int_eq(usocket_recv(srv, buf, sizeof(buf), 0), 300);
  for (int i = 0; i < 300; i++) {
    ck_assert_int_eq(buf[i], 'a' + i / 100);
  }
  usocket_free(cli);
  usocket_free(srv);
}
END_TEST

/* A server that has read everything it was sent closes with a FIN: the
 * client sees EOF, not a reset. lwIP resets a closing connection whose
 * receive window is not fully given back, so this checks that recv() hands
 * back the window of every byte it consumed (NETCONN_NOAUTORCVD). */
START_TEST(close_after_eof_is_a_fin_not_a_reset)
{
  start_stack();
  usocket *cli, *srv;
  connected_pair(7033, &cli, &srv);
  /* At most the peer's window, so sendall completes before anyone reads,
   * and a quarter of lwIP's heap, which holds both ends' copies on loopback
   * (rp2-pico-w: 2000 bytes; generic: the whole 256 KiB window). */
  size_t len = TCP_WND < MEM_SIZE / 4 ? TCP_WND : MEM_SIZE / 4;
  uint8_t *data = malloc(len);
  for (size_t i = 0; i < len; i++) {
    data[i] = (uint8_t)(i * 7);
  }
  ck_assert_int_eq(usocket_sendall(cli, data, len), 0);
  uint8_t *got = malloc(len);
  ck_assert_int_eq(usocket_read(srv, got, len), (ssize_t)len);
  ck_assert_mem_eq(got, data, len);
  ck_assert_int_eq(usocket_close(srv), 0);
  char b;
  ck_assert_int_eq(usocket_recv(cli, &b, 1, 0), 0); /* EOF, not -ECONNRESET */
  usocket_free(cli);
  usocket_free(srv);
  free(got);
  free(data);
}
END_TEST

typedef struct blocked {
  usocket *s;
  int rc;
  unsigned revents;
} blocked;

static void *sendall_thread(void *arg)
{
  blocked *b = arg;
  size_t len = 8u << 20; /* far more than the send buffer and window */
  uint8_t *data = calloc(1, len);
  b->rc = usocket_sendall(b->s, data, len);
  free(data);
  return NULL;
}

static void *poll_thread(void *arg)
{
  blocked *b = arg;
  usocket_pollfd fd = { b->s, USOCKET_POLLIN, 0 };
  b->rc = usocket_poll(&fd, 1, USOCKET_TIMEOUT_NONE);
  b->revents = fd.revents;
  return NULL;
}

/* A sendall blocked on a full send buffer, and a poll waiting forever, both
 * return when another thread closes the socket. */
START_TEST(close_wakes_blocked_send_and_poll)
{
  start_stack();
  usocket *l = sock(USOCKET_SOCK_STREAM, 0), *cli = sock(USOCKET_SOCK_STREAM, 0), *srv = NULL;
  usocket_addr a = addr(LOOP, 7031);
  ck_assert_int_eq(usocket_bind(l, &a), 0);
  ck_assert_int_eq(usocket_listen(l, 1), 0);
  ck_assert_int_eq(usocket_connect(cli, &a), 0);
  ck_assert_int_eq(usocket_accept(l, &srv, NULL), 0);
  ck_assert_int_eq(usocket_settimeout(cli, USOCKET_TIMEOUT_NONE), 0);
  ck_assert_int_eq(usocket_settimeout(srv, USOCKET_TIMEOUT_NONE), 0);

  blocked send = { cli, 1, 0 }, poll = { l, 1, 0 }; /* l: nothing more to accept */
  pthread_t ts, tp;
  pthread_create(&ts, NULL, sendall_thread, &send);
  pthread_create(&tp, NULL, poll_thread, &poll);
  usleep(200 * 1000); /* let them block (if they do not yet, they see the close anyway) */
  ck_assert_int_eq(usocket_close(cli), 0);
  pthread_join(ts, NULL);
  ck_assert_int_eq(send.rc, -USOCKET_EBADF);
  ck_assert_int_eq(usocket_close(l), 0);
  pthread_join(tp, NULL);
  ck_assert_int_eq(poll.rc, 1);
  ck_assert_uint_eq(poll.revents, USOCKET_POLLNVAL);
  usocket_free(cli);
  usocket_free(srv);
  usocket_free(l);
}
END_TEST

Suite *bn_test_suite(void)
{
  Suite *s = suite_create("usocket_edges");
  TCase *tc = tcase_create("edges");
  tcase_add_checked_fixture(tc, NULL, stop_stack);
  tcase_set_timeout(tc, 30);
  tcase_add_test(tc, raw_socket_sends_and_receives_ip_datagrams);
  tcase_add_test(tc, udp_broadcast_reaches_the_wire);
  tcase_add_test(tc, no_route_is_ehostunreach);
  tcase_add_test(tc, close_wakes_blocked_send_and_poll);
  tcase_add_test(tc, recv_takes_several_queued_segments);
  tcase_add_test(tc, close_after_eof_is_a_fin_not_a_reset);
  suite_add_tcase(s, tc);
  return s;
}
