/*
 * A board program: your networking code as the firmware of an emulated
 * board. Installed as <boardnet/board.h>, with libboardnet-<board> (one
 * per board profile: `pkg-config --cflags --libs boardnet-<board>`).
 *
 * You write board_main(); the library supplies main(), which
 *   1. parses the board options, the same as `boardnet run`'s: the wire,
 *      --tap NAME (created if missing) or --pcap CAPTURE (a capture whose
 *      peers' side is replayed into the board, as `boardnet replay` does,
 *      with its options: --pace, --loop, --report FILE ...; no TAP, no
 *      root), --ip/--gw/--dhcp/--dns/--mac/--hostname, --seed, --record
 *      FILE, --scenario FILE (on either wire), --link board, --stats ...,
 *      plus --user NAME (the identity to drop to, as `run`) and
 *      --exit-after SEC; `--help` lists them all;
 *   2. opens the wire (then, started by sudo, drops to the invoking user),
 *      boots lwIP configured as the board profile and waits for the address
 *      (DHCP with --dhcp, or when a capture holds the board's lease);
 *   3. calls board_main(argc, argv) on a board thread of its own, with
 *      argv[0] the program and the arguments after `--` (or those that
 *      are no board option) as the rest;
 *   4. stops the board cleanly (a recording flushed) when board_main()
 *      returns (on a capture: when the replay has ended), or on SIGINT,
 *      SIGTERM, after --exit-after or at a scenario's `end`: then
 *      board_wait_stop() returns 1 and board_main() has 5 s to return
 *      before the board stops under it (the process then exits without
 *      waiting for it).
 *
 * Exit status: on a TAP, board_main()'s return value; 128 + the signal
 * after one (130 for SIGINT, 143 for SIGTERM); after --exit-after or a
 * scenario's end, 0 unless board_main() then returns another value. On a
 * capture, board_main()'s return value if it is not 0 (a non-zero return
 * ends the replay there), else the replay's
 * verdict: 0 the board answered as the captured one did (every frame for
 * it replayed and compared), 3 it diverged (the report, on stdout, says
 * where first), 4 incomplete (frames for the board left out, streams not
 * compared whole, or the replay cut short by --exit-after or a scenario's
 * end); 128 + the signal after one. Either wire: 1 if the board could not start,
 * 2 for bad options.
 *
 * In board_main() use usocket (<boardnet/usocket.h>, MicroPython's socket
 * API) or lwIP's netconn API (<lwip/api.h>: the pkg-config flags include
 * lwIP's headers and the board's lwipopts.h). The calls below tell the
 * program about its board.
 */
#ifndef BOARDNET_BOARD_H
#define BOARDNET_BOARD_H

#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * The program's entry point, written by the user; called on the board
 * thread once the board is up. Its return value is the exit status.
 */
int board_main(int argc, char **argv);

/** The board profile the program is linked with, e.g. "rp2-pico-w". */
const char *board_name(void);

/**
 * The board's IPv4 address as a dotted string into buf (at least 16 bytes).
 * @return 0, or -1 if buf is NULL or the board has no address.
 */
int board_ip(char *buf, size_t size);

/** 1 while the board's link is up (its TAP up, no scenario link-down). */
bool board_link_up(void);

/**
 * Tells boardnet that the program is ready for its peers: a --scenario's
 * time 0 is then (its faults apply from there on; frames before it pass
 * untouched), and on a capture (--pcap) the peer frames after the board's
 * start (its DHCP lease, if the capture holds one) come from then on, so
 * that the capture's first SYN does not find its port closed. Without the
 * call, that is once board_main() waits for the network (blocks for more
 * than a moment in accept(), recv(), connect(), board_wait_stop() ...: any
 * wait of lwIP's or usocket's) or returns. Call it where a program
 * busy-polls or sleeps before it first waits, or, before its first
 * connect(), where a client's first SYN must meet the scenario. Once
 * ready, later calls do nothing.
 */
void board_ready(void);

/**
 * Waits until board_main() should end: SIGINT, SIGTERM, --exit-after, a
 * scenario's end, or (on a capture) the replay's end.
 * For a server loop that has nothing else to wait for.
 * @param timeout_ms the longest wait (< 0: no limit)
 * @return 1 when the board is stopping, 0 on timeout.
 */
int board_wait_stop(long timeout_ms);

#ifdef __cplusplus
}
#endif

#endif /* BOARDNET_BOARD_H */
