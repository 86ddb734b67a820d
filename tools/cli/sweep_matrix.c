/* The matrix of a sweep: its dimensions, its cells and their ids, the shards (sweep_matrix.h). */
#define _GNU_SOURCE
#include "sweep_matrix.h"
#include "bn_hash.h"
#include "exit_status.h"
#include "run_artifact.h"

#include <errno.h>
#include <glob.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int bn_sweep_list_add(char ***list, size_t *n, const char *s)
{
  char **grown = realloc(*list, (*n + 1) * sizeof(**list));
  if (grown == NULL) {
    return -ENOMEM;
  }
  *list = grown;
  if ((grown[*n] = strdup(s)) == NULL) {
    return -ENOMEM;
  }
  (*n)++;
  return 0;
}

int bn_sweep_split_words(const char *s, char ***words, size_t *n)
{
  *words = NULL;
  *n = 0;
  char *w = malloc(strlen(s) + 1);
  if (w == NULL) {
    return -ENOMEM;
  }
  int rc = 0;
  const char *p = s;
  while (rc == 0) {
    while (*p == ' ' || *p == '\t' || *p == '\n') {
      p++;
    }
    if (*p == '\0') {
      break;
    }
    size_t len = 0;
    char quote = 0;
    for (; *p != '\0' && (quote || (*p != ' ' && *p != '\t' && *p != '\n')); p++) {
      if (quote != 0 && *p == quote) {
        quote = 0;
      } else if (quote == 0 && (*p == '\'' || *p == '"')) {
        quote = *p;
      } else if (*p == '\\' && quote != '\'' && p[1] != '\0') {
        w[len++] = *++p;
      } else {
        w[len++] = *p;
      }
    }
    w[len] = '\0';
    rc = quote != 0 ? -EINVAL : bn_sweep_list_add(words, n, w);
  }
  free(w);
  if (rc != 0) {
    for (size_t i = 0; i < *n; i++) {
      free((*words)[i]);
    }
    free(*words);
    *words = NULL;
    *n = 0;
  }
  return rc;
}

/* The file name of path without its directory and its last extension. */
static char *stem_of(const char *path)
{
  const char *base = strrchr(path, '/');
  base = base != NULL ? base + 1 : path;
  const char *dot = strrchr(base, '.');
  size_t len = dot != NULL && dot != base ? (size_t)(dot - base) : strlen(base);
  return strndup(base, len);
}

static int add_input(bn_sweep_input **v, size_t *n, const char *path)
{
  if (*n == BN_SWEEP_DIM_MAX) {
    return bn_fail(BN_EXIT_USAGE, "sweep: more than %d files in one dimension", BN_SWEEP_DIM_MAX);
  }
  bn_sweep_input *grown = realloc(*v, (*n + 1) * sizeof(**v));
  if (grown == NULL) {
    return bn_fail(BN_EXIT_FAIL, "sweep: out of memory");
  }
  *v = grown;
  bn_sweep_input *in = &grown[*n];
  in->path = path != NULL ? strdup(path) : NULL;
  in->stem = path != NULL ? stem_of(path) : strdup("none");
  if ((path != NULL && in->path == NULL) || in->stem == NULL) {
    return bn_fail(BN_EXIT_FAIL, "sweep: out of memory");
  }
  (*n)++;
  struct stat st;
  if (path != NULL && (stat(path, &st) != 0 || bn_artifact_sha256(path, in->sha256) != 0)) {
    return bn_fail(BN_EXIT_USAGE, "sweep: %s: cannot be read", path);
  }
  if (path != NULL) {
    in->size = (unsigned long long)st.st_size;
    in->mtime_ns = (unsigned long long)st.st_mtim.tv_sec * 1000000000ull + (unsigned long long)st.st_mtim.tv_nsec;
  }
  return 0;
}

int bn_sweep_matrix_add_files(bn_sweep_matrix *m, const char *pattern, bool scenario)
{
  bn_sweep_input **v = scenario ? &m->scenarios : &m->captures;
  size_t *n = scenario ? &m->nscenarios : &m->ncaptures;
  const char *what = scenario ? "--scenario" : "--pcap";
  if (scenario && strcmp(pattern, "none") == 0) {
    return add_input(v, n, NULL);
  }
  glob_t g;
  int rc = glob(pattern, GLOB_ERR, NULL, &g);
  if (rc == GLOB_NOMATCH) {
    return bn_fail(BN_EXIT_USAGE, "sweep: %s %s: %s", what, pattern,
                   strpbrk(pattern, "*?[") != NULL ? "matches no file" : "no such file");
  }
  if (rc != 0) {
    return bn_fail(BN_EXIT_USAGE, "sweep: %s %s: cannot be read", what, pattern);
  }
  for (size_t i = 0; i < g.gl_pathc && rc == 0; i++) { /* glob() sorts */
    if (access(g.gl_pathv[i], R_OK) != 0) {
      rc = bn_fail(BN_EXIT_USAGE, "sweep: %s %s: %s", what, g.gl_pathv[i], strerror(errno));
    } else {
      rc = add_input(v, n, g.gl_pathv[i]);
    }
  }
  globfree(&g);
  return rc;
}

/* A seed "N" at *p; advances *p. */
static bool read_seed(const char **p, uint64_t *out)
{
  if (**p < '0' || **p > '9') {
    return false;
  }
  char *end;
  errno = 0;
  unsigned long long v = strtoull(*p, &end, 10);
  if (errno != 0) {
    return false;
  }
  *out = v;
  *p = end;
  return true;
}

/* The range of a seed list at *at, added to m (*more: others follow, *at on the next): 0, or an exit
 * status (said why). */
static int add_seed_range(bn_sweep_matrix *m, const char *list, const char **at, bool *more)
{
  const char *p = *at;
  *more = false;
  bn_sweep_seeds r;
  if (!read_seed(&p, &r.first)) {
    return bn_fail(BN_EXIT_USAGE, "sweep: --seeds '%s': a seed or a range (1-1000) expected at '%s'", list, p);
  }
  r.last = r.first;
  if (*p == '-') {
    p++;
    if (!read_seed(&p, &r.last) || r.last < r.first) {
      return bn_fail(BN_EXIT_USAGE, "sweep: --seeds '%s': a range is FIRST-LAST with LAST >= FIRST", list);
    }
  }
  for (size_t i = 0; i < m->nseedranges; i++) {
    if (r.first <= m->seeds[i].last && m->seeds[i].first <= r.last) {
      return bn_fail(BN_EXIT_USAGE, "sweep: --seeds: seed %" PRIu64 " is given twice",
                     r.first > m->seeds[i].first ? r.first : m->seeds[i].first);
    }
  }
  uint64_t count = r.last - r.first + 1;
  if (count == 0 || count > BN_SWEEP_CELLS_MAX || m->nseeds + count > BN_SWEEP_CELLS_MAX) {
    return bn_fail(BN_EXIT_USAGE, "sweep: --seeds: more than %u seeds", BN_SWEEP_CELLS_MAX);
  }
  bn_sweep_seeds *grown = realloc(m->seeds, (m->nseedranges + 1) * sizeof(*grown));
  if (grown == NULL) {
    return bn_fail(BN_EXIT_FAIL, "sweep: out of memory");
  }
  m->seeds = grown;
  m->seeds[m->nseedranges++] = r;
  m->nseeds += count;
  if (*p != '\0' && *p != ',') {
    return bn_fail(BN_EXIT_USAGE, "sweep: --seeds '%s': ',' or the end expected at '%s'", list, p);
  }
  *more = *p == ',';
  *at = p + 1;
  return 0;
}

int bn_sweep_matrix_add_seeds(bn_sweep_matrix *m, const char *list)
{
  size_t ranges = m->nseedranges;
  uint64_t seeds = m->nseeds;
  const char *p = list;
  bool more = true;
  int rc = 0;
  while (rc == 0 && more) {
    rc = add_seed_range(m, list, &p, &more);
  }
  if (rc != 0) {
    m->nseedranges = ranges; /* nothing of a bad list stays */
    m->nseeds = seeds;
  }
  return rc;
}

int bn_sweep_matrix_add_boards(bn_sweep_matrix *m, const char *list)
{
  char *copy = strdup(list), *save = NULL;
  if (copy == NULL) {
    return bn_fail(BN_EXIT_FAIL, "sweep: out of memory");
  }
  int rc = 0;
  for (char *b = strtok_r(copy, ",", &save); b != NULL && rc == 0; b = strtok_r(NULL, ",", &save)) {
    if (strspn(b, "abcdefghijklmnopqrstuvwxyz0123456789-_") != strlen(b) || strlen(b) > 32) {
      rc = bn_fail(BN_EXIT_USAGE, "sweep: --board: '%s' is no board profile's name", b);
      break;
    }
    for (size_t i = 0; i < m->nboards; i++) {
      if (strcmp(m->boards[i], b) == 0) {
        rc = bn_fail(BN_EXIT_USAGE, "sweep: --board: '%s' is given twice", b);
      }
    }
    if (rc == 0 && bn_sweep_list_add(&m->boards, &m->nboards, b) < 0) {
      rc = bn_fail(BN_EXIT_FAIL, "sweep: out of memory");
    }
  }
  free(copy);
  if (rc == 0 && m->nboards == 0) {
    rc = bn_fail(BN_EXIT_USAGE, "sweep: --board needs a profile's name");
  }
  return rc;
}

/* The id of a cell without its seed: "[capture-]board-scenario[-oK]". */
static void id_prefix(const bn_sweep_matrix *m, size_t cap, size_t scn, size_t board, size_t opt, char *buf,
                      size_t size)
{
  int n = 0;
  if (m->ncaptures > 1) {
    n = snprintf(buf, size, "%s-", m->captures[cap].stem);
  }
  n += snprintf(buf + n, size - (size_t)n, "%s-%s", m->boards[board], m->scenarios[scn].stem);
  if (m->noptsets > 1) {
    snprintf(buf + n, size - (size_t)n, "-o%zu", opt + 1);
  }
}

static int cmp_str(const void *a, const void *b)
{
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every cell's id is unique if every prefix is (the seed ends it). */
static int check_ids(const bn_sweep_matrix *m)
{
  size_t n = m->ncaptures * m->nscenarios * m->nboards * m->noptsets, k = 0;
  char **ids = calloc(n, sizeof(*ids));
  if (ids == NULL) {
    return bn_fail(BN_EXIT_FAIL, "sweep: out of memory");
  }
  int rc = 0;
  for (size_t c = 0; c < m->ncaptures; c++) {
    for (size_t s = 0; s < m->nscenarios; s++) {
      for (size_t b = 0; b < m->nboards; b++) {
        for (size_t o = 0; o < m->noptsets; o++) {
          char id[BN_SWEEP_ID_MAX];
          id_prefix(m, c, s, b, o, id, sizeof(id) - 32);
          if ((ids[k++] = strdup(id)) == NULL) {
            rc = bn_fail(BN_EXIT_FAIL, "sweep: out of memory");
          }
        }
      }
    }
  }
  if (rc == 0) {
    qsort(ids, n, sizeof(*ids), cmp_str);
    for (size_t i = 1; i < n && rc == 0; i++) {
      if (strcmp(ids[i - 1], ids[i]) == 0) {
        rc = bn_fail(BN_EXIT_USAGE, "sweep: two cells would be named '%s-seed-N': two captures or scenarios "
                                    "have the same file name (rename one)", ids[i]);
      }
    }
  }
  for (size_t i = 0; i < n; i++) {
    free(ids[i]);
  }
  free(ids);
  return rc;
}

int bn_sweep_matrix_finish(bn_sweep_matrix *m, const char *default_board)
{
  if (m->ncaptures == 0) {
    return bn_fail(BN_EXIT_USAGE, "sweep: which capture? (--pcap FILE; boardnet sweep --help)");
  }
  if ((m->napps > 0) == (m->program != NULL)) {
    return bn_fail(BN_EXIT_USAGE, "sweep: what runs on the board? exactly one of --app NAME and --program PATH");
  }
  if (m->program == NULL && m->nprogram_args > 0) {
    return bn_fail(BN_EXIT_USAGE, "sweep: arguments after -- are a --program's");
  }
  if (m->nscenarios == 0 && add_input(&m->scenarios, &m->nscenarios, NULL) != 0) {
    return BN_EXIT_FAIL;
  }
  if (m->nseeds == 0 && bn_sweep_matrix_add_seeds(m, "1") != 0) {
    return BN_EXIT_FAIL;
  }
  if (m->noptsets == 0 && bn_sweep_list_add(&m->optsets, &m->noptsets, "") < 0) {
    return bn_fail(BN_EXIT_FAIL, "sweep: out of memory");
  }
  if (m->nboards == 0) {
    if (m->program != NULL && strstr(m->program, "{board}") == NULL) {
      const char *base = strrchr(m->program, '/');
      default_board = base != NULL ? base + 1 : m->program; /* the program's own profile */
    }
    if (bn_sweep_list_add(&m->boards, &m->nboards, default_board) < 0) {
      return bn_fail(BN_EXIT_FAIL, "sweep: out of memory");
    }
  } else if (m->program != NULL && strstr(m->program, "{board}") == NULL) {
    return bn_fail(BN_EXIT_USAGE, "sweep: --board with --program needs {board} in the program's path "
                                  "(build/my_board-{board}): a program is built for one profile");
  }
  if (m->nscenarios > BN_SWEEP_DIM_MAX || m->nboards > BN_SWEEP_DIM_MAX || m->noptsets > BN_SWEEP_DIM_MAX) {
    return bn_fail(BN_EXIT_USAGE, "sweep: more than %d values in one dimension", BN_SWEEP_DIM_MAX);
  }
  double cells = (double)m->ncaptures * (double)m->nscenarios * (double)m->nboards * (double)m->noptsets *
                 (double)m->nseeds;
  if (cells > BN_SWEEP_CELLS_MAX) {
    return bn_fail(BN_EXIT_USAGE, "sweep: %.0f cells: at most %u in one matrix", cells, BN_SWEEP_CELLS_MAX);
  }
  m->ncells = (uint64_t)cells;
  return check_ids(m);
}

void bn_sweep_matrix_cell(const bn_sweep_matrix *m, uint64_t i, bn_sweep_cell *c)
{
  c->index = i;
  uint64_t s = i % m->nseeds;
  i /= m->nseeds;
  c->optset = (size_t)(i % m->noptsets);
  i /= m->noptsets;
  c->board = (size_t)(i % m->nboards);
  i /= m->nboards;
  c->scenario = (size_t)(i % m->nscenarios);
  c->capture = (size_t)(i / m->nscenarios);
  for (size_t r = 0; r < m->nseedranges; r++) {
    uint64_t count = m->seeds[r].last - m->seeds[r].first + 1;
    if (s < count) {
      c->seed = m->seeds[r].first + s;
      break;
    }
    s -= count;
  }
  id_prefix(m, c->capture, c->scenario, c->board, c->optset, c->id, sizeof(c->id) - 32);
  size_t n = strlen(c->id);
  snprintf(c->id + n, sizeof(c->id) - n, "-seed-%" PRIu64, c->seed);
}

bool bn_sweep_in_shard(const bn_sweep_cell *c, unsigned k, unsigned n)
{
  return bn_hash_fnv1a64((const uint8_t *)c->id, strlen(c->id)) % n == (uint64_t)(k - 1);
}

void bn_sweep_seeds_text(const bn_sweep_matrix *m, char *buf, size_t size)
{
  size_t n = 0;
  buf[0] = '\0';
  for (size_t r = 0; r < m->nseedranges && n < size; r++) {
    int w = m->seeds[r].first == m->seeds[r].last
              ? snprintf(buf + n, size - n, "%s%" PRIu64, r ? "," : "", m->seeds[r].first)
              : snprintf(buf + n, size - n, "%s%" PRIu64 "-%" PRIu64, r ? "," : "", m->seeds[r].first,
                         m->seeds[r].last);
    n += w > 0 ? (size_t)w : 0;
  }
}

static void free_list(char **v, size_t n)
{
  for (size_t i = 0; i < n; i++) {
    free(v[i]);
  }
  free(v);
}

static void free_inputs(bn_sweep_input *v, size_t n)
{
  for (size_t i = 0; i < n; i++) {
    free(v[i].path);
    free(v[i].stem);
  }
  free(v);
}

void bn_sweep_matrix_free(bn_sweep_matrix *m)
{
  free_inputs(m->captures, m->ncaptures);
  free_inputs(m->scenarios, m->nscenarios);
  free_list(m->boards, m->nboards);
  free_list(m->optsets, m->noptsets);
  free_list(m->apps, m->napps);
  free_list(m->program_args, m->nprogram_args);
  free(m->program);
  free(m->seeds);
  *m = (bn_sweep_matrix){ 0 };
}
