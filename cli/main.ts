import { Context, createContext } from "../pipeline/context";
import { localClusterCheckDone, startLocalClusterCheck } from "../pipeline/cluster/target";
import { PROJECT_DIR } from "../pipeline/project/projectDir";
import { usageOf } from "./args";
import { COMMANDS } from "./commands";
import { reportError } from "./ui/output";
import { topLevelUsage } from "./usage";

/** Runs one command line; resolves to the process exit code. */
export async function main(argv: string[]): Promise<number> {
    const [name, ...args] = argv;
    if (name === undefined || name === "--help" || name === "-h" || name === "help") {
        process.stdout.write(`${await topLevelUsage()}\n`);
        return name === undefined ? 2 : 0;
    }
    const entry = COMMANDS.find((c) => c.name === name);
    if (!entry) {
        process.stderr.write(`pinned: unknown command "${name}"\n\n${await topLevelUsage()}\n`);
        return 2;
    }
    const { command } = await entry.load();
    // Asked for, help is an answer (stdout, exit 0), not a usage error.
    if (args.includes("--help") || args.includes("-h")) {
        process.stdout.write(`${usageOf(command.spec)}\n`);
        return 0;
    }
    let ctx: Context;
    try {
        // Every environment variable is checked before a command starts anything.
        ctx = createContext(PROJECT_DIR, process.env, { cluster: command.cluster });
    } catch (err) {
        return reportError(err, 1);
    }
    if (command.cluster) {
        // In the background while the command's workflow loads.
        startLocalClusterCheck(ctx);
    }
    const workflow = await command.load();
    await localClusterCheckDone();
    return command.run(args, ctx, workflow);
}
