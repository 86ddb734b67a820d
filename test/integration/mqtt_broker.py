#!/usr/bin/env python3
"""A one-client MQTT 3.1.1 broker stub, the kernel-side peer of examples/mqtt_ping.c:
accepts one connection, answers CONNECT with CONNACK (accepted) and each PINGREQ with a
PINGRESP, and ends at DISCONNECT. Exit 0 if it saw CONNECT, exactly PINGS PINGREQs and
DISCONNECT in that order; 1 otherwise. Prints the client id.

    mqtt_broker.py HOST PORT PINGS [TIMEOUT_S]
"""
import socket
import sys


def read_exact(conn, n):
    data = b""
    while len(data) < n:
        chunk = conn.recv(n - len(data))
        if not chunk:
            raise EOFError("the client closed mid-packet")
        data += chunk
    return data


def read_packet(conn):
    """One control packet: (first byte, body)."""
    first = read_exact(conn, 1)[0]
    remaining, shift = 0, 0
    while True:
        b = read_exact(conn, 1)[0]
        remaining |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80 or shift > 21:
            break
    return first, read_exact(conn, remaining)


def main():
    host, port, pings = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    timeout = float(sys.argv[4]) if len(sys.argv) > 4 else 30
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind((host, port))
    srv.listen(1)
    srv.settimeout(timeout)
    conn, peer = srv.accept()
    conn.settimeout(timeout)
    first, body = read_packet(conn)
    if first != 0x10 or body[2:6] != b"MQTT" or body[6] != 4:
        print(f"broker: not an MQTT 3.1.1 CONNECT: {first:#x} {body[:8]!r}")
        return 1
    id_len = int.from_bytes(body[10:12], "big")
    print(f"broker: CONNECT from {peer[0]}, client id {body[12:12 + id_len].decode()}")
    conn.sendall(bytes([0x20, 2, 0, 0]))
    seen = 0
    while True:
        first, body = read_packet(conn)
        if first == 0xC0:
            seen += 1
            conn.sendall(bytes([0xD0, 0]))
        elif first == 0xE0:
            break
        else:
            print(f"broker: unexpected packet {first:#x}")
            return 1
    conn.close()
    print(f"broker: {seen} PINGREQs, then DISCONNECT")
    return 0 if seen == pings else 1


if __name__ == "__main__":
    sys.exit(main())
