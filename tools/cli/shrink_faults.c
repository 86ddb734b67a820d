/* A run's faults from its decision log, and a set of them as a scenario (shrink_faults.h). */
#define _GNU_SOURCE
#include "shrink_faults.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

static bn_shrink_fault *add(bn_shrink_fault **v, size_t *n)
{
  bn_shrink_fault *grown = realloc(*v, (*n + 1) * sizeof(**v));
  if (grown == NULL) {
    return NULL;
  }
  *v = grown;
  grown[*n] = (bn_shrink_fault){ 0 };
  return &grown[(*n)++];
}

/* "12.345678" at *p: nanoseconds; advances *p past it and one blank. */
static bool read_time(const char **p, uint64_t *ns)
{
  char *end;
  unsigned long long s = strtoull(*p, &end, 10);
  if (end == *p || *end != '.') {
    return false;
  }
  const char *frac = end + 1;
  unsigned long long us = strtoull(frac, &end, 10);
  if (end - frac != 6 || *end != ' ') {
    return false;
  }
  *ns = (uint64_t)s * 1000000000u + (uint64_t)us * 1000u;
  *p = end + 1;
  return true;
}

/* "# T step line N: TEXT": a fault (a flap, a pool fault), a kept step, or nothing. */
static int step_line(bn_shrink_faults *f, const char *p)
{
  uint64_t at;
  if (!read_time(&p, &at) || strncmp(p, "step line ", 10) != 0) {
    return 0; /* another comment */
  }
  const char *text = strstr(p, ": ");
  if (text == NULL) {
    return -EINVAL;
  }
  text += 2;
  bn_shrink_fault *x = NULL;
  if (strcmp(text, "link up") == 0) {
    for (size_t i = f->n; i-- > 0;) {
      if (f->v[i].step && strcmp(f->v[i].line, "link down") == 0 && f->v[i].until_ns == 0) {
        f->v[i].until_ns = at; /* the flap, whole */
        snprintf(f->v[i].why + strlen(f->v[i].why), sizeof(f->v[i].why) - strlen(f->v[i].why),
                 ", up at %.6f s", (double)at / 1e9);
        break;
      }
    }
    return 0;
  }
  bool fault = strcmp(text, "link down") == 0 || strncmp(text, "pool ", 5) == 0 || strncmp(text, "fail ", 5) == 0;
  bool kept = strcmp(text, "end") == 0 || strcmp(text, "clear pools") == 0;
  if (fault) {
    x = add(&f->v, &f->n);
  } else if (kept) {
    x = add(&f->kept, &f->nkept);
  } else {
    return 0; /* settings: their decisions are the faults */
  }
  if (x == NULL) {
    return -ENOMEM;
  }
  x->step = true;
  x->at_ns = at;
  snprintf(x->line, sizeof(x->line), "%s", text);
  snprintf(x->why, sizeof(x->why), "at %.6f s: %s", (double)at / 1e9, text);
  return 0;
}

/* "T DIR FRAME RULE ACTION [capture N]": an aim at that frame, or no fault of its own. */
static int decision_line(bn_shrink_faults *f, const char *p)
{
  uint64_t at;
  if (!read_time(&p, &at)) {
    return -EINVAL;
  }
  const char *dir = strncmp(p, "egress ", 7) == 0 ? "egress" : strncmp(p, "ingress ", 8) == 0 ? "ingress" : NULL;
  if (dir == NULL) {
    return -EINVAL;
  }
  p += strlen(dir) + 1;
  char *end;
  unsigned long long frame = strtoull(p, &end, 10);
  if (end == p || *end != ' ') {
    return -EINVAL;
  }
  p = end + 1;
  const char *rule = p;
  if (*p == '"') { /* a quoted filter: \" and \\ escaped */
    for (p++; *p != '\0' && *p != '"'; p++) {
      p += *p == '\\' && p[1] != '\0';
    }
    if (*p != '"') {
      return -EINVAL;
    }
    p++;
  } else if (*p == '*') {
    p++;
  } else {
    return -EINVAL;
  }
  int rule_len = (int)(p - rule);
  if (*p++ != ' ') {
    return -EINVAL;
  }
  char action[96];
  size_t alen = strcspn(p, "\n");
  const char *capture = strstr(p, " capture ");
  uint64_t capture_no = 0;
  if (capture != NULL && (size_t)(capture - p) < alen) {
    alen = (size_t)(capture - p);
    capture_no = strtoull(capture + 9, NULL, 10); /* "-" or "?": 0, not known */
  }
  if (alen == 0 || alen >= sizeof(action)) {
    return -EINVAL;
  }
  memcpy(action, p, alen);
  action[alen] = '\0';
  const char *aim;
  if (strcmp(action, "drop link") == 0 || frame == 0) {
    f->skipped_link++; /* the flap's doing (frame 0: held before the start, dropped by it) */
    return 0;
  }
  if (strcmp(action, "reorder") == 0) {
    f->skipped_reorder++; /* sent ahead of frames the others' delays hold */
    return 0;
  }
  if (strncmp(action, "drop ", 5) == 0) {
    aim = "drop";
  } else if (strcmp(action, "duplicate") == 0 || strncmp(action, "corrupt byte ", 13) == 0 ||
             strncmp(action, "delay ", 6) == 0) {
    aim = action;
  } else {
    return -EINVAL;
  }
  bn_shrink_fault *x = add(&f->v, &f->n);
  if (x == NULL) {
    return -ENOMEM;
  }
  x->ingress = dir[0] == 'i';
  x->frame = frame;
  x->capture = capture_no;
  snprintf(x->action, sizeof(x->action), "%s", aim);
  snprintf(x->line, sizeof(x->line), "%s nth %llu %s", dir, frame, aim);
  snprintf(x->why, sizeof(x->why), "%s frame %llu at %.6f s: %s (rule %.*s)", dir, frame, (double)at / 1e9, action,
           rule_len > 60 ? 60 : rule_len, rule);
  return 0;
}

int bn_shrink_faults_read(const char *path, bn_shrink_faults *f, unsigned *line)
{
  FILE *in = fopen(path, "r");
  if (in == NULL) {
    return -errno;
  }
  char *buf = NULL;
  size_t cap = 0;
  ssize_t len;
  int rc = 0;
  *line = 0;
  while (rc == 0 && (len = getline(&buf, &cap, in)) >= 0) {
    ++*line;
    if (len > 0 && buf[len - 1] == '\n') {
      buf[--len] = '\0';
    }
    if (len == 0) {
      continue;
    }
    rc = strncmp(buf, "# ", 2) == 0 ? step_line(f, buf + 2) : decision_line(f, buf);
  }
  free(buf);
  fclose(in);
  return rc;
}

/* A timed line of a scenario being written. */
struct timed {
  uint64_t ns;
  size_t order;            /* as found: equal times keep it */
  const char *line, *why;
};

static int by_time(const void *a, const void *b)
{
  const struct timed *x = a, *y = b;
  return x->ns != y->ns ? (x->ns < y->ns ? -1 : 1) : (x->order < y->order ? -1 : x->order > y->order);
}

int bn_shrink_write_scenario(const bn_shrink_faults *f, const size_t *pick, size_t n, const char *source,
                             const char *path)
{
  struct timed *t = malloc((2 * n + f->nkept + 1) * sizeof(*t));
  if (t == NULL) {
    return -ENOMEM;
  }
  size_t nt = 0;
  for (size_t i = 0; i < n; i++) {
    const bn_shrink_fault *x = &f->v[pick[i]];
    if (x->step) {
      t[nt] = (struct timed){ x->at_ns, nt, x->line, x->why };
      nt++;
      if (x->until_ns != 0) {
        t[nt] = (struct timed){ x->until_ns, nt, "link up", NULL };
        nt++;
      }
    }
  }
  for (size_t i = 0; i < f->nkept; i++) {
    t[nt] = (struct timed){ f->kept[i].at_ns, nt, f->kept[i].line, NULL };
    nt++;
  }
  qsort(t, nt, sizeof(*t), by_time);
  FILE *out = fopen(path, "w");
  if (out == NULL) {
    int e = errno;
    free(t);
    return -e;
  }
  fprintf(out, "# boardnet shrink: %zu of the %zu faults of %s, each as the run injected it\n", n, f->n, source);
  for (size_t i = 0; i < n; i++) { /* the aims: at time 0, each counting its direction's frames from there */
    const bn_shrink_fault *x = &f->v[pick[i]];
    if (!x->step) {
      fprintf(out, "at 0s %-36s # %s\n", x->line, x->why);
    }
  }
  for (size_t i = 0; i < nt; i++) { /* then the steps, at their times (microseconds, as the log has them) */
    fprintf(out, "at %" PRIu64 "us %-32s%s%s\n", t[i].ns / 1000u, t[i].line, t[i].why ? " # " : "",
            t[i].why ? t[i].why : "");
  }
  free(t);
  return fclose(out) == 0 ? 0 : -errno;
}

void bn_shrink_faults_free(bn_shrink_faults *f)
{
  free(f->v);
  free(f->kept);
  *f = (bn_shrink_faults){ 0 };
}
