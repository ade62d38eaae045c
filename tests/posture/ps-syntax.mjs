// SPDX-License-Identifier: GPL-2.0
// node check.mjs FILE.ps1: parse with the tree-sitter PowerShell grammar
// (WebAssembly); print each ERROR / MISSING node, exit 1 if any.
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
const require = createRequire(import.meta.url);
const TS = require('web-tree-sitter');
const Parser = TS.Parser || TS;
await Parser.init();
const Language = TS.Language || Parser.Language;
const wasm = require.resolve('tree-sitter-powershell/tree-sitter-powershell.wasm');
const lang = await Language.load(wasm);
const p = new Parser();
p.setLanguage(lang);
const src = fs.readFileSync(process.argv[2], 'utf8');
const tree = p.parse(src);
let bad = 0;
(function walk(n) {
  if (n.type === 'ERROR' || n.isMissing) {
    bad++;
    console.log(`${n.isMissing ? 'MISSING' : 'ERROR'} at ${n.startPosition.row + 1}:${n.startPosition.column + 1}: ${src.slice(n.startIndex, Math.min(n.endIndex, n.startIndex + 60)).replace(/\n/g, ' ')}`);
  }
  for (let i = 0; i < n.childCount; i++) walk(n.child(i));
})(tree.rootNode);
console.log(`${path.basename(process.argv[2])}: ${tree.rootNode.descendantCount ?? '?'} nodes, ${bad} errors`);
process.exit(bad ? 1 : 0);
