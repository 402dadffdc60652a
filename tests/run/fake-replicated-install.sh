#!/bin/bash
# Stands in for Replicated's generated install script: records how it was run (arguments,
# umask, proxy variables), fails the first time (a download that broke), and the next time
# installs a `replicated` command the way the real installer does (a file it writes with the
# umask it inherits) and a file under /etc.
set -eu
log=/var/log/cci-test/calls.jsonl
mkdir -p /var/log/cci-test /var/lib/cci-test
attempt=$(($(cat /var/lib/cci-test/replicated-attempts 2>/dev/null || echo 0) + 1))
echo "$attempt" > /var/lib/cci-test/replicated-attempts
python3 - "$log" "$attempt" "$(umask)" "$@" <<'PY'
import json, os, sys, time
log, attempt, umask, args = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
proxy = {k: os.environ[k] for k in ("http_proxy", "https_proxy", "no_proxy") if k in os.environ}
with open(log, "a") as f:
    f.write(json.dumps({"cmd": "replicated-installer", "args": args, "attempt": int(attempt),
                        "umask": umask, "proxy": proxy, "t": time.time()}) + "\n")
PY
if [ "$attempt" -eq 1 ]; then
  echo "replicated installer: failed to fetch an image (first attempt)" >&2
  exit 1
fi
cat /usr/local/lib/cci-test/shim > /usr/local/bin/replicated.tmp
mv /usr/local/bin/replicated.tmp /usr/local/bin/replicated
chmod +x /usr/local/bin/replicated
mkdir -p /etc/replicated
echo '{"installed": true}' > /etc/replicated/replicated.conf
