/*
 * main() for the fuzz targets built without libFuzzer (gcc): runs
 * LLVMFuzzerTestOneInput() once on every file named on the command line and
 * on every file under the directories named (recursively, in name order), so
 * a seed corpus becomes a regression test under ASan+UBSan. Arguments that
 * start with '-' are libFuzzer options and are ignored, so one command line
 * works with both builds.
 *
 * Exits 0 when every input ran, 1 when a path could not be read, 2 when no
 * input was given at all. A broken target crashes (abort, sanitizer report).
 */
#define _DEFAULT_SOURCE /* scandir, alphasort */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define MAX_DEPTH 16
#define INPUT_LIMIT ((size_t)16 << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
/* Optional in a target, as with libFuzzer. */
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

static unsigned long inputs_run;

/* Reads a whole file (at most INPUT_LIMIT bytes) into an exact-size buffer
 * (so ASan sees any read past the input's end); returns 0 or -errno. */
static int read_file(const char *path, uint8_t **data, size_t *size)
{
  FILE *f = fopen(path, "rb");
  if (f == NULL) {
    return -errno;
  }
  uint8_t *buf = NULL;
  size_t len = 0, cap = 0;
  int rc = 0;
  for (;;) {
    if (len == cap) {
      if (cap >= INPUT_LIMIT) {
        rc = -EFBIG;
        break;
      }
      size_t bigger_cap = cap ? cap * 2 : 4096;
      uint8_t *bigger = realloc(buf, bigger_cap);
      if (bigger == NULL) {
        rc = -ENOMEM;
        break;
      }
      buf = bigger;
      cap = bigger_cap;
    }
    size_t n = fread(buf + len, 1, cap - len, f);
    len += n;
    if (n == 0) {
      rc = ferror(f) ? -EIO : 0;
      break;
    }
  }
  fclose(f);
  if (rc == 0) {
    *data = malloc(len ? len : 1);
    if (*data == NULL) {
      rc = -ENOMEM;
    } else {
      memcpy(*data, buf, len);
      *size = len;
    }
  }
  free(buf);
  return rc;
}

static int run_path(const char *path, int depth)
{
  struct stat st;
  if (stat(path, &st) < 0) {
    fprintf(stderr, "%s: %s\n", path, strerror(errno));
    return -1;
  }
  if (S_ISDIR(st.st_mode)) {
    if (depth >= MAX_DEPTH) {
      fprintf(stderr, "%s: directories nested too deep\n", path);
      return -1;
    }
    struct dirent **names;
    int n = scandir(path, &names, NULL, alphasort);
    if (n < 0) {
      fprintf(stderr, "%s: %s\n", path, strerror(errno));
      return -1;
    }
    int rc = 0;
    for (int i = 0; i < n; i++) {
      if (names[i]->d_name[0] != '.') {
        size_t len = strlen(path) + strlen(names[i]->d_name) + 2;
        char *child = malloc(len);
        if (child == NULL) {
          rc = -1;
        } else {
          snprintf(child, len, "%s/%s", path, names[i]->d_name);
          if (run_path(child, depth + 1) < 0) {
            rc = -1;
          }
          free(child);
        }
      }
      free(names[i]);
    }
    free(names);
    return rc;
  }
  if (!S_ISREG(st.st_mode)) {
    return 0;  /* sockets, fifos ...: not inputs */
  }
  uint8_t *data = NULL;
  size_t size = 0;
  int rc = read_file(path, &data, &size);
  if (rc < 0) {
    fprintf(stderr, "%s: %s\n", path, strerror(-rc));
    return -1;
  }
  LLVMFuzzerTestOneInput(data, size);
  free(data);
  inputs_run++;
  return 0;
}

int main(int argc, char **argv)
{
  if (LLVMFuzzerInitialize != NULL) {
    LLVMFuzzerInitialize(&argc, &argv);
  }
  int paths = 0, failed = 0;
  for (int i = 1; i < argc; i++) {
    if (argv[i][0] == '-') {
      continue;
    }
    paths++;
    if (run_path(argv[i], 0) < 0) {
      failed = 1;
    }
  }
  if (paths == 0) {
    fprintf(stderr, "usage: %s FILE|DIR...  (runs the fuzz target once on each file)\n", argv[0]);
    return 2;
  }
  fprintf(stderr, "%s: %lu inputs ran%s\n", argv[0], inputs_run, failed ? ", some paths failed" : "");
  return failed ? 1 : 0;
}
