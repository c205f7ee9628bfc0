//! A language server client in process, over `Connection::memory()` (`rolec lsp` runs on a
//! thread of the test).

use std::path::Path;
use std::thread::JoinHandle;
use std::time::Duration;

use lsp_server::{Connection, Message, Notification, Request, RequestId, Response};
use serde_json::{json, Value};

pub struct Client {
    pub conn: Connection,
    pub server: Option<JoinHandle<Result<(), rolec::lsp::LspError>>>,
    pub next_id: i32,
    /// Every notification received, in order.
    pub notifications: Vec<Notification>,
    /// Requests from the server (answered with `null`).
    pub server_requests: Vec<Request>,
    pub root: String,
}

impl Client {
    pub fn start(dir: &Path) -> Client {
        Client::start_with(dir, json!({}))
    }

    pub fn start_with(dir: &Path, capabilities: Value) -> Client {
        Client::start_with_params(
            dir,
            json!({ "processId": null, "rootUri": uri_of(dir), "capabilities": capabilities }),
        )
    }

    /// A server started with these `initialize` parameters; `dir` is where [`Client::uri`]
    /// names files from.
    pub fn start_with_params(dir: &Path, params: Value) -> Client {
        let (server, conn) = Connection::memory();
        let handle = std::thread::spawn(move || rolec::lsp::run(server));
        let root = dir.to_string_lossy().into_owned();
        let mut c = Client {
            conn,
            server: Some(handle),
            next_id: 0,
            notifications: Vec::new(),
            server_requests: Vec::new(),
            root,
        };
        let init = c.request("initialize", params);
        assert!(init.response_result.is_ok(), "{init:?}");
        c.notify("initialized", json!({}));
        c
    }

    pub fn uri(&self, file: &str) -> String {
        uri_of(&Path::new(&self.root).join(file))
    }

    pub fn notify(&self, method: &str, params: Value) {
        self.conn.sender.send(Message::Notification(Notification::new(method.into(), params))).unwrap();
    }

    pub fn request(&mut self, method: &str, params: Value) -> Response {
        self.next_id += 1;
        let id = RequestId::from(self.next_id);
        self.conn.sender.send(Message::Request(Request::new(id.clone(), method.into(), params))).unwrap();
        loop {
            match self.conn.receiver.recv_timeout(Duration::from_secs(60)).expect("the server answers") {
                Message::Response(r) if r.id == id => return r,
                Message::Notification(n) => self.notifications.push(n),
                Message::Request(r) => {
                    self.conn.sender.send(Message::Response(Response::new_ok(r.id.clone(), Value::Null))).unwrap();
                    self.server_requests.push(r);
                }
                other => panic!("unexpected {other:?}"),
            }
        }
    }

    /// The result of a request that must succeed.
    pub fn ask(&mut self, method: &str, params: Value) -> Value {
        let r = self.request(method, params);
        match r.response_result {
            Ok(v) => v,
            Err(e) => panic!("{method}: {e:?}"),
        }
    }

    /// Waits until the server handled everything sent so far (its answers come in order).
    pub fn sync(&mut self) {
        self.ask("workspace/symbol", json!({ "query": "\u{0}" }));
    }

    /// The diagnostics last published for a file (empty when never published).
    pub fn diagnostics(&mut self, file: &str) -> Vec<Value> {
        self.sync();
        let uri = self.uri(file);
        self.notifications
            .iter()
            .rev()
            .filter(|n| n.method == "textDocument/publishDiagnostics" && n.params["uri"] == uri)
            .map(|n| n.params["diagnostics"].as_array().cloned().unwrap_or_default())
            .next()
            .unwrap_or_default()
    }

    pub fn open(&self, file: &str, text: &str) {
        self.notify(
            "textDocument/didOpen",
            json!({ "textDocument": { "uri": self.uri(file), "languageId": "rolec", "version": 1, "text": text } }),
        );
    }

    pub fn change(&self, file: &str, version: i32, text: &str) {
        self.notify("textDocument/didChange", json!({ "textDocument": { "uri": self.uri(file), "version": version }, "contentChanges": [{ "text": text }] }));
    }

    pub fn at(&self, file: &str, line: u32, character: u32) -> Value {
        json!({ "textDocument": { "uri": self.uri(file) }, "position": { "line": line, "character": character } })
    }

    pub fn shutdown(mut self) {
        self.ask("shutdown", Value::Null);
        self.notify("exit", Value::Null);
        let result = self.server.take().unwrap().join().expect("the server thread ends");
        assert_eq!(result, Ok(()));
    }
}

pub fn uri_of(p: &Path) -> String {
    let mut s = String::from("file://");
    for b in p.to_string_lossy().bytes() {
        if b.is_ascii_alphanumeric() || b"/-._~".contains(&b) {
            s.push(b as char);
        } else {
            s.push_str(&format!("%{b:02X}"));
        }
    }
    s
}
