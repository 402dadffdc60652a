//! The editors' files, in the editors: Neovim (headless, Debian's 0.7.2 or any later one) runs
//! editors/neovim/cci.lua, the file the README tells a user to install, against `cci-dsl lsp`;
//! the VS Code extension is packaged with `vsce` and its entry point loaded with a stand-in
//! `vscode` module. Every run is bounded; a missing tool fails under
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

/// Neovim with no configuration of the user's: only `init` (and the files it sources).
fn neovim(nvim: &Path, dir: &Path, init: &str, file: &str) -> serde_json::Value {
    let home = dir.join("home");
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

/// The README's way: editors/neovim/cci.lua sourced as a plugin, the server's command set
/// by `vim.g.cci_dsl_cmd`. The `.cci` file gets the filetype, the server starts, and its
/// diagnostic (code and help), hover and definition reach the editor, and the file's syntax
/// highlighting names what it shows.
#[test]
fn neovim_runs_the_server_from_the_readmes_file() {
    let Some(nvim) = tool("CCI_NVIM", "nvim") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("site.cci"), SITE).unwrap();
    let plugin = crate::root().join("editors/neovim/cci.lua");
    let init = format!(
        "vim.g.cci_dsl_cmd = {{ {:?}, \"lsp\" }}\ndofile({:?})\n",
        env!("CARGO_BIN_EXE_cci-dsl"),
        plugin.display().to_string()
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
