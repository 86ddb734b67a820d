/*
 * The pcap replay backend of the link pipeline: the board's wire is a
 * capture. Its poll is the replay's pump: it injects the capture's peer
 * frames (the plan's steps, replay_plan.h) rewritten for the live board
 * (replay_live.h), paced as asked; its send takes what the live board
 * transmits, which is compared with what the captured board did, and
 * answers the board's ARP requests. When every step is done and the board
 * has been quiet for a moment, the link ends (bn_link_poll(): -ENODATA).
 * Needs no privileges and no TAP.
 */
#ifndef BN_LINK_PCAP_H
#define BN_LINK_PCAP_H

#include "bn_link.h"
#include "pcap_source.h"
#include "replay_live.h"
#include "replay_pace.h"
#include "replay_plan.h"


/** What to replay and how. Zero-initialise, then fill in. */
typedef struct bn_pcap_options {
  const bn_rp_plan *plan;              /**< the plan (outlives the link) */
  const bn_rp_plan_options *read;      /**< how the plan read the capture: read again the same way */
  bn_rp_live *live;                    /**< the results, the caller's: set up by open, final after close */
  uint32_t live_ip;                 /**< the emulated board's address (host order) */
  uint8_t live_mac[6];              /**< and MAC */
  bn_pace pace;
  double speed;                     /**< BN_PACE_RECORDED: 1 = as captured, 2 = twice as fast */
  uint64_t step_timeout_ns;         /**< 0: 2 s */
  uint64_t settle_ns;               /**< quiet time that ends the replay; 0: 500 ms */
  uint32_t ignore;                  /**< classes of difference that are notes (bn_rp_live_set_ignore()) */
  /** Hold the peer frames after the capture's DHCP exchange (all of them
   *  if it has none) until bn_link_pcap_release(): a replay then starts
   *  once the board's program is ready, not while it starts. */
  bool hold;
  /** Passes over the capture (--loop); 0 or 1: once. Each pass after the
   *  first is new connections (bn_rp_live_init_pass()) to a board that is up
   *  already: the frames up to the capture's DHCP lease are left out. */
  unsigned loops;
  /** Called at the end of each pass but the last with its final results,
   *  before live is set up again for the next; may be NULL. It runs in the
   *  pump and must not call into the link. */
  void (*pass_done)(void *arg, const bn_rp_live *live);
  void *pass_arg;
  /** Whether the board's program still owes frames the capture shows (the
   *  mirror: a close it has not made yet); while it says so, a pass does not
   *  end on the board's quiet (at most SETTLE_MAX, 60 s, after its last
   *  step). Called from the pump, possibly under lwIP's core lock: it must
   *  not block or take a lock. May be NULL. */
  bool (*busy)(void *arg);
  void *busy_arg;
  /** Called now and then from the pump with steps done and in all; may be NULL. */
  void (*progress)(void *arg, uint64_t done, uint64_t total);
  void *progress_arg;
} bn_pcap_options;

/**
 * Opens the replay backend (its name is "pcap").
 * @return 0, or -EINVAL / -ENOENT / -ENOMEM with the reason in err.
 */
int bn_link_pcap_open(const bn_pcap_options *o, bn_link **out, char err[BN_PCAP_ERRLEN]);

/**
 * Lets a replay opened with hold inject the rest of its peer frames (the
 * time they are paced from starts then). link is the pipeline's top or the
 * pcap stage itself. @return 0, or -ENOENT: no pcap stage in link.
 */
int bn_link_pcap_release(bn_link *link);

#endif /* BN_LINK_PCAP_H */
