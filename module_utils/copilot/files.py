# -*- coding: utf-8 -*-
#
# Copyright: litellm-copilot maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Reading the files the gateway keeps on a host, as root, where a less privileged user may have
written: the service user owns the token directory, so a link there could point a root read at
any file (a root-only key, /etc/shadow). A read here never follows a link in the last component,
never blocks on a FIFO or a device, and stops at a size no such file reaches. A write replaces a
file whole, through a new file beside it."""

from __future__ import annotations

import errno
import grp
import os
import pwd
import secrets
import shutil
import stat


def open_regular_file(path, limit):
    """A descriptor of the regular file at ``path`` (at most ``limit`` bytes), opened without
    following a link in the last component and without blocking, and its ``os.fstat``. The caller
    closes it.

    Raises OSError: ``ELOOP`` for a link, ``EISDIR`` for a directory, ``EINVAL`` for anything else
    that is not a regular file, ``EFBIG`` for a file larger than ``limit``, and whatever opening
    raises (``FileNotFoundError`` among it).
    """
    flags = os.O_RDONLY | getattr(os, 'O_NOFOLLOW', 0) | getattr(os, 'O_NONBLOCK', 0) | getattr(os, 'O_CLOEXEC', 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise OSError(errno.ELOOP, 'it is a symbolic link, which is not followed', path)
        raise
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise IsADirectoryError(errno.EISDIR, 'it is a directory', path)
        if not stat.S_ISREG(info.st_mode):
            raise OSError(errno.EINVAL, 'it is not a regular file', path)
        if info.st_size > limit:
            raise OSError(errno.EFBIG, 'it is larger than %d bytes' % limit, path)
    except BaseException:
        os.close(fd)
        raise
    return fd, info


def read_descriptor(fd, path, limit):
    """The bytes of an open file, at most ``limit`` (EFBIG beyond: it grew since it was opened)."""
    chunks, size = [], 0
    while size <= limit:
        chunk = os.read(fd, 1 << 16)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    if size > limit:
        raise OSError(errno.EFBIG, 'it is larger than %d bytes' % limit, path)
    return b''.join(chunks)


def read_regular_file(path, limit):
    """The bytes of the regular file at ``path`` (at most ``limit``), its last component not a link.
    Raises what open_regular_file raises."""
    return read_owned_file(path, limit)[0]


def read_owned_file(path, limit):
    """(bytes, (uid, gid, mode)) of the regular file at ``path``, read as read_regular_file reads."""
    fd, info = open_regular_file(path, limit)
    try:
        return read_descriptor(fd, path, limit), (info.st_uid, info.st_gid, stat.S_IMODE(info.st_mode))
    finally:
        os.close(fd)


def write_whole_file(path, content, uid, gid, mode):
    """Writes ``path`` whole as root: a new temporary file beside it (never an existing one, never
    through a link) with its owner and mode set before any byte is written, synced, then renamed
    into place, so no reader sees half a file and a failed write leaves the old one."""
    temporary = '%s.%s.tmp' % (path, secrets.token_hex(4))
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | getattr(os, 'O_CLOEXEC', 0), 0o600)
    try:
        os.fchown(fd, uid, gid)
        os.fchmod(fd, mode)
        view = memoryview(content)
        while view:
            view = view[os.write(fd, view):]
        os.fsync(fd)
    except BaseException:
        os.close(fd)
        os.unlink(temporary)
        raise
    os.close(fd)
    os.rename(temporary, path)


def ownership(owner, group, mode):
    """(uid, gid, mode) of an account name, a group name and an octal mode string. Raises KeyError
    for an account or group this host does not have, ValueError for a mode that is not octal."""
    return pwd.getpwnam(owner).pw_uid, grp.getgrnam(group).gr_gid, int(mode, 8)


def write_if_different(path, content, owned, limit, check_mode=False):
    """Writes ``path`` whole (write_whole_file) unless it already holds ``content`` with ``owned``
    (uid, gid, mode); in check mode it writes nothing. Returns the bytes that were there (None for
    no file) and whether it wrote, or would have. Raises what read_owned_file raises for what is
    there (FileNotFoundError aside) and what write_whole_file raises."""
    try:
        there = read_owned_file(path, limit)
    except FileNotFoundError:
        there = (None, None)
    if there == (content, owned):
        return there[0], False
    if not check_mode:
        write_whole_file(path, content, *owned)
    return there[0], True


def remove_entry(path, check_mode=False, trees=False):
    """Removes what is at ``path`` (in check mode nothing); returns whether there was anything. A
    link is removed itself, never followed. A directory goes with everything in it when ``trees``
    (shutil.rmtree removes the links inside, never their targets), else IsADirectoryError."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return False
    directory = stat.S_ISDIR(info.st_mode)
    if directory and not trees:
        raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), path)
    if not check_mode:
        if directory:
            shutil.rmtree(path)
        else:
            os.unlink(path)
    return True
