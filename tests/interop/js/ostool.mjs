// ostool.mjs: drives @nats-io/obj 3.4.0 for natss3 interop tests and benchmarks.
//
// Usage: node ostool.mjs <command> [--flag value ...]; the server is --s or $NATS_URL.
// Results are JSON on stdout (one document, or one line per event for watch); errors go to
// stderr with exit code 1. Commands mirror tests/interop/go/ostool.
import { createHash } from "node:crypto";
import { createReadStream, createWriteStream, readFileSync } from "node:fs";
import { Readable } from "node:stream";
import { connect, headers as newHeaders, nanos } from "@nats-io/transport-node";
import { jetstreamManager } from "@nats-io/jetstream";
import { Objm } from "@nats-io/obj";

function parseArgs(argv) {
  const opts = { header: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith("--")) throw new Error(`unexpected argument ${a}`);
    const key = a.slice(2);
    const boolFlags = ["deleted", "history", "ignore-deletes", "nohash"];
    if (boolFlags.includes(key)) {
      opts[key] = true;
      continue;
    }
    const v = argv[++i];
    if (v === undefined) throw new Error(`flag ${a} needs a value`);
    if (key === "header") opts.header.push(v);
    else opts[key] = v;
  }
  return opts;
}

function toHeaders(list) {
  if (list.length === 0) return undefined;
  const h = newHeaders();
  for (const kv of list) {
    const i = kv.indexOf(":");
    h.append(kv.slice(0, i), kv.slice(i + 1));
  }
  return h;
}

const print = (v) => process.stdout.write(JSON.stringify(v) + "\n");

function statusJson(st) {
  return {
    bucket: st.bucket, description: st.description, ttl: st.ttl, storage: st.storage,
    replicas: st.replicas, sealed: st.sealed, size: st.size, backing_store: st.backingStore,
    compression: st.compression, stream_info: st.streamInfo,
  };
}

const infoJson = (oi) => (oi && oi.info ? oi.info : oi);

async function main() {
  const [cmd, ...rest] = process.argv.slice(2);
  const o = parseArgs(rest);
  const nc = await connect({
    servers: o.s || process.env.NATS_URL || "nats://127.0.0.1:4222",
    name: "natss3-interop-js",
  });
  try {
    const objm = new Objm(nc);
    const open = (b) => objm.open(b);
    switch (cmd) {
      case "create": {
        const opts = { storage: o.storage || "file", replicas: Number(o.replicas || 1) };
        if (o.description) opts.description = o.description;
        if (o.ttl) opts.ttl = nanos(Number(o.ttl)); // --ttl in milliseconds
        if (o["max-bytes"]) opts.max_bytes = Number(o["max-bytes"]);
        const os = await objm.create(o.bucket, opts);
        print(statusJson(await os.status()));
        break;
      }
      case "put": {
        const os = await open(o.bucket);
        const meta = { name: o.name };
        if (o.description) meta.description = o.description;
        const h = toHeaders(o.header);
        if (h) meta.headers = h;
        if (o["chunk-size"]) meta.options = { max_chunk_size: Number(o["chunk-size"]) };
        const rs = Readable.toWeb(createReadStream(o.file, { highWaterMark: 1 << 20 }));
        const t0 = process.hrtime.bigint();
        const info = await os.put(meta, rs, { timeout: 30000 });
        const elapsed_ms = Number(process.hrtime.bigint() - t0) / 1e6;
        print(Object.assign({}, infoJson(info), { elapsed_ms }));
        break;
      }
      case "get": {
        const os = await open(o.bucket);
        const t0 = process.hrtime.bigint();
        const r = await os.get(o.name);
        if (r === null) throw new Error("object not found");
        const hash = createHash("sha256");
        const out = o.out ? createWriteStream(o.out) : null;
        let size = 0;
        for await (const chunk of r.data) {
          if (!o.nohash) hash.update(chunk);
          size += chunk.length;
          if (out && !out.write(chunk)) await new Promise((res) => out.once("drain", res));
        }
        const err = await r.error;
        if (err) throw err;
        if (out) await new Promise((res, rej) => out.end((e) => (e ? rej(e) : res())));
        const elapsed_ms = Number(process.hrtime.bigint() - t0) / 1e6;
        print({ sha256: o.nohash ? "" : hash.digest("hex"), size, info: infoJson(r.info), elapsed_ms });
        break;
      }
      case "info": {
        const os = await open(o.bucket);
        const info = await os.info(o.name);
        if (info === null || (info.deleted && !o.deleted)) throw new Error("object not found");
        print(infoJson(info));
        break;
      }
      case "ls": {
        const os = await open(o.bucket);
        print(await os.list());
        break;
      }
      case "delete": {
        const os = await open(o.bucket);
        const r = await os.delete(o.name);
        if (!r.success) throw new Error("object not found");
        print({ deleted: o.name });
        break;
      }
      case "link": {
        const os = await open(o.bucket);
        const tos = o["target-bucket"] ? await open(o["target-bucket"]) : os;
        const target = await tos.info(o.target);
        if (target === null) throw new Error("object not found");
        print(infoJson(await os.link(o.name, target)));
        break;
      }
      case "bucket-link": {
        const os = await open(o.bucket);
        print(infoJson(await os.linkStore(o.name, await open(o["target-bucket"]))));
        break;
      }
      case "update-meta": {
        const os = await open(o.bucket);
        const meta = { name: o["new-name"] || o.name };
        if (o.description) meta.description = o.description;
        const h = toHeaders(o.header);
        if (h) meta.headers = h;
        await os.update(o.name, meta);
        print({ updated: meta.name });
        break;
      }
      case "watch": {
        // JS semantics: default = updates only; --history = last value per name, then updates.
        const os = await open(o.bucket);
        const n = Number(o.n || 1);
        const iter = await os.watch({ includeHistory: !!o.history, ignoreDeletes: !!o["ignore-deletes"] });
        process.stdout.write("READY\n");
        const timer = setTimeout(() => {
          process.stderr.write("ostool: watch timed out\n");
          process.exit(1);
        }, Number(o.timeout || 30000));
        let seen = 0;
        if (n > 0) {
          for await (const e of iter) {
            print(e);
            if (++seen >= n) break;
          }
        }
        clearTimeout(timer);
        iter.stop();
        break;
      }
      case "seal": {
        const os = await open(o.bucket);
        print(statusJson(await os.seal()));
        break;
      }
      case "status": {
        const os = await open(o.bucket);
        print(statusJson(await os.status()));
        break;
      }
      case "raw": {
        const jsm = await jetstreamManager(nc);
        const enc = Buffer.from(o.name || "", "utf8").toString("base64url");
        const pad = "=".repeat((4 - (enc.length % 4)) % 4);
        const subj = o.subject || `$O.${o.bucket}.M.${enc}${pad}`;
        const m = await jsm.streams.getMessage(`OBJ_${o.bucket}`, { last_by_subj: subj });
        if (m === null) throw new Error("message not found");
        const hdrs = {};
        if (m.header) for (const [k, v] of m.header) hdrs[k] = v;
        print({ subject: m.subject, seq: m.seq, headers: hdrs, data: m.string() });
        break;
      }
      case "del-bucket": {
        const os = await open(o.bucket);
        await os.destroy();
        print({ deleted: o.bucket });
        break;
      }
      case "put-bytes-loop": {
        // Benchmark helper: --count N puts of --file's bytes as <name>-<i>; prints ops/s.
        const os = await open(o.bucket);
        const data = new Uint8Array(readFileSync(o.file));
        const count = Number(o.count || 1);
        const t0 = process.hrtime.bigint();
        for (let i = 0; i < count; i++) await os.putBlob({ name: `${o.name}-${i}` }, data);
        const sec = Number(process.hrtime.bigint() - t0) / 1e9;
        print({ count, seconds: sec, ops: count / sec });
        break;
      }
      case "get-bytes-loop": {
        const os = await open(o.bucket);
        const count = Number(o.count || 1);
        const t0 = process.hrtime.bigint();
        for (let i = 0; i < count; i++) {
          const b = await os.getBlob(`${o.name}-${i}`);
          if (b === null) throw new Error(`missing ${o.name}-${i}`);
        }
        const sec = Number(process.hrtime.bigint() - t0) / 1e9;
        print({ count, seconds: sec, ops: count / sec });
        break;
      }
      default:
        throw new Error(`unknown command ${cmd}`);
    }
  } finally {
    await nc.close();
  }
}

main().catch((err) => {
  process.stderr.write(`ostool: ${err && err.message ? err.message : err}\n`);
  process.exit(1);
});
