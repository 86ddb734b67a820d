/* netem's random models: correlated chances, loss models, delay distributions (impair_models.h). */
#include "impair_models.h"

#include <math.h>
#include <pthread.h>

double bn_impair_corr_draw(bn_rng *r, bn_impair_corr *c, double corr_pct)
{
  double u = bn_rng_unit(r);
  if (corr_pct > 0) {
    double rho = corr_pct / 100.0;
    u = rho * c->last + (1.0 - rho) * u;
    c->last = u;
  }
  return u;
}

bool bn_impair_chance(bn_rng *r, bn_impair_corr *c, const bn_scn_chance *ch)
{
  if (ch->pct <= 0) {
    return false;
  }
  return bn_impair_corr_draw(r, c, ch->corr_pct) < ch->pct / 100.0;
}

/* netem's 4-state model (loss_4state()): 1 transmitting in a gap, 2
 * transmitting in a burst, 3 lost in a burst, 4 lost alone in a gap. */
enum { GAP_TX = 0, BURST_TX, BURST_LOST, GAP_LOST };

static bool loss_4state(bn_rng *r, bn_impair_loss *l, const double *pct)
{
  double p13 = pct[0] / 100, p31 = pct[1] / 100, p32 = pct[2] / 100, p23 = pct[3] / 100, p14 = pct[4] / 100;
  double u = bn_rng_unit(r);
  switch (l->state) {
  case GAP_TX:
    if (u < p14) {
      l->state = GAP_LOST;
      return true;
    }
    if (u < p14 + p13) {
      l->state = BURST_LOST;
      return true;
    }
    return false;
  case BURST_TX:
    if (u < p23) {
      l->state = BURST_LOST;
      return true;
    }
    return false;
  case BURST_LOST:
    if (u < p32) {
      l->state = BURST_TX;
      return false;
    }
    if (u < p32 + p31) {
      l->state = GAP_TX;
      return false;
    }
    return true;
  default: /* GAP_LOST: one isolated loss, back to the gap */
    l->state = GAP_TX;
    return false;
  }
}

/* Gilbert-Elliott (loss_gilb_ell()): p good->bad, r bad->good, a frame is
 * lost with 1-k in the good state and 1-h in the bad one. */
static bool loss_gilbert_elliott(bn_rng *r, bn_impair_loss *l, const double *pct)
{
  double p = pct[0] / 100, rr = pct[1] / 100, one_h = pct[2] / 100, one_k = pct[3] / 100;
  if (l->state == 0) {
    if (bn_rng_unit(r) < p) {
      l->state = 1;
    }
    return bn_rng_unit(r) < one_k;
  }
  if (bn_rng_unit(r) < rr) {
    l->state = 0;
  }
  return bn_rng_unit(r) < one_h;
}

bool bn_impair_loss_next(bn_rng *r, bn_impair_loss *l, const bn_scn_netem *nm)
{
  switch (nm->loss.model) {
  case BN_SCN_LOSS_STATE:
    return loss_4state(r, l, nm->loss.pct);
  case BN_SCN_LOSS_GEMODEL:
    return loss_gilbert_elliott(r, l, nm->loss.pct);
  default: {
    bn_scn_chance ch = { nm->loss.pct[0], nm->loss.pct[1] };
    return bn_impair_chance(r, &l->corr, &ch);
  }
  }
}

/* ---- delay distributions ------------------------------------------------------ */

/* The standard normal's inverse CDF, tabulated once (as netem's tables are,
 * by iproute2) at TABLE_SIZE points and interpolated. */
#define TABLE_SIZE 4096
static double normal_table[TABLE_SIZE + 1];
static pthread_once_t normal_once = PTHREAD_ONCE_INIT;

static void normal_table_build(void)
{
  for (int i = 0; i <= TABLE_SIZE; i++) {
    double u = (i + 0.5) / (TABLE_SIZE + 1.0);
    double lo = -10, hi = 10;
    for (int k = 0; k < 64; k++) {
      double mid = (lo + hi) / 2;
      if (0.5 * erfc(-mid / sqrt(2.0)) < u) {
        lo = mid;
      } else {
        hi = mid;
      }
    }
    normal_table[i] = (lo + hi) / 2;
  }
}

static double normal_inverse(double u)
{
  pthread_once(&normal_once, normal_table_build);
  double x = u * TABLE_SIZE;
  int i = (int)x;
  if (i >= TABLE_SIZE) {
    return normal_table[TABLE_SIZE];
  }
  return normal_table[i] + (x - i) * (normal_table[i + 1] - normal_table[i]);
}

/* Pareto with shape 3 (iproute2's pareto table), standardised: mean 0, deviation 1. */
static double pareto_inverse(double u)
{
  const double a = 3.0, mean = a / (a - 1), sd = sqrt(a / ((a - 1) * (a - 1) * (a - 2)));
  return (pow(1.0 - u, -1.0 / a) - mean) / sd;
}

uint64_t bn_impair_delay_draw(bn_rng *r, bn_impair_corr *c, uint64_t time_ns, uint64_t jitter_ns, double corr_pct,
                           enum bn_scn_dist dist)
{
  if (jitter_ns == 0) {
    return time_ns;
  }
  double u = bn_impair_corr_draw(r, c, corr_pct);
  double z;
  switch (dist) {
  case BN_SCN_DIST_NORMAL:
    z = normal_inverse(u);
    break;
  case BN_SCN_DIST_PARETO:
    z = pareto_inverse(u);
    break;
  case BN_SCN_DIST_PARETONORMAL:
    /* iproute2's paretonormal: a quarter normal, three quarters pareto */
    z = (0.25 * normal_inverse(bn_rng_unit(r)) + 0.75 * pareto_inverse(u)) / sqrt(0.25 * 0.25 + 0.75 * 0.75);
    break;
  default:
    z = 2 * u - 1; /* uniform in [-1, 1): time +- jitter */
    break;
  }
  double d = (double)time_ns + z * (double)jitter_ns;
  return d <= 0 ? 0 : d >= IMPAIR_MAX_NS ? (uint64_t)IMPAIR_MAX_NS : (uint64_t)d;
}

uint64_t bn_impair_serialisation_ns(const bn_scn_netem *nm, uint64_t len)
{
  if (!(nm->set & BN_SCN_NM_RATE) || nm->rate.bits_per_s == 0) {
    return 0;
  }
  int64_t l = (int64_t)len + nm->rate.packet_overhead;
  if (l < 0) {
    l = 0;
  }
  if (nm->rate.cell_size != 0) {
    int64_t cells = (l + nm->rate.cell_size - 1) / nm->rate.cell_size;
    l = cells * ((int64_t)nm->rate.cell_size + nm->rate.cell_overhead);
    if (l < 0) {
      l = 0;
    }
  }
  double ns = (double)l * 8.0 * 1e9 / (double)nm->rate.bits_per_s;
  return ns >= IMPAIR_MAX_NS ? (uint64_t)IMPAIR_MAX_NS : (uint64_t)ns;
}
