// tiktoken_ids.mjs ENCODING MODE FILE [--time] — the reference ids of OpenAI's
// tiktoken (npm `tiktoken`, its Rust library built to WebAssembly) for the
// UTF-8 text in FILE, printed space-separated on one line. MODE is
//   allow   encode(text, "all")      specials become their ids
//   plain   encode_ordinary(text)    specials are ordinary text
//   refuse  encode(text)             tiktoken's default: text holding a
//                                    special is an error ("REFUSED" is printed)
// `tiktoken_ids.mjs --batch JOBS` runs many at once (one node start): each
// line of JOBS is "ENCODING MODE FILE OUT" and the ids go to OUT.
// With --time it prints "MB/s tokens/s cpu-MB/s" of the encoding alone (loading and
// reading not counted) instead of the ids: the speed reference of
// `make bench-tokenize`.
import { readFileSync, writeFileSync } from "node:fs";
import { get_encoding } from "tiktoken";

function ids_text(enc, mode, text) {
  let ids;
  try {
    ids = mode === "allow" ? enc.encode(text, "all") : mode === "plain" ? enc.encode_ordinary(text) : enc.encode(text);
  } catch (e) {
    return mode === "refuse" ? "REFUSED\n" : `ERROR ${e && e.message ? e.message : e}\n`;
  }
  const parts = [];
  for (let i = 0; i < ids.length; i += 65536) parts.push(Array.from(ids.subarray(i, i + 65536)).join(" "));
  return parts.join(" ") + "\n";
}

if (process.argv[2] === "--batch") {
  const encs = {};
  for (const line of readFileSync(process.argv[3], "utf8").split("\n")) {
    if (!line.trim()) continue;
    const [name, mode, file, out] = line.split(" ");
    encs[name] ??= get_encoding(name);
    writeFileSync(out, ids_text(encs[name], mode, readFileSync(file).toString("utf8")));
  }
  for (const e of Object.values(encs)) e.free();
  process.exit(0);
}

const [enc_name, mode, file, flag] = process.argv.slice(2);
const enc = get_encoding(enc_name);
const bytes = readFileSync(file);
const text = bytes.toString("utf8");
let ids;
const t0 = process.hrtime.bigint();
const cpu0 = process.cpuUsage();
try {
  ids = mode === "allow" ? enc.encode(text, "all") : mode === "plain" ? enc.encode_ordinary(text) : enc.encode(text);
} catch (e) {
  // A special in the text (tiktoken's refusal), or a failure of its own.
  const msg = String(e && e.message ? e.message : e);
  process.stdout.write(mode === "refuse" ? "REFUSED\n" : `ERROR ${msg}\n`);
  process.exit(0);
}
const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
const cpu = process.cpuUsage(cpu0);
const cpu_seconds = (cpu.user + cpu.system) / 1e6;
if (flag === "--time") {
  process.stdout.write(`${(bytes.length / 1e6 / seconds).toFixed(2)} ${(ids.length / seconds).toFixed(0)} ` +
                       `${(bytes.length / 1e6 / cpu_seconds).toFixed(2)}\n`);
} else {
  // Joining a huge array at once is slow in V8: write in slices.
  for (let i = 0; i < ids.length; i += 65536) {
    process.stdout.write((i ? " " : "") + Array.from(ids.subarray(i, i + 65536)).join(" "));
  }
  process.stdout.write("\n");
}
enc.free();
