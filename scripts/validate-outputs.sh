#!/usr/bin/env bash
# validate-outputs.sh OUTPUT_DIR
#
# Runs the independent validators (installed by scripts/install-validators.sh)
# on the files found in OUTPUT_DIR (what cci-dsl emitted) and prints one line
# per tool, then a summary line:
#
#   TOOL                 files=N    PASS|FAIL|SKIP findings=N
#   validate-outputs: R tools run, F failed, S skipped; security: ... (logs: DIR)
#
# Exit status: 0 all ran tools passed, 1 a tool failed, 2 bad usage.
# A missing tool is SKIP (does not fail) unless VALIDATE_REQUIRE_ALL=1, then FAIL.
# Logs of every tool are kept in $VALIDATE_LOG_DIR (default: a fresh temp dir,
# not removed); the head of a failing tool's log is printed to stderr.
#
# Files considered (directories .terraform and .git are ignored):
#   *.json               strict JSON (duplicate keys, NaN... rejected)        json-strict
#     with a top-level "Statement": IAM policy -> parliament (every issue counts,
#     whatever its severity); trust policies (every statement has a Principal)
#     get Resource "*" added and RESOURCE_STAR ignored                       parliament
#   *.tf                 HashiCorp's HCL parser (Go, compiled to WASM)          hcl2json
#                        terraform fmt -check -diff -recursive                  terraform-fmt
#   *.tf / *.tf.json     terraform init -backend=false + validate -json per
#                        directory, offline against the hashicorp/aws filesystem
#                        mirror; errors AND warnings (e.g. deprecated
#                        arguments) count as findings                           terraform-validate
#   first line #cloud-config   cloud-init 25.1 schema --annotate; errors and
#                        deprecations count                                     cloud-init-schema
#   *.sh or a sh/bash/dash shebang    shellcheck                                shellcheck
#   scripts inside #cloud-config files: every write_files entry whose (decoded)
#                        content starts with a sh/bash/dash shebang (checked as
#                        that shell), and the string entries of runcmd and
#                        bootcmd (one script per list, checked as
#                        $VALIDATE_RUNCMD_SHELL, default sh: cloud-init runs
#                        them with /bin/sh)                                     shellcheck-embedded
#   *.dot / *.gv         graphviz dot -Tsvg                                     graphviz-dot
# Security scanners, only with VALIDATE_SECURITY=1 (reported and counted
# separately in the summary; a failure there also makes the exit status 1):
#   *.tf                 checkov (terraform framework, offline)                checkov
#                        trivy config (offline)                                 trivy
#
# Tool locations: $CCI_TOOLS_DIR/env.sh (written by install-validators.sh) is
# sourced when present; variables already set in the environment win.
#   CCI_TOOLS_DIR          default $HOME/.cache/cci-validators
#   TERRAFORM, TF_PROVIDER_MIRROR (dir holding registry.terraform.io/hashicorp/aws/...)
#   HCL2JSON_NODE_MODULES, PARLIAMENT, CHECKOV, TRIVY, SHELLCHECK, DOT
#   CLOUD_INIT_PYTHON      python with pyyaml jsonschema jinja2 configobj jsonpatch requests
#   CLOUD_INIT_LIB         dir containing the `cloudinit` package (from the cloud-init .deb)
#   PYTHON                 plain python3 for the small JSON helpers
# Tuning (native env vars of the tools work too, e.g. SHELLCHECK_OPTS):
#   VALIDATE_SECURITY=1               also run checkov and trivy
#   VALIDATE_REQUIRE_ALL=1            a missing tool counts as FAIL
#   VALIDATE_SKIP="trivy graphviz-dot"   tools not to run at all (SKIP)
#   VALIDATE_LOG_DIR=DIR              where the per-tool logs go
#   VALIDATE_LOG_HEAD=40              lines of a failing tool's log echoed to stderr
#   VALIDATE_RUNCMD_SHELL=sh          dialect for runcmd/bootcmd strings (sh or bash)
#   CKV_SKIP_CHECK=CKV_AWS_126,...    checkov checks to skip
#   TRIVY_SEVERITY=HIGH,CRITICAL      trivy severities that count; TRIVY_IGNOREFILE=...
#   PARLIAMENT_IGNORE=CODE,...        parliament issue codes that do not count

set -u
set -o pipefail

if [ $# -ne 1 ] || [ ! -d "$1" ]; then
  echo "usage: $0 OUTPUT_DIR" >&2
  exit 2
fi
OUT=$(cd "$1" && pwd)

TOOLS=${CCI_TOOLS_DIR:-$HOME/.cache/cci-validators}
if [ -f "$TOOLS/env.sh" ]; then
  # shellcheck source=/dev/null
  . "$TOOLS/env.sh"
  TOOLS=${CCI_TOOLS_DIR:-$TOOLS}
fi
find_mirror() {
  local p
  p=$(find /opt /usr/local -name 'terraform-provider-aws_*' -path '*registry.terraform.io/hashicorp/aws/*' 2>/dev/null | sort -V | tail -n1)
  if [ -n "$p" ]; then echo "${p%%/registry.terraform.io/*}"; else echo "$TOOLS/tf-mirror-not-found"; fi
}
HCL2JSON_NODE_MODULES=${HCL2JSON_NODE_MODULES:-$TOOLS/node/node_modules}
TERRAFORM=${TERRAFORM:-$(command -v terraform 2>/dev/null || echo terraform-not-found)}
TF_PROVIDER_MIRROR=${TF_PROVIDER_MIRROR:-$(find_mirror)}
PARLIAMENT=${PARLIAMENT:-$TOOLS/venv-parliament/bin/parliament}
CHECKOV=${CHECKOV:-$TOOLS/venv-checkov/bin/checkov}
TRIVY=${TRIVY:-$TOOLS/venv-trivy/bin/trivy}
CLOUD_INIT_PYTHON=${CLOUD_INIT_PYTHON:-$TOOLS/venv-ci/bin/python}
CLOUD_INIT_LIB=${CLOUD_INIT_LIB:-$TOOLS/cloud-init/usr/lib/python3/dist-packages}
SHELLCHECK=${SHELLCHECK:-$(command -v shellcheck 2>/dev/null || echo shellcheck-not-found)}
DOT=${DOT:-$(command -v dot 2>/dev/null || echo dot-not-found)}
PYTHON=${PYTHON:-$(command -v python3 2>/dev/null || echo python3)}
LOG_HEAD=${VALIDATE_LOG_HEAD:-40}
RUNCMD_SHELL=${VALIDATE_RUNCMD_SHELL:-sh}

WORK=$(mktemp -d "${TMPDIR:-/tmp}/validate-outputs.XXXXXX")
LOG_DIR=${VALIDATE_LOG_DIR:-$WORK/logs}
mkdir -p "$LOG_DIR"
trap 'rm -rf "$WORK/tf" "$WORK/tmp" "$WORK/embedded" "$WORK/trivy-cache" "$WORK/terraformrc"' EXIT
mkdir -p "$WORK/tmp"

N_FAIL=0 N_RUN=0 N_SKIP=0 S_FAIL=0 S_RUN=0 S_SKIP=0
GROUP=main

# ---------- file discovery ----------
list() { # list FIND-ARGS... -> NUL separated, sorted, relative to $OUT
  (cd "$OUT" && find . \( -name .terraform -o -name .git \) -prune -o -type f \( "$@" \) -print0 | sort -z)
}
mapfile -d '' TF_FILES < <(list -name '*.tf' -o -name '*.tf.json')
mapfile -d '' HCL_FILES < <(list -name '*.tf')
mapfile -d '' JSON_FILES < <(list -name '*.json')
mapfile -d '' ALL_FILES < <(list -name '*')
CC_FILES=() SH_FILES=() DOT_FILES=()
for f in "${ALL_FILES[@]}"; do
  case "$f" in *.tf|*.json|*.tfvars|*.tfstate|*.lock.hcl) continue ;; esac
  case "$f" in *.dot|*.gv) DOT_FILES+=("$f"); continue ;; esac
  first=$(head -c 200 "$OUT/$f" 2>/dev/null | head -n 1 | tr -d '\r')
  case "$first" in
    '#cloud-config'*) CC_FILES+=("$f") ;;
    '#!'*/sh|'#!'*/bash|'#!'*/dash|'#!'*/sh' '*|'#!'*/bash' '*|'#!'*/dash' '*|'#!'*'env bash'*|'#!'*'env sh'*) SH_FILES+=("$f") ;;
    *) case "$f" in *.sh) SH_FILES+=("$f") ;; esac ;;
  esac
done
IAM_FILES=()
if [ ${#JSON_FILES[@]} -gt 0 ]; then
  mapfile -d '' IAM_FILES < <(cd "$OUT" && "$PYTHON" -c '
import json, sys
for f in sys.argv[1:]:
    if f.endswith(".tf.json"): continue
    try: d = json.load(open(f))
    except Exception: continue
    if isinstance(d, dict) and "Statement" in d: sys.stdout.write(f + "\0")
' "${JSON_FILES[@]}")
fi

# ---------- reporting ----------
report() { # report TOOL NFILES STATUS FINDINGS
  printf '%-20s files=%-4s %-4s findings=%s\n' "$1" "$2" "$3" "$4"
  case "$GROUP:$3" in
    main:FAIL) N_FAIL=$((N_FAIL + 1)); N_RUN=$((N_RUN + 1)) ;;
    main:PASS) N_RUN=$((N_RUN + 1)) ;;
    main:SKIP) N_SKIP=$((N_SKIP + 1)) ;;
    security:FAIL) S_FAIL=$((S_FAIL + 1)); S_RUN=$((S_RUN + 1)) ;;
    security:PASS) S_RUN=$((S_RUN + 1)) ;;
    security:SKIP) S_SKIP=$((S_SKIP + 1)) ;;
  esac
  if [ "$3" = FAIL ] && [ -s "$LOG_DIR/$1.log" ]; then
    head -n "$LOG_HEAD" "$LOG_DIR/$1.log" | sed "s/^/  | $1: /" >&2
    local total
    total=$(wc -l < "$LOG_DIR/$1.log")
    if [ "$total" -gt "$LOG_HEAD" ]; then echo "  | $1: ... ($total lines: $LOG_DIR/$1.log)" >&2; fi
  fi
}
skipped() { case " ${VALIDATE_SKIP:-} " in *" $1 "*) return 0 ;; esac; return 1; }
# want TOOL NFILES EXECUTABLE_OR_PATH: 0 = go ahead; otherwise it printed SKIP/FAIL (or nothing: no files)
want() {
  [ "$2" -gt 0 ] || return 1
  if skipped "$1"; then report "$1" "$2" SKIP "-"; return 1; fi
  if [ ! -e "$3" ] && ! command -v "$3" >/dev/null 2>&1; then
    echo "$1: not installed ($3); run scripts/install-validators.sh" > "$LOG_DIR/$1.log"
    if [ "${VALIDATE_REQUIRE_ALL:-0}" = 1 ]; then report "$1" "$2" FAIL "-"; else report "$1" "$2" SKIP "-"; fi
    return 1
  fi
  return 0
}
status() { [ "${1:-1}" -eq 0 ] && echo PASS || echo FAIL; }

# ---------- JSON (strict) ----------
if want json-strict ${#JSON_FILES[@]} "$PYTHON"; then
  n=$(cd "$OUT" && "$PYTHON" -c '
import json, sys
def nodup(pairs):
    keys = [k for k, _ in pairs]
    dup = {k for k in keys if keys.count(k) > 1}
    if dup: raise ValueError("duplicate key(s) %s" % sorted(dup))
    return dict(pairs)
def bad_const(c): raise ValueError("non-standard constant %s" % c)
bad = 0
for f in sys.argv[1:]:
    try: json.load(open(f), object_pairs_hook=nodup, parse_constant=bad_const)
    except Exception as e:
        bad += 1; print("%s: %s" % (f, e), file=sys.stderr)
print(bad)' "${JSON_FILES[@]}" 2>"$LOG_DIR/json-strict.log")
  report json-strict ${#JSON_FILES[@]} "$(status "${n:-1}")" "${n:-?}"
fi

# ---------- HCL: HashiCorp parser (Go HCL compiled to WASM) ----------
if want hcl2json ${#HCL_FILES[@]} "$HCL2JSON_NODE_MODULES/@cdktf/hcl2json"; then
  n=$(cd "$OUT" && NODE_PATH="$HCL2JSON_NODE_MODULES" node -e '
const fs = require("fs"); const { parse } = require("@cdktf/hcl2json");
(async () => {
  let bad = 0;
  for (const f of process.argv.slice(1)) {
    try { await parse(f, fs.readFileSync(f, "utf8")); }
    catch (e) { bad++; console.error(f + ": " + String((e && e.message) || e).trim()); }
  }
  console.log(bad);
})().catch(e => { console.error(e); console.log(1); });' "${HCL_FILES[@]}" 2>"$LOG_DIR/hcl2json.log")
  report hcl2json ${#HCL_FILES[@]} "$(status "${n:-1}")" "${n:-?}"
fi

# ---------- terraform fmt / validate ----------
# Our own CLI config: offline, hashicorp/aws only from the filesystem mirror.
# (The environment may point TF_CLI_CONFIG_FILE at a file that does not exist.)
cat > "$WORK/terraformrc" <<EOF
disable_checkpoint = true
provider_installation {
  filesystem_mirror {
    path    = "$TF_PROVIDER_MIRROR"
  }
}
EOF
export TF_CLI_CONFIG_FILE="$WORK/terraformrc"
export CHECKPOINT_DISABLE=1 TF_IN_AUTOMATION=1 TF_INPUT=0
export AWS_DEFAULT_REGION=${AWS_DEFAULT_REGION:-us-east-1}
unset TF_PLUGIN_CACHE_DIR TF_DATA_DIR TF_WORKSPACE TF_CLI_ARGS TF_CLI_ARGS_init TF_CLI_ARGS_validate TF_CLI_ARGS_fmt

if want terraform-fmt ${#HCL_FILES[@]} "$TERRAFORM"; then
  (cd "$OUT" && "$TERRAFORM" fmt -check -diff -recursive -no-color .) >"$LOG_DIR/terraform-fmt.log" 2>&1
  rc=$?
  n=$(grep -c '^--- old/' "$LOG_DIR/terraform-fmt.log")
  [ "$rc" -ne 0 ] && [ "$n" -eq 0 ] && n=1   # rc 2: parse error
  report terraform-fmt ${#HCL_FILES[@]} "$(status "$rc")" "$n"
fi

if want terraform-validate ${#TF_FILES[@]} "$TERRAFORM"; then
  rm -rf "$WORK/tf"; cp -r "$OUT" "$WORK/tf"
  find "$WORK/tf" -name .terraform -type d -prune -exec rm -rf {} +
  findings=0 rc=0
  : > "$LOG_DIR/terraform-validate.log"
  mapfile -t TF_DIRS < <(printf '%s\n' "${TF_FILES[@]}" | xargs -d '\n' -n1 dirname | sort -u)
  for d in "${TF_DIRS[@]}"; do
    if ! (cd "$WORK/tf/$d" && "$TERRAFORM" init -backend=false -input=false -no-color) >"$WORK/tmp/init.log" 2>&1; then
      { echo "== $d: terraform init failed (offline: only hashicorp/aws is available, from $TF_PROVIDER_MIRROR)"
        grep -v '^$' "$WORK/tmp/init.log" | tail -n 15; } >> "$LOG_DIR/terraform-validate.log"
      findings=$((findings + 1)); rc=1; continue
    fi
    (cd "$WORK/tf/$d" && "$TERRAFORM" validate -json -no-color) > "$WORK/tmp/validate.json" 2>>"$LOG_DIR/terraform-validate.log"
    # every diagnostic counts: errors and warnings (deprecated arguments, ...)
    e=$("$PYTHON" -c '
import json, sys
try: d = json.load(open(sys.argv[1]))
except Exception as ex:
    print(1); print("== %s: unreadable validate output: %s" % (sys.argv[2], ex), file=sys.stderr); sys.exit()
diags = d.get("diagnostics") or []
for x in diags:
    r = x.get("range") or {}
    print("== %s: %s: %s: %s (%s:%s)" % (sys.argv[2], x.get("severity"), x.get("summary"),
          " ".join((x.get("detail") or "").split())[:300], r.get("filename", "?"),
          (r.get("start") or {}).get("line", "?")), file=sys.stderr)
n = len(diags)
if n == 0 and not d.get("valid", False):
    n = 1; print("== %s: terraform validate says invalid without diagnostics" % sys.argv[2], file=sys.stderr)
print(n)
' "$WORK/tmp/validate.json" "$d" 2>>"$LOG_DIR/terraform-validate.log")
    findings=$((findings + ${e:-1}))
    [ "${e:-1}" -ne 0 ] && rc=1
  done
  report terraform-validate ${#TF_FILES[@]} "$(status "$rc")" "$findings"
fi

# ---------- parliament (IAM policies) ----------
if want parliament ${#IAM_FILES[@]} "$PARLIAMENT"; then
  n=0
  : > "$LOG_DIR/parliament.log"
  for f in "${IAM_FILES[@]}"; do
    # trust (assume-role) policies: every statement has a Principal and no Resource
    kind=$(cd "$OUT" && "$PYTHON" -c '
import json, sys
# A trust policy that names the account Terraform applies to is read with templatefile
# (`${account_id}`); fill in an example account as Terraform would.
d = json.loads(open(sys.argv[1]).read().replace("${account_id}", "123456789012")); st = d["Statement"]; st = [st] if isinstance(st, dict) else st
trust = bool(st) and all(isinstance(s, dict) and ("Principal" in s or "NotPrincipal" in s) for s in st)
if trust:
    for s in st:
        if "Resource" not in s and "NotResource" not in s: s["Resource"] = "*"
    d["Statement"] = st
    json.dump(d, open(sys.argv[2], "w"), indent=1)
print("trust" if trust else "identity")' "$f" "$WORK/tmp/trust.json" 2>>"$LOG_DIR/parliament.log") || kind=identity
    if [ "$kind" = trust ]; then src="$WORK/tmp/trust.json"; ign="RESOURCE_STAR,${PARLIAMENT_IGNORE:-}"
    else src="$OUT/$f"; ign="${PARLIAMENT_IGNORE:-}"; fi
    "$PARLIAMENT" --files "$src" --json < /dev/null > "$WORK/tmp/parliament.out" 2>&1
    m=$("$PYTHON" -c '
import json, sys
ign = {x for x in sys.argv[2].split(",") if x}
n = 0
for line in open(sys.argv[1]):
    line = line.strip()
    if not line: continue
    try: x = json.loads(line)
    except Exception:
        print("%s: %s" % (sys.argv[3], line), file=sys.stderr); n += 1; continue
    if x.get("issue") in ign: continue
    n += 1
    print("%s: %s %s %s %s (line %s)" % (sys.argv[3], x.get("severity"), x.get("issue"), x.get("title"),
          json.dumps(x.get("detail"))[:200], (x.get("location") or {}).get("line")), file=sys.stderr)
print(n)' "$WORK/tmp/parliament.out" "$ign" "$f" 2>>"$LOG_DIR/parliament.log")
    n=$((n + ${m:-1}))
  done
  report parliament ${#IAM_FILES[@]} "$(status "$n")" "$n"
fi

# ---------- cloud-init schema ----------
if want cloud-init-schema ${#CC_FILES[@]} "$CLOUD_INIT_LIB/cloudinit"; then
  n=0 rc=0
  : > "$LOG_DIR/cloud-init-schema.log"
  for f in "${CC_FILES[@]}"; do
    out=$(cd "$OUT" && PYTHONPATH="$CLOUD_INIT_LIB" "$CLOUD_INIT_PYTHON" -m cloudinit.cmd.main schema --annotate --config-file "$f" 2>&1)
    r=$?
    # errors (E1...) fail; so do deprecations (D1...): they are printed with exit status 0
    e=$(printf '%s\n' "$out" | grep -c '^# [ED][0-9]*:')
    if [ "$r" -ne 0 ] || [ "$e" -ne 0 ]; then
      rc=1
      [ "$e" -eq 0 ] && e=1
      n=$((n + e))
      # the findings first, then the annotated file
      { printf '%s\n' "$out" | grep -E '^# [ED][0-9]*:|^Error|^Cloud config schema' | sed "s|^|$f: |"
        printf '== %s annotated:\n%s\n' "$f" "$out"; } >> "$LOG_DIR/cloud-init-schema.log"
    fi
  done
  report cloud-init-schema ${#CC_FILES[@]} "$(status "$rc")" "$n"
fi

# ---------- shellcheck: standalone scripts ----------
if want shellcheck ${#SH_FILES[@]} "$SHELLCHECK"; then
  (cd "$OUT" && "$SHELLCHECK" -f gcc "${SH_FILES[@]}") > "$LOG_DIR/shellcheck.log" 2>&1
  rc=$?
  n=$(grep -c ':[0-9]*:[0-9]*: ' "$LOG_DIR/shellcheck.log")
  [ "$rc" -ne 0 ] && [ "$n" -eq 0 ] && n=1
  report shellcheck ${#SH_FILES[@]} "$(status "$rc")" "$n"
fi

# ---------- shellcheck: scripts embedded in #cloud-config ----------
# Extraction needs PyYAML: the cloud-init venv has it.
EMB=()
if [ ${#CC_FILES[@]} -gt 0 ] && ! skipped shellcheck-embedded; then
  YAML_PY=$CLOUD_INIT_PYTHON
  [ -x "$YAML_PY" ] || YAML_PY=$PYTHON
  mkdir -p "$WORK/embedded"
  : > "$LOG_DIR/shellcheck-embedded.log"
  # writes embedded/NNN.sh + NNN.map (line 1: origin label, line 2: shell, then one label per script line)
  # and prints the NNN.sh names, NUL separated
  mapfile -d '' EMB < <(cd "$OUT" && "$YAML_PY" -c '
import base64, gzip, os, re, sys
try:
    import yaml
except ImportError:
    print("PyYAML missing in %s: cannot extract embedded scripts" % sys.executable, file=sys.stderr); sys.exit(3)
out, runcmd_shell = sys.argv[1], sys.argv[2]
SHEBANG = re.compile(r"^#!\s*(?:/usr)?/bin/(?:env\s+)?(sh|bash|dash)\b")
k = 0
def emit(label, shell, lines, text):
    global k
    k += 1
    name = "%03d.sh" % k
    with open(os.path.join(out, name), "w") as fh: fh.write(text)
    with open(os.path.join(out, name[:-3] + ".map"), "w") as fh:
        fh.write(label + "\n" + shell + "\n" + "\n".join(lines) + "\n")
    sys.stdout.write(name + "\0")
def decode(content, enc):
    enc = (enc or "").lower()
    if isinstance(content, str): content = content.encode("utf-8")
    if enc in ("b64", "base64", "gz+b64", "gz+base64", "gzip+b64", "gzip+base64"):
        content = base64.b64decode(content)
    if enc.startswith("gz"):
        content = gzip.decompress(content)
    return content.decode("utf-8")
for f in sys.argv[3:]:
    try:
        with open(f) as fh: doc = yaml.safe_load(fh)
    except Exception as e:
        print("%s: not parsed as YAML (see cloud-init-schema): %s" % (f, str(e).splitlines()[0]), file=sys.stderr); continue
    if not isinstance(doc, dict): continue
    for i, wf in enumerate(doc.get("write_files") or []):
        if not isinstance(wf, dict) or wf.get("content") is None: continue
        try: text = decode(wf["content"], wf.get("encoding"))
        except Exception as e:
            print("%s: write_files[%d] %s: content not decodable: %s" % (f, i, wf.get("path"), e), file=sys.stderr); continue
        m = SHEBANG.match(text)
        if not m: continue
        label = "%s: write_files[%d] %s" % (f, i, wf.get("path", "?"))
        emit(label, m.group(1), ["%s line %d" % (label, j + 1) for j in range(text.count("\n") + 1)], text)
    for key in ("bootcmd", "runcmd"):
        cmds = doc.get(key)
        if not isinstance(cmds, list): continue
        body, lines = [], []
        for i, c in enumerate(cmds):
            if not isinstance(c, str): continue   # argv lists are not parsed by a shell
            for j, l in enumerate(c.split("\n")):
                body.append(l); lines.append("%s: %s[%d] line %d" % (f, key, i, j + 1))
        if body:
            emit("%s: %s" % (f, key), runcmd_shell, lines, "\n".join(body) + "\n")
' "$WORK/embedded" "$RUNCMD_SHELL" "${CC_FILES[@]}" 2>>"$LOG_DIR/shellcheck-embedded.log")
  if [ ${#EMB[@]} -eq 0 ] && grep -q 'PyYAML missing' "$LOG_DIR/shellcheck-embedded.log"; then
    want shellcheck-embedded ${#CC_FILES[@]} "$WORK/no-pyyaml" || true
  fi
fi
if want shellcheck-embedded ${#EMB[@]} "$SHELLCHECK"; then
  rc=0
  : > "$WORK/tmp/sc-emb.gcc"
  for s in "${EMB[@]}"; do
    sh=$(sed -n 2p "$WORK/embedded/${s%.sh}.map")
    (cd "$WORK/embedded" && "$SHELLCHECK" -s "$sh" -f gcc "$s") >> "$WORK/tmp/sc-emb.gcc" 2>&1 || rc=1
  done
  # map temp file:line back to "yaml file: write_files[i] /path line N" / "yaml file: runcmd[i] line N"
  n=$("$PYTHON" -c '
import os, re, sys
d, n = sys.argv[2], 0
maps = {}
for line in open(sys.argv[1]):
    line = line.rstrip("\n")
    m = re.match(r"^(\d+\.sh):(\d+):(\d+): (.*)$", line)
    if not m:
        if line.strip(): print(line, file=sys.stderr); n += 1
        continue
    name, ln, col, msg = m.groups()
    if name not in maps:
        with open(os.path.join(d, name[:-3] + ".map")) as fh: maps[name] = fh.read().split("\n")
    mp = maps[name]
    i = int(ln) + 1
    where = mp[i] if i < len(mp) and mp[i] else "%s line %s" % (mp[0], ln)
    print("%s col %s: %s" % (where, col, msg), file=sys.stderr); n += 1
print(n)' "$WORK/tmp/sc-emb.gcc" "$WORK/embedded" 2>>"$LOG_DIR/shellcheck-embedded.log")
  [ "$rc" -ne 0 ] && [ "${n:-0}" -eq 0 ] && n=1
  [ "${n:-1}" -ne 0 ] && rc=1
  report shellcheck-embedded ${#EMB[@]} "$(status "$rc")" "${n:-?}"
fi

# ---------- graphviz ----------
if want graphviz-dot ${#DOT_FILES[@]} "$DOT"; then
  n=0
  : > "$LOG_DIR/graphviz-dot.log"
  for f in "${DOT_FILES[@]}"; do
    if ! (cd "$OUT" && "$DOT" -Tsvg -o /dev/null "$f") > "$WORK/tmp/dot.log" 2>&1; then
      n=$((n + 1)); sed "s|^|$f: |" "$WORK/tmp/dot.log" >> "$LOG_DIR/graphviz-dot.log"
    fi
  done
  report graphviz-dot ${#DOT_FILES[@]} "$(status "$n")" "$n"
fi

# ---------- security scanners (VALIDATE_SECURITY=1) ----------
GROUP=security
if [ "${VALIDATE_SECURITY:-0}" = 1 ]; then
  if want checkov ${#TF_FILES[@]} "$CHECKOV"; then
    "$CHECKOV" -d "$OUT" --framework terraform --skip-download --download-external-modules false \
      --quiet --compact -o json > "$WORK/tmp/checkov.json" 2>"$WORK/tmp/checkov.err"
    rc=$?
    n=$("$PYTHON" -c '
import json, sys
try: d = json.load(open(sys.argv[1]))
except Exception: print(-1); sys.exit()
ds = d if isinstance(d, list) else [d]
fails = [c for x in ds for c in (x.get("results") or {}).get("failed_checks", [])]
for c in fails:
    print("%s %s %s (%s:%s)" % (c["check_id"], c["resource"], c["check_name"], c["file_path"], c["file_line_range"][0]), file=sys.stderr)
print(len(fails))' "$WORK/tmp/checkov.json" 2>"$LOG_DIR/checkov.log")
    if [ "${n:--1}" -lt 0 ]; then cat "$WORK/tmp/checkov.err" >> "$LOG_DIR/checkov.log"; n=1; rc=1; fi
    [ "$n" -gt 0 ] && rc=1
    report checkov ${#TF_FILES[@]} "$(status "$rc")" "$n"
  fi

  if want trivy ${#TF_FILES[@]} "$TRIVY"; then
    "$TRIVY" config --skip-check-update --skip-version-check --disable-telemetry \
      --cache-dir "$WORK/trivy-cache" --misconfig-scanners terraform --quiet \
      -f json -o "$WORK/tmp/trivy.json" "$OUT" > "$WORK/tmp/trivy.err" 2>&1
    rc=$?
    n=$("$PYTHON" -c '
import json, sys
try: d = json.load(open(sys.argv[1]))
except Exception: print(-1); sys.exit()
n = 0
for r in d.get("Results") or []:
    for m in r.get("Misconfigurations") or []:
        if m.get("Status") == "FAIL":
            n += 1
            c = m.get("CauseMetadata") or {}
            print("%s %s %s (%s:%s)" % (m.get("ID"), m.get("Severity"), m.get("Title"), r.get("Target"), c.get("StartLine")), file=sys.stderr)
print(n)' "$WORK/tmp/trivy.json" 2>"$LOG_DIR/trivy.log")
    if [ "$rc" -ne 0 ] || [ "${n:--1}" -lt 0 ]; then cat "$WORK/tmp/trivy.err" >> "$LOG_DIR/trivy.log"; n=${n#-}; rc=1; fi
    [ "$n" -gt 0 ] && rc=1
    report trivy ${#TF_FILES[@]} "$(status "$rc")" "$n"
  fi
  sec="security: $S_RUN run, $S_FAIL failed, $S_SKIP skipped"
else
  sec="security: off (VALIDATE_SECURITY=1 runs checkov, trivy)"
fi

echo "validate-outputs: $N_RUN tools run, $N_FAIL failed, $N_SKIP skipped; $sec (logs: $LOG_DIR)"
[ "$N_FAIL" -eq 0 ] && [ "$S_FAIL" -eq 0 ]
