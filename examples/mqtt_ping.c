/*
 * mqtt_ping: a board program (boardnet/board.h) on usocket, a client as IoT
 * firmware writes one: it connects to an MQTT 3.1.1 broker, sends CONNECT
 * (its client id: the board's name), waits for CONNACK, sends PINGS
 * PINGREQs each answered by a PINGRESP, then DISCONNECT, and returns.
 *
 *   cc mqtt_ping.c $(pkg-config --cflags --libs boardnet-stm32) -o mqtt_ping
 *   sudo ./mqtt_ping --tap bn0 --ip 192.0.2.2/24 --record m.pcap -- 192.0.2.1 1883 3
 *   ./mqtt_ping --pcap m.pcap -- 192.0.2.1 1883 3     # the session replayed
 *
 * Exit status: 0 the session went as MQTT says, 2 bad arguments, 3 no
 * connection to the broker, 4 the broker refused or answered out of turn.
 */
#include <boardnet/board.h>
#include <boardnet/usocket.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KEEPALIVE_S 60
#define IO_TIMEOUT_MS 10000

/* Reads exactly len bytes; 0, or -1 at EOF or an error. */
static int read_exact(usocket *s, uint8_t *buf, size_t len)
{
  for (size_t got = 0; got < len;) {
    ssize_t n = usocket_recv(s, buf + got, len - got, 0);
    if (n <= 0) {
      return -1;
    }
    got += (size_t)n;
  }
  return 0;
}

/* Sends a packet and reads the 2-byte answer expected (CONNACK's first two,
 * PINGRESP); 0, or 4. */
static int exchange(usocket *s, const uint8_t *packet, size_t len, uint8_t type, uint8_t remaining)
{
  uint8_t head[2];
  if (usocket_sendall(s, packet, len) < 0 || read_exact(s, head, sizeof(head)) < 0) {
    return 4;
  }
  return head[0] == type && head[1] == remaining ? 0 : 4;
}

/* CONNECT with a clean session and client id `id` (MQTT 3.1.1, 3.1). */
static size_t connect_packet(uint8_t *p, size_t size, const char *id)
{
  size_t id_len = strlen(id);
  size_t remaining = 10 + 2 + id_len;
  if (remaining > 127 || 2 + remaining > size) {
    return 0;
  }
  uint8_t fixed[] = { 0x10, (uint8_t)remaining, 0, 4, 'M', 'Q', 'T', 'T', 4, 0x02, 0, KEEPALIVE_S,
                      (uint8_t)(id_len >> 8), (uint8_t)id_len };
  memcpy(p, fixed, sizeof(fixed));
  memcpy(p + sizeof(fixed), id, id_len);
  return sizeof(fixed) + id_len;
}

int board_main(int argc, char **argv)
{
  long port = argc > 2 ? strtol(argv[2], NULL, 10) : 1883;
  long pings = argc > 3 ? strtol(argv[3], NULL, 10) : 1;
  if (argc < 2 || strlen(argv[1]) >= USOCKET_IPSTRLEN || port < 1 || port > 65535 || pings < 0 || pings > 1000) {
    fprintf(stderr, "usage: %s [board options] -- BROKER-IP [PORT [PINGS]]\n", argv[0]);
    return 2;
  }
  usocket_addr broker = { .port = (uint16_t)port };
  strcpy(broker.ip, argv[1]);
  usocket *s;
  if (usocket_socket(USOCKET_AF_INET, USOCKET_SOCK_STREAM, 0, &s) < 0) {
    return 3;
  }
  usocket_settimeout(s, IO_TIMEOUT_MS);
  int rc = usocket_connect(s, &broker);
  if (rc < 0) {
    fprintf(stderr, "mqtt_ping: cannot connect to %s:%ld: error %d\n", broker.ip, port, -rc);
    usocket_free(s);
    return 3;
  }
  uint8_t packet[160], ack[2];
  size_t len = connect_packet(packet, sizeof(packet), board_name());
  rc = len == 0 || exchange(s, packet, len, 0x20, 2) != 0 || read_exact(s, ack, sizeof(ack)) < 0 || ack[1] != 0;
  if (rc != 0) {
    fprintf(stderr, "mqtt_ping: no CONNACK accepting the connection\n");
    usocket_free(s);
    return 4;
  }
  printf("mqtt_ping: board %s connected to broker %s:%ld\n", board_name(), broker.ip, port);
  static const uint8_t pingreq[] = { 0xc0, 0 }, disconnect[] = { 0xe0, 0 };
  for (long i = 0; i < pings; i++) {
    if (exchange(s, pingreq, sizeof(pingreq), 0xd0, 0) != 0) {
      fprintf(stderr, "mqtt_ping: PINGREQ %ld: no PINGRESP\n", i + 1);
      usocket_free(s);
      return 4;
    }
  }
  usocket_sendall(s, disconnect, sizeof(disconnect));
  usocket_free(s);
  printf("mqtt_ping: %ld pings answered, disconnected\n", pings);
  fflush(stdout);
  return 0;
}
