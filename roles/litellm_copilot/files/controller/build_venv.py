#!/usr/bin/env python3
"""Build the gateway's virtualenv once per target platform, on the controller, and pack it.

Every host of that platform then unpacks the pack instead of installing ~120 packages and
compiling their bytecode itself. The build happens here, never on a fleet host: a host's root
could plant code in a venv it built, which every other host would then run as its proxy.

  build_venv.py --wheelhouse TAR --lock LOCK --python 3.11.2 --arch x86_64 --glibc 2.36 \
                --venv /opt/litellm-copilot/venvs/NAME --pack CACHE/PACK.tar.zst --cache-dir CACHE

- The wheels are the target's own wheelhouse (download_wheels.py), checked by the role against its
  seal before this runs; uv installs them offline, each against the hash lock (--require-hashes),
  with the target's Python version and platform deciding markers and wheel tags.
- The bytecode is compiled by a Python of the target's minor version (the .pyc format is the same
  for every 3.X.*, on every architecture), with the target path as the sources' path, so
  tracebacks on the host name its files. Scripts name the target venv's Python.
- The pack holds lib/pythonX.Y/site-packages and the scripts in bin/, as a zstd-compressed tar
  (root-owned, sorted, mtimes kept: Python checks the bytecode against its sources' mtimes). zstd,
  not gzip: every host decompresses the 700 MB, in under a second instead of about four. The host makes the
  venv itself (python3 -m venv --without-pip) and unpacks into it. uv, the hosts' installer, stays out.
- PACK and PACK.sha256 are written last (sealed_tar.py): an interrupted build leaves no pack.

Exit 0: built and sealed. Exit 3: this controller cannot build for the target (no uv or zstd, no
Python of the target's minor version, a platform uv cannot target); one line says why, and the role lets
those hosts install from the wheelhouse themselves. Anything else is a failure.
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile

from download_wheels import matching  # next to this script, which is on sys.path when it runs
from sealed_tar import in_cache, make_cache, seal

CANNOT_BUILD = 3
# uv --python-platform names glibc targets manylinux_2_17 .. manylinux_2_40.
UV_GLIBC = range(17, 41)
UV_ARCHES = ("x86_64", "aarch64")
# The lock's entry for uv (a requirement line and its --hash continuation lines).
UV_ENTRY = re.compile(r"^uv==[^\n]*(\n[ \t]+[^\n]*)*\n?", re.M)
# What `python3 -m venv` makes on the host; the rest of bin/ comes from the packages.
VENV_OWN = re.compile(r"python(3(\.\d+)?)?|activate.*|deactivate\.bat|pydoc\.bat")
# zstd's level for the pack: built once per platform and lock, unpacked by every host. Level 10
# makes it about a fifth smaller than level 3 (less to copy to each host), and decompresses as fast.
ZSTD_LEVEL = 10
# uv's own additions to a venv it creates, not the packages': the host's venv has none.
UV_VENV_FILES = ("_virtualenv.py", "_virtualenv.pth")

COMPILE = """
import compileall, sys
site, built, target = sys.argv[1:4]
# Like pip and uv: a source that does not compile (test data, other Pythons' files) keeps no .pyc.
compileall.compile_dir(site, quiet=2, workers=0, stripdir=built, prependdir=target)
"""


class CannotBuild(Exception):
    """This controller cannot build for the target; the hosts install themselves."""


def find_uv():
    try:
        import uv  # the uv wheel's Python package, in the controller's environment
        return uv.find_uv_bin()
    except (ImportError, FileNotFoundError):
        pass
    found = shutil.which("uv")
    if not found:
        raise CannotBuild("uv is not installed on the controller (pip install uv)")
    return found


def uv_platform(arch, glibc):
    minor = int(glibc.split(".")[1])
    if arch not in UV_ARCHES or minor < UV_GLIBC[0]:
        raise CannotBuild("uv cannot build for %s with glibc %s" % (arch, glibc))
    return "%s-manylinux_2_%d" % (arch, min(minor, UV_GLIBC[-1]))


def find_python(uv, version):
    """A Python on the controller of the target's minor version (never downloaded)."""
    minor = ".".join(version.split(".")[:2])
    found = subprocess.run([uv, "python", "find", "--no-python-downloads", "--no-project", minor],
                           capture_output=True, text=True, check=False)
    path = found.stdout.strip()
    if found.returncode or not path:
        raise CannotBuild("the controller has no Python %s to compile the target's bytecode with" % minor)
    return path, minor


def run(argv):
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    if done.returncode:
        sys.exit("%s failed (exit %d): %s" % (os.path.basename(argv[0]), done.returncode,
                                             (done.stderr or done.stdout).strip()[-2000:]))
    return done.stdout


def lock_without_uv(lock, dest):
    with open(lock, encoding="utf-8") as stream:
        text, count = UV_ENTRY.subn("", stream.read())
    if count != 1:
        sys.exit("%s has no single uv entry" % lock)
    with open(dest, "w", encoding="utf-8") as stream:
        stream.write(text)


def wheel_names(wheels):
    """The normalized distribution names of the wheelhouse's wheels (uv's excepted)."""
    names = set()
    for name in os.listdir(wheels):
        if name.endswith(".whl"):
            names.add(re.sub(r"[-_.]+", "-", name.split("-", 1)[0]).lower())
    return names - {"uv"}


def installed_names(uv, python):
    listed = json.loads(run([uv, "pip", "list", "--format", "json", "--python", python]))
    return {re.sub(r"[-_.]+", "-", entry["name"]).lower() for entry in listed}


def retarget_scripts(bin_dir, built, target):
    """Scripts name the venv's Python by path (in the shebang, or in uv's /bin/sh trampoline when
    that path is too long for one): the target's, not the build directory's."""
    old, new = ("%s/bin/python" % built).encode(), ("%s/bin/python" % target).encode()
    for name in os.listdir(bin_dir):
        path = os.path.join(bin_dir, name)
        if VENV_OWN.fullmatch(name) or os.path.islink(path) or not os.path.isfile(path):
            continue
        with open(path, "rb") as stream:
            content = stream.read()
        head, rest = content[:1024], content[1024:]
        if old in head:
            with open(path, "wb") as stream:
                stream.write(head.replace(old, new) + rest)


def root_owned(info):
    info.uid = info.gid = 0
    info.uname = info.gname = "root"
    return info


def find_zstd():
    """The controller's zstd, which compresses the pack."""
    zstd = shutil.which("zstd")
    if not zstd:
        raise CannotBuild("zstd is not installed on the controller (apt install zstd)")
    return zstd


def pack(built, site_rel, part, zstd):
    """A zstd-compressed tar of bin/ (the packages' scripts) and the site-packages, sorted, root-owned."""
    with open(part, "wb") as out, subprocess.Popen(
            [zstd, "--quiet", "-%d" % ZSTD_LEVEL, "--threads=0", "--stdout"], stdin=subprocess.PIPE, stdout=out) as compress:
        with tarfile.open(fileobj=compress.stdin, mode="w|", format=tarfile.GNU_FORMAT, bufsize=1 << 20) as tar:
            for name in sorted(os.listdir(os.path.join(built, "bin"))):
                if not VENV_OWN.fullmatch(name):
                    tar.add(os.path.join(built, "bin", name), arcname="bin/" + name, filter=root_owned)
            for top, dirs, files in os.walk(os.path.join(built, site_rel)):
                dirs.sort()
                for name in sorted(files):
                    path = os.path.join(top, name)
                    tar.add(path, arcname=os.path.relpath(path, built), filter=root_owned, recursive=False)
                for name in dirs:
                    path = os.path.join(top, name)
                    tar.add(path, arcname=os.path.relpath(path, built), filter=root_owned, recursive=False)
        compress.stdin.close()
    if compress.returncode:
        raise RuntimeError("zstd failed (exit %d) packing the venv" % compress.returncode)


def build(args):
    uv = find_uv()
    zstd = find_zstd()
    platform = uv_platform(args.arch, args.glibc)
    python, minor = find_python(uv, args.python)
    cache = make_cache(args.cache_dir)
    work = tempfile.mkdtemp(prefix=".%s." % os.path.basename(args.pack), dir=cache)
    # The venv itself is built under a short path (the system's temporary directory), so uv gives
    # its scripts a plain shebang: a long one would not fit the kernel's limit.
    short = tempfile.mkdtemp(prefix="litellm-copilot-venv.")
    try:
        wheels = os.path.join(work, "wheels")
        with tarfile.open(args.wheelhouse) as tar:
            tar.extractall(wheels, filter="data")
        lock = os.path.join(work, "requirements.lock")
        lock_without_uv(args.lock, lock)
        built = os.path.join(short, "venv")
        run([uv, "venv", "--quiet", "--no-python-downloads", "--no-project", "--python", python, built])
        built_python = os.path.join(built, "bin", "python")
        run([uv, "pip", "install", "--quiet", "--offline", "--no-cache", "--no-index", "--find-links", wheels,
             "--require-hashes", "--no-deps", "--python", built_python, "--python-version", args.python,
             "--python-platform", platform, "--requirement", lock])
        # The target's markers picked the wheelhouse's wheels (download_wheels.py): uv must have
        # installed exactly those, or the controller decided markers the target would not.
        wanted, installed = wheel_names(wheels), installed_names(uv, built_python)
        missing, extra = wanted - installed, installed - wanted
        if missing or extra:
            raise CannotBuild("the controller's install differs from the target's wheelhouse (missing: %s; extra: %s)"
                              % (", ".join(sorted(missing)) or "none", ", ".join(sorted(extra)) or "none"))
        site_rel = os.path.join("lib", "python" + minor, "site-packages")
        for name in UV_VENV_FILES:
            path = os.path.join(built, site_rel, name)
            if os.path.exists(path):
                os.unlink(path)
        run([python, "-c", COMPILE, os.path.join(built, site_rel), built, args.venv])
        retarget_scripts(os.path.join(built, "bin"), built, args.venv)
        part = os.path.join(work, "venv.tar.zst")
        pack(built, site_rel, part, zstd)
        seal(part, args.pack)
        return 0
    finally:
        shutil.rmtree(work, ignore_errors=True)
        shutil.rmtree(short, ignore_errors=True)


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wheelhouse", required=True, help="the target's wheelhouse tar (download_wheels.py)")
    parser.add_argument("--lock", required=True, help="hash-locked requirements file")
    parser.add_argument("--python", required=True, type=matching("python"), help="the target's Python, e.g. 3.11.2")
    parser.add_argument("--arch", required=True, type=matching("arch"), help="the target's machine, e.g. x86_64")
    parser.add_argument("--glibc", required=True, type=matching("glibc"), help="the target's glibc, e.g. 2.36")
    parser.add_argument("--venv", required=True, help="the venv's path on the target")
    parser.add_argument("--pack", required=True, help="the pack to write (and PACK.sha256)")
    parser.add_argument("--cache-dir", required=True, help="the cache directory the pack is written to")
    args = parser.parse_args(argv)
    if not re.fullmatch(r"(/[A-Za-z0-9_.+-]+)+", args.venv):
        parser.error("--venv must be an absolute path of plain names: %r" % args.venv[:200])
    in_cache(args.pack, args.cache_dir)
    try:
        return build(args)
    except CannotBuild as reason:
        print("cannot build the venv on the controller: %s" % reason)
        return CANNOT_BUILD


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
