/* A sweep's results: the cells' outcomes, cells.tsv written and read back, the matrix as JSON (sweep_results.h). */
#define _GNU_SOURCE
#include "sweep_results.h"
#include "bn_json.h"
#include "exit_status.h"
#include "run_artifact.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <sys/stat.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

static const char *const status_names[BN_SWEEP_STATUSES] = {
  "same", "diverged", "incomplete", "failed", "stalled", "not run",
};

const char *bn_sweep_status_name(enum bn_sweep_status s)
{
  return (unsigned)s < BN_SWEEP_STATUSES ? status_names[s] : "?";
}

bool bn_sweep_status_fails(enum bn_sweep_status s)
{
  return s == BN_SWEEP_DIVERGED || s == BN_SWEEP_FAILED || s == BN_SWEEP_STALLED;
}

int bn_sweep_exit_status(const bn_sweep_results *rs)
{
  bool fails = false, short_of = false;
  for (size_t i = 0; i < rs->n; i++) {
    fails |= bn_sweep_status_fails(rs->v[i].status);
    short_of |= rs->v[i].status == BN_SWEEP_INCOMPLETE || rs->v[i].status == BN_SWEEP_NOT_RUN;
  }
  return fails ? 3 : short_of ? 4 : 0;
}

int bn_sweep_result_init(bn_sweep_result *r, const bn_sweep_matrix *m, const bn_sweep_cell *c)
{
  *r = (bn_sweep_result){
    .index = c->index, .capture = c->capture, .scenario = c->scenario, .board = c->board, .optset = c->optset,
    .seed = c->seed, .status = BN_SWEEP_NOT_RUN, .exit_status = -1,
  };
  r->id = strdup(c->id);
  r->scenario_name = strdup(m->scenarios[c->scenario].stem);
  r->board_name = strdup(m->boards[c->board]);
  r->message = strdup("");
  return r->id && r->scenario_name && r->board_name && r->message ? 0 : -ENOMEM;
}

int bn_sweep_results_add(bn_sweep_results *rs, bn_sweep_result *r)
{
  if (rs->n == rs->cap) {
    size_t cap = rs->cap ? 2 * rs->cap : 64;
    bn_sweep_result *grown = realloc(rs->v, cap * sizeof(*grown));
    if (grown == NULL) {
      return -ENOMEM;
    }
    rs->v = grown;
    rs->cap = cap;
  }
  rs->v[rs->n++] = *r;
  return 0;
}

static int by_index(const void *a, const void *b)
{
  const bn_sweep_result *x = a, *y = b;
  return x->index < y->index ? -1 : x->index > y->index;
}

void bn_sweep_results_sort(bn_sweep_results *rs)
{
  if (rs->n > 1) {
    qsort(rs->v, rs->n, sizeof(rs->v[0]), by_index);
  }
}

static void result_free(bn_sweep_result *r)
{
  free(r->id);
  free(r->scenario_name);
  free(r->board_name);
  free(r->message);
}

void bn_sweep_results_free(bn_sweep_results *rs)
{
  for (size_t i = 0; i < rs->n; i++) {
    result_free(&rs->v[i]);
  }
  free(rs->v);
  *rs = (bn_sweep_results){ 0 };
}

/* ---- cells.tsv: one line per cell, fields separated by tabs; \t \n \\ escaped ---- */

static void put_field(FILE *f, const char *s)
{
  fputc('\t', f);
  for (; *s != '\0'; s++) {
    if (*s == '\t' || *s == '\n' || *s == '\\') {
      fprintf(f, "\\%c", *s == '\t' ? 't' : *s == '\n' ? 'n' : '\\');
    } else {
      fputc(*s, f);
    }
  }
}

int bn_sweep_results_write(const bn_sweep_results *rs, const char *path)
{
  FILE *f = fopen(path, "w");
  if (f == NULL) {
    return -errno;
  }
  fprintf(f, "# boardnet sweep cells 1: index id capture scenario board optset seed status exit artifact "
             "scenario-name board-name message\n");
  for (size_t i = 0; i < rs->n; i++) {
    const bn_sweep_result *r = &rs->v[i];
    fprintf(f, "%" PRIu64 "\t%s\t%zu\t%zu\t%zu\t%zu\t%" PRIu64 "\t%d\t%d\t%d", r->index, r->id, r->capture,
            r->scenario, r->board, r->optset, r->seed, (int)r->status, r->exit_status, r->artifact ? 1 : 0);
    put_field(f, r->scenario_name);
    put_field(f, r->board_name);
    put_field(f, r->message);
    fputc('\n', f);
  }
  return fclose(f) == 0 ? 0 : -errno;
}

/* Undoes put_field()'s escapes in place. */
static void unescape(char *s)
{
  char *w = s;
  for (char *r = s; *r != '\0'; r++) {
    if (*r == '\\' && r[1] != '\0') {
      r++;
      *w++ = *r == 't' ? '\t' : *r == 'n' ? '\n' : *r;
    } else {
      *w++ = *r;
    }
  }
  *w = '\0';
}

/* One line of cells.tsv into r. */
static int parse_line(char *line, bn_sweep_result *r)
{
  char *f[13];
  size_t n = 0;
  for (char *p = line; n < 13; n++) {
    f[n] = p;
    char *tab = strchr(p, '\t');
    if (tab == NULL) {
      n++;
      break;
    }
    *tab = '\0';
    p = tab + 1;
  }
  if (n != 13) {
    return -EINVAL;
  }
  char *end;
  int status = (int)strtol(f[7], &end, 10);
  if (status < 0 || status >= BN_SWEEP_STATUSES) {
    return -EINVAL;
  }
  *r = (bn_sweep_result){
    .index = strtoull(f[0], NULL, 10), .capture = strtoul(f[2], NULL, 10), .scenario = strtoul(f[3], NULL, 10),
    .board = strtoul(f[4], NULL, 10), .optset = strtoul(f[5], NULL, 10), .seed = strtoull(f[6], NULL, 10),
    .status = (enum bn_sweep_status)status, .exit_status = (int)strtol(f[8], NULL, 10), .artifact = f[9][0] == '1',
  };
  for (int i = 10; i < 13; i++) {
    unescape(f[i]);
  }
  r->id = strdup(f[1]);
  r->scenario_name = strdup(f[10]);
  r->board_name = strdup(f[11]);
  r->message = strdup(f[12]);
  if (!r->id || !r->scenario_name || !r->board_name || !r->message) {
    result_free(r);
    return -ENOMEM;
  }
  return 0;
}

int bn_sweep_results_read(bn_sweep_results *rs, const char *path, unsigned *line)
{
  FILE *f = fopen(path, "r");
  if (f == NULL) {
    return -errno;
  }
  char *buf = NULL;
  size_t cap = 0;
  ssize_t len;
  int rc = 0;
  *line = 0;
  while (rc == 0 && (len = getline(&buf, &cap, f)) >= 0) {
    ++*line;
    if (len > 0 && buf[len - 1] == '\n') {
      buf[--len] = '\0';
    }
    if (*line == 1) {
      rc = strncmp(buf, "# boardnet sweep cells 1:", 25) == 0 ? 0 : -EINVAL;
      continue;
    }
    bn_sweep_result r;
    rc = parse_line(buf, &r);
    if (rc == 0 && bn_sweep_results_add(rs, &r) < 0) {
      result_free(&r);
      rc = -ENOMEM;
    }
  }
  if (rc == 0 && *line == 0) {
    rc = -EINVAL; /* empty: not even our header */
  }
  free(buf);
  fclose(f);
  return rc;
}

/* --out DIR: created, or existing and empty. */
int bn_sweep_out_dir(const char *dir)
{
  if (mkdir(dir, 0755) == 0) {
    return 0;
  }
  if (errno != EEXIST) {
    return bn_fail(BN_EXIT_FAIL, "sweep: --out %s: %s", dir, strerror(errno));
  }
  DIR *d = opendir(dir);
  if (d == NULL) {
    return bn_fail(BN_EXIT_FAIL, "sweep: --out %s: %s", dir, strerror(errno));
  }
  struct dirent *e;
  bool empty = true;
  while ((e = readdir(d)) != NULL) {
    empty &= strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0;
  }
  closedir(d);
  return empty ? 0 : bn_fail(BN_EXIT_USAGE, "sweep: --out %s is not empty (a sweep's results are never mixed with "
                                            "another's: remove it or name another)", dir);
}

/* Writes text to DIR/name. */
int bn_sweep_write_text(const char *dir, const char *name, const char *text)
{
  char path[PATH_MAX];
  snprintf(path, sizeof(path), "%.3000s/%s", dir, name);
  FILE *f = fopen(path, "w");
  if (f == NULL || fputs(text, f) < 0 || fclose(f) != 0) {
    return bn_fail(BN_EXIT_FAIL, "sweep: %s: %s", path, strerror(errno));
  }
  return 0;
}

/* ---- the matrix as JSON ------------------------------------------------------------- */

static void files_json(FILE *out, const char *key, const bn_sweep_input *v, size_t n)
{
  fprintf(out, "    \"%s\": [", key);
  for (size_t i = 0; i < n; i++) {
    fprintf(out, "%s\n      {\"name\": ", i ? "," : "");
    bn_json_string(out, v[i].stem);
    if (v[i].path == NULL) {
      fprintf(out, ", \"path\": null}");
      continue;
    }
    fprintf(out, ", \"path\": ");
    bn_json_string(out, v[i].path);
    fprintf(out, ", \"sha256\": \"%s\"}", v[i].sha256);
  }
  fprintf(out, "%s],\n", n ? "\n    " : "");
}

static void strings_json(FILE *out, const char *key, char *const *v, size_t n)
{
  fprintf(out, "    \"%s\": [", key);
  for (size_t i = 0; i < n; i++) {
    fputs(i ? ", " : "", out);
    bn_json_string(out, v[i]);
  }
  fprintf(out, "],\n");
}

int bn_sweep_matrix_json(const bn_sweep_matrix *m, FILE *out)
{
  fprintf(out, "{\n");
  files_json(out, "captures", m->captures, m->ncaptures);
  files_json(out, "scenarios", m->scenarios, m->nscenarios);
  strings_json(out, "boards", m->boards, m->nboards);
  strings_json(out, "option_sets", m->optsets, m->noptsets);
  char seeds[4096];
  bn_sweep_seeds_text(m, seeds, sizeof(seeds));
  fprintf(out, "    \"seeds\": ");
  bn_json_string(out, seeds);
  fprintf(out, ",\n");
  if (m->program != NULL) {
    fprintf(out, "    \"program\": ");
    bn_json_string(out, m->program);
    fprintf(out, ",\n");
    strings_json(out, "program_args", m->program_args, m->nprogram_args);
  } else {
    strings_json(out, "apps", m->apps, m->napps);
  }
  fprintf(out, "    \"cells\": %" PRIu64 "\n  }", m->ncells);
  return 0;
}
