import { createHash } from "crypto";
import { Readable } from "stream";
import { pipeline } from "stream/promises";
import { createGunzip } from "zlib";
import { TarEntryType, TarReader } from "./tar";

/** One file of a layer as the diff compares it. */
export interface LayerFile {
    /** Normalised: no leading `./` or `/`, no trailing `/`; the layer's root is `.`. */
    readonly path: string;
    readonly type: TarEntryType;
    /** Bytes of content; 0 for what is not a regular file. */
    readonly size: number;
    /** Permission bits with setuid, setgid and sticky. */
    readonly mode: number;
    readonly uid: number;
    readonly gid: number;
    readonly uname: string;
    readonly gname: string;
    /** Seconds since the epoch. */
    readonly mtime: number;
    /** A symlink's target or a hard link's (normalised) path; absent for other entries. */
    readonly linkTarget?: string;
    /** `sha256:…` of a regular file's content; absent when not hashed (see readLayerFiles). */
    readonly sha256?: string;
}

/** How a layer blob's bytes are compressed, from its media type; undefined for one this reader cannot open. */
export function layerCompression(mediaType: string): "gzip" | "none" | undefined {
    if (/tar[+.]gzip$/.test(mediaType)) {
        return "gzip";
    }
    if (/[.]tar$/.test(mediaType)) {
        return "none";
    }
    return undefined;
}

/**
 * The files of a layer, in archive order (an entry written twice keeps its
 * first place and its last header, as extraction would leave it). The blob
 * is read as a stream: only the headers and a hash per file are kept.
 * `hash` says which regular files to hash (all by default); a caller that
 * knows a file differs already (its size does) can spare the work.
 */
export async function readLayerFiles(
    blob: AsyncIterable<Buffer>,
    compression: "gzip" | "none",
    hash: (path: string, size: number) => boolean = () => true,
): Promise<Map<string, LayerFile>> {
    const files = new Map<string, LayerFile>();
    const reader = new TarReader((entry) => {
        const path = normalise(entry.path);
        const base = {
            path,
            type: entry.type,
            size: entry.type === "file" ? entry.size : 0,
            mode: entry.mode,
            uid: entry.uid,
            gid: entry.gid,
            uname: entry.uname,
            gname: entry.gname,
            mtime: entry.mtime,
        };
        const linkTarget =
            entry.type === "hardlink" ? normalise(entry.linkTarget) : entry.type === "symlink" ? entry.linkTarget : undefined;
        const file: LayerFile = linkTarget === undefined ? base : { ...base, linkTarget };
        files.set(path, file);
        if (entry.type !== "file" || !hash(path, entry.size)) {
            return undefined;
        }
        const sha = createHash("sha256");
        return {
            data: (chunk) => sha.update(chunk),
            end: () => files.set(path, { ...file, sha256: `sha256:${sha.digest("hex")}` }),
        };
    });
    if (compression === "gzip") {
        await pipeline(Readable.from(blob), createGunzip(), async (tar: AsyncIterable<Buffer>) => {
            for await (const chunk of tar) {
                reader.push(chunk);
            }
        });
    } else {
        for await (const chunk of blob) {
            reader.push(chunk);
        }
    }
    reader.end();
    return files;
}

/** The same file however the archive spells it: `./usr/bin/` and `usr/bin` are one path. */
export function normalise(path: string): string {
    const trimmed = path.replace(/^(?:\.?\/)+/, "").replace(/\/+$/, "");
    return trimmed === "" || trimmed === "." ? "." : trimmed;
}
