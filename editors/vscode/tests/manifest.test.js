// The extension's JSON files parse, and package.json points at files that exist and agree with
// each other (language id, file extension, grammar scope, language configuration, setting).
'use strict';
const test = require('node:test');
const assert = require('node:assert');
const fs = require('fs');
const path = require('path');

const dir = path.join(__dirname, '..');
const json = (f) => JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8'));

test('the JSON files parse', () => {
  for (const f of ['package.json', 'package-lock.json', 'language-configuration.json', 'syntaxes/rolec.tmLanguage.json']) {
    assert.doesNotThrow(() => json(f), f);
  }
});

test('package.json contributes the rolec language, grammar and settings', () => {
  const pkg = json('package.json');
  assert.ok(fs.existsSync(path.join(dir, pkg.main)), `main ${pkg.main} exists`);
  const [lang] = pkg.contributes.languages;
  assert.strictEqual(lang.id, 'rolec');
  assert.deepStrictEqual(lang.extensions, ['.role']);
  assert.ok(fs.existsSync(path.join(dir, lang.configuration)), 'language configuration exists');
  const [grammar] = pkg.contributes.grammars;
  assert.strictEqual(grammar.language, 'rolec');
  const tm = json(grammar.path);
  assert.strictEqual(tm.scopeName, grammar.scopeName);
  assert.strictEqual(tm.scopeName, 'source.rolec');
  const settings = pkg.contributes.configuration.properties;
  assert.deepStrictEqual(Object.keys(settings), ['rolec.server.path', 'rolec.targetVersion', 'rolec.trace.server']);
  assert.strictEqual(settings['rolec.server.path'].type, 'string');
  assert.strictEqual(settings['rolec.server.path'].default, 'rolec');
  assert.strictEqual(settings['rolec.targetVersion'].default, null);
  assert.ok(pkg.dependencies['vscode-languageclient'], 'the client library is a runtime dependency');
});

test('the extension runs the bundle, and the .vsix ships only it', () => {
  const pkg = json('package.json');
  assert.strictEqual(pkg.main, './dist/extension.js');
  assert.match(pkg.scripts['vscode:prepublish'], /build/);
  assert.match(pkg.scripts.build, /^esbuild extension\.js --bundle .*--external:vscode .*--outfile=dist\/extension\.js/);
  assert.ok(pkg.repository && pkg.repository.url, 'a repository (vsce asks for one)');
  assert.ok(fs.existsSync(path.join(dir, 'LICENSE')), 'a LICENSE (vsce asks for one)');
  const ignore = fs.readFileSync(path.join(dir, '.vscodeignore'), 'utf8');
  assert.match(ignore, /^\*\*$/m, '.vscodeignore leaves out everything not named');
  assert.match(ignore, /^!dist\/extension\.js$/m);
});

test('every #include of the grammar names a repository entry', () => {
  const tm = json('syntaxes/rolec.tmLanguage.json');
  const missing = [];
  const walk = (node) => {
    if (Array.isArray(node)) return node.forEach(walk);
    if (node && typeof node === 'object') {
      if (typeof node.include === 'string' && node.include.startsWith('#') && !(node.include.slice(1) in tm.repository)) {
        missing.push(node.include);
      }
      Object.values(node).forEach(walk);
    }
  };
  walk(tm);
  assert.deepStrictEqual(missing, []);
});

test('language configuration: comments as in grammar/rolec.pest', () => {
  const conf = json('language-configuration.json');
  assert.strictEqual(conf.comments.lineComment, '//');
  assert.deepStrictEqual(conf.comments.blockComment, ['/*', '*/']);
  for (const k of ['increaseIndentPattern', 'decreaseIndentPattern']) {
    assert.doesNotThrow(() => new RegExp(conf.indentationRules[k]), k);
  }
  assert.doesNotThrow(() => new RegExp(conf.wordPattern), 'wordPattern');
});
