import { resolveEnvironment } from "../core/settings";
import { localClusterCheckDone, startLocalClusterCheck } from "../release/cluster/target";
import { reportError } from "./ui/output";
import { cacheDir } from "../core/localCache";

const USAGE = `usage: pinned COMMAND [ARGS]

commands:
  env up|status|down|shell     the embedded local environment (engine, registry, …)
  lint [--strict] DOCKERFILE   check a recipe for unpinned inputs
  base update [--commit] [DOCKERFILE]
                               re-pin the recipe's base images to the registry's current digests
  tag REF                      print the container tag for a git ref
  release                      tag HEAD as the next release of today and deploy it
  up [--release R]             build (once) and deploy a release by digest
  preview [--release R] [--markdown]
                               what an up would change: the engine's preview, digests, policy
  rollback [--to R]            redeploy an earlier release's digest (no build)
  status                       live Deployment vs the recorded digest (drift)
  releases [--json]            every release: commit, digest, deployed at, verified, live
  verify R                     rebuild release R and compare it with its recorded digest
  registry-password --release R [--pull]
                               set R's registry password from stdin, bound to its registry

Run "pinned COMMAND --help" for details.`;

type Command = (args: string[]) => number | Promise<number>;

/**
 * Each command: its module, loaded only when it runs (a command that only
 * reads, like lint or status, then never loads the Pulumi SDK), and
 * whether it reaches a cluster (so KUBECONFIG is checked first).
 */
const COMMANDS: Record<string, { load: () => Promise<{ run: Command; usage: string }>; cluster?: boolean }> = {
    base: { load: () => import("./commands/base").then((m) => ({ run: m.baseCommand, usage: m.BASE_USAGE })) },
    env: { load: () => import("./commands/env").then((m) => ({ run: m.envCommand, usage: m.ENV_USAGE })) },
    lint: { load: () => import("./commands/lint").then((m) => ({ run: m.lintCommand, usage: m.LINT_USAGE })) },
    preview: {
        load: () => import("./commands/preview").then((m) => ({ run: m.previewCommand, usage: m.PREVIEW_USAGE })),
        cluster: true,
    },
    release: {
        load: () => import("./commands/release").then((m) => ({ run: m.releaseCommand, usage: m.RELEASE_USAGE })),
        cluster: true,
    },
    releases: {
        load: () => import("./commands/releases").then((m) => ({ run: m.releasesCommand, usage: m.RELEASES_USAGE })),
        cluster: true,
    },
    rollback: {
        load: () => import("./commands/rollback").then((m) => ({ run: m.rollbackCommand, usage: m.ROLLBACK_USAGE })),
        cluster: true,
    },
    status: {
        load: () => import("./commands/status").then((m) => ({ run: m.statusCommand, usage: m.STATUS_USAGE })),
        cluster: true,
    },
    "registry-password": {
        load: () =>
            import("./commands/registryPassword").then((m) => ({ run: m.registryPasswordCommand, usage: m.REGISTRY_PASSWORD_USAGE })),
    },
    verify: {
        load: () => import("./commands/verify").then((m) => ({ run: m.verifyCommand, usage: m.VERIFY_USAGE })),
        cluster: false,
    },
    tag: { load: () => import("./commands/tag").then((m) => ({ run: m.tagCommand, usage: m.TAG_USAGE })) },
    up: { load: () => import("./commands/up").then((m) => ({ run: m.upCommand, usage: m.UP_USAGE })), cluster: true },
};

/** Runs one command line; resolves to the process exit code. */
export async function main(argv: string[]): Promise<number> {
    const [name, ...args] = argv;
    if (name === undefined || name === "--help" || name === "-h" || name === "help") {
        process.stdout.write(`${USAGE}\n`);
        return name === undefined ? 2 : 0;
    }
    const entry = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
    if (!entry) {
        process.stderr.write(`pinned: unknown command "${name}"\n\n${USAGE}\n`);
        return 2;
    }
    if (entry.cluster && !args.includes("--help") && !args.includes("-h")) {
        // In the background while the command's modules load.
        startLocalClusterCheck({ env: process.env, cacheDir: cacheDir(process.env) });
    }
    const command = await entry.load();
    // Asked for, help is an answer (stdout, exit 0), not a usage error.
    if (args.includes("--help") || args.includes("-h")) {
        process.stdout.write(`${command.usage}\n`);
        return 0;
    }
    await localClusterCheckDone();
    try {
        // Every environment variable is checked before a command starts anything.
        resolveEnvironment(process.env, { cluster: entry.cluster ?? false });
    } catch (err) {
        return reportError(err, 1);
    }
    return command.run(args);
}
