set(BN_BOARD_SYS_ARCH boardnet)  # 256 KiB windows overflow the unix port's 128-entry mailboxes
