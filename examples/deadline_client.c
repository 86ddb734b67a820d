/*
 * deadline_client: a board program (boardnet/board.h) on usocket, a client
 * with a watchdog too tight for a bad link, the kind of bug that shows once
 * in a thousand field sessions: it opens COUNT connections to HOST PORT one
 * after another, sends a line on each and reads its echo, and treats a
 * connect() of connection number WATCH slower than SECONDS as fatal. When
 * that connection's SYN-ACK is lost, the server's TCP sends it again a
 * second later (RFC 6298's initial RTO; boardnet replay's peer does the
 * same), and the program fails; any other loss it survives.
 * `boardnet sweep` finds the seeds whose faults hit it, and `boardnet
 * shrink` the one lost SYN-ACK among them (the README's sweep section;
 * test/integration/test_sweep.sh).
 *
 *   cc deadline_client.c $(pkg-config --cflags --libs boardnet) -o deadline_client
 *   sudo ./deadline_client --tap bn0 --ip 192.0.2.2/24 --record s.pcap -- 192.0.2.1 7 3 2
 *   ./deadline_client --pcap s.pcap --scenario synack-loss.scn --seed 2 --clock virtual -- 192.0.2.1 7 3 2
 *
 * Arguments: HOST PORT COUNT WATCH [SECONDS] (default 0.5: one lost
 * SYN-ACK is fatal; 2.5: only two in a row).
 * Exit status: 0 every echo came back; 5 connection WATCH took SECONDS or
 * more to connect (the bug); 6 an echo failed; 2 bad arguments.
 */
#include <boardnet/board.h>
#include <boardnet/usocket.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double board_seconds(void)
{
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t); /* the board's clock: virtual on --clock virtual */
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* One connection: connect, a line out, its echo back. 0, or a usocket error. */
static int echo_once(const usocket_addr *peer, int k, double *connect_s)
{
  usocket *s;
  int rc = usocket_socket(USOCKET_AF_INET, USOCKET_SOCK_STREAM, 0, &s);
  if (rc < 0) {
    return rc;
  }
  usocket_settimeout(s, 10000);
  double t0 = board_seconds();
  rc = usocket_connect(s, peer);
  *connect_s = board_seconds() - t0;
  char line[32], back[32];
  int len = snprintf(line, sizeof(line), "connection %d\n", k);
  if (rc == 0 && usocket_sendall(s, line, (size_t)len) < 0) {
    rc = -USOCKET_EIO;
  }
  size_t got = 0;
  while (rc == 0 && got < (size_t)len) {
    ssize_t n = usocket_recv(s, back + got, (size_t)len - got, 0);
    if (n <= 0) {
      rc = n < 0 ? (int)n : -USOCKET_ECONNRESET;
      break;
    }
    got += (size_t)n;
  }
  if (rc == 0 && memcmp(line, back, (size_t)len) != 0) {
    rc = -USOCKET_EIO;
  }
  usocket_close(s);
  usocket_free(s);
  return rc;
}

int board_main(int argc, char **argv)
{
  if (argc != 5 && argc != 6) {
    fprintf(stderr, "usage: deadline_client [board options] -- HOST PORT COUNT WATCH [SECONDS]\n");
    return 2;
  }
  double fatal = argc == 6 ? atof(argv[5]) : 0.5;
  usocket_addr peer = { .port = atoi(argv[2]) };
  snprintf(peer.ip, sizeof(peer.ip), "%s", argv[1]);
  int count = atoi(argv[3]), watch = atoi(argv[4]);
  board_ready();
  for (int k = 1; k <= count; k++) {
    double took;
    int rc = echo_once(&peer, k, &took);
    printf("connection %d: connect %.3f s, %s\n", k, took, rc == 0 ? "echoed" : "failed");
    fflush(stdout);
    if (k == watch && took >= fatal) {
      fprintf(stderr, "deadline_client: connection %d took %.3f s to connect (watchdog: %.1f s)\n", k, took, fatal);
      return 5;
    }
    if (rc != 0) {
      return 6;
    }
  }
  return 0;
}
