import { short } from "../baseDrift";
import { ImageDifference, LayerDifference } from "./difference";
import { ChangedFile, FileChanges } from "./fileChanges";
import { FieldChange } from "./jsonChanges";
import { LayerFile } from "./layerFiles";

export interface FormatOptions {
    /** File lines shown per layer before "… and N more" (20 unless given). */
    readonly maxFilesPerLayer?: number;
}

/**
 * What differs between two images, as lines for a terminal: manifest and
 * config fields, then each layer that differs with its files. Identical
 * layers are named on one line; unchanged files are not shown.
 */
export function formatImageDifference(diff: ImageDifference, options: FormatOptions = {}): string[] {
    const max = options.maxFilesPerLayer ?? 20;
    if (diff.manifestDigestsEqual) {
        return [`images are identical: manifest ${short(diff.before.manifestDigest)}`];
    }
    const lines = [`manifest: ${short(diff.before.manifestDigest)} → ${short(diff.after.manifestDigest)}`];
    lines.push(...diff.manifestChanges.map(fieldLine));
    if (diff.configDigestsEqual) {
        lines.push(`config: identical (${short(diff.before.configDigest)})`);
    } else if (diff.configChanges.length === 0) {
        lines.push(`config: ${short(diff.before.configDigest)} → ${short(diff.after.configDigest)}, same fields encoded differently`);
    } else {
        lines.push(`config: ${diff.configChanges.length} field(s) differ`, ...diff.configChanges.map(fieldLine));
    }
    const count = diff.layers.length;
    if (diff.before.layerCount !== diff.after.layerCount) {
        lines.push(`layers: ${diff.before.layerCount} before, ${diff.after.layerCount} after`);
    }
    const identical = diff.layers.filter((l) => l.kind === "identical").map((l) => l.index + 1);
    if (identical.length > 0) {
        lines.push(`identical layer(s): ${identical.join(", ")} of ${count}`);
    }
    for (const layer of diff.layers) {
        if (layer.kind !== "identical") {
            lines.push(`layer ${layer.index + 1} of ${count} ${layerLine(layer)}`, ...capped(fileLines(layer), max));
            if (layer.kind === "changed" && isEmpty(layer.files)) {
                lines.push(
                    layer.entryOrderDiffers
                        ? "  the same entries and attributes, archived in another order"
                        : "  the same entries and attributes; the tars differ in what is not compared (extended attributes, device numbers, padding)",
                );
            }
        }
    }
    return lines;
}

/** Bytes in decimal units, as a terminal reader expects: `5 B`, `3.1 kB`, `412 MB`. */
export function humanSize(bytes: number): string {
    if (bytes < 1000) {
        return `${bytes} B`;
    }
    const units = ["kB", "MB", "GB", "TB"];
    let value = bytes / 1000;
    let unit = 0;
    while (value >= 999.5 && unit < units.length - 1) {
        value /= 1000;
        unit++;
    }
    return `${value < 99.95 ? value.toFixed(1) : value.toFixed(0)} ${units[unit]}`;
}

function fieldLine(change: FieldChange): string {
    return `  ${change.path}: ${change.before ?? "(absent)"} → ${change.after ?? "(absent)"}`;
}

function layerLine(layer: Exclude<LayerDifference, { kind: "identical" }>): string {
    switch (layer.kind) {
        case "recompressed": {
            const media = layer.before.mediaType === layer.after.mediaType ? "" : `; ${layer.before.mediaType} → ${layer.after.mediaType}`;
            return `(${short(layer.before.digest)} → ${short(layer.after.digest)}): same files, compressed differently${media}`;
        }
        case "changed": {
            const { added, removed, changed } = layer.files;
            return `(${short(layer.before.digest)} → ${short(layer.after.digest)}): ${added.length} added, ${removed.length} removed, ${changed.length} changed`;
        }
        case "only-before":
            return `(only before: ${short(layer.before.digest)}): ${layer.files.removed.length} removed`;
        case "only-after":
            return `(only after: ${short(layer.after.digest)}): ${layer.files.added.length} added`;
    }
}

function fileLines(layer: LayerDifference): string[] {
    return layer.kind === "identical" || layer.kind === "recompressed" ? [] : changeLines(layer.files);
}

function isEmpty(files: FileChanges): boolean {
    return files.added.length === 0 && files.removed.length === 0 && files.changed.length === 0;
}

/** Added, removed, then changed files; a change of mtime alone comes last, as it says least. */
function changeLines(files: FileChanges): string[] {
    const mtimeOnly = (c: ChangedFile) => c.attributes.length === 1 && c.attributes[0] === "mtime";
    return [
        ...files.added.map((f) => `+ ${f.path} (${what(f)})`),
        ...files.removed.map((f) => `- ${f.path} (${what(f)})`),
        ...files.changed.filter((c) => !mtimeOnly(c)).map(changedLine),
        ...files.changed.filter(mtimeOnly).map(changedLine),
    ];
}

function changedLine(c: ChangedFile): string {
    const { before: b, after: a } = c;
    const typeChanged = c.attributes.includes("type");
    const shape = b.type === "file" && a.type === "file" ? sizes(b.size, a.size) : typeChanged ? `${what(b)} → ${what(a)}` : kind(b.type);
    const details = c.attributes.flatMap((attribute): string[] => {
        switch (attribute) {
            case "type":
                return [];
            case "content":
                return ["content"];
            case "mode":
                return [`mode ${octal(b.mode)} → ${octal(a.mode)}`];
            case "owner":
                return [`owner ${owner(b)} → ${owner(a)}`];
            case "link":
                // A changed type already shows both targets.
                return typeChanged ? [] : [`link ${b.linkTarget ?? "(none)"} → ${a.linkTarget ?? "(none)"}`];
            case "mtime":
                return ["mtime"];
        }
    });
    return `~ ${c.path} (${[shape, details.join(", ")].filter((s) => s !== "").join("; ")})`;
}

/** What an entry is, with its size when it is a file and its target when it is a link. */
function what(f: LayerFile): string {
    switch (f.type) {
        case "file":
            return humanSize(f.size);
        case "symlink":
            return `symlink to ${f.linkTarget}`;
        case "hardlink":
            return `hard link to ${f.linkTarget}`;
        default:
            return kind(f.type);
    }
}

function kind(type: LayerFile["type"]): string {
    return type === "hardlink" ? "hard link" : type.replace("-", " ");
}

/** Both sizes, or one when equal; exact bytes when the rounded sizes would read the same. */
function sizes(before: number, after: number): string {
    if (before === after) {
        return humanSize(before);
    }
    const [b, a] = [humanSize(before), humanSize(after)];
    return b === a ? `${before} B → ${after} B` : `${b} → ${a}`;
}

function octal(mode: number): string {
    return mode.toString(8).padStart(4, "0");
}

function owner(f: LayerFile): string {
    const ids = `${f.uid}:${f.gid}`;
    return f.uname || f.gname ? `${f.uname}:${f.gname} (${ids})` : ids;
}

/** Indented, at most `max` of them, then how many were left out. */
function capped(lines: string[], max: number): string[] {
    const shown = lines.slice(0, Math.max(0, max)).map((l) => `  ${l}`);
    return lines.length > shown.length ? [...shown, `  … and ${lines.length - shown.length} more`] : shown;
}
