/*
 * impair_models: netem's random models, as pure functions of a seeded
 * stream and their own state, so that the impairment stage (link_impair.c)
 * and its tests make the same decisions from the same seed. Each follows
 * the Linux qdisc (net/sched/sch_netem.c) in meaning:
 * - a correlated chance (netem's get_crandom(): each draw leans on the last
 *   by the correlation),
 * - the 4-state Markov loss model and Gilbert-Elliott (netem's
 *   loss_4state() and loss_gilb_ell(), "Definition and usage of the netem
 *   loss models", Salsano et al.),
 * - a delay with jitter spread uniformly or by netem's normal, pareto and
 *   paretonormal distributions (tabledist()).
 */
#ifndef BN_IMPAIR_MODELS_H
#define BN_IMPAIR_MODELS_H

#include <stdbool.h>
#include <stdint.h>

#include "bn_random.h"
#include "scn.h"

/** The longest delay or serialisation time a model returns (~292 years):
 *  release times add up without overflow (bn_clock_add_ns saturates). */
#define IMPAIR_MAX_NS 9.2e18

/** A correlated draw's memory (netem's struct crndstate). */
typedef struct bn_impair_corr {
  double last;
} bn_impair_corr;

/**
 * A uniform number in [0, 1), correlated with the previous draw of c by
 * corr_pct (0: independent): corr * last + (1 - corr) * fresh, as netem.
 */
double bn_impair_corr_draw(bn_rng *r, bn_impair_corr *c, double corr_pct);

/** Whether a chance of pct percent (with its correlation) hits. pct 0 never does. */
bool bn_impair_chance(bn_rng *r, bn_impair_corr *c, const bn_scn_chance *ch);

/** The state of a loss model. Zero-initialise (netem starts in its good / gap state). */
typedef struct bn_impair_loss {
  int state;
  bn_impair_corr corr;   /**< for BN_SCN_LOSS_RANDOM */
} bn_impair_loss;

/** Whether the next frame is lost under the loss settings of nm (nm->set has BN_SCN_NM_LOSS). */
bool bn_impair_loss_next(bn_rng *r, bn_impair_loss *l, const bn_scn_netem *nm);

/**
 * A delay in nanoseconds: time with jitter spread by the distribution (a
 * uniform spread is time +- jitter), its draws correlated by corr_pct.
 * Never negative, at most IMPAIR_MAX_NS.
 */
uint64_t bn_impair_delay_draw(bn_rng *r, bn_impair_corr *c, uint64_t time_ns, uint64_t jitter_ns, double corr_pct,
                           enum bn_scn_dist dist);

/**
 * How long a frame of len bytes takes at the rate of nm (netem's
 * packet_time_ns(): the packet overhead added, rounded up to cells of
 * cell_size bytes each carrying cell_overhead more). 0 with no rate; at
 * most IMPAIR_MAX_NS.
 */
uint64_t bn_impair_serialisation_ns(const bn_scn_netem *nm, uint64_t len);

#endif /* BN_IMPAIR_MODELS_H */
