/*
 * A sweep's report from its results (sweep_results.h): the table per
 * scenario x profile, summary.json and the JUnit XML. Each is a function of
 * the sorted results and the matrix alone.
 */
#define _GNU_SOURCE
#include "sweep_results.h"
#include "bn_json.h"
#include "exit_status.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/* The cells of one scenario on one profile. */
struct group {
  size_t scenario, board;
  const char *scenario_name, *board_name;
  uint64_t count[BN_SWEEP_STATUSES];
  uint64_t runs;
};

/* The groups in order of (scenario, board); *n set. NULL when out of memory. */
static struct group *groups_of(const bn_sweep_results *rs, size_t *n)
{
  struct group *g = NULL;
  *n = 0;
  for (size_t i = 0; i < rs->n; i++) {
    const bn_sweep_result *r = &rs->v[i];
    size_t k = 0;
    while (k < *n && (g[k].scenario != r->scenario || g[k].board != r->board)) {
      k++;
    }
    if (k == *n) {
      struct group *grown = realloc(g, (*n + 1) * sizeof(*g));
      if (grown == NULL) {
        free(g);
        return NULL;
      }
      g = grown;
      g[k] = (struct group){ .scenario = r->scenario, .board = r->board, .scenario_name = r->scenario_name,
                             .board_name = r->board_name };
      (*n)++;
    }
    g[k].count[r->status]++;
    g[k].runs += r->status != BN_SWEEP_NOT_RUN;
  }
  for (size_t a = 1; a < *n; a++) { /* insertion sort: few groups */
    struct group t = g[a];
    size_t b = a;
    while (b > 0 && (g[b - 1].scenario > t.scenario || (g[b - 1].scenario == t.scenario && g[b - 1].board > t.board))) {
      g[b] = g[b - 1];
      b--;
    }
    g[b] = t;
  }
  return g;
}

static bool in_group(const bn_sweep_result *r, const struct group *g)
{
  return r->scenario == g->scenario && r->board == g->board;
}

/* ---- the table ------------------------------------------------------------------------ */

static void table(FILE *out, const bn_sweep_results *rs, const struct group *g, size_t ng)
{
  int ws = 8, wb = 5;
  for (size_t k = 0; k < ng; k++) {
    int a = (int)strlen(g[k].scenario_name), b = (int)strlen(g[k].board_name);
    ws = a > ws ? a : ws;
    wb = b > wb ? b : wb;
  }
  fprintf(out, "%-*s  %-*s  %6s  %6s  %8s  %10s  %6s  %7s  %7s  %s\n", ws, "scenario", wb, "board", "runs", "same",
          "diverged", "incomplete", "failed", "stalled", "not run", "failing seeds");
  for (size_t k = 0; k < ng; k++) {
    const uint64_t *c = g[k].count;
    fprintf(out, "%-*s  %-*s  %6" PRIu64 "  %6" PRIu64 "  %8" PRIu64 "  %10" PRIu64 "  %6" PRIu64 "  %7" PRIu64
                 "  %7" PRIu64 "  ", ws, g[k].scenario_name, wb, g[k].board_name, g[k].runs, c[BN_SWEEP_SAME],
            c[BN_SWEEP_DIVERGED], c[BN_SWEEP_INCOMPLETE], c[BN_SWEEP_FAILED], c[BN_SWEEP_STALLED],
            c[BN_SWEEP_NOT_RUN]);
    unsigned shown = 0, failing = 0;
    for (size_t i = 0; i < rs->n; i++) {
      if (in_group(&rs->v[i], &g[k]) && bn_sweep_status_fails(rs->v[i].status)) {
        if (shown < 20) {
          fprintf(out, "%s%" PRIu64, shown ? "," : "", rs->v[i].seed);
          shown++;
        }
        failing++;
      }
    }
    if (failing > shown) {
      fprintf(out, " (+%u more: summary.json)", failing - shown);
    }
    fprintf(out, "%s\n", failing ? "" : "-");
  }
}

/* ---- summary.json ------------------------------------------------------------------------ */

static void totals_json(FILE *out, const uint64_t *c, uint64_t runs, const char *indent)
{
  fprintf(out, "\"runs\": %" PRIu64, runs);
  for (int s = 0; s < BN_SWEEP_STATUSES; s++) {
    fprintf(out, ",%s\"%s\": %" PRIu64, indent, s == BN_SWEEP_NOT_RUN ? "not_run" : bn_sweep_status_name(s), c[s]);
  }
}

static int summary_json(const char *path, const bn_sweep_results *rs, const char *matrix_json, const struct group *g,
                        size_t ng)
{
  FILE *out = fopen(path, "w");
  if (out == NULL) {
    return -errno;
  }
  uint64_t all[BN_SWEEP_STATUSES] = { 0 }, runs = 0;
  for (size_t i = 0; i < rs->n; i++) {
    all[rs->v[i].status]++;
    runs += rs->v[i].status != BN_SWEEP_NOT_RUN;
  }
  fprintf(out, "{\n  \"boardnet_sweep\": 1,\n  \"matrix\": %s,\n  \"totals\": {", matrix_json);
  totals_json(out, all, runs, " ");
  fprintf(out, "},\n  \"groups\": [");
  for (size_t k = 0; k < ng; k++) {
    fprintf(out, "%s\n    {\"scenario\": ", k ? "," : "");
    bn_json_string(out, g[k].scenario_name);
    fprintf(out, ", \"board\": ");
    bn_json_string(out, g[k].board_name);
    fprintf(out, ", ");
    totals_json(out, g[k].count, g[k].runs, " ");
    fprintf(out, ", \"failing_seeds\": [");
    bool first = true;
    for (size_t i = 0; i < rs->n; i++) {
      if (in_group(&rs->v[i], &g[k]) && bn_sweep_status_fails(rs->v[i].status)) {
        fprintf(out, "%s%" PRIu64, first ? "" : ", ", rs->v[i].seed);
        first = false;
      }
    }
    fprintf(out, "]}");
  }
  fprintf(out, "%s],\n  \"cells\": [", ng ? "\n  " : "");
  for (size_t i = 0; i < rs->n; i++) {
    const bn_sweep_result *r = &rs->v[i];
    fprintf(out, "%s\n    {\"id\": ", i ? "," : "");
    bn_json_string(out, r->id);
    fprintf(out, ", \"capture\": %zu, \"scenario\": ", r->capture);
    bn_json_string(out, r->scenario_name);
    fprintf(out, ", \"board\": ");
    bn_json_string(out, r->board_name);
    fprintf(out, ", \"option_set\": %zu, \"seed\": %" PRIu64 ", \"status\": \"%s\", \"exit\": ", r->optset,
            r->seed, bn_sweep_status_name(r->status));
    if (r->exit_status < 0) {
      fprintf(out, "null");
    } else {
      fprintf(out, "%d", r->exit_status);
    }
    fprintf(out, ", \"artifact\": ");
    if (r->artifact) {
      char rel[BN_SWEEP_ID_MAX + 8];
      snprintf(rel, sizeof(rel), "fail/%s", r->id);
      bn_json_string(out, rel);
    } else {
      fprintf(out, "null");
    }
    fprintf(out, ", \"message\": ");
    bn_json_string(out, r->message);
    fputc('}', out);
  }
  fprintf(out, "%s]\n}\n", rs->n ? "\n  " : "");
  return fclose(out) == 0 ? 0 : -errno;
}

int bn_sweep_report(const bn_sweep_results *rs, const char *matrix_json, const char *dir, const char *junit, FILE *out)
{
  size_t ng;
  struct group *g = groups_of(rs, &ng);
  if (g == NULL && rs->n > 0) {
    return bn_fail(BN_EXIT_FAIL, "sweep: out of memory");
  }
  char path[4096];
  int rc = 0;
  snprintf(path, sizeof(path), "%.4000s/summary.json", dir);
  if (summary_json(path, rs, matrix_json, g, ng) != 0) {
    rc = bn_fail(BN_EXIT_FAIL, "sweep: %s: %s", path, strerror(errno));
  }
  snprintf(path, sizeof(path), "%.4000s/table.txt", dir);
  FILE *t = fopen(path, "w");
  if (t != NULL) {
    table(t, rs, g, ng);
  }
  if (t == NULL || fclose(t) != 0) {
    rc = bn_fail(BN_EXIT_FAIL, "sweep: %s: %s", path, strerror(errno));
  }
  if (junit != NULL && bn_sweep_junit(rs, junit) != 0) {
    rc = bn_fail(BN_EXIT_FAIL, "sweep: --junit %s: %s", junit, strerror(errno));
  }
  table(out, rs, g, ng);
  free(g);
  return rc;
}
