/*
 * The rules' aims (impair_stage.h): each aim step adds one to its rule
 * (nth N, first N, every N, counted from the step), `clear` and `end`
 * remove them, and each frame a rule's filter passes is counted by the
 * rule's aims, which say what happens to it. A rule's nth aims wait in a
 * heap ordered by the count they fire at, so a frame costs one look at the
 * heap's top however many thousands wait (the aims `boardnet shrink` writes
 * from a decision log); first and every aims are few, and each is looked at.
 * Room for every aim is made when the stage opens: a step never allocates.
 */
#include "impair_stage.h"

#include <errno.h>
#include <stdlib.h>

/* ---- room ---------------------------------------------------------------------- */

int bn_impair_aims_alloc(impair *im)
{
  for (size_t i = 0; i < im->s->n_steps; i++) {
    const bn_scn_step *st = &im->s->steps[i];
    for (int d = EGRESS; d <= INGRESS && st->kind == BN_SCN_STEP_AIM; d++) {
      if (st->dir & (1u << d)) {
        struct rule *r = &im->side[d].rules[st->match + 1];
        *(st->aim.select == BN_SCN_SEL_NTH ? &r->cap_nth : &r->cap_runs) += 1;
      }
    }
  }
  for (int d = EGRESS; d <= INGRESS; d++) {
    for (size_t k = 0; k < im->n_rules; k++) {
      struct rule *r = &im->side[d].rules[k];
      r->nth = r->cap_nth ? malloc(r->cap_nth * sizeof(*r->nth)) : NULL;
      r->runs = r->cap_runs ? malloc(r->cap_runs * sizeof(*r->runs)) : NULL;
      if ((r->cap_nth && r->nth == NULL) || (r->cap_runs && r->runs == NULL)) {
        return -ENOMEM;
      }
    }
  }
  return 0;
}

void bn_impair_aims_free(struct rule *r)
{
  free(r->nth);
  free(r->runs);
  r->nth = r->runs = NULL;
  r->n_nth = r->n_runs = r->cap_nth = r->cap_runs = 0;
}

/* ---- the nth aims' heap ---------------------------------------------------------- */

static bool fires_before(const struct bn_impair_aim *a, const struct bn_impair_aim *b)
{
  return a->at < b->at || (a->at == b->at && a->step < b->step);
}

static void swap(struct bn_impair_aim *a, struct bn_impair_aim *b)
{
  struct bn_impair_aim t = *a;
  *a = *b;
  *b = t;
}

static void nth_push(struct rule *r, struct bn_impair_aim a)
{
  size_t i = r->n_nth++;
  r->nth[i] = a;
  while (i > 0 && fires_before(&r->nth[i], &r->nth[(i - 1) / 2])) {
    swap(&r->nth[i], &r->nth[(i - 1) / 2]);
    i = (i - 1) / 2;
  }
}

static struct bn_impair_aim nth_pop(struct rule *r)
{
  struct bn_impair_aim top = r->nth[0];
  r->nth[0] = r->nth[--r->n_nth];
  for (size_t i = 0;;) {
    size_t l = 2 * i + 1, m = i;
    if (l < r->n_nth && fires_before(&r->nth[l], &r->nth[m])) {
      m = l;
    }
    if (l + 1 < r->n_nth && fires_before(&r->nth[l + 1], &r->nth[m])) {
      m = l + 1;
    }
    if (m == i) {
      break;
    }
    swap(&r->nth[i], &r->nth[m]);
    i = m;
  }
  return top;
}

/* ---- the steps --------------------------------------------------------------- */

void bn_impair_aim_add(impair *im, struct rule *r, const bn_scn_step *st)
{
  struct bn_impair_aim a = { .at = r->seen, .step = (size_t)(st - im->s->steps) };
  if (st->aim.select == BN_SCN_SEL_NTH) {
    if (r->n_nth < r->cap_nth) {  /* always: bn_impair_aims_alloc() made room for each step */
      a.at += st->aim.n;
      nth_push(r, a);
    }
  } else if (r->n_runs < r->cap_runs) {
    r->runs[r->n_runs++] = a;
  }
  r->active = true;
}

void bn_impair_aims_clear(struct rule *r)
{
  r->n_nth = 0;
  r->n_runs = 0;
}

/* ---- a frame ------------------------------------------------------------------- */

/* Puts what step's aim (on rule k) does into h. */
static void hit(impair *im, size_t k, size_t step, struct bn_impair_hits *h)
{
  const bn_scn_step *st = &im->s->steps[step];
  switch (st->aim.action) {
  case BN_SCN_ACT_DROP:
    h->drop_rule = h->drop ? h->drop_rule : k;
    h->drop = true;
    break;
  case BN_SCN_ACT_DUPLICATE:
    h->dup_rule = h->duplicate ? h->dup_rule : k;
    h->duplicate = true;
    break;
  case BN_SCN_ACT_CORRUPT:
    if (st->aim.exact && (h->exact == NULL || st < h->exact)) {
      h->exact = st;  /* one corruption a frame: the earliest step's place */
      h->corrupt_rule = k;
    } else if (!h->corrupt) {
      h->corrupt_rule = k;
    }
    h->corrupt = true;
    break;
  case BN_SCN_ACT_DELAY:
    h->delay_ns = st->aim.delay_ns > h->delay_ns ? st->aim.delay_ns : h->delay_ns;
    break;
  }
}

/* Counts the frame in rule k and notes its aims' hits. */
static void count_in(impair *im, struct rule *r, size_t k, struct bn_impair_hits *h)
{
  uint64_t c = ++r->seen;
  while (r->n_nth > 0 && r->nth[0].at <= c) {
    struct bn_impair_aim a = nth_pop(r);  /* spent */
    hit(im, k, a.step, h);
  }
  for (size_t i = 0; i < r->n_runs;) {
    const bn_scn_step *st = &im->s->steps[r->runs[i].step];
    uint64_t n = c - r->runs[i].at;  /* this aim's count of the frame, from 1 */
    bool first = st->aim.select == BN_SCN_SEL_FIRST;
    if (first ? n <= st->aim.n : n % st->aim.n == 0) {
      hit(im, k, r->runs[i].step, h);
    }
    if (first && n >= st->aim.n) {  /* spent: the runs after it move up, in order */
      for (size_t j = i + 1; j < r->n_runs; j++) {
        r->runs[j - 1] = r->runs[j];
      }
      r->n_runs--;
      continue;
    }
    i++;
  }
  if (k > 0 && r->n_nth == 0 && r->n_runs == 0 && r->nm.set == 0) {
    r->active = false;  /* nothing left in it: its filter need not run */
  }
}

void bn_impair_aims_count(impair *im, struct side *sd, struct bn_impair_hits *h)
{
  *h = (struct bn_impair_hits){ 0 };
  for (size_t k = 0; k < im->n_rules; k++) {
    struct rule *r = &sd->rules[k];
    if (k == 0 || sd->matched[k]) {
      count_in(im, r, k, h);
    }
  }
}
