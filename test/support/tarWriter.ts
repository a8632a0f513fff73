/**
 * A small tar writer for tests: ustar headers, with a pax record for a path
 * or link target too long for them, and base-256 ids when asked. Enough to
 * build image layers whose every header field a test chooses.
 */

export interface TarFile {
    readonly path: string;
    /** Defaults to "file" (or "directory" when the path ends in "/"). */
    readonly type?: "file" | "directory" | "symlink" | "hardlink";
    readonly content?: string | Buffer;
    readonly mode?: number;
    readonly uid?: number;
    readonly gid?: number;
    readonly uname?: string;
    readonly gname?: string;
    /** Seconds since the epoch; 1_700_000_000 unless given. */
    readonly mtime?: number;
    readonly linkTarget?: string;
    /** Writes uid and gid in GNU base-256 form, as GNU tar does for ids above 2097151. */
    readonly base256Ids?: boolean;
}

const TYPEFLAG = { file: "0", hardlink: "1", symlink: "2", directory: "5" } as const;

/** The archive of `files`, in order, with the two zero blocks that end it. */
export function tarArchive(files: readonly TarFile[]): Buffer {
    const blocks: Buffer[] = [];
    for (const f of files) {
        const type = f.type ?? (f.path.endsWith("/") ? "directory" : "file");
        const content = Buffer.from(f.content ?? "");
        const pax: string[] = [];
        if (Buffer.byteLength(f.path) > 100) {
            pax.push(paxRecord("path", f.path));
        }
        if (f.linkTarget && Buffer.byteLength(f.linkTarget) > 100) {
            pax.push(paxRecord("linkpath", f.linkTarget));
        }
        if (pax.length > 0) {
            const data = Buffer.from(pax.join(""));
            blocks.push(header({ path: "PaxHeaders/x", typeflag: "x", size: data.length }), padded(data));
        }
        blocks.push(
            header({
                path: f.path.slice(0, 100),
                typeflag: TYPEFLAG[type],
                size: type === "file" ? content.length : 0,
                mode: f.mode ?? (type === "directory" ? 0o755 : 0o644),
                uid: f.uid ?? 0,
                gid: f.gid ?? 0,
                uname: f.uname ?? "",
                gname: f.gname ?? "",
                mtime: f.mtime ?? 1_700_000_000,
                linkTarget: (f.linkTarget ?? "").slice(0, 100),
                base256Ids: f.base256Ids,
            }),
        );
        if (type === "file") {
            blocks.push(padded(content));
        }
    }
    blocks.push(Buffer.alloc(1024));
    return Buffer.concat(blocks);
}

interface Header {
    readonly path: string;
    readonly typeflag: string;
    readonly size: number;
    readonly mode?: number;
    readonly uid?: number;
    readonly gid?: number;
    readonly uname?: string;
    readonly gname?: string;
    readonly mtime?: number;
    readonly linkTarget?: string;
    readonly base256Ids?: boolean;
}

function header(h: Header): Buffer {
    const b = Buffer.alloc(512);
    b.write(h.path, 0, 100, "utf8");
    octal(b, 100, 8, h.mode ?? 0o644);
    (h.base256Ids ? base256 : octal)(b, 108, 8, h.uid ?? 0);
    (h.base256Ids ? base256 : octal)(b, 116, 8, h.gid ?? 0);
    octal(b, 124, 12, h.size);
    octal(b, 136, 12, h.mtime ?? 0);
    b.write(h.typeflag, 156, 1, "latin1");
    b.write(h.linkTarget ?? "", 157, 100, "utf8");
    b.write("ustar\u000000", 257, 8, "latin1");
    b.write(h.uname ?? "", 265, 32, "utf8");
    b.write(h.gname ?? "", 297, 32, "utf8");
    b.fill(0x20, 148, 156);
    let sum = 0;
    for (const byte of b) {
        sum += byte;
    }
    b.write(`${sum.toString(8).padStart(6, "0")}\u0000 `, 148, 8, "latin1");
    return b;
}

function octal(b: Buffer, at: number, length: number, value: number): void {
    b.write(`${value.toString(8).padStart(length - 1, "0")}\u0000`, at, length, "latin1");
}

function base256(b: Buffer, at: number, length: number, value: number): void {
    b[at] = 0x80;
    for (let i = length - 1, v = value; i > 0; i--, v = Math.floor(v / 256)) {
        b[at + i] = v % 256;
    }
}

function paxRecord(key: string, value: string): string {
    const body = ` ${key}=${value}\n`;
    let length = Buffer.byteLength(body) + 1;
    while (String(length).length + Buffer.byteLength(body) !== length) {
        length = String(length).length + Buffer.byteLength(body);
    }
    return `${length}${body}`;
}

function padded(data: Buffer): Buffer {
    return Buffer.concat([data, Buffer.alloc((512 - (data.length % 512)) % 512)]);
}
