"""Paths as the user types them: ``~`` expanded, and what cannot be a clear error."""

from __future__ import annotations

import os
from pathlib import Path

from papershelf.errors import InputError


def user_path(path: str | Path) -> Path:
    """``path`` with a leading ``~`` or ``~user`` expanded. An unknown user (a typo,
    ``~nosuchuser/refs.bib``) or no home directory is an :class:`InputError`, not the
    ``RuntimeError`` :meth:`pathlib.Path.expanduser` raises."""
    try:
        return Path(path).expanduser()
    except RuntimeError:
        head = str(path).split(os.sep, 1)[0]
        raise InputError(f"{path}: {head} is no user's home directory", "check the path") from None


def file_path(name: str) -> Path:
    """A file to write, as typed (:func:`user_path`); a name ending in ``/`` names a
    directory, which :class:`~pathlib.Path` would silently make a file of that name."""
    if name.endswith(os.sep):
        raise InputError(f"{name} names a directory", "give a file name, e.g. refs.bib")
    return user_path(name)


def user_dir(kind: str, appauthor: bool | None = False) -> Path | None:
    """The platform's user ``kind`` directory (``data``, ``config``, ``state``) for
    papershelf; ``None`` when there is no home directory to put it in (``HOME`` unset,
    as under ``env -i`` or in a service, and the user not in the password database)."""
    import platformdirs

    try:
        path = Path(getattr(platformdirs, f"user_{kind}_dir")("papershelf", appauthor=appauthor))
    except RuntimeError:  # recent platformdirs: "could not determine the home directory"
        return None
    return path if path.is_absolute() else None  # older ones: "~/.local/share", relative


def user_temp_path(name: str) -> Path:
    """``NAME-UID`` in the temporary directory, one for each user: on a shared machine
    the first user's ``NAME`` would be another's, which the others cannot write. (On
    Windows the temporary directory is the user's own already: ``NAME``.)"""
    import tempfile

    uid = os.getuid() if hasattr(os, "getuid") else None
    return Path(tempfile.gettempdir()) / (name if uid is None else f"{name}-{uid}")


def private_dir(path: Path) -> Path:
    """``path`` (in the shared temporary directory, from :func:`user_temp_path`) made a
    directory only its user may enter, or checked to be this user's and writable by no
    one else: another user could have made it first, to read or remove what goes in it.
    Raises :class:`PermissionError` if it is not. One of this user's that an earlier
    papershelf made with the umask's mode (``0775`` under Debian's and Ubuntu's umask
    of 002, its group the user's own) is made ``0700``. (On Windows the temporary
    directory is the user's own, and a directory's mode says nothing: it is used.)"""
    import stat

    path.mkdir(mode=0o700, exist_ok=True)
    if not hasattr(os, "geteuid"):
        return path
    info = path.lstat()
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.geteuid():  # who creates files
        raise PermissionError(f"{path} is another user's, or not a directory")
    if info.st_mode & 0o002 or (info.st_mode & 0o020 and not _own_group(info.st_gid)):
        raise PermissionError(f"others may write in {path}")
    if info.st_mode & 0o077:
        path.chmod(0o700)
    return path


def _own_group(gid: int) -> bool:
    """Whether ``gid`` is this user's private group (named after the user, as Debian,
    Ubuntu and Fedora give each user one): no one else may write as it."""
    import grp
    import pwd

    try:
        return gid == os.getegid() and grp.getgrgid(gid).gr_name == pwd.getpwuid(os.geteuid()).pw_name
    except KeyError:  # not in the group or password database
        return False
