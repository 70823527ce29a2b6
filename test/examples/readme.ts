// The README as a test reads it: a section's shell commands (each a line, or several joined by a trailing `\` or a
// heredoc), and its code blocks, so that tests run the commands the README shows and check that its code is the
// examples' code.
import fs from 'node:fs';
import path from 'node:path';

export const ROOT = path.resolve(__dirname, '..', '..');
export const EXAMPLES = path.join(ROOT, 'examples');

/** The text of the README's `## <title>` section, up to the next `## ` heading. */
export function readmeSection(title: string): string {
  const text = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const start = text.indexOf(`\n## ${title}\n`);
  if (start < 0) throw new Error(`README has no section "## ${title}"`);
  const end = text.indexOf('\n## ', start + 1);
  return text.slice(start, end < 0 ? undefined : end);
}

/** The bodies of the section's fenced blocks in `language`, in order. */
export function codeBlocks(section: string, language: string): string[] {
  const blocks: string[] = [];
  const fence = new RegExp('^```' + language + '\\n([\\s\\S]*?)^```$', 'gm');
  for (const match of section.matchAll(fence)) blocks.push(match[1]!);
  return blocks;
}

/** The shell commands of the section's `sh` blocks: a line, or lines joined by a trailing `\` or a heredoc. */
export function shellCommands(section: string): string[] {
  const commands: string[] = [];
  for (const block of codeBlocks(section, 'sh')) {
    const lines = block.split('\n');
    for (let i = 0; i < lines.length; i += 1) {
      let command = lines[i]!;
      if (command.trim() === '' || command.trim().startsWith('#')) continue;
      while (command.endsWith('\\') && i + 1 < lines.length) command += '\n' + lines[++i];
      const heredoc = /<<'?(\w+)'?/.exec(command);
      if (heredoc) {
        while (i + 1 < lines.length) {
          command += '\n' + lines[++i];
          if (lines[i] === heredoc[1]) break;
        }
      }
      commands.push(command);
    }
  }
  return commands;
}
