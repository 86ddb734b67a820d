set(BN_BOARD_SYS_ARCH port)  # a 6400-byte window is 8 segments: the unix port's 128-entry mailboxes suffice
