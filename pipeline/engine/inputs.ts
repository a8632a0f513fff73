import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

/**
 * What the engine loads besides the program's own sources, for the no-op
 * proof's inputs (workflow/noopProof.ts): the provider plugins and the program's
 * installed dependencies.
 *
 * Both are hashed by each file's path, size, mtime and ctime, not by
 * content. Any write, rename over or `touch` of a file changes its ctime,
 * and no user can set a ctime back, so a changed file shows; reading the
 * content would cost far more on every no-op `pinned up`. Measured on this
 * project's machine (2 cores): the two plugin binaries (240 MiB) take
 * 0.4–0.5 s to read and hash; the 11,846 files of the 283 packages the
 * program may load take 0.13 s to stat (content: 0.6 s warm, 2.7 s cold).
 */

/**
 * The plugins the engine can load: every file of every plugin directory in
 * the plugin cache ($PULUMI_HOME/plugins, ~/.pulumi/plugins by default).
 * pinned runs the engine with PULUMI_IGNORE_AMBIENT_PLUGINS, so it loads
 * providers from there only, not from PATH or from the copies under the
 * pinned cache's providers/ that `pinned env up` installs them from.
 */
export function pluginsFingerprint(env: Record<string, string | undefined>): string {
    const root = path.join(env.PULUMI_HOME || path.join(os.homedir(), ".pulumi"), "plugins");
    const hash = crypto.createHash("sha256").update(`plugins\0${root}\0`);
    const dirs = fs.existsSync(root) ? fs.readdirSync(root, { withFileTypes: true }).filter((e) => e.isDirectory()) : [];
    for (const dir of dirs.map((d) => d.name).sort()) {
        for (const file of fs.readdirSync(path.join(root, dir)).sort()) {
            hash.update(fileIdentity(path.join(root, dir, file), path.join(dir, file)));
        }
    }
    return hash.digest("hex");
}

/**
 * The installed packages the program may load: every package npm records
 * in node_modules/.package-lock.json as not dev-only (dev-only ones, the
 * linters and test runners, never run in the engine), each file of it.
 * A package npm does not list there is not found by the program either.
 */
export function dependenciesFingerprint(projectDir: string): string {
    const modules = path.join(projectDir, "node_modules");
    const hash = crypto.createHash("sha256").update("dependencies\0");
    let lock: { packages?: Record<string, { dev?: boolean; link?: boolean }> };
    try {
        lock = JSON.parse(fs.readFileSync(path.join(modules, ".package-lock.json"), "utf8")) as typeof lock;
    } catch {
        return hash.update("no node_modules/.package-lock.json").digest("hex");
    }
    const packages = Object.entries(lock.packages ?? {})
        .filter(([where, p]) => where !== "" && !p.dev && !p.link)
        .map(([where]) => where)
        .sort();
    for (const where of packages) {
        hashPackage(projectDir, where, hash);
    }
    return hash.digest("hex");
}

/** Each file of one package, in a stable order; a nested node_modules is its own packages' entry. */
function hashPackage(projectDir: string, dir: string, into: crypto.Hash): void {
    const full = path.join(projectDir, dir);
    let entries: fs.Dirent[];
    try {
        entries = fs.readdirSync(full, { withFileTypes: true });
    } catch {
        into.update(`${dir}\0missing\0`);
        return;
    }
    for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
        const rel = path.join(dir, e.name);
        if (e.isDirectory()) {
            if (e.name !== "node_modules") {
                hashPackage(projectDir, rel, into);
            }
        } else {
            into.update(fileIdentity(path.join(projectDir, rel), rel));
        }
    }
}

/** A file's name, size, mtime and ctime (nanoseconds), or that it is missing. */
function fileIdentity(file: string, shown: string): string {
    const s = fs.statSync(file, { bigint: true, throwIfNoEntry: false });
    return s ? `${shown}\0${s.size}\0${s.mtimeNs}\0${s.ctimeNs}\0` : `${shown}\0missing\0`;
}
