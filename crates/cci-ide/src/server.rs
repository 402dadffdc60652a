//! `cci-dsl lsp`: a language server over stdio. The protocol's loop lives here (it does I/O:
//! the files a site names, the clock); every answer comes from the crate's answers. Documents
//! are synced whole; each change is compiled and its diagnostics published. Messages are
//! framed by [`crate::lsp_frame`] (bounded before anything is allocated; a bad frame is logged
//! to the client and skipped), and the files a site names are read by the reader every command
//! uses (`output::fs::named_file_reader`), which reads no FIFO or device, so nothing a
//! document says can block the loop.

use crate as ide;
use crate::lsp_frame::{Frame, FrameReader, MAX_MESSAGE};
use cci_core::output::fs::named_file_reader;
use cci_core::tls::Inspector;
use cci_core::World;
use lsp_server::{Connection, Message, Notification, Request, Response};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::path::PathBuf;

/// The connection over stdin and stdout: a thread reads frames (bounded; a frame that is too
/// large or not JSON is reported to the client's log and skipped), a thread writes messages.
fn stdio() -> (Connection, [std::thread::JoinHandle<()>; 2]) {
    let (to_server, from_client) = crossbeam_channel::bounded::<Message>(16);
    let (to_client, outgoing) = crossbeam_channel::unbounded::<Message>();
    let reader = std::thread::spawn(move || {
        let stdin = std::io::stdin();
        let mut frames = FrameReader::new(stdin.lock(), MAX_MESSAGE);
        while let Ok(Some(frame)) = frames.next_frame() {
            let msg = match frame {
                Frame::Body(body) => serde_json::from_slice::<Message>(&body)
                    .unwrap_or_else(|e| skipped(&format!("a message that is not JSON-RPC ({e})"))),
                Frame::Refused(why) => skipped(&why),
            };
            let exit = matches!(&msg, Message::Notification(n) if n.method == "exit");
            if to_server.send(msg).is_err() || exit {
                return;
            }
        }
    });
    let writer = std::thread::spawn(move || {
        let stdout = std::io::stdout();
        for msg in outgoing {
            if msg.write(&mut stdout.lock()).is_err() {
                return;
            }
        }
    });
    let connection = Connection {
        sender: to_client,
        receiver: from_client,
    };
    (connection, [reader, writer])
}

/// The reader's note that it skipped a frame; the loop logs it to the client.
const SKIPPED: &str = "$/cci-dsl/skipped";

fn skipped(why: &str) -> Message {
    Message::Notification(Notification::new(SKIPPED.into(), json!(why)))
}

/// Answers `initialize`. Until it comes, requests get ServerNotInitialized and anything else
/// (a stray response, a skipped frame) is passed over, so no input ends the server. False when
/// the client left first.
fn handshake(connection: &Connection) -> bool {
    const SERVER_NOT_INITIALIZED: i32 = -32002;
    for msg in &connection.receiver {
        match msg {
            Message::Request(req) if req.method == "initialize" => {
                let capabilities = json!({
                    "textDocumentSync": 1,
                    "hoverProvider": true,
                    "definitionProvider": true,
                    "documentFormattingProvider": true,
                    "completionProvider": { "triggerCharacters": ["\"", " "] },
                });
                let result =
                    json!({ "capabilities": capabilities, "serverInfo": { "name": "cci-dsl" } });
                let _ = connection
                    .sender
                    .send(Response::new_ok(req.id, result).into());
                return true;
            }
            Message::Request(req) => {
                let why = "initialize first".to_string();
                let err = Response::new_err(req.id, SERVER_NOT_INITIALIZED, why);
                let _ = connection.sender.send(err.into());
            }
            Message::Notification(n) if n.method == "exit" => return false,
            _ => {}
        }
    }
    false
}

/// Runs the server until the client says `exit`. `inspect_tls` checks the certificates a
/// site names, as `cci-dsl check` does.
pub fn run(stdlib: Vec<(String, String)>, inspect_tls: &Inspector) -> Result<(), String> {
    let (connection, io_threads) = stdio();
    if !handshake(&connection) {
        return Ok(());
    }
    let lib = cci_core::stdlib_only(&stdlib);
    let mut docs: HashMap<String, String> = HashMap::new();
    for msg in &connection.receiver {
        match msg {
            Message::Request(req) => {
                if connection
                    .handle_shutdown(&req)
                    .map_err(|e| e.to_string())?
                {
                    break;
                }
                let result = answer(&req, &docs, &lib);
                let resp = Response::new_ok(req.id, result);
                let _ = connection.sender.send(Message::Response(resp));
            }
            Message::Notification(n) if n.method == SKIPPED => {
                let why = n.params.as_str().unwrap_or_default();
                let params = json!({ "type": 1, "message": format!("cci-dsl: skipped {why}") });
                let note = Notification::new("window/logMessage".into(), params);
                let _ = connection.sender.send(Message::Notification(note));
            }
            Message::Notification(n) => {
                if let Some((uri, text)) = opened_or_changed(&n) {
                    let diagnostics = check(&uri, &text, &stdlib, inspect_tls);
                    docs.insert(uri.clone(), text);
                    let params = json!({ "uri": uri, "diagnostics": diagnostics });
                    let note = Notification::new("textDocument/publishDiagnostics".into(), params);
                    let _ = connection.sender.send(Message::Notification(note));
                } else if n.method == "textDocument/didClose" {
                    if let Some(uri) = n.params["textDocument"]["uri"].as_str() {
                        docs.remove(uri);
                    }
                }
            }
            Message::Response(_) => {}
        }
    }
    drop(connection);
    // The writer ends once it has written what was sent; the reader may still wait on stdin.
    let [_reader, writer] = io_threads;
    writer
        .join()
        .map_err(|_| "the language server's writer failed".to_string())
}

/// The document of a didOpen or didChange (full sync: the last change is the whole text).
fn opened_or_changed(n: &Notification) -> Option<(String, String)> {
    let uri = n.params["textDocument"]["uri"].as_str()?.to_string();
    let text = match n.method.as_str() {
        "textDocument/didOpen" => n.params["textDocument"]["text"].as_str()?,
        "textDocument/didChange" => {
            n.params["contentChanges"].as_array()?.last()?["text"].as_str()?
        }
        _ => return None,
    };
    Some((uri, text.to_string()))
}

/// The file path of a `file://` URI, for reading the files a site names.
fn path_of(uri: &str) -> Option<PathBuf> {
    let path = uri.strip_prefix("file://")?;
    let mut bytes = Vec::new();
    let mut it = path.bytes();
    while let Some(b) = it.next() {
        if b == b'%' {
            let hex: String = it.by_ref().take(2).map(char::from).collect();
            bytes.push(u8::from_str_radix(&hex, 16).ok()?);
        } else {
            bytes.push(b);
        }
    }
    String::from_utf8(bytes).ok().map(PathBuf::from)
}

/// The document's diagnostics, compiled as `cci-dsl check` would (the same file reader and
/// clock: files the site names are read next to it; `-` reads them from the working directory).
fn check(
    uri: &str,
    text: &str,
    stdlib: &[(String, String)],
    inspect_tls: &Inspector,
) -> Vec<Value> {
    let site = path_of(uri).unwrap_or_else(|| PathBuf::from("-"));
    let read = named_file_reader(&site);
    let world = World {
        read_file: &read,
        now_unix: now_unix(),
        inspect_tls,
    };
    let c = cci_core::compile_in(uri, text, stdlib, &world);
    let json = cci_core::diagnostics::render_json(&c.diagnostics, &c.sources);
    ide::diagnostics(&json, uri, text)
}

/// Now, in seconds since the Unix epoch: certificates are checked against the clock.
fn now_unix() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

fn answer(req: &Request, docs: &HashMap<String, String>, lib: &cci_core::model::Stdlib) -> Value {
    let p = &req.params;
    let uri = p["textDocument"]["uri"].as_str().unwrap_or_default();
    let Some(text) = docs.get(uri) else {
        return Value::Null;
    };
    let at = ide::offset(
        text,
        p["position"]["line"].as_u64().unwrap_or(0) as usize,
        p["position"]["character"].as_u64().unwrap_or(0) as usize,
    );
    match req.method.as_str() {
        "textDocument/hover" => ide::hover(ide::word_at(text, at), lib).map_or(Value::Null, |h| {
            json!({ "contents": { "kind": "markdown", "value": h } })
        }),
        "textDocument/definition" => ide::definition(text, ide::word_at(text, at)).map_or(Value::Null, |(a, b)| {
            json!({ "uri": uri, "range": { "start": ide::position(text, a), "end": ide::position(text, b) } })
        }),
        "textDocument/completion" => json!(ide::completions(text, at, lib)),
        "textDocument/formatting" => {
            let formatted = cci_core::format::format(text);
            if &formatted == text {
                json!([])
            } else {
                let end = ide::position(text, text.len());
                json!([{ "range": { "start": { "line": 0, "character": 0 }, "end": end }, "newText": formatted }])
            }
        }
        _ => Value::Null,
    }
}
