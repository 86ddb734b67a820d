/* The table of board apps and their start function. */
#include "board_apps.h"
#include "app_server.h"

#include <errno.h>
#include <string.h>

void bn_app_echo(usocket *client);
void bn_app_discard(usocket *client);
void bn_app_chargen(usocket *client);
void bn_app_http(usocket *client);
int bn_app_echo_udp_start(uint16_t port);

const bn_app_info bn_apps[] = {
  { "echo",    7,  "sends back every byte received, over TCP and UDP (RFC 862)" },
  { "discard", 9,  "reads and throws away everything (RFC 863)" },
  { "chargen", 19, "sends the character generator stream until the peer closes (RFC 864)" },
  { "http",    80, "serves a page on / and N bytes of the chargen stream on /bytes/N" },
  { NULL, 0, NULL },
};

static const bn_app_handler handlers[] = { bn_app_echo, bn_app_discard, bn_app_chargen, bn_app_http };

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
  if (app == NULL) {
    return -ENOENT;
  }
  if (backlog < 0 || backlog > BN_APP_BACKLOG_MAX) {
    return -EINVAL;
  }
  port = port ? port : app->default_port;
  int rc = bn_app_serve(app->name, port, backlog ? backlog : BN_APP_BACKLOG, handlers[app - bn_apps]);
  if (rc == 0 && handlers[app - bn_apps] == bn_app_echo) {
    rc = bn_app_echo_udp_start(port);
  }
  return rc;
}
