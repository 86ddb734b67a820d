/*
 * boardnet shrink DIR: the fewest of a failed run's faults that still make
 * it fail the same way. DIR is a run kept by --artifact (on the virtual
 * clock: every run of it is the same run); its decision log lists every
 * fault injected (shrink_faults.h). The run is run again (artifact_run.h)
 * with subsets of them written as a scenario of per-packet aims and steps,
 * by delta debugging (Zeller and Hildebrandt, "Simplifying and Isolating
 * Failure-Inducing Input", IEEE TSE 28(2), 2002: ddmin), until no fault
 * can be taken out; that set is written as a scenario which reproduces the
 * failure on its own. The same failure: the same exit status, the same
 * verdict and the same first divergence (the capture frame) of the report.
 */
#define _GNU_SOURCE
#include "cli.h"
#include "artifact_run.h"
#include "bn_hash.h"
#include "run_artifact.h"
#include "shrink_faults.h"

#include <errno.h>
#include <pcap/pcap.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char shrink_usage[] =
  "Usage: boardnet shrink DIR [--max-runs N] [--out FILE] [-q]\n"
  "\n"
  "Finds the fewest of the faults a failed run injected that still make it\n"
  "fail the same way. DIR is a run kept by --artifact DIR (boardnet sweep\n"
  "keeps each failing cell's in OUT/fail/<id>/) on the virtual clock. Every\n"
  "fault in its decision log (a drop, a duplicate, a corruption with its\n"
  "byte and bit, a delay, a link flap, a pool fault) is written as a line\n"
  "of a scenario that injects exactly it: a per-packet aim on the frame's\n"
  "number in its direction ('at 0s ingress nth 9 drop') or a step at its\n"
  "time ('at 2750000us link down'). The run is run again with subsets of\n"
  "them (delta debugging) until no fault can be taken out: the same failure\n"
  "is the same exit status, verdict and first divergence (capture frame).\n"
  "\n"
  "First it checks that the failure reproduces as kept, then from its\n"
  "faults written as aims, then whether it needs any fault at all, and says\n"
  "so when not. The set found is written to DIR/shrunk.scn (or --out FILE)\n"
  "and printed; it reproduces the failure alone:\n"
  "    PROGRAM ... --scenario DIR/shrunk.scn --clock virtual --seed SEED\n"
  "\n"
  "Options:\n"
  "  --max-runs N   at most N runs (default 300); when they run out, the\n"
  "                 smallest failing set so far is written, said not minimal\n"
  "  --out FILE     write the scenario there\n"
  "  -q, --quiet    no line per run\n"
  "\n"
  "Exit status: 0 a set found that reproduces the failure (minimal: no\n"
  "fault of it can go, unless --max-runs ran out: said); 3 the failure does\n"
  "not reproduce (as kept, or from its faults as aims); 4 it fails without\n"
  "any of the faults (a bug that needs none); 1 an error; 2 bad usage.\n";

/* What a run came to: its failure, as compared. */
struct outcome {
  int status;                  /* exit status */
  char verdict[32];            /* the report's, or "" */
  long long first;             /* the report's first_divergence_frame, -1: none */
};

struct shrink {
  bn_artifact_run *ar;
  bn_shrink_faults faults;
  struct outcome want;
  char work[BN_AR_PATH_LEN], candidate[BN_AR_PATH_LEN + 16];
  unsigned runs, max_runs;
  bool quiet;
  /* the sets tried, for not running one twice: their sizes and a hash */
  struct tried { size_t n; uint64_t hash; bool fails; } *tried;
  size_t ntried;
};

/* The outcome of the run whose outputs are in dir. */
static void read_outcome(const char *dir, int status, struct outcome *o)
{
  *o = (struct outcome){ .status = status, .first = -1 };
  char path[BN_AR_PATH_LEN + 32];
  size_t len;
  snprintf(path, sizeof(path), "%.2000s/%s", dir, BN_ARTIFACT_REPORT);
  char *report = bn_ar_slurp(path, &len);
  if (report == NULL) {
    return;
  }
  const char *v = strstr(report, "\"verdict\": \"");
  if (v != NULL) {
    v += 12;
    snprintf(o->verdict, sizeof(o->verdict), "%.*s", (int)strcspn(v, "\""), v);
  }
  const char *f = strstr(report, "\"first_divergence_frame\": ");
  if (f != NULL) {
    o->first = strtoll(f + 26, NULL, 10);
  }
  free(report);
}

static bool same_failure(const struct outcome *a, const struct outcome *b)
{
  return a->status == b->status && strcmp(a->verdict, b->verdict) == 0 && a->first == b->first;
}

static void describe(const struct outcome *o, char *buf, size_t size)
{
  int n = snprintf(buf, size, "exit status %d", o->status);
  if (o->verdict[0] != '\0' && n > 0 && (size_t)n < size) {
    n += snprintf(buf + n, size - (size_t)n, ", verdict %s", o->verdict);
  }
  if (o->first >= 0 && n > 0 && (size_t)n < size) {
    snprintf(buf + n, size - (size_t)n, ", first divergence at capture frame %lld", o->first);
  }
}

/* Runs the artifact with scenario (NULL: its own) and reads what it came to. */
static int run_once(struct shrink *s, const char *scenario, struct outcome *o)
{
  if (bn_artifact_run_argv(s->ar, "shrink", s->work, scenario) != 0) {
    return BN_EXIT_FAIL;
  }
  s->runs++;
  int status = bn_artifact_run_exec(s->ar, s->work);
  if (status < 0 || status == 126 || status == 127) {
    return bn_fail(BN_EXIT_FAIL, "shrink: cannot run %s (%s/stderr says why)", s->ar->exe, s->work);
  }
  read_outcome(s->work, status, o);
  return 0;
}

/* Whether the faults set[0..n) still fail the same way: 1 yes, 0 no, <0 an error or out of runs (-ERANGE). */
static int fails(struct shrink *s, const size_t *set, size_t n)
{
  uint64_t h = bn_hash_fnv1a64((const uint8_t *)set, n * sizeof(*set));
  for (size_t i = 0; i < s->ntried; i++) {
    if (s->tried[i].n == n && s->tried[i].hash == h) {
      return s->tried[i].fails;
    }
  }
  if (s->runs >= s->max_runs) {
    return -ERANGE;
  }
  if (bn_shrink_write_scenario(&s->faults, set, n, s->ar->dir, s->candidate) != 0) {
    bn_fail(BN_EXIT_FAIL, "shrink: %s: %s", s->candidate, strerror(errno));
    return -EIO;
  }
  struct outcome o;
  if (run_once(s, s->candidate, &o) != 0) {
    return -EIO;
  }
  bool same = same_failure(&o, &s->want);
  struct tried *grown = realloc(s->tried, (s->ntried + 1) * sizeof(*grown));
  if (grown != NULL) {
    s->tried = grown;
    s->tried[s->ntried++] = (struct tried){ n, h, same };
  }
  if (!s->quiet) {
    char what[200];
    describe(&o, what, sizeof(what));
    fprintf(stderr, "shrink: run %u: %zu of %zu faults: %s (%s)\n", s->runs, n, s->faults.n,
            same ? "the same failure" : "not the same", what);
  }
  return same;
}

/*
 * ddmin: c[0..*n) fails; leaves in it a set that fails and from which no
 * single fault can go (1-minimal), unless the runs run out (*complete
 * false). @return 0 or -EIO.
 */
static int ddmin(struct shrink *s, size_t *c, size_t *n, bool *complete)
{
  size_t parts = 2;
  size_t *trial = malloc((*n ? *n : 1) * sizeof(*trial));
  if (trial == NULL) {
    return -EIO;
  }
  *complete = false;
  int rc = 0;
  while (*n >= 2) {
    bool reduced = false;
    size_t chunk = (*n + parts - 1) / parts;
    /* a part alone, then everything but a part */
    for (int complement = 0; complement < 2 && !reduced; complement++) {
      for (size_t start = 0; start < *n && !reduced; start += chunk) {
        size_t end = start + chunk < *n ? start + chunk : *n, k = 0;
        for (size_t i = 0; i < *n; i++) {
          if ((i >= start && i < end) != (complement == 1)) {
            trial[k++] = c[i];
          }
        }
        if (k == 0 || k == *n) {
          continue;
        }
        int f = fails(s, trial, k);
        if (f < 0) {
          rc = f == -ERANGE ? 0 : f;
          goto out;
        }
        if (f == 1) {
          memcpy(c, trial, k * sizeof(*c));
          *n = k;
          parts = complement ? (parts > 2 ? parts - 1 : 2) : 2;
          reduced = true;
        }
      }
    }
    if (!reduced) {
      if (parts >= *n) {
        break; /* every single fault was tried out: 1-minimal */
      }
      parts = 2 * parts < *n ? 2 * parts : *n;
    }
  }
  *complete = true; /* (one fault left is needed too: the empty set was tried first, and passed) */
out:
  free(trial);
  return rc;
}

static int parse_args(int argc, char **argv, struct shrink *s, const char **dir, const char **out)
{
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (strcmp(a, "-q") == 0 || strcmp(a, "--quiet") == 0) {
      s->quiet = true;
    } else if (strcmp(a, "--max-runs") == 0 || strncmp(a, "--max-runs=", 11) == 0) {
      const char *v = a[10] == '=' ? a + 11 : i + 1 < argc ? argv[++i] : NULL;
      uint64_t n;
      if (v == NULL) {
        return bn_fail(BN_EXIT_USAGE, "shrink: --max-runs needs a number");
      }
      if (bn_parse_number_option("--max-runs", v, 3, 1000000, &n) != 0) {
        return BN_EXIT_USAGE;
      }
      s->max_runs = (unsigned)n;
    } else if (strcmp(a, "--out") == 0 || strncmp(a, "--out=", 6) == 0) {
      *out = a[5] == '=' ? a + 6 : i + 1 < argc ? argv[++i] : NULL;
      if (*out == NULL) {
        return bn_fail(BN_EXIT_USAGE, "shrink: --out needs a file");
      }
    } else if (a[0] == '-') {
      return bn_fail(BN_EXIT_USAGE, "shrink: unknown option '%s' (boardnet shrink --help)", a);
    } else if (*dir != NULL) {
      return bn_fail(BN_EXIT_USAGE, "shrink: one directory (boardnet shrink --help)");
    } else {
      *dir = a;
    }
  }
  return *dir != NULL ? 0 : bn_fail(BN_EXIT_USAGE, "shrink: which directory? (boardnet shrink --help)");
}

/* Writes the set, prints it and how to run it. */
static int finish(struct shrink *s, const size_t *set, size_t n, const char *out, bool minimal)
{
  char path[BN_AR_PATH_LEN + 16];
  if (out != NULL) {
    snprintf(path, sizeof(path), "%s", out);
  } else {
    snprintf(path, sizeof(path), "%.2000s/shrunk.scn", s->ar->dir);
  }
  if (bn_shrink_write_scenario(&s->faults, set, n, s->ar->dir, path) != 0) {
    return bn_fail(BN_EXIT_FAIL, "shrink: %s: %s", path, strerror(errno));
  }
  size_t len;
  char *text = bn_ar_slurp(path, &len);
  printf("shrink: %zu of %zu faults %s (%u runs)%s:\n%s", n, s->faults.n,
         minimal ? "still fail it, and none of them can go" : "still fail it", s->runs,
         minimal ? "" : "; --max-runs ran out before it was minimal", text ? text : "");
  free(text);
  printf("shrink: written to %s; it reproduces the failure alone: the run's command with --scenario %s\n", path,
         path);
  return BN_EXIT_OK;
}

int bn_cmd_shrink(int argc, char **argv)
{
  if (argc == 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
    fputs(shrink_usage, stdout);
    return BN_EXIT_OK;
  }
  struct shrink s = { .max_runs = 300 };
  const char *dir = NULL, *out = NULL;
  int rc = parse_args(argc, argv, &s, &dir, &out);
  if (rc != 0) {
    return rc;
  }
  char out_abs[PATH_MAX];
  if (out != NULL && out[0] != '/' && getcwd(out_abs, sizeof(out_abs) - strlen(out) - 2) != NULL) {
    size_t l = strlen(out_abs);
    snprintf(out_abs + l, sizeof(out_abs) - l, "/%s", out); /* before the run's directory is entered */
    out = out_abs;
  }
  s.ar = calloc(1, sizeof(*s.ar));
  if (s.ar == NULL) {
    return bn_fail(BN_EXIT_FAIL, "shrink: out of memory");
  }
  size_t *set = NULL;
  rc = bn_artifact_run_load(dir, "shrink", s.ar);
  char log[BN_AR_PATH_LEN + 32];
  if (rc == 0) {
    snprintf(log, sizeof(log), "%s/out/%s", s.ar->dir, BN_ARTIFACT_DECISIONS);
    unsigned line;
    int r = bn_shrink_faults_read(log, &s.faults, &line);
    if (r == -ENOENT) {
      rc = bn_fail(BN_EXIT_FAIL, "shrink: %s has no decision log (%s): the run had no scenario, it injected no "
                                 "fault", s.ar->dir, log);
    } else if (r != 0) {
      rc = r == -EINVAL ? bn_fail(BN_EXIT_FAIL, "shrink: %s:%u: not a line of a decision log", log, line)
                        : bn_fail(BN_EXIT_FAIL, "shrink: %s: %s", log, strerror(-r));
    }
  }
  int by_flow = 0;
  if (rc == 0) {
    char record[BN_AR_PATH_LEN + 32], err[PCAP_ERRBUF_SIZE];
    snprintf(record, sizeof(record), "%s/out/%s", s.ar->dir, BN_ARTIFACT_RECORD);
    by_flow = access(record, R_OK) == 0 ? bn_shrink_aim_by_flow(&s.faults, record, err, sizeof(err)) : 0;
    if (by_flow < 0) {
      rc = bn_fail(BN_EXIT_FAIL, "shrink: %s: %s", record, by_flow == -EIO ? err : strerror(-by_flow));
    }
  }
  if (rc == 0) {
    snprintf(s.work, sizeof(s.work), "%s/shrink", s.ar->dir);
    snprintf(s.candidate, sizeof(s.candidate), "%s/candidate.scn", s.work);
    if (mkdir(s.work, 0755) != 0 && errno != EEXIST) {
      rc = bn_fail(BN_EXIT_FAIL, "shrink: %s: %s", s.work, strerror(errno));
    }
  }
  set = rc == 0 ? malloc((s.faults.n ? s.faults.n : 1) * sizeof(*set)) : NULL;
  if (rc == 0 && set == NULL) {
    rc = bn_fail(BN_EXIT_FAIL, "shrink: out of memory");
  }
  char what[200];
  if (rc == 0) {
    printf("shrink: %s: %zu faults in its decision log, %d of them on frames it received, aimed by flow (%u "
           "frames dropped while the link was down and %u reordered are the flaps' and delays' doing, not faults "
           "of their own)\n", s.ar->dir, s.faults.n, by_flow, s.faults.skipped_link, s.faults.skipped_reorder);
    /* 1. The failure, as kept. */
    rc = run_once(&s, NULL, &s.want);
    describe(&s.want, what, sizeof(what));
    if (rc == 0 && s.want.status == 0) {
      printf("shrink: the run passes when run again (%s): nothing to shrink\n", what);
      rc = 3;
    } else if (rc == 0) {
      char kept[32];
      if (bn_ar_read_line(s.ar->dir, "status", kept, sizeof(kept)) && atoi(kept) != s.want.status) {
        printf("shrink: the run exits %d when run again, %s as kept: it does not reproduce (boardnet rerun "
               "says where)\n", s.want.status, kept);
        rc = 3;
      } else {
        printf("shrink: the failure: %s\n", what);
      }
    }
  }
  int f = 0;
  if (rc == 0) {
    /* 2. Without any fault: a bug that needs none? */
    f = fails(&s, set, 0);
    if (f == 1) {
      printf("shrink: the run fails the same way without any of its faults (%s): the bug needs none of them\n",
             what);
      finish(&s, set, 0, out, true);
      rc = 4;
    } else if (f < 0) {
      rc = BN_EXIT_FAIL;
    }
  }
  if (rc == 0) {
    /* 3. With every fault, written as aims and steps. */
    size_t n = s.faults.n;
    for (size_t i = 0; i < n; i++) {
      set[i] = i;
    }
    f = fails(&s, set, n);
    if (f == 0) {
      printf("shrink: the run does not fail the same way with its %zu faults written as aims and steps "
             "(%s/candidate.scn): it depends on more than the faults (the queueing of rate or slot, a delay's "
             "exact value); nothing shrunk\n", n, s.work);
      rc = 3;
    } else if (f < 0) {
      rc = BN_EXIT_FAIL;
    } else {
      bool complete;
      rc = ddmin(&s, set, &n, &complete) != 0 ? BN_EXIT_FAIL : 0;
      if (rc == 0) {
        rc = finish(&s, set, n, out, complete);
      }
    }
  }
  free(set);
  free(s.tried);
  bn_shrink_faults_free(&s.faults);
  bn_artifact_run_free(s.ar);
  free(s.ar);
  return rc;
}
