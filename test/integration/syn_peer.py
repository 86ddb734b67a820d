#!/usr/bin/env python3
"""Sends bare TCP SYNs from a spoofed source address that nobody answers ARP
for, so that each leaves a half-open connection (SYN_RCVD) on the board: its
SYN-ACK never leaves (lwIP waits for an ARP reply that never comes) until
lwIP's SYN_RCVD timeout drops it. Needs root (a raw socket), inside the
test's namespace only.

    syn_peer.py SRC DST DPORT COUNT
"""
import socket
import struct
import sys

src, dst, dport, count = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    total = (total >> 16) + (total & 0xFFFF)
    total += total >> 16
    return ~total & 0xFFFF


def syn(sport):
    tcp = struct.pack("!HHIIBBHHH", sport, dport, 1000 + sport, 0, 5 << 4, 0x02, 64240, 0, 0)
    pseudo = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack("!BBH", 0, 6, len(tcp))
    tcp = tcp[:16] + struct.pack("!H", checksum(pseudo + tcp)) + tcp[18:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), sport, 0, 64, 6, 0,
                     socket.inet_aton(src), socket.inet_aton(dst))
    ip = ip[:10] + struct.pack("!H", checksum(ip)) + ip[12:]
    return ip + tcp


raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
for i in range(count):
    raw.sendto(syn(40000 + i), (dst, 0))
print("syn_peer: %d SYNs from %s to %s:%d" % (count, src, dst, dport))
