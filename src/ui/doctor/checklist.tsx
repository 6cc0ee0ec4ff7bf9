import { Box, Text, useAnimation } from 'ink';
import type { CheckResult, CheckStatus } from '../../app/doctor/report.js';

/** A row of the live checklist: pending until started, running while its spinner turns, then its result. */
export interface ChecklistRow {
  id: string;
  title: string;
  state: 'pending' | 'running' | 'done';
  result?: CheckResult;
}

const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
const ICON: Record<CheckStatus, { icon: string; color: string }> = {
  pass: { icon: '✔', color: 'green' },
  warn: { icon: '⚠', color: 'yellow' },
  fail: { icon: '✖', color: 'red' },
  skip: { icon: '○', color: 'gray' },
};

function Spinner() {
  const { frame } = useAnimation({ interval: 80 });
  return <Text color="cyan">{SPINNER[frame % SPINNER.length]}</Text>;
}

/** Ink checklist of doctor checks with spinners, timings, details and fix hints (twin: ui/doctor/text.ts). */
export function DoctorChecklist({ rows, summary }: { rows: ChecklistRow[]; summary?: string }) {
  return (
    <Box flexDirection="column">
      {rows.map((row) => (
        <Box key={row.id} flexDirection="column">
          <Box>
            <Box width={2}>{row.state === 'running' ? <Spinner /> : row.result ? <Text color={ICON[row.result.status].color}>{ICON[row.result.status].icon}</Text> : <Text dimColor>·</Text>}</Box>
            <Text>{row.title}</Text>
            <Text dimColor>{`  ${row.id}`}</Text>
            {row.result ? <Text dimColor>{`  ${row.result.ms} ms`}</Text> : null}
          </Box>
          {row.result && row.result.status !== 'pass' && row.result.detail ? (
            <Box marginLeft={2}>
              <Text dimColor>{row.result.detail}</Text>
            </Box>
          ) : null}
          {row.result && (row.result.status === 'fail' || row.result.status === 'warn') && row.result.hint ? (
            <Box marginLeft={2}>
              <Text color={ICON[row.result.status].color}>{`fix: ${row.result.hint}`}</Text>
            </Box>
          ) : null}
        </Box>
      ))}
      {summary ? (
        <Box marginTop={1}>
          <Text bold>{summary}</Text>
        </Box>
      ) : null}
    </Box>
  );
}
