/* Runs the suite of one unit-test executable (fork mode, one process per
 * test; CK_FORK=no in the environment runs them in this process, for gdb). */
#include "bn_test.h"

#include <stdlib.h>

int main(void)
{
  SRunner *runner = srunner_create(bn_test_suite());
  if (getenv("CK_FORK") == NULL) {
    srunner_set_fork_status(runner, CK_FORK);
  }
  srunner_run_all(runner, CK_NORMAL);
  int failed = srunner_ntests_failed(runner);
  srunner_free(runner);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
