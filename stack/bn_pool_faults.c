/*
 * Faults of the board's memory (bn_pool_faults.h): wrappers of lwIP's
 * memp_malloc() and mem_malloc() (ld --wrap) that fail on request, and
 * pools held back by taking their elements.
 */
#include "bn_pool_faults.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lwip/mem.h"
#include "lwip/memp.h"
#include "lwip/priv/memp_priv.h"
#include "lwip/sys.h"

/* The pools of this board's lwipopts.h, by name (lwIP's own X-macro list). */
static const struct {
  const char *name;
  memp_t type;
} pools[] = {
#define LWIP_MEMPOOL(name, num, size, desc) { #name, MEMP_##name },
#include "lwip/priv/memp_std.h"
};
#define N_POOLS (sizeof(pools) / sizeof(pools[0]))

/* Failures still to come, per pool and for the heap (atomic). */
static uint32_t fail_pool[MEMP_MAX];
static uint32_t fail_heap;
static uint64_t refused;

/* Held elements, per pool (under SYS_ARCH_PROTECT). */
struct held {
  void **elems;
  size_t n, cap;
};
static struct held held[MEMP_MAX];

static int find(const char *name)
{
  for (size_t i = 0; i < N_POOLS; i++) {
    if (strcmp(pools[i].name, name) == 0) {
      return (int)pools[i].type;
    }
  }
  return -1;
}

int bn_pool_faults_known(const char *name, int heap_ok)
{
  return find(name) >= 0 || (heap_ok && strcmp(name, "heap") == 0);
}

void bn_pool_faults_names(char *buf, size_t size)
{
  size_t len = 0;
  buf[0] = '\0';
  for (size_t i = 0; i < N_POOLS && len < size; i++) {
    int n = snprintf(buf + len, size - len, "%s%s", i ? ", " : "", pools[i].name);
    len += n > 0 ? (size_t)n : 0;
  }
}

/* Takes one decrement of a pending failure; true if this allocation fails. */
static int take_failure(uint32_t *pending)
{
  uint32_t v = __atomic_load_n(pending, __ATOMIC_ACQUIRE);
  while (v > 0) {
    if (__atomic_compare_exchange_n(pending, &v, v - 1, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
      __atomic_add_fetch(&refused, 1, __ATOMIC_RELAXED);
      return 1;
    }
  }
  return 0;
}

void *__real_memp_malloc(memp_t type);
void *__wrap_memp_malloc(memp_t type);
void *__real_mem_malloc(mem_size_t size);
void *__wrap_mem_malloc(mem_size_t size);

void *__wrap_memp_malloc(memp_t type)
{
  if ((unsigned)type < MEMP_MAX && take_failure(&fail_pool[type])) {
    return NULL;
  }
  return __real_memp_malloc(type);
}

void *__wrap_mem_malloc(mem_size_t size)
{
  if (take_failure(&fail_heap)) {
    return NULL;
  }
  return __real_mem_malloc(size);
}

int bn_pool_faults_exhaust(const char *name, double share_pct)
{
  int type = find(name);
  if (type < 0) {
    return -ENOENT;
  }
  size_t want = (size_t)((double)memp_pools[type]->num * share_pct / 100.0 + 0.5);
  struct held *h = &held[type];
  SYS_ARCH_DECL_PROTECT(lev);
  SYS_ARCH_PROTECT(lev);
  if (h->cap < h->n + want) {
    void **grown = realloc(h->elems, (h->n + want) * sizeof(*grown));
    if (grown != NULL) {
      h->elems = grown;
      h->cap = h->n + want;
    } else {
      want = h->cap - h->n;
    }
  }
  for (size_t i = 0; i < want; i++) {
    void *e = __real_memp_malloc((memp_t)type);
    if (e == NULL) {
      break;  /* the rest is in use already */
    }
    h->elems[h->n++] = e;
  }
  int n = (int)h->n;
  SYS_ARCH_UNPROTECT(lev);
  return n;
}

int bn_pool_faults_fail_next(const char *name, uint32_t n)
{
  if (strcmp(name, "heap") == 0) {
    __atomic_store_n(&fail_heap, n, __ATOMIC_RELEASE);
    return 0;
  }
  int type = find(name);
  if (type < 0) {
    return -ENOENT;
  }
  __atomic_store_n(&fail_pool[type], n, __ATOMIC_RELEASE);
  return 0;
}

void bn_pool_faults_clear(void)
{
  for (size_t t = 0; t < MEMP_MAX; t++) {
    __atomic_store_n(&fail_pool[t], 0, __ATOMIC_RELEASE);
    SYS_ARCH_DECL_PROTECT(lev);
    SYS_ARCH_PROTECT(lev);
    struct held *h = &held[t];
    void **elems = h->elems;
    size_t n = h->n;
    memset(h, 0, sizeof(*h));
    SYS_ARCH_UNPROTECT(lev);
    for (size_t i = 0; i < n; i++) {
      memp_free((memp_t)t, elems[i]);
    }
    free(elems);
  }
  __atomic_store_n(&fail_heap, 0, __ATOMIC_RELEASE);
}

uint64_t bn_pool_faults_refused(void)
{
  return __atomic_load_n(&refused, __ATOMIC_ACQUIRE);
}
