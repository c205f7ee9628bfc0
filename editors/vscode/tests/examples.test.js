// Tokenizes every sample policy of the repository (examples/**/*.role, stdlib/*.role and the
// valid compiler test inputs tests/ui/ok_*.role) with the grammar, as VS Code does, and checks
// that no token is marked invalid and that no string, comment, list or parameter list is still
// open at the end of the file. Run with `node --test tests/` (see editors/test.sh).
'use strict';
const test = require('node:test');
const assert = require('node:assert');
const fs = require('fs');
const path = require('path');
const { loadGrammar, tokenizeFile } = require('../scripts/grammar');

const ROOT = path.resolve(__dirname, '..', '..', '..');

function roleFiles(dir, filter = () => true) {
  const out = [];
  const walk = (d) => {
    if (!fs.existsSync(d)) return;
    for (const e of fs.readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.role') && filter(e.name)) out.push(p);
    }
  };
  walk(dir);
  return out;
}

const files = [
  ...roleFiles(path.join(ROOT, 'examples')),
  ...roleFiles(path.join(ROOT, 'stdlib')),
  ...roleFiles(path.join(ROOT, 'tests', 'ui'), (name) => name.startsWith('ok_')),
];

const grammarPromise = loadGrammar();

test('there are sample policies to tokenize', () => {
  assert.ok(files.length > 0, `no .role files found below ${ROOT}`);
});

for (const file of files) {
  const name = path.relative(ROOT, file);
  test(`tokenizes ${name}`, async () => {
    const grammar = await grammarPromise;
    const { lines, stack } = tokenizeFile(grammar, fs.readFileSync(file, 'utf8'));
    const invalid = [];
    lines.forEach(({ text, tokens }, i) => {
      for (const t of tokens) {
        if (t.scopes.some((s) => s.startsWith('invalid.'))) {
          invalid.push(`${name}:${i + 1}:${t.startIndex + 1}: ${JSON.stringify(text.substring(t.startIndex, t.endIndex))} ${t.scopes.join(' ')}`);
        }
      }
    });
    assert.deepStrictEqual(invalid, [], 'tokens marked invalid');
    assert.strictEqual(stack.depth, 1, `${name}: a region is still open at the end of the file`);
  });
}
