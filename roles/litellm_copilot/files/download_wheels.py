#!/usr/bin/env python3
"""Download, on the controller, every wheel a target host needs to install a hash lock offline.

``pip download --python-version`` only changes which wheels fit the target; dependency markers
such as ``python_full_version < "3.11.3"`` are still evaluated for the controller's own
interpreter, so a controller on Python 3.11.7 would leave out a package a 3.11.2 host needs.
This runs pip's own downloader with the marker environment of the target instead.

The lock (scripts/lock-requirements.sh) pins every package with the hashes of all its files, so
pip refuses anything else, whichever index or mirror the controller's pip configuration names.

usage: download_wheels.py --python 3.11.2 --arch x86_64 --glibc 2.36 --dest DIR --lock LOCKFILE
"""
import argparse
import sys

from pip._internal.cli.main import main as pip_main
from pip._vendor.packaging import markers


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


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--python", required=True, help="the target's full Python version, e.g. 3.11.2")
    parser.add_argument("--arch", required=True, help="the target's machine, e.g. x86_64")
    parser.add_argument("--glibc", required=True, help="the target's glibc version, e.g. 2.36")
    parser.add_argument("--dest", required=True)
    parser.add_argument("--lock", required=True, help="hash-locked requirements file")
    args = parser.parse_args(argv)

    environment = target_markers(args.python, args.arch)
    markers.default_environment = lambda: dict(environment)

    # --no-deps: the lock is the complete, already resolved set (--require-hashes checks that).
    pip_args = ["download", "--quiet", "--disable-pip-version-check", "--dest", args.dest,
                "--require-hashes", "--no-deps", "--requirement", args.lock,
                "--only-binary=:all:", "--implementation", "cp", "--python-version", args.python]
    for tag in platform_tags(args.arch, args.glibc):
        pip_args += ["--platform", tag]
    return pip_main(pip_args)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
