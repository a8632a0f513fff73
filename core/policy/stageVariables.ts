import { Arg, Env, From, Instruction } from "dockerfile-ast";
import { expandsNonEmpty, SimpleCommand } from "./shellCommands";

/**
 * The variables a RUN sees from its stage, instruction by instruction: the
 * stage's ARGs (declared after its FROM; an ARG before the first FROM is
 * not seen inside a stage) and ENVs, and the ENVs of the stage it is built
 * FROM. An ARG counts as set whether or not it has a default, since the
 * build passes it (pinned passes SOURCE_DATE_EPOCH and git_hash); an ENV
 * counts when its value is not empty once its variables are expanded.
 */
export class StageVariables {
    private current: Map<string, boolean> | undefined;
    private env = new Map<string, boolean>();
    private readonly envOfStage = new Map<string, Map<string, boolean>>();

    see(instruction: Instruction): void {
        const keyword = instruction.getKeyword();
        if (keyword === "FROM") {
            const from = instruction as From;
            const parent = this.envOfStage.get((from.getImage() ?? "").toLowerCase());
            this.env = new Map(parent);
            this.current = new Map(this.env);
            const stage = from.getBuildStage();
            if (stage) {
                this.envOfStage.set(stage.toLowerCase(), this.env);
            }
        } else if (keyword === "ARG" && this.current) {
            const name = (instruction as Arg).getProperty()?.getName();
            if (name) {
                this.current.set(name, true);
            }
        } else if (keyword === "ENV" && this.current) {
            for (const p of (instruction as Env).getProperties()) {
                const value = expandsNonEmpty(p.getValue() ?? "", (n) => this.current?.get(n) === true);
                this.current.set(p.getName(), value);
                this.env.set(p.getName(), value);
            }
        }
    }

    /**
     * What the current instruction sees, frozen: whether `name` is set, not
     * empty, for a command of it, which may set it itself (`NAME=value cmd`,
     * `export NAME=value`).
     */
    snapshot(): (name: string, command: SimpleCommand) => boolean {
        const seen = new Map(this.current ?? []);
        const fromStage = (n: string) => seen.get(n) === true;
        return (name, command) => {
            const own = command.env.get(name);
            if (own === undefined) {
                return fromStage(name);
            }
            // `$OTHER` in the value is the line's own OTHER if it sets one; `$NAME` is the stage's.
            const other = (n: string) => {
                const value = n === name ? undefined : command.env.get(n);
                return value === undefined ? fromStage(n) : expandsNonEmpty(value, fromStage);
            };
            return expandsNonEmpty(own, other);
        };
    }
}
