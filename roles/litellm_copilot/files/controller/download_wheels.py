#!/usr/bin/env python3
"""Download, on the controller, every wheel a target host needs to install a hash lock offline.

``pip download --python-version`` only changes which wheels fit the target; dependency markers
such as ``python_full_version < "3.11.3"`` are still evaluated for the controller's own
interpreter, so a controller on Python 3.11.7 would leave out a package a 3.11.2 host needs.
This runs pip's own downloader with the marker environment of the target instead.

The lock (scripts/lock-requirements.sh) pins every package with the hashes of all its files, so
pip refuses anything else, whichever index or mirror the controller's pip configuration names.

With --tar it builds the whole wheelhouse: the wheels and their list (wheelhouse.txt) in one tar,
sealed with its sha256 in TAR.sha256 (sealed_tar.py), which the role checks before every copy.
The tar is built in a private temporary directory next to TAR and renamed into place: concurrent
builds for the same target never see (or leave) a half-written wheelhouse.

The target's versions come from the host, which the controller does not trust: each must match a
strict pattern (the role checks them too), and they only ever travel as arguments, never as shell.

usage: download_wheels.py --python 3.11.2 --arch x86_64 --glibc 2.36 --lock LOCKFILE (--dest DIR | --tar TAR --cache-dir DIR)
"""
import argparse
import os
import re
import shutil
import sys
import tarfile
import tempfile

from pip._internal.cli.main import main as pip_main
from pip._vendor.packaging import markers

from sealed_tar import in_cache, make_cache, seal  # next to this script, which is on sys.path when it runs


def target_markers(python, arch):
    """The PEP 508 marker environment of a CPython `python` on Linux/`arch`."""
    environment = markers.default_environment()
    environment.update({
        "implementation_name": "cpython",
        "implementation_version": python,
        "os_name": "posix",
        "platform_machine": arch,
        "platform_python_implementation": "CPython",
        "platform_system": "Linux",
        "python_full_version": python,
        "python_version": ".".join(python.split(".")[:2]),
        "sys_platform": "linux",
    })
    return environment


def platform_tags(arch, glibc):
    """Wheel platform tags a host with this glibc accepts, newest first."""
    minor = int(glibc.split(".")[1])
    tags = ["manylinux_2_%d_%s" % (m, arch) for m in range(minor, 4, -1)]
    tags += ["manylinux2014_%s" % arch, "manylinux2010_%s" % arch, "manylinux1_%s" % arch, "linux_%s" % arch]
    return tags


# The same patterns as the role's check of what the host reported (tasks/venv_source.yml).
PATTERNS = {
    "python": re.compile(r"3\.\d{1,2}\.\d{1,3}"),
    "glibc": re.compile(r"\d\.\d{1,3}"),
    "arch": re.compile(r"[A-Za-z0-9_]{1,20}"),
}


def matching(name):
    """An argparse type that accepts only a full match of PATTERNS[name]."""
    def check(value):
        if not PATTERNS[name].fullmatch(value):
            raise argparse.ArgumentTypeError("not a plain %s version or name: %r" % (name, value[:100]))
        return value
    return check


def download(args, dest):
    """Downloads every wheel of the lock for the target into `dest`; returns pip's exit code."""
    environment = target_markers(args.python, args.arch)
    markers.default_environment = lambda: dict(environment)

    # --no-deps: the lock is the complete, already resolved set (--require-hashes checks that).
    pip_args = ["download", "--quiet", "--disable-pip-version-check", "--dest", dest,
                "--require-hashes", "--no-deps", "--requirement", args.lock,
                "--only-binary=:all:", "--implementation", "cp", "--python-version", args.python]
    for tag in platform_tags(args.arch, args.glibc):
        pip_args += ["--platform", tag]
    return pip_main(pip_args)


def build_tar(args):
    """Downloads the wheelhouse and packs it into args.tar, with its sha256 next to it."""
    cache = make_cache(args.cache_dir)
    work = tempfile.mkdtemp(prefix=".%s." % os.path.basename(args.tar), dir=cache)
    try:
        wheels = os.path.join(work, "wheels")
        os.mkdir(wheels)
        code = download(args, wheels)
        if code:
            return code
        names = sorted(os.listdir(wheels))
        with open(os.path.join(wheels, "wheelhouse.txt"), "w", encoding="utf-8") as listing:
            listing.write("".join(name + "\n" for name in names))
        packed = os.path.join(work, "wheelhouse.tar")
        # Only the files, not ".": the host's directory keeps its own owner and mode.
        with tarfile.open(packed, "w", format=tarfile.GNU_FORMAT) as tar:
            for name in names + ["wheelhouse.txt"]:
                tar.add(os.path.join(wheels, name), arcname=name, recursive=False)
        seal(packed, args.tar)
        return 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--python", required=True, type=matching("python"),
                        help="the target's full Python version, e.g. 3.11.2")
    parser.add_argument("--arch", required=True, type=matching("arch"), help="the target's machine, e.g. x86_64")
    parser.add_argument("--glibc", required=True, type=matching("glibc"), help="the target's glibc version, e.g. 2.36")
    parser.add_argument("--lock", required=True, help="hash-locked requirements file")
    output = parser.add_mutually_exclusive_group(required=True)
    output.add_argument("--dest", help="download the wheels into this directory")
    output.add_argument("--tar", help="build the wheelhouse tar (and TAR.sha256) at this path")
    parser.add_argument("--cache-dir", help="with --tar: the cache directory TAR must lie directly in")
    args = parser.parse_args(argv)
    if args.tar:
        in_cache(args.tar, args.cache_dir or "")
    return build_tar(args) if args.tar else download(args, args.dest)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
