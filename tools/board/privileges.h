/*
 * The privilege drop of a board started as root (privileges.c).
 */
#ifndef BN_PRIVILEGES_H
#define BN_PRIVILEGES_H

/**
 * Checks --user's NAME (a user name or a uid) now, before anything runs.
 * @return 0, or BN_EXIT_USAGE after printing "--user: no such user".
 */
int bn_check_user(const char *user);

/**
 * The pipeline's backend_opened hook: as root, becomes arg (a --user NAME,
 * or NULL: sudo's SUDO_UID/SUDO_GID; neither: stays root), with that
 * user's groups (sudo's: none), and checks that root cannot be regained.
 * Not root: nothing, unless --user was given (then an error).
 * @return 0, or an exit code after printing why.
 */
int bn_drop_privileges(void *arg);

#endif /* BN_PRIVILEGES_H */
