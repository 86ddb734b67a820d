/*
 * The sweep's and the shrink's pure parts (tools/cli/sweep_*.c,
 * shrink_faults.c), no process run: a matrix's cells, ids and canonical
 * order; seed lists and their errors; shards that partition the cells
 * and do not move when a seed is added; option sets split as a shell
 * would; cells.tsv written and read back field for field; the JUnit XML's
 * escaping and counts; a decision log read into faults and written back
 * as a scenario that the scenario parser takes.
 */
#include "bn_test.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "artifact_run.h"
#include "scn.h"
#include "shrink_faults.h"
#include "sweep_matrix.h"
#include "sweep_results.h"

static char dir[] = "/tmp/bn-unit-sweep.XXXXXX";

static void setup(void)
{
  ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void teardown(void)
{
  char cmd[256];
  snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
  ck_assert_int_eq(system(cmd), 0);
  strcpy(dir, "/tmp/bn-unit-sweep.XXXXXX");
}

/* dir/name with text in it; its path in out. */
static void file_with(const char *name, const char *text, char *out, size_t size)
{
  snprintf(out, size, "%s/%s", dir, name);
  FILE *f = fopen(out, "w");
  ck_assert_ptr_nonnull(f);
  fputs(text, f);
  fclose(f);
}

/* A matrix of 2 captures x 2 scenarios and none x 2 boards, seeds "1-3,10". */
static void matrix(bn_sweep_matrix *m)
{
  char path[512], pattern[512];
  file_with("field.pcap", "x", path, sizeof(path));
  file_with("lab.pcap", "y", path, sizeof(path));
  file_with("wifi-weak.scn", "both loss 1%\n", path, sizeof(path));
  file_with("wifi-good.scn", "both loss 0.1%\n", path, sizeof(path));
  *m = (bn_sweep_matrix){ 0 };
  snprintf(pattern, sizeof(pattern), "%s/*.pcap", dir);
  ck_assert_int_eq(bn_sweep_matrix_add_files(m, pattern, false), 0);
  snprintf(pattern, sizeof(pattern), "%s/wifi-*.scn", dir);
  ck_assert_int_eq(bn_sweep_matrix_add_files(m, pattern, true), 0);
  ck_assert_int_eq(bn_sweep_matrix_add_files(m, "none", true), 0);
  ck_assert_int_eq(bn_sweep_matrix_add_seeds(m, "1-3,10"), 0);
  ck_assert_int_eq(bn_sweep_matrix_add_boards(m, "esp32,rp2-pico-w"), 0);
  ck_assert_int_eq(bn_sweep_list_add(&m->apps, &m->napps, "mirror"), 0);
  ck_assert_int_eq(bn_sweep_matrix_finish(m, "generic"), 0);
}

START_TEST(cells_are_named_and_ordered_capture_scenario_board_seed)
{
  bn_sweep_matrix m;
  matrix(&m);
  ck_assert_uint_eq(m.ncells, 2 * 3 * 2 * 4);
  bn_sweep_cell c;
  bn_sweep_matrix_cell(&m, 0, &c);
  ck_assert_str_eq(c.id, "field-esp32-wifi-good-seed-1"); /* glob() sorts: good before weak */
  bn_sweep_matrix_cell(&m, 3, &c);
  ck_assert_str_eq(c.id, "field-esp32-wifi-good-seed-10");
  bn_sweep_matrix_cell(&m, 4, &c);
  ck_assert_str_eq(c.id, "field-rp2-pico-w-wifi-good-seed-1");
  bn_sweep_matrix_cell(&m, 2 * 4 * 2, &c);
  ck_assert_str_eq(c.id, "field-esp32-none-seed-1");
  ck_assert_ptr_null(m.scenarios[c.scenario].path);
  bn_sweep_matrix_cell(&m, m.ncells - 1, &c);
  ck_assert_str_eq(c.id, "lab-rp2-pico-w-none-seed-10");
  ck_assert_uint_eq(c.seed, 10);
  char seeds[64];
  bn_sweep_seeds_text(&m, seeds, sizeof(seeds));
  ck_assert_str_eq(seeds, "1-3,10");
  bn_sweep_matrix_free(&m);
}
END_TEST

START_TEST(bad_seeds_boards_and_files_are_refused)
{
  bn_sweep_matrix m = { 0 };
  ck_assert_int_eq(bn_sweep_matrix_add_seeds(&m, "5-1"), 2);
  ck_assert_int_eq(bn_sweep_matrix_add_seeds(&m, "1,x"), 2);
  ck_assert_int_eq(bn_sweep_matrix_add_seeds(&m, "-3"), 2);
  ck_assert_int_eq(bn_sweep_matrix_add_seeds(&m, "1-5"), 0);
  ck_assert_int_eq(bn_sweep_matrix_add_seeds(&m, "4"), 2); /* given twice */
  ck_assert_int_eq(bn_sweep_matrix_add_boards(&m, "Esp32"), 2);
  ck_assert_int_eq(bn_sweep_matrix_add_boards(&m, "esp32,esp32"), 2);
  char pattern[512];
  snprintf(pattern, sizeof(pattern), "%s/nothing-*.scn", dir);
  ck_assert_int_eq(bn_sweep_matrix_add_files(&m, pattern, true), 2);
  ck_assert_int_eq(bn_sweep_matrix_finish(&m, "generic"), 2); /* no capture */
  bn_sweep_matrix_free(&m);
}
END_TEST

START_TEST(shards_partition_the_cells_and_a_new_seed_moves_none)
{
  bn_sweep_matrix m;
  matrix(&m);
  unsigned in[3] = { 0 };
  int where[48];
  for (uint64_t i = 0; i < m.ncells; i++) {
    bn_sweep_cell c;
    bn_sweep_matrix_cell(&m, i, &c);
    int count = 0;
    for (unsigned k = 1; k <= 3; k++) {
      if (bn_sweep_in_shard(&c, k, 3)) {
        count++;
        in[k - 1]++;
        where[i] = (int)k;
      }
    }
    ck_assert_int_eq(count, 1); /* exactly one shard */
  }
  ck_assert_uint_gt(in[0], 0);
  ck_assert_uint_gt(in[1], 0);
  ck_assert_uint_gt(in[2], 0);
  /* A seed added: every cell that was there keeps its shard. */
  bn_sweep_matrix m2;
  matrix(&m2);
  ck_assert_int_eq(bn_sweep_matrix_add_seeds(&m2, "99"), 0);
  ck_assert_int_eq(bn_sweep_matrix_finish(&m2, "generic"), 0);
  for (uint64_t i = 0; i < m.ncells; i++) {
    bn_sweep_cell c;
    bn_sweep_matrix_cell(&m, i, &c);
    for (uint64_t j = 0; j < m2.ncells; j++) {
      bn_sweep_cell d;
      bn_sweep_matrix_cell(&m2, j, &d);
      if (strcmp(c.id, d.id) == 0) {
        ck_assert(bn_sweep_in_shard(&d, (unsigned)where[i], 3));
      }
    }
  }
  bn_sweep_matrix_free(&m);
  bn_sweep_matrix_free(&m2);
}
END_TEST

START_TEST(option_sets_split_as_a_shell_splits_words)
{
  char **w;
  size_t n;
  ck_assert_int_eq(bn_sweep_split_words("  --pace top --filter 'tcp port 80' --x \"a b\"\\ c ", &w, &n), 0);
  ck_assert_uint_eq(n, 6);
  ck_assert_str_eq(w[0], "--pace");
  ck_assert_str_eq(w[3], "tcp port 80");
  ck_assert_str_eq(w[5], "a b c");
  for (size_t i = 0; i < n; i++) {
    free(w[i]);
  }
  free(w);
  ck_assert_int_eq(bn_sweep_split_words("--filter 'tcp", &w, &n), -EINVAL);
  ck_assert_int_eq(bn_sweep_split_words("", &w, &n), 0);
  ck_assert_uint_eq(n, 0);
}
END_TEST

/* Results of the matrix's first cells, with a message that needs escaping. */
static void some_results(const bn_sweep_matrix *m, bn_sweep_results *rs, size_t n)
{
  static const enum bn_sweep_status st[] = { BN_SWEEP_SAME, BN_SWEEP_DIVERGED, BN_SWEEP_FAILED, BN_SWEEP_NOT_RUN,
                                             BN_SWEEP_INCOMPLETE, BN_SWEEP_STALLED };
  for (size_t i = 0; i < n; i++) {
    bn_sweep_cell c;
    bn_sweep_matrix_cell(m, n - 1 - i, &c); /* backwards: sorting puts them in order */
    bn_sweep_result r;
    ck_assert_int_eq(bn_sweep_result_init(&r, m, &c), 0);
    r.status = st[i % 6];
    r.exit_status = r.status == BN_SWEEP_NOT_RUN ? -1 : (int)i;
    r.artifact = bn_sweep_status_fails(r.status);
    free(r.message);
    r.message = strdup("first at <frame 5> & \"b\"\tx\\y\nz");
    ck_assert_int_eq(bn_sweep_results_add(rs, &r), 0);
  }
}

START_TEST(cells_tsv_reads_back_what_was_written)
{
  bn_sweep_matrix m;
  matrix(&m);
  bn_sweep_results rs = { 0 }, back = { 0 };
  some_results(&m, &rs, 12);
  bn_sweep_results_sort(&rs);
  ck_assert_uint_eq(rs.v[0].index, 0);
  char path[512];
  snprintf(path, sizeof(path), "%s/cells.tsv", dir);
  ck_assert_int_eq(bn_sweep_results_write(&rs, path), 0);
  unsigned line;
  ck_assert_int_eq(bn_sweep_results_read(&back, path, &line), 0);
  ck_assert_uint_eq(back.n, rs.n);
  for (size_t i = 0; i < rs.n; i++) {
    ck_assert_uint_eq(back.v[i].index, rs.v[i].index);
    ck_assert_str_eq(back.v[i].id, rs.v[i].id);
    ck_assert_str_eq(back.v[i].message, rs.v[i].message);
    ck_assert_int_eq(back.v[i].status, rs.v[i].status);
    ck_assert_int_eq(back.v[i].exit_status, rs.v[i].exit_status);
    ck_assert_uint_eq(back.v[i].seed, rs.v[i].seed);
    ck_assert(back.v[i].artifact == rs.v[i].artifact);
  }
  ck_assert_int_eq(bn_sweep_exit_status(&rs), 3);
  char bad[512];
  file_with("bad.tsv", "# boardnet sweep cells 1: x\nnot a line\n", bad, sizeof(bad));
  ck_assert_int_eq(bn_sweep_results_read(&back, bad, &line), -EINVAL);
  ck_assert_uint_eq(line, 2);
  bn_sweep_results_free(&rs);
  bn_sweep_results_free(&back);
  bn_sweep_matrix_free(&m);
}
END_TEST

START_TEST(junit_counts_and_escapes)
{
  bn_sweep_matrix m;
  matrix(&m);
  bn_sweep_results rs = { 0 };
  some_results(&m, &rs, 6);
  bn_sweep_results_sort(&rs);
  char path[512];
  snprintf(path, sizeof(path), "%s/j.xml", dir);
  ck_assert_int_eq(bn_sweep_junit(&rs, path), 0);
  size_t len;
  char *x = bn_ar_slurp(path, &len);
  ck_assert_ptr_nonnull(x);
  ck_assert_ptr_nonnull(strstr(x, "<testsuites name=\"boardnet sweep\" tests=\"6\" failures=\"1\" errors=\"2\" "
                                  "skipped=\"2\">"));
  ck_assert_ptr_nonnull(strstr(x, "message=\"first at &lt;frame 5&gt; &amp; &quot;b&quot;\tx\\y\nz\""));
  ck_assert_ptr_null(strstr(x, "<frame"));
  ck_assert_ptr_nonnull(strstr(x, "<property name=\"artifact\" value=\"fail/"));
  free(x);
  bn_sweep_results_free(&rs);
  bn_sweep_matrix_free(&m);
}
END_TEST

START_TEST(a_decision_log_becomes_a_scenario_the_parser_takes)
{
  char log[512], scn[512];
  file_with("decisions.log",
            "# 0.000000 step line 1: both loss random 10%\n"
            "0.000100 egress 1 * delay 2.000ms capture 4\n"
            "0.500000 ingress 3 \"tcp port 80 and host \\\"x\\\"\" drop loss capture 9\n"
            "0.600000 egress 4 * corrupt byte 40 bit 3 capture 10\n"
            "0.700000 egress 5 * duplicate capture 11\n"
            "0.800000 egress 6 * drop loss capture - (never on the wire)\n"
            "0.900000 egress 7 * reorder capture 12\n"
            "# 1.000000 step line 4: link down\n"
            "1.100000 ingress 8 * drop link capture 14\n"
            "# 3.000000 step line 5: link up\n"
            "# 4.000000 step line 6: fail TCP_PCB next 5\n"
            "# 9.000000 step line 7: end\n",
            log, sizeof(log));
  bn_shrink_faults f = { 0 };
  unsigned line;
  ck_assert_int_eq(bn_shrink_faults_read(log, &f, &line), 0);
  ck_assert_uint_eq(f.n, 7); /* delay, drop, corrupt, duplicate, drop, the flap, the pool fault */
  ck_assert_uint_eq(f.skipped_link, 1);
  ck_assert_uint_eq(f.skipped_reorder, 1);
  ck_assert_uint_eq(f.nkept, 1);
  ck_assert_str_eq(f.v[0].line, "egress nth 1 delay 2.000ms");
  ck_assert_str_eq(f.v[1].line, "ingress nth 3 drop");
  ck_assert_uint_eq(f.v[1].capture, 9);
  ck_assert_str_eq(f.v[2].line, "egress nth 4 corrupt byte 40 bit 3");
  ck_assert_uint_eq(f.v[4].capture, 0); /* never on the wire */
  ck_assert(f.v[5].step && f.v[5].until_ns == 3000000000u);
  size_t all[7] = { 0, 1, 2, 3, 4, 5, 6 }, some[2] = { 6, 1 };
  file_with("s.scn", "", scn, sizeof(scn));
  for (int pass = 0; pass < 2; pass++) {
    ck_assert_int_eq(bn_shrink_write_scenario(&f, pass ? some : all, pass ? 2 : 7, "DIR", scn), 0);
    bn_scn_scenario s;
    char err[BN_SCN_ERRLEN];
    int rc = bn_scn_load(scn, &s, err);
    ck_assert_msg(rc == 0, "%s", err);
    /* all: 5 aims, link down and up, the pool fault, end; some: an aim, the pool fault, end */
    ck_assert_uint_eq(s.n_steps, pass ? 3 : 9);
    ck_assert_int_eq(s.steps[s.n_steps - 1].kind, BN_SCN_STEP_END);
    ck_assert_uint_eq(s.steps[s.n_steps - 1].at_ns, 9000000000u);
    bn_scn_free(&s);
  }
  file_with("bad.log", "0.1 egress 1 * drop loss\n", log, sizeof(log));
  bn_shrink_faults_free(&f);
  ck_assert_int_eq(bn_shrink_faults_read(log, &f, &line), -EINVAL);
  bn_shrink_faults_free(&f);
}
END_TEST

Suite *bn_test_suite(void)
{
  Suite *s = suite_create("sweep");
  TCase *tc = tcase_create("core");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_add_test(tc, cells_are_named_and_ordered_capture_scenario_board_seed);
  tcase_add_test(tc, bad_seeds_boards_and_files_are_refused);
  tcase_add_test(tc, shards_partition_the_cells_and_a_new_seed_moves_none);
  tcase_add_test(tc, option_sets_split_as_a_shell_splits_words);
  tcase_add_test(tc, cells_tsv_reads_back_what_was_written);
  tcase_add_test(tc, junit_counts_and_escapes);
  tcase_add_test(tc, a_decision_log_becomes_a_scenario_the_parser_takes);
  suite_add_tcase(s, tc);
  return s;
}
