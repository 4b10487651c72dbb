import { stripVTControlCharacters } from 'node:util';
import type { AllowedChange } from './allow-list';
import type { DestructiveChange, DiffReport, StackReport } from './template-diff';

export interface ReportLabels {
  /** What the diff starts from, e.g. `origin/main (3f2c1ab)`. */
  readonly base: string;
  /** What it goes to, e.g. `working tree`. */
  readonly head: string;
  /** The allow-list file, as the reader should find it. */
  readonly allowList: string;
}

const VERDICT_TEXT: Record<DestructiveChange['verdict'], string> = {
  blocked: 'BLOCKED',
  allowed: 'allowed',
  unguarded: 'stateless',
};

/** A verdict in one line: what fails the check, and how to let it through. */
export function summaryLine(report: DiffReport, labels: ReportLabels): string {
  const blocked = report.destructive.filter((c) => c.verdict === 'blocked').length;
  const allowed = report.destructive.filter((c) => c.verdict === 'allowed').length;
  const unguarded = report.destructive.length - blocked - allowed;
  const changed = report.stacks.filter((s) => s.status !== 'unchanged').length;
  const parts = [
    `${changed} of ${report.stacks.length} stacks differ`,
    `${blocked} stateful resource${blocked === 1 ? '' : 's'} lost without an entry in ${labels.allowList}`,
    `${allowed} allowed`,
    `${unguarded} stateless replaced or destroyed`,
  ];
  return `${blocked > 0 ? 'FAIL' : 'OK'}: ${parts.join('; ')}.`;
}

/** The report for a terminal or a CI log. */
export function formatText(report: DiffReport, labels: ReportLabels): string {
  const lines = [`CloudFormation diff: ${labels.base} → ${labels.head}`, summaryLine(report, labels), ''];
  if (report.destructive.length > 0) {
    lines.push('Resources replaced or destroyed (all stacks):');
    for (const c of report.destructive) {
      lines.push(
        `  ${VERDICT_TEXT[c.verdict].padEnd(9)} ${c.stack} ${c.logicalId} (${c.resourceType}): ${c.impact}` +
          (c.constructPath ? ` — ${c.constructPath}` : ''),
      );
      if (c.reason) lines.push(`            reason: ${c.reason}`);
    }
    if (report.destructive.some((c) => c.verdict === 'blocked')) {
      lines.push(
        '',
        `To let a BLOCKED change through, add it to ${labels.allowList} with the reason, e.g.`,
        `  { "stack": "…", "logicalId": "…", "change": "replace" | "destroy", "reason": "…" }`,
      );
    }
    lines.push('');
  }
  lines.push(...staleLines(report.stale, labels));
  for (const s of report.stacks.filter((s) => s.status !== 'unchanged')) {
    lines.push(`Stack ${s.stack}${stackNote(s)}`, s.text, '');
  }
  const unchanged = report.stacks.filter((s) => s.status === 'unchanged').map((s) => s.stack);
  if (unchanged.length > 0) lines.push(`No differences: ${unchanged.join(', ')}`);
  return lines.join('\n').trimEnd() + '\n';
}

/** GitHub refuses comments over 65,536 characters; stack diffs past this budget are left out, not cut. */
const DEFAULT_MARKDOWN_BUDGET = 60_000;

/** The first line of the Markdown report, so a workflow can find its earlier comment and update it. */
export const MARKDOWN_MARKER = '<!-- lms-template-diff -->';

/** The report as a pull-request comment: the verdict and the table first, each stack's diff folded. */
export function formatMarkdown(
  report: DiffReport,
  labels: ReportLabels,
  maxLength: number = DEFAULT_MARKDOWN_BUDGET,
): string {
  const head = [
    MARKDOWN_MARKER,
    `### CloudFormation diff: ${code(labels.base)} → ${code(labels.head)}`,
    '',
    summaryLine(report, labels),
    '',
  ];
  if (report.destructive.length > 0) {
    head.push(
      '| verdict | stack | logical id | type | change | reason |',
      '| --- | --- | --- | --- | --- | --- |',
      ...report.destructive.map(
        (c) =>
          `| ${c.verdict === 'blocked' ? '**blocked**' : VERDICT_TEXT[c.verdict]} | ${cell(c.stack)} | ${code(c.logicalId)} | ${code(c.resourceType)} | ${c.impact} | ${cell(c.reason ?? '')} |`,
      ),
      '',
    );
  }
  if (report.stale.length > 0)
    head.push(...staleLines(report.stale, labels).map((l) => l.replace(/^ {2}/, '- ')));

  let body = head.join('\n') + '\n';
  const omitted: string[] = [];
  for (const s of report.stacks.filter((s) => s.status !== 'unchanged')) {
    const block = stackBlock(s);
    if (body.length + block.length > maxLength) omitted.push(s.stack);
    else body += block;
  }
  if (omitted.length > 0) {
    body += `\nDiffs left out to fit a comment (run \`npm run diff\` to see them): ${omitted.join(', ')}\n`;
  }
  const unchanged = report.stacks.filter((s) => s.status === 'unchanged').map((s) => s.stack);
  if (unchanged.length > 0) body += `\nNo differences: ${unchanged.join(', ')}\n`;
  return body;
}

function stackNote(s: StackReport): string {
  const notes = [
    s.status === 'added' ? 'added' : s.status === 'removed' ? 'removed: every resource goes with it' : '',
    s.permissionsBroadened ? 'broadens permissions' : '',
  ].filter(Boolean);
  return notes.length > 0 ? ` (${notes.join('; ')})` : '';
}

function staleLines(stale: readonly AllowedChange[], labels: ReportLabels): string[] {
  if (stale.length === 0) return [];
  return [
    `Stale entries in ${labels.allowList} (they match no change here; remove them once deployed):`,
    ...stale.map((e) => `  ${e.stack} ${e.logicalId} ${e.change} — ${e.reason}`),
    '',
  ];
}

function stackBlock(s: StackReport): string {
  const text = stripVTControlCharacters(s.text);
  const fence = '`'.repeat(Math.max(3, longestBacktickRun(text) + 1));
  return [
    '<details>',
    `<summary>${escapeHtml(s.stack)}${escapeHtml(stackNote(s))}: ${s.differenceCount} difference${s.differenceCount === 1 ? '' : 's'}</summary>`,
    '',
    fence,
    text,
    fence,
    '</details>',
    '',
  ].join('\n');
}

function longestBacktickRun(text: string): number {
  return Math.max(0, ...(text.match(/`+/g) ?? []).map((run) => run.length));
}

function code(text: string): string {
  return `\`${text.replaceAll('`', "'")}\``;
}

function cell(text: string): string {
  return escapeHtml(text).replaceAll('|', '\\|').replaceAll('\n', ' ');
}

function escapeHtml(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}
