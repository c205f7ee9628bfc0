// Loads extension.js with stand-ins for the `vscode` and `vscode-languageclient/node` modules
// (which only exist inside VS Code) and checks how it starts the language server: the binary
// from `rolec.server.path`, the argument `lsp` (the client adds `--stdio`), stdio, the target
// version from `rolec.targetVersion`, and the documents of language `rolec`. tests/client.test.js
// runs the bundle with the real client library against the real server.
'use strict';
const test = require('node:test');
const assert = require('node:assert');
const Module = require('module');
const path = require('path');
const os = require('os');

function load({ setting, folder, failStart = false, targetVersion }) {
  const calls = { clients: [], errors: [], commands: {}, configListeners: [] };
  const vscode = {
    workspace: {
      workspaceFolders: folder ? [{ uri: { fsPath: folder } }] : undefined,
      getConfiguration: (section) => ({
        get: (key) =>
          section !== 'rolec' ? undefined : key === 'server.path' ? setting : key === 'targetVersion' ? targetVersion : undefined,
      }),
      createFileSystemWatcher: (glob) => ({ glob }),
      onDidChangeConfiguration: (f) => {
        calls.configListeners.push(f);
        return { dispose() {} };
      },
    },
    window: {
      createOutputChannel: (name) => ({ name, dispose() {} }),
      showErrorMessage: async (msg) => {
        calls.errors.push(msg);
        return undefined;
      },
    },
    commands: {
      registerCommand: (id, f) => {
        calls.commands[id] = f;
        return { dispose() {} };
      },
      executeCommand: () => {},
    },
  };
  const State = { Stopped: 1, Starting: 3, Running: 2 };
  class LanguageClient {
    constructor(id, name, serverOptions, clientOptions) {
      Object.assign(this, { id, name, serverOptions, clientOptions, state: State.Stopped, stopped: false });
      calls.clients.push(this);
    }
    async start() {
      if (failStart) throw new Error('spawn rolec ENOENT');
      this.state = State.Running;
    }
    async stop() {
      this.stopped = true;
      this.state = State.Stopped;
    }
  }
  const languageclient = { LanguageClient, TransportKind: { stdio: 0 }, State };

  const file = path.join(__dirname, '..', 'extension.js');
  const originalLoad = Module._load;
  Module._load = function (request, parent, isMain) {
    if (request === 'vscode') return vscode;
    if (request === 'vscode-languageclient/node') return languageclient;
    return originalLoad.call(this, request, parent, isMain);
  };
  try {
    delete require.cache[require.resolve(file)];
    return { extension: require(file), calls };
  } finally {
    Module._load = originalLoad;
  }
}

const context = () => ({ subscriptions: [] });

test('starts `rolec lsp` over stdio by default', async () => {
  const { extension, calls } = load({ setting: 'rolec', folder: '/work/project' });
  await extension.activate(context());
  assert.strictEqual(calls.clients.length, 1);
  const c = calls.clients[0];
  assert.strictEqual(c.id, 'rolec');
  assert.strictEqual(c.serverOptions.command, 'rolec');
  assert.deepStrictEqual(c.serverOptions.args, ['lsp']);
  assert.strictEqual(c.serverOptions.transport, 0);
  assert.deepStrictEqual(
    c.clientOptions.documentSelector.map((d) => d.language),
    ['rolec', 'rolec'],
  );
  assert.strictEqual(c.clientOptions.synchronize.fileEvents.glob, '**/*.role');
  assert.deepStrictEqual(c.clientOptions.initializationOptions, {});
  assert.ok(calls.commands['rolec.restartServer'], 'restart command registered');
  await extension.deactivate();
  assert.ok(c.stopped);
});

test('an empty setting falls back to `rolec`', async () => {
  const { extension, calls } = load({ setting: '  ', folder: undefined });
  await extension.activate(context());
  assert.strictEqual(calls.clients[0].serverOptions.command, 'rolec');
});

test('rolec.targetVersion is passed to the server', async () => {
  const { extension, calls } = load({ setting: 'rolec', folder: undefined, targetVersion: 17 });
  await extension.activate(context());
  assert.deepStrictEqual(calls.clients[0].clientOptions.initializationOptions, { targetVersion: 17 });
});

test('rolec.server.path: ~, ${workspaceFolder} and relative paths are resolved', async () => {
  for (const [setting, expected] of [
    ['~/bin/rolec', path.join(os.homedir(), 'bin/rolec')],
    ['${workspaceFolder}/target/debug/rolec', '/work/project/target/debug/rolec'],
    ['target/release/rolec', path.resolve('/work/project', 'target/release/rolec')],
    ['/opt/rolec/bin/rolec', '/opt/rolec/bin/rolec'],
  ]) {
    const { extension, calls } = load({ setting, folder: '/work/project' });
    await extension.activate(context());
    assert.strictEqual(calls.clients[0].serverOptions.command, expected, setting);
  }
});

test('a missing binary is reported, not thrown', async () => {
  const { extension, calls } = load({ setting: 'no-such-rolec', folder: undefined, failStart: true });
  await extension.activate(context());
  assert.strictEqual(calls.errors.length, 1);
  assert.match(calls.errors[0], /no-such-rolec lsp/);
  assert.match(calls.errors[0], /rolec\.server\.path/);
});

test('changing rolec.server.path or rolec.targetVersion restarts the server', async () => {
  for (const setting of ['rolec.server.path', 'rolec.targetVersion']) {
    const { extension, calls } = load({ setting: 'rolec', folder: undefined });
    await extension.activate(context());
    await calls.configListeners[0]({ affectsConfiguration: (s) => s === setting });
    // the listener does not wait for the restart: let it finish
    await new Promise((r) => setImmediate(r));
    assert.strictEqual(calls.clients.length, 2, setting);
    assert.ok(calls.clients[0].stopped, setting);
  }
});
