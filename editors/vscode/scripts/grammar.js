// Loads syntaxes/rolec.tmLanguage.json into vscode-textmate, the engine VS Code uses.
'use strict';
const fs = require('fs');
const path = require('path');
const vsctm = require('vscode-textmate');
const oniguruma = require('vscode-oniguruma');

const GRAMMAR = path.join(__dirname, '..', 'syntaxes', 'rolec.tmLanguage.json');

async function loadGrammar() {
  const wasm = fs.readFileSync(require.resolve('vscode-oniguruma/release/onig.wasm'));
  await oniguruma.loadWASM(wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength));
  const registry = new vsctm.Registry({
    onigLib: Promise.resolve({
      createOnigScanner: (sources) => new oniguruma.OnigScanner(sources),
      createOnigString: (s) => new oniguruma.OnigString(s),
    }),
    loadGrammar: async (scopeName) =>
      scopeName === 'source.rolec'
        ? vsctm.parseRawGrammar(fs.readFileSync(GRAMMAR, 'utf8'), GRAMMAR)
        : null,
  });
  return registry.loadGrammar('source.rolec');
}

// Tokenizes a whole file line by line, as the editor does; returns the tokens of each line
// and the rule stack after the last line.
function tokenizeFile(grammar, text) {
  let stack = vsctm.INITIAL;
  const lines = text.split(/\r\n|\n/).map((line) => {
    const r = grammar.tokenizeLine(line, stack);
    stack = r.ruleStack;
    return { text: line, tokens: r.tokens };
  });
  return { lines, stack };
}

module.exports = { loadGrammar, tokenizeFile, INITIAL: vsctm.INITIAL };
