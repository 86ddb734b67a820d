/*
 * boardnet sweep: runs a matrix of virtual-time runs (captures x scenarios
 * x seeds x board profiles x option sets) on every core, or one shard of it
 * on each of N machines that a scheduler the user already has starts
 * (sweep_shard.h), and reports them as one table, summary.json and JUnit
 * XML; `boardnet sweep merge` joins the shards' directories into what one
 * run would have written (sweep_merge.c).
 */
#define _GNU_SOURCE
#include "cli.h"
#include "bn_board.h"
#include "sweep_matrix.h"
#include "sweep_results.h"
#include "sweep_run.h"
#include "sweep_shard.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char sweep_usage[] =
  "Usage: boardnet sweep --pcap CAPTURE... (--app NAME... | --program PATH)\n"
  "                      [--scenario FILE...] [--seeds LIST] [--board LIST]\n"
  "                      [--options 'OPTIONS'...] --out DIR [-j N]\n"
  "                      [--shard K/N | --shard auto [--shards N]] [--junit FILE]\n"
  "                      [--max-failures N] [--time-budget TIME] [-- PROGRAM-ARGS]\n"
  "       boardnet sweep merge DIR... --out DIR [--junit FILE]\n"
  "\n"
  "Runs every cell of a matrix, each one virtual-time run (--clock virtual)\n"
  "of a capture replayed into a board, and reports them together: a table\n"
  "per scenario x board profile, OUT/summary.json, and JUnit XML. A cell\n"
  "that fails keeps its run in OUT/fail/<id>/ (--artifact), which\n"
  "`boardnet rerun` runs again byte for byte and `boardnet shrink` reduces.\n"
  "\n"
  "The matrix (every combination is a cell; each option repeatable):\n"
  "  --pcap FILE|GLOB     captures to replay (glob(7) patterns, quoted)\n"
  "  --scenario FILE|GLOB scenario files ('scenarios/wifi-*.scn'); 'none':\n"
  "                       also the cells without one (default: none)\n"
  "  --seeds LIST         seeds: 1-1000, 7, 1-10,20,30-32 (default 1)\n"
  "  --board LIST         board profiles, comma-separated (default: this\n"
  "                       binary's profile)\n"
  "  --options 'OPTIONS'  an option set given to every cell of its column\n"
  "                       ('--pace top', '--loop 2 --step-timeout 5'), split\n"
  "                       as a shell splits words\n"
  "What runs on the board:\n"
  "  --app NAME           bundled apps, as boardnet replay --app (mirror,\n"
  "                       echo, http ...): each cell is boardnet-<board> replay\n"
  "  --program PATH       a board program (linked with libboardnet): each cell\n"
  "                       is PATH --pcap CAPTURE ...; {board} in PATH is the\n"
  "                       cell's profile (build/my_board-{board}); the\n"
  "                       arguments after -- are the program's\n"
  "Running:\n"
  "  --out DIR            where results go (created; must be empty)\n"
  "  -j, --jobs N         cells at once (default: the CPUs online)\n"
  "  --shard K/N          run only shard K of N: a fixed share of the cells by\n"
  "                       a hash of each cell's id (adding a seed moves no\n"
  "                       other cell); merge the N directories afterwards\n"
  "  --shard auto         K and N from the scheduler running this copy:\n"
  "                       GitLab (CI_NODE_INDEX, CI_NODE_TOTAL), Kubernetes\n"
  "                       Indexed Job (JOB_COMPLETION_INDEX + --shards N),\n"
  "                       Slurm array (SLURM_ARRAY_TASK_ID, _COUNT, _MIN),\n"
  "                       GNU parallel (PARALLEL_SEQ + --shards N)\n"
  "  --junit FILE         also write JUnit XML (one testcase per cell)\n"
  "  --max-failures N     start no more cells once N have failed\n"
  "  --time-budget TIME   start no more cells after TIME (90s, 10m, 2h) and\n"
  "                       end those running; they are reported 'not run'\n"
  "  --cell-timeout SEC   a cell running longer than this wall time is ended\n"
  "                       and reported stalled (default 600)\n"
  "  --no-pin             let the kernel place cells on CPUs (by default cell\n"
  "                       slot K runs on the K-th CPU allowed: on the virtual\n"
  "                       clock a board's threads run one at a time, and one\n"
  "                       core keeps their hand-offs cheap)\n"
  "  -q, --quiet          no progress line\n"
  "\n"
  "A cell's id names it: [CAPTURE-]BOARD-SCENARIO[-oK]-seed-N\n"
  "(esp32-wifi-weak-seed-417). Its outcome: same (exit 0: every frame\n"
  "compared, the board did what the captured board did), diverged (3),\n"
  "incomplete (4: not everything was compared), failed (another exit\n"
  "status or a signal: an error, a crash, the program's own failure),\n"
  "stalled (the virtual clock's deadlock or stall report, --cell-timeout),\n"
  "not run (--max-failures, --time-budget, an interrupt).\n"
  "\n"
  "OUT holds summary.json, table.txt, cells.tsv, matrix.json, shard and\n"
  "fail/<id>/ (each with the cell's stdout and stderr). summary.json and the\n"
  "JUnit XML depend on the matrix and the outcomes only: -j 1, -j 8 and N\n"
  "merged shards give the same bytes.\n"
  "\n"
  "Exit status: 0 every cell same; 3 any cell diverged, failed or stalled;\n"
  "4 none did, but some were incomplete or not run; 1 an error of the\n"
  "sweep's own; 2 bad usage (also when a cell's command is refused as bad\n"
  "usage); 128+N when interrupted by signal N (what ran is reported).\n";

/* "90", "90s", "10m", "2h" as seconds; false if not. */
static bool parse_duration(const char *s, double *out)
{
  char *end;
  errno = 0;
  double v = strtod(s, &end);
  if (errno != 0 || end == s || !(v > 0)) {
    return false;
  }
  double unit = strcmp(end, "") == 0 || strcmp(end, "s") == 0 ? 1
                : strcmp(end, "m") == 0 || strcmp(end, "min") == 0 ? 60
                : strcmp(end, "h") == 0 ? 3600 : 0;
  *out = v * unit;
  return unit > 0;
}

/* The option's value: "--opt=value" or the next argument. */
static const char *value_of(int argc, char **argv, int *i, const char *opt)
{
  size_t n = strlen(opt);
  if (argv[*i][n] == '=') {
    return argv[*i] + n + 1;
  }
  bool options = strcmp(opt, "--options") == 0; /* its value is options: '--pace top' */
  if (*i + 1 >= argc || (!options && argv[*i + 1][0] == '-' && argv[*i + 1][1] != '\0')) {
    return NULL;
  }
  return argv[++*i];
}

static bool is_opt(const char *arg, const char *opt)
{
  size_t n = strlen(opt);
  return strncmp(arg, opt, n) == 0 && (arg[n] == '\0' || arg[n] == '=');
}

struct sweep_args {
  bn_sweep_matrix m;
  bn_sweep_run_options run;
  const char *junit, *shard;
  unsigned shards;
  bool quiet;
};

static int parse_args(int argc, char **argv, struct sweep_args *a)
{
  static const char *const with_value[] = { "--pcap", "--scenario", "--seeds", "--board", "--options", "--app",
                                            "--program", "--out", "--jobs", "-j", "--shard", "--shards", "--junit",
                                            "--max-failures", "--time-budget", "--cell-timeout" };
  for (int i = 1; i < argc; i++) {
    const char *arg = argv[i];
    if (strcmp(arg, "--") == 0) {
      for (i++; i < argc; i++) {
        if (bn_sweep_list_add(&a->m.program_args, &a->m.nprogram_args, argv[i]) < 0) {
          return bn_fail(BN_EXIT_FAIL, "sweep: out of memory");
        }
      }
      break;
    }
    if (strcmp(arg, "-q") == 0 || strcmp(arg, "--quiet") == 0) {
      a->quiet = true;
      continue;
    }
    if (strcmp(arg, "--no-pin") == 0) {
      a->run.pin = false;
      continue;
    }
    const char *opt = NULL;
    for (size_t k = 0; k < sizeof(with_value) / sizeof(with_value[0]) && opt == NULL; k++) {
      opt = is_opt(arg, with_value[k]) ? with_value[k] : NULL;
    }
    if (opt == NULL && strncmp(arg, "-j", 2) == 0 && arg[2] >= '0' && arg[2] <= '9') {
      opt = "-j";
    }
    if (opt == NULL) {
      return bn_fail(BN_EXIT_USAGE, "sweep: %s '%s' (boardnet sweep --help)",
                     arg[0] == '-' ? "unknown option" : "unexpected argument", arg);
    }
    const char *v = strcmp(opt, "-j") == 0 && arg[2] >= '0' && arg[2] <= '9' ? arg + 2 /* -j2 */
                                                                            : value_of(argc, argv, &i, opt);
    if (v == NULL) {
      return bn_fail(BN_EXIT_USAGE, "sweep: %s needs a value (write %s=VALUE if it starts with '-')", opt, opt);
    }
    int rc = 0;
    uint64_t num;
    if (strcmp(opt, "--pcap") == 0 || strcmp(opt, "--scenario") == 0) {
      rc = bn_sweep_matrix_add_files(&a->m, v, opt[2] == 's');
    } else if (strcmp(opt, "--seeds") == 0) {
      rc = bn_sweep_matrix_add_seeds(&a->m, v);
    } else if (strcmp(opt, "--board") == 0) {
      rc = bn_sweep_matrix_add_boards(&a->m, v);
    } else if (strcmp(opt, "--options") == 0) {
      char **words;
      size_t n;
      if (bn_sweep_split_words(v, &words, &n) != 0) {
        return bn_fail(BN_EXIT_USAGE, "sweep: --options '%s': a quote is not closed", v);
      }
      for (size_t k = 0; k < n; k++) {
        free(words[k]);
      }
      free(words);
      rc = bn_sweep_list_add(&a->m.optsets, &a->m.noptsets, v) < 0 ? bn_fail(BN_EXIT_FAIL, "out of memory") : 0;
    } else if (strcmp(opt, "--app") == 0) {
      rc = bn_sweep_list_add(&a->m.apps, &a->m.napps, v) < 0 ? bn_fail(BN_EXIT_FAIL, "out of memory") : 0;
    } else if (strcmp(opt, "--program") == 0) {
      if (a->m.program != NULL) {
        return bn_fail(BN_EXIT_USAGE, "sweep: one --program (its {board} makes one per profile)");
      }
      a->m.program = strdup(v);
    } else if (strcmp(opt, "--out") == 0) {
      a->run.out = v;
    } else if (strcmp(opt, "--jobs") == 0 || strcmp(opt, "-j") == 0) {
      rc = bn_parse_number_option(opt, v, 1, 1024, &num);
      a->run.jobs = (unsigned)num;
    } else if (strcmp(opt, "--shard") == 0) {
      a->shard = v;
    } else if (strcmp(opt, "--shards") == 0) {
      rc = bn_parse_number_option(opt, v, 1, 1000000, &num);
      a->shards = (unsigned)num;
    } else if (strcmp(opt, "--junit") == 0) {
      a->junit = v;
    } else if (strcmp(opt, "--max-failures") == 0) {
      rc = bn_parse_number_option(opt, v, 1, UINT64_MAX, &a->run.max_failures);
    } else if (strcmp(opt, "--time-budget") == 0) {
      rc = parse_duration(v, &a->run.time_budget_s)
             ? 0 : bn_fail(BN_EXIT_USAGE, "sweep: --time-budget '%s': a time such as 90s, 10m or 2h", v);
    } else {
      rc = parse_duration(v, &a->run.cell_timeout_s)
             ? 0 : bn_fail(BN_EXIT_USAGE, "sweep: --cell-timeout '%s': a time such as 600, 90s or 10m", v);
    }
    if (rc != 0) {
      return rc;
    }
  }
  if (a->run.out == NULL) {
    return bn_fail(BN_EXIT_USAGE, "sweep: where do the results go? (--out DIR)");
  }
  if (a->shards != 0 && a->shard == NULL) {
    return bn_fail(BN_EXIT_USAGE, "sweep: --shards N goes with --shard auto");
  }
  return bn_sweep_matrix_finish(&a->m, bn_board_name());
}

/* The directory this binary is in (for boardnet-<board>). */
static int self_dir(char *out, size_t size)
{
  ssize_t n = readlink("/proc/self/exe", out, size - 1);
  if (n < 0) {
    return bn_fail(BN_EXIT_FAIL, "sweep: cannot find my own binary: %s", strerror(errno));
  }
  out[n] = '\0';
  char *slash = strrchr(out, '/');
  if (slash != NULL) {
    *slash = '\0';
  }
  return 0;
}

int bn_cmd_sweep(int argc, char **argv)
{
  if (argc >= 2 && strcmp(argv[1], "merge") == 0) {
    return bn_cmd_sweep_merge(argc - 1, argv + 1);
  }
  if (argc == 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
    fputs(sweep_usage, stdout);
    return BN_EXIT_OK;
  }
  struct sweep_args a = { .run = { .cell_timeout_s = 600, .pin = true } };
  char self[PATH_MAX], said[256] = "";
  int rc = parse_args(argc, argv, &a);
  if (rc == 0) {
    a.run.shard_k = a.run.shard_n = 1;
    if (a.shard != NULL) {
      rc = bn_sweep_shard_parse(a.shard, a.shards, &a.run.shard_k, &a.run.shard_n, said, sizeof(said));
    }
  }
  if (rc == 0) {
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    a.run.jobs = a.run.jobs ? a.run.jobs : cpus > 0 ? (unsigned)cpus : 1;
    a.run.progress_tty = !a.quiet && isatty(STDERR_FILENO);
    rc = self_dir(self, sizeof(self));
    a.run.self_dir = self;
  }
  if (rc == 0) {
    rc = bn_sweep_check_programs(&a.m, self);
  }
  if (rc == 0) {
    rc = bn_sweep_out_dir(a.run.out);
  }
  char *matrix = NULL;
  size_t matrix_len = 0;
  if (rc == 0) {
    FILE *mj = open_memstream(&matrix, &matrix_len);
    rc = mj == NULL ? bn_fail(BN_EXIT_FAIL, "sweep: out of memory") : bn_sweep_matrix_json(&a.m, mj);
    if (mj != NULL) {
      fclose(mj);
    }
  }
  char shard[64];
  snprintf(shard, sizeof(shard), "%u/%u\n", a.run.shard_k, a.run.shard_n);
  if (rc == 0) {
    rc = bn_sweep_write_text(a.run.out, "matrix.json", matrix);
  }
  if (rc == 0) {
    rc = bn_sweep_write_text(a.run.out, "shard", shard);
  }
  bn_sweep_results rs = { 0 };
  int run_rc = BN_EXIT_OK;
  if (rc == 0) {
    if (said[0] != '\0') {
      fprintf(stderr, "boardnet: sweep: shard %u/%u, from %s\n", a.run.shard_k, a.run.shard_n, said);
    }
    fprintf(stderr, "boardnet: sweep: %" PRIu64 " cells in the matrix%s, %u at once, into %s\n", a.m.ncells,
            a.run.shard_n > 1 ? " (this shard runs its share)" : "", a.run.jobs, a.run.out);
    run_rc = bn_sweep_run(&a.m, &a.run, &rs);
    if (run_rc == BN_EXIT_FAIL || run_rc == BN_EXIT_USAGE) {
      rc = run_rc;
    }
  }
  if (rc == 0) {
    bn_sweep_results_sort(&rs);
    char path[PATH_MAX];
    snprintf(path, sizeof(path), "%.3000s/cells.tsv", a.run.out);
    if (bn_sweep_results_write(&rs, path) != 0) {
      rc = bn_fail(BN_EXIT_FAIL, "sweep: %s: %s", path, strerror(errno));
    }
  }
  if (rc == 0) {
    rc = bn_sweep_report(&rs, matrix, a.run.out, a.junit, stdout);
  }
  if (rc == 0) {
    rc = run_rc != BN_EXIT_OK ? run_rc : bn_sweep_exit_status(&rs);
    printf("sweep: %zu cells%s: exit %d; summary in %s/summary.json%s%s\n", rs.n,
           a.run.shard_n > 1 ? " of this shard" : "", rc, a.run.out, a.junit ? ", JUnit in " : "",
           a.junit ? a.junit : "");
  }
  free(matrix);
  bn_sweep_results_free(&rs);
  bn_sweep_matrix_free(&a.m);
  return rc;
}
