# -*- coding: utf-8 -*-
#
# Copyright: litellm-copilot maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Reading the files the gateway keeps on a host, as root, where a less privileged user may have
written: the service user owns the token directory, so a link there could point a root read at
any file (a root-only key, /etc/shadow). A read here never follows a link in the last component,
never blocks on a FIFO or a device, and stops at a size no such file reaches."""

from __future__ import annotations

import errno
import os
import stat


def read_regular_file(path, limit):
    """The bytes of the regular file at ``path`` (at most ``limit``), its last component not a link.

    Raises OSError: ``ELOOP`` for a link, ``EINVAL`` for anything but a regular file,
    ``EFBIG`` for a file larger than ``limit``, and whatever opening and reading raise.
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
    finally:
        os.close(fd)
