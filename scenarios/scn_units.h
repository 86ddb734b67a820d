/*
 * bn_scn_units: netem's units, one parser and one printer per kind, as
 * iproute2's tc has get_time64(), get_rate64(), get_percent() and
 * get_size(): times (s, ms, us, ns and tc's sec/msec/usec/nsec spellings),
 * rates (tc's bit, kbit, Kibit, ..., Bps, KBps, ...; case-insensitive, so
 * "mbps" is megabytes per second, as in tc), percentages (0..100, with or
 * without "%"), byte sizes (b, k/kb, m/mb, g/gb, kbit, mbit, gbit) and
 * plain counts.
 *
 * Unlike tc, a time needs its unit: a bare number is an error, since tc
 * itself has read it as microseconds once and nanoseconds now.
 * Each parser takes a whole token and returns 0, or -EINVAL (it names no
 * token: the caller does, with its column).
 */
#ifndef BN_SCN_UNITS_H
#define BN_SCN_UNITS_H

#include <stddef.h>
#include <stdint.h>

/** The longest time a scenario holds (~292 years), at and after alike. */
#define BN_SCN_TIME_MAX_NS UINT64_C(9200000000000000000)

/** The most characters of a number (its digits and point). */
#define BN_SCN_NUMBER_MAX 100

/** A time such as "2.5s", "1500ms", "20us" into nanoseconds (at most ~292 years). */
int bn_scn_parse_time(const char *tok, uint64_t *ns);

/** A rate such as "250kbit", "1mbit", "10Mbps" into bits per second. */
int bn_scn_parse_rate(const char *tok, uint64_t *bits_per_s);

/** A percentage such as "25%", "0.1%", "25" into 0..100. */
int bn_scn_parse_percent(const char *tok, double *pct);

/** A byte size such as "64kb", "1500", "1mbit" (tc's get_size()) into bytes (< 2^32). */
int bn_scn_parse_size(const char *tok, uint32_t *bytes);

/** A plain count in [min, max], decimal digits only. */
int bn_scn_parse_count(const char *tok, uint64_t min, uint64_t max, uint64_t *v);

/** A signed count in [min, max] (a leading '-' allowed). */
int bn_scn_parse_signed(const char *tok, int64_t min, int64_t max, int64_t *v);

/* The printers write the canonical form, which the parser reads back to
 * exactly the same value; each returns what snprintf() returns. */

/** A time in the largest unit that divides it: "2500ms", "2s", "0s". */
int bn_scn_format_time(char *buf, size_t size, uint64_t ns);

/** A time for people, to 3 decimals in s, ms or us: "23.456ms" (not for parsing back). */
int bn_scn_format_time_approx(char *buf, size_t size, uint64_t ns);

/** A rate in the largest of bit/kbit/mbit/gbit that divides it. */
int bn_scn_format_rate(char *buf, size_t size, uint64_t bits_per_s);

/** A percentage, with the fewest decimals that read back to the same value
 *  (for any value bn_scn_parse_percent() gave), with "%"; buf needs
 *  BN_SCN_NUMBER_MAX + 2 bytes at most. */
int bn_scn_format_percent(char *buf, size_t size, double pct);

#endif /* BN_SCN_UNITS_H */
