import * as fs from "fs";
import * as path from "path";
import { BaseState } from "../../core/baseImage";

/**
 * What this machine's base mirror (scripts/env/base-image.sh) recorded of
 * every base it built: `history.tsv` (digest, Debian version, package list
 * digest, day) and `packages/<digest>.tsv` (name, version). Read to explain
 * a recipe's drift; empty on a machine whose mirror built nothing. `cache`:
 * the cache folder (the context's).
 */
export function mirrorHistory(cache: string): (digest: string) => BaseState | undefined {
    const root = path.join(cache, "base-image");
    const states = new Map<string, BaseState & { dir: string }>();
    const dirs = fs.existsSync(root) ? fs.readdirSync(root, { withFileTypes: true }).filter((d) => d.isDirectory()) : [];
    for (const dir of dirs) {
        const file = path.join(root, dir.name, "history.tsv");
        if (!fs.existsSync(file)) {
            continue;
        }
        for (const line of fs.readFileSync(file, "utf8").split("\n")) {
            const [digest, debianVersion, packages, builtOn] = line.split("\t");
            if (digest?.startsWith("sha256:")) {
                states.set(digest, { debianVersion, packages, builtOn, dir: path.join(root, dir.name) });
            }
        }
    }
    return (digest) => {
        const state = states.get(digest);
        if (!state) {
            return undefined;
        }
        const { dir, ...rest } = state;
        const list = path.join(dir, "packages", `${digest.replace(/^sha256:/, "")}.tsv`);
        return fs.existsSync(list) ? { ...rest, packageList: readPackageList(list) } : rest;
    };
}

function readPackageList(file: string): Map<string, string> {
    const list = new Map<string, string>();
    for (const line of fs.readFileSync(file, "utf8").split("\n")) {
        const [name, version] = line.split("\t");
        if (name && version) {
            list.set(name, version);
        }
    }
    return list;
}
