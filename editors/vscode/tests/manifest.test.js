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
  const setting = pkg.contributes.configuration.properties['rolec.path'];
  assert.strictEqual(setting.type, 'string');
  assert.strictEqual(setting.default, 'rolec');
  assert.ok(pkg.dependencies['vscode-languageclient'], 'the client library is a runtime dependency');
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
