import { ENV_USAGE, envCommand } from "./commands/env";
import { LINT_USAGE, lintCommand } from "./commands/lint";
import { PREVIEW_USAGE, previewCommand } from "./commands/preview";
import { RELEASE_USAGE, releaseCommand } from "./commands/release";
import { RELEASES_USAGE, releasesCommand } from "./commands/releases";
import { ROLLBACK_USAGE, rollbackCommand } from "./commands/rollback";
import { STATUS_USAGE, statusCommand } from "./commands/status";
import { TAG_USAGE, tagCommand } from "./commands/tag";
import { UP_USAGE, upCommand } from "./commands/up";
import { resolveEnvironment } from "../core/settings";
import { reportError } from "./ui/output";

const USAGE = `usage: pinned COMMAND [ARGS]

commands:
  env up|status|down|shell     the embedded local environment (engine, registry, …)
  lint [--strict] DOCKERFILE   check a recipe for unpinned inputs
  tag REF                      print the container tag for a git ref
  release                      tag HEAD as the next release of today and deploy it
  up [--release R]             build (once) and deploy a release by digest
  preview [--release R] [--markdown]
                               what an up would change: the engine's preview, digests, policy
  rollback [--to R]            redeploy an earlier release's digest (no build)
  status                       live Deployment vs the recorded digest (drift)
  releases [--json]            every release: commit, digest, deployed at, live

Run "pinned COMMAND --help" for details.`;

type Command = (args: string[]) => number | Promise<number>;

/** Each command, its usage, and whether it reaches a cluster (so KUBECONFIG is checked first). */
const COMMANDS: Record<string, { run: Command; usage: string; cluster?: boolean }> = {
    env: { run: envCommand, usage: ENV_USAGE },
    lint: { run: lintCommand, usage: LINT_USAGE },
    preview: { run: previewCommand, usage: PREVIEW_USAGE, cluster: true },
    release: { run: releaseCommand, usage: RELEASE_USAGE, cluster: true },
    releases: { run: releasesCommand, usage: RELEASES_USAGE, cluster: true },
    rollback: { run: rollbackCommand, usage: ROLLBACK_USAGE, cluster: true },
    status: { run: statusCommand, usage: STATUS_USAGE, cluster: true },
    tag: { run: tagCommand, usage: TAG_USAGE },
    up: { run: upCommand, usage: UP_USAGE, cluster: true },
};

/** Runs one command line; resolves to the process exit code. */
export async function main(argv: string[]): Promise<number> {
    const [name, ...args] = argv;
    if (name === undefined || name === "--help" || name === "-h" || name === "help") {
        process.stdout.write(`${USAGE}\n`);
        return name === undefined ? 2 : 0;
    }
    const command = COMMANDS[name];
    if (!command) {
        process.stderr.write(`pinned: unknown command "${name}"\n\n${USAGE}\n`);
        return 2;
    }
    // Asked for, help is an answer (stdout, exit 0), not a usage error.
    if (args.includes("--help") || args.includes("-h")) {
        process.stdout.write(`${command.usage}\n`);
        return 0;
    }
    try {
        // Every environment variable is checked before a command starts anything.
        resolveEnvironment(process.env, { cluster: command.cluster ?? false });
    } catch (err) {
        return reportError(err, 1);
    }
    return command.run(args);
}
