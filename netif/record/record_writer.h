/*
 * The record stage's output (link_record.c): a stdio FILE that libpcap's
 * dumper writes into, whose bytes a thread of the writer's own puts in the
 * file. The board's receive and transmit threads then only copy a frame into
 * memory; the system calls that move it into the file (on a fast capture,
 * the largest cost) happen beside them, not while they hold the recorder or
 * lwIP's core lock. Bytes go to the file in the order written, through a
 * few large buffers; when all are full, writing waits for room, at most
 * RECORD_WAIT_MS (a slow disk slows the board down that long); then the
 * writer fails with ETIMEDOUT, so that a stalled file (a paused pipe) never
 * stops the board.
 */
#ifndef BN_RECORD_WRITER_H
#define BN_RECORD_WRITER_H

#include <stdio.h>

typedef struct bn_record_writer bn_record_writer;

/** The longest a write waits for room in the buffers. */
#define RECORD_WAIT_MS 500

/**
 * Starts a writer and its thread.
 * @param failed called once, from the writer's thread, when a write to a
 *               file fails (bn_record_writer_error() says how); may be NULL
 * @return 0, -ENOMEM, or -EAGAIN (no thread).
 */
int bn_record_writer_open(bn_record_writer **out, void (*failed)(void *arg), void *arg);

/**
 * A FILE whose bytes go to fd through the writer (fully buffered). fclose()
 * of it closes fd once everything before is written. After a write error
 * every write to it fails (ferror()) with the error's errno.
 * @return the FILE, or NULL (errno ENOMEM).
 */
FILE *bn_record_writer_fopen(bn_record_writer *w, int fd);

/** Hands what was written so far to the thread (after fflush() of the FILE). */
void bn_record_writer_flush(bn_record_writer *w);

/** The first write error (-errno), or 0. Thread-safe. */
int bn_record_writer_error(bn_record_writer *w);

/**
 * Writes everything out, stops the thread, frees w. Every FILE must be closed.
 * @return 0, or the first write error (-errno).
 */
int bn_record_writer_close(bn_record_writer *w);

#endif /* BN_RECORD_WRITER_H */
