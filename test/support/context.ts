import { Env } from "../../core/env";
import { cacheDir } from "../../core/localCache";
import { Context } from "../../pipeline/context";
import { kubectlFor } from "../../pipeline/cluster/kubectl";
import { PROJECT_DIR } from "../../pipeline/project/projectDir";

/**
 * A context for a test: the project `projectDir` (this repository unless
 * given) and the environment `env` (the test process's own unless given),
 * its cache folder found by the same rule as the command line's and the
 * kubectl runner bound to it, as createContext makes them. Made when
 * called, so a suite's beforeEach (useTempCache) is seen. No checked
 * settings: the actions under test read none.
 */
export function testContext(env: Env = process.env, projectDir = PROJECT_DIR): Context {
    return { projectDir, env, settings: {}, cacheDir: cacheDir(env), kubectl: kubectlFor(env) };
}
