/*
 * The board profiles built next to this binary (boardnet-<board> in its
 * directory) and what each says about itself: `boardnet boards` lists them,
 * `boardnet info --compare a,b` puts their `info` side by side. Each
 * profile is a binary of its own (one lwIP per process), so its figures
 * come from running it.
 */
#define _GNU_SOURCE
#include "board_list.h"
#include "cli.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* This binary's directory into dir; 0 or -errno. */
static int own_dir(char dir[PATH_MAX])
{
  ssize_t n = readlink("/proc/self/exe", dir, PATH_MAX - 1);
  if (n < 0) {
    return -errno;
  }
  dir[n] = '\0';
  char *slash = strrchr(dir, '/');
  if (slash != NULL) {
    *slash = '\0';
  }
  return 0;
}

/* qsort() of the name rows. */
static int by_name(const void *a, const void *b)
{
  return strcmp(a, b);
}

int bn_board_list(char names[][BN_BOARD_NAME_MAX], int max)
{
  char dir[PATH_MAX];
  if (own_dir(dir) < 0) {
    return -1;
  }
  DIR *d = opendir(dir);
  if (d == NULL) {
    return -1;
  }
  int n = 0;
  struct dirent *e;
  while ((e = readdir(d)) != NULL && n < max) {
    const char *board = e->d_name + strlen("boardnet-");
    char path[PATH_MAX];
    if (strncmp(e->d_name, "boardnet-", 9) != 0 || *board == '\0' || strlen(board) >= BN_BOARD_NAME_MAX ||
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name) >= (int)sizeof(path) || access(path, X_OK) != 0) {
      continue;
    }
    snprintf(names[n++], BN_BOARD_NAME_MAX, "%s", board);
  }
  closedir(d);
  qsort(names, (size_t)n, BN_BOARD_NAME_MAX, by_name);
  return n;
}

int bn_board_info_of(const char *board, char *out, size_t size)
{
  char dir[PATH_MAX], path[PATH_MAX];
  if (strchr(board, '/') != NULL || own_dir(dir) < 0 ||
      snprintf(path, sizeof(path), "%s/boardnet-%s", dir, board) >= (int)sizeof(path) || access(path, X_OK) != 0) {
    return -ENOENT;
  }
  int fds[2];
  if (pipe(fds) < 0) {
    return -errno;
  }
  pid_t pid = fork();
  if (pid < 0) {
    close(fds[0]);
    close(fds[1]);
    return -errno;
  }
  if (pid == 0) {
    dup2(fds[1], STDOUT_FILENO);
    close(fds[0]);
    close(fds[1]);
    execl(path, path, "info", (char *)NULL);
    _exit(127);
  }
  close(fds[1]);
  size_t got = 0;
  ssize_t n;
  while (got + 1 < size && (n = read(fds[0], out + got, size - 1 - got)) != 0) {
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      break;
    }
    got += (size_t)n;
  }
  out[got] = '\0';
  close(fds[0]);
  int status;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -EIO;
}

const char *bn_board_info_field(const char *info, const char *key, char *value, size_t size)
{
  size_t klen = strlen(key);
  for (const char *line = info; *line != '\0';) {
    const char *nl = strchr(line, '\n');
    size_t len = nl ? (size_t)(nl - line) : strlen(line);
    if (len > klen && strncmp(line, key, klen) == 0 && line[klen] == ':') {
      const char *v = line + klen + 1;
      while (*v == ' ') {
        v++;
      }
      snprintf(value, size, "%.*s", (int)(line + len - v), v);
      return value;
    }
    line += len + (nl ? 1 : 0);
  }
  return NULL;
}
