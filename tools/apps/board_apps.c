/* The table of board apps, and how each kind starts (board_apps.h). */
#include "board_apps.h"
#include "app_server.h"
#include "replay_mirror.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* How long one of the mirror's receives or sends may wait. */
#define MIRROR_IO_TIMEOUT_MS 30000

_Static_assert(BN_MIRROR_ERRLEN <= BN_APP_ERRLEN, "the mirror's errors fit an app's");

void bn_app_echo(usocket *client);
void bn_app_discard(usocket *client);
void bn_app_chargen(usocket *client);
void bn_app_http(usocket *client);
int bn_app_echo_udp_start(uint16_t port);

/* A server: every connection served by its handler (echo also over UDP). */
static int start_server(const bn_app_info *app, uint16_t port, const bn_app_env *env, char err[BN_APP_ERRLEN])
{
  port = port ? port : app->default_port;
  int rc = bn_app_serve(app->name, port, env->backlog ? env->backlog : BN_APP_BACKLOG, env->nodelay, app->serve);
  if (rc == 0 && app->serve == bn_app_echo) {
    rc = bn_app_echo_udp_start(port);
  }
  if (rc < 0) {
    snprintf(err, BN_APP_ERRLEN, "app %s on port %u: %s", app->name, port, strerror(-rc));
  }
  return rc;
}

static int start_mirror(const bn_app_info *app, uint16_t port, const bn_app_env *env, char err[BN_APP_ERRLEN])
{
  (void)port;
  if (env->plan == NULL || env->live == NULL) {
    snprintf(err, BN_APP_ERRLEN, "--app %s re-enacts a capture: only on a replay", app->name);
    return -EINVAL;
  }
  int rc = bn_replay_mirror_start(env->plan, env->live, MIRROR_IO_TIMEOUT_MS, err);
  return rc < 0 ? rc : 0;
}

const bn_app_info bn_apps[] = {
  { .name = "echo", .default_port = 7, .summary = "sends back every byte received, over TCP and UDP (RFC 862)",
    .serve = bn_app_echo, .start = start_server },
  { .name = "discard", .default_port = 9, .summary = "reads and throws away everything (RFC 863)",
    .serve = bn_app_discard, .start = start_server },
  { .name = "chargen", .default_port = 19,
    .summary = "sends the character generator stream until the peer closes (RFC 864)",
    .serve = bn_app_chargen, .start = start_server },
  { .name = "http", .default_port = 80, .summary = "serves a page on / and N bytes of the chargen stream on /bytes/N",
    .serve = bn_app_http, .start = start_server },
  { .name = "mirror", .replay_only = true,
    .summary = "re-enacts the captured board's side of every TCP connection: accepts those the peers opened, "
               "opens those it opened, sends the bytes it sent as it sent them, closes where it closed",
    .start = start_mirror, .stop = bn_replay_mirror_stop, .busy = bn_replay_mirror_busy },
  { .name = NULL },
};

const bn_app_info *bn_app_find(const char *name)
{
  for (const bn_app_info *app = bn_apps; app->name != NULL; app++) {
    if (strcmp(app->name, name) == 0) {
      return app;
    }
  }
  return NULL;
}

int bn_app_start(const char *name, uint16_t port, int backlog)
{
  const bn_app_info *app = bn_app_find(name);
  if (app == NULL || app->replay_only) {
    return -ENOENT;
  }
  if (backlog < 0 || backlog > BN_APP_BACKLOG_MAX) {
    return -EINVAL;
  }
  char err[BN_APP_ERRLEN];
  bn_app_env env = { .backlog = backlog };
  return app->start(app, port, &env, err);
}
