/*
 * boardnet rerun DIR: runs a run kept by --artifact DIR again (its command,
 * its seed, its scenario as kept, its input capture checked by sha256 or
 * copied) with the outputs into DIR/rerun/, and says whether they are
 * byte-identical to DIR/out/: 0 the same, 3 not (the first difference
 * named), 1 it could not rerun, 2 bad usage. Paths are the one thing that
 * differs by design (the recording's name in its .events, the capture's
 * name in the report): text outputs are compared with the rerun's paths
 * put back to the original's.
 */
#define _GNU_SOURCE
#include "cli.h"
#include "run_artifact.h"

#include <errno.h>
#include <fcntl.h>
#include <pcap/pcap.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static const char rerun_usage[] =
  "Usage: boardnet rerun DIR\n"
  "\n"
  "Runs again the run kept in DIR by --artifact DIR (a board program's or\n"
  "boardnet replay's, on the virtual clock): the same command line, seed,\n"
  "scheduling seed, scenario (DIR/scenario.scn) and input capture (DIR/\n"
  "input.pcap if copied, else the capture's path, refused if its sha256\n"
  "changed), from the directory it ran in, its outputs written to DIR/rerun/. Then compares them with the\n"
  "run's, DIR/out/, and its exit status with the run's.\n"
  "\n"
  "Exit status: 0 every output byte-identical and the same exit status;\n"
  "3 a difference (the first one is named: the file, the frame of a\n"
  "capture, the line of a text); 1 the run cannot be run again (DIR is no\n"
  "artifact, the input changed); 2 bad usage.\n";

#define MAX_ARGS 256
#define PATH_LEN 4096
#define DIR_LEN 1024 /* DIR, so that DIR/anything fits PATH_LEN */

/* The outputs that are compared, with the options that name them. */
static const struct output {
  const char *option;
  const char *file;
} outputs[] = {
  { "--record", BN_ARTIFACT_RECORD },
  { "--decisions", BN_ARTIFACT_DECISIONS },
  { "--report", BN_ARTIFACT_REPORT },
  { "--stats-json", BN_ARTIFACT_STATS },
};
#define OUTPUTS (sizeof(outputs) / sizeof(outputs[0]))

/* A path substitution for the text comparison: the rerun's name, the run's. */
struct rename {
  char from[PATH_LEN];
  char to[PATH_LEN];
};
static struct rename renames[OUTPUTS + 2];
static size_t nrenames;

static void add_rename(const char *from, const char *to)
{
  if (nrenames < sizeof(renames) / sizeof(renames[0]) && strcmp(from, to) != 0) {
    snprintf(renames[nrenames].from, PATH_LEN, "%s", from);
    snprintf(renames[nrenames].to, PATH_LEN, "%s", to);
    nrenames++;
  }
}

/* The whole of file path (NUL-terminated; *len its length), or NULL. */
static char *slurp(const char *path, size_t *len)
{
  FILE *f = fopen(path, "rb");
  if (f == NULL) {
    return NULL;
  }
  size_t cap = 65536, n = 0;
  char *buf = malloc(cap + 1);
  size_t got;
  while (buf != NULL && (got = fread(buf + n, 1, cap - n, f)) > 0) {
    n += got;
    if (n == cap) {
      char *more = realloc(buf, 2 * cap + 1);
      if (more == NULL) {
        free(buf);
        buf = NULL;
        break;
      }
      buf = more;
      cap *= 2;
    }
  }
  fclose(f);
  if (buf != NULL) {
    buf[n] = '\0';
    *len = n;
  }
  return buf;
}

/* Whether files a and b hold the same bytes. */
static bool same_file_contents(const char *a, const char *b)
{
  size_t alen, blen;
  char *x = slurp(a, &alen), *y = slurp(b, &blen);
  bool same = x != NULL && y != NULL && alen == blen && memcmp(x, y, alen) == 0;
  free(x);
  free(y);
  return same;
}

/* DIR/name's first line into out; false if there is none. */
static bool read_line(const char *dir, const char *name, char *out, size_t len)
{
  char path[PATH_LEN];
  snprintf(path, sizeof(path), "%.2000s/%s", dir, name);
  FILE *f = fopen(path, "r");
  bool ok = f != NULL && fgets(out, (int)len, f) != NULL;
  if (f != NULL) {
    fclose(f);
  }
  if (ok) {
    out[strcspn(out, "\n")] = '\0';
  }
  return ok;
}

/* text with every rename applied (a new string). */
static char *renamed(const char *text)
{
  char *cur = strdup(text);
  for (size_t i = 0; cur != NULL && i < nrenames; i++) {
    size_t from = strlen(renames[i].from), to = strlen(renames[i].to), count = 0;
    for (const char *p = cur; (p = strstr(p, renames[i].from)) != NULL; p += from) {
      count++;
    }
    char *next = malloc(strlen(cur) + count * to + 1);
    if (next == NULL) {
      free(cur);
      return NULL;
    }
    char *w = next;
    const char *r = cur, *hit;
    while ((hit = strstr(r, renames[i].from)) != NULL) {
      memcpy(w, r, (size_t)(hit - r));
      w += hit - r;
      memcpy(w, renames[i].to, to);
      w += to;
      r = hit + from;
    }
    strcpy(w, r);
    free(cur);
    cur = next;
  }
  return cur;
}

/* Compares two text files (the rerun's paths put back); 0 same, 1 differ (said), -1 unreadable. */
static int compare_text(const char *name, const char *a_path, const char *b_path)
{
  size_t alen, blen;
  char *a = slurp(a_path, &alen), *b0 = slurp(b_path, &blen);
  char *b = b0 != NULL ? renamed(b0) : NULL;
  free(b0);
  int rc = a == NULL || b == NULL ? -1 : strcmp(a, b) == 0 ? 0 : 1;
  if (rc == 1) {
    size_t i = 0, line = 1, start = 0;
    for (; a[i] != '\0' && a[i] == b[i]; i++) {
      if (a[i] == '\n') {
        line++;
        start = i + 1;
      }
    }
    int la = (int)strcspn(a + start, "\n"), lb = (int)strcspn(b + start, "\n");
    printf("rerun: %s differs first at line %zu:\n  run:   %.*s\n  rerun: %.*s\n", name, line, la, a + start, lb,
           b + start);
  }
  free(a);
  free(b);
  return rc;
}

/* Compares two captures frame by frame (libpcap); 0 same, 1 differ (said), -1 unreadable. */
static int compare_pcap(const char *name, const char *a_path, const char *b_path)
{
  char err[PCAP_ERRBUF_SIZE];
  pcap_t *a = pcap_open_offline_with_tstamp_precision(a_path, PCAP_TSTAMP_PRECISION_NANO, err);
  pcap_t *b = a != NULL ? pcap_open_offline_with_tstamp_precision(b_path, PCAP_TSTAMP_PRECISION_NANO, err) : NULL;
  if (a == NULL || b == NULL) {
    printf("rerun: %s: %s\n", name, err);
    if (a != NULL) {
      pcap_close(a);
    }
    return -1;
  }
  int rc = 0;
  for (unsigned long frame = 1;; frame++) {
    struct pcap_pkthdr *ha, *hb;
    const u_char *da, *db;
    int ra = pcap_next_ex(a, &ha, &da), rb = pcap_next_ex(b, &hb, &db);
    if (ra != 1 || rb != 1) {
      if (ra != rb) {
        printf("rerun: %s: the %s has frames the %s has not, from frame %lu\n", name, ra == 1 ? "run" : "rerun",
               ra == 1 ? "rerun" : "run", frame);
        rc = 1;
      }
      break;
    }
    if (ha->ts.tv_sec != hb->ts.tv_sec || ha->ts.tv_usec != hb->ts.tv_usec) {
      printf("rerun: %s differs first at frame %lu: its time, %ld.%09ld in the run, %ld.%09ld in the rerun\n",
             name, frame, (long)ha->ts.tv_sec, (long)ha->ts.tv_usec, (long)hb->ts.tv_sec, (long)hb->ts.tv_usec);
      rc = 1;
      break;
    }
    if (ha->caplen != hb->caplen || ha->len != hb->len || memcmp(da, db, ha->caplen) != 0) {
      printf("rerun: %s differs first at frame %lu: its bytes (%u in the run, %u in the rerun)\n", name, frame,
             ha->caplen, hb->caplen);
      rc = 1;
      break;
    }
  }
  pcap_close(a);
  pcap_close(b);
  return rc;
}

/* Runs argv with stdout/stderr into DIR/rerun/; its exit status, or -1. */
static int run(const char *exe, char **argv, const char *rerun_dir)
{
  char out[PATH_LEN], err[PATH_LEN];
  snprintf(out, sizeof(out), "%.2000s/stdout", rerun_dir);
  snprintf(err, sizeof(err), "%.2000s/stderr", rerun_dir);
  fflush(NULL);
  pid_t pid = fork();
  if (pid == 0) {
    int o = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644), e = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (o < 0 || e < 0) {
      _exit(126);
    }
    dup2(o, STDOUT_FILENO);
    dup2(e, STDERR_FILENO);
    execv(exe, argv);
    _exit(127);
  }
  int status;
  if (pid < 0 || waitpid(pid, &status, 0) < 0) {
    return -1;
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* Whether arg is option opt given as "--opt=value" (then *value) or "--opt" (value in the next). */
static bool is_option(const char *arg, const char *opt, const char **value)
{
  size_t n = strlen(opt);
  if (strncmp(arg, opt, n) != 0) {
    return false;
  }
  *value = arg[n] == '=' ? arg + n + 1 : arg[n] == '\0' ? NULL : "";
  return arg[n] == '=' || arg[n] == '\0';
}

int bn_cmd_rerun(int argc, char **argv)
{
  if (argc == 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
    fputs(rerun_usage, stdout);
    return BN_EXIT_OK;
  }
  if (argc != 2) {
    return bn_fail(BN_EXIT_USAGE, "rerun: which directory? (boardnet rerun --help)");
  }
  static char absolute[PATH_LEN];
  if (realpath(argv[1], absolute) == NULL) {
    return bn_fail(BN_EXIT_FAIL, "rerun: %s: %s", argv[1], strerror(errno));
  }
  if (strlen(absolute) > DIR_LEN - 1) {
    return bn_fail(BN_EXIT_USAGE, "rerun: a directory name of at most %d characters", DIR_LEN - 1);
  }
  static char dir_name[DIR_LEN];
  memcpy(dir_name, absolute, strlen(absolute) + 1); /* fits: checked above */
  const char *dir = dir_name; /* absolute: the run's own directory (cwd) may be another */
  /* Where the run ran: its command's relative paths (the capture, the scenario) are from there. */
  char cwd[PATH_LEN];
  if (read_line(dir, "cwd", cwd, sizeof(cwd)) && chdir(cwd) != 0) {
    return bn_fail(BN_EXIT_FAIL, "rerun: cannot enter %s, where the run ran: %s", cwd, strerror(errno));
  }
  char path[PATH_LEN], exe[PATH_LEN], seed[64], capture[PATH_LEN], sha[128];
  snprintf(path, sizeof(path), "%s/command", dir);
  size_t len;
  char *command = slurp(path, &len);
  if (command == NULL || !read_line(dir, "exe", exe, sizeof(exe)) || !read_line(dir, "seed", seed, sizeof(seed)) ||
      !read_line(dir, "input", capture, sizeof(capture))) {
    free(command);
    return bn_fail(BN_EXIT_FAIL, "rerun: %s is no artifact of --artifact (no command, exe, seed or input)", dir);
  }
  /* The input: the copy, or the path if its sha256 is the same. */
  char copy[PATH_LEN], input[PATH_LEN];
  snprintf(copy, sizeof(copy), "%s/input.pcap", dir);
  snprintf(input, sizeof(input), "%s", access(copy, R_OK) == 0 ? copy : capture);
  if (input[0] != '\0' && strcmp(input, copy) != 0) {
    char shafile[PATH_LEN], now[65] = "";
    snprintf(shafile, sizeof(shafile), "%s/input", dir);
    FILE *f = fopen(shafile, "r");
    bool have = f != NULL && fgets(sha, sizeof(sha), f) != NULL && fgets(sha, sizeof(sha), f) != NULL;
    if (f != NULL) {
      fclose(f);
    }
    sha[strcspn(sha, "\n")] = '\0';
    if (bn_artifact_sha256(capture, now) != 0) {
      now[0] = '\0';
    }
    if (!have || strcmp(now, sha) != 0) {
      free(command);
      return bn_fail(BN_EXIT_FAIL, "rerun: the input capture %s is not the run's (sha256 %s, now %s): "
                                   "--artifact-copy-input keeps a copy", capture, have ? sha : "unknown",
                     now[0] ? now : "unreadable");
    }
  }
  char rerun_dir[DIR_LEN + 8], scenario[PATH_LEN];
  snprintf(rerun_dir, sizeof(rerun_dir), "%s/rerun", dir);
  snprintf(scenario, sizeof(scenario), "%s/scenario.scn", dir);
  if (mkdir(rerun_dir, 0755) != 0 && errno != EEXIST) {
    free(command);
    return bn_fail(BN_EXIT_FAIL, "rerun: %s: %s", rerun_dir, strerror(errno));
  }
  /* The new argument vector: outputs into rerun/, the artifact's options out. */
  static char *args[MAX_ARGS + 16];
  static char storage[OUTPUTS + 4][PATH_LEN];
  size_t n = 0, nstore = 0;
  bool named[OUTPUTS] = { false };
  const char *given_dir = NULL;
  char *save, *line = strtok_r(command, "\n", &save);
  int dashdash = -1;
  for (; line != NULL && n < MAX_ARGS; line = strtok_r(NULL, "\n", &save)) {
    const char *value;
    if (is_option(line, "--artifact-always", &value) || is_option(line, "--artifact-copy-input", &value)) {
      continue;
    }
    if (is_option(line, "--artifact", &value)) {
      if (value == NULL) {
        value = line = strtok_r(NULL, "\n", &save);
      }
      given_dir = value; /* as the run named it: its outputs' names in its texts */
      continue;
    }
    bool output = false;
    for (size_t i = 0; i < OUTPUTS && dashdash < 0; i++) {
      if (is_option(line, outputs[i].option, &value)) {
        const char *old = value != NULL ? value : strtok_r(NULL, "\n", &save);
        if (old != NULL && strcmp(old, "-") == 0) {
          break; /* standard output or error: not compared */
        }
        snprintf(storage[nstore], PATH_LEN, "%s=%.2000s/%s", outputs[i].option, rerun_dir, outputs[i].file);
        if (old != NULL) {
          add_rename(strchr(storage[nstore], '=') + 1, old);
        }
        args[n++] = storage[nstore++];
        named[i] = true;
        output = true;
        break;
      }
    }
    if (output) {
      continue;
    }
    if (dashdash < 0 && is_option(line, "--scenario", &value) && access(scenario, R_OK) == 0) {
      /* The scenario as kept: its own path if it still says the same (the
       * steps marked in the recording name it), else the copy. */
      const char *old = value != NULL ? value : strtok_r(NULL, "\n", &save);
      bool same = old != NULL && same_file_contents(old, scenario);
      if (!same) {
        printf("rerun: %s changed since the run: the scenario kept in %s runs\n", old ? old : "the scenario",
               scenario);
        if (old != NULL) {
          add_rename(scenario, old);
        }
      }
      snprintf(storage[nstore], PATH_LEN, "--scenario=%.2000s", same ? old : scenario);
      args[n++] = storage[nstore++];
      continue;
    }
    if (strcmp(line, capture) == 0 && strcmp(input, copy) == 0) {
      add_rename(copy, capture);
      args[n++] = copy;
      continue;
    }
    if (strcmp(line, "--") == 0 && dashdash < 0) {
      dashdash = (int)n;
    }
    args[n++] = line;
  }
  if (n == 0 || line != NULL) {
    free(command);
    return bn_fail(BN_EXIT_FAIL, "rerun: %s/command is empty or too long", dir);
  }
  /* The outputs the artifact chose (not named in the command), and the seed: before any "--". */
  char *extra[OUTPUTS + 2];
  size_t nextra = 0;
  for (size_t i = 0; i < OUTPUTS; i++) {
    char out[PATH_LEN], named_out[PATH_LEN];
    snprintf(out, sizeof(out), "%s/out/%s", dir, outputs[i].file);
    snprintf(named_out, sizeof(named_out), "%.2000s/out/%s", given_dir != NULL ? given_dir : dir, outputs[i].file);
    if (!named[i] && access(out, F_OK) == 0) {
      snprintf(storage[nstore], PATH_LEN, "%s=%.2000s/%s", outputs[i].option, rerun_dir, outputs[i].file);
      add_rename(strchr(storage[nstore], '=') + 1, named_out);
      extra[nextra++] = storage[nstore++];
    }
  }
  snprintf(storage[nstore], PATH_LEN, "--seed=%s", seed);
  extra[nextra++] = storage[nstore++];
  size_t at = dashdash >= 0 ? (size_t)dashdash : n;
  memmove(args + at + nextra, args + at, (n - at) * sizeof(args[0]));
  memcpy(args + at, extra, nextra * sizeof(extra[0]));
  n += nextra;
  args[n] = NULL;
  /* The rerun's record path appears in its .events under the rerun's name. */
  printf("rerun of %s:", dir);
  for (size_t i = 0; i < n; i++) {
    printf(" %s", args[i]);
  }
  printf("\n");
  int status = run(exe, args, rerun_dir);
  if (status < 0 || status == 127 || status == 126) {
    free(command);
    return bn_fail(BN_EXIT_FAIL, "rerun: cannot run %s (%s/stderr says why)", exe, rerun_dir);
  }
  /* Compare. */
  int differ = 0, compared = 0;
  char run_status[32];
  if (read_line(dir, "status", run_status, sizeof(run_status)) && atoi(run_status) != status) {
    printf("rerun: exit status %d, the run's %s\n", status, run_status);
    differ = 1;
  }
  static const char *const files[] = { BN_ARTIFACT_RECORD, BN_ARTIFACT_RECORD ".events", BN_ARTIFACT_DECISIONS,
                                       BN_ARTIFACT_REPORT, BN_ARTIFACT_STATS };
  for (size_t i = 0; i < sizeof(files) / sizeof(files[0]) && !differ; i++) {
    char a[PATH_LEN], b[PATH_LEN];
    snprintf(a, sizeof(a), "%s/out/%s", dir, files[i]);
    snprintf(b, sizeof(b), "%.2000s/%s", rerun_dir, files[i]);
    if (access(a, F_OK) != 0) {
      continue;
    }
    int rc = i == 0 ? compare_pcap(files[i], a, b) : compare_text(files[i], a, b);
    if (rc < 0) {
      printf("rerun: %s: the rerun wrote none\n", files[i]);
      rc = 1;
    }
    differ |= rc;
    compared += rc == 0;
  }
  free(command);
  if (differ) {
    printf("rerun: different (the rerun's outputs: %s)\n", rerun_dir);
    return 3;
  }
  printf("rerun: the same: %d output%s byte-identical (paths aside), exit status %d as the run's\n", compared,
         compared == 1 ? "" : "s", status);
  return BN_EXIT_OK;
}
