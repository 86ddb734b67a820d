/*
 * The comparison of a replay: what the live board sends, flow by flow,
 * against what the captured board sent (its SYN options and window, where
 * its SYN/FIN/RST fall in the byte stream, the stream itself, frame sizes
 * for ICMP and UDP), and the first divergence of each flow, with a one-line
 * explanation naming the capture frame. replay_report.h reports it.
 */
#ifndef BN_REPLAY_COMPARE_H
#define BN_REPLAY_COMPARE_H

#include <stdint.h>

#include "replay_headers.h"
#include "replay_live.h"

/** A name for a class of difference ("payload", "missing" ...; "none" for BN_RP_SAME). */
const char *bn_rp_diverge_name(bn_rp_diverge d);

/**
 * A comma-separated list of class names ("window,options") into bits
 * (1 << class each). @return 0, or -EINVAL naming none or an unknown one.
 */
int bn_rp_diverge_parse(const char *list, uint32_t *classes);

/** The classes' names, as bn_rp_diverge_parse() takes them: "options, window, ...". */
#define BN_RP_DIVERGE_NAMES "options, window, flags, payload, missing, extra, received"

/** Records a difference of a flow: the first of each class (later ones of a class are not kept). */
void bn_rp_diverge_set(bn_rp_live_flow *lf, bn_rp_diverge what, uint64_t number, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/** A SYN, FIN or RST of the live board's at stream position rel. */
void bn_rp_compare_flags(const bn_rp_flow *f, bn_rp_live_flow *lf, uint8_t flags, uint32_t rel, const bn_rp_frame *pf);

/** Stream bytes [rel - 1, + len) the live board sent. */
void bn_rp_compare_stream(const bn_rp_flow *f, bn_rp_live_flow *lf, uint32_t rel, const uint8_t *data, size_t len);

/** An ICMP or UDP frame of the live board's, against the captured one's. */
void bn_rp_compare_other(const bn_rp_flow *f, bn_rp_live_flow *lf, const bn_rp_frame *pf);

/** Ends the comparison (after the replay): the missing and extra data. */
void bn_rp_live_finish(bn_rp_live *l);

/**
 * Ends the comparison of a replay stopped early: what the live board had not
 * sent yet is not missing (nothing says it would not have); the flows whose
 * first frame was never reached are marked not_reached.
 */
void bn_rp_live_finish_early(bn_rp_live *l);

#endif /* BN_REPLAY_COMPARE_H */
