/* Running a kept run again: its command, seed, input and scenario, outputs elsewhere (artifact_run.h). */
#define _GNU_SOURCE
#include "artifact_run.h"
#include "exit_status.h"
#include "run_artifact.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

const struct bn_ar_output bn_ar_outputs[BN_AR_OUTPUTS] = {
  { "--record", BN_ARTIFACT_RECORD },
  { "--decisions", BN_ARTIFACT_DECISIONS },
  { "--report", BN_ARTIFACT_REPORT },
  { "--stats-json", BN_ARTIFACT_STATS },
};

char *bn_ar_slurp(const char *path, size_t *len)
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

bool bn_ar_read_line(const char *dir, const char *name, char *out, size_t len)
{
  char path[BN_AR_PATH_LEN];
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

/* Whether files a and b hold the same bytes. */
static bool same_file_contents(const char *a, const char *b)
{
  size_t alen, blen;
  char *x = bn_ar_slurp(a, &alen), *y = bn_ar_slurp(b, &blen);
  bool same = x != NULL && y != NULL && alen == blen && memcmp(x, y, alen) == 0;
  free(x);
  free(y);
  return same;
}

static void add_rename(bn_artifact_run *r, const char *from, const char *to)
{
  if (r->nrenames < sizeof(r->renames) / sizeof(r->renames[0]) && strcmp(from, to) != 0) {
    snprintf(r->renames[r->nrenames].from, BN_AR_PATH_LEN, "%s", from);
    snprintf(r->renames[r->nrenames].to, BN_AR_PATH_LEN, "%s", to);
    r->nrenames++;
  }
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

int bn_artifact_run_load(const char *dir_arg, const char *who, bn_artifact_run *r)
{
  char absolute[BN_AR_PATH_LEN];
  if (realpath(dir_arg, absolute) == NULL) {
    return bn_fail(BN_EXIT_FAIL, "%s: %s: %s", who, dir_arg, strerror(errno));
  }
  if (strlen(absolute) > BN_AR_DIR_LEN - 1) {
    return bn_fail(BN_EXIT_USAGE, "%s: a directory name of at most %d characters", who, BN_AR_DIR_LEN - 1);
  }
  memcpy(r->dir, absolute, strlen(absolute) + 1); /* absolute: the run's own directory (cwd) may be another */
  char cwd[BN_AR_PATH_LEN], path[BN_AR_PATH_LEN];
  if (bn_ar_read_line(r->dir, "cwd", cwd, sizeof(cwd)) && chdir(cwd) != 0) {
    return bn_fail(BN_EXIT_FAIL, "%s: cannot enter %s, where the run ran: %s", who, cwd, strerror(errno));
  }
  snprintf(path, sizeof(path), "%s/command", r->dir);
  size_t len;
  r->command = bn_ar_slurp(path, &len);
  if (r->command == NULL || !bn_ar_read_line(r->dir, "exe", r->exe, sizeof(r->exe)) ||
      !bn_ar_read_line(r->dir, "seed", r->seed, sizeof(r->seed)) ||
      !bn_ar_read_line(r->dir, "input", r->capture, sizeof(r->capture))) {
    return bn_fail(BN_EXIT_FAIL, "%s: %s is no artifact of --artifact (no command, exe, seed or input)", who, r->dir);
  }
  /* The input: the copy, or the path if its sha256 is the same. */
  snprintf(r->copy, sizeof(r->copy), "%s/input.pcap", r->dir);
  snprintf(r->input, sizeof(r->input), "%s", access(r->copy, R_OK) == 0 ? r->copy : r->capture);
  snprintf(r->scenario, sizeof(r->scenario), "%s/scenario.scn", r->dir);
  if (r->input[0] != '\0' && strcmp(r->input, r->copy) != 0) {
    char shafile[BN_AR_PATH_LEN], now[65] = "", sha[128] = "";
    snprintf(shafile, sizeof(shafile), "%s/input", r->dir);
    FILE *f = fopen(shafile, "r");
    bool have = f != NULL && fgets(sha, sizeof(sha), f) != NULL && fgets(sha, sizeof(sha), f) != NULL;
    if (f != NULL) {
      fclose(f);
    }
    sha[strcspn(sha, "\n")] = '\0';
    if (bn_artifact_sha256(r->capture, now) != 0) {
      now[0] = '\0';
    }
    if (!have || strcmp(now, sha) != 0) {
      return bn_fail(BN_EXIT_FAIL, "%s: the input capture %s is not the run's (sha256 %s, now %s): "
                                   "--artifact-copy-input keeps a copy", who, r->capture, have ? sha : "unknown",
                     now[0] ? now : "unreadable");
    }
  }
  return 0;
}

int bn_artifact_run_argv(bn_artifact_run *r, const char *who, const char *out_dir, const char *scenario)
{
  free(r->work);
  r->work = strdup(r->command);
  r->nrenames = 0;
  if (r->work == NULL) {
    return bn_fail(BN_EXIT_FAIL, "%s: out of memory", who);
  }
  size_t n = 0, nstore = 0;
  bool named[BN_AR_OUTPUTS] = { false };
  const char *given_dir = NULL;
  char *save, *line = strtok_r(r->work, "\n", &save);
  int dashdash = -1;
  for (; line != NULL && n < BN_AR_MAX_ARGS; line = strtok_r(NULL, "\n", &save)) {
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
    for (size_t i = 0; i < BN_AR_OUTPUTS && dashdash < 0; i++) {
      if (is_option(line, bn_ar_outputs[i].option, &value)) {
        const char *old = value != NULL ? value : strtok_r(NULL, "\n", &save);
        if (old != NULL && strcmp(old, "-") == 0) {
          break; /* standard output or error: not compared */
        }
        snprintf(r->storage[nstore], BN_AR_PATH_LEN, "%s=%.2000s/%s", bn_ar_outputs[i].option, out_dir,
                 bn_ar_outputs[i].file);
        if (old != NULL) {
          add_rename(r, strchr(r->storage[nstore], '=') + 1, old);
        }
        r->args[n++] = r->storage[nstore++];
        named[i] = true;
        output = true;
        break;
      }
    }
    if (output) {
      continue;
    }
    if (dashdash < 0 && is_option(line, "--scenario", &value) && (scenario != NULL || access(r->scenario, R_OK) == 0)) {
      /* The scenario given; or as kept: its own path if it still says the
       * same (the steps marked in the recording name it), else the copy. */
      const char *old = value != NULL ? value : strtok_r(NULL, "\n", &save);
      bool same = scenario == NULL && old != NULL && same_file_contents(old, r->scenario);
      if (scenario == NULL && !same) {
        printf("%s: %s changed since the run: the scenario kept in %s runs\n", who, old ? old : "the scenario",
               r->scenario);
        if (old != NULL) {
          add_rename(r, r->scenario, old);
        }
      }
      snprintf(r->storage[nstore], BN_AR_PATH_LEN, "--scenario=%.2000s",
               scenario != NULL ? scenario : same ? old : r->scenario);
      r->args[n++] = r->storage[nstore++];
      continue;
    }
    if (strcmp(line, r->capture) == 0 && strcmp(r->input, r->copy) == 0) {
      add_rename(r, r->copy, r->capture);
      r->args[n++] = r->copy;
      continue;
    }
    if (strcmp(line, "--") == 0 && dashdash < 0) {
      dashdash = (int)n;
    }
    r->args[n++] = line;
  }
  if (n == 0 || line != NULL) {
    return bn_fail(BN_EXIT_FAIL, "%s: %s/command is empty or too long", who, r->dir);
  }
  /* The outputs the artifact chose (not named in the command), and the seed: before any "--". */
  char *extra[BN_AR_OUTPUTS + 2];
  size_t nextra = 0;
  for (size_t i = 0; i < BN_AR_OUTPUTS; i++) {
    char out[BN_AR_PATH_LEN], named_out[BN_AR_PATH_LEN];
    snprintf(out, sizeof(out), "%s/out/%s", r->dir, bn_ar_outputs[i].file);
    snprintf(named_out, sizeof(named_out), "%.2000s/out/%s", given_dir != NULL ? given_dir : r->dir,
             bn_ar_outputs[i].file);
    if (!named[i] && access(out, F_OK) == 0) {
      snprintf(r->storage[nstore], BN_AR_PATH_LEN, "%s=%.2000s/%s", bn_ar_outputs[i].option, out_dir,
               bn_ar_outputs[i].file);
      add_rename(r, strchr(r->storage[nstore], '=') + 1, named_out);
      extra[nextra++] = r->storage[nstore++];
    }
  }
  snprintf(r->storage[nstore], BN_AR_PATH_LEN, "--seed=%s", r->seed);
  extra[nextra++] = r->storage[nstore++];
  size_t at = dashdash >= 0 ? (size_t)dashdash : n;
  memmove(r->args + at + nextra, r->args + at, (n - at) * sizeof(r->args[0]));
  memcpy(r->args + at, extra, nextra * sizeof(extra[0]));
  n += nextra;
  r->args[n] = NULL;
  r->nargs = n;
  return 0;
}

int bn_artifact_run_exec(const bn_artifact_run *r, const char *out_dir)
{
  char out[BN_AR_PATH_LEN], err[BN_AR_PATH_LEN];
  snprintf(out, sizeof(out), "%.2000s/stdout", out_dir);
  snprintf(err, sizeof(err), "%.2000s/stderr", out_dir);
  fflush(NULL);
  pid_t pid = fork();
  if (pid == 0) {
    int o = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644), e = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (o < 0 || e < 0) {
      _exit(126);
    }
    dup2(o, STDOUT_FILENO);
    dup2(e, STDERR_FILENO);
    execv(r->exe, r->args);
    _exit(127);
  }
  int status;
  if (pid < 0 || waitpid(pid, &status, 0) < 0) {
    return -1;
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

void bn_artifact_run_free(bn_artifact_run *r)
{
  free(r->command);
  free(r->work);
  r->command = r->work = NULL;
}
