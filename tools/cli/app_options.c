/* --app and --port, and starting and stopping the apps (app_options.h). */
#include "app_options.h"

#include <string.h>

#include "bn_config.h"
#include "exit_status.h"

/* "echo, discard, chargen, http" (and the replay-only ones on a replay). */
static void app_names(const bn_app_options *a, char *out, size_t size)
{
  size_t n = 0;
  out[0] = '\0';
  for (const bn_app_info *app = bn_apps; app->name != NULL && n < size; app++) {
    if (!app->replay_only || a->on_replay) {
      n += (size_t)snprintf(out + n, size - n, "%s%s", n ? ", " : "", app->name);
    }
  }
}

int bn_app_options_add(bn_app_options *a, const char *name)
{
  const bn_app_info *app = bn_app_find(name);
  if (app == NULL) {
    char names[128];
    app_names(a, names, sizeof(names));
    return bn_fail(BN_EXIT_USAGE, "--app: unknown app '%s' (%s)", name, names);
  }
  if (app->replay_only && !a->on_replay) {
    return bn_fail(BN_EXIT_USAGE, "--app %s re-enacts a capture: only with boardnet replay", name);
  }
  if (a->count == BN_APP_OPTIONS_MAX) {
    return bn_fail(BN_EXIT_USAGE, "--app: at most %d apps", BN_APP_OPTIONS_MAX);
  }
  a->apps[a->count++] = app;
  return 0;
}

int bn_app_options_port(bn_app_options *a, const char *arg)
{
  char err[BN_CONFIG_ERRLEN];
  if (a->count == 0 || a->apps[a->count - 1]->default_port == 0) {
    return bn_fail(BN_EXIT_USAGE, "--port comes after the --app it applies to");
  }
  return bn_config_parse_port(arg, &a->ports[a->count - 1], err) < 0 ? bn_fail(BN_EXIT_USAGE, "%s", err) : 0;
}

int bn_app_options_start(const bn_app_options *a, const bn_app_env *env, FILE *announce)
{
  for (int i = 0; i < a->count; i++) {
    const bn_app_info *app = a->apps[i];
    uint16_t port = a->ports[i] ? a->ports[i] : app->default_port;
    char err[BN_APP_ERRLEN];
    if (app->start(app, port, env, err) < 0) {
      return bn_fail(BN_EXIT_FAIL, "%s", err);
    }
    if (announce != NULL && port != 0) {
      fprintf(announce, "boardnet: app %s listening on port %u\n", app->name, port);
    }
  }
  if (announce != NULL) {
    fflush(announce);
  }
  return 0;
}

void bn_app_options_stop(const bn_app_options *a)
{
  for (int i = 0; i < a->count; i++) {
    if (a->apps[i]->stop != NULL) {
      a->apps[i]->stop();
    }
  }
}

bool bn_app_options_busy(void *arg)
{
  const bn_app_options *a = arg;
  for (int i = 0; i < a->count; i++) {
    if (a->apps[i]->busy != NULL && a->apps[i]->busy(NULL)) {
      return true;
    }
  }
  return false;
}
