/*
 * Shared by the unit tests: each test_<name>.c defines bn_test_suite(), and
 * check_main.c runs it in Check's fork mode.
 */
#ifndef BN_TEST_H
#define BN_TEST_H

#include <check.h>

/** The suite of this test executable. */
Suite *bn_test_suite(void);

/** Check's tcase_create(), each test of the case on the virtual clock when
 *  BN_TEST_CLOCK=virtual (check_main.c). */
TCase *bn_test_tcase_create(const char *name);
#define tcase_create(name) bn_test_tcase_create(name)

#endif /* BN_TEST_H */
