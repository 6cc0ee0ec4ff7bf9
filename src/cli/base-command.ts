import { Command, Flags } from '@oclif/core';
import { processContext, type AppContext } from '../core/context.js';
import { createFactory, type CommandFactory } from './factory.js';
import type { Output } from './output.js';
import { renderError } from './render-error.js';

/**
 * Base of every command (the Shopify CLI pattern): owns the flags every command has and the error handling, so
 * each command file only says what is special about it. Subclasses implement `run()` and may return an exit code.
 */
export abstract class BaseCommand extends Command {
  static baseFlags = {
    config: Flags.string({ description: 'resolver.yaml to use (highest-priority settings source)', helpValue: 'FILE' }),
    json: Flags.boolean({ description: 'machine-readable JSON on stdout', default: false }),
    verbose: Flags.boolean({ char: 'v', description: 'report details on stderr', default: false }),
    // taken out of argv before parsing (cli/color.ts applies it before any colour library loads); listed for --help
    'no-color': Flags.boolean({ description: 'no colours on any screen (also NO_COLOR=1; FORCE_COLOR=1 forces them)', default: false }),
  };

  /** The outside world; tests of core code build their own. */
  protected ctx: AppContext = processContext();
  /** IO rules, output and lazy providers over `ctx` (cli/factory.ts). */
  protected factory: CommandFactory = createFactory(this.ctx);
  /**
   * The masked, typed-twice value prompt for the secret commands, when the factory's `canPrompt()` allows one.
   * @returns undefined when we may not prompt (the use-case then says to pipe the value or pass --from-file)
   */
  protected secretPrompt(): ((label: string) => Promise<Buffer>) | undefined {
    if (!this.factory.canPrompt()) return undefined;
    const { stdin, stderr } = this.ctx;
    return async (label) => (await import('../ui/prompts/masked-input.js')).promptSecretTwice(stdin, stderr, label);
  }

  /**
   * Silences the terminal now (no echo) when a masked prompt will follow network calls, so keys typed early are
   * never shown (ui/prompts/masked-input.ts holdTypeahead); the prompt takes the held keys over.
   * @returns release(), to call in a finally; a no-op when we may not prompt
   */
  protected async holdKeys(): Promise<{ release(): void }> {
    if (!this.factory.canPrompt()) return { release() {} };
    return (await import('../ui/prompts/masked-input.js')).holdTypeahead(this.ctx.stdin);
  }

  /** The one output module: messages on stderr, results on stdout. */
  protected get out(): Output {
    return this.factory.out;
  }

  /** Renders our errors as one line + hint on stderr and sets the documented exit code. Never a stack trace. */
  async catch(err: unknown): Promise<void> {
    // A parse error is reported here; without this oclif adds a developer warning ("did not parse its
    // arguments") on stderr whenever NODE_ENV is development or test.
    this.parsed = true;
    process.exitCode = renderError(err, process.stderr, this.id);
  }
}
