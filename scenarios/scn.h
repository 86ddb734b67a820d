/*
 * scn: the scenario language. A scenario file scripts, over time, what the
 * wire does to a board's frames: netem's impairments (tc-netem(8): delay,
 * loss, duplicate, corrupt, reorder, rate, limit, slot) per direction and
 * per flow (a libpcap filter), per-packet aim (drop the 3rd SYN-ACK), link
 * faults, and faults of the board's own lwIP memory pools. This header is
 * the parsed form, the timeline, that netif/impair/link_impair.c runs and
 * `boardnet check` prints; scn_parse.c reads the language into it and
 * scn_print.c writes it back.
 *
 *     seed 42
 *     at 0s      both delay 20ms 5ms 25% distribution normal
 *     at 10s     link down
 *     after 2s   link up
 *     at 20s     match "tcp port 80" egress reorder 25% 50% gap 5 delay 10ms
 *     at 30s     match "tcp[tcpflags] & tcp-syn != 0" nth 3 egress drop
 *     at 30s     egress nth 31 corrupt byte 40 bit 3
 *     at 40s     end
 *
 * Nothing here knows lwIP or a link: a scenario is plain data, checked when
 * it is parsed (every value, every filter compiled), so a bad file fails
 * before anything runs.
 */
#ifndef BN_SCN_H
#define BN_SCN_H

#include <pcap/pcap.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Room for any error message of bn_scn_parse(): "file:line:col: message\n  usage: ...". */
#define BN_SCN_ERRLEN 512

/** Directions: what the board sends (towards the wire), what it receives. */
enum bn_scn_dir { BN_SCN_EGRESS = 1, BN_SCN_INGRESS = 2, BN_SCN_BOTH = 3 };

/** Delay distributions (netem's tables): jitter is spread this way around the delay. */
enum bn_scn_dist { BN_SCN_DIST_UNIFORM, BN_SCN_DIST_NORMAL, BN_SCN_DIST_PARETO, BN_SCN_DIST_PARETONORMAL };

/** netem's loss models. */
enum bn_scn_loss_model {
  BN_SCN_LOSS_RANDOM,   /**< p[0] = P, p[1] = correlation */
  BN_SCN_LOSS_STATE,    /**< 4-state Markov: p[0..4] = p13 p31 p32 p23 p14 */
  BN_SCN_LOSS_GEMODEL,  /**< Gilbert-Elliott: p[0..3] = p r 1-h 1-k */
};

/** The impairments of one directive: bits of bn_scn_netem.set. */
enum bn_scn_netem_kind {
  BN_SCN_NM_DELAY = 1u << 0,
  BN_SCN_NM_LOSS = 1u << 1,
  BN_SCN_NM_DUPLICATE = 1u << 2,
  BN_SCN_NM_CORRUPT = 1u << 3,
  BN_SCN_NM_REORDER = 1u << 4,
  BN_SCN_NM_RATE = 1u << 5,
  BN_SCN_NM_LIMIT = 1u << 6,
  BN_SCN_NM_SLOT = 1u << 7,
  BN_SCN_NM_MTU = 1u << 8,
  BN_SCN_NM_BLACKHOLE = 1u << 9,
};

/** A probability with its correlation, both in percent (0..100), as written. */
typedef struct bn_scn_chance {
  double pct;
  double corr_pct;
} bn_scn_chance;

/**
 * netem's settings, as one `tc qdisc ... netem` line holds them. Only the
 * kinds in `set` are meaningful. Percentages are kept as written (0..100),
 * times in nanoseconds, the rate in bits per second (0: unlimited).
 */
typedef struct bn_scn_netem {
  unsigned set;  /**< enum bn_scn_netem_kind bits */
  struct {
    uint64_t time_ns, jitter_ns;
    double corr_pct;
    enum bn_scn_dist dist;
  } delay;
  struct {
    enum bn_scn_loss_model model;
    double pct[5];  /**< see enum bn_scn_loss_model; defaults filled in as tc does */
  } loss;
  bn_scn_chance duplicate, corrupt;
  struct {
    bn_scn_chance chance;
    uint32_t gap;     /**< 1 when not given (tc's default) */
  } reorder;
  struct {
    uint64_t bits_per_s;
    int32_t packet_overhead;
    uint32_t cell_size;
    int32_t cell_overhead;
  } rate;
  uint32_t limit;     /**< queue limit in frames */
  struct {
    uint64_t min_ns, max_ns;  /**< max_ns == min_ns when not given */
    /** slot distribution DIST DELAY JITTER: each slot's time is drawn from
     *  dist around delay_ns +- jitter_ns (jitter_ns > 0) instead of
     *  min_ns..max_ns (then 0). */
    bool dist_set;
    enum bn_scn_dist dist;
    uint64_t delay_ns, jitter_ns;
    uint32_t packets, bytes;  /**< 0: no limit */
  } slot;
  uint32_t mtu;       /**< largest IP packet (frame minus its Ethernet header) let through */
} bn_scn_netem;

/**
 * Per-packet aim: which of a rule's frames a one-shot action hits, counted
 * from the aim's own step. A rule holds any number of aims: each aim step
 * adds one (three `nth` lines on one flow hit three frames), `clear` and
 * `end` remove them.
 */
enum bn_scn_select { BN_SCN_SEL_NTH, BN_SCN_SEL_FIRST, BN_SCN_SEL_EVERY };
enum bn_scn_action { BN_SCN_ACT_DROP, BN_SCN_ACT_CORRUPT, BN_SCN_ACT_DUPLICATE, BN_SCN_ACT_DELAY };

/** What a step does. */
enum bn_scn_kind {
  BN_SCN_STEP_IMPAIR,      /**< netem settings for (dir, match): each kind given replaces that kind */
  BN_SCN_STEP_AIM,         /**< one more aim on (dir, match): an action on selected frames */
  BN_SCN_STEP_LINK,        /**< carrier down or up */
  BN_SCN_STEP_CLEAR,       /**< remove the impairments and aims of (dir, match); match -1 and dir BOTH: all */
  BN_SCN_STEP_POOL_EXHAUST,/**< hold pool.share_pct of an lwIP pool */
  BN_SCN_STEP_POOL_FAIL,   /**< fail the next pool.next allocations from a pool (or the heap) */
  BN_SCN_STEP_CLEAR_POOLS, /**< release held pool elements, cancel pending failures */
  BN_SCN_STEP_END,         /**< the scenario, and the run, end */
};

/** The longest match filter, in bytes. */
#define BN_SCN_FILTER_MAX 4096

/** Room for a pool's name: lwIP's MEMP_<NAME> without the prefix, or "heap". */
#define BN_SCN_POOL_NAME_MAX 32

/** One directive of the timeline. */
typedef struct bn_scn_step {
  uint64_t at_ns;       /**< from the scenario's time 0 (bn_link_impair_start()) */
  unsigned line;        /**< where it was written */
  const char *source;   /**< the file it was written in, if not the scenario's own (bn_scn_merge()) */
  enum bn_scn_kind kind;
  unsigned dir;         /**< enum bn_scn_dir (IMPAIR, AIM, CLEAR) */
  int match;            /**< index into bn_scn_scenario.matches; -1: every frame */
  bool match_all_clear; /**< CLEAR without a match: every rule of dir, matched or not */
  bn_scn_netem netem;      /**< IMPAIR */
  struct {
    enum bn_scn_select select;
    uint32_t n;
    enum bn_scn_action action;
    uint64_t delay_ns;  /**< BN_SCN_ACT_DELAY */
    /** BN_SCN_ACT_CORRUPT with `byte B bit K`: flip bit `bit` (0..7, 0 the
     *  least significant) of byte `byte` (from 0, the frame's first) rather
     *  than a random bit; a frame of `byte` bytes or fewer passes uncorrupted. */
    bool exact;
    uint16_t byte;
    uint8_t bit;
  } aim;                /**< AIM */
  bool up;              /**< LINK */
  struct {
    char name[BN_SCN_POOL_NAME_MAX];
    unsigned col;       /**< the name's column, for errors found later (an unknown pool) */
    double share_pct;   /**< POOL_EXHAUST */
    uint32_t next;      /**< POOL_FAIL */
  } pool;
} bn_scn_step;

/** A flow: one libpcap filter, compiled once (for DLT_EN10MB). */
typedef struct bn_scn_match {
  char *filter;
  struct bpf_program prog;
  unsigned line;        /**< where it first appeared */
} bn_scn_match;

/** A parsed scenario. */
typedef struct bn_scn_scenario {
  char *path;           /**< the file's name, as given (for messages) */
  bool seed_given;
  uint64_t seed;
  bn_scn_step *steps;      /**< in time order (as written: times never go back) */
  size_t n_steps;
  bn_scn_match *matches;   /**< each distinct filter once, in order of appearance */
  size_t n_matches;
  char *base_path;         /**< bn_scn_merge(): the base's path, its steps' source */
} bn_scn_scenario;

/**
 * Parses the scenario in text[0..len) (need not be NUL-terminated); path
 * names it in messages.
 * @return 0 with *out filled in (free it with bn_scn_free()); -EINVAL with
 *         "path:line:col: message" (the offending token named, and a usage
 *         line for the directive) in err; -ENOMEM.
 */
int bn_scn_parse(const char *path, const char *text, size_t len, bn_scn_scenario *out, char err[BN_SCN_ERRLEN]);

/**
 * Reads and parses the file at path.
 * @return as bn_scn_parse(); -errno with "path: reason" when it cannot be read.
 */
int bn_scn_load(const char *path, bn_scn_scenario *out, char err[BN_SCN_ERRLEN]);

/** Receives one error's message ("path:line:col: message\n  usage: ..."). */
typedef void (*bn_scn_error_fn)(void *arg, const char *message);

/**
 * As bn_scn_load(), but an error in a line does not end the reading: each
 * goes to each(arg, message) and the next line is read, until max errors
 * (max 0 counts as 1). For `boardnet check`, which lists a file's errors.
 * @return as bn_scn_load(); -EINVAL when any line had an error (the first
 *         in err, *out freed).
 */
int bn_scn_load_each(const char *path, bn_scn_scenario *out, unsigned max, bn_scn_error_fn each, void *arg,
                     char err[BN_SCN_ERRLEN]);

/**
 * Puts over's timeline on into's: the steps in time order, into's first at
 * equal times (so over's line for the same direction, flow and impairment
 * replaces into's, as a later line does), flows of the same filter as one,
 * over's seed if it has one. into's steps keep their lines and name their
 * file in source; into takes over's path.
 * @return 0 (over freed); -ENOMEM (both still valid: the caller frees them).
 */
int bn_scn_merge(bn_scn_scenario *into, bn_scn_scenario *over);

/** Frees what bn_scn_parse() allocated; a zeroed scenario is fine. */
void bn_scn_free(bn_scn_scenario *s);

/**
 * Writes s in the scenario language, one directive per line with absolute
 * times, every value in its canonical unit: bn_scn_parse() of the output gives
 * the same timeline (the round trip `boardnet check` relies on).
 * @return 0, -EIO when out fails, -ENOMEM.
 */
int bn_scn_print(const bn_scn_scenario *s, FILE *out);

/**
 * Writes step as one line of the language (no time, no newline) into buf.
 * @return the length it needed (as snprintf).
 */
int bn_scn_step_format(const bn_scn_scenario *s, const bn_scn_step *step, char *buf, size_t size);

/** "egress", "ingress" or "both". */
const char *bn_scn_dir_name(unsigned dir);

/** "uniform", "normal", "pareto" or "paretonormal", as tc-netem spells them. */
const char *bn_scn_dist_name(enum bn_scn_dist dist);

/** Whether any step holds frames of dir in a queue (delay, rate, slot, a delay aim). */
bool bn_scn_holds_frames(const bn_scn_scenario *s, unsigned dir);

#ifdef __cplusplus
}
#endif

#endif /* BN_SCN_H */
