/*
 * Two timelines as one (scn.h, bn_scn_merge()): a board's link character
 * (--link board) under a user's scenario. The steps are merged in time
 * order, the base's first at equal times, so that a line of the scenario
 * for the same direction, flow and impairment replaces the base's as a
 * later line does; flows with the same filter are one flow.
 */
#include "scn.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* The index in into->matches of over's match m: the same filter, or a new
 * one moved from over (its compiled program with it); -1 if out of memory. */
static int match_into(bn_scn_scenario *into, bn_scn_match *m)
{
  for (size_t i = 0; i < into->n_matches; i++) {
    if (strcmp(into->matches[i].filter, m->filter) == 0) {
      return (int)i;
    }
  }
  bn_scn_match *grown = realloc(into->matches, (into->n_matches + 1) * sizeof(*grown));
  if (grown == NULL) {
    return -1;
  }
  into->matches = grown;
  into->matches[into->n_matches] = *m;
  memset(m, 0, sizeof(*m)); /* moved: over no longer frees it */
  return (int)into->n_matches++;
}

int bn_scn_merge(bn_scn_scenario *into, bn_scn_scenario *over)
{
  size_t n = into->n_steps + over->n_steps;
  bn_scn_step *steps = malloc((n ? n : 1) * sizeof(*steps));
  int *map = malloc((over->n_matches ? over->n_matches : 1) * sizeof(*map));
  char *source = strdup(into->path != NULL ? into->path : "");
  if (steps == NULL || map == NULL || source == NULL) {
    free(steps);
    free(map);
    free(source);
    return -ENOMEM;
  }
  for (size_t i = 0; i < over->n_matches; i++) {
    if ((map[i] = match_into(into, &over->matches[i])) < 0) {
      free(steps);
      free(map);
      free(source);
      return -ENOMEM;
    }
  }
  size_t a = 0, b = 0, k = 0;
  while (a < into->n_steps || b < over->n_steps) {
    bool base = b == over->n_steps || (a < into->n_steps && into->steps[a].at_ns <= over->steps[b].at_ns);
    if (base) {
      steps[k] = into->steps[a++];
      steps[k].source = steps[k].source != NULL ? steps[k].source : source;
    } else {
      steps[k] = over->steps[b++];
      steps[k].match = steps[k].match >= 0 ? map[steps[k].match] : -1;
    }
    k++;
  }
  free(map);
  free(into->steps);
  into->steps = steps;
  into->n_steps = n;
  free(into->base_path);
  into->base_path = source;
  free(into->path);
  into->path = over->path; /* messages name the user's file; the base's steps name theirs */
  over->path = NULL;
  if (over->seed_given) {
    into->seed_given = true;
    into->seed = over->seed;
  }
  bn_scn_free(over);
  return 0;
}
