import { LayerFile } from "./layerFiles";

/** What can differ between two files at one path; content covers size, which the entries carry. */
export type FileAttribute = "type" | "content" | "mode" | "owner" | "link" | "mtime";

/** One path in both layers whose entries differ. */
export interface ChangedFile {
    readonly path: string;
    readonly before: LayerFile;
    readonly after: LayerFile;
    /** In the order of FileAttribute; never empty. */
    readonly attributes: readonly FileAttribute[];
}

/** How the files of two layers differ, each list sorted by path. */
export interface FileChanges {
    readonly added: readonly LayerFile[];
    readonly removed: readonly LayerFile[];
    readonly changed: readonly ChangedFile[];
}

/** Compares two layers' files path by path. */
export function compareFiles(before: ReadonlyMap<string, LayerFile>, after: ReadonlyMap<string, LayerFile>): FileChanges {
    const added: LayerFile[] = [];
    const removed: LayerFile[] = [];
    const changed: ChangedFile[] = [];
    for (const [path, b] of before) {
        const a = after.get(path);
        if (!a) {
            removed.push(b);
            continue;
        }
        const attributes = differingAttributes(b, a);
        if (attributes.length > 0) {
            changed.push({ path, before: b, after: a, attributes });
        }
    }
    for (const [path, a] of after) {
        if (!before.has(path)) {
            added.push(a);
        }
    }
    return { added: byPath(added), removed: byPath(removed), changed: byPath(changed) };
}

/** The attributes in which two entries for one path differ. */
export function differingAttributes(b: LayerFile, a: LayerFile): FileAttribute[] {
    const found: FileAttribute[] = [];
    if (b.type !== a.type) {
        found.push("type");
    }
    // A file whose size differs was not hashed (see readLayerFiles): its content differs anyway.
    if (b.type === "file" && a.type === "file" && (b.size !== a.size || b.sha256 !== a.sha256)) {
        found.push("content");
    }
    if (b.mode !== a.mode) {
        found.push("mode");
    }
    if (b.uid !== a.uid || b.gid !== a.gid || b.uname !== a.uname || b.gname !== a.gname) {
        found.push("owner");
    }
    if (b.linkTarget !== a.linkTarget) {
        found.push("link");
    }
    if (b.mtime !== a.mtime) {
        found.push("mtime");
    }
    return found;
}

/** Sorted by path as bytes compare (not by locale), so the order is the same on every machine. */
function byPath<T extends { readonly path: string }>(items: T[]): T[] {
    return items.sort((x, y) => (x.path < y.path ? -1 : x.path > y.path ? 1 : 0));
}
