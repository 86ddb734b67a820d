/*
 * The board profile this build of the stack was compiled with
 * (stack/boards/<board>/lwipopts.h): its name and key lwIP options.
 */
#ifndef BN_BOARD_H
#define BN_BOARD_H

#include <stddef.h>
#include <stdio.h>

/** The profile's name, e.g. "rp2-pico-w". */
const char *bn_board_name(void);

/** One line describing the board emulated. */
const char *bn_board_description(void);

/** lwIP's version string, e.g. "2.1.3". */
const char *bn_board_lwip_version(void);

/** Prints the profile and its key lwIP options, one "name: value" per line. */
void bn_board_print_info(FILE *out);

/**
 * The profile's link character: the text of stack/boards/<board>/link.scn,
 * built in (boardnet run --link board), *len bytes, not NUL-terminated.
 * @return the text, or NULL (and *len 0) if the profile has none.
 */
const char *bn_board_link(size_t *len);

#endif /* BN_BOARD_H */
