import { render } from 'ink';
import { SetupWizard, type WizardProps, type WizardResult } from './wizard.js';

/**
 * Runs the setup wizard on the process's TTY until it finishes or the user presses Ctrl-C.
 * @returns the wizard's result, or undefined when it was cancelled (Ctrl-C) before finishing
 */
export async function runSetupWizard(props: Omit<WizardProps, 'onDone'>): Promise<WizardResult | undefined> {
  let result: WizardResult | undefined;
  const app = render(<SetupWizard {...props} onDone={(r) => (result = r)} />, {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    interactive: true,
    exitOnCtrlC: true,
    patchConsole: false,
  });
  await app.waitUntilExit().catch(() => {});
  return result;
}
