/*
 * Writes a timeline back in the scenario language (scn.h): what
 * `boardnet check` prints, one directive per line with its absolute time
 * and every value in its canonical unit, so that it parses back to the
 * same timeline.
 */
#include "scn.h"
#include "scn_units.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* A bounded string builder: appends as snprintf would, never overflows. */
struct out {
  char *buf;
  size_t size, len;  /* len may pass size: the length needed */
};

static void put(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put(struct out *o, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  size_t room = o->len < o->size ? o->size - o->len : 0;
  int n = vsnprintf(room ? o->buf + o->len : NULL, room, fmt, ap);
  va_end(ap);
  if (n > 0) {
    o->len += (size_t)n;
  }
}

static void put_time(struct out *o, const char *before, uint64_t ns)
{
  char t[32];
  bn_scn_format_time(t, sizeof(t), ns);
  put(o, "%s%s", before, t);
}

static void put_pct(struct out *o, double pct)
{
  char t[64];
  bn_scn_format_percent(t, sizeof(t), pct);
  put(o, " %s", t);
}

static void put_chance(struct out *o, const char *word, const bn_scn_chance *c)
{
  put(o, " %s", word);
  put_pct(o, c->pct);
  if (c->corr_pct != 0) {
    put_pct(o, c->corr_pct);
  }
}

static void put_quals(struct out *o, const bn_scn_scenario *s, const bn_scn_step *st)
{
  put(o, "%s", bn_scn_dir_name(st->dir));
  if (st->match >= 0) {
    put(o, " match \"");
    for (const char *c = s->matches[st->match].filter; *c != '\0'; c++) {
      put(o, "%s%c", *c == '"' || *c == '\\' ? "\\" : "", *c);
    }
    put(o, "\"");
  }
}

static void put_netem(struct out *o, const bn_scn_netem *nm)
{
  if (nm->set & BN_SCN_NM_DELAY) {
    put_time(o, " delay ", nm->delay.time_ns);
    if (nm->delay.jitter_ns != 0 || nm->delay.corr_pct != 0) {
      put_time(o, " ", nm->delay.jitter_ns);
      if (nm->delay.corr_pct != 0) {
        put_pct(o, nm->delay.corr_pct);
      }
    }
    if (nm->delay.dist != BN_SCN_DIST_UNIFORM) {
      put(o, " distribution %s", bn_scn_dist_name(nm->delay.dist));
    }
  }
  if (nm->set & BN_SCN_NM_LOSS) {
    static const char *const models[] = { "random", "state", "gemodel" };
    static const size_t counts[] = { 2, 5, 4 };
    size_t n = counts[nm->loss.model];
    if (nm->loss.model == BN_SCN_LOSS_RANDOM && nm->loss.pct[1] == 0) {
      n = 1;
    }
    put(o, " loss %s", models[nm->loss.model]);
    for (size_t i = 0; i < n; i++) {
      put_pct(o, nm->loss.pct[i]);
    }
  }
  if (nm->set & BN_SCN_NM_DUPLICATE) {
    put_chance(o, "duplicate", &nm->duplicate);
  }
  if (nm->set & BN_SCN_NM_CORRUPT) {
    put_chance(o, "corrupt", &nm->corrupt);
  }
  if (nm->set & BN_SCN_NM_REORDER) {
    put_chance(o, "reorder", &nm->reorder.chance);
    if (nm->reorder.chance.pct > 0) {  /* tc takes a gap only with a probability */
      put(o, " gap %" PRIu32, nm->reorder.gap);
    }
  }
  if (nm->set & BN_SCN_NM_RATE) {
    char r[32];
    bn_scn_format_rate(r, sizeof(r), nm->rate.bits_per_s);
    put(o, " rate %s", r);
    if (nm->rate.packet_overhead != 0 || nm->rate.cell_size != 0 || nm->rate.cell_overhead != 0) {
      put(o, " %" PRId32, nm->rate.packet_overhead);
      if (nm->rate.cell_size != 0 || nm->rate.cell_overhead != 0) {
        put(o, " %" PRIu32, nm->rate.cell_size);
        if (nm->rate.cell_overhead != 0) {
          put(o, " %" PRId32, nm->rate.cell_overhead);
        }
      }
    }
  }
  if (nm->set & BN_SCN_NM_LIMIT) {
    put(o, " limit %" PRIu32, nm->limit);
  }
  if (nm->set & BN_SCN_NM_SLOT) {
    if (nm->slot.dist_set) {
      put(o, " slot distribution %s", bn_scn_dist_name(nm->slot.dist));
      put_time(o, " ", nm->slot.delay_ns);
      put_time(o, " ", nm->slot.jitter_ns);
    } else {
      put_time(o, " slot ", nm->slot.min_ns);
      if (nm->slot.max_ns != nm->slot.min_ns) {
        put_time(o, " ", nm->slot.max_ns);
      }
    }
    if (nm->slot.packets != 0) {
      put(o, " packets %" PRIu32, nm->slot.packets);
    }
    if (nm->slot.bytes != 0) {
      put(o, " bytes %" PRIu32, nm->slot.bytes);
    }
  }
  if (nm->set & BN_SCN_NM_MTU) {
    put(o, " mtu %" PRIu32, nm->mtu);
  }
  if (nm->set & BN_SCN_NM_BLACKHOLE) {
    put(o, " blackhole");
  }
}

int bn_scn_step_format(const bn_scn_scenario *s, const bn_scn_step *st, char *buf, size_t size)
{
  static const char *const sels[] = { "nth", "first", "every" };
  static const char *const acts[] = { "drop", "corrupt", "duplicate", "delay" };
  struct out o = { .buf = buf, .size = size };
  if (size > 0) {
    buf[0] = '\0';
  }
  switch (st->kind) {
  case BN_SCN_STEP_IMPAIR:
    put_quals(&o, s, st);
    put_netem(&o, &st->netem);
    break;
  case BN_SCN_STEP_AIM:
    put_quals(&o, s, st);
    put(&o, " %s %" PRIu32 " %s", sels[st->aim.select], st->aim.n, acts[st->aim.action]);
    if (st->aim.action == BN_SCN_ACT_DELAY) {
      put_time(&o, " ", st->aim.delay_ns);
    }
    if (st->aim.action == BN_SCN_ACT_CORRUPT && st->aim.exact) {
      put(&o, " byte %u bit %u", (unsigned)st->aim.byte, (unsigned)st->aim.bit);
    }
    break;
  case BN_SCN_STEP_LINK:
    put(&o, "link %s", st->up ? "up" : "down");
    break;
  case BN_SCN_STEP_CLEAR:
    if (st->match_all_clear && st->dir == BN_SCN_BOTH) {
      put(&o, "clear");
    } else {
      put_quals(&o, s, st);
      put(&o, " clear");
    }
    break;
  case BN_SCN_STEP_POOL_EXHAUST:
    put(&o, "pool %s exhaust", st->pool.name);
    put_pct(&o, st->pool.share_pct);
    break;
  case BN_SCN_STEP_POOL_FAIL:
    put(&o, "fail %s next %" PRIu32, st->pool.name, st->pool.next);
    break;
  case BN_SCN_STEP_CLEAR_POOLS:
    put(&o, "clear pools");
    break;
  case BN_SCN_STEP_END:
    put(&o, "end");
    break;
  }
  return (int)o.len;
}

int bn_scn_print(const bn_scn_scenario *s, FILE *out)
{
  if (s->seed_given) {
    fprintf(out, "seed %" PRIu64 "\n", s->seed);
  }
  for (size_t i = 0; i < s->n_steps; i++) {
    char at[32], line[1024];
    bn_scn_format_time(at, sizeof(at), s->steps[i].at_ns);
    int n = bn_scn_step_format(s, &s->steps[i], line, sizeof(line));
    if (n >= (int)sizeof(line)) {
      char *big = malloc((size_t)n + 1);
      if (big == NULL) {
        return -ENOMEM;
      }
      bn_scn_step_format(s, &s->steps[i], big, (size_t)n + 1);
      fprintf(out, "at %-8s %s", at, big);
      free(big);
    } else {
      fprintf(out, "at %-8s %s", at, line);
    }
    if (s->steps[i].source != NULL) {
      fprintf(out, "  # %s line %u", s->steps[i].source, s->steps[i].line); /* a merged base's (--link board) */
    }
    fputc('\n', out);
  }
  return fflush(out) == 0 && !ferror(out) ? 0 : -EIO;
}
