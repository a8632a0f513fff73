import { spawnSync } from "child_process";
import * as path from "path";
import { localStore } from "../../core/localCache";
import type { Context } from "../../pipeline/context";
import { formatShellSettings, shellSettings } from "../../pipeline/project/envShell";
import { CommandSpec, parseCommandLine } from "../args";
import { Command, usageError } from "../command";
import { paint, reportError } from "../ui/output";
import { cacheDir } from "../../core/localCache";

/**
 * The parts of the embedded local environment, in the order they start.
 * Each is a script in scripts/env/ with up/status/down; this command only
 * sequences them and times them.
 */
export const PARTS = [
    "docker",
    "registry",
    "store",
    "base-image",
    "builder",
    "package-mirror",
    "signing",
    "pulumi",
    "provider-kubernetes",
    "provider-docker",
    "cluster",
    "node",
] as const;

const spec: CommandSpec = {
    name: "env",
    positionals: { name: "ACTION", min: 1, max: 1 + PARTS.length, shown: "up|status|down|shell [PART...]" },
    description: `  up      install, build (cached) and start what is missing; idempotent
  status  one line per part: version, where it runs, healthy or not
  down    stop what "up" started, put back the host settings it changed;
          caches are kept
  shell   print the settings to drive pulumi and kubectl by hand here:
          eval "$(npx pinned env shell)"

parts (all when none is named): ${PARTS.join(", ")}`,
};
export const command: Command<void> = {
    spec,
    summary: "the embedded local environment (engine, registry, …)",
    cluster: false,
    // Nothing more to load: the parts are scripts in scripts/env/.
    load: () => Promise.resolve(),
    run: (args, ctx) => runEnv(args, ctx),
};

function runEnv(args: string[], ctx: Context): number {
    const [action, ...only] = parseCommandLine(spec, args)?.positionals ?? [];
    if (action === "shell" && only.length === 0) {
        try {
            process.stdout.write(`${formatShellSettings(shellSettings(ctx))}\n${teamHint(ctx.env)}`);
        } catch (err) {
            return reportError(err, 1);
        }
        return 0;
    }
    if (!["up", "status", "down"].includes(action ?? "") || only.some((p) => !(PARTS as readonly string[]).includes(p))) {
        return usageError(spec);
    }
    const parts = only.length > 0 ? only : action === "down" ? [...PARTS].reverse() : [...PARTS];
    let failed = 0;
    const started = Date.now();
    for (const part of parts) {
        const t0 = Date.now();
        const script = path.join(ctx.projectDir, "scripts", "env", `${part}.sh`);
        const result = spawnSync("bash", [script, action], { stdio: "inherit", cwd: ctx.projectDir });
        const seconds = ((Date.now() - t0) / 1000).toFixed(1);
        if (result.status !== 0) {
            failed++;
            if (action === "up") {
                process.stderr.write(
                    `${paint(process.stderr, "red", "error:")} env up stopped at ${part} after ${seconds}s; ` +
                        `fix the error above and run "pinned env up" again — finished parts are kept.\n`,
                );
                return 1;
            }
        } else if (action === "up") {
            process.stdout.write(`${paint(process.stdout, "dim", `${part}: ready (${seconds}s)`)}\n`);
        }
    }
    if (action === "up") {
        process.stdout.write(`env up: all parts ready in ${((Date.now() - started) / 1000).toFixed(1)}s\n`);
    }
    return failed === 0 ? 0 : 1;
}

/**
 * The team path, one setting away, as a comment the shell ignores: shown
 * while state is in the project's .pulumi/ directory and the embedded store runs.
 */
function teamHint(env: Context["env"]): string {
    if (env.PULUMI_BACKEND_URL || env.PINNED_STATE === "store" || !localStore(cacheDir(env))) {
        return "";
    }
    return (
        "# state is in this clone's .pulumi/ directory; to share releases with a team, export PINNED_STATE=store " +
        "(this machine's store) or PULUMI_BACKEND_URL=s3://… (the team's; README \"For a team\")\n"
    );
}
