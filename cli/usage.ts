import { synopsisOf } from "./args";
import { Command } from "./command";
import { COMMANDS } from "./commands";

/** Where each summary starts in the command list; a longer synopsis has a line of its own. */
const SUMMARY_COLUMN = 29;

/** The top-level usage: every command's synopsis and summary, made from the command modules. */
export async function topLevelUsage(): Promise<string> {
    const commands: Command[] = await Promise.all(COMMANDS.map(async (entry) => (await entry.load()).command));
    const list = commands.map((c) => {
        const synopsis = synopsisOf(c.spec);
        // At least two spaces between a synopsis and its summary.
        return synopsis.length + 2 <= SUMMARY_COLUMN
            ? `  ${synopsis.padEnd(SUMMARY_COLUMN)}${c.summary}`
            : `  ${synopsis}\n  ${" ".repeat(SUMMARY_COLUMN)}${c.summary}`;
    });
    return `usage: pinned COMMAND [ARGS]

commands:
${list.join("\n")}

Run "pinned COMMAND --help" for details.`;
}
