/* Running a sweep's cells, each one process, up to --jobs at once (sweep_run.h). */
#define _GNU_SOURCE
#include "sweep_run.h"
#include "exit_status.h"
#include "run_artifact.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <ftw.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PATH_LEN 4096
#define MESSAGE_MAX 1000

/* The program a cell of board b runs: boardnet-<board>, or --program with {board} put in. */
static void program_of(const bn_sweep_matrix *m, size_t b, const char *self_dir, char *out, size_t size)
{
  if (m->program == NULL) {
    snprintf(out, size, "%s/boardnet-%s", self_dir, m->boards[b]);
    return;
  }
  size_t n = 0;
  for (const char *p = m->program; *p != '\0' && n + 1 < size;) {
    if (strncmp(p, "{board}", 7) == 0) {
      n += (size_t)snprintf(out + n, size - n, "%s", m->boards[b]);
      p += 7;
    } else {
      out[n++] = *p++;
    }
  }
  out[n < size ? n : size - 1] = '\0';
}

int bn_sweep_check_programs(const bn_sweep_matrix *m, const char *self_dir)
{
  for (size_t b = 0; b < m->nboards; b++) {
    char path[PATH_LEN];
    program_of(m, b, self_dir, path, sizeof(path));
    if (access(path, X_OK) != 0) {
      return m->program != NULL
               ? bn_fail(BN_EXIT_USAGE, "sweep: --program %s: %s", path, strerror(errno))
               : bn_fail(BN_EXIT_USAGE, "sweep: unknown board '%s' (not built: add it to -DBOARDS=... at cmake "
                                        "time; boardnet boards lists those built)", m->boards[b]);
    }
  }
  return 0;
}

static double now_s(void)
{
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* ---- one cell ------------------------------------------------------------------------------- */

struct slot {
  pid_t pid;               /* 0: free */
  bn_sweep_result r;
  double started;
  bool ended_by_us;        /* the sweep ended it: its timeout (stalled) or a stop (not run) */
  bool timed_out;
  char dir[PATH_LEN];      /* OUT/.cells/<id>: its stdout and stderr */
};

/* The argument vector of cell c (strings in words, which the caller frees). */
static int cell_argv(const bn_sweep_matrix *m, const bn_sweep_run_options *o, const bn_sweep_cell *c, char ***argv,
                     size_t *n)
{
  char buf[PATH_LEN];
  int rc = 0;
#define ADD(s) (rc = rc ? rc : bn_sweep_list_add(argv, n, (s)))
  program_of(m, c->board, o->self_dir, buf, sizeof(buf));
  ADD(buf);
  if (m->program == NULL) {
    ADD("replay");
    ADD(m->captures[c->capture].path);
    for (size_t i = 0; i < m->napps; i++) {
      ADD("--app");
      ADD(m->apps[i]);
    }
  } else {
    ADD("--pcap");
    ADD(m->captures[c->capture].path);
  }
  snprintf(buf, sizeof(buf), "%" PRIu64, c->seed);
  ADD("--clock");
  ADD("virtual");
  ADD("--seed");
  ADD(buf);
  if (m->scenarios[c->scenario].path != NULL) {
    ADD("--scenario");
    ADD(m->scenarios[c->scenario].path);
  }
  snprintf(buf, sizeof(buf), "%.3000s/fail/%s", o->out, c->id);
  ADD("--artifact");
  ADD(buf);
  char **words = NULL;
  size_t nwords = 0;
  if (rc == 0 && bn_sweep_split_words(m->optsets[c->optset], &words, &nwords) != 0) {
    rc = -ENOMEM; /* checked when given: only memory can fail here */
  }
  for (size_t i = 0; i < nwords; i++) {
    ADD(words[i]);
    free(words[i]);
  }
  free(words);
  if (m->program != NULL && m->nprogram_args > 0) {
    ADD("--");
    for (size_t i = 0; i < m->nprogram_args; i++) {
      ADD(m->program_args[i]);
    }
  }
#undef ADD
  return rc;
}

static int start_cell(const bn_sweep_matrix *m, const bn_sweep_run_options *o, const bn_sweep_cell *c,
                      struct slot *s, const sigset_t *child_mask, int cpu)
{
  if (bn_sweep_result_init(&s->r, m, c) != 0) {
    return bn_fail(BN_EXIT_FAIL, "sweep: out of memory");
  }
  snprintf(s->dir, sizeof(s->dir), "%.3000s/.cells/%s", o->out, c->id);
  if (mkdir(s->dir, 0755) != 0 && errno != EEXIST) {
    return bn_fail(BN_EXIT_FAIL, "sweep: %s: %s", s->dir, strerror(errno));
  }
  char **argv = NULL;
  size_t argc = 0;
  if (cell_argv(m, o, c, &argv, &argc) != 0 || bn_sweep_list_add(&argv, &argc, "") != 0) {
    return bn_fail(BN_EXIT_FAIL, "sweep: out of memory");
  }
  free(argv[argc - 1]);
  argv[argc - 1] = NULL;
  char out[PATH_LEN + 8], err[PATH_LEN + 8];
  snprintf(out, sizeof(out), "%s/stdout", s->dir);
  snprintf(err, sizeof(err), "%s/stderr", s->dir);
  fflush(NULL);
  const bn_sweep_input *in = &m->captures[c->capture];
  char known[BN_SWEEP_ID_MAX + PATH_LEN];
  snprintf(known, sizeof(known), "%llu %llu %s %s", in->size, in->mtime_ns, in->sha256, in->path);
  pid_t pid = fork();
  if (pid == 0) {
    sigprocmask(SIG_SETMASK, child_mask, NULL);
    setenv(BN_ARTIFACT_SHA256_ENV, known, 1); /* hashed once for every cell */
    if (cpu >= 0) {
      /* One CPU per cell: on the virtual clock its threads run one at a
       * time, and their hand-offs stay on one core. */
      cpu_set_t one;
      CPU_ZERO(&one);
      CPU_SET(cpu, &one);
      sched_setaffinity(0, sizeof(one), &one);
    }
    int fo = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644), fe = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int fi = open("/dev/null", O_RDONLY);
    if (fo < 0 || fe < 0 || fi < 0) {
      _exit(126);
    }
    dup2(fi, STDIN_FILENO);
    dup2(fo, STDOUT_FILENO);
    dup2(fe, STDERR_FILENO);
    execv(argv[0], argv);
    dprintf(STDERR_FILENO, "boardnet: sweep: cannot run %s: %s\n", argv[0], strerror(errno));
    _exit(127);
  }
  for (size_t i = 0; i < argc; i++) {
    free(argv[i]);
  }
  free(argv);
  if (pid < 0) {
    return bn_fail(BN_EXIT_FAIL, "sweep: fork: %s", strerror(errno));
  }
  s->pid = pid;
  s->started = now_s();
  s->ended_by_us = s->timed_out = false;
  return 0;
}

/* The last line of file path that starts with prefix (all of it: want_first false), or the
 * first (want_first), into out; false if none. An empty prefix: any non-empty line. */
static bool find_line(const char *path, const char *prefix, bool want_first, char *out, size_t size)
{
  FILE *f = fopen(path, "r");
  if (f == NULL) {
    return false;
  }
  char *line = NULL;
  size_t cap = 0;
  ssize_t len;
  bool found = false;
  while ((len = getline(&line, &cap, f)) >= 0) {
    while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r')) {
      line[--len] = '\0';
    }
    if (len > 0 && strncmp(line, prefix, strlen(prefix)) == 0) {
      snprintf(out, size, "%s", line);
      found = true;
      if (want_first) {
        break;
      }
    }
  }
  free(line);
  fclose(f);
  return found;
}

static void set_message(bn_sweep_result *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void set_message(bn_sweep_result *r, const char *fmt, ...)
{
  char buf[MESSAGE_MAX + 1];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof(buf), fmt, ap);
  va_end(ap);
  char *copy = strdup(buf);
  if (copy != NULL) {
    free(r->message);
    r->message = copy;
  }
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
  (void)st;
  (void)flag;
  (void)ftw;
  remove(path);
  return 0;
}

/* Classifies a finished cell from its exit status and its output. */
static void classify(struct slot *s, int wstatus, const bn_sweep_run_options *o)
{
  bn_sweep_result *r = &s->r;
  char out[PATH_LEN + 8], err[PATH_LEN + 8], line[MESSAGE_MAX];
  snprintf(out, sizeof(out), "%s/stdout", s->dir);
  snprintf(err, sizeof(err), "%s/stderr", s->dir);
  if (WIFSIGNALED(wstatus)) {
    int sig = WTERMSIG(wstatus);
    r->exit_status = 128 + sig;
    if (s->timed_out) {
      r->status = BN_SWEEP_STALLED;
      set_message(r, "ended after %.0f s of wall time (--cell-timeout)", o->cell_timeout_s);
    } else if (s->ended_by_us) {
      r->status = BN_SWEEP_NOT_RUN;
      r->exit_status = -1;
    } else {
      r->status = BN_SWEEP_FAILED;
      bool said = find_line(err, "", false, line, sizeof(line));
      set_message(r, "killed by signal %d (%s)%s%s", sig, strsignal(sig), said ? ": " : "", said ? line : "");
    }
    return;
  }
  int code = WEXITSTATUS(wstatus);
  r->exit_status = code;
  if (s->ended_by_us && code != 0 && code != 3 && code != 4) {
    r->status = BN_SWEEP_NOT_RUN; /* stopped by the sweep before it could end */
    r->exit_status = -1;
    return;
  }
  bool result = find_line(out, "result: ", false, line, sizeof(line)) ||
                find_line(err, "result: ", false, line, sizeof(line));
  const char *text = result ? line + 8 : NULL;
  switch (code) {
  case 0:
    r->status = BN_SWEEP_SAME;
    set_message(r, "%s", text ? text : "exit status 0");
    return;
  case 3:
  case 4:
    r->status = code == 3 ? BN_SWEEP_DIVERGED : BN_SWEEP_INCOMPLETE;
    if (text == NULL && find_line(err, "boardnet: ", false, line, sizeof(line))) {
      text = line;
    }
    set_message(r, "%s", text ? text : code == 3 ? "exit status 3 (diverged)" : "exit status 4 (incomplete)");
    return;
  default:
    break;
  }
  if (code == 1 && find_line(err, "boardnet: virtual clock: ", true, line, sizeof(line))) {
    r->status = BN_SWEEP_STALLED;
    set_message(r, "%s", line + 10);
    return;
  }
  r->status = BN_SWEEP_FAILED;
  bool said = find_line(err, "boardnet: ", false, line, sizeof(line)) || find_line(err, "", false, line, sizeof(line));
  set_message(r, "exit status %d%s%s", code, said ? ": " : "", said ? line : "");
}

/* After a cell: its artifact (if it kept one) gets its standard output and error; its directory goes. */
static void settle(struct slot *s, const bn_sweep_run_options *o)
{
  char art[PATH_LEN + 8], from[PATH_LEN + 16], to[PATH_LEN + 16];
  snprintf(art, sizeof(art), "%.3000s/fail/%s", o->out, s->r.id);
  struct stat st;
  bool kept = stat(art, &st) == 0 && S_ISDIR(st.st_mode);
  if (kept && !bn_sweep_status_fails(s->r.status)) {
    nftw(art, rm_entry, 16, FTW_DEPTH | FTW_PHYS); /* stopped by the sweep: no failure of its own */
    kept = false;
  }
  s->r.artifact = kept;
  for (int i = 0; i < 2 && kept; i++) {
    const char *name = i ? "stderr" : "stdout";
    snprintf(from, sizeof(from), "%s/%s", s->dir, name);
    snprintf(to, sizeof(to), "%s/%s", art, name);
    rename(from, to);
  }
  nftw(s->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* ---- progress ---------------------------------------------------------------------------------- */

static void progress(const bn_sweep_run_options *o, uint64_t done, uint64_t total, uint64_t failing, double t0,
                     bool last)
{
  static double shown;
  double now = now_s(), took = now - t0;
  if (!o->progress_tty && !last && now - shown < 10) {
    return;
  }
  shown = now;
  double rate = took > 0 ? (double)done / took : 0;
  char eta[32] = "";
  if (!last && rate > 0 && done < total) {
    double left = (double)(total - done) / rate;
    snprintf(eta, sizeof(eta), ", ETA %dm%02ds", (int)(left / 60), (int)left % 60);
  }
  fprintf(stderr, "%ssweep: %" PRIu64 "/%" PRIu64 " cells, %" PRIu64 " failing, %.1f cells/s%s%s",
          o->progress_tty ? "\r" : "", done, total, failing, rate, eta,
          o->progress_tty && !last ? "\033[K" : "\n");
  fflush(stderr);
}

/* ---- the loop ---------------------------------------------------------------------------------- */

/* Sends sig to every running cell. */
static void signal_all(struct slot *slots, unsigned jobs, int sig)
{
  for (unsigned j = 0; j < jobs; j++) {
    if (slots[j].pid > 0) {
      slots[j].ended_by_us = true;
      kill(slots[j].pid, sig);
    }
  }
}

/* The next cell of the shard from *next on; false at the end. */
static bool next_cell(const bn_sweep_matrix *m, const bn_sweep_run_options *o, uint64_t *next, bn_sweep_cell *c)
{
  for (; *next < m->ncells; ++*next) {
    bn_sweep_matrix_cell(m, *next, c);
    if (bn_sweep_in_shard(c, o->shard_k, o->shard_n)) {
      ++*next;
      return true;
    }
  }
  return false;
}

int bn_sweep_run(const bn_sweep_matrix *m, const bn_sweep_run_options *o, bn_sweep_results *rs)
{
  char cells_dir[PATH_LEN], fail_dir[PATH_LEN];
  snprintf(cells_dir, sizeof(cells_dir), "%.3000s/.cells", o->out);
  snprintf(fail_dir, sizeof(fail_dir), "%.3000s/fail", o->out);
  if ((mkdir(cells_dir, 0755) != 0 && errno != EEXIST) || (mkdir(fail_dir, 0755) != 0 && errno != EEXIST)) {
    return bn_fail(BN_EXIT_FAIL, "sweep: %s: %s", o->out, strerror(errno));
  }
  uint64_t total = 0;
  for (uint64_t i = 0; i < m->ncells; i++) {
    bn_sweep_cell c;
    bn_sweep_matrix_cell(m, i, &c);
    total += bn_sweep_in_shard(&c, o->shard_k, o->shard_n);
  }
  /* The CPUs this process may use: cell slot j runs on the j-th (modulo). */
  int cpus[CPU_SETSIZE], ncpus = 0;
  cpu_set_t allowed;
  if (sched_getaffinity(0, sizeof(allowed), &allowed) == 0) {
    for (int k = 0; k < CPU_SETSIZE; k++) {
      if (CPU_ISSET(k, &allowed)) {
        cpus[ncpus++] = k;
      }
    }
  }
  struct slot *slots = calloc(o->jobs, sizeof(*slots));
  if (slots == NULL) {
    return bn_fail(BN_EXIT_FAIL, "sweep: out of memory");
  }
  sigset_t watch, old;
  sigemptyset(&watch);
  sigaddset(&watch, SIGCHLD);
  sigaddset(&watch, SIGINT);
  sigaddset(&watch, SIGTERM);
  sigprocmask(SIG_BLOCK, &watch, &old);
  double t0 = now_s(), stop_kill_at = 0;
  uint64_t next = 0, done = 0, failing = 0;
  unsigned running = 0;
  int rc = 0, signo = 0;
  const char *stop = NULL; /* why cells are not started any more */
  for (;;) {
    while (stop == NULL && rc == 0 && running < o->jobs) {
      bn_sweep_cell c;
      if (!next_cell(m, o, &next, &c)) {
        break;
      }
      unsigned j = 0;
      while (slots[j].pid != 0) {
        j++;
      }
      rc = start_cell(m, o, &c, &slots[j], &old, o->pin && ncpus > 0 ? cpus[j % ncpus] : -1);
      running += rc == 0;
    }
    if (running == 0) {
      break;
    }
    struct timespec tick = { 0, 200 * 1000 * 1000 };
    int sig = sigtimedwait(&watch, NULL, &tick);
    if ((sig == SIGINT || sig == SIGTERM) && stop == NULL) {
      signo = sig;
      stop = sig == SIGINT ? "interrupted (SIGINT)" : "interrupted (SIGTERM)";
      signal_all(slots, o->jobs, SIGTERM);
      stop_kill_at = now_s() + 6;
    }
    double now = now_s();
    if (o->time_budget_s > 0 && now - t0 >= o->time_budget_s && stop == NULL) {
      stop = "the time budget (--time-budget) ran out";
      signal_all(slots, o->jobs, SIGTERM);
      stop_kill_at = now + 6;
    }
    for (unsigned j = 0; j < o->jobs; j++) {
      struct slot *s = &slots[j];
      if (s->pid > 0 && o->cell_timeout_s > 0 && now - s->started > o->cell_timeout_s && !s->timed_out) {
        s->timed_out = true;
        kill(s->pid, SIGKILL);
      }
      if (s->pid > 0 && stop_kill_at > 0 && now > stop_kill_at) {
        kill(s->pid, SIGKILL);
      }
    }
    pid_t pid;
    int wstatus;
    while ((pid = waitpid(-1, &wstatus, WNOHANG)) > 0) {
      unsigned j = 0;
      while (j < o->jobs && slots[j].pid != pid) {
        j++;
      }
      if (j == o->jobs) {
        continue;
      }
      struct slot *s = &slots[j];
      classify(s, wstatus, o);
      if (s->r.status == BN_SWEEP_NOT_RUN) {
        set_message(&s->r, "not run: %s", stop ? stop : "ended by the sweep");
      }
      settle(s, o);
      s->pid = 0;
      running--;
      done++;
      if (s->r.exit_status == BN_EXIT_USAGE && s->r.status == BN_SWEEP_FAILED && rc == 0) {
        rc = bn_fail(BN_EXIT_USAGE, "sweep: cell %s: its command is refused (%s)", s->r.id, s->r.message);
        stop = "a cell's command was refused";
        signal_all(slots, o->jobs, SIGTERM);
        stop_kill_at = now + 6;
      }
      failing += bn_sweep_status_fails(s->r.status);
      if (bn_sweep_results_add(rs, &s->r) != 0 && rc == 0) {
        rc = bn_fail(BN_EXIT_FAIL, "sweep: out of memory");
      }
      if (o->max_failures > 0 && failing >= o->max_failures && stop == NULL) {
        stop = "--max-failures was reached";
      }
      progress(o, done, total, failing, t0, false);
    }
  }
  /* The cells never started. */
  bn_sweep_cell c;
  while (rc == 0 && next_cell(m, o, &next, &c)) {
    bn_sweep_result r;
    if (bn_sweep_result_init(&r, m, &c) != 0 || bn_sweep_results_add(rs, &r) != 0) {
      rc = bn_fail(BN_EXIT_FAIL, "sweep: out of memory");
      break;
    }
    set_message(&rs->v[rs->n - 1], "not run: %s", stop ? stop : "the sweep stopped");
  }
  progress(o, done, total, failing, t0, true);
  rmdir(cells_dir);
  sigprocmask(SIG_SETMASK, &old, NULL);
  free(slots);
  if (rc == 0 && signo != 0) {
    return 128 + signo;
  }
  return rc;
}
