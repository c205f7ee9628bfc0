//! How messages travel between the server and the client: standard input and output for
//! editors (`rolec lsp`), an [`lsp_server::Connection`] for tests (in memory).
//!
//! The server sends its diagnostics as JSON text it wrote itself ([`Transport::notify_json`]):
//! a large file's list holds thousands of diagnostics with tens of thousands of related
//! locations, and building them as `serde_json::Value`s, writing those out and freeing them
//! cost more than the analysis of an edit. Over standard output that text is written as is,
//! in order with every other message, by one writer thread; over a `Connection` it is read
//! back into a `Value` (tests only).
//!
//! The handshake and the shutdown follow `lsp_server::Connection`'s: requests before
//! `initialize` get `ServerNotInitialized`, notifications before it are dropped, `initialized`
//! must follow the answer to `initialize`, and `exit` must follow the answer to `shutdown`.

use std::io::{self, Write};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use crossbeam_channel::{Receiver, RecvTimeoutError, Sender};
use lsp_server::{Connection, ErrorCode, Message, Notification, Request, RequestId, Response};

use super::LspError;

/// The two ends the server holds: messages in, and the way out.
pub struct Transport {
    pub(crate) receiver: Receiver<Message>,
    out: Out,
}

enum Out {
    /// A connection's channel: messages as values.
    Messages(Sender<Message>),
    /// The writer thread of standard output: each message's JSON text, in pieces.
    Text(Sender<Pieces>),
}

/// The JSON text of one message, in pieces written one after the other: a file's diagnostics
/// (megabytes, for a large file) are shared with what the server remembers of them instead
/// of being copied into the message.
type Pieces = Vec<Arc<String>>;

/// The threads that read standard input and write standard output.
pub struct StdioThreads {
    reader: JoinHandle<io::Result<()>>,
    writer: JoinHandle<io::Result<()>>,
}

impl StdioThreads {
    /// Waits for the writer to have written every message sent (the transport must be dropped
    /// first), and returns the first error either thread met. The reader has stopped after
    /// `exit`, or stops when the client closes its end.
    pub fn join(self) -> io::Result<()> {
        let written = self.writer.join().unwrap_or_else(|_| Err(io::Error::other("the writer thread panicked")));
        if self.reader.is_finished() {
            self.reader.join().unwrap_or_else(|_| Err(io::Error::other("the reader thread panicked")))?;
        }
        written
    }
}

impl From<Connection> for Transport {
    fn from(connection: Connection) -> Transport {
        Transport { receiver: connection.receiver, out: Out::Messages(connection.sender) }
    }
}

impl Transport {
    /// Standard input and output, with `Content-Length` framing.
    pub fn stdio() -> (Transport, StdioThreads) {
        // A few messages may wait for standard output, so that the loop goes on while a long
        // list is written; a client that stops reading stops the server, not its memory.
        let (to_writer, writer_receives) = crossbeam_channel::bounded::<Pieces>(8);
        let writer = std::thread::Builder::new()
            .name("rolec-lsp-writer".into())
            .spawn(move || {
                let mut out = io::stdout().lock();
                for pieces in writer_receives {
                    write!(out, "Content-Length: {}\r\n\r\n", pieces.iter().map(|p| p.len()).sum::<usize>())?;
                    for piece in pieces {
                        out.write_all(piece.as_bytes())?;
                    }
                    out.flush()?;
                }
                Ok(())
            })
            .expect("a thread for standard output");
        let (reader_sends, receiver) = crossbeam_channel::bounded::<Message>(0);
        let reader = std::thread::Builder::new()
            .name("rolec-lsp-reader".into())
            .spawn(move || {
                let mut input = io::stdin().lock();
                while let Some(message) = Message::read(&mut input)? {
                    let exit = matches!(&message, Message::Notification(n) if n.method == "exit");
                    if reader_sends.send(message).is_err() || exit {
                        break;
                    }
                }
                Ok(())
            })
            .expect("a thread for standard input");
        (Transport { receiver, out: Out::Text(to_writer) }, StdioThreads { reader, writer })
    }

    /// Sends one message.
    pub(crate) fn send(&self, message: Message) -> Result<(), LspError> {
        match &self.out {
            Out::Messages(sender) => sender.send(message).map_err(|_| LspError::Disconnected),
            Out::Text(sender) => {
                #[derive(serde::Serialize)]
                struct JsonRpc<'a> {
                    jsonrpc: &'static str,
                    #[serde(flatten)]
                    message: &'a Message,
                }
                let text = serde_json::to_string(&JsonRpc { jsonrpc: "2.0", message: &message })
                    .map_err(|e| LspError::Encode(e.to_string()))?;
                sender.send(vec![Arc::new(text)]).map_err(|_| LspError::Disconnected)
            }
        }
    }

    /// Sends a notification whose parameters are JSON text already, in pieces.
    pub(crate) fn notify_json(&self, method: &str, params: &[Arc<String>]) -> Result<(), LspError> {
        let method_json = serde_json::to_string(method).map_err(|e| LspError::Encode(e.to_string()))?;
        let head = Arc::new(format!(r#"{{"jsonrpc":"2.0","method":{method_json},"params":"#));
        match &self.out {
            Out::Text(sender) => {
                let pieces = std::iter::once(head).chain(params.iter().cloned()).chain([Arc::new("}".into())]);
                sender.send(pieces.collect()).map_err(|_| LspError::Disconnected)
            }
            Out::Messages(_) => {
                let params: String = params.iter().map(|p| p.as_str()).collect();
                let params = serde_json::from_str(&params).map_err(|e| LspError::Encode(e.to_string()))?;
                self.send(Message::Notification(Notification { method: method.into(), params }))
            }
        }
    }

    /// Waits for `initialize`: returns its id and parameters.
    pub(crate) fn initialize_start(&self) -> Result<(RequestId, serde_json::Value), LspError> {
        loop {
            match self.receiver.recv().map_err(|_| LspError::Disconnected)? {
                Message::Request(req) if req.method == "initialize" => return Ok((req.id, req.params)),
                Message::Request(req) => {
                    let refusal = Response::new_err(
                        req.id.clone(),
                        ErrorCode::ServerNotInitialized as i32,
                        format!("expected the `initialize` request, got `{}`", req.method),
                    );
                    self.send(Message::Response(refusal))?;
                }
                Message::Notification(n) if n.method != "exit" => {}
                other => return Err(LspError::Protocol(format!("expected the `initialize` request, got {other:?}"))),
            }
        }
    }

    /// Answers `initialize` and waits for `initialized`.
    pub(crate) fn initialize_finish(&self, id: RequestId, result: serde_json::Value) -> Result<(), LspError> {
        self.send(Message::Response(Response::new_ok(id, result)))?;
        match self.receiver.recv().map_err(|_| LspError::Disconnected)? {
            Message::Notification(n) if n.method == "initialized" => Ok(()),
            other => Err(LspError::Protocol(format!("expected the `initialized` notification, got {other:?}"))),
        }
    }

    /// When `req` is `shutdown`: answers it, waits for `exit` and returns true.
    pub(crate) fn handle_shutdown(&self, req: &Request) -> Result<bool, LspError> {
        if req.method != "shutdown" {
            return Ok(false);
        }
        self.send(Message::Response(Response::new_ok(req.id.clone(), ())))?;
        match self.receiver.recv_timeout(Duration::from_secs(30)) {
            Ok(Message::Notification(n)) if n.method == "exit" => Ok(true),
            Ok(other) => Err(LspError::Protocol(format!("expected the `exit` notification, got {other:?}"))),
            Err(RecvTimeoutError::Timeout) => {
                Err(LspError::Protocol("no `exit` notification within 30 s of `shutdown`".into()))
            }
            Err(RecvTimeoutError::Disconnected) => Err(LspError::Disconnected),
        }
    }
}
