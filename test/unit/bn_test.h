/*
 * Shared by the unit tests: each test_<name>.c defines bn_test_suite(), and
 * check_main.c runs it in Check's fork mode.
 */
#ifndef BN_TEST_H
#define BN_TEST_H

#include <check.h>

/** The suite of this test executable. */
Suite *bn_test_suite(void);

#endif /* BN_TEST_H */
