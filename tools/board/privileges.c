/*
 * Started as root (by sudo), a board drops to an ordinary user once its
 * wire is open: --user's, else sudo's invoking user (SUDO_UID, SUDO_GID).
 * Shared by `boardnet run` and board programs (board_main.c).
 */
#include "privileges.h"
#include "exit_status.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The identity to become: --user's (by name, else as a uid), else sudo's
 * invoking user. 0 and *name NULL: none (stay as we are). */
static int identity_to_become(const char *user, uid_t *uid, gid_t *gid, const char **name)
{
  *name = NULL;
  if (user != NULL) {
    char *end;
    errno = 0;
    struct passwd *pw = getpwnam(user);
    if (pw == NULL) {
      unsigned long v = strtoul(user, &end, 10);
      pw = (*end == '\0' && end != user) ? getpwuid((uid_t)v) : NULL;
    }
    if (pw == NULL) {
      return bn_fail(BN_EXIT_USAGE, "--user: no such user '%s'", user);
    }
    *uid = pw->pw_uid;
    *gid = pw->pw_gid;
    *name = pw->pw_name;
    return 0;
  }
  const char *su = getenv("SUDO_UID"), *sg = getenv("SUDO_GID");
  if (su == NULL || sg == NULL) {
    return 0;
  }
  char *end_u, *end_g;
  unsigned long u = strtoul(su, &end_u, 10), g = strtoul(sg, &end_g, 10);
  if (*end_u != '\0' || *end_g != '\0' || end_u == su || end_g == sg) {
    return bn_fail(BN_EXIT_FAIL, "cannot drop privileges: SUDO_UID '%s' or SUDO_GID '%s' is not a number", su, sg);
  }
  if (u == 0) {
    return 0; /* sudo from root: root it is */
  }
  *uid = (uid_t)u;
  *gid = (gid_t)g;
  *name = "";
  return 0;
}

int bn_check_user(const char *user)
{
  uid_t uid;
  gid_t gid;
  const char *name;
  return identity_to_become(user, &uid, &gid, &name);
}

/* Called once the TAP is open, before the recording is created: as root,
 * become --user or sudo's invoking user (the TAP and its rings stay open; a
 * recording then belongs to that user). The change is checked: afterwards
 * the process cannot become root again. */
int bn_drop_privileges(void *arg)
{
  const char *user = arg, *name;
  uid_t uid;
  gid_t gid;
  if (geteuid() != 0) {
    return user != NULL ? bn_fail(BN_EXIT_USAGE, "--user needs boardnet started as root") : 0;
  }
  int rc = identity_to_become(user, &uid, &gid, &name);
  if (rc != 0 || name == NULL) {
    return rc;
  }
  /* sudo's user: no supplementary groups (sudo's own are root's); --user: its groups. */
  if ((name[0] != '\0' ? initgroups(name, gid) : setgroups(0, NULL)) != 0 || setgid(gid) != 0 ||
      setuid(uid) != 0) {
    return bn_fail(BN_EXIT_FAIL, "cannot drop privileges to uid %u: %s", (unsigned)uid, strerror(errno));
  }
  if (uid != 0 && (setuid(0) == 0 || geteuid() == 0)) {
    return bn_fail(BN_EXIT_FAIL, "cannot drop privileges to uid %u: root could be regained", (unsigned)uid);
  }
  return 0;
}

