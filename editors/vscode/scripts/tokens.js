#!/usr/bin/env node
// Prints the TextMate tokens of a .role file, one line per token: a debugging aid when
// writing grammar tests (`node scripts/tokens.js FILE`).
'use strict';
const fs = require('fs');
const { loadGrammar, tokenizeFile } = require('./grammar');

async function main() {
  const file = process.argv[2];
  if (!file) {
    console.error('usage: node scripts/tokens.js FILE.role');
    process.exit(2);
  }
  const grammar = await loadGrammar();
  const { lines } = tokenizeFile(grammar, fs.readFileSync(file, 'utf8'));
  lines.forEach(({ text, tokens }, i) => {
    console.log(`${i + 1}: ${text}`);
    for (const t of tokens) {
      const s = text.substring(t.startIndex, t.endIndex);
      if (s.trim() === '') continue;
      console.log(`    ${JSON.stringify(s)} ${t.scopes.slice(1).join(' ')}`);
    }
  });
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
