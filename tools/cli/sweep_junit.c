/*
 * A sweep's JUnit XML (sweep_results.h), as GitLab, Jenkins and GitHub's
 * test reporters read it: <testsuites> of one <testsuite> per scenario x
 * profile, one <testcase> per cell (classname boardnet.sweep.SCENARIO.BOARD,
 * name the cell's id) with its seed, exit status and artifact as
 * properties; a divergence is a <failure> (its result line the message), a
 * failed or stalled run an <error>, an incomplete one or one not run
 * <skipped> (never a pass). No times: the file is a function of the results.
 */
#define _GNU_SOURCE
#include "sweep_results.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/* s with XML's five characters escaped, and control characters (not allowed in XML 1.0) as '?'. */
static void xml_text(FILE *out, const char *s)
{
  for (; *s != '\0'; s++) {
    unsigned char c = (unsigned char)*s;
    switch (c) {
    case '<': fputs("&lt;", out); break;
    case '>': fputs("&gt;", out); break;
    case '&': fputs("&amp;", out); break;
    case '"': fputs("&quot;", out); break;
    case '\'': fputs("&apos;", out); break;
    default:
      fputc(c < 0x20 && c != '\n' && c != '\t' ? '?' : c, out);
    }
  }
}

static void attr(FILE *out, const char *name, const char *value)
{
  fprintf(out, " %s=\"", name);
  xml_text(out, value);
  fputc('"', out);
}

/* The counts JUnit's attributes name. */
struct counts {
  uint64_t tests, failures, errors, skipped;
};

static void count(struct counts *c, const bn_sweep_result *r)
{
  c->tests++;
  c->failures += r->status == BN_SWEEP_DIVERGED;
  c->errors += r->status == BN_SWEEP_FAILED || r->status == BN_SWEEP_STALLED;
  c->skipped += r->status == BN_SWEEP_INCOMPLETE || r->status == BN_SWEEP_NOT_RUN;
}

static void counts_attrs(FILE *out, const struct counts *c)
{
  fprintf(out, " tests=\"%" PRIu64 "\" failures=\"%" PRIu64 "\" errors=\"%" PRIu64 "\" skipped=\"%" PRIu64 "\"",
          c->tests, c->failures, c->errors, c->skipped);
}

static void property(FILE *out, const char *name, const char *value)
{
  fprintf(out, "        <property");
  attr(out, "name", name);
  attr(out, "value", value);
  fprintf(out, "/>\n");
}

static void testcase(FILE *out, const bn_sweep_result *r)
{
  char classname[512], text[64];
  snprintf(classname, sizeof(classname), "boardnet.sweep.%s.%s", r->scenario_name, r->board_name);
  fprintf(out, "    <testcase");
  attr(out, "name", r->id);
  attr(out, "classname", classname);
  fprintf(out, ">\n      <properties>\n");
  snprintf(text, sizeof(text), "%" PRIu64, r->seed);
  property(out, "seed", text);
  property(out, "status", bn_sweep_status_name(r->status));
  if (r->exit_status >= 0) {
    snprintf(text, sizeof(text), "%d", r->exit_status);
    property(out, "exit", text);
  }
  if (r->artifact) {
    char rel[BN_SWEEP_ID_MAX + 8];
    snprintf(rel, sizeof(rel), "fail/%s", r->id);
    property(out, "artifact", rel);
  }
  fprintf(out, "      </properties>\n");
  const char *tag = r->status == BN_SWEEP_DIVERGED                                   ? "failure"
                    : r->status == BN_SWEEP_FAILED || r->status == BN_SWEEP_STALLED ? "error"
                    : r->status == BN_SWEEP_SAME                                      ? NULL
                                                                                      : "skipped";
  if (tag != NULL) {
    fprintf(out, "      <%s", tag);
    attr(out, "message", r->message);
    if (strcmp(tag, "skipped") != 0) {
      attr(out, "type", bn_sweep_status_name(r->status));
    }
    fprintf(out, "/>\n");
  }
  fprintf(out, "    </testcase>\n");
}

int bn_sweep_junit(const bn_sweep_results *rs, const char *path)
{
  FILE *out = fopen(path, "w");
  if (out == NULL) {
    return -errno;
  }
  struct counts all = { 0 };
  for (size_t i = 0; i < rs->n; i++) {
    count(&all, &rs->v[i]);
  }
  fprintf(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"boardnet sweep\"");
  counts_attrs(out, &all);
  fprintf(out, ">\n");
  /* one suite per (scenario, board), in order of first appearance in the sorted results */
  bool *done = rs->n ? calloc(rs->n, sizeof(*done)) : NULL;
  if (rs->n > 0 && done == NULL) {
    fclose(out);
    return -ENOMEM;
  }
  for (size_t i = 0; i < rs->n; i++) {
    if (done[i]) {
      continue;
    }
    const bn_sweep_result *lead = &rs->v[i];
    struct counts c = { 0 };
    for (size_t j = i; j < rs->n; j++) {
      if (rs->v[j].scenario == lead->scenario && rs->v[j].board == lead->board) {
        count(&c, &rs->v[j]);
      }
    }
    char name[512];
    snprintf(name, sizeof(name), "%s on %s", lead->scenario_name, lead->board_name);
    fprintf(out, "  <testsuite");
    attr(out, "name", name);
    counts_attrs(out, &c);
    fprintf(out, ">\n");
    for (size_t j = i; j < rs->n; j++) {
      if (rs->v[j].scenario == lead->scenario && rs->v[j].board == lead->board) {
        testcase(out, &rs->v[j]);
        done[j] = true;
      }
    }
    fprintf(out, "  </testsuite>\n");
  }
  free(done);
  fprintf(out, "</testsuites>\n");
  return fclose(out) == 0 ? 0 : -errno;
}
