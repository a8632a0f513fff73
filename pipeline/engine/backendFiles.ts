import * as fs from "fs";
import * as path from "path";

/**
 * What pinned reads straight from a file:// backend's files, where asking
 * the engine would cost a `pulumi` run: for any other backend, or a layout
 * it does not know, the functions here answer undefined and the caller asks
 * the engine instead.
 */

/** The directory of a file:// backend (`file://DIR?options`), or undefined for any other backend. */
export function fileBackendDir(backendUrl: string): string | undefined {
    return backendUrl.startsWith("file://") ? backendUrl.slice("file://".length).replace(/\?.*$/, "") : undefined;
}

/**
 * Where a file:// backend keeps the checkpoints of `project`'s stacks
 * (layout version 1: `.pulumi/stacks/<project>/`); "none yet" when the
 * backend has not been written to; undefined for anything else.
 */
function projectStacksDir(backendUrl: string, project: string): string | "none yet" | undefined {
    const dir = fileBackendDir(backendUrl);
    if (dir === undefined) {
        return undefined;
    }
    const root = path.join(dir, ".pulumi");
    if (!fs.existsSync(root)) {
        return "none yet";
    }
    const meta = fs.existsSync(path.join(root, "meta.yaml")) ? fs.readFileSync(path.join(root, "meta.yaml"), "utf8") : "";
    return /^version: 1\s*$/m.test(meta) ? path.join(root, "stacks", project) : undefined;
}

/**
 * When each stack was last updated, from its checkpoint
 * (`latest.manifest.time`, the value `pulumi stack ls` reports there):
 * `pinned releases` answers in well under a second this way.
 */
export function lastUpdatesFromBackendFiles(backendUrl: string, project: string): Map<string, string> | undefined {
    const dir = projectStacksDir(backendUrl, project);
    if (dir === undefined) {
        return undefined;
    }
    const updates = new Map<string, string>();
    if (dir === "none yet" || !fs.existsSync(dir)) {
        return updates;
    }
    for (const file of fs.readdirSync(dir)) {
        if (file.endsWith(".json.gz")) {
            return undefined; // compressed checkpoints: the engine reads those
        }
        if (!file.endsWith(".json")) {
            continue; // .bak and .attrs files
        }
        const checkpoint = JSON.parse(fs.readFileSync(path.join(dir, file), "utf8")) as {
            checkpoint?: { latest?: { manifest?: { time?: string } } };
        };
        const time = checkpoint.checkpoint?.latest?.manifest?.time;
        if (time && !time.startsWith("0001-")) {
            updates.set(file.slice(0, -".json".length), new Date(time).toISOString());
        }
    }
    return updates;
}

/** Whether the backend holds `stack`: its checkpoint file exists, plain or gzip (instead of `pulumi stack ls`). */
export function stackInBackendFiles(backendUrl: string, project: string, stack: string): boolean | undefined {
    const dir = projectStacksDir(backendUrl, project);
    if (dir === undefined) {
        return undefined;
    }
    if (dir === "none yet") {
        return false;
    }
    const base = path.join(dir, `${stack}.json`);
    return fs.existsSync(base) || fs.existsSync(`${base}.gz`);
}

/**
 * The text of `stack`'s checkpoint in a file:// backend; undefined for any
 * other backend or layout, a compressed checkpoint, or no checkpoint.
 */
export function checkpointText(backendUrl: string, project: string, stack: string): string | undefined {
    const dir = projectStacksDir(backendUrl, project);
    if (dir === undefined || dir === "none yet") {
        return undefined;
    }
    const file = path.join(dir, `${stack}.json`);
    return fs.existsSync(file) ? fs.readFileSync(file, "utf8") : undefined;
}
