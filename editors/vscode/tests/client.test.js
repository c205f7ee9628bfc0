// The extension as it ships (dist/extension.js: extension.js bundled with the real
// vscode-languageclient 9) against the real rolec binary, in a node harness that stands in for
// VS Code (tests/fake-vscode.js). The server must start as `rolec lsp --stdio`, publish the
// diagnostics of a broken policy for the PostgreSQL version of `rolec.targetVersion`, and answer
// hover with paths relative to the workspace folder.
//
// The binary: $ROLEC_BIN, else target/debug/rolec of the repository (editors/test.sh builds it).
'use strict';
const test = require('node:test');
const assert = require('node:assert');
const Module = require('module');
const childProcess = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const fake = require('./fake-vscode');

const bundle = path.join(__dirname, '..', 'dist', 'extension.js');
const rolec = process.env.ROLEC_BIN || path.join(__dirname, '..', '..', '..', 'target', 'debug', 'rolec');

const POLICY = [
  '/// Reads the app schema.',
  'role reader {}',
  'user dan { member of reader, nobody, pg_maintain }',
  '',
].join('\n');

// Polls `check` until it returns a value, for at most `ms`.
async function until(what, check, ms = 20000) {
  const end = Date.now() + ms;
  for (;;) {
    const value = check();
    if (value) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('the bundled extension starts `rolec lsp --stdio`, shows its diagnostics and hover', async (t) => {
  assert.ok(fs.existsSync(bundle), `${bundle} exists (npm run build)`);
  assert.ok(fs.existsSync(rolec), `${rolec} exists (cargo build, or set ROLEC_BIN)`);
  const folder = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'rolec-vscode-')));
  t.after(() => fs.rmSync(folder, { recursive: true, force: true }));
  const file = path.join(folder, 'a.role');
  fs.writeFileSync(file, POLICY);

  const editor = fake.create({ settings: { 'server.path': rolec, targetVersion: 16 }, folder });

  // Record how the client library starts the server (it calls child_process.spawn).
  const spawned = [];
  const spawn = childProcess.spawn;
  childProcess.spawn = function (command, args, options) {
    const child = spawn.call(this, command, args, options);
    const exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
    spawned.push({ command, args, exited });
    return child;
  };
  const load = Module._load;
  Module._load = function (request, parent, isMain) {
    return request === 'vscode' ? editor.vscode : load.call(this, request, parent, isMain);
  };
  t.after(() => {
    childProcess.spawn = spawn;
    Module._load = load;
  });
  delete require.cache[bundle];
  const extension = require(bundle);

  const context = { subscriptions: [] };
  await extension.activate(context);
  assert.deepStrictEqual(editor.seen.errors, [], 'the server started');
  assert.strictEqual(spawned.length, 1);
  assert.strictEqual(spawned[0].command, rolec);
  assert.deepStrictEqual(spawned[0].args, ['lsp', '--stdio']);

  const doc = editor.open(file, 'rolec', POLICY);
  const uri = doc.uri.toString();
  const diagnostics = await until('the diagnostics of a.role', () => {
    const list = editor.seen.diagnostics.get(uri);
    return list && list.length >= 2 ? list : undefined;
  });
  const codes = diagnostics.map((d) => (typeof d.code === 'object' ? d.code.value : d.code));
  assert.ok(codes.includes('E002'), `unknown role \`nobody\`: ${JSON.stringify(diagnostics)}`);
  const nobody = diagnostics.find((d) => /unknown role `nobody`/.test(d.message));
  assert.ok(nobody, JSON.stringify(diagnostics));
  assert.deepStrictEqual(
    [nobody.range.start.line, nobody.range.start.character, nobody.range.end.character],
    [2, 29, 35],
  );
  assert.strictEqual(nobody.severity, editor.vscode.DiagnosticSeverity.Error);
  // `rolec.targetVersion` reached the server (initializationOptions).
  assert.ok(
    diagnostics.some((d) => /`pg_maintain` exists from PostgreSQL 17; the target is 16/.test(d.message)),
    JSON.stringify(diagnostics.map((d) => d.message)),
  );

  // Hover on `dan`, through the provider the client registered for rolec documents.
  const hovers = editor.seen.hoverProviders.filter((h) => editor.vscode.languages.match(h.selector, doc) > 0);
  assert.strictEqual(hovers.length, 1);
  const token = new editor.CancellationTokenSource().token;
  const hover = await hovers[0].provider.provideHover(doc, new editor.Position(2, 6), token);
  assert.ok(hover, 'a hover');
  const text = hover.contents.map((c) => (typeof c === 'string' ? c : c.value)).join('\n');
  assert.match(text, /user dan/);
  assert.match(text, /reader \[MEMBER[^\n]*\(a\.role:3\)/, text);
  assert.ok(!text.includes(folder), `paths relative to the workspace folder:\n${text}`);
  assert.deepStrictEqual([hover.range.start.line, hover.range.start.character, hover.range.end.character], [2, 5, 8]);

  await extension.deactivate();
  assert.strictEqual(await spawned[0].exited, 0, 'the server exits cleanly on shutdown');
});
