#!/usr/bin/env python3
"""Sends bare TCP SYNs from spoofed source addresses that nobody answers ARP
for, so that each leaves a half-open connection (SYN_RCVD) on the board: its
SYN-ACK never reaches a peer (on the TAP's subnet lwIP waits for an ARP reply
that never comes; off it, the namespace's kernel does not forward) until
lwIP's SYN_RCVD timeout drops it. Needs root (a raw socket), inside the
test's namespace only.

    syn_peer.py SRC DST DPORT COUNT

SRC is one address, or a network (e.g. 198.18.0.0/15): then every SYN comes
from another host address of it and another source port, drawn from a
seeded generator (the same run every time).
"""
import errno
import ipaddress
import random
import socket
import struct
import sys

src, dst, dport, count = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
net = ipaddress.ip_network(src, strict=False)
rng = random.Random(12)


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    total = (total >> 16) + (total & 0xFFFF)
    total += total >> 16
    return ~total & 0xFFFF


def syn(saddr, sport, ident):
    s, d = socket.inet_aton(saddr), socket.inet_aton(dst)
    tcp = struct.pack("!HHIIBBHHH", sport, dport, rng.getrandbits(32), 0, 5 << 4, 0x02, 64240, 0, 0)
    pseudo = s + d + struct.pack("!BBH", 0, 6, len(tcp))
    tcp = tcp[:16] + struct.pack("!H", checksum(pseudo + tcp)) + tcp[18:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), ident & 0xFFFF, 0, 64, 6, 0, s, d)
    ip = ip[:10] + struct.pack("!H", checksum(ip)) + ip[12:]
    return ip + tcp


raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
hosts = net.num_addresses - 2 if net.num_addresses > 2 else 0
sent = 0
for i in range(count):
    if hosts:
        saddr = str(net.network_address + 1 + rng.randrange(hosts))
        sport = 1024 + rng.randrange(64512)
    else:
        saddr, sport = str(net.network_address), 40000 + i
    try:
        raw.sendto(syn(saddr, sport, i), (dst, 0))
        sent += 1
    except OSError as e:
        if e.errno not in (errno.ENOBUFS, errno.EAGAIN):
            raise
        # the TAP's queue is full: a flood loses SYNs, as on a real wire
print("syn_peer: %d of %d SYNs from %s to %s:%d" % (sent, count, src, dst, dport))
