//! `cargo bench --bench lsp`: what an editor waits for on a 5,000-line site. Prints numbers;
//! asserts nothing but that the server answers (every wait bounded). BENCHMARKS.md records
//! them.
//!
//! - in this process: the parse of the stdlib (every file) and of the site, as a syntax tree
//!   and with its AST (`parse_file`); the site's `compile` (parse, resolve, check) and what the
//!   server adds to it for a change (the masked diagnostics, the analysis); medians;
//! - the language server (`cci-dsl lsp`, the binary cargo built, or `CCI_DSL=path` for another
//!   build, which may be one that does not say the version it publishes for): the time from
//!   writing a `didChange` (the whole text, as the server asks) to reading the
//!   `publishDiagnostics` for it, over 30 edits (median and p95); and a hover's round trip.

use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Command, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::time::{Duration, Instant};

/// A site of about `lines` lines, formatted as `cci-dsl fmt` writes it: actors of its own,
/// fleets, and rules between them.
fn site(lines: usize) -> String {
    let mut s = String::from(
        "use circleci/2.16\n\nsite \"big\" {\n  aws {\n    region  = \"us-east-1\"\n    vpc     = vpc-0a1b2c3d\n    subnet  = subnet-0a1b2c3d\n    ssh_key = \"ops\"\n  }\n  daily_active_users = 4000\n  github             = github_com\n  passphrase         = secret\n}\n\nservices {\n  instance = \"r5.8xlarge\"\n  disk     = 1 TiB\n}\n\n",
    );
    // A fifth of the lines binds actors, half are fleets (6 lines each), the rest rules.
    let (actors, fleets) = (lines / 5, lines / 2 / 6);
    s.push_str("actors {\n  users  = [10.0.0.0/8]\n  admins = [10.1.0.0/24]\n");
    for i in 0..actors {
        s.push_str(&format!(
            "  team{i} = [10.{}.{}.0/24]  # team {i}\n",
            100 + i / 250,
            i % 250
        ));
    }
    s.push_str("}\n");
    for i in 0..fleets {
        s.push_str(&format!(
            "\n# fleet {i}\nfleet f{i} {{\n  instance = \"m5.4xlarge\"\n  count    = 1..{}\n  disk     = 200 GiB\n}}\n",
            2 + i % 20
        ));
    }
    s.push('\n');
    let mut i = 0;
    while s.lines().count() < lines {
        s.push_str(&format!(
            "allow tcp {} from team{} to f{} \"exporter {i}\"\n",
            9000 + i % 1000,
            i % actors.max(1),
            i % fleets.max(1)
        ));
        i += 1;
    }
    s
}

fn median(v: Vec<Duration>) -> Duration {
    percentile(v, 50)
}

/// The `p`th percentile (nearest rank) of `v`.
fn percentile(mut v: Vec<Duration>, p: usize) -> Duration {
    v.sort();
    let rank = (v.len() * p).div_ceil(100).max(1);
    v[rank - 1]
}

fn time<T>(runs: usize, mut f: impl FnMut() -> T) -> Duration {
    std::hint::black_box(f());
    median(
        (0..runs)
            .map(|_| {
                let start = Instant::now();
                std::hint::black_box(f());
                start.elapsed()
            })
            .collect(),
    )
}

/// The language server, with a thread reading its messages.
struct Server {
    child: std::process::Child,
    stdin: std::process::ChildStdin,
    messages: Receiver<Value>,
    next_id: u64,
}

const WAIT: Duration = Duration::from_secs(60);

impl Server {
    fn start(binary: &str) -> Server {
        let mut child = Command::new(binary)
            .arg("lsp")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("{binary} lsp: {e}"));
        let stdin = child.stdin.take().unwrap();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let (tx, messages) = channel();
        std::thread::spawn(move || loop {
            let mut length = 0;
            loop {
                let mut line = String::new();
                if stdout.read_line(&mut line).unwrap_or(0) == 0 {
                    return;
                }
                match line.trim_end() {
                    "" => break,
                    l => {
                        if let Some(n) = l.strip_prefix("Content-Length: ") {
                            length = n.parse().unwrap_or(0);
                        }
                    }
                }
            }
            let mut body = vec![0; length];
            if stdout.read_exact(&mut body).is_err() {
                return;
            }
            let Ok(v) = serde_json::from_slice(&body) else {
                return;
            };
            if tx.send(v).is_err() {
                return;
            }
        });
        Server {
            child,
            stdin,
            messages,
            next_id: 1,
        }
    }

    fn send(&mut self, msg: Value) {
        let body = msg.to_string();
        write!(self.stdin, "Content-Length: {}\r\n\r\n{body}", body.len()).unwrap();
        self.stdin.flush().unwrap();
    }

    fn wait(&mut self, what: &str, pick: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + WAIT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.messages.recv_timeout(left) {
                Ok(m) if pick(&m) => return m,
                Ok(_) => {}
                Err(_) => {
                    let _ = self.child.kill();
                    panic!("no answer to {what} within {WAIT:?}");
                }
            }
        }
    }

    fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        self.send(json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params }));
        self.wait(method, |m| m["id"] == id)
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(json!({ "jsonrpc": "2.0", "method": method, "params": params }));
    }

    fn diagnostics(&mut self, version: i64) -> usize {
        let m = self.wait("publishDiagnostics", |m| {
            // (A server that does not say the version answers each change in turn.)
            m["method"] == "textDocument/publishDiagnostics"
                && (m["params"]["version"] == version || m["params"]["version"].is_null())
        });
        m["params"]["diagnostics"].as_array().map_or(0, Vec::len)
    }

    fn stop(mut self) {
        self.request("shutdown", Value::Null);
        self.notify("exit", Value::Null);
        let deadline = Instant::now() + WAIT;
        while self.child.try_wait().ok().flatten().is_none() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        let _ = self.child.kill();
    }
}

/// Change → diagnostics, over `edits` edits of one fleet's count; and a hover.
fn lsp(binary: &str, text: &str, edits: usize) {
    let mut s = Server::start(binary);
    s.request(
        "initialize",
        json!({ "processId": null, "capabilities": {} }),
    );
    s.notify("initialized", json!({}));
    let uri = "file:///nonexistent/cci-bench/site.cci";
    let start = Instant::now();
    s.notify(
        "textDocument/didOpen",
        json!({ "textDocument": { "uri": uri, "languageId": "cci", "version": 1, "text": text } }),
    );
    let n = s.diagnostics(1);
    println!(
        "  didOpen → diagnostics ({n} published): {:.1?}",
        start.elapsed()
    );
    let mut times = Vec::new();
    for v in 0..edits {
        let edited = text.replacen(
            "count    = 1..2\n",
            &format!("count    = 1..{}\n", 3 + v % 7),
            1,
        );
        let version = 2 + v as i64;
        let start = Instant::now();
        s.notify(
            "textDocument/didChange",
            json!({ "textDocument": { "uri": uri, "version": version }, "contentChanges": [{ "text": edited }] }),
        );
        s.diagnostics(version);
        times.push(start.elapsed());
    }
    let (min, max) = (times.iter().min().unwrap(), times.iter().max().unwrap());
    println!(
        "  didChange → diagnostics: median {:.1?}, p95 {:.1?} (min {min:.1?}, max {max:.1?}, {edits} edits)",
        median(times.clone()),
        percentile(times.clone(), 95)
    );
    let last = text.lines().count() - 1;
    let column = text.lines().last().unwrap().find(" to f").unwrap() + 5;
    let p = json!({ "textDocument": { "uri": uri }, "position": { "line": last, "character": column } });
    let hovers: Vec<Duration> = (0..20)
        .map(|_| {
            let start = Instant::now();
            let h = s.request("textDocument/hover", p.clone());
            assert!(h["result"]["contents"]["value"].is_string() || h["result"].is_null());
            start.elapsed()
        })
        .collect();
    println!(
        "  hover on a fleet in the last rule: median {:.1?}",
        median(hovers)
    );
    s.stop();
}

fn main() {
    let lib = cci_core::stdlib::embedded();
    let text = site(5000);
    let lines = text.lines().count();
    let stdlib_lines: usize = lib.iter().map(|(_, t)| t.lines().count()).sum();
    println!(
        "stdlib: {} files, {stdlib_lines} lines; site: {lines} lines, {} KiB",
        lib.len(),
        text.len() / 1024
    );
    let t = time(20, || {
        lib.iter()
            .map(|(_, t)| cci_core::parse::parse_tree(t).errors.len())
            .sum::<usize>()
    });
    println!("parse (syntax tree) of the stdlib: {t:.2?}");
    let t = time(20, || cci_core::parse::parse_tree(&text).errors.len());
    println!("parse (syntax tree) of the site: {t:.2?}");
    let id = cci_core::span::FileId(0);
    let t = time(20, || {
        lib.iter()
            .map(|(_, t)| cci_core::parse::parse_file(t, id).1.iter().count())
            .sum::<usize>()
    });
    println!("parse_file (tree, AST and diagnostics) of the stdlib: {t:.2?}");
    let t = time(20, || {
        cci_core::parse::parse_file(&text, id).1.iter().count()
    });
    println!("parse_file of the site: {t:.2?}");
    let c = cci_core::compile("site.cci", &text, &lib);
    println!(
        "the site's diagnostics: {} ({} errors)",
        c.diagnostics.iter().count(),
        c.has_errors() as u8
    );
    let t = time(10, || {
        cci_core::compile("site.cci", &text, &lib)
            .diagnostics
            .iter()
            .count()
    });
    println!("compile (parse stdlib and site, resolve, check) of the site: {t:.2?}");
    let c = cci_core::compile("site.cci", &text, &lib);
    let t = time(10, || {
        cci_core::diagnostics::render_json(&c.diagnostics, &c.sources).len()
    });
    println!("  of which the diagnostics as JSON (masked): {t:.2?}");
    let t = time(10, || cci_core::secrets::secret_ranges(&text).len());
    println!("  the site's secret masks: {t:.2?}");
    let t = time(10, || {
        let c = cci_core::compile("site.cci", &text, &lib);
        cci_ide::Analysis::new("site.cci", text.clone(), c)
            .diagnostics()
            .len()
    });
    println!("compile and analysis (what the server does for a change): {t:.2?}");
    let binary =
        std::env::var("CCI_DSL").unwrap_or_else(|_| env!("CARGO_BIN_EXE_cci-dsl").to_string());
    println!("language server {binary}:");
    lsp(&binary, &text, 30);
}
