import * as fs from "fs";
import * as path from "path";

/**
 * When each stack was last updated, read straight from a file:// backend's
 * checkpoints (`latest.manifest.time`, the value `pulumi stack ls` reports
 * there), without starting the engine: `pinned releases` answers in well
 * under a second this way. Undefined for any other backend or layout, and
 * the caller asks the engine instead.
 */
export function lastUpdatesFromBackendFiles(backendUrl: string, project: string): Map<string, string> | undefined {
    if (!backendUrl.startsWith("file://")) {
        return undefined;
    }
    const root = path.join(backendUrl.slice("file://".length).replace(/\?.*$/, ""), ".pulumi");
    // Layout version 1 keeps stacks per project; anything else is left to the engine.
    const meta = fs.existsSync(path.join(root, "meta.yaml")) ? fs.readFileSync(path.join(root, "meta.yaml"), "utf8") : "";
    if (!/^version: 1\s*$/m.test(meta)) {
        return fs.existsSync(root) ? undefined : new Map();
    }
    const dir = path.join(root, "stacks", project);
    const updates = new Map<string, string>();
    if (!fs.existsSync(dir)) {
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

/**
 * Whether a file:// backend holds `stack`, read from its files (a checkpoint
 * `stacks/<project>/<stack>.json`, plain or gzip) rather than asked of the
 * engine (`pulumi stack ls`). Undefined for any other backend or layout.
 */
export function stackInBackendFiles(backendUrl: string, project: string, stack: string): boolean | undefined {
    if (!backendUrl.startsWith("file://")) {
        return undefined;
    }
    const root = path.join(backendUrl.slice("file://".length).replace(/\?.*$/, ""), ".pulumi");
    if (!fs.existsSync(root)) {
        return false;
    }
    const meta = fs.existsSync(path.join(root, "meta.yaml")) ? fs.readFileSync(path.join(root, "meta.yaml"), "utf8") : "";
    if (!/^version: 1\s*$/m.test(meta)) {
        return undefined;
    }
    const base = path.join(root, "stacks", project, `${stack}.json`);
    return fs.existsSync(base) || fs.existsSync(`${base}.gz`);
}
