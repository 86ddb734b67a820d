/*
 * The interfaces of a pcapng capture through capinfos, and one of them
 * taken out through tshark (capture_interfaces.h).
 */
#define _GNU_SOURCE
#include "capture_interfaces.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

/* The first four bytes of a pcapng file: a section header block's type. */
static const unsigned char pcapng_magic[4] = { 0x0a, 0x0d, 0x0d, 0x0a };

int bn_capture_is_pcapng(const char *path)
{
  FILE *f = fopen(path, "rb");
  if (f == NULL) {
    return -errno;
  }
  unsigned char head[4];
  size_t n = fread(head, 1, sizeof(head), f);
  fclose(f);
  return n == sizeof(head) && memcmp(head, pcapng_magic, sizeof(head)) == 0;
}

/* A file with no name in $TMPDIR (or P_tmpdir); -errno with err set. */
static int unnamed_file(char err[BN_IFACE_ERRLEN])
{
  const char *dir = getenv("TMPDIR");
  dir = dir != NULL && dir[0] != '\0' ? dir : P_tmpdir;
  int file = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  if (file < 0) {
    int e = errno;
    snprintf(err, BN_IFACE_ERRLEN, "no temporary file in %s: %s", dir, strerror(e));
    return -e;
  }
  return file;
}

/* The last line of a tool's error output worth showing (tshark's warning
 * about running as root is not), into err after "TOOL: ". */
static void tool_error(const char *tool, int errfd, int status, char err[BN_IFACE_ERRLEN])
{
  char text[4096] = "";
  ssize_t n = pread(errfd, text, sizeof(text) - 1, 0);
  text[n > 0 ? n : 0] = '\0';
  const char *why = NULL;
  for (char *line = strtok(text, "\n"); line != NULL; line = strtok(NULL, "\n")) {
    if (line[0] != '\0' && strstr(line, "could be dangerous") == NULL) {
      why = line;
    }
  }
  if (why != NULL) {
    snprintf(err, BN_IFACE_ERRLEN, "%s: %s", tool, why);
  } else if (WIFSIGNALED(status)) {
    snprintf(err, BN_IFACE_ERRLEN, "%s: killed by signal %d", tool, WTERMSIG(status));
  } else {
    snprintf(err, BN_IFACE_ERRLEN, "%s: exit status %d", tool, WEXITSTATUS(status));
  }
}

/* Runs argv (found on PATH) with no input and its output read into *out
 * (malloc'd, NUL-terminated); fds[0..nfds) are the child's fds 3, 4 ...
 * Returns 0, -ENOENT (not installed), -EIO (it failed: err), -errno. */
static int run_tool(char *const argv[], const int *fds, int nfds, char **out, char err[BN_IFACE_ERRLEN])
{
  *out = NULL;
  int pipefd[2];
  if (pipe2(pipefd, O_CLOEXEC) < 0) {
    int e = errno;
    snprintf(err, BN_IFACE_ERRLEN, "%s: %s", argv[0], strerror(e));
    return -e;
  }
  char ignored[BN_IFACE_ERRLEN];
  int errfd = unnamed_file(ignored); /* its messages; none kept when there is no room */
  posix_spawn_file_actions_t fa;
  posix_spawnattr_t attr;
  posix_spawn_file_actions_init(&fa);
  posix_spawnattr_init(&attr);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&fa, pipefd[1], 1);
  if (errfd >= 0) {
    posix_spawn_file_actions_adddup2(&fa, errfd, 2);
  } else {
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
  }
  for (int i = 0; i < nfds; i++) {
    posix_spawn_file_actions_adddup2(&fa, fds[i], 3 + i);
  }
  /* The board's threads block its stop signals and ignore SIGPIPE: the tool
   * gets neither. */
  sigset_t none, defaults;
  sigemptyset(&none);
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGPIPE);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  pid_t pid;
  int rc = posix_spawnp(&pid, argv[0], &fa, &attr, argv, environ);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  close(pipefd[1]);
  if (rc != 0) {
    close(pipefd[0]);
    if (errfd >= 0) {
      close(errfd);
    }
    snprintf(err, BN_IFACE_ERRLEN, "%s: %s", argv[0], rc == ENOENT ? "not installed (apt-get install tshark)"
                                                                   : strerror(rc));
    return -rc;
  }
  size_t len = 0, cap = 4096;
  char *buf = malloc(cap);
  ssize_t n = 0;
  while (buf != NULL) {
    if (len + 1 == cap) {
      char *bigger = realloc(buf, cap * 2);
      if (bigger == NULL) {
        free(buf);
        buf = NULL;
        break;
      }
      buf = bigger;
      cap *= 2;
    }
    n = read(pipefd[0], buf + len, cap - 1 - len);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      break;
    }
    len += (size_t)n;
  }
  close(pipefd[0]); /* out of memory: the tool ends on SIGPIPE */
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (buf == NULL) {
    if (errfd >= 0) {
      close(errfd);
    }
    snprintf(err, BN_IFACE_ERRLEN, "%s: out of memory for its output", argv[0]);
    return -ENOMEM;
  }
  buf[len] = '\0';
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    tool_error(argv[0], errfd, status, err);
    rc = -EIO;
    free(buf);
    buf = NULL;
  }
  if (errfd >= 0) {
    close(errfd);
  }
  *out = buf;
  return rc;
}

/* The value after "KEY = " on a line of capinfos' long report, or NULL. */
static const char *field(const char *line, const char *key)
{
  while (*line == ' ' || *line == '\t') {
    line++;
  }
  size_t k = strlen(key);
  return strncmp(line, key, k) == 0 && strncmp(line + k, " = ", 3) == 0 ? line + k + 3 : NULL;
}

int bn_capture_interfaces(const char *path, bn_capture_iface *out, size_t max, char err[BN_IFACE_ERRLEN])
{
  char *argv[] = { "capinfos", "-I", "-M", "--", (char *)path, NULL };
  char *text;
  int rc = run_tool(argv, NULL, 0, &text, err);
  if (rc < 0) {
    return rc;
  }
  int n = 0;
  bn_capture_iface *cur = NULL;
  for (char *save, *line = strtok_r(text, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
    unsigned id;
    const char *v;
    if (sscanf(line, "Interface #%u info:", &id) == 1) {
      cur = (size_t)n < max ? &out[n] : NULL;
      n++;
      if (cur != NULL) {
        *cur = (bn_capture_iface){ .id = id };
      }
    } else if (cur != NULL && (v = field(line, "Name")) != NULL) {
      snprintf(cur->name, sizeof(cur->name), "%s", v);
    } else if (cur != NULL && (v = field(line, "Encapsulation")) != NULL) {
      /* "Raw IP (7 - rawip)": the name, and editcap's short name */
      const char *dash = strstr(v, " - ");
      snprintf(cur->encap_short, sizeof(cur->encap_short), "%.*s", dash ? (int)strcspn(dash + 3, ")") : 0,
               dash ? dash + 3 : "");
      snprintf(cur->encap, sizeof(cur->encap), "%.*s", (int)strcspn(v, "("), v);
      size_t l = strlen(cur->encap);
      while (l > 0 && cur->encap[l - 1] == ' ') {
        cur->encap[--l] = '\0';
      }
    } else if (cur != NULL && (v = field(line, "Number of packets")) != NULL) {
      cur->frames = strtoull(v, NULL, 10);
    }
  }
  free(text);
  return n;
}

void bn_capture_interfaces_text(const bn_capture_iface *ifs, size_t n, char *buf, size_t size)
{
  size_t used = 0;
  buf[0] = '\0';
  for (size_t i = 0; i < n && used < size; i++) {
    int w = snprintf(buf + used, size - used, "  %u %s (%s, %llu frames)\n", ifs[i].id,
                     ifs[i].name[0] ? ifs[i].name : "(no name)", ifs[i].encap[0] ? ifs[i].encap : "?",
                     (unsigned long long)ifs[i].frames);
    used += w > 0 ? (size_t)w : 0;
  }
}

int bn_capture_interface_find(const bn_capture_iface *ifs, size_t n, const char *text)
{
  char *end;
  errno = 0;
  unsigned long id = strtoul(text, &end, 10);
  bool number = text[0] >= '0' && text[0] <= '9' && *end == '\0' && errno == 0;
  for (size_t i = 0; i < n; i++) {
    if (number ? ifs[i].id == id : strcmp(ifs[i].name, text) == 0) {
      return (int)i;
    }
  }
  return -1;
}

/* The numbers tshark printed, one per line, into a malloc'd array. */
static int parse_numbers(const char *text, uint64_t **numbers, size_t *count)
{
  size_t n = 0, cap = 1024;
  uint64_t *nums = malloc(cap * sizeof(*nums));
  for (const char *p = text; nums != NULL && *p != '\0';) {
    char *end;
    unsigned long long v = strtoull(p, &end, 10);
    if (end == p) {
      p++;
      continue;
    }
    if (n == cap) {
      uint64_t *bigger = realloc(nums, cap * 2 * sizeof(*nums));
      if (bigger == NULL) {
        free(nums);
        return -ENOMEM;
      }
      nums = bigger;
      cap *= 2;
    }
    nums[n++] = v;
    p = end;
  }
  if (nums == NULL) {
    return -ENOMEM;
  }
  *numbers = nums;
  *count = n;
  return 0;
}

int bn_capture_interface_extract(const char *path, const bn_capture_iface *iface, int *fd, uint64_t **numbers,
                                 size_t *count, char err[BN_IFACE_ERRLEN])
{
  /* tshark keeps every interface's description, and a file of several link
   * types cannot be a pcap: its frames go to a pcapng first, which editcap
   * then writes as a pcap of the interface's link type (-T). */
  int files[2] = { unnamed_file(err), -1 };
  if (files[0] < 0) {
    return files[0];
  }
  char filter[64];
  snprintf(filter, sizeof(filter), "frame.interface_id == %u", iface->id);
  /* -w /proc/self/fd/3: the child's fd 3, our unnamed file; -P -T fields:
   * each frame written also printed, as its number in the original. */
  char *tshark[] = { "tshark", "-n", "-r", (char *)path, "-Y", filter, "-F", "pcapng", "-w", "/proc/self/fd/3",
                     "-P", "-T", "fields", "-e", "frame.number", NULL };
  char *text = NULL, *none = NULL;
  int rc = run_tool(tshark, files, 1, &text, err);
  if (rc == 0 && (files[1] = unnamed_file(err)) < 0) {
    rc = files[1];
  }
  char *editcap[] = { "editcap", "-F", "nsecpcap", "-T", (char *)iface->encap_short, "/proc/self/fd/3",
                      "/proc/self/fd/4", NULL };
  if (rc == 0) {
    rc = run_tool(editcap, files, 2, &none, err);
  }
  if (rc == 0 && parse_numbers(text, numbers, count) < 0) {
    snprintf(err, BN_IFACE_ERRLEN, "out of memory for the frame numbers");
    rc = -ENOMEM;
  }
  free(text);
  free(none);
  close(files[0]);
  if (rc < 0) {
    if (files[1] >= 0) {
      close(files[1]);
    }
    return rc;
  }
  *fd = files[1];
  return 0;
}
