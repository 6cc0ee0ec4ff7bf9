import { Box, Text, useInput } from 'ink';

/** A yes/no question: `y` / `n`, Enter takes the default, Esc calls `onBack`. */
export function Confirm({ question, defaultYes = false, onAnswer, onBack }: { question: string; defaultYes?: boolean; onAnswer: (yes: boolean) => void; onBack?: () => void }) {
  useInput((input, key) => {
    if (key.escape) return onBack?.();
    if (key.return) return onAnswer(defaultYes);
    if (input === 'y' || input === 'Y') return onAnswer(true);
    if (input === 'n' || input === 'N') return onAnswer(false);
  });
  return (
    <Box>
      <Text bold>{question}</Text>
      <Text dimColor>{defaultYes ? ' [Y/n] ' : ' [y/N] '}</Text>
    </Box>
  );
}
