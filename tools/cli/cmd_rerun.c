/*
 * boardnet rerun DIR: runs a run kept by --artifact DIR again (its command,
 * its seed, its scenario as kept, its input capture checked by sha256 or
 * copied) with the outputs into DIR/rerun/, and says whether they are
 * byte-identical to DIR/out/: 0 the same, 3 not (the first difference
 * named), 1 it could not rerun, 2 bad usage. Paths are the one thing that
 * differs by design (the recording's name in its .events, the capture's
 * name in the report): text outputs are compared with the rerun's paths
 * put back to the original's.
 */
#define _GNU_SOURCE
#include "cli.h"
#include "artifact_run.h"
#include "run_artifact.h"

#include <errno.h>
#include <pcap/pcap.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char rerun_usage[] =
  "Usage: boardnet rerun DIR\n"
  "\n"
  "Runs again the run kept in DIR by --artifact DIR (a board program's or\n"
  "boardnet replay's, on the virtual clock): the same command line, seed,\n"
  "scheduling seed, scenario (DIR/scenario.scn) and input capture (DIR/\n"
  "input.pcap if copied, else the capture's path, refused if its sha256\n"
  "changed), from the directory it ran in, its outputs written to DIR/rerun/. Then compares them with the\n"
  "run's, DIR/out/, and its exit status with the run's.\n"
  "\n"
  "Exit status: 0 every output byte-identical and the same exit status;\n"
  "3 a difference (the first one is named: the file, the frame of a\n"
  "capture, the line of a text); 1 the run cannot be run again (DIR is no\n"
  "artifact, the input changed); 2 bad usage.\n";

/* text with every rename applied (a new string). */
static char *renamed(const bn_artifact_run *ar, const char *text)
{
  char *cur = strdup(text);
  for (size_t i = 0; cur != NULL && i < ar->nrenames; i++) {
    size_t from = strlen(ar->renames[i].from), to = strlen(ar->renames[i].to), count = 0;
    for (const char *p = cur; (p = strstr(p, ar->renames[i].from)) != NULL; p += from) {
      count++;
    }
    char *next = malloc(strlen(cur) + count * to + 1);
    if (next == NULL) {
      free(cur);
      return NULL;
    }
    char *w = next;
    const char *r = cur, *hit;
    while ((hit = strstr(r, ar->renames[i].from)) != NULL) {
      memcpy(w, r, (size_t)(hit - r));
      w += hit - r;
      memcpy(w, ar->renames[i].to, to);
      w += to;
      r = hit + from;
    }
    strcpy(w, r);
    free(cur);
    cur = next;
  }
  return cur;
}

/* Compares two text files (the rerun's paths put back); 0 same, 1 differ (said), -1 unreadable. */
static int compare_text(const bn_artifact_run *ar, const char *name, const char *a_path, const char *b_path)
{
  size_t alen, blen;
  char *a = bn_ar_slurp(a_path, &alen), *b0 = bn_ar_slurp(b_path, &blen);
  char *b = b0 != NULL ? renamed(ar, b0) : NULL;
  free(b0);
  int rc = a == NULL || b == NULL ? -1 : strcmp(a, b) == 0 ? 0 : 1;
  if (rc == 1) {
    size_t i = 0, line = 1, start = 0;
    for (; a[i] != '\0' && a[i] == b[i]; i++) {
      if (a[i] == '\n') {
        line++;
        start = i + 1;
      }
    }
    int la = (int)strcspn(a + start, "\n"), lb = (int)strcspn(b + start, "\n");
    printf("rerun: %s differs first at line %zu:\n  run:   %.*s\n  rerun: %.*s\n", name, line, la, a + start, lb,
           b + start);
  }
  free(a);
  free(b);
  return rc;
}

/* Compares two captures frame by frame (libpcap); 0 same, 1 differ (said), -1 unreadable. */
static int compare_pcap(const char *name, const char *a_path, const char *b_path)
{
  char err[PCAP_ERRBUF_SIZE];
  pcap_t *a = pcap_open_offline_with_tstamp_precision(a_path, PCAP_TSTAMP_PRECISION_NANO, err);
  pcap_t *b = a != NULL ? pcap_open_offline_with_tstamp_precision(b_path, PCAP_TSTAMP_PRECISION_NANO, err) : NULL;
  if (a == NULL || b == NULL) {
    printf("rerun: %s: %s\n", name, err);
    if (a != NULL) {
      pcap_close(a);
    }
    return -1;
  }
  int rc = 0;
  for (unsigned long frame = 1;; frame++) {
    struct pcap_pkthdr *ha, *hb;
    const u_char *da, *db;
    int ra = pcap_next_ex(a, &ha, &da), rb = pcap_next_ex(b, &hb, &db);
    if (ra != 1 || rb != 1) {
      if (ra != rb) {
        printf("rerun: %s: the %s has frames the %s has not, from frame %lu\n", name, ra == 1 ? "run" : "rerun",
               ra == 1 ? "rerun" : "run", frame);
        rc = 1;
      }
      break;
    }
    if (ha->ts.tv_sec != hb->ts.tv_sec || ha->ts.tv_usec != hb->ts.tv_usec) {
      printf("rerun: %s differs first at frame %lu: its time, %ld.%09ld in the run, %ld.%09ld in the rerun\n",
             name, frame, (long)ha->ts.tv_sec, (long)ha->ts.tv_usec, (long)hb->ts.tv_sec, (long)hb->ts.tv_usec);
      rc = 1;
      break;
    }
    if (ha->caplen != hb->caplen || ha->len != hb->len || memcmp(da, db, ha->caplen) != 0) {
      printf("rerun: %s differs first at frame %lu: its bytes (%u in the run, %u in the rerun)\n", name, frame,
             ha->caplen, hb->caplen);
      rc = 1;
      break;
    }
  }
  pcap_close(a);
  pcap_close(b);
  return rc;
}

int bn_cmd_rerun(int argc, char **argv)
{
  if (argc == 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
    fputs(rerun_usage, stdout);
    return BN_EXIT_OK;
  }
  if (argc != 2) {
    return bn_fail(BN_EXIT_USAGE, "rerun: which directory? (boardnet rerun --help)");
  }
  bn_artifact_run *ar = calloc(1, sizeof(*ar));
  if (ar == NULL) {
    return bn_fail(BN_EXIT_FAIL, "rerun: out of memory");
  }
  char rerun_dir[BN_AR_DIR_LEN + 8];
  int rc = bn_artifact_run_load(argv[1], "rerun", ar);
  if (rc == 0) {
    snprintf(rerun_dir, sizeof(rerun_dir), "%s/rerun", ar->dir);
    if (mkdir(rerun_dir, 0755) != 0 && errno != EEXIST) {
      rc = bn_fail(BN_EXIT_FAIL, "rerun: %s: %s", rerun_dir, strerror(errno));
    }
  }
  rc = rc ? rc : bn_artifact_run_argv(ar, "rerun", rerun_dir, NULL);
  if (rc != 0) {
    bn_artifact_run_free(ar);
    free(ar);
    return rc;
  }
  /* The rerun's record path appears in its .events under the rerun's name. */
  printf("rerun of %s:", ar->dir);
  for (size_t i = 0; i < ar->nargs; i++) {
    printf(" %s", ar->args[i]);
  }
  printf("\n");
  int status = bn_artifact_run_exec(ar, rerun_dir);
  if (status < 0 || status == 127 || status == 126) {
    rc = bn_fail(BN_EXIT_FAIL, "rerun: cannot run %s (%s/stderr says why)", ar->exe, rerun_dir);
    bn_artifact_run_free(ar);
    free(ar);
    return rc;
  }
  /* Compare. */
  int differ = 0, compared = 0;
  char run_status[32];
  if (bn_ar_read_line(ar->dir, "status", run_status, sizeof(run_status)) && atoi(run_status) != status) {
    printf("rerun: exit status %d, the run's %s\n", status, run_status);
    differ = 1;
  }
  static const char *const files[] = { BN_ARTIFACT_RECORD, BN_ARTIFACT_RECORD ".events", BN_ARTIFACT_DECISIONS,
                                       BN_ARTIFACT_REPORT, BN_ARTIFACT_STATS };
  for (size_t i = 0; i < sizeof(files) / sizeof(files[0]) && !differ; i++) {
    char a[BN_AR_PATH_LEN], b[BN_AR_PATH_LEN];
    snprintf(a, sizeof(a), "%s/out/%s", ar->dir, files[i]);
    snprintf(b, sizeof(b), "%.2000s/%s", rerun_dir, files[i]);
    if (access(a, F_OK) != 0) {
      continue;
    }
    int r = i == 0 ? compare_pcap(files[i], a, b) : compare_text(ar, files[i], a, b);
    if (r < 0) {
      printf("rerun: %s: the rerun wrote none\n", files[i]);
      r = 1;
    }
    differ |= r;
    compared += r == 0;
  }
  bn_artifact_run_free(ar);
  free(ar);
  if (differ) {
    printf("rerun: different (the rerun's outputs: %s)\n", rerun_dir);
    return 3;
  }
  printf("rerun: the same: %d output%s byte-identical (paths aside), exit status %d as the run's\n", compared,
         compared == 1 ? "" : "s", status);
  return BN_EXIT_OK;
}
