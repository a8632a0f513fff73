import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Env } from "../../core/env";
import { createContext } from "../../pipeline/context";
import { PROJECT_DIR } from "../../pipeline/project/projectDir";

/**
 * PINNED_CACHE (and the XDG_CACHE_HOME and HOME under it) mean the same to
 * the TypeScript (the context's cacheDir) and to the shell scripts
 * (scripts/env/lib.sh's CACHE): an empty value counts as unset in both.
 * Each case runs the script's own line in bash with the very environment
 * the context is made from.
 */
describe("the cache folder: the same in TypeScript and in scripts/env/lib.sh", () => {
    let home: string;
    beforeEach(() => (home = fs.mkdtempSync(path.join(os.tmpdir(), "pinned-cache-rule-"))));
    afterEach(() => fs.rmSync(home, { recursive: true, force: true }));

    /** CACHE as lib.sh sets it when sourced with `env` (it also makes $CACHE/bin, inside `home` here). */
    function shellCache(env: Env): string {
        const r = spawnSync("bash", ["-c", 'source scripts/env/lib.sh; printf %s "$CACHE"'], {
            cwd: PROJECT_DIR,
            env: Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined)),
            encoding: "utf8",
        });
        assert.strictEqual(r.status, 0, r.stderr);
        return r.stdout;
    }

    const cases: Array<[string, (home: string) => Env]> = [
        ["PINNED_CACHE and XDG_CACHE_HOME unset: ~/.cache/pinned", () => ({})],
        ["PINNED_CACHE empty: as unset", () => ({ PINNED_CACHE: "" })],
        ["PINNED_CACHE an absolute path: that path", (h) => ({ PINNED_CACHE: path.join(h, "my cache") })],
        ["XDG_CACHE_HOME set: its pinned/", (h) => ({ XDG_CACHE_HOME: path.join(h, "xdg") })],
        ["XDG_CACHE_HOME empty: as unset", () => ({ XDG_CACHE_HOME: "" })],
        ["PINNED_CACHE empty and XDG_CACHE_HOME set: XDG's", (h) => ({ PINNED_CACHE: "", XDG_CACHE_HOME: path.join(h, "xdg") })],
        ["PINNED_CACHE over XDG_CACHE_HOME", (h) => ({ PINNED_CACHE: path.join(h, "mine"), XDG_CACHE_HOME: path.join(h, "xdg") })],
    ];
    for (const [name, settings] of cases) {
        it(name, () => {
            const env: Env = { PATH: process.env.PATH, HOME: home, ...settings(home) };
            const ts = createContext(PROJECT_DIR, env, { cluster: false }).cacheDir;
            assert.strictEqual(ts, shellCache(env));
            assert.ok(ts.startsWith(home), `${ts} is under the test's own folders`);
        });
    }

    it("the default is ~/.cache/pinned of the given HOME, not the test process's", () => {
        assert.strictEqual(createContext(PROJECT_DIR, { HOME: home }, { cluster: false }).cacheDir, path.join(home, ".cache", "pinned"));
    });
});
