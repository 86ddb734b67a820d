#!/usr/bin/env python3
"""Writes N bytes of the RFC 864 chargen stream to stdout, as the board's
chargen app and /bytes/N produce it (tools/apps/chargen_pattern.c): lines of
72 printable characters (' '..'~', each line starting one character later
than the one before) ending in CR LF.

    chargen.py N
"""
import sys

FIRST, COUNT, WIDTH = 32, 95, 72


def line(number):
    return bytes(FIRST + (number + col) % COUNT for col in range(WIDTH)) + b"\r\n"


def main():
    n = int(sys.argv[1])
    period = b"".join(line(i) for i in range(COUNT))  # the stream repeats every 95 lines
    out = sys.stdout.buffer
    while n > 0:
        chunk = period[:n]
        out.write(chunk)
        n -= len(chunk)


if __name__ == "__main__":
    main()
