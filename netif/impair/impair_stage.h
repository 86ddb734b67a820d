/*
 * impair_stage: the impairment stage's state and its per-frame decisions,
 * shared by link_impair.c (the link: its operations, the timeline, the
 * pump), impair_decide.c (one frame's fate under the rules in force, the
 * rules' state, and which held frames are due) and impair_aim.c (the
 * rules' aims: which of them hit a frame). Private to netif/.
 * Every function here is called with the stage's lock held.
 */
#ifndef BN_IMPAIR_STAGE_H
#define BN_IMPAIR_STAGE_H

#include "bn_sched.h" /* netif/base: the board's threads and locks */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "bn_random.h"
#include "impair_models.h"
#include "impair_queue.h"
#include "link_impair.h"

enum { EGRESS = 0, INGRESS = 1 };

/* One aim of a rule: its step (selector, action, parameters; the scenario
 * outlives the stage) and where its count starts. */
struct bn_impair_aim {
  uint64_t at;              /* nth: the rule's count of the frame it hits; first, every: the count before its first */
  size_t step;              /* index into the scenario's steps (step order breaks ties) */
};

/* One (direction, match) rule: netem's settings in force and their state. */
struct rule {
  bool active;              /* settings or an aim in force: its filter is worth running */
  bn_scn_netem nm;
  bn_rng rng;
  bn_rng slot_rng;          /* the slots' own stream: how often the pump looks must not shift the rest */
  bn_impair_corr delay_c, dup_c, corrupt_c, reorder_c;
  bn_impair_loss loss;
  uint32_t reorder_count;
  uint64_t slot_next;       /* when the next slot opens (0: no slot in force) */
  int64_t slot_packets, slot_bytes;
  bn_impair_queue q;
  uint64_t tail_ns;         /* release time of the latest frame queued: rate's reference */
  uint64_t seen;            /* frames its filter passed (every frame for [0]): what its aims count */
  struct bn_impair_aim *nth;  /* its nth aims still to fire: a heap, the next to fire on top */
  size_t n_nth, cap_nth;
  struct bn_impair_aim *runs; /* its first and every aims, in step order */
  size_t n_runs, cap_runs;
};

/* What the aims that hit one frame do to it, combined: a drop wins, the
 * longest delay counts, a duplicate, one corruption (an exact place, the
 * earliest step's, over a random bit). The rules are the first to hit with
 * each action, for the decision log. */
struct bn_impair_hits {
  bool drop, duplicate, corrupt;
  size_t drop_rule, dup_rule, corrupt_rule;
  const bn_scn_step *exact; /* corrupt byte B bit K, if an aim that hit said where */
  uint64_t delay_ns;
};

/* One direction. */
struct side {
  struct rule *rules;       /* [0]: every frame; [k + 1]: the scenario's match k */
  bool *matched;            /* scratch: the frame at hand passes match k's filter */
  uint64_t frame_no;
  bn_impair_dir_stats st;
  bool held;                /* queued by send(), released by poll() (egress); ingress always from poll */
  uint8_t copy[BN_LINK_MAX_FRAME]; /* a corrupted copy (one thread per direction) */
};

typedef struct impair {
  bn_link link;
  bn_mutex_t lock;
  const bn_scn_scenario *s;
  size_t n_rules;
  struct side side[2];
  size_t next_step;         /* the next step to apply */
  size_t next_hook;         /* the next applied step whose hook has not run */
  uint64_t t0;
  bool started;             /* the timeline runs (bn_link_impair_start()) */
  bool scn_up, inner_up, reported_up;
  unsigned carrier_changes; /* reported to the stage above so far */
  bool wire_ended;          /* the inner link returned -ENODATA (a replay's end) */
  bool woken;               /* bn_link_wake() while the pump waits on cond */
  bn_cond_t cond;
  bool ended;
  unsigned step_line;
  FILE *decisions;
  bn_impair_log_index *log_index; /* NULL once it could not grow */
  bn_impair_step_fn on_step;
  void *on_step_arg;
  bn_impair_stats *final_stats;
  const bn_link_rx *outer;  /* during a poll: where ingress frames go */
  int delivered;
} impair;

/** "egress" and "ingress", by direction index. */
extern const char *const bn_impair_side_name[2];

/** A copy of a frame that leaves the stage now (a corrupted one lives in its side's copy buffer). */
struct bn_impair_out {
  const uint8_t *data;
  size_t len;
};

/** One line of the decision log (link_impair.h), if there is one. */
void bn_impair_log_decision(impair *im, int d, uint64_t now, uint64_t frame_no, size_t rule, const char *fmt, ...)
  __attribute__((format(printf, 6, 7)));

/** Applies one step of the timeline to the rules (and the decision log). */
void bn_impair_apply_step(impair *im, const bn_scn_step *st, uint64_t now);

/**
 * Decides a frame's fate: the copies that leave now go into outs[] (counted
 * as passed: the caller hands them on), the others into their rule's queue
 * (*queued set). Returns how many leave now.
 */
int bn_impair_decide(impair *im, int d, const uint8_t *frame, size_t len, uint64_t now, struct bn_impair_out outs[2],
                  bool *queued);

/**
 * Makes room in every rule for the aims of every aim step of the scenario
 * that names it (the most it can hold at once: each step applies once), so
 * that applying a step never allocates.
 * @return 0, or -ENOMEM (what was allocated stays for bn_impair_aims_free()).
 */
int bn_impair_aims_alloc(impair *im);

/** Frees rule r's aims. */
void bn_impair_aims_free(struct rule *r);

/** Adds the aim of step st (one of the scenario's) to rule r: it counts from now on. */
void bn_impair_aim_add(impair *im, struct rule *r, const bn_scn_step *st);

/** Removes rule r's aims (clear, end). */
void bn_impair_aims_clear(struct rule *r);

/**
 * Counts the frame at hand in every rule of sd whose filter it passes
 * (sd->matched, set by the rule pick) and puts what the aims that hit it
 * do into *h. A spent aim (nth that fired, first past its count) goes.
 */
void bn_impair_aims_count(impair *im, struct side *sd, struct bn_impair_hits *h);

/** Takes up to max held frames of direction d that are due (the caller frees them). */
size_t bn_impair_take_due(impair *im, int d, uint64_t now, bn_impair_item **items, size_t max);

/** The earliest time a held frame of direction d may leave (BN_LINK_FOREVER: none held). */
uint64_t bn_impair_side_due(impair *im, int d, uint64_t now);

#endif /* BN_IMPAIR_STAGE_H */
