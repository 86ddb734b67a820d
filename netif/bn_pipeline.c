/* Assembles a board's link chain from its description (bn_pipeline.h). */
#include "bn_pipeline.h"
#include "link_pcap.h"
#include "link_tap.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static int open_backend(const bn_pipeline_desc *d, bn_link **out, char err[BN_PIPELINE_ERRLEN])
{
  int given = (d->tap != NULL) + (d->link != NULL) + (d->pcap != NULL);
  if (given != 1) {
    snprintf(err, BN_PIPELINE_ERRLEN, "%s", given ? "more than one backend given" : "no backend given");
    bn_link_close(d->link);
    return -EINVAL;
  }
  if (d->link != NULL) {
    *out = d->link;
    return 0;
  }
  if (d->pcap != NULL) {
    return bn_link_pcap_open(d->pcap, out, err);
  }
  int rc = bn_link_tap_open(d->tap, d->tap_flags, out);
  if (rc < 0) {
    snprintf(err, BN_PIPELINE_ERRLEN, "tap %s: %s", d->tap, bn_link_tap_strerror(rc));
  }
  return rc;
}

/* Puts a record stage on *link; on failure closes the chain below. */
static int add_record(bn_link **link, const bn_record_options *o, char err[BN_PIPELINE_ERRLEN])
{
  bn_link *record;
  int rc = bn_link_record_open(*link, o, &record, err);
  if (rc < 0) {
    bn_link_close(*link);
    return rc;
  }
  *link = record;
  return 0;
}

int bn_pipeline_open(const bn_pipeline_desc *d, bn_link **out, char err[BN_PIPELINE_ERRLEN])
{
  bn_link *link = NULL;
  int rc = open_backend(d, &link, err);
  if (rc < 0) {
    return rc;
  }
  if (d->backend_opened != NULL) {
    rc = d->backend_opened(d->backend_opened_arg);
    if (rc != 0) {
      err[0] = '\0'; /* the hook said why */
      bn_link_close(link);
      return rc;
    }
  }
  if (d->record.path != NULL && (rc = add_record(&link, &d->record, err)) < 0) {
    return rc;
  }
  if (d->impair.scenario != NULL) {
    bn_link *impair;
    rc = bn_link_impair_open(link, &d->impair, &impair);
    if (rc < 0) {
      snprintf(err, BN_PIPELINE_ERRLEN, "scenario %s: %s", d->impair.scenario->path, strerror(-rc));
      return rc;
    }
    link = impair;
  }
  if (d->record_board.path != NULL && (rc = add_record(&link, &d->record_board, err)) < 0) {
    return rc;
  }
  *out = link;
  return 0;
}
