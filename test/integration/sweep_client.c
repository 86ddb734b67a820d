/*
 * sweep_client: a board program made for test_sweep.sh, with a bug that
 * shows only when one particular frame is lost: it opens COUNT connections
 * to HOST PORT one after another, sends a line on each and reads its echo,
 * and treats a slow connect() of connection number WATCH as fatal (as
 * firmware with a too-tight watchdog would): when that connection's SYN-ACK
 * is lost, lwIP sends its SYN again after its initial RTO (about 3 s) and
 * the program fails. Any other loss it survives.
 *
 *   sweep_client --tap ... -- HOST PORT COUNT WATCH [SECONDS]
 *   sweep_client --pcap CAPTURE --scenario S --seed N --clock virtual -- HOST PORT COUNT WATCH [SECONDS]
 *
 * SECONDS (default 0.5) is how slow a connect() of connection WATCH is
 * fatal: 0.5 fails on one lost SYN-ACK (the replay's peer sends it again
 * after 1 s), 2.5 only on two in a row (again after 2 s more).
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
    fprintf(stderr, "usage: sweep_client [board options] -- HOST PORT COUNT WATCH [SECONDS]\n");
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
      fprintf(stderr, "sweep_client: connection %d took %.3f s to connect: its SYN-ACK was lost\n", k, took);
      return 5;
    }
    if (rc != 0) {
      return 6;
    }
  }
  return 0;
}
