/*
 * The faults a run injected, read back from its decision log (the format
 * of netif/impair/link_impair.h), and a set of them written as a scenario
 * that injects exactly those: for `boardnet shrink`. A decision on a frame
 * (a drop of any kind, a duplicate, a corruption with its byte and bit, a
 * delay) becomes a per-packet aim at time 0 on the frame's number in its
 * direction ("at 0s egress nth 17 drop"), which the log's FRAME counts as
 * an aim does; a link flap (down, then up) and a pool fault become steps at
 * their times. A frame dropped while the link was down is the flap's doing,
 * and a reordered frame is the others' delays: neither is a fault of its
 * own. The run's `end` and `clear pools` steps are kept in every set.
 */
#ifndef BN_SHRINK_FAULTS_H
#define BN_SHRINK_FAULTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/** One fault: a line (two for a flap) of the scenario that injects it. */
typedef struct bn_shrink_fault {
  uint64_t at_ns;          /**< when: 0 for an aim, the step's time for a step */
  uint64_t until_ns;       /**< a flap's link up (0: none) */
  bool step;               /**< a timed step, not an aim */
  bool ingress;            /**< an aim's direction */
  uint64_t frame;          /**< an aim's frame: its number in its direction from time 0 */
  uint64_t capture;        /**< its frame in the run's recording (0: not known) */
  char action[96];         /**< an aim's action: "drop", "corrupt byte 40 bit 3" */
  char line[512];          /**< "egress nth 17 drop", "match \"...\" ingress nth 2 drop", "link down" */
  char why[160];           /**< what the run did, for the report: "egress frame 17 at 1.006 s: drop loss (rule *)" */
} bn_shrink_fault;

/** The faults of a run, and the steps kept in every set. */
typedef struct bn_shrink_faults {
  bn_shrink_fault *v;
  size_t n;
  bn_shrink_fault *kept;   /**< end, clear pools: at their times */
  size_t nkept;
  unsigned skipped_link, skipped_reorder; /**< decisions that are no fault of their own */
} bn_shrink_faults;

/**
 * Reads the decision log at path.
 * @return 0; -EINVAL a line that is none of the log's (*line set); -errno.
 */
int bn_shrink_faults_read(const char *path, bn_shrink_faults *f, unsigned *line);

/**
 * Aims the ingress faults by flow: each becomes "match FILTER ingress nth K
 * ACTION", FILTER the frame's addresses, protocol, ports and SYN/FIN/RST
 * flags (ARP: its operation and target) as the run's recording at
 * record_path has the frame (its capture number, from the log), K its
 * count among the frames that pass FILTER. The recording holds every
 * frame that reached the ingress faults, so K is exact, and a fault taken
 * out in another flow moves none of these (a count over the direction
 * would). Egress faults keep their count over the direction: frames
 * dropped on their way out are not in the recording.
 * @return how many were aimed by flow, or -errno (the recording unreadable:
 *         err says why).
 */
int bn_shrink_aim_by_flow(bn_shrink_faults *f, const char *record_path, char *err, size_t errlen);

/**
 * Writes the scenario that injects the faults pick[0..n) (indexes into
 * f->v) and the kept steps, in time order, with a comment naming where
 * they come from. @return 0, or -errno.
 */
int bn_shrink_write_scenario(const bn_shrink_faults *f, const size_t *pick, size_t n, const char *source,
                             const char *path);

/** Frees the faults. */
void bn_shrink_faults_free(bn_shrink_faults *f);

#endif /* BN_SHRINK_FAULTS_H */
