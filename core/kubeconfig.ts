import * as fs from "fs";
import * as path from "path";
import * as yaml from "js-yaml";
import { ConfigError } from "./errors";

/** The environment variable that lets a stack file's kubeconfig run commands (set outside the stack file). */
export const ALLOW_KUBECONFIG_COMMANDS = "PINNED_ALLOW_KUBECONFIG_COMMANDS";

/** A kubeconfig value is a path when it is one line that does not start a YAML or JSON document. */
export function isKubeconfigPath(value: string): boolean {
    return !/[\n{]/.test(value) && !/^\s*(apiVersion|kind|clusters|users|contexts|current-context)\s*:/.test(value);
}

interface KubeconfigUser {
    name?: unknown;
    user?: { exec?: { command?: unknown }; "auth-provider"?: { name?: unknown } };
}

/**
 * What a kubeconfig would run on the machine that uses it: every exec
 * credential plugin (its command) and auth provider (its name), by user.
 * kubectl, client-go and the Kubernetes provider all run them.
 */
export function commandsIn(contents: string): string[] {
    let doc: unknown;
    try {
        doc = yaml.load(contents);
    } catch {
        return []; // not YAML: kubectl refuses it with its own message
    }
    const users = (doc as { users?: unknown } | null)?.users;
    if (!Array.isArray(users)) {
        return [];
    }
    return (users as KubeconfigUser[]).flatMap((u) => {
        const who = `user ${typeof u.name === "string" ? u.name : "?"}`;
        return [
            ...(u.user?.exec ? [`${who}: exec plugin ${String(u.user.exec.command ?? "?")}`] : []),
            ...(u.user?.["auth-provider"] ? [`${who}: auth provider ${String(u.user["auth-provider"].name ?? "?")}`] : []),
        ];
    });
}

/**
 * The stack file's `pinned:kubeconfig`, checked: a stack file comes with the
 * code (a pull request can change it), so a kubeconfig in it that runs
 * commands on this machine is refused unless whoever runs pinned allows it
 * in their own environment. A path must name a file.
 */
export function checkedKubeconfig(
    value: string | undefined,
    env: Readonly<Record<string, string | undefined>>,
    projectDir: string,
): string | undefined {
    if (value === undefined) {
        return undefined;
    }
    let contents = value;
    if (isKubeconfigPath(value)) {
        const file = path.resolve(projectDir, value);
        if (!fs.existsSync(file)) {
            throw new ConfigError(
                `pinned:kubeconfig names ${value}, which does not exist.`,
                "set it to your cluster's kubeconfig file or its contents, or remove it to use KUBECONFIG or the embedded cluster.",
            );
        }
        contents = fs.readFileSync(file, "utf8");
    }
    const commands = commandsIn(contents);
    if (commands.length > 0 && env[ALLOW_KUBECONFIG_COMMANDS] !== "1") {
        throw new ConfigError(
            `pinned:kubeconfig runs commands on this machine (${commands.join("; ")}); a stack file comes with the code, so pinned does not run them.`,
            `use a kubeconfig with a token or a client certificate, or, if you trust it, set ${ALLOW_KUBECONFIG_COMMANDS}=1 in your own environment (never in a stack file).`,
        );
    }
    return value;
}
