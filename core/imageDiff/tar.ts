/**
 * A tar reader for image layers: ustar headers, pax extended records and
 * GNU long names, fed in chunks of any size so that a layer never has to be
 * held whole. Written here rather than taken from npm because a layer diff
 * needs only the headers and a hash of each file's bytes, and the project
 * keeps its dependencies few.
 */

/** What an entry is; `other` covers what images do not normally hold (GNU sparse and volume headers). */
export type TarEntryType = "file" | "hardlink" | "symlink" | "directory" | "char-device" | "block-device" | "fifo" | "other";

/** One entry, with pax and GNU long-name records applied. */
export interface TarEntry {
    /** As the archive spells it (`./usr/bin/`, `usr/bin`…); not normalised. */
    readonly path: string;
    readonly type: TarEntryType;
    /** Bytes of content that follow the header (0 for links and directories). */
    readonly size: number;
    /** Permission bits with setuid, setgid and sticky (`mode & 0o7777`). */
    readonly mode: number;
    readonly uid: number;
    readonly gid: number;
    readonly uname: string;
    readonly gname: string;
    /** Seconds since the epoch; fractional when a pax record gives it so. */
    readonly mtime: number;
    /** A symlink's target or a hard link's archive path; "" for other entries. */
    readonly linkTarget: string;
}

/** Gets one entry's content, chunk by chunk, then its end (also for empty entries). */
export interface TarEntrySink {
    data(chunk: Buffer): void;
    end(): void;
}

/** The bytes are not a tar archive this reader understands, or it ends inside an entry. */
export class TarFormatError extends Error {}

const BLOCK = 512;
/** Pax and long-name records are small; a larger one is a damaged archive, not a reason to buffer gigabytes. */
const MAX_META = 1 << 20;

const TYPES: Record<string, TarEntryType> = {
    "0": "file",
    "\0": "file",
    "7": "file",
    "1": "hardlink",
    "2": "symlink",
    "3": "char-device",
    "4": "block-device",
    "5": "directory",
    "6": "fifo",
};

type State =
    | { readonly kind: "header" }
    | { readonly kind: "data"; remaining: number; readonly padding: number; readonly sink?: TarEntrySink }
    | { readonly kind: "meta"; remaining: number; readonly padding: number; readonly typeflag: string; readonly parts: Buffer[] }
    | { readonly kind: "skip"; remaining: number }
    | { readonly kind: "end" };

/** Records that apply to the next entry (pax `x`, GNU `L`/`K`) or to all that follow (pax `g`). */
interface Pending {
    pax: Record<string, string>;
    longName?: string;
    longLink?: string;
}

/**
 * Reads a tar archive pushed to it with `push`; `end` says the input is
 * over. `onEntry` is called for each entry in order and may return a sink
 * for its content; content nobody asks for is skipped.
 */
export class TarReader {
    private state: State = { kind: "header" };
    private readonly header = Buffer.alloc(BLOCK);
    private headerFill = 0;
    private globalPax: Record<string, string> = {};
    private pending: Pending = { pax: {} };
    /** Offset of the current block in the archive, for error messages. */
    private offset = 0;

    constructor(private readonly onEntry: (entry: TarEntry) => TarEntrySink | undefined | void) {}

    push(chunk: Buffer): void {
        let at = 0;
        while (at < chunk.length) {
            const state = this.state;
            const available = chunk.length - at;
            switch (state.kind) {
                case "header": {
                    const n = Math.min(BLOCK - this.headerFill, available);
                    chunk.copy(this.header, this.headerFill, at, at + n);
                    this.headerFill += n;
                    at += n;
                    if (this.headerFill === BLOCK) {
                        this.headerFill = 0;
                        this.readHeader();
                        this.offset += BLOCK;
                    }
                    break;
                }
                case "data": {
                    const n = Math.min(state.remaining, available);
                    state.sink?.data(chunk.subarray(at, at + n));
                    state.remaining -= n;
                    at += n;
                    this.offset += n;
                    if (state.remaining === 0) {
                        state.sink?.end();
                        this.afterContent(state.padding);
                    }
                    break;
                }
                case "meta": {
                    const n = Math.min(state.remaining, available);
                    state.parts.push(Buffer.from(chunk.subarray(at, at + n)));
                    state.remaining -= n;
                    at += n;
                    this.offset += n;
                    if (state.remaining === 0) {
                        this.applyMeta(state.typeflag, Buffer.concat(state.parts));
                        this.afterContent(state.padding);
                    }
                    break;
                }
                case "skip": {
                    const n = Math.min(state.remaining, available);
                    state.remaining -= n;
                    at += n;
                    this.offset += n;
                    if (state.remaining === 0) {
                        this.state = { kind: "header" };
                    }
                    break;
                }
                case "end":
                    // What follows the end-of-archive blocks (more zeros, usually) is not the archive's.
                    return;
            }
        }
    }

    /** The input is over: it must end between entries. */
    end(): void {
        const state = this.state;
        if (state.kind === "end" || (state.kind === "header" && this.headerFill === 0)) {
            return;
        }
        // The last entry's padding up to a whole block may be missing; its content may not.
        if (state.kind === "skip") {
            return;
        }
        throw new TarFormatError(`the archive ends inside an entry, at byte ${this.offset + this.headerFill}.`);
    }

    private afterContent(padding: number): void {
        this.state = padding > 0 ? { kind: "skip", remaining: padding } : { kind: "header" };
    }

    private readHeader(): void {
        const h = this.header;
        if (h.every((b) => b === 0)) {
            this.state = { kind: "end" };
            return;
        }
        checkChecksum(h, this.offset);
        const typeflag = String.fromCharCode(h[156]);
        const size = this.number(h, 124, 12, "size");
        const padding = (BLOCK - (size % BLOCK)) % BLOCK;
        if (typeflag === "x" || typeflag === "g" || typeflag === "L" || typeflag === "K") {
            if (size > MAX_META) {
                throw new TarFormatError(`a ${typeflag} record at byte ${this.offset} claims ${size} bytes.`);
            }
            if (size === 0) {
                this.applyMeta(typeflag, Buffer.alloc(0));
                return;
            }
            this.state = { kind: "meta", remaining: size, padding, typeflag, parts: [] };
            return;
        }
        const entry = this.entry(h, typeflag, size);
        const sink = this.onEntry(entry) ?? undefined;
        if (entry.size === 0) {
            sink?.end();
            return;
        }
        const contentPadding = (BLOCK - (entry.size % BLOCK)) % BLOCK;
        this.state = { kind: "data", remaining: entry.size, padding: contentPadding, sink };
    }

    private entry(h: Buffer, typeflag: string, headerSize: number): TarEntry {
        const pax = { ...this.globalPax, ...this.pending.pax };
        const { longName, longLink } = this.pending;
        this.pending = { pax: {} };
        // The prefix field is POSIX ustar's; the old GNU format keeps other data there.
        const posix = h.toString("latin1", 257, 263) === "ustar\0";
        const prefix = posix ? text(h, 345, 155) : "";
        const name = text(h, 0, 100);
        return {
            path: pax.path ?? longName ?? (prefix ? `${prefix}/${name}` : name),
            type: TYPES[typeflag] ?? "other",
            size: paxNumber(pax, "size", this.offset) ?? headerSize,
            mode: this.number(h, 100, 8, "mode") & 0o7777,
            uid: paxNumber(pax, "uid", this.offset) ?? this.number(h, 108, 8, "uid"),
            gid: paxNumber(pax, "gid", this.offset) ?? this.number(h, 116, 8, "gid"),
            uname: pax.uname ?? text(h, 265, 32),
            gname: pax.gname ?? text(h, 297, 32),
            mtime: paxNumber(pax, "mtime", this.offset) ?? this.number(h, 136, 12, "mtime"),
            linkTarget: pax.linkpath ?? longLink ?? text(h, 157, 100),
        };
    }

    private applyMeta(typeflag: string, data: Buffer): void {
        switch (typeflag) {
            case "x":
                this.pending.pax = { ...this.pending.pax, ...paxRecords(data, this.offset) };
                break;
            case "g":
                this.globalPax = { ...this.globalPax, ...paxRecords(data, this.offset) };
                break;
            case "L":
                this.pending.longName = untilNul(data);
                break;
            case "K":
                this.pending.longLink = untilNul(data);
                break;
        }
    }

    private number(h: Buffer, at: number, length: number, field: string): number {
        const value = headerNumber(h, at, length);
        if (value === undefined) {
            throw new TarFormatError(`the ${field} field of the header at byte ${this.offset} is not a number.`);
        }
        return value;
    }
}

/** Reads a whole archive held in memory (for small archives and tests). */
export function readTar(archive: Buffer, onEntry: (entry: TarEntry) => TarEntrySink | undefined | void): void {
    const reader = new TarReader(onEntry);
    reader.push(archive);
    reader.end();
}

/**
 * A numeric header field: octal digits ended by NUL or space, or, when the
 * first byte has its high bit set, a big-endian base-256 number (GNU tar's
 * form for sizes above 8 GiB and ids above 2097151; 0xff starts a negative one).
 */
export function headerNumber(h: Buffer, at: number, length: number): number | undefined {
    const first = h[at];
    if (first & 0x80) {
        let value = BigInt(first === 0xff ? first : first & 0x7f);
        for (let i = 1; i < length; i++) {
            value = value * 256n + BigInt(h[at + i]);
        }
        if (first === 0xff) {
            value -= 1n << BigInt(8 * length);
        }
        const n = Number(value);
        return Number.isSafeInteger(n) ? n : undefined;
    }
    const digits = h
        .toString("latin1", at, at + length)
        .replace(/\0.*$/s, "")
        .trim();
    return /^[0-7]*$/.test(digits) ? (digits === "" ? 0 : parseInt(digits, 8)) : undefined;
}

/** The header sums to its checksum field (unsigned, as POSIX says, or signed, as some old writers did). */
function checkChecksum(h: Buffer, offset: number): void {
    const stored = headerNumber(h, 148, 8);
    let unsigned = 0;
    let signed = 0;
    for (let i = 0; i < BLOCK; i++) {
        const b = i >= 148 && i < 156 ? 0x20 : h[i];
        unsigned += b;
        signed += b > 127 ? b - 256 : b;
    }
    if (stored !== unsigned && stored !== signed) {
        throw new TarFormatError(`the block at byte ${offset} is not a tar header (its checksum does not match).`);
    }
}

/** Pax records: `<length> <key>=<value>\n`, the length counting the whole record in bytes. */
function paxRecords(data: Buffer, offset: number): Record<string, string> {
    const records: Record<string, string> = {};
    let at = 0;
    while (at < data.length) {
        if (data[at] === 0) {
            break; // some writers pad the record block with NULs
        }
        const space = data.indexOf(0x20, at);
        const length = space > at ? Number(data.toString("latin1", at, space)) : NaN;
        if (!Number.isInteger(length) || length <= space - at || at + length > data.length || data[at + length - 1] !== 0x0a) {
            throw new TarFormatError(`a pax record before the header at byte ${offset} is malformed.`);
        }
        const record = data.toString("utf8", space + 1, at + length - 1);
        const eq = record.indexOf("=");
        if (eq < 0) {
            throw new TarFormatError(`a pax record before the header at byte ${offset} has no "=".`);
        }
        records[record.slice(0, eq)] = record.slice(eq + 1);
        at += length;
    }
    return records;
}

/** A numeric pax record; `size`, `uid` and `gid` whole and not negative, `mtime` any decimal. */
function paxNumber(pax: Record<string, string>, key: string, offset: number): number | undefined {
    const raw = pax[key];
    if (raw === undefined) {
        return undefined;
    }
    const ok = key === "mtime" ? /^-?\d+(\.\d+)?$/.test(raw) : /^\d+$/.test(raw);
    if (!ok) {
        throw new TarFormatError(`the pax ${key} record before the header at byte ${offset} is not a number ("${raw.slice(0, 40)}").`);
    }
    return Number(raw);
}

function text(h: Buffer, at: number, length: number): string {
    return untilNul(h.subarray(at, at + length));
}

function untilNul(data: Buffer): string {
    const nul = data.indexOf(0);
    return data.toString("utf8", 0, nul < 0 ? data.length : nul);
}
