//! `cci-dsl lsp`: a language server over stdio. The protocol's loop lives here (it does I/O:
//! the files a site names, the clock); every answer comes from this crate's answers, which read
//! the document's syntax tree and compilation. Messages and capabilities are `lsp-types`'
//! types; a request the server does not know gets MethodNotFound, one whose params do not
//! parse InvalidParams. Documents are synced whole (a ranged change is applied too); changes
//! that arrive together are compiled once, before the next request or when the queue is
//! empty, and their diagnostics published. Messages are framed by [`crate::lsp_frame`]
//! (bounded before anything is allocated; a bad frame is logged to the client and skipped),
//! and the files a site names are read by the reader every command uses (`output::fs::named_file_reader`), which reads no FIFO or device, so
//! nothing a document says can block the loop.

use crate as ide;
use crate::lsp_frame::{Frame, FrameReader, MAX_MESSAGE};
use crate::{Analysis, Docs};
use cci_core::output::fs::named_file_reader;
use cci_core::tls::Inspector;
use cci_core::World;
use crossbeam_channel::{RecvTimeoutError, TryRecvError};
use lsp_server::{Connection, ErrorCode, Message, Notification, Request, Response};
use lsp_types::notification::{self as note, Notification as _};
use lsp_types::request::{self as req, Request as _};
use lsp_types::{
    CompletionOptions, CompletionResponse, GotoDefinitionResponse, HoverProviderCapability,
    InitializeResult, Location, LogMessageParams, MessageType, OneOf, PublishDiagnosticsParams,
    ServerCapabilities, ServerInfo, TextDocumentSyncCapability, TextDocumentSyncKind, Url,
};
use serde_json::Value;
use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

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
            let exit = matches!(&msg, Message::Notification(n) if n.method == note::Exit::METHOD);
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
    Message::Notification(Notification::new(SKIPPED.into(), why))
}

/// What the server can do.
fn capabilities() -> ServerCapabilities {
    ServerCapabilities {
        text_document_sync: Some(TextDocumentSyncCapability::Kind(TextDocumentSyncKind::FULL)),
        hover_provider: Some(HoverProviderCapability::Simple(true)),
        definition_provider: Some(OneOf::Left(true)),
        references_provider: Some(OneOf::Left(true)),
        document_formatting_provider: Some(OneOf::Left(true)),
        code_action_provider: Some(lsp_types::CodeActionProviderCapability::Simple(true)),
        completion_provider: Some(CompletionOptions {
            trigger_characters: Some(vec!["\"".into(), " ".into()]),
            ..CompletionOptions::default()
        }),
        ..ServerCapabilities::default()
    }
}

/// Answers `initialize`. Until it comes, requests get ServerNotInitialized and anything else
/// (a stray response, a skipped frame) is passed over, so no input ends the server. False when
/// the client left first.
fn handshake(connection: &Connection) -> bool {
    for msg in &connection.receiver {
        match msg {
            Message::Request(r) if r.method == req::Initialize::METHOD => {
                let result = InitializeResult {
                    capabilities: capabilities(),
                    server_info: Some(ServerInfo {
                        name: "cci-dsl".into(),
                        version: Some(env!("CARGO_PKG_VERSION").into()),
                    }),
                };
                let _ = connection
                    .sender
                    .send(Response::new_ok(r.id, result).into());
                return true;
            }
            Message::Request(r) => {
                let code = ErrorCode::ServerNotInitialized as i32;
                let err = Response::new_err(r.id, code, "initialize first".into());
                let _ = connection.sender.send(err.into());
            }
            Message::Notification(n) if n.method == note::Exit::METHOD => return false,
            _ => {}
        }
    }
    false
}

/// An open document: its text and version, and its analysis once compiled (`None` while a
/// change waits to be).
struct Document {
    text: String,
    version: i32,
    analysis: Option<Analysis>,
}

struct Server<'a> {
    connection: &'a Connection,
    stdlib: &'a [(String, String)],
    inspect_tls: &'a Inspector,
    docs: Docs,
    documents: HashMap<Url, Document>,
}

/// Runs the server until the client says `exit`. `inspect_tls` checks the certificates a
/// site names, as `cci-dsl check` does.
pub fn run(stdlib: Vec<(String, String)>, inspect_tls: &Inspector) -> Result<(), String> {
    let (connection, io_threads) = stdio();
    if handshake(&connection) {
        let lib = cci_core::stdlib_only(&stdlib);
        let mut server = Server {
            connection: &connection,
            stdlib: &stdlib,
            inspect_tls,
            docs: Docs::new(&lib),
            documents: HashMap::new(),
        };
        server.serve();
    }
    drop(connection);
    // The writer ends once it has written what was sent; the reader may still wait on stdin.
    let [_reader, writer] = io_threads;
    writer
        .join()
        .map_err(|_| "the language server's writer failed".to_string())
}

impl Server<'_> {
    fn serve(&mut self) {
        loop {
            let msg = match self.connection.receiver.try_recv() {
                Ok(msg) => msg,
                Err(TryRecvError::Empty) => {
                    self.publish_changed();
                    match self.connection.receiver.recv() {
                        Ok(msg) => msg,
                        Err(_) => return,
                    }
                }
                Err(TryRecvError::Disconnected) => return,
            };
            match msg {
                Message::Request(r) if r.method == req::Shutdown::METHOD => {
                    self.send(Response::new_ok(r.id, ()));
                    return self.await_exit();
                }
                Message::Request(r) => {
                    self.publish_changed();
                    let response = self.answer(r);
                    self.send(response);
                }
                Message::Notification(n) if n.method == note::Exit::METHOD => return,
                Message::Notification(n) => self.notified(n),
                Message::Response(_) => {}
            }
        }
    }

    /// After `shutdown`: waits (bounded) for `exit`, refusing requests.
    fn await_exit(&self) {
        loop {
            match self
                .connection
                .receiver
                .recv_timeout(Duration::from_secs(30))
            {
                Ok(Message::Notification(n)) if n.method == note::Exit::METHOD => return,
                Ok(Message::Request(r)) => {
                    let code = ErrorCode::InvalidRequest as i32;
                    self.send(Response::new_err(r.id, code, "shutting down".into()));
                }
                Ok(_) => {}
                Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => return,
            }
        }
    }

    fn send(&self, msg: impl Into<Message>) {
        let _ = self.connection.sender.send(msg.into());
    }

    fn log(&self, message: String) {
        let params = LogMessageParams {
            typ: MessageType::ERROR,
            message,
        };
        self.send(Notification::new(note::LogMessage::METHOD.into(), params));
    }

    fn notified(&mut self, n: Notification) {
        if n.method == SKIPPED {
            let why = n.params.as_str().unwrap_or_default().to_string();
            return self.log(format!("cci-dsl: skipped {why}"));
        }
        let method = n.method.clone();
        let handled = match method.as_str() {
            note::DidOpenTextDocument::METHOD => params::<note::DidOpenTextDocument>(n).map(|p| {
                let d = p.text_document;
                self.changed(d.uri, d.version, d.text);
            }),
            note::DidChangeTextDocument::METHOD => {
                params::<note::DidChangeTextDocument>(n).map(|p| {
                    let uri = p.text_document.uri;
                    let mut text = match self.documents.remove(&uri) {
                        Some(d) => d.text,
                        None => String::new(),
                    };
                    ide::apply_changes(&mut text, &p.content_changes);
                    self.changed(uri, p.text_document.version, text);
                })
            }
            note::DidCloseTextDocument::METHOD => {
                params::<note::DidCloseTextDocument>(n).map(|p| {
                    let uri = p.text_document.uri;
                    if self.documents.remove(&uri).is_some() {
                        self.publish(uri, Vec::new(), None);
                    }
                })
            }
            _ => Ok(()),
        };
        if let Err(e) = handled {
            self.log(format!("cci-dsl: ignored {method}: {e}"));
        }
    }

    fn changed(&mut self, uri: Url, version: i32, text: String) {
        let doc = Document {
            text,
            version,
            analysis: None,
        };
        self.documents.insert(uri, doc);
    }

    /// Compiles each document changed since it was last compiled, and publishes its
    /// diagnostics.
    fn publish_changed(&mut self) {
        let changed: Vec<Url> = self
            .documents
            .iter()
            .filter(|(_, d)| d.analysis.is_none())
            .map(|(u, _)| u.clone())
            .collect();
        for uri in changed {
            let Some(doc) = self.documents.get_mut(&uri) else {
                continue;
            };
            let analysis = analyse(&uri, doc.text.clone(), self.stdlib, self.inspect_tls);
            let diagnostics = analysis.diagnostics().to_vec();
            let version = doc.version;
            doc.analysis = Some(analysis);
            self.publish(uri, diagnostics, Some(version));
        }
    }

    fn publish(&self, uri: Url, diagnostics: Vec<lsp_types::Diagnostic>, version: Option<i32>) {
        let params = PublishDiagnosticsParams {
            uri,
            diagnostics,
            version,
        };
        self.send(Notification::new(
            note::PublishDiagnostics::METHOD.into(),
            params,
        ));
    }

    fn analysis(&self, uri: &Url) -> Option<&Analysis> {
        self.documents.get(uri)?.analysis.as_ref()
    }

    fn answer(&self, r: Request) -> Response {
        let id = r.id.clone();
        let result = match r.method.as_str() {
            req::HoverRequest::METHOD => self.call::<req::HoverRequest>(r, |s, p| {
                let at = p.text_document_position_params;
                s.analysis(&at.text_document.uri)?
                    .hover(&s.docs, at.position)
            }),
            req::GotoDefinition::METHOD => self.call::<req::GotoDefinition>(r, |s, p| {
                let at = p.text_document_position_params;
                let uri = at.text_document.uri;
                let ranges = s.analysis(&uri)?.definition(&s.docs, at.position);
                let mut locations: Vec<Location> = ranges
                    .into_iter()
                    .map(|range| Location::new(uri.clone(), range))
                    .collect();
                match locations.len() {
                    0 => None,
                    1 => locations.pop().map(GotoDefinitionResponse::Scalar),
                    _ => Some(GotoDefinitionResponse::Array(locations)),
                }
            }),
            req::References::METHOD => self.call::<req::References>(r, |s, p| {
                let at = p.text_document_position;
                let uri = at.text_document.uri;
                let analysis = s.analysis(&uri)?;
                let ranges =
                    analysis.references(&s.docs, at.position, p.context.include_declaration);
                Some(
                    ranges
                        .into_iter()
                        .map(|range| Location::new(uri.clone(), range))
                        .collect(),
                )
            }),
            req::Completion::METHOD => self.call::<req::Completion>(r, |s, p| {
                let at = p.text_document_position;
                let items = s
                    .analysis(&at.text_document.uri)?
                    .completions(&s.docs, at.position);
                Some(CompletionResponse::Array(items))
            }),
            req::Formatting::METHOD => self.call::<req::Formatting>(r, |s, p| {
                Some(s.analysis(&p.text_document.uri)?.formatting())
            }),
            req::CodeActionRequest::METHOD => self.call::<req::CodeActionRequest>(r, |s, p| {
                let uri = p.text_document.uri;
                Some(s.analysis(&uri)?.code_actions(&uri, p.range))
            }),
            req::Initialize::METHOD => {
                Err((ErrorCode::InvalidRequest, "initialized already".into()))
            }
            method => Err((
                ErrorCode::MethodNotFound,
                format!("cci-dsl does not answer {method}"),
            )),
        };
        match result {
            Ok(value) => Response::new_ok(id, value),
            Err((code, message)) => Response::new_err(id, code as i32, message),
        }
    }

    /// A request's typed params, answered by `f`; InvalidParams when they do not parse.
    fn call<R: req::Request>(
        &self,
        r: Request,
        f: impl FnOnce(&Self, R::Params) -> R::Result,
    ) -> Result<Value, (ErrorCode, String)> {
        let p = serde_json::from_value::<R::Params>(r.params)
            .map_err(|e| (ErrorCode::InvalidParams, format!("{}: {e}", R::METHOD)))?;
        serde_json::to_value(f(self, p)).map_err(|e| (ErrorCode::InternalError, e.to_string()))
    }
}

/// A notification's typed params.
fn params<N: note::Notification>(n: Notification) -> Result<N::Params, String> {
    serde_json::from_value(n.params).map_err(|e| e.to_string())
}

/// The document compiled as `cci-dsl check` would (the same file reader and clock: files the
/// site names are read next to it; a document that is not a file reads them from the
/// working directory), and analysed.
fn analyse(
    uri: &Url,
    text: String,
    stdlib: &[(String, String)],
    inspect_tls: &Inspector,
) -> Analysis {
    let site = uri.to_file_path().unwrap_or_else(|_| PathBuf::from("-"));
    let read = named_file_reader(&site);
    let world = World {
        read_file: &read,
        now_unix: now_unix(),
        inspect_tls,
    };
    let c = cci_core::compile_in(uri.as_str(), &text, stdlib, &world);
    Analysis::new(uri.as_str(), text, c)
}

/// Now, in seconds since the Unix epoch: certificates are checked against the clock.
fn now_unix() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}
