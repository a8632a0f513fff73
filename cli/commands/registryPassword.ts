import * as fs from "fs";
import { PinnedError } from "../../core/errors";
import { parseReleaseName } from "../../core/git/releaseName";
import { bindPassword } from "../../core/registryLogin";
import { projectWorkspace, setSecretConfig } from "../../release/engine/workspace";
import { readReleaseRecord } from "../../release/project/stackFile";
import { CommandSpec, parseCommandLine, usageOf } from "../args";
import { reportError } from "../ui/output";
import { PROJECT_DIR } from "../../release/project/projectDir";

export const REGISTRY_PASSWORD_COMMAND: CommandSpec = {
    name: "registry-password",
    options: {
        release: { type: "string", value: "R", help: "the release whose stack gets the password", required: true },
        pull: { type: "boolean", help: "the cluster's pull-only password (pinned:registryPullPassword)" },
    },
    description: `Reads a registry password from stdin and sets it as release R's secret
pinned:registryPassword (or, with --pull, pinned:registryPullPassword),
bound to the registry R's stack file names (pinned:registry): pinned sends
it to that registry only, and refuses the stack if pinned:registry is later
changed. Example: printf '%s' "$PASSWORD" | npx pinned registry-password --release R`,
};
export const REGISTRY_PASSWORD_USAGE = usageOf(REGISTRY_PASSWORD_COMMAND);

export async function registryPasswordCommand(args: string[]): Promise<number> {
    const line = parseCommandLine(REGISTRY_PASSWORD_COMMAND, args);
    if (!line || typeof line.values.release !== "string") {
        process.stderr.write(`${REGISTRY_PASSWORD_USAGE}\n`);
        return 2;
    }
    try {
        const release = parseReleaseName(line.values.release);
        const key = line.values.pull === true ? "pinned:registryPullPassword" : "pinned:registryPassword";
        const registry = readReleaseRecord(release, PROJECT_DIR)?.config["pinned:registry"]?.value;
        if (!registry) {
            throw new PinnedError(
                `stacks/Pulumi.${release}.yaml names no pinned:registry, so there is no registry to bind the password to.`,
                `set it first: pulumi config set pinned:registry HOST[:PORT] --stack ${release}.`,
            );
        }
        if (process.stdin.isTTY) {
            // A terminal would echo the password as it is typed.
            throw new PinnedError(
                "the password is read from stdin, which is a terminal here.",
                `pipe it in: printf '%s' "$PASSWORD" | npx pinned registry-password --release ${release}.`,
            );
        }
        const password = fs.readFileSync(0, "utf8").replace(/\r?\n$/, "");
        if (password === "") {
            throw new PinnedError(
                "stdin held no password.",
                `pipe it in: printf '%s' "$PASSWORD" | npx pinned registry-password --release ${release}.`,
            );
        }
        // Through stdin to the engine too: never on a command line.
        await setSecretConfig(await projectWorkspace(), release, key, bindPassword(registry, password));
        process.stdout.write(`${key} of release ${release} is set, bound to registry ${registry}\n`);
        return 0;
    } catch (err) {
        return reportError(err, 1);
    }
}
