#!/usr/bin/env python3
"""The controller's cache of tars the hosts get (wheelhouses, packed virtualenvs), each sealed
with its sha256 in TAR.sha256 (sha256sum's format) when it was made.

  sealed_tar.py seal PART TAR    refuse PART unless it holds only plain files, directories and links
                                 that stay inside it; else record its sha256 and move it into place
                                 as TAR, then TAR.sha256
  sealed_tar.py check CACHE TAR...
                                 CACHE must be this user's alone and every TAR must lie in it, be
                                 this user's and still match its TAR.sha256; prints {TAR: sha256}
  sealed_tar.py check --built CACHE TAR...
                                 the same for the TARs that were built (sealed); the others are left out

The hosts unpack these tars as root, so a tar is sealed only once its members passed the check
(unsafe_members), and a seal vouches for them. Only this user can write the cache (a cache
directory anyone else owns or may write is refused, and so is a tar someone else owns), so a seal
cannot be forged: the check before every copy is the sha256 alone (a packed venv's members are
checked once, when it is built, instead of decompressing its 700 MB on every run), and the host
checks its copy against the printed sha256 before using it. Both files are renamed into place, the
tar first: a sidecar is only ever next to the complete tar it describes, and a tar without one (an
interrupted build) counts as missing.

Every path here comes to the controller's tools as an argument the role derived from a host's
report, so each must name a file directly inside the cache directory, with a plain name
(in_cache): nothing a host says can point a build or a copy at another file of the controller.
"""
import hashlib
import json
import os
import re
import stat
import subprocess
import sys
import tarfile
import tempfile

# What the cache holds: wheelhouses (.tar) and packed venvs (.tar.zst), named by the role.
CACHED_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.+-]{0,200}\.tar(?:\.zst)?")
# How the packed venvs are compressed: zstd decompresses a 700 MB venv on every host in under a
# second, where gzip takes about four.
ZSTD_SUFFIX = ".zst"


def in_cache(path, cache_dir):
    """`path` when it names a tar directly inside `cache_dir` (both absolute); else exits saying why."""
    if not (os.path.isabs(path) and os.path.isabs(cache_dir)):
        sys.exit("%r and the cache %r must be absolute paths" % (path[:200], cache_dir[:200]))
    directory, name = os.path.split(os.path.normpath(path))
    if directory != os.path.normpath(cache_dir) or not CACHED_NAME.fullmatch(name):
        sys.exit("%r is not a tar directly inside the cache %r: refused" % (path[:200], cache_dir[:200]))
    return path


def make_cache(cache_dir):
    """The cache directory, private to the controller's user (0700); exits when it is someone else's."""
    os.makedirs(cache_dir, mode=0o700, exist_ok=True)
    require_own(cache_dir, "cache directory")
    os.chmod(cache_dir, 0o700)
    return cache_dir


def require_own(path, what):
    """Exits unless `path` (not followed when a link) belongs to this user and only this user may
    write it: a seal is worth only what the hands that can write the cache are worth."""
    info = os.lstat(path)
    if info.st_uid != os.getuid() or info.st_mode & (stat.S_IWGRP | stat.S_IWOTH) or stat.S_ISLNK(info.st_mode):
        sys.exit("The %s %s is not this user's alone (owner uid %d, mode %o, or a link): anyone else who can "
                 "write it could change what the hosts unpack as root, so it is refused. Give the controller's "
                 "user a cache directory of its own (litellm_copilot_wheelhouse_cache_dir)."
                 % (what, path, info.st_uid, stat.S_IMODE(info.st_mode)))


def members(tar_path, kind):
    """The members of a .tar, or of a .tar.zst through zstd (Python's tarfile reads no zstd)."""
    if not kind.endswith(ZSTD_SUFFIX):
        with tarfile.open(tar_path) as tar:
            yield from tar
        return
    with subprocess.Popen(["zstd", "--decompress", "--stdout", "--quiet", tar_path],
                          stdout=subprocess.PIPE, bufsize=1 << 20) as unzstd:
        with tarfile.open(fileobj=unzstd.stdout, mode="r|", bufsize=1 << 20) as tar:
            yield from tar
    if unzstd.returncode:
        raise tarfile.ReadError("zstd could not decompress %s" % tar_path)


def unsafe_members(tar_path, kind=".tar"):
    """Names (at most 5) of the members a root unpack must not write: anything but regular files,
    directories and relative links that stay inside the tree; paths leaving it; setuid, setgid,
    sticky or group/world-writable modes. `kind`: the name the tar will have (its suffix says how
    it is compressed)."""
    unsafe = []
    for member in members(tar_path, kind):
        name = posixpath_normal(member.name)
        if name is None or not (member.isreg() or member.isdir() or member.issym()):
            unsafe.append(member.name)
        elif member.mode & (stat.S_ISUID | stat.S_ISGID | stat.S_ISVTX | stat.S_IWGRP | stat.S_IWOTH):
            unsafe.append(member.name)
        elif member.issym() and (member.linkname.startswith("/") or posixpath_normal(
                os.path.join(os.path.dirname(name), member.linkname)) is None):
            unsafe.append(member.name)
        if len(unsafe) == 5:
            break
    return unsafe


def posixpath_normal(name):
    """`name` normalized when it is a relative path that stays inside its tree, else None."""
    normal = os.path.normpath(name)
    if name.startswith("/") or normal == ".." or normal.startswith("../"):
        return None
    return normal


def sha256_of(path):
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def seal(part, tar):
    """Moves the finished file `part` to `tar` (same file system), then writes TAR.sha256; exits
    without sealing, and removes `part`, when a member is unsafe to unpack as root."""
    try:
        unsafe = unsafe_members(part, tar)
    except (OSError, tarfile.TarError) as exc:
        unsafe = ["(unreadable: %s)" % exc]
    if unsafe:
        os.unlink(part)
        sys.exit("%s would hold members a host must not unpack as root (devices, hard links, links or paths "
                 "leaving the tree, setuid/setgid or writable modes): %s. It is not sealed, so no host gets it."
                 % (tar, ", ".join(repr(name[:100]) for name in unsafe)))
    digest = sha256_of(part)
    fd, sidecar = tempfile.mkstemp(prefix=".%s." % os.path.basename(tar), dir=os.path.dirname(os.path.abspath(tar)))
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as stream:
            stream.write("%s  %s\n" % (digest, os.path.basename(tar)))
        os.chmod(sidecar, 0o644)
        os.replace(part, tar)
        os.replace(sidecar, tar + ".sha256")
    except BaseException:
        os.unlink(sidecar)
        raise
    return digest


def recorded(tar):
    """The sha256 TAR.sha256 records, or None."""
    try:
        with open(tar + ".sha256", encoding="utf-8") as stream:
            words = stream.read(200).split()
    except OSError:
        return None
    return words[0] if words else None


def check(cache_dir, tars, built_only=False):
    """{tar: sha256} when the cache is this user's alone and every tar lies in it, is this user's
    and matches its record (whose seal vouches for its members); else exits naming the ones that do not.
    built_only: a tar without a seal (never built completely) is left out instead."""
    tars = [in_cache(tar, cache_dir) for tar in tars]
    if os.path.lexists(cache_dir):
        require_own(cache_dir, "cache directory")
    if built_only:
        tars = [tar for tar in tars if recorded(tar) is not None]
    missing = [tar for tar in tars if not os.path.isfile(tar) or recorded(tar) is None]
    if missing:
        sys.exit("The cached %s or its sha256 (its .sha256 file next to it) is missing: it was never "
                 "built completely, so no host gets it." % ", ".join(missing))
    for tar in tars:
        require_own(tar, "cached tar")
        require_own(tar + ".sha256", "seal")
    digests = {tar: sha256_of(tar) for tar in tars}
    changed = [tar for tar, digest in digests.items() if digest != recorded(tar)]
    if changed:
        sys.exit("The cached %s no longer matches the sha256 recorded when it was built (its .sha256 file "
                 "next to it): it changed since, so no host gets it. Delete the tar and its .sha256 file to "
                 "build it again." % ", ".join(changed))
    return digests


def main(argv):
    if len(argv) == 3 and argv[0] == "seal":
        print(json.dumps({argv[2]: seal(argv[1], argv[2])}))
    elif len(argv) > 2 and argv[:2] == ["check", "--built"]:
        print(json.dumps(check(argv[2], argv[3:], built_only=True)))
    elif len(argv) > 1 and argv[0] == "check":
        print(json.dumps(check(argv[1], argv[2:])))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
