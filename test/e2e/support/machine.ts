import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { cacheDir } from "../../../pipeline/project/localEnvironment";

/**
 * A teammate's machine, as far as pinned can tell: a home of its own (its
 * own ~/.pulumi login state, the engine's plugins linked in as
 * `pinned env up` would have installed them), a cache of its own (every
 * entry of this machine's cache linked in, the built parts and the shared
 * passphrase among them, but not the lock files or the holders' proofs),
 * and, through the test's `pinnedAsync`, a hostname and a PID namespace of
 * its own. It shares with the others only what a team shares: the cluster,
 * the registry and the state store.
 */
export interface Machine {
    readonly name: string;
    readonly home: string;
    readonly cache: string;
    /** The environment its commands run with: its home and cache, and the shared state store. */
    readonly env: Record<string, string>;
    remove(): void;
}

export function newMachine(name: string): Machine {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), `pinned-${name}-home-`));
    fs.mkdirSync(path.join(home, ".pulumi"));
    fs.symlinkSync(path.join(os.homedir(), ".pulumi", "plugins"), path.join(home, ".pulumi", "plugins"));
    const cache = fs.mkdtempSync(path.join(os.tmpdir(), `pinned-${name}-cache-`));
    for (const entry of fs.readdirSync(cacheDir(process.env))) {
        if (entry !== "locks") {
            fs.symlinkSync(path.join(cacheDir(process.env), entry), path.join(cache, entry));
        }
    }
    return {
        name,
        home,
        cache,
        // PULUMI_BACKEND_URL empty: the test harness sets one per project; the team's store is chosen instead.
        env: { HOME: home, PINNED_CACHE: cache, PINNED_STATE: "store", PULUMI_BACKEND_URL: "", PULUMI_HOME: path.join(home, ".pulumi") },
        remove() {
            fs.rmSync(home, { recursive: true, force: true });
            fs.rmSync(cache, { recursive: true, force: true });
        },
    };
}
