//! `cci-dsl lsp`, end to end: a client in the test speaks JSON-RPC over the process's stdio
//! (the bounded client of `hostile.rs`: every wait has a deadline) — initialize, open a site
//! with mistakes, read the published diagnostics, hover, go to definitions, find references,
//! complete, format, fix the site, unknown methods and bad params, shut down.

use crate::hostile::Lsp;
use serde_json::{json, Value};
use std::path::Path;

/// A site with every kind of name: two fleets (one on an instance type the site declares),
/// an actor of its own, an externalized service, rules naming them, and a comment holding a
/// `{` before a block (which brace counting on the text would take for an opened block).
pub const SITE: &str = r#"use circleci/2.16

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
  users      = [10.0.0.0/8]
  admins     = [10.10.0.0/24]
  monitoring = [10.20.0.0/16]
}

# { a brace in a comment
services {
  instance = "m4.2xlarge"
  disk     = 100 GiB
}

instance_type "m7i.2xlarge" {
  vcpu      = 8
  memory    = 32 GiB
  network   = "Up to 12.5 Gigabit"
  bandwidth = 12500 Mbps
}

fleet nomad {
  instance = "m4.2xlarge"
  count    = 1..5
  disk     = 100 GiB
}

fleet big {
  instance = "m7i.2xlarge"
  count    = 2..8
  disk     = 200 GiB
}

external postgres { hosts = [10.0.5.10] }

allow tcp 9100 from monitoring to nomad "node exporter"
allow tcp 9200 from users to big "E0405 dashboards"
allow tcp 5432 from monitoring to postgres "database metrics"
"#;

fn pos(line: usize, character: usize) -> Value {
    json!({ "line": line, "character": character })
}

/// The position of the `nth` occurrence (from 0) of `needle` in `text`, `plus` bytes into it
/// (the texts here are ASCII: a byte is a UTF-16 unit).
pub fn find(text: &str, needle: &str, nth: usize, plus: usize) -> Value {
    let (at, _) = text
        .match_indices(needle)
        .nth(nth)
        .unwrap_or_else(|| panic!("no {needle} #{nth}"));
    let at = at + plus;
    let line = text[..at].matches('\n').count();
    let column = at - text[..at].rfind('\n').map_or(0, |i| i + 1);
    pos(line, column)
}

fn uri_of(path: &Path) -> String {
    format!("file://{}", path.display())
}

fn at(uri: &str, position: Value) -> Value {
    json!({ "textDocument": { "uri": uri }, "position": position })
}

/// Sends the whole new text and returns the diagnostics published for it.
pub fn change(lsp: &mut Lsp, uri: &str, version: i32, text: &str) -> Vec<Value> {
    lsp.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": uri, "version": version }, "contentChanges": [{ "text": text }] }),
    );
    let m = lsp.wait_for("didChange", |m| {
        m["method"] == "textDocument/publishDiagnostics"
            && m["params"]["uri"] == uri
            && m["params"]["version"] == version
    });
    m["params"]["diagnostics"].as_array().unwrap().clone()
}

fn labels(answer: &Value) -> Vec<String> {
    answer["result"]
        .as_array()
        .unwrap_or_else(|| panic!("{answer}"))
        .iter()
        .filter_map(|i| i["label"].as_str().map(String::from))
        .collect()
}

fn hover_text(answer: &Value) -> String {
    answer["result"]["contents"]["value"]
        .as_str()
        .unwrap_or_else(|| panic!("no hover: {answer}"))
        .to_string()
}

/// The text after LSP text edits (ASCII text: columns are bytes).
fn apply_edits(text: &str, edits: &Value) -> String {
    let offset = |p: &Value| {
        let line = p["line"].as_u64().unwrap() as usize;
        let start: usize = text.split_inclusive('\n').take(line).map(str::len).sum();
        start + p["character"].as_u64().unwrap() as usize
    };
    let mut edits: Vec<(usize, usize, String)> = edits
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let r = &e["range"];
            let new = e["newText"].as_str().unwrap().to_string();
            (offset(&r["start"]), offset(&r["end"]), new)
        })
        .collect();
    edits.sort_by_key(|e| std::cmp::Reverse(e.0));
    let mut out = text.to_string();
    for (start, end, new) in edits {
        out.replace_range(start..end, &new);
    }
    out
}

#[test]
fn a_client_gets_diagnostics_hover_definition_completion_and_formatting() {
    let good = std::fs::read_to_string(crate::root().join("examples/default.cci")).unwrap();
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
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("site.cci");
    let uri = uri_of(&path);
    let mut c = Lsp::start_raw(dir.path());
    let init = c.request(
        "initialize",
        json!({ "processId": null, "capabilities": {} }),
    );
    let caps = &init["result"]["capabilities"];
    for cap in [
        "hoverProvider",
        "definitionProvider",
        "referencesProvider",
        "documentFormattingProvider",
    ] {
        assert_eq!(caps[cap], true, "{cap}: {init}");
    }
    assert_eq!(caps["textDocumentSync"], 1, "{init}");
    c.notify("initialized", json!({}));

    let opened = c.open(&path, &bad);
    let diags = opened["params"]["diagnostics"].as_array().unwrap().clone();
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
    assert!(
        diags
            .iter()
            .any(|d| d["range"]["start"] == find(&bad, "\"m4.2xlarj\"", 0, 0)),
        "{diags:?}"
    );

    hover_and_definition(&mut c, &uri, &good);
    completion_and_formatting(&mut c, &uri, &good);
    c.stop();
}

/// Hover on an instance type; go to a fleet's definition from a rule; hover on a code.
fn hover_and_definition(c: &mut Lsp, uri: &str, good: &str) {
    // Hover: an instance type, from the catalog.
    let hover = c.request(
        "textDocument/hover",
        at(uri, find(good, "m4.2xlarge\"  #", 0, 3)),
    );
    assert!(hover_text(&hover).contains("8 vCPU"), "{hover}");

    // Go to definition: `nomad` in a rule (every fleet) goes to `fleet nomad`, the only one.
    let with_rule =
        format!("{good}allow tcp 9100 from 10.20.0.0/16 to nomad \"E0405 node exporter\"\n");
    assert!(
        change(c, uri, 2, &with_rule)
            .iter()
            .all(|d| d["severity"] != 1),
        "the fixed site has no error"
    );
    let def = c.request(
        "textDocument/definition",
        at(uri, find(&with_rule, "to nomad", 0, 4)),
    );
    assert_eq!(
        def["result"]["range"]["start"],
        find(&with_rule, "fleet nomad", 0, 6),
        "{def}"
    );
    assert_eq!(def["result"]["uri"], uri, "{def}");
    // A code in a rule's purpose.
    let hover = c.request(
        "textDocument/hover",
        at(uri, find(&with_rule, "E0405", 0, 2)),
    );
    assert!(hover_text(&hover).contains("E0405"), "{hover}");
}

/// Completion of a value and of a block's attributes; formatting edits.
fn completion_and_formatting(c: &mut Lsp, uri: &str, good: &str) {
    // Completion: the catalog after `instance =`; in a block, what it does not have yet.
    let items = c.request(
        "textDocument/completion",
        at(uri, find(good, "\"m4.2xlarge\"  #", 0, 0)),
    );
    let l = labels(&items);
    assert!(l.contains(&"\"m5.2xlarge\"".to_string()), "{l:?}");
    let items = c.request(
        "textDocument/completion",
        at(uri, find(good, "  disk     = 100 GiB", 0, 0)),
    );
    let l = labels(&items);
    assert!(
        l.contains(&"ami".into()) && l.contains(&"backup".into()),
        "{l:?}"
    );
    assert!(!l.contains(&"instance".into()), "written already: {l:?}");

    // Formatting: a mangled document comes back as `cci-dsl fmt` writes it.
    let messy = good.replace("  disk     = 100 GiB", "      disk=100 GiB");
    change(c, uri, 3, &messy);
    let edits = c.request("textDocument/formatting", json!({ "textDocument": { "uri": uri }, "options": { "tabSize": 2, "insertSpaces": true } }));
    assert_eq!(apply_edits(&messy, &edits["result"]), good);
    let edits = c.request("textDocument/formatting", json!({ "textDocument": { "uri": uri }, "options": { "tabSize": 2, "insertSpaces": true } }));
    change(c, uri, 4, good);
    let none = c.request("textDocument/formatting", json!({ "textDocument": { "uri": uri }, "options": { "tabSize": 2, "insertSpaces": true } }));
    assert_eq!(none["result"], json!([]), "{edits}");
}

#[test]
fn names_are_hovered_defined_and_referenced_from_the_tree() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("site.cci");
    let uri = uri_of(&path);
    let mut c = Lsp::start(dir.path());
    let d = c.open(&path, SITE);
    assert_eq!(d["params"]["diagnostics"], json!([]), "{d}");

    // A fleet's name in a rule: its machines, count and disk, from the compiled site.
    let hover = hover_text(&c.request("textDocument/hover", at(&uri, find(SITE, "to big", 0, 4))));
    for part in [
        "fleet `big`",
        "m7i.2xlarge",
        "8 vCPU",
        "2 to 8 clients",
        "200 GiB",
    ] {
        assert!(hover.contains(part), "{part}: {hover}");
    }
    let hover = hover_text(&c.request(
        "textDocument/hover",
        at(&uri, find(SITE, "fleet nomad", 0, 7)),
    ));
    assert!(hover.contains("1 to 5 clients"), "{hover}");
    // An actor: the stdlib's meaning and the site's ranges; one of the site's own.
    let hover = hover_text(&c.request(
        "textDocument/hover",
        at(&uri, find(SITE, "from users", 0, 6)),
    ));
    assert!(
        hover.contains("End users") && hover.contains("10.0.0.0/8"),
        "{hover}"
    );
    let hover = hover_text(&c.request(
        "textDocument/hover",
        at(&uri, find(SITE, "from monitoring", 0, 6)),
    ));
    assert!(hover.contains("10.20.0.0/16"), "{hover}");
    // An external service, an instance type the site declares, a block kind, an attribute.
    let hover = hover_text(&c.request(
        "textDocument/hover",
        at(&uri, find(SITE, "to postgres", 0, 4)),
    ));
    assert!(
        hover.contains("PostgreSQL") && hover.contains("10.0.5.10"),
        "{hover}"
    );
    let hover = hover_text(&c.request(
        "textDocument/hover",
        at(&uri, find(SITE, "\"m7i.2xlarge\"\n  count", 0, 2)),
    ));
    assert!(
        hover.contains("declared by this site") && hover.contains("8 vCPU"),
        "{hover}"
    );
    let hover = hover_text(&c.request("textDocument/hover", at(&uri, find(SITE, "aws {", 0, 1))));
    assert!(hover.contains("site { aws { ... } }"), "{hover}");
    let hover = hover_text(&c.request(
        "textDocument/hover",
        at(&uri, find(SITE, "count    = 2", 0, 1)),
    ));
    assert!(
        hover.contains("`count`") && hover.contains("min..max"),
        "{hover}"
    );

    definitions_and_references(&mut c, &uri);
    c.stop();
}

/// Definitions of an actor, an external and an instance type; references of a fleet and an
/// actor.
fn definitions_and_references(c: &mut Lsp, uri: &str) {
    // Definitions: an actor the site binds, an external, the instance type it declares.
    let def = c.request(
        "textDocument/definition",
        at(uri, find(SITE, "from monitoring", 1, 6)),
    );
    assert_eq!(
        def["result"]["range"]["start"],
        find(SITE, "monitoring =", 0, 0),
        "{def}"
    );
    let def = c.request(
        "textDocument/definition",
        at(uri, find(SITE, "to postgres", 0, 4)),
    );
    assert_eq!(
        def["result"]["range"]["start"],
        find(SITE, "postgres {", 0, 0),
        "{def}"
    );
    let def = c.request(
        "textDocument/definition",
        at(uri, find(SITE, "m7i.2xlarge", 1, 1)),
    );
    assert_eq!(
        def["result"]["range"]["start"],
        find(SITE, "\"m7i.2xlarge\" {", 0, 0),
        "{def}"
    );

    // References: a fleet is named by its own name and by `nomad` (every fleet).
    let refs = c.request(
        "textDocument/references",
        json!({ "textDocument": { "uri": uri }, "position": find(SITE, "fleet big", 0, 7), "context": { "includeDeclaration": true } }),
    );
    let starts: Vec<Value> = refs["result"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["range"]["start"].clone())
        .collect();
    assert_eq!(
        starts,
        [
            find(SITE, "big {", 0, 0),
            find(SITE, "to nomad", 0, 3),
            find(SITE, "to big", 0, 3)
        ],
        "{refs}"
    );
    let refs = c.request(
        "textDocument/references",
        json!({ "textDocument": { "uri": uri }, "position": find(SITE, "monitoring =", 0, 2), "context": { "includeDeclaration": false } }),
    );
    let starts: Vec<Value> = refs["result"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["range"]["start"].clone())
        .collect();
    assert_eq!(
        starts,
        [
            find(SITE, "from monitoring", 0, 5),
            find(SITE, "from monitoring", 1, 5)
        ],
        "{refs}"
    );
}

#[test]
fn completion_knows_what_is_written_and_what_the_site_declares() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("site.cci");
    let uri = uri_of(&path);
    let mut c = Lsp::start(dir.path());
    // A rule being written, an instance being chosen, a new entry in a fleet, a new top-level item.
    let text = SITE
        .replace(
            "allow tcp 5432",
            "allow tcp 8080 from admins to \nallow tcp 5432",
        )
        .replace(
            "  instance = \"m7i.2xlarge\"\n  count    = 2..8\n  disk     = 200 GiB\n",
            "  count    = 2..8\n  disk     = 200 GiB\n  instance = \n",
        )
        .replace(
            "  disk     = 100 GiB\n}\n\nfleet big",
            "  disk     = 100 GiB\n  \n}\n\nfleet big",
        );
    c.open(&path, &text);
    let complete =
        |c: &mut Lsp, p: Value| labels(&c.request("textDocument/completion", at(&uri, p)));

    let l = complete(&mut c, find(&text, "to \n", 0, 3));
    for name in [
        "services",
        "nomad",
        "big",
        "postgres",
        "monitoring",
        "users",
    ] {
        assert!(l.contains(&name.to_string()), "{name}: {l:?}");
    }
    let l = complete(&mut c, find(&text, "instance = \n", 0, 11));
    assert!(
        l.contains(&"\"m7i.2xlarge\"".into()) && l.contains(&"\"m5.large\"".into()),
        "{l:?}"
    );
    let answer = c.request(
        "textDocument/completion",
        at(&uri, find(&text, "instance = \n", 0, 11)),
    );
    let declared = answer["result"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["label"] == "\"m7i.2xlarge\"")
        .unwrap()
        .clone();
    assert!(
        declared["detail"]
            .as_str()
            .unwrap()
            .contains("declared by this site"),
        "{declared}"
    );
    // In `fleet nomad`, after its last entry: `ami` yes; what it has, no.
    let l = complete(&mut c, find(&text, "GiB\n  \n", 0, 6));
    assert_eq!(l, ["ami"]);
    // In `services`, after a comment holding `{`: the services box's attributes.
    let l = complete(
        &mut c,
        find(&text, "  disk     = 100 GiB\n}\n\ninstance_type", 0, 0),
    );
    assert!(
        l.contains(&"backup".into()) && !l.contains(&"count".into()),
        "{l:?}"
    );
    // At the top level: no second `site`, `services` or `actors`.
    let l = complete(&mut c, find(&text, "\nexternal postgres", 0, 1));
    assert!(
        l.contains(&"fleet".into()) && l.contains(&"allow".into()),
        "{l:?}"
    );
    assert!(
        !l.contains(&"site".into()) && !l.contains(&"services".into()),
        "{l:?}"
    );
    c.stop();
}

#[test]
fn unknown_methods_and_bad_params_get_protocol_errors() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("site.cci");
    let uri = uri_of(&path);
    let mut c = Lsp::start(dir.path());
    c.open(&path, SITE);
    for method in ["textDocument/rename", "cci/unheard-of", "$/unknown"] {
        let answer = c.request(method, json!({}));
        assert_eq!(answer["error"]["code"], -32601, "{method}: {answer}");
    }
    let answer = c.request(
        "textDocument/hover",
        json!({ "textDocument": { "uri": 7 } }),
    );
    assert_eq!(answer["error"]["code"], -32602, "{answer}");
    // A document never opened: no answer, no error.
    let answer = c.request("textDocument/hover", at("file:///nowhere.cci", pos(0, 0)));
    assert_eq!(answer["result"], Value::Null, "{answer}");
    // The server goes on serving.
    let hover = c.request("textDocument/hover", at(&uri, find(SITE, "to big", 0, 4)));
    assert!(hover_text(&hover).contains("big"), "{hover}");
    c.stop();
}

/// The language server offers each machine-applicable suggestion as a quick fix (the edits
/// `check --fix` applies); applied, the site compiles without error. A range without a fix
/// gets none, and a suggestion a person must choose (a larger instance type) is not offered.
#[test]
fn quick_fixes_are_the_suggestions_of_the_diagnostics() {
    let good = std::fs::read_to_string(crate::root().join("examples/default.cci")).unwrap();
    let bad = good.replace(
        "  instance = \"m4.2xlarge\"\n  count",
        "  instance = \"m4.2xlarj\"\n  count",
    );
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("site.cci");
    let uri = uri_of(&path);
    let mut c = Lsp::start_raw(dir.path());
    let init = c.request(
        "initialize",
        json!({ "processId": null, "capabilities": {} }),
    );
    assert_eq!(
        init["result"]["capabilities"]["codeActionProvider"], true,
        "{init}"
    );
    c.notify("initialized", json!({}));
    let opened = c.open(&path, &bad);
    let diags = opened["params"]["diagnostics"].as_array().unwrap().clone();
    let typo = diags.iter().find(|d| d["code"] == "E0207").expect("E0207");
    let ask = |c: &mut Lsp, range: &Value| {
        c.request(
            "textDocument/codeAction",
            json!({
                "textDocument": { "uri": uri },
                "range": range,
                "context": { "diagnostics": [] },
            }),
        )
    };
    let answer = ask(&mut c, &typo["range"]);
    let actions = answer["result"]
        .as_array()
        .unwrap_or_else(|| panic!("{answer}"));
    assert_eq!(actions.len(), 1, "{answer}");
    assert_eq!(actions[0]["kind"], "quickfix");
    assert_eq!(actions[0]["diagnostics"][0]["code"], "E0207");
    let edits = &actions[0]["edit"]["changes"][uri.as_str()];
    let fixed = apply_edits(&bad, edits);
    assert_eq!(fixed, good);
    assert!(change(&mut c, &uri, 2, &fixed)
        .iter()
        .all(|d| d["severity"] != 1));
    // The first line has no diagnostic: no action.
    let none = ask(&mut c, &json!({ "start": pos(0, 0), "end": pos(0, 3) }));
    assert_eq!(none["result"], json!([]), "{none}");
    // An undersized services box: its suggestion is MaybeIncorrect, so no quick fix.
    let small = good.replacen("\"m4.2xlarge\"  #", "\"t3.medium\"  #", 1);
    let diags = change(&mut c, &uri, 3, &small);
    let e0405 = diags.iter().find(|d| d["code"] == "E0405").expect("E0405");
    let answer = ask(&mut c, &e0405["range"]);
    assert!(
        answer["result"]
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["diagnostics"][0]["code"] != "E0405"),
        "{answer}"
    );
    c.stop();
}
