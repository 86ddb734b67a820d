/* --app and --port, and starting the apps (app_options.h). */
#include "app_options.h"

#include <string.h>

#include "board_apps.h"
#include "bn_config.h"
#include "exit_status.h"

int bn_app_options_add(bn_app_options *a, const char *name, const char *others)
{
  if (bn_app_find(name) == NULL) {
    return bn_cli_error(BN_EXIT_USAGE, "--app: unknown app '%s' (%secho, discard, chargen, http)", name, others);
  }
  if (a->count == BN_APP_OPTIONS_MAX) {
    return bn_cli_error(BN_EXIT_USAGE, "--app: at most %d apps", BN_APP_OPTIONS_MAX);
  }
  a->names[a->count++] = name;
  a->port_taken = false;
  return 0;
}

int bn_app_options_port(bn_app_options *a, const char *arg)
{
  char err[BN_CONFIG_ERRLEN];
  if (a->count == 0 || a->port_taken) {
    return bn_cli_error(BN_EXIT_USAGE, "--port comes after the --app it applies to");
  }
  return bn_config_parse_port(arg, &a->ports[a->count - 1], err) < 0 ? bn_cli_error(BN_EXIT_USAGE, "%s", err) : 0;
}

int bn_app_options_start(const bn_app_options *a, int backlog, FILE *announce)
{
  for (int i = 0; i < a->count; i++) {
    const bn_app_info *app = bn_app_find(a->names[i]);
    uint16_t port = a->ports[i] ? a->ports[i] : app->default_port;
    int rc = bn_app_start(app->name, port, backlog);
    if (rc < 0) {
      return bn_cli_error(BN_EXIT_FAIL, "app %s on port %u: %s", app->name, port, strerror(-rc));
    }
    if (announce != NULL) {
      fprintf(announce, "boardnet: app %s listening on port %u\n", app->name, port);
    }
  }
  if (announce != NULL) {
    fflush(announce);
  }
  return 0;
}
