/*
 * A board and its program, run (board_runner.h): the boot, the board
 * thread, the wait for the end and the stop, and the calls of board.h that
 * a program makes from that thread.
 */
#define _GNU_SOURCE
#include "board_runner.h"
#include "board.h"
#include "bn_board.h"
#include "bn_clock.h"
#include "exit_status.h"
#include "privileges.h"

#include <errno.h>
#include <net/if.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

/* How often the runner looks at the program, the link and the clock. */
#define LOOK_NS (20 * 1000 * 1000)
/* A program still running this long after it was told to stop: say how to stop at once. */
#define TELL_AFTER_NS (500u * 1000u * 1000u)
#define DHCP_DEFAULT_TIMEOUT_MS 10000

static bn_mutex_t stop_mu = BN_MUTEX_INITIALIZER;
static bn_cond_t stop_cv;
static bool stopping;       /* under stop_mu: the program is told to stop */
static bool returned;       /* under stop_mu: it returned */
static int main_status;     /* its return value, once returned */
static bool ready;          /* atomic: board_ready() was called */
static sigset_t stop_signals;

/* The program became ready (become_ready()): its scenario started and its
 * replay released, once, by board_ready() or by the runner. */
static bn_runner *running;  /* the run under way, for board_ready() */
static bn_mutex_t ready_mu = BN_MUTEX_INITIALIZER;
static bool readied;        /* atomic, set under ready_mu */
static bool ready_failed;   /* atomic: the scenario could not start */

struct program_call {
  int (*program)(int, char **);
  int argc;
  char **argv;
};

static void *board_thread(void *arg)
{
  const struct program_call *call = arg;
  bn_sched_watch_waits(); /* a replay starts once the program waits */
  int status = call->program(call->argc, call->argv);
  bn_mutex_lock(&stop_mu);
  returned = true;
  main_status = status;
  bn_cond_broadcast(&stop_cv);
  bn_mutex_unlock(&stop_mu);
  return NULL;
}

/* Whether the program returned, and with what (*status). */
static bool program_ended(int *status)
{
  bn_mutex_lock(&stop_mu);
  bool done = returned;
  *status = main_status;
  bn_mutex_unlock(&stop_mu);
  return done;
}

static bool program_returned(void)
{
  int status;
  return program_ended(&status);
}

/* ---- board.h --------------------------------------------------------------- */

int board_wait_stop(long timeout_ms)
{
  uint64_t until = timeout_ms < 0 ? BN_CLOCK_FOREVER : bn_clock_after_ms(timeout_ms);
  bn_mutex_lock(&stop_mu);
  while (!stopping && bn_cond_wait(&stop_cv, &stop_mu, until) != ETIMEDOUT) {
  }
  int stop = stopping;
  bn_mutex_unlock(&stop_mu);
  return stop;
}

/* The program is ready for its peers: the scenario's time 0 is now and a
 * replay's peer frames may come (in that order). Once; any thread. */
static void become_ready(void)
{
  bn_mutex_lock(&ready_mu);
  bn_runner *r = running;
  if (r != NULL && !__atomic_load_n(&readied, __ATOMIC_ACQUIRE)) {
    bn_link *link = r->board->cfg.link;
    if (bn_scenario_run_start(&r->board->scenario, link, r->quiet ? NULL : r->out != NULL ? r->out : stderr) != 0) {
      __atomic_store_n(&ready_failed, true, __ATOMIC_RELEASE);
    }
    if (r->replay != NULL) {
      bn_link_pcap_release(link);
    }
    __atomic_store_n(&readied, true, __ATOMIC_RELEASE);
  }
  bn_mutex_unlock(&ready_mu);
}

void board_ready(void)
{
  __atomic_store_n(&ready, true, __ATOMIC_RELEASE);
  become_ready();
}

const char *board_name(void)
{
  return bn_board_name();
}

int board_ip(char *buf, size_t size)
{
  bn_stack_status st;
  if (buf == NULL || size < IP4ADDR_STRLEN_MAX || bn_stack_status_get(&st) < 0 || ip4_addr_isany_val(st.ip)) {
    return -1;
  }
  ip4addr_ntoa_r(&st.ip, buf, (int)size);
  return 0;
}

bool board_link_up(void)
{
  bn_stack_status st;
  return bn_stack_status_get(&st) == 0 && st.link_up;
}

/* ---- the run ----------------------------------------------------------------- */

/* How long the board's link may take to show the TAP's state at start. */
#define CARRIER_SETTLE_MS 1000

/* Whether the kernel side of TAP name is up (IFF_UP); false if unknown. */
static bool tap_kernel_up(const char *name)
{
  struct ifreq ifr = { 0 };
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0 || strlen(name) >= sizeof(ifr.ifr_name)) {
    if (fd >= 0) {
      close(fd);
    }
    return false;
  }
  memcpy(ifr.ifr_name, name, strlen(name));
  bool up = ioctl(fd, SIOCGIFFLAGS, &ifr) == 0 && (ifr.ifr_flags & IFF_UP);
  close(fd);
  return up;
}

/* The program starts with the board's link as the TAP is (its kernel side
 * down: the board's carrier down, and a connect() fails at once, every
 * time), and a TAP that is down is said. */
static void settle_carrier(const bn_runner *r)
{
  const char *tap = r->board->pipeline.tap;
  bool up = tap_kernel_up(tap);
  if (!up && !r->quiet) {
    fprintf(stderr, "boardnet: tap %s: its kernel side is down, so is the board's link (ip link set %s up)\n", tap,
            tap);
  }
  uint64_t until = bn_clock_after_ms(CARRIER_SETTLE_MS);
  while (board_link_up() != up && bn_clock_now_ns() < until) {
    bn_clock_sleep_ms(1); /* the receive thread reports the carrier at its first poll */
  }
}

int bn_runner_boot(bn_runner *r)
{
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &stop_signals, NULL); /* every thread inherits it */
  signal(SIGPIPE, SIG_IGN); /* a reader of --record - that goes away ends the recording, not the board */
  bn_cond_init(&stop_cv);
  bool tap = r->replay == NULL;
  int rc = bn_board_options_open(r->board, tap ? bn_drop_privileges : NULL, (void *)r->user);
  if (rc != 0) {
    return rc;
  }
  rc = bn_stack_start(&r->board->cfg);
  if (rc < 0) {
    bn_link_close(r->board->cfg.link);
    if (rc == -ETIMEDOUT && !tap) {
      return bn_fail(BN_EXIT_FAIL, "no DHCP lease from the capture");
    }
    if (rc == -ETIMEDOUT) {
      unsigned ms = r->board->cfg.dhcp_timeout_ms ? r->board->cfg.dhcp_timeout_ms : DHCP_DEFAULT_TIMEOUT_MS;
      return bn_fail(BN_EXIT_FAIL, "no DHCP lease on tap %s within %u s", r->board->pipeline.tap, ms / 1000);
    }
    return bn_fail(BN_EXIT_FAIL, "cannot start the stack: %s", strerror(-rc));
  }
  if (tap) {
    settle_carrier(r);
  }
  r->started_ns = bn_clock_now_ns();
  return 0;
}

/* Whether the program is ready for a replay's peers: it called
 * board_ready(), returned, or has been in one wait since the last look
 * (*waits, *waiting: what that look saw). */
static bool program_ready(uint64_t *waits, bool *waiting)
{
  bool now_waiting;
  uint64_t now_waits = bn_sched_watched_waits(&now_waiting);
  bool same_wait = *waiting && now_waiting && now_waits == *waits;
  *waits = now_waits;
  *waiting = now_waiting;
  return same_wait || __atomic_load_n(&ready, __ATOMIC_ACQUIRE) || program_returned();
}

/* Waits LOOK_NS for a stop signal; the signal, or 0. On the virtual clock
 * the wait is board time (a signal is looked for, not waited for: the host
 * must not decide when the board looks again). */
static int next_look(const struct timespec *step)
{
  if (bn_clock_is_virtual()) {
    struct timespec none = { 0 };
    int sig = sigtimedwait(&stop_signals, NULL, &none);
    if (sig > 0) {
      return sig;
    }
    bn_clock_sleep_until(bn_clock_add_ns(bn_clock_now_ns(), LOOK_NS));
    return 0;
  }
  return sigtimedwait(&stop_signals, NULL, step);
}

/* Waits for the end; once the program is ready, its scenario starts and a
 * replay's peer frames are released. */
static bn_run_end wait_for_end(bn_runner *r)
{
  uint64_t deadline = r->exit_after_s ? bn_clock_after_ms((long)r->exit_after_s * 1000) : 0;
  struct timespec step = { .tv_nsec = LOOK_NS };
  bool waiting = false;
  uint64_t waits = 0;
  for (;;) {
    bool started = __atomic_load_n(&readied, __ATOMIC_ACQUIRE);
    if (!started && program_ready(&waits, &waiting)) {
      become_ready();
      started = true;
    }
    if (__atomic_load_n(&ready_failed, __ATOMIC_ACQUIRE)) {
      return BN_END_FAILED;
    }
    if (r->replay != NULL && bn_replay_session_done(r->replay)) {
      return BN_END_REPLAYED;
    }
    int status;
    if (program_ended(&status) && (r->replay == NULL || status != 0)) {
      return BN_END_RETURNED; /* on a capture, a program that failed ends the replay */
    }
    if ((r->sig = next_look(&step)) > 0) {
      return BN_END_SIGNAL;
    }
    if ((r->link_error = bn_stack_link_error()) != 0) {
      return r->replay != NULL ? BN_END_REPLAYED : BN_END_LINK; /* a capture's end */
    }
    if (deadline != 0 && bn_clock_now_ns() >= deadline) {
      return BN_END_EXIT_AFTER;
    }
    if (started && bn_scenario_run_ended(&r->board->scenario)) {
      return BN_END_SCENARIO;
    }
  }
}

/* Tells the program to stop and gives it BN_RUNNER_GRACE_MS to return; a
 * second stop signal meanwhile ends the wait at once (false: not returned). */
static bool stop_program(const bn_runner *r)
{
  uint64_t start = bn_clock_now_ns(), until = bn_clock_after_ms(BN_RUNNER_GRACE_MS);
  bn_mutex_lock(&stop_mu);
  stopping = true;
  bn_cond_broadcast(&stop_cv);
  bn_mutex_unlock(&stop_mu);
  bool told = false;
  for (;;) {
    uint64_t slice = bn_clock_after_ms(LOOK_NS / 1000000);
    bn_mutex_lock(&stop_mu);
    while (!returned && bn_cond_wait(&stop_cv, &stop_mu, slice < until ? slice : until) != ETIMEDOUT) {
    }
    bool done = returned;
    bn_mutex_unlock(&stop_mu);
    if (done) {
      return true;
    }
    if (bn_clock_now_ns() >= until) {
      bn_fail(0, "the board's program did not return within %d s: stopping the board under it",
              BN_RUNNER_GRACE_MS / 1000);
      return false;
    }
    if (!told && !r->quiet && bn_clock_now_ns() >= bn_clock_add_ns(start, TELL_AFTER_NS)) {
      fprintf(stderr, "boardnet: waiting up to %d s for the program to return (interrupt again to stop at once)\n",
              BN_RUNNER_GRACE_MS / 1000);
      told = true;
    }
    struct timespec now = { 0 };
    int sig = sigtimedwait(&stop_signals, NULL, &now);
    if (sig > 0) {
      bn_fail(0, "%s again: stopping the board under its program at once", strsignal(sig));
      return false;
    }
  }
}

bn_run_end bn_runner_run(bn_runner *r, int (*program)(int, char **), int argc, char **argv)
{
  bn_scenario_run *scenario = &r->board->scenario;
  bn_mutex_lock(&ready_mu);
  running = r;
  bn_mutex_unlock(&ready_mu);
  static struct program_call call;
  call = (struct program_call){ .program = program, .argc = argc, .argv = argv };
  bn_thread_t thread;
  if (bn_thread_create(&thread, "board_main", board_thread, &call) != 0) {
    bn_fail(0, "cannot start the board thread");
    bn_stack_stop();
    r->scenario_rc = bn_scenario_run_finish(scenario);
    return BN_END_FAILED;
  }
  bn_run_end end = wait_for_end(r);
  r->returned = end == BN_END_RETURNED || stop_program(r);
  if (end == BN_END_RETURNED && r->replay == NULL) {
    bn_stack_settle(BN_RUNNER_GRACE_MS); /* its last response on its way (a FIN, a delayed frame) */
  }
  bn_mutex_lock(&ready_mu);
  running = NULL; /* a late board_ready() starts nothing */
  bn_mutex_unlock(&ready_mu);
  bn_scenario_run_stop(scenario);
  bn_stack_status_get(&r->last);
  bn_stack_stop(); /* a recording is flushed and closed; a replay's comparison is final */
  memcpy(scenario->board_mac, r->last.mac, sizeof(scenario->board_mac)); /* the recording's egress frames */
  r->scenario_rc = bn_scenario_run_finish(scenario);
  if (r->returned) {
    bn_thread_join(thread, NULL);
    r->status = main_status;
  } else {
    bn_thread_detach(thread); /* the process ends without it */
  }
  return end;
}

const char *bn_runner_end_reason(const bn_runner *r, bn_run_end end)
{
  switch (end) {
  case BN_END_SIGNAL:     return strsignal(r->sig);
  case BN_END_LINK:       return "the link ended";
  case BN_END_EXIT_AFTER: return "--exit-after";
  case BN_END_SCENARIO:   return "the scenario's end";
  case BN_END_REPLAYED:   return "the replay's end";
  case BN_END_FAILED:     return "the board could not run its program";
  default:                return "the program returned";
  }
}

const char *bn_runner_cut_short(const bn_runner *r, bn_run_end end)
{
  switch (end) {
  case BN_END_SIGNAL:
  case BN_END_EXIT_AFTER:
  case BN_END_SCENARIO:   return bn_runner_end_reason(r, end);
  case BN_END_RETURNED:   return "the board's program failed";
  default:                return NULL;
  }
}
