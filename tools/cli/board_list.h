/*
 * The board profiles built next to this binary, and each one's `info`
 * (board_list.c): for `boardnet boards` and `info --compare`.
 */
#ifndef BN_BOARD_LIST_H
#define BN_BOARD_LIST_H

#include <stddef.h>

#define BN_BOARD_NAME_MAX 32
#define BN_BOARDS_MAX     32

/**
 * The boards built: every executable boardnet-<board> in this binary's
 * directory, names sorted. @return how many (at most max), or -1 when the
 * directory cannot be read.
 */
int bn_board_list(char names[][BN_BOARD_NAME_MAX], int max);

/**
 * Runs boardnet-<board> info and puts its output (NUL-terminated, cut at
 * size - 1 bytes) into out.
 * @return 0; -ENOENT no such board built; -EIO it failed; another -errno.
 */
int bn_board_info_of(const char *board, char *out, size_t size);

/**
 * The value of line "key: value" in an info text, copied into value.
 * @return value, or NULL if info has no such line.
 */
const char *bn_board_info_field(const char *info, const char *key, char *value, size_t size);

#endif /* BN_BOARD_LIST_H */
