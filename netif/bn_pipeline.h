/*
 * bn_pipeline: the one place that assembles a board's link chain from its
 * options. From the wire up:
 *
 *     backend (tap | memory | pcap) -> record -> impair -> record_board -> netif
 *
 * The record stage sits on the backend so that a capture shows the wire
 * itself: what the board sent after any impairment, what it received before
 * any. record_board (--record-board) is the board's side of the impairment:
 * what lwIP sent and what it was given. Nothing else wires stages by hand.
 */
#ifndef BN_PIPELINE_H
#define BN_PIPELINE_H

#include "bn_link.h"
#include "link_impair.h"
#include "link_record.h"

/** The replay backend's options (link_pcap.h). */
typedef struct bn_pcap_options bn_pcap_options;

/** Room for any error message of bn_pipeline_open(). */
#define BN_PIPELINE_ERRLEN BN_RECORD_ERRLEN

/** A board's link chain. Zero-initialise, then fill in. */
typedef struct bn_pipeline_desc {
  /* The backend: one of the three. */
  const char *tap;          /**< attach to (or create) this TAP device */
  unsigned tap_flags;       /**< BN_LINK_TAP_* (link_tap.h) */
  const bn_pcap_options *pcap; /**< or replay a capture (link_pcap.h) */
  bn_link *link;            /**< or this open backend (e.g. a memory link end),
                                 owned by the pipeline from bn_pipeline_open() on */
  /** Called once the backend is open, before the stages are (e.g. to drop
   *  root privileges, so that a recording belongs to the user); a non-zero
   *  return aborts with that value. May be NULL. */
  int (*backend_opened)(void *arg);
  void *backend_opened_arg;
  /* The stages: each only if asked for. */
  bn_record_options record; /**< record.path NULL: no recording */
  bn_impair_options impair; /**< impair.scenario NULL: no impairment */
  bn_record_options record_board; /**< record_board.path NULL: none; above the impairment */
} bn_pipeline_desc;

/**
 * Opens the backend and the stages over it.
 * @param out receives the outermost link: give it to the stack (bn_config.link);
 *            closing it closes the whole chain
 * @return 0; or a negative errno with a one-line reason in err (naming the TAP
 *         device or the file), everything opened closed again (a given
 *         d->link too): -EINVAL (no backend, or two), the TAP's or the replay's errors
 *         (bn_link_tap_open()), the record stage's (bn_link_record_open()),
 *         the impairment stage's (bn_link_impair_open()),
 *         or the return value of backend_opened (then err is "": the hook
 *         reports its own failure).
 */
int bn_pipeline_open(const bn_pipeline_desc *d, bn_link **out, char err[BN_PIPELINE_ERRLEN]);

#endif /* BN_PIPELINE_H */
