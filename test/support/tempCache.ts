import * as fs from "fs";
import * as os from "os";
import * as path from "path";

/**
 * Registers hooks that give each test of the suite an empty cache
 * directory of its own as $PINNED_CACHE, and put the variable back after.
 * Call inside `describe`; the returned function names the current one.
 */
export function useTempCache(prefix: string): () => string {
    let cache = "";
    let before: string | undefined;
    beforeEach(() => {
        cache = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
        before = process.env.PINNED_CACHE;
        process.env.PINNED_CACHE = cache;
    });
    afterEach(() => {
        if (before === undefined) {
            delete process.env.PINNED_CACHE;
        } else {
            process.env.PINNED_CACHE = before;
        }
        fs.rmSync(cache, { recursive: true, force: true });
    });
    return () => cache;
}
