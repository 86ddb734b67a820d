/*
 * impair_stage: the impairment stage's state and its per-frame decisions,
 * shared by link_impair.c (the link: its operations, the timeline, the
 * pump) and impair_decide.c (one frame's fate under the rules in force, the
 * rules' state, and which held frames are due). Private to netif/.
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
  bool aim_on;
  enum bn_scn_select sel;
  uint32_t aim_n;
  enum bn_scn_action act;
  uint64_t aim_delay_ns, aim_count;
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

/** Takes up to max held frames of direction d that are due (the caller frees them). */
size_t bn_impair_take_due(impair *im, int d, uint64_t now, bn_impair_item **items, size_t max);

/** The earliest time a held frame of direction d may leave (BN_LINK_FOREVER: none held). */
uint64_t bn_impair_side_due(impair *im, int d, uint64_t now);

#endif /* BN_IMPAIR_STAGE_H */
