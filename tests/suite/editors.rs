//! The editors' files, in the editors: Neovim (headless, Debian's 0.7.2 or any later one) runs
//! editors/neovim/cci.lua, the file the README tells a user to install, against `cci-dsl lsp`;
//! the VS Code extension is packaged with `vsce` and its entry point loaded with a stand-in
//! `vscode` module; the tree-sitter grammar is generated, tested and run on every accepted
//! file by the tree-sitter CLI. Every run is bounded; a missing tool fails under
//! CCI_REQUIRE_VALIDATORS=1 (scripts/install-validators.sh installs them) and is skipped
//! otherwise.

use crate::lsp::find;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A site with one mistake: a rule from an actor nobody declared.
const SITE: &str = r#"use circleci/2.16

site "acme" {
  aws {
    region  = "us-west-2"
    vpc     = vpc-0a1b2c3d
    subnet  = subnet-0a1b2c3d
    ssh_key = "ops"
  }
  daily_active_users = 40
  github             = github_com
  passphrase         = secret
}

actors {
  users  = [10.0.0.0/8]
  admins = [10.1.0.0/24]
}

services {
  instance = "m4.2xlarge"
  disk     = 100 GiB
}

fleet builders {
  instance = "m4.2xlarge"
  count    = 1..5
  disk     = 100 GiB
}

# monitoring is not declared
allow tcp 9100 from monitoring to builders "node exporter"
"#;

/// The script Neovim runs once the site is open: waits (bounded) for the server's
/// diagnostics, asks for a hover and a definition on `builders` in the rule, and writes
/// what it got as JSON to `out.json`, then quits whatever happened.
const PROBE: &str = r#"
local out = {}
local ok, err = pcall(function()
  out.filetype = vim.bo.filetype
  out.waited = vim.wait(15000, function() return #vim.diagnostic.get(0) > 0 end, 20)
  out.diagnostics = {}
  for _, d in ipairs(vim.diagnostic.get(0)) do
    local lsp = d.user_data and d.user_data.lsp or {}
    table.insert(out.diagnostics, { line = d.lnum, col = d.col, code = d.code or lsp.code, message = d.message })
  end
  out.syntax = {}
  for _, at in ipairs(SYNTAX_AT) do
    local id = vim.fn.synID(at[1] + 1, at[2] + 1, 1)
    table.insert(out.syntax, vim.fn.synIDattr(id, "name"))
  end
  local params = { textDocument = vim.lsp.util.make_text_document_params(), position = POSITION }
  for _, r in pairs(vim.lsp.buf_request_sync(0, "textDocument/hover", params, 5000) or {}) do
    out.hover = r.result and r.result.contents and r.result.contents.value
  end
  for _, r in pairs(vim.lsp.buf_request_sync(0, "textDocument/definition", params, 5000) or {}) do
    out.definition = r.result
  end
end)
if not ok then out.error = tostring(err) end
vim.fn.writefile({ vim.fn.json_encode(out) }, "out.json")
vim.cmd("qa!")
"#;

/// A tool the test needs: `$var` or `name` on PATH. `None` after saying the test is skipped,
/// or a failure under CCI_REQUIRE_VALIDATORS=1.
fn tool(var: &str, name: &str) -> Option<PathBuf> {
    if let Some(p) = std::env::var_os(var) {
        return Some(PathBuf::from(p));
    }
    let found = std::env::var_os("PATH").and_then(|path| {
        std::env::split_paths(&path)
            .map(|d| d.join(name))
            .find(|p| p.is_file())
    });
    if found.is_none() {
        let required = std::env::var("CCI_REQUIRE_VALIDATORS").is_ok_and(|v| v == "1");
        assert!(
            !required,
            "{name} required but not found (scripts/install-validators.sh installs it)"
        );
        eprintln!("SKIPPED: {name} not found (run scripts/install-validators.sh)");
    }
    found
}

/// Runs `cmd` to its end, killed and failed after `limit`; its output when it fails.
fn bounded(mut cmd: Command, what: &str, limit: Duration) -> String {
    let out_file = tempfile::NamedTempFile::new().unwrap();
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(out_file.reopen().unwrap())
        .stderr(out_file.reopen().unwrap())
        .spawn()
        .unwrap_or_else(|e| panic!("{what}: {e}"));
    let deadline = Instant::now() + limit;
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            let out = std::fs::read_to_string(out_file.path()).unwrap_or_default();
            panic!("{what} hung (> {limit:?})\n{out}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let out = std::fs::read_to_string(out_file.path()).unwrap_or_default();
    assert!(status.success(), "{what}: {status}\n{out}");
    out
}

/// Neovim with no configuration of the user's: `init`, and editors/neovim/cci.lua installed
/// as the README says (`~/.config/nvim/plugin/cci.lua`, here under a scratch
/// XDG_CONFIG_HOME), which Neovim loads itself at startup.
fn neovim(nvim: &Path, dir: &Path, init: &str, file: &str) -> serde_json::Value {
    let home = dir.join("home");
    let plugins = home.join("nvim/plugin");
    std::fs::create_dir_all(&plugins).unwrap();
    let plugin = crate::root().join("editors/neovim/cci.lua");
    std::fs::copy(plugin, plugins.join("cci.lua")).unwrap();
    std::fs::write(dir.join("init.lua"), init).unwrap();
    let at = find(SITE, "to builders", 0, 3);
    let position = format!(
        "{{ line = {}, character = {} }}",
        at["line"], at["character"]
    );
    let syntax_at: Vec<String> = ["fleet", "# monitoring", "\"node", "10.0.0.0/8", "100 GiB"]
        .iter()
        .map(|w| {
            let at = find(SITE, w, 0, 0);
            format!("{{ {}, {} }}", at["line"], at["character"])
        })
        .collect();
    let probe = PROBE
        .replace("POSITION", &position)
        .replace("SYNTAX_AT", &format!("{{ {} }}", syntax_at.join(", ")));
    std::fs::write(dir.join("probe.lua"), probe).unwrap();
    let mut cmd = Command::new(nvim);
    cmd.current_dir(dir)
        .args(["--headless", "-n", "-i", "NONE", "-u", "init.lua", file])
        .args(["-c", "luafile probe.lua"]);
    for var in [
        "XDG_CONFIG_HOME",
        "XDG_DATA_HOME",
        "XDG_STATE_HOME",
        "XDG_CACHE_HOME",
    ] {
        cmd.env(var, &home);
    }
    bounded(cmd, "nvim --headless", Duration::from_secs(60));
    let out = std::fs::read_to_string(dir.join("out.json")).expect("the probe wrote out.json");
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"))
}

/// The README's way: editors/neovim/cci.lua installed as a plugin, the server's command set
/// by `vim.g.cci_dsl_cmd` in init.lua. The `.cci` file gets the filetype, the server starts, and its
/// diagnostic (code and help), hover and definition reach the editor, and the file's syntax
/// highlighting names what it shows.
#[test]
fn neovim_runs_the_server_from_the_readmes_file() {
    let Some(nvim) = tool("CCI_NVIM", "nvim") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("site.cci"), SITE).unwrap();
    let init = format!(
        "vim.g.cci_dsl_cmd = {{ {:?}, \"lsp\" }}\n",
        env!("CARGO_BIN_EXE_cci-dsl")
    );
    let out = neovim(&nvim, dir.path(), &init, "site.cci");
    assert!(out.get("error").is_none(), "{out}");
    assert_eq!(out["filetype"], "cci", "{out}");
    assert_eq!(out["waited"], true, "no diagnostics within 15 s: {out}");
    let diagnostics = out["diagnostics"].as_array().unwrap();
    assert_eq!(diagnostics.len(), 1, "{out}");
    let d = &diagnostics[0];
    assert_eq!(d["code"], "E0206", "{out}");
    let at = find(SITE, "from monitoring", 0, 5);
    assert_eq!(
        (&d["line"], &d["col"]),
        (&at["line"], &at["character"]),
        "{out}"
    );
    assert!(d["message"].as_str().unwrap().contains("help: "), "{out}");
    let hover = out["hover"].as_str().unwrap_or_default();
    assert!(
        hover.contains("builders") && hover.contains("m4.2xlarge"),
        "{out}"
    );
    let def = &out["definition"];
    let def = def.as_array().and_then(|a| a.first()).unwrap_or(def);
    assert_eq!(def["range"]["start"], find(SITE, "builders", 0, 0), "{out}");
    assert!(def["uri"].as_str().unwrap().ends_with("/site.cci"), "{out}");
    let groups = [
        "cciBlock",
        "cciComment",
        "cciString",
        "cciNumber",
        "cciNumber",
    ];
    assert_eq!(out["syntax"], serde_json::json!(groups), "{out}");
}

/// The file the test runs is the file the README tells a user to install.
#[test]
fn the_readme_installs_the_tested_neovim_file() {
    let readme = std::fs::read_to_string(crate::root().join("README.md")).unwrap();
    assert!(
        readme.contains("editors/neovim/cci.lua") && readme.contains("vim.g.cci_dsl_cmd"),
        "README's Neovim instructions name another file"
    );
}

/// Loads the extension's entry point in node with a stand-in `vscode` module and a recording
/// `vscode-languageclient/node`, and prints what `activate` did under three settings; then
/// loads the packaged client itself (with a `vscode` that answers anything) to check it
/// exports what the entry point uses.
const ACTIVATE: &str = r#"
const Module = require("module");
const [extension, path, failing] = process.argv.slice(2);
const shown = [], made = [];
const vscode = {
  workspace: { getConfiguration: (section) => ({ get: (k) => (section === "cci-dsl" && k === "path" ? path : undefined) }) },
  window: { showErrorMessage: (m) => shown.push(m) },
};
class LanguageClient {
  constructor(id, name, server, client) { made.push({ id, name, server, client }); }
  start() { return failing === "fail" ? Promise.reject(new Error("spawn ENOENT")) : Promise.resolve(); }
  stop() { return Promise.resolve(); }
  dispose() {}
}
const load = Module._load;
Module._load = function (request) {
  if (request === "vscode") return vscode;
  if (request === "vscode-languageclient/node") return { LanguageClient, TransportKind: { stdio: 0 } };
  return load.apply(this, arguments);
};
const context = { subscriptions: [] };
require(extension).activate(context).then(() => {
  console.log(JSON.stringify({ made, shown, subscriptions: context.subscriptions.length }));
});
"#;

const CLIENT_EXPORTS: &str = r#"
const Module = require("module");
const any = () => new Proxy(function () {}, { get: (t, k) => (k === "prototype" ? {} : any()) });
const load = Module._load;
Module._load = function (request) {
  return request === "vscode" ? any() : load.apply(this, arguments);
};
const client = require(require.resolve("vscode-languageclient/node", { paths: [process.argv[2]] }));
console.log(JSON.stringify({ LanguageClient: typeof client.LanguageClient, stdio: client.TransportKind.stdio }));
"#;

/// The VS Code kit scripts/install-validators.sh installs: vsce, and the node_modules holding
/// vscode-languageclient. Found by their files (another checkout's install may rewrite
/// env.sh); `None` after saying the test is skipped, or a failure under
/// CCI_REQUIRE_VALIDATORS=1.
fn vscode_kit() -> Option<(PathBuf, PathBuf)> {
    let kit = crate::tools_dir().join("vscode");
    let vsce = kit.join("vsce/node_modules/@vscode/vsce/vsce");
    let client = kit.join("client/node_modules");
    if vsce.is_file() && client.join("vscode-languageclient/package.json").is_file() {
        return Some((vsce, client));
    }
    crate::installed_tool("VSCODE_CLIENT_MODULES", "the VS Code extension's kit is")
        .map(|_| (vsce, client))
}

fn node(args: &[&Path]) -> serde_json::Value {
    let node = tool("CCI_NODE", "node").expect("node");
    let mut cmd = Command::new(node);
    cmd.args(args);
    let out = bounded(cmd, "node", Duration::from_secs(30));
    let last = out.lines().last().unwrap_or_default();
    serde_json::from_str(last).unwrap_or_else(|e| panic!("{e}: {out}"))
}

/// `vsce package` of editors/vscode with its dependency: the .vsix holds the entry point the
/// manifest names, the grammar and language configuration, and vscode-languageclient at the
/// version the manifest pins.
#[test]
fn vscode_extension_packages_with_its_language_client() {
    let Some((vsce, client)) = vscode_kit() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let ext = dir.path().join("ext");
    let copy = |from: &Path, to: &Path| {
        let mut cp = Command::new("cp");
        cp.arg("-R").arg(from).arg(to);
        bounded(cp, "cp -R", Duration::from_secs(30));
    };
    copy(&crate::root().join("editors/vscode"), &ext);
    copy(&client, &ext.join("node_modules"));
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(ext.join("package.json")).unwrap()).unwrap();
    let installed: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(client.join("vscode-languageclient/package.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(
        manifest["dependencies"]["vscode-languageclient"], installed["version"],
        "the manifest pins another vscode-languageclient than install-validators.sh installs"
    );
    assert_eq!(manifest["main"], "./extension.js");
    let vsix = dir.path().join("cci.vsix");
    let mut cmd = Command::new(tool("CCI_NODE", "node").expect("node"));
    cmd.current_dir(&ext).arg(&vsce).arg("package");
    cmd.args(["--allow-missing-repository", "--skip-license", "--out"]);
    cmd.arg(&vsix);
    bounded(cmd, "vsce package", Duration::from_secs(120));
    let mut unzip = Command::new("unzip");
    unzip
        .arg("-q")
        .arg(&vsix)
        .arg("-d")
        .arg(dir.path().join("vsix"));
    bounded(unzip, "unzip", Duration::from_secs(30));
    let packaged = dir.path().join("vsix/extension");
    for file in [
        "extension.js",
        "package.json",
        "language-configuration.json",
        "syntaxes/cci.tmLanguage.json",
        "node_modules/vscode-languageclient/package.json",
        "node_modules/vscode-languageclient/node.js",
        "node_modules/vscode-jsonrpc/package.json",
    ] {
        assert!(packaged.join(file).is_file(), "{file} is not in the .vsix");
    }
    let script = dir.path().join("exports.js");
    std::fs::write(&script, CLIENT_EXPORTS).unwrap();
    let exports = node(&[&script, &packaged]);
    assert_eq!(exports["LanguageClient"], "function", "{exports}");
    assert_eq!(exports["stdio"], 0, "{exports}");
}

/// `activate` starts `cci-dsl lsp` (the `cci-dsl.path` setting's binary, `cci-dsl` when it
/// is empty) over stdio for the `cci` language, and says so when the server cannot start.
#[test]
fn vscode_extension_starts_the_configured_server() {
    if tool("CCI_NODE", "node").is_none() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("activate.js");
    std::fs::write(&script, ACTIVATE).unwrap();
    let extension = crate::root().join("editors/vscode/extension.js");
    let run = |path: &str, failing: &str| {
        node(&[&script, &extension, Path::new(path), Path::new(failing)])
    };
    let configured = run("/opt/cci/bin/cci-dsl", "start");
    let made = &configured["made"][0];
    assert_eq!(
        made["server"]["command"], "/opt/cci/bin/cci-dsl",
        "{configured}"
    );
    assert_eq!(
        made["server"]["args"],
        serde_json::json!(["lsp"]),
        "{configured}"
    );
    assert_eq!(made["server"]["transport"], 0, "{configured}");
    let selector = made["client"]["documentSelector"].as_array().unwrap();
    assert!(
        selector.iter().all(|s| s["language"] == "cci"),
        "{configured}"
    );
    assert_eq!(configured["shown"], serde_json::json!([]), "{configured}");
    assert_eq!(configured["subscriptions"], 1, "{configured}");
    let default = run(" ", "start");
    assert_eq!(
        default["made"][0]["server"]["command"], "cci-dsl",
        "{default}"
    );
    let failed = run("/nowhere/cci-dsl", "fail");
    let shown = failed["shown"][0].as_str().unwrap_or_default();
    assert!(
        shown.contains("/nowhere/cci-dsl lsp") && shown.contains("cci-dsl.path"),
        "{failed}"
    );
}

/// The tree-sitter CLI scripts/install-validators.sh builds from crates.io; `None` after
/// saying the test is skipped, or a failure under CCI_REQUIRE_VALIDATORS=1.
fn tree_sitter() -> Option<PathBuf> {
    let cli = crate::tools_dir().join("tree-sitter/bin/tree-sitter");
    if cli.is_file() {
        return Some(cli);
    }
    crate::installed_tool("TREE_SITTER", "the tree-sitter CLI is").map(|_| cli)
}

/// Every file the compiler's parser accepts: the examples, the stdlib and the fixtures of
/// the stages after parsing.
fn accepted_files() -> Vec<PathBuf> {
    let mut files = crate::examples();
    for dir in [
        "stdlib",
        "tests/fixtures/resolve",
        "tests/fixtures/types",
        "tests/fixtures/check",
    ] {
        files.extend(
            crate::files_under(dir)
                .into_iter()
                .map(|(p, _)| p)
                .filter(|p| p.extension().is_some_and(|e| e == "cci")),
        );
    }
    files
}

/// editors/tree-sitter-cci: generated by the tree-sitter CLI into the committed parser, its
/// corpus passes, it parses every file the compiler accepts without an error, and its
/// highlight queries are valid for the grammar and capture what they name.
#[test]
fn tree_sitter_grammar_generates_and_parses_every_accepted_file() {
    let Some(cli) = tree_sitter() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let grammar = dir.path().join("tree-sitter-cci");
    let mut cp = Command::new("cp");
    cp.arg("-R")
        .arg(crate::root().join("editors/tree-sitter-cci"))
        .arg(&grammar);
    bounded(cp, "cp -R", Duration::from_secs(30));
    let run = |args: &[&std::ffi::OsStr], what: &str| {
        let mut cmd = Command::new(&cli);
        cmd.current_dir(&grammar)
            .args(args)
            .env("HOME", dir.path())
            .env("XDG_CACHE_HOME", dir.path().join("cache"))
            .env("XDG_CONFIG_HOME", dir.path().join("config"))
            .env("TREE_SITTER_DIR", dir.path().join("config"));
        bounded(cmd, what, Duration::from_secs(120))
    };
    let committed = std::fs::read_to_string(grammar.join("src/parser.c")).unwrap_or_default();
    run(&["generate".as_ref()], "tree-sitter generate");
    let generated = std::fs::read_to_string(grammar.join("src/parser.c")).unwrap();
    assert!(
        committed == generated,
        "editors/tree-sitter-cci/src/parser.c is not what grammar.js generates: run `tree-sitter generate` there"
    );
    run(&["test".as_ref()], "tree-sitter test");
    let files = accepted_files();
    assert!(files.len() > 20, "{files:?}");
    let mut args: Vec<&std::ffi::OsStr> = vec!["parse".as_ref(), "--quiet".as_ref()];
    args.extend(files.iter().map(|p| p.as_os_str()));
    run(&args, "tree-sitter parse (every accepted file)");
    let example = crate::examples().into_iter().next().unwrap();
    let captures = run(
        &[
            "query".as_ref(),
            "queries/highlights.scm".as_ref(),
            example.as_os_str(),
        ],
        "tree-sitter query",
    );
    for capture in ["keyword", "string", "comment", "number", "property", "type"] {
        // (`capture: 5 - keyword, start: (2, 0), ...`)
        assert!(
            captures.contains(&format!(" - {capture}, start")),
            "no {capture} captured:\n{captures}"
        );
    }
}
