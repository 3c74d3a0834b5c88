#!/usr/bin/env python3
"""The controller's cache of tars the hosts get (wheelhouses, packed virtualenvs), each sealed
with its sha256 in TAR.sha256 (sha256sum's format) when it was made.

  sealed_tar.py seal PART TAR    record PART's sha256 and move it into place as TAR, then TAR.sha256
  sealed_tar.py check TAR...     every TAR must still match its TAR.sha256; prints {TAR: sha256}
  sealed_tar.py check --built TAR...
                                 the same for the TARs that were built (sealed); the others are left out

The cache outlives a run and anyone who can write it could change a tar, so the role checks every
tar before a host gets it, and the host checks its copy against the printed sha256 before using it.
Both files are renamed into place, the tar first: a sidecar is only ever next to the complete tar it
describes, and a tar without one (an interrupted build) counts as missing.
"""
import hashlib
import json
import os
import sys
import tempfile


def sha256_of(path):
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def seal(part, tar):
    """Moves the finished file `part` to `tar` (same file system), then writes TAR.sha256."""
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


def check(tars, built_only=False):
    """{tar: sha256} when every tar matches its record; else exits naming the ones that do not.
    built_only: a tar without a seal (never built completely) is left out instead."""
    if built_only:
        tars = [tar for tar in tars if recorded(tar) is not None]
    missing = [tar for tar in tars if not os.path.isfile(tar) or recorded(tar) is None]
    if missing:
        sys.exit("The cached %s or its sha256 (its .sha256 file next to it) is missing: it was never "
                 "built completely, so no host gets it." % ", ".join(missing))
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
    elif len(argv) > 1 and argv[:2] == ["check", "--built"]:
        print(json.dumps(check(argv[2:], built_only=True)))
    elif len(argv) > 1 and argv[0] == "check":
        print(json.dumps(check(argv[1:])))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
