"""What cloud-init does with the parts of a #cloud-config the tests need: writes each
`write_files` entry (parents made, content, octal permissions, owner) and prints the
`runcmd` entries as JSON for the caller to run in order. Reads the user-data on stdin.
(`ntp` is left to the image: the sandbox's clock is the machine's.)
"""

import json
import os
import pwd
import grp
import sys

import yaml


def main():
    text = sys.stdin.read()
    if not text.startswith("#cloud-config\n"):
        sys.exit("not a #cloud-config")
    doc = yaml.safe_load(text)
    for f in doc.get("write_files", []):
        path = f["path"]
        os.makedirs(os.path.dirname(path), mode=0o755, exist_ok=True)
        with open(path, "w") as out:
            out.write(f.get("content", ""))
        os.chmod(path, int(str(f.get("permissions", "0644")), 8))
        user, _, group = f.get("owner", "root:root").partition(":")
        os.chown(path, pwd.getpwnam(user).pw_uid, grp.getgrnam(group or user).gr_gid)
    cmds = [c if isinstance(c, list) else ["sh", "-c", c] for c in doc.get("runcmd", [])]
    print(json.dumps(cmds))


if __name__ == "__main__":
    main()
