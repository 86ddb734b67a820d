/*
 * boardnet's own sys_arch for lwIP (pthreads), used by every board instead of
 * the contrib unix port's port/sys_arch.c, for two reasons:
 * - One clock: sys_now() and every wait with a timeout (semaphores,
 *   mailboxes) go through bn_clock (netif/bn_clock.h); the port's file reads
 *   and waits on the host's clocks itself, which a virtual clock could not
 *   replace.
 * - Sized mailboxes: the port fixes every mailbox at 128 entries whatever size
 *   lwIP asks for; a window of more segments overflows it and frames are
 *   dropped inside lwIP (measured 2 MB/s instead of 150 MB/s with a 256 KiB
 *   window, LWIP-NOTES.md). Here every mailbox has the size lwIP asks for,
 *   and lwIP's 0 ("the port's default") is the port's 128.
 * - Work after the core lock: a thread may leave itself work to do once it
 *   released the core lock (sys_defer_until_core_unlock(): the netif writes
 *   a small reply to the wire there, usocket wakes the threads an event
 *   concerns), so that neither a system call nor a woken thread waits on
 *   the lock.
 * The port's arch headers (cc.h, sys_arch.h) are still used.
 */
#define _GNU_SOURCE /* PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP */
#include "lwip/opt.h"
#include "lwip/sys.h"
#include "lwip/err.h"

#include <errno.h>
#include <stdbool.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "bn_clock.h" /* netif/: the board clock */

/* The size of a mailbox for which lwIP asks 0 (its options' default: "the
 * port's choice"): what the unix port gives every mailbox. */
#define SYS_MBOX_SIZE_DEFAULT 128

struct sys_sem {
  bn_mutex_t lock;
  bn_cond_t cond;
  unsigned count;
};

struct sys_mutex {
  bn_mutex_t lock;
};

struct sys_mbox {
  bn_mutex_t lock;
  bn_cond_t not_empty;
  bn_cond_t not_full;
  size_t size;      /* capacity, as asked for by lwIP */
  size_t first;     /* index of the oldest message */
  size_t count;     /* messages queued */
  void **msgs;
};

struct sys_thread {
  bn_thread_t id;
  struct sys_thread *next;  /* all threads stay listed: lwIP drops the handles */
};

static bn_mutex_t threads_lock = BN_MUTEX_INITIALIZER;
static struct sys_thread *threads;

/* ---- time ---------------------------------------------------------------- */

u32_t sys_now(void)
{
  return (u32_t)(bn_clock_now_ns() / 1000000u);
}

u32_t sys_jiffies(void)
{
  return (u32_t)(bn_clock_now_ns() / 1000u);
}

/*
 * Waits on cond until ready() is true; timeout_ms 0 waits forever.
 * Returns the milliseconds waited, or SYS_ARCH_TIMEOUT.
 */
static u32_t wait_until(bn_cond_t *cond, bn_mutex_t *lock, u32_t timeout_ms,
                        int (*ready)(void *), void *obj)
{
  u32_t start = sys_now();
  uint64_t deadline = timeout_ms == 0 ? BN_CLOCK_FOREVER : bn_clock_after_ms((long)timeout_ms);
  while (!ready(obj)) {
    if (bn_cond_wait(cond, lock, deadline) == ETIMEDOUT && !ready(obj)) {
      return SYS_ARCH_TIMEOUT;
    }
  }
  u32_t waited = sys_now() - start;
  /* lwIP reads SYS_ARCH_TIMEOUT as "timed out": never return it on success */
  return waited == SYS_ARCH_TIMEOUT ? waited - 1 : waited;
}

/* ---- threads and the core lock ------------------------------------------- */

struct thread_start {
  lwip_thread_fn fn;
  void *arg;
};

static void *thread_main(void *p)
{
  struct thread_start start = *(struct thread_start *)p;
  free(p);
  start.fn(start.arg);
  return NULL;
}

sys_thread_t sys_thread_new(const char *name, lwip_thread_fn function, void *arg,
                            int stacksize, int prio)
{
  LWIP_UNUSED_ARG(stacksize);
  LWIP_UNUSED_ARG(prio);
  struct sys_thread *t = malloc(sizeof(*t));
  struct thread_start *start = malloc(sizeof(*start));
  LWIP_ASSERT("sys_thread_new: out of memory", t != NULL && start != NULL);
  start->fn = function;
  start->arg = arg;
  bn_mutex_lock(&threads_lock);
  t->next = threads;
  threads = t;
  bn_mutex_unlock(&threads_lock);
  int rc = bn_thread_create(&t->id, name != NULL ? name : "lwip", thread_main, start);
  LWIP_ASSERT("sys_thread_new: bn_thread_create failed", rc == 0);
  LWIP_UNUSED_ARG(rc);
  return t;
}

static bn_mutex_t core_lock = BN_MUTEX_INITIALIZER;
static pthread_t core_lock_holder;
static int core_lock_held;
static pthread_t tcpip_thread;
static int tcpip_thread_known;

/* Work this thread deferred until it releases the core lock (see
 * sys_defer_until_core_unlock()). A handful is plenty: one per netif. */
#define CORE_DEFERRED_MAX 4
struct core_deferred {
  void (*fn)(void *arg);
  void *arg;
};
static _Thread_local struct core_deferred core_deferred[CORE_DEFERRED_MAX];
static _Thread_local unsigned core_deferred_count;
static _Thread_local bool core_lock_mine; /* this thread holds the core lock */

sys_core_deferred sys_defer_until_core_unlock(void (*fn)(void *arg), void *arg)
{
  if (!core_lock_mine) {
    return SYS_CORE_DEFERRED_REFUSED; /* this thread will not unlock it */
  }
  for (unsigned i = 0; i < core_deferred_count; i++) {
    if (core_deferred[i].fn == fn && core_deferred[i].arg == arg) {
      return SYS_CORE_DEFERRED_ALREADY;
    }
  }
  if (core_deferred_count == CORE_DEFERRED_MAX) {
    return SYS_CORE_DEFERRED_REFUSED;
  }
  core_deferred[core_deferred_count++] = (struct core_deferred){ fn, arg };
  return SYS_CORE_DEFERRED_ADDED;
}

void sys_lock_tcpip_core(void)
{
  bn_mutex_lock(&core_lock);
  core_lock_holder = pthread_self();
  __atomic_store_n(&core_lock_held, 1, __ATOMIC_RELAXED);
  core_lock_mine = true;
}

void sys_unlock_tcpip_core(void)
{
  core_lock_mine = false;
  __atomic_store_n(&core_lock_held, 0, __ATOMIC_RELAXED);
  bn_mutex_unlock(&core_lock);
  /* Now the deferred work, in the order it was deferred; it may defer more
   * only after taking the lock again, which then runs at that unlock. */
  unsigned n = core_deferred_count;
  if (n > 0) {
    struct core_deferred run[CORE_DEFERRED_MAX];
    memcpy(run, core_deferred, n * sizeof(run[0]));
    core_deferred_count = 0;
    for (unsigned i = 0; i < n; i++) {
      run[i].fn(run[i].arg);
    }
  }
}

void sys_mark_tcpip_thread(void)
{
  tcpip_thread = pthread_self();
  __atomic_store_n(&tcpip_thread_known, 1, __ATOMIC_RELEASE);
}

void sys_check_core_locking(void)
{
  if (__atomic_load_n(&tcpip_thread_known, __ATOMIC_ACQUIRE)) {
    LWIP_ASSERT("lwIP core called without the core lock",
                __atomic_load_n(&core_lock_held, __ATOMIC_RELAXED) &&
                pthread_equal(core_lock_holder, pthread_self()));
  }
}

/* ---- semaphores ---------------------------------------------------------- */

err_t sys_sem_new(sys_sem_t *sem, u8_t count)
{
  struct sys_sem *s = calloc(1, sizeof(*s));
  if (s == NULL) {
    *sem = NULL;
    return ERR_MEM;
  }
  bn_mutex_init(&s->lock);
  bn_cond_init(&s->cond);
  s->count = count;
  *sem = s;
  return ERR_OK;
}

static int sem_ready(void *p)
{
  return ((struct sys_sem *)p)->count > 0;
}

u32_t sys_arch_sem_wait(sys_sem_t *sem, u32_t timeout)
{
  struct sys_sem *s = *sem;
  bn_mutex_lock(&s->lock);
  u32_t waited = wait_until(&s->cond, &s->lock, timeout, sem_ready, s);
  if (waited != SYS_ARCH_TIMEOUT) {
    s->count--;
  }
  bn_mutex_unlock(&s->lock);
  return waited;
}

void sys_sem_signal(sys_sem_t *sem)
{
  struct sys_sem *s = *sem;
  bn_mutex_lock(&s->lock);
  s->count++;
  bn_cond_signal(&s->cond);
  bn_mutex_unlock(&s->lock);
}

void sys_sem_free(sys_sem_t *sem)
{
  struct sys_sem *s = *sem;
  if (s != NULL) {
    bn_cond_destroy(&s->cond);
    bn_mutex_destroy(&s->lock);
    free(s);
    *sem = NULL;
  }
}

/* ---- mutexes ------------------------------------------------------------- */

err_t sys_mutex_new(sys_mutex_t *mutex)
{
  struct sys_mutex *m = malloc(sizeof(*m));
  if (m == NULL) {
    *mutex = NULL;
    return ERR_MEM;
  }
  bn_mutex_init(&m->lock);
  *mutex = m;
  return ERR_OK;
}

void sys_mutex_lock(sys_mutex_t *mutex)
{
  bn_mutex_lock(&(*mutex)->lock);
}

void sys_mutex_unlock(sys_mutex_t *mutex)
{
  bn_mutex_unlock(&(*mutex)->lock);
}

void sys_mutex_free(sys_mutex_t *mutex)
{
  if (*mutex != NULL) {
    bn_mutex_destroy(&(*mutex)->lock);
    free(*mutex);
    *mutex = NULL;
  }
}

/* ---- mailboxes: a ring of exactly the size lwIP asks for ------------------ */

err_t sys_mbox_new(sys_mbox_t *mbox, int size)
{
  struct sys_mbox *mb = calloc(1, sizeof(*mb));
  if (mb == NULL) {
    *mbox = NULL;
    return ERR_MEM;
  }
  mb->size = size > 0 ? (size_t)size : SYS_MBOX_SIZE_DEFAULT;
  mb->msgs = calloc(mb->size, sizeof(void *));
  if (mb->msgs == NULL) {
    free(mb);
    *mbox = NULL;
    return ERR_MEM;
  }
  bn_mutex_init(&mb->lock);
  bn_cond_init(&mb->not_empty);
  bn_cond_init(&mb->not_full);
  *mbox = mb;
  return ERR_OK;
}

void sys_mbox_free(sys_mbox_t *mbox)
{
  struct sys_mbox *mb = *mbox;
  if (mb != NULL) {
    LWIP_ASSERT("sys_mbox_free: mailbox not empty", mb->count == 0);
    bn_cond_destroy(&mb->not_empty);
    bn_cond_destroy(&mb->not_full);
    bn_mutex_destroy(&mb->lock);
    free(mb->msgs);
    free(mb);
    *mbox = NULL;
  }
}

static void mbox_put(struct sys_mbox *mb, void *msg)
{
  mb->msgs[(mb->first + mb->count) % mb->size] = msg;
  mb->count++;
  bn_cond_signal(&mb->not_empty);
}

static void *mbox_take(struct sys_mbox *mb)
{
  void *msg = mb->msgs[mb->first];
  mb->first = (mb->first + 1) % mb->size;
  mb->count--;
  bn_cond_signal(&mb->not_full);
  return msg;
}

static int mbox_has_room(void *p)
{
  struct sys_mbox *mb = p;
  return mb->count < mb->size;
}

static int mbox_has_msg(void *p)
{
  return ((struct sys_mbox *)p)->count > 0;
}

void sys_mbox_post(sys_mbox_t *mbox, void *msg)
{
  struct sys_mbox *mb = *mbox;
  bn_mutex_lock(&mb->lock);
  wait_until(&mb->not_full, &mb->lock, 0, mbox_has_room, mb);
  mbox_put(mb, msg);
  bn_mutex_unlock(&mb->lock);
}

err_t sys_mbox_trypost(sys_mbox_t *mbox, void *msg)
{
  struct sys_mbox *mb = *mbox;
  err_t err = ERR_MEM;
  bn_mutex_lock(&mb->lock);
  if (mbox_has_room(mb)) {
    mbox_put(mb, msg);
    err = ERR_OK;
  }
  bn_mutex_unlock(&mb->lock);
  return err;
}

err_t sys_mbox_trypost_fromisr(sys_mbox_t *mbox, void *msg)
{
  return sys_mbox_trypost(mbox, msg);
}

u32_t sys_arch_mbox_fetch(sys_mbox_t *mbox, void **msg, u32_t timeout)
{
  struct sys_mbox *mb = *mbox;
  bn_mutex_lock(&mb->lock);
  u32_t waited = wait_until(&mb->not_empty, &mb->lock, timeout, mbox_has_msg, mb);
  if (waited == SYS_ARCH_TIMEOUT) {
    if (msg != NULL) {
      *msg = NULL;
    }
  } else {
    void *m = mbox_take(mb);
    if (msg != NULL) {
      *msg = m;
    }
  }
  bn_mutex_unlock(&mb->lock);
  return waited;
}

u32_t sys_arch_mbox_tryfetch(sys_mbox_t *mbox, void **msg)
{
  struct sys_mbox *mb = *mbox;
  u32_t result = SYS_MBOX_EMPTY;
  bn_mutex_lock(&mb->lock);
  if (mb->count > 0) {
    void *m = mbox_take(mb);
    if (msg != NULL) {
      *msg = m;
    }
    result = 0;
  }
  bn_mutex_unlock(&mb->lock);
  return result;
}

/* ---- SYS_ARCH_PROTECT: one recursive process-wide lock ------------------- */

static bn_mutex_t protect_lock = BN_MUTEX_RECURSIVE_INITIALIZER;

sys_prot_t sys_arch_protect(void)
{
  bn_mutex_lock(&protect_lock);
  return 0;
}

void sys_arch_unprotect(sys_prot_t pval)
{
  LWIP_UNUSED_ARG(pval);
  bn_mutex_unlock(&protect_lock);
}

void sys_init(void)
{
}
