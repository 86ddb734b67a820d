/* boardnet info: the board profile in effect. */
#include "cli.h"
#include "bn_board.h"

#include <string.h>

int bn_cmd_info(int argc, char **argv)
{
  if (argc > 1) {
    if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
      puts("Usage: boardnet [--board NAME] info\n\n"
           "Prints the board profile this boardnet runs: its name, the lwIP version\n"
           "and the key options of its lwipopts.h (stack/boards/NAME/lwipopts.h).");
      return BN_EXIT_OK;
    }
    return bn_cli_error(BN_EXIT_USAGE, "info takes no arguments ('%s')", argv[1]);
  }
  bn_board_print_info(stdout);
  return BN_EXIT_OK;
}
