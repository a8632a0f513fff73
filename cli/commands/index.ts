import { Command } from "../command";

/** A command by the name typed after `pinned`, and its module, loaded only when it is needed. */
export interface CommandEntry {
    readonly name: string;
    readonly load: () => Promise<{ readonly command: Command }>;
}

/**
 * Every `pinned` command, in the order the top-level usage lists them. A
 * new command is its file in this folder (exporting `command`) and one
 * line here; a run loads only the module of the command it runs.
 */
export const COMMANDS: readonly CommandEntry[] = [
    { name: "env", load: () => import("./env") },
    { name: "lint", load: () => import("./lint") },
    { name: "base", load: () => import("./base") },
    { name: "tag", load: () => import("./tag") },
    { name: "release", load: () => import("./release") },
    { name: "up", load: () => import("./up") },
    { name: "preview", load: () => import("./preview") },
    { name: "rollback", load: () => import("./rollback") },
    { name: "status", load: () => import("./status") },
    { name: "releases", load: () => import("./releases") },
    { name: "verify", load: () => import("./verify") },
    { name: "registry-password", load: () => import("./registryPassword") },
];
