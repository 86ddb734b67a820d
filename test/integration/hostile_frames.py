#!/usr/bin/env python3
"""Malformed frames for test_hostile_frames.sh, built and sent with scapy
onto the board's wire (the TAP, inside the test's namespace): bad IPv4
header lengths and total lengths, odd versions and options, overlapping,
tiny and oversized fragments, TCP segments with bad data offsets, options
and flag sets (to the listening http port and to closed ones), UDP and ICMP
with bad lengths, ARP with odd hardware and protocol lengths and truncated
ARP, runt frames. Seeded: the same frames every run.

    hostile_frames.py IFACE BOARD_MAC BOARD_IP COUNT

Source addresses are from 198.18.0.0/15 and source MACs are locally
administered, so no frame teaches the board a wrong neighbour for the
kernel's 192.0.2.1 (the test's normal request afterwards must not depend on
an ARP entry expiring).
"""
import random
import struct
import sys

from scapy.all import ARP, ICMP, IP, TCP, UDP, Ether, Raw, conf, sendp  # noqa: E402

iface, board_mac, board_ip, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
rng = random.Random(2026)
conf.verb = 0


def peer_mac():
    return "02:00:5e:%02x:%02x:%02x" % (rng.randrange(256), rng.randrange(256), rng.randrange(256))


def peer_ip():
    return "198.%d.%d.%d" % (18 + rng.randrange(2), rng.randrange(256), 1 + rng.randrange(254))


def eth(kind=0x0800):
    return Ether(src=peer_mac(), dst=board_mac, type=kind)


def junk(n):
    return bytes(rng.randrange(256) for _ in range(n))


def ip(**kw):
    return IP(src=peer_ip(), dst=board_ip, **kw)


def bad_ihl():
    return eth() / ip(ihl=rng.choice([0, 1, 4, 6, 11, 15]), proto=rng.choice([1, 6, 17])) / Raw(junk(rng.randrange(0, 24)))


def bad_total_length():
    payload = junk(rng.randrange(0, 64))
    return eth() / ip(len=rng.choice([0, 1, 19, 21, 60 + len(payload), 65535]), proto=rng.choice([1, 6, 17])) / Raw(payload)


def odd_header():
    return eth() / ip(version=rng.choice([0, 5, 6, 15]), options=Raw(junk(4 * rng.randrange(1, 10)))) / Raw(junk(16))


def fragments():
    """One datagram as fragments that overlap, leave holes, are tiny, or run
    past 65535 bytes; different bytes in the overlaps."""
    ident = rng.randrange(65536)
    proto = rng.choice([1, 17])
    frames = []
    for _ in range(rng.randrange(2, 6)):
        off = rng.choice([0, 1, 2, 3, 8, 100, 8189, 8191])          # in 8-byte units
        size = rng.choice([0, 1, 8, 16, 24, 1400])
        more = rng.random() < 0.7
        frames.append(eth() / IP(src="198.18.0.9", dst=board_ip, id=ident, proto=proto,
                                 frag=off, flags="MF" if more else 0) / Raw(junk(size)))
    return frames


def bad_tcp():
    dport = rng.choice([80, 80, 80, 7, 1, 65535])
    opts = rng.choice([
        b"\x02\x00",                    # MSS with length 0
        b"\x02\x01\x05",                # length 1
        b"\x02\x03\x05\xb4",            # MSS of length 3
        b"\x02\x04",                    # cut short
        b"\x03\x03\xff",                # window scale 255
        b"\x04\x02\x05\x0a\x00",        # SACK permitted, then SACK of length 0
        b"\x05\x0a" + junk(8),          # a SACK block on a SYN
        b"\x08\x0a\x00",                # timestamps cut short
        b"\xfe\xff" + junk(6),          # unknown kind, length past the end
        junk(rng.randrange(1, 40)),
    ])
    opts = opts + b"\x00" * (-len(opts) % 4)
    dataofs = rng.choice([0, 1, 4, 5 + len(opts) // 4, 15])
    flags = rng.choice(["S", "SF", "SR", "FPU", "", "SAFRPUEC", "A", "R", "PA"])
    seg = TCP(sport=rng.randrange(1024, 65536), dport=dport, seq=rng.getrandbits(32),
              ack=rng.getrandbits(32), dataofs=dataofs, flags=flags, window=rng.randrange(65536))
    return eth() / ip() / seg / Raw(opts + junk(rng.randrange(0, 32)))


def bad_udp_icmp():
    if rng.random() < 0.5:
        return eth() / ip() / UDP(sport=rng.randrange(65536), dport=rng.choice([53, 67, 68, 7, 9]),
                                  len=rng.choice([0, 1, 7, 9, 65535])) / Raw(junk(rng.randrange(0, 16)))
    return eth() / ip() / ICMP(type=rng.choice([0, 3, 5, 8, 11, 13, 255]), code=rng.randrange(256)) / Raw(junk(rng.randrange(0, 8)))


def bad_arp():
    """ARP with odd hardware/protocol lengths, unknown types, or cut short."""
    hwlen, plen = rng.choice([(0, 4), (6, 0), (7, 4), (6, 5), (255, 255), (6, 16), (1, 1)])
    body = struct.pack("!HHBBH", rng.choice([1, 6, 0xffff]), rng.choice([0x0800, 0x86dd, 0]), hwlen, plen,
                       rng.choice([1, 2, 3, 0, 0xffff]))
    body += junk(rng.randrange(0, 2 * (hwlen + plen) + 2))
    if rng.random() < 0.3:
        # Well formed lengths, cut after the header: no addresses at all.
        return [eth(0x0806) / Raw(bytes(ARP(op=1, psrc=peer_ip(), pdst=board_ip, hwsrc=peer_mac()))[:rng.randrange(0, 27)])]
    return [eth(0x0806) / Raw(body)]


def runt():
    return Raw(junk(rng.randrange(1, 14)))


kinds = [lambda: [bad_ihl()], lambda: [bad_total_length()], lambda: [odd_header()], fragments,
         lambda: [bad_tcp()], lambda: [bad_tcp()], lambda: [bad_udp_icmp()], bad_arp, lambda: [runt()]]
frames = []
while len(frames) < count:
    frames.extend(rng.choice(kinds)())
frames = frames[:count]
# In calls of 200 frames (scapy builds each burst before sending it, a
# natural pause), so the TAP's queue (1000 frames) holds them: this tests
# what the board does with each frame, not the kernel's drops.
for i in range(0, len(frames), 200):
    sendp(frames[i:i + 200], iface=iface)
print("hostile_frames: %d malformed frames onto %s" % (len(frames), iface))
