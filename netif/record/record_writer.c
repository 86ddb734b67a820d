/*
 * The record stage's writer (record_writer.h): FILEs made with fopencookie()
 * append into a ring of large chunks; a thread writes full (or flushed)
 * chunks to their file descriptors in order and closes a file after its
 * last chunk.
 */
#define _GNU_SOURCE /* fopencookie */
#include "record_writer.h"
#include "bn_clock.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CHUNK_SIZE (1024 * 1024)
#define CHUNKS 4
/* The FILE's own buffer: libpcap writes a record as two fwrite()s; stdio
 * hands them over in pieces of this size. */
#define STDIO_BUFFER (64 * 1024)

struct chunk {
  uint8_t *data;
  size_t used;
  int fd;             /* the file it belongs to */
  bool close_after;   /* the file's last chunk: close fd once written */
};

struct bn_record_writer {
  bn_mutex_t mu;
  bn_cond_t to_write;   /* a chunk was queued, or stop */
  bn_cond_t written;    /* a chunk came back */
  struct chunk chunks[CHUNKS];
  /* chunks[(head + i) % CHUNKS], i < queued, wait for the thread; chunks
   * [(head + queued) % CHUNKS] is the one being filled; the rest are free. */
  unsigned head, queued;
  bool filling;              /* the fill chunk holds (or is claimed for) data */
  bool stop;
  int error;
  /* A file given up after an error, while the thread may still be writing
   * to it: the thread closes it between chunks, bn_record_writer_close() if
   * the thread did not (-1: none). Closing it under the thread's write()
   * would let a new file reuse the number and get the rest of the chunk. */
  int orphan_fd;
  void (*failed)(void *arg);
  void *failed_arg;
  bn_thread_t thread;
};

/* One FILE's link to the writer. */
struct cookie {
  bn_record_writer *w;
  int fd;
};

static struct chunk *fill_chunk(bn_record_writer *w)
{
  return &w->chunks[(w->head + w->queued) % CHUNKS];
}

/* Queues the fill chunk (under mu) if it holds anything or closes a file. */
static void queue_fill_locked(bn_record_writer *w)
{
  if (w->filling) {
    w->queued++;
    w->filling = false;
    bn_cond_signal(&w->to_write);
  }
}

/* A fill chunk for fd with room for at least 1 byte (under mu); waits for
 * the thread when every chunk is queued, at most RECORD_WAIT_MS: then the
 * writer fails with -ETIMEDOUT (NULL). */
static struct chunk *chunk_for(bn_record_writer *w, int fd)
{
  struct chunk *c = fill_chunk(w);
  if (w->filling && (c->fd != fd || c->used == CHUNK_SIZE)) {
    queue_fill_locked(w);
  }
  uint64_t deadline = bn_clock_after_ms(RECORD_WAIT_MS);
  while (!w->filling && w->queued == CHUNKS) {
    if (bn_cond_wait(&w->written, &w->mu, deadline) == ETIMEDOUT && w->queued == CHUNKS) {
      if (w->error == 0) {
        w->error = -ETIMEDOUT;
      }
      return NULL;
    }
  }
  c = fill_chunk(w);
  if (!w->filling) {
    c->used = 0;
    c->fd = fd;
    c->close_after = false;
    w->filling = true;
  }
  return c;
}

static ssize_t cookie_write(void *p, const char *buf, size_t size)
{
  struct cookie *k = p;
  bn_record_writer *w = k->w;
  bn_mutex_lock(&w->mu);
  if (w->error != 0) {
    int e = -w->error;
    bn_mutex_unlock(&w->mu);
    errno = e;
    return -1;
  }
  size_t done = 0;
  while (done < size) {
    struct chunk *c = chunk_for(w, k->fd);
    if (c == NULL) {
      bn_mutex_unlock(&w->mu);
      errno = ETIMEDOUT;
      return -1;
    }
    size_t n = size - done < CHUNK_SIZE - c->used ? size - done : CHUNK_SIZE - c->used;
    memcpy(c->data + c->used, buf + done, n);
    c->used += n;
    done += n;
  }
  bn_mutex_unlock(&w->mu);
  return (ssize_t)size;
}

static int cookie_close(void *p)
{
  struct cookie *k = p;
  bn_record_writer *w = k->w;
  bn_mutex_lock(&w->mu);
  if (w->error != 0) {
    /* Nothing of this file will be written any more (the thread skips its
     * queued chunks): the thread closes it, without waiting for room. One
     * error stops the recording, so there is one such file at most. */
    if (w->orphan_fd >= 0) {
      close(w->orphan_fd);  /* cannot happen; never leak one */
    }
    w->orphan_fd = k->fd;
    bn_cond_signal(&w->to_write);
    bn_mutex_unlock(&w->mu);
    free(k);
    return 0;
  }
  /* The file's last chunk. */
  struct chunk *c = fill_chunk(w);
  if (w->filling && c->fd != k->fd) {
    queue_fill_locked(w);
  }
  while (!w->filling && w->queued == CHUNKS) {
    bn_cond_wait(&w->written, &w->mu, BN_CLOCK_FOREVER);
  }
  c = fill_chunk(w);
  if (!w->filling) {
    c->used = 0;
    c->fd = k->fd;
    w->filling = true;
  }
  c->close_after = true;
  queue_fill_locked(w);
  bn_mutex_unlock(&w->mu);
  free(k);
  return 0;
}

/* Writes all of a chunk; -errno on failure. */
static int write_all(const struct chunk *c)
{
  size_t off = 0;
  while (off < c->used) {
    ssize_t n = write(c->fd, c->data + off, c->used - off);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return -errno;
    }
    off += (size_t)n;
  }
  return 0;
}

static void *writer_main(void *arg)
{
  bn_record_writer *w = arg;
  /* Only a write() may be cancelled (bn_record_writer_close() after a stall). */
  pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, NULL);
  bn_mutex_lock(&w->mu);
  for (;;) {
    while (w->queued == 0 && !w->stop && w->orphan_fd < 0) {
      bn_cond_wait(&w->to_write, &w->mu, BN_CLOCK_FOREVER);
    }
    if (w->orphan_fd >= 0) {
      close(w->orphan_fd);  /* between chunks: no write() of ours is on it */
      w->orphan_fd = -1;
    }
    if (w->queued == 0 && !w->stop) {
      continue;
    }
    if (w->queued == 0) {
      break; /* stop, and everything is written */
    }
    struct chunk *c = &w->chunks[w->head];
    bool ok = w->error == 0;
    bn_mutex_unlock(&w->mu);
    int rc = 0;
    if (ok) {
      pthread_setcancelstate(PTHREAD_CANCEL_ENABLE, NULL);
      rc = write_all(c);
      pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, NULL);
    }
    if (c->close_after) {
      close(c->fd);
    }
    bn_mutex_lock(&w->mu);
    bool first_error = rc < 0 && w->error == 0;
    if (first_error) {
      w->error = rc;
    }
    w->head = (w->head + 1) % CHUNKS;
    w->queued--;
    bn_cond_broadcast(&w->written);
    if (first_error && w->failed != NULL) {
      bn_mutex_unlock(&w->mu);
      w->failed(w->failed_arg);
      bn_mutex_lock(&w->mu);
    }
  }
  bn_mutex_unlock(&w->mu);
  return NULL;
}

/* Frees a writer whose thread is not running (any more). */
static void free_writer(bn_record_writer *w)
{
  bn_cond_destroy(&w->written);
  bn_cond_destroy(&w->to_write);
  bn_mutex_destroy(&w->mu);
  for (int i = 0; i < CHUNKS; i++) {
    free(w->chunks[i].data);
  }
  free(w);
}

int bn_record_writer_open(bn_record_writer **out, void (*failed)(void *arg), void *arg)
{
  bn_record_writer *w = calloc(1, sizeof(*w));
  if (w == NULL) {
    return -ENOMEM;
  }
  w->failed = failed;
  w->failed_arg = arg;
  w->orphan_fd = -1;
  bn_mutex_init(&w->mu);
  bn_cond_init(&w->to_write);
  bn_cond_init(&w->written);
  for (int i = 0; i < CHUNKS; i++) {
    w->chunks[i].data = malloc(CHUNK_SIZE);
    if (w->chunks[i].data == NULL) {
      free_writer(w); /* free(NULL) for the chunks not allocated */
      return -ENOMEM;
    }
  }
  if (bn_thread_create(&w->thread, "bn-record", writer_main, w) != 0) {
    free_writer(w);
    return -EAGAIN;
  }
  *out = w;
  return 0;
}

FILE *bn_record_writer_fopen(bn_record_writer *w, int fd)
{
  struct cookie *k = malloc(sizeof(*k));
  if (k == NULL) {
    errno = ENOMEM;
    return NULL;
  }
  k->w = w;
  k->fd = fd;
  cookie_io_functions_t io = { .write = cookie_write, .close = cookie_close };
  FILE *f = fopencookie(k, "wb", io);
  if (f == NULL) {
    free(k);
    return NULL;
  }
  setvbuf(f, NULL, _IOFBF, STDIO_BUFFER);
  return f;
}

void bn_record_writer_flush(bn_record_writer *w)
{
  bn_mutex_lock(&w->mu);
  queue_fill_locked(w);
  bn_mutex_unlock(&w->mu);
}

int bn_record_writer_error(bn_record_writer *w)
{
  bn_mutex_lock(&w->mu);
  int e = w->error;
  bn_mutex_unlock(&w->mu);
  return e;
}

int bn_record_writer_close(bn_record_writer *w)
{
  bn_mutex_lock(&w->mu);
  queue_fill_locked(w);
  w->stop = true;
  bn_cond_signal(&w->to_write);
  bool stalled = w->error == -ETIMEDOUT;
  bn_mutex_unlock(&w->mu);
  if (stalled) {
    bn_thread_cancel(w->thread); /* it may sit in a write() nobody reads */
  }
  bn_thread_join(w->thread, NULL);
  if (w->orphan_fd >= 0) {
    close(w->orphan_fd);
  }
  if (stalled) { /* what the cancelled thread left: close the files it would have */
    for (unsigned i = 0; i < w->queued; i++) {
      const struct chunk *c = &w->chunks[(w->head + i) % CHUNKS];
      if (c->close_after) {
        close(c->fd);
      }
    }
  }
  int error = w->error;
  free_writer(w);
  return error;
}
