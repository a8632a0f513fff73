import { envCommand } from "./env";
import { lintCommand } from "./lint";
import { previewCommand } from "./preview";
import { releasesCommand } from "./releases";
import { rollbackCommand } from "./rollback";
import { statusCommand } from "./status";
import { tagCommand } from "./tag";
import { upCommand } from "./up";

const USAGE = `usage: pinned COMMAND [ARGS]

commands:
  env up|status|down           the embedded local environment (engine, registry, …)
  lint [--strict] DOCKERFILE   check a recipe for unpinned inputs
  tag REF                      print the container tag for a git ref
  up [--release R]             build (once) and deploy a release by digest
  preview [--release R] [--markdown]
                               what an up would change: image, digests, policy
  rollback [--to R]            redeploy an earlier release's digest (no build)
  status                       live Deployment vs the recorded digest (drift)
  releases [--json]            every release: commit, digest, deployed at, live

Run "pinned COMMAND --help" for details.`;

type Command = (args: string[]) => number | Promise<number>;

const COMMANDS: Record<string, Command> = {
    env: envCommand,
    lint: lintCommand,
    preview: previewCommand,
    releases: releasesCommand,
    rollback: rollbackCommand,
    status: statusCommand,
    tag: tagCommand,
    up: upCommand,
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
    return command(args);
}
