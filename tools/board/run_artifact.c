/*
 * A run's artifact (run_artifact.h): written as the run starts, completed
 * or removed as it ends.
 */
#define _GNU_SOURCE
#include "run_artifact.h"
#include "board_options.h"
#include "bn_board.h"
#include "exit_status.h"
#include "replay_session.h" /* BN_EXIT_INCOMPLETE */

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef BN_VERSION
#define BN_VERSION "unknown"
#endif

/* DIR/name into buf. */
static const char *in_dir(char *buf, size_t len, const char *dir, const char *name)
{
  snprintf(buf, len, "%s/%s", dir, name);
  return buf;
}

/* Copies file from to file to; 0 or -errno. */
static int copy_file(const char *from, const char *to)
{
  int in = open(from, O_RDONLY | O_CLOEXEC);
  if (in < 0) {
    return -errno;
  }
  int out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (out < 0) {
    int e = -errno;
    close(in);
    return e;
  }
  char buf[65536];
  ssize_t n;
  int rc = 0;
  while ((n = read(in, buf, sizeof(buf))) > 0) {
    for (ssize_t off = 0; off < n;) {
      ssize_t w = write(out, buf + off, (size_t)(n - off));
      if (w < 0) {
        rc = -errno;
        break;
      }
      off += w;
    }
  }
  if (n < 0) {
    rc = -errno;
  }
  close(in);
  if (close(out) != 0 && rc == 0) {
    rc = -errno;
  }
  return rc;
}

static int write_text(const char *path, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int write_text(const char *path, const char *fmt, ...)
{
  FILE *f = fopen(path, "w");
  if (f == NULL) {
    return -errno;
  }
  va_list ap;
  va_start(ap, fmt);
  vfprintf(f, fmt, ap);
  va_end(ap);
  return fclose(f) == 0 ? 0 : -errno;
}

int bn_artifact_sha256(const char *path, char hex[65])
{
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) {
    return -1;
  }
  pid_t pid = fork();
  if (pid == 0) {
    dup2(fds[1], STDOUT_FILENO);
    execlp("sha256sum", "sha256sum", "--", path, (char *)NULL);
    _exit(127);
  }
  close(fds[1]);
  ssize_t n = pid > 0 ? read(fds[0], hex, 64) : -1;
  close(fds[0]);
  int status = 0;
  if (pid > 0) {
    waitpid(pid, &status, 0);
  }
  hex[n == 64 ? 64 : 0] = '\0';
  return n == 64 && WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

int bn_artifact_input_sha256(const char *path, char hex[65])
{
  /* "SIZE MTIME_NS SHA256 PATH", from a sweep that hashed its inputs once */
  const char *known = getenv(BN_ARTIFACT_SHA256_ENV);
  unsigned long long size, mtime;
  char sha[65];
  int at = 0;
  struct stat st;
  if (known != NULL && sscanf(known, "%llu %llu %64s %n", &size, &mtime, sha, &at) == 3 && at > 0 &&
      strcmp(known + at, path) == 0 && strlen(sha) == 64 && stat(path, &st) == 0 &&
      (unsigned long long)st.st_size == size &&
      (unsigned long long)st.st_mtim.tv_sec * 1000000000ull + (unsigned long long)st.st_mtim.tv_nsec == mtime) {
    memcpy(hex, sha, 65);
    return 0;
  }
  return bn_artifact_sha256(path, hex);
}

/* The process's argument vector, one argument per line, into path. */
static int write_command(const char *path)
{
  FILE *in = fopen("/proc/self/cmdline", "r");
  FILE *out = fopen(path, "w");
  int rc = in != NULL && out != NULL ? 0 : -errno;
  int c;
  while (rc == 0 && (c = fgetc(in)) != EOF) {
    if (c == '\n') {
      rc = -EINVAL; /* an argument with a newline cannot be kept one per line */
    }
    fputc(c == '\0' ? '\n' : c, out);
  }
  if (in != NULL) {
    fclose(in);
  }
  if (out != NULL && fclose(out) != 0 && rc == 0) {
    rc = -errno;
  }
  return rc;
}

int bn_artifact_check(const bn_artifact_options *a, const struct bn_board_options *board, bool replay)
{
  if ((a->always || a->copy_input) && a->dir == NULL) {
    return bn_fail(BN_EXIT_USAGE, "%s: needs --artifact DIR", a->always ? "--artifact-always" : "--artifact-copy-input");
  }
  if (a->dir != NULL && (!board->clock.virtual_clock || !replay)) {
    return bn_fail(BN_EXIT_USAGE, "--artifact: a run is reproduced byte for byte only on the virtual clock, "
                                  "from a capture (--clock virtual, and --pcap CAPTURE for a board program)");
  }
  return 0;
}

void bn_artifact_outputs(const bn_artifact_options *a, struct bn_board_options *board)
{
  if (a->dir == NULL) {
    return;
  }
  /* Static: the options keep pointers. */
  static char record[4096], decisions[4096], stats[4096];
  if (board->pipeline.record.path == NULL) {
    board->pipeline.record.path = in_dir(record, sizeof(record), a->dir, "out/" BN_ARTIFACT_RECORD);
  }
  if (board->scenario.path != NULL && board->scenario.decisions_path == NULL) {
    board->scenario.decisions_path = in_dir(decisions, sizeof(decisions), a->dir, "out/" BN_ARTIFACT_DECISIONS);
  }
  if (board->scenario.path != NULL && board->scenario.stats_json == NULL) {
    board->scenario.stats_json = in_dir(stats, sizeof(stats), a->dir, "out/" BN_ARTIFACT_STATS);
  }
  char out[4096];
  if ((mkdir(a->dir, 0755) != 0 && errno != EEXIST) ||
      (mkdir(in_dir(out, sizeof(out), a->dir, "out"), 0755) != 0 && errno != EEXIST)) {
    bn_fail(0, "--artifact %s: %s", a->dir, strerror(errno)); /* begin says it again and fails */
  }
}

int bn_artifact_begin(bn_artifact_options *a, struct bn_board_options *board, const char *capture,
                      const char **report)
{
  if (a->dir == NULL) {
    return 0;
  }
  char path[4096], exe[4096];
  if ((mkdir(a->dir, 0755) != 0 && errno != EEXIST) ||
      (mkdir(in_dir(path, sizeof(path), a->dir, "out"), 0755) != 0 && errno != EEXIST)) {
    return bn_fail(BN_EXIT_FAIL, "--artifact %s: %s", a->dir, strerror(errno));
  }
  ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
  exe[n > 0 ? n : 0] = '\0';
  char sha[65];
  bool have_sha = bn_artifact_input_sha256(capture, sha) == 0;
  int rc = write_command(in_dir(path, sizeof(path), a->dir, "command"));
  rc = rc ? rc : write_text(in_dir(path, sizeof(path), a->dir, "exe"), "%s\n", exe);
  char cwd[4096];
  rc = rc ? rc : getcwd(cwd, sizeof(cwd)) != NULL ? write_text(in_dir(path, sizeof(path), a->dir, "cwd"), "%s\n", cwd)
                                                 : -errno;
  rc = rc ? rc : write_text(in_dir(path, sizeof(path), a->dir, "seed"), "%llu\n", (unsigned long long)board->cfg.seed);
  rc = rc ? rc : write_text(in_dir(path, sizeof(path), a->dir, "sched-seed"), "%llu\n",
                            (unsigned long long)board->clock.sched_seed);
  rc = rc ? rc : write_text(in_dir(path, sizeof(path), a->dir, "profile"), "%s\n", bn_board_name());
  rc = rc ? rc : write_text(in_dir(path, sizeof(path), a->dir, "version"), "boardnet %s, lwIP %s\n", BN_VERSION,
                            bn_board_lwip_version());
  rc = rc ? rc : write_text(in_dir(path, sizeof(path), a->dir, "input"), "%s\n%s\n", capture,
                            have_sha ? sha : "(no sha256sum)");
  if (rc == 0 && board->scenario.path != NULL) {
    rc = copy_file(board->scenario.path, in_dir(path, sizeof(path), a->dir, "scenario.scn"));
  }
  if (rc == 0 && a->copy_input) {
    rc = copy_file(capture, in_dir(path, sizeof(path), a->dir, "input.pcap"));
  }
  rc = rc ? rc : write_text(in_dir(path, sizeof(path), a->dir, "README"),
                            "A run of boardnet kept to be run again: boardnet rerun %s\n"
                            "(runs 'command' again, the seed of 'seed' given, the outputs into rerun/, and says\n"
                            "whether they are byte-identical to out/). A run that ended abruptly (an lwIP\n"
                            "assertion, a stall) leaves out/ as far as it got.\n",
                            a->dir);
  if (rc != 0) {
    return bn_fail(BN_EXIT_FAIL, "--artifact %s: %s", a->dir, strerror(-rc));
  }
  if (report != NULL && *report == NULL) {
    static char report_path[4096];
    *report = in_dir(report_path, sizeof(report_path), a->dir, "out/" BN_ARTIFACT_REPORT);
  }
  a->begun = true;
  return 0;
}

/* Copies a named output into out/ unless it is already there. */
static void keep_output(const char *dir, const char *given, const char *name)
{
  char path[4096];
  in_dir(path, sizeof(path), dir, "out/");
  if (given == NULL || strcmp(given, "-") == 0 || strncmp(given, path, strlen(path)) == 0) {
    return;
  }
  strncat(path, name, sizeof(path) - strlen(path) - 1);
  int rc = copy_file(given, path);
  if (rc < 0 && rc != -ENOENT) {
    bn_fail(0, "--artifact: cannot keep %s: %s", given, strerror(-rc));
  }
}

/* Removes DIR and what the run put in it (nothing else). */
static void remove_artifact(const char *dir)
{
  static const char *const files[] = { "command", "exe", "seed", "sched-seed", "profile", "version", "input",
                                       "input.pcap", "scenario.scn", "README", "status", "cwd", "out/" BN_ARTIFACT_RECORD,
                                       "out/" BN_ARTIFACT_RECORD ".events", "out/" BN_ARTIFACT_DECISIONS,
                                       "out/" BN_ARTIFACT_REPORT, "out/" BN_ARTIFACT_STATS };
  char path[4096];
  for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
    unlink(in_dir(path, sizeof(path), dir, files[i]));
  }
  rmdir(in_dir(path, sizeof(path), dir, "out"));
  rmdir(dir);
}

void bn_artifact_end(bn_artifact_options *a, const struct bn_board_options *board, const char *report, int status)
{
  if (!a->begun) {
    return;
  }
  bool failed = status != BN_EXIT_OK && status != BN_EXIT_INCOMPLETE;
  if (!failed && !a->always) {
    remove_artifact(a->dir);
    return;
  }
  keep_output(a->dir, board->pipeline.record.path, BN_ARTIFACT_RECORD);
  if (board->pipeline.record.path != NULL) {
    char events[4096];
    snprintf(events, sizeof(events), "%s.events", board->pipeline.record.path);
    keep_output(a->dir, events, BN_ARTIFACT_RECORD ".events");
  }
  keep_output(a->dir, board->scenario.decisions_path, BN_ARTIFACT_DECISIONS);
  keep_output(a->dir, report, BN_ARTIFACT_REPORT);
  keep_output(a->dir, board->scenario.stats_json, BN_ARTIFACT_STATS);
  char path[4096];
  write_text(in_dir(path, sizeof(path), a->dir, "status"), "%d\n", status);
  fprintf(stderr, "boardnet: the run is kept in %s: boardnet rerun %s\n", a->dir, a->dir);
}
