//! `cci-dsl lsp`, end to end: a client in the test speaks JSON-RPC over the process's stdio —
//! initialize, open a site with mistakes, read the published diagnostics, hover a code and an
//! instance type, go to a fleet's definition, complete, format, fix the site, shut down.

use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

struct Client {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    next_id: u64,
}

impl Client {
    fn start() -> Client {
        let mut child = Command::new(env!("CARGO_BIN_EXE_cci-dsl"))
            .arg("lsp")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdin = child.stdin.take().unwrap();
        let stdout = BufReader::new(child.stdout.take().unwrap());
        Client {
            child,
            stdin,
            stdout,
            next_id: 1,
        }
    }

    fn send(&mut self, msg: Value) {
        let body = msg.to_string();
        write!(self.stdin, "Content-Length: {}\r\n\r\n{body}", body.len()).unwrap();
        self.stdin.flush().unwrap();
    }

    fn receive(&mut self) -> Value {
        let mut length = 0;
        loop {
            let mut line = String::new();
            self.stdout.read_line(&mut line).unwrap();
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some(n) = line.strip_prefix("Content-Length: ") {
                length = n.parse().unwrap();
            }
        }
        let mut body = vec![0; length];
        self.stdout.read_exact(&mut body).unwrap();
        serde_json::from_slice(&body).unwrap()
    }

    /// Sends a request and returns its result (notifications in between are skipped).
    fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        self.send(json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params }));
        loop {
            let m = self.receive();
            if m["id"] == id {
                return m["result"].clone();
            }
        }
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(json!({ "jsonrpc": "2.0", "method": method, "params": params }));
    }

    fn diagnostics(&mut self) -> Vec<Value> {
        loop {
            let m = self.receive();
            if m["method"] == "textDocument/publishDiagnostics" {
                return m["params"]["diagnostics"].as_array().unwrap().clone();
            }
        }
    }
}

fn pos(line: usize, character: usize) -> Value {
    json!({ "line": line, "character": character })
}

#[test]
fn a_client_gets_diagnostics_hover_definition_completion_and_formatting() {
    let good = std::fs::read_to_string(crate::root().join("examples/default.cci")).unwrap();
    let uri = "file:///tmp/cci-lsp-test/site.cci";
    let mut c = Client::start();
    let init = c.request(
        "initialize",
        json!({ "processId": null, "rootUri": null, "capabilities": {} }),
    );
    assert_eq!(init["capabilities"]["hoverProvider"], true);
    c.notify("initialized", json!({}));
    diagnostics_and_hover(&mut c, uri, &good);
    definition(&mut c, uri, &good);
    completion(&mut c, uri, &good);
    formatting(&mut c, uri, &good);
    let _ = c.request("shutdown", Value::Null);
    c.notify("exit", Value::Null);
    assert!(c.child.wait().unwrap().success());
}

/// The line of the services box's instance type in the default site.
fn services_line(good: &str) -> usize {
    good.lines()
        .position(|l| l.contains("instance = \"m4.2xlarge\""))
        .unwrap()
}

/// A site with two mistakes opened: their diagnostics, no secret in them; hover on an instance
/// type.
fn diagnostics_and_hover(c: &mut Client, uri: &str, good: &str) {
    // Two mistakes: an unknown instance type in the fleet, and the passphrase written down.
    let bad = good
        .replace(
            "  instance = \"m4.2xlarge\"\n  count",
            "  instance = \"m4.2xlarj\"\n  count",
        )
        .replace(
            "passphrase         = secret",
            "passphrase         = \"hunter2hunter2\"",
        );
    c.notify(
        "textDocument/didOpen",
        json!({ "textDocument": { "uri": uri, "languageId": "cci", "version": 1, "text": bad } }),
    );
    let diags = c.diagnostics();
    let codes: Vec<&str> = diags.iter().filter_map(|d| d["code"].as_str()).collect();
    assert!(codes.contains(&"E0307"), "{diags:?}");
    assert!(
        codes
            .iter()
            .any(|c| c.starts_with("E02") || c.starts_with("E03")),
        "{codes:?}"
    );
    let shown = serde_json::to_string(&diags).unwrap();
    assert!(!shown.contains("hunter2"), "a diagnostic shows the secret");
    let fleet_line = bad.lines().position(|l| l.contains("m4.2xlarj")).unwrap();
    assert!(
        diags
            .iter()
            .any(|d| d["range"]["start"]["line"] == fleet_line),
        "{diags:?}"
    );

    // Hover: an instance type.
    let services_line = services_line(good);
    let hover = c.request(
        "textDocument/hover",
        json!({ "textDocument": { "uri": uri }, "position": pos(services_line, 16) }),
    );
    assert!(
        hover["contents"]["value"]
            .as_str()
            .unwrap()
            .contains("8 vCPU"),
        "{hover}"
    );
}

/// `nomad` in a rule goes to `fleet nomad`; hover on a code written in the rule's purpose.
fn definition(c: &mut Client, uri: &str, good: &str) {
    let with_rule =
        format!("{good}allow tcp 9100 from 10.20.0.0/16 to nomad \"E0405 node exporter\"\n");
    c.notify("textDocument/didChange", json!({ "textDocument": { "uri": uri, "version": 2 }, "contentChanges": [{ "text": with_rule }] }));
    assert!(
        c.diagnostics().iter().all(|d| d["severity"] != 1),
        "the fixed site has no error"
    );
    let rule_line = with_rule.lines().count() - 1;
    let rule = with_rule.lines().last().unwrap();
    let def = c.request("textDocument/definition", json!({ "textDocument": { "uri": uri }, "position": pos(rule_line, rule.find("nomad").unwrap() + 1) }));
    let fleet_decl = with_rule
        .lines()
        .position(|l| l.starts_with("fleet nomad"))
        .unwrap();
    assert_eq!(def["range"]["start"], pos(fleet_decl, 6), "{def}");
    let hover = c.request("textDocument/hover", json!({ "textDocument": { "uri": uri }, "position": pos(rule_line, rule.find("E0405").unwrap() + 2) }));
    assert!(
        hover["contents"]["value"]
            .as_str()
            .unwrap()
            .contains("E0405"),
        "{hover}"
    );
}

/// The catalog after `instance =`, a block's attributes inside it.
fn completion(c: &mut Client, uri: &str, good: &str) {
    let services_line = services_line(good);
    let items = c.request(
        "textDocument/completion",
        json!({ "textDocument": { "uri": uri }, "position": pos(services_line, 13) }),
    );
    let labels: Vec<&str> = items
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|i| i["label"].as_str())
        .collect();
    assert!(labels.contains(&"\"m5.2xlarge\""), "{labels:?}");
    let disk_line = good
        .lines()
        .position(|l| l.contains("disk     = 100 GiB"))
        .unwrap();
    let items = c.request(
        "textDocument/completion",
        json!({ "textDocument": { "uri": uri }, "position": pos(disk_line, 0) }),
    );
    let labels: Vec<&str> = items
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|i| i["label"].as_str())
        .collect();
    assert!(
        labels.contains(&"ami") && labels.contains(&"backup"),
        "{labels:?}"
    );
}

/// A mangled document comes back as `cci-dsl fmt` writes it.
fn formatting(c: &mut Client, uri: &str, good: &str) {
    let messy = good.replace("  disk     = 100 GiB", "      disk=100 GiB");
    c.notify("textDocument/didChange", json!({ "textDocument": { "uri": uri, "version": 3 }, "contentChanges": [{ "text": messy }] }));
    let _ = c.diagnostics();
    let edits = c.request("textDocument/formatting", json!({ "textDocument": { "uri": uri }, "options": { "tabSize": 2, "insertSpaces": true } }));
    assert_eq!(edits[0]["newText"], good);
}
