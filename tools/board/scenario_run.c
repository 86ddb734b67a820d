/*
 * A board run's scenario (scenario_run.h): the files its options name, the
 * --stats thread, the summary, and each step's effects outside the link.
 */
#include "scenario_run.h"
#include "bn_json.h"
#include "bn_board.h"
#include "bn_pool_faults.h"
#include "decision_numbers.h"
#include "link_record.h"
#include "exit_status.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static bn_mutex_t stats_lock = BN_MUTEX_INITIALIZER;
static bn_cond_t stats_cond;

static FILE *open_output(const char *option, const char *path)
{
  if (strcmp(path, "-") == 0) {
    return stderr;
  }
  FILE *f = fopen(path, "w");
  if (f == NULL) {
    bn_fail(0, "%s %s: %s", option, path, strerror(errno));
  }
  return f;
}

int bn_scenario_link(bn_scn_scenario *over, bn_scn_scenario *out, char name[BN_SCENARIO_LINK_NAME])
{
  size_t len;
  const char *text = bn_board_link(&len);
  char err[BN_SCN_ERRLEN];
  snprintf(name, BN_SCENARIO_LINK_NAME, "%s:link.scn", bn_board_name());
  int rc = 0;
  if (text == NULL) {
    rc = bn_fail(BN_EXIT_USAGE, "--link board: board %s has no link character (stack/boards/%s/link.scn)",
                 bn_board_name(), bn_board_name());
  } else if (bn_scn_parse(name, text, len, out, err) < 0) {
    rc = bn_fail(BN_EXIT_FAIL, "%s", err); /* a profile's own file: built and tested, so never */
  } else if (over != NULL && bn_scn_merge(out, over) < 0) {
    bn_scn_free(out);
    rc = bn_fail(BN_EXIT_FAIL, "out of memory");
  }
  if (rc != 0 && over != NULL) {
    bn_scn_free(over);
  }
  return rc;
}

/* --link board: the profile's built-in link.scn is the scenario, or the
 * base of --scenario's (whose lines replace the link's, as later lines do). */
static int load_link(bn_scenario_run *r, char err[BN_SCN_ERRLEN])
{
  if (r->path == NULL) {
    r->path = r->link_name;
    return bn_scenario_link(NULL, &r->scn, r->link_name);
  }
  bn_scn_scenario own;
  if (bn_scn_load(r->path, &own, err) < 0) {
    return bn_fail(BN_EXIT_USAGE, "%s", err);
  }
  return bn_scenario_link(&own, &r->scn, r->link_name);
}

int bn_scenario_run_prepare(bn_scenario_run *r, const char *record_path)
{
  char err[BN_SCN_ERRLEN];
  if (r->board_link) {
    int rc = load_link(r, err);
    if (rc != 0) {
      return rc;
    }
  } else if (r->path == NULL) {
    if (r->stats_interval_ns != 0 || r->stats_json != NULL || r->decisions_path != NULL) {
      return bn_fail(BN_EXIT_USAGE, "--stats, --stats-json and --decisions need --scenario FILE or --link board");
    }
    return 0;
  } else if (bn_scn_load(r->path, &r->scn, err) < 0) {
    return bn_fail(BN_EXIT_USAGE, "%s", err);
  }
  r->loaded = true;
  for (size_t i = 0; i < r->scn.n_steps; i++) {
    const bn_scn_step *st = &r->scn.steps[i];
    bool fail = st->kind == BN_SCN_STEP_POOL_FAIL;
    if ((fail || st->kind == BN_SCN_STEP_POOL_EXHAUST) && !bn_pool_faults_known(st->pool.name, fail)) {
      char names[1024];
      bn_pool_faults_names(names, sizeof(names));
      fprintf(stderr, "boardnet: %s:%u:%u: '%s': board %s has no such lwIP pool\n  pools: %s%s\n",
              st->source != NULL ? st->source : r->path, st->line,
              st->pool.col, st->pool.name, bn_board_name(), names, fail ? ", heap" : "");
      return BN_EXIT_USAGE;
    }
  }
  if (r->decisions_path != NULL && (r->decisions = open_output("--decisions", r->decisions_path)) == NULL) {
    return BN_EXIT_FAIL;
  }
  if (record_path != NULL && strcmp(record_path, "-") != 0) {
    char path[4096];
    snprintf(path, sizeof(path), "%s.events", record_path);
    if ((r->events = open_output("--record", path)) == NULL) {
      return BN_EXIT_FAIL;
    }
    fprintf(r->events, "# scenario %s: each step as it took effect (wall-clock time as in %s, "
            "seconds from the start, its line)\n", r->path, record_path);
  }
  return 0;
}

/* A step's effects outside the link (the pump's thread). */
static void on_step(void *arg, const bn_scn_scenario *s, const bn_scn_step *st)
{
  bn_scenario_run *r = arg;
  switch (st->kind) {
  case BN_SCN_STEP_POOL_EXHAUST:
    bn_pool_faults_exhaust(st->pool.name, st->pool.share_pct);
    break;
  case BN_SCN_STEP_POOL_FAIL:
    bn_pool_faults_fail_next(st->pool.name, st->pool.next);
    break;
  case BN_SCN_STEP_CLEAR_POOLS:
    bn_pool_faults_clear();
    break;
  default:
    break;
  }
  char text[1024];
  bn_scn_step_format(s, st, text, sizeof(text));
  if (r->events != NULL) {
    /* the recording's own wall clock: the same offset as its timestamps */
    uint64_t wall = bn_clock_wall_ns(bn_clock_now_ns());
    time_t secs = (time_t)(wall / 1000000000u);
    struct tm tm;
    gmtime_r(&secs, &tm);
    char when[32];
    strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
    fprintf(r->events, "%s.%06luZ %.6f line %u: %s\n", when, (unsigned long)(wall % 1000000000u / 1000u),
            (double)st->at_ns / 1e9, st->line, text);
    fflush(r->events);
  }
  if (r->link != NULL) {
    char mark[1100];
    snprintf(mark, sizeof(mark), "boardnet scenario %s at %.3fs line %u: %s", st->source != NULL ? st->source : r->path,
             (double)st->at_ns / 1e9,
             st->line, text);
    bn_link_record_mark(r->link, bn_clock_now_ns(), mark);  /* -ENOENT: not recording */
  }
  if (r->out != NULL) {
    fprintf(r->out, "boardnet: scenario at %.3f s (%s%sline %u): %s\n", (double)st->at_ns / 1e9,
            st->source != NULL ? st->source : "", st->source != NULL ? " " : "", st->line, text);
    fflush(r->out);
  }
}

bn_impair_options bn_scenario_run_stage(bn_scenario_run *r, uint64_t seed)
{
  r->seed = seed;
  bn_impair_options o = { 0 };
  if (r->loaded) {
    o.scenario = &r->scn;
    o.seed = seed;
    o.decisions = r->decisions;
    o.log_index = r->decisions != NULL && r->record_path != NULL && strcmp(r->decisions_path, "-") != 0
                    ? &r->log_index : NULL;
    o.on_step = on_step;
    o.on_step_arg = r;
    o.final_stats = &r->final;
    o.start_later = true;  /* time 0: the board is up, its apps listen (bn_scenario_run_start()) */
  }
  return o;
}

/* ---- --stats --------------------------------------------------------------- */

static uint64_t dropped(const bn_impair_dir_stats *d)
{
  return d->lost + d->blackholed + d->limited + d->too_big + d->link_down + d->aimed;
}

/* The counters of now minus those of before (queued stays as it is now). */
static bn_impair_dir_stats delta(const bn_impair_dir_stats *now, const bn_impair_dir_stats *before)
{
  bn_impair_dir_stats d = *now;
  uint64_t *a = (uint64_t *)&d;
  const uint64_t *b = (const uint64_t *)before;
  size_t n = offsetof(bn_impair_dir_stats, queued) / sizeof(uint64_t);
  for (size_t i = 0; i < n; i++) {
    a[i] -= b[i];
  }
  return d;
}

static void print_dir(FILE *out, const char *name, const bn_impair_dir_stats *d)
{
  fprintf(out, " %s %" PRIu64 " fr %.1f kB", name, d->frames, (double)d->bytes / 1000.0);
  uint64_t drop = dropped(d);
  if (drop != 0) {
    fprintf(out, ", dropped %" PRIu64 " (", drop);
    const char *sep = "";
    const struct {
      const char *why;
      uint64_t n;
    } why[] = { { "loss", d->lost }, { "blackhole", d->blackholed }, { "limit", d->limited },
                { "mtu", d->too_big }, { "link", d->link_down }, { "aim", d->aimed } };
    for (size_t i = 0; i < sizeof(why) / sizeof(why[0]); i++) {
      if (why[i].n != 0) {
        fprintf(out, "%s%s %" PRIu64, sep, why[i].why, why[i].n);
        sep = " ";
      }
    }
    fprintf(out, ")");
  }
  fprintf(out, ", dup %" PRIu64 " corrupt %" PRIu64 " reorder %" PRIu64 " delayed %" PRIu64 " queued %" PRIu64 ";",
          d->duplicated, d->corrupted, d->reordered, d->delayed, d->queued);
}

static void json_dir(char *buf, size_t size, const char *name, const bn_impair_dir_stats *d)
{
  snprintf(buf, size,
           "\"%s\": {\"frames\": %" PRIu64 ", \"bytes\": %" PRIu64 ", \"passed\": %" PRIu64 ", \"passed_bytes\": %" PRIu64
           ", \"dropped\": {\"loss\": %" PRIu64 ", \"blackhole\": %" PRIu64 ", \"limit\": %" PRIu64 ", \"mtu\": %" PRIu64
           ", \"link\": %" PRIu64 ", \"aim\": %" PRIu64 "}, \"duplicated\": %" PRIu64 ", \"corrupted\": %" PRIu64
           ", \"reordered\": %" PRIu64 ", \"delayed\": %" PRIu64 ", \"queued\": %" PRIu64 "}",
           name, d->frames, d->bytes, d->passed, d->passed_bytes, d->lost, d->blackholed, d->limited, d->too_big,
           d->link_down, d->aimed, d->duplicated, d->corrupted, d->reordered, d->delayed, d->queued);
}

/* One object of the stats: {"t": ..., "egress": {...}, "ingress": {...}, "step_line": N}. */
static void json_object(char *buf, size_t size, const bn_impair_stats *st, const bn_impair_dir_stats *eg,
                        const bn_impair_dir_stats *in)
{
  char e[1024], i[1024];
  json_dir(e, sizeof(e), "egress", eg);
  json_dir(i, sizeof(i), "ingress", in);
  snprintf(buf, size, "{\"t\": %.3f, %s, %s, \"steps_done\": %zu, \"step_line\": %u, \"link_up\": %s}",
           (double)st->elapsed_ns / 1e9, e, i, st->steps_done, st->step_line, st->link_up ? "true" : "false");
}

static void json_append(bn_scenario_run *r, const char *obj)
{
  size_t n = strlen(obj) + 8;
  if (r->json_len + n > r->json_cap) {
    size_t cap = (r->json_cap + n) * 2;
    char *grown = realloc(r->json, cap);
    if (grown == NULL) {
      return;  /* the interval is left out; the total is still written */
    }
    r->json = grown;
    r->json_cap = cap;
  }
  r->json_len += (size_t)sprintf(r->json + r->json_len, "%s\n    %s", r->json_len ? "," : "", obj);
}

static void *stats_main(void *arg)
{
  bn_scenario_run *r = arg;
  bn_impair_stats before = { 0 };
  uint64_t next = bn_clock_now_ns();
  bn_mutex_lock(&stats_lock);
  while (!__atomic_load_n(&r->stop, __ATOMIC_ACQUIRE)) {
    next += r->stats_interval_ns;
    while (!__atomic_load_n(&r->stop, __ATOMIC_ACQUIRE) && bn_cond_wait(&stats_cond, &stats_lock, next) == 0) {
    }
    if (__atomic_load_n(&r->stop, __ATOMIC_ACQUIRE)) {
      break;
    }
    bn_impair_stats now;
    if (bn_link_impair_stats(r->link, &now) < 0) {
      break;
    }
    bn_impair_dir_stats eg = delta(&now.egress, &before.egress), in = delta(&now.ingress, &before.ingress);
    if (r->print_lines) {
      fprintf(r->out, "boardnet: [%7.1fs]", (double)now.elapsed_ns / 1e9);
      print_dir(r->out, "egress", &eg);
      print_dir(r->out, "ingress", &in);
      if (now.step_line != 0) {
        char text[256];
        bn_scn_step_format(&r->scn, &r->scn.steps[now.steps_done - 1], text, sizeof(text));
        fprintf(r->out, " step: line %u %s", now.step_line, text);
      }
      fprintf(r->out, "\n");
      fflush(r->out);
    }
    if (r->stats_json != NULL) {
      char obj[4096];
      json_object(obj, sizeof(obj), &now, &eg, &in);
      json_append(r, obj);
    }
    before = now;
  }
  bn_mutex_unlock(&stats_lock);
  return NULL;
}

int bn_scenario_run_start(bn_scenario_run *r, bn_link *link, FILE *out)
{
  if (!r->loaded) {
    return 0;
  }
  r->link = link;
  r->out = out;
  if (out != NULL) {
    fprintf(out, "boardnet: scenario %s: %zu step%s, seed %" PRIu64 "\n", r->path, r->scn.n_steps,
            r->scn.n_steps == 1 ? "" : "s", r->seed);
    fflush(out);
  }
  bn_link_impair_start(link);
  if (r->stats_interval_ns == 0 && r->stats_json == NULL) {
    return 0;
  }
  r->print_lines = r->stats_interval_ns != 0 && out != NULL;
  if (r->stats_interval_ns == 0) {
    r->stats_interval_ns = 1000000000u;  /* --stats-json alone: one interval a second */
  }
  bn_cond_init(&stats_cond);
  if (bn_thread_create(&r->thread, "bn-stats", stats_main, r) != 0) {
    return bn_fail(BN_EXIT_FAIL, "cannot start the --stats thread");
  }
  r->thread_running = true;
  return 0;
}

bool bn_scenario_run_ended(bn_scenario_run *r)
{
  bn_impair_stats st;
  return r->loaded && r->link != NULL && bn_link_impair_stats(r->link, &st) == 0 && st.ended;
}

void bn_scenario_run_stop(bn_scenario_run *r)
{
  if (r->thread_running) {
    bn_mutex_lock(&stats_lock);
    __atomic_store_n(&r->stop, 1, __ATOMIC_RELEASE);
    bn_cond_signal(&stats_cond);
    bn_mutex_unlock(&stats_lock);
    bn_thread_join(r->thread, NULL);
    r->thread_running = false;
  }
}

static void close_output(FILE *f)
{
  if (f != NULL && f != stderr) {
    fclose(f);
  } else if (f != NULL) {
    fflush(f);
  }
}

int bn_scenario_run_finish(bn_scenario_run *r)
{
  if (!r->loaded) {
    return 0;
  }
  int rc = 0;
  const bn_impair_stats *st = &r->final;
  if (r->out != NULL) {
    FILE *out = r->out;
    fprintf(out, "boardnet: scenario %s: %.1f s, %zu of %zu step%s%s;", r->path, (double)st->elapsed_ns / 1e9,
            st->steps_done, r->scn.n_steps, r->scn.n_steps == 1 ? "" : "s", st->ended ? " (ended)" : "");
    print_dir(out, "egress", &st->egress);
    print_dir(out, "ingress", &st->ingress);
    uint64_t refused = bn_pool_faults_refused();
    if (refused != 0) {
      fprintf(out, " allocations refused %" PRIu64 ";", refused);
    }
    fprintf(out, "\n");
    fflush(out);
  }
  if (r->stats_json != NULL) {
    FILE *f = open_output("--stats-json", r->stats_json);
    if (f == NULL) {
      rc = BN_EXIT_FAIL;
    } else {
      char total[4096];
      json_object(total, sizeof(total), st, &st->egress, &st->ingress);
      fprintf(f, "{\n  \"scenario\": ");
      bn_json_string(f, r->path);
      fprintf(f, ",\n  \"seed\": %" PRIu64 ",\n  \"interval_s\": %.3f,\n"
              "  \"intervals\": [%s\n  ],\n  \"total\": %s,\n  \"allocations_refused\": %" PRIu64 "\n}\n",
              r->seed, (double)r->stats_interval_ns / 1e9, r->json ? r->json : "", total,
              bn_pool_faults_refused());
      if (fflush(f) != 0 || ferror(f)) {
        rc = bn_fail(BN_EXIT_FAIL, "--stats-json %s: %s", r->stats_json, strerror(errno));
      }
      close_output(f);
    }
  }
  bn_pool_faults_clear();  /* the board has stopped: nothing allocates any more */
  close_output(r->decisions);
  r->decisions = NULL;
  if (r->log_index.n > 0) {
    char err[BN_DECISION_NUMBERS_ERRLEN] = "";
    if (bn_decisions_number(r->decisions_path, r->record_path, r->board_mac, &r->log_index, err) < 0) {
      bn_fail(0, "--decisions %s: its lines have no capture numbers: %s", r->decisions_path, err);
    }
  }
  free(r->log_index.v);
  r->log_index = (bn_impair_log_index){ 0 };
  close_output(r->events);
  free(r->json);
  bn_scn_free(&r->scn);
  r->loaded = false;
  return rc;
}
