// VS Code client for the rolec language server: starts `rolec lsp --stdio` for *.role files.
// Plain JavaScript; `npm run build` bundles it with vscode-languageclient into dist/extension.js
// (the file the extension runs and the .vsix ships).
'use strict';

const path = require('path');
const os = require('os');
const vscode = require('vscode');
const { LanguageClient, TransportKind, State } = require('vscode-languageclient/node');

/** @type {LanguageClient | undefined} */
let client;
/** @type {vscode.OutputChannel | undefined} */
let output;

// The binary from the `rolec.server.path` setting: `~` is expanded, `${workspaceFolder}` is replaced,
// and a relative path with a slash is taken relative to the first workspace folder. A bare name
// (the default, `rolec`) is looked up on PATH by the operating system.
function serverCommand() {
  let command = (vscode.workspace.getConfiguration('rolec').get('server.path') || 'rolec').trim() || 'rolec';
  const folder = vscode.workspace.workspaceFolders && vscode.workspace.workspaceFolders[0];
  if (folder) {
    command = command.replace(/\$\{workspaceFolder\}/g, folder.uri.fsPath);
  }
  if (command === '~' || command.startsWith('~/') || command.startsWith('~\\')) {
    command = path.join(os.homedir(), command.slice(1));
  }
  if (!path.isAbsolute(command) && /[\\/]/.test(command) && folder) {
    command = path.resolve(folder.uri.fsPath, command);
  }
  return command;
}

// What the server is told at start (`initializationOptions`): the PostgreSQL version to check
// the policy for, when `rolec.targetVersion` is set (the server's default otherwise).
function initializationOptions() {
  const version = vscode.workspace.getConfiguration('rolec').get('targetVersion');
  return Number.isInteger(version) ? { targetVersion: version } : {};
}

function createClient() {
  const command = serverCommand();
  const cwd = vscode.workspace.workspaceFolders && vscode.workspace.workspaceFolders[0]
    ? vscode.workspace.workspaceFolders[0].uri.fsPath
    : undefined;
  // The client adds `--stdio` to the arguments for this transport.
  /** @type {import('vscode-languageclient/node').ServerOptions} */
  const serverOptions = {
    command,
    args: ['lsp'],
    transport: TransportKind.stdio,
    options: cwd ? { cwd } : {},
  };
  /** @type {import('vscode-languageclient/node').LanguageClientOptions} */
  const clientOptions = {
    documentSelector: [
      { scheme: 'file', language: 'rolec' },
      { scheme: 'untitled', language: 'rolec' },
    ],
    // A policy is a set of files: tell the server when any of them changes on disk.
    synchronize: {
      fileEvents: vscode.workspace.createFileSystemWatcher('**/*.role'),
    },
    initializationOptions: initializationOptions(),
    outputChannel: output,
  };
  return new LanguageClient('rolec', 'rolec language server', serverOptions, clientOptions);
}

async function startClient() {
  client = createClient();
  try {
    await client.start();
  } catch (err) {
    const command = serverCommand();
    const message = err && err.message ? err.message : String(err);
    client = undefined;
    const choice = await vscode.window.showErrorMessage(
      `rolec: could not start the language server \`${command} lsp\`: ${message}. ` +
        'Install rolec or set "rolec.server.path" to the binary.',
      'Open Settings',
    );
    if (choice === 'Open Settings') {
      vscode.commands.executeCommand('workbench.action.openSettings', 'rolec.server.path');
    }
  }
}

async function stopClient() {
  const c = client;
  client = undefined;
  if (c && c.state !== State.Stopped) {
    try {
      await c.stop();
    } catch (_) {
      // The server may already be gone; nothing to clean up.
    }
  }
}

async function restartClient() {
  await stopClient();
  await startClient();
}

/** @param {vscode.ExtensionContext} context */
async function activate(context) {
  output = vscode.window.createOutputChannel('rolec');
  context.subscriptions.push(output);
  context.subscriptions.push(vscode.commands.registerCommand('rolec.restartServer', restartClient));
  context.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration((e) => {
      // The server reads both only when it starts.
      if (e.affectsConfiguration('rolec.server.path') || e.affectsConfiguration('rolec.targetVersion')) {
        restartClient();
      }
    }),
  );
  await startClient();
}

function deactivate() {
  return stopClient();
}

module.exports = { activate, deactivate };
