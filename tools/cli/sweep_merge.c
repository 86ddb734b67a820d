/*
 * boardnet sweep merge DIR... --out DIR: joins the directories of a sweep's
 * N shards into what one unsharded run would have written (the same
 * summary.json, table and JUnit XML, byte for byte; the failing cells'
 * artifacts copied into OUT/fail/). Refuses, naming them, shards of
 * different matrices, a shard missing or given twice, and a cell twice.
 */
#define _GNU_SOURCE
#include "cli.h"
#include "artifact_run.h"
#include "sweep_results.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static const char merge_usage[] =
  "Usage: boardnet sweep merge DIR... --out DIR [--junit FILE]\n"
  "\n"
  "Joins the --out directories of the shards of one sweep (--shard K/N, each\n"
  "K once) into OUT: summary.json, table.txt, cells.tsv and --junit FILE as\n"
  "one run of the whole matrix writes them, and the failing cells' artifacts\n"
  "copied into OUT/fail/. The shards must be of the same matrix (the same\n"
  "captures and scenarios by sha256, boards, option sets, seeds, program).\n"
  "\n"
  "Exit status: as boardnet sweep's for the whole matrix (0, 3, 4); 1 an\n"
  "error (a directory that is no sweep's); 2 bad usage, shards of different\n"
  "matrices, a shard missing or given twice.\n";

#define PARTS_MAX 4096

struct part {
  const char *dir;
  unsigned k, n;
  char *matrix;
};

/* The first line where a and b differ, for the message. */
static void first_difference(const char *a, const char *b, char *out, size_t size)
{
  size_t line = 1, i = 0, start = 0;
  for (; a[i] != '\0' && a[i] == b[i]; i++) {
    if (a[i] == '\n') {
      line++;
      start = i + 1;
    }
  }
  snprintf(out, size, "line %zu: %.*s", line, (int)strcspn(a + start, "\n"), a + start);
}

static int read_part(struct part *p)
{
  char path[PATH_MAX];
  snprintf(path, sizeof(path), "%.3000s/matrix.json", p->dir);
  size_t len;
  p->matrix = bn_ar_slurp(path, &len);
  snprintf(path, sizeof(path), "%.3000s/shard", p->dir);
  char *shard = bn_ar_slurp(path, &len);
  char end;
  bool ok = p->matrix != NULL && shard != NULL && sscanf(shard, "%u/%u%c", &p->k, &p->n, &end) == 3 &&
            end == '\n' && p->k >= 1 && p->k <= p->n;
  free(shard);
  return ok ? 0 : bn_fail(BN_EXIT_FAIL, "sweep merge: %s is no sweep's --out directory (no matrix.json and shard)",
                          p->dir);
}

/* Checks that the parts are the shards 1..N of one matrix, each once. */
static int check_parts(struct part *parts, size_t np)
{
  for (size_t i = 1; i < np; i++) {
    if (strcmp(parts[i].matrix, parts[0].matrix) != 0) {
      char diff[300];
      first_difference(parts[i].matrix, parts[0].matrix, diff, sizeof(diff));
      return bn_fail(BN_EXIT_USAGE, "sweep merge: %s and %s are sweeps of different matrices (matrix.json, %s)",
                     parts[0].dir, parts[i].dir, diff);
    }
    if (parts[i].n != parts[0].n) {
      return bn_fail(BN_EXIT_USAGE, "sweep merge: %s is shard %u/%u, %s shard %u/%u: one N for all", parts[0].dir,
                     parts[0].k, parts[0].n, parts[i].dir, parts[i].k, parts[i].n);
    }
  }
  unsigned n = parts[0].n;
  int rc = 0;
  for (size_t i = 0; i < np; i++) {
    for (size_t j = i + 1; j < np; j++) {
      if (parts[i].k == parts[j].k) {
        rc = bn_fail(BN_EXIT_USAGE, "sweep merge: shard %u/%u is given twice: %s and %s", parts[i].k, n,
                     parts[i].dir, parts[j].dir);
      }
    }
  }
  char missing[512] = "";
  size_t len = 0;
  unsigned nmissing = 0;
  for (unsigned k = 1; k <= n; k++) {
    size_t i = 0;
    while (i < np && parts[i].k != k) {
      i++;
    }
    if (i == np) {
      if (nmissing < 20 && len < sizeof(missing)) {
        len += (size_t)snprintf(missing + len, sizeof(missing) - len, "%s%u/%u", nmissing ? ", " : "", k, n);
      }
      nmissing++;
    }
  }
  if (nmissing > 0) {
    rc = bn_fail(BN_EXIT_USAGE, "sweep merge: %u shard%s missing: %s%s", nmissing, nmissing == 1 ? " is" : "s are",
                 missing, nmissing > 20 ? " ..." : "");
  }
  return rc;
}

static int by_id(const void *a, const void *b)
{
  return strcmp((*(const bn_sweep_result *const *)a)->id, (*(const bn_sweep_result *const *)b)->id);
}

/* No cell twice, and as many as the matrix has. */
static int check_cells(const bn_sweep_results *rs, const char *matrix)
{
  const char *cells = strstr(matrix, "\"cells\": ");
  uint64_t want = cells != NULL ? strtoull(cells + 9, NULL, 10) : 0;
  const bn_sweep_result **v = malloc((rs->n ? rs->n : 1) * sizeof(*v));
  if (v == NULL) {
    return bn_fail(BN_EXIT_FAIL, "sweep merge: out of memory");
  }
  for (size_t i = 0; i < rs->n; i++) {
    v[i] = &rs->v[i];
  }
  qsort(v, rs->n, sizeof(*v), by_id);
  int rc = 0;
  for (size_t i = 1; i < rs->n && rc == 0; i++) {
    if (strcmp(v[i - 1]->id, v[i]->id) == 0) {
      rc = bn_fail(BN_EXIT_USAGE, "sweep merge: cell %s is in two shards", v[i]->id);
    }
  }
  free(v);
  if (rc == 0 && rs->n != want) {
    rc = bn_fail(BN_EXIT_USAGE, "sweep merge: the shards hold %zu cells, the matrix %" PRIu64
                                " (a shard's cells.tsv was changed?)", rs->n, want);
  }
  return rc;
}

/* cp -a from to. */
static int copy_tree(const char *from, const char *to)
{
  fflush(NULL);
  pid_t pid = fork();
  if (pid == 0) {
    execlp("cp", "cp", "-a", "--", from, to, (char *)NULL);
    _exit(127);
  }
  int status;
  if (pid < 0 || waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return bn_fail(BN_EXIT_FAIL, "sweep merge: cannot copy %s to %s", from, to);
  }
  return 0;
}

int bn_cmd_sweep_merge(int argc, char **argv)
{
  if (argc == 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
    fputs(merge_usage, stdout);
    return BN_EXIT_OK;
  }
  static struct part parts[PARTS_MAX];
  size_t np = 0;
  const char *out = NULL, *junit = NULL;
  for (int i = 1; i < argc; i++) {
    const char **dest = strcmp(argv[i], "--out") == 0 ? &out : strcmp(argv[i], "--junit") == 0 ? &junit : NULL;
    if (dest != NULL) {
      if (i + 1 >= argc) {
        return bn_fail(BN_EXIT_USAGE, "sweep merge: %s needs a value", argv[i]);
      }
      *dest = argv[++i];
    } else if (strncmp(argv[i], "--out=", 6) == 0) {
      out = argv[i] + 6;
    } else if (strncmp(argv[i], "--junit=", 8) == 0) {
      junit = argv[i] + 8;
    } else if (argv[i][0] == '-') {
      return bn_fail(BN_EXIT_USAGE, "sweep merge: unknown option '%s' (boardnet sweep merge --help)", argv[i]);
    } else if (np == PARTS_MAX) {
      return bn_fail(BN_EXIT_USAGE, "sweep merge: at most %d directories", PARTS_MAX);
    } else {
      parts[np++].dir = argv[i];
    }
  }
  if (np == 0 || out == NULL) {
    return bn_fail(BN_EXIT_USAGE, "sweep merge: which directories, and where to? (DIR... --out DIR)");
  }
  int rc = 0;
  for (size_t i = 0; i < np && rc == 0; i++) {
    rc = read_part(&parts[i]);
  }
  rc = rc ? rc : check_parts(parts, np);
  bn_sweep_results rs = { 0 };
  for (size_t i = 0; i < np && rc == 0; i++) {
    char path[PATH_MAX];
    unsigned line;
    snprintf(path, sizeof(path), "%.3000s/cells.tsv", parts[i].dir);
    int r = bn_sweep_results_read(&rs, path, &line);
    if (r != 0) {
      rc = r == -EINVAL ? bn_fail(BN_EXIT_FAIL, "sweep merge: %s:%u: not a line of a sweep's cells.tsv", path, line)
                        : bn_fail(BN_EXIT_FAIL, "sweep merge: %s: %s (an unfinished shard?)", path, strerror(-r));
    }
  }
  rc = rc ? rc : check_cells(&rs, parts[0].matrix);
  rc = rc ? rc : bn_sweep_out_dir(out);
  rc = rc ? rc : bn_sweep_write_text(out, "matrix.json", parts[0].matrix);
  rc = rc ? rc : bn_sweep_write_text(out, "shard", "1/1\n");
  if (rc == 0) {
    bn_sweep_results_sort(&rs);
    char path[PATH_MAX];
    snprintf(path, sizeof(path), "%.3000s/cells.tsv", out);
    if (bn_sweep_results_write(&rs, path) != 0) {
      rc = bn_fail(BN_EXIT_FAIL, "sweep merge: %s: %s", path, strerror(errno));
    }
    snprintf(path, sizeof(path), "%.3000s/fail", out);
    if (rc == 0 && mkdir(path, 0755) != 0) {
      rc = bn_fail(BN_EXIT_FAIL, "sweep merge: %s: %s", path, strerror(errno));
    }
  }
  /* The artifacts: from the shard whose cell it is. */
  for (size_t i = 0; i < np && rc == 0; i++) {
    for (size_t c = 0; c < rs.n && rc == 0; c++) {
      char from[PATH_MAX], to[PATH_MAX];
      snprintf(from, sizeof(from), "%.3000s/fail/%s", parts[i].dir, rs.v[c].id);
      snprintf(to, sizeof(to), "%.3000s/fail/%s", out, rs.v[c].id);
      if (rs.v[c].artifact && access(from, F_OK) == 0) {
        rc = copy_tree(from, to);
      }
    }
  }
  rc = rc ? rc : bn_sweep_report(&rs, parts[0].matrix, out, junit, stdout);
  if (rc == 0) {
    rc = bn_sweep_exit_status(&rs);
    printf("sweep merge: %zu shard%s, %zu cells: exit %d; summary in %s/summary.json%s%s\n", np, np == 1 ? "" : "s",
           rs.n, rc, out, junit ? ", JUnit in " : "", junit ? junit : "");
  }
  for (size_t i = 0; i < np; i++) {
    free(parts[i].matrix);
  }
  bn_sweep_results_free(&rs);
  return rc;
}
