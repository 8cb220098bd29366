// Hugging Face's Rust tokenizers (npm "tokenizers", offline on local files) as the oracle for tokenizer.json:
// for DIR/tokenizer.json and every {"text"} line of DIR/texts.jsonl, writes DIR/expected.jsonl with
// {"text", "ids", "decoded"}: the ids without added special tokens, and decode(ids, skip_special_tokens=true).
// Run by tests/oracle/make_hf_added_token_fixtures.py; needs `npm ci` in this folder once.
"use strict";
const fs = require("fs");
const path = require("path");
const { Tokenizer } = require("tokenizers");

async function main() {
  const dir = process.argv[2];
  const tokenizer = Tokenizer.fromFile(path.join(dir, "tokenizer.json"));
  const texts = fs.readFileSync(path.join(dir, "texts.jsonl"), "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l).text);
  const rows = [];
  for (const text of texts) {
    const encoding = await tokenizer.encode(text, null, { addSpecialTokens: false });
    const ids = Array.from(encoding.getIds());
    rows.push(JSON.stringify({ text, ids, decoded: await tokenizer.decode(ids, true) }));
  }
  fs.writeFileSync(path.join(dir, "expected.jsonl"), rows.join("\n") + "\n");
}

main().catch((e) => { console.error(e); process.exit(1); });
