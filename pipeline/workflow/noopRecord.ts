import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";

/**
 * The no-op proof's record (`.pinned/updates/<release>.json`), sealed with
 * an HMAC-SHA256 under a key made once in this machine's cache (0600). The
 * record says which inputs and which checkpoint an update left; whoever can
 * edit the record alone (a hand edit, a record copied from another clone or
 * machine) can make it name the present ones, so a record is trusted only
 * when its seal verifies under this key. Whoever can read the key (this
 * user) can seal anything: the seal keeps out edits, not this user.
 */

/** What an update recorded: the hash of its inputs and of the checkpoint it left. */
export interface UpdateRecord {
    readonly inputs: string;
    readonly checkpoint: string;
}

const KEY_FILE = "noop-record.key";

/** The key file, made once (32 random bytes, 0600); another process making it first wins. */
function keyPath(cache: string): string {
    const file = path.join(cache, KEY_FILE);
    if (!fs.existsSync(file)) {
        fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
        try {
            fs.writeFileSync(file, crypto.randomBytes(32), { mode: 0o600, flag: "wx" });
        } catch (err) {
            if ((err as NodeJS.ErrnoException).code !== "EEXIST") {
                throw err;
            }
        }
    }
    return file;
}

/** The key, or why it cannot be trusted (others may read or write it). */
function readKey(cache: string): Buffer | string {
    const file = keyPath(cache);
    const stat = fs.statSync(file);
    if ((stat.mode & 0o077) !== 0 || (typeof process.getuid === "function" && stat.uid !== process.getuid())) {
        return `the record key ${file} is open to others (mode ${(stat.mode & 0o777).toString(8)}); chmod 600 it`;
    }
    const key = fs.readFileSync(file);
    return key.length >= 32 ? key : `the record key ${file} is shorter than 32 bytes; delete it and one is made again`;
}

/** The seal of one release's record in one project: a record copied to another release or project does not verify. */
function seal(key: Buffer, release: string, projectDir: string, record: UpdateRecord): string {
    return crypto
        .createHmac("sha256", key)
        .update(JSON.stringify(["pinned no-op record v1", path.resolve(projectDir), release, record.inputs, record.checkpoint]))
        .digest("hex");
}

/**
 * The record's text, sealed with the key in the cache folder `cache`;
 * throws when the key cannot be made or trusted (the caller writes no
 * record then).
 */
export function sealedRecord(release: string, projectDir: string, record: UpdateRecord, cache: string): string {
    const key = readKey(cache);
    if (typeof key === "string") {
        throw new Error(key);
    }
    return `${JSON.stringify({ inputs: record.inputs, checkpoint: record.checkpoint, seal: seal(key, release, projectDir, record) })}\n`;
}

/** The record in `text` when its seal verifies under the key in the cache folder `cache`, else why it is not trusted (one line). */
export function openRecord(release: string, projectDir: string, text: string, cache: string): UpdateRecord | string {
    let doc: { inputs?: unknown; checkpoint?: unknown; seal?: unknown };
    try {
        doc = JSON.parse(text) as typeof doc;
    } catch {
        return "the record of the last update is unreadable";
    }
    if (typeof doc.inputs !== "string" || typeof doc.checkpoint !== "string" || typeof doc.seal !== "string") {
        return "the record of the last update carries no seal (written by an older pinned, or by hand)";
    }
    let key: Buffer | string;
    try {
        key = readKey(cache);
    } catch (err) {
        return `the record key could not be read: ${(err as Error).message}`;
    }
    if (typeof key === "string") {
        return key;
    }
    const record = { inputs: doc.inputs, checkpoint: doc.checkpoint };
    const expected = Buffer.from(seal(key, release, projectDir, record), "hex");
    const given = Buffer.from(doc.seal, "hex");
    if (given.length !== expected.length || !crypto.timingSafeEqual(given, expected)) {
        return "the record of the last update does not verify under this machine's key (edited, or written elsewhere)";
    }
    return record;
}
