/*
 * One semaphore per application thread for lwIP's netconn API
 * (LWIP_NETCONN_SEM_PER_THREAD: API calls of two threads on one netconn do
 * not share its semaphore): created on first use by a thread, freed when the
 * thread exits.
 */
#include "lwip/opt.h"
#include "lwip/sys.h"

#include <pthread.h>

static pthread_key_t sem_key;
static pthread_once_t sem_key_once = PTHREAD_ONCE_INIT;
static __thread sys_sem_t thread_sem;

static void free_at_thread_exit(void *p)
{
  sys_sem_t sem = p;
  sys_sem_free(&sem);
}

static void make_key(void)
{
  int rc = pthread_key_create(&sem_key, free_at_thread_exit);
  LWIP_ASSERT("bn_thread_sem: pthread_key_create failed", rc == 0);
  LWIP_UNUSED_ARG(rc);
}

void bn_thread_sem_alloc(void)
{
  if (thread_sem != NULL) {
    return;
  }
  pthread_once(&sem_key_once, make_key);
  err_t err = sys_sem_new(&thread_sem, 0);
  LWIP_ASSERT("bn_thread_sem: out of memory", err == ERR_OK);
  LWIP_UNUSED_ARG(err);
  pthread_setspecific(sem_key, thread_sem);
}

sys_sem_t *bn_thread_sem_get(void)
{
  bn_thread_sem_alloc();
  return &thread_sem;
}

void bn_thread_sem_free(void)
{
  if (thread_sem != NULL) {
    pthread_setspecific(sem_key, NULL);
    sys_sem_free(&thread_sem);
  }
}
