import { Command } from "../command";
import { base } from "./base";
import { env } from "./env";
import { lint } from "./lint";
import { preview } from "./preview";
import { registryPassword } from "./registryPassword";
import { release } from "./release";
import { releases } from "./releases";
import { rollback } from "./rollback";
import { status } from "./status";
import { tag } from "./tag";
import { up } from "./up";
import { verify } from "./verify";

/**
 * Every `pinned` command, in the order the top-level usage lists them.
 * A new command is its file in this folder and one line here.
 */
export const COMMANDS: readonly Command[] = [
    env,
    lint,
    base,
    tag,
    release,
    up,
    preview,
    rollback,
    status,
    releases,
    verify,
    registryPassword,
];
