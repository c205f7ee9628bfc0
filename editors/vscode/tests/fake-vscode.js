// A stand-in for the editor: the part of the `vscode` module that the real vscode-languageclient
// (9.x) and extension.js use to start a server, sync documents, show diagnostics and hover.
// It stands in for VS Code only; the client library that talks to the server is the real one.
// What a test needs to see is recorded in `fake.seen`.
'use strict';
const path = require('path');
const { pathToFileURL, fileURLToPath } = require('url');

// Any API this stand-in does not model: callable, constructible, every property is itself, and
// not a promise (`then` is undefined), so feature registrations the test does not exercise
// (completion, code lenses, …) succeed and do nothing.
const inert = new Proxy(function inert() {}, {
  get(_target, prop) {
    if (prop === 'then' || prop === Symbol.iterator || prop === Symbol.asyncIterator) return undefined;
    if (prop === Symbol.toPrimitive) return () => 0;
    if (prop === 'dispose') return () => {};
    return inert;
  },
  apply: () => inert,
  construct: () => inert,
});

// A namespace with the members given, and `inert` for everything else.
const namespace = (members) =>
  new Proxy(members, { get: (target, prop) => (prop in target ? target[prop] : inert) });

class Disposable {
  constructor(onDispose) {
    this.onDispose = onDispose;
  }
  static from(...items) {
    return new Disposable(() => items.forEach((d) => d && typeof d.dispose === 'function' && d.dispose()));
  }
  dispose() {
    if (this.onDispose) this.onDispose();
    this.onDispose = undefined;
  }
}

class EventEmitter {
  constructor() {
    this.listeners = new Set();
    this.event = (listener, thisArg, disposables) => {
      const entry = (e) => listener.call(thisArg, e);
      this.listeners.add(entry);
      const d = new Disposable(() => this.listeners.delete(entry));
      if (Array.isArray(disposables)) disposables.push(d);
      return d;
    };
  }
  fire(e) {
    for (const l of [...this.listeners]) l(e);
  }
  dispose() {
    this.listeners.clear();
  }
}

class Uri {
  constructor(url) {
    const u = new URL(url);
    this.scheme = u.protocol.replace(/:$/, '');
    this.path = decodeURIComponent(u.pathname);
    this.fsPath = this.scheme === 'file' ? fileURLToPath(u) : this.path;
    this.text = url;
  }
  static parse(value) {
    return new Uri(value);
  }
  static file(p) {
    return new Uri(pathToFileURL(p).href);
  }
  toString() {
    return this.text;
  }
  toJSON() {
    return this.text;
  }
}

class Position {
  constructor(line, character) {
    this.line = line;
    this.character = character;
  }
}

class Range {
  constructor(a, b, c, d) {
    [this.start, this.end] = typeof a === 'number' ? [new Position(a, b), new Position(c, d)] : [a, b];
  }
}

class Location {
  constructor(uri, range) {
    this.uri = uri;
    this.range = range;
  }
}

class Diagnostic {
  constructor(range, message, severity) {
    Object.assign(this, { range, message, severity });
  }
}

class DiagnosticRelatedInformation {
  constructor(location, message) {
    Object.assign(this, { location, message });
  }
}

class MarkdownString {
  constructor(value = '') {
    this.value = value;
  }
  appendMarkdown(text) {
    this.value += text;
    return this;
  }
  appendText(text) {
    this.value += text;
    return this;
  }
  appendCodeblock(code, language = '') {
    this.value += `\n\`\`\`${language}\n${code}\n\`\`\`\n`;
    return this;
  }
}

class Hover {
  constructor(contents, range) {
    this.contents = Array.isArray(contents) ? contents : [contents];
    this.range = range;
  }
}

class CancellationTokenSource {
  constructor() {
    const emitter = new EventEmitter();
    this.token = { isCancellationRequested: false, onCancellationRequested: emitter.event };
    this.emitter = emitter;
  }
  cancel() {
    this.token.isCancellationRequested = true;
    this.emitter.fire();
  }
  dispose() {}
}

// A text document as the client reads it (it sends uri, languageId, version and the text).
class TextDocument {
  constructor(file, languageId, text) {
    this.uri = Uri.file(file);
    this.fileName = file;
    this.languageId = languageId;
    this.version = 1;
    this.text = text;
    this.isUntitled = false;
    this.isClosed = false;
    this.lineCount = text.split('\n').length;
  }
  getText() {
    return this.text;
  }
}

// Whether a document selector (a filter or a list of them) matches a document: by language and
// scheme, the two fields extension.js uses.
function match(selector, doc) {
  const filters = Array.isArray(selector) ? selector : [selector];
  return filters.some((f) =>
    typeof f === 'string'
      ? f === doc.languageId
      : (!f.language || f.language === doc.languageId) && (!f.scheme || f.scheme === doc.uri.scheme),
  )
    ? 10
    : 0;
}

/**
 * A fresh `vscode` module. `settings`: the values of `rolec.*` settings by key ('server.path',
 * 'targetVersion'); `folder`: the workspace folder's path.
 */
function create({ settings, folder }) {
  const seen = { diagnostics: new Map(), hoverProviders: [], output: [], errors: [], watchers: [] };
  const opened = new EventEmitter();
  const documents = [];
  const folders = folder ? [{ uri: Uri.file(folder), name: path.basename(folder), index: 0 }] : undefined;

  const configuration = (section) => ({
    get: (key, fallback) => {
      const full = section ? `${section}.${key}` : key;
      const local = full.startsWith('rolec.') ? full.slice('rolec.'.length) : undefined;
      return local !== undefined && local in settings ? settings[local] : fallback;
    },
    has: () => false,
    inspect: () => undefined,
    update: async () => {},
  });

  const outputChannel = (name) => ({
    name,
    append: (s) => seen.output.push(s),
    appendLine: (s) => seen.output.push(`${s}\n`),
    replace: () => {},
    clear: () => {},
    show: () => {},
    hide: () => {},
    dispose: () => {},
  });

  const vscode = namespace({
    version: '1.90.0',
    Disposable,
    EventEmitter,
    Uri,
    Position,
    Range,
    Location,
    Diagnostic,
    DiagnosticRelatedInformation,
    DiagnosticSeverity: { Error: 0, Warning: 1, Information: 2, Hint: 3 },
    DiagnosticTag: { Unnecessary: 1, Deprecated: 2 },
    MarkdownString,
    Hover,
    CancellationTokenSource,
    env: namespace({ language: 'en', appName: 'node harness', machineId: 'test', sessionId: 'test' }),
    workspace: namespace({
      workspaceFolders: folders,
      get textDocuments() {
        return documents;
      },
      notebookDocuments: [],
      onDidOpenTextDocument: opened.event,
      getConfiguration: configuration,
      getWorkspaceFolder: () => (folders ? folders[0] : undefined),
      createFileSystemWatcher: (glob) => {
        seen.watchers.push(String(glob));
        const e = new EventEmitter();
        return { onDidCreate: e.event, onDidChange: e.event, onDidDelete: e.event, dispose() {} };
      },
    }),
    window: namespace({
      createOutputChannel: outputChannel,
      activeTextEditor: undefined,
      visibleTextEditors: [],
      showErrorMessage: async (message) => {
        seen.errors.push(message);
        return undefined;
      },
    }),
    languages: namespace({
      match,
      createDiagnosticCollection: (name) => {
        const lists = new Map();
        return {
          name,
          set: (uri, list) => {
            lists.set(String(uri), list);
            seen.diagnostics.set(String(uri), list);
          },
          get: (uri) => lists.get(String(uri)),
          delete: (uri) => lists.delete(String(uri)),
          clear: () => lists.clear(),
          forEach: (f) => lists.forEach((list, uri) => f(Uri.parse(uri), list)),
          dispose: () => lists.clear(),
        };
      },
      registerHoverProvider: (selector, provider) => {
        seen.hoverProviders.push({ selector, provider });
        return new Disposable();
      },
    }),
    commands: namespace({
      registerCommand: () => new Disposable(),
      executeCommand: async () => undefined,
    }),
  });

  // The editor opens a file: the client sends didOpen for documents of its selector.
  function open(file, languageId, text) {
    const doc = new TextDocument(file, languageId, text);
    documents.push(doc);
    opened.fire(doc);
    return doc;
  }

  return { vscode, seen, open, Position, CancellationTokenSource };
}

module.exports = { create };
