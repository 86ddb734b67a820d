/* Runs the suite of one unit-test executable (fork mode, one process per
 * test; CK_FORK=no in the environment runs them in this process, for gdb).
 * BN_TEST_CLOCK=virtual runs every test on the virtual clock (started in
 * the test's own process, before the test: bn_test.h's tcase_create). */
#include "bn_test.h"
#include "bn_clock.h"

#include <stdlib.h>
#include <string.h>

#undef tcase_create

static void virtual_clock_setup(void)
{
  const char *clock = getenv("BN_TEST_CLOCK");
  if (clock != NULL && strcmp(clock, "virtual") == 0 && !bn_clock_is_virtual()) {
    struct bn_clock_virtual v = { .stall_wall_s = 20, .first_thread = "test" };
    bn_clock_virtual_start(&v);
  }
}

TCase *bn_test_tcase_create(const char *name)
{
  TCase *tc = tcase_create(name);
  tcase_add_checked_fixture(tc, virtual_clock_setup, NULL);
  return tc;
}

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
